//! The per-account suppression list (`suppressions`, migration 007): addresses that no sequence
//! email may reach again. Written when a contact unsubscribes or a hard bounce marks its address;
//! read at enrollment and again at the send gate. Keyed by the normalized address, so it follows
//! the address, not the contact.

use sqlx::Row;

use super::*;
use crate::domain::*;

/// One suppressed address, as the admin list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionRow {
    pub email: EmailAddress,
    pub reason: SuppressionReason,
    pub contact_id: Option<ContactId>,
    pub evidence: Option<Evidence>,
    pub created_at: Millis,
}

const LOOKUP: &str = "SELECT reason FROM suppressions WHERE account_id = $1 AND email = $2";

fn reason_of(row: Option<sqlx::any::AnyRow>) -> Result<Option<SuppressionReason>> {
    row.map(|r| parse_enum(&r.try_get::<String, _>("reason")?, SuppressionReason::parse))
        .transpose()
}

impl Store {
    /// Suppresses `email` in `account`; `false` when it already was (the first reason stays).
    #[allow(clippy::too_many_arguments)]
    pub async fn suppress(
        &self,
        tx: &mut Tx,
        account: AccountId,
        email: &EmailAddress,
        reason: SuppressionReason,
        contact: Option<ContactId>,
        evidence: &Evidence,
        now: Millis,
    ) -> Result<bool> {
        let done = sqlx::query("INSERT INTO suppressions (account_id, email, reason, evidence, contact_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, email) DO NOTHING")
            .bind(account.0)
            .bind(email.as_str())
            .bind(reason.as_str())
            .bind(to_json(evidence))
            .bind(contact.map(|c| c.0))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Suppresses the current primary address of `contact` (read inside `tx`).
    pub async fn suppress_contact_address(
        &self,
        tx: &mut Tx,
        account: AccountId,
        contact: ContactId,
        reason: SuppressionReason,
        evidence: &Evidence,
        now: Millis,
    ) -> Result<bool> {
        let done = sqlx::query("INSERT INTO suppressions (account_id, email, reason, evidence, contact_id, created_at) SELECT account_id, email, $1, $2, id, $3 FROM contacts WHERE id = $4 AND account_id = $5 ON CONFLICT (account_id, email) DO NOTHING")
            .bind(reason.as_str())
            .bind(to_json(evidence))
            .bind(now)
            .bind(contact.0)
            .bind(account.0)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Why `email` is suppressed in `account`, if it is.
    pub async fn suppression(
        &self,
        account: AccountId,
        email: &EmailAddress,
    ) -> Result<Option<SuppressionReason>> {
        let mut c = self.conn().await?;
        let row = sqlx::query(LOOKUP)
            .bind(account.0)
            .bind(email.as_str())
            .fetch_optional(&mut *c)
            .await?;
        reason_of(row)
    }

    /// [`Store::suppression`] read through an open transaction (the send gate's), so SQLite never
    /// waits for a second pooled connection while it holds the write lock.
    pub async fn suppression_in_tx(
        &self,
        tx: &mut Tx,
        account: AccountId,
        email: &EmailAddress,
    ) -> Result<Option<SuppressionReason>> {
        let row = sqlx::query(LOOKUP)
            .bind(account.0)
            .bind(email.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        reason_of(row)
    }

    /// The account's suppressed addresses, newest first.
    pub async fn suppressions(
        &self,
        account: AccountId,
        limit: i64,
    ) -> Result<Vec<SuppressionRow>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT email, reason, contact_id, evidence, created_at FROM suppressions WHERE account_id = $1 ORDER BY created_at DESC, email LIMIT $2")
            .bind(account.0)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| {
                let evidence: Option<String> = r.try_get("evidence")?;
                Ok(SuppressionRow {
                    email: EmailAddress::from_trusted(r.try_get("email")?),
                    reason: parse_enum(
                        &r.try_get::<String, _>("reason")?,
                        SuppressionReason::parse,
                    )?,
                    contact_id: r.try_get::<Option<i64>, _>("contact_id")?.map(ContactId),
                    evidence: evidence.as_deref().map(from_json).transpose()?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
