//! `EmailAddress`: parsed once at the edge, normalized (trimmed, lower-cased), then trusted.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("'{0}' is not a valid email address")]
    Invalid(String),
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
        let invalid = || EmailError::Invalid(input.trim().chars().take(200).collect());
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') || local.contains("..") {
            return Err(invalid());
        }
        if local.starts_with('.')
            || local.ends_with('.')
            || local.contains(['<', '>', ',', ';', '"'])
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
        Ok(EmailAddress(trimmed.to_lowercase()))
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
}
