//! A real IMAP server for tests: Debian's Dovecot, configured in a temporary directory, listening
//! on a free loopback port, one user with a password, Maildir storage. Killed on drop.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

pub const IMAP_USER: &str = "rep";
pub const IMAP_PASSWORD: &str = "imap-test-password";

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

fn config(dir: &Path, port: u16, greeting: &str) -> String {
    let d = dir.display();
    format!(
        "protocols = imap
listen = 127.0.0.1
login_greeting = {greeting}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
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
    /// Starts Dovecot under `parent` and waits until it accepts connections.
    pub async fn start(parent: &Path) -> Result<Dovecot> {
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
        // The port is chosen here and handed to Dovecot, so another process may take it in
        // between: the greeting names this server, and a lost race is retried on a new port.
        for _attempt in 0..5 {
            let port = free_port()?;
            let greeting = format!("sequencer-test-dovecot-{}-{port}", std::process::id());
            let conf = dir.join("dovecot.conf");
            std::fs::write(&conf, config(&dir, port, &greeting))?;
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
                if greets_with(port, &greeting).await {
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

/// Something on `port` answers with an IMAP greeting that contains `greeting`.
async fn greets_with(port: u16, greeting: &str) -> bool {
    use tokio::io::AsyncReadExt;
    let Ok(mut conn) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let mut buf = vec![0u8; 512];
    match tokio::time::timeout(Duration::from_secs(2), conn.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).contains(greeting),
        _ => false,
    }
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
