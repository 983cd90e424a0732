//! Sequences: CRUD, enrollments list, Scheduled tab, performance figures.

use shared::{
    EnrollmentListResponse, PerformanceView, ReasonCount, ScheduledResponse, ScheduledStepView,
    SequenceRequest, SequenceView, UnenrollReason,
};

use super::views::*;
use super::*;
use crate::clock::rfc3339;
use crate::domain::{SendWindow, Step};
use crate::engine::template;
use crate::store::SequenceFields;

fn fields(req: &SequenceRequest) -> Result<SequenceFields> {
    let bad = |m: String| Err(ServiceError::Validation(m));
    let name = HeaderText::parse("name", &req.name, text::NAME_MAX)?;
    if name.is_empty() {
        return bad("the sequence name is empty".into());
    }
    if req.steps.is_empty() {
        return bad("a sequence needs at least one step".into());
    }
    if req.steps.len() > 50 {
        return bad("a sequence has at most 50 steps".into());
    }
    let w = &req.send_window;
    let Ok(time_zone) = w.time_zone.parse::<chrono_tz::Tz>() else {
        return bad(format!("'{}' is not an IANA time zone", w.time_zone));
    };
    if w.start_hour > 23 || w.end_hour > 24 || w.end_hour <= w.start_hour {
        return bad("the send window needs 0 <= start_hour < end_hour <= 24".into());
    }
    let mut steps = Vec::new();
    for (i, s) in req.steps.iter().enumerate() {
        if s.kind == StepKind::Unknown {
            return bad(format!("step {} has an unknown kind", i + 1));
        }
        // The subject becomes the Subject header (tasks: a title); the body is free text.
        let subject = HeaderText::parse(
            &format!("step {} subject", i + 1),
            &s.subject,
            text::SUBJECT_MAX,
        )?;
        let body = text::body_text(&format!("step {} body", i + 1), &s.body, text::BODY_MAX)?;
        if s.kind == StepKind::AutomatedEmail
            && (s.body.trim().is_empty() || (i == 0 && s.subject.trim().is_empty()))
        {
            return bad(format!(
                "step {}: an automated email needs a body (and step 1 a subject)",
                i + 1
            ));
        }
        if s.delay_days > 365 {
            return bad(format!("step {}: the delay is at most 365 days", i + 1));
        }
        let unknown: Vec<String> = template::unknown_tokens(&s.subject)
            .into_iter()
            .chain(template::unknown_tokens(&s.body))
            .collect();
        if !unknown.is_empty() {
            return bad(format!(
                "step {}: unknown personalization token(s): {}",
                i + 1,
                unknown.join(", ")
            ));
        }
        steps.push(Step {
            number: (i + 1) as u32,
            kind: s.kind,
            delay_days: if i == 0 { 0 } else { s.delay_days },
            business_days: s.business_days,
            subject: subject.into_string(),
            body,
        });
    }
    Ok(SequenceFields {
        name: name.into_string(),
        steps,
        window: SendWindow {
            time_zone,
            start_hour: w.start_hour,
            end_hour: w.end_hour,
            weekdays_only: w.weekdays_only,
        },
        unenroll_same_company: req.unenroll_same_company,
        ooo_policy: match req.ooo_policy {
            None | Some(OooPolicy::Unknown) => OooPolicy::PauseUntilReturn,
            Some(p) => p,
        },
    })
}

/// A step's subject as the Scheduled tab shows it: contact tokens filled in, the rest as readable
/// placeholders such as `[company name]` (rendered for real when the step runs).
fn scheduled_subject(template: &str, row: &crate::store::ScheduledRow) -> String {
    let values = |token: &str| -> Option<String> {
        Some(match token {
            "contact.first_name" => row.contact_first_name.clone(),
            "contact.name" => row.contact_name.clone(),
            "contact.email" => row.contact_email.clone(),
            other => format!("[{}]", other.replace(['.', '_'], " ")),
        })
    };
    template::render(template, &values)
}

impl App {
    pub async fn create_sequence(
        &self,
        caller: &Caller,
        req: &SequenceRequest,
    ) -> Result<SequenceView> {
        caller.allow(super::permissions::Action::CreateSequence, None)?;
        let f = fields(req)?;
        let s = self
            .store
            .create_sequence(caller.account.id, caller.user.id, &f, self.now())
            .await?;
        Ok(sequence_view(&s, &caller.user, 0))
    }

    pub async fn update_sequence(
        &self,
        caller: &Caller,
        id: SequenceId,
        req: &SequenceRequest,
    ) -> Result<SequenceView> {
        let current = self.load_sequence(caller, id).await?;
        caller.allow(
            super::permissions::Action::EditSequence,
            Some(current.creator_id),
        )?;
        let f = fields(req)?;
        if !self
            .store
            .update_sequence(caller.account.id, id, &f)
            .await?
        {
            return Err(ServiceError::NotFound("sequence"));
        }
        self.sequence(caller, id).await
    }

    pub(crate) async fn load_sequence(&self, caller: &Caller, id: SequenceId) -> Result<Sequence> {
        self.store
            .sequence(caller.account.id, id)
            .await?
            .ok_or(ServiceError::NotFound("sequence"))
    }

    pub async fn sequence(&self, caller: &Caller, id: SequenceId) -> Result<SequenceView> {
        let s = self.load_sequence(caller, id).await?;
        let creator = self
            .store
            .user(caller.account.id, s.creator_id)
            .await?
            .ok_or(ServiceError::NotFound("creator"))?;
        let live = self
            .store
            .live_counts(caller.account.id)
            .await?
            .into_iter()
            .find(|(i, _)| *i == id)
            .map_or(0, |(_, n)| n);
        Ok(sequence_view(&s, &creator, live))
    }

    pub async fn sequences(&self, caller: &Caller) -> Result<Vec<SequenceView>> {
        let users = self.store.users(caller.account.id).await?;
        let live = self.store.live_counts(caller.account.id).await?;
        let seqs = self.store.sequences(caller.account.id).await?;
        Ok(seqs
            .iter()
            .filter(|s| !s.deleted)
            .filter_map(|s| {
                let creator = users.iter().find(|u| u.id == s.creator_id)?;
                let n = live.iter().find(|(i, _)| *i == s.id).map_or(0, |(_, n)| *n);
                Some(sequence_view(s, creator, n))
            })
            .collect())
    }

    pub async fn sequence_enrollments(
        &self,
        caller: &Caller,
        id: SequenceId,
        state: Option<EnrollmentState>,
    ) -> Result<EnrollmentListResponse> {
        self.load_sequence(caller, id).await?;
        let rows = self
            .store
            .enrollments_of_sequence(caller.account.id, id, state)
            .await?;
        Ok(EnrollmentListResponse {
            enrollments: rows.iter().map(enrollment_view).collect(),
        })
    }

    pub async fn scheduled(&self, caller: &Caller, id: SequenceId) -> Result<ScheduledResponse> {
        let s = self.load_sequence(caller, id).await?;
        let rows = self.store.scheduled(caller.account.id, id, 500).await?;
        Ok(ScheduledResponse {
            scheduled: rows
                .iter()
                .map(|r| {
                    let step = s.step(r.step_number);
                    ScheduledStepView {
                        enrollment_id: r.enrollment_id.0,
                        contact: shared::ContactRef {
                            id: r.contact_id.0,
                            name: r.contact_name.clone(),
                            email: r.contact_email.clone(),
                        },
                        step_number: r.step_number,
                        total_steps: r.total_steps,
                        kind: step.map_or(StepKind::Unknown, |s| s.kind),
                        subject: step
                            .map(|s| scheduled_subject(&s.subject, r))
                            .unwrap_or_default(),
                        due_at: rfc3339(r.due_at),
                    }
                })
                .collect(),
        })
    }

    /// Figures from immutable events: unenrolling adds an `unenrolled` event and changes nothing else.
    pub async fn performance(&self, caller: &Caller, id: SequenceId) -> Result<PerformanceView> {
        self.load_sequence(caller, id).await?;
        let counts = self.store.performance(caller.account.id, id).await?;
        let kind = |k: &str| {
            counts
                .by_kind
                .iter()
                .find(|(n, _)| n == k)
                .map_or(0, |(_, c)| *c)
        };
        Ok(PerformanceView {
            sequence_id: id.0,
            enrolled: kind("enrolled"),
            emails_sent: kind("email_sent"),
            tasks_created: kind("task_created"),
            replies: kind("reply_received"),
            meetings: kind("meeting_booked"),
            bounces: kind("bounce_received"),
            unsubscribes: kind("unsubscribed"),
            finished: kind("finished"),
            unenrolled: kind("unenrolled"),
            unenrolled_by_reason: counts
                .unenrolled_by_reason
                .iter()
                .filter_map(|(r, c)| {
                    UnenrollReason::parse(r).map(|reason| ReasonCount { reason, count: *c })
                })
                .collect(),
        })
    }

    /// Deletes a sequence: its live enrollments end (`sequence_deleted`); history stays readable.
    pub async fn delete_sequence(&self, caller: &Caller, id: SequenceId) -> Result<()> {
        let current = self.load_sequence(caller, id).await?;
        caller.allow(
            super::permissions::Action::DeleteSequence,
            Some(current.creator_id),
        )?;
        let now = self.now();
        let live = self
            .store
            .live_enrollment_ids(caller.account.id, Some(id), None, None)
            .await?;
        let mut tx = self.store.begin_write().await?;
        if !self
            .store
            .mark_sequence_deleted(&mut tx, caller.account.id, id, now)
            .await?
        {
            return Err(ServiceError::NotFound("sequence"));
        }
        self.end_for_deletion(
            &mut tx,
            caller,
            &live,
            UnenrollReason::SequenceDeleted,
            "sequence deleted",
            now,
        )
        .await?;
        tx.commit().await.map_err(crate::store::StoreError::from)?;
        Ok(())
    }
}
