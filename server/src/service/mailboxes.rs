//! Connected mailboxes: connecting, changing and disconnecting one (admin), listing them, and
//! authenticating webhook deliveries (HMAC-SHA256 over `timestamp + "." + body` with the
//! mailbox's secret, timestamps at most five minutes from the app clock).
//!
//! IMAP passwords, OAuth2 tokens and webhook secrets are sealed (`crate::crypto`) before they
//! reach the store and opened only to log in or to verify a delivery; no answer carries them
//! (the webhook secret is shown once, in the answer that creates the mailbox). An IMAP target is
//! checked against the outbound policy (`crate::net`) when it is saved, and again at every
//! connect (`mail::imap`). Every change is announced on
//! [`MailboxChanges`], which this process's IMAP watchers (`mail::imap::spawn_watchers`) follow.

use std::sync::atomic::{AtomicBool, Ordering};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::{
    ErrorCode, ImapSettingsRequest, ImapSettingsView, MailboxListResponse, MailboxRequest,
    MailboxView,
};
use tokio::sync::watch;

use super::*;
use crate::crypto::{is_sealed, SealError};
use crate::store::{ImapSettings, Mailbox};

/// Announces that the mailboxes table changed (a mailbox connected, changed or disconnected
/// through this process), so the IMAP watchers reconcile at once instead of at their next
/// periodic pass. Clones share one channel.
#[derive(Clone)]
pub struct MailboxChanges {
    tx: Arc<watch::Sender<u64>>,
    supervised: Arc<AtomicBool>,
}

impl Default for MailboxChanges {
    fn default() -> Self {
        MailboxChanges {
            tx: Arc::new(watch::Sender::new(0)),
            supervised: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl MailboxChanges {
    /// Tells every subscriber that the table changed (works with no subscriber).
    pub fn notify(&self) {
        self.tx
            .send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Claims the one watcher supervisor of this app; `false` when one is already running.
    pub fn claim_supervisor(&self) -> bool {
        !self.supervised.swap(true, Ordering::SeqCst)
    }

    /// Releases the claim (the supervisor stopped).
    pub fn release_supervisor(&self) {
        self.supervised.store(false, Ordering::SeqCst);
    }
}

/// The associated data a mailbox credential is sealed with: its column and owning account.
fn credential_context(column: &str, account: AccountId) -> String {
    format!("{column}:account:{}", account.0)
}

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
        let secret = self.webhook_secret(&mb).map_err(|e| {
            tracing::error!(mailbox = mb.id, error = %e, "the webhook secret cannot be opened");
            WebhookError::InvalidSignature
        })?;
        let mut m = mac(&secret, timestamp.trim());
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
        caller.allow(super::permissions::Action::ManageMailboxes, None)?;
        let address = EmailAddress::parse(&req.address)?;
        let user = self.mailbox_user(caller, req.user_id).await?;
        let imap = match &req.imap {
            Some(i) => {
                let mut settings = imap_settings(i)?;
                self.check_imap_target(&settings).await?;
                if settings.password.is_none() && settings.oauth_token.is_none() {
                    return Err(ServiceError::Validation(
                        "IMAP needs a password or an OAuth2 token".into(),
                    ));
                }
                self.seal_credentials(caller.account.id, &mut settings);
                Some(settings)
            }
            None => None,
        };
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let sealed_secret = self.settings.credentials.seal(
            &secret,
            &credential_context("webhook_secret", caller.account.id),
        );
        let mb = self
            .store
            .create_mailbox(
                caller.account.id,
                user,
                &address,
                &sealed_secret,
                imap.as_ref(),
                self.now(),
            )
            .await?;
        self.mailbox_changes.notify();
        let mut view = mailbox_view(&mb);
        view.webhook_secret = Some(secret);
        Ok(view)
    }

    /// Changes a mailbox (admin only): address, user and IMAP settings; the webhook secret stays.
    /// Without a new password or token the stored credentials are kept, but only while host,
    /// port, TLS and username are unchanged (stored credentials are never sent to a new server).
    /// A new server or username starts the folders' sync state afresh; `imap: null` stops IMAP.
    pub async fn update_mailbox(
        &self,
        caller: &Caller,
        id: i64,
        req: &MailboxRequest,
    ) -> Result<MailboxView> {
        caller.allow(super::permissions::Action::ManageMailboxes, None)?;
        let current = self
            .store
            .mailbox(id)
            .await?
            .filter(|m| m.account_id == caller.account.id)
            .ok_or(ServiceError::NotFound("mailbox"))?;
        let address = EmailAddress::parse(&req.address)?;
        let user = self.mailbox_user(caller, req.user_id).await?;
        let imap = match &req.imap {
            Some(i) => {
                let mut settings = imap_settings(i)?;
                self.check_imap_target(&settings).await?;
                let same_server = current.imap.as_ref().is_some_and(|c| {
                    (&c.host, c.port, c.tls, &c.username)
                        == (
                            &settings.host,
                            settings.port,
                            settings.tls,
                            &settings.username,
                        )
                });
                if settings.password.is_some() || settings.oauth_token.is_some() {
                    self.seal_credentials(caller.account.id, &mut settings);
                } else if let (true, Some(c)) = (same_server, &current.imap) {
                    settings.password.clone_from(&c.password);
                    settings.oauth_token.clone_from(&c.oauth_token);
                } else {
                    return Err(ServiceError::Validation(
                        "a new IMAP server or username needs its password or OAuth2 token".into(),
                    ));
                }
                Some(settings)
            }
            None => None,
        };
        let reset_folders = match (&current.imap, &imap) {
            (Some(c), Some(n)) => (&c.host, c.port, &c.username) != (&n.host, n.port, &n.username),
            _ => true,
        };
        let mb = self
            .store
            .update_mailbox(
                caller.account.id,
                id,
                user,
                &address,
                imap.as_ref(),
                reset_folders,
            )
            .await?
            .ok_or(ServiceError::NotFound("mailbox"))?;
        self.mailbox_changes.notify();
        Ok(mailbox_view(&mb))
    }

    /// Disconnects a mailbox (admin only): its watcher stops, its webhook secret no longer
    /// verifies; inbound messages already processed stay as evidence.
    pub async fn delete_mailbox(&self, caller: &Caller, id: i64) -> Result<()> {
        caller.allow(super::permissions::Action::ManageMailboxes, None)?;
        if !self.store.delete_mailbox(caller.account.id, id).await? {
            return Err(ServiceError::NotFound("mailbox"));
        }
        self.mailbox_changes.notify();
        Ok(())
    }

    async fn mailbox_user(&self, caller: &Caller, id: Option<i64>) -> Result<Option<UserId>> {
        match id {
            Some(id) => Ok(Some(
                self.store
                    .user(caller.account.id, UserId(id))
                    .await?
                    .ok_or(ServiceError::NotFound("user"))?
                    .id,
            )),
            None => Ok(None),
        }
    }

    fn seal_credentials(&self, account: AccountId, s: &mut ImapSettings) {
        let key = &self.settings.credentials;
        if let Some(p) = &s.password {
            s.password = Some(key.seal(p, &credential_context("imap_password", account)));
        }
        if let Some(t) = &s.oauth_token {
            s.oauth_token = Some(key.seal(t, &credential_context("imap_oauth_token", account)));
        }
    }

    /// Checks an IMAP target against the outbound policy (resolving its host): a refused target
    /// is `forbidden_target`, a host that does not resolve a validation error. Nothing is sent.
    async fn check_imap_target(&self, s: &ImapSettings) -> Result<()> {
        use crate::net::NetError;
        match crate::net::check_imap(self.settings.network, &s.host, s.port, s.tls).await {
            Ok(_) => Ok(()),
            Err(e @ NetError::Forbidden { .. }) => {
                Err(ServiceError::ForbiddenTarget(e.to_string()))
            }
            Err(e) => Err(ServiceError::Validation(e.to_string())),
        }
    }

    /// A mailbox's webhook secret, opened (a legacy plaintext one is used as it is).
    pub fn webhook_secret(&self, mb: &Mailbox) -> std::result::Result<String, SealError> {
        self.settings.credentials.open(
            &mb.webhook_secret,
            &credential_context("webhook_secret", mb.account_id),
        )
    }

    /// The same app with this outbound-connection policy, for IMAP and the identity providers'
    /// JWKS fetches alike (builder-style, like `with_identity`).
    pub fn with_network(mut self, network: crate::net::NetworkPolicy) -> App {
        let mut settings = (*self.settings).clone();
        settings.network = network;
        let mut identity = settings.identity.config.clone();
        identity.network = network;
        settings.identity = crate::identity::Verifier::new(identity);
        self.settings = Arc::new(settings);
        self
    }

    /// The same app trusting these CAs for IMAP over TLS (builder-style, like `with_identity`).
    pub fn with_imap_trust(mut self, trust: crate::mail::imap_trust::ImapTrust) -> App {
        let mut settings = (*self.settings).clone();
        settings.imap_trust = trust;
        self.settings = Arc::new(settings);
        self
    }

    /// A mailbox's IMAP settings with the credentials opened, to log in with. Legacy plaintext
    /// values are used as they are.
    pub fn imap_login_settings(
        &self,
        mailbox: &Mailbox,
    ) -> std::result::Result<Option<ImapSettings>, SealError> {
        let Some(s) = &mailbox.imap else {
            return Ok(None);
        };
        let key = &self.settings.credentials;
        let open = |v: &Option<String>, column: &str| {
            v.as_deref()
                .map(|v| key.open(v, &credential_context(column, mailbox.account_id)))
                .transpose()
        };
        Ok(Some(ImapSettings {
            password: open(&s.password, "imap_password")?,
            oauth_token: open(&s.oauth_token, "imap_oauth_token")?,
            ..s.clone()
        }))
    }

    /// Seals every credential still stored in plaintext (rows from before sealing: IMAP
    /// passwords and tokens, webhook secrets); returns how many it sealed. Idempotent and safe
    /// with several instances: a value is replaced only if it is still the plaintext that was read.
    pub async fn seal_stored_credentials(&self) -> Result<usize> {
        let key = &self.settings.credentials;
        let mut sealed = 0;
        for mb in self.store.all_mailboxes().await? {
            let s = &mb.webhook_secret;
            if !is_sealed(s) {
                let new = key.seal(s, &credential_context("webhook_secret", mb.account_id));
                sealed += usize::from(self.store.replace_webhook_secret(mb.id, s, &new).await?);
            }
        }
        for mb in self.store.imap_mailboxes().await? {
            let Some(s) = &mb.imap else { continue };
            if let Some(p) = s.password.as_deref().filter(|p| !is_sealed(p)) {
                let new = key.seal(p, &credential_context("imap_password", mb.account_id));
                sealed += usize::from(self.store.replace_imap_password(mb.id, p, &new).await?);
            }
            if let Some(t) = s.oauth_token.as_deref().filter(|t| !is_sealed(t)) {
                let new = key.seal(t, &credential_context("imap_oauth_token", mb.account_id));
                sealed += usize::from(self.store.replace_imap_oauth_token(mb.id, t, &new).await?);
            }
        }
        if sealed > 0 {
            self.mailbox_changes.notify();
        }
        Ok(sealed)
    }

    pub async fn mailboxes(&self, caller: &Caller) -> Result<MailboxListResponse> {
        caller.allow(super::permissions::Action::ManageMailboxes, None)?;
        let errors = self.store.mailbox_errors(caller.account.id).await?;
        Ok(MailboxListResponse {
            mailboxes: self
                .store
                .mailboxes(caller.account.id)
                .await?
                .iter()
                .map(|m| {
                    let mut view = mailbox_view(m);
                    if let Some((error, at)) = errors.get(&m.id) {
                        view.last_error = Some(error.clone());
                        view.last_error_at = Some(crate::clock::rfc3339(*at));
                    }
                    view
                })
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
        last_error: None,
        last_error_at: None,
    }
}

/// Validated IMAP settings from a request, credentials still in plaintext.
fn imap_settings(i: &ImapSettingsRequest) -> Result<ImapSettings> {
    if i.host.trim().is_empty() || i.username.trim().is_empty() {
        return Err(ServiceError::Validation(
            "IMAP needs a host and a username".into(),
        ));
    }
    Ok(ImapSettings {
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
