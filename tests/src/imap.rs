//! A real IMAP server for tests: Debian's Dovecot, configured in a temporary directory, listening
//! on a free loopback port, one user with a password, Maildir storage. Killed on drop.
//!
//! [`Options`] turn on more of what production servers do: XOAUTH2/OAUTHBEARER with bearer
//! tokens that Dovecot's `oauth2` passdb validates at a token-info URL (see `crate::oauth`), and
//! implicit TLS only (`ssl = required`, no plain listener) with a certificate from a private CA
//! (see `crate::tls`).
//! The mailbox is the same either way: Maildir and home are keyed by the local part (`%n`), so
//! `rep` (password) and `rep@seller.example` (token) are one user.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::tls::TestCa;

pub const IMAP_USER: &str = "rep";
pub const IMAP_PASSWORD: &str = "imap-test-password";
/// The user as OAuth providers name it (and as XOAUTH2 logs in): the email address.
pub const IMAP_OAUTH_USER: &str = "rep@seller.example";

/// What the server offers beyond LOGIN with a password over plain IMAP.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also accept XOAUTH2 and OAUTHBEARER, validating bearer tokens at this token-info URL
    /// (the token is appended), e.g. [`crate::oauth::TokenInfo::url`].
    pub tokeninfo_url: Option<String>,
    /// Implicit TLS (IMAPS) on the port instead of plain IMAP, with this CA's server certificate.
    pub tls: Option<TestCa>,
}

pub struct Dovecot {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn config(dir: &Path, port: u16, greeting: &str, options: &Options) -> String {
    let d = dir.display();
    let (mechanisms, oauth2) = match &options.tokeninfo_url {
        None => ("plain login", String::new()),
        Some(_) => (
            "plain login xoauth2 oauthbearer",
            format!(
                "passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {d}/dovecot-oauth2.conf.ext
}}
"
            ),
        ),
    };
    let (ssl, imap_port, imaps_port) = match &options.tls {
        None => ("ssl = no".to_string(), port, 0),
        Some(ca) => (
            format!(
                "ssl = required\nssl_cert = <{}\nssl_key = <{}",
                ca.server_cert.display(),
                ca.server_key.display()
            ),
            0,
            port,
        ),
    };
    format!(
        "protocols = imap
listen = 127.0.0.1
login_greeting = {greeting}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
mail_location = maildir:{d}/mail/%n
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {d}/users
}}
{oauth2}userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/home/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
protocol imap {{
  imap_idle_notify_interval = 1 secs
}}
"
    )
}

impl Dovecot {
    /// Starts a password-only, plain-IMAP Dovecot under `parent` and waits until it accepts
    /// connections.
    pub async fn start(parent: &Path) -> Result<Dovecot> {
        Dovecot::start_with(parent, &Options::default()).await
    }

    /// Like [`Dovecot::start`], offering what `options` asks for.
    pub async fn start_with(parent: &Path, options: &Options) -> Result<Dovecot> {
        let dir = parent.join("dovecot");
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        for p in [parent, dir.as_path(), &dir.join("run")] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))?;
        }
        chown_dovecot(&dir.join("mail"))?;
        chown_dovecot(&dir.join("home"))?;
        std::fs::write(
            dir.join("users"),
            format!("{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}::::::\n"),
        )?;
        if let Some(url) = &options.tokeninfo_url {
            // A live token's `active` must be `true` and its `email` the user XOAUTH2 names.
            std::fs::write(
                dir.join("dovecot-oauth2.conf.ext"),
                format!(
                    "tokeninfo_url = {url}
username_attribute = email
active_attribute = active
active_value = true
timeout_msecs = 5000
"
                ),
            )?;
        }
        // The port is chosen here and handed to Dovecot, so another process may take it in
        // between: the greeting names this server, and a lost race is retried on a new port.
        for _attempt in 0..5 {
            let port = free_port()?;
            let greeting = format!("sequencer-test-dovecot-{}-{port}", std::process::id());
            let conf = dir.join("dovecot.conf");
            std::fs::write(&conf, config(&dir, port, &greeting, options))?;
            let _ = std::fs::remove_file(dir.join("dovecot.log"));
            let child = Command::new("/usr/sbin/dovecot")
                .arg("-F")
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .context("starting /usr/sbin/dovecot (apt install dovecot-imapd)")?;
            let mut server = Dovecot {
                port,
                dir: dir.clone(),
                child,
            };
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if greets_with(port, &greeting, options.tls.as_ref()).await {
                    return Ok(server);
                }
                if let Some(status) = server.child.try_wait()? {
                    let log =
                        std::fs::read_to_string(server.dir.join("dovecot.log")).unwrap_or_default();
                    if log.contains("in use") {
                        break; // lost the port race: try another port
                    }
                    anyhow::bail!("dovecot exited with {status}: {log}");
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "dovecot did not start on port {port}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        anyhow::bail!("dovecot lost the race for a free port five times")
    }

    /// What Dovecot logged so far (logins name the user and the SASL mechanism).
    pub fn log(&self) -> Result<String> {
        Ok(std::fs::read_to_string(self.dir.join("dovecot.log"))?)
    }

    /// Delivers a message straight into the user's Maildir folder (`INBOX` or a subfolder).
    pub fn deliver(&self, folder: &str, name: &str, raw: &[u8]) -> Result<()> {
        let base = self.dir.join("mail").join(IMAP_USER);
        let dir = if folder.eq_ignore_ascii_case("INBOX") {
            base.clone()
        } else {
            base.join(format!(".{folder}"))
        };
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        let tmp = dir.join("tmp").join(name);
        std::fs::write(&tmp, raw)?;
        chown_dovecot(&base)?;
        std::fs::rename(&tmp, dir.join("new").join(name))?;
        Ok(())
    }
}

/// Something on `port` answers with an IMAP greeting that contains `greeting`, over TLS with a
/// certificate from `tls` when given.
async fn greets_with(port: u16, greeting: &str, tls: Option<&TestCa>) -> bool {
    use tokio::io::{AsyncRead, AsyncReadExt};
    async fn first_read(mut conn: impl AsyncRead + Unpin) -> Option<String> {
        let mut buf = vec![0u8; 512];
        let n = conn.read(&mut buf).await.ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }
    let answer = async {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        match tls {
            None => first_read(tcp).await,
            Some(ca) => first_read(tls_connect(tcp, ca).await.ok()?).await,
        }
    };
    match tokio::time::timeout(Duration::from_secs(2), answer).await {
        Ok(Some(text)) => text.contains(greeting),
        _ => false,
    }
}

/// A TLS client session to 127.0.0.1 trusting only `ca`.
async fn tls_connect(
    tcp: tokio::net::TcpStream,
    ca: &TestCa,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&ca.ca_cert)?;
    roots.add(CertificateDer::from_pem_slice(&pem).map_err(|e| anyhow::anyhow!("{e}"))?)?;
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1")?;
    Ok(
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await?,
    )
}

/// Mail processes run as the `dovecot` user (Dovecot refuses uid 0 for mail access).
fn chown_dovecot(path: &Path) -> Result<()> {
    let status = Command::new("chown")
        .arg("-R")
        .arg("dovecot:dovecot")
        .arg(path)
        .status()?;
    anyhow::ensure!(status.success(), "chown {} failed", path.display());
    Ok(())
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
