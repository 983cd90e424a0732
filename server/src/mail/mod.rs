//! Outgoing mail: building RFC 5322 messages and handing them to an SMTP relay (or an outbox
//! folder for local demos). Inbound parsing lives in the `sequencer-classify` crate.
//!
//! Every network step has a deadline ([`MailTimeouts`]), and a failure says how far the exchange
//! got ([`SendFailure`]): nothing was handed over (retry later), the relay refused permanently,
//! or the message's payload was written and no final answer came (the outcome is unknown and
//! must never be retried blindly).

pub mod imap;
pub mod imap_trust;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// One email to send, fully rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub from_name: String,
    pub from_email: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Extra headers, e.g. `List-Unsubscribe`.
    pub headers: Vec<(String, String)>,
}

/// Deadlines for each network step of a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailTimeouts {
    /// TCP (and TLS) connect.
    pub connect: Duration,
    /// The greeting and EHLO, and each command (NOOP, MAIL, RCPT, DATA).
    pub command: Duration,
    /// Writing the message and reading the relay's final answer.
    pub data: Duration,
}

impl Default for MailTimeouts {
    fn default() -> Self {
        MailTimeouts {
            connect: Duration::from_secs(10),
            command: Duration::from_secs(30),
            data: Duration::from_secs(60),
        }
    }
}

impl MailTimeouts {
    /// The longest one send can take: connect, greeting + EHLO, NOOP, MAIL, RCPT, DATA, payload.
    pub fn max_send(&self) -> Duration {
        self.connect + self.command * 5 + self.data
    }
}

/// Which SMTP step a relay refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpStage {
    Connect,
    MailFrom,
    RcptTo,
    Data,
    /// The final answer to the message's payload.
    Payload,
}

impl SmtpStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpStage::Connect => "connect",
            SmtpStage::MailFrom => "MAIL FROM",
            SmtpStage::RcptTo => "RCPT TO",
            SmtpStage::Data => "DATA",
            SmtpStage::Payload => "end of DATA",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    /// Nothing was handed over (timeout or 4xx before the payload): retry later.
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    /// The relay itself cannot be used (connect, greeting, TLS, authentication): nothing was
    /// handed over, and it is no recipient's fault.
    #[error("the mail relay is unreachable: {0}")]
    Unreachable(String),
    /// The relay refused with a 5xx answer at `stage`.
    #[error("the relay refused the message at {}: {reply}", stage.as_str())]
    Refused { stage: SmtpStage, reply: String },
    /// The payload was written and no final answer came: it may or may not have been delivered.
    #[error("SMTP outcome unknown after the message was sent: {0}")]
    Unknown(String),
    #[error("outbox write failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What a failed send means for the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendFailure {
    /// Nothing was delivered: the step may be retried.
    Temporary,
    /// The relay is down or refuses us: the whole queue waits, no contact is charged.
    RelayDown,
    /// The relay refused the recipient or the message (5xx): retrying cannot help.
    Refused(SmtpStage),
    /// The message cannot be built (an address or header the mail library refuses).
    Unbuildable,
    /// The payload went out without a final answer: never retry blindly.
    Unknown,
}

impl MailError {
    pub fn failure(&self) -> SendFailure {
        match self {
            MailError::Address(_) | MailError::Build(_) => SendFailure::Unbuildable,
            MailError::Smtp(_) | MailError::Io(_) => SendFailure::Temporary,
            MailError::Unreachable(_) => SendFailure::RelayDown,
            MailError::Refused { stage, .. } => SendFailure::Refused(*stage),
            MailError::Unknown(_) => SendFailure::Unknown,
        }
    }
}

/// Where mail goes.
pub enum Mailer {
    /// Plain SMTP to a local relay or sink, over pooled `TCP_NODELAY` connections.
    Plain(PlainSmtp),
    /// SMTP over TLS (implicit or STARTTLS), through lettre's pooled transport.
    Smtp(TlsSmtp),
    Outbox(PathBuf),
}

/// lettre's pooled TLS transport, under an overall deadline.
pub struct TlsSmtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    timeouts: MailTimeouts,
}

/// Pooled plain-SMTP connections with `TCP_NODELAY`. lettre writes a message body and its
/// terminating `.` in two writes; with Nagle's algorithm on, the second waits for the server's
/// delayed ACK (~40 ms per email). Setting `TCP_NODELAY` on our own socket removes that stall.
/// The exchange is driven step by step, each under its deadline, so a failure knows whether the
/// payload was already written.
pub struct PlainSmtp {
    host: String,
    port: u16,
    timeouts: MailTimeouts,
    idle: tokio::sync::Mutex<Vec<AsyncSmtpConnection>>,
}

/// Runs one SMTP step under `limit`; a 5xx is `Refused` at `stage`, anything else (4xx, IO,
/// timeout) is a temporary failure: nothing has been handed over yet.
async fn step<T>(
    limit: Duration,
    stage: SmtpStage,
    fut: impl std::future::Future<Output = Result<T, lettre::transport::smtp::Error>>,
) -> Result<T, MailError> {
    match tokio::time::timeout(limit, fut).await {
        Err(_) => Err(MailError::Smtp(format!(
            "no answer to {} within {} ms",
            stage.as_str(),
            limit.as_millis()
        ))),
        Ok(Err(e)) if e.is_permanent() => Err(MailError::Refused {
            stage,
            reply: e.to_string(),
        }),
        Ok(Err(e)) => Err(MailError::Smtp(format!("{}: {e}", stage.as_str()))),
        Ok(Ok(v)) => Ok(v),
    }
}

impl PlainSmtp {
    /// A connection that has greeted and answered EHLO; any failure is `Unreachable`.
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        self.open().await.map_err(|e| match e {
            MailError::Unreachable(m) => MailError::Unreachable(m),
            other => MailError::Unreachable(other.to_string()),
        })
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, MailError> {
        let stream = tokio::time::timeout(
            self.timeouts.connect,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| {
            MailError::Smtp(format!(
                "connect to {}:{} timed out after {} ms",
                self.host,
                self.port,
                self.timeouts.connect.as_millis()
            ))
        })?
        .map_err(|e| MailError::Smtp(e.to_string()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        let hello = lettre::transport::smtp::extension::ClientId::default();
        step(
            self.timeouts.command,
            SmtpStage::Connect,
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello),
        )
        .await
    }

    async fn send(&self, message: &Message) -> Result<(), MailError> {
        let pooled = self.idle.lock().await.pop();
        // A pooled connection the server may have closed is checked (NOOP) before reuse.
        let mut conn = match pooled {
            Some(mut c) => {
                match tokio::time::timeout(self.timeouts.command, c.test_connected()).await {
                    Ok(true) => c,
                    _ => self.connect().await?,
                }
            }
            None => self.connect().await?,
        };
        // On any failure the connection is dropped (closed), never reused or sent QUIT: a relay
        // that stopped answering would hang that too.
        self.exchange(&mut conn, message).await?;
        let mut idle = self.idle.lock().await;
        if idle.len() < 16 {
            idle.push(conn);
        }
        Ok(())
    }

    async fn exchange(
        &self,
        conn: &mut AsyncSmtpConnection,
        message: &Message,
    ) -> Result<(), MailError> {
        let envelope = message.envelope();
        let payload = message.formatted();
        let mut options = vec![];
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(MailError::Refused {
                    stage: SmtpStage::MailFrom,
                    reply: "the relay does not support SMTPUTF8 for a non-ASCII address".into(),
                });
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !payload.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let t = self.timeouts.command;
        step(
            t,
            SmtpStage::MailFrom,
            conn.command(Mail::new(envelope.from().cloned(), options)),
        )
        .await?;
        for to in envelope.to() {
            step(
                t,
                SmtpStage::RcptTo,
                conn.command(Rcpt::new(to.clone(), vec![])),
            )
            .await?;
        }
        step(t, SmtpStage::Data, conn.command(Data)).await?;
        // From here on the relay may have the message: a missing answer is an unknown outcome.
        match tokio::time::timeout(self.timeouts.data, conn.message(&payload)).await {
            Err(_) => Err(MailError::Unknown(format!(
                "no answer within {} ms after the message was sent",
                self.timeouts.data.as_millis()
            ))),
            Ok(Err(e)) if e.is_permanent() => Err(MailError::Refused {
                stage: SmtpStage::Payload,
                reply: e.to_string(),
            }),
            // An explicit 4xx: the relay did not take it.
            Ok(Err(e)) if e.is_transient() => Err(MailError::Smtp(e.to_string())),
            Ok(Err(e)) => Err(MailError::Unknown(e.to_string())),
            Ok(Ok(_)) => Ok(()),
        }
    }
}

impl TlsSmtp {
    /// lettre's pool does not say how far a failed exchange got: a 4xx/5xx answer or a failed
    /// connect is known, any other error (IO, timeout) is treated as an unknown outcome.
    async fn send(&self, message: Message) -> Result<(), MailError> {
        match tokio::time::timeout(self.timeouts.max_send(), self.transport.send(message)).await {
            Err(_) => Err(MailError::Unknown(format!(
                "no answer within {} ms",
                self.timeouts.max_send().as_millis()
            ))),
            Ok(Ok(_)) => Ok(()),
            // Authentication refused: the relay's configuration, not the recipient.
            Ok(Err(e))
                if e.status().is_some_and(|c| {
                    matches!(c.to_string().as_str(), "530" | "534" | "535" | "538")
                }) =>
            {
                Err(MailError::Unreachable(e.to_string()))
            }
            Ok(Err(e)) if e.is_permanent() => Err(MailError::Refused {
                stage: SmtpStage::RcptTo,
                reply: e.to_string(),
            }),
            Ok(Err(e)) if e.is_tls() || e.to_string().starts_with("Connection error") => {
                Err(MailError::Unreachable(e.to_string()))
            }
            Ok(Err(e)) if e.is_transient() || e.is_client() => Err(MailError::Smtp(e.to_string())),
            Ok(Err(e)) => Err(MailError::Unknown(e.to_string())),
        }
    }
}

impl Mailer {
    /// `smtp://host:port` (plain, for a local relay or sink) or `smtps://host:port` / `smtp+starttls://`
    /// (TLS); anything else is a folder path for `.eml` files. Default [`MailTimeouts`].
    pub fn from_url(url: &str) -> Result<Mailer, MailError> {
        Mailer::from_url_with(url, MailTimeouts::default())
    }

    /// Like [`Mailer::from_url`], with these deadlines for every network step.
    pub fn from_url_with(url: &str, timeouts: MailTimeouts) -> Result<Mailer, MailError> {
        if let Some(rest) = url.strip_prefix("smtp://") {
            let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "25"));
            let port = port
                .trim_end_matches('/')
                .parse()
                .map_err(|_| MailError::Build(format!("bad port in {url}")))?;
            return Ok(Mailer::Plain(PlainSmtp {
                host: host.to_string(),
                port,
                timeouts,
                idle: tokio::sync::Mutex::new(Vec::new()),
            }));
        }
        if url.starts_with("smtps://") || url.starts_with("smtp+starttls://") {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| MailError::Build(e.to_string()))?
                .timeout(Some(timeouts.connect.max(timeouts.command)))
                .build();
            return Ok(Mailer::Smtp(TlsSmtp {
                transport,
                timeouts,
            }));
        }
        Ok(Mailer::Outbox(PathBuf::from(
            url.strip_prefix("outbox:").unwrap_or(url),
        )))
    }

    /// The deadlines of a send; an outbox write has the same bound.
    pub fn timeouts(&self) -> MailTimeouts {
        match self {
            Mailer::Plain(p) => p.timeouts,
            Mailer::Smtp(t) => t.timeouts,
            Mailer::Outbox(_) => MailTimeouts::default(),
        }
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build(email)?;
        match self {
            Mailer::Plain(p) => p.send(&message).await,
            Mailer::Smtp(t) => t.send(message).await,
            Mailer::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let name = email.message_id.replace(['/', '\\', '<', '>'], "_");
                tokio::fs::write(dir.join(format!("{name}.eml")), message.formatted()).await?;
                Ok(())
            }
        }
    }
}

/// Refuses a value that would break out of its header: line breaks and other control
/// characters (tab excepted). lettre panics on some of them while formatting; a stored value
/// that slipped past the edge's validation must fail this one message, not the process.
fn header_value(what: &str, value: &str) -> Result<(), MailError> {
    match value.chars().find(|c| c.is_control() && *c != '\t') {
        Some(c) => Err(MailError::Build(format!(
            "{what} contains the control character U+{:04X}",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

fn mailbox(name: &str, email: &str) -> Result<Mailbox, MailError> {
    header_value("a display name", name)?;
    if email.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(MailError::Address(email.escape_debug().to_string()));
    }
    let addr = email
        .parse()
        .map_err(|_| MailError::Address(email.to_string()))?;
    Ok(Mailbox::new(
        if name.is_empty() {
            None
        } else {
            Some(name.to_string())
        },
        addr,
    ))
}

/// Builds the RFC 5322 message, threading follow-ups with In-Reply-To/References. Fails (never
/// panics) on an address, name, subject or header the mail library would refuse.
pub fn build(email: &OutgoingEmail) -> Result<Message, MailError> {
    header_value("the subject", &email.subject)?;
    for id in std::iter::once(&email.message_id)
        .chain(email.in_reply_to.iter())
        .chain(email.references.iter())
    {
        header_value("a message id", id)?;
    }
    let mut b = Message::builder()
        .from(mailbox(&email.from_name, &email.from_email)?)
        .to(mailbox("", &email.to)?)
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}>", email.message_id)));
    if let Some(parent) = &email.in_reply_to {
        b = b.in_reply_to(format!("<{parent}>"));
    }
    if !email.references.is_empty() {
        b = b.references(
            email
                .references
                .iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    for (name, value) in &email.headers {
        header_value(name, value)?;
        b = b.raw_header(lettre::message::header::HeaderValue::new(
            lettre::message::header::HeaderName::new_from_ascii(name.clone())
                .map_err(|e| MailError::Build(e.to_string()))?,
            value.clone(),
        ));
    }
    b.header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .map_err(|e| MailError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> OutgoingEmail {
        OutgoingEmail {
            from_name: "Rita Rep".into(),
            from_email: "rep@seller.example".into(),
            to: "ana@buyer.example".into(),
            subject: "Hello".into(),
            body: "Hi".into(),
            message_id: "m.1@seller.example".into(),
            in_reply_to: None,
            references: vec![],
            headers: vec![("List-Unsubscribe".into(), "<https://x.example/u/t>".into())],
        }
    }

    #[test]
    fn every_header_field_with_a_line_break_or_control_character_fails_to_build_without_panicking()
    {
        type Poison = fn(&mut OutgoingEmail, &str);
        let fields: &[(&str, Poison)] = &[
            ("from_name", |e, v| e.from_name = format!("Rita{v}Rep")),
            ("from_email", |e, v| {
                e.from_email = format!("rep{v}@seller.example")
            }),
            ("to", |e, v| e.to = format!("ana{v}@buyer.example")),
            ("subject", |e, v| {
                e.subject = format!("Hello{v}Bcc: x@evil.example")
            }),
            ("message_id", |e, v| {
                e.message_id = format!("m{v}.1@seller.example")
            }),
            ("in_reply_to", |e, v| {
                e.in_reply_to = Some(format!("p{v}@s.example"))
            }),
            ("references", |e, v| {
                e.references = vec![format!("r{v}@s.example")]
            }),
            ("header value", |e, v| {
                e.headers[0].1 = format!("<https://x{v}.example>")
            }),
        ];
        for (field, poison) in fields {
            for bad in ["\r\n", "\n", "\r", "\0", "\u{7}", "\u{85}"] {
                let mut e = email();
                poison(&mut e, bad);
                let built = std::panic::catch_unwind(|| build(&e));
                match built {
                    Ok(Err(_)) => {}
                    Ok(Ok(_)) => panic!("{field} with {bad:?} was built"),
                    Err(_) => panic!("{field} with {bad:?} panicked"),
                }
            }
        }
        assert!(build(&email()).is_ok());
    }

    #[test]
    fn failures_say_whether_a_retry_is_safe() {
        let cases = [
            (
                MailError::Address("a\\b@x".into()),
                SendFailure::Unbuildable,
            ),
            (MailError::Build("bad".into()), SendFailure::Unbuildable),
            (
                MailError::Smtp("451 try later".into()),
                SendFailure::Temporary,
            ),
            (
                MailError::Unreachable("connection refused".into()),
                SendFailure::RelayDown,
            ),
            (
                MailError::Refused {
                    stage: SmtpStage::RcptTo,
                    reply: "550".into(),
                },
                SendFailure::Refused(SmtpStage::RcptTo),
            ),
            (MailError::Unknown("eof".into()), SendFailure::Unknown),
        ];
        for (err, want) in cases {
            assert_eq!(err.failure(), want, "{err}");
        }
    }

    #[test]
    fn the_longest_send_is_bounded_by_the_configured_deadlines() {
        let t = MailTimeouts {
            connect: Duration::from_secs(1),
            command: Duration::from_secs(2),
            data: Duration::from_secs(3),
        };
        assert_eq!(t.max_send(), Duration::from_secs(14));
    }
}
