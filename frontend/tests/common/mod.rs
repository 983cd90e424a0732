//! Shared helpers for the native render tests: fixtures, a fixed clock, SSR and an HTML
//! pretty-printer so snapshots read as a tree in review.

#![allow(dead_code)]

use frontend::clock::Clock;
use serde::de::DeserializeOwned;
use yew::{BaseComponent, LocalServerRenderer};

/// 2026-11-27T09:30:00Z, a Friday, viewed from UTC.
pub const CLOCK: Clock = Clock {
    now: 1_795_771_800,
    utc_offset_min: 0,
};

pub fn fixture<T: DeserializeOwned>(name: &str) -> T {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// One entry of a fixture file that maps names to values.
pub fn fixture_entry<T: DeserializeOwned>(file: &str, key: &str) -> T {
    let all: serde_json::Map<String, serde_json::Value> = fixture(file);
    let value = all
        .get(key)
        .unwrap_or_else(|| panic!("{file} has no {key}"))
        .clone();
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{file}/{key}: {e}"))
}

/// Renders a component natively, as the browser's first paint would show it (no effects run).
pub fn render<C: BaseComponent>(props: C::Properties) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let html = rt.block_on(async {
        tokio::task::LocalSet::new()
            .run_until(
                LocalServerRenderer::<C>::with_props(props)
                    .hydratable(false)
                    .render(),
            )
            .await
    });
    pretty(&html)
}

const VOID: &[&str] = &["input", "br", "img", "meta", "link", "hr"];

/// Indents tags one per line; text stays beside its tag.
pub fn pretty(html: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(tag_start) = rest.strip_prefix('<') {
            let end = tag_start.find('>').map_or(rest.len(), |i| i + 2);
            let tag = &rest[..end];
            rest = &rest[end..];
            let closing = tag.starts_with("</");
            let name: String = tag
                .trim_start_matches(['<', '/'])
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            if closing {
                depth = depth.saturating_sub(1);
            }
            out.push_str(&format!("\n{}{tag}", "  ".repeat(depth)));
            if !closing && !VOID.contains(&name.as_str()) && !tag.ends_with("/>") {
                depth += 1;
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = rest[..end].trim();
            if !text.is_empty() {
                out.push_str(&format!("\n{}{text}", "  ".repeat(depth)));
            }
            rest = &rest[end..];
        }
    }
    out.trim_start().to_string()
}
