//! The tidy test: ARCHITECTURE.md's rules, checked by the build (in the style of rust-analyzer's
//! `xtask/src/tidy.rs`).
//!
//! It reads every `.rs` file and `Cargo.toml` of the repository as text and checks the rules below;
//! a failure names the rule, the file and line, and how to fix it. It runs as an ordinary
//! `#[test]` (`cargo test -p xtask`), as the `tidy` stage of `cargo xtask test`, and alone as
//! `cargo xtask tidy`. Each rule has a test of its own proving it can fail (bottom of this file).
//!
//! | rule | where it applies | what it says |
//! |---|---|---|
//! | `actix` | every crate | `actix_*` is named only in `server/src/http/`, `tests/` and `xtask/` |
//! | `sqlx` | every crate | `sqlx` is named only in the store (`server/src/store/`, or a `server/store/` crate) and `tests/` |
//! | `anyhow` | every crate | `anyhow` is named only on the binary side (below), in `tests/` and `xtask/` |
//! | `impl-app` | `server/` | `impl App` / `impl X for App` only in `server/src/service/` |
//! | `clock` | `server/` | `Utc::now`, `Local::now`, `Instant::now`, `SystemTime::now` only in a `clock.rs` |
//! | `wire-types` | `server/**/domain/`, `server/**/store/` | `shared::X` only for the vocabulary enums of `shared/src/enums.rs` |
//! | `dependencies` | every `Cargo.toml` | each direct dependency is listed for its crate in [`DEPENDENCIES`] |
//!
//! The binary side (where `anyhow` may live) is: a crate's `src/main.rs` and `src/bin/**`, the
//! modules such a root declares with `mod name;` (e.g. `server/src/bench.rs`), `build.rs`, and a
//! crate's `tests/`, `examples/` and `benches/` folders. Library code returns `thiserror` errors.
//!
//! Whole-line comments are skipped, so documentation may name what the code must not.
//! [`ALLOWLIST`] holds the few accepted exceptions, each with its reason; an entry that no
//! longer matches anything fails too, so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// The rules, by the name a failure prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    Actix,
    Sqlx,
    Anyhow,
    ImplApp,
    Clock,
    WireTypes,
    Dependencies,
    StaleAllowlist,
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::Actix => "actix",
            Rule::Sqlx => "sqlx",
            Rule::Anyhow => "anyhow",
            Rule::ImplApp => "impl-app",
            Rule::Clock => "clock",
            Rule::WireTypes => "wire-types",
            Rule::Dependencies => "dependencies",
            Rule::StaleAllowlist => "stale-allowlist",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Rule::Actix => "only `server/src/http/` names actix (ARCHITECTURE.md, Invariants)",
            Rule::Sqlx => "only the store names sqlx (ARCHITECTURE.md, Invariants)",
            Rule::Anyhow => "`anyhow` lives only in binaries, xtask and tests; libraries return `thiserror` errors",
            Rule::ImplApp => "the use cases (`impl App`) live in `server/src/service/`",
            Rule::Clock => "only the clock module reads the time; everything else gets `now` from the app clock",
            Rule::WireTypes => "the domain and the store rows hold no wire types (`shared::` DTOs); only the vocabulary enums of `shared/src/enums.rs`",
            Rule::Dependencies => "every direct dependency of a workspace crate is listed in xtask/src/tidy.rs `DEPENDENCIES`",
            Rule::StaleAllowlist => "every entry of xtask/src/tidy.rs `ALLOWLIST` still matches a finding",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            Rule::Actix => "move the code into `server/src/http/` and call it from there (e.g. `http::run_system`, `http::serve`)",
            Rule::Sqlx => "add a `Store` method (or use the store's own types and errors, e.g. `StoreError::from`) and call that",
            Rule::Anyhow => "return a `thiserror` error enum of this module, or move the code to the binary (`main.rs` or a module it declares)",
            Rule::ImplApp => "put the method in a file under `server/src/service/`, or make it a free function taking `&App`",
            Rule::Clock => "take `now: Millis` as an argument or call `App::now()` / `Clock::now_ms()`; for a wall-time IO deadline add an `ALLOWLIST` entry with its reason",
            Rule::WireTypes => "define a domain type (no serde) and convert to and from the `shared` type in `service/` or `http/`",
            Rule::Dependencies => "if the dependency is meant, add it to the crate's row in `DEPENDENCIES` (a reviewed change); otherwise remove it",
            Rule::StaleAllowlist => "delete the entry from `ALLOWLIST`",
        }
    }
}

/// One broken rule at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    pub path: String,
    /// 1-based; 0 when the finding is about the whole file.
    pub line: usize,
    pub found: String,
}

impl Violation {
    /// `rule path:line found`: what the tests compare.
    #[cfg(test)]
    fn short(&self) -> String {
        format!(
            "{} {}:{} {}",
            self.rule.name(),
            self.path,
            self.line,
            self.found
        )
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tidy: rule `{}` broken at {}:{}: {}\n    rule: {}\n    fix:  {}",
            self.rule.name(),
            self.path,
            self.line,
            self.found,
            self.rule.what(),
            self.rule.fix()
        )
    }
}

/// An accepted exception: findings of `rule` in `path` (a file, or a folder ending in `/`).
pub struct Allowed {
    pub rule: Rule,
    pub path: &'static str,
    pub reason: &'static str,
    /// Printed as a TODO on every run: an exception to remove, not one to keep.
    pub todo: bool,
}

/// The accepted exceptions. Keep it short: each entry needs a reason a reviewer agrees with.
pub const ALLOWLIST: &[Allowed] = &[
    Allowed {
        rule: Rule::Clock,
        path: "server/src/worker/mod.rs",
        reason: "the supervisor's stall detection measures the process's own wall time (a frozen test clock must not make /ready fail)",
        todo: false,
    },
    Allowed {
        rule: Rule::Clock,
        path: "server/src/service/execute.rs",
        reason: "`wait_for_sends` bounds a real wait on a real relay: a wall-time IO deadline (tokio::time::Instant)",
        todo: false,
    },
    Allowed {
        rule: Rule::Clock,
        path: "server/src/bench.rs",
        reason: "the benchmark measures wall-time latency and dates its synthetic messages (binary side)",
        todo: false,
    },
    Allowed {
        rule: Rule::ImplApp,
        path: "server/src/mail/imap.rs",
        reason: "the IMAP watchers add `App` methods from `mail/` (issue 15: the inbound adapters move to one place)",
        todo: true,
    },
    Allowed {
        rule: Rule::WireTypes,
        path: "server/src/domain/enrollment.rs",
        reason: "`domain::Evidence` is the wire type `shared::EvidenceView` (issue 15)",
        todo: true,
    },
];

/// Each workspace crate's allowed direct dependencies: (crate, normal and build, dev-only).
/// A dependency may appear in the normal list and still be used as a dev-dependency.
pub const DEPENDENCIES: &[(&str, &[&str], &[&str])] = &[
    ("shared", &["serde"], &["serde_json", "insta"]),
    (
        "sequencer-classify",
        &["mail-parser", "chrono", "serde", "aho-corasick"],
        &["serde_json", "insta", "sequencer-classify"],
    ),
    (
        "sequencer-classify-fuzz",
        &["libfuzzer-sys", "sequencer-classify"],
        &[],
    ),
    (
        "sequencer-server",
        &[
            "shared",
            "sequencer-classify",
            "async-imap",
            "tokio-rustls",
            "webpki-roots",
            "serde",
            "serde_json",
            "thiserror",
            "anyhow",
            "chrono",
            "chrono-tz",
            "tokio",
            "actix-web",
            "actix-files",
            "sqlx",
            "reqwest",
            "jsonwebtoken",
            "lettre",
            "mail-parser",
            "tracing",
            "tracing-subscriber",
            "clap",
            "rand",
            "sha2",
            "hmac",
            "hex",
            "base64",
            "futures-util",
            "serde_urlencoded",
            "argon2",
            "flate2",
            "crc32fast",
            "chacha20poly1305",
            "hkdf",
        ],
        &["insta", "tempfile"],
    ),
    (
        "frontend",
        &[
            "shared",
            "serde",
            "serde_json",
            "yew",
            "wasm-bindgen",
            "wasm-bindgen-futures",
            "js-sys",
            "gloo-net",
            "gloo-timers",
            "web-sys",
        ],
        &["yew", "insta", "tokio"],
    ),
    (
        "sequencer-tests",
        &[
            "shared",
            "sequencer-server",
            "anyhow",
            "serde",
            "serde_json",
            "tokio",
            "reqwest",
            "tempfile",
            "chrono",
            "chrono-tz",
            "sqlx",
            "actix-web",
            "futures-util",
            "fantoccini",
            "hyper-util",
            "jsonwebtoken",
            "base64",
            "tracing-subscriber",
            "tokio-rustls",
        ],
        &["insta"],
    ),
    ("xtask", &["anyhow", "clap"], &[]),
];

/// A file as the checker sees it: its path relative to the repository root (`/`-separated).
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Checks the repository at `root`: prints the TODO exceptions, fails with every violation.
pub fn run(root: &Path) -> Result<(), String> {
    let files = read_tree(root).map_err(|e| format!("tidy: reading {}: {e}", root.display()))?;
    for entry in ALLOWLIST.iter().filter(|a| a.todo) {
        eprintln!(
            "tidy: TODO ({}) {}: {}",
            entry.rule.name(),
            entry.path,
            entry.reason
        );
    }
    let violations = check(&files, ALLOWLIST);
    if violations.is_empty() {
        eprintln!("tidy: {} files checked, all rules hold", files.len());
        return Ok(());
    }
    let report: Vec<String> = violations.iter().map(ToString::to_string).collect();
    Err(format!(
        "{}\ntidy: {} violation(s)",
        report.join("\n"),
        violations.len()
    ))
}

/// Every `.rs` file and `Cargo.toml` under `root`, skipping build output and hidden folders.
pub fn read_tree(root: &Path) -> std::io::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                if !name.starts_with('.') && !matches!(name.as_str(), "target" | "node_modules") {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") || name == "Cargo.toml" {
                let relative = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push(SourceFile {
                    path: relative,
                    text: std::fs::read_to_string(&path)?,
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Every violation in `files` not excused by `allowlist`, plus the allowlist's stale entries.
pub fn check(files: &[SourceFile], allowlist: &[Allowed]) -> Vec<Violation> {
    let binary_side = binary_side(files);
    let vocabulary = vocabulary(files);
    let mut found = Vec::new();
    for file in files {
        if file.path.ends_with("Cargo.toml") {
            check_manifest(file, &mut found);
        } else {
            check_source(file, &binary_side, &vocabulary, &mut found);
        }
    }
    let mut used = vec![false; allowlist.len()];
    let mut violations: Vec<Violation> = found
        .into_iter()
        .filter(|v| {
            let hit = allowlist
                .iter()
                .position(|a| a.rule == v.rule && covers(a.path, &v.path));
            if let Some(i) = hit {
                used[i] = true;
            }
            hit.is_none()
        })
        .collect();
    violations.sort_by(|a, b| (&a.path, a.line, a.rule).cmp(&(&b.path, b.line, b.rule)));
    for (entry, used) in allowlist.iter().zip(used) {
        if !used {
            violations.push(Violation {
                rule: Rule::StaleAllowlist,
                path: entry.path.to_string(),
                line: 0,
                found: format!("no `{}` finding left here", entry.rule.name()),
            });
        }
    }
    violations
}

fn covers(allowed: &str, path: &str) -> bool {
    if allowed.ends_with('/') {
        path.starts_with(allowed)
    } else {
        path == allowed
    }
}

fn under(path: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| path.starts_with(p))
}

/// The files where `anyhow` may live besides `tests/` and `xtask/` (see the module docs).
fn binary_side(files: &[SourceFile]) -> Vec<String> {
    let mut side = Vec::new();
    for file in files {
        let path = &file.path;
        let is_root = path.ends_with("src/main.rs") || path.contains("/src/bin/");
        if !is_root {
            continue;
        }
        side.push(path.clone());
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for line in code_lines(&file.text) {
            let decl = line.1.trim();
            let decl = decl.strip_prefix("pub ").unwrap_or(decl);
            if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                side.push(format!("{dir}/{}.rs", name.trim()));
                side.push(format!("{dir}/{}/", name.trim()));
            }
        }
    }
    side
}

/// Under a crate's `tests/`, `examples/`, `benches/` or `fuzz/` folder.
fn is_test_or_example(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    segments[..segments.len().saturating_sub(1)]
        .iter()
        .any(|s| matches!(*s, "tests" | "examples" | "benches" | "fuzz"))
}

fn is_binary_side(path: &str, binary_side: &[String]) -> bool {
    path.starts_with("tests/")
        || path.starts_with("xtask/")
        || path.ends_with("/build.rs")
        || is_test_or_example(path)
        || binary_side
            .iter()
            .any(|b| path == b || (b.ends_with('/') && path.starts_with(b.as_str())))
}

/// The vocabulary enums: the names `shared/src/enums.rs` declares through `wire_enum!`.
fn vocabulary(files: &[SourceFile]) -> BTreeSet<String> {
    let Some(enums) = files.iter().find(|f| f.path == "shared/src/enums.rs") else {
        return BTreeSet::new();
    };
    enums
        .text
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter_map(|l| l.split_once(" {"))
        .map(|(name, _)| name)
        .filter(|n| n.starts_with(|c: char| c.is_ascii_uppercase()) && is_ident(n))
        .map(str::to_string)
        .collect()
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// (1-based line number, line) for every line that is not a whole-line comment.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
}

/// Occurrences of `word` in `line` not preceded or followed by an identifier character.
fn find_word<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(at) = line[from..].find(word).map(|i| i + from) {
        let before = line[..at].chars().next_back();
        let after_at = at + word.len();
        let rest = &line[after_at..];
        if !before.is_some_and(ident) {
            // A prefix word (`actix_`) takes the rest of its identifier with it.
            let tail: String = if word.ends_with('_') {
                rest.chars().take_while(|c| ident(*c)).collect()
            } else {
                String::new()
            };
            if word.ends_with('_') || !rest.starts_with(ident) {
                return Some(&line[at..after_at + tail.len()]);
            }
        }
        from = after_at;
    }
    None
}

fn check_source(
    file: &SourceFile,
    binary_side: &[String],
    vocabulary: &BTreeSet<String>,
    out: &mut Vec<Violation>,
) {
    let path = file.path.as_str();
    let push = |out: &mut Vec<Violation>, rule, line, found: &str| {
        out.push(Violation {
            rule,
            path: path.to_string(),
            line,
            found: format!("`{found}`"),
        })
    };
    let in_server = path.starts_with("server/");
    let actix_ok = under(path, &["server/src/http/", "tests/", "xtask/"]);
    let sqlx_ok = under(
        path,
        &["server/src/store/", "server/store/", "tests/", "xtask/"],
    );
    let anyhow_ok = is_binary_side(path, binary_side);
    let impl_app_scope = in_server && !path.starts_with("server/src/service/");
    let clock_scope = in_server && !path.ends_with("/clock.rs") && !is_test_or_example(path);
    let wire_scope = in_server && (path.contains("/domain/") || path.contains("/store/"));
    for (n, line) in code_lines(&file.text) {
        if !actix_ok {
            if let Some(found) = find_word(line, "actix_") {
                push(out, Rule::Actix, n, found);
            }
        }
        if !sqlx_ok {
            if let Some(found) = find_word(line, "sqlx") {
                push(out, Rule::Sqlx, n, found);
            }
        }
        if !anyhow_ok {
            if let Some(found) = find_word(line, "anyhow") {
                push(out, Rule::Anyhow, n, found);
            }
        }
        if impl_app_scope {
            if let Some(found) = impl_app(line) {
                push(out, Rule::ImplApp, n, found);
            }
        }
        if clock_scope {
            for clock in ["Utc::now", "Local::now", "Instant::now", "SystemTime::now"] {
                if let Some(found) = find_word(line, clock) {
                    push(out, Rule::Clock, n, found);
                }
            }
        }
    }
    if wire_scope {
        for (n, name) in shared_names(&file.text) {
            if !vocabulary.contains(&name) {
                push(out, Rule::WireTypes, n, &format!("shared::{name}"));
            }
        }
    }
}

/// `impl App`, `impl<..> App`, `impl Trait for App` on this line.
fn impl_app(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    let is_impl = trimmed.starts_with("impl ") || trimmed.starts_with("impl<");
    if !is_impl {
        return None;
    }
    let head = trimmed.split('{').next().unwrap_or(trimmed).trim_end();
    let target = head.rsplit(" for ").next().unwrap_or(head);
    let last = target
        .trim_start_matches("impl")
        .split_whitespace()
        .last()
        .unwrap_or("");
    (last == "App" || last.ends_with("::App")).then_some(head)
}

/// The last path segment of every item named through `shared::` (braced lists expanded), with
/// the line it starts on. Whole-line comments are skipped.
fn shared_names(text: &str) -> Vec<(usize, String)> {
    // Blank out comment lines, keeping line numbers, so a braced list can span lines.
    let code: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("shared::").map(|i| i + from) {
        from = at + "shared::".len();
        // `other::shared::` is another module; `::shared::` and `shared::` are the crate.
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let head = code[..at].strip_suffix("::").unwrap_or(&code[..at]);
        if head.chars().next_back().is_some_and(ident) {
            continue;
        }
        let rest = &code[from..];
        let mut items: Vec<(usize, &str)> = Vec::new(); // (offset in `code`, item)
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            let mut offset = from + 1;
            for item in group[..end].split(',') {
                let lead = item.len() - item.trim_start().len();
                items.push((offset + lead, item));
                offset += item.len() + 1;
            }
        } else {
            let end = rest
                .find(|c: char| !(ident(c) || c == ':'))
                .unwrap_or(rest.len());
            items.push((at, &rest[..end]));
        }
        for (offset, item) in items {
            let item = item.split(" as ").next().unwrap_or(item).trim();
            let name = item.rsplit("::").next().unwrap_or(item).trim();
            if is_ident(name) && name != "self" {
                names.push((line_of(offset), name.to_string()));
            }
        }
    }
    names
}

/// The crate's package name and its dependencies by section kind.
fn check_manifest(file: &SourceFile, out: &mut Vec<Violation>) {
    if file.path == "Cargo.toml" {
        return; // The workspace root: no package of its own.
    }
    let mut package = None;
    let mut section = String::new();
    let mut deps: Vec<(usize, bool, String)> = Vec::new(); // (line, dev, name)
    for (n, line) in file.text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[') {
            section = header.trim_end_matches(']').trim().to_string();
            // `[dependencies.foo]` names one dependency in its header.
            let parts: Vec<&str> = section.split('.').collect();
            if let [.., kind, name] = parts.as_slice() {
                if matches!(
                    *kind,
                    "dependencies" | "build-dependencies" | "dev-dependencies"
                ) {
                    deps.push((n + 1, *kind == "dev-dependencies", name.to_string()));
                    section = "one-dependency".to_string();
                }
            }
            continue;
        }
        if line.starts_with(|c: char| c.is_whitespace()) || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key
            .split('.')
            .next()
            .unwrap_or(key)
            .trim()
            .trim_matches('"');
        if section == "package" && key == "name" && package.is_none() {
            package = Some(value.trim().trim_matches('"').to_string());
        }
        let kind = section.rsplit('.').next().unwrap_or(&section);
        if matches!(kind, "dependencies" | "build-dependencies") {
            deps.push((n + 1, false, key.to_string()));
        } else if kind == "dev-dependencies" {
            deps.push((n + 1, true, key.to_string()));
        }
    }
    let Some(package) = package else {
        return;
    };
    let table: BTreeMap<&str, (&[&str], &[&str])> = DEPENDENCIES
        .iter()
        .map(|(name, normal, dev)| (*name, (*normal, *dev)))
        .collect();
    let Some((normal, dev)) = table.get(package.as_str()) else {
        out.push(Violation {
            rule: Rule::Dependencies,
            path: file.path.clone(),
            line: 1,
            found: format!("crate `{package}` has no row in `DEPENDENCIES`"),
        });
        return;
    };
    for (line, is_dev, name) in deps {
        let allowed = normal.contains(&name.as_str()) || (is_dev && dev.contains(&name.as_str()));
        if !allowed {
            let kind = if is_dev {
                "dev-dependency"
            } else {
                "dependency"
            };
            out.push(Violation {
                rule: Rule::Dependencies,
                path: file.path.clone(),
                line,
                found: format!("`{package}` {kind} `{name}` is not allowed for it"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `files` (path, text) against `allowlist`; `expected` lists `rule path:line found`.
    fn check_with(files: &[(&str, &str)], allowlist: &[Allowed], expected: &[&str]) {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| SourceFile {
                path: path.to_string(),
                text: text.to_string(),
            })
            .collect();
        let got: Vec<String> = super::check(&files, allowlist)
            .iter()
            .map(|v| v.short())
            .collect();
        assert_eq!(got, expected);
    }

    fn check(files: &[(&str, &str)], expected: &[&str]) {
        check_with(files, &[], expected);
    }

    const ENUMS: (&str, &str) = (
        "shared/src/enums.rs",
        "wire_enum! {\n    Role { Admin => \"admin\" }\n}\nwire_enum! {\n    Seat {\n        A => \"a\",\n    }\n}\n",
    );

    #[test]
    fn actix_is_named_only_in_http_tests_and_xtask() {
        check(
            &[
                (
                    "server/src/main.rs",
                    "#[actix_web::main]\nasync fn main() {}\n",
                ),
                (
                    "server/src/bench.rs",
                    "fn f() { actix_web::rt::spawn(x); }\n",
                ),
                (
                    "server/src/store/x.rs",
                    "// actix_web is not named here\nuse actix_files::Files;\n",
                ),
                ("server/src/http/mod.rs", "use actix_web::App;\n"),
                ("tests/src/lib.rs", "use actix_web::rt;\n"),
                ("xtask/src/tidy.rs", "\"actix_web\"\n"),
                (
                    "server/src/lib.rs",
                    "//! `http` (actix)\nfn transactix_web() {}\n",
                ),
            ],
            &[
                "actix server/src/bench.rs:1 `actix_web`",
                "actix server/src/main.rs:1 `actix_web`",
                "actix server/src/store/x.rs:2 `actix_files`",
            ],
        );
    }

    #[test]
    fn sqlx_is_named_only_in_the_store_and_tests() {
        check(
            &[
                (
                    "server/src/store/mod.rs",
                    "pub type Tx = sqlx::Transaction<'static, sqlx::Any>;\n",
                ),
                ("server/store/src/lib.rs", "use sqlx::Row;\n"),
                (
                    "server/src/service/x.rs",
                    "fn f(tx: sqlx::Transaction) {}\n",
                ),
                (
                    "server/src/demo.rs",
                    "// sqlx stays in the store\n.map_err(|e: sqlx::Error| e)?;\n",
                ),
                (
                    "server/src/lib.rs",
                    "//! `store` (sqlx)\nfn sqlx_free() {}\n",
                ),
                ("tests/src/lib.rs", "use sqlx::Row;\n"),
            ],
            &[
                "sqlx server/src/demo.rs:2 `sqlx`",
                "sqlx server/src/service/x.rs:1 `sqlx`",
            ],
        );
    }

    #[test]
    fn anyhow_lives_only_in_binaries_xtask_and_tests() {
        check(
            &[
                (
                    "server/src/main.rs",
                    "mod bench;\nmod cli;\nfn main() -> anyhow::Result<()> {}\n",
                ),
                ("server/src/bench.rs", "use anyhow::Result;\n"),
                ("server/src/cli/mod.rs", "use anyhow::Context;\n"),
                ("server/src/bin/tool.rs", "use anyhow::bail;\n"),
                ("server/src/lib.rs", "pub fn f() -> anyhow::Result<()> {}\n"),
                ("server/src/demo.rs", "\n\nuse anyhow::{bail, Result};\n"),
                ("server/classify/tests/t.rs", "use anyhow::Result;\n"),
                ("server/classify/examples/e.rs", "use anyhow::Result;\n"),
                (
                    "server/classify/src/lib.rs",
                    "// anyhow is not for libraries\n",
                ),
                ("tests/tests/x.rs", "use anyhow::Result;\n"),
                ("xtask/src/main.rs", "use anyhow::Result;\n"),
                ("frontend/src/api.rs", "fn f() -> anyhow::Result<()> {}\n"),
            ],
            &[
                "anyhow frontend/src/api.rs:1 `anyhow`",
                "anyhow server/src/demo.rs:3 `anyhow`",
                "anyhow server/src/lib.rs:1 `anyhow`",
            ],
        );
    }

    #[test]
    fn impl_app_only_in_service() {
        check(
            &[
                (
                    "server/src/mail/imap.rs",
                    "impl App {\n    pub fn watch(&self) {}\n}\n",
                ),
                (
                    "server/src/http/x.rs",
                    "impl FromRef<App> for State {}\nimpl Clone for crate::service::App {}\n",
                ),
                (
                    "server/src/worker/mod.rs",
                    "impl<'a> Helper<'a> for App {}\nimpl AppState {}\n",
                ),
                ("server/src/service/enroll.rs", "impl App {\n}\n"),
                ("frontend/src/app.rs", "impl Component for App {}\n"),
            ],
            &[
                "impl-app server/src/http/x.rs:2 `impl Clone for crate::service::App`",
                "impl-app server/src/mail/imap.rs:1 `impl App`",
                "impl-app server/src/worker/mod.rs:1 `impl<'a> Helper<'a> for App`",
            ],
        );
    }

    #[test]
    fn only_the_clock_module_reads_the_time() {
        check(
            &[
                (
                    "server/src/clock.rs",
                    "chrono::Utc::now().timestamp_millis()\n",
                ),
                (
                    "server/src/store/lookup.rs",
                    "map.insert(k, (std::time::Instant::now(), v));\n",
                ),
                (
                    "server/src/engine/x.rs",
                    "//! No `Utc::now()` here.\nlet t = SystemTime::now();\n",
                ),
                (
                    "server/src/service/y.rs",
                    "let d = tokio::time::Instant::now() + limit;\nlet l = chrono::Local::now();\n",
                ),
                ("server/classify/src/z.rs", "let now = Utc::now();\n"),
                ("server/classify/tests/t.rs", "let now = Utc::now();\n"),
                (
                    "server/classify/examples/e.rs",
                    "let started = Instant::now();\n",
                ),
                (
                    "server/src/a.rs",
                    "fn my_Instant::nowish() {}\nclock.now()\n",
                ),
                ("tests/src/lib.rs", "Instant::now()\n"),
            ],
            &[
                "clock server/classify/src/z.rs:1 `Utc::now`",
                "clock server/src/engine/x.rs:2 `SystemTime::now`",
                "clock server/src/service/y.rs:1 `Instant::now`",
                "clock server/src/service/y.rs:2 `Local::now`",
                "clock server/src/store/lookup.rs:1 `Instant::now`",
            ],
        );
    }

    #[test]
    fn domain_and_store_name_only_vocabulary_enums_from_shared() {
        check(
            &[
                ENUMS,
                ("server/src/domain/mod.rs", "pub use shared::{\n    Role,\n    Seat as S, EvidenceView,\n};\n"),
                ("server/src/domain/e.rs", "// shared::EvidenceView is a wire type\npub type Evidence = shared::views::EvidenceView;\n"),
                ("server/src/store/meetings.rs", "use shared::{AvailabilityWindow, Role};\nfn f(r: shared::Role) {}\n"),
                ("server/store/src/rows.rs", "struct Row { w: ::shared::Window }\n"),
                ("server/src/service/v.rs", "use shared::EvidenceView;\n"),
            ],
            &[
                "wire-types server/src/domain/e.rs:2 `shared::EvidenceView`",
                "wire-types server/src/domain/mod.rs:3 `shared::EvidenceView`",
                "wire-types server/src/store/meetings.rs:1 `shared::AvailabilityWindow`",
                "wire-types server/store/src/rows.rs:1 `shared::Window`",
            ],
        );
    }

    #[test]
    fn every_dependency_is_listed_for_its_crate() {
        check(
            &[
                ("Cargo.toml", "[workspace]\n[workspace.dependencies]\ntokio = \"1\"\n"),
                (
                    "shared/Cargo.toml",
                    "[package]\nname = \"shared\"\n\n[dependencies]\nserde = { workspace = true }\ntokio.workspace = true\n\n[dev-dependencies]\ninsta = \"1\"\ntempfile = \"3\"\n",
                ),
                (
                    "xtask/Cargo.toml",
                    "[package]\nname = \"xtask\"\n[dependencies]\nanyhow = \"1\"\nclap = { version = \"4\", features = [\n  \"derive\",\n] }\n[dependencies.sqlx]\nversion = \"0.8\"\n",
                ),
                ("server/core/Cargo.toml", "[package]\nname = \"sequencer-core\"\n[dependencies]\n"),
                (
                    "frontend/Cargo.toml",
                    "[package]\nname = \"frontend\"\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n[dev-dependencies]\ntokio = \"1\"\n",
                ),
            ],
            &[
                "dependencies frontend/Cargo.toml:4 `frontend` dependency `libc` is not allowed for it",
                "dependencies server/core/Cargo.toml:1 crate `sequencer-core` has no row in `DEPENDENCIES`",
                "dependencies shared/Cargo.toml:6 `shared` dependency `tokio` is not allowed for it",
                "dependencies shared/Cargo.toml:10 `shared` dev-dependency `tempfile` is not allowed for it",
                "dependencies xtask/Cargo.toml:8 `xtask` dependency `sqlx` is not allowed for it",
            ],
        );
    }

    #[test]
    fn the_allowlist_excuses_its_entries_and_fails_when_stale() {
        let allowlist = [
            Allowed {
                rule: Rule::Clock,
                path: "server/src/worker/",
                reason: "wall time",
                todo: false,
            },
            Allowed {
                rule: Rule::Clock,
                path: "server/src/gone.rs",
                reason: "was fixed",
                todo: false,
            },
            Allowed {
                rule: Rule::Actix,
                path: "server/src/worker/mod.rs",
                reason: "another rule does not excuse this one",
                todo: true,
            },
        ];
        check_with(
            &[
                ("server/src/worker/mod.rs", "Instant::now()\n"),
                ("server/src/gone.rs", "clock.now()\n"),
            ],
            &allowlist,
            &[
                "stale-allowlist server/src/gone.rs:0 no `clock` finding left here",
                "stale-allowlist server/src/worker/mod.rs:0 no `actix` finding left here",
            ],
        );
    }

    #[test]
    fn a_failure_names_the_rule_the_place_and_the_fix() {
        let files = [SourceFile {
            path: "server/src/store/lookup.rs".into(),
            text: "\nlet at = Instant::now();\n".into(),
        }];
        let got: Vec<String> = super::check(&files, &[])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            ["tidy: rule `clock` broken at server/src/store/lookup.rs:2: `Instant::now`\n    \
              rule: only the clock module reads the time; everything else gets `now` from the app clock\n    \
              fix:  take `now: Millis` as an argument or call `App::now()` / `Clock::now_ms()`; for a wall-time IO deadline add an `ALLOWLIST` entry with its reason"]
        );
    }

    /// The repository itself: every rule holds on main.
    #[test]
    fn the_tree_is_tidy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new(".."));
        if let Err(report) = run(root) {
            panic!("{report}");
        }
    }
}
