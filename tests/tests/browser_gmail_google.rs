//! Google sign-in from the Gmail extension's panel, for real in headless Chromium
//! (`chrome.identity.launchWebAuthFlow`) against the local IdP's authorization endpoint
//! (`tests/src/idp.rs`), which the extension is rendered with in place of accounts.google.com, as
//! a deployment would set `SEQUENCER_GOOGLE_AUTH_URL`: silent sign-in with no stored session,
//! refusals, Sign in with Google on request, and Sign out.
//! Screenshots: `target/artifacts/screenshots/gmail-*.png`.

use anyhow::{Context, Result};
use sequencer_tests::browser::{
    card, enrolled_ana, spawn_app_with_frontend_configured, testid, Browser,
};
use sequencer_tests::gmail::*;
use sequencer_tests::idp::{self, GoogleSession, GoogleUser, LocalIdp};
use sequencer_tests::*;
use shared::*;

/// An app whose Google sign-in is `idp` (its JWKS, and its authorization endpoint rendered into
/// the extension), trusting the `seller.example` Workspace domain; the IdP mints on the app's clock.
async fn app_with_google(idp: &LocalIdp) -> Result<TestApp> {
    let config = idp.config();
    let t = spawn_app_with_frontend_configured(Db::Sqlite, move |app| app.with_identity(config))
        .await?;
    // Proven with the admin's own Google ID token (issue 19: trust is proven, not listed).
    let a = idp
        .prove_domain(&t, &t.token(), "rep@seller.example", "seller.example")
        .await?;
    anyhow::ensure!(a.status == 201, "{}", a.body);
    idp.set_clock(t.clock.clone());
    Ok(t)
}

/// Registers the extension's redirect URI (`chrome.identity.getRedirectURL()`) at the IdP, as an
/// admin registers it for the OAuth client at Google.
fn register_extension(idp: &LocalIdp, g: &Gmail) -> Result<()> {
    let id = g
        .panel_page
        .strip_prefix("chrome-extension://")
        .and_then(|rest| rest.split('/').next())
        .context("no extension id")?;
    idp.register_redirect_uri(&format!("https://{id}.chromiumapp.org/"));
    Ok(())
}

/// The `prompt` of every authorization request from the `from`-th on (`""`: none, a silent try).
fn prompts(idp: &LocalIdp, from: usize) -> Vec<String> {
    idp.google_requests()
        .iter()
        .skip(from)
        .map(|q| q.get("prompt").cloned().unwrap_or_default())
        .collect()
}

fn rita() -> GoogleUser {
    GoogleUser {
        sub: "g-rita".into(),
        email: "rep@seller.example".into(),
        hd: Some("seller.example".into()),
    }
}

/// No session stored: the panel signs in with Google itself. chrome.identity's web auth flow goes
/// to the authorization endpoint the extension was rendered with (the local IdP standing in for
/// accounts.google.com), silently since the user is signed in and consented; the ID token comes
/// back on the extension's redirect URI, is exchanged at the server, and the session is kept in
/// chrome.storage.local for every panel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_stored_session_the_panel_signs_in_with_google_and_unenroll_works() -> Result<()>
{
    let idp = LocalIdp::start().await?;
    let t = app_with_google(&idp).await?;
    let e = enrolled_ana(&t).await?;
    idp.set_google_session(GoogleSession::User(rita()));
    let g = load_extension(&t, "gmail-google-sign-in").await?;
    register_extension(&idp, &g)?;
    let b = &g.b;
    b.goto(&format!("{}/mail/u/0/#inbox", g.page)).await?;
    b.click(&testid("compose-button")).await?;
    in_panel(b, 1, async |b| {
        b.wait_for(&testid("panel-empty")).await?;
        let stored = chrome_stored(b, SESSION_KEY).await?;
        anyhow::ensure!(stored.is_null(), "a session is stored already: {stored}");
        Ok(())
    })
    .await?;
    anyhow::ensure!(
        idp.google_requests().is_empty(),
        "no sign-in without recipients"
    );

    add_recipient(b, 1, "to", "ana@globex.example").await?;
    unenroll_in_panel(
        b,
        &t,
        e.id,
        [
            "gmail-4-google-sign-in-banner",
            "gmail-4-google-sign-in-unenrolled",
        ],
    )
    .await?;
    // The exchanged session is stored, and it is Rita's.
    stored_session_is_ritas(b, &t, 1).await?;
    // Every request was the silent, well-formed implicit flow (the user had consented).
    let requests = idp.google_requests();
    anyhow::ensure!(!requests.is_empty(), "the IdP was never asked");
    for q in &requests {
        assert_eq!(
            q.get("client_id").map(String::as_str),
            Some(idp::GOOGLE_CLIENT_ID)
        );
        assert_eq!(q.get("response_type").map(String::as_str), Some("id_token"));
        assert_eq!(
            q.get("scope").map(String::as_str),
            Some("openid email profile")
        );
        assert_eq!(q.get("prompt"), None, "silent: {q:?}");
        assert!(q.get("nonce").is_some_and(|n| n.len() >= 32), "{q:?}");
    }
    g.b.close().await
}

/// A Google sign-in that ends without a session leaves the panel asking to sign in (with Google), not loading
/// forever, and stores nothing: the user declines (after the silent try the panel asks again with
/// the account chooser), the redirect carries a valid ID token minted for another sign-in (the
/// panel refuses it for its nonce: the server alone would have accepted it), or the signed-in
/// account is a personal one whose domain the account does not trust (the server refuses it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_google_sign_in_leaves_the_panel_asking_to_sign_in() -> Result<()> {
    let idp = LocalIdp::start().await?;
    let t = app_with_google(&idp).await?;
    t.contact("ana@globex.example", "Ana", None).await?;
    let g = load_extension(&t, "gmail-google-refused").await?;
    register_extension(&idp, &g)?;
    let b = &g.b;
    b.goto(&format!("{}/mail/u/0/#inbox", g.page)).await?;
    let personal = GoogleUser {
        sub: "g-personal".into(),
        email: "rep@seller.example".into(),
        hd: None,
    };
    let cases = [
        ("denied", GoogleSession::Denied, true),
        ("replayed", GoogleSession::Replayed(rita()), false),
        ("untrusted-domain", GoogleSession::User(personal), false),
    ];
    for (n, (label, session, asks_again)) in (1..).zip(cases) {
        let what = format!("{session:?}");
        idp.set_google_session(session);
        let before = idp.google_requests().len();
        b.click(&testid("compose-button")).await?;
        add_recipient(b, n, "to", "ana@globex.example").await?;
        in_panel(b, n, async |b| {
            b.wait_for(&testid("panel-signin-google")).await?;
            let stored = chrome_stored(b, SESSION_KEY).await?;
            anyhow::ensure!(stored.is_null(), "{what}: stored {stored}");
            Ok(())
        })
        .await
        .with_context(|| what.clone())?;
        // Each flow tried silently first, and asked again (with the account chooser) only when
        // the IdP said no; wait until every flow of this case is done with the IdP.
        let asked = b
            .wait_until(&format!("{what}: the sign-in flows to finish"), || async {
                let p = prompts(&idp, before);
                let silent = p.iter().filter(|p| p.is_empty()).count();
                let chooser = p.iter().filter(|p| *p == "select_account").count();
                let done = silent >= 1 && chooser == if asks_again { silent } else { 0 };
                Ok(done.then_some(p))
            })
            .await?;
        anyhow::ensure!(
            asked.iter().all(|p| p.is_empty() || p == "select_account"),
            "{what}: {asked:?}"
        );
        // Nothing stored once every flow is done, late ones included.
        let stored = in_panel(b, n, async |b| chrome_stored(b, SESSION_KEY).await).await?;
        anyhow::ensure!(stored.is_null(), "{what}: stored {stored} after the flows");
        b.screenshot(&format!("gmail-5-google-sign-in-{label}"))
            .await?;
        // Close this compose window, so the next case's is in view.
        b.execute(
            &format!("document.querySelector('[data-testid=\"compose-{n}\"]').remove();"),
            vec![],
        )
        .await?;
    }
    g.b.close().await
}

/// The session stored in chrome.storage.local is Rita's (read in compose window `n`'s panel).
async fn stored_session_is_ritas(b: &Browser, t: &TestApp, n: u32) -> Result<()> {
    let stored = in_panel(b, n, async |b| chrome_stored(b, SESSION_KEY).await).await?;
    let session = stored
        .as_str()
        .context("no session in chrome.storage.local")?;
    let me: MeResponse = t.get_as(session, "/me").await?.json()?;
    assert_eq!(me.user.id, t.user.id.0);
    Ok(())
}

/// In Gmail the signed-out panel signs in with Google itself (the account chooser), not through
/// the web app, and "Sign out" forgets the session everywhere and keeps the panel signed out:
/// no silent sign-in in the next compose window until the user signs in again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_signs_in_with_google_on_request_and_signing_out_stays_signed_out() -> Result<()>
{
    let idp = LocalIdp::start().await?;
    let t = app_with_google(&idp).await?;
    enrolled_ana(&t).await?;
    idp.set_google_session(GoogleSession::Denied);
    let g = load_extension(&t, "gmail-sign-in-out").await?;
    register_extension(&idp, &g)?;
    let b = &g.b;
    b.goto(&format!("{}/mail/u/0/#inbox", g.page)).await?;
    b.click(&testid("compose-button")).await?;
    add_recipient(b, 1, "to", "ana@globex.example").await?;
    in_panel(b, 1, async |b| {
        b.wait_for(&testid("panel-signin-google")).await?;
        anyhow::ensure!(
            b.find_now(&testid("panel-signin-link")).await?.is_none(),
            "Gmail's panel links to the web app's sign-in"
        );
        anyhow::ensure!(
            b.find_now(&testid("panel-signout")).await?.is_none(),
            "Sign out offered while signed out"
        );
        Ok(())
    })
    .await?;
    b.screenshot("gmail-6-sign-in-with-google").await?;

    // The user signs in: straight to the account chooser, then the lookup runs again.
    idp.set_google_session(GoogleSession::User(rita()));
    let before = idp.google_requests().len();
    in_panel(b, 1, async |b| {
        b.click(&testid("panel-signin-google")).await?;
        b.wait_for(&card("ana@globex.example", "enrollment-banner"))
            .await
            .map(drop)
    })
    .await?;
    assert_eq!(prompts(&idp, before), ["select_account"]);
    stored_session_is_ritas(b, &t, 1).await?;

    // Sign out: the session is gone from every store, and the panel says so.
    in_panel(b, 1, async |b| {
        b.click(&testid("panel-signout")).await?;
        b.wait_for(&testid("panel-signin-google")).await?;
        b.wait_for_text(&testid("announcer"), "Signed out of Sequencer.")
            .await?;
        let stored = chrome_stored(b, SESSION_KEY).await?;
        anyhow::ensure!(stored.is_null(), "a session is still stored: {stored}");
        let local = b
            .execute("return localStorage.getItem('sequencer.token');", vec![])
            .await?;
        anyhow::ensure!(local.is_null(), "localStorage still holds {local}");
        assert_eq!(
            chrome_stored(b, "sequencerSignedOut").await?,
            serde_json::json!(true)
        );
        Ok(())
    })
    .await?;
    b.screenshot("gmail-6-signed-out").await?;

    // A new compose window does not sign in silently, though Google would have answered.
    let before = idp.google_requests().len();
    b.click(&testid("compose-button")).await?;
    add_recipient(b, 2, "to", "ana@globex.example").await?;
    in_panel(b, 2, async |b| {
        b.wait_for(&testid("panel-signin-google")).await.map(drop)
    })
    .await?;
    assert_eq!(
        prompts(&idp, before),
        Vec::<String>::new(),
        "a silent sign-in"
    );

    // A sign-in the user declines keeps the panel signed out, with the reason.
    idp.set_google_session(GoogleSession::Denied);
    in_panel(b, 2, async |b| {
        b.click(&testid("panel-signin-google")).await?;
        b.wait_for_text(&testid("panel-signin-error"), "cancelled or refused")
            .await?;
        b.wait_for(&testid("panel-signin-google")).await.map(drop)
    })
    .await?;
    assert_eq!(prompts(&idp, before), ["select_account"]);

    // Signing in again asks with the account chooser, clears the mark, and shows the banner.
    idp.set_google_session(GoogleSession::User(rita()));
    in_panel(b, 2, async |b| {
        b.click(&testid("panel-signin-google")).await?;
        b.wait_for(&card("ana@globex.example", "enrollment-banner"))
            .await?;
        b.wait_for(&testid("panel-signout")).await?;
        assert_eq!(
            chrome_stored(b, "sequencerSignedOut").await?,
            serde_json::Value::Null
        );
        Ok(())
    })
    .await?;
    assert_eq!(prompts(&idp, before), ["select_account", "select_account"]);
    stored_session_is_ritas(b, &t, 2).await?;
    b.screenshot("gmail-6-signed-in-again").await?;
    g.b.close().await
}
