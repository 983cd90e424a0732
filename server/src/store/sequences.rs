//! Sequences and their ordered steps.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::*;
use crate::domain::*;

const SEQ_COLS: &str = "id, account_id, creator_id, name, time_zone, start_hour, end_hour, weekdays_only, unenroll_same_company, ooo_policy, deleted_at, created_at";

/// What a caller sets on a sequence.
#[derive(Debug, Clone)]
pub struct SequenceFields {
    pub name: String,
    pub steps: Vec<Step>,
    pub window: SendWindow,
    pub unenroll_same_company: bool,
    pub ooo_policy: OooPolicy,
}

fn seq_from_row(row: &AnyRow, steps: Vec<Step>) -> Result<Sequence> {
    let tz: String = row.try_get("time_zone")?;
    Ok(Sequence {
        id: SequenceId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        creator_id: UserId(row.try_get("creator_id")?),
        name: row.try_get("name")?,
        steps,
        window: SendWindow {
            time_zone: tz
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("time zone {tz}")))?,
            start_hour: u32::try_from(row.try_get::<i64, _>("start_hour")?).unwrap_or(0),
            end_hour: u32::try_from(row.try_get::<i64, _>("end_hour")?).unwrap_or(24),
            weekdays_only: get_bool(row, "weekdays_only")?,
        },
        unenroll_same_company: get_bool(row, "unenroll_same_company")?,
        ooo_policy: parse_enum(&row.try_get::<String, _>("ooo_policy")?, OooPolicy::parse)?,
        deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
        created_at: row.try_get("created_at")?,
    })
}

async fn steps_of(c: &mut Conn, id: i64) -> Result<Vec<Step>> {
    let rows = sqlx::query("SELECT number, kind, delay_days, business_days, subject, body FROM steps WHERE sequence_id = $1 ORDER BY number")
        .bind(id)
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Step {
                number: u32::try_from(r.try_get::<i64, _>("number")?).unwrap_or(0),
                kind: parse_enum(&r.try_get::<String, _>("kind")?, StepKind::parse)?,
                delay_days: u32::try_from(r.try_get::<i64, _>("delay_days")?).unwrap_or(0),
                business_days: get_bool(r, "business_days")?,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
            })
        })
        .collect()
}

async fn write_steps(tx: &mut Tx, id: i64, steps: &[Step]) -> Result<()> {
    sqlx::query("DELETE FROM steps WHERE sequence_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for s in steps {
        sqlx::query("INSERT INTO steps (sequence_id, number, kind, delay_days, business_days, subject, body) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(i64::from(s.number))
            .bind(s.kind.as_str())
            .bind(i64::from(s.delay_days))
            .bind(i64::from(s.business_days))
            .bind(&s.subject)
            .bind(&s.body)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    pub async fn create_sequence(
        &self,
        account: AccountId,
        creator: UserId,
        f: &SequenceFields,
        now: Millis,
    ) -> Result<Sequence> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO sequences (account_id, creator_id, name, time_zone, start_hour, end_hour, weekdays_only, unenroll_same_company, ooo_policy, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(account.0)
        .bind(creator.0)
        .bind(&f.name)
        .bind(f.window.time_zone.name())
        .bind(i64::from(f.window.start_hour))
        .bind(i64::from(f.window.end_hour))
        .bind(i64::from(f.window.weekdays_only))
        .bind(i64::from(f.unenroll_same_company))
        .bind(f.ooo_policy.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        write_steps(&mut tx, id, &f.steps).await?;
        tx.commit().await?;
        self.sequence(account, SequenceId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt("sequence vanished".into()))
    }

    /// Replaces name, settings and steps. Live enrollments keep their position; their step count
    /// follows the new list.
    pub async fn update_sequence(
        &self,
        account: AccountId,
        id: SequenceId,
        f: &SequenceFields,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE sequences SET name = $1, time_zone = $2, start_hour = $3, end_hour = $4, weekdays_only = $5, unenroll_same_company = $6, ooo_policy = $7
             WHERE id = $8 AND account_id = $9 AND deleted_at IS NULL",
        )
        .bind(&f.name)
        .bind(f.window.time_zone.name())
        .bind(i64::from(f.window.start_hour))
        .bind(i64::from(f.window.end_hour))
        .bind(i64::from(f.window.weekdays_only))
        .bind(i64::from(f.unenroll_same_company))
        .bind(f.ooo_policy.as_str())
        .bind(id.0)
        .bind(account.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        write_steps(&mut tx, id.0, &f.steps).await?;
        sqlx::query("UPDATE enrollments SET total_steps = $1 WHERE sequence_id = $2 AND state IN ('active', 'paused')")
            .bind(f.steps.len() as i64)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn sequence(&self, account: AccountId, id: SequenceId) -> Result<Option<Sequence>> {
        let mut c = self.conn().await?;
        sequence_in(&mut c, account, id).await
    }

    pub async fn sequences(&self, account: AccountId) -> Result<Vec<Sequence>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {SEQ_COLS} FROM sequences WHERE account_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql).bind(account.0).fetch_all(&mut *c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let steps = steps_of(&mut c, r.try_get("id")?).await?;
            out.push(seq_from_row(r, steps)?);
        }
        Ok(out)
    }

    /// Live (active + paused) enrollment counts per sequence of the account.
    pub async fn live_counts(&self, account: AccountId) -> Result<Vec<(SequenceId, u64)>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT sequence_id, COUNT(*) AS n FROM enrollments WHERE account_id = $1 AND state IN ('active', 'paused') GROUP BY sequence_id")
            .bind(account.0)
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    SequenceId(r.try_get("sequence_id")?),
                    u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0),
                ))
            })
            .collect()
    }

    pub async fn mark_sequence_deleted(
        &self,
        tx: &mut Tx,
        account: AccountId,
        id: SequenceId,
        now: Millis,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE sequences SET deleted_at = $1 WHERE id = $2 AND account_id = $3 AND deleted_at IS NULL")
            .bind(now)
            .bind(id.0)
            .bind(account.0)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

pub(crate) async fn sequence_in(
    c: &mut Conn,
    account: AccountId,
    id: SequenceId,
) -> Result<Option<Sequence>> {
    let sql = format!("SELECT {SEQ_COLS} FROM sequences WHERE id = $1 AND account_id = $2");
    let Some(row) = sqlx::query(&sql)
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await?
    else {
        return Ok(None);
    };
    let steps = steps_of(c, id.0).await?;
    seq_from_row(&row, steps).map(Some)
}
