//! The inbound-mail CLI commands, callable from `main.rs` and from tests:
//! `sequencer classify FILE...` (one JSON object per file) and `sequencer ingest
//! FILE.eml|MAILDIR` (process messages as if they had arrived through a mailbox). The corpora
//! evaluation figures are a dev tool of the classifier crate, not of this binary:
//! `cargo run -p sequencer-classify --features eval --example eval`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::AccountId;
use crate::service::{App, InboundOutcome, Result};

/// The line `sequencer classify` prints for one file (fields in the documented order).
#[derive(Debug, Serialize)]
struct ClassifyLine<'a> {
    file: &'a str,
    class: &'static str,
    failed_recipients: &'a [String],
    return_date: Option<String>,
    signals: &'a [String],
}

/// Classifies one file: `{"file", "class", "failed_recipients", "return_date", "signals"}`.
/// An unreadable file is classified as empty input (`unknown`).
pub fn classify_json(path: &Path) -> String {
    let raw = std::fs::read(path).unwrap_or_default();
    let c = sequencer_classify::classify(&raw);
    let line = ClassifyLine {
        file: &path.display().to_string(),
        class: c.class.as_str(),
        failed_recipients: &c.failed_recipients,
        return_date: c.return_date.map(|d| d.format("%Y-%m-%d").to_string()),
        signals: &c.signals,
    };
    serde_json::to_string(&line).unwrap_or_else(|_| "{}".to_string())
}

/// `.eml` files to ingest: the file itself, or every regular file of a Maildir (`new/`, `cur/`)
/// or plain directory, in name order.
pub fn message_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut dirs = vec![path.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let p = entry?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_dir() && name != "tmp" {
                dirs.push(p);
            } else if p.is_file() && !name.starts_with('.') && !name.starts_with("dovecot") {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Processes every message at `path` for `account`; one outcome per file, in order.
pub async fn ingest(
    app: &App,
    account: AccountId,
    mailbox: Option<i64>,
    path: &Path,
) -> Result<Vec<(PathBuf, InboundOutcome)>> {
    let files = message_files(path).map_err(|e| {
        crate::service::ServiceError::Validation(format!("{}: {e}", path.display()))
    })?;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let raw = std::fs::read(&f).map_err(|e| {
            crate::service::ServiceError::Validation(format!("{}: {e}", f.display()))
        })?;
        let outcome = app.handle_inbound(account, mailbox, &raw).await?;
        out.push((f, outcome));
    }
    Ok(out)
}

/// One human-readable line per ingested file.
pub fn describe(file: &Path, o: &InboundOutcome) -> String {
    let what = if o.duplicate {
        "duplicate, skipped".to_string()
    } else if o.effects.is_empty() {
        "no effect".to_string()
    } else {
        o.effects.join("; ")
    };
    format!("{}: {} ({what})", file.display(), o.class)
}
