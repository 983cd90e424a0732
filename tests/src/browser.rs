//! Real-browser harness: headless Chromium driven over WebDriver (W3C protocol, `fantoccini`).
//!
//! [`Browser::launch`] starts `chromedriver` on a free loopback port as a child process in its own
//! process group, opens one session with a fresh profile directory, and kills the whole group
//! (chromedriver and every Chromium process) when the `Browser` is dropped, even after a panic.
//! Call [`Browser::close`] at the end of a test to end the session gracefully first.
//!
//! Waits poll the page with a deadline ([`Browser::deadline`], 20 s by default, generous for a
//! 2-core CI machine); there are no fixed sleeps. A wait that times out saves a screenshot
//! (`<label>-timeout.png`) and fails with what it waited for and the page's URL.
//!
//! Only one browser runs at a time in a test process: `launch` takes a process-wide async lock
//! that the `Browser` holds until it is dropped, because several Chromiums on two cores make
//! timings flaky. (Cargo runs test binaries one after another, so this serializes all of them.)
//!
//! Configuration comes from the environment that `cargo xtask test` sets: `CHROME_BIN`
//! (default `/usr/bin/chromium`) and `CHROMEDRIVER` (default `/usr/bin/chromedriver`).
//! Screenshots go to `target/artifacts/screenshots/NAME.png`.
//!
//! Generic on purpose: nothing here knows Sequencer's pages, so Outlook- and Gmail-like host
//! pages can reuse it. Selectors are CSS; [`testid`] builds `[data-testid="..."]`.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tokio::sync::{Mutex, MutexGuard};

/// Serializes browsers within one test process (see the module docs).
static ONE_BROWSER_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// The Chromium flags every session gets: headless, no background traffic, no first-run UI.
pub const CHROME_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
];

/// `[data-testid="ID"]`, the CSS selector for a test id.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// The panel's card for `email`, or the element `part` (a test id) inside it; `""` for the card.
pub fn card(email: &str, part: &str) -> String {
    let card = format!("{}[data-email=\"{email}\"]", testid("recipient-card"));
    if part.is_empty() {
        card
    } else {
        format!("{card} {}", testid(part))
    }
}

/// Where screenshots go: `<workspace>/target/artifacts/screenshots` (or under `CARGO_TARGET_DIR`).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    target.join("artifacts").join("screenshots")
}

/// Options for [`Browser::launch_with`].
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Names failure screenshots (`<label>-timeout.png`); use the test's name.
    pub label: String,
    /// Window size in CSS pixels.
    pub window: (u32, u32),
    /// How long waits poll before failing.
    pub deadline: Duration,
    /// Extra Chromium flags after [`CHROME_FLAGS`] (e.g. `--load-extension=DIR`).
    pub extra_args: Vec<String>,
}

impl BrowserOptions {
    pub fn new(label: &str) -> Self {
        BrowserOptions {
            label: label.to_string(),
            window: (1280, 900),
            deadline: Duration::from_secs(20),
            extra_args: Vec::new(),
        }
    }
}

/// A chromedriver child in its own process group; dropping it kills the group.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(log: &Path) -> Result<Driver> {
        use std::os::unix::process::CommandExt;
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        anyhow::ensure!(Path::new(&bin).exists(), "chromedriver not found at {bin}: install Debian's `chromium-driver` (or set CHROMEDRIVER); `cargo xtask test` sets it up");
        let port = free_port()?;
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {bin}"))?;
        Ok(Driver { child, port })
    }

    /// Starts chromedriver and waits until it is ready. The port comes from `free_port`, so
    /// another test may bind it before chromedriver does, which then exits at once: such a start
    /// is retried on a new port (a few times), with each try's log kept beside the profile.
    async fn start_ready(dir: &Path, deadline: Duration) -> Result<Driver> {
        let mut tries = 0;
        loop {
            tries += 1;
            let log = dir.join(format!("chromedriver-{tries}.log"));
            let mut driver = Driver::start(&log)?;
            match driver.wait_ready(deadline).await {
                Ok(()) => return Ok(driver),
                Err(e) if tries < 3 && driver.child.try_wait()?.is_some() => {
                    let said = std::fs::read_to_string(&log).unwrap_or_default();
                    eprintln!("chromedriver try {tries} exited at start ({e}); retrying on a new port. Its log:\n{said}");
                }
                Err(e) => {
                    let said = std::fs::read_to_string(&log).unwrap_or_default();
                    return Err(e.context(format!("chromedriver log:\n{said}")));
                }
            }
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `/status` until chromedriver answers `ready`.
    async fn wait_ready(&mut self, deadline: Duration) -> Result<()> {
        let http = reqwest::Client::new();
        let end = Instant::now() + deadline;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("chromedriver exited at start ({status})");
            }
            if let Ok(r) = http.get(format!("{}/status", self.url())).send().await {
                if let Ok(v) = r.json::<Value>().await {
                    if v["value"]["ready"] == json!(true) {
                        return Ok(());
                    }
                }
            }
            if Instant::now() > end {
                bail!(
                    "chromedriver did not become ready on port {} within {deadline:?}",
                    self.port
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group holds chromedriver and the Chromium it started (browser, zygote, renderers).
        let pgid = self.child.id();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// One headless Chromium session. See the module docs.
pub struct Browser {
    client: Client,
    options: BrowserOptions,
    // Field order is drop order: the driver (and Chromium) die before the profile is removed and
    // before the next test may launch.
    driver: Driver,
    _profile: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// Unenrolls `email` from its panel card (Unenroll, then the inline confirmation) and waits
    /// until the card says so.
    pub async fn unenroll_from_card(&self, email: &str) -> Result<()> {
        self.click(&card(email, "unenroll-button")).await?;
        self.click(&card(email, "unenroll-confirm")).await?;
        self.wait_for_attr(&card(email, ""), "data-status", "recently_unenrolled")
            .await
            .map(drop)
    }

    /// A browser with default options, labelled `label` (the test's name).
    pub async fn launch(label: &str) -> Result<Browser> {
        Self::launch_with(BrowserOptions::new(label)).await
    }

    pub async fn launch_with(options: BrowserOptions) -> Result<Browser> {
        let turn = ONE_BROWSER_AT_A_TIME.lock().await;
        let chrome = std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into());
        anyhow::ensure!(Path::new(&chrome).exists(), "Chromium not found at {chrome}: install Debian's `chromium` (or set CHROME_BIN); `cargo xtask test` sets it up");
        let profile = tempfile::Builder::new()
            .prefix("chromium-profile-")
            .tempdir()?;
        let driver = Driver::start_ready(profile.path(), options.deadline).await?;

        let mut args: Vec<String> = CHROME_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("data").display()
        ));
        args.push(format!(
            "--window-size={},{}",
            options.window.0, options.window.1
        ));
        args.extend(options.extra_args.iter().cloned());
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chrome, "args": args }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let client = builder.connect(&driver.url()).await.map_err(|e| {
            anyhow!(
                "cannot open a Chromium session: {e} (chromedriver logs in {})",
                profile.path().display()
            )
        })?;
        Ok(Browser {
            client,
            options,
            driver,
            _profile: profile,
            _turn: turn,
        })
    }

    /// The underlying WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn deadline(&self) -> Duration {
        self.options.deadline
    }

    /// Ends the session (Chromium quits); the driver is killed when `self` drops.
    pub async fn close(self) -> Result<()> {
        self.client.clone().close().await?;
        Ok(())
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()
            .goto(url)
            .await
            .with_context(|| format!("goto {url}"))
    }

    pub async fn current_url(&self) -> Result<String> {
        Ok(self.client().current_url().await?.to_string())
    }

    /// Polls `probe` until it returns `Some`, or fails after the deadline naming `what`.
    /// Errors from `probe` (e.g. a stale element while the page re-renders) count as "not yet".
    pub async fn wait_until<T, F, Fut>(&self, what: &str, mut probe: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let end = Instant::now() + self.options.deadline;
        let mut last_err = None;
        loop {
            match probe().await {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(e) => last_err = Some(e),
            }
            if Instant::now() > end {
                let url = self.current_url().await.unwrap_or_default();
                let shot = self
                    .screenshot(&format!("{}-timeout", self.options.label))
                    .await
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|e| format!("(no screenshot: {e})"));
                let cause = last_err
                    .map(|e| format!("; last error: {e:#}"))
                    .unwrap_or_default();
                bail!(
                    "timed out after {:?} waiting for {what} at {url}{cause}; screenshot {shot}",
                    self.options.deadline
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The first element matching `css`, if any, without waiting.
    pub async fn find_now(&self, css: &str) -> Result<Option<Element>> {
        let mut all = self.client().find_all(Locator::Css(css)).await?;
        Ok(if all.is_empty() {
            None
        } else {
            Some(all.swap_remove(0))
        })
    }

    /// Waits until an element matching `css` exists and is displayed, and returns it.
    pub async fn wait_for(&self, css: &str) -> Result<Element> {
        self.wait_until(&format!("`{css}` to be displayed"), || async {
            match self.find_now(css).await? {
                Some(el) if el.is_displayed().await? => Ok(Some(el)),
                _ => Ok(None),
            }
        })
        .await
    }

    /// Waits until an element matching `css` exists (displayed or not, e.g. an `opacity: 0` button).
    pub async fn wait_for_present(&self, css: &str) -> Result<Element> {
        self.wait_until(&format!("`{css}` to exist"), || self.find_now(css))
            .await
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_for_absent(&self, css: &str) -> Result<()> {
        self.wait_until(&format!("`{css}` to disappear"), || async {
            Ok(self.find_now(css).await?.is_none().then_some(()))
        })
        .await
    }

    /// Waits until the text of the element matching `css` contains `needle`; returns the text.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> Result<String> {
        self.wait_until(&format!("`{css}` to contain {needle:?}"), || async {
            match self.find_now(css).await? {
                Some(el) => {
                    let t = el.text().await?;
                    Ok(t.contains(needle).then_some(t))
                }
                None => Ok(None),
            }
        })
        .await
    }

    /// Waits until the element matching `css` has attribute `name` equal to `value`.
    pub async fn wait_for_attr(&self, css: &str, name: &str, value: &str) -> Result<Element> {
        self.wait_until(&format!("`{css}` to have {name}={value:?}"), || async {
            match self.find_now(css).await? {
                Some(el) if el.attr(name).await?.as_deref() == Some(value) => Ok(Some(el)),
                _ => Ok(None),
            }
        })
        .await
    }

    /// Waits for `css` to be displayed, then clicks it.
    pub async fn click(&self, css: &str) -> Result<()> {
        let el = self.wait_for(css).await?;
        el.click().await.with_context(|| format!("click `{css}`"))
    }

    /// Waits for `css` to be displayed, then types `text` into it (real key events).
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let el = self.wait_for(css).await?;
        el.send_keys(text)
            .await
            .with_context(|| format!("type into `{css}`"))
    }

    /// Clears the input matching `css`, then types `text` into it.
    pub async fn replace_text(&self, css: &str, text: &str) -> Result<()> {
        let el = self.wait_for(css).await?;
        el.clear().await.with_context(|| format!("clear `{css}`"))?;
        el.send_keys(text)
            .await
            .with_context(|| format!("type into `{css}`"))
    }

    /// The visible text of the displayed element matching `css` (waits for it).
    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// Attribute `name` of the element matching `css` (waits for it to exist).
    pub async fn attr(&self, css: &str, name: &str) -> Result<Option<String>> {
        Ok(self.wait_for_present(css).await?.attr(name).await?)
    }

    /// The computed CSS property `prop` of the element matching `css` (waits for it to exist).
    pub async fn css_value(&self, css: &str, prop: &str) -> Result<String> {
        Ok(self.wait_for_present(css).await?.css_value(prop).await?)
    }

    /// Moves keyboard focus to the element matching `css` (as Tab would), waiting for it to exist.
    pub async fn focus(&self, css: &str) -> Result<()> {
        let el = self.wait_for_present(css).await?;
        self.execute("arguments[0].focus();", vec![serde_json::to_value(&el)?])
            .await?;
        Ok(())
    }

    /// Runs `script` in the page (`arguments[i]` are `args`) and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client().execute(script, args).await?)
    }

    /// Runs `script` as an async script: it gets a callback as its last argument and its result
    /// is what it passes to the callback (WebDriver's Execute Async Script).
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client().execute_async(script, args).await?)
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`), e.g.
    /// `Page.addScriptToEvaluateOnNewDocument` to instrument pages before their own scripts run.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        let session = self
            .client()
            .session_id()
            .await?
            .context("no WebDriver session")?;
        let url = format!("{}/session/{session}/goog/cdp/execute", self.driver.url());
        let resp = reqwest::Client::new()
            .post(&url)
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .with_context(|| format!("CDP {cmd}: unreadable answer"))?;
        anyhow::ensure!(status.is_success(), "CDP {cmd} failed ({status}): {body}");
        Ok(body["value"].clone())
    }

    /// Saves a PNG of the viewport to `target/artifacts/screenshots/NAME.png` and returns the path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client().screenshot().await?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

/// The built frontend (`SEQUENCER_FRONTEND_DIST`, else `<workspace>/frontend/dist`), or a clear
/// error when it has not been built: browser tests fail rather than skip.
pub fn frontend_dist() -> Result<PathBuf> {
    let dist = std::env::var_os("SEQUENCER_FRONTEND_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("frontend")
                .join("dist")
        });
    anyhow::ensure!(
        dist.join("index.html").exists(),
        "the frontend is not built: {} has no index.html. Build it with `cargo xtask test` (which runs Trunk), \
         or `PATH=target/tools/node_modules/.bin:$PATH trunk build --release --offline` from the repo root",
        dist.display()
    );
    Ok(dist)
}

/// [`crate::spawn_app`] serving the built frontend at `/app/` and `/addin/` (fails if it is not built).
pub async fn spawn_app_with_frontend(db: crate::Db) -> Result<crate::TestApp> {
    spawn_app_with_frontend_configured(db, |app| app).await
}

/// [`spawn_app_with_frontend`] with a chance to adjust the app first (e.g. `App::with_identity`).
pub async fn spawn_app_with_frontend_configured(
    db: crate::Db,
    configure: impl FnOnce(sequencer_server::service::App) -> sequencer_server::service::App,
) -> Result<crate::TestApp> {
    let dist = frontend_dist()?;
    if std::env::var_os("SEQUENCER_FRONTEND_DIST").is_none() {
        // `spawn_app` reads this variable; every caller sets the same value, so the race is benign.
        std::env::set_var("SEQUENCER_FRONTEND_DIST", &dist);
    }
    crate::spawn_app_configured(db, sequencer_server::domain::Tier::Professional, configure).await
}

/// A contact "Ana" at ana@globex.example, enrolled in the two-step "Q4 outbound"; returns the
/// enrollment.
pub async fn enrolled_ana(t: &crate::TestApp) -> Result<shared::EnrollmentView> {
    let c = t.contact("ana@globex.example", "Ana", None).await?;
    let seq = t.email_sequence("Q4 outbound", &[2, 3]).await?;
    t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .context("not enrolled")
}
