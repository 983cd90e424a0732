//! Small string helpers shared by the classifiers: unfolding, HTML stripping, address and
//! status-code scanning, and cutting a body where the quoted original starts. No policy here.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Unfolds a raw header value (RFC 5322 folding) and trims it.
pub(crate) fn unfold(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut last_space = false;
    for c in v.chars() {
        let c = if c == '\r' || c == '\n' || c == '\t' {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim().to_string()
}

pub(crate) fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The longest prefix of `s` of at most `n` bytes that ends on a char boundary.
pub(crate) fn prefix(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Removes tags, and decodes the few entities that matter for phrase matching.
pub(crate) fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c)
}

fn is_domain_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_'
}

/// Every syntactically plausible address in `s`, lower-cased, in order of appearance.
pub(crate) fn addresses(s: &str) -> Vec<(usize, String)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'@') {
        let at = i + off;
        let mut start = at;
        while start > 0 && is_local_char(b[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && is_domain_char(b[end]) {
            end += 1;
        }
        // Trim trailing dots/dashes of the domain and leading dots of the local part.
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        // ... but keep an RFC 2047 encoded-word local part (`=?utf-8?b?...?=@host`).
        while start < at
            && (matches!(b[start], b'.' | b'\'')
                || (b[start] == b'=' && b.get(start + 1) != Some(&b'?')))
        {
            start += 1;
        }
        let domain = &s[at + 1..end];
        if start < at && domain.contains('.') && !domain.starts_with('.') {
            out.push((start, s[start..end].to_ascii_lowercase()));
        }
        i = end.max(at + 1);
    }
    out
}

/// RFC 3463 enhanced status codes (`5.1.1`) in `s`, with their byte offsets.
pub(crate) fn status_codes(s: &str) -> Vec<(usize, String)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 5 <= b.len() {
        let c = b[i];
        let prev_ok = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.');
        if prev_ok && matches!(c, b'2' | b'4' | b'5') && b[i + 1] == b'.' {
            let mut j = i + 2;
            let d1 = digits(b, &mut j);
            if (1..=3).contains(&d1) && j < b.len() && b[j] == b'.' {
                j += 1;
                let d2 = digits(b, &mut j);
                let next_ok = j >= b.len()
                    || !(b[j].is_ascii_alphanumeric()
                        || b[j] == b'.' && j + 1 < b.len() && b[j + 1].is_ascii_digit());
                if (1..=3).contains(&d2) && next_ok {
                    out.push((i, s[i..j].to_string()));
                    i = j;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

fn digits(b: &[u8], j: &mut usize) -> usize {
    let start = *j;
    while *j < b.len() && b[*j].is_ascii_digit() {
        *j += 1;
    }
    *j - start
}

/// Lines that start the quoted or attached original message in a plain-text body.
static ORIGINAL_MARKERS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "this is a copy of the message",
            "below this line is a copy of the message",
            "original message follows",
            "----- original message -----",
            "-----original message-----",
            "------ original message ------",
            "--- original message ---",
            "unsent message below",
            "------ received: from",
            "---- the header of the original message",
            "the original message headers",
            "original message headers:",
            "-- the header and top",
            "------- returned message",
            "--- begin forwarded message",
            "content-type: message/rfc822",
            "\n> ",
            "\n>\n",
            "----- message text follows -----",
            "\nreceived: from ",
        ])
        .ok()
});

/// `body` up to the first marker of a quoted/attached original, if any.
pub(crate) fn cut_original(body: &str) -> &str {
    match ORIGINAL_MARKERS.as_ref().and_then(|ac| ac.find(body)) {
        Some(m) if m.start() > 0 => &body[..m.start()],
        _ => body,
    }
}

/// Local parts that belong to mail systems, never to a person who could have failed.
pub(crate) fn is_system_local(local: &str) -> bool {
    let l = local.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "mailer-daemon"
            | "postmaster"
            | "post_master"
            | "mailerdaemon"
            | "mail-daemon"
            | "root"
            | "daemon"
    ) || l.starts_with("mailer-daemon")
        || l.starts_with("postmaster")
        || l.contains("bounce")
        || l == "noreply"
        || l == "no-reply"
}

/// `needle` (ASCII, lower case) occurs in `hay`, ignoring ASCII case. No allocation.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    if n.is_empty() {
        return true;
    }
    let first = n[0];
    let b = hay.as_bytes();
    b.len() >= n.len()
        && (0..=b.len() - n.len()).any(|i| {
            b[i].to_ascii_lowercase() == first && b[i..i + n.len()].eq_ignore_ascii_case(n)
        })
}

/// `s` starts with `prefix` (ASCII), ignoring ASCII case.
pub(crate) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}
