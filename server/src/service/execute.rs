//! Running due steps through the send gate (see `store::send_gate`), resuming paused
//! enrollments, and surfacing claims whose send outcome is unknown.

use std::panic::AssertUnwindSafe;

use futures_util::stream::{self, StreamExt};
use futures_util::FutureExt;
use sequencer_classify::{classify, Class};

use super::*;
use crate::domain::{Actor, Evidence, Step};
use crate::engine::{schedule, template};
use crate::mail::{MailError, OutgoingEmail, SendFailure, SmtpStage};
use crate::store::{Backend, ClaimedSend, EndRequest, NewEvent, StoreError};

/// A claim older than this with no recorded outcome means the process died mid-send.
pub const CLAIM_LEASE_MS: Millis = 10 * 60 * 1000;
/// A temporary SMTP failure is retried after this long, doubling with each attempt.
const RETRY_MS: Millis = 5 * 60 * 1000;
/// Attempts at one step (temporary failures) before it is held for review with the last error.
pub const MAX_ATTEMPTS: u32 = 5;

/// The wait before attempt `failed + 1`: 5, 10, 20, 40 minutes.
fn retry_delay(failed: u32) -> Millis {
    RETRY_MS.saturating_mul(1 << failed.saturating_sub(1).min(8))
}

fn finished(now: Millis) -> EndRequest {
    EndRequest {
        state: EnrollmentState::Finished,
        reason: None,
        actor: Actor::system("worker.completion"),
        evidence: Evidence::default(),
        now,
        hidden: false,
    }
}

/// Reads a relay's 5xx refusal like an inbound bounce: the reply is put into a minimal delivery
/// status notification and classified by `sequencer-classify`. Anything but a hard or soft bounce
/// is a policy bounce (unenrolls, does not mark the address).
fn refusal_class(recipient: &str, err: &MailError) -> Class {
    let reply = match err {
        MailError::Refused { reply, .. } => reply.replace(['\r', '\n'], " "),
        other => other.to_string(),
    };
    let status = reply
        .split_whitespace()
        .find(|w| {
            let w = w.trim_matches(|c: char| !c.is_ascii_digit() && c != '.');
            w.len() >= 5 && w.starts_with('5') && w.matches('.').count() == 2
        })
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_digit() && c != '.')
                .to_string()
        })
        .unwrap_or_else(|| "5.0.0".into());
    let dsn = format!(
        "From: MAILER-DAEMON@relay.invalid\r\nTo: sender@relay.invalid\r\nSubject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n<{recipient}>: the relay said: {reply}\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.invalid\r\n\r\nFinal-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\nDiagnostic-Code: smtp; {reply}\r\n--b--\r\n"
    );
    match classify(dsn.as_bytes()).class {
        Class::BounceHard => Class::BounceHard,
        Class::BounceSoft => Class::BounceSoft,
        _ => Class::BouncePolicy,
    }
}

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
    /// Held for review after a failure that retrying cannot fix (or the retry limit).
    pub held: u32,
    /// Refused by the relay (5xx): unenrolled as bounced.
    pub bounced: u32,
    /// Email steps put back because the relay was unreachable (not charged to the contact).
    pub deferred: u32,
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
        self.held += o.held;
        self.bounced += o.bounced;
        self.deferred += o.deferred;
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

    /// Runs claimed steps, each inside its own error boundary: an error or a panic while
    /// executing one step holds that enrollment for review with the error (`isolate`) and the
    /// others go on.
    async fn execute_all(&self, claims: Vec<ClaimedSend>, now: Millis) -> Result<TickReport> {
        let parallel = if self.store.backend() == Backend::Postgres {
            8
        } else {
            1
        };
        let results: Vec<(ClaimedSend, std::thread::Result<Result<TickReport>>)> =
            stream::iter(claims)
                .map(|c| async move {
                    let r = AssertUnwindSafe(self.execute(c.clone(), now))
                        .catch_unwind()
                        .await;
                    (c, r)
                })
                .buffer_unordered(parallel)
                .collect()
                .await;
        let mut report = TickReport::default();
        for (claim, r) in results {
            let error = match r {
                Ok(Ok(done)) => {
                    report.add(&done);
                    continue;
                }
                Ok(Err(e)) => e.to_string(),
                Err(panic) => format!("panicked: {}", crate::worker::panic_message(panic.as_ref())),
            };
            tracing::error!(enrollment = claim.enrollment_id.0, %error, "step failed; holding its enrollment for review");
            self.worker.record_isolated_failure();
            report.held += 1;
            if let Err(e) = self.isolate(&claim, &error, now).await {
                tracing::error!(enrollment = claim.enrollment_id.0, error = %e, "could not hold the failed step's enrollment");
            }
        }
        Ok(report)
    }

    /// Executes one claimed step behind the gate (see `store::send_gate`): a short transaction
    /// re-checks the enrollment and marks the email `sending`, SMTP runs outside any
    /// transaction, and a second short transaction records the outcome and advances.
    async fn execute(&self, claim: ClaimedSend, now: Millis) -> Result<TickReport> {
        let mut report = TickReport::default();
        if self.worker.take_injected_panic(claim.enrollment_id.0) {
            panic!(
                "injected fault (test hook) in enrollment {}",
                claim.enrollment_id.0
            );
        }
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
        // Suppression list (issue 19): an address suppressed since enrolling gets nothing.
        if self
            .stop_if_suppressed(&mut tx, &claim, &e, &contact, now)
            .await?
        {
            tx.commit().await.map_err(StoreError::from)?;
            report.cancelled = 1;
            return Ok(report);
        }
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
        if step.kind != StepKind::AutomatedEmail {
            // A task: no network IO, so the whole step is the gate's one transaction.
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
            self.next_step(&mut tx, &sequence, &step, &e, None, now, &mut report)
                .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(report);
        }
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
        if self.worker.relay_down(now) {
            // The relay failed moments ago: the queue waits, nobody is charged an attempt.
            self.store
                .settle_message(&mut tx, &claim, "deferred", None, &subject)
                .await?;
            self.store.reschedule(&mut tx, e.id, now + RETRY_MS).await?;
            tx.commit().await.map_err(StoreError::from)?;
            self.worker.record_deferred();
            report.deferred = 1;
            return Ok(report);
        }
        // Gate transaction 1 ends here: the message is `sending`, and no lock is held while
        // the relay is talked to (every step of that has a deadline).
        self.store.mark_sending(&mut tx, &claim, &subject).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let sent = self.mailer.send(&email).await;
        let mut tx = self.store.begin_write().await?;
        if let Err(err) = sent {
            self.send_failed(
                &mut tx,
                &claim,
                &e,
                &subject,
                &email.to,
                &err,
                now,
                &mut report,
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(report);
        }
        self.worker.mark_relay_up();
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
        report.emails_sent = 1;
        self.next_step(
            &mut tx,
            &sequence,
            &step,
            &e,
            Some(&message_id),
            now,
            &mut report,
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(report)
    }

    /// After step `step` ran: schedule the next step, or finish. Neither applies when the
    /// enrollment ended or moved on while the email was with the relay.
    #[allow(clippy::too_many_arguments)]
    async fn next_step(
        &self,
        tx: &mut crate::store::Tx,
        sequence: &Sequence,
        step: &Step,
        e: &Enrollment,
        sent_id: Option<&str>,
        now: Millis,
        report: &mut TickReport,
    ) -> Result<()> {
        match sequence.step(step.number + 1) {
            Some(next) => {
                let due =
                    schedule::next_due(now, next.delay_days, next.business_days, &sequence.window);
                self.store.advance(tx, e, due, sent_id).await?;
            }
            None => {
                if let Some(mid) = sent_id {
                    self.store.record_last_message(tx, e, mid).await?;
                }
                if !self
                    .store
                    .end_enrollments(tx, e.account_id, &[e.id], &finished(now))
                    .await?
                    .is_empty()
                {
                    report.finished = 1;
                }
            }
        }
        Ok(())
    }

    /// Records a failed send by what it means (`mail::SendFailure`): a temporary failure is
    /// retried with growing delays up to [`MAX_ATTEMPTS`], then held; an unknown outcome is
    /// held, never retried; a relay's 5xx refusal of the recipient or message is a bounce read
    /// like an inbound one; a message that cannot be built is held with the error.
    #[allow(clippy::too_many_arguments)]
    async fn send_failed(
        &self,
        tx: &mut crate::store::Tx,
        claim: &ClaimedSend,
        e: &Enrollment,
        subject: &str,
        to: &str,
        err: &MailError,
        now: Millis,
        report: &mut TickReport,
    ) -> Result<()> {
        let evidence = |note: String| Evidence {
            message_id: claim.message_id.clone(),
            subject: Some(subject.to_string()),
            note: Some(note),
            ..Default::default()
        };
        let failure = match err.failure() {
            SendFailure::Refused(stage @ (SmtpStage::RcptTo | SmtpStage::Payload)) => {
                match refusal_class(to, err) {
                    Class::BounceSoft => SendFailure::Temporary,
                    class => {
                        tracing::warn!(enrollment = e.id.0, error = %err, "the relay refused the email");
                        self.store
                            .settle_message(tx, claim, "failed", None, subject)
                            .await?;
                        let hard = class == Class::BounceHard;
                        if hard {
                            self.record_hard_bounce(tx, e, &evidence(err.to_string()), now)
                                .await?;
                        }
                        let ev = Evidence {
                            class: Some(class.as_str().to_string()),
                            ..evidence(format!("refused at {}: {err}", stage.as_str()))
                        };
                        self.event(
                            tx,
                            e,
                            "send_refused",
                            now,
                            &format!(
                                "The mail relay refused the email ({}){}",
                                class.as_str().replace('_', " "),
                                if hard { "; address marked bounced" } else { "" }
                            ),
                            ev.clone(),
                        )
                        .await?;
                        let req = EndRequest {
                            state: EnrollmentState::Unenrolled,
                            reason: Some(UnenrollReason::Bounced),
                            actor: Actor::system("worker.send_refused"),
                            evidence: ev,
                            now,
                            hidden: false,
                        };
                        self.store
                            .end_enrollments(tx, e.account_id, &[e.id], &req)
                            .await?;
                        report.bounced = 1;
                        return Ok(());
                    }
                }
            }
            other => other,
        };
        match failure {
            SendFailure::RelayDown => {
                tracing::warn!(enrollment = e.id.0, error = %err, "the mail relay is unreachable; the queue waits");
                self.store
                    .settle_message(tx, claim, "deferred", None, subject)
                    .await?;
                self.store.reschedule(tx, e.id, now + RETRY_MS).await?;
                self.worker.mark_relay_down(now + RETRY_MS);
                self.worker.record_deferred();
                report.deferred = 1;
            }
            SendFailure::Temporary => {
                self.store
                    .settle_message(tx, claim, "failed", None, subject)
                    .await?;
                let attempts = self
                    .store
                    .failed_attempts(tx, e.id, claim.step_number)
                    .await?;
                if attempts < MAX_ATTEMPTS {
                    let at = now + retry_delay(attempts);
                    tracing::warn!(enrollment = e.id.0, attempts, error = %err, "send failed; will retry");
                    self.store.reschedule(tx, e.id, at).await?;
                    self.event(
                        tx,
                        e,
                        "send_failed",
                        now,
                        &format!(
                            "Sending failed (attempt {attempts} of {MAX_ATTEMPTS}), retrying at {}: {err}",
                            crate::clock::rfc3339(at)
                        ),
                        evidence(err.to_string()),
                    )
                    .await?;
                    report.failed = 1;
                } else {
                    let note = format!("sending failed {attempts} times; last error: {err}");
                    self.hold(tx, e, "send_failed", &note, evidence(note.clone()), now)
                        .await?;
                    report.held = 1;
                }
            }
            SendFailure::Unknown => {
                tracing::warn!(enrollment = e.id.0, error = %err, "send outcome unknown; held for review");
                self.store
                    .settle_message(tx, claim, "unknown", None, subject)
                    .await?;
                let note = format!("the relay may or may not have accepted the email ({err}); check the Sent folder before resuming");
                self.hold(
                    tx,
                    e,
                    "send_outcome_unknown",
                    &note,
                    evidence(note.clone()),
                    now,
                )
                .await?;
                report.unknown_outcome += 1;
            }
            SendFailure::Unbuildable | SendFailure::Refused(_) => {
                tracing::warn!(enrollment = e.id.0, error = %err, "send failed permanently; held for review");
                self.store
                    .settle_message(tx, claim, "failed", None, subject)
                    .await?;
                let note = format!("sending failed and will not be retried: {err}");
                self.hold(tx, e, "send_failed", &note, evidence(note.clone()), now)
                    .await?;
                report.held = 1;
            }
        }
        Ok(())
    }

    /// Pauses `e` `held_for_review` (if still live) with `evidence`, and tells the rep with a
    /// `kind` event.
    async fn hold(
        &self,
        tx: &mut crate::store::Tx,
        e: &Enrollment,
        kind: &str,
        note: &str,
        evidence: Evidence,
        now: Millis,
    ) -> Result<()> {
        let actor = Actor::system("worker");
        if self
            .store
            .pause(
                tx,
                e.id,
                PauseReason::HeldForReview,
                None,
                &actor,
                &evidence,
            )
            .await?
        {
            self.event(
                tx,
                e,
                kind,
                now,
                &format!("Held for review: {note}"),
                evidence,
            )
            .await?;
        }
        Ok(())
    }

    /// A step whose execution failed with an error or a panic: its message is settled
    /// (`unknown` if it was already with the relay, else `failed`) and the enrollment is held
    /// for review with the error, so the rest of the pass goes on.
    async fn isolate(&self, claim: &ClaimedSend, error: &str, now: Millis) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let was = self.store.claim_state(&mut tx, claim).await?;
        let unknown = was.as_deref() == Some("sending");
        self.store
            .settle_message(
                &mut tx,
                claim,
                if unknown { "unknown" } else { "failed" },
                None,
                "",
            )
            .await?;
        let Some(e) = self
            .store
            .enrollment_in_tx(&mut tx, claim.enrollment_id)
            .await?
        else {
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(());
        };
        let (kind, note) = if unknown {
            (
                "send_outcome_unknown",
                format!("the step failed while its email was with the relay ({error}); check the Sent folder before resuming"),
            )
        } else {
            ("step_failed", format!("the step could not run: {error}"))
        };
        let evidence = Evidence {
            message_id: claim.message_id.clone(),
            note: Some(note.clone()),
            ..Default::default()
        };
        self.hold(&mut tx, &e, kind, &note, evidence, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
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
        self.store
            .end_enrollments(tx, e.account_id, &[e.id], &finished(now))
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

impl App {
    /// Waits until none of `ended` has an email with the relay (state `sending`), bounded by the
    /// mail deadlines: a use case that answers a person ("unenrolled") calls it after its
    /// commit, so nothing is delivered after the answer. See `store::send_gate`.
    pub(crate) async fn wait_for_sends(&self, ended: &[EnrollmentId]) -> Result<()> {
        let limit = self.mailer.timeouts().max_send() + std::time::Duration::from_secs(2);
        let deadline = tokio::time::Instant::now() + limit;
        let mut ids = ended.to_vec();
        loop {
            ids = self.store.sends_in_flight(&ids).await?;
            if ids.is_empty() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!(enrollments = ?ids, "an email was still with the relay when the wait ended");
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relays_refusal_is_read_like_an_inbound_bounce() {
        let cases = [
            (
                "550 5.1.1 <a@x.example>: Recipient address rejected: User unknown in virtual mailbox table",
                Class::BounceHard,
            ),
            ("550 5.1.1 The email account that you tried to reach does not exist", Class::BounceHard),
            ("554 5.7.1 <a@x.example>: Relay access denied", Class::BouncePolicy),
            ("554 5.7.1 Message rejected as spam by Content Filtering", Class::BouncePolicy),
            ("550 rejected", Class::BouncePolicy),
        ];
        for (reply, want) in cases {
            let err = MailError::Refused {
                stage: SmtpStage::RcptTo,
                reply: format!("permanent error ({}): {reply}", &reply[..3]),
            };
            assert_eq!(refusal_class("a@x.example", &err), want, "{reply}");
        }
    }

    #[test]
    fn temporary_failures_wait_longer_each_time() {
        let minutes: Vec<i64> = (1..=4).map(|n| retry_delay(n) / 60_000).collect();
        assert_eq!(minutes, vec![5, 10, 20, 40]);
        assert!(retry_delay(u32::MAX) > 0, "no overflow");
    }
}
