//! Building the Yew frontend with Trunk (`Trunk.toml` at the root: `frontend/index.html` ->
//! `frontend/dist`, served by the server at `/static/`), offline, with the pinned tools.

use crate::project::Project;
use crate::shell::{path_with, run};
use crate::tools::WasmTools;
use anyhow::{ensure, Result};
use std::process::Command;

/// `trunk build --release --offline`. Expects [`crate::tools::ensure_wasm_tools`] to have run.
pub fn build(project: &Project, tools: &WasmTools) -> Result<()> {
    let target = project.trunk_target();
    ensure!(
        target.is_file(),
        "{} is missing: the frontend crate must provide Trunk's target page",
        target.display()
    );
    project.check_trunk_toml(&project.wasm_bindgen_version()?)?;
    // `--offline` is passed on to cargo, so the crates must be downloaded first.
    run(Command::new("cargo").current_dir(project.root()).args([
        "fetch",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    run(Command::new("trunk")
        .current_dir(project.root())
        .env("PATH", path_with(&tools.path_dirs)?)
        .args(["build", "--release", "--offline"]))
}
