//! End-to-end harness. Each test gets a fresh app on port 0, a fresh database (a temp SQLite file,
//! or a new database on the PostgreSQL server named by `SEQUENCER_TEST_PG_URL`), a manual clock and
//! a real SMTP server process (Python's aiosmtpd writing a Maildir). No sleeps in assertions: waits
//! poll for a condition with a deadline.

pub mod browser;
pub mod gmail;
pub mod idp;
pub mod imap;
pub mod inbound;
pub mod links;
pub mod oauth;
pub mod relay;
pub mod smtp;
pub mod tls;

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::{Context, Result};
use sequencer_server::clock::ManualClock;
use sequencer_server::domain::{Account, EmailAddress, Role, Seat, Tier, User};
use sequencer_server::http::StaticDir;
use sequencer_server::service::App;
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::*;

pub use smtp::SmtpSink;

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Defines `name_sqlite` and `name_postgres` tests from one async body taking a `Db`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident => $body:ident;)+) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() -> anyhow::Result<()> { super::$body($crate::Db::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() -> anyhow::Result<()> { super::$body($crate::Db::Postgres).await }
            }
        )+
    };
}

/// 2026-11-27 09:00:00 UTC, a Friday inside most send windows.
pub const T0: i64 = 1_795_770_000_000;

/// Booking availability Monday to Friday, 09:00 to 17:00 in `tz`, in 30-minute slots.
pub fn working_week(tz: &str) -> AvailabilityRequest {
    let windows = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| AvailabilityWindow {
            weekday: d.to_string(),
            start: "09:00".into(),
            end: "17:00".into(),
        })
        .collect();
    AvailabilityRequest {
        time_zone: tz.into(),
        slot_minutes: 30,
        windows,
    }
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub smtp: SmtpSink,
    pub http: reqwest::Client,
    pub account: Account,
    pub user: User,
    pub db: Db,
    _tmp: tempfile::TempDir,
    _server: actix_web::dev::ServerHandle,
}

/// A database URL for a fresh, empty database.
async fn fresh_database(db: Db, tmp: &std::path::Path) -> Result<String> {
    match db {
        Db::Sqlite => Ok(format!("sqlite://{}", tmp.join("test.db").display())),
        Db::Postgres => {
            let admin = std::env::var("SEQUENCER_TEST_PG_URL")
                .context("SEQUENCER_TEST_PG_URL is not set: run the suite with `cargo xtask test`, which starts PostgreSQL")?;
            let name = format!("seqtest_{:016x}", rand_u64());
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
            sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await?;
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(b, _)| b)
                .to_string();
            Ok(format!("{base}/{name}"))
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

pub async fn spawn_app(db: Db) -> Result<TestApp> {
    spawn_app_with_tier(db, Tier::Professional).await
}

pub async fn spawn_app_with_tier(db: Db, tier: Tier) -> Result<TestApp> {
    spawn_app_configured(db, tier, |app| app).await
}

/// Like [`spawn_app_with_tier`], with a chance to adjust the app (e.g. `App::with_identity`)
/// before it serves.
pub async fn spawn_app_configured(
    db: Db,
    tier: Tier,
    configure: impl FnOnce(App) -> App,
) -> Result<TestApp> {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
    let tmp = tempfile::tempdir()?;
    let smtp = SmtpSink::start(tmp.path().join("maildir")).await?;
    let url = fresh_database(db, tmp.path()).await?;
    let clock = Arc::new(ManualClock::new(T0));
    let secret = b"test-secret-test-secret-test-secret!".to_vec();
    // Development network policy: Dovecot, the IdP and the token-info endpoint run on loopback.
    // A test of production's policy overrides it in `configure` (`App::with_network`).
    let app = configure(
        sequencer_server::build_app(&url, &smtp.url(), "http://127.0.0.1", secret, clock.clone())
            .await?
            .with_network(sequencer_server::net::NetworkPolicy::Development),
    );
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let dist = std::env::var("SEQUENCER_FRONTEND_DIST")
        .ok()
        .map(std::path::PathBuf::from)
        .filter(|p| p.join("index.html").exists());
    let server = sequencer_server::http::serve(app.clone(), listener, StaticDir(dist))?;
    let handle = server.handle();
    tokio::spawn(server);
    let account = app.store.create_account("Test Co", tier, T0).await?;
    let user = app
        .store
        .create_user(
            account.id,
            &EmailAddress::parse("rep@seller.example")?,
            "Rita Rep",
            Role::Admin,
            Some(Seat::SalesPro),
            None,
            T0,
        )
        .await?;
    Ok(TestApp {
        base,
        app,
        clock,
        smtp,
        http: reqwest::Client::new(),
        account,
        user,
        db,
        _tmp: tmp,
        _server: handle,
    })
}

/// An HTTP answer: status and parsed JSON body.
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.body.clone())
            .with_context(|| format!("status {}: {}", self.status, self.body))
    }
    pub fn code(&self) -> String {
        self.body["code"].as_str().unwrap_or("").to_string()
    }
}

impl TestApp {
    /// A fresh session token for the seated admin of the main test account (valid at the clock's now).
    pub fn token(&self) -> String {
        self.app.session_token(&self.user).token
    }

    /// A one-time sign-in code for the main test user, for `?code=` links (the browser tests'
    /// way in: the pages no longer take a token from the URL).
    pub async fn sign_in_code(&self) -> Result<String> {
        Ok(self.app.sign_in_code(&self.user).await?)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    async fn answer(resp: reqwest::Response) -> Result<Answer> {
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let body = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        Ok(Answer { status, body })
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Result<Answer> {
        Self::answer(
            self.http
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await?,
        )
        .await
    }
    pub async fn get(&self, path: &str) -> Result<Answer> {
        self.get_as(&self.token(), path).await
    }
    pub async fn send_as<B: Serialize>(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<Answer> {
        Self::answer(
            self.http
                .request(method, self.url(path))
                .bearer_auth(token)
                .json(body)
                .send()
                .await?,
        )
        .await
    }
    pub async fn post<B: Serialize>(&self, path: &str, body: &B) -> Result<Answer> {
        self.send_as(&self.token(), reqwest::Method::POST, path, body)
            .await
    }
    /// Posts `body` with no session, as a signed-out page does.
    pub async fn post_signed_out<B: Serialize>(&self, path: &str, body: &B) -> Result<Answer> {
        Self::answer(self.http.post(self.url(path)).json(body).send().await?).await
    }
    /// Exchanges an external token for a session (`POST /auth/exchange`).
    pub async fn exchange(&self, provider: IdentityProvider, token: &str) -> Result<Answer> {
        let req = ExchangeRequest {
            provider,
            token: token.into(),
        };
        self.post_signed_out("/auth/exchange", &req).await
    }
    /// Signs in with a password (`POST /auth/login`).
    pub async fn login(&self, email: &str, password: &str) -> Result<Answer> {
        let req = LoginRequest {
            email: email.into(),
            password: password.into(),
        };
        self.post_signed_out("/auth/login", &req).await
    }
    pub async fn delete(&self, path: &str) -> Result<Answer> {
        Self::answer(
            self.http
                .delete(self.url(path))
                .bearer_auth(self.token())
                .send()
                .await?,
        )
        .await
    }

    /// Creates a contact and returns it.
    pub async fn contact(
        &self,
        email: &str,
        first: &str,
        company: Option<i64>,
    ) -> Result<ContactView> {
        let req = ContactRequest {
            email: email.into(),
            secondary_emails: vec![],
            first_name: first.into(),
            last_name: "Tester".into(),
            title: "Buyer".into(),
            company_id: company,
            owner_id: None,
        };
        let a = self.post("/contacts", &req).await?;
        anyhow::ensure!(a.status == 201, "create contact: {} {}", a.status, a.body);
        a.json()
    }

    /// A sequence of emails with the given delays (days) after step 1, in an always-open window.
    pub async fn email_sequence(&self, name: &str, delays: &[u32]) -> Result<SequenceView> {
        self.sequence_with(name, delays, false, None).await
    }

    /// Like [`TestApp::email_sequence`], with the sequence's inbound settings.
    pub async fn sequence_with(
        &self,
        name: &str,
        delays: &[u32],
        same_company: bool,
        ooo: Option<OooPolicy>,
    ) -> Result<SequenceView> {
        let mut steps = vec![StepRequest {
            kind: StepKind::AutomatedEmail,
            delay_days: 0,
            business_days: false,
            subject: format!("{name}: hello {{{{contact.first_name}}}}"),
            body: "Hi {{contact.first_name}}, this is {{sender.name}}.".into(),
        }];
        for (i, d) in delays.iter().enumerate() {
            steps.push(StepRequest {
                kind: StepKind::AutomatedEmail,
                delay_days: *d,
                business_days: false,
                subject: String::new(),
                body: format!("Follow-up {}", i + 2),
            });
        }
        let req = SequenceRequest {
            name: name.into(),
            steps,
            send_window: SendWindow::default(),
            unenroll_same_company: same_company,
            ooo_policy: ooo,
        };
        let a = self.post("/sequences", &req).await?;
        anyhow::ensure!(a.status == 201, "create sequence: {} {}", a.status, a.body);
        a.json()
    }

    /// "Meet": an email offering the sender's booking link (`{{meeting_link}}`), then a call task
    /// three days later, in an always-open window.
    pub async fn meeting_sequence(&self) -> Result<SequenceView> {
        let step = |kind, delay_days, subject: &str, body: &str| StepRequest {
            kind,
            delay_days,
            business_days: false,
            subject: subject.into(),
            body: body.into(),
        };
        let req = SequenceRequest {
            name: "Meet".into(),
            steps: vec![
                step(
                    StepKind::AutomatedEmail,
                    0,
                    "Chat?",
                    "Pick a time: {{meeting_link}}",
                ),
                step(StepKind::CallTask, 3, "Call", ""),
            ],
            send_window: SendWindow::default(),
            unenroll_same_company: false,
            ooo_policy: None,
        };
        let a = self.post("/sequences", &req).await?;
        anyhow::ensure!(a.status == 201, "create sequence: {} {}", a.status, a.body);
        a.json()
    }

    /// Enrolls contacts and returns the per-contact results.
    pub async fn enroll(&self, seq: i64, contacts: &[i64]) -> Result<EnrollResponse> {
        self.enroll_as(&self.token(), seq, contacts).await
    }

    /// Like [`TestApp::enroll`], as the user whose session `token` is.
    pub async fn enroll_as(
        &self,
        token: &str,
        seq: i64,
        contacts: &[i64],
    ) -> Result<EnrollResponse> {
        let req = EnrollRequest {
            contact_ids: contacts.to_vec(),
        };
        let path = format!("/sequences/{seq}/enrollments");
        let a = self
            .send_as(token, reqwest::Method::POST, &path, &req)
            .await?;
        anyhow::ensure!(a.status == 200, "enroll: {} {}", a.status, a.body);
        a.json()
    }

    pub async fn enrollment(&self, id: i64) -> Result<EnrollmentView> {
        self.get(&format!("/enrollments/{id}")).await?.json()
    }

    /// Moves the clock and runs one scheduler pass.
    pub async fn advance_and_tick(
        &self,
        by: chrono::Duration,
    ) -> Result<sequencer_server::service::TickReport> {
        self.clock.advance(by);
        Ok(self.app.tick(self.app.now(), 100).await?)
    }

    /// A second account with its own seated user; returns its token.
    pub async fn other_account_token(&self) -> Result<String> {
        let acct = self
            .app
            .store
            .create_account("Other Co", Tier::Professional, T0)
            .await?;
        let u = self
            .app
            .store
            .create_user(
                acct.id,
                &EmailAddress::parse("other@rival.example")?,
                "Otto",
                Role::Admin,
                Some(Seat::SalesPro),
                None,
                T0,
            )
            .await?;
        Ok(self.app.session_token(&u).token)
    }
}
