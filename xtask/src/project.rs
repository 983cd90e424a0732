//! Where things are in the repository, and the few facts xtask reads from its files
//! (Cargo.lock, Trunk.toml) with plain string parsing, to stay dependency-light.

use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};

pub struct Project {
    root: PathBuf,
}

impl Project {
    /// The workspace root: the parent of this crate's manifest dir.
    pub fn locate() -> Result<Self> {
        // `cargo run` sets it at run time too; prefer that in case the repo was moved.
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .context("xtask's manifest dir has no parent")?
            .to_path_buf();
        ensure!(
            root.join("Cargo.toml").is_file(),
            "no Cargo.toml in {}: is xtask inside the workspace?",
            root.display()
        );
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Cargo's target dir (CARGO_TARGET_DIR wins, as it does for cargo).
    pub fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => self.root.join(dir),
            None => self.path("target"),
        }
    }

    /// Repo-local tools installed by xtask (npm's binaryen); gitignored via `target/`.
    pub fn tools_dir(&self) -> PathBuf {
        self.path("target/tools")
    }

    pub fn trunk_target(&self) -> PathBuf {
        self.path("frontend/index.html")
    }

    pub fn frontend_dist(&self) -> PathBuf {
        self.path("frontend/dist")
    }

    /// The `wasm-bindgen` version Cargo.lock pins; the CLI must be exactly this version.
    pub fn wasm_bindgen_version(&self) -> Result<String> {
        let lock = read(&self.path("Cargo.lock"))?;
        match locked_version(&lock, "wasm-bindgen") {
            Some(version) => Ok(version),
            None => bail!("Cargo.lock has no `wasm-bindgen` package"),
        }
    }

    /// Fails unless Trunk.toml's `[tools] wasm_bindgen` equals the Cargo.lock version.
    pub fn check_trunk_toml(&self, wasm_bindgen: &str) -> Result<()> {
        let trunk_toml = read(&self.path("Trunk.toml"))?;
        let pinned = toml_string(&trunk_toml, "wasm_bindgen")
            .context("Trunk.toml has no `wasm_bindgen = \"...\"` under [tools]")?;
        ensure!(
            pinned == wasm_bindgen,
            "Trunk.toml pins wasm_bindgen = \"{pinned}\" but Cargo.lock has wasm-bindgen \
             {wasm_bindgen}: set `wasm_bindgen = \"{wasm_bindgen}\"` in Trunk.toml"
        );
        Ok(())
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The version of package `name` in a Cargo.lock (the first one if several are locked).
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    lines.find(|line| line.trim() == wanted)?;
    let version = lines.next()?.trim().strip_prefix("version = ")?;
    Some(version.trim_matches('"').to_owned())
}

/// The string value of the first `key = "value"` line, ignoring tables and comments.
pub fn toml_string(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once('=')?;
        let v = v.split('#').next()?.trim();
        (k.trim() == key).then(|| v.trim_matches('"').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_version_reads_the_line_after_the_name() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "serde"), None);
    }

    #[test]
    fn toml_string_ignores_other_keys_and_comments() {
        let toml = "[tools]\nwasm_opt = \"version_132\"\nwasm_bindgen = \"0.2.130\" # pinned\n";
        assert_eq!(
            toml_string(toml, "wasm_bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(toml_string(toml, "sass"), None);
    }
}
