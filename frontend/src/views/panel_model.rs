//! The panel's state machine as a pure reducer: lookups (with stale answers dropped), the inline
//! unenroll flow, and the card update once the server confirms. Tested without a browser.

use std::collections::HashMap;
use std::rc::Rc;

use shared::{EnrollmentView, RecentUnenrollmentView, RecipientView, UnenrollReason};
use yew::Reducible;

use crate::components::{PanelState, UnenrollUi};
use crate::email::EmailAddress;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PanelModel {
    pub state: PanelState,
    pub refreshing: bool,
    pub ui: HashMap<i64, UnenrollUi>,
    pub announcement: String,
    /// The newest lookup; answers to older ones are ignored.
    pub generation: u64,
    /// The card whose status should take focus after the next render (bumped per request).
    pub focus: Option<(u64, String)>,
    /// The server answered a lookup (or a sign-in succeeded) since the last sign-out.
    pub signed_in: bool,
    /// A sign-in the user asked for is under way.
    pub signing_in: bool,
    /// Why the last sign-in the user asked for failed.
    pub sign_in_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PanelAction {
    /// Lookup `generation` began for this many recipients (0: nothing to look up).
    LookupStarted {
        generation: u64,
        count: usize,
    },
    LookupDone {
        generation: u64,
        requested: Vec<EmailAddress>,
        recipients: Vec<RecipientView>,
    },
    LookupFailed {
        generation: u64,
        message: String,
    },
    SignedOut {
        generation: u64,
    },
    /// The user asked to sign in.
    SignInStarted,
    SignInDone,
    SignInFailed(String),
    /// The user signed out: answers to lookups under way are dropped.
    SignOutDone,
    AskUnenroll(i64),
    CancelUnenroll(i64),
    UnenrollStarted(i64),
    Unenrolled {
        enrollment: Box<EnrollmentView>,
    },
    UnenrollFailed {
        enrollment_id: i64,
        message: String,
    },
}

impl Reducible for PanelModel {
    type Action = PanelAction;

    fn reduce(self: Rc<Self>, action: PanelAction) -> Rc<Self> {
        let mut m = (*self).clone();
        match action {
            PanelAction::LookupStarted { generation, count } => {
                m.generation = generation;
                if count == 0 {
                    m.state = PanelState::Empty;
                    m.refreshing = false;
                } else if matches!(m.state, PanelState::Loaded(_)) {
                    m.refreshing = true;
                } else {
                    m.state = PanelState::Loading { count };
                }
            }
            PanelAction::LookupDone {
                generation,
                requested,
                recipients,
            } => {
                if generation != m.generation {
                    return self;
                }
                m.refreshing = false;
                m.signed_in = true;
                m.state = PanelState::Loaded(in_request_order(&requested, recipients));
            }
            PanelAction::LookupFailed {
                generation,
                message,
            } => {
                if generation != m.generation {
                    return self;
                }
                m.refreshing = false;
                m.state = PanelState::Error(message);
            }
            PanelAction::SignedOut { generation } => {
                if generation != m.generation {
                    return self;
                }
                m.refreshing = false;
                m.signed_in = false;
                m.state = PanelState::NeedsSignIn;
            }
            PanelAction::SignInStarted => {
                m.signing_in = true;
                m.sign_in_error = None;
            }
            PanelAction::SignInDone => {
                m.signing_in = false;
                m.signed_in = true;
            }
            PanelAction::SignInFailed(message) => {
                m.signing_in = false;
                m.signed_in = false;
                m.state = PanelState::NeedsSignIn;
                // Shown (and read out) as an alert beside the button.
                m.sign_in_error = Some(message);
            }
            PanelAction::SignOutDone => {
                m.generation += 1;
                m.refreshing = false;
                m.signed_in = false;
                m.ui.clear();
                m.state = PanelState::NeedsSignIn;
                m.announcement = "Signed out of Sequencer.".into();
            }
            PanelAction::AskUnenroll(id) => {
                m.ui.insert(id, UnenrollUi::Confirming);
            }
            PanelAction::CancelUnenroll(id) => {
                m.ui.remove(&id);
            }
            PanelAction::UnenrollStarted(id) => {
                m.ui.insert(id, UnenrollUi::Working);
            }
            PanelAction::Unenrolled { enrollment } => {
                m.ui.remove(&enrollment.id);
                m.announcement = format!(
                    "{} was unenrolled from {}.",
                    enrollment.contact.name, enrollment.sequence.name
                );
                if let PanelState::Loaded(recipients) = &mut m.state {
                    for r in recipients.iter_mut() {
                        if apply_unenrolled(r, &enrollment) {
                            let nonce = m.focus.as_ref().map_or(0, |(n, _)| n + 1);
                            m.focus = Some((nonce, r.email.clone()));
                        }
                    }
                }
            }
            PanelAction::UnenrollFailed {
                enrollment_id,
                message,
            } => {
                m.announcement = format!("Unenroll failed: {message}");
                m.ui.insert(enrollment_id, UnenrollUi::Failed(message));
            }
        }
        Rc::new(m)
    }
}

/// Replaces a recipient's banner with the new state once the server has unenrolled it. Returns
/// whether this recipient held that enrollment.
pub fn apply_unenrolled(r: &mut RecipientView, e: &EnrollmentView) -> bool {
    let Some(active) = &r.enrollment else {
        return false;
    };
    if active.enrollment_id != e.id {
        return false;
    }
    r.recent_unenrollments.insert(
        0,
        RecentUnenrollmentView {
            enrollment_id: e.id,
            sequence_name: e.sequence.name.clone(),
            reason: e.unenroll_reason.unwrap_or(UnenrollReason::Manual),
            at: e.ended_at.clone().unwrap_or_default(),
            actor: e.ended_by.clone(),
            evidence: e.evidence.clone(),
        },
    );
    r.enrollment = None;
    true
}

/// The server's answer in the order the host gave the addresses (To, then Cc).
pub fn in_request_order(
    requested: &[EmailAddress],
    mut got: Vec<RecipientView>,
) -> Vec<RecipientView> {
    let mut out = Vec::with_capacity(got.len());
    for email in requested {
        if let Some(i) = got
            .iter()
            .position(|r| r.email.eq_ignore_ascii_case(email.as_str()))
        {
            out.push(got.remove(i));
        }
    }
    out.extend(got);
    out
}
