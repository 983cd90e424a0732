//! Connected mailboxes: creating one (admin), listing them, and authenticating webhook
//! deliveries (HMAC-SHA256 over `timestamp + "." + body` with the mailbox's secret, timestamps
//! at most five minutes from the app clock).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::{ErrorCode, ImapSettingsView, MailboxListResponse, MailboxRequest, MailboxView};

use super::*;
use crate::store::{ImapSettings, Mailbox};

/// Webhook timestamps further than this from the app clock are refused.
pub const WEBHOOK_TOLERANCE_MS: Millis = 5 * 60 * 1000;

/// Why a webhook delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("unknown mailbox")]
    UnknownMailbox,
    #[error("missing or malformed signature headers")]
    MissingSignature,
    #[error("the signature does not match the body")]
    InvalidSignature,
    #[error("the timestamp is more than five minutes away from the server clock")]
    StaleTimestamp,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl WebhookError {
    pub fn code(&self) -> ErrorCode {
        match self {
            WebhookError::UnknownMailbox | WebhookError::MissingSignature => {
                ErrorCode::Unauthorized
            }
            WebhookError::InvalidSignature => ErrorCode::InvalidSignature,
            WebhookError::StaleTimestamp => ErrorCode::StaleTimestamp,
            WebhookError::Service(e) => e.code(),
        }
    }
}

impl From<crate::store::StoreError> for WebhookError {
    fn from(e: crate::store::StoreError) -> Self {
        WebhookError::Service(e.into())
    }
}

/// `sha256=<hex>` of HMAC-SHA256(secret, `timestamp.body`): what a sender puts in the
/// `X-Sequencer-Signature` header.
pub fn webhook_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = mac(secret, timestamp);
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn mac(secret: &str, timestamp: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac
}

impl App {
    /// Checks a webhook delivery for `mailbox` (timestamp in unix seconds) and returns the mailbox.
    pub async fn verify_webhook(
        &self,
        mailbox: i64,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> std::result::Result<Mailbox, WebhookError> {
        let mb = self
            .store
            .mailbox(mailbox)
            .await?
            .ok_or(WebhookError::UnknownMailbox)?;
        let hex_sig = signature
            .trim()
            .strip_prefix("sha256=")
            .ok_or(WebhookError::MissingSignature)?;
        let given = hex::decode(hex_sig).map_err(|_| WebhookError::InvalidSignature)?;
        let mut m = mac(&mb.webhook_secret, timestamp.trim());
        m.update(body);
        m.verify_slice(&given)
            .map_err(|_| WebhookError::InvalidSignature)?;
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::MissingSignature)?;
        if (self.now() - ts.saturating_mul(1000)).abs() > WEBHOOK_TOLERANCE_MS {
            return Err(WebhookError::StaleTimestamp);
        }
        Ok(mb)
    }

    /// Connects a mailbox to the caller's account (admin only); the answer carries the webhook
    /// secret, shown this once.
    pub async fn create_mailbox(
        &self,
        caller: &Caller,
        req: &MailboxRequest,
    ) -> Result<MailboxView> {
        caller.require_admin()?;
        let address = EmailAddress::parse(&req.address)?;
        let user = match req.user_id {
            Some(id) => Some(
                self.store
                    .user(caller.account.id, UserId(id))
                    .await?
                    .ok_or(ServiceError::NotFound("user"))?
                    .id,
            ),
            None => None,
        };
        let imap = match &req.imap {
            Some(i) => {
                if i.host.trim().is_empty() || i.username.trim().is_empty() {
                    return Err(ServiceError::Validation(
                        "IMAP needs a host and a username".into(),
                    ));
                }
                if i.password.is_none() && i.oauth_token.is_none() {
                    return Err(ServiceError::Validation(
                        "IMAP needs a password or an OAuth2 token".into(),
                    ));
                }
                Some(ImapSettings {
                    host: i.host.trim().to_string(),
                    port: i.port.unwrap_or(if i.tls { 993 } else { 143 }),
                    tls: i.tls,
                    username: i.username.clone(),
                    password: i.password.clone(),
                    oauth_token: i.oauth_token.clone(),
                    folders: i
                        .folders
                        .iter()
                        .map(|f| f.trim().to_string())
                        .filter(|f| !f.is_empty())
                        .collect(),
                })
            }
            None => None,
        };
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let mb = self
            .store
            .create_mailbox(
                caller.account.id,
                user,
                &address,
                &secret,
                imap.as_ref(),
                self.now(),
            )
            .await?;
        let mut view = mailbox_view(&mb);
        view.webhook_secret = Some(secret);
        Ok(view)
    }

    pub async fn mailboxes(&self, caller: &Caller) -> Result<MailboxListResponse> {
        caller.require_admin()?;
        Ok(MailboxListResponse {
            mailboxes: self
                .store
                .mailboxes(caller.account.id)
                .await?
                .iter()
                .map(mailbox_view)
                .collect(),
        })
    }
}

pub fn mailbox_view(m: &Mailbox) -> MailboxView {
    MailboxView {
        id: m.id,
        address: m.address.to_string(),
        user_id: m.user_id.map(|u| u.0),
        webhook_secret: None,
        imap: m.imap.as_ref().map(|i| ImapSettingsView {
            host: i.host.clone(),
            port: i.port,
            tls: i.tls,
            username: i.username.clone(),
            folders: i.folders.clone(),
            auth: if i.oauth_token.is_some() {
                "xoauth2"
            } else {
                "password"
            }
            .into(),
        }),
    }
}
