//! The enrollment state machine. Transitions only move forward; `finished` and `unenrolled` are final.

use super::*;

/// Who or what caused a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub user_id: Option<UserId>,
    /// Rule, workflow or system component, e.g. `inbound.reply`, `worker.completion`.
    pub name: Option<String>,
}

impl Actor {
    pub fn user(id: UserId) -> Self {
        Actor {
            kind: ActorKind::User,
            user_id: Some(id),
            name: None,
        }
    }
    pub fn rule(name: &str) -> Self {
        Actor {
            kind: ActorKind::Rule,
            user_id: None,
            name: Some(name.to_string()),
        }
    }
    pub fn system(name: &str) -> Self {
        Actor {
            kind: ActorKind::System,
            user_id: None,
            name: Some(name.to_string()),
        }
    }
    pub fn workflow(name: &str) -> Self {
        Actor {
            kind: ActorKind::Workflow,
            user_id: None,
            name: Some(name.to_string()),
        }
    }
}

/// Evidence stored with a transition: the wire view type is reused as the stored JSON shape.
pub type Evidence = shared::EvidenceView;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub id: EnrollmentId,
    pub account_id: AccountId,
    pub contact_id: ContactId,
    pub sequence_id: SequenceId,
    pub enrolled_by: UserId,
    pub sender_email: String,
    pub sender_name: String,
    pub state: EnrollmentState,
    /// 1-based number of the next step to run; after the last step, the last step's number.
    pub current_step: u32,
    pub total_steps: u32,
    pub next_run_at: Option<Millis>,
    pub pause_reason: Option<PauseReason>,
    pub paused_until: Option<Millis>,
    pub unenroll_reason: Option<UnenrollReason>,
    pub ended_at: Option<Millis>,
    pub actor: Option<Actor>,
    pub evidence: Option<Evidence>,
    pub soft_bounces: u32,
    pub last_message_id: Option<String>,
    /// Message-IDs of this enrollment's thread, oldest first (for References).
    pub thread_refs: Vec<String>,
    pub enrolled_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the enrollment is {0} and can no longer change")]
    Final(EnrollmentState),
    #[error("cannot go from {from} to {to}")]
    NotAllowed {
        from: EnrollmentState,
        to: EnrollmentState,
    },
}

impl Enrollment {
    /// `active` or `paused`: the contact is still in the sequence.
    pub fn is_live(&self) -> bool {
        is_live(self.state)
    }
}

/// `active` or `paused`.
pub fn is_live(state: EnrollmentState) -> bool {
    matches!(state, EnrollmentState::Active | EnrollmentState::Paused)
}

/// The allowed moves: active <-> paused (and re-pausing), live -> finished, live -> unenrolled.
pub fn check_transition(from: EnrollmentState, to: EnrollmentState) -> Result<(), TransitionError> {
    use EnrollmentState::*;
    match (from, to) {
        (Finished | Unenrolled, _) => Err(TransitionError::Final(from)),
        // Paused -> paused: a new pause reason or return date replaces the old one.
        (Active | Paused, Paused) | (Paused, Active) | (Active | Paused, Finished | Unenrolled) => {
            Ok(())
        }
        _ => Err(TransitionError::NotAllowed { from, to }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_table_matches_the_spec() {
        let mut table = String::new();
        for from in EnrollmentState::ALL {
            for to in EnrollmentState::ALL {
                let verdict = match check_transition(*from, *to) {
                    Ok(()) => "ok".to_string(),
                    Err(e) => e.to_string(),
                };
                table.push_str(&format!("{from:>10} -> {to:<10} {verdict}\n"));
            }
        }
        insta::assert_snapshot!(table);
    }
}
