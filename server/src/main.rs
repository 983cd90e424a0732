//! The `sequencer` binary: serve, demo, admin commands, bench.

mod bench;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sequencer_server::clock::SystemClock;
use sequencer_server::domain::{EmailAddress, Role, Seat, Tier, User};
use sequencer_server::http::StaticDir;
use sequencer_server::mail::imap_trust::ImapTrust;
use sequencer_server::net::NetworkPolicy;
use sequencer_server::service::App;
use sequencer_server::{build_app, cli_inbound, demo, load_secret, worker};

#[derive(Parser)]
#[command(
    name = "sequencer",
    about = "Sequencer: sales sequences that stop at the right moment"
)]
struct Cli {
    /// Database URL: sqlite://PATH (default, embedded) or postgres://... (multi-instance).
    #[arg(
        long,
        env = "SEQUENCER_DATABASE_URL",
        default_value = "sqlite://data/sequencer.db",
        global = true
    )]
    database_url: String,
    /// Where the signing secret (and the demo outbox) live.
    #[arg(
        long,
        env = "SEQUENCER_DATA_DIR",
        default_value = "data",
        global = true
    )]
    data_dir: PathBuf,
    /// Outgoing mail: smtp://host:port, smtps://user:pass@host, or outbox:DIR (writes .eml files).
    #[arg(
        long,
        env = "SEQUENCER_MAIL_URL",
        default_value = "outbox:data/outbox",
        global = true
    )]
    mail_url: String,
    /// Public base URL of this server (links in emails, manifests).
    #[arg(
        long,
        env = "SEQUENCER_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    public_url: String,
    /// CA certificates (a PEM bundle) trusted for IMAP over TLS besides the public roots: for
    /// on-premises IMAP servers whose certificate comes from a private CA. Read at startup.
    #[arg(long, env = "SEQUENCER_IMAP_CA_FILE", global = true)]
    imap_ca_file: Option<PathBuf>,
    /// Development mode: outbound connections (IMAP, JWKS) may also reach loopback and private
    /// networks, and plain IMAP is allowed to loopback. Off by default (production: public
    /// addresses only, TLS only). `SEQUENCER_ALLOW_PRIVATE_NETWORKS=1` has the same effect.
    #[arg(long, env = "SEQUENCER_DEV", global = true, value_parser = clap::builder::FalseyValueParser::new())]
    dev: bool,
    #[command(flatten)]
    identity: IdentityArgs,
    #[command(subcommand)]
    command: Command,
}

/// Sign-in from Outlook (Microsoft identity platform) and Gmail (Google); a provider without a
/// client id is off.
#[derive(clap::Args)]
struct IdentityArgs {
    /// Entra app registration (client id) of Sequencer's API: the `aud` of Outlook tokens.
    #[arg(long, env = "SEQUENCER_MS_CLIENT_ID", global = true)]
    ms_client_id: Option<String>,
    /// Delegated scope the add-in requests; must be in the token's `scp`.
    #[arg(
        long,
        env = "SEQUENCER_MS_SCOPE",
        default_value = "access_as_user",
        global = true
    )]
    ms_scope: String,
    #[arg(long, env = "SEQUENCER_MS_JWKS_URL", default_value = sequencer_server::identity::MS_JWKS_URL, global = true)]
    ms_jwks_url: String,
    /// OAuth client id of the Gmail extension: the `aud` of Google ID tokens.
    #[arg(long, env = "SEQUENCER_GOOGLE_CLIENT_ID", global = true)]
    google_client_id: Option<String>,
    #[arg(long, env = "SEQUENCER_GOOGLE_JWKS_URL", default_value = sequencer_server::identity::GOOGLE_JWKS_URL, global = true)]
    google_jwks_url: String,
    /// Google's authorization endpoint, rendered into the Gmail extension (its sign-in page).
    #[arg(long, env = "SEQUENCER_GOOGLE_AUTH_URL", default_value = sequencer_server::identity::GOOGLE_AUTH_URL, global = true, value_parser = google_auth_url)]
    google_auth_url: String,
}

/// Checked at start, so a bad value fails `serve` rather than the first extension download.
fn google_auth_url(raw: &str) -> Result<String, String> {
    sequencer_server::manifests::auth_url(raw).map_err(|e| e.to_string())
}

impl IdentityArgs {
    fn config(&self) -> sequencer_server::identity::IdentityConfig {
        sequencer_server::identity::IdentityConfig {
            ms_client_id: self.ms_client_id.clone(),
            ms_scope: self.ms_scope.clone(),
            ms_jwks_url: self.ms_jwks_url.clone(),
            google_client_id: self.google_client_id.clone(),
            google_jwks_url: self.google_jwks_url.clone(),
            google_auth_url: self.google_auth_url.clone(),
            ..Default::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and the scheduler.
    Serve {
        #[arg(long, env = "SEQUENCER_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// The built frontend (Trunk's dist folder).
        #[arg(long, env = "SEQUENCER_STATIC_DIR", default_value = "frontend/dist")]
        static_dir: PathBuf,
        /// Do not run the scheduler in this process.
        #[arg(long)]
        no_worker: bool,
    },
    /// Seed demo data (idempotent) and print one-time sign-in links.
    Demo,
    /// Create an account and print its id.
    CreateAccount {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "professional")]
        tier: String,
    },
    /// Create a user in an account and print a session token.
    CreateUser {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "user")]
        role: String,
        /// sales_pro, sales_enterprise, service_pro, service_enterprise (omit for none).
        #[arg(long)]
        seat: Option<String>,
        #[arg(long, env = "SEQUENCER_NEW_USER_PASSWORD")]
        password: Option<String>,
    },
    /// Print a session token for an existing user (for API scripts: not revocable by logout).
    Token {
        #[arg(long)]
        email: String,
    },
    /// Print a one-time sign-in link for an existing user (single use, valid 5 minutes).
    SignInLink {
        #[arg(long)]
        email: String,
        /// The page to open: `/app/` (web app) or `/addin/` (panel).
        #[arg(long, default_value = "/app/")]
        path: String,
    },
    /// Classify raw messages: one JSON object per file.
    Classify { files: Vec<PathBuf> },
    /// Process an .eml file or a Maildir as inbound mail for an account.
    Ingest {
        #[arg(long)]
        account: i64,
        #[arg(long)]
        mailbox: Option<i64>,
        path: PathBuf,
    },
    /// Render the Outlook manifests, icons and the Gmail extension (folder and zip) for a base URL.
    Manifests {
        /// The deployment's public URL (default: SEQUENCER_PUBLIC_URL).
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        out: PathBuf,
        /// The built frontend (Trunk's dist folder), packed into the extension.
        #[arg(long, env = "SEQUENCER_STATIC_DIR", default_value = "frontend/dist")]
        static_dir: PathBuf,
        /// Test only: also run the extension on this loopback origin (a Gmail-like test page).
        #[arg(long, hide = true)]
        test_origin: Vec<String>,
    },
    /// Measure lookups, bulk unenroll, scheduler throughput and webhook reply -> unenroll latency
    /// on a fresh database.
    Bench {
        #[arg(long, default_value_t = 100_000)]
        contacts: usize,
        /// Requests per second for the lookup runs.
        #[arg(long, default_value_t = 2000)]
        rate: u32,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long, default_value_t = 10_000)]
        bulk: usize,
        #[arg(long, default_value_t = 5_000)]
        emails: i64,
        /// Signed webhook replies to step 1 (0 skips the webhook measurement).
        #[arg(long, default_value_t = 1_000)]
        replies: usize,
        /// Replies per second (open loop).
        #[arg(long, default_value_t = 100)]
        reply_rate: u32,
    },
}

// One thread, like actix's own runtime: HttpServer starts its worker threads itself.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Command::Bench {
        contacts,
        rate,
        seconds,
        bulk,
        emails,
        replies,
        reply_rate,
    } = cli.command
    {
        return bench::run(bench::BenchOptions {
            database_url: cli.database_url.clone(),
            contacts,
            rate,
            seconds,
            bulk,
            emails,
            replies,
            reply_rate,
        })
        .await;
    }
    match &cli.command {
        Command::Classify { files } => {
            files
                .iter()
                .for_each(|f| println!("{}", cli_inbound::classify_json(f)));
            return Ok(());
        }
        Command::Manifests {
            base_url,
            out,
            static_dir,
            test_origin,
        } => {
            let base = base_url.as_deref().unwrap_or(&cli.public_url);
            return render_manifests(&cli.identity, base, out, static_dir, test_origin);
        }
        _ => {}
    }
    let secret = load_secret(&cli.data_dir)?;
    let network = if cli.dev {
        NetworkPolicy::Development
    } else {
        NetworkPolicy::from_env()
    };
    if network == NetworkPolicy::Development {
        tracing::warn!("development mode: IMAP and JWKS may reach loopback and private networks");
    } else {
        check_jwks_urls(&cli.identity).await?;
    }
    let imap_trust = match &cli.imap_ca_file {
        Some(path) => {
            let trust = ImapTrust::with_ca_file(path)?;
            tracing::info!(
                certificates = trust.extra(),
                file = %path.display(),
                "trusting extra CAs for IMAP over TLS"
            );
            trust
        }
        None => ImapTrust::default(),
    };
    let app = build_app(
        &cli.database_url,
        &cli.mail_url,
        &cli.public_url,
        secret,
        Arc::new(SystemClock),
    )
    .await
    .with_context(|| format!("opening {}", cli.database_url))?
    .with_identity(cli.identity.config())
    .with_imap_trust(imap_trust)
    .with_network(network);
    match cli.command {
        Command::Serve {
            bind,
            static_dir,
            no_worker,
        } => serve(app, &bind, static_dir, no_worker).await,
        Command::Demo => {
            let caller = demo::seed(&app).await?;
            let token = app.session_token(&caller.user).token;
            let base = app.settings.public_url.clone();
            println!(
                "Demo account: {} (user {} / password {})",
                caller.account.name,
                demo::DEMO_EMAIL,
                demo::DEMO_PASSWORD
            );
            // One-time codes, not tokens, in URLs (issue 19): each link signs in once, within
            // 5 minutes; `sequencer sign-in-link --email E` prints a new one.
            println!(
                "Web app:  {}",
                app.sign_in_url(&caller.user, "/app/").await?
            );
            println!(
                "Panel:    {}",
                app.sign_in_url(&caller.user, "/addin/").await?
            );
            println!(
                "          (one-time sign-in links, valid 5 minutes; or sign in with the password)"
            );
            println!("Booking:  {}", app.meeting_url(caller.user.id, None));
            println!("API:      {base}/api/v1  (Authorization: Bearer {token})");
            Ok(())
        }
        Command::CreateAccount { name, tier } => {
            let tier = Tier::parse(&tier).context("tier is professional or enterprise")?;
            let account = app.store.create_account(&name, tier, app.now()).await?;
            println!("{}", account.id.0);
            Ok(())
        }
        Command::CreateUser {
            account,
            email,
            name,
            role,
            seat,
            password,
        } => {
            let role = Role::parse(&role).context("role is admin or user")?;
            let seat = seat
                .map(|s| Seat::parse(&s).context("unknown seat"))
                .transpose()?;
            let account = sequencer_server::domain::AccountId(account);
            app.store
                .account(account)
                .await?
                .context("no such account")?;
            // Same parsing as the admin API: the name and address become sequence emails' From.
            let req = shared::CreateUserRequest {
                email,
                name,
                role,
                seat,
                password,
            };
            let user = app.create_user_in(account, &req).await?;
            println!("{}", app.session_token(&user).token);
            Ok(())
        }
        Command::Bench { .. } | Command::Classify { .. } | Command::Manifests { .. } => Ok(()),
        Command::Ingest {
            account,
            mailbox,
            path,
        } => {
            let account = sequencer_server::domain::AccountId(account);
            for (file, outcome) in cli_inbound::ingest(&app, account, mailbox, &path).await? {
                println!("{}", cli_inbound::describe(&file, &outcome));
            }
            Ok(())
        }
        Command::Token { email } => {
            let user = user_by_email(&app, &email).await?;
            println!("{}", app.session_token(&user).token);
            Ok(())
        }
        Command::SignInLink { email, path } => {
            let user = user_by_email(&app, &email).await?;
            println!("{}", app.sign_in_url(&user, &path).await?);
            Ok(())
        }
    }
}

/// The (first) user with this email address, for the commands that act as a user.
async fn user_by_email(app: &App, email: &str) -> anyhow::Result<User> {
    let email = EmailAddress::parse(email)?;
    let (user, _) = app
        .store
        .users_by_email(&email)
        .await?
        .into_iter()
        .next()
        .context("no such user")?;
    Ok(user)
}

async fn serve(app: App, bind: &str, static_dir: PathBuf, no_worker: bool) -> anyhow::Result<()> {
    let listener = TcpListener::bind(bind).with_context(|| format!("binding {bind}"))?;
    let addr = listener.local_addr()?;
    let dir = static_dir
        .join("index.html")
        .exists()
        .then_some(static_dir.clone());
    if dir.is_none() {
        tracing::warn!(
            "{} has no index.html: the web app and panel are not built (run `cargo xtask run`)",
            static_dir.display()
        );
    }
    let sealed = app.seal_stored_credentials().await?;
    if sealed > 0 {
        tracing::info!(
            credentials = sealed,
            "sealed mailbox credentials (IMAP, webhook secrets) stored in plaintext"
        );
    }
    // Supervised scheduler (restarted after a panic; `/ready` reports it). Lives as long as the
    // server: dropping the handle stops it.
    let _scheduler = (!no_worker).then(|| {
        worker::spawn(
            app.clone(),
            worker::WorkerConfig::every(std::time::Duration::from_secs(1)),
        )
    });
    // Lives as long as the server: dropping it stops the watchers.
    let _watchers = if no_worker {
        None
    } else {
        let watchers = sequencer_server::mail::imap::spawn_watchers(
            &app,
            std::time::Duration::from_secs(60),
            sequencer_server::mail::imap::RECONCILE_EVERY,
        )
        .await?;
        tracing::info!(
            mailboxes = watchers.watching().len(),
            "watching IMAP mailboxes (following the mailboxes table)"
        );
        Some(watchers)
    };
    tracing::info!("listening on http://{addr}");
    sequencer_server::http::serve(app, listener, StaticDir(dir))?.await?;
    Ok(())
}

/// Production refuses a configured provider's JWKS URL that is not https or not public, at
/// startup rather than at the first sign-in.
async fn check_jwks_urls(identity: &IdentityArgs) -> anyhow::Result<()> {
    let urls = [
        (identity.ms_client_id.is_some(), &identity.ms_jwks_url),
        (
            identity.google_client_id.is_some(),
            &identity.google_jwks_url,
        ),
    ];
    for (_, url) in urls.iter().filter(|(on, _)| *on) {
        match sequencer_server::net::check_url(NetworkPolicy::Production, url).await {
            Err(e @ sequencer_server::net::NetError::Forbidden { .. }) => {
                anyhow::bail!("JWKS URL refused ({e}); use --dev for a local identity provider")
            }
            // Resolution may fail transiently at startup; every fetch checks again.
            Err(e) => tracing::warn!(url = %url, error = %e, "cannot check the JWKS URL yet"),
            Ok(_) => {}
        }
    }
    Ok(())
}

fn render_manifests(
    identity: &IdentityArgs,
    base: &str,
    out: &std::path::Path,
    static_dir: &std::path::Path,
    test_origins: &[String],
) -> anyhow::Result<()> {
    use sequencer_server::manifests;
    let mut dep = manifests::Deployment::new(manifests::BaseUrl::parse(base)?)
        .with_identity(&identity.config());
    for origin in test_origins {
        dep = dep.with_test_origin(origin)?;
    }
    let bundle = manifests::read_bundle(static_dir)?;
    let files = manifests::render_all(&dep, &bundle)?;
    manifests::write_all(out, &files)?;
    println!("Rendered for {}:", dep.base_url.as_str());
    println!(
        "  Outlook (Add from file):        {}",
        out.join("outlook/manifest.xml").display()
    );
    println!(
        "  Outlook (admin center package): {}",
        out.join("outlook/sequencer-outlook.zip").display()
    );
    println!(
        "  Chrome (Load unpacked):         {}",
        out.join("gmail-extension").display()
    );
    println!(
        "  Chrome (zip):                   {}",
        out.join("sequencer-gmail.zip").display()
    );
    Ok(())
}
