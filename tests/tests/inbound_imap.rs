//! IMAP end to end against a real Dovecot: the first sync marks where new mail starts, later
//! syncs ingest new messages from every chosen folder once, the IDLE watchers (one session per
//! folder) pick mail up as it arrives in any chosen folder, the watcher set follows mailboxes
//! connected, changed and disconnected over HTTP while it runs, and credentials are stored
//! sealed yet still log in. A mailbox connected with an OAuth2 access token logs in with
//! XOAUTH2, Dovecot checking the token with a loopback OAuth provider (`sequencer_tests::oauth`);
//! a revoked or unknown token is an authentication error that changes nothing.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sequencer_server::mail::imap::ImapError;
use sequencer_server::store::Mailbox;
use sequencer_tests::imap::*;
use sequencer_tests::inbound::*;
use sequencer_tests::oauth::TokenInfo;
use sequencer_tests::*;
use shared::*;

both_backends! {
    polling_ingests_new_mail_from_the_chosen_folders_once => polling;
    the_idle_watcher_unenrolls_as_soon_as_a_reply_lands_in_any_chosen_folder => idle_watcher;
    watchers_follow_mailboxes_connected_changed_and_deleted_while_running => live_watchers;
    credentials_are_stored_sealed_and_legacy_plaintext_still_logs_in => sealed_credentials;
    a_mailbox_connected_with_an_oauth_token_logs_in_with_xoauth2_and_unenrolls_on_a_reply => oauth_token;
    a_revoked_or_unknown_token_fails_authentication_and_changes_nothing => refused_token;
}

fn mailbox_request(imap: &Dovecot, folders: &[&str]) -> MailboxRequest {
    MailboxRequest {
        address: "rep@seller.example".into(),
        user_id: None,
        imap: Some(ImapSettingsRequest {
            host: "127.0.0.1".into(),
            port: Some(imap.port),
            tls: false,
            username: IMAP_USER.into(),
            password: Some(IMAP_PASSWORD.into()),
            oauth_token: None,
            folders: folders.iter().map(|f| f.to_string()).collect(),
        }),
    }
}

/// Token-only IMAP settings: the user as the OAuth provider names it, no password.
fn token_request(imap: &Dovecot, token: &str) -> MailboxRequest {
    let mut req = mailbox_request(imap, &["INBOX"]);
    if let Some(i) = req.imap.as_mut() {
        i.username = IMAP_OAUTH_USER.into();
        i.password = None;
        i.oauth_token = Some(token.into());
    }
    req
}

async fn connect_mailbox(t: &TestApp, imap: &Dovecot) -> Result<sequencer_server::store::Mailbox> {
    let mut req = mailbox_request(imap, &["INBOX", "Replies"]);
    req.user_id = Some(t.user.id.0);
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

/// The app, a Dovecot (its `Replies` folder created), and one live enrollment in a one-step
/// sequence per address, in order.
struct Setup {
    t: TestApp,
    // Dropped (stopped) before its directory.
    imap: Dovecot,
    _tmp: tempfile::TempDir,
    ids: Vec<i64>,
}

async fn setup(db: Db, emails: &[&str]) -> Result<Setup> {
    setup_with(db, emails, &Options::default()).await
}

async fn setup_with(db: Db, emails: &[&str], options: &Options) -> Result<Setup> {
    let t = spawn_app(db).await?;
    let tmp = tempfile::tempdir()?;
    let imap = Dovecot::start_with(tmp.path(), options).await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let mut ids = Vec::new();
    for email in emails {
        ids.push(t.enrolled(email, &[], None, seq.id).await?.1.id);
    }
    imap.deliver(
        "Replies",
        "0.init",
        b"From: x@y.example\r\nSubject: init\r\n\r\n.\r\n",
    )?;
    Ok(Setup {
        t,
        imap,
        _tmp: tmp,
        ids,
    })
}

impl Setup {
    /// Drops `from`'s reply to enrollment `id`'s last email into `folder` as file `name`.
    async fn reply(&self, folder: &str, name: &str, from: &str, id: i64) -> Result<()> {
        let raw = reply(from, &self.t.last_sent_id(id).await?)?;
        self.imap.deliver(folder, name, &raw)
    }

    /// The mailbox's watcher (or a sync) has recorded where `folder` stands.
    async fn synced(&self, mailbox: i64, folder: &str) -> Result<bool> {
        Ok(self
            .t
            .app
            .store
            .imap_folder_state(mailbox, folder)
            .await?
            .is_some())
    }

    async fn replied(&self, id: i64) -> Result<bool> {
        Ok(self.t.enrollment(id).await?.unenroll_reason == Some(UnenrollReason::Replied))
    }
}

async fn polling(db: Db) -> Result<()> {
    let s = setup(db, &["ana@globex.example", "bob@initech.example"]).await?;
    let (t, imap) = (&s.t, &s.imap);
    let [ana, bob] = s.ids[..] else {
        anyhow::bail!("one enrollment per address")
    };
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
    let mb = connect_mailbox(t, imap).await?;
    assert_eq!(t.app.sync_mailbox(&mb).await?.fetched, 0);
    assert_eq!(t.enrollment(ana).await?.state, EnrollmentState::Active);

    s.reply("INBOX", "2.ana", "ana@globex.example", ana).await?;
    s.reply("Replies", "2.bob", "bob@initech.example", bob)
        .await?;
    s.reply("INBOX", "3.own", "rep@seller.example", bob).await?;
    let r = t.app.sync_mailbox(&mb).await?;
    assert_eq!((r.fetched, r.duplicates), (3, 0));
    assert_eq!(
        t.enrollment(ana).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    assert_eq!(
        t.enrollment(bob).await?.unenroll_reason,
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
    let s = setup(db, &["ana@globex.example", "bob@initech.example"]).await?;
    let (t, imap) = (&s.t, &s.imap);
    let [ana, bob] = s.ids[..] else {
        anyhow::bail!("one enrollment per address")
    };
    let mb = connect_mailbox(t, imap).await?;
    // The idle timeout (2 min) is far beyond `wait_until`'s 15 s: mail is seen because the
    // folder's IDLE reported it, in the inbox and in the other chosen folder alike.
    let watcher = {
        let (app, mb) = (t.app.clone(), mb.clone());
        tokio::spawn(async move { app.watch_mailbox(mb, Duration::from_secs(120)).await })
    };
    wait_until("the watcher's first sync of INBOX", || {
        s.synced(mb.id, "INBOX")
    })
    .await?;
    wait_until("the watcher's first sync of Replies", || {
        s.synced(mb.id, "Replies")
    })
    .await?;
    s.reply("INBOX", "1.ana", "ana@globex.example", ana).await?;
    wait_until("the inbox reply is picked up while idling", || {
        s.replied(ana)
    })
    .await?;
    s.reply("Replies", "1.bob", "bob@initech.example", bob)
        .await?;
    wait_until("the Replies reply is picked up while idling", || {
        s.replied(bob)
    })
    .await?;
    watcher.abort();
    Ok(())
}

/// Polls `cond` every 50 ms until it holds, or fails with `what` after 15 s.
async fn wait_until<F, Fut>(what: &str, mut cond: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond().await? {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn live_watchers(db: Db) -> Result<()> {
    let s = setup(
        db,
        &[
            "ana@globex.example",
            "bob@initech.example",
            "cy@umbrella.example",
        ],
    )
    .await?;
    let (t, imap) = (&s.t, &s.imap);
    let [ana, bob, cy] = s.ids[..] else {
        anyhow::bail!("one enrollment per address")
    };
    // Watching starts with no mailbox. The periodic pass is far away (5 min): everything below
    // has to come from the change notifications.
    let every = Duration::from_secs(30);
    let watchers =
        sequencer_server::mail::imap::spawn_watchers(&t.app, every, Duration::from_secs(300))
            .await?;
    assert!(watchers.watching().is_empty());
    assert!(
        matches!(
            sequencer_server::mail::imap::spawn_watchers(&t.app, every, every).await,
            Err(sequencer_server::mail::imap::ImapError::AlreadyWatching)
        ),
        "one set of watchers per app"
    );

    // Connected over HTTP while watching: watched and synced within seconds, no restart.
    let a = t
        .post("/mailboxes", &mailbox_request(imap, &["INBOX"]))
        .await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let id = a.json::<MailboxView>()?.id;
    wait_until("the new mailbox is watched", || async {
        Ok(watchers.watching() == vec![id])
    })
    .await?;
    wait_until("the new mailbox's first sync", || s.synced(id, "INBOX")).await?;
    s.reply("INBOX", "1.ana", "ana@globex.example", ana).await?;
    wait_until("ana's reply unenrolls her", || s.replied(ana)).await?;

    // Changed: the watcher restarts with the new folders (the old one never looks at Replies);
    // it now idles on Replies, the first one.
    assert!(t
        .app
        .store
        .imap_folder_state(id, "Replies")
        .await?
        .is_none());
    let mut change = mailbox_request(imap, &["Replies", "INBOX"]);
    if let Some(i) = change.imap.as_mut() {
        i.password = None; // same server and user: the stored password is kept
    }
    let a = t
        .send_as(
            &t.token(),
            reqwest::Method::PUT,
            &format!("/mailboxes/{id}"),
            &change,
        )
        .await?;
    anyhow::ensure!(a.status == 200, "{} {}", a.status, a.body);
    let v: MailboxView = a.json()?;
    assert_eq!(
        v.imap.as_ref().map(|i| i.folders.clone()),
        Some(vec!["Replies".to_string(), "INBOX".to_string()])
    );
    assert!(!a.body.to_string().contains(IMAP_PASSWORD));
    wait_until("the restarted watcher syncs Replies", || {
        s.synced(id, "Replies")
    })
    .await?;
    assert_eq!(watchers.watching(), vec![id], "still one watcher");
    s.reply("Replies", "2.bob", "bob@initech.example", bob)
        .await?;
    wait_until("bob's reply in Replies unenrolls him", || s.replied(bob)).await?;

    // A new server without credentials is refused: stored ones never go to another host.
    let mut moved = change.clone();
    if let Some(i) = moved.imap.as_mut() {
        i.host = "localhost".into();
    }
    let a = t
        .send_as(
            &t.token(),
            reqwest::Method::PUT,
            &format!("/mailboxes/{id}"),
            &moved,
        )
        .await?;
    assert_eq!(
        (a.status, a.code().as_str()),
        (400, "validation_failed"),
        "{}",
        a.body
    );

    // Deleted: the watcher stops and later mail is not processed.
    let a = t.delete(&format!("/mailboxes/{id}")).await?;
    assert_eq!(a.status, 204, "{}", a.body);
    wait_until("the watcher stops", || async {
        Ok(watchers.watching().is_empty())
    })
    .await?;
    let list: MailboxListResponse = t.get("/mailboxes").await?.json()?;
    assert!(list.mailboxes.is_empty());
    assert_eq!(t.delete(&format!("/mailboxes/{id}")).await?.status, 404);
    s.reply("Replies", "3.cy", "cy@umbrella.example", cy)
        .await?;
    // A live watcher picks a reply up within about a second (Dovecot notifies IDLE every 1 s);
    // give a stopped one several times that to prove nothing is listening any more.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(t.enrollment(cy).await?.state, EnrollmentState::Active);
    watchers.stop().await;
    assert!(
        sequencer_server::mail::imap::spawn_watchers(&t.app, every, every)
            .await
            .is_ok(),
        "stopping the watchers releases the app's claim"
    );
    Ok(())
}

/// The raw stored credential column of a mailbox, read straight from the database.
async fn stored_password(t: &TestApp, id: i64) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT imap_password FROM mailboxes WHERE id = $1",
        )
        .bind(id)
        .fetch_one(t.app.store.pool())
        .await?,
    )
}

async fn sealed_credentials(db: Db) -> Result<()> {
    let s = setup(db, &["ana@globex.example", "bob@initech.example"]).await?;
    let (t, imap) = (&s.t, &s.imap);
    let [ana, bob] = s.ids[..] else {
        anyhow::bail!("one enrollment per address")
    };
    let mb = connect_mailbox(t, imap).await?;

    // At rest: sealed, versioned, no trace of the password; never in an answer either.
    let stored = stored_password(t, mb.id).await?.context("a password")?;
    assert!(stored.starts_with("v1:"), "{stored}");
    assert!(!stored.contains(IMAP_PASSWORD));
    let listed = t.get("/mailboxes").await?;
    assert!(!listed.body.to_string().contains(IMAP_PASSWORD));
    assert!(!listed.body.to_string().contains(&stored));
    assert!(!format!("{mb:?}").contains(&stored), "Debug redacts it");

    // The watcher still logs in with it and unenrolls on a reply.
    let watchers = sequencer_server::mail::imap::spawn_watchers(
        &t.app,
        Duration::from_secs(30),
        Duration::from_secs(300),
    )
    .await?;
    assert_eq!(watchers.watching(), vec![mb.id]);
    wait_until("the watcher logs in and syncs", || s.synced(mb.id, "INBOX")).await?;
    s.reply("INBOX", "1.ana", "ana@globex.example", ana).await?;
    wait_until("ana's reply unenrolls her", || s.replied(ana)).await?;
    watchers.stop().await;

    // A row from before sealing (plaintext) still logs in, and startup sealing encrypts it.
    sqlx::query("UPDATE mailboxes SET imap_password = $1 WHERE id = $2")
        .bind(IMAP_PASSWORD)
        .bind(mb.id)
        .execute(t.app.store.pool())
        .await?;
    let legacy = t.app.store.mailbox(mb.id).await?.context("mailbox")?;
    s.reply("Replies", "2.bob", "bob@initech.example", bob)
        .await?;
    assert_eq!(t.app.sync_mailbox(&legacy).await?.fetched, 1);
    assert_eq!(
        t.enrollment(bob).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    assert_eq!(t.app.seal_stored_credentials().await?, 1);
    assert_eq!(t.app.seal_stored_credentials().await?, 0, "idempotent");
    let resealed = stored_password(t, mb.id).await?.context("a password")?;
    assert!(resealed.starts_with("v1:") && resealed != stored);
    let mb = t.app.store.mailbox(mb.id).await?.context("mailbox")?;
    assert_eq!(t.app.sync_mailbox(&mb).await?.fetched, 0, "logs in");

    // Tampered ciphertext is refused before anything is sent to the server.
    let mut bytes = resealed.into_bytes();
    let last = bytes.len() - 10;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes)?;
    sqlx::query("UPDATE mailboxes SET imap_password = $1 WHERE id = $2")
        .bind(&tampered)
        .bind(mb.id)
        .execute(t.app.store.pool())
        .await?;
    let mb = t.app.store.mailbox(mb.id).await?.context("mailbox")?;
    let err = t.app.sync_mailbox(&mb).await.err().context("refused")?;
    assert!(
        matches!(err, sequencer_server::mail::imap::ImapError::Credentials(_)),
        "{err}"
    );
    assert!(!err.to_string().contains(IMAP_PASSWORD));
    Ok(())
}

/// A Dovecot that checks bearer tokens with `provider`.
async fn setup_oauth(db: Db, emails: &[&str], provider: &TokenInfo) -> Result<Setup> {
    let options = Options {
        tokeninfo_url: Some(provider.url.clone()),
        ..Default::default()
    };
    setup_with(db, emails, &options).await
}

/// Connects a token-only mailbox over HTTP.
async fn connect_with_token(s: &Setup, token: &str) -> Result<Mailbox> {
    let a =
        s.t.post("/mailboxes", &token_request(&s.imap, token))
            .await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let v: MailboxView = a.json()?;
    assert_eq!(v.imap.as_ref().map(|i| i.auth.as_str()), Some("xoauth2"));
    assert!(!a.body.to_string().contains(token));
    s.t.app.store.mailbox(v.id).await?.context("stored")
}

async fn oauth_token(db: Db) -> Result<()> {
    let provider = TokenInfo::start().await?;
    let s = setup_oauth(db, &["ana@globex.example"], &provider).await?;
    let (t, imap) = (&s.t, &s.imap);
    let [ana] = s.ids[..] else {
        anyhow::bail!("one enrollment per address")
    };
    let token = provider.issue(IMAP_OAUTH_USER);
    let mb = connect_with_token(&s, &token).await?;
    assert_eq!(t.app.sync_mailbox(&mb).await?.fetched, 0, "first sync");
    // Dovecot asked the provider about exactly this token, and logged the XOAUTH2 login.
    assert_eq!(provider.asked(), vec![token.clone()]);
    let logins: Vec<String> = imap
        .log()?
        .lines()
        .filter(|l| l.contains("Login: "))
        .map(|l| l.split("Login: ").nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(
        logins[0].starts_with(&format!("user=<{IMAP_OAUTH_USER}>, method=XOAUTH2,")),
        "{logins:?}"
    );

    s.reply("INBOX", "1.ana", "ana@globex.example", ana).await?;
    assert_eq!(t.app.sync_mailbox(&mb).await?.fetched, 1);
    assert!(s.replied(ana).await?);
    assert_eq!(provider.asked().len(), 2, "every login presents the token");
    Ok(())
}

async fn refused_token(db: Db) -> Result<()> {
    let provider = TokenInfo::start().await?;
    let s = setup_oauth(db, &["ana@globex.example"], &provider).await?;
    let t = &s.t;
    let [ana] = s.ids[..] else {
        anyhow::bail!("one enrollment per address")
    };
    let token = provider.issue(IMAP_OAUTH_USER);
    let mb = connect_with_token(&s, &token).await?;
    assert_eq!(t.app.sync_mailbox(&mb).await?.fetched, 0, "first sync");
    let synced = t.app.store.imap_folder_state(mb.id, "INBOX").await?;
    assert!(synced.is_some());
    s.reply("INBOX", "1.ana", "ana@globex.example", ana).await?;

    // Revoked at the provider: refused, and nothing moves (the reply waits in the folder).
    provider.revoke(&token);
    let err = t.app.sync_mailbox(&mb).await.err().context("refused")?;
    check_refused(&err, &token);
    assert_eq!(provider.asked(), vec![token.clone(), token.clone()]);
    s.untouched(&mb, synced, ana).await?;

    // A token the provider never issued: the same.
    let unknown = "ya29.never-issued-by-this-provider";
    let mb = s.change_token(mb.id, unknown).await?;
    let err = t.app.sync_mailbox(&mb).await.err().context("refused")?;
    check_refused(&err, unknown);
    assert_eq!(provider.asked().last().map(String::as_str), Some(unknown));
    s.untouched(&mb, synced, ana).await?;

    // A fresh token picks up where the mailbox stood: the waiting reply unenrolls.
    let mb = s
        .change_token(mb.id, &provider.issue(IMAP_OAUTH_USER))
        .await?;
    assert_eq!(t.app.sync_mailbox(&mb).await?.fetched, 1);
    assert!(s.replied(ana).await?);
    Ok(())
}

impl Setup {
    /// Gives mailbox `id` a new token over HTTP (same server and user: the sync state stays).
    async fn change_token(&self, id: i64, token: &str) -> Result<Mailbox> {
        let a = self
            .t
            .send_as(
                &self.t.token(),
                reqwest::Method::PUT,
                &format!("/mailboxes/{id}"),
                &token_request(&self.imap, token),
            )
            .await?;
        anyhow::ensure!(a.status == 200, "{} {}", a.status, a.body);
        self.t.app.store.mailbox(id).await?.context("mailbox")
    }

    /// Nothing moved since `mb` was read: the mailbox row, its INBOX sync state (`inbox`) and
    /// enrollment `id`, still active.
    async fn untouched(&self, mb: &Mailbox, inbox: Option<(u32, u32)>, id: i64) -> Result<()> {
        let store = &self.t.app.store;
        assert_eq!(store.mailbox(mb.id).await?.as_ref(), Some(mb));
        assert_eq!(store.imap_folder_state(mb.id, "INBOX").await?, inbox);
        assert_eq!(self.t.enrollment(id).await?.state, EnrollmentState::Active);
        Ok(())
    }
}

/// An authentication error that carries the server's XOAUTH2 refusal and not the token.
fn check_refused(err: &ImapError, token: &str) {
    assert!(matches!(err, ImapError::Auth(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(
            r#"authentication failed: the server refused the OAuth2 token: {"status":"401","#
        ),
        "{message}"
    );
    assert!(!message.contains(token), "{message}");
}
