//! `EmailAddress`: parsed once at the edge, normalized (trimmed, lower-cased), then trusted.
//! Every address `parse` accepts is also accepted by the mail library (`lettre::Address`), so a
//! stored address can always be written into a message: our rules are the stricter ones.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("'{0}' is not a valid email address")]
    Invalid(String),
    #[error("an email address has at most {max} characters")]
    TooLong { max: usize },
}

impl EmailAddress {
    /// Accepts `local@domain` with optional surrounding whitespace or angle brackets; lower-cases it.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        let invalid = || {
            EmailError::Invalid(
                input
                    .trim()
                    .chars()
                    .take(200)
                    .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
                    .collect(),
            )
        };
        if trimmed.len() > super::text::EMAIL_MAX {
            return Err(EmailError::TooLong {
                max: super::text::EMAIL_MAX,
            });
        }
        if trimmed.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || super::text::is_bidi_control(c)
                || c == '\u{FEFF}'
        }) {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') || local.contains("..") {
            return Err(invalid());
        }
        if local.starts_with('.')
            || local.ends_with('.')
            || local.contains(['<', '>', ',', ';', '"', '\\', '(', ')', '[', ']', ':'])
        {
            return Err(invalid());
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err(invalid());
        }
        let normalized = trimmed.to_lowercase();
        // What the mail library refuses (e.g. `a\b@x.com`) would fail every send: refuse it now.
        if normalized.parse::<lettre::Address>().is_err() {
            return Err(invalid());
        }
        Ok(EmailAddress(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    /// Wraps a value that was validated before it was stored.
    pub fn from_trusted(s: String) -> Self {
        EmailAddress(s)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, ()>) {
        let got = EmailAddress::parse(input).map(|e| e.0).map_err(|_| ());
        assert_eq!(got, expected.map(str::to_string), "input {input:?}");
    }

    #[test]
    fn addresses_are_normalized_or_rejected() {
        check("  Ana@Example.COM ", Ok("ana@example.com"));
        check("<bob@acme.io>", Ok("bob@acme.io"));
        check(
            "first.last+tag@sub.example.co.uk",
            Ok("first.last+tag@sub.example.co.uk"),
        );
        check("", Err(()));
        check("no-at-sign", Err(()));
        check("a@b", Err(()));
        check("a b@example.com", Err(()));
        check("a@@example.com", Err(()));
        check("a@example..com", Err(()));
        check(".a@example.com", Err(()));
        check("a@-example.com", Err(()));
    }

    #[test]
    fn addresses_the_mail_library_refuses_are_refused_before_they_are_stored() {
        for bad in [
            "a\\b@example.com",
            "\"a b\"@example.com",
            "a(comment)@example.com",
            "a:b@example.com",
            "a[b]@example.com",
            "a@example.com\r\nBcc: x@evil.example",
            "a\r\n@example.com",
            "a\0@example.com",
            "\u{202E}a@example.com",
            "a\u{2066}@example.com",
            "a@exa_mple.com",
        ] {
            check(bad, Err(()));
        }
        for good in [
            "o'brien@example.com",
            "a.b+c-d_e@example.co.uk",
            "x=y@example.com",
        ] {
            check(good, Ok(good));
            assert!(good.parse::<lettre::Address>().is_ok(), "{good}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            EmailAddress::parse(&long),
            Err(EmailError::TooLong { max: 254 })
        );
    }

    /// Every address we accept is one lettre accepts too, across a list of unusual shapes.
    #[test]
    fn every_accepted_address_is_accepted_by_the_mail_library() {
        let locals = [
            "a", "a.b", "a+b", "a_b", "a-b", "a'b", "a!b", "a#b", "a$b", "a%b", "a&b", "a*b",
            "a/b", "a=b", "a?b", "a^b", "a`b", "a{b}", "a|b", "a~b", "é", "ü.ö", "a\\b", "a\"b",
            "a b", "a(b)", "a[b]", "a:b", "a@b", "a..b",
        ];
        let domains = [
            "example.com",
            "xn--bcher-kva.example",
            "bücher.example",
            "a-b.example",
            "1.2.3.4",
            "[127.0.0.1]",
            "example",
        ];
        for l in locals {
            for d in domains {
                let input = format!("{l}@{d}");
                if let Ok(a) = EmailAddress::parse(&input) {
                    assert!(
                        a.as_str().parse::<lettre::Address>().is_ok(),
                        "{input} accepted here but refused by lettre"
                    );
                }
            }
        }
    }
}
