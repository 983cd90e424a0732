//! Outgoing mail: building RFC 5322 messages and handing them to an SMTP relay (or an outbox
//! folder for local demos). Inbound parsing lives in the `sequencer-classify` crate.

pub mod imap;
pub mod imap_trust;

use std::path::PathBuf;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
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

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("SMTP delivery failed: {0}")]
    Smtp(String),
    #[error("outbox write failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Where mail goes.
pub enum Mailer {
    /// Plain SMTP to a local relay or sink, over pooled `TCP_NODELAY` connections.
    Plain(PlainSmtp),
    /// SMTP over TLS (implicit or STARTTLS), through lettre's pooled transport.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

/// Pooled plain-SMTP connections with `TCP_NODELAY`. lettre writes a message body and its
/// terminating `.` in two writes; with Nagle's algorithm on, the second waits for the server's
/// delayed ACK (~40 ms per email). Setting `TCP_NODELAY` on our own socket removes that stall.
pub struct PlainSmtp {
    host: String,
    port: u16,
    idle: tokio::sync::Mutex<Vec<lettre::transport::smtp::client::AsyncSmtpConnection>>,
}

impl PlainSmtp {
    async fn connect(
        &self,
    ) -> Result<lettre::transport::smtp::client::AsyncSmtpConnection, MailError> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| MailError::Smtp(e.to_string()))?;
        let hello = lettre::transport::smtp::extension::ClientId::default();
        lettre::transport::smtp::client::AsyncSmtpConnection::connect_with_transport(
            Box::new(stream),
            &hello,
        )
        .await
        .map_err(|e| MailError::Smtp(e.to_string()))
    }

    async fn send(&self, message: &Message) -> Result<(), MailError> {
        let pooled = self.idle.lock().await.pop();
        // A pooled connection the server may have closed is checked (NOOP) before reuse.
        let mut conn = match pooled {
            Some(mut c) => {
                if c.test_connected().await {
                    c
                } else {
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        let result = conn.send(message.envelope(), &message.formatted()).await;
        match result {
            Ok(_) => {
                let mut idle = self.idle.lock().await;
                if idle.len() < 16 {
                    idle.push(conn);
                }
                Ok(())
            }
            Err(e) => {
                conn.abort().await;
                Err(MailError::Smtp(e.to_string()))
            }
        }
    }
}

impl Mailer {
    /// `smtp://host:port` (plain, for a local relay or sink) or `smtps://host:port` / `smtp+starttls://`
    /// (TLS); anything else is a folder path for `.eml` files.
    pub fn from_url(url: &str) -> Result<Mailer, MailError> {
        if let Some(rest) = url.strip_prefix("smtp://") {
            let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "25"));
            let port = port
                .trim_end_matches('/')
                .parse()
                .map_err(|_| MailError::Build(format!("bad port in {url}")))?;
            return Ok(Mailer::Plain(PlainSmtp {
                host: host.to_string(),
                port,
                idle: tokio::sync::Mutex::new(Vec::new()),
            }));
        }
        if url.starts_with("smtps://") || url.starts_with("smtp+starttls://") {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| MailError::Build(e.to_string()))?
                .build();
            return Ok(Mailer::Smtp(transport));
        }
        Ok(Mailer::Outbox(PathBuf::from(
            url.strip_prefix("outbox:").unwrap_or(url),
        )))
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let message = build(email)?;
        match self {
            Mailer::Plain(p) => p.send(&message).await,
            Mailer::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Smtp(e.to_string())),
            Mailer::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                let name = email.message_id.replace(['/', '\\', '<', '>'], "_");
                tokio::fs::write(dir.join(format!("{name}.eml")), message.formatted()).await?;
                Ok(())
            }
        }
    }
}

fn mailbox(name: &str, email: &str) -> Result<Mailbox, MailError> {
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

/// Builds the RFC 5322 message, threading follow-ups with In-Reply-To/References.
pub fn build(email: &OutgoingEmail) -> Result<Message, MailError> {
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
