//! Pure classification of inbound mail: is a message a bounce (hard, soft, policy), a delay
//! notice, an out-of-office or other automatic reply, a "left the company" notice, a read
//! receipt, list mail or a human reply; which recipients failed; when an absent person is back.
//!
//! Invariants: no IO, no clock, no global mutable state (the phrase automatons are immutable
//! statics). [`classify`] and [`parse_meta`] never panic, whatever bytes they are given.
//! The only exception is the `eval` feature's [`eval`] module, which reads the labelled corpora.
//!
//! Module map: `doc` parses a message once into the text views the others read; `bounce`
//! (+ `dsn`, `recipients`, `reason`, `stage`, `listnotice`) owns delivery failures;
//! `autoreply` owns automatic replies;
//! `returndate` owns "when is the person back" (its vocabulary in `returndate_words`, date
//! arithmetic in `calendar`); `meta` owns correlation ids; `subject` owns subject
//! normalisation; `text` holds small string helpers and `matcher` the phrase-table automatons.
//! The leaf helpers (`text`, `matcher`, `calendar`) import no classifier, and no classifier
//! imports a sibling for a helper: besides the root's `Class` and `Classification`, imports
//! between modules form no cycle (`tests/module_graph.rs`).

mod autoreply;
mod bounce;
mod calendar;
mod doc;
mod dsn;
#[cfg(feature = "eval")]
pub mod eval;
mod listnotice;
mod matcher;
mod meta;
mod reason;
mod recipients;
mod returndate;
mod returndate_words;
mod stage;
mod subject;
mod text;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use meta::{parse_meta, MessageMeta};
pub use subject::normalize_subject;

/// What a message is, as far as an outreach sequence cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    HumanReply,
    Ooo,
    AutoReplyOther,
    LeftCompany,
    BounceHard,
    BounceSoft,
    BouncePolicy,
    DelayNotice,
    ReadReceipt,
    ListMail,
    Unknown,
}

impl Class {
    /// Any of the three bounce classes.
    pub fn is_bounce(self) -> bool {
        matches!(
            self,
            Class::BounceHard | Class::BounceSoft | Class::BouncePolicy
        )
    }

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::HumanReply => "human_reply",
            Class::Ooo => "ooo",
            Class::AutoReplyOther => "auto_reply_other",
            Class::LeftCompany => "left_company",
            Class::BounceHard => "bounce_hard",
            Class::BounceSoft => "bounce_soft",
            Class::BouncePolicy => "bounce_policy",
            Class::DelayNotice => "delay_notice",
            Class::ReadReceipt => "read_receipt",
            Class::ListMail => "list_mail",
            Class::Unknown => "unknown",
        }
    }
}

/// The result of [`classify`]: the class plus the evidence that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub class: Class,
    /// Lower-cased addresses that failed (bounces and delay notices only).
    pub failed_recipients: Vec<String>,
    /// First day the person is back (out-of-office only).
    pub return_date: Option<NaiveDate>,
    /// Machine-readable end of absence (Apple `X-Apple-Criteria endDate`), if any.
    pub return_at: Option<DateTime<Utc>>,
    /// Short stable names of what fired, e.g. `header:auto-submitted=auto-replied`.
    pub signals: Vec<String>,
    /// RFC 3463 enhanced status code of the failure, if one was found.
    pub bounce_status: Option<String>,
    /// The bytes could not be parsed as a message at all.
    pub parse_error: bool,
}

impl Classification {
    fn new(class: Class) -> Self {
        Classification {
            class,
            failed_recipients: Vec::new(),
            return_date: None,
            return_at: None,
            signals: Vec::new(),
            bounce_status: None,
            parse_error: false,
        }
    }
}

/// Classifies one raw RFC 5322 message. Precedence: bounce (and delay notice), then automatic
/// replies (out-of-office, left company, other), then read receipt, list mail, human reply.
pub fn classify(raw: &[u8]) -> Classification {
    let Some(doc) = doc::Doc::parse(raw) else {
        let mut c = Classification::new(Class::Unknown);
        c.parse_error = true;
        c.signals.push("parse:no-headers".into());
        return c;
    };
    if let Some(c) = bounce::classify(&doc, raw) {
        return c;
    }
    if let Some(c) = autoreply::classify(&doc) {
        return c;
    }
    let mut c = Classification::new(Class::HumanReply);
    if doc.report_type.as_deref() == Some("disposition-notification") || doc.has_mdn {
        c.class = Class::ReadReceipt;
        c.signals.push("mdn:disposition-notification".into());
    } else if let Some(sig) = autoreply::list_signal(&doc) {
        c.class = Class::ListMail;
        c.signals.push(sig);
    } else if doc.headers.is_empty() || (doc.subject.is_empty() && doc.from.is_none()) {
        c.class = Class::Unknown;
        c.signals.push("parse:no-sender-no-subject".into());
    }
    c
}
