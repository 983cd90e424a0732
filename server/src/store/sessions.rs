//! Sessions (issue 19): one row per sign-in, its refresh tokens (SHA-256 only, rotated on use,
//! reuse revokes the session), one-time sign-in codes, and per-user cutoffs for tokens that carry
//! no session id. Whether a session is live is cached for [`SESSION_TTL`] per process, like the
//! caller (`lookup.rs`): a revocation made through this process clears it at once, another
//! instance sees it within that time.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::*;
use crate::domain::*;

/// How long a session's state is reused by the bearer-token check.
pub const SESSION_TTL: Millis = 2_000;

/// Revoked sessions are kept this long (for the record), then deleted.
const DEAD_AFTER_REVOKED_MS: Millis = 24 * 3600 * 1000;

/// A session row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub created_at: Millis,
    pub refreshed_at: Millis,
    pub expires_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// What the bearer-token check needs to know about a session id or a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// The session exists and was not revoked (its owner is checked by the caller).
    Live {
        account_id: AccountId,
        user_id: UserId,
    },
    /// Revoked, or never existed.
    Gone,
}

/// The answer to presenting a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was current: it is now used, and the new one is stored.
    Rotated(SessionRow),
    /// The token was used before (or raced another use): the session is now revoked.
    Reused,
    /// The session was revoked or has expired.
    Ended,
    /// No such token.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Session(String),
    Cutoff(i64),
}

#[derive(Debug, Clone, Copy)]
enum Cached {
    Session(SessionState),
    Cutoff(Option<Millis>),
}

/// Recently checked sessions and cutoffs.
#[derive(Default)]
/// Entries are stamped with the app clock's `now`.
pub struct SessionCache(std::sync::Mutex<std::collections::HashMap<Key, (Millis, Cached)>>);

impl SessionCache {
    /// A hit cached within [`SESSION_TTL`] before `now` (a clock set back misses).
    fn get(&self, key: &Key, now: Millis) -> Option<Cached> {
        let map = self.0.lock().ok()?;
        let (at, v) = map.get(key)?;
        (0..SESSION_TTL)
            .contains(&now.saturating_sub(*at))
            .then_some(*v)
    }

    fn put(&self, key: Key, now: Millis, v: Cached) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(key, (now, v));
        }
    }

    fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }
}

const SESSION_COLS: &str =
    "s.id, s.account_id, s.user_id, s.created_at, s.refreshed_at, s.expires_at, s.revoked_at";

fn session_from_row(r: &AnyRow) -> Result<SessionRow> {
    Ok(SessionRow {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        user_id: UserId(r.try_get("user_id")?),
        created_at: r.try_get("created_at")?,
        refreshed_at: r.try_get("refreshed_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

impl Store {
    /// Stores a new session and its first refresh token (by hash). The user's sessions that can
    /// no longer be used (expired, or revoked a day ago: their access tokens lapsed long since)
    /// are deleted on the way, so sessions do not pile up (panels exchange anew every hour).
    pub async fn create_session(&self, s: &SessionRow, refresh_hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let dead =
            "SELECT id FROM sessions WHERE user_id = $1 AND (expires_at <= $2 OR revoked_at <= $3)";
        sqlx::query(&format!(
            "DELETE FROM refresh_tokens WHERE session_id IN ({dead})"
        ))
        .bind(s.user_id.0)
        .bind(s.created_at)
        .bind(s.created_at - DEAD_AFTER_REVOKED_MS)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!("DELETE FROM sessions WHERE id IN ({dead})"))
            .bind(s.user_id.0)
            .bind(s.created_at)
            .bind(s.created_at - DEAD_AFTER_REVOKED_MS)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id, account_id, user_id, created_at, refreshed_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id)
        .bind(s.account_id.0)
        .bind(s.user_id.0)
        .bind(s.created_at)
        .bind(s.refreshed_at)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(map_unique("session id"))?;
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES ($1, $2, $3)",
        )
        .bind(refresh_hash)
        .bind(&s.id)
        .bind(s.created_at)
        .execute(&mut *tx)
        .await
        .map_err(map_unique("refresh token"))?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses the refresh token `old_hash` once: stores `new_hash` in its place and extends the
    /// session to `expires_at`. A token presented a second time revokes its session.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<RefreshOutcome> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(&format!(
            "SELECT rt.used_at, {SESSION_COLS} FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
             WHERE rt.token_hash = $1"
        ))
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(RefreshOutcome::Unknown);
        };
        let used_at: Option<Millis> = row.try_get("used_at")?;
        let mut session = session_from_row(&row)?;
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Ok(RefreshOutcome::Ended);
        }
        let claimed = if used_at.is_some() {
            0
        } else {
            sqlx::query(
                "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
            )
            .bind(now)
            .bind(old_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        };
        if claimed == 0 {
            // Used before: someone holds a copy. End the session for both holders.
            revoke_in(&mut tx, &session.id, now, "refresh_token_reused").await?;
            tx.commit().await?;
            self.sessions.clear();
            return Ok(RefreshOutcome::Reused);
        }
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, session_id, issued_at) VALUES ($1, $2, $3)",
        )
        .bind(new_hash)
        .bind(&session.id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_unique("refresh token"))?;
        sqlx::query("UPDATE sessions SET refreshed_at = $1, expires_at = $2 WHERE id = $3")
            .bind(now)
            .bind(expires_at)
            .bind(&session.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        session.refreshed_at = now;
        session.expires_at = expires_at;
        Ok(RefreshOutcome::Rotated(session))
    }

    /// Revokes one session of `account`; false if there is no such live session.
    pub async fn revoke_session(
        &self,
        account: AccountId,
        id: &str,
        now: Millis,
        reason: &str,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let owned = sqlx::query("SELECT id FROM sessions WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        let revoked = owned && revoke_in(&mut tx, id, now, reason).await? > 0;
        tx.commit().await?;
        self.sessions.clear();
        Ok(revoked)
    }

    /// Revokes every session of a user, and refuses their tokens without a session id issued
    /// up to `now`. Returns how many sessions were live.
    pub async fn revoke_user_sessions(
        &self,
        account: AccountId,
        user: UserId,
        now: Millis,
        reason: &str,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE sessions SET revoked_at = $1, revoked_reason = $2
             WHERE user_id = $3 AND account_id = $4 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(reason)
        .bind(user.0)
        .bind(account.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let owned = sqlx::query("SELECT id FROM users WHERE id = $1 AND account_id = $2")
            .bind(user.0)
            .bind(account.0)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if owned {
            sqlx::query("DELETE FROM session_cutoffs WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO session_cutoffs (user_id, not_before) VALUES ($1, $2)")
                .bind(user.0)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.sessions.clear();
        Ok(n)
    }

    /// Whether session `id` is live; cached for [`SESSION_TTL`] after `now` (the app clock's).
    pub async fn session_state(&self, id: &str, now: Millis) -> Result<SessionState> {
        let key = Key::Session(id.to_string());
        if let Some(Cached::Session(s)) = self.sessions.get(&key, now) {
            return Ok(s);
        }
        let mut c = self.conn().await?;
        let row = sqlx::query(
            "SELECT account_id, user_id FROM sessions WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
        let state = match row {
            Some(r) => SessionState::Live {
                account_id: AccountId(r.try_get("account_id")?),
                user_id: UserId(r.try_get("user_id")?),
            },
            None => SessionState::Gone,
        };
        self.sessions.put(key, now, Cached::Session(state));
        Ok(state)
    }

    /// The moment before which a user's tokens without a session id are refused; cached.
    pub async fn session_cutoff(&self, user: UserId, now: Millis) -> Result<Option<Millis>> {
        let key = Key::Cutoff(user.0);
        if let Some(Cached::Cutoff(c)) = self.sessions.get(&key, now) {
            return Ok(c);
        }
        let mut c = self.conn().await?;
        let cutoff = sqlx::query("SELECT not_before FROM session_cutoffs WHERE user_id = $1")
            .bind(user.0)
            .fetch_optional(&mut *c)
            .await?
            .map(|r| r.try_get::<i64, _>("not_before"))
            .transpose()?;
        self.sessions.put(key, now, Cached::Cutoff(cutoff));
        Ok(cutoff)
    }

    /// A user's sessions, newest first (revoked ones included).
    pub async fn user_sessions(&self, account: AccountId, user: UserId) -> Result<Vec<SessionRow>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLS} FROM sessions s WHERE s.user_id = $1 AND s.account_id = $2
             ORDER BY s.created_at DESC"
        ))
        .bind(user.0)
        .bind(account.0)
        .fetch_all(&mut *c)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Stores a one-time sign-in code (by hash).
    pub async fn create_sign_in_code(
        &self,
        code_hash: &str,
        account: AccountId,
        user: UserId,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Used and expired codes are of no further use.
        sqlx::query("DELETE FROM sign_in_codes WHERE user_id = $1 AND expires_at <= $2")
            .bind(user.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sign_in_codes (code_hash, account_id, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(code_hash)
        .bind(account.0)
        .bind(user.0)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(map_unique("sign-in code"))?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses a sign-in code: the user it was made for, if it was unused and unexpired. One
    /// conditional statement, so two redemptions racing cannot both succeed.
    pub async fn redeem_sign_in_code(
        &self,
        code_hash: &str,
        now: Millis,
    ) -> Result<Option<(AccountId, UserId)>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE sign_in_codes SET used_at = $1
             WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING account_id, user_id",
        )
        .bind(now)
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|r| -> Result<_> {
            Ok((
                AccountId(r.try_get("account_id")?),
                UserId(r.try_get("user_id")?),
            ))
        })
        .transpose()
    }
}

async fn revoke_in(tx: &mut Tx, id: &str, now: Millis, reason: &str) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}
