//! A real SMTP server process for tests: Python's `aiosmtpd` with its Maildir handler, on a free
//! loopback port. Messages are read back from the Maildir.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// aiosmtpd's SMTP server with its Maildir handler on a socket bound to port 0 (the port is
/// printed first, then the server runs until killed).
const SINK_SCRIPT: &str = r#"
import asyncio, socket, sys
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
sock.listen(128)
handler = Mailbox(sys.argv[1])
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(loop.create_server(lambda: SMTP(handler), sock=sock))
print(sock.getsockname()[1], flush=True)
loop.run_forever()
"#;

pub struct SmtpSink {
    port: u16,
    maildir: PathBuf,
    child: tokio::process::Child,
}

/// One received message, parsed enough for assertions.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: String,
}

impl Received {
    /// The first header with this name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or("");
        let head = head.split("\n\n").next().unwrap_or("");
        let mut out: Option<String> = None;
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(v) = out.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if out.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    out = Some(v.trim().to_string());
                }
            }
        }
        out
    }
}

impl SmtpSink {
    pub async fn start(maildir: PathBuf) -> Result<SmtpSink> {
        use tokio::io::AsyncBufReadExt;
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        // The server binds port 0 itself and prints the port: choosing a free port here and
        // handing it over would race with every other test doing the same.
        let mut child = tokio::process::Command::new(python)
            .args(["-c", SINK_SCRIPT])
            .arg(&maildir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting aiosmtpd (pip install aiosmtpd; `cargo xtask test` installs it)")?;
        let stdout = child.stdout.take().context("aiosmtpd stdout")?;
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            tokio::io::BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .context("aiosmtpd did not report its port within 30 s")??;
        let port: u16 = line
            .trim()
            .parse()
            .with_context(|| format!("aiosmtpd printed {line:?}, not a port"))?;
        let sink = SmtpSink {
            port,
            maildir,
            child,
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(sink);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!("aiosmtpd did not start listening on port {port}")
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                for e in entries.flatten() {
                    if let Ok(raw) = std::fs::read_to_string(e.path()) {
                        out.push(Received { raw });
                    }
                }
            }
        }
        out
    }

    /// Messages to one address.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.messages()
            .into_iter()
            .filter(|m| {
                m.header("To")
                    .is_some_and(|t| t.to_lowercase().contains(&address.to_lowercase()))
            })
            .collect()
    }

    /// Waits (polling, up to 10 s) until `address` has received `n` messages.
    pub async fn wait_for(&self, address: &str, n: usize) -> Result<Vec<Received>> {
        for _ in 0..400 {
            let got = self.to(address);
            if got.len() >= n {
                return Ok(got);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!(
            "{address} received {} messages, expected {n}",
            self.to(address).len()
        )
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}
