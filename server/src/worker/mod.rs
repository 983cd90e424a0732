//! The scheduler loop. The work of a pass lives in `App::tick(now)`, which tests call directly
//! with a manual clock; this module only repeats it on the system clock.

use std::time::Duration;

use crate::service::App;

/// Runs `tick` every `every` until the task is dropped. Errors are logged, never fatal.
pub async fn run(app: App, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match app.tick(app.now(), 200).await {
            Ok(r) if r != Default::default() => tracing::info!(?r, "scheduler pass"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "scheduler pass failed"),
        }
    }
}
