//! Enrollments: enroll, read, end (unenroll/finish), pause/resume. The send gate's statements
//! live in `send_gate.rs`.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::*;
use crate::domain::*;

pub(crate) const ENR_COLS: &str = "e.id, e.account_id, e.contact_id, e.sequence_id, e.enrolled_by, e.sender_email, e.sender_name, e.state, e.current_step, e.total_steps, e.next_run_at, e.pause_reason, e.paused_until, e.unenroll_reason, e.ended_at, e.actor_kind, e.actor_user_id, e.actor_name, e.evidence, e.soft_bounces, e.last_message_id, e.thread_refs, e.enrolled_at";
pub(crate) const VIEW_JOINS: &str = "c.email AS contact_email, c.first_name, c.last_name, s.name AS sequence_name, u.name AS enrolled_by_name, u.email AS enrolled_by_email, au.name AS actor_user_name, au.email AS actor_user_email
     FROM enrollments e JOIN contacts c ON c.id = e.contact_id JOIN sequences s ON s.id = e.sequence_id JOIN users u ON u.id = e.enrolled_by LEFT JOIN users au ON au.id = e.actor_user_id";

/// An enrollment with the names its views show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRow {
    pub enrollment: Enrollment,
    pub contact_email: String,
    pub contact_name: String,
    pub sequence_name: String,
    pub enrolled_by_name: String,
    pub enrolled_by_email: String,
    pub actor_user: Option<(String, String)>,
}

/// A step claimed for execution; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSend {
    pub enrollment_id: EnrollmentId,
    pub account_id: AccountId,
    pub sequence_id: SequenceId,
    pub contact_id: ContactId,
    pub step_number: u32,
    /// Set for email steps: recorded before sending.
    pub message_id: Option<String>,
}

/// One upcoming step for the Scheduled tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRow {
    pub enrollment_id: EnrollmentId,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub contact_first_name: String,
    pub contact_email: String,
    pub step_number: u32,
    pub total_steps: u32,
    pub due_at: Millis,
}

/// How enrollments end: unenrolled with a reason, or finished.
#[derive(Debug, Clone)]
pub struct EndRequest {
    pub state: EnrollmentState,
    pub reason: Option<UnenrollReason>,
    pub actor: Actor,
    pub evidence: Evidence,
    pub now: Millis,
    /// Hide the `unenrolled` event from the contact's timeline.
    pub hidden: bool,
}

pub(crate) fn u32_of(row: &AnyRow, col: &str) -> Result<u32> {
    Ok(u32::try_from(row.try_get::<i64, _>(col)?).unwrap_or(0))
}

pub(crate) fn enrollment_from_row(row: &AnyRow) -> Result<Enrollment> {
    let actor_kind: Option<String> = row.try_get("actor_kind")?;
    let actor = match actor_kind {
        Some(kind) => Some(Actor {
            kind: parse_enum(&kind, ActorKind::parse)?,
            user_id: row.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId),
            name: row.try_get("actor_name")?,
        }),
        None => None,
    };
    let evidence: Option<String> = row.try_get("evidence")?;
    Ok(Enrollment {
        id: EnrollmentId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        contact_id: ContactId(row.try_get("contact_id")?),
        sequence_id: SequenceId(row.try_get("sequence_id")?),
        enrolled_by: UserId(row.try_get("enrolled_by")?),
        sender_email: row.try_get("sender_email")?,
        sender_name: row.try_get("sender_name")?,
        state: parse_enum(&row.try_get::<String, _>("state")?, EnrollmentState::parse)?,
        current_step: u32_of(row, "current_step")?,
        total_steps: u32_of(row, "total_steps")?,
        next_run_at: row.try_get("next_run_at")?,
        pause_reason: opt_enum(row.try_get("pause_reason")?, PauseReason::parse)?,
        paused_until: row.try_get("paused_until")?,
        unenroll_reason: opt_enum(row.try_get("unenroll_reason")?, UnenrollReason::parse)?,
        ended_at: row.try_get("ended_at")?,
        actor,
        evidence: evidence.as_deref().map(from_json).transpose()?,
        soft_bounces: u32_of(row, "soft_bounces")?,
        last_message_id: row.try_get("last_message_id")?,
        thread_refs: from_json(&row.try_get::<String, _>("thread_refs")?)?,
        enrolled_at: row.try_get("enrolled_at")?,
    })
}

pub(crate) fn view_row(row: &AnyRow) -> Result<EnrollmentRow> {
    let email: String = row.try_get("contact_email")?;
    let first: String = row.try_get("first_name")?;
    let last: String = row.try_get("last_name")?;
    let actor_name: Option<String> = row.try_get("actor_user_name")?;
    let actor_email: Option<String> = row.try_get("actor_user_email")?;
    Ok(EnrollmentRow {
        enrollment: enrollment_from_row(row)?,
        contact_name: display_name(&first, &last, &email),
        contact_email: email,
        sequence_name: row.try_get("sequence_name")?,
        enrolled_by_name: row.try_get("enrolled_by_name")?,
        enrolled_by_email: row.try_get("enrolled_by_email")?,
        actor_user: actor_name.zip(actor_email),
    })
}

impl Store {
    /// Inserts an active enrollment. Fails with `Duplicate("live enrollment")` when the contact
    /// already has an active or paused one (enforced by a partial unique index).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_enrollment(
        &self,
        tx: &mut Tx,
        account: AccountId,
        contact: ContactId,
        sequence: SequenceId,
        by: &User,
        total_steps: u32,
        now: Millis,
    ) -> Result<EnrollmentId> {
        let id: i64 = sqlx::query(
            "INSERT INTO enrollments (account_id, contact_id, sequence_id, enrolled_by, sender_email, sender_name, state, current_step, total_steps, next_run_at, soft_bounces, thread_refs, enrolled_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'active', 1, $7, $8, 0, '[]', $8) RETURNING id",
        )
        .bind(account.0)
        .bind(contact.0)
        .bind(sequence.0)
        .bind(by.id.0)
        .bind(by.email.as_str())
        .bind(&by.name)
        .bind(i64::from(total_steps))
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(map_unique("live enrollment"))?
        .try_get("id")?;
        Ok(EnrollmentId(id))
    }

    pub async fn enrollment(
        &self,
        account: AccountId,
        id: EnrollmentId,
    ) -> Result<Option<EnrollmentRow>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {ENR_COLS}, {VIEW_JOINS} WHERE e.id = $1 AND e.account_id = $2");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(account.0)
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(view_row).transpose()
    }

    /// An enrollment read inside a transaction.
    pub async fn enrollment_in_tx(
        &self,
        tx: &mut Tx,
        id: EnrollmentId,
    ) -> Result<Option<Enrollment>> {
        let sql = format!("SELECT {ENR_COLS} FROM enrollments e WHERE e.id = $1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref().map(enrollment_from_row).transpose()
    }

    /// Enrollments of a sequence, optionally of one state, newest first.
    pub async fn enrollments_of_sequence(
        &self,
        account: AccountId,
        seq: SequenceId,
        state: Option<EnrollmentState>,
    ) -> Result<Vec<EnrollmentRow>> {
        let mut c = self.conn().await?;
        let filter = if state.is_some() {
            "AND e.state = $3"
        } else {
            ""
        };
        let sql = format!("SELECT {ENR_COLS}, {VIEW_JOINS} WHERE e.account_id = $1 AND e.sequence_id = $2 {filter} ORDER BY e.enrolled_at DESC, e.id DESC");
        let mut q = sqlx::query(&sql).bind(account.0).bind(seq.0);
        if let Some(s) = state {
            q = q.bind(s.as_str());
        }
        q.fetch_all(&mut *c).await?.iter().map(view_row).collect()
    }

    /// All enrollments of a contact, newest first.
    pub async fn enrollments_of_contact(
        &self,
        account: AccountId,
        contact: ContactId,
        limit: i64,
    ) -> Result<Vec<EnrollmentRow>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {ENR_COLS}, {VIEW_JOINS} WHERE e.account_id = $1 AND e.contact_id = $2 ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $3");
        sqlx::query(&sql)
            .bind(account.0)
            .bind(contact.0)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(view_row)
            .collect()
    }

    /// Live enrollments matching a filter on `e` (`creator` restricts to sequences that user created).
    ///
    /// The statement names only the filters given, so an index applies: the contact's live
    /// enrollment (`enrollments_one_live_per_contact`) or the sequence's (`enrollments_sequence`).
    /// A `($2 < 0 OR col = $2)` style optional filter would make SQLite scan every enrollment.
    pub async fn live_enrollment_ids(
        &self,
        account: AccountId,
        sequence: Option<SequenceId>,
        contact: Option<ContactId>,
        creator: Option<UserId>,
    ) -> Result<Vec<EnrollmentId>> {
        let mut c = self.conn().await?;
        let mut sql = String::from("SELECT e.id FROM enrollments e");
        if creator.is_some() {
            sql.push_str(" JOIN sequences s ON s.id = e.sequence_id");
        }
        sql.push_str(" WHERE e.account_id = $1 AND e.state IN ('active', 'paused')");
        let mut binds = Vec::new();
        for (filter, value) in [
            ("e.sequence_id", sequence.map(|s| s.0)),
            ("e.contact_id", contact.map(|c| c.0)),
            ("s.creator_id", creator.map(|u| u.0)),
        ] {
            if let Some(v) = value {
                binds.push(v);
                sql.push_str(&format!(" AND {filter} = ${}", binds.len() + 1));
            }
        }
        sql.push_str(" ORDER BY e.id");
        let mut q = sqlx::query(&sql).bind(account.0);
        for v in binds {
            q = q.bind(v);
        }
        let rows = q.fetch_all(&mut *c).await?;
        rows.iter()
            .map(|r| Ok(EnrollmentId(r.try_get("id")?)))
            .collect()
    }

    /// Upcoming steps of a sequence's active enrollments, soonest first.
    pub async fn scheduled(
        &self,
        account: AccountId,
        seq: SequenceId,
        limit: i64,
    ) -> Result<Vec<ScheduledRow>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query(
            "SELECT e.id, e.contact_id, e.current_step, e.total_steps, e.next_run_at, c.email, c.first_name, c.last_name
             FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE e.account_id = $1 AND e.sequence_id = $2 AND e.state = 'active' AND e.next_run_at IS NOT NULL
             ORDER BY e.next_run_at, e.id LIMIT $3",
        )
        .bind(account.0)
        .bind(seq.0)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
        rows.iter()
            .map(|r| {
                let email: String = r.try_get("email")?;
                Ok(ScheduledRow {
                    enrollment_id: EnrollmentId(r.try_get("id")?),
                    contact_id: ContactId(r.try_get("contact_id")?),
                    contact_first_name: r.try_get("first_name")?,
                    contact_name: display_name(
                        &r.try_get::<String, _>("first_name")?,
                        &r.try_get::<String, _>("last_name")?,
                        &email,
                    ),
                    contact_email: email,
                    step_number: u32_of(r, "current_step")?,
                    total_steps: u32_of(r, "total_steps")?,
                    due_at: r.try_get("next_run_at")?,
                })
            })
            .collect()
    }

    /// Ends the live enrollments among `ids` (of this account) in one statement per chunk, and
    /// writes one event each. Returns the enrollments that were live and are now ended.
    pub async fn end_enrollments(
        &self,
        tx: &mut Tx,
        account: AccountId,
        ids: &[EnrollmentId],
        req: &EndRequest,
    ) -> Result<Vec<Enrollment>> {
        let mut ended = Vec::with_capacity(ids.len());
        let evidence = to_json(&req.evidence);
        for chunk in ids.chunks(400) {
            let sql = format!(
                "UPDATE enrollments SET state = $1, unenroll_reason = $2, ended_at = $3, next_run_at = NULL, actor_kind = $4, actor_user_id = $5, actor_name = $6, evidence = $7
                 WHERE account_id = $8 AND state IN ('active', 'paused') AND id IN ({}) RETURNING {}",
                placeholders(9, chunk.len()),
                ENR_COLS.replace("e.", "")
            );
            let mut q = sqlx::query(&sql)
                .bind(req.state.as_str())
                .bind(req.reason.map(|r| r.as_str()))
                .bind(req.now)
                .bind(req.actor.kind.as_str())
                .bind(req.actor.user_id.map(|u| u.0))
                .bind(req.actor.name.clone())
                .bind(evidence.clone())
                .bind(account.0);
            for id in chunk {
                q = q.bind(id.0);
            }
            for row in q.fetch_all(&mut **tx).await? {
                ended.push(enrollment_from_row(&row)?);
            }
        }
        let (kind, summary) = match req.reason {
            Some(r) => (
                "unenrolled",
                format!("Unenrolled: {}", r.as_str().replace('_', " ")),
            ),
            None => ("finished", "Finished the sequence".to_string()),
        };
        let events: Vec<NewEvent> = ended
            .iter()
            .map(|e| NewEvent {
                account_id: account,
                contact_id: e.contact_id,
                sequence_id: Some(e.sequence_id),
                enrollment_id: Some(e.id),
                kind: kind.to_string(),
                at: req.now,
                hidden: req.hidden,
                // A finished enrollment's event carries the reason `completed` (not an unenrollment).
                reason: Some(req.reason.map_or("completed", |r| r.as_str()).to_string()),
                actor: Some(req.actor.clone()),
                evidence: Some(req.evidence.clone()),
                summary: summary.clone(),
            })
            .collect();
        self.insert_events(tx, &events).await?;
        Ok(ended)
    }

    /// Pauses a live enrollment (keeps its step), or re-pauses with a new reason/until.
    pub async fn pause(
        &self,
        tx: &mut Tx,
        id: EnrollmentId,
        reason: PauseReason,
        until: Option<Millis>,
        actor: &Actor,
        evidence: &Evidence,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE enrollments SET state = 'paused', pause_reason = $1, paused_until = $2, actor_kind = $3, actor_user_id = $4, actor_name = $5, evidence = $6
             WHERE id = $7 AND state IN ('active', 'paused')",
        )
        .bind(reason.as_str())
        .bind(until)
        .bind(actor.kind.as_str())
        .bind(actor.user_id.map(|u| u.0))
        .bind(actor.name.clone())
        .bind(to_json(evidence))
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Makes a paused enrollment active again; its next step runs at `next_run_at`.
    pub async fn resume(
        &self,
        tx: &mut Tx,
        id: EnrollmentId,
        next_run_at: Option<Millis>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE enrollments SET state = 'active', pause_reason = NULL, paused_until = NULL, next_run_at = $1 WHERE id = $2 AND state = 'paused'",
        )
        .bind(next_run_at)
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Paused enrollments whose `paused_until` has come.
    pub async fn due_resumes(&self, now: Millis, limit: i64) -> Result<Vec<Enrollment>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {ENR_COLS} FROM enrollments e WHERE e.state = 'paused' AND e.paused_until IS NOT NULL AND e.paused_until <= $1 ORDER BY e.paused_until LIMIT $2");
        sqlx::query(&sql)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(enrollment_from_row)
            .collect()
    }

    /// Creates a task for a task step.
    pub async fn insert_task(
        &self,
        tx: &mut Tx,
        e: &Enrollment,
        step: &Step,
        title: &str,
        body: &str,
        now: Millis,
    ) -> Result<()> {
        sqlx::query("INSERT INTO tasks (account_id, enrollment_id, step_number, kind, title, body, owner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(e.account_id.0)
            .bind(e.id.0)
            .bind(i64::from(step.number))
            .bind(step.kind.as_str())
            .bind(title)
            .bind(body)
            .bind(e.enrolled_by.0)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// States of the given enrollment ids within the account (absent ids are not in the account).
    pub async fn enrollment_states(
        &self,
        account: AccountId,
        ids: &[EnrollmentId],
    ) -> Result<Vec<(EnrollmentId, EnrollmentState)>> {
        let mut c = self.conn().await?;
        let mut out = Vec::new();
        for chunk in ids.chunks(400) {
            let sql = format!(
                "SELECT id, state FROM enrollments WHERE account_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(account.0);
            for id in chunk {
                q = q.bind(id.0);
            }
            for r in q.fetch_all(&mut *c).await? {
                out.push((
                    EnrollmentId(r.try_get("id")?),
                    parse_enum(&r.try_get::<String, _>("state")?, EnrollmentState::parse)?,
                ));
            }
        }
        Ok(out)
    }
}
