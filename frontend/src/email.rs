//! Recipient addresses, parsed once at the edge (a host) into types that cannot be wrong.

use std::fmt;

/// A syntactically plausible, trimmed, lower-cased address. The server normalizes again and stays
/// the authority; this only keeps junk (half-typed input) out of the hot path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim().trim_matches(|c| c == '<' || c == '>').trim();
        let (local, domain) = s.rsplit_once('@')?;
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c == ',' || c == ';' || c == '<' || c == '>');
        ok.then(|| EmailAddress(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which line of the message a recipient is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientField {
    To,
    Cc,
}

/// One recipient of the message being written, as a host reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: EmailAddress,
    /// The display name the mail client shows, when it has one.
    pub display_name: Option<String>,
    pub field: RecipientField,
}

/// Parses a free-text address line (`a@x.com, Bob <b@y.com>; c@z.org`), skipping anything that is
/// not an address yet (the user may still be typing).
pub fn parse_address_line(line: &str, field: RecipientField) -> Vec<Recipient> {
    line.split([',', ';', '\n'])
        .filter_map(|part| {
            let part = part.trim();
            let (name, addr) = match (part.find('<'), part.rfind('>')) {
                (Some(open), Some(close)) if open < close => (
                    part[..open].trim().trim_matches('"').trim(),
                    &part[open + 1..close],
                ),
                _ => ("", part),
            };
            let email = EmailAddress::parse(addr)?;
            let display_name = (!name.is_empty()).then(|| name.to_string());
            Some(Recipient {
                email,
                display_name,
                field,
            })
        })
        .collect()
}

/// To first, then Cc, each address once (its first occurrence wins).
pub fn merge_recipients(to: Vec<Recipient>, cc: Vec<Recipient>) -> Vec<Recipient> {
    let mut out: Vec<Recipient> = Vec::with_capacity(to.len() + cc.len());
    for r in to.into_iter().chain(cc) {
        if !out.iter().any(|o| o.email == r.email) {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: &[&str]) {
        let got: Vec<String> = parse_address_line(line, RecipientField::To)
            .into_iter()
            .map(|r| match r.display_name {
                Some(n) => format!("{n} <{}>", r.email),
                None => r.email.to_string(),
            })
            .collect();
        assert_eq!(got, expected, "parsing {line:?}");
    }

    #[test]
    fn address_lines_parse_into_lowercased_addresses() {
        check("", &[]);
        check("jane@acme.com", &["jane@acme.com"]);
        check(" Jane@Acme.COM , bob@x.io", &["jane@acme.com", "bob@x.io"]);
        check(
            "\"Jane Doe\" <jane@acme.com>; b@x.io",
            &["Jane Doe <jane@acme.com>", "b@x.io"],
        );
        check("<jane@acme.com>", &["jane@acme.com"]);
    }

    #[test]
    fn half_typed_addresses_are_skipped() {
        check("jane@", &[]);
        check("jane@acme", &[]);
        check("jane@acme.", &[]);
        check("jane acme.com", &[]);
        check("ok@a.io, nope, @b.io", &["ok@a.io"]);
    }

    #[test]
    fn to_comes_before_cc_and_duplicates_collapse() {
        let to = parse_address_line("a@x.io, b@x.io", RecipientField::To);
        let cc = parse_address_line("B@x.io, c@x.io", RecipientField::Cc);
        let merged = merge_recipients(to, cc);
        let got: Vec<_> = merged.iter().map(|r| (r.email.as_str(), r.field)).collect();
        assert_eq!(
            got,
            [
                ("a@x.io", RecipientField::To),
                ("b@x.io", RecipientField::To),
                ("c@x.io", RecipientField::Cc)
            ]
        );
    }
}
