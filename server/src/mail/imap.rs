//! The IMAP inbound adapter: fetch new messages of a connected mailbox's folders and hand each
//! to `App::handle_inbound`. Remembers UIDVALIDITY and the last UID per folder; the first sync of
//! a folder only records where "new" starts (history is not replayed). `watch_mailbox` keeps a
//! session open per chosen folder (IDLE watches only the selected folder) and waits with IDLE
//! where the server supports it, polling otherwise.
//!
//! Authentication: LOGIN with a password, or SASL XOAUTH2 with an OAuth2 access token; both are
//! stored sealed and opened only here, to log in (`App::imap_login_settings`). Implicit TLS
//! checks the server's certificate against `Settings::imap_trust` (webpki's roots plus the
//! deployment's CA file, `mail::imap_trust`).
//!
//! Every connect goes through the outbound policy (`crate::net::check_imap`): the host is
//! resolved again each time, every address checked, and the TCP connection made to a checked
//! address with a timeout; a refused target is an error before anything is sent. The last error
//! of a mailbox's sessions is stored on it (`mailboxes.last_error`), so admins see it.
//!
//! [`spawn_watchers`] keeps one watcher task per IMAP mailbox in this process and follows the
//! mailboxes table live: it reconciles at once when this process changes a mailbox
//! (`App::mailbox_changes`) and every `reconcile` interval otherwise (changes made by other
//! instances sharing PostgreSQL), starting, restarting (settings changed) and stopping watchers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;

use super::imap_trust::ImapTrust;
use crate::service::App;
use crate::store::{ImapSettings, Mailbox};

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("the mailbox has no IMAP settings")]
    NotConfigured,
    #[error("the stored IMAP credentials cannot be opened: {0}")]
    Credentials(#[from] crate::crypto::SealError),
    #[error("IMAP watchers already run for this app")]
    AlreadyWatching,
    #[error("could not connect to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    #[error("the IMAP server did not answer within {0} s")]
    Timeout(u64),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("IMAP error: {0}")]
    Protocol(#[from] async_imap::error::Error),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub fetched: u32,
    pub duplicates: u32,
}

/// SASL XOAUTH2: the first response carries the user and the bearer token. A refused token
/// draws a second challenge, a JSON error (`{"status":"401",...}`), which the client must
/// answer with an empty response before the server says NO; it is kept for the error message.
struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
    sent: bool,
    refusal: Option<String>,
}

impl async_imap::Authenticator for &mut XOAuth2<'_> {
    type Response = String;
    fn process(&mut self, challenge: &[u8]) -> String {
        if self.sent {
            self.refusal = Some(String::from_utf8_lossy(challenge).into_owned());
            return String::new();
        }
        self.sent = true;
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

type Sess = Session<Box<dyn Stream>>;

/// Connecting, the TLS handshake, the greeting and logging in together may take this long.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);
/// One sync of one folder (select, fetch, process) may take this long.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// Checks the target against the outbound policy (re-resolving the host), then connects to a
/// checked address and logs in, all within [`LOGIN_TIMEOUT`].
async fn connect(
    s: &ImapSettings,
    trust: &ImapTrust,
    policy: crate::net::NetworkPolicy,
) -> Result<Sess, ImapError> {
    let addrs = crate::net::check_imap(policy, &s.host, s.port, s.tls).await?;
    tokio::time::timeout(LOGIN_TIMEOUT, connect_to(s, trust, &addrs))
        .await
        .map_err(|_| ImapError::Timeout(LOGIN_TIMEOUT.as_secs()))?
}

async fn connect_to(
    s: &ImapSettings,
    trust: &ImapTrust,
    addrs: &[std::net::SocketAddr],
) -> Result<Sess, ImapError> {
    let addr = format!("{}:{}", s.host, s.port);
    let tcp: TcpStream = crate::net::connect_checked(&addr, addrs).await?;
    let stream: Box<dyn Stream> = if s.tls {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| ImapError::Tls(e.to_string()))?
        .with_root_certificates(trust.roots())
        .with_no_client_auth();
        let host = s.host.trim_start_matches('[').trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| ImapError::Tls(e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| ImapError::Tls(handshake_failure(&s.host, &e)))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let mut client = Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| ImapError::Connect(addr, e))?;
    match (&s.oauth_token, &s.password) {
        (Some(token), _) => {
            let mut sasl = XOAuth2 {
                user: &s.username,
                token,
                sent: false,
                refusal: None,
            };
            let session = client.authenticate("XOAUTH2", &mut sasl).await;
            session.map_err(|(e, _)| match sasl.refusal {
                Some(why) => {
                    ImapError::Auth(format!("the server refused the OAuth2 token: {why} ({e})"))
                }
                None => ImapError::Auth(e.to_string()),
            })
        }
        (None, Some(pw)) => client
            .login(&s.username, pw)
            .await
            .map_err(|(e, _)| ImapError::Auth(e.to_string())),
        (None, None) => Err(ImapError::Auth("no password or token".into())),
    }
}

/// What went wrong in the TLS handshake, certificate problems spelled out for the operator.
fn handshake_failure(host: &str, e: &std::io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)) => {
            format!(
                "the certificate of {host} is not signed by a trusted CA (UnknownIssuer); \
                 if the server uses a private CA, add it to the IMAP CA file \
                 (SEQUENCER_IMAP_CA_FILE)"
            )
        }
        Some(rustls::Error::InvalidCertificate(why)) => {
            format!("the certificate of {host} is not valid: {why}")
        }
        _ => e.to_string(),
    }
}

fn folders(s: &ImapSettings) -> Vec<String> {
    if s.folders.is_empty() {
        vec!["INBOX".to_string()]
    } else {
        s.folders.clone()
    }
}

impl App {
    /// Connects, syncs every watched folder once, and logs out.
    pub async fn sync_mailbox(&self, mailbox: &Mailbox) -> Result<SyncReport, ImapError> {
        let outcome = self.sync_mailbox_once(mailbox).await;
        self.note_mailbox_outcome(mailbox, outcome.as_ref().err())
            .await;
        outcome
    }

    async fn sync_mailbox_once(&self, mailbox: &Mailbox) -> Result<SyncReport, ImapError> {
        let settings = self
            .imap_login_settings(mailbox)?
            .ok_or(ImapError::NotConfigured)?;
        let mut session =
            connect(&settings, &self.settings.imap_trust, self.settings.network).await?;
        let report = tokio::time::timeout(
            SYNC_TIMEOUT,
            self.sync_folders(&mut session, mailbox, &settings),
        )
        .await
        .map_err(|_| ImapError::Timeout(SYNC_TIMEOUT.as_secs()))?;
        let _ = session.logout().await;
        report
    }

    /// Stores (or clears) the mailbox's last connection error, visible to admins in the mailbox
    /// list; a failure to store it is only logged.
    async fn note_mailbox_outcome(&self, mailbox: &Mailbox, error: Option<&ImapError>) {
        let message = error.map(ToString::to_string);
        if let Err(e) = self
            .store
            .set_mailbox_error(mailbox.id, message.as_deref(), self.now())
            .await
        {
            tracing::warn!(mailbox = mailbox.id, error = %e, "cannot record the IMAP outcome");
        }
    }

    async fn sync_folders(
        &self,
        session: &mut Sess,
        mailbox: &Mailbox,
        settings: &ImapSettings,
    ) -> Result<SyncReport, ImapError> {
        let mut report = SyncReport::default();
        for folder in folders(settings) {
            let r = self.sync_folder(session, mailbox, &folder).await?;
            report.fetched += r.fetched;
            report.duplicates += r.duplicates;
        }
        Ok(report)
    }

    async fn sync_folder(
        &self,
        session: &mut Sess,
        mailbox: &Mailbox,
        folder: &str,
    ) -> Result<SyncReport, ImapError> {
        let mut report = SyncReport::default();
        let selected = session.select(folder).await?;
        let validity = selected.uid_validity.unwrap_or(0);
        let last = match self.store.imap_folder_state(mailbox.id, folder).await? {
            None => {
                // First sight of the folder: new mail starts after what is there now.
                let start = selected.uid_next.unwrap_or(1).saturating_sub(1);
                self.store
                    .set_imap_folder_state(mailbox.id, folder, validity, start, self.now())
                    .await?;
                return Ok(report);
            }
            Some((v, last)) if v == validity => last,
            // UIDVALIDITY changed: UIDs were reassigned; re-read the folder (idempotency holds).
            Some(_) => 0,
        };
        let mut max = last;
        let fetched: Vec<_> = session
            .uid_fetch(format!("{}:*", last + 1), "(UID BODY.PEEK[])")
            .await?
            .try_collect()
            .await?;
        for f in &fetched {
            let Some(uid) = f.uid.filter(|u| *u > last) else {
                continue;
            };
            let Some(body) = f.body() else { continue };
            let out = self
                .handle_inbound(mailbox.account_id, Some(mailbox.id), body)
                .await?;
            report.fetched += 1;
            report.duplicates += u32::from(out.duplicate);
            max = max.max(uid);
        }
        self.store
            .set_imap_folder_state(mailbox.id, folder, validity, max, self.now())
            .await?;
        Ok(report)
    }

    /// Keeps one mailbox in sync until the task is dropped: one session per chosen folder
    /// (IMAP IDLE watches only the selected folder), each syncing its folder and then waiting
    /// in IDLE (at most `every`) when the server supports it, else sleeping `every`. A folder
    /// whose session fails is logged and reconnected after `every`; the others carry on.
    pub async fn watch_mailbox(&self, mailbox: Mailbox, every: Duration) {
        let folders = match self.imap_login_settings(&mailbox) {
            Ok(Some(s)) => folders(&s),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(mailbox = mailbox.id, error = %e, "IMAP credentials cannot be opened");
                return;
            }
        };
        let watchers = folders
            .iter()
            .map(|folder| self.watch_folder(&mailbox, folder, every));
        futures_util::future::join_all(watchers).await;
    }

    async fn watch_folder(&self, mailbox: &Mailbox, folder: &str, every: Duration) {
        loop {
            if let Err(e) = self.watch_session(mailbox, folder, every).await {
                tracing::warn!(mailbox = mailbox.id, folder, error = %e, "IMAP session ended; reconnecting");
                self.note_mailbox_outcome(mailbox, Some(&e)).await;
            }
            tokio::time::sleep(every).await;
        }
    }

    async fn watch_session(
        &self,
        mailbox: &Mailbox,
        folder: &str,
        every: Duration,
    ) -> Result<(), ImapError> {
        let settings = self
            .imap_login_settings(mailbox)?
            .ok_or(ImapError::NotConfigured)?;
        let mut session =
            connect(&settings, &self.settings.imap_trust, self.settings.network).await?;
        let idle = session.capabilities().await?.has_str("IDLE");
        let mut first = true;
        loop {
            // `sync_folder` leaves the folder selected, which is what IDLE watches.
            tokio::time::timeout(
                SYNC_TIMEOUT,
                self.sync_folder(&mut session, mailbox, folder),
            )
            .await
            .map_err(|_| ImapError::Timeout(SYNC_TIMEOUT.as_secs()))??;
            if std::mem::take(&mut first) {
                self.note_mailbox_outcome(mailbox, None).await;
            }
            if !idle {
                tokio::time::sleep(every).await;
                continue;
            }
            let mut handle = session.idle();
            handle.init().await?;
            let (wait, _stop) = handle.wait_with_timeout(every);
            wait.await?;
            session = handle.done().await?;
        }
    }
}

/// How often the watcher set is compared with the mailboxes table when nothing announced a
/// change (catches changes made by other instances sharing PostgreSQL).
pub const RECONCILE_EVERY: Duration = Duration::from_secs(30);

/// One running watcher; dropping it aborts the task (`stop` also waits until it is gone).
struct Running {
    /// The row it was started from: another row (any field, including re-sealed credentials)
    /// means a restart.
    mailbox: Mailbox,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// This process's IMAP watchers, following the mailboxes table. Dropping it stops them (the
/// supervisor notices at once); [`Watchers::stop`] also waits until they are gone.
pub struct Watchers {
    shutdown: tokio::sync::oneshot::Sender<()>,
    supervisor: JoinHandle<()>,
    watching: watch::Receiver<Vec<i64>>,
}

impl Watchers {
    /// Ids of the mailboxes watched now, ascending.
    pub fn watching(&self) -> Vec<i64> {
        self.watching.borrow().clone()
    }

    /// Stops every watcher and returns once they and the supervisor are gone.
    pub async fn stop(self) {
        let Watchers {
            shutdown,
            supervisor,
            ..
        } = self;
        drop(shutdown);
        let _ = supervisor.await;
    }
}

/// Releases the app's supervisor claim when the supervisor ends.
struct Claim(App);

impl Drop for Claim {
    fn drop(&mut self) {
        self.0.mailbox_changes.release_supervisor();
    }
}

/// Watches every mailbox with IMAP settings (`every`: the IDLE / poll interval) and keeps
/// following the table: a mailbox connected, changed or disconnected through this app is picked
/// up at once, changes from elsewhere within `reconcile`. One watcher per mailbox: a changed
/// one is stopped before its successor starts, and a second call for the same app while the
/// first one's [`Watchers`] lives is refused.
pub async fn spawn_watchers(
    app: &App,
    every: Duration,
    reconcile: Duration,
) -> Result<Watchers, ImapError> {
    if !app.mailbox_changes.claim_supervisor() {
        return Err(ImapError::AlreadyWatching);
    }
    let claim = Claim(app.clone());
    let mut changes = app.mailbox_changes.subscribe();
    changes.borrow_and_update();
    let mut running = HashMap::new();
    reconcile_watchers(app, every, &mut running).await?;
    let (status, watching) = watch::channel(ids(&running));
    let (shutdown, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let app = app.clone();
    let supervisor = tokio::spawn(async move {
        let _claim = claim;
        loop {
            tokio::select! {
                // Sent or dropped: either way, stop.
                _ = &mut stopped => break,
                changed = changes.changed() => {
                    if changed.is_err() {
                        // The app is gone; only the periodic pass is left.
                        tokio::time::sleep(reconcile).await;
                    }
                }
                _ = tokio::time::sleep(reconcile) => {}
            }
            // Seen before reading the table: a change announced during the pass triggers another.
            changes.borrow_and_update();
            if let Err(e) = reconcile_watchers(&app, every, &mut running).await {
                tracing::warn!(error = %e, "could not read the IMAP mailboxes; retrying");
            }
            status.send_replace(ids(&running));
        }
        for (_, r) in running.drain() {
            r.stop().await;
        }
        status.send_replace(Vec::new());
    });
    Ok(Watchers {
        shutdown,
        supervisor,
        watching,
    })
}

fn ids(running: &HashMap<i64, Running>) -> Vec<i64> {
    let mut ids: Vec<i64> = running.keys().copied().collect();
    ids.sort_unstable();
    ids
}

/// Makes the running watchers match the IMAP mailboxes in the table.
async fn reconcile_watchers(
    app: &App,
    every: Duration,
    running: &mut HashMap<i64, Running>,
) -> Result<(), ImapError> {
    let mut wanted: HashMap<i64, Mailbox> = app
        .store
        .imap_mailboxes()
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let stale: Vec<i64> = running
        .iter()
        .filter(|(id, r)| wanted.get(id) != Some(&r.mailbox) || r.task.is_finished())
        .map(|(id, _)| *id)
        .collect();
    for id in stale {
        let why = match wanted.get(&id) {
            None => "disconnected",
            Some(_) if running.get(&id).is_some_and(|r| r.task.is_finished()) => "ended",
            Some(_) => "changed",
        };
        tracing::info!(mailbox = id, why, "stopping IMAP watcher");
        if let Some(r) = running.remove(&id) {
            r.stop().await;
        }
    }
    wanted.retain(|id, _| !running.contains_key(id));
    for (id, mailbox) in wanted {
        tracing::info!(mailbox = id, "starting IMAP watcher");
        let task = {
            let (app, mb) = (app.clone(), mailbox.clone());
            tokio::spawn(async move { app.watch_mailbox(mb, every).await })
        };
        running.insert(id, Running { mailbox, task });
    }
    Ok(())
}
