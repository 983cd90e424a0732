//! The panel's hot path: for each recipient address, the contact, its live enrollment and its
//! recent unenrollments and auto-replies.

use shared::{
    ActiveEnrollmentView, ContactSummary, RecentUnenrollmentView, RecipientView, RecipientsResponse,
};

use super::views::*;
use super::*;
use crate::clock::rfc3339;

/// How far back "recently unenrolled" and recent auto-replies reach.
const RECENT_MS: Millis = 30 * 24 * 3600 * 1000;
/// The most addresses one lookup answers.
pub const MAX_RECIPIENTS: usize = 50;

impl App {
    pub async fn recipients(
        &self,
        caller: &Caller,
        emails: &[String],
    ) -> Result<RecipientsResponse> {
        if emails.len() > MAX_RECIPIENTS {
            return Err(ServiceError::Validation(format!(
                "ask for at most {MAX_RECIPIENTS} addresses at a time"
            )));
        }
        let mut out = Vec::with_capacity(emails.len());
        for raw in emails {
            out.push(match EmailAddress::parse(raw) {
                Ok(email) => self.recipient(caller, email).await?,
                Err(e) => RecipientView {
                    email: raw.trim().to_string(),
                    contact: None,
                    enrollment: None,
                    recent_unenrollments: Vec::new(),
                    recent_auto_replies: Vec::new(),
                    error: Some(ServiceError::InvalidEmail(e).body()),
                },
            });
        }
        Ok(RecipientsResponse { recipients: out })
    }

    async fn recipient(&self, caller: &Caller, email: EmailAddress) -> Result<RecipientView> {
        let account = caller.account.id;
        let mut view = RecipientView {
            email: email.to_string(),
            contact: None,
            enrollment: None,
            recent_unenrollments: Vec::new(),
            recent_auto_replies: Vec::new(),
            error: None,
        };
        let Some((c, enrollments)) = self
            .store
            .recipient_with_enrollments(account, &email, 10)
            .await?
        else {
            return Ok(view);
        };
        view.contact = Some(ContactSummary {
            id: c.id.0,
            name: c.name.clone(),
            email: c.email.clone(),
            title: c.title.clone(),
            company: c.company.clone(),
            owner: c.owner.clone(),
            email_status: c.email_status,
            unsubscribed: c.unsubscribed,
        });
        let since = self.now() - RECENT_MS;
        let mut recent_activity = false;
        for (row, next_kind) in enrollments {
            let e = &row.enrollment;
            recent_activity |= e.is_live() || e.ended_at.is_some_and(|at| at >= since);
            if e.is_live() {
                view.enrollment = Some(ActiveEnrollmentView {
                    enrollment_id: e.id.0,
                    sequence_id: e.sequence_id.0,
                    sequence_name: row.sequence_name.clone(),
                    state: e.state,
                    pause_reason: e.pause_reason,
                    paused_until: e.paused_until.map(rfc3339),
                    step_number: e.current_step,
                    total_steps: e.total_steps,
                    next_step_kind: next_kind,
                    next_step_at: if e.state == EnrollmentState::Active {
                        e.next_run_at.map(rfc3339)
                    } else {
                        None
                    },
                    enrolled_by: user_ref(
                        e.enrolled_by.0,
                        &row.enrolled_by_name,
                        &row.enrolled_by_email,
                    ),
                    enrolled_at: rfc3339(e.enrolled_at),
                });
            } else if let (Some(reason), Some(at)) = (e.unenroll_reason, e.ended_at) {
                if at >= since && view.recent_unenrollments.len() < 3 {
                    view.recent_unenrollments.push(RecentUnenrollmentView {
                        enrollment_id: e.id.0,
                        sequence_name: row.sequence_name.clone(),
                        reason,
                        at: rfc3339(at),
                        actor: e
                            .actor
                            .as_ref()
                            .map(|a| actor_view(a, row.actor_user.as_ref())),
                        evidence: e.evidence.clone(),
                    });
                }
            }
        }
        // Auto-replies are recorded against enrollments: without one live or ended in the window
        // there can be none, and the hot path skips the query.
        let auto = if recent_activity {
            self.store
                .events_of_kinds(
                    account,
                    c.id,
                    &["ooo_received", "auto_reply_received"],
                    since,
                    3,
                )
                .await?
        } else {
            Vec::new()
        };
        view.recent_auto_replies = auto.iter().map(event_view).collect();
        Ok(view)
    }
}
