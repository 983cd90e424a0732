//! Inbound mail: connected mailboxes, IMAP folder sync state, processed inbound messages (the
//! idempotency key and evidence store), and the lookups that tie a message to an enrollment.

use base64::Engine as _;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::*;
use crate::domain::*;

const MAILBOX_COLS: &str = "id, account_id, user_id, address, webhook_secret, imap_host, imap_port, imap_tls, imap_username, imap_password, imap_oauth_token, imap_folders, created_at";

/// IMAP connection settings of a mailbox. The store keeps `password` and `oauth_token` as the
/// service hands them over: sealed (`v1:...`, see `crate::crypto`), or a legacy plaintext from
/// before sealing. `Debug` never shows either.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: String,
    pub password: Option<String>,
    /// An OAuth2 access token, used with SASL XOAUTH2 instead of the password.
    pub oauth_token: Option<String>,
    /// Folders to watch; `INBOX` when empty.
    pub folders: Vec<String>,
}

impl std::fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &redacted(&self.password))
            .field("oauth_token", &redacted(&self.oauth_token))
            .field("folders", &self.folders)
            .finish()
    }
}

/// A connected mailbox: where inbound mail for an account comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub id: i64,
    pub account_id: AccountId,
    pub user_id: Option<UserId>,
    pub address: EmailAddress,
    pub webhook_secret: String,
    pub imap: Option<ImapSettings>,
    pub created_at: Millis,
}

/// One processed inbound message, as stored before its effects.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    pub account_id: AccountId,
    pub mailbox_id: Option<i64>,
    pub message_id: &'a str,
    pub content_hash: &'a str,
    pub from_email: Option<&'a str>,
    pub subject: &'a str,
    pub class: &'a str,
    pub signals: &'a [String],
    pub raw: &'a [u8],
    pub received_at: Millis,
}

/// A sent sequence email that an inbound message refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRef {
    pub enrollment_id: EnrollmentId,
    pub step_number: u32,
    pub to_email: String,
    pub subject: String,
}

/// A live enrollment of a contact that may be the same company as a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyPeer {
    pub enrollment_id: EnrollmentId,
    pub contact_id: ContactId,
    pub email: String,
    pub company_id: Option<CompanyId>,
}

fn mailbox_from_row(r: &AnyRow) -> Result<Mailbox> {
    let host: Option<String> = r.try_get("imap_host")?;
    let imap = match host {
        Some(host) => Some(ImapSettings {
            host,
            port: u16::try_from(r.try_get::<Option<i64>, _>("imap_port")?.unwrap_or(993))
                .unwrap_or(993),
            tls: get_bool(r, "imap_tls")?,
            username: r
                .try_get::<Option<String>, _>("imap_username")?
                .unwrap_or_default(),
            password: r.try_get("imap_password")?,
            oauth_token: r.try_get("imap_oauth_token")?,
            folders: from_json(&r.try_get::<String, _>("imap_folders")?)?,
        }),
        None => None,
    };
    Ok(Mailbox {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        address: EmailAddress::from_trusted(r.try_get("address")?),
        webhook_secret: r.try_get("webhook_secret")?,
        imap,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    pub async fn create_mailbox(
        &self,
        account: AccountId,
        user: Option<UserId>,
        address: &EmailAddress,
        secret: &str,
        imap: Option<&ImapSettings>,
        now: Millis,
    ) -> Result<Mailbox> {
        let mut c = self.conn().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO mailboxes (account_id, user_id, address, webhook_secret, imap_host, imap_port, imap_tls, imap_username, imap_password, imap_oauth_token, imap_folders, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(account.0)
        .bind(user.map(|u| u.0))
        .bind(address.as_str())
        .bind(secret)
        .bind(imap.map(|i| i.host.clone()))
        .bind(imap.map(|i| i64::from(i.port)))
        .bind(i64::from(imap.is_some_and(|i| i.tls)))
        .bind(imap.map(|i| i.username.clone()))
        .bind(imap.and_then(|i| i.password.clone()))
        .bind(imap.and_then(|i| i.oauth_token.clone()))
        .bind(to_json(&imap.map(|i| i.folders.clone()).unwrap_or_default()))
        .bind(now)
        .fetch_one(&mut *c)
        .await
        .map_err(map_unique("mailbox address"))?
        .try_get("id")?;
        self.mailbox(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("mailbox vanished".into()))
    }

    /// A mailbox by id, whatever its account (the webhook identifies it before authenticating).
    pub async fn mailbox(&self, id: i64) -> Result<Option<Mailbox>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE id = $1");
        sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *c)
            .await?
            .as_ref()
            .map(mailbox_from_row)
            .transpose()
    }

    pub async fn mailboxes(&self, account: AccountId) -> Result<Vec<Mailbox>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE account_id = $1 ORDER BY id");
        sqlx::query(&sql)
            .bind(account.0)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(mailbox_from_row)
            .collect()
    }

    /// Every mailbox with IMAP settings (for the poller).
    pub async fn imap_mailboxes(&self) -> Result<Vec<Mailbox>> {
        self.mailboxes_where("imap_host IS NOT NULL").await
    }

    /// The mailboxes (of every account) matching a SQL condition, by id.
    async fn mailboxes_where(&self, condition: &str) -> Result<Vec<Mailbox>> {
        let mut c = self.conn().await?;
        let sql = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE {condition} ORDER BY id");
        sqlx::query(&sql)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(mailbox_from_row)
            .collect()
    }

    /// Replaces a mailbox's address, user and IMAP settings (the webhook secret stays); with
    /// `reset_folders` the per-folder sync state is dropped too, so the next sync starts from what
    /// is in the folders then. `None` when the account has no such mailbox.
    pub async fn update_mailbox(
        &self,
        account: AccountId,
        id: i64,
        user: Option<UserId>,
        address: &EmailAddress,
        imap: Option<&ImapSettings>,
        reset_folders: bool,
    ) -> Result<Option<Mailbox>> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE mailboxes SET user_id = $1, address = $2, imap_host = $3, imap_port = $4, imap_tls = $5, imap_username = $6, imap_password = $7, imap_oauth_token = $8, imap_folders = $9
             WHERE id = $10 AND account_id = $11",
        )
        .bind(user.map(|u| u.0))
        .bind(address.as_str())
        .bind(imap.map(|i| i.host.clone()))
        .bind(imap.map(|i| i64::from(i.port)))
        .bind(i64::from(imap.is_some_and(|i| i.tls)))
        .bind(imap.map(|i| i.username.clone()))
        .bind(imap.and_then(|i| i.password.clone()))
        .bind(imap.and_then(|i| i.oauth_token.clone()))
        .bind(to_json(&imap.map(|i| i.folders.clone()).unwrap_or_default()))
        .bind(id)
        .bind(account.0)
        .execute(&mut *tx)
        .await
        .map_err(map_unique("mailbox address"))?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        if reset_folders {
            sqlx::query("DELETE FROM imap_folders WHERE mailbox_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.mailbox(id).await
    }

    /// Deletes a mailbox and its folder sync state; `false` when the account has no such mailbox.
    /// Processed inbound messages keep its id as evidence.
    pub async fn delete_mailbox(&self, account: AccountId, id: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let lock = if self.backend == Backend::Postgres {
            // A watcher recording folder state concurrently waits on this lock, then fails its
            // foreign key instead of leaving a row that would block the delete.
            " FOR UPDATE"
        } else {
            ""
        };
        let sql = format!("SELECT id FROM mailboxes WHERE id = $1 AND account_id = $2{lock}");
        let found = sqlx::query(&sql)
            .bind(id)
            .bind(account.0)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM imap_folders WHERE mailbox_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM mailboxes WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces a stored IMAP password if it still is `old` (re-sealing a legacy plaintext
    /// without overwriting a concurrent change); whether it was replaced.
    pub async fn replace_imap_password(&self, id: i64, old: &str, new: &str) -> Result<bool> {
        self.replace_credential("imap_password", id, old, new).await
    }

    /// Like [`Store::replace_imap_password`], for the OAuth2 token.
    pub async fn replace_imap_oauth_token(&self, id: i64, old: &str, new: &str) -> Result<bool> {
        self.replace_credential("imap_oauth_token", id, old, new)
            .await
    }

    /// Replaces a webhook secret only if it is still `old` (sealing legacy plaintext ones).
    pub async fn replace_webhook_secret(&self, id: i64, old: &str, new: &str) -> Result<bool> {
        self.replace_credential("webhook_secret", id, old, new)
            .await
    }

    /// Every mailbox of every account (sealing stored secrets at startup).
    pub async fn all_mailboxes(&self) -> Result<Vec<Mailbox>> {
        self.mailboxes_where("TRUE").await
    }

    /// Records the last IMAP error of a mailbox (`None` clears it; a clear writes only when
    /// there is something to clear).
    pub async fn set_mailbox_error(&self, id: i64, error: Option<&str>, now: Millis) -> Result<()> {
        let mut c = self.conn().await?;
        let q = match error {
            Some(e) => sqlx::query(
                "UPDATE mailboxes SET last_error = $1, last_error_at = $2 WHERE id = $3",
            )
            .bind(e.chars().take(1000).collect::<String>())
            .bind(now)
            .bind(id),
            None => sqlx::query(
                "UPDATE mailboxes SET last_error = NULL, last_error_at = NULL WHERE id = $1 AND last_error IS NOT NULL",
            )
            .bind(id),
        };
        q.execute(&mut *c).await?;
        Ok(())
    }

    /// The last IMAP error (message, when) of each of the account's mailboxes that has one.
    pub async fn mailbox_errors(
        &self,
        account: AccountId,
    ) -> Result<std::collections::HashMap<i64, (String, Millis)>> {
        let mut c = self.conn().await?;
        let rows = sqlx::query(
            "SELECT id, last_error, last_error_at FROM mailboxes WHERE account_id = $1 AND last_error IS NOT NULL",
        )
        .bind(account.0)
        .fetch_all(&mut *c)
        .await?;
        let mut out = std::collections::HashMap::new();
        for r in &rows {
            let at: Option<i64> = r.try_get("last_error_at")?;
            out.insert(
                r.try_get::<i64, _>("id")?,
                (r.try_get::<String, _>("last_error")?, at.unwrap_or(0)),
            );
        }
        Ok(out)
    }

    async fn replace_credential(
        &self,
        col: &'static str,
        id: i64,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        let mut c = self.conn().await?;
        let sql = format!("UPDATE mailboxes SET {col} = $1 WHERE id = $2 AND {col} = $3");
        let done = sqlx::query(&sql)
            .bind(new)
            .bind(id)
            .bind(old)
            .execute(&mut *c)
            .await?
            .rows_affected();
        Ok(done > 0)
    }

    /// (UIDVALIDITY, last UID seen) of a mailbox folder.
    pub async fn imap_folder_state(
        &self,
        mailbox: i64,
        folder: &str,
    ) -> Result<Option<(u32, u32)>> {
        let mut c = self.conn().await?;
        let row = sqlx::query(
            "SELECT uid_validity, last_uid FROM imap_folders WHERE mailbox_id = $1 AND folder = $2",
        )
        .bind(mailbox)
        .bind(folder)
        .fetch_optional(&mut *c)
        .await?;
        row.map(|r| {
            Ok((
                u32::try_from(r.try_get::<i64, _>("uid_validity")?).unwrap_or(0),
                u32::try_from(r.try_get::<i64, _>("last_uid")?).unwrap_or(0),
            ))
        })
        .transpose()
    }

    pub async fn set_imap_folder_state(
        &self,
        mailbox: i64,
        folder: &str,
        uid_validity: u32,
        last_uid: u32,
        now: Millis,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM imap_folders WHERE mailbox_id = $1 AND folder = $2")
            .bind(mailbox)
            .bind(folder)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO imap_folders (mailbox_id, folder, uid_validity, last_uid, synced_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(mailbox)
            .bind(folder)
            .bind(i64::from(uid_validity))
            .bind(i64::from(last_uid))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The id of an already processed message with this Message-ID or content hash.
    pub async fn inbound_seen(
        &self,
        account: AccountId,
        message_id: &str,
        hash: &str,
    ) -> Result<Option<i64>> {
        let mut c = self.conn().await?;
        let row = sqlx::query("SELECT id FROM inbound_messages WHERE account_id = $1 AND (message_id = $2 OR content_hash = $3)")
            .bind(account.0)
            .bind(message_id)
            .bind(hash)
            .fetch_optional(&mut *c)
            .await?;
        row.map(|r| r.try_get("id"))
            .transpose()
            .map_err(StoreError::from)
    }

    /// Records a processed message; `None` when the same message (id or hash) was recorded first.
    pub async fn insert_inbound(&self, tx: &mut Tx, m: &NewInbound<'_>) -> Result<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO inbound_messages (account_id, mailbox_id, message_id, content_hash, from_email, subject, class, signals, outcome, raw_size, raw, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', $9, $10, $11) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(m.account_id.0)
        .bind(m.mailbox_id)
        .bind(m.message_id)
        .bind(m.content_hash)
        .bind(m.from_email)
        .bind(m.subject)
        .bind(m.class)
        .bind(to_json(&m.signals))
        .bind(m.raw.len() as i64)
        .bind(base64::engine::general_purpose::STANDARD.encode(m.raw))
        .bind(m.received_at)
        .fetch_optional(&mut **tx)
        .await?;
        row.map(|r| r.try_get("id"))
            .transpose()
            .map_err(StoreError::from)
    }

    /// What processing a message did (a JSON list of outcomes), for audits.
    pub async fn set_inbound_outcome(
        &self,
        tx: &mut Tx,
        id: i64,
        outcome: &[String],
    ) -> Result<()> {
        sqlx::query("UPDATE inbound_messages SET outcome = $1 WHERE id = $2")
            .bind(to_json(&outcome))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// (class, outcome) of a processed message.
    pub async fn inbound_outcome(&self, id: i64) -> Result<Option<(String, Vec<String>)>> {
        let mut c = self.conn().await?;
        let row = sqlx::query("SELECT class, outcome FROM inbound_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await?;
        row.map(|r| {
            Ok((
                r.try_get("class")?,
                from_json(&r.try_get::<String, _>("outcome")?)?,
            ))
        })
        .transpose()
    }

    /// Whether `email` is one of the account's own addresses: a user, a mailbox, or a sender of
    /// one of its enrollments (`enrollments_account_sender`).
    ///
    /// Not a prepared statement on PostgreSQL: a cached generic plan estimates `sender_email = $2`
    /// from the few distinct senders (thousands of rows each), so `LIMIT 1` over a sequential
    /// scan looks free, and for a contact's address, which matches nothing, reads every
    /// enrollment. Planned with the value, it is an index lookup.
    pub async fn is_own_address(&self, account: AccountId, email: &str) -> Result<bool> {
        let mut c = self.conn().await?;
        let row = sqlx::query(
            "SELECT 1 AS hit FROM users WHERE account_id = $1 AND email = $2
             UNION ALL SELECT 1 AS hit FROM mailboxes WHERE account_id = $1 AND address = $2
             UNION ALL SELECT 1 AS hit FROM (SELECT sender_email FROM enrollments WHERE account_id = $1 AND sender_email = $2 LIMIT 1) s",
        )
        .persistent(self.backend == Backend::Sqlite)
        .bind(account.0)
        .bind(email)
        .fetch_optional(&mut *c)
        .await?;
        Ok(row.is_some())
    }

    /// Sent (or claimed) sequence emails with one of these Message-IDs, newest first.
    pub async fn sent_by_message_ids(
        &self,
        account: AccountId,
        ids: &[String],
    ) -> Result<Vec<SentRef>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.conn().await?;
        let ids: Vec<&String> = ids.iter().take(200).collect();
        let sql = format!(
            "SELECT enrollment_id, step_number, to_email, subject FROM sent_messages WHERE account_id = $1 AND message_id IN ({}) ORDER BY id DESC",
            placeholders(2, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(account.0);
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.fetch_all(&mut *c).await?.iter().map(sent_ref).collect()
    }

    /// The latest sent sequence emails to `to_email`, newest first.
    pub async fn sent_to(
        &self,
        account: AccountId,
        to_email: &str,
        limit: i64,
    ) -> Result<Vec<SentRef>> {
        let mut c = self.conn().await?;
        sqlx::query("SELECT enrollment_id, step_number, to_email, subject FROM sent_messages WHERE account_id = $1 AND to_email = $2 AND state = 'sent' ORDER BY id DESC LIMIT $3")
            .bind(account.0)
            .bind(to_email)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
            .iter()
            .map(sent_ref)
            .collect()
    }

    /// Live enrollments, in sequences with "unenroll the same company" on, of contacts in
    /// `company` or with an address at `domain` (pass `None` for free-mail domains).
    ///
    /// Per inbound reply, so nothing here scans the account's enrollments: the account's
    /// same-company sequences first (usually none, then nothing else is read), then the contacts
    /// of the company (`contacts_account_company`) and at the domain (`contacts_account_domain`, an
    /// expression index on the address's domain), each joined to its live enrollment.
    pub async fn company_peers(
        &self,
        account: AccountId,
        company: Option<CompanyId>,
        domain: Option<&str>,
    ) -> Result<Vec<CompanyPeer>> {
        if company.is_none() && domain.is_none() {
            return Ok(Vec::new());
        }
        let mut c = self.conn().await?;
        let sequences: Vec<i64> = sqlx::query(
            "SELECT id FROM sequences WHERE account_id = $1 AND unenroll_same_company = 1",
        )
        .bind(account.0)
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
        if sequences.is_empty() {
            return Ok(Vec::new());
        }
        // $1 account, $2 company or domain, then the sequence ids.
        let select = |matches: &str| {
            format!(
                "SELECT e.id, e.contact_id, c.email, c.company_id FROM contacts c JOIN enrollments e ON e.contact_id = c.id
                 WHERE c.account_id = $1 AND {matches} AND c.deleted_at IS NULL
                 AND e.account_id = $1 AND e.state IN ('active', 'paused') AND e.sequence_id IN ({})",
                placeholders(3, sequences.len())
            )
        };
        let domain_expr = self.backend.email_domain("c.email");
        let mut rows = Vec::new();
        if let Some(company) = company {
            let sql = select("c.company_id = $2");
            let mut q = sqlx::query(&sql).bind(account.0).bind(company.0);
            for s in &sequences {
                q = q.bind(*s);
            }
            rows.extend(q.fetch_all(&mut *c).await?);
        }
        if let Some(domain) = domain {
            let sql = select(&format!("{domain_expr} = $2"));
            let mut q = sqlx::query(&sql)
                .bind(account.0)
                .bind(domain.to_lowercase());
            for s in &sequences {
                q = q.bind(*s);
            }
            rows.extend(q.fetch_all(&mut *c).await?);
        }
        let mut peers = rows
            .iter()
            .map(|r| {
                Ok(CompanyPeer {
                    enrollment_id: EnrollmentId(r.try_get("id")?),
                    contact_id: ContactId(r.try_get("contact_id")?),
                    email: r.try_get("email")?,
                    company_id: r.try_get::<Option<i64>, _>("company_id")?.map(CompanyId),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        peers.sort_by_key(|p| p.enrollment_id.0);
        peers.dedup_by_key(|p| p.enrollment_id.0);
        Ok(peers)
    }

    /// Reads an enrollment inside `tx`, row-locked on PostgreSQL (SQLite's write lock is held).
    pub async fn lock_enrollment(
        &self,
        tx: &mut Tx,
        id: EnrollmentId,
    ) -> Result<Option<Enrollment>> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM enrollments WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .execute(&mut **tx)
                .await?;
        }
        self.enrollment_in_tx(tx, id).await
    }

    /// Counts a soft bounce; when `retry` names a step, the enrollment goes back to it at `at`.
    pub async fn count_soft_bounce(
        &self,
        tx: &mut Tx,
        id: EnrollmentId,
        retry: Option<(u32, Millis)>,
    ) -> Result<()> {
        match retry {
            Some((step, at)) => {
                sqlx::query("UPDATE enrollments SET soft_bounces = soft_bounces + 1, current_step = $1, next_run_at = $2 WHERE id = $3 AND state = 'active'")
                    .bind(i64::from(step))
                    .bind(at)
                    .bind(id.0)
                    .execute(&mut **tx)
                    .await?
            }
            None => sqlx::query("UPDATE enrollments SET soft_bounces = soft_bounces + 1 WHERE id = $1").bind(id.0).execute(&mut **tx).await?,
        };
        Ok(())
    }

    /// Marks a contact's primary address bounced.
    pub async fn mark_bounced(&self, tx: &mut Tx, contact: ContactId) -> Result<()> {
        sqlx::query("UPDATE contacts SET email_status = $1 WHERE id = $2")
            .bind(EmailStatus::Bounced.as_str())
            .bind(contact.0)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

fn sent_ref(r: &AnyRow) -> Result<SentRef> {
    Ok(SentRef {
        enrollment_id: EnrollmentId(r.try_get("enrollment_id")?),
        step_number: u32::try_from(r.try_get::<i64, _>("step_number")?).unwrap_or(0),
        to_email: r.try_get("to_email")?,
        subject: r.try_get("subject")?,
    })
}
