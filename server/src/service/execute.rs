//! Running due steps through the send gate (see `store::enrollments`), resuming paused
//! enrollments, and surfacing claims whose send outcome is unknown.

use futures_util::stream::{self, StreamExt};

use super::*;
use crate::domain::{Actor, Evidence, Step};
use crate::engine::{schedule, template};
use crate::mail::OutgoingEmail;
use crate::store::{Backend, ClaimedSend, EndRequest, NewEvent, StoreError};

/// A claim older than this with no recorded outcome means the process died mid-send.
pub const CLAIM_LEASE_MS: Millis = 10 * 60 * 1000;
/// A failed SMTP attempt is retried after this long.
const RETRY_MS: Millis = 5 * 60 * 1000;

/// What one scheduler tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    pub resumed: u32,
    pub emails_sent: u32,
    pub tasks_created: u32,
    pub finished: u32,
    pub cancelled: u32,
    pub failed: u32,
    pub unknown_outcome: u32,
}

impl TickReport {
    fn add(&mut self, o: &TickReport) {
        self.resumed += o.resumed;
        self.emails_sent += o.emails_sent;
        self.tasks_created += o.tasks_created;
        self.finished += o.finished;
        self.cancelled += o.cancelled;
        self.failed += o.failed;
        self.unknown_outcome += o.unknown_outcome;
    }
}

fn new_message_id(e: &Enrollment) -> String {
    let domain = e
        .sender_email
        .rsplit_once('@')
        .map_or("sequencer.local", |(_, d)| d);
    format!(
        "seq.{}.{}.{:016x}@{}",
        e.id.0,
        e.current_step,
        rand::random::<u64>(),
        domain
    )
}

impl App {
    /// One scheduler pass at `now`: expire stale claims, resume paused enrollments whose time
    /// came, then run due steps in batches of `batch` until none is due.
    pub async fn tick(&self, now: Millis, batch: i64) -> Result<TickReport> {
        let mut report = TickReport {
            unknown_outcome: self.expire_claims(now).await?,
            ..Default::default()
        };
        report.resumed = self.resume_due(now).await?;
        loop {
            let claims = self.claim(now, batch, None).await?;
            if claims.is_empty() {
                break;
            }
            report.add(&self.execute_all(claims, now).await?);
        }
        Ok(report)
    }

    /// Runs the due step of one enrollment now (used right after enrolling).
    pub(crate) async fn run_due_for(&self, id: EnrollmentId, now: Millis) -> Result<TickReport> {
        let claims = self.claim(now, 1, Some(id)).await?;
        self.execute_all(claims, now).await
    }

    async fn claim(
        &self,
        now: Millis,
        batch: i64,
        only: Option<EnrollmentId>,
    ) -> Result<Vec<ClaimedSend>> {
        Ok(self
            .store
            .claim_due(now, batch, only, &|e: &Enrollment| Some(new_message_id(e)))
            .await?)
    }

    async fn execute_all(&self, claims: Vec<ClaimedSend>, now: Millis) -> Result<TickReport> {
        let parallel = if self.store.backend() == Backend::Postgres {
            8
        } else {
            1
        };
        let results: Vec<Result<TickReport>> = stream::iter(claims)
            .map(|c| self.execute(c, now))
            .buffer_unordered(parallel)
            .collect()
            .await;
        let mut report = TickReport::default();
        for r in results {
            report.add(&r?);
        }
        Ok(report)
    }

    /// Executes one claimed step behind the gate.
    async fn execute(&self, claim: ClaimedSend, now: Millis) -> Result<TickReport> {
        let mut report = TickReport::default();
        // Everything read from other connections is read before the gate opens: on SQLite the
        // gate holds the only write lock, and waiting for a second pooled connection there could
        // deadlock against writers queued on that lock.
        let sequence = self
            .store
            .sequence(claim.account_id, claim.sequence_id)
            .await?;
        let contact = self
            .store
            .contact(claim.account_id, claim.contact_id)
            .await?;
        let company = match contact.as_ref().and_then(|c| c.company_id) {
            Some(id) => self.store.company(claim.account_id, id).await?,
            None => None,
        };
        let Some((mut tx, e)) = self.store.open_gate(&claim).await? else {
            report.cancelled = 1;
            return Ok(report);
        };
        let (Some(sequence), Some(contact)) = (sequence, contact) else {
            self.store
                .settle_message(&mut tx, &claim, "cancelled", None, "")
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
            report.cancelled = 1;
            return Ok(report);
        };
        let Some(step) = sequence.step(e.current_step).cloned() else {
            // The sequence was shortened below this enrollment's position: it is complete.
            self.store
                .settle_message(&mut tx, &claim, "cancelled", None, "")
                .await?;
            self.finish(&mut tx, &e, now).await?;
            tx.commit().await.map_err(StoreError::from)?;
            report.finished = 1;
            return Ok(report);
        };
        let values = |token: &str| -> Option<String> {
            Some(match token {
                "contact.first_name" => contact.first_name.clone(),
                "contact.last_name" => contact.last_name.clone(),
                "contact.name" => contact.display_name(),
                "contact.email" => contact.email.to_string(),
                "contact.title" => contact.title.clone(),
                "company.name" => company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
                "sender.name" => e.sender_name.clone(),
                "sender.email" => e.sender_email.clone(),
                "meeting_link" => self.meeting_url(e.enrolled_by, Some(e.id)),
                "unsubscribe_link" => self.unsubscribe_url(e.id),
                _ => return None,
            })
        };
        let subject = template::render(&step.subject, &values);
        let body = template::render(&step.body, &values);
        let mut sent_id = None;
        if step.kind == StepKind::AutomatedEmail {
            let subject = self.thread_subject(&sequence, &step, &subject, &values);
            let Some(message_id) = claim.message_id.clone() else {
                // The step became an email after it was claimed as a task (the sequence was
                // edited): put it back so the next pass claims it with a Message-ID.
                self.store.reschedule(&mut tx, e.id, now).await?;
                tx.commit().await.map_err(StoreError::from)?;
                report.cancelled = 1;
                return Ok(report);
            };
            let email = OutgoingEmail {
                from_name: e.sender_name.clone(),
                from_email: e.sender_email.clone(),
                to: contact.email.to_string(),
                subject: subject.clone(),
                body,
                message_id: message_id.clone(),
                in_reply_to: e.last_message_id.clone(),
                references: e.thread_refs.clone(),
                headers: Vec::new(),
            };
            let email = self.with_unsubscribe(email, e.id);
            if let Err(err) = self.mailer.send(&email).await {
                tracing::warn!(enrollment = e.id.0, error = %err, "send failed; will retry");
                self.store
                    .settle_message(&mut tx, &claim, "failed", None, &subject)
                    .await?;
                self.store.reschedule(&mut tx, e.id, now + RETRY_MS).await?;
                self.event(
                    &mut tx,
                    &e,
                    "send_failed",
                    now,
                    &format!("Sending failed, retrying: {err}"),
                    Evidence {
                        message_id: Some(message_id),
                        ..Default::default()
                    },
                )
                .await?;
                tx.commit().await.map_err(StoreError::from)?;
                report.failed = 1;
                return Ok(report);
            }
            self.store
                .settle_message(&mut tx, &claim, "sent", Some(now), &subject)
                .await?;
            self.event(
                &mut tx,
                &e,
                "email_sent",
                now,
                &format!("Email sent: {subject}"),
                Evidence {
                    message_id: Some(message_id.clone()),
                    subject: Some(subject),
                    ..Default::default()
                },
            )
            .await?;
            sent_id = Some(message_id);
            report.emails_sent = 1;
        } else {
            self.store
                .insert_task(&mut tx, &e, &step, &subject, &body, now)
                .await?;
            let what = step.kind.as_str().replace('_', " ");
            self.event(
                &mut tx,
                &e,
                "task_created",
                now,
                &format!("Task created ({what}): {subject}"),
                Evidence::default(),
            )
            .await?;
            report.tasks_created = 1;
        }
        match sequence.step(step.number + 1) {
            Some(next) => {
                let due =
                    schedule::next_due(now, next.delay_days, next.business_days, &sequence.window);
                self.store
                    .advance(&mut tx, &e, due, sent_id.as_deref())
                    .await?;
            }
            None => {
                if let Some(mid) = &sent_id {
                    self.store.record_last_message(&mut tx, &e, mid).await?;
                }
                self.finish(&mut tx, &e, now).await?;
                report.finished = 1;
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(report)
    }

    /// Follow-ups without their own subject reply in the thread of step 1.
    fn thread_subject(
        &self,
        sequence: &Sequence,
        step: &Step,
        rendered: &str,
        values: &dyn template::Values,
    ) -> String {
        if !rendered.trim().is_empty() || step.number == 1 {
            return rendered.to_string();
        }
        let first = sequence
            .step(1)
            .map(|s| template::render(&s.subject, values))
            .unwrap_or_default();
        format!("Re: {first}")
    }

    async fn finish(&self, tx: &mut crate::store::Tx, e: &Enrollment, now: Millis) -> Result<()> {
        let req = EndRequest {
            state: EnrollmentState::Finished,
            reason: None,
            actor: Actor::system("worker.completion"),
            evidence: Evidence::default(),
            now,
            hidden: false,
        };
        self.store
            .end_enrollments(tx, e.account_id, &[e.id], &req)
            .await?;
        Ok(())
    }

    async fn event(
        &self,
        tx: &mut crate::store::Tx,
        e: &Enrollment,
        kind: &str,
        now: Millis,
        summary: &str,
        evidence: Evidence,
    ) -> Result<()> {
        let ev = self.new_event(e, kind, now, summary, evidence);
        self.store.insert_events(tx, &[ev]).await?;
        Ok(())
    }

    /// A visible event about `e`, by the worker.
    fn new_event(
        &self,
        e: &Enrollment,
        kind: &str,
        now: Millis,
        summary: &str,
        evidence: Evidence,
    ) -> NewEvent {
        NewEvent {
            account_id: e.account_id,
            contact_id: e.contact_id,
            sequence_id: Some(e.sequence_id),
            enrollment_id: Some(e.id),
            kind: kind.into(),
            at: now,
            hidden: false,
            reason: None,
            actor: Some(Actor::system("worker")),
            evidence: Some(evidence),
            summary: summary.into(),
        }
    }

    /// Claims past their lease whose outcome was never recorded: mark them `unknown`, hold the
    /// enrollment for review and tell the rep. Never re-sent blindly.
    async fn expire_claims(&self, now: Millis) -> Result<u32> {
        let mut tx = self.store.begin_write().await?;
        let expired = self
            .store
            .expire_claims(&mut tx, now - CLAIM_LEASE_MS)
            .await?;
        for (id, message_id) in &expired {
            let evidence = Evidence { message_id: Some(message_id.clone()), note: Some("send outcome unknown after an interruption; check the Sent folder before resuming".into()), ..Default::default() };
            let actor = Actor::system("worker.claim_expiry");
            if self
                .store
                .pause(
                    &mut tx,
                    *id,
                    PauseReason::HeldForReview,
                    None,
                    &actor,
                    &evidence,
                )
                .await?
            {
                if let Some(row) = self.store.enrollment_in_tx(&mut tx, *id).await? {
                    self.event(
                        &mut tx,
                        &row,
                        "send_outcome_unknown",
                        now,
                        "A step's email may or may not have been sent: held for review",
                        evidence,
                    )
                    .await?;
                }
            }
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(expired.len() as u32)
    }

    async fn resume_due(&self, now: Millis) -> Result<u32> {
        let due = self.store.due_resumes(now, 1000).await?;
        let mut n = 0;
        for e in due {
            let summary = "Resumed after the pause ended";
            if self
                .resume_paused(
                    &e,
                    Actor::system("worker"),
                    summary,
                    Evidence::default(),
                    now,
                )
                .await?
                == Some(true)
            {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Makes paused `e` active again (its next step at [`schedule::resume_at`]) and records a
    /// `resumed` event by `actor`, in one transaction. `Some(false)`: it was no longer paused (a
    /// reply or an unenroll won the race); `None`: its sequence is gone.
    pub(crate) async fn resume_paused(
        &self,
        e: &Enrollment,
        actor: Actor,
        summary: &str,
        evidence: Evidence,
        now: Millis,
    ) -> Result<Option<bool>> {
        let Some(sequence) = self.store.sequence(e.account_id, e.sequence_id).await? else {
            return Ok(None);
        };
        let at = schedule::resume_at(e.next_run_at, now, &sequence.window);
        let mut tx = self.store.begin_write().await?;
        if !self.store.resume(&mut tx, e.id, Some(at)).await? {
            return Ok(Some(false));
        }
        let ev = NewEvent {
            actor: Some(actor),
            ..self.new_event(e, "resumed", now, summary, evidence)
        };
        self.store.insert_events(&mut tx, &[ev]).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Some(true))
    }
}
