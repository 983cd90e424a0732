//! Companies, contacts and their secondary addresses.

use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

use super::*;
use crate::domain::*;

const CONTACT_COLS: &str =
    "id, account_id, email, first_name, last_name, title, company_id, owner_id, email_status, unsubscribed, deleted_at";

/// How an address matched a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMatch {
    pub contact: Contact,
    /// `false` when the address is one of the contact's secondary addresses (an alias).
    pub primary: bool,
}

fn contact_from_row(row: &AnyRow, secondary: Vec<EmailAddress>) -> Result<Contact> {
    Ok(Contact {
        id: ContactId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        email: EmailAddress::from_trusted(row.try_get("email")?),
        secondary_emails: secondary,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        title: row.try_get("title")?,
        company_id: row.try_get::<Option<i64>, _>("company_id")?.map(CompanyId),
        owner_id: row.try_get::<Option<i64>, _>("owner_id")?.map(UserId),
        email_status: parse_enum(
            &row.try_get::<String, _>("email_status")?,
            EmailStatus::parse,
        )?,
        unsubscribed: get_bool(row, "unsubscribed")?,
        deleted: row.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
    })
}

fn company_from_row(row: &AnyRow) -> Result<Company> {
    Ok(Company {
        id: CompanyId(row.try_get("id")?),
        account_id: AccountId(row.try_get("account_id")?),
        name: row.try_get("name")?,
        domains: from_json(&row.try_get::<String, _>("domains")?)?,
    })
}

/// The fields a caller may set on a contact.
#[derive(Debug, Clone)]
pub struct ContactFields {
    pub email: EmailAddress,
    pub secondary_emails: Vec<EmailAddress>,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub company_id: Option<CompanyId>,
    pub owner_id: Option<UserId>,
}

impl Store {
    pub async fn create_company(
        &self,
        account: AccountId,
        name: &str,
        domains: &[String],
        now: Millis,
    ) -> Result<Company> {
        let mut c = self.conn().await?;
        let id: i64 = sqlx::query("INSERT INTO companies (account_id, name, domains, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(account.0)
            .bind(name)
            .bind(to_json(&domains))
            .bind(now)
            .fetch_one(&mut *c)
            .await?
            .try_get("id")?;
        Ok(Company {
            id: CompanyId(id),
            account_id: account,
            name: name.to_string(),
            domains: domains.to_vec(),
        })
    }

    pub async fn update_company(&self, company: &Company) -> Result<bool> {
        let mut c = self.conn().await?;
        let done = sqlx::query(
            "UPDATE companies SET name = $1, domains = $2 WHERE id = $3 AND account_id = $4",
        )
        .bind(&company.name)
        .bind(to_json(&company.domains))
        .bind(company.id.0)
        .bind(company.account_id.0)
        .execute(&mut *c)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn company(&self, account: AccountId, id: CompanyId) -> Result<Option<Company>> {
        let mut c = self.conn().await?;
        let row = sqlx::query(
            "SELECT id, account_id, name, domains FROM companies WHERE id = $1 AND account_id = $2",
        )
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await?;
        row.as_ref().map(company_from_row).transpose()
    }

    pub async fn companies(&self, account: AccountId) -> Result<Vec<Company>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT id, account_id, name, domains FROM companies WHERE account_id = $1 ORDER BY name, id")
            .bind(account.0)
            .fetch_all(&mut *c)
            .await?;
        rows.iter().map(company_from_row).collect()
    }

    /// Creates a contact with its secondary addresses, in one transaction.
    pub async fn create_contact(
        &self,
        account: AccountId,
        f: &ContactFields,
        now: Millis,
    ) -> Result<Contact> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO contacts (account_id, email, first_name, last_name, title, company_id, owner_id, email_status, unsubscribed, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'valid', 0, $8) RETURNING id",
        )
        .bind(account.0)
        .bind(f.email.as_str())
        .bind(&f.first_name)
        .bind(&f.last_name)
        .bind(&f.title)
        .bind(f.company_id.map(|c| c.0))
        .bind(f.owner_id.map(|u| u.0))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_unique("contact email"))?
        .try_get("id")?;
        replace_secondary(
            &mut tx,
            account,
            ContactId(id),
            &f.email,
            &f.secondary_emails,
        )
        .await?;
        tx.commit().await?;
        self.contact(account, ContactId(id))
            .await?
            .ok_or_else(|| StoreError::Corrupt("contact vanished".into()))
    }

    pub async fn update_contact(
        &self,
        account: AccountId,
        id: ContactId,
        f: &ContactFields,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE contacts SET email = $1, first_name = $2, last_name = $3, title = $4, company_id = $5, owner_id = $6
             WHERE id = $7 AND account_id = $8 AND deleted_at IS NULL",
        )
        .bind(f.email.as_str())
        .bind(&f.first_name)
        .bind(&f.last_name)
        .bind(&f.title)
        .bind(f.company_id.map(|c| c.0))
        .bind(f.owner_id.map(|u| u.0))
        .bind(id.0)
        .bind(account.0)
        .execute(&mut *tx)
        .await
        .map_err(map_unique("contact email"))?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        replace_secondary(&mut tx, account, id, &f.email, &f.secondary_emails).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn contact(&self, account: AccountId, id: ContactId) -> Result<Option<Contact>> {
        let mut c = self.conn().await?;
        contact_in(&mut c, account, id).await
    }

    /// Live (not deleted) contacts of the account, newest last.
    pub async fn contacts(
        &self,
        account: AccountId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Contact>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {CONTACT_COLS} FROM contacts WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT $2 OFFSET $3");
        let rows = sqlx::query(&sql)
            .bind(account.0)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *c)
            .await?;
        let ids: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut secondary = secondary_for(&mut c, &ids).await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                contact_from_row(r, secondary.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    /// The live contact that owns `email`, as primary or secondary address.
    pub async fn contact_by_email(
        &self,
        account: AccountId,
        email: &EmailAddress,
    ) -> Result<Option<ContactMatch>> {
        let mut c = self.conn().await?;
        contact_by_email_in(&mut c, account, email).await
    }

    /// Live contacts associated with the company.
    pub async fn contacts_of_company(
        &self,
        account: AccountId,
        company: CompanyId,
    ) -> Result<Vec<ContactId>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query("SELECT id FROM contacts WHERE account_id = $1 AND company_id = $2 AND deleted_at IS NULL")
            .bind(account.0)
            .bind(company.0)
            .fetch_all(&mut *c)
            .await?;
        rows.iter()
            .map(|r| Ok(ContactId(r.try_get("id")?)))
            .collect()
    }

    pub async fn set_contact_flags(
        &self,
        account: AccountId,
        id: ContactId,
        status: EmailStatus,
        unsubscribed: bool,
    ) -> Result<()> {
        let mut c = self.conn().await?;
        sqlx::query("UPDATE contacts SET email_status = $1, unsubscribed = $2 WHERE id = $3 AND account_id = $4")
            .bind(status.as_str())
            .bind(i64::from(unsubscribed))
            .bind(id.0)
            .bind(account.0)
            .execute(&mut *c)
            .await?;
        Ok(())
    }

    pub async fn mark_contact_deleted(
        &self,
        tx: &mut Tx,
        account: AccountId,
        id: ContactId,
        now: Millis,
    ) -> Result<bool> {
        let done = sqlx::query("UPDATE contacts SET deleted_at = $1 WHERE id = $2 AND account_id = $3 AND deleted_at IS NULL")
            .bind(now)
            .bind(id.0)
            .bind(account.0)
            .execute(&mut **tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

pub(crate) async fn contact_in(
    c: &mut Conn,
    account: AccountId,
    id: ContactId,
) -> Result<Option<Contact>> {
    let sql = format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = $1 AND account_id = $2");
    let Some(row) = sqlx::query(&sql)
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(&mut *c)
        .await?
    else {
        return Ok(None);
    };
    let mut secondary = secondary_for(c, &[id.0]).await?;
    contact_from_row(&row, secondary.remove(&id.0).unwrap_or_default()).map(Some)
}

pub(crate) async fn contact_by_email_in(
    c: &mut Conn,
    account: AccountId,
    email: &EmailAddress,
) -> Result<Option<ContactMatch>> {
    let sql = format!("SELECT {CONTACT_COLS} FROM contacts WHERE account_id = $1 AND email = $2 AND deleted_at IS NULL");
    if let Some(row) = sqlx::query(&sql)
        .bind(account.0)
        .bind(email.as_str())
        .fetch_optional(&mut *c)
        .await?
    {
        let id: i64 = row.try_get("id")?;
        let mut secondary = secondary_for(c, &[id]).await?;
        let contact = contact_from_row(&row, secondary.remove(&id).unwrap_or_default())?;
        return Ok(Some(ContactMatch {
            contact,
            primary: true,
        }));
    }
    let owner = sqlx::query(
        "SELECT ce.contact_id FROM contact_emails ce JOIN contacts c ON c.id = ce.contact_id
         WHERE ce.account_id = $1 AND ce.email = $2 AND c.deleted_at IS NULL",
    )
    .bind(account.0)
    .bind(email.as_str())
    .fetch_optional(&mut *c)
    .await?;
    match owner {
        Some(r) => {
            let id = ContactId(r.try_get("contact_id")?);
            Ok(contact_in(c, account, id)
                .await?
                .map(|contact| ContactMatch {
                    contact,
                    primary: false,
                }))
        }
        None => Ok(None),
    }
}

async fn secondary_for(c: &mut Conn, ids: &[i64]) -> Result<HashMap<i64, Vec<EmailAddress>>> {
    let mut out: HashMap<i64, Vec<EmailAddress>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT contact_id, email FROM contact_emails WHERE contact_id IN ({}) ORDER BY email",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&mut *c).await? {
            out.entry(r.try_get("contact_id")?)
                .or_default()
                .push(EmailAddress::from_trusted(r.try_get("email")?));
        }
    }
    Ok(out)
}

async fn replace_secondary(
    tx: &mut Tx,
    account: AccountId,
    id: ContactId,
    primary: &EmailAddress,
    emails: &[EmailAddress],
) -> Result<()> {
    sqlx::query("DELETE FROM contact_emails WHERE contact_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    for e in emails.iter().filter(|e| *e != primary) {
        sqlx::query(
            "INSERT INTO contact_emails (contact_id, account_id, email) VALUES ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(account.0)
        .bind(e.as_str())
        .execute(&mut **tx)
        .await
        .map_err(map_unique("secondary email"))?;
    }
    Ok(())
}
