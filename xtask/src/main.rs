//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `run`   builds the frontend and the server, seeds demo data and serves it.
//! - `test`  everything CI checks (`.ci/run` calls it), with a throwaway PostgreSQL.
//! - `bench` the benchmark steps listed in `tasks/bench.rs`.
//! - `pg`    runs any command against a throwaway PostgreSQL.
//! - `tidy`  the architecture rules (`tidy.rs`); `test` runs it too, and so does `cargo test -p xtask`.
//!
//! Each command installs what it needs and is missing (see `tools.rs`), so both README
//! commands work on a fresh machine. This crate depends on no project crate.

mod frontend;
mod postgres;
mod project;
mod shell;
mod stages;
mod tasks;
mod tidy;
mod tools;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Sequencer project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build everything, seed demo data and serve it on 127.0.0.1.
    Run(tasks::run::RunArgs),
    /// Run everything CI checks: fmt, frontend build, tests on SQLite and PostgreSQL, clippy.
    Test(tasks::test::TestArgs),
    /// Run the benchmark steps (all, or those named with --only).
    Bench(tasks::bench::BenchArgs),
    /// Start a throwaway PostgreSQL, run CMD with SEQUENCER_TEST_PG_URL set, stop it.
    Pg(tasks::pg::PgArgs),
    /// Check ARCHITECTURE.md's rules on the source tree (which module may name what).
    Tidy,
}

fn main() -> std::process::ExitCode {
    if let Err(err) = dispatch(Cli::parse()) {
        eprintln!("xtask: error: {err:#}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => tasks::run::execute(args),
        Command::Test(args) => tasks::test::execute(args),
        Command::Bench(args) => tasks::bench::execute(args),
        Command::Pg(args) => tasks::pg::execute(args),
        Command::Tidy => {
            tidy::run(crate::project::Project::locate()?.root()).map_err(anyhow::Error::msg)
        }
    }
}
