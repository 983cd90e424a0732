//! One module per `cargo xtask` subcommand; each composes `tools`, `frontend`, `postgres`.

pub mod bench;
pub mod pg;
pub mod run;
pub mod test;
