//! Inbound-mail helpers: a connected mailbox, signed webhook deliveries, message templates from
//! `tests/data/inbound` and the classifier's fixtures, and audit reads (hidden events included).

use std::path::PathBuf;

use anyhow::{Context, Result};
use sequencer_server::domain::{AccountId, ContactId, EnrollmentId};
use sequencer_server::service::mailboxes::webhook_signature;
use sequencer_server::store::EventRow;
use shared::*;

use crate::{Answer, TestApp};

/// A mailbox connected through the admin API, with its webhook secret.
#[derive(Debug, Clone)]
pub struct TestMailbox {
    pub id: i64,
    pub secret: String,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// A template from `tests/data/inbound` with `{{KEY}}` placeholders filled in.
pub fn template(name: &str, vars: &[(&str, &str)]) -> Result<Vec<u8>> {
    let path = repo_root().join("tests/data/inbound").join(name);
    let mut text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    for (k, v) in vars {
        text = text.replace(&format!("{{{{{k}}}}}"), v);
    }
    Ok(text.replace('\n', "\r\n").into_bytes())
}

/// One of the classifier's hand-written fixtures (`server/classify/tests/fixtures`).
pub fn classifier_fixture(name: &str) -> Result<Vec<u8>> {
    let path = repo_root()
        .join("server/classify/tests/fixtures")
        .join(name);
    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
}

/// A fresh Message-ID (without brackets).
pub fn new_id(tag: &str) -> String {
    format!("{tag}.{:x}@mail.example", rand_id())
}

fn rand_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(7);
    u128::from(h.finish()) << 64
        | u128::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0),
        )
}

impl TestApp {
    /// Connects a webhook mailbox for the rep.
    pub async fn mailbox(&self) -> Result<TestMailbox> {
        let a = self
            .post(
                "/mailboxes",
                &MailboxRequest {
                    address: "rep@seller.example".into(),
                    user_id: Some(self.user.id.0),
                    imap: None,
                },
            )
            .await?;
        anyhow::ensure!(a.status == 201, "create mailbox: {} {}", a.status, a.body);
        let v: MailboxView = a.json()?;
        Ok(TestMailbox {
            id: v.id,
            secret: v.webhook_secret.context("secret shown on create")?,
        })
    }

    /// Posts a raw message to the webhook with the given timestamp (unix seconds) and signature.
    pub async fn deliver_signed(
        &self,
        mailbox: i64,
        timestamp: &str,
        signature: &str,
        raw: &[u8],
    ) -> Result<Answer> {
        let resp = self
            .http
            .post(self.url("/inbound"))
            .header("content-type", "message/rfc822")
            .header("x-sequencer-mailbox", mailbox.to_string())
            .header("x-sequencer-timestamp", timestamp)
            .header("x-sequencer-signature", signature)
            .body(raw.to_vec())
            .send()
            .await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        Ok(Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        })
    }

    /// Delivers a raw message through the webhook, signed at the app clock's now; expects 200.
    pub async fn deliver(&self, mb: &TestMailbox, raw: &[u8]) -> Result<InboundResponse> {
        let ts = (self.app.now() / 1000).to_string();
        let a = self
            .deliver_signed(mb.id, &ts, &webhook_signature(&mb.secret, &ts, raw), raw)
            .await?;
        anyhow::ensure!(a.status == 200, "inbound: {} {}", a.status, a.body);
        a.json()
    }

    /// Message-IDs of an enrollment's sent emails, oldest first.
    pub async fn sent_ids(&self, enrollment: i64) -> Result<Vec<String>> {
        let rows = self
            .app
            .store
            .sent_messages(EnrollmentId(enrollment))
            .await?;
        Ok(rows
            .into_iter()
            .filter(|m| m.2 == "sent")
            .map(|m| m.1)
            .collect())
    }

    /// The newest sent Message-ID of an enrollment.
    pub async fn last_sent_id(&self, enrollment: i64) -> Result<String> {
        self.sent_ids(enrollment)
            .await?
            .pop()
            .context("no email sent yet")
    }

    /// A contact's events, newest first, hidden ones included (an audit view).
    pub async fn audit_timeline(&self, contact: i64) -> Result<Vec<EventRow>> {
        Ok(self
            .app
            .store
            .timeline(self.account.id, ContactId(contact), true, 100)
            .await?)
    }

    /// The kinds on the contact's visible timeline, newest first.
    pub async fn visible_kinds(&self, contact: i64) -> Result<Vec<String>> {
        let record: ContactRecordView = self
            .get(&format!("/contacts/{contact}/record"))
            .await?
            .json()?;
        Ok(record.timeline.iter().map(|e| e.kind.clone()).collect())
    }

    /// Creates a contact (with secondary addresses), enrolls it in `seq` and waits for step 1.
    pub async fn enrolled(
        &self,
        email: &str,
        secondary: &[&str],
        company: Option<i64>,
        seq: i64,
    ) -> Result<(ContactView, EnrollmentView)> {
        let req = ContactRequest {
            email: email.into(),
            secondary_emails: secondary.iter().map(|s| s.to_string()).collect(),
            first_name: "Pat".into(),
            last_name: "Buyer".into(),
            title: String::new(),
            company_id: company,
            owner_id: None,
        };
        let a = self.post("/contacts", &req).await?;
        anyhow::ensure!(a.status == 201, "create contact: {} {}", a.status, a.body);
        let c: ContactView = a.json()?;
        let e = self.enroll(seq, &[c.id]).await?.results[0]
            .enrollment
            .clone()
            .context("enrolled")?;
        self.smtp.wait_for(&c.email, 1).await?;
        Ok((c, e))
    }

    pub fn account_id(&self) -> AccountId {
        self.account.id
    }
}
