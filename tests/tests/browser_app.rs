//! The web app (`/app/`) in real headless Chromium against the real server: unenrolling from the
//! Enrollments tab (bulk), the Scheduled tab and the contact record, each checked on the server;
//! and the admin's Mailboxes page: connecting, editing (against a real Dovecot) and disconnecting.
//! Screenshots: `target/artifacts/screenshots/app-*.png`.

use anyhow::{Context, Result};
use sequencer_tests::browser::{spawn_app_with_frontend, testid, Browser};
use sequencer_tests::*;
use shared::*;

/// A sequence "Q4 outbound" with `n` enrolled contacts (c0..c{n-1}@acme.example); returns the
/// sequence and the enrollments.
async fn enrolled(t: &TestApp, n: usize) -> Result<(SequenceView, Vec<EnrollmentView>)> {
    let seq = t.email_sequence("Q4 outbound", &[2, 3]).await?;
    let mut out = Vec::new();
    for i in 0..n {
        let c = t
            .contact(&format!("c{i}@acme.example"), &format!("Cleo{i}"), None)
            .await?;
        out.push(
            t.enroll(seq.id, &[c.id]).await?.results[0]
                .enrollment
                .clone()
                .context("not enrolled")?,
        );
    }
    Ok((seq, out))
}

/// The server's view: unenrolled by hand, by the test user, from `surface`.
async fn assert_unenrolled_by_user(t: &TestApp, id: i64, surface: UnenrollSurface) -> Result<()> {
    let v = t.enrollment(id).await?;
    assert_eq!(v.state, EnrollmentState::Unenrolled, "enrollment {id}");
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::Manual));
    let by = v.ended_by.context("no actor")?;
    assert_eq!(by.kind, ActorKind::User);
    assert_eq!(
        by.user.map(|u| u.email).as_deref(),
        Some("rep@seller.example")
    );
    assert_eq!(
        v.evidence.and_then(|e| e.surface),
        Some(surface),
        "enrollment {id}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_unenroll_of_three_contacts_confirms_the_count_and_unenrolls_them() -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let (seq, es) = enrolled(&t, 4).await?;
    let chosen = &es[..3];
    let b = Browser::launch("app-bulk").await?;
    open_app(
        &b,
        &t,
        &t.sign_in_code().await?,
        &format!("#/sequences/{}", seq.id),
    )
    .await?;
    b.wait_for(&testid("enrollments-table")).await?;

    for e in chosen {
        b.click(&testid(&format!("row-select-{}", e.id))).await?;
    }
    b.wait_for_text(&testid("selection-count"), "3 selected")
        .await?;
    b.wait_for_text(&testid("bulk-unenroll"), "Unenroll (3)")
        .await?;
    b.click(&testid("bulk-unenroll")).await?;
    let dialog = b.text(&testid("confirm-dialog")).await?;
    assert!(dialog.contains("Unenroll 3 contacts?"), "{dialog}");
    assert!(
        dialog.contains("These 3 contacts will be unenrolled from Q4 outbound"),
        "{dialog}"
    );
    b.screenshot("app-1-bulk-confirm").await?;
    b.click(&testid("confirm-dialog-confirm")).await?;

    b.wait_for_absent(&testid("confirm-dialog")).await?;
    b.wait_for_text(
        &testid("announcer"),
        "3 contacts unenrolled from Q4 outbound.",
    )
    .await?;
    for e in chosen {
        b.wait_for_attr(
            &testid(&format!("enrollment-row-{}", e.id)),
            "data-state",
            "unenrolled",
        )
        .await?;
    }
    b.wait_for_attr(
        &testid(&format!("enrollment-row-{}", es[3].id)),
        "data-state",
        "active",
    )
    .await?;
    b.screenshot("app-2-bulk-done").await?;

    for e in chosen {
        assert_unenrolled_by_user(&t, e.id, UnenrollSurface::Bulk).await?;
    }
    assert_eq!(
        t.enrollment(es[3].id).await?.state,
        EnrollmentState::Active,
        "the unselected one stays"
    );
    b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focusing_a_scheduled_row_reveals_unenroll_which_removes_its_steps() -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let (seq, es) = enrolled(&t, 2).await?;
    let (target, other) = (&es[0], &es[1]);
    let b = Browser::launch("app-scheduled").await?;
    open_app(
        &b,
        &t,
        &t.sign_in_code().await?,
        &format!("#/sequences/{}/scheduled", seq.id),
    )
    .await?;
    b.wait_for(&testid("scheduled-table")).await?;

    let row = testid(&format!("scheduled-row-{}", target.id));
    let button = testid(&format!("scheduled-unenroll-{}", target.id));
    b.wait_for(&row).await?;
    b.wait_for_present(&button).await?;
    assert_eq!(
        b.css_value(&button, "opacity").await?,
        "0",
        "hidden until the row is hovered or focused"
    );
    b.focus(&row).await?;
    b.wait_until("the row's Unenroll to be revealed", || async {
        Ok((b.css_value(&button, "opacity").await? == "1").then_some(()))
    })
    .await?;
    b.screenshot("app-3-scheduled-revealed").await?;

    b.click(&button).await?;
    b.wait_for_text(&testid("confirm-dialog"), "Unenroll Cleo0 Tester?")
        .await?;
    b.click(&testid("confirm-dialog-confirm")).await?;
    b.wait_for_text(
        &testid("announcer"),
        "Cleo0 Tester was unenrolled from Q4 outbound.",
    )
    .await?;
    b.wait_for_absent(&row).await?;
    b.wait_for(&testid(&format!("scheduled-row-{}", other.id)))
        .await?;
    b.screenshot("app-4-scheduled-done").await?;

    assert_unenrolled_by_user(&t, target.id, UnenrollSurface::ScheduledTab).await?;
    let scheduled: ScheduledResponse = t
        .get(&format!("/sequences/{}/scheduled", seq.id))
        .await?
        .json()?;
    assert!(scheduled
        .scheduled
        .iter()
        .all(|s| s.enrollment_id != target.id));
    b.close().await
}

/// Opens the web app at `route` (`#/...`), signed in with a one-time sign-in `code`.
async fn open_app(b: &Browser, t: &TestApp, code: &str, route: &str) -> Result<()> {
    b.goto(&format!("{}/app/?code={code}{route}", t.base)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_records_unenroll_button_unenrolls_and_updates_the_record() -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let (_, es) = enrolled(&t, 1).await?;
    let e = &es[0];
    let b = Browser::launch("app-contact").await?;
    open_app(
        &b,
        &t,
        &t.sign_in_code().await?,
        &format!("#/contacts/{}", e.contact.id),
    )
    .await?;
    b.wait_for_attr(
        &testid("current-enrollment"),
        "data-enrollment-id",
        &e.id.to_string(),
    )
    .await?;
    let button = b
        .wait_for(&format!(
            "{} {}",
            testid("contact-header"),
            testid("contact-unenroll")
        ))
        .await?;
    assert_eq!(button.text().await?, "Unenroll");
    b.screenshot("app-5-contact-enrolled").await?;

    button.click().await?;
    b.wait_for_text(&testid("confirm-dialog"), "Unenroll Cleo0 Tester?")
        .await?;
    b.click(&testid("confirm-dialog-confirm")).await?;
    b.wait_for_text(
        &testid("announcer"),
        "Cleo0 Tester was unenrolled from Q4 outbound.",
    )
    .await?;
    b.wait_for(&testid("current-enrollment-none")).await?;
    b.wait_for_absent(&testid("contact-unenroll")).await?;
    b.wait_for_attr(&testid("past-enrollment"), "data-state", "unenrolled")
        .await?;
    b.wait_for(&format!(
        "{}[data-kind=\"unenrolled\"]",
        testid("timeline-event")
    ))
    .await?;
    b.screenshot("app-6-contact-unenrolled").await?;

    assert_unenrolled_by_user(&t, e.id, UnenrollSurface::ContactRecord).await?;
    b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_held_for_review_is_resumed_from_the_contact_record() -> Result<()> {
    use sequencer_tests::inbound::*;
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let (_, es) = enrolled(&t, 1).await?;
    let e = &es[0];
    // Unclassifiable mail in the thread holds the enrollment for the rep's review.
    let mb = t.mailbox().await?;
    let raw = template(
        "unknown.eml",
        &[
            ("ID", &new_id("unk")),
            ("PARENT", &t.last_sent_id(e.id).await?),
        ],
    )?;
    assert_eq!(t.deliver(&mb, &raw).await?.class, "unknown");
    assert_eq!(t.enrollment(e.id).await?.state, EnrollmentState::Paused);

    let b = Browser::launch("app-resume").await?;
    open_app(
        &b,
        &t,
        &t.sign_in_code().await?,
        &format!("#/contacts/{}", e.contact.id),
    )
    .await?;
    b.wait_for_text(&testid("current-enrollment"), "Held for review")
        .await?;
    let button = b.wait_for(&testid("resume-button")).await?;
    assert_eq!(button.text().await?, "Resume sequence");
    b.screenshot("app-7-contact-held-for-review").await?;
    button.click().await?;
    b.wait_for_text(&testid("announcer"), "Cleo0 Tester resumed in Q4 outbound.")
        .await?;
    b.wait_for_absent(&testid("resume-button")).await?;
    b.wait_for(&format!(
        "{}[data-kind=\"resumed\"]",
        testid("timeline-event")
    ))
    .await?;
    b.screenshot("app-8-contact-resumed").await?;
    let v = t.enrollment(e.id).await?;
    assert_eq!((v.state, v.pause_reason), (EnrollmentState::Active, None));
    b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_and_disconnects_a_mailbox_from_the_web_app() -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    // Reps see no Mailboxes link (connecting mailboxes is an admin's job).
    let rep = t
        .app
        .store
        .create_user(
            t.account.id,
            &sequencer_server::domain::EmailAddress::parse("rep2@seller.example")?,
            "Rey Rep",
            sequencer_server::domain::Role::User,
            None,
            None,
            t.app.now(),
        )
        .await?;
    let b = Browser::launch("app-mailboxes").await?;
    open_app(&b, &t, &t.app.sign_in_code(&rep).await?, "#/sequences").await?;
    b.wait_for_text(&testid("current-user"), "Rey Rep").await?;
    assert!(b.find_now(&testid("nav-mailboxes")).await?.is_none());
    // The admin opens the page from the navigation.
    open_app(&b, &t, &t.sign_in_code().await?, "#/sequences").await?;
    b.click(&testid("nav-mailboxes")).await?;
    b.wait_for(&testid("mailboxes-none")).await?;
    b.type_into(&testid("mailbox-address"), "rep@seller.example")
        .await?;
    b.click(&testid("mailbox-connect")).await?;
    let secret = b
        .wait_for(&testid("mailbox-secret-value"))
        .await?
        .text()
        .await?;
    assert!(
        secret.len() >= 32,
        "the webhook secret is shown once: {secret}"
    );
    // The form is cleared for the next mailbox (the password above all).
    let address = b
        .execute(
            "return document.querySelector('[data-testid=mailbox-address]').value;",
            vec![],
        )
        .await?;
    assert_eq!(address, serde_json::json!(""));
    b.wait_for_attr(&testid("mailbox"), "data-address", "rep@seller.example")
        .await?;
    b.screenshot("app-9-mailbox-connected").await?;
    let list: MailboxListResponse = t.get("/mailboxes").await?.json()?;
    assert_eq!(list.mailboxes.len(), 1);
    assert_eq!(list.mailboxes[0].address, "rep@seller.example");
    assert_eq!(list.mailboxes[0].webhook_secret, None, "never listed");

    b.click(&testid("mailbox-disconnect")).await?;
    b.wait_for_text(&testid("confirm-dialog"), "Disconnect rep@seller.example?")
        .await?;
    b.click(&testid("confirm-dialog-confirm")).await?;
    b.wait_for_text(&testid("announcer"), "rep@seller.example was disconnected.")
        .await?;
    b.wait_for(&testid("mailboxes-none")).await?;
    let list: MailboxListResponse = t.get("/mailboxes").await?.json()?;
    assert!(list.mailboxes.is_empty());
    b.close().await
}

/// The `value` (or, for a checkbox, `checked`) of the input with test id `id`.
async fn input(b: &Browser, id: &str) -> Result<serde_json::Value> {
    b.wait_for_present(&testid(id)).await?;
    b.execute(
        "const i = document.querySelector(arguments[0]);
         return i.type === 'checkbox' || i.type === 'radio' ? i.checked : i.value;",
        vec![serde_json::json!(testid(id))],
    )
    .await
}

/// The mailbox as the API lists it (the only one).
async fn listed_mailbox(t: &TestApp) -> Result<(MailboxView, ImapSettingsView)> {
    let list: MailboxListResponse = t.get("/mailboxes").await?.json()?;
    assert_eq!(list.mailboxes.len(), 1);
    let m = list.mailboxes[0].clone();
    let imap = m.imap.clone().context("IMAP settings")?;
    Ok((m, imap))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_an_imap_mailbox_without_tls_and_edits_it_from_the_web_app() -> Result<()>
{
    use sequencer_tests::imap::*;
    use serde_json::json;
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let tmp = tempfile::tempdir()?;
    let imap = Dovecot::start(tmp.path()).await?;
    // A second folder to watch later.
    imap.deliver(
        "Replies",
        "0.init",
        b"From: x@y.example\r\nSubject: init\r\n\r\n.\r\n",
    )?;
    let b = Browser::launch("app-mailbox-imap").await?;
    open_app(&b, &t, &t.sign_in_code().await?, "#/mailboxes").await?;
    b.wait_for(&testid("mailboxes-none")).await?;
    assert_eq!(
        input(&b, "mailbox-tls").await?,
        json!(true),
        "TLS by default"
    );
    assert_eq!(input(&b, "mailbox-auth-password").await?, json!(true));

    // Connect Dovecot (no implicit TLS), signing in with a password. A token typed and then
    // abandoned for the password is not sent.
    b.type_into(&testid("mailbox-address"), "rep@seller.example")
        .await?;
    b.type_into(&testid("mailbox-host"), "127.0.0.1").await?;
    b.type_into(&testid("mailbox-port"), &imap.port.to_string())
        .await?;
    b.click(&testid("mailbox-tls")).await?;
    b.type_into(&testid("mailbox-user"), IMAP_USER).await?;
    b.click(&testid("mailbox-auth-token")).await?;
    b.type_into(&testid("mailbox-token"), "abandoned-token")
        .await?;
    b.click(&testid("mailbox-auth-password")).await?;
    b.wait_for_absent(&testid("mailbox-token")).await?;
    b.type_into(&testid("mailbox-password"), IMAP_PASSWORD)
        .await?;
    b.type_into(&testid("mailbox-folders"), "INBOX").await?;
    b.click(&testid("mailbox-connect")).await?;
    b.wait_for(&testid("mailbox-secret-value")).await?;
    b.wait_for_text(
        &testid("mailbox-description"),
        &format!("IMAP 127.0.0.1:{} without TLS as rep · INBOX", imap.port),
    )
    .await?;
    assert_eq!(input(&b, "mailbox-password").await?, json!(""), "cleared");
    assert_eq!(input(&b, "mailbox-tls").await?, json!(true), "form reset");
    let (m, settings) = listed_mailbox(&t).await?;
    assert_eq!(
        (settings.host.as_str(), settings.port, settings.tls),
        ("127.0.0.1", imap.port, false)
    );
    assert_eq!(
        (settings.username.as_str(), settings.auth.as_str()),
        (IMAP_USER, "password")
    );
    assert_eq!(settings.folders, ["INBOX"]);
    // What the form stored really logs in.
    let stored = t.app.store.mailbox(m.id).await?.context("stored")?;
    t.app.sync_mailbox(&stored).await?;

    // Edit: the row's values are loaded, secrets are not; add a folder, keep the password.
    b.click(&testid("mailbox-edit")).await?;
    b.wait_for_text(&testid("mailbox-form-title"), "Edit rep@seller.example")
        .await?;
    for (id, expected) in [
        ("mailbox-address", json!("rep@seller.example")),
        ("mailbox-host", json!("127.0.0.1")),
        ("mailbox-port", json!(imap.port.to_string())),
        ("mailbox-tls", json!(false)),
        ("mailbox-user", json!(IMAP_USER)),
        ("mailbox-auth-password", json!(true)),
        ("mailbox-password", json!("")),
        ("mailbox-folders", json!("INBOX")),
    ] {
        assert_eq!(input(&b, id).await?, expected, "{id}");
    }
    b.wait_for_text(
        &testid("mailbox-secret-hint"),
        "Leave empty to keep the stored password.",
    )
    .await?;
    assert_eq!(
        b.attr(&testid("mailbox-save"), "type").await?.as_deref(),
        Some("submit")
    );
    b.wait_for_absent(&testid("mailbox-connect")).await?;
    b.replace_text(&testid("mailbox-folders"), "INBOX, Replies")
        .await?;
    b.screenshot("app-10-mailbox-editing").await?;
    b.click(&testid("mailbox-save")).await?;
    b.wait_for_text(&testid("announcer"), "Saved rep@seller.example.")
        .await?;
    b.wait_for_text(&testid("mailbox-form-title"), "Connect a mailbox")
        .await?;
    b.wait_for_text(&testid("mailbox-description"), "· INBOX, Replies")
        .await?;
    let (m2, settings) = listed_mailbox(&t).await?;
    assert_eq!((m2.id, settings.tls), (m.id, false));
    assert_eq!(settings.folders, ["INBOX", "Replies"]);
    let stored = t.app.store.mailbox(m.id).await?.context("stored")?;
    t.app.sync_mailbox(&stored).await?;
    assert!(
        t.app
            .store
            .imap_folder_state(m.id, "Replies")
            .await?
            .is_some(),
        "the kept password still logs in, and the new folder is read"
    );

    // A new username without its password: the server refuses, the form keeps what was typed.
    b.click(&testid("mailbox-edit")).await?;
    b.wait_for_text(&testid("mailbox-form-title"), "Edit rep@seller.example")
        .await?;
    b.replace_text(&testid("mailbox-user"), "someone-else")
        .await?;
    b.wait_for_text(
        &testid("mailbox-secret-hint"),
        "The server or user name changed, so enter its password.",
    )
    .await?;
    b.replace_text(&testid("mailbox-folders"), "Replies")
        .await?;
    b.click(&testid("mailbox-save")).await?;
    b.wait_for_text(
        &testid("mailbox-error"),
        "a new IMAP server or username needs its password or OAuth2 token",
    )
    .await?;
    b.screenshot("app-11-mailbox-edit-refused").await?;
    for (id, expected) in [
        ("mailbox-user", json!("someone-else")),
        ("mailbox-folders", json!("Replies")),
        ("mailbox-host", json!("127.0.0.1")),
        ("mailbox-tls", json!(false)),
    ] {
        assert_eq!(input(&b, id).await?, expected, "{id}");
    }
    b.wait_for_text(&testid("mailbox-form-title"), "Edit rep@seller.example")
        .await?;
    let (_, settings) = listed_mailbox(&t).await?;
    assert_eq!(settings.username, IMAP_USER, "nothing changed");

    // Cancel ends the edit and gives focus back to the row's Edit button; so does Escape.
    b.click(&testid("mailbox-cancel-edit")).await?;
    b.wait_for_text(&testid("mailbox-form-title"), "Connect a mailbox")
        .await?;
    b.wait_for_absent(&testid("mailbox-error")).await?;
    b.wait_for_absent(&testid("mailbox-cancel-edit")).await?;
    assert_eq!(input(&b, "mailbox-user").await?, json!(""));
    let focused = "return document.activeElement && document.activeElement.dataset.testid;";
    assert_eq!(b.execute(focused, vec![]).await?, json!("mailbox-edit"));
    b.click(&testid("mailbox-edit")).await?;
    b.wait_for_text(&testid("mailbox-form-title"), "Edit rep@seller.example")
        .await?;
    assert_eq!(b.execute(focused, vec![]).await?, json!("mailbox-address"));
    b.type_into(&testid("mailbox-address"), "\u{E00C}").await?; // Escape
    b.wait_for_text(&testid("mailbox-form-title"), "Connect a mailbox")
        .await?;
    b.close().await
}
