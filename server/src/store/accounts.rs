//! Accounts and users.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::*;
use crate::domain::*;

const USER_COLS: &str = "id, account_id, email, name, role, seat, status";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        email: EmailAddress::from_trusted(row.try_get("email")?),
        name: row.try_get("name")?,
        role: parse_enum(&row.try_get::<String, _>("role")?, Role::parse)?,
        seat: opt_enum(row.try_get("seat")?, Seat::parse)?,
        status: parse_enum(&row.try_get::<String, _>("status")?, UserStatus::parse)?,
    })
}

impl Store {
    pub async fn create_account(&self, name: &str, tier: Tier, now: Millis) -> Result<Account> {
        let mut c = self.conn().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO accounts (name, tier, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(tier.as_str())
        .bind(now)
        .fetch_one(&mut *c)
        .await?
        .try_get("id")?;
        Ok(Account {
            id: AccountId(id),
            name: name.to_string(),
            tier,
        })
    }

    pub async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let mut c = self.conn().await?;
        let row = sqlx::query("SELECT id, name, tier FROM accounts WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await?;
        row.map(|r| {
            Ok(Account {
                id: AccountId(r.try_get("id")?),
                name: r.try_get("name")?,
                tier: parse_enum(&r.try_get::<String, _>("tier")?, Tier::parse)?,
            })
        })
        .transpose()
    }

    pub async fn set_account_tier(&self, id: AccountId, tier: Tier) -> Result<()> {
        self.callers.clear();
        let mut c = self.conn().await?;
        sqlx::query("UPDATE accounts SET tier = $1 WHERE id = $2")
            .bind(tier.as_str())
            .bind(id.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_user(
        &self,
        account: AccountId,
        email: &EmailAddress,
        name: &str,
        role: Role,
        seat: Option<Seat>,
        password_hash: Option<&str>,
        now: Millis,
    ) -> Result<User> {
        let mut c = self.conn().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO users (account_id, email, name, role, seat, status, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id",
        )
        .bind(account.0)
        .bind(email.as_str())
        .bind(name)
        .bind(role.as_str())
        .bind(seat.map(|s| s.as_str()))
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *c)
        .await
        .map_err(map_unique("user email"))?
        .try_get("id")?;
        Ok(User {
            id: UserId(id),
            account_id: account,
            email: email.clone(),
            name: name.to_string(),
            role,
            seat,
            status: UserStatus::Active,
        })
    }

    /// A user of this account (any status).
    pub async fn user(&self, account: AccountId, id: UserId) -> Result<Option<User>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1 AND account_id = $2");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(account.0)
            .fetch_optional(&mut *c)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn users(&self, account: AccountId) -> Result<Vec<User>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {USER_COLS} FROM users WHERE account_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql).bind(account.0).fetch_all(&mut *c).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Users (of any account) with this address, with their password hash.
    pub async fn users_by_email(
        &self,
        email: &EmailAddress,
    ) -> Result<Vec<(User, Option<String>)>> {
        let mut c = self.conn().await?;
        let sql =
            format!("SELECT {USER_COLS}, password_hash FROM users WHERE email = $1 ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(email.as_str())
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| Ok((user_from_row(r)?, r.try_get("password_hash")?)))
            .collect()
    }

    pub async fn update_user_seat_status(&self, user: &User) -> Result<()> {
        self.callers.clear();
        let mut c = self.conn().await?;
        sqlx::query("UPDATE users SET seat = $1, status = $2, role = $3, name = $4 WHERE id = $5 AND account_id = $6")
            .bind(user.seat.map(|s| s.as_str()))
            .bind(user.status.as_str())
            .bind(user.role.as_str())
            .bind(&user.name)
            .bind(user.id.0)
            .bind(user.account_id.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }
}
