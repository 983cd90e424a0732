//! `cargo xtask test`: everything CI checks, in order of cost, with a summary line per stage.
//!
//! Tests receive, besides the usual environment:
//! - `SEQUENCER_TEST_PG_URL`   a throwaway PostgreSQL (superuser, trust auth); create databases from it
//! - `SEQUENCER_FRONTEND_DIST` the Trunk build output, for tests that serve the real frontend
//! - `CHROME_BIN`, `CHROMEDRIVER` Debian's Chromium and ChromeDriver, for browser tests

use crate::frontend;
use crate::postgres::TempPostgres;
use crate::project::Project;
use crate::shell::run;
use crate::stages::Stages;
use crate::tools;
use anyhow::{Context, Result};
use std::process::Command;

#[derive(clap::Args)]
pub struct TestArgs {
    /// Run the remaining stages after a failure (the summary still fails).
    #[arg(long)]
    keep_going: bool,
    /// Skip a stage: tools, fmt, tidy, frontend, postgres, tests, frontend-tests, clippy.
    #[arg(long, value_name = "STAGE")]
    skip: Vec<String>,
}

pub fn execute(args: TestArgs) -> Result<()> {
    let project = Project::locate()?;
    let mut stages = Stages::new("xtask test", args.keep_going, args.skip);

    let wasm_tools = stages.run("tools", || {
        tools::ensure_test_packages()?;
        tools::ensure_manifest_validators(&project)?;
        tools::ensure_wasm_tools(&project)
    });
    stages.run("fmt", || check_fmt(&project));
    stages.run("tidy", || {
        crate::tidy::run(project.root()).map_err(anyhow::Error::msg)
    });
    // Without the tools stage (skipped, or failed with --keep-going), assume what is installed.
    let wasm_tools = wasm_tools.unwrap_or_else(|| tools::installed_wasm_tools(&project));
    stages.run("frontend", || frontend::build(&project, &wasm_tools));
    run_tests(&mut stages, &project);
    stages.run("frontend-tests", || {
        run(test_env(cargo(&project), &project).args(["test", "-p", "frontend"]))
    });
    stages.run("clippy", || {
        run(cargo(&project).args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    });
    stages.finish()
}

/// The workspace tests (SQLite and PostgreSQL), with PostgreSQL up only for them.
fn run_tests(stages: &mut Stages, project: &Project) {
    let Some(pg) = stages.run("postgres", TempPostgres::start) else {
        stages.skipped("tests", "PostgreSQL is not running");
        return;
    };
    stages.run("tests", || {
        let mut cmd = test_env(cargo(project), project);
        cmd.env("SEQUENCER_TEST_PG_URL", pg.url()).args([
            "test",
            "--workspace",
            "--exclude",
            "frontend",
            // Report every failing test binary, not just the first.
            "--no-fail-fast",
        ]);
        run(&mut cmd)
    });
    if let Err(err) = pg.stop() {
        eprintln!("xtask: warning: {err:#}");
    }
}

/// `cargo fmt --all --check`, listing the files to reformat rather than every diff.
fn check_fmt(project: &Project) -> Result<()> {
    run(cargo(project).args(["fmt", "--all", "--check", "--", "--files-with-diff"]))
        .context("these files are not rustfmt-formatted: run `cargo fmt --all`")
}

fn cargo(project: &Project) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(project.root());
    cmd
}

/// The variables every test process gets (see the module docs).
fn test_env(mut cmd: Command, project: &Project) -> Command {
    cmd.env("SEQUENCER_FRONTEND_DIST", project.frontend_dist())
        .env("CHROME_BIN", "/usr/bin/chromium")
        .env("CHROMEDRIVER", "/usr/bin/chromedriver");
    cmd
}
