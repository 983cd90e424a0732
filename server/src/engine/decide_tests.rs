//! The whole (state x signal) decision table, rendered as text and snapshotted: every rule change
//! is a reviewable diff.

use super::*;

const NOW: Millis = 1_000 * DAY_MS;

fn states() -> Vec<(&'static str, Facts)> {
    let f = |state, pause_reason, soft_bounces| Facts {
        state,
        pause_reason,
        current_step: 2,
        soft_bounces,
        enrolled_at: NOW - 5 * DAY_MS,
    };
    vec![
        ("active", f(EnrollmentState::Active, None, 0)),
        (
            "active, 2 soft bounces",
            f(EnrollmentState::Active, None, 2),
        ),
        (
            "paused out_of_office",
            f(EnrollmentState::Paused, Some(PauseReason::OutOfOffice), 0),
        ),
        (
            "paused held_for_review",
            f(EnrollmentState::Paused, Some(PauseReason::HeldForReview), 0),
        ),
        (
            "paused manual",
            f(EnrollmentState::Paused, Some(PauseReason::Manual), 0),
        ),
        ("finished", f(EnrollmentState::Finished, None, 0)),
        ("unenrolled", f(EnrollmentState::Unenrolled, None, 0)),
    ]
}

const SAME_CO_ON: Policy = Policy {
    ooo_policy: OooPolicy::PauseUntilReturn,
    unenroll_same_company: true,
};
const IGNORE_OOO: Policy = Policy {
    ooo_policy: OooPolicy::Ignore,
    unenroll_same_company: false,
};
const DEFAULT: Policy = Policy {
    ooo_policy: OooPolicy::PauseUntilReturn,
    unenroll_same_company: false,
};

fn signals() -> Vec<(String, Signal, Policy)> {
    let s = |class, sender, in_thread| Signal {
        class,
        sender,
        in_thread,
        received_at: NOW,
        return_at: None,
        bounced_step: None,
    };
    let mut out = Vec::new();
    let mut add = |name: &str, sig: Signal, p: Policy| out.push((name.to_string(), sig, p));
    use Class::*;
    add(
        "human_reply  contact  in thread",
        s(HumanReply, Sender::Contact, true),
        DEFAULT,
    );
    add(
        "human_reply  contact  outside",
        s(HumanReply, Sender::Contact, false),
        DEFAULT,
    );
    add(
        "human_reply  contact  outside, before enrolling",
        Signal {
            received_at: NOW - 6 * DAY_MS,
            ..s(HumanReply, Sender::Contact, false)
        },
        DEFAULT,
    );
    add(
        "human_reply  alias    in thread",
        s(HumanReply, Sender::Alias, true),
        DEFAULT,
    );
    add(
        "human_reply  alias    outside",
        s(HumanReply, Sender::Alias, false),
        DEFAULT,
    );
    add(
        "human_reply  other    in thread",
        s(HumanReply, Sender::Other, true),
        DEFAULT,
    );
    add(
        "human_reply  other    outside",
        s(HumanReply, Sender::Other, false),
        DEFAULT,
    );
    add(
        "human_reply  same co  outside, same-company on",
        s(HumanReply, Sender::SameCompany, false),
        SAME_CO_ON,
    );
    add(
        "human_reply  same co  outside, same-company off",
        s(HumanReply, Sender::SameCompany, false),
        DEFAULT,
    );
    add(
        "human_reply  same co  in thread, same-company on",
        s(HumanReply, Sender::SameCompany, true),
        SAME_CO_ON,
    );
    add(
        "ooo  contact  back in 3 days",
        Signal {
            return_at: Some(NOW + 3 * DAY_MS),
            ..s(Ooo, Sender::Contact, true)
        },
        DEFAULT,
    );
    add(
        "ooo  contact  back in 60 days (capped)",
        Signal {
            return_at: Some(NOW + 60 * DAY_MS),
            ..s(Ooo, Sender::Contact, true)
        },
        DEFAULT,
    );
    add(
        "ooo  contact  no return date",
        s(Ooo, Sender::Contact, true),
        DEFAULT,
    );
    add(
        "ooo  contact  return date passed",
        Signal {
            return_at: Some(NOW - DAY_MS),
            ..s(Ooo, Sender::Contact, true)
        },
        DEFAULT,
    );
    add(
        "ooo  contact  back in 3 days, policy ignore",
        Signal {
            return_at: Some(NOW + 3 * DAY_MS),
            ..s(Ooo, Sender::Contact, true)
        },
        IGNORE_OOO,
    );
    add(
        "ooo  same co  outside",
        Signal {
            return_at: Some(NOW + 3 * DAY_MS),
            ..s(Ooo, Sender::SameCompany, false)
        },
        SAME_CO_ON,
    );
    add(
        "left_company  contact",
        s(LeftCompany, Sender::Contact, true),
        DEFAULT,
    );
    add(
        "auto_reply_other  contact",
        s(AutoReplyOther, Sender::Contact, true),
        DEFAULT,
    );
    add(
        "read_receipt  contact",
        s(ReadReceipt, Sender::Contact, true),
        DEFAULT,
    );
    add(
        "list_mail  contact",
        s(ListMail, Sender::Contact, false),
        DEFAULT,
    );
    add(
        "bounce_hard  in thread",
        s(BounceHard, Sender::Other, true),
        DEFAULT,
    );
    add(
        "bounce_hard  unrelated",
        s(BounceHard, Sender::Other, false),
        DEFAULT,
    );
    add(
        "bounce_policy  in thread",
        s(BouncePolicy, Sender::Other, true),
        DEFAULT,
    );
    add(
        "bounce_soft  of step 1 (the last sent)",
        Signal {
            bounced_step: Some(1),
            ..s(BounceSoft, Sender::Other, true)
        },
        DEFAULT,
    );
    add(
        "bounce_soft  step unknown",
        s(BounceSoft, Sender::Other, true),
        DEFAULT,
    );
    add(
        "delay_notice  in thread",
        s(DelayNotice, Sender::Other, true),
        DEFAULT,
    );
    add(
        "unknown  contact",
        s(Unknown, Sender::Contact, true),
        DEFAULT,
    );
    add(
        "unknown  other outside",
        s(Unknown, Sender::Other, false),
        DEFAULT,
    );
    out
}

fn render(d: &Decision) -> String {
    let action = match d.action {
        Action::Keep => "keep".to_string(),
        Action::Unenroll {
            reason,
            mark_bounced,
        } => format!(
            "unenroll {reason}{}",
            if mark_bounced {
                " + mark address bounced"
            } else {
                ""
            }
        ),
        Action::Pause { reason, until } => match until {
            Some(u) => format!("pause {reason} for {}d", (u - NOW) / DAY_MS),
            None => format!("pause {reason}"),
        },
        Action::SoftBounce { retry_step, at } => match retry_step {
            Some(step) => format!(
                "count soft bounce, retry step {step} in {}d",
                (at - NOW) / DAY_MS
            ),
            None => "count soft bounce".to_string(),
        },
    };
    let event = d
        .event
        .map(|e| format!("  [{e}{}]", if d.hidden { ", hidden" } else { "" }))
        .unwrap_or_default();
    format!("{action}{event}")
}

#[test]
fn decision_table() {
    let mut table = String::new();
    for (name, signal, policy) in signals() {
        table.push_str(&format!("{name}\n"));
        for (state, facts) in states() {
            table.push_str(&format!(
                "    {state:<24} -> {}\n",
                render(&decide(&facts, &signal, &policy, NOW))
            ));
        }
    }
    insta::assert_snapshot!(table);
}

fn check(a: (&str, Option<i64>), b: (&str, Option<i64>), expected: bool) {
    assert_eq!(same_company(a.0, a.1, b.0, b.1), expected, "{a:?} vs {b:?}");
}

#[test]
fn free_mail_never_makes_a_company() {
    check(("acme.com", None), ("acme.com", None), true);
    check(("acme.com", Some(1)), ("other.com", Some(1)), true);
    check(("gmail.com", None), ("gmail.com", None), false);
    check(("gmx.de", None), ("gmx.de", None), false);
    check(("Proton.me", None), ("proton.me", None), false);
    check(("acme.com", Some(1)), ("acme.org", Some(2)), false);
    check(("", None), ("", None), false);
}
