//! IMAP end to end against a real Dovecot: the first sync marks where new mail starts, later
//! syncs ingest new messages from every chosen folder once, and the IDLE watcher picks mail up as
//! it arrives.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sequencer_tests::imap::*;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    polling_ingests_new_mail_from_the_chosen_folders_once => polling;
    the_idle_watcher_unenrolls_as_soon_as_a_reply_lands => idle_watcher;
}

async fn connect_mailbox(t: &TestApp, imap: &Dovecot) -> Result<sequencer_server::store::Mailbox> {
    let req = MailboxRequest {
        address: "rep@seller.example".into(),
        user_id: Some(t.user.id.0),
        imap: Some(ImapSettingsRequest {
            host: "127.0.0.1".into(),
            port: Some(imap.port),
            tls: false,
            username: IMAP_USER.into(),
            password: Some(IMAP_PASSWORD.into()),
            oauth_token: None,
            folders: vec!["INBOX".into(), "Replies".into()],
        }),
    };
    let a = t.post("/mailboxes", &req).await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let v: MailboxView = a.json()?;
    assert_eq!(v.imap.as_ref().map(|i| i.auth.as_str()), Some("password"));
    t.app.store.mailbox(v.id).await?.context("stored")
}

fn reply(from: &str, parent: &str) -> Result<Vec<u8>> {
    template(
        "reply.eml",
        &[
            ("FROM", from),
            ("FROM_NAME", "P"),
            ("SUBJECT", "Re: Intro"),
            ("ID", &new_id("imap")),
            ("PARENT", parent),
        ],
    )
}

async fn polling(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let tmp = tempfile::tempdir()?;
    let imap = Dovecot::start(tmp.path()).await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (_, ana) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let (_, bob) = t.enrolled("bob@initech.example", &[], None, seq.id).await?;
    // Mail that was already there when the mailbox was connected is history, not news.
    let old = template(
        "email.eml",
        &[
            ("FROM", "ana@globex.example"),
            ("FROM_NAME", "Ana"),
            ("SUBJECT", "Old thread"),
            ("ID", &new_id("old")),
        ],
    )?;
    imap.deliver("INBOX", "1.old", &old)?;
    imap.deliver("Replies", "1.old", &old)?;
    let mb = connect_mailbox(&t, &imap).await?;
    assert_eq!(t.app.sync_mailbox(&mb).await?.fetched, 0);
    assert_eq!(t.enrollment(ana.id).await?.state, EnrollmentState::Active);

    imap.deliver(
        "INBOX",
        "2.ana",
        &reply("ana@globex.example", &t.last_sent_id(ana.id).await?)?,
    )?;
    imap.deliver(
        "Replies",
        "2.bob",
        &reply("bob@initech.example", &t.last_sent_id(bob.id).await?)?,
    )?;
    imap.deliver(
        "INBOX",
        "3.own",
        &reply("rep@seller.example", &t.last_sent_id(bob.id).await?)?,
    )?;
    let r = t.app.sync_mailbox(&mb).await?;
    assert_eq!((r.fetched, r.duplicates), (3, 0));
    assert_eq!(
        t.enrollment(ana.id).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    assert_eq!(
        t.enrollment(bob.id).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    assert_eq!(
        t.app.sync_mailbox(&mb).await?.fetched,
        0,
        "each message is fetched once"
    );
    Ok(())
}

async fn idle_watcher(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let tmp = tempfile::tempdir()?;
    let imap = Dovecot::start(tmp.path()).await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (_, ana) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    imap.deliver(
        "Replies",
        "0.init",
        b"From: x@y.example\r\nSubject: init\r\n\r\n.\r\n",
    )?;
    let mb = connect_mailbox(&t, &imap).await?;
    let watcher = {
        let (app, mb) = (t.app.clone(), mb.clone());
        tokio::spawn(async move { app.watch_mailbox(mb, Duration::from_secs(30)).await })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while t
        .app
        .store
        .imap_folder_state(mb.id, "INBOX")
        .await?
        .is_none()
    {
        anyhow::ensure!(Instant::now() < deadline, "the watcher never synced");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    imap.deliver(
        "INBOX",
        "1.ana",
        &reply("ana@globex.example", &t.last_sent_id(ana.id).await?)?,
    )?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.enrollment(ana.id).await?.state != EnrollmentState::Unenrolled {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the reply was not picked up while idling"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watcher.abort();
    Ok(())
}
