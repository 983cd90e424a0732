//! Identity and access: account trust settings, linked external identities, API keys (hashed),
//! login failures for rate limiting, and the unscoped enrollment lookup behind signed links.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::enrollments::enrollment_from_row;
use super::*;
use crate::domain::*;

/// The `provider` of Microsoft tenants and identities.
pub const MICROSOFT: &str = "microsoft";
/// The `provider` of Google Workspace domains and identities.
pub const GOOGLE: &str = "google";

/// Which external identities an account trusts: the tenants and domains it proved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustSettings {
    pub trusted_tenant_ids: Vec<String>,
    pub google_hosted_domains: Vec<String>,
}

/// A tenant (`microsoft`) or Workspace domain (`google`) one account proved it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIdentity {
    pub provider: String,
    /// The lower-cased `tid` or `hd`.
    pub external_id: String,
    pub account_id: AccountId,
    /// `microsoft_admin_token`, `google_hd_token`, or `legacy` (listed before proofs existed).
    pub proof: String,
    pub proven_by: Option<UserId>,
    pub created_at: Millis,
}

/// A proven claim to record.
#[derive(Debug, Clone, Copy)]
pub struct NewTrust<'a> {
    pub account: AccountId,
    pub provider: &'a str,
    pub external_id: &'a str,
    pub proof: &'a str,
    pub proven_by: Option<UserId>,
    pub now: Millis,
}

/// What recording a claim did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    New,
    AlreadyOurs,
    OwnedByAnother,
}

const TRUST_COLS: &str = "provider, external_id, account_id, proof, proven_by, created_at";

fn trusted_from_row(r: &AnyRow) -> Result<TrustedIdentity> {
    Ok(TrustedIdentity {
        provider: r.try_get("provider")?,
        external_id: r.try_get("external_id")?,
        account_id: AccountId(r.try_get("account_id")?),
        proof: r.try_get("proof")?,
        proven_by: r.try_get::<Option<i64>, _>("proven_by")?.map(UserId),
        created_at: r.try_get("created_at")?,
    })
}

/// Moves the trust lists of `account_settings` (from before proofs) into `trusted_identities`,
/// inside migration 008's transaction: a value listed by one account only stays trusted by it
/// (`legacy`); a value listed by several accounts cannot be attributed, so it is dropped for all
/// of them and recorded in `trusted_identity_conflicts` (their admins prove it again). The
/// lists are emptied, so this runs once.
pub(crate) async fn adopt_legacy_trust(tx: &mut Tx) -> Result<()> {
    use std::collections::BTreeMap;
    let rows = sqlx::query("SELECT account_id, trusted_tenant_ids, google_hosted_domains FROM account_settings ORDER BY account_id")
        .fetch_all(&mut **tx)
        .await?;
    let mut listed: BTreeMap<(&str, String), Vec<i64>> = BTreeMap::new();
    for r in &rows {
        let account: i64 = r.try_get("account_id")?;
        for (provider, col) in [
            (MICROSOFT, "trusted_tenant_ids"),
            (GOOGLE, "google_hosted_domains"),
        ] {
            let values: Vec<String> = from_json(&r.try_get::<String, _>(col)?)?;
            for v in values {
                let v = v.trim().to_lowercase();
                let accounts = listed.entry((provider, v)).or_default();
                if !accounts.contains(&account) {
                    accounts.push(account);
                }
            }
        }
    }
    for ((provider, value), accounts) in &listed {
        if value.is_empty() {
            continue;
        }
        if let [account] = accounts.as_slice() {
            sqlx::query("INSERT INTO trusted_identities (provider, external_id, account_id, proof, proven_by, created_at) VALUES ($1, $2, $3, 'legacy', NULL, 0)")
                .bind(*provider)
                .bind(value)
                .bind(*account)
                .execute(&mut **tx)
                .await?;
        } else {
            for account in accounts {
                sqlx::query("INSERT INTO trusted_identity_conflicts (provider, external_id, account_id) VALUES ($1, $2, $3)")
                    .bind(*provider)
                    .bind(value)
                    .bind(*account)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    sqlx::query(
        "UPDATE account_settings SET trusted_tenant_ids = '[]', google_hosted_domains = '[]'",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
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
    /// The tenants and domains this account proved (see [`TrustSettings`]).
    pub async fn trust_settings(&self, account: AccountId) -> Result<TrustSettings> {
        let mut s = TrustSettings::default();
        for t in self.trusted_identities(account).await? {
            match t.provider.as_str() {
                MICROSOFT => s.trusted_tenant_ids.push(t.external_id),
                GOOGLE => s.google_hosted_domains.push(t.external_id),
                _ => {}
            }
        }
        Ok(s)
    }

    pub async fn trusted_identities(&self, account: AccountId) -> Result<Vec<TrustedIdentity>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {TRUST_COLS} FROM trusted_identities WHERE account_id = $1 ORDER BY provider, external_id");
        sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(trusted_from_row)
            .collect()
    }

    /// The one account that owns this tenant (`microsoft`) or domain (`google`), if any.
    pub async fn trust_owner(
        &self,
        provider: &str,
        external_id: &str,
    ) -> Result<Option<AccountId>> {
        let mut c = self.conn().await?;
        let row = sqlx::query(
            "SELECT account_id FROM trusted_identities WHERE provider = $1 AND external_id = $2",
        )
        .bind(provider)
        .bind(external_id)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| Ok(AccountId(r.try_get("account_id")?)))
            .transpose()
    }

    /// Records that `account` proved this tenant or domain. The unique index decides between
    /// concurrent claims: the first to commit owns it, the others see [`Claim::OwnedByAnother`].
    pub async fn claim_trust(&self, claim: &NewTrust<'_>) -> Result<Claim> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query("INSERT INTO trusted_identities (provider, external_id, account_id, proof, proven_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, external_id) DO NOTHING")
            .bind(claim.provider)
            .bind(claim.external_id)
            .bind(claim.account.0)
            .bind(claim.proof)
            .bind(claim.proven_by.map(|u| u.0))
            .bind(claim.now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let owner: i64 = sqlx::query(
            "SELECT account_id FROM trusted_identities WHERE provider = $1 AND external_id = $2",
        )
        .bind(claim.provider)
        .bind(claim.external_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("account_id")?;
        tx.commit().await?;
        Ok(match (owner == claim.account.0, inserted) {
            (true, 1) => Claim::New,
            (true, _) => Claim::AlreadyOurs,
            (false, _) => Claim::OwnedByAnother,
        })
    }

    /// Stops trusting a tenant or domain, which another account may then prove; `false` when
    /// this account did not trust it.
    pub async fn release_trust(
        &self,
        account: AccountId,
        provider: &str,
        external_id: &str,
    ) -> Result<bool> {
        let mut c = self.conn().await?;
        let done = sqlx::query("DELETE FROM trusted_identities WHERE account_id = $1 AND provider = $2 AND external_id = $3")
            .bind(account.0)
            .bind(provider)
            .bind(external_id)
            .execute(&mut *c)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Values a legacy list named for several accounts, dropped for all of them by migration 008.
    pub async fn trust_conflicts(&self) -> Result<Vec<(String, String, AccountId)>> {
        let mut c = self.conn().await?;
        sqlx::query("SELECT provider, external_id, account_id FROM trusted_identity_conflicts ORDER BY provider, external_id, account_id")
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("provider")?,
                    r.try_get("external_id")?,
                    AccountId(r.try_get("account_id")?),
                ))
            })
            .collect()
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

    /// Links an identity to `user`, replacing a link to an account that no longer owns the
    /// identity's tenant or domain (the caller checked ownership).
    pub async fn link_external_identity(
        &self,
        provider: &str,
        subject: &str,
        user: &User,
        now: Millis,
    ) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("INSERT INTO external_identities (provider, subject, account_id, user_id, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, subject) DO UPDATE SET account_id = excluded.account_id, user_id = excluded.user_id, created_at = excluded.created_at")
            .bind(provider)
            .bind(subject)
            .bind(user.account_id.0)
            .bind(user.id.0)
            .bind(now)
            .execute(&mut *c)
            .await?;
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

    /// Counts one more sign-in attempt for `key` and returns the attempts in its current
    /// window, this one included. One atomic upsert: parallel attempts each get their own
    /// number, so exactly the first `max` of a burst pass (no check-then-record race), on both
    /// backends and across instances. A window starts at its first attempt and ends
    /// `window_ms` later, when the count starts again from 1.
    pub async fn count_login_attempt(
        &self,
        key: &str,
        now: Millis,
        window_ms: Millis,
    ) -> Result<u64> {
        let expired = now.saturating_sub(window_ms);
        let mut c = self.conn().await?;
        let n: i64 = sqlx::query(
            "INSERT INTO login_limits (attempt_key, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (attempt_key) DO UPDATE SET \
             attempts = CASE WHEN login_limits.window_start <= $3 THEN 1 ELSE login_limits.attempts + 1 END, \
             window_start = CASE WHEN login_limits.window_start <= $4 THEN $5 ELSE login_limits.window_start END \
             RETURNING attempts",
        )
        .bind(key)
        .bind(now)
        .bind(expired)
        .bind(expired)
        .bind(now)
        .fetch_one(&mut *c)
        .await?
        .try_get("attempts")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Forgets `key`'s attempts (a successful sign-in) and every window that ended before
    /// `forget_before`.
    pub async fn clear_login_attempts(&self, key: &str, forget_before: Millis) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("DELETE FROM login_limits WHERE attempt_key = $1 OR window_start <= $2")
            .bind(key)
            .bind(forget_before)
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
