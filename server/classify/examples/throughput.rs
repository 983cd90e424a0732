//! Classification throughput on one core over the corpora:
//! `cargo run --release -p sequencer-classify --example throughput --features eval`.
//! Also prints the evaluation report (`--misses` lists every miss).

use std::path::Path;
use std::time::Instant;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora");
    let report = sequencer_classify::eval::evaluate(&root);
    print!("{report}");
    if std::env::args().any(|a| a == "--misses") {
        for m in &report.misses {
            println!("  {m}");
        }
    }
    let msgs: Vec<Vec<u8>> = sequencer_classify::eval::corpus_files(&root)
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    let rounds = 20;
    let start = Instant::now();
    let mut bounces = 0usize;
    for _ in 0..rounds {
        for m in &msgs {
            if sequencer_classify::classify(m).class.is_bounce() {
                bounces += 1;
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = msgs.len() * rounds;
    println!(
        "throughput: {:.0} msgs/s ({} messages x {} rounds in {:.2}s, one thread; {} bounces)",
        n as f64 / secs,
        msgs.len(),
        rounds,
        secs,
        bounces / rounds
    );
}
