//! Sequencer server library: see ARCHITECTURE.md for the bird's-eye view.
//!
//! Layers, inward to outward: `domain` (nouns) and `engine` (pure rules) -> `store` (sqlx) ->
//! `service` (use cases) -> `http` (actix), `worker` (scheduler loop), `mail` (SMTP).

pub mod auth;
pub mod cli_inbound;
pub mod clock;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod http;
pub mod identity;
pub mod mail;
pub mod manifests;
pub mod net;
pub mod service;
pub mod store;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clock::Clock;
use service::{App, Settings};

/// Why the application could not be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("opening the database: {0}")]
    Store(#[from] store::StoreError),
    #[error("configuring the mail relay: {0}")]
    Mail(#[from] mail::MailError),
}

/// Why the signing secret could not be loaded (startup stops; the secret is never replaced).
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{0}")]
    Refused(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl SecretError {
    fn io(context: String) -> impl FnOnce(std::io::Error) -> SecretError {
        move |source| SecretError::Io { context, source }
    }
}

/// Builds the application from its adapters' settings.
pub async fn build_app(
    database_url: &str,
    mail_url: &str,
    public_url: &str,
    secret: Vec<u8>,
    clock: Arc<dyn Clock>,
) -> Result<App, BuildError> {
    let store = store::Store::connect(database_url).await?;
    let mailer = mail::Mailer::from_url(mail_url)?;
    Ok(App {
        store,
        clock,
        mailer: Arc::new(mailer),
        settings: Arc::new(Settings::new(public_url, secret)),
        mailbox_changes: Default::default(),
        worker: Default::default(),
    })
}

/// The shortest secret accepted, in bytes (a generated one is 64 hex characters).
pub const MIN_SECRET_LEN: usize = 32;

/// The signing secret: `SEQUENCER_SECRET` if set, else `<data_dir>/secret`, created on first use.
///
/// The file is created atomically with mode 0600 (written to a temporary file in the same folder,
/// synced, then linked into place, so two processes starting together agree on one secret). An
/// existing file that is too short or unreadable stops startup with an error instead of being
/// replaced: a new secret would sign everyone out and make sealed credentials unreadable. An
/// existing file that group or others may read is narrowed to 0600, with a warning.
pub fn load_secret(data_dir: &Path) -> Result<Vec<u8>, SecretError> {
    if let Ok(s) = std::env::var("SEQUENCER_SECRET") {
        if s.len() >= MIN_SECRET_LEN {
            return Ok(s.into_bytes());
        }
        return Err(SecretError::Refused(format!(
            "SEQUENCER_SECRET must be at least {MIN_SECRET_LEN} characters"
        )));
    }
    load_secret_file(&data_dir.join("secret"))
}

/// [`load_secret`] for the file at `path` (no environment).
pub fn load_secret_file(path: &Path) -> Result<Vec<u8>, SecretError> {
    match std::fs::read(path) {
        Ok(bytes) => return existing_secret(path, &bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(SecretError::io(format!(
                "reading the secret {} (it is not replaced: a new secret would sign everyone out and make sealed credentials unreadable)",
                path.display()
            ))(e))
        }
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(SecretError::io(format!("creating {}", dir.display())))?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let tmp: PathBuf = dir.join(format!(
        ".secret.{}.tmp",
        hex::encode(rand::random::<[u8; 8]>())
    ));
    let written = write_private(&tmp, secret.as_bytes())
        .map_err(SecretError::io(format!("writing {}", tmp.display())));
    // A hard link fails if the name exists: a process that started at the same moment won, and
    // its secret is the one everybody uses.
    let linked = written.and_then(|()| {
        std::fs::hard_link(&tmp, path).or_else(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Ok(())
            } else {
                Err(SecretError::io(format!("creating {}", path.display()))(e))
            }
        })
    });
    let _ = std::fs::remove_file(&tmp);
    linked?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    let bytes =
        std::fs::read(path).map_err(SecretError::io(format!("reading {}", path.display())))?;
    existing_secret(path, &bytes)
}

/// Checks a secret read from `path`, and narrows its permissions to the owner.
fn existing_secret(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, SecretError> {
    let text = std::str::from_utf8(bytes).map(str::trim).unwrap_or("");
    if text.len() < MIN_SECRET_LEN {
        return Err(SecretError::Refused(format!(
            "the secret {} is shorter than {MIN_SECRET_LEN} characters or not text; refusing to start \
             (a new secret would sign everyone out and make sealed credentials unreadable): restore \
             it, or remove it deliberately to generate a new one",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    file = %path.display(),
                    mode = format!("{:o}", mode & 0o777),
                    "the secret was readable by group or others: narrowed to 0600"
                );
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
                    SecretError::io(format!("narrowing {} to mode 0600", path.display())),
                )?;
            }
        }
    }
    Ok(text.as_bytes().to_vec())
}

/// Creates `path` (it must not exist) readable by its owner only, writes `bytes` and syncs them.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn a_new_secret_is_created_private_and_read_back_unchanged() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("data").join("secret");
        let first = load_secret_file(&path)?;
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        assert_eq!(load_secret_file(&path)?, first);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap_or(dir.path()))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("secret")]);
        Ok(())
    }

    #[test]
    fn a_short_empty_or_binary_secret_stops_startup_and_is_kept() -> TestResult {
        let cases: &[(&str, &[u8])] = &[
            ("short", b"too-short"),
            ("empty", b""),
            ("whitespace", b"   \n\t  \n"),
            ("not text", &[0xff; 40]),
            ("31 characters", b"0123456789012345678901234567890"),
        ];
        for (name, bytes) in cases {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("secret");
            std::fs::write(&path, bytes)?;
            let err = load_secret_file(&path).err();
            assert!(
                err.as_ref()
                    .is_some_and(|e| e.to_string().contains("refusing to start")),
                "{name}: {err:?}"
            );
            assert_eq!(
                std::fs::read(&path)?,
                *bytes,
                "{name}: the file was replaced"
            );
        }
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_readable_by_others_is_narrowed_to_the_owner() -> TestResult {
        use std::os::unix::fs::PermissionsExt;
        for loose in [0o644, 0o640, 0o604, 0o666] {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("secret");
            std::fs::write(&path, "x".repeat(40))?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose))?;
            assert_eq!(load_secret_file(&path)?, "x".repeat(40).into_bytes());
            assert_eq!(mode(&path), 0o600, "{loose:o}");
        }
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_secret_stops_startup_instead_of_being_replaced() -> TestResult {
        let dir = tempfile::tempdir()?;
        // A directory where the file should be: reading fails with something other than NotFound.
        let path = dir.path().join("secret");
        std::fs::create_dir(&path)?;
        assert!(load_secret_file(&path).is_err());
        assert!(path.is_dir());
        Ok(())
    }

    #[test]
    fn processes_starting_together_agree_on_one_secret() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("secret");
        let secrets: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| load_secret_file(&path).unwrap_or_default()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        assert!(secrets.iter().all(|s| s.len() == 64 && *s == secrets[0]));
        Ok(())
    }
}
