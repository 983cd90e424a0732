//! The immutable activity log: timelines and performance figures are derived from it.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::*;
use crate::domain::*;

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub account_id: AccountId,
    pub contact_id: ContactId,
    pub sequence_id: Option<SequenceId>,
    pub enrollment_id: Option<EnrollmentId>,
    pub kind: String,
    pub at: Millis,
    /// Recorded, but not shown on the contact's timeline.
    pub hidden: bool,
    pub reason: Option<String>,
    pub actor: Option<Actor>,
    pub evidence: Option<Evidence>,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub contact_id: ContactId,
    pub sequence: Option<(SequenceId, String)>,
    pub enrollment_id: Option<EnrollmentId>,
    pub kind: String,
    pub at: Millis,
    pub hidden: bool,
    pub reason: Option<String>,
    pub actor: Option<Actor>,
    pub actor_user: Option<(String, String)>,
    pub evidence: Option<Evidence>,
    pub summary: String,
}

/// Event counts for one sequence, by kind and by unenroll reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerformanceCounts {
    pub by_kind: Vec<(String, u64)>,
    pub unenrolled_by_reason: Vec<(String, u64)>,
}

fn event_from_row(r: &AnyRow) -> Result<EventRow> {
    let actor = match r.try_get::<Option<String>, _>("actor_kind")? {
        Some(kind) => Some(Actor {
            kind: parse_enum(&kind, ActorKind::parse)?,
            user_id: r.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId),
            name: r.try_get("actor_name")?,
        }),
        None => None,
    };
    let seq_id: Option<i64> = r.try_get("sequence_id")?;
    let seq_name: Option<String> = r.try_get("sequence_name")?;
    let user_name: Option<String> = r.try_get("actor_user_name")?;
    let user_email: Option<String> = r.try_get("actor_user_email")?;
    let evidence: Option<String> = r.try_get("evidence")?;
    Ok(EventRow {
        id: r.try_get("id")?,
        contact_id: ContactId(r.try_get("contact_id")?),
        sequence: seq_id.map(SequenceId).zip(seq_name),
        enrollment_id: r
            .try_get::<Option<i64>, _>("enrollment_id")?
            .map(EnrollmentId),
        kind: r.try_get("kind")?,
        at: r.try_get("at")?,
        hidden: get_bool(r, "hidden")?,
        reason: r.try_get("reason")?,
        actor,
        actor_user: user_name.zip(user_email),
        evidence: evidence.as_deref().map(from_json).transpose()?,
        summary: r.try_get("summary")?,
    })
}

impl Store {
    /// Appends events (multi-row inserts, chunked).
    pub async fn insert_events(&self, tx: &mut Tx, events: &[NewEvent]) -> Result<()> {
        const COLS: usize = 13;
        for chunk in events.chunks(60) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * COLS + 1, COLS)))
                .collect();
            let sql = format!(
                "INSERT INTO events (account_id, contact_id, sequence_id, enrollment_id, kind, at, hidden, reason, actor_kind, actor_user_id, actor_name, evidence, summary) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.account_id.0)
                    .bind(e.contact_id.0)
                    .bind(e.sequence_id.map(|s| s.0))
                    .bind(e.enrollment_id.map(|s| s.0))
                    .bind(e.kind.clone())
                    .bind(e.at)
                    .bind(i64::from(e.hidden))
                    .bind(e.reason.clone())
                    .bind(e.actor.as_ref().map(|a| a.kind.as_str()))
                    .bind(e.actor.as_ref().and_then(|a| a.user_id.map(|u| u.0)))
                    .bind(e.actor.as_ref().and_then(|a| a.name.clone()))
                    .bind(e.evidence.as_ref().map(to_json))
                    .bind(e.summary.clone());
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// A contact's events, newest first; `include_hidden` for audits.
    pub async fn timeline(
        &self,
        account: AccountId,
        contact: ContactId,
        include_hidden: bool,
        limit: i64,
    ) -> Result<Vec<EventRow>> {
        let mut c = self.conn().await?;
        let hidden = if include_hidden {
            ""
        } else {
            "AND ev.hidden = 0"
        };
        let sql = format!(
            "SELECT ev.id, ev.contact_id, ev.sequence_id, ev.enrollment_id, ev.kind, ev.at, ev.hidden, ev.reason, ev.actor_kind, ev.actor_user_id, ev.actor_name, ev.evidence, ev.summary,
                    s.name AS sequence_name, u.name AS actor_user_name, u.email AS actor_user_email
             FROM events ev LEFT JOIN sequences s ON s.id = ev.sequence_id LEFT JOIN users u ON u.id = ev.actor_user_id
             WHERE ev.account_id = $1 AND ev.contact_id = $2 {hidden} ORDER BY ev.at DESC, ev.id DESC LIMIT $3"
        );
        sqlx::query(&sql)
            .bind(account.0)
            .bind(contact.0)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    /// A contact's visible events of some kinds since a time, newest first.
    pub async fn events_of_kinds(
        &self,
        account: AccountId,
        contact: ContactId,
        kinds: &[&str],
        since: Millis,
        limit: i64,
    ) -> Result<Vec<EventRow>> {
        let mut c = self.conn().await?;
        let sql = format!(
            "SELECT ev.id, ev.contact_id, ev.sequence_id, ev.enrollment_id, ev.kind, ev.at, ev.hidden, ev.reason, ev.actor_kind, ev.actor_user_id, ev.actor_name, ev.evidence, ev.summary,
                    s.name AS sequence_name, u.name AS actor_user_name, u.email AS actor_user_email
             FROM events ev LEFT JOIN sequences s ON s.id = ev.sequence_id LEFT JOIN users u ON u.id = ev.actor_user_id
             WHERE ev.account_id = $1 AND ev.contact_id = $2 AND ev.hidden = 0 AND ev.at >= $3 AND ev.kind IN ({}) ORDER BY ev.at DESC, ev.id DESC LIMIT $4",
            placeholders(5, kinds.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(account.0)
            .bind(contact.0)
            .bind(since)
            .bind(limit);
        for k in kinds {
            q = q.bind(*k);
        }
        q.fetch_all(&mut *c)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    /// Event counts of a sequence: the source of its performance figures.
    pub async fn performance(
        &self,
        account: AccountId,
        seq: SequenceId,
    ) -> Result<PerformanceCounts> {
        let mut c = self.conn().await?;
        let kinds = sqlx::query("SELECT kind, COUNT(*) AS n FROM events WHERE account_id = $1 AND sequence_id = $2 GROUP BY kind ORDER BY kind")
            .bind(account.0)
            .bind(seq.0)
            .fetch_all(&mut *c)
            .await?;
        let reasons = sqlx::query(
            "SELECT reason, COUNT(*) AS n FROM events WHERE account_id = $1 AND sequence_id = $2 AND kind = 'unenrolled' AND reason IS NOT NULL GROUP BY reason ORDER BY reason",
        )
        .bind(account.0)
        .bind(seq.0)
        .fetch_all(&mut *c)
        .await?;
        let count = |r: &AnyRow, col: &str| -> Result<(String, u64)> {
            Ok((
                r.try_get(col)?,
                u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0),
            ))
        };
        Ok(PerformanceCounts {
            by_kind: kinds
                .iter()
                .map(|r| count(r, "kind"))
                .collect::<Result<_>>()?,
            unenrolled_by_reason: reasons
                .iter()
                .map(|r| count(r, "reason"))
                .collect::<Result<_>>()?,
        })
    }
}
