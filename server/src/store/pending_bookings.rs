//! Bookings on a user's own booking page that wait for the booker to confirm the address
//! (issue 19): the confirmation link is one-use, enforced by a conditional update.

use sqlx::Row;

use super::*;
use crate::domain::*;

/// A booking to hold until it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPendingBooking {
    pub account_id: AccountId,
    pub organizer_id: UserId,
    pub email: String,
    pub starts_at: Millis,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// A stored pending booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingBooking {
    pub id: i64,
    pub account_id: AccountId,
    pub organizer_id: UserId,
    pub email: String,
    pub starts_at: Millis,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub confirmed_at: Option<Millis>,
    pub meeting_id: Option<i64>,
}

const COLS: &str = "id, account_id, organizer_id, email, starts_at, created_at, expires_at, confirmed_at, meeting_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<PendingBooking> {
    Ok(PendingBooking {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        organizer_id: UserId(r.try_get("organizer_id")?),
        email: r.try_get("email")?,
        starts_at: r.try_get("starts_at")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        confirmed_at: r.try_get("confirmed_at")?,
        meeting_id: r.try_get("meeting_id")?,
    })
}

impl Store {
    pub async fn insert_pending_booking(&self, b: &NewPendingBooking) -> Result<i64> {
        let mut c = self.conn().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO pending_bookings (account_id, organizer_id, email, starts_at, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(b.account_id.0)
        .bind(b.organizer_id.0)
        .bind(&b.email)
        .bind(b.starts_at)
        .bind(b.created_at)
        .bind(b.expires_at)
        .fetch_one(&mut *c)
        .await?
        .try_get("id")?;
        Ok(id)
    }

    /// A pending booking by id alone: only for ids that came out of a verified signed link.
    pub async fn pending_booking(&self, id: i64) -> Result<Option<PendingBooking>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {COLS} FROM pending_bookings WHERE id = $1");
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Marks the booking confirmed inside the transaction that records its meeting; `false`
    /// when it was already confirmed (the link is used once).
    pub async fn confirm_pending_booking(
        &self,
        tx: &mut Tx,
        id: i64,
        meeting_id: i64,
        now: Millis,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE pending_bookings SET confirmed_at = $1, meeting_id = $2 WHERE id = $3 AND confirmed_at IS NULL",
        )
        .bind(now)
        .bind(meeting_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
