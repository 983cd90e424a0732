//! Persistence. The only module that names the database crate (sqlx).
//!
//! One implementation over sqlx's `Any` driver serves SQLite (embedded default) and PostgreSQL
//! (multi-instance): the SQL is the portable subset (BIGINT millis, JSON text, 0/1 booleans,
//! `$n` placeholders, `RETURNING`, partial indexes); the few backend-specific statements (write-lock
//! acquisition, `FOR UPDATE SKIP LOCKED`) branch on [`Backend`]. The conformance suite in
//! `server/tests/store_conformance.rs` runs against both backends.

mod accounts;
mod bench_seed;
mod lookup;

pub use lookup::RecipientContact;
mod contacts;
mod enrollments;
mod events;
mod identity;
mod inbound;
mod meetings;
mod pending_bookings;
mod ratelimit;
mod send_gate;
mod sequences;
mod sessions;
mod suppression;

pub use contacts::ContactFields;
pub use sequences::SequenceFields;

pub use contacts::ContactMatch;
pub use enrollments::{ClaimedSend, EndRequest, EnrollmentRow, ScheduledRow};
pub use events::{EventRow, NewEvent, PerformanceCounts};
pub use identity::{ApiKeyRow, Claim, NewTrust, TrustSettings, TrustedIdentity, GOOGLE, MICROSOFT};
pub use inbound::{CompanyPeer, ImapSettings, Mailbox, NewInbound, SentRef};
pub use meetings::{AvailabilityRow, NewMeeting, WindowRow};
pub use pending_bookings::{NewPendingBooking, PendingBooking};
pub use sessions::{RefreshOutcome, SessionRow, SessionState};
pub use suppression::SuppressionRow;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Row};
use std::str::FromStr;
use std::time::Duration;

pub type Conn = AnyConnection;
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// SQL for the domain of the address in column `col` (the text after its one `@`). The
    /// expression index `contacts_account_domain` is on exactly this expression over `email`, so
    /// a query uses the index only when it spells the domain through this function.
    pub(crate) fn email_domain(self, col: &str) -> String {
        match self {
            Backend::Sqlite => format!("substr({col}, instr({col}, '@') + 1)"),
            Backend::Postgres => format!("substr({col}, strpos({col}, '@') + 1)"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("a record with the same {0} already exists")]
    Duplicate(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("unsupported database url (use sqlite://... or postgres://...): {0}")]
    BadUrl(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Maps a unique-constraint violation to [`StoreError::Duplicate`].
pub(crate) fn map_unique(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match e.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Duplicate(what.to_string()),
        _ => StoreError::Db(e),
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The caller lookup on every authenticated request, cached briefly (see `lookup.rs`).
    callers: std::sync::Arc<lookup::CallerCache>,
    /// Whether a session (or a user's tokens) was revoked, cached briefly (see `sessions.rs`).
    sessions: std::sync::Arc<sessions::SessionCache>,
}

const MIGRATIONS: &[(&str, &str)] = &[
    ("001_init", include_str!("../../migrations/001_init.sql")),
    (
        "002_inbound",
        include_str!("../../migrations/002_inbound.sql"),
    ),
    (
        "003_identity",
        include_str!("../../migrations/003_identity.sql"),
    ),
    (
        "004_booked_slots",
        include_str!("../../migrations/004_booked_slots.sql"),
    ),
    (
        "005_inbound_lookups",
        include_str!("../../migrations/005_inbound_lookups.sql"),
    ),
    (
        "007_suppressions",
        include_str!("../../migrations/007_suppressions.sql"),
    ),
    (
        "008_trusted_identities",
        include_str!("../../migrations/008_trusted_identities.sql"),
    ),
    (
        "009_sessions",
        include_str!("../../migrations/009_sessions.sql"),
    ),
    (
        "010_public_limits",
        include_str!("../../migrations/010_public_limits.sql"),
    ),
    (
        "011_mailbox_errors",
        include_str!("../../migrations/011_mailbox_errors.sql"),
    ),
];

impl Store {
    /// Connects (creating the SQLite file if needed) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        let url = if backend == Backend::Sqlite && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_string()
        };
        if backend == Backend::Sqlite {
            if let Some(parent) = sqlite_path(&url)
                .and_then(|p| std::path::Path::new(&p).parent().map(|p| p.to_owned()))
            {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| StoreError::BadUrl(e.to_string()))?;
                }
            }
        }
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 30000",
                            "PRAGMA foreign_keys = ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store {
            pool,
            backend,
            callers: std::sync::Arc::default(),
            sessions: std::sync::Arc::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    async fn migrate(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .execute(&mut *tx)
            .await?;
        let id = match self.backend {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGSERIAL PRIMARY KEY",
        };
        for (name, sql) in MIGRATIONS {
            let done = sqlx::query("SELECT name FROM schema_migrations WHERE name = $1")
                .bind(*name)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            let sql = sql
                .replace("{{ID}}", id)
                .replace("{{EMAIL_DOMAIN}}", &self.backend.email_domain("email"));
            for statement in sql.split(';') {
                let statement: String = statement
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n");
                if !statement.trim().is_empty() {
                    sqlx::query(&statement).execute(&mut *tx).await?;
                }
            }
            if *name == "008_trusted_identities" {
                identity::adopt_legacy_trust(&mut tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)")
                .bind(*name)
                .bind(0_i64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A transaction that will write. On SQLite it takes the write lock up front (`BEGIN
    /// IMMEDIATE`), so it never fails half-way on a lock upgrade.
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// A pooled connection for reads.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.pool.acquire().await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_string())
    }
}

/// `$start, $start+1, ...` placeholders for an `IN (...)` list of `n` values.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn get_bool(row: &sqlx::any::AnyRow, col: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

pub(crate) fn parse_enum<T>(value: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(value).ok_or_else(|| StoreError::Corrupt(format!("unknown value '{value}'")))
}

pub(crate) fn opt_enum<T>(
    value: Option<String>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    value.map(|v| parse_enum(&v, parse)).transpose()
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
