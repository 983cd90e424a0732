//! Bounded, header-safe text: every user-supplied string is parsed here once, at the edge, so
//! nothing stored can break an email header (a CR/LF in a sender name once made the mail builder
//! panic) or hide its meaning (bidirectional overrides, invisible format characters).
//!
//! Input with a forbidden character is **refused**, never silently stripped: the API answers 400
//! `invalid_characters` naming the field and the character, and `field_too_long` for length.
//! Characters are checked *before* trimming, so `"Ana\r\n"` is refused rather than quietly fixed.

use std::fmt;

/// Names: user display names, contact first/last names, titles, company and sequence names.
pub const NAME_MAX: usize = 200;
/// A step's subject template (emails) or task title.
pub const SUBJECT_MAX: usize = 500;
/// A step's body template or task notes.
pub const BODY_MAX: usize = 100_000;
/// An email address (RFC 5321 path limit), counted in bytes.
pub const EMAIL_MAX: usize = 254;
/// A company domain (DNS name limit).
pub const DOMAIN_MAX: usize = 253;
/// Entries in a list field (a contact's secondary emails, a company's domains).
pub const LIST_MAX: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} is longer than {max} characters")]
    TooLong { field: String, max: usize },
    #[error("{field} has more than {max} entries")]
    TooMany { field: String, max: usize },
    #[error("{field} must not contain {what} (U+{code:04X})")]
    InvalidCharacters {
        field: String,
        what: &'static str,
        code: u32,
    },
}

/// What makes `c` unacceptable in one line of header text, if anything.
fn header_unsafe(c: char) -> Option<&'static str> {
    match c {
        '\r' | '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}' => Some("a line break"),
        '\0' => Some("a NUL character"),
        c if c.is_control() => Some("a control character"),
        c if is_bidi_control(c) => Some("a bidirectional control character"),
        c if is_invisible_format(c) => Some("an invisible format character"),
        _ => None,
    }
}

/// What makes `c` unacceptable in multi-line text (bodies), if anything: line breaks and tabs
/// are fine there, other controls are not (NUL is also refused by PostgreSQL's text type).
fn body_unsafe(c: char) -> Option<&'static str> {
    match c {
        '\r' | '\n' | '\t' => None,
        '\0' => Some("a NUL character"),
        c if c.is_control() && (c as u32) < 0x80 => Some("a control character"),
        _ => None,
    }
}

/// Embeddings, overrides, isolates and marks that reorder how text is displayed.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Format characters with no legitimate use in a name or subject line.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{180E}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Refuses `input` for its first unsafe character, then `kept` (what will be stored) for length.
fn check(
    field: &str,
    input: &str,
    kept: &str,
    max: usize,
    unsafe_char: fn(char) -> Option<&'static str>,
) -> Result<(), TextError> {
    if let Some((c, what)) = input.chars().find_map(|c| unsafe_char(c).map(|w| (c, w))) {
        return Err(TextError::InvalidCharacters {
            field: field.to_string(),
            what,
            code: c as u32,
        });
    }
    if kept.chars().count() > max {
        return Err(TextError::TooLong {
            field: field.to_string(),
            max,
        });
    }
    Ok(())
}

/// One line of text that can go into an email header as it is: trimmed, at most `max`
/// characters, no line breaks, controls, bidirectional controls or invisible format characters.
/// May be empty (callers that need a value check `is_empty`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HeaderText(String);

impl HeaderText {
    pub fn parse(field: &str, input: &str, max: usize) -> Result<HeaderText, TextError> {
        let kept = input.trim();
        check(field, input, kept, max, header_unsafe)?;
        Ok(HeaderText(kept.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for HeaderText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Multi-line text (a body or notes), kept as written: at most `max` characters, no NUL or other
/// C0 control besides tab, CR and LF.
pub fn body_text(field: &str, input: &str, max: usize) -> Result<String, TextError> {
    check(field, input, input, max, body_unsafe)?;
    Ok(input.to_string())
}

/// Refuses a list field with more than [`LIST_MAX`] entries.
pub fn list_len<T>(field: &str, items: &[T]) -> Result<(), TextError> {
    if items.len() > LIST_MAX {
        return Err(TextError::TooMany {
            field: field.to_string(),
            max: LIST_MAX,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Ok(trimmed)`, or the error's first word (`long`, `chars`).
    fn check_header(input: &str, expected: Result<&str, &str>) {
        let got = HeaderText::parse("name", input, 10).map(HeaderText::into_string);
        let got = got.map_err(|e| match e {
            TextError::TooLong { .. } | TextError::TooMany { .. } => "long",
            TextError::InvalidCharacters { .. } => "chars",
        });
        assert_eq!(got, expected.map(str::to_string), "input {input:?}");
    }

    #[test]
    fn header_text_refuses_every_kind_of_unsafe_character_and_overlong_input() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("  Åse Øde ", Ok("Åse Øde")),
            ("דנה כהן", Ok("דנה כהן")),
            ("éééééééééé", Ok("éééééééééé")),
            ("O'Brien", Ok("O'Brien")),
            ("李小龍", Ok("李小龍")),
            ("", Ok("")),
            ("0123456789", Ok("0123456789")),
            ("0123456789x", Err("long")),
            ("   0123456789   ", Ok("0123456789")),
            ("Ana\r", Err("chars")),
            ("Ana\n", Err("chars")),
            ("Ana\r\nBcc: x", Err("chars")),
            ("A\0na", Err("chars")),
            ("A\tna", Err("chars")),
            ("A\u{7f}na", Err("chars")),
            ("A\u{85}na", Err("chars")),
            ("A\u{9b}na", Err("chars")),
            ("A\u{2028}na", Err("chars")),
            ("A\u{2029}na", Err("chars")),
            ("A\u{202E}na", Err("chars")),
            ("A\u{202A}na", Err("chars")),
            ("A\u{2066}na", Err("chars")),
            ("A\u{2069}na", Err("chars")),
            ("A\u{200F}na", Err("chars")),
            ("A\u{061C}na", Err("chars")),
            ("A\u{FEFF}na", Err("chars")),
            ("A\u{2060}na", Err("chars")),
        ];
        for (input, expected) in cases {
            check_header(input, *expected);
        }
    }

    #[test]
    fn errors_name_the_field_and_the_character() {
        let e = HeaderText::parse("first_name", "a\u{202E}b", 200).unwrap_err();
        assert_eq!(
            e.to_string(),
            "first_name must not contain a bidirectional control character (U+202E)"
        );
        let e = HeaderText::parse("subject", "a\r\nb", 200).unwrap_err();
        assert_eq!(
            e.to_string(),
            "subject must not contain a line break (U+000D)"
        );
    }

    #[test]
    fn bodies_keep_line_breaks_and_refuse_nul_and_other_controls() {
        assert_eq!(
            body_text("body", "Hi\r\n\tthere\n", 100).as_deref(),
            Ok("Hi\r\n\tthere\n")
        );
        assert!(body_text("body", "Hi\0", 100).is_err());
        assert!(body_text("body", "Hi\u{1b}[31m", 100).is_err());
        assert!(body_text("body", "Hi", 1).is_err());
    }
}
