//! The panel's hot path in as few queries as possible: the caller, the contact with its company
//! and owner names, and its recent enrollments with the next step's kind.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::enrollments::{view_row, ENR_COLS};
use super::*;
use crate::domain::*;

/// How long a caller lookup is reused, in app-clock milliseconds. Changes made through this
/// process (seat, role, status, tier) clear the cache at once; another instance on the same
/// PostgreSQL sees them within this.
pub const CALLER_TTL: Millis = 2_000;

/// (cached at, by the app clock; the user; their account).
type CachedCaller = (Millis, User, Account);

/// Recently authenticated callers, keyed by (account, user).
#[derive(Default)]
pub struct CallerCache(std::sync::Mutex<std::collections::HashMap<(i64, i64), CachedCaller>>);

impl CallerCache {
    /// A hit cached within [`CALLER_TTL`] before `now` (a clock set back misses).
    fn get(&self, account: AccountId, user: UserId, now: Millis) -> Option<(User, Account)> {
        let map = self.0.lock().ok()?;
        let (at, u, a) = map.get(&(account.0, user.0))?;
        (0..CALLER_TTL)
            .contains(&now.saturating_sub(*at))
            .then(|| (u.clone(), a.clone()))
    }

    fn put(&self, account: AccountId, user: UserId, now: Millis, (u, a): (User, Account)) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert((account.0, user.0), (now, u, a));
        }
    }

    /// Forgets every cached caller (after any user or account change).
    pub fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }
}

/// A contact as the panel's card shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientContact {
    pub id: ContactId,
    pub email: String,
    pub name: String,
    pub title: String,
    pub company: Option<String>,
    pub owner: Option<String>,
    pub email_status: EmailStatus,
    pub unsubscribed: bool,
}

impl Store {
    /// The user (any status) and their account, in one query; cached for [`CALLER_TTL`] after
    /// `now` (the app clock's).
    pub async fn user_with_account(
        &self,
        account: AccountId,
        user: UserId,
        now: Millis,
    ) -> Result<Option<(User, Account)>> {
        if let Some(hit) = self.callers.get(account, user, now) {
            return Ok(Some(hit));
        }
        let found = self.user_with_account_uncached(account, user).await?;
        if let Some(found) = &found {
            self.callers.put(account, user, now, found.clone());
        }
        Ok(found)
    }

    async fn user_with_account_uncached(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<(User, Account)>> {
        let mut c = self.conn().await?;
        let row = sqlx::query(
            "SELECT u.id, u.account_id, u.email, u.name, u.role, u.seat, u.status, a.name AS account_name, a.tier
             FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = $1 AND u.account_id = $2",
        )
        .bind(user.0)
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let u = super::accounts::user_from_row(&r)?;
        let a = Account {
            id: account,
            name: r.try_get("account_name")?,
            tier: parse_enum(&r.try_get::<String, _>("tier")?, Tier::parse)?,
        };
        Ok(Some((u, a)))
    }
}

const CARD_AND_ENROLLMENTS: &str = "SELECT c.id AS c_id, c.email AS c_email, c.first_name AS c_first, c.last_name AS c_last, c.title AS c_title,
        c.email_status AS c_status, c.unsubscribed AS c_unsub, co.name AS company_name, o.name AS owner_name,
        c.email AS contact_email, c.first_name, c.last_name, s.name AS sequence_name, u.name AS enrolled_by_name,
        u.email AS enrolled_by_email, au.name AS actor_user_name, au.email AS actor_user_email, st.kind AS next_kind, {ENR}
     FROM contacts c LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users o ON o.id = c.owner_id
     LEFT JOIN enrollments e ON e.contact_id = c.id AND e.account_id = c.account_id
     LEFT JOIN sequences s ON s.id = e.sequence_id LEFT JOIN users u ON u.id = e.enrolled_by
     LEFT JOIN users au ON au.id = e.actor_user_id LEFT JOIN steps st ON st.sequence_id = e.sequence_id AND st.number = e.current_step";

/// A recipient's card and latest enrollments (each with its current step's kind).
pub type RecipientRows = (RecipientContact, Vec<(EnrollmentRow, Option<StepKind>)>);

fn aliased_card(r: &AnyRow) -> Result<RecipientContact> {
    let email: String = r.try_get("c_email")?;
    Ok(RecipientContact {
        id: ContactId(r.try_get("c_id")?),
        name: display_name(
            &r.try_get::<String, _>("c_first")?,
            &r.try_get::<String, _>("c_last")?,
            &email,
        ),
        email,
        title: r.try_get("c_title")?,
        company: r.try_get("company_name")?,
        owner: r.try_get("owner_name")?,
        email_status: parse_enum(&r.try_get::<String, _>("c_status")?, EmailStatus::parse)?,
        unsubscribed: get_bool(r, "c_unsub")?,
    })
}

impl Store {
    /// The panel's lookup in one query (two when the address is an alias): the live contact
    /// owning `email` and its `limit` latest enrollments, newest first.
    pub async fn recipient_with_enrollments(
        &self,
        account: AccountId,
        email: &EmailAddress,
        limit: i64,
    ) -> Result<Option<RecipientRows>> {
        let mut c = self.conn().await?;
        let base = CARD_AND_ENROLLMENTS.replace("{ENR}", ENR_COLS);
        let order = "ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $3";
        let by_primary = format!(
            "{base} WHERE c.account_id = $1 AND c.email = $2 AND c.deleted_at IS NULL {order}"
        );
        let mut rows = sqlx::query(&by_primary)
            .bind(account.0)
            .bind(email.as_str())
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
        if rows.is_empty() {
            let by_alias = format!(
                "{base} JOIN contact_emails ce ON ce.contact_id = c.id WHERE ce.account_id = $1 AND ce.email = $2 AND c.deleted_at IS NULL {order}"
            );
            rows = sqlx::query(&by_alias)
                .bind(account.0)
                .bind(email.as_str())
                .bind(limit)
                .fetch_all(&mut *c)
                .await?;
        }
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let card = aliased_card(first)?;
        let mut enrollments = Vec::with_capacity(rows.len());
        for r in &rows {
            if r.try_get::<Option<i64>, _>("id")?.is_some() {
                enrollments.push((
                    view_row(r)?,
                    opt_enum(r.try_get("next_kind")?, StepKind::parse)?,
                ));
            }
        }
        Ok(Some((card, enrollments)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache follows the app clock: (ms after caching, hit?).
    #[test]
    fn a_cached_caller_lives_for_the_ttl_by_the_app_clock() -> std::result::Result<(), EmailError> {
        let account = Account {
            id: AccountId(1),
            name: "Acme".into(),
            tier: Tier::Professional,
        };
        let user = User {
            id: UserId(2),
            account_id: account.id,
            email: EmailAddress::parse("dana@acme.example")?,
            name: "Dana".into(),
            role: Role::Admin,
            seat: None,
            status: UserStatus::Active,
        };
        let at: Millis = 1_000_000;
        for (after, hit) in [
            (0, true),
            (CALLER_TTL - 1, true),
            (CALLER_TTL, false),
            (-1, false),
        ] {
            let cache = CallerCache::default();
            cache.put(account.id, user.id, at, (user.clone(), account.clone()));
            let got = cache.get(account.id, user.id, at + after);
            assert_eq!(got.is_some(), hit, "{after} ms after caching");
        }
        Ok(())
    }
}
