//! Reading links out of received sequence emails and pointing them at the test server.

use anyhow::{Context, Result};
use base64::Engine;

use crate::smtp::Received;
use crate::TestApp;

/// The message body with its transfer encoding (quoted-printable or base64) undone.
pub fn body_text(m: &Received) -> String {
    let raw = m.raw.replace("\r\n", "\n");
    let body = raw.split_once("\n\n").map_or("", |(_, b)| b);
    match m
        .header("Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_lowercase()
        .as_str()
    {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        "quoted-printable" => {
            let soft = body.replace("=\n", "");
            let mut out = Vec::new();
            let bytes = soft.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'='
                    && i + 2 < bytes.len()
                    && u8::from_str_radix(&soft[i + 1..i + 3], 16).is_ok()
                {
                    out.push(u8::from_str_radix(&soft[i + 1..i + 3], 16).unwrap_or(b'?'));
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8_lossy(&out).into_owned()
        }
        _ => body.to_string(),
    }
}

/// The first URL in `text` whose path starts with `path_prefix` (e.g. `/book/`).
pub fn find_url(text: &str, path_prefix: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
        .find(|w| w.starts_with("http") && w.contains(path_prefix))
        .map(str::to_string)
}

impl TestApp {
    /// A link from an email (built on the configured public URL) as a URL of this test server.
    pub fn local_url(&self, url: &str) -> Result<String> {
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .context("no path in url")?;
        Ok(format!("{}{}", self.base, path))
    }
}
