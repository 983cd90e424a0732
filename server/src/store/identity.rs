//! Identity and access: account trust settings, linked external identities, API keys (hashed),
//! login failures for rate limiting, and the unscoped enrollment lookup behind signed links.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::enrollments::enrollment_from_row;
use super::*;
use crate::domain::*;

/// Which external identities an account trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSettings {
    pub trusted_tenant_ids: Vec<String>,
    pub google_hosted_domains: Vec<String>,
}

/// An API key without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: i64,
    pub account_id: AccountId,
    pub name: String,
    pub prefix: String,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
}

fn api_key_from_row(r: &AnyRow) -> Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        last_used_at: r.try_get("last_used_at")?,
    })
}

const KEY_COLS: &str = "id, account_id, name, prefix, created_at, revoked_at, last_used_at";

impl Store {
    pub async fn trust_settings(&self, account: AccountId) -> Result<TrustSettings> {
        let mut c = self.conn().await?;
        let row = sqlx::query("SELECT trusted_tenant_ids, google_hosted_domains FROM account_settings WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(&mut *c)
            .await?;
        match row {
            Some(r) => Ok(TrustSettings {
                trusted_tenant_ids: from_json(&r.try_get::<String, _>("trusted_tenant_ids")?)?,
                google_hosted_domains: from_json(
                    &r.try_get::<String, _>("google_hosted_domains")?,
                )?,
            }),
            None => Ok(TrustSettings::default()),
        }
    }

    pub async fn set_trust_settings(&self, account: AccountId, s: &TrustSettings) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM account_settings WHERE account_id = $1")
            .bind(account.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO account_settings (account_id, trusted_tenant_ids, google_hosted_domains) VALUES ($1, $2, $3)")
            .bind(account.0)
            .bind(to_json(&s.trusted_tenant_ids))
            .bind(to_json(&s.google_hosted_domains))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accounts whose settings pass `trusts` (few accounts per deployment: filtered in memory).
    pub async fn accounts_trusting(
        &self,
        trusts: &dyn Fn(&TrustSettings) -> bool,
    ) -> Result<Vec<AccountId>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT account_id, trusted_tenant_ids, google_hosted_domains FROM account_settings ORDER BY account_id").fetch_all(&mut *c).await?;
        let mut out = Vec::new();
        for r in &rows {
            let s = TrustSettings {
                trusted_tenant_ids: from_json(&r.try_get::<String, _>("trusted_tenant_ids")?)?,
                google_hosted_domains: from_json(
                    &r.try_get::<String, _>("google_hosted_domains")?,
                )?,
            };
            if trusts(&s) {
                out.push(AccountId(r.try_get("account_id")?));
            }
        }
        Ok(out)
    }

    /// The user an external identity was linked to.
    pub async fn external_identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<(AccountId, UserId)>> {
        let mut c = self.conn().await?;
        let row = sqlx::query("SELECT account_id, user_id FROM external_identities WHERE provider = $1 AND subject = $2")
            .bind(provider)
            .bind(subject)
            .fetch_optional(&mut *c)
            .await?;
        row.map(|r| {
            Ok((
                AccountId(r.try_get("account_id")?),
                UserId(r.try_get("user_id")?),
            ))
        })
        .transpose()
    }

    pub async fn link_external_identity(
        &self,
        provider: &str,
        subject: &str,
        user: &User,
        now: Millis,
    ) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("INSERT INTO external_identities (provider, subject, account_id, user_id, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(provider)
            .bind(subject)
            .bind(user.account_id.0)
            .bind(user.id.0)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(map_unique("external identity"))?;
        Ok(())
    }

    pub async fn insert_api_key(
        &self,
        account: AccountId,
        name: &str,
        prefix: &str,
        hash: &str,
        by: UserId,
        now: Millis,
    ) -> Result<ApiKeyRow> {
        let mut c = self.conn().await?;
        let id: i64 = sqlx::query("INSERT INTO api_keys (account_id, name, prefix, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(account.0)
            .bind(name)
            .bind(prefix)
            .bind(hash)
            .bind(by.0)
            .bind(now)
            .fetch_one(&mut *c)
            .await?
            .try_get("id")?;
        Ok(ApiKeyRow {
            id,
            account_id: account,
            name: name.into(),
            prefix: prefix.into(),
            created_at: now,
            revoked_at: None,
            last_used_at: None,
        })
    }

    pub async fn api_keys(&self, account: AccountId) -> Result<Vec<ApiKeyRow>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE account_id = $1 ORDER BY id");
        sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(api_key_from_row)
            .collect()
    }

    /// Revokes a key of this account; `false` when there is no such key.
    pub async fn revoke_api_key(&self, account: AccountId, id: i64, now: Millis) -> Result<bool> {
        let mut c = self.conn().await?;
        let done = sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND account_id = $3")
            .bind(now)
            .bind(id)
            .bind(account.0)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The live key with this hash, marked as used at `now`.
    pub async fn use_api_key(&self, hash: &str, now: Millis) -> Result<Option<ApiKeyRow>> {
        let mut c = self.conn().await?;
        let sql = format!("UPDATE api_keys SET last_used_at = $1 WHERE key_hash = $2 AND revoked_at IS NULL RETURNING {KEY_COLS}");
        let row = sqlx::query(&sql)
            .bind(now)
            .bind(hash)
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    pub async fn login_failures_since(&self, key: &str, since: Millis) -> Result<u64> {
        let mut c = self.conn().await?;
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM login_failures WHERE attempt_key = $1 AND at > $2",
        )
        .bind(key)
        .bind(since)
        .fetch_one(&mut *c)
        .await?
        .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Records a failure and forgets failures older than `forget_before`.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: Millis,
        forget_before: Millis,
    ) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("DELETE FROM login_failures WHERE at <= $1")
            .bind(forget_before)
            .execute(&mut *c)
            .await?;
        sqlx::query("INSERT INTO login_failures (attempt_key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(now)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("DELETE FROM login_failures WHERE attempt_key = $1")
            .bind(key)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    /// An enrollment by id alone: only for ids that came out of a verified signed link.
    pub async fn enrollment_for_link(&self, id: EnrollmentId) -> Result<Option<Enrollment>> {
        let mut c = self.conn().await?;
        let sql = "SELECT e.id, e.account_id, e.contact_id, e.sequence_id, e.enrolled_by, e.sender_email, e.sender_name, e.state, e.current_step, e.total_steps, e.next_run_at, e.pause_reason, e.paused_until, e.unenroll_reason, e.ended_at, e.actor_kind, e.actor_user_id, e.actor_name, e.evidence, e.soft_bounces, e.last_message_id, e.thread_refs, e.enrolled_at FROM enrollments e WHERE e.id = $1";
        let row = sqlx::query(sql).bind(id.0).fetch_optional(&mut *c).await?;
        row.as_ref().map(enrollment_from_row).transpose()
    }

    /// A user by id alone: only for ids that came out of a verified signed link.
    pub async fn user_for_link(&self, id: UserId) -> Result<Option<User>> {
        let mut c = self.conn().await?;
        let row = sqlx::query("SELECT account_id FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await?;
        drop(c);
        match row {
            Some(r) => self.user(AccountId(r.try_get("account_id")?), id).await,
            None => Ok(None),
        }
    }
}

impl Store {
    /// Opts a contact out inside a transaction; `false` when it already was.
    pub async fn mark_unsubscribed(
        &self,
        tx: &mut Tx,
        account: AccountId,
        id: ContactId,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE contacts SET unsubscribed = 1 WHERE id = $1 AND account_id = $2 AND unsubscribed = 0")
            .bind(id.0)
            .bind(account.0)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
