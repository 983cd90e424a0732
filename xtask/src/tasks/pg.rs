//! `cargo xtask pg -- CMD...`: CMD against a throwaway PostgreSQL (or, without CMD, keep one
//! running until Ctrl-C and print its URL).

use crate::postgres::TempPostgres;
use crate::shell::run_status;
use crate::tools::ensure_postgres_package;
use anyhow::{ensure, Result};
use std::process::Command;
use std::time::Duration;

#[derive(clap::Args)]
pub struct PgArgs {
    /// The command to run, with SEQUENCER_TEST_PG_URL set (e.g. `-- cargo test -p sequencer-server`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    cmd: Vec<String>,
}

pub fn execute(args: PgArgs) -> Result<()> {
    ensure_postgres_package()?;
    let pg = TempPostgres::start()?;
    let result = match args.cmd.split_first() {
        Some((program, rest)) => run_with_url(&pg, program, rest),
        None => wait_for_interrupt(&pg),
    };
    let stopped = pg.stop();
    result.and(stopped)
}

fn run_with_url(pg: &TempPostgres, program: &str, args: &[String]) -> Result<()> {
    let status = run_status(
        Command::new(program)
            .args(args)
            .env("SEQUENCER_TEST_PG_URL", pg.url()),
    )?;
    ensure!(status.success(), "`{program}` failed ({status})");
    Ok(())
}

fn wait_for_interrupt(pg: &TempPostgres) -> Result<()> {
    println!("SEQUENCER_TEST_PG_URL={}", pg.url());
    eprintln!("xtask: PostgreSQL is up; Ctrl-C stops and deletes it");
    // Ctrl-C ends this process; the cluster's watchdog then stops and deletes it.
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
