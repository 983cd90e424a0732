//! A misbehaving SMTP relay for the send path's resilience tests: a small SMTP server on a
//! loopback port whose behaviour is chosen per recipient (accept, refuse with a given reply,
//! never answer after the message, drop the connection after the message) or for every
//! connection (accept TCP and never greet). Every message payload it reads is kept, answered or
//! not, so a test can count attempts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the relay does with a message to a matching recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    /// `250` after the message.
    Accept,
    /// Answer `RCPT TO` with this reply (e.g. `550 5.1.1 ...`, `451 4.3.0 ...`).
    RefuseRcpt(String),
    /// Read the message, then answer with this reply instead of `250`.
    RefuseData(String),
    /// Read the message and never answer (the connection stays open).
    SilentAfterData,
    /// Read the message and close the connection without answering.
    DropAfterData,
}

#[derive(Debug, Clone)]
pub struct Payload {
    pub recipients: Vec<String>,
    pub raw: String,
    /// The relay answered 250.
    pub accepted: bool,
}

#[derive(Default)]
struct State {
    /// First matching rule wins: (recipient substring, behaviour). No match: accept.
    rules: Vec<(String, Behavior)>,
    /// Accept TCP connections and never say anything.
    mute: bool,
    payloads: Vec<Payload>,
    /// `RCPT TO` commands seen, per recipient (attempts, answered or not).
    rcpts: Vec<String>,
}

pub struct Relay {
    port: u16,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Relay {
    pub async fn start() -> Result<Relay> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = session(sock, state).await;
                });
            }
        });
        Ok(Relay { port, state, task })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    /// Recipients containing `pattern` get `behavior` (replacing an earlier rule for it).
    pub fn rule(&self, pattern: &str, behavior: Behavior) {
        self.with(|s| {
            s.rules.retain(|(p, _)| p != pattern);
            s.rules.push((pattern.to_lowercase(), behavior));
        });
    }

    /// Accept TCP and never greet, and stop answering open connections (`true`), or behave
    /// normally again for new connections.
    pub fn mute(&self, on: bool) {
        self.with(|s| s.mute = on);
    }

    /// Every payload read for `address` (accepted or not): one per attempt that got that far.
    pub fn payloads_to(&self, address: &str) -> Vec<Payload> {
        let a = address.to_lowercase();
        self.with(|s| {
            s.payloads
                .iter()
                .filter(|p| p.recipients.iter().any(|r| r.contains(&a)))
                .cloned()
                .collect()
        })
    }

    /// Messages to `address` the relay answered 250.
    pub fn accepted_to(&self, address: &str) -> usize {
        self.payloads_to(address)
            .iter()
            .filter(|p| p.accepted)
            .count()
    }

    /// `RCPT TO` commands for `address` (every attempt that got past MAIL FROM).
    pub fn rcpt_attempts(&self, address: &str) -> usize {
        let a = address.to_lowercase();
        self.with(|s| s.rcpts.iter().filter(|r| r.contains(&a)).count())
    }

    /// Waits (polling, up to 10 s) until `address` has `n` payloads.
    pub async fn wait_for_payloads(&self, address: &str, n: usize) -> Result<()> {
        for _ in 0..400 {
            if self.payloads_to(address).len() >= n {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!(
            "{address}: {} payloads, expected {n}",
            self.payloads_to(address).len()
        )
    }
}

async fn session(sock: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let lock = |s: &Arc<Mutex<State>>| {
        s.lock()
            .map(|g| (g.mute, g.rules.clone()))
            .unwrap_or_default()
    };
    let (mute, _) = lock(&state);
    let (read, mut write) = sock.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    if mute {
        // Hold the connection open, read and discard, never answer.
        while reader.read_line(&mut line).await? > 0 {
            line.clear();
        }
        return Ok(());
    }
    write.write_all(b"220 relay.test ESMTP\r\n").await?;
    let mut rcpts: Vec<String> = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if lock(&state).0 {
            // Muted while this connection was open: stop answering it too.
            while reader.read_line(&mut line).await? > 0 {
                line.clear();
            }
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(b"250-relay.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM") {
            rcpts.clear();
            write.write_all(b"250 2.1.0 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO") {
            let to = cmd
                .split_once(':')
                .map(|(_, a)| a.trim().trim_start_matches('<'))
                .and_then(|a| a.split('>').next())
                .unwrap_or("")
                .to_lowercase();
            let rules = lock(&state).1;
            if let Ok(mut s) = state.lock() {
                s.rcpts.push(to.clone());
            }
            match behavior_for(&rules, &to) {
                Behavior::RefuseRcpt(reply) => {
                    write.write_all(format!("{reply}\r\n").as_bytes()).await?;
                }
                _ => {
                    rcpts.push(to);
                    write.write_all(b"250 2.1.5 OK\r\n").await?;
                }
            }
        } else if upper == "DATA" {
            if rcpts.is_empty() {
                write.write_all(b"503 5.5.1 no recipients\r\n").await?;
                continue;
            }
            write.write_all(b"354 go ahead\r\n").await?;
            let mut raw = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                raw.push_str(&line);
            }
            let rules = lock(&state).1;
            let behavior = rcpts
                .iter()
                .map(|r| behavior_for(&rules, r))
                .find(|b| *b != Behavior::Accept)
                .unwrap_or(Behavior::Accept);
            let accepted = behavior == Behavior::Accept;
            if let Ok(mut s) = state.lock() {
                s.payloads.push(Payload {
                    recipients: rcpts.clone(),
                    raw,
                    accepted,
                });
            }
            match behavior {
                Behavior::Accept | Behavior::RefuseRcpt(_) => {
                    write.write_all(b"250 2.0.0 queued\r\n").await?;
                }
                Behavior::RefuseData(reply) => {
                    write.write_all(format!("{reply}\r\n").as_bytes()).await?;
                }
                Behavior::SilentAfterData => {
                    while reader.read_line(&mut line).await? > 0 {
                        line.clear();
                    }
                    return Ok(());
                }
                Behavior::DropAfterData => return Ok(()),
            }
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 5.5.2 unknown command\r\n").await?;
        }
    }
}

fn behavior_for(rules: &[(String, Behavior)], to: &str) -> Behavior {
    rules
        .iter()
        .find(|(p, _)| to.contains(p.as_str()))
        .map(|(_, b)| b.clone())
        .unwrap_or(Behavior::Accept)
}
