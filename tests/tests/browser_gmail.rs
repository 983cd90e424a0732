//! The Gmail extension, rendered by `sequencer_server::manifests` for the test server and loaded
//! unpacked into headless Chromium, against a local Gmail-like compose page on loopback
//! (`tests/data/hosts/gmail-like.html`). The production manifest matches only
//! https://mail.google.com; this rendering adds the page's loopback origin (a test-only option).
//! Google sign-in runs for real in Chromium (`chrome.identity.launchWebAuthFlow`) against the
//! local IdP's authorization endpoint (`tests/src/idp.rs`), which the extension is rendered with
//! in place of accounts.google.com, as a deployment would set `SEQUENCER_GOOGLE_AUTH_URL`.
//! Screenshots: `target/artifacts/screenshots/gmail-*.png`.

use anyhow::{Context, Result};
use fantoccini::Locator;
use reqwest::Method;
use sequencer_server::manifests::{self, BaseUrl, Deployment};
use sequencer_tests::browser::{
    card, frontend_dist, spawn_app_with_frontend, spawn_app_with_frontend_configured, testid,
    Browser, BrowserOptions,
};
use sequencer_tests::idp::{self, GoogleSession, GoogleUser, LocalIdp};
use sequencer_tests::*;
use shared::*;

const GMAIL_LIKE: &str = include_str!("../data/hosts/gmail-like.html");
const ENTER: &str = "\u{E007}";

/// Serves the Gmail-like page on a loopback port; returns its origin.
fn serve_gmail_like() -> Result<String> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let origin = format!("http://{}", listener.local_addr()?);
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(GMAIL_LIKE)
        }))
    })
    .workers(1)
    .listen(listener)?
    .run();
    tokio::spawn(server);
    Ok(origin)
}

struct Gmail {
    b: Browser,
    page: String,
    /// `chrome-extension://<id>/addin/panel.html`.
    panel_page: String,
    _ext: tempfile::TempDir,
}

/// Reads `sequencerToken` from chrome.storage.local (run on an extension page).
const READ_TOKEN: &str = "const done = arguments[arguments.length - 1]; chrome.storage.local.get('sequencerToken').then((r) => done(r.sequencerToken ?? null));";

/// Renders the extension for the test server (plus the Gmail-like origin), loads it, and signs
/// the panel in by opening the extension page once with a session token (kept in its storage).
async fn gmail(t: &TestApp, label: &str) -> Result<Gmail> {
    let g = load_extension(t, label).await?;
    let b = &g.b;
    b.goto(&format!("{}?token={}", g.panel_page, t.token()))
        .await?;
    b.wait_for(&testid("panel-empty"))
        .await
        .context("the extension's panel page did not start")?;
    // The panel keeps the token in chrome.storage.local, for every panel Gmail's pages frame.
    let token = t.token();
    b.wait_until("the token in chrome.storage.local", || async {
        Ok((b.execute_async(READ_TOKEN, vec![]).await? == serde_json::json!(token)).then_some(()))
    })
    .await?;
    Ok(g)
}

/// Renders the extension as the test server would serve it (its identity settings, plus the
/// Gmail-like origin), loads it unpacked, and finds its panel page; nobody is signed in and no
/// page is open.
async fn load_extension(t: &TestApp, label: &str) -> Result<Gmail> {
    let page = serve_gmail_like()?;
    let dep = Deployment::new(BaseUrl::parse(&t.base)?)
        .with_identity(&t.app.settings.identity.config)
        .with_test_origin(&page)?;
    let bundle = manifests::read_bundle(&frontend_dist()?)?;
    let ext = tempfile::Builder::new()
        .prefix("sequencer-gmail-")
        .tempdir()?;
    let dir = ext.path().canonicalize()?;
    manifests::write_all(&dir, &manifests::render_gmail_extension(&dep, &bundle)?)?;
    let mut options = BrowserOptions::new(label);
    options.window = (1720, 900);
    options
        .extra_args
        .push(format!("--load-extension={}", dir.display()));
    options
        .extra_args
        .push(format!("--disable-extensions-except={}", dir.display()));
    let b = Browser::launch_with(options).await?;
    // The content script's first panel names the extension's origin.
    b.goto(&format!("{page}/mail/u/0/#inbox")).await?;
    b.click(&testid("compose-button")).await?;
    let src = b
        .attr("iframe[data-sequencer-panel]", "src")
        .await?
        .context("the panel iframe has no src")?;
    let panel_page = src.split('?').next().unwrap_or_default().to_string();
    anyhow::ensure!(
        panel_page.starts_with("chrome-extension://") && panel_page.ends_with("/addin/panel.html"),
        "{src}"
    );
    // Leave the page, so a test starts with no compose window open.
    b.goto("about:blank").await?;
    Ok(Gmail {
        b,
        page,
        panel_page,
        _ext: ext,
    })
}

/// Runs `f` inside the panel iframe of compose window `n`, then returns to the page.
async fn in_panel<T>(b: &Browser, n: u32, f: impl AsyncFnOnce(&Browser) -> Result<T>) -> Result<T> {
    let frame = b
        .wait_for(&format!("iframe[data-sequencer-panel=\"{n}\"]"))
        .await?;
    frame.enter_frame().await?;
    let result = f(b).await;
    b.client().enter_parent_frame().await?;
    result
}

async fn add_recipient(b: &Browser, compose: u32, field: &str, email: &str) -> Result<()> {
    b.type_into(
        &format!(
            "{} {}",
            testid(&format!("compose-{compose}")),
            testid(&format!("{field}-input"))
        ),
        &format!("{email}{ENTER}"),
    )
    .await
}

/// Ana, enrolled in the two-step "Q4 outbound".
async fn enroll_ana(t: &TestApp) -> Result<EnrollmentView> {
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let seq = t.email_sequence("Q4 outbound", &[2, 3]).await?;
    t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .context("enrolled")
}

/// In compose window 1's panel: the banner names enrollment `id` (screenshot `shots[0]`), and
/// Unenroll there (screenshot `shots[1]`) unenrolls it on the server, from the Gmail panel.
async fn unenroll_in_panel(b: &Browser, t: &TestApp, id: i64, shots: [&str; 2]) -> Result<()> {
    in_panel(b, 1, async |b| {
        let banner = b
            .wait_for(&card("ana@globex.example", "enrollment-banner"))
            .await?;
        assert_eq!(
            banner.attr("data-enrollment-id").await?,
            Some(id.to_string())
        );
        Ok(())
    })
    .await?;
    b.screenshot(shots[0]).await?;
    in_panel(b, 1, async |b| {
        b.unenroll_from_card("ana@globex.example").await?;
        b.wait_for_text(&testid("announcer"), "was unenrolled from Q4 outbound.")
            .await
            .map(drop)
    })
    .await?;
    b.screenshot(shots[1]).await?;
    let v = t.enrollment(id).await?;
    assert_eq!(v.state, EnrollmentState::Unenrolled);
    assert_eq!(
        v.evidence.and_then(|x| x.surface),
        Some(UnenrollSurface::GmailPanel)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_added_in_gmail_compose_shows_the_panel_with_the_banner_and_unenroll_works(
) -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let e = enroll_ana(&t).await?;
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
        b.execute_async(READ_TOKEN, vec![]).await?,
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
                Ok(
                    (b.execute_async(READ_TOKEN, vec![]).await? == serde_json::Value::Null)
                        .then_some(()),
                )
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

/// An app whose Google sign-in is `idp` (its JWKS, and its authorization endpoint rendered into
/// the extension), trusting the `seller.example` Workspace domain; the IdP mints on the app's clock.
async fn app_with_google(idp: &LocalIdp) -> Result<TestApp> {
    let config = idp.config();
    let t = spawn_app_with_frontend_configured(Db::Sqlite, move |app| app.with_identity(config))
        .await?;
    let trust = AccountSettingsView {
        trusted_tenant_ids: vec![],
        google_hosted_domains: vec!["seller.example".into()],
    };
    let a = t
        .send_as(&t.token(), Method::PUT, "/account/settings", &trust)
        .await?;
    anyhow::ensure!(a.status == 200, "{}", a.body);
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
    let e = enroll_ana(&t).await?;
    idp.set_google_session(GoogleSession::User(rita()));
    let g = load_extension(&t, "gmail-google-sign-in").await?;
    register_extension(&idp, &g)?;
    let b = &g.b;
    b.goto(&format!("{}/mail/u/0/#inbox", g.page)).await?;
    b.click(&testid("compose-button")).await?;
    in_panel(b, 1, async |b| {
        b.wait_for(&testid("panel-empty")).await?;
        let stored = b.execute_async(READ_TOKEN, vec![]).await?;
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
    let stored = in_panel(b, 1, async |b| b.execute_async(READ_TOKEN, vec![]).await).await?;
    let session = stored
        .as_str()
        .context("no session in chrome.storage.local")?;
    let me: MeResponse = t.get_as(session, "/me").await?.json()?;
    assert_eq!(me.user.id, t.user.id.0);
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
            let stored = b.execute_async(READ_TOKEN, vec![]).await?;
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

/// Reads the "signed out by the user" mark from chrome.storage.local (run on an extension page).
const READ_SIGNED_OUT: &str = "const done = arguments[arguments.length - 1]; chrome.storage.local.get('sequencerSignedOut').then((r) => done(r.sequencerSignedOut ?? null));";

/// The session stored in chrome.storage.local is Rita's (read in compose window `n`'s panel).
async fn stored_session_is_ritas(b: &Browser, t: &TestApp, n: u32) -> Result<()> {
    let stored = in_panel(b, n, async |b| b.execute_async(READ_TOKEN, vec![]).await).await?;
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
    enroll_ana(&t).await?;
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
        let stored = b.execute_async(READ_TOKEN, vec![]).await?;
        anyhow::ensure!(stored.is_null(), "a session is still stored: {stored}");
        let local = b
            .execute("return localStorage.getItem('sequencer.token');", vec![])
            .await?;
        anyhow::ensure!(local.is_null(), "localStorage still holds {local}");
        assert_eq!(
            b.execute_async(READ_SIGNED_OUT, vec![]).await?,
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
            b.execute_async(READ_SIGNED_OUT, vec![]).await?,
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
