//! Subject normalisation for correlation: strips reply/forward prefixes in many languages
//! (`Re:`, `Fwd:`, `AW:`, `SV:`, `Antw:`, `回复:` ...), bracketed counters (`Re[2]:`),
//! auto-reply prefixes, surrounding whitespace, and case.

/// Prefixes (lower-case, without the colon) that a client adds in front of the original subject.
const PREFIXES: &[&str] = &[
    "re",
    "fw",
    "fwd",
    "aw",
    "wg",
    "sv",
    "vs",
    "vb",
    "antw",
    "doorst",
    "tr",
    "rv",
    "ref",
    "rif",
    "i",
    "r",
    "res",
    "enc",
    "odp",
    "pd",
    "fs",
    "vl",
    "ynt",
    "atb",
    "pārs",
    "返信",
    "回复",
    "回覆",
    "转发",
    "轉寄",
    "답장",
    "전달",
    "automatic reply",
    "auto reply",
    "autoreply",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "resposta automática",
    "risposta automatica",
    "automatisch antwoord",
    "automatiskt svar",
    "autosvar",
    "automaattinen vastaus",
    "odpowiedź automatyczna",
    "out of office",
    "abwesenheitsnotiz",
    "自動応答",
    "自动回复",
];

/// Normalised subject: no reply/forward prefixes, single spaces, lower case.
pub fn normalize_subject(s: &str) -> String {
    let mut rest = s.trim();
    loop {
        let before = rest;
        rest = strip_one(rest).trim_start();
        if rest.len() == before.len() {
            break;
        }
    }
    rest.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn strip_one(s: &str) -> &str {
    if let Some(inner) = s.strip_prefix('[') {
        // "[External] Re: ..." style tags are kept; only counters like "[2]" go.
        if let Some(end) = inner.find(']') {
            if inner[..end].chars().all(|c| c.is_ascii_digit()) {
                return &inner[end + 1..];
            }
        }
    }
    let Some(colon) = s.find([':', '：']) else {
        return s;
    };
    let head = s[..colon].trim();
    let colon_len = s[colon..].chars().next().map(char::len_utf8).unwrap_or(1);
    // Re[2] / Re(2) / Re^2 counters.
    let word = head
        .trim_end_matches(|c: char| c.is_ascii_digit() || "[]()^*".contains(c))
        .trim()
        .to_lowercase();
    if PREFIXES.contains(&word.as_str()) {
        &s[colon + colon_len..]
    } else {
        s
    }
}
