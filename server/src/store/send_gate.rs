//! The send gate: how a due step becomes at most one email, without holding a transaction, the
//! SQLite write lock or a PostgreSQL row lock across SMTP.
//!
//! 1. `claim_due` (one transaction) marks due steps as claimed (`next_run_at` cleared) and records
//!    each email's Message-ID in `sent_messages` as `claimed` before anything is sent
//!    (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite).
//! 2. `open_gate` (a short transaction) re-checks that the enrollment is still `active` at that
//!    step (under `FOR UPDATE` on PostgreSQL, the write lock on SQLite) and `mark_sending` turns the
//!    message `sending`; the transaction commits before SMTP starts.
//! 3. SMTP runs outside any transaction, every step under a deadline (`mail::MailTimeouts`).
//! 4. A second short transaction records the outcome (`settle_message`) and advances the
//!    enrollment only if it is still live at that step (`advance`).
//!
//! An unenroll (any conditional `UPDATE ... WHERE state IN ('active', 'paused')`) commits at once.
//! If it commits before step 2, the gate sees it and nothing is sent. If step 2 committed first,
//! that one email is already in the relay's hands: whoever answers a person (the unenroll API,
//! workflows, the unsubscribe page) waits with `sends_in_flight` until its outcome is recorded
//! (bounded by the mail deadlines), so once the answer arrives nothing more is sent. A `claimed`
//! or `sending` message older than the lease (process died) becomes `unknown` (`expire_claims`).

use sqlx::Row;

use super::enrollments::{enrollment_from_row, u32_of, ClaimedSend, ENR_COLS};
use super::*;
use crate::domain::*;

impl Store {
    /// Claims up to `limit` due steps (see module docs). `message_id` makes the Message-ID for an
    /// email step; tasks get none. A row that cannot be read (corrupt data) is held for review
    /// with the error, so it cannot stop every other account's sends.
    pub async fn claim_due(
        &self,
        now: Millis,
        limit: i64,
        only: Option<EnrollmentId>,
        message_id: &(dyn Fn(&Enrollment) -> Option<String> + Sync),
    ) -> Result<Vec<ClaimedSend>> {
        let mut tx = self.begin_write().await?;
        let only_filter = if only.is_some() { "AND e.id = $3" } else { "" };
        let lock = if self.backend == Backend::Postgres {
            "FOR UPDATE OF e SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {ENR_COLS}, c.email AS contact_email, st.kind AS step_kind FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             LEFT JOIN steps st ON st.sequence_id = e.sequence_id AND st.number = e.current_step
             WHERE e.state = 'active' AND e.next_run_at IS NOT NULL AND e.next_run_at <= $1 {only_filter} ORDER BY e.next_run_at, e.id LIMIT $2 {lock}"
        );
        let mut q = sqlx::query(&sql).bind(now).bind(limit);
        if let Some(id) = only {
            q = q.bind(id.0);
        }
        let rows = q.fetch_all(&mut *tx).await?;
        let mut claims = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            sqlx::query("UPDATE enrollments SET next_run_at = NULL WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let (e, to) = match enrollment_from_row(row)
                .and_then(|e| Ok((e, row.try_get::<String, _>("contact_email")?)))
            {
                Ok(v) => v,
                Err(err) => {
                    tracing::error!(enrollment = id, error = %err, "unreadable enrollment held for review");
                    let evidence = Evidence {
                        note: Some(format!(
                            "the enrollment's stored data could not be read: {err}"
                        )),
                        ..Default::default()
                    };
                    sqlx::query("UPDATE enrollments SET state = 'paused', pause_reason = 'held_for_review', actor_kind = 'system', actor_name = 'worker', evidence = $1 WHERE id = $2 AND state = 'active'")
                        .bind(to_json(&evidence))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    continue;
                }
            };
            // Only email steps get a Message-ID (and a `sent_messages` row); tasks send nothing.
            let step_kind: Option<String> = row.try_get("step_kind")?;
            let mid = if step_kind.as_deref() == Some(StepKind::AutomatedEmail.as_str()) {
                message_id(&e)
            } else {
                None
            };
            if let Some(mid) = &mid {
                sqlx::query(
                    "INSERT INTO sent_messages (account_id, enrollment_id, step_number, message_id, to_email, subject, state, claimed_at)
                     VALUES ($1, $2, $3, $4, $5, '', 'claimed', $6)",
                )
                .bind(e.account_id.0)
                .bind(e.id.0)
                .bind(i64::from(e.current_step))
                .bind(mid)
                .bind(to)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            claims.push(ClaimedSend {
                enrollment_id: e.id,
                account_id: e.account_id,
                sequence_id: e.sequence_id,
                contact_id: e.contact_id,
                step_number: e.current_step,
                message_id: mid,
            });
        }
        tx.commit().await?;
        Ok(claims)
    }

    /// Re-checks a claimed enrollment in a new write transaction (row lock on PostgreSQL). `None`
    /// (and the claim cancelled) when it is no longer active at that step. The caller must not
    /// keep the transaction across network IO: for an email it calls [`Store::mark_sending`]
    /// and commits before sending.
    pub async fn open_gate(&self, claim: &ClaimedSend) -> Result<Option<(Tx, Enrollment)>> {
        let mut tx = self.begin_write().await?;
        let lock = if self.backend == Backend::Postgres {
            "FOR UPDATE"
        } else {
            ""
        };
        let sql = format!("SELECT {ENR_COLS} FROM enrollments e WHERE e.id = $1 {lock}");
        let row = sqlx::query(&sql)
            .bind(claim.enrollment_id.0)
            .fetch_optional(&mut *tx)
            .await?;
        let enrollment = row.as_ref().map(enrollment_from_row).transpose()?;
        match enrollment {
            Some(e)
                if e.state == EnrollmentState::Active && e.current_step == claim.step_number =>
            {
                Ok(Some((tx, e)))
            }
            _ => {
                self.settle_message(&mut tx, claim, "cancelled", None, "")
                    .await?;
                tx.commit().await?;
                Ok(None)
            }
        }
    }

    /// Inside the gate's transaction: the claimed message is about to be handed to the relay.
    pub async fn mark_sending(
        &self,
        tx: &mut Tx,
        claim: &ClaimedSend,
        subject: &str,
    ) -> Result<()> {
        if let Some(mid) = &claim.message_id {
            sqlx::query("UPDATE sent_messages SET state = 'sending', subject = $1 WHERE message_id = $2 AND state = 'claimed'")
                .bind(subject)
                .bind(mid)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Records a claimed message's outcome: `sent`, `failed`, `unknown` or `cancelled`. A message
    /// already marked `unknown` by the lease expiry takes the outcome learned later.
    pub async fn settle_message(
        &self,
        tx: &mut Tx,
        claim: &ClaimedSend,
        state: &str,
        sent_at: Option<Millis>,
        subject: &str,
    ) -> Result<()> {
        if let Some(mid) = &claim.message_id {
            sqlx::query("UPDATE sent_messages SET state = $1, sent_at = $2, subject = $3 WHERE message_id = $4 AND state IN ('claimed', 'sending', 'unknown')")
                .bind(state)
                .bind(sent_at)
                .bind(subject)
                .bind(mid)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The state of a claimed message (`claimed`, `sending`, ...), if it has one.
    pub async fn claim_state(&self, tx: &mut Tx, claim: &ClaimedSend) -> Result<Option<String>> {
        let Some(mid) = &claim.message_id else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT state FROM sent_messages WHERE message_id = $1")
            .bind(mid)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(row.map(|r| r.try_get("state")).transpose()?)
    }

    /// How many attempts at this step failed (temporary failures, counted for the retry limit).
    pub async fn failed_attempts(&self, tx: &mut Tx, id: EnrollmentId, step: u32) -> Result<u32> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sent_messages WHERE enrollment_id = $1 AND step_number = $2 AND state = 'failed'")
            .bind(id.0)
            .bind(i64::from(step))
            .fetch_one(&mut **tx)
            .await?;
        u32_of(&row, "n")
    }

    /// Moves an enrollment from step `e.current_step` to the next (due at `next_run_at`),
    /// remembering the thread; nothing when it has ended or moved on meanwhile.
    pub async fn advance(
        &self,
        tx: &mut Tx,
        e: &Enrollment,
        next_run_at: Millis,
        message_id: Option<&str>,
    ) -> Result<()> {
        let mut refs = e.thread_refs.clone();
        if let Some(m) = message_id {
            refs.push(m.to_string());
        }
        sqlx::query("UPDATE enrollments SET current_step = current_step + 1, next_run_at = $1, last_message_id = COALESCE($2, last_message_id), thread_refs = $3 WHERE id = $4 AND current_step = $5 AND state IN ('active', 'paused')")
            .bind(next_run_at)
            .bind(message_id)
            .bind(to_json(&refs))
            .bind(e.id.0)
            .bind(i64::from(e.current_step))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Records the last message of a thread without advancing (the final step).
    pub async fn record_last_message(
        &self,
        tx: &mut Tx,
        e: &Enrollment,
        message_id: &str,
    ) -> Result<()> {
        let mut refs = e.thread_refs.clone();
        refs.push(message_id.to_string());
        sqlx::query("UPDATE enrollments SET last_message_id = $1, thread_refs = $2 WHERE id = $3")
            .bind(message_id)
            .bind(to_json(&refs))
            .bind(e.id.0)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Puts a claimed step back on the schedule (e.g. after a failed SMTP attempt).
    pub async fn reschedule(&self, tx: &mut Tx, id: EnrollmentId, at: Millis) -> Result<()> {
        sqlx::query("UPDATE enrollments SET next_run_at = $1 WHERE id = $2 AND state = 'active'")
            .bind(at)
            .bind(id.0)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Claims older than `before` that were never settled (`claimed`, or `sending` when the
    /// process died during SMTP): their send outcome is unknown. Marks them `unknown` and
    /// returns them; they are never re-sent automatically.
    pub async fn expire_claims(
        &self,
        tx: &mut Tx,
        before: Millis,
    ) -> Result<Vec<(EnrollmentId, String)>> {
        let rows = sqlx::query("UPDATE sent_messages SET state = 'unknown' WHERE state IN ('claimed', 'sending') AND claimed_at < $1 RETURNING enrollment_id, message_id")
            .bind(before)
            .fetch_all(&mut **tx)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    EnrollmentId(r.try_get("enrollment_id")?),
                    r.try_get("message_id")?,
                ))
            })
            .collect()
    }

    /// Those of `ids` with an email being handed to the relay right now (state `sending`).
    /// `sending` rows are few and found through the `sent_messages_state` index.
    pub async fn sends_in_flight(&self, ids: &[EnrollmentId]) -> Result<Vec<EnrollmentId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT enrollment_id FROM sent_messages WHERE state = 'sending'")
            .fetch_all(&mut *c)
            .await?;
        let wanted: std::collections::HashSet<i64> = ids.iter().map(|i| i.0).collect();
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("enrollment_id")?;
            if wanted.contains(&id) {
                out.push(EnrollmentId(id));
            }
        }
        Ok(out)
    }

    /// Message states of an enrollment's emails, oldest first: (step, message-id, state).
    pub async fn sent_messages(
        &self,
        id: EnrollmentId,
    ) -> Result<Vec<(u32, String, String, Option<Millis>)>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT step_number, message_id, state, sent_at FROM sent_messages WHERE enrollment_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    u32_of(r, "step_number")?,
                    r.try_get("message_id")?,
                    r.try_get("state")?,
                    r.try_get("sent_at")?,
                ))
            })
            .collect()
    }
}
