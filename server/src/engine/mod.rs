//! Pure policy: scheduling inside send windows, template rendering, and the unenroll decisions.
//!
//! Everything comes in as arguments (including `now`); no clock, no IO, no `Result` for unknown
//! input. Must not depend on the store, http, worker or mail modules.

pub mod availability;
pub mod decide;
pub mod meetings;
pub mod schedule;
pub mod template;
