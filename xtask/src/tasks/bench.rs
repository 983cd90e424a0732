//! `cargo xtask bench`: the project's benchmarks, as a list of named steps ([`STEPS`]).
//!
//! To add a benchmark, add a [`BenchStep`] to [`STEPS`]. Server benches are the server's own
//! `sequencer bench` subcommand, which gets a database URL and prints its figures; extra
//! arguments after `--` are passed on to it.

use crate::frontend;
use crate::postgres::TempPostgres;
use crate::project::Project;
use crate::shell::{run, which};
use crate::stages::Stages;
use crate::tools;
use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

struct BenchStep {
    name: &'static str,
    about: &'static str,
    run: fn(&Project, &[String]) -> Result<()>,
}

const STEPS: &[BenchStep] = &[
    BenchStep {
        name: "server-sqlite",
        about: "recipient lookup, bulk unenroll, scheduler throughput, webhook reply -> committed unenroll on SQLite",
        run: server_on_sqlite,
    },
    BenchStep {
        name: "server-postgres",
        about: "the same on a throwaway PostgreSQL",
        run: server_on_postgres,
    },
    BenchStep {
        name: "wasm-size",
        about: "the frontend's .wasm raw, gzip -9 and brotli sizes after wasm-opt",
        run: wasm_size,
    },
    BenchStep {
        name: "classify",
        about: "inbound classification over the corpora: accuracy figures and msgs/s on one core",
        run: classify_throughput,
    },
    BenchStep {
        name: "panel-latency",
        about: "panel in headless Chromium: first banner, recipient change",
        run: panel_latency,
    },
];

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Run only this step (repeatable); `--list` shows the steps.
    #[arg(long, value_name = "STEP")]
    only: Vec<String>,
    /// List the steps and exit.
    #[arg(long)]
    list: bool,
    /// Passed on to `sequencer bench`.
    #[arg(last = true)]
    extra: Vec<String>,
}

pub fn execute(args: BenchArgs) -> Result<()> {
    if args.list {
        for step in STEPS {
            println!("{:<16} {}", step.name, step.about);
        }
        return Ok(());
    }
    if let Some(unknown) = args
        .only
        .iter()
        .find(|n| !STEPS.iter().any(|s| s.name == *n))
    {
        bail!("no bench step `{unknown}` (see `cargo xtask bench --list`)");
    }
    let project = Project::locate()?;
    tools::ensure_bench_packages()?;
    let mut stages = Stages::new("xtask bench", true, Vec::new());
    for step in STEPS {
        if args.only.is_empty() || args.only.iter().any(|n| n == step.name) {
            stages.run(step.name, || (step.run)(&project, &args.extra));
        }
    }
    stages.finish()
}

/// `cargo run --release ... -- bench --database-url URL EXTRA...`
fn sequencer_bench(project: &Project, database_url: &str, extra: &[String]) -> Result<()> {
    run(Command::new("cargo")
        .current_dir(project.root())
        .args([
            "run",
            "--release",
            "-p",
            "sequencer-server",
            "--bin",
            "sequencer",
            "--",
        ])
        .args(["bench", "--database-url", database_url])
        .args(extra))
}

/// `cargo run --release -p sequencer-classify --features eval --example throughput`.
fn classify_throughput(project: &Project, _extra: &[String]) -> Result<()> {
    run(Command::new("cargo").current_dir(project.root()).args([
        "run",
        "--release",
        "-p",
        "sequencer-classify",
        "--features",
        "eval",
        "--example",
        "throughput",
    ]))
}

fn server_on_sqlite(project: &Project, extra: &[String]) -> Result<()> {
    let dir = project.target_dir().join("bench");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let db = dir.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    sequencer_bench(project, &format!("sqlite://{}", db.display()), extra)
}

fn server_on_postgres(project: &Project, extra: &[String]) -> Result<()> {
    tools::ensure_postgres_package()?;
    let pg = TempPostgres::start()?;
    let result = sequencer_bench(project, &pg.url(), extra);
    let stopped = pg.stop();
    result.and(stopped)
}

fn wasm_size(project: &Project, _extra: &[String]) -> Result<()> {
    let wasm_tools = tools::ensure_wasm_tools(project)?;
    frontend::build(project, &wasm_tools)?;
    let dist = project.frontend_dist();
    let entries =
        std::fs::read_dir(&dist).with_context(|| format!("cannot read {}", dist.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "wasm") {
            report_sizes(&path)?;
        }
    }
    Ok(())
}

/// `tests/examples/panel_bench.rs` in release against the built frontend, in headless Chromium.
fn panel_latency(project: &Project, _extra: &[String]) -> Result<()> {
    tools::ensure_test_packages()?;
    let wasm_tools = tools::ensure_wasm_tools(project)?;
    frontend::build(project, &wasm_tools)?;
    run(Command::new("cargo")
        .current_dir(project.root())
        .env("SEQUENCER_FRONTEND_DIST", project.frontend_dist())
        .env("CHROME_BIN", "/usr/bin/chromium")
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .args([
            "run",
            "--release",
            "-p",
            "sequencer-tests",
            "--example",
            "panel_bench",
        ]))
}

fn report_sizes(wasm: &Path) -> Result<()> {
    let raw = std::fs::metadata(wasm)
        .with_context(|| format!("cannot stat {}", wasm.display()))?
        .len();
    let gzip = compressed_size("gzip", &["-9", "-c"], wasm)?;
    let brotli = compressed_size("brotli", &["-c", "-q", "11"], wasm)?;
    println!(
        "{}: raw {} KB, gzip {} KB, brotli {} KB",
        wasm.file_name().unwrap_or_default().to_string_lossy(),
        raw / 1024,
        kilobytes(gzip),
        kilobytes(brotli)
    );
    Ok(())
}

fn kilobytes(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_owned(), |b| (b / 1024).to_string())
}

/// Bytes `compressor ARGS FILE` writes, or `None` when the compressor is not installed.
fn compressed_size(compressor: &str, args: &[&str], file: &Path) -> Result<Option<u64>> {
    if which(compressor).is_none() {
        eprintln!("xtask: {compressor} not installed (apt-get install {compressor}); size n/a");
        return Ok(None);
    }
    let mut child = Command::new(compressor)
        .args(args)
        .arg(file)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {compressor}"))?;
    let mut bytes = 0u64;
    if let Some(mut stdout) = child.stdout.take() {
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = stdout.read(&mut buf).context("reading compressed output")?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
        }
    }
    let status = child.wait()?;
    anyhow::ensure!(status.success(), "{compressor} failed ({status})");
    Ok(Some(bytes))
}
