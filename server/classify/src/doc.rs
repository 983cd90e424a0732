//! One parse of a raw message into the plain views every classifier reads: unfolded top-level
//! headers, the human-readable body, machine-readable report parts (delivery-status, feedback,
//! disposition) and the embedded original's headers. Owns all use of `mail-parser` except
//! `meta`; nothing here decides a class.

use chrono::{DateTime, FixedOffset};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use crate::text;

/// Bodies longer than this are cut before phrase scanning: diagnostics live at the top.
const MAX_BODY: usize = 64 * 1024;

pub(crate) struct Doc {
    /// Top-level headers: lower-case name, unfolded raw value.
    pub headers: Vec<(String, String)>,
    /// Decoded subject.
    pub subject: String,
    /// Lower-cased sender address.
    pub from: Option<String>,
    /// Sender display name.
    pub from_name: String,
    /// Lower-cased To/Cc addresses of this message.
    pub to: Vec<String>,
    pub date: Option<DateTime<FixedOffset>>,
    /// `report-type` parameter of a top-level multipart/report.
    pub report_type: Option<String>,
    /// Human-readable text (text/plain parts; stripped HTML when there is no plain text).
    pub body: String,
    /// Contents of message/delivery-status and message/feedback-report parts.
    pub dsn: String,
    pub has_dsn_part: bool,
    pub has_arf_part: bool,
    pub has_mdn: bool,
    /// Headers of the embedded original (message/rfc822 or text/rfc822-headers parts).
    pub embedded: String,
    /// Where the first embedded message (message/rfc822, top level only) lies, parsed on demand
    /// by [`Doc::wrapped`]: gateways (InterScan, IronPort) wrap the bounce they got from the next
    /// hop in a notice of their own that says only "could not be delivered".
    wrapped: Option<Wrapped>,
}

impl Doc {
    /// `None` when the bytes hold no header at all.
    pub fn parse(raw: &[u8]) -> Option<Doc> {
        let msg = parse_message(raw)?;
        Doc::from_message(&msg, raw, true)
    }

    /// `raw`: the message's bytes (read as text when its MIME structure is broken);
    /// `outer`: keep the first embedded message for [`Doc::wrapped`] (one level deep).
    fn from_message(msg: &Message<'_>, raw: &[u8], outer: bool) -> Option<Doc> {
        if msg.headers().is_empty() {
            return None;
        }
        let mut doc = Doc {
            headers: msg
                .headers_raw()
                .map(|(n, v)| (n.to_ascii_lowercase(), text::unfold(v)))
                .collect(),
            subject: msg.subject().unwrap_or_default().trim().to_string(),
            from: None,
            from_name: String::new(),
            to: Vec::new(),
            date: msg.date().and_then(to_chrono),
            report_type: None,
            body: String::new(),
            dsn: String::new(),
            has_dsn_part: false,
            has_arf_part: false,
            has_mdn: false,
            embedded: String::new(),
            wrapped: None,
        };
        if let Some(addr) = msg.from().and_then(|a| a.first()) {
            doc.from = addr.address().map(str::to_lowercase);
            doc.from_name = addr.name().unwrap_or_default().to_string();
        }
        for a in msg.to().into_iter().chain(msg.cc()).flat_map(|a| a.iter()) {
            if let Some(x) = a.address() {
                doc.to.push(x.to_lowercase());
            }
        }
        if let Some(ct) = msg.root_part().content_type() {
            if ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            {
                doc.report_type = ct.attribute("report-type").map(|s| s.to_ascii_lowercase());
            }
        }
        doc.collect_parts(msg, raw, outer);
        if doc.body.trim().is_empty() && doc.dsn.is_empty() {
            // A broken MIME structure (e.g. a `boundary=` parameter written on its own,
            // unfolded line) leaves no readable part: read the raw body as text instead.
            let start = text::find_bytes(raw, b"\n\r\n")
                .map(|i| i + 3)
                .or_else(|| text::find_bytes(raw, b"\n\n").map(|i| i + 2));
            if let Some(start) = start {
                let end = raw.len().min(start + MAX_BODY);
                doc.body = String::from_utf8_lossy(&raw[start..end]).into_owned();
            }
        }
        Some(doc)
    }

    fn collect_parts(&mut self, msg: &Message<'_>, whole: &[u8], outer: bool) {
        let mut html = String::new();
        for part in &msg.parts {
            let (ctype, sub) = part
                .content_type()
                .map(|c| {
                    (
                        c.ctype().to_ascii_lowercase(),
                        c.subtype().unwrap_or_default().to_ascii_lowercase(),
                    )
                })
                .unwrap_or_else(|| ("text".into(), "plain".into()));
            match &part.body {
                PartType::Text(t) if sub == "rfc822-headers" => self.embedded.push_str(t),
                PartType::Text(t) if ctype == "message" => self.add_report(&sub, t),
                PartType::Text(t) => push_capped(&mut self.body, t),
                PartType::Html(h) => push_capped(&mut html, h),
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    let t = String::from_utf8_lossy(b);
                    if ctype == "message" || sub.contains("delivery-status") {
                        self.add_report(&sub, &t);
                    } else if sub == "rfc822-headers" {
                        self.embedded.push_str(&t);
                    }
                }
                PartType::Message(m) => {
                    let raw = m.raw_message();
                    if outer && self.wrapped.is_none() {
                        self.wrapped = Some(Wrapped::within(whole, raw));
                    }
                    let end = text::find_bytes(raw, b"\n\r\n")
                        .or_else(|| text::find_bytes(raw, b"\n\n"))
                        .unwrap_or(raw.len().min(MAX_BODY));
                    self.embedded
                        .push_str(&String::from_utf8_lossy(&raw[..end.min(raw.len())]));
                    self.embedded.push('\n');
                }
                PartType::Multipart(_) => {}
            }
        }
        if self.body.trim().is_empty() && !html.is_empty() {
            self.body = text::strip_html(&html);
        }
    }

    fn add_report(&mut self, sub: &str, t: &str) {
        match sub {
            "delivery-status" | "global-delivery-status" => self.has_dsn_part = true,
            "feedback-report" => self.has_arf_part = true,
            "disposition-notification" => self.has_mdn = true,
            _ => {
                self.embedded.push_str(t);
                return;
            }
        }
        push_capped(&mut self.dsn, t);
        self.dsn.push('\n');
    }

    /// The first embedded message, parsed (its own embedded messages are not kept: one level
    /// deep). `raw`: the bytes this document was parsed from.
    pub fn wrapped(&self, raw: &[u8]) -> Option<Doc> {
        let raw = match self.wrapped.as_ref()? {
            Wrapped::At(range) => raw.get(range.clone())?,
            Wrapped::Owned(bytes) => bytes.as_slice(),
        };
        let msg = parse_message(raw)?;
        Doc::from_message(&msg, raw, false)
    }

    /// First value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `Return-Path` is the null path `<>`.
    pub fn null_return_path(&self) -> bool {
        self.header("return-path")
            .is_some_and(|v| v.trim() == "<>" || v.trim().is_empty())
    }

    /// Local part of the sender, lower-cased ("mailer-daemon").
    pub fn sender_local(&self) -> &str {
        self.from
            .as_deref()
            .and_then(|f| f.split('@').next())
            .unwrap_or_default()
    }
}

/// An embedded message: a range of the bytes the document was parsed from (the usual case, no
/// copy on the classification path), or its own bytes when the parser decoded it (a base64 or
/// quoted-printable message/rfc822 part).
enum Wrapped {
    At(std::ops::Range<usize>),
    Owned(Vec<u8>),
}

impl Wrapped {
    fn within(whole: &[u8], part: &[u8]) -> Wrapped {
        let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        if start <= whole.len() && part.len() <= whole.len() - start {
            Wrapped::At(start..start + part.len())
        } else {
            Wrapped::Owned(part.to_vec())
        }
    }
}

/// `mail-parser` never panics in release builds, but one `debug_assert!` in its multipart code
/// fires on some malformed input (found by the robustness test). Contain it: a message the
/// parser cannot handle is a parse error, never a crash.
pub(crate) fn parse_message(raw: &[u8]) -> Option<Message<'_>> {
    let raw = skip_blank_lines(raw);
    std::panic::catch_unwind(|| MessageParser::default().parse(raw))
        .ok()
        .flatten()
}

/// Some stored messages start with whitespace-only lines, which end the header block at once.
pub(crate) fn skip_blank_lines(raw: &[u8]) -> &[u8] {
    let mut rest = raw;
    while let Some(nl) = rest.iter().position(|&c| c == b'\n') {
        if rest[..nl].iter().all(|c| c.is_ascii_whitespace()) {
            rest = &rest[nl + 1..];
        } else {
            break;
        }
    }
    rest
}

fn push_capped(dst: &mut String, src: &str) {
    if dst.len() >= MAX_BODY {
        return;
    }
    let room = MAX_BODY - dst.len();
    dst.push_str(text::prefix(src, room));
    dst.push('\n');
}

fn to_chrono(d: &mail_parser::DateTime) -> Option<DateTime<FixedOffset>> {
    let secs = (d.tz_hour as i32) * 3600 + (d.tz_minute as i32) * 60;
    let off = FixedOffset::east_opt(if d.tz_before_gmt { -secs } else { secs })?;
    DateTime::from_timestamp(d.to_timestamp(), 0).map(|u| u.with_timezone(&off))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 7bit message/rfc822 part is kept as a range of the input, not copied, and parses back.
    #[test]
    fn an_embedded_message_is_a_range_of_the_input() {
        let raw = b"From: postmaster@gw.example\r\nSubject: Undeliverable\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
Could not be delivered.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\
From: MAILER-DAEMON@mx.example\r\nSubject: Returned mail\r\n\r\nUser unknown\r\n--b--\r\n";
        let doc = Doc::parse(raw).unwrap();
        assert!(matches!(doc.wrapped, Some(Wrapped::At(_))));
        let inner = doc.wrapped(raw).unwrap();
        assert_eq!(inner.subject, "Returned mail");
    }
}
