//! Every component state, rendered natively (SSR) and snapshotted. A reviewer reads the HTML tree
//! diff; `cargo insta review` accepts intended changes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests are exempt (house style)

mod common;

use std::collections::HashMap;

use common::{fixture, fixture_entry, render, CLOCK};
use frontend::components::*;
use frontend::mailbox_form::{DraftAction, Field, MailboxDraft};
use shared::*;
use yew::{AttrValue, Callback};

fn recipient(key: &str) -> RecipientView {
    fixture_entry("recipients.json", key)
}

fn card(key: &str, ui: UnenrollUi, compact: bool) -> String {
    render::<RecipientCard>(RecipientCardProps {
        recipient: recipient(key),
        clock: CLOCK,
        ui,
        compact,
        on_unenroll: Callback::noop(),
        on_confirm: Callback::noop(),
        on_cancel: Callback::noop(),
    })
}

fn check_card(key: &str, ui: UnenrollUi) {
    insta::assert_snapshot!(format!("recipient_{key}"), card(key, ui, false));
}

#[test]
fn enrolled_recipient_shows_the_warning_banner() {
    let html = card("enrolled", UnenrollUi::Idle, false);
    assert!(html.contains("This contact is currently enrolled in a sequence"));
    assert!(html.contains("Unenroll from sequence"));
    insta::assert_snapshot!(html);
}

#[test]
fn unenroll_asks_for_a_short_confirmation() {
    insta::assert_snapshot!(card("enrolled", UnenrollUi::Confirming, false));
}

#[test]
fn unenroll_in_progress_and_failed() {
    insta::assert_snapshot!(
        "unenroll_working",
        card("enrolled", UnenrollUi::Working, false)
    );
    let failed =
        UnenrollUi::Failed("You need a Sales or Service seat to change enrollments.".into());
    insta::assert_snapshot!("unenroll_failed", card("enrolled", failed, false));
}

#[test]
fn paused_out_of_office_says_until_when() {
    let html = card("paused_ooo", UnenrollUi::Idle, false);
    assert!(html.contains("Out of office until Thu 3 Dec"));
    insta::assert_snapshot!(html);
}

#[test]
fn every_recipient_status_renders() {
    for key in [
        "held_for_review",
        "not_enrolled",
        "recently_unenrolled",
        "not_in_crm",
        "invalid",
    ] {
        check_card(key, UnenrollUi::Idle);
    }
}

/// The panel's props with no-op callbacks, as a host that signs in through the web app draws it.
fn props(state: PanelState) -> PanelBodyProps {
    PanelBodyProps {
        state,
        clock: CLOCK,
        ui: HashMap::new(),
        refreshing: false,
        announcement: AttrValue::default(),
        sign_in_href: "/app/#/signin".into(),
        on_sign_in: None,
        signing_in: false,
        sign_in_error: None,
        on_sign_out: None,
        children: Default::default(),
        on_unenroll: Callback::noop(),
        on_confirm: Callback::noop(),
        on_cancel: Callback::noop(),
        on_retry: Callback::noop(),
    }
}

fn panel(state: PanelState) -> String {
    render::<PanelBody>(props(state))
}

#[test]
fn panel_states_loading_error_empty_and_signed_out() {
    insta::assert_snapshot!("panel_loading", panel(PanelState::Loading { count: 2 }));
    insta::assert_snapshot!(
        "panel_error",
        panel(PanelState::Error(
            "Sequencer could not be reached. Check your connection.".into()
        ))
    );
    insta::assert_snapshot!("panel_empty", panel(PanelState::Empty));
    insta::assert_snapshot!("panel_needs_sign_in", panel(PanelState::NeedsSignIn));
}

/// The Gmail extension signs in itself: a button instead of the web app's link, the reason a
/// sign-in failed, and "Sign out" while signed in.
#[test]
fn a_host_that_signs_in_itself_offers_google_and_sign_out() {
    let props = |state, error: Option<&str>, signed_in: bool| PanelBodyProps {
        on_sign_in: Some(Callback::noop()),
        sign_in_error: error.map(|e| AttrValue::from(e.to_string())),
        on_sign_out: signed_in.then(Callback::noop),
        ..props(state)
    };
    insta::assert_snapshot!(
        "panel_sign_in_with_google_after_a_refusal",
        render::<PanelBody>(props(
            PanelState::NeedsSignIn,
            Some("Google sign-in was cancelled or refused."),
            false
        ))
    );
    insta::assert_snapshot!(
        "panel_signed_in_offers_sign_out",
        render::<PanelBody>(props(PanelState::Empty, None, true))
    );
}

#[test]
fn several_recipients_are_listed_compactly() {
    let all = [
        "enrolled",
        "not_enrolled",
        "recently_unenrolled",
        "not_in_crm",
    ]
    .map(recipient)
    .to_vec();
    insta::assert_snapshot!(panel(PanelState::Loaded(all)));
}

fn enrollments_table(
    selected: Vec<i64>,
    open_menu: Option<i64>,
    pending: Option<PendingUnenroll>,
) -> String {
    render::<EnrollmentsTable>(EnrollmentsTableProps {
        enrollments: fixture("enrollments.json"),
        sequence_name: "Q4 Outbound".into(),
        clock: CLOCK,
        selected,
        open_menu,
        pending,
        filter: None,
        on_toggle: Callback::noop(),
        on_toggle_all: Callback::noop(),
        on_bulk_unenroll: Callback::noop(),
        on_menu: Callback::noop(),
        on_row_unenroll: Callback::noop(),
        on_confirm: Callback::noop(),
        on_cancel: Callback::noop(),
        on_filter: Callback::noop(),
    })
}

#[test]
fn bulk_unenroll_confirm_dialog_names_how_many_contacts() {
    let pending = PendingUnenroll {
        enrollment_ids: vec![11, 12, 16],
        surface: UnenrollSurface::Bulk,
        busy: false,
        error: None,
    };
    let html = enrollments_table(vec![11, 12, 16], None, Some(pending));
    assert!(html.contains("Unenroll 3 contacts?"));
    insta::assert_snapshot!(html);
}

#[test]
fn row_actions_menu_offers_unenroll() {
    insta::assert_snapshot!(enrollments_table(vec![], Some(11), None));
}

#[test]
fn scheduled_rows_carry_a_reveal_on_hover_or_focus_unenroll() {
    let scheduled: ScheduledResponse = fixture("scheduled.json");
    insta::assert_snapshot!(render::<ScheduledTable>(ScheduledTableProps {
        scheduled: scheduled.scheduled,
        sequence_name: "Q4 Outbound".into(),
        clock: CLOCK,
        pending: None,
        on_unenroll: Callback::noop(),
        on_confirm: Callback::noop(),
        on_cancel: Callback::noop(),
    }));
}

#[test]
fn performance_figures() {
    insta::assert_snapshot!(render::<PerformanceFigures>(PerformanceFiguresProps {
        performance: fixture("performance.json"),
    }));
}

#[test]
fn contact_record_header_puts_unenroll_above_the_avatar() {
    let record: ContactRecordView = fixture("contact_record.json");
    let html = render::<ContactHeader>(ContactHeaderProps {
        contact: record.contact.clone(),
        enrollment: record.current_enrollment.clone(),
        busy: false,
        on_unenroll: Callback::noop(),
    });
    let button = html.find("contact-unenroll").unwrap();
    let avatar = html.find("avatar avatar--lg").unwrap();
    assert!(
        button < avatar,
        "the Unenroll button comes before (above) the avatar"
    );
    insta::assert_snapshot!(html);
}

#[test]
fn contact_record_header_without_enrollment_has_no_unenroll() {
    let record: ContactRecordView = fixture("contact_record.json");
    let html = render::<ContactHeader>(ContactHeaderProps {
        contact: record.contact,
        enrollment: None,
        busy: false,
        on_unenroll: Callback::noop(),
    });
    assert!(!html.contains("contact-unenroll"));
}

#[test]
fn contact_record_enrollments_and_timeline() {
    let record: ContactRecordView = fixture("contact_record.json");
    insta::assert_snapshot!(
        "current_enrollment",
        render::<EnrollmentCard>(EnrollmentCardProps {
            enrollment: record.current_enrollment.unwrap(),
            clock: CLOCK,
            testid: "current-enrollment".into(),
        })
    );
    insta::assert_snapshot!(
        "past_enrollment",
        render::<EnrollmentCard>(EnrollmentCardProps {
            enrollment: record.past_enrollments[0].clone(),
            clock: CLOCK,
            testid: "past-enrollment".into(),
        })
    );
    insta::assert_snapshot!(
        "timeline",
        render::<Timeline>(TimelineProps {
            events: record.timeline,
            clock: CLOCK,
        })
    );
}

#[test]
fn sign_in_form_shows_its_error() {
    insta::assert_snapshot!(render::<SignInForm>(SignInFormProps {
        busy: false,
        error: Some("Wrong email or password.".into()),
        on_submit: Callback::noop(),
    }));
}

#[test]
fn sequence_list() {
    let sequences: Vec<SequenceView> = fixture("sequences.json");
    insta::assert_snapshot!(render::<SequenceTable>(SequenceTableProps {
        sequences,
        clock: CLOCK
    }));
}

fn mailbox_form(draft: MailboxDraft, error: Option<&str>) -> String {
    render::<MailboxForm>(MailboxFormProps {
        draft,
        busy: false,
        error: error.map(|e| AttrValue::from(e.to_string())),
        on_change: Callback::noop(),
        on_submit: Callback::noop(),
        on_cancel: Callback::noop(),
    })
}

#[test]
fn mailbox_list_offers_edit_and_disconnect_and_marks_the_edited_row() {
    insta::assert_snapshot!(render::<MailboxList>(MailboxListProps {
        mailboxes: fixture("mailboxes.json"),
        editing: Some(4),
        on_edit: Callback::noop(),
        on_disconnect: Callback::noop(),
    }));
}

#[test]
fn mailbox_form_connects_with_tls_and_a_password_by_default() {
    insta::assert_snapshot!(mailbox_form(MailboxDraft::default(), None));
}

#[test]
fn mailbox_form_edits_without_showing_secrets_and_says_a_new_user_needs_its_token() {
    let listed: Vec<MailboxView> = fixture("mailboxes.json");
    let mut draft = MailboxDraft::default();
    draft.apply(DraftAction::Edit(listed[1].clone()));
    draft.apply(DraftAction::Type(Field::Username, "other".into()));
    let html = mailbox_form(
        draft,
        Some("a new IMAP server or username needs its password or OAuth2 token"),
    );
    assert!(html.contains("The server or user name changed, so enter its token."));
    insta::assert_snapshot!(html);
}
