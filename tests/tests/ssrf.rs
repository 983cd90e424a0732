//! Outbound connections (issue 19, finding 4): every host the server connects to goes through
//! one policy (`sequencer_server::net`). Production refuses loopback, link-local (cloud
//! metadata), private, CGNAT, unspecified and reserved targets in every spelling (IPv6, mapped
//! IPv4, decimal and hex IPv4, names resolving there), both when an IMAP mailbox is saved (400
//! `forbidden_target`, nothing stored) and at every connect (a row stored earlier is refused
//! before any packet: a loopback listener sees no connection, and the error is visible to admins
//! in the mailbox list). Plain IMAP goes only to loopback, in development mode only. JWKS fetches
//! follow the same policy. No test sends traffic to a non-loopback address: the refusals happen
//! before connecting, which is the point.

use std::net::TcpListener;

use anyhow::{Context, Result};
use sequencer_server::mail::imap::ImapError;
use sequencer_server::net::{NetError, NetworkPolicy};
use sequencer_server::store::{ImapSettings, Mailbox};
use sequencer_tests::idp::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    production_refuses_every_internal_target_when_a_mailbox_is_saved => refused_at_save;
    a_stored_mailbox_pointing_inside_is_refused_at_connect_without_a_connection_and_the_error_is_listed => refused_at_connect;
    plain_imap_goes_only_to_loopback_and_only_in_development => plain_imap;
    production_fetches_no_signing_keys_from_a_loopback_identity_provider => jwks_refused;
}

/// Hosts that must never be reached in production: (host, why).
const INTERNAL: &[(&str, &str)] = &[
    ("127.0.0.1", "loopback"),
    ("127.1", "short IPv4 form"),
    ("2130706433", "decimal IPv4 form"),
    ("0x7f000001", "hex IPv4 form"),
    ("0177.0.0.1", "octal IPv4 form"),
    ("localhost", "a name for loopback"),
    ("localhost.", "a name for loopback, absolute"),
    ("[::1]", "IPv6 loopback"),
    ("[::ffff:127.0.0.1]", "IPv4-mapped loopback"),
    ("0.0.0.0", "unspecified"),
    ("[::]", "IPv6 unspecified"),
    ("169.254.169.254", "cloud metadata"),
    ("[::ffff:169.254.169.254]", "IPv4-mapped metadata"),
    ("[fe80::1]", "IPv6 link-local"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "CGNAT"),
    ("[fc00::1]", "IPv6 unique-local"),
    ("224.0.0.1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("192.0.2.1", "documentation"),
];

/// Hosts of [`INTERNAL`] that are loopback (a listener can prove no connection was made).
fn is_loopback(host: &str) -> bool {
    matches!(
        host,
        "127.0.0.1"
            | "127.1"
            | "2130706433"
            | "0x7f000001"
            | "0177.0.0.1"
            | "localhost"
            | "localhost."
            | "[::ffff:127.0.0.1]"
    )
}

async fn production_app(db: Db) -> Result<TestApp> {
    spawn_app_configured(db, Tier::Professional, |app| {
        app.with_network(NetworkPolicy::Production)
    })
    .await
}

fn imap_request(host: &str, port: u16, tls: bool) -> MailboxRequest {
    MailboxRequest {
        address: "rep@seller.example".into(),
        user_id: None,
        imap: Some(ImapSettingsRequest {
            host: host.into(),
            port: Some(port),
            tls,
            username: "rep".into(),
            password: Some("imap-password-123".into()),
            oauth_token: None,
            folders: vec![],
        }),
    }
}

async fn listed(t: &TestApp) -> Result<Vec<MailboxView>> {
    Ok(t.get("/mailboxes")
        .await?
        .json::<MailboxListResponse>()?
        .mailboxes)
}

async fn refused_at_save(db: Db) -> Result<()> {
    let t = production_app(db).await?;
    // A webhook-only mailbox, to try the same targets through an update.
    let a = t
        .post(
            "/mailboxes",
            &MailboxRequest {
                address: "hook@seller.example".into(),
                user_id: None,
                imap: None,
            },
        )
        .await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let hook = a.json::<MailboxView>()?.id;
    let mut wrong = Vec::new();
    for (host, why) in INTERNAL {
        for port in [993, 143] {
            let req = imap_request(host, port, true);
            let created = t.post("/mailboxes", &req).await?;
            let mut update = req.clone();
            update.address = "hook@seller.example".into();
            let updated = t
                .send_as(
                    &t.token(),
                    reqwest::Method::PUT,
                    &format!("/mailboxes/{hook}"),
                    &update,
                )
                .await?;
            for (what, a) in [("create", &created), ("update", &updated)] {
                if a.status != 400 || a.code() != "forbidden_target" {
                    wrong.push(format!(
                        "{what} {host}:{port} ({why}): {} {}",
                        a.status, a.body
                    ));
                }
            }
        }
    }
    // A public host on a port that is not IMAP's is refused too (no DNS needed: an IP literal).
    let a = t
        .post("/mailboxes", &imap_request("8.8.8.8", 22, true))
        .await?;
    if a.status != 400 || a.code() != "forbidden_target" {
        wrong.push(format!("port 22: {} {}", a.status, a.body));
    }
    assert!(wrong.is_empty(), "accepted:\n{}", wrong.join("\n"));
    let list = listed(&t).await?;
    assert_eq!(list.len(), 1, "nothing stored: {list:?}");
    assert!(list[0].imap.is_none(), "the update changed nothing");
    Ok(())
}

/// Stores a mailbox row directly (as an older version, or another path, could have left it).
async fn stored(t: &TestApp, host: &str, port: u16, tls: bool, n: usize) -> Result<Mailbox> {
    let settings = ImapSettings {
        host: host.into(),
        port,
        tls,
        username: "rep".into(),
        password: Some("imap-password-123".into()),
        oauth_token: None,
        folders: vec![],
    };
    Ok(t.app
        .store
        .create_mailbox(
            t.account.id,
            None,
            &sequencer_server::domain::EmailAddress::parse(&format!("box{n}@seller.example"))?,
            "legacy-webhook-secret",
            Some(&settings),
            T0,
        )
        .await?)
}

/// No connection waits on `listener` (it is non-blocking: a made connection would be queued).
fn no_connection(listener: &TcpListener) -> Result<()> {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(e.into()),
        Ok((_, from)) => anyhow::bail!("a connection was made from {from}"),
    }
}

async fn refused_at_connect(db: Db) -> Result<()> {
    let t = production_app(db).await?;
    let v4 = TcpListener::bind("127.0.0.1:0")?;
    v4.set_nonblocking(true)?;
    let port = v4.local_addr()?.port();
    let v6 = TcpListener::bind(("::1", port)).ok();
    if let Some(l) = &v6 {
        l.set_nonblocking(true)?;
    }
    let mut wrong = Vec::new();
    for (n, (host, why)) in INTERNAL.iter().enumerate() {
        let loopback = is_loopback(host) || *host == "[::1]";
        let port = if loopback { port } else { 993 };
        let mb = stored(&t, host, port, true, n).await?;
        match t.app.sync_mailbox(&mb).await {
            Err(ImapError::Net(NetError::Forbidden { .. })) => {}
            other => wrong.push(format!("{host} ({why}): {other:?}")),
        }
        no_connection(&v4).with_context(|| format!("{host} ({why})"))?;
        if let Some(l) = &v6 {
            no_connection(l).with_context(|| format!("{host} ({why})"))?;
        }
        let list = listed(&t).await?;
        let view = list
            .iter()
            .find(|m| m.id == mb.id)
            .context("listed mailbox")?;
        let error = view.last_error.as_deref().unwrap_or("");
        if !error.contains("not an allowed destination") || view.last_error_at.is_none() {
            wrong.push(format!("{host}: the admin sees {:?}", view.last_error));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The watchers refuse the same rows and record it, and still make no connection.
    for m in t.app.store.imap_mailboxes().await? {
        t.app.store.set_mailbox_error(m.id, None, T0).await?;
    }
    let watchers = sequencer_server::mail::imap::spawn_watchers(
        &t.app,
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(60),
    )
    .await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = listed(&t).await?;
        if list.iter().all(|m| m.last_error.is_some()) {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the watchers did not record the refusals: {list:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    watchers.stop().await;
    no_connection(&v4)?;
    if let Some(l) = &v6 {
        no_connection(l)?;
    }
    Ok(())
}

async fn plain_imap(db: Db) -> Result<()> {
    // The harness runs in development mode (Dovecot on loopback).
    let t = spawn_app(db).await?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let a = t
        .post("/mailboxes", &imap_request("127.0.0.1", port, false))
        .await?;
    assert_eq!(
        a.status, 201,
        "plain IMAP to loopback in development: {}",
        a.body
    );
    let mut wrong = Vec::new();
    // Without TLS, anything but loopback is refused even in development; link-local, unspecified
    // and the like are refused with TLS as well.
    let cases: &[(&str, bool)] = &[
        ("10.0.0.1", false),
        ("172.16.0.1", false),
        ("192.168.1.1", false),
        ("100.64.0.1", false),
        ("[fc00::1]", false),
        ("8.8.8.8", false),
        ("169.254.169.254", true),
        ("169.254.169.254", false),
        ("[fe80::1]", true),
        ("0.0.0.0", true),
        ("127.1", true),
        ("0x7f000001", false),
    ];
    for (n, (host, tls)) in cases.iter().enumerate() {
        let a = t.post("/mailboxes", &imap_request(host, 143, *tls)).await?;
        if a.status != 400 || a.code() != "forbidden_target" {
            wrong.push(format!("save {host} tls={tls}: {} {}", a.status, a.body));
        }
        let mb = stored(&t, host, 143, *tls, 100 + n).await?;
        match t.app.sync_mailbox(&mb).await {
            Err(ImapError::Net(NetError::Forbidden { .. })) => {}
            other => wrong.push(format!("connect {host} tls={tls}: {other:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    no_connection(&listener)?;

    // Production refuses plain IMAP even to loopback.
    let p = production_app(t.db).await?;
    let a = p
        .post("/mailboxes", &imap_request("127.0.0.1", 143, false))
        .await?;
    assert_eq!((a.status, a.code().as_str()), (400, "forbidden_target"));
    Ok(())
}

async fn jwks_refused(db: Db) -> Result<()> {
    let idp = LocalIdp::start().await?;
    let config = idp.config();
    let t = spawn_app_configured(db, Tier::Professional, move |app| {
        app.with_identity(config)
            .with_network(NetworkPolicy::Production)
    })
    .await?;
    let token = idp.sign(
        KID,
        &ms_claims("tenant-a", "oid-1", "rep@seller.example", T0),
    )?;
    let a = t
        .http
        .post(t.url("/auth/exchange"))
        .json(&ExchangeRequest {
            provider: IdentityProvider::Microsoft,
            token,
        })
        .send()
        .await?;
    assert_eq!(a.status().as_u16(), 401);
    let body: ErrorBody = a.json().await?;
    assert!(
        body.message.contains("not an allowed destination"),
        "{body:?}"
    );
    assert_eq!(idp.fetches(), 0, "no request reached the identity provider");
    Ok(())
}
