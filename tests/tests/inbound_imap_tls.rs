//! IMAP over implicit TLS against a real Dovecot (`ssl = required`, IMAPS only) presenting a
//! certificate from a private CA, as an on-premises server does: with that CA in the
//! deployment's IMAP CA file (`--imap-ca-file`) a mailbox syncs and a reply unenrolls; without
//! it the connection fails as `ImapError::Tls` naming the untrusted certificate, before any
//! credentials are sent. The CA file is refused with a clear error unless it holds PEM
//! certificates.

use anyhow::{Context, Result};
use sequencer_server::domain::Tier;
use sequencer_server::mail::imap::ImapError;
use sequencer_server::mail::imap_trust::{CaFileError, ImapTrust};
use sequencer_server::store::Mailbox;
use sequencer_tests::imap::*;
use sequencer_tests::inbound::*;
use sequencer_tests::tls::TestCa;
use sequencer_tests::*;
use shared::*;

both_backends! {
    a_tls_mailbox_syncs_and_unenrolls_on_a_reply_when_its_private_ca_is_trusted => trusted;
    a_tls_mailbox_whose_ca_is_not_trusted_fails_naming_the_certificate_problem => untrusted;
}

/// The app (trusting the private CA or not), a TLS-only Dovecot with the CA's certificate, a
/// TLS mailbox connected over HTTP, and ana's live enrollment.
struct Setup {
    t: TestApp,
    // Dropped (stopped) before its directory.
    imap: Dovecot,
    _dir: tempfile::TempDir,
    mailbox: Mailbox,
    ana: i64,
}

async fn setup(db: Db, trust_the_ca: bool) -> Result<Setup> {
    let dir = tempfile::tempdir()?;
    let ca_dir = dir.path().join("ca");
    std::fs::create_dir(&ca_dir)?;
    let ca = TestCa::generate(&ca_dir)?;
    let trust = if trust_the_ca {
        ImapTrust::with_ca_file(&ca.ca_cert)?
    } else {
        ImapTrust::default()
    };
    let t = spawn_app_configured(db, Tier::Professional, |app| app.with_imap_trust(trust)).await?;
    let options = Options {
        tls: Some(ca),
        ..Default::default()
    };
    let imap = Dovecot::start_with(dir.path(), &options).await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let ana = t
        .enrolled("ana@globex.example", &[], None, seq.id)
        .await?
        .1
        .id;
    let req = MailboxRequest {
        address: "rep@seller.example".into(),
        user_id: None,
        imap: Some(ImapSettingsRequest {
            host: "127.0.0.1".into(),
            port: Some(imap.port),
            tls: true,
            username: IMAP_USER.into(),
            password: Some(IMAP_PASSWORD.into()),
            oauth_token: None,
            folders: vec!["INBOX".into()],
        }),
    };
    let a = t.post("/mailboxes", &req).await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let id = a.json::<MailboxView>()?.id;
    let mailbox = t.app.store.mailbox(id).await?.context("stored")?;
    Ok(Setup {
        t,
        imap,
        _dir: dir,
        mailbox,
        ana,
    })
}

impl Setup {
    /// Drops ana's reply to her last email into the inbox.
    async fn ana_replies(&self) -> Result<()> {
        let parent = self.t.last_sent_id(self.ana).await?;
        let raw = template(
            "reply.eml",
            &[
                ("FROM", "ana@globex.example"),
                ("FROM_NAME", "Ana"),
                ("SUBJECT", "Re: Intro"),
                ("ID", &new_id("tls")),
                ("PARENT", &parent),
            ],
        )?;
        self.imap.deliver("INBOX", "1.ana", &raw)
    }
}

async fn trusted(db: Db) -> Result<()> {
    let s = setup(db, true).await?;
    let (t, mb) = (&s.t, &s.mailbox);
    assert_eq!(t.app.sync_mailbox(mb).await?.fetched, 0, "first sync");
    s.ana_replies().await?;
    assert_eq!(t.app.sync_mailbox(mb).await?.fetched, 1);
    assert_eq!(
        t.enrollment(s.ana).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    // The sessions really were TLS: Dovecot calls them so.
    let log = s.imap.log()?;
    let logins: Vec<&str> = log.lines().filter(|l| l.contains("Login: ")).collect();
    assert_eq!(logins.len(), 2, "{log}");
    assert!(logins.iter().all(|l| l.contains(", TLS,")), "{log}");
    Ok(())
}

async fn untrusted(db: Db) -> Result<()> {
    let s = setup(db, false).await?;
    let (t, mb) = (&s.t, &s.mailbox);
    let err = t.app.sync_mailbox(mb).await.err().context("refused")?;
    assert!(matches!(err, ImapError::Tls(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "TLS failed: the certificate of 127.0.0.1 is not signed by a trusted CA (UnknownIssuer); \
         if the server uses a private CA, add it to the IMAP CA file (SEQUENCER_IMAP_CA_FILE)"
    );
    // Refused before logging in: the password never went to the untrusted server.
    let log = s.imap.log()?;
    assert!(
        !log.contains("Login: ") && !log.contains("auth failed"),
        "{log}"
    );
    assert!(t
        .app
        .store
        .imap_folder_state(mb.id, "INBOX")
        .await?
        .is_none());
    s.ana_replies().await?;
    assert!(t.app.sync_mailbox(mb).await.is_err());
    assert_eq!(t.enrollment(s.ana).await?.state, EnrollmentState::Active);
    Ok(())
}

#[test]
fn the_imap_ca_file_must_hold_readable_pem_certificates() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let ca = TestCa::generate(dir.path())?;
    let file = |name: &str, content: &[u8]| -> Result<std::path::PathBuf> {
        let path = dir.path().join(name);
        std::fs::write(&path, content)?;
        Ok(path)
    };
    let refusal = |path: &std::path::Path| match ImapTrust::with_ca_file(path) {
        Ok(trust) => format!("accepted: {trust:?}"),
        Err(e) => e
            .to_string()
            .replace(&dir.path().display().to_string(), "DIR"),
    };

    let missing = dir.path().join("missing.pem");
    assert!(matches!(
        ImapTrust::with_ca_file(&missing),
        Err(CaFileError::Unreadable { .. })
    ));
    assert_eq!(
        refusal(&missing),
        "cannot read the IMAP CA file DIR/missing.pem: No such file or directory (os error 2)"
    );
    let no_certificate =
        "the IMAP CA file DIR/{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
    for (name, content) in [
        ("empty.pem", Vec::new()),
        ("key-only.pem", std::fs::read(&ca.server_key)?),
        ("words.pem", b"not a certificate\n".to_vec()),
    ] {
        assert_eq!(
            refusal(&file(name, &content)?),
            no_certificate.replace("{}", name)
        );
    }
    let garbled = file(
        "garbled.pem",
        b"-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n",
    )?;
    assert!(
        refusal(&garbled).starts_with("the IMAP CA file DIR/garbled.pem is not valid PEM: "),
        "{}",
        refusal(&garbled)
    );
    let not_der = file(
        "not-der.pem",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )?;
    assert!(
        refusal(&not_der).starts_with(
            "certificate 1 of the IMAP CA file DIR/not-der.pem cannot be a trust anchor: "
        ),
        "{}",
        refusal(&not_der)
    );

    // A bundle: every certificate counts, text around them is ignored.
    let mut bundle = b"Our private CAs\n".to_vec();
    bundle.extend(std::fs::read(&ca.ca_cert)?);
    bundle.extend(b"\nand the old one\n");
    bundle.extend(std::fs::read(&ca.server_cert)?);
    assert_eq!(
        refusal(&file("bundle.pem", &bundle)?),
        "accepted: ImapTrust(webpki roots + 2 from the CA file)"
    );
    Ok(())
}
