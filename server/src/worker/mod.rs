//! The scheduler loop, supervised. The work of a pass lives in `App::tick(now)`, which tests call
//! directly with a manual clock; this module repeats it on an interval, restarts the loop when it
//! panics, and keeps the health figures that readiness (`GET /api/v1/ready`) and metrics
//! (`GET /api/v1/metrics`) report. One poisoned enrollment cannot get here: `tick` confines each
//! step's errors and panics to that enrollment (held for review).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;

use crate::service::App;

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Time between passes.
    pub every: Duration,
    /// Steps claimed per batch.
    pub batch: i64,
    /// Readiness fails when no pass completed for this long (a dead or wedged loop).
    pub stall_after: Duration,
    /// Wait before restarting a loop that panicked.
    pub restart_after: Duration,
}

impl WorkerConfig {
    /// A pass every `every`; readiness allows one pass to take up to five minutes (a pass
    /// sends its batch one relay deadline after another).
    pub fn every(every: Duration) -> WorkerConfig {
        WorkerConfig {
            every,
            batch: 200,
            stall_after: Duration::from_secs(300).max(every * 3),
            restart_after: Duration::from_secs(1),
        }
    }
}

/// Health of this process's scheduler, shared by the loop, its supervisor and the HTTP layer.
#[derive(Clone, Default)]
pub struct WorkerHealth(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// A supervisor was started in this process (`serve` without `--no-worker`).
    enabled: AtomicBool,
    /// The loop is running (false while a panicked loop waits to restart).
    running: AtomicBool,
    restarts: AtomicU64,
    passes: AtomicU64,
    failed_passes: AtomicU64,
    isolated_failures: AtomicU64,
    stall_after_ms: AtomicU64,
    /// The last completed pass, or the start when none completed yet.
    last_pass: Mutex<Option<Instant>>,
    /// The relay was found unreachable: email steps wait until this app-clock time (ms; 0: up).
    relay_down_until: AtomicI64,
    /// Email steps put back because the relay was unreachable (no contact charged).
    deferred_sends: AtomicU64,
    /// Test-only fault injection: enrollments whose next step panics once.
    injected_panics: Mutex<Vec<i64>>,
}

/// What `/metrics` shows: counts and ages only, nothing about accounts or data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSnapshot {
    pub enabled: bool,
    pub running: bool,
    /// Times the loop panicked and was restarted.
    pub restarts: u64,
    pub passes: u64,
    pub failed_passes: u64,
    /// Steps whose error or panic was confined to their enrollment (held for review).
    pub isolated_failures: u64,
    /// Milliseconds since the last completed pass (or the start).
    pub last_pass_age_ms: Option<u64>,
    /// Email steps put back because the relay was unreachable.
    pub deferred_sends: u64,
    /// Until when (app clock, ms) email steps wait for an unreachable relay.
    pub relay_down_until: Option<i64>,
}

/// Why the process is not ready.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    #[error("the scheduler is not running (restarting after a panic)")]
    Dead,
    #[error("the scheduler has not completed a pass for {0} ms")]
    Stalled(u64),
}

impl WorkerHealth {
    fn stamp(&self) {
        if let Ok(mut last) = self.0.last_pass.lock() {
            *last = Some(Instant::now());
        }
    }

    fn start(&self, config: &WorkerConfig) {
        self.0.enabled.store(true, Ordering::SeqCst);
        self.0.stall_after_ms.store(
            u64::try_from(config.stall_after.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
        self.stamp();
    }

    /// Test-only fault injection (empty in production): the next step of `enrollment` panics
    /// once, so the suites can show the step's error boundary holds.
    #[doc(hidden)]
    pub fn inject_step_panic(&self, enrollment: i64) {
        if let Ok(mut p) = self.0.injected_panics.lock() {
            p.push(enrollment);
        }
    }

    /// Whether a panic was injected for `enrollment` (and consumes it).
    pub(crate) fn take_injected_panic(&self, enrollment: i64) -> bool {
        match self.0.injected_panics.lock() {
            Ok(mut p) if !p.is_empty() => {
                let before = p.len();
                p.retain(|e| *e != enrollment);
                p.len() != before
            }
            _ => false,
        }
    }

    /// Whether email steps should wait for the relay at `now` (app clock).
    pub fn relay_down(&self, now: i64) -> bool {
        now < self.0.relay_down_until.load(Ordering::SeqCst)
    }

    /// The relay could not be used: email steps wait until `until` (app clock).
    pub fn mark_relay_down(&self, until: i64) {
        self.0.relay_down_until.fetch_max(until, Ordering::SeqCst);
    }

    /// A send went through: the relay is up.
    pub fn mark_relay_up(&self) {
        self.0.relay_down_until.store(0, Ordering::SeqCst);
    }

    /// An email step was put back because the relay was unreachable.
    pub fn record_deferred(&self) {
        self.0.deferred_sends.fetch_add(1, Ordering::SeqCst);
    }

    /// A step's failure was confined to its enrollment.
    pub fn record_isolated_failure(&self) {
        self.0.isolated_failures.fetch_add(1, Ordering::SeqCst);
    }

    pub fn snapshot(&self) -> WorkerSnapshot {
        let age = self
            .0
            .last_pass
            .lock()
            .ok()
            .and_then(|l| *l)
            .map(|t| u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX));
        WorkerSnapshot {
            enabled: self.0.enabled.load(Ordering::SeqCst),
            running: self.0.running.load(Ordering::SeqCst),
            restarts: self.0.restarts.load(Ordering::SeqCst),
            passes: self.0.passes.load(Ordering::SeqCst),
            failed_passes: self.0.failed_passes.load(Ordering::SeqCst),
            isolated_failures: self.0.isolated_failures.load(Ordering::SeqCst),
            last_pass_age_ms: age,
            deferred_sends: self.0.deferred_sends.load(Ordering::SeqCst),
            relay_down_until: Some(self.0.relay_down_until.load(Ordering::SeqCst))
                .filter(|u| *u != 0),
        }
    }

    /// Ready unless this process runs a scheduler that is dead or has not completed a pass
    /// within `stall_after`. A process without a scheduler (`--no-worker`) is ready.
    pub fn readiness(&self) -> Result<(), NotReady> {
        let s = self.snapshot();
        if !s.enabled {
            return Ok(());
        }
        if !s.running {
            return Err(NotReady::Dead);
        }
        let limit = self.0.stall_after_ms.load(Ordering::SeqCst);
        match s.last_pass_age_ms {
            Some(age) if age > limit => Err(NotReady::Stalled(age)),
            _ => Ok(()),
        }
    }
}

/// Stops the scheduler when dropped.
pub struct WorkerHandle(tokio::task::JoinHandle<()>);

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the supervised scheduler on the system runtime: the loop runs `tick` every
/// `config.every`; when it panics, the panic is logged, counted (`restarts`) and the loop starts
/// again after `config.restart_after`. Pass errors are logged and counted, never fatal.
pub fn spawn(app: App, config: WorkerConfig) -> WorkerHandle {
    let health = app.worker.clone();
    health.start(&config);
    WorkerHandle(tokio::spawn(async move {
        loop {
            health.0.running.store(true, Ordering::SeqCst);
            let outcome = AssertUnwindSafe(run_loop(&app, &config, &health))
                .catch_unwind()
                .await;
            health.0.running.store(false, Ordering::SeqCst);
            let why = match outcome {
                Ok(never) => match never {},
                Err(panic) => panic_message(panic.as_ref()),
            };
            health.0.restarts.fetch_add(1, Ordering::SeqCst);
            tracing::error!(panic = %why, "scheduler loop panicked; restarting");
            tokio::time::sleep(config.restart_after).await;
        }
    }))
}

async fn run_loop(
    app: &App,
    config: &WorkerConfig,
    health: &WorkerHealth,
) -> std::convert::Infallible {
    let mut interval = tokio::time::interval(config.every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match app.tick(app.now(), config.batch).await {
            Ok(r) => {
                health.0.passes.fetch_add(1, Ordering::SeqCst);
                health.stamp();
                if r != Default::default() {
                    tracing::info!(?r, "scheduler pass");
                }
            }
            Err(e) => {
                health.0.failed_passes.fetch_add(1, Ordering::SeqCst);
                tracing::error!(error = %e, "scheduler pass failed");
            }
        }
    }
}

/// The text of a panic payload (`&str` or `String`), else a placeholder.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}
