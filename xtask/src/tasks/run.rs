//! `cargo xtask run`: build the frontend and the server, seed demo data, serve on 127.0.0.1.
//!
//! The server is a debug build by default: it shares its compiled dependencies with
//! `cargo test`, where a release build (LTO, one codegen unit) takes many minutes on 2 cores.

use crate::frontend;
use crate::project::Project;
use crate::shell::{display, run};
use crate::tools;
use anyhow::{Context, Result};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Relative to the repo root, where the commands run.
const DEMO_DB_FILE: &str = "data/demo.db";
const DEMO_DB_URL: &str = "sqlite://data/demo.db";

#[derive(clap::Args)]
pub struct RunArgs {
    /// Port to serve on (127.0.0.1 only).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Delete the demo database first, so the demo starts from scratch.
    #[arg(long)]
    fresh: bool,
    /// Build the server in release mode (slow first build; for measuring, not for trying).
    #[arg(long)]
    release: bool,
}

pub fn execute(args: RunArgs) -> Result<()> {
    let project = Project::locate()?;
    let wasm_tools = tools::ensure_wasm_tools(&project)?;
    frontend::build(&project, &wasm_tools)?;
    let server = build_server(&project, args.release)?;
    prepare_data_dir(&project, args.fresh)?;
    let public_url = format!("http://127.0.0.1:{}", args.port);
    run(sequencer(&server, &project, &public_url).args(["demo", "--database-url", DEMO_DB_URL]))?;
    print_urls(&public_url);
    serve(&server, &project, &public_url, args.port)
}

/// Builds the `sequencer` binary and returns its path.
fn build_server(project: &Project, release: bool) -> Result<PathBuf> {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(project.root())
        .args(["build", "-p", "sequencer-server", "--bin", "sequencer"]);
    if release {
        cmd.arg("--release");
    }
    run(&mut cmd)?;
    let profile = if release { "release" } else { "debug" };
    Ok(project.target_dir().join(profile).join("sequencer"))
}

fn prepare_data_dir(project: &Project, fresh: bool) -> Result<()> {
    let db = project.path(DEMO_DB_FILE);
    if fresh {
        for suffix in ["", "-wal", "-shm"] {
            remove_if_present(&PathBuf::from(format!("{}{suffix}", db.display())))?;
        }
    }
    let dir = db
        .parent()
        .context("the demo database path has no parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            Err(err).with_context(|| format!("cannot delete {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// The server binary, run from the repo root and told the URL it is reachable at.
fn sequencer(server: &Path, project: &Project, public_url: &str) -> Command {
    let mut cmd = Command::new(server);
    cmd.current_dir(project.root())
        .env("SEQUENCER_PUBLIC_URL", public_url)
        // Development mode: a local IMAP server or identity provider on loopback is reachable.
        .env("SEQUENCER_DEV", "1");
    cmd
}

fn print_urls(public_url: &str) {
    println!();
    println!("  web app: {public_url}/app/");
    println!("  panel:   {public_url}/addin/");
    println!("  API:     {public_url}/api/v1/");
    println!("  (Ctrl-C stops the server; `cargo xtask run --fresh` reseeds the demo data)");
    println!();
}

/// Replaces xtask with the server, so Ctrl-C and exit codes are the server's own.
fn serve(server: &Path, project: &Project, public_url: &str, port: u16) -> Result<()> {
    let mut cmd = sequencer(server, project, public_url);
    cmd.args([
        "serve",
        "--database-url",
        DEMO_DB_URL,
        "--static-dir",
        "frontend/dist",
    ])
    .arg("--bind")
    .arg(format!("127.0.0.1:{port}"));
    eprintln!("$ {}", display(&cmd));
    let err = cmd.exec();
    Err(err).with_context(|| format!("cannot start {}", server.display()))
}
