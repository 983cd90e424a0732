//! A reusable rate limiter (issue 19): fixed windows counted in the database, so the limit holds
//! under concurrency (one atomic upsert per hit, no check-then-record race) and across instances
//! sharing PostgreSQL. Windows are measured with the app clock. Keys are hashed before they are
//! stored (client addresses and emails never reach the table in clear).

use sha2::{Digest, Sha256};

use super::*;

/// At most `max` hits per `window_ms` for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Names the bucket family, e.g. `booking_page_client`.
    pub name: &'static str,
    pub max: u64,
    pub window_ms: Millis,
}

/// Bookings on one booking page from one client address.
pub const BOOKING_PER_CLIENT: Limit = Limit {
    name: "booking_page_client",
    max: 5,
    window_ms: 60 * 1000,
};
/// Confirmation emails to one address from one booking page.
pub const BOOKING_PER_EMAIL: Limit = Limit {
    name: "booking_page_email",
    max: 3,
    window_ms: 60 * 60 * 1000,
};
/// Bookings on one booking page, from anywhere.
pub const BOOKING_PER_PAGE: Limit = Limit {
    name: "booking_page",
    max: 20,
    window_ms: 60 * 60 * 1000,
};

/// Forgotten windows are deleted on about one hit in this many.
const SWEEP_EVERY: u32 = 32;

fn bucket(limit: &Limit, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!("{}:{}", limit.name, hex::encode(&digest[..16]))
}

/// The window `now` falls in: its start (a multiple of the window, never an overflow).
fn window_start(limit: &Limit, now: Millis) -> Millis {
    let w = limit.window_ms.max(1);
    now.div_euclid(w).saturating_mul(w)
}

impl App {
    /// Counts one hit for `key` under `limit`; `RateLimited` when that makes more than `max` in
    /// the current window (the refused hit is counted too, so hammering does not help).
    pub async fn rate_limit(&self, limit: &Limit, key: &str) -> Result<()> {
        let now = self.now();
        let start = window_start(limit, now);
        let hits = self
            .store
            .rate_limit_hit(
                &bucket(limit, key),
                start,
                start.saturating_add(limit.window_ms),
            )
            .await?;
        if rand::random::<u32>().is_multiple_of(SWEEP_EVERY) {
            self.store.forget_rate_limits(now).await?;
        }
        if hits > limit.max {
            Err(ServiceError::RateLimited)
        } else {
            Ok(())
        }
    }

    /// Applies every `(limit, key)` in order and stops at the first one exceeded, so a client
    /// refused by a narrow limit does not use up a wider one.
    pub async fn rate_limit_all(&self, checks: &[(Limit, &str)]) -> Result<()> {
        for (limit, key) in checks {
            self.rate_limit(limit, key).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_never_overflow() {
        let l = BOOKING_PER_CLIENT;
        assert_eq!(window_start(&l, 0), 0);
        assert_eq!(window_start(&l, 59_999), 0);
        assert_eq!(window_start(&l, 60_000), 60_000);
        assert_eq!(window_start(&l, -1), -60_000);
        let _ = window_start(&l, i64::MAX);
        let _ = window_start(&l, i64::MIN);
        assert_ne!(bucket(&l, "a"), bucket(&BOOKING_PER_PAGE, "a"));
        assert!(!bucket(&l, "127.0.0.1").contains("127"));
    }
}
