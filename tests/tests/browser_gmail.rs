//! The Gmail extension, rendered by `sequencer_server::manifests` for the test server and loaded
//! unpacked into headless Chromium, against a local Gmail-like compose page on loopback
//! (`tests/data/hosts/gmail-like.html`). The production manifest matches only
//! https://mail.google.com; this rendering adds the page's loopback origin (a test-only option).
//! Screenshots: `target/artifacts/screenshots/gmail-*.png`.

use anyhow::{Context, Result};
use fantoccini::Locator;
use sequencer_server::manifests::{self, BaseUrl, Deployment};
use sequencer_tests::browser::{
    card, frontend_dist, spawn_app_with_frontend, testid, Browser, BrowserOptions,
};
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
    let page = serve_gmail_like()?;
    let dep = Deployment::new(BaseUrl::parse(&t.base)?).with_test_origin(&page)?;
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
    b.goto(&format!("{panel_page}?token={}", t.token())).await?;
    b.wait_for(&testid("panel-empty"))
        .await
        .context("the extension's panel page did not start")?;
    // The panel keeps the token in chrome.storage.local, for every panel Gmail's pages frame.
    let token = t.token();
    b.wait_until("the token in chrome.storage.local", || async {
        Ok((b.execute_async(READ_TOKEN, vec![]).await? == serde_json::json!(token)).then_some(()))
    })
    .await?;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_added_in_gmail_compose_shows_the_panel_with_the_banner_and_unenroll_works(
) -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let seq = t.email_sequence("Q4 outbound", &[2, 3]).await?;
    let e = t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .expect("enrolled");
    let g = gmail(&t, "gmail-unenroll").await?;
    let b = &g.b;
    b.goto(&format!("{}/mail/u/0/#inbox", g.page)).await?;
    b.click(&testid("compose-button")).await?;
    in_panel(b, 1, async |b| {
        b.wait_for(&testid("panel-empty")).await.map(drop)
    })
    .await?;

    add_recipient(b, 1, "to", "ana@globex.example").await?;
    in_panel(b, 1, async |b| {
        let banner = b
            .wait_for(&card("ana@globex.example", "enrollment-banner"))
            .await?;
        assert_eq!(
            banner.attr("data-enrollment-id").await?,
            Some(e.id.to_string())
        );
        Ok(())
    })
    .await?;
    b.screenshot("gmail-1-compose-enrolled-banner").await?;

    in_panel(b, 1, async |b| {
        b.unenroll_from_card("ana@globex.example").await?;
        b.wait_for_text(&testid("announcer"), "was unenrolled from Q4 outbound.")
            .await
            .map(drop)
    })
    .await?;
    b.screenshot("gmail-2-compose-unenrolled").await?;

    let v = t.enrollment(e.id).await?;
    assert_eq!(v.state, EnrollmentState::Unenrolled);
    assert_eq!(
        v.evidence.and_then(|x| x.surface),
        Some(UnenrollSurface::GmailPanel)
    );
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
