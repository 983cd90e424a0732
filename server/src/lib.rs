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

/// Builds the application from its adapters' settings.
pub async fn build_app(
    database_url: &str,
    mail_url: &str,
    public_url: &str,
    secret: Vec<u8>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<App> {
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

/// The signing secret: `SEQUENCER_SECRET` if set, else `<data_dir>/secret`, created on first use.
pub fn load_secret(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(s) = std::env::var("SEQUENCER_SECRET") {
        if s.len() >= 32 {
            return Ok(s.into_bytes());
        }
        anyhow::bail!("SEQUENCER_SECRET must be at least 32 characters");
    }
    let path: PathBuf = data_dir.join("secret");
    if let Ok(s) = std::fs::read_to_string(&path) {
        if s.trim().len() >= 32 {
            return Ok(s.trim().as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    std::fs::write(&path, &secret)?;
    Ok(secret.into_bytes())
}
