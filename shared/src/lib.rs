//! The wire contract between the Sequencer server and every frontend (panel, web app, extensions).
//!
//! Owns: request/response DTOs, view models and the stable [`ErrorCode`]s. Depends on serde only and
//! builds for `wasm32-unknown-unknown`. Evolves additively: new fields are `Option`/`#[serde(default)]`,
//! and every wire enum carries `#[serde(other)] Unknown` so an add-in cached by Outlook keeps working
//! against a newer server. Timestamps are RFC 3339 strings in UTC.

mod enums;
mod error;
mod identity;
mod inbound;
mod views;

pub use enums::*;
pub use error::*;
pub use identity::*;
pub use inbound::*;
pub use views::*;

/// Every route lives under this prefix.
pub const API_PREFIX: &str = "/api/v1";
