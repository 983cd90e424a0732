//! Bulk seeding for `sequencer bench`: many contacts and live enrollments in a few multi-row
//! inserts. Not used by the product paths.

use super::*;
use crate::domain::*;

impl Store {
    #[allow(clippy::too_many_arguments)]
    /// Inserts `n` contacts (`bench{i}@{domain}`) each with an active enrollment in `sequence`
    /// at step `current_step`, due at `next_run_at`.
    pub async fn bench_seed(
        &self,
        account: AccountId,
        user: &User,
        sequence: SequenceId,
        current_step: u32,
        total_steps: u32,
        n: usize,
        next_run_at: Millis,
        domain: &str,
    ) -> Result<()> {
        const CHUNK: usize = 500;
        let mut tx = self.begin_write().await?;
        for start in (0..n).step_by(CHUNK) {
            let end = (start + CHUNK).min(n);
            let rows: Vec<String> = (start..end)
                .map(|i| format!("({}, 'bench{i}@{domain}', 'Bench', 'Contact {i}', 'Buyer', NULL, NULL, 'valid', 0, 0)", account.0))
                .collect();
            let sql = format!(
                "INSERT INTO contacts (account_id, email, first_name, last_name, title, company_id, owner_id, email_status, unsubscribed, created_at) VALUES {}",
                rows.join(", ")
            );
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
        let sql = "INSERT INTO enrollments (account_id, contact_id, sequence_id, enrolled_by, sender_email, sender_name, state, current_step, total_steps, next_run_at, soft_bounces, thread_refs, enrolled_at)
                   SELECT $1, id, $2, $3, $4, $5, 'active', $6, $7, $8, 0, '[]', 0 FROM contacts WHERE account_id = $1 AND email LIKE $9";
        sqlx::query(sql)
            .bind(account.0)
            .bind(sequence.0)
            .bind(user.id.0)
            .bind(user.email.as_str())
            .bind(&user.name)
            .bind(i64::from(current_step))
            .bind(i64::from(total_steps))
            .bind(next_run_at)
            .bind(format!("bench%@{domain}"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes up to `n` active enrollments of the sequence due at `at`; returns how many.
    pub async fn bench_make_due(&self, sequence: SequenceId, n: i64, at: Millis) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE enrollments SET next_run_at = $1 WHERE id IN (SELECT id FROM enrollments WHERE sequence_id = $2 AND state = 'active' ORDER BY id LIMIT $3)",
        )
        .bind(at)
        .bind(sequence.0)
        .bind(n)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Refreshes the query planner's statistics (after bulk loads).
    pub async fn analyze(&self) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("ANALYZE").execute(&mut *c).await?;
        Ok(())
    }
}
