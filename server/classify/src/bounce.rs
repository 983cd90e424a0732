//! Delivery failures: is this message a bounce or delay notice (RFC 3464 reports and the
//! non-standard formats of qmail, Exim, Postfix, Sendmail, Exchange, Gmail, Yahoo, Lotus, ...),
//! which recipients failed, with which status, and whether it is hard, soft or policy.
//! Also recognises ARF feedback reports and successful-delivery reports, which are not bounces.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use crate::doc::Doc;
use crate::dsn::{self, RecipientStatus};
use crate::matcher::{build, hit};
use crate::reason::{self, Group};
use crate::{listnotice, recipients, stage, text, Class, Classification};

/// Subjects of bounces, in the languages MTAs localise them into.
const SUBJECTS: &[&str] = &[
    "undeliverable",
    "undelivered",
    "undeliverable mail",
    "delivery status notification",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "mail delivery failed",
    "failure notice",
    "returned mail",
    "returned to sender",
    "mail system error",
    "delivery notification",
    "nondeliverable",
    "non-deliverable",
    "non remis",
    "non distribuabl",
    "unzustellbar",
    "nicht zustellbar",
    "zustellung fehlgeschlagen",
    "unzustellbare",
    "onbestelbaar",
    "niet bezorgd",
    "no se puede entregar",
    "no entregado",
    "não entregue",
    "nao entregue",
    "mancata consegna",
    "impossibile recapitare",
    "kan inte levereras",
    "olevererbart",
    "ikke leveret",
    "kunne ikke leveres",
    "toimitus epäonnistui",
    "niedostarczon",
    "could not send message",
    "message not delivered",
    "not delivered",
    "delivery problem",
    "warning: message",
    "delayed mail",
    "delivery delayed",
    "mail could not be delivered",
    "permanent error",
    "bounce",
    "error sending",
    "mail failure",
    "mail failed",
    "message delivery",
    "delivery report",
    "returned message",
    "failed delivery",
    "系统退信",
    "退信",
    "不能送達",
    "配信不能",
    "送信エラー",
    "未送達",
    "sending failed",
    "mail delivery subsystem",
    "delivery notice",
    "mail returned",
    "nondelivery",
    "non-delivery",
    "envoi impossible",
    "échec de la remise",
    "echec de la remise",
];

/// Body phrases that only bounces contain.
const BODY: &[&str] = &[
    "delivery has failed",
    "could not be delivered",
    "couldn't be delivered",
    "undeliverable",
    "permanent error",
    "permanent failure",
    "following address(es) failed",
    "following addresses had permanent",
    "delivery to the following recipient",
    "was not delivered",
    "wasn't delivered",
    "i'm sorry to have to inform you",
    "unable to deliver",
    "failed permanently",
    "this is the qmail-send program",
    "this is the mail system at host",
    "message could not be delivered",
    "your message did not reach",
    "delivery failed",
    "mail delivery failed",
    "returned mail",
    "the following recipient",
    "recipient address rejected",
    "the original message was received",
    "transcript of session follows",
    "smtp error from remote",
    "delivery is delayed",
    "has been delayed",
    "still trying",
    "will continue trying",
    "will be retried",
    "not yet been delivered",
    "not been delivered",
    "delivery to the following",
    "non remis",
    "unzustellbar",
    "konnte nicht zugestellt",
    "nicht zugestellt",
    "was undeliverable",
    "could not deliver",
    "your mail to the following",
    "delivery status notification",
    "the mail system",
    "message you sent",
    "host unknown",
    "user unknown",
    "mailbox unavailable",
    "mail was not delivered",
    "can't be delivered",
    "cannot be delivered",
    "rejected your message",
    "message was rejected",
    "remote server rejected",
    "delivery attempt",
    "a message that you sent could not",
    "this message was created automatically by mail delivery",
    "error occurred while",
    "failed to deliver",
    "bounced",
    "unable to be delivered",
    "was rejected",
    "not be delivered",
    "problem delivering",
    "delivery failure",
    "error message below",
    "invalid user address",
    "failed addresses follow",
    "送信できません",
    "送信できませんでした",
    "届きませんでした",
    "配信できません",
    "配送できません",
    "宛先不明",
    "退信",
    "未能送达",
];

const DELAY: &[&str] = &[
    "will continue trying",
    "still trying",
    "will be retried",
    "not yet been delivered",
    "delivery is delayed",
    "has been delayed",
    "will retry",
    "delivery delayed",
    "warning: message",
    "temporary delivery failure",
    "no action is required on your part",
];

static SUBJECT_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(SUBJECTS));
static BODY_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(BODY));
static DELAY_AC: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| build(DELAY));

/// `Some` when the message is a bounce, a delay notice, a delivery report or a feedback report.
pub(crate) fn classify(doc: &Doc, raw: &[u8]) -> Option<Classification> {
    let mut signals: Vec<String> = Vec::new();
    if doc.has_arf_part || doc.report_type.as_deref() == Some("feedback-report") {
        // A complaint (ARF) is not a delivery failure: the recipient got the mail and
        // reported it. Auto-reply-other changes nothing in the engine; "arf" lets the
        // server suppress the address if it wants to.
        let mut c = Classification::new(Class::AutoReplyOther);
        c.signals.push("arf".into());
        return Some(c);
    }
    let human = text::cut_original(&doc.body);
    let records = if doc.has_dsn_part {
        signals.push("dsn:part".into());
        dsn::parse(&doc.dsn)
    } else if has_inline_dsn(&doc.body) {
        signals.push("dsn:inline".into());
        dsn::parse(&doc.body)
    } else {
        Vec::new()
    };
    let system_sender = text::is_system_local(doc.sender_local())
        || text::contains_ci(&doc.from_name, "mail delivery")
        || text::contains_ci(&doc.from_name, "mailer-daemon")
        || text::contains_ci(&doc.from_name, "postmaster");
    let subject_hit = hit(&SUBJECT_AC, &doc.subject);
    let body_hit = hit(&BODY_AC, human);
    let failed_hdr = doc.header("x-failed-recipients").is_some();
    let is_report = doc.report_type.as_deref() == Some("delivery-status") || doc.has_dsn_part;
    if system_sender {
        signals.push(format!("from:{}", doc.sender_local()));
    }
    if subject_hit {
        signals.push("subject:bounce".into());
    }
    if failed_hdr {
        signals.push("header:x-failed-recipients".into());
    }
    if !is_report && records.is_empty() {
        if let Some(c) = listnotice::refusal(doc, human, &signals) {
            return Some(c);
        }
    }
    let evidence = is_report
        || failed_hdr
        || (system_sender && (subject_hit || body_hit || !records.is_empty()))
        || (subject_hit && (body_hit || doc.null_return_path() || !records.is_empty()))
        || (body_hit && doc.null_return_path() && !records.is_empty());
    if !evidence {
        return None;
    }
    if body_hit {
        signals.push("body:bounce-phrase".into());
    }
    Some(decide(doc, raw, human, records, signals).0)
}

fn has_inline_dsn(body: &str) -> bool {
    (text::contains_ci(body, "final-recipient:") || text::contains_ci(body, "original-recipient:"))
        && (text::contains_ci(body, "\nstatus:") || text::contains_ci(body, "\naction:"))
}

/// The class and evidence of a failure report (`raw`: the bytes `doc` was parsed from), with the reason it found (`undefined` when the
/// words and codes name none).
fn decide(
    doc: &Doc,
    raw: &[u8],
    human: &str,
    records: Vec<RecipientStatus>,
    mut signals: Vec<String>,
) -> (Classification, &'static str) {
    let failed: Vec<&RecipientStatus> = records
        .iter()
        .filter(|r| match r.action.as_deref() {
            Some(a) => a.starts_with("fail"),
            None => r.status.as_deref().is_some_and(|s| s.starts_with('5')),
        })
        .collect();
    let delayed = records
        .iter()
        .any(|r| r.action.as_deref().is_some_and(|a| a.starts_with("delay")));
    let delivered = !records.is_empty()
        && records.iter().all(|r| {
            r.action
                .as_deref()
                .is_some_and(|a| matches!(a, "delivered" | "relayed" | "expanded"))
        });
    let mut c = Classification::new(Class::BounceHard);
    if failed.is_empty() && delivered {
        c.class = Class::AutoReplyOther;
        signals.push("dsn:action=delivered".into());
        c.signals = signals;
        return (c, "delivered");
    }
    // Only delayed (the issue: "`Action: delayed` is only a delay notice"). Its cause is still
    // read below, as evidence (`cause:*`), but it never makes the notice a bounce.
    let delay = failed.is_empty() && (delayed || (records.is_empty() && delay_only(human)));
    if delay {
        signals.push("dsn:action=delayed".into());
    }
    let chosen: Vec<&RecipientStatus> = if failed.is_empty() {
        records.iter().collect()
    } else {
        failed
    };
    for r in &chosen {
        if let Some(a) = addr(r) {
            if !c.failed_recipients.contains(&a) {
                c.failed_recipients.push(a);
            }
        }
    }
    if c.failed_recipients.is_empty() {
        c.failed_recipients = recipients::from_text(doc, human);
    }
    let first = chosen.first();
    let diag = first.map(|r| r.diagnostic.as_str()).unwrap_or_default();
    let status = status_of(first.and_then(|r| r.status.clone()), diag, human);
    let (mut reason, mut group) = pick_reason(diag, status.as_deref(), human);
    if reason == "undefined" {
        if let Some(signal) = reason::list_refusal(&c.failed_recipients) {
            (reason, group) = ("rejected", Group::Policy);
            signals.push(signal.into());
        }
    }
    let command = stage::failed_command(diag).or_else(|| stage::failed_command(human));
    if let Some(cmd) = command {
        signals.push(format!("smtp:{}", cmd.as_str()));
    }
    (reason, group) = stage::correct(
        (reason, group),
        &stage::Facts {
            command,
            status: status.as_deref(),
            said: if diag.is_empty() { human } else { diag },
            failed_action: first
                .is_some_and(|r| r.action.as_deref().is_some_and(|a| a.starts_with("fail"))),
        },
    );
    if reason == "undefined" && !delay {
        if let Some((mut inner, inner_reason)) = doc.wrapped(raw).as_ref().and_then(wrapped_failure)
        {
            // The notice says only that delivery failed; the bounce it wraps says why.
            signals.push("wrapped:bounce".into());
            signals.append(&mut inner.signals);
            inner.signals = signals;
            if inner.failed_recipients.is_empty() {
                inner.failed_recipients = c.failed_recipients;
            }
            return (inner, inner_reason);
        }
    }
    signals.push(format!("reason:{reason}"));
    if let Some(s) = &status {
        signals.push(format!("dsn:status={s}"));
    }
    if delay && reason == "undefined" {
        // A delay says by itself that the failure is temporary.
        group = Group::Soft;
    }
    c.class = match group {
        _ if delay => Class::DelayNotice,
        Group::Hard => Class::BounceHard,
        Group::Soft => Class::BounceSoft,
        Group::Policy => Class::BouncePolicy,
    };
    if delay {
        signals.push(format!("cause:{}", group.as_str()));
    }
    c.bounce_status = status;
    c.signals = signals;
    (c, reason)
}

/// The failure an embedded message reports, when it is itself a bounce (delivery-status
/// records, or a bounce phrase in its text) that names a reason.
fn wrapped_failure(inner: &Doc) -> Option<(Classification, &'static str)> {
    let human = text::cut_original(&inner.body);
    let records = if inner.has_dsn_part {
        dsn::parse(&inner.dsn)
    } else if has_inline_dsn(&inner.body) {
        dsn::parse(&inner.body)
    } else {
        Vec::new()
    };
    if records.is_empty() && !hit(&BODY_AC, human) {
        return None;
    }
    // One level deep: `inner` keeps no embedded message of its own, so no bytes are needed.
    let (c, reason) = decide(inner, &[], human, records, Vec::new());
    (c.class.is_bounce() && reason != "undefined").then_some((c, reason))
}

/// The failed address of a DSN block: `Final-Recipient` when it is a usable address, else
/// `Original-Recipient`. Some MTAs write a source route to an internal host there
/// (`@smtp.example.net:user@server`) or only a domain (`@mx.example.org`).
fn addr(r: &RecipientStatus) -> Option<String> {
    let usable = |a: &&String| {
        let (local, domain) = a.rsplit_once('@').unwrap_or_default();
        !local.is_empty() && !local.contains(':') && !domain.is_empty()
    };
    r.recipient
        .as_ref()
        .filter(usable)
        .or(r.original.as_ref().filter(usable))
        .cloned()
}

fn delay_only(human: &str) -> bool {
    hit(&DELAY_AC, human) && !text::contains_ci(human, "permanent")
}

/// Text of the diagnostic first, then a specific status code, then the whole human text.
fn pick_reason(diag: &str, status: Option<&str>, human: &str) -> (&'static str, Group) {
    if text::starts_with_ci(diag.trim_start(), "x-unix") {
        // RFC 3464 diagnostic type X-Unix: a local delivery program (procmail, a pipe)
        // failed on the receiving side.
        return ("mailererror", Group::Soft);
    }
    if let Some(r) = reason::from_text(diag) {
        return r;
    }
    // Codes too generic to name a reason, and 5.4.1, which Microsoft uses for "Recipient
    // address rejected: Access denied" rather than RFC 3463's "no answer from host".
    let specific = status.filter(|s| {
        !matches!(
            *s,
            "5.0.0" | "4.0.0" | "5.5.0" | "5.0.1" | "5.3.0" | "5.4.1"
        )
    });
    // qmail appends its own guess to the remote server's words, `(#5.1.1)`: the words first.
    let qmail_guess = status.is_some_and(|s| {
        text::contains_ci(diag, &format!("(#{s})")) || text::contains_ci(human, &format!("(#{s})"))
    });
    if let Some(r) = specific
        .filter(|_| !qmail_guess)
        .and_then(reason::from_status)
    {
        return r;
    }
    if let Some(r) = reason::from_text(human) {
        return r;
    }
    if let Some(r) = specific.and_then(reason::from_status) {
        return r;
    }
    match status.map(|s| s.starts_with('4')) {
        Some(true) => ("undefined", Group::Soft),
        _ => ("undefined", Group::Policy),
    }
}

/// The failure's RFC 3463 code: the block's `Status`, else the first code in the diagnostic or
/// the transcript. `Status: 5.0.0` says only "permanent"; a code of the same class the remote
/// server gave in the diagnostic or the transcript says more (Sisimai prefers it too).
fn status_of(field: Option<String>, diag: &str, human: &str) -> Option<String> {
    let in_text = || status_from_text(diag).or_else(|| status_from_text(human));
    match field {
        Some(s) if s.ends_with(".0.0") => in_text()
            .filter(|t| !t.ends_with(".0.0") && t.as_bytes().first() == s.as_bytes().first())
            .or(Some(s)),
        Some(s) => Some(s),
        None => in_text(),
    }
}

fn status_from_text(s: &str) -> Option<String> {
    let codes = text::status_codes(s);
    codes
        .iter()
        .find(|(_, c)| c.starts_with('5') || c.starts_with('4'))
        .map(|(_, c)| c.clone())
}
