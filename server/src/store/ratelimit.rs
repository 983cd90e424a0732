//! Fixed-window rate-limit counters shared by every instance on the database (issue 19). One
//! upsert counts a hit and returns the window's count, so concurrent requests cannot all pass a
//! check made before any of them was recorded.

use sqlx::Row;

use super::*;
use crate::domain::Millis;

impl Store {
    /// Counts one hit in `bucket`'s window starting at `window_start` (kept until `expires_at`)
    /// and returns the hits in that window, this one included.
    pub async fn rate_limit_hit(
        &self,
        bucket: &str,
        window_start: Millis,
        expires_at: Millis,
    ) -> Result<u64> {
        let mut c = self.conn().await?;
        let n: i64 = sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start, expires_at, hits) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 \
             RETURNING hits",
        )
        .bind(bucket)
        .bind(window_start)
        .bind(expires_at)
        .fetch_one(&mut *c)
        .await?
        .try_get("hits")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Forgets windows that ended before `now`.
    pub async fn forget_rate_limits(&self, now: Millis) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("DELETE FROM rate_limits WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *c)
            .await?;
        Ok(())
    }
}
