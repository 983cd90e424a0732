//! Weekly availability per user and recorded meetings.

use sqlx::Row;

use super::*;
use crate::domain::*;
use shared::MeetingSource;

/// A user's stored availability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailabilityRow {
    pub time_zone: String,
    pub slot_minutes: u32,
    pub windows: Vec<WindowRow>,
}

/// One weekly window as stored (JSON in `availability.windows`): `weekday` is `mon`..`sun`,
/// `start`/`end` are `HH:MM`, local to the availability's time zone. The store's own type, so a
/// change to the wire type (`shared::AvailabilityWindow`) cannot change what is stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WindowRow {
    pub weekday: String,
    pub start: String,
    pub end: String,
}

/// A meeting to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub account_id: AccountId,
    pub organizer_id: UserId,
    pub source: MeetingSource,
    pub title: String,
    pub contact_ids: Vec<ContactId>,
    pub company_ids: Vec<CompanyId>,
    pub booked_email: Option<String>,
    pub link_enrollment_id: Option<EnrollmentId>,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub logged_at: Millis,
}

impl Store {
    pub async fn availability(&self, user: UserId) -> Result<Option<AvailabilityRow>> {
        let mut c = self.conn().await?;
        let row = sqlx::query(
            "SELECT time_zone, slot_minutes, windows FROM availability WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| {
            Ok(AvailabilityRow {
                time_zone: r.try_get("time_zone")?,
                slot_minutes: u32::try_from(r.try_get::<i64, _>("slot_minutes")?).unwrap_or(30),
                windows: from_json(&r.try_get::<String, _>("windows")?)?,
            })
        })
        .transpose()
    }

    pub async fn set_availability(
        &self,
        account: AccountId,
        user: UserId,
        a: &AvailabilityRow,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM availability WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO availability (user_id, account_id, time_zone, slot_minutes, windows) VALUES ($1, $2, $3, $4, $5)")
            .bind(user.0)
            .bind(account.0)
            .bind(&a.time_zone)
            .bind(i64::from(a.slot_minutes))
            .bind(to_json(&a.windows))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The organizer's meetings overlapping `[from, to)`, as `(start, end)`.
    pub async fn busy(
        &self,
        organizer: UserId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<(Millis, Millis)>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT starts_at, ends_at FROM meetings WHERE organizer_id = $1 AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at")
            .bind(organizer.0)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("starts_at")?, r.try_get("ends_at")?)))
            .collect()
    }

    pub async fn insert_meeting(&self, tx: &mut Tx, m: &NewMeeting) -> Result<i64> {
        let contacts: Vec<i64> = m.contact_ids.iter().map(|c| c.0).collect();
        let companies: Vec<i64> = m.company_ids.iter().map(|c| c.0).collect();
        let id: i64 = sqlx::query(
            "INSERT INTO meetings (account_id, organizer_id, source, title, contact_ids, company_ids, booked_email, link_enrollment_id, starts_at, ends_at, logged_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(m.account_id.0)
        .bind(m.organizer_id.0)
        .bind(m.source.as_str())
        .bind(&m.title)
        .bind(to_json(&contacts))
        .bind(to_json(&companies))
        .bind(m.booked_email.clone())
        .bind(m.link_enrollment_id.map(|e| e.0))
        .bind(m.starts_at)
        .bind(m.ends_at)
        .bind(m.logged_at)
        .fetch_one(&mut **tx)
        .await
        .map_err(map_unique("booked slot"))?
        .try_get("id")?;
        Ok(id)
    }

    /// Another meeting of the organizer overlaps (checked inside the booking's write transaction;
    /// on SQLite the write lock serializes bookings, on PostgreSQL a narrow race remains).
    pub async fn slot_taken_except(
        &self,
        tx: &mut Tx,
        organizer: UserId,
        start: Millis,
        end: Millis,
        except: i64,
    ) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM meetings WHERE organizer_id = $1 AND ends_at > $2 AND starts_at < $3 AND id <> $4")
            .bind(organizer.0)
            .bind(start)
            .bind(end)
            .bind(except)
            .fetch_optional(&mut **tx)
            .await?;
        Ok(row.is_some())
    }
}
