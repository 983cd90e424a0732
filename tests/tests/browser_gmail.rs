//! The Gmail extension in headless Chromium (`tests/src/gmail.rs`) against a local Gmail-like
//! compose page on loopback: the panel beside each compose window, its banner and Unenroll, and a
//! stored session the server refuses. Google sign-in: `browser_gmail_google.rs`.
//! Screenshots: `target/artifacts/screenshots/gmail-*.png`.

use anyhow::Result;
use fantoccini::Locator;
use sequencer_tests::browser::{card, enrolled_ana, spawn_app_with_frontend, testid};
use sequencer_tests::gmail::*;
use sequencer_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_added_in_gmail_compose_shows_the_panel_with_the_banner_and_unenroll_works(
) -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let e = enrolled_ana(&t).await?;
    let g = gmail(&t, "gmail-unenroll").await?;
    let b = &g.b;
    b.goto(&format!("{}/mail/u/0/#inbox", g.page)).await?;
    b.click(&testid("compose-button")).await?;
    in_panel(b, 1, async |b| {
        b.wait_for(&testid("panel-empty")).await.map(drop)
    })
    .await?;

    add_recipient(b, 1, "to", "ana@globex.example").await?;
    unenroll_in_panel(
        b,
        &t,
        e.id,
        [
            "gmail-1-compose-enrolled-banner",
            "gmail-2-compose-unenrolled",
        ],
    )
    .await?;
    g.b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_compose_windows_keep_separate_panels() -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    t.contact("bo@initech.example", "Bo", None).await?;
    let seq = t.email_sequence("Q4 outbound", &[2, 3]).await?;
    t.enroll(seq.id, &[c.id]).await?;
    let g = gmail(&t, "gmail-two-composes").await?;
    let b = &g.b;
    // Gmail's older compose layout (recipient rows in a table): the selectors' fallback.
    b.goto(&format!("{}/mail/u/0/?layout=classic#inbox", g.page))
        .await?;
    b.click(&testid("compose-button")).await?;
    b.click(&testid("compose-button")).await?;
    add_recipient(b, 1, "to", "ana@globex.example").await?;
    add_recipient(b, 2, "to", "bo@initech.example").await?;
    add_recipient(b, 2, "cc", "carol@nowhere.example").await?;

    in_panel(b, 1, async |b| {
        b.wait_for(&card("ana@globex.example", "enrollment-banner"))
            .await?;
        anyhow::ensure!(
            b.find_now(&card("bo@initech.example", "")).await?.is_none(),
            "compose 1 shows compose 2's recipient"
        );
        Ok(())
    })
    .await?;
    in_panel(b, 2, async |b| {
        b.wait_for_attr(
            &card("bo@initech.example", ""),
            "data-status",
            "not_enrolled",
        )
        .await?;
        b.wait_for_attr(
            &card("carol@nowhere.example", ""),
            "data-status",
            "not_in_crm",
        )
        .await?;
        anyhow::ensure!(
            b.find_now(&card("ana@globex.example", "")).await?.is_none(),
            "compose 2 shows compose 1's recipient"
        );
        Ok(())
    })
    .await?;
    b.screenshot("gmail-3-two-compose-windows").await?;

    // Closing compose 1 removes its panel only.
    b.execute(
        "document.querySelector('[data-testid=\"compose-1\"]').remove();",
        vec![],
    )
    .await?;
    b.wait_for_absent("iframe[data-sequencer-panel=\"1\"]")
        .await?;
    anyhow::ensure!(
        b.client()
            .find_all(Locator::Css("iframe[data-sequencer-panel=\"2\"]"))
            .await?
            .len()
            == 1,
        "panel 2 stays"
    );
    g.b.close().await
}

/// A stored session token the server no longer accepts (expired, revoked) is forgotten by the
/// panel that meets it, in memory and in chrome.storage.local, and the panel asks to sign in
/// instead of failing with the same token on every compose window forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_stored_token_is_forgotten_and_the_panel_asks_to_sign_in() -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    t.contact("ana@globex.example", "Ana", None).await?;
    let g = gmail(&t, "gmail-refused-token").await?;
    let b = &g.b;
    // Replace the stored token by one the server refuses.
    b.goto(&g.panel_page).await?;
    let set = "const done = arguments[arguments.length - 1]; localStorage.setItem('sequencer.token', 'v1.refused-by-the-server'); chrome.storage.local.set({ sequencerToken: 'v1.refused-by-the-server' }).then(() => done(true));";
    b.execute_async(set, vec![]).await?;
    assert_eq!(
        chrome_stored(b, SESSION_KEY).await?,
        serde_json::json!("v1.refused-by-the-server")
    );

    b.goto(&format!("{}/mail/u/0/#inbox", g.page)).await?;
    b.click(&testid("compose-button")).await?;
    add_recipient(b, 1, "to", "ana@globex.example").await?;
    in_panel(b, 1, async |b| {
        b.wait_for(&testid("panel-signin-link")).await?;
        b.wait_until(
            "the refused token removed from chrome.storage.local",
            || async {
                Ok((chrome_stored(b, SESSION_KEY).await? == serde_json::Value::Null).then_some(()))
            },
        )
        .await?;
        let local = b
            .execute("return localStorage.getItem('sequencer.token');", vec![])
            .await?;
        anyhow::ensure!(local.is_null(), "localStorage still holds {local}");
        Ok(())
    })
    .await?;
    b.screenshot("gmail-3-refused-token-sign-in").await?;
    g.b.close().await
}
