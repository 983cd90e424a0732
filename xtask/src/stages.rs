//! A pipeline of named stages with timing, fail-fast (or keep-going), and a closing summary.

use anyhow::{bail, Result};
use std::time::{Duration, Instant};

enum Outcome {
    Passed,
    Failed(String),
    Skipped(&'static str),
}

struct Record {
    name: String,
    outcome: Outcome,
    took: Duration,
}

pub struct Stages {
    title: &'static str,
    keep_going: bool,
    skip: Vec<String>,
    started: Instant,
    records: Vec<Record>,
}

impl Stages {
    /// `skip` names stages (by their key) the caller asked not to run.
    pub fn new(title: &'static str, keep_going: bool, skip: Vec<String>) -> Self {
        Self {
            title,
            keep_going,
            skip,
            started: Instant::now(),
            records: Vec::new(),
        }
    }

    fn failed(&self) -> bool {
        self.records
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Failed(_)))
    }

    /// Runs stage `key` (unless skipped) and returns its value, or `None` if it did not pass.
    pub fn run<T>(&mut self, key: &str, f: impl FnOnce() -> Result<T>) -> Option<T> {
        if let Some(reason) = self.reason_to_skip(key) {
            self.skipped(key, reason);
            return None;
        }
        eprintln!("\n==> {}: {key}", self.title);
        let start = Instant::now();
        let result = f();
        let took = start.elapsed();
        let (outcome, value) = match result {
            Ok(value) => (Outcome::Passed, Some(value)),
            Err(err) => {
                eprintln!("==> {key} FAILED: {err:#}");
                (Outcome::Failed(format!("{err:#}")), None)
            }
        };
        eprintln!("==> {key}: {} in {}", label(&outcome), human(took));
        self.records.push(Record {
            name: key.to_owned(),
            outcome,
            took,
        });
        value
    }

    fn reason_to_skip(&self, key: &str) -> Option<&'static str> {
        if self.skip.iter().any(|s| s == key) {
            Some("--skip")
        } else if self.failed() && !self.keep_going {
            Some("an earlier stage failed")
        } else {
            None
        }
    }

    /// Records stage `key` as not run, with the reason.
    pub fn skipped(&mut self, key: &str, reason: &'static str) {
        self.records.push(Record {
            name: key.to_owned(),
            outcome: Outcome::Skipped(reason),
            took: Duration::ZERO,
        });
    }

    /// Prints one line per stage and the total; fails if any stage failed.
    pub fn finish(self) -> Result<()> {
        let total = self.started.elapsed();
        let width = self.records.iter().map(|r| r.name.len()).max().unwrap_or(0);
        eprintln!("\n{} summary:", self.title);
        for r in &self.records {
            let detail = match &r.outcome {
                Outcome::Passed => String::new(),
                Outcome::Failed(err) => first_line(err).to_owned(),
                Outcome::Skipped(reason) => format!("({reason})"),
            };
            let took = match r.outcome {
                Outcome::Skipped(_) => String::new(),
                _ => human(r.took),
            };
            eprintln!(
                "  {:<7} {:<width$}  {took:>8}  {detail}",
                label(&r.outcome),
                r.name,
            );
        }
        let verdict = if self.failed() { "FAILED" } else { "ok" };
        eprintln!("{}: {verdict}, total {}", self.title, human(total));
        if self.failed() {
            bail!("{} failed", self.title);
        }
        Ok(())
    }
}

fn label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "ok",
        Outcome::Failed(_) => "FAILED",
        Outcome::Skipped(_) => "skipped",
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// `4.2s`, `3m07s`, `1h02m`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{:.1}s", d.as_secs_f64()),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::human;
    use std::time::Duration;

    #[test]
    fn durations_read_like_a_person_writes_them() {
        let cases = [(4_200, "4.2s"), (187_000, "3m07s"), (3_720_000, "1h02m")];
        for (millis, expected) in cases {
            assert_eq!(human(Duration::from_millis(millis)), expected);
        }
    }
}
