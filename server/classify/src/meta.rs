//! Correlation metadata of a message: its own id, the ids it replies to, Exchange's parent ids,
//! and the ids of an original message embedded in a bounce (message/rfc822,
//! text/rfc822-headers, or headers quoted in the body). `Thread-Index` is not an id and is
//! ignored.

use chrono::{DateTime, Utc};
use mail_parser::{HeaderValue, Message, PartType};
use serde::Serialize;

use crate::normalize_subject;

/// What the server needs to tie a message to an enrollment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MessageMeta {
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Lower-cased sender address.
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Decoded subject as written (see [`normalize_subject`] for matching).
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// `X-MS-Exchange-Parent-Message-Id`, `X-Original-Message-ID` and similar.
    pub exchange_parent_ids: Vec<String>,
    /// Message-IDs of the original message embedded in a bounce.
    pub embedded_message_ids: Vec<String>,
}

impl MessageMeta {
    /// The normalised subject, for the sender-plus-subject fallback.
    pub fn normalized_subject(&self) -> String {
        normalize_subject(&self.subject)
    }
}

const PARENT_HEADERS: &[&str] = &[
    "x-ms-exchange-parent-message-id",
    "x-original-message-id",
    "x-ms-exchange-organization-original-message-id",
    "original-message-id",
    "x-original-messageid",
];

/// Reads the correlation metadata; never panics. Unparseable input gives an empty meta.
pub fn parse_meta(raw: &[u8]) -> MessageMeta {
    let Some(msg) = crate::doc::parse_message(raw) else {
        return MessageMeta::default();
    };
    let mut meta = MessageMeta {
        message_id: msg.message_id().map(clean_id),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        from: msg
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_lowercase),
        to: addrs(msg.to()),
        cc: addrs(msg.cc()),
        subject: msg.subject().unwrap_or_default().trim().to_string(),
        date: msg
            .date()
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        ..Default::default()
    };
    for (name, value) in msg.headers_raw() {
        if PARENT_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            push_ids(&mut meta.exchange_parent_ids, value);
        }
    }
    embedded_ids(&msg, &mut meta.embedded_message_ids);
    if let Some(own) = &meta.message_id {
        meta.embedded_message_ids.retain(|i| i != own);
    }
    meta
}

fn addrs(a: Option<&mail_parser::Address<'_>>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| x.address().map(str::to_lowercase))
            .collect()
    })
    .unwrap_or_default()
}

fn clean_id(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(l) => l.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
}

/// `<id>` tokens in a raw header value, or the bare value.
fn push_ids(out: &mut Vec<String>, value: &str) {
    let mut found = false;
    let mut rest = value;
    while let Some(a) = rest.find('<') {
        let Some(b) = rest[a..].find('>') else { break };
        let id = clean_id(&rest[a + 1..a + b]);
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
        found = true;
        rest = &rest[a + b + 1..];
    }
    let bare = clean_id(value);
    if !found && !bare.is_empty() && !bare.contains(char::is_whitespace) && !out.contains(&bare) {
        out.push(bare);
    }
}

fn embedded_ids(msg: &Message<'_>, out: &mut Vec<String>) {
    for part in &msg.parts {
        match &part.body {
            PartType::Message(m) => {
                if let Some(id) = m.message_id() {
                    let id = clean_id(id);
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
            }
            PartType::Text(t) => quoted_ids(t, out),
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                quoted_ids(&String::from_utf8_lossy(b), out)
            }
            _ => {}
        }
    }
}

/// `Message-ID: <...>` lines quoted in a text body (non-MIME bounces, rfc822-headers parts).
fn quoted_ids(t: &str, out: &mut Vec<String>) {
    for line in t.lines() {
        let l = line.trim_start();
        if let (Some(head), Some(rest)) = (l.get(..11), l.get(11..)) {
            if head.eq_ignore_ascii_case("message-id:") {
                push_ids(out, rest);
            }
        }
    }
}
