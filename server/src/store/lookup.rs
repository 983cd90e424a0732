//! The panel's hot path in as few queries as possible: the caller, the contact with its company
//! and owner names, and its recent enrollments with the next step's kind.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::enrollments::{view_row, ENR_COLS, VIEW_JOINS};
use super::*;
use crate::domain::*;

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

const CARD: &str = "SELECT c.id, c.email, c.first_name, c.last_name, c.title, c.email_status, c.unsubscribed, co.name AS company_name, o.name AS owner_name
     FROM contacts c LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users o ON o.id = c.owner_id";

fn card(r: &AnyRow) -> Result<RecipientContact> {
    let email: String = r.try_get("email")?;
    Ok(RecipientContact {
        id: ContactId(r.try_get("id")?),
        name: display_name(
            &r.try_get::<String, _>("first_name")?,
            &r.try_get::<String, _>("last_name")?,
            &email,
        ),
        email,
        title: r.try_get("title")?,
        company: r.try_get("company_name")?,
        owner: r.try_get("owner_name")?,
        email_status: parse_enum(&r.try_get::<String, _>("email_status")?, EmailStatus::parse)?,
        unsubscribed: get_bool(r, "unsubscribed")?,
    })
}

impl Store {
    /// The user (any status) and their account, in one query.
    pub async fn user_with_account(
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

    /// The live contact owning `email` (primary first, then secondary), with display names.
    pub async fn recipient_contact(
        &self,
        account: AccountId,
        email: &EmailAddress,
    ) -> Result<Option<RecipientContact>> {
        let mut c = self.conn().await?;
        let sql =
            format!("{CARD} WHERE c.account_id = $1 AND c.email = $2 AND c.deleted_at IS NULL");
        if let Some(r) = sqlx::query(&sql)
            .bind(account.0)
            .bind(email.as_str())
            .fetch_optional(&mut *c)
            .await?
        {
            return card(&r).map(Some);
        }
        let sql = format!("{CARD} JOIN contact_emails ce ON ce.contact_id = c.id WHERE ce.account_id = $1 AND ce.email = $2 AND c.deleted_at IS NULL");
        sqlx::query(&sql)
            .bind(account.0)
            .bind(email.as_str())
            .fetch_optional(&mut *c)
            .await?
            .as_ref()
            .map(card)
            .transpose()
    }

    /// A contact's latest enrollments, newest first, each with the kind of its current step.
    pub async fn enrollments_with_next_kind(
        &self,
        account: AccountId,
        contact: ContactId,
        limit: i64,
    ) -> Result<Vec<(EnrollmentRow, Option<StepKind>)>> {
        let mut c = self.conn().await?;
        let joins = VIEW_JOINS.replace(
            "LEFT JOIN users au ON au.id = e.actor_user_id",
            "LEFT JOIN users au ON au.id = e.actor_user_id LEFT JOIN steps st ON st.sequence_id = e.sequence_id AND st.number = e.current_step",
        );
        let sql = format!("SELECT {ENR_COLS}, st.kind AS next_kind, {joins} WHERE e.account_id = $1 AND e.contact_id = $2 ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $3");
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .bind(contact.0)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    view_row(r)?,
                    opt_enum(r.try_get("next_kind")?, StepKind::parse)?,
                ))
            })
            .collect()
    }
}
