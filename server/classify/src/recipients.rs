//! Failed recipients of a bounce that has no usable delivery-status part: `X-Failed-Recipients`,
//! then the addresses the human-readable text names (qmail `<addr>:`, Exim indented lines,
//! Sendmail `... User unknown`, "delivery to the following recipients failed", ...), then the
//! `To` of the embedded original.

use crate::doc::Doc;
use crate::text;

/// Lower-cased, de-duplicated failed recipients, best guess first.
pub(crate) fn from_text(doc: &Doc, human: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(v) = doc.header("x-failed-recipients") {
        for (_, a) in text::addresses(v) {
            push(&mut out, a);
        }
        if !out.is_empty() {
            return out;
        }
    }
    let from_domain = doc
        .from
        .as_deref()
        .and_then(|f| f.rsplit_once('@'))
        .map(|(_, d)| d);
    let excluded = |a: &str| -> bool {
        let local = a.split('@').next().unwrap_or_default();
        text::is_system_local(local)
            || doc.from.as_deref() == Some(a)
            || doc.to.iter().any(|t| t == a)
            || a.contains("..")
    };
    // A line that is nothing but the address (`<addr>:`, `addr:`, `<addr>`) is a failure list
    // entry (qmail, Exim, Sendmail): it names the failed recipient even when that address is
    // also the bounce's own To or a role address of another host (`postmaster@mx.example`).
    let listed = |pos: usize, a: &str| -> bool {
        let own = doc.from.as_deref() == Some(a)
            || (text::is_system_local(a.split('@').next().unwrap_or_default())
                && a.rsplit_once('@').map(|(_, d)| d) == from_domain);
        !own && (alone_on_line(human, pos, a.len())
            || (!doc.to.iter().any(|t| t == a) && looks_like_recipient_line(human, pos)))
    };
    let candidates: Vec<(usize, String)> = text::addresses(human)
        .into_iter()
        .filter(|(pos, a)| !excluded(a) || listed(*pos, a))
        .collect();
    // Prefer addresses written as a recipient would be: `<addr>`, at a line start, or after
    // "to"/"recipient".
    for (pos, a) in &candidates {
        if looks_like_recipient_line(human, *pos) {
            push(&mut out, a.clone());
        }
    }
    if out.is_empty() {
        if let Some((_, a)) = candidates.first() {
            push(&mut out, a.clone());
        }
    }
    if out.is_empty() {
        if let Some(a) = embedded_to(&doc.embedded).or_else(|| embedded_to(human)) {
            if !excluded(&a) {
                push(&mut out, a);
            }
        }
    }
    out
}

fn push(out: &mut Vec<String>, a: String) {
    if !out.contains(&a) {
        out.push(a);
    }
}

/// The address at `pos` is written on a line of its own or as the subject of a diagnostic.
fn looks_like_recipient_line(s: &str, pos: usize) -> bool {
    let line_start = s[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = s[line_start..pos].trim();
    let before_l = before.to_ascii_lowercase();
    let bare = before.is_empty() || before == "<" || before == "\"" || before == "'";
    // Sendmail transcript lines: `554 <user@host>... 550 Host unknown`.
    let code = before.trim_end_matches('<').trim_end();
    let reply_code = code.len() == 3
        && matches!(code.as_bytes()[0], b'4' | b'5')
        && code.bytes().all(|b| b.is_ascii_digit());
    bare || reply_code
        || before_l.ends_with("to:")
        || before_l.ends_with("to: <")
        || before_l.ends_with("to <")
        || before_l.ends_with("recipient:")
        || before_l.ends_with("recipient: <")
        || before_l.ends_with("rcpt to:<")
        || before_l.ends_with("rcpt to: <")
        || before_l.ends_with("rcpt to:")
        || before_l.ends_with("address:")
        || before_l.ends_with("addressed to")
        || before_l.ends_with("delivery to")
        || before_l.ends_with("<<< 550")
        || before_l.ends_with("mailbox")
        || before_l.ends_with("user")
        || before_l.ends_with("recipient")
        || before_l.ends_with("recipients:")
        || before_l.starts_with("final-recipient")
        || before_l.starts_with("original-recipient")
        || before_l.ends_with("following address(es):")
        || before_l.ends_with("for")
        || before_l.ends_with("for <")
}

/// The address at `pos` (`len` bytes) is alone on its line, bar `<>`, a trailing `:` and space.
fn alone_on_line(s: &str, pos: usize, len: usize) -> bool {
    let line_start = s[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = s[pos..].find('\n').map(|i| pos + i).unwrap_or(s.len());
    let before = s[line_start..pos].trim();
    let after = s.get(pos + len..line_end).unwrap_or_default().trim();
    matches!(before, "" | "<") && matches!(after, "" | ":" | ">" | ">:")
}

/// The `To:` of an embedded original's header block.
fn embedded_to(s: &str) -> Option<String> {
    for line in s.lines() {
        let l = line.trim_start();
        if l.len() > 3 && l.get(..3).is_some_and(|h| h.eq_ignore_ascii_case("to:")) {
            return text::addresses(l).into_iter().next().map(|(_, a)| a);
        }
    }
    None
}
