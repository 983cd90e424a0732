//! The Gmail extension under test: rendered by `sequencer_server::manifests` for the test server
//! (plus the loopback origin of a local Gmail-like compose page, `tests/data/hosts/gmail-like.html`;
//! the production manifest matches only https://mail.google.com), loaded unpacked into headless
//! Chromium, and driven through its compose windows and panels.

use anyhow::{Context, Result};
use sequencer_server::manifests::{self, BaseUrl, Deployment};
use shared::*;

use crate::browser::{card, frontend_dist, testid, Browser, BrowserOptions};
use crate::TestApp;

const GMAIL_LIKE: &str = include_str!("../data/hosts/gmail-like.html");
pub const ENTER: &str = "\u{E007}";

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

pub struct Gmail {
    pub b: Browser,
    /// Origin of the Gmail-like page.
    pub page: String,
    /// `chrome-extension://<id>/addin/panel.html`.
    pub panel_page: String,
    _ext: tempfile::TempDir,
}

/// The value `key` holds in chrome.storage.local, or null (run on an extension page, e.g. inside
/// [`in_panel`]). The panel keeps its session under `sequencerToken`.
pub async fn chrome_stored(b: &Browser, key: &str) -> Result<serde_json::Value> {
    b.execute_async(
        "const [key, done] = arguments; chrome.storage.local.get(key).then((r) => done(r[key] ?? null));",
        vec![serde_json::json!(key)],
    )
    .await
}

/// Where the panel keeps its session in chrome.storage.local.
pub const SESSION_KEY: &str = "sequencerToken";

/// Renders the extension for the test server (plus the Gmail-like origin), loads it, and signs
/// the panel in by opening the extension page once with a one-time sign-in code (the session it
/// gets is kept in its storage).
pub async fn gmail(t: &TestApp, label: &str) -> Result<Gmail> {
    let g = load_extension(t, label).await?;
    let b = &g.b;
    b.goto(&format!(
        "{}?code={}",
        g.panel_page,
        t.sign_in_code().await?
    ))
    .await?;
    b.wait_for(&testid("panel-empty"))
        .await
        .context("the extension's panel page did not start")?;
    // The panel keeps the token in chrome.storage.local, for every panel Gmail's pages frame.
    b.wait_until("the session token in chrome.storage.local", || async {
        let stored = chrome_stored(b, SESSION_KEY).await?;
        Ok(stored
            .as_str()
            .is_some_and(|s| s.starts_with("eyJ"))
            .then_some(()))
    })
    .await?;
    Ok(g)
}

/// Renders the extension as the test server would serve it (its identity settings, plus the
/// Gmail-like origin), loads it unpacked, and finds its panel page; nobody is signed in and no
/// page is open.
pub async fn load_extension(t: &TestApp, label: &str) -> Result<Gmail> {
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
pub async fn in_panel<T>(
    b: &Browser,
    n: u32,
    f: impl AsyncFnOnce(&Browser) -> Result<T>,
) -> Result<T> {
    let frame = b
        .wait_for(&format!("iframe[data-sequencer-panel=\"{n}\"]"))
        .await?;
    frame.enter_frame().await?;
    let result = f(b).await;
    b.client().enter_parent_frame().await?;
    result
}

pub async fn add_recipient(b: &Browser, compose: u32, field: &str, email: &str) -> Result<()> {
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

/// In compose window 1's panel: the banner names enrollment `id` (screenshot `shots[0]`), and
/// Unenroll there (screenshot `shots[1]`) unenrolls it on the server, from the Gmail panel.
pub async fn unenroll_in_panel(b: &Browser, t: &TestApp, id: i64, shots: [&str; 2]) -> Result<()> {
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
