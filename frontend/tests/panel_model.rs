//! The panel's reducer: stale lookups are dropped, results follow the host's order, and a confirmed
//! unenroll replaces the banner with the "recently unenrolled" state.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests are exempt (house style)

mod common;

use std::rc::Rc;

use common::fixture_entry;
use frontend::components::{recipient_status, PanelState, RecipientStatus, UnenrollUi};
use frontend::email::EmailAddress;
use frontend::views::panel_model::{PanelAction, PanelModel};
use shared::*;
use yew::Reducible;

fn recipient(key: &str) -> RecipientView {
    fixture_entry("recipients.json", key)
}

fn emails(list: &[&str]) -> Vec<EmailAddress> {
    list.iter()
        .map(|e| EmailAddress::parse(e).unwrap())
        .collect()
}

/// A one-recipient lookup, started and answered: `email` is the fixture recipient `key`.
fn looked_up(generation: u64, email: &str, key: &str) -> Vec<PanelAction> {
    vec![
        PanelAction::LookupStarted {
            generation,
            count: 1,
        },
        PanelAction::LookupDone {
            generation,
            requested: emails(&[email]),
            recipients: vec![recipient(key)],
        },
    ]
}

fn run(actions: Vec<PanelAction>) -> PanelModel {
    let mut m = Rc::new(PanelModel::default());
    for a in actions {
        m = m.reduce(a);
    }
    (*m).clone()
}

fn loaded(m: &PanelModel) -> &[RecipientView] {
    match &m.state {
        PanelState::Loaded(r) => r,
        other => panic!("not loaded: {other:?}"),
    }
}

#[test]
fn an_answer_to_an_older_lookup_is_dropped() {
    let m = run(vec![
        PanelAction::LookupStarted {
            generation: 1,
            count: 1,
        },
        PanelAction::LookupStarted {
            generation: 2,
            count: 1,
        },
        PanelAction::LookupDone {
            generation: 2,
            requested: emails(&["sam@acme.com"]),
            recipients: vec![recipient("not_enrolled")],
        },
        PanelAction::LookupDone {
            generation: 1,
            requested: emails(&["jane@acme.com"]),
            recipients: vec![recipient("enrolled")],
        },
    ]);
    assert_eq!(loaded(&m)[0].email, "sam@acme.com");
    assert!(!m.refreshing);
}

#[test]
fn results_follow_the_hosts_to_then_cc_order() {
    let m = run(vec![
        PanelAction::LookupStarted {
            generation: 1,
            count: 2,
        },
        PanelAction::LookupDone {
            generation: 1,
            requested: emails(&["sam@acme.com", "jane@acme.com"]),
            recipients: vec![recipient("enrolled"), recipient("not_enrolled")],
        },
    ]);
    let order: Vec<&str> = loaded(&m).iter().map(|r| r.email.as_str()).collect();
    assert_eq!(order, ["sam@acme.com", "jane@acme.com"]);
}

#[test]
fn old_results_stay_visible_while_a_new_lookup_runs_and_no_recipients_means_empty() {
    let first = vec![
        PanelAction::LookupStarted {
            generation: 1,
            count: 1,
        },
        PanelAction::LookupDone {
            generation: 1,
            requested: emails(&["jane@acme.com"]),
            recipients: vec![recipient("enrolled")],
        },
        PanelAction::LookupStarted {
            generation: 2,
            count: 2,
        },
    ];
    let m = run(first.clone());
    assert!(m.refreshing);
    assert_eq!(loaded(&m).len(), 1);
    let mut cleared = first;
    cleared.push(PanelAction::LookupStarted {
        generation: 3,
        count: 0,
    });
    assert_eq!(run(cleared).state, PanelState::Empty);
}

#[test]
fn a_confirmed_unenroll_replaces_the_banner_and_is_announced() {
    let jane = recipient("enrolled");
    let id = jane.enrollment.as_ref().unwrap().enrollment_id;
    let done = EnrollmentView {
        id,
        contact: ContactRef {
            id: 5,
            name: "Jane Doe".into(),
            email: "jane@acme.com".into(),
        },
        sequence: SequenceRef {
            id: 3,
            name: "Q4 Outbound".into(),
        },
        state: EnrollmentState::Unenrolled,
        pause_reason: None,
        paused_until: None,
        unenroll_reason: Some(UnenrollReason::Manual),
        current_step: 2,
        total_steps: 4,
        next_step_at: None,
        enrolled_by: UserRef {
            id: 1,
            name: "Ann Lee".into(),
            email: "ann@sequencer.test".into(),
        },
        enrolled_at: "2026-11-25T08:00:00Z".into(),
        ended_at: Some("2026-11-27T09:30:00Z".into()),
        ended_by: None,
        evidence: Some(EvidenceView {
            surface: Some(UnenrollSurface::OutlookPanel),
            ..Default::default()
        }),
    };
    let before = vec![
        PanelAction::LookupStarted {
            generation: 1,
            count: 1,
        },
        PanelAction::LookupDone {
            generation: 1,
            requested: emails(&["jane@acme.com"]),
            recipients: vec![jane],
        },
        PanelAction::AskUnenroll(id),
    ];
    let asking = run(before.clone());
    assert_eq!(asking.ui.get(&id), Some(&UnenrollUi::Confirming));

    let mut after = before;
    after.push(PanelAction::UnenrollStarted(id));
    after.push(PanelAction::Unenrolled {
        enrollment: Box::new(done),
    });
    let m = run(after);
    let r = &loaded(&m)[0];
    assert_eq!(recipient_status(r), RecipientStatus::RecentlyUnenrolled);
    assert_eq!(r.recent_unenrollments[0].reason, UnenrollReason::Manual);
    assert_eq!(m.announcement, "Jane Doe was unenrolled from Q4 Outbound.");
    assert!(m.ui.is_empty());
    assert_eq!(m.focus, Some((0, "jane@acme.com".into())));
}

#[test]
fn a_failed_unenroll_keeps_the_banner_with_the_reason() {
    let mut actions = looked_up(1, "jane@acme.com", "enrolled");
    actions.push(PanelAction::UnenrollFailed {
        enrollment_id: 11,
        message: "This enrollment has already ended.".into(),
    });
    let m = run(actions);
    assert_eq!(recipient_status(&loaded(&m)[0]), RecipientStatus::Enrolled);
    assert_eq!(
        m.ui.get(&11),
        Some(&UnenrollUi::Failed(
            "This enrollment has already ended.".into()
        ))
    );
}

#[test]
fn signing_out_drops_the_lookup_under_way_and_shows_the_signed_out_state() {
    let m = run(looked_up(1, "sam@acme.com", "not_enrolled"));
    assert!(m.signed_in);
    let m = (*Rc::new(m)
        .reduce(PanelAction::LookupStarted {
            generation: 2,
            count: 1,
        })
        .reduce(PanelAction::SignOutDone)
        .reduce(PanelAction::LookupDone {
            generation: 2,
            requested: emails(&["sam@acme.com"]),
            recipients: vec![recipient("not_enrolled")],
        }))
    .clone();
    assert_eq!(m.state, PanelState::NeedsSignIn);
    assert!(!m.signed_in && !m.refreshing);
    assert_eq!(m.announcement, "Signed out of Sequencer.");
}

#[test]
fn a_failed_sign_in_says_why_until_the_next_try() {
    let m = run(vec![
        PanelAction::SignedOut { generation: 0 },
        PanelAction::SignInStarted,
        PanelAction::SignInFailed("Google sign-in was cancelled or refused.".into()),
    ]);
    assert_eq!(m.state, PanelState::NeedsSignIn);
    assert!(!m.signing_in && !m.signed_in);
    assert_eq!(
        m.sign_in_error.as_deref(),
        Some("Google sign-in was cancelled or refused.")
    );
    let m = run(vec![
        PanelAction::SignInFailed("no".into()),
        PanelAction::SignInStarted,
    ]);
    assert!(m.signing_in);
    assert_eq!(m.sign_in_error, None);
    let m = run(vec![PanelAction::SignInStarted, PanelAction::SignInDone]);
    assert!(m.signed_in && !m.signing_in);
}
