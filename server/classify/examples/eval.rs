//! The classifier's evaluation figures over labelled corpora (bounces detected, recipients
//! right, group agreement, auto-replies): the figures `tests/thresholds.rs` asserts.
//! `cargo run -p sequencer-classify --features eval --example eval -- [DIR] [--misses]`:
//! DIR defaults to this crate's `tests/corpora`; `--misses` lists every file that missed.
//! A dev-only tool: the `eval` feature reads files, so no production binary carries it.

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpora"));
    let report = sequencer_classify::eval::evaluate(&dir);
    println!("corpora: {}", dir.display());
    print!("{report}");
    if args.iter().any(|a| a == "--misses") {
        for m in &report.misses {
            println!("  {m}");
        }
    }
}
