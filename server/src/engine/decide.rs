//! The unenroll rules: what one classified, correlated inbound message means for one enrollment.
//!
//! Pure: the enrollment's facts, the message's signal, the sequence's policy and `now` come in as
//! arguments; a [`Decision`] comes out. No clock, no IO, no `Result`: unknown input is a case.
//! Precedence is the order of [`decide`]'s match: a final enrollment is never touched, then
//! bounces (and delay notices), then automatic replies (out-of-office, left company, other,
//! read receipts, list mail), then human replies and emails, then unclassifiable mail.
//! Unsubscribes arrive through the unsubscribe link, not through inbound mail, so they are not a
//! signal here. The whole (state x signal) table is a snapshot test below.

use sequencer_classify::Class;

use crate::domain::{is_live, EnrollmentState, Millis, OooPolicy, PauseReason, UnenrollReason};

const DAY_MS: Millis = 24 * 3600 * 1000;
/// An out-of-office pause never lasts longer than this.
pub const OOO_MAX_PAUSE_MS: Millis = 30 * DAY_MS;
/// The soft bounce that makes this many in a row unenrolls.
pub const SOFT_BOUNCE_LIMIT: u32 = 3;
/// A soft-bounced step is tried again after this long.
pub const SOFT_BOUNCE_RETRY_MS: Millis = DAY_MS;

/// Who sent the message, relative to the enrollment's contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The enrolled (primary) address.
    Contact,
    /// One of the contact's secondary addresses.
    Alias,
    /// Another contact of the same company (see [`same_company`]).
    SameCompany,
    /// Anyone else: an unknown address, an unrelated contact, a mailer-daemon.
    Other,
}

/// One inbound message as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub class: Class,
    pub sender: Sender,
    /// Tied to this enrollment's thread: reply ids, Exchange parent ids, ids embedded in a
    /// bounce, a bounce for the contact's address, or the sender + subject fallback.
    pub in_thread: bool,
    pub received_at: Millis,
    /// When the absent person is back (out-of-office only).
    pub return_at: Option<Millis>,
    /// The step whose email bounced, when known.
    pub bounced_step: Option<u32>,
}

/// What the rules need to know about the enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub state: EnrollmentState,
    pub pause_reason: Option<PauseReason>,
    /// The next step to run.
    pub current_step: u32,
    pub soft_bounces: u32,
    pub enrolled_at: Millis,
}

/// The sequence's settings that the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub ooo_policy: OooPolicy,
    pub unenroll_same_company: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The enrollment keeps its state and schedule.
    Keep,
    Unenroll {
        reason: UnenrollReason,
        mark_bounced: bool,
    },
    Pause {
        reason: PauseReason,
        until: Option<Millis>,
    },
    /// Count one more soft bounce; run `step` again at `at` when it is the step that bounced.
    SoftBounce { retry_step: Option<u32>, at: Millis },
}

/// The action, plus the activity to record on the contact's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub action: Action,
    /// Event kind to record (`reply_received`, `bounce_received`, `ooo_received`...), if any.
    pub event: Option<&'static str>,
    /// Recorded, but not shown on the contact's timeline.
    pub hidden: bool,
    /// The rule's name, stored as the actor of the transition.
    pub rule: &'static str,
}

impl Decision {
    fn keep(rule: &'static str, event: Option<&'static str>) -> Self {
        Decision {
            action: Action::Keep,
            event,
            hidden: false,
            rule,
        }
    }
    fn unenroll(
        rule: &'static str,
        reason: UnenrollReason,
        event: &'static str,
        hidden: bool,
    ) -> Self {
        Decision {
            action: Action::Unenroll {
                reason,
                mark_bounced: false,
            },
            event: Some(event),
            hidden,
            rule,
        }
    }
}

/// Decides what `signal` does to an enrollment with `facts` under `policy` at `now`.
pub fn decide(facts: &Facts, signal: &Signal, policy: &Policy, now: Millis) -> Decision {
    use Class::*;
    if !is_live(facts.state) {
        return Decision::keep("inbound.enrollment_ended", None);
    }
    let own = matches!(signal.sender, Sender::Contact | Sender::Alias);
    let about_contact = signal.in_thread || own;
    match signal.class {
        BounceHard | BouncePolicy | BounceSoft | DelayNotice if !signal.in_thread && !own => {
            Decision::keep("inbound.bounce_unrelated", None)
        }
        BounceHard => Decision {
            action: Action::Unenroll {
                reason: UnenrollReason::Bounced,
                mark_bounced: true,
            },
            event: Some("bounce_received"),
            hidden: false,
            rule: "inbound.bounce_hard",
        },
        BouncePolicy => Decision::unenroll(
            "inbound.bounce_policy",
            UnenrollReason::Bounced,
            "bounce_received",
            false,
        ),
        BounceSoft if facts.soft_bounces + 1 >= SOFT_BOUNCE_LIMIT => Decision::unenroll(
            "inbound.bounce_soft_limit",
            UnenrollReason::Bounced,
            "bounce_received",
            false,
        ),
        BounceSoft => {
            let retry_step = signal
                .bounced_step
                .filter(|s| facts.state == EnrollmentState::Active && s + 1 == facts.current_step);
            Decision {
                action: Action::SoftBounce {
                    retry_step,
                    at: now + SOFT_BOUNCE_RETRY_MS,
                },
                event: Some("soft_bounce_received"),
                hidden: false,
                rule: "inbound.bounce_soft",
            }
        }
        DelayNotice => Decision::keep("inbound.delay_notice", None),
        _ if !about_contact && signal.class != HumanReply => {
            Decision::keep("inbound.unrelated", None)
        }
        Ooo => ooo(facts, signal, policy, now),
        LeftCompany => Decision::unenroll(
            "inbound.left_company",
            UnenrollReason::ContactUnreachable,
            "auto_reply_received",
            false,
        ),
        AutoReplyOther => Decision::keep("inbound.auto_reply", Some("auto_reply_received")),
        ReadReceipt => Decision::keep("inbound.read_receipt", None),
        ListMail => Decision::keep("inbound.list_mail", None),
        HumanReply => human(facts, signal, policy),
        Unknown => match (facts.state, facts.pause_reason) {
            (EnrollmentState::Active, _) | (_, Some(PauseReason::OutOfOffice)) => Decision {
                action: Action::Pause {
                    reason: PauseReason::HeldForReview,
                    until: None,
                },
                event: Some("held_for_review"),
                hidden: false,
                rule: "inbound.unclassified",
            },
            _ => Decision::keep("inbound.unclassified", Some("held_for_review")),
        },
    }
}

fn ooo(facts: &Facts, signal: &Signal, policy: &Policy, now: Millis) -> Decision {
    let keep = Decision::keep("inbound.ooo", Some("ooo_received"));
    if policy.ooo_policy != OooPolicy::PauseUntilReturn {
        return keep;
    }
    let pausable = facts.state == EnrollmentState::Active
        || facts.pause_reason == Some(PauseReason::OutOfOffice);
    match signal.return_at {
        Some(back) if back > now && pausable => Decision {
            action: Action::Pause {
                reason: PauseReason::OutOfOffice,
                until: Some(back.min(now + OOO_MAX_PAUSE_MS)),
            },
            ..keep
        },
        _ => keep,
    }
}

fn human(facts: &Facts, signal: &Signal, policy: &Policy) -> Decision {
    use UnenrollReason::*;
    let event = if signal.in_thread {
        "reply_received"
    } else {
        "email_received"
    };
    match (signal.in_thread, signal.sender) {
        (true, Sender::Contact) => Decision::unenroll("inbound.replied", Replied, event, false),
        (true, Sender::Alias) => Decision::unenroll("inbound.alias", EmailedFromAlias, event, true),
        (true, _) => Decision::unenroll(
            "inbound.other_address",
            RepliedFromOtherAddress,
            event,
            true,
        ),
        // Mail from before the enrollment (e.g. a mailbox's first sync) is not "while enrolled".
        (false, _) if signal.received_at < facts.enrolled_at => {
            Decision::keep("inbound.before_enrollment", None)
        }
        (false, Sender::Contact) => Decision::unenroll(
            "inbound.outside_sequence",
            EmailedOutsideSequence,
            event,
            false,
        ),
        (false, Sender::Alias) => {
            Decision::unenroll("inbound.alias", EmailedFromAlias, event, true)
        }
        (false, Sender::SameCompany) if policy.unenroll_same_company => Decision::unenroll(
            "inbound.same_company",
            SameCompanyReplied,
            "same_company_email",
            false,
        ),
        (false, _) => Decision::keep("inbound.unrelated", None),
    }
}

/// Free-mail and consumer domains: sharing one never makes two people colleagues.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.fr",
    "live.com",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.fr",
    "yahoo.de",
    "ymail.com",
    "rocketmail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "gmx.ch",
    "web.de",
    "mail.com",
    "zoho.com",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "126.com",
    "fastmail.com",
    "hey.com",
    "tutanota.com",
    "tuta.io",
    "orange.fr",
    "free.fr",
    "laposte.net",
    "t-online.de",
    "libero.it",
    "naver.com",
];

/// Whether `domain` is a free-mail provider (any `gmx.*` counts).
pub fn is_free_mail(domain: &str) -> bool {
    let d = domain.trim().to_ascii_lowercase();
    FREE_MAIL.contains(&d.as_str()) || d.starts_with("gmx.")
}

/// Two contacts are the same company when they are associated with the same company record, or
/// share an email domain that is not free mail.
pub fn same_company(
    a_domain: &str,
    a_company: Option<i64>,
    b_domain: &str,
    b_company: Option<i64>,
) -> bool {
    if let (Some(a), Some(b)) = (a_company, b_company) {
        if a == b {
            return true;
        }
    }
    !a_domain.is_empty() && a_domain.eq_ignore_ascii_case(b_domain) && !is_free_mail(a_domain)
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
