//! Webhook secrets at rest (issue 19, finding 12): a mailbox's webhook secret is stored sealed
//! like IMAP passwords (`crypto.rs`), shown once on create, and opened only to verify a delivery.
//! A legacy plaintext secret (a row from before sealing) still verifies, is sealed by
//! `App::seal_stored_credentials` at startup (once: idempotent), and verifies after that too.

use anyhow::{Context, Result};
use sequencer_server::domain::EmailAddress;
use sequencer_server::service::mailboxes::webhook_signature;
use sequencer_tests::*;
use shared::*;

both_backends! {
    webhook_secrets_are_stored_sealed_and_legacy_plaintext_ones_are_sealed_at_startup => sealed;
}

/// Whether a delivery signed with `secret` verifies for `mailbox` (and a wrong secret does not).
async fn verifies(t: &TestApp, mailbox: i64, secret: &str) -> Result<bool> {
    let ts = (T0 / 1000).to_string();
    let body = b"From: a@b.example\r\n\r\nhi";
    let good = t
        .app
        .verify_webhook(mailbox, &ts, &webhook_signature(secret, &ts, body), body)
        .await
        .is_ok();
    let forged = t
        .app
        .verify_webhook(mailbox, &ts, &webhook_signature("wrong", &ts, body), body)
        .await
        .is_ok();
    anyhow::ensure!(!forged, "a wrong secret verified");
    Ok(good)
}

async fn sealed(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let a = t
        .post(
            "/mailboxes",
            &MailboxRequest {
                address: "rep@seller.example".into(),
                user_id: None,
                imap: None,
            },
        )
        .await?;
    anyhow::ensure!(a.status == 201, "{} {}", a.status, a.body);
    let view: MailboxView = a.json()?;
    let secret = view.webhook_secret.context("shown once")?;
    let row = t.app.store.mailbox(view.id).await?.context("stored")?;
    assert!(
        row.webhook_secret.starts_with("v1:") && !row.webhook_secret.contains(&secret),
        "stored sealed, not as {secret}"
    );
    assert!(
        verifies(&t, view.id, &secret).await?,
        "the shown secret verifies"
    );

    // A row from before sealing.
    let legacy = "0123456789abcdef0123456789abcdef-legacy";
    let old = t
        .app
        .store
        .create_mailbox(
            t.account.id,
            None,
            &EmailAddress::parse("old@seller.example")?,
            legacy,
            None,
            T0,
        )
        .await?;
    assert!(
        verifies(&t, old.id, legacy).await?,
        "legacy plaintext verifies"
    );
    assert_eq!(
        t.app.seal_stored_credentials().await?,
        1,
        "only the legacy row"
    );
    assert_eq!(t.app.seal_stored_credentials().await?, 0, "idempotent");
    let row = t.app.store.mailbox(old.id).await?.context("stored")?;
    assert!(row.webhook_secret.starts_with("v1:") && !row.webhook_secret.contains(legacy));
    assert!(verifies(&t, old.id, legacy).await?, "verifies once sealed");
    assert!(
        verifies(&t, view.id, &secret).await?,
        "the other one still does"
    );
    Ok(())
}
