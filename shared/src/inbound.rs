//! Inbound mail: connected mailboxes (webhook secret, IMAP settings) and the webhook's answer.

use serde::{Deserialize, Serialize};

/// IMAP settings of a mailbox. Give `password` or `oauth_token` (SASL XOAUTH2); the server
/// stores them encrypted and never shows them back (`Debug` hides them too).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapSettingsRequest {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    /// Implicit TLS (port 993); `false` only for loopback test servers.
    #[serde(default = "yes")]
    pub tls: bool,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_token: Option<String>,
    /// Folders to watch; `INBOX` when empty.
    #[serde(default)]
    pub folders: Vec<String>,
}

impl std::fmt::Debug for ImapSettingsRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("ImapSettingsRequest")
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

fn yes() -> bool {
    true
}

/// `POST /api/v1/mailboxes` (admin): connect a mailbox. `PUT /api/v1/mailboxes/{id}` takes the
/// same body and replaces the mailbox's settings (the webhook secret stays): leave out
/// `password`/`oauth_token` to keep the stored ones (only while host, port, TLS and username are
/// unchanged), `imap: null` stops IMAP. `DELETE /api/v1/mailboxes/{id}` disconnects it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRequest {
    pub address: String,
    /// The rep whose mailbox this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<ImapSettingsRequest>,
}

/// IMAP settings as shown back (never the password or token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapSettingsView {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub username: String,
    pub folders: Vec<String>,
    pub auth: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxView {
    pub id: i64,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// Only in the answer to the create call: sign webhook deliveries with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<ImapSettingsView>,
    /// Why the last IMAP connection failed (a refused target, login, TLS...); absent once a
    /// session works again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When `last_error` happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxListResponse {
    pub mailboxes: Vec<MailboxView>,
}

/// The answer to `POST /api/v1/inbound`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_id: Option<i64>,
    /// The same message (Message-ID or content hash) was already processed: nothing was done.
    pub duplicate: bool,
    pub class: String,
    /// One line per effect, e.g. `enrollment 3: unenroll replied`.
    #[serde(default)]
    pub effects: Vec<String>,
}
