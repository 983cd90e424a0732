//! Installs what the commands need and the machine lacks, checking first and saying what it does:
//! the wasm toolchain (rustup target, trunk, wasm-bindgen-cli, binaryen's wasm-opt from npm) and
//! the test machinery (Debian packages, Python's aiosmtpd).
//!
//! Versions are pinned here; the wasm-bindgen CLI follows Cargo.lock.

use crate::project::Project;
use crate::shell::{self, as_root, run, stdout_of, which};
use anyhow::{ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const TRUNK_VERSION: &str = "0.21.14";
/// npm's `binaryen` major version; Trunk.toml says `wasm_opt = "version_132"`.
const BINARYEN_VERSION: &str = "132";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// A Debian package and how to tell it is already installed.
struct SystemPackage {
    apt: &'static str,
    installed: fn() -> bool,
}

/// What `cargo xtask test` needs beyond Rust (PostgreSQL server, browser, IMAP server, openssl).
const TEST_PACKAGES: &[SystemPackage] = &[
    SystemPackage {
        apt: "postgresql",
        installed: || postgres_bin_dir().is_some(),
    },
    SystemPackage {
        apt: "chromium",
        installed: || Path::new("/usr/bin/chromium").exists(),
    },
    SystemPackage {
        apt: "chromium-driver",
        installed: || Path::new("/usr/bin/chromedriver").exists(),
    },
    SystemPackage {
        apt: "libxml2-utils",
        installed: || which("xmllint").is_some(),
    },
    SystemPackage {
        apt: "dovecot-imapd",
        installed: || Path::new("/usr/lib/dovecot/imap").exists(),
    },
    // The IMAP TLS tests make a throwaway CA and server certificate with it.
    SystemPackage {
        apt: "openssl",
        installed: || which("openssl").is_some(),
    },
];

/// What `cargo xtask bench` needs beyond the test packages (brotli for the wasm size report).
const BENCH_PACKAGES: &[SystemPackage] = &[SystemPackage {
    apt: "brotli",
    installed: || which("brotli").is_some(),
}];

/// Directories that must come first on PATH for trunk to find the pinned tools.
pub struct WasmTools {
    pub path_dirs: Vec<PathBuf>,
}

/// Ensures the wasm target, trunk, wasm-bindgen-cli (= Cargo.lock) and wasm-opt.
pub fn ensure_wasm_tools(project: &Project) -> Result<WasmTools> {
    ensure_wasm_target()?;
    let wasm_opt_dir = ensure_binaryen(project)?;
    ensure_wasm_bindgen_cli(&project.wasm_bindgen_version()?)?;
    ensure_trunk()?;
    Ok(WasmTools {
        path_dirs: vec![wasm_opt_dir],
    })
}

/// The tool locations without checking or installing anything.
pub fn installed_wasm_tools(project: &Project) -> WasmTools {
    WasmTools {
        path_dirs: vec![binaryen_bin_dir(project)],
    }
}

fn binaryen_bin_dir(project: &Project) -> PathBuf {
    project.tools_dir().join("node_modules/.bin")
}

fn ensure_wasm_target() -> Result<()> {
    let sysroot = stdout_of(Command::new("rustc").args(["--print", "sysroot"]))
        .context("`rustc --print sysroot` failed: is Rust installed (rustup)?")?;
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .is_dir()
    {
        return Ok(());
    }
    eprintln!("xtask: installing the Rust target {WASM_TARGET}");
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_trunk() -> Result<()> {
    let found = stdout_of(Command::new("trunk").arg("--version"));
    if version_word(found.as_deref(), 1) == Some(TRUNK_VERSION) {
        return Ok(());
    }
    eprintln!(
        "xtask: trunk {TRUNK_VERSION} not found (have: {}); installing it, ~11 minutes on 2 cores",
        found.as_deref().unwrap_or("none")
    );
    run(Command::new("cargo").args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")]))
}

fn ensure_wasm_bindgen_cli(version: &str) -> Result<()> {
    let found = stdout_of(Command::new("wasm-bindgen").arg("--version"));
    if version_word(found.as_deref(), 1) == Some(version) {
        return Ok(());
    }
    eprintln!(
        "xtask: wasm-bindgen-cli {version} (as in Cargo.lock) not found (have: {}); installing it",
        found.as_deref().unwrap_or("none")
    );
    // Not --locked: its own lockfile may pin crates that no longer build on current Rust.
    run(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", version]))
}

/// Installs npm's binaryen into the repo-local tools dir; returns the dir holding `wasm-opt`.
fn ensure_binaryen(project: &Project) -> Result<PathBuf> {
    let prefix = project.tools_dir();
    let bin_dir = binaryen_bin_dir(project);
    let wasm_opt = bin_dir.join("wasm-opt");
    let found = stdout_of(Command::new(&wasm_opt).arg("--version"));
    if version_word(found.as_deref(), 2) == Some(BINARYEN_VERSION) {
        return Ok(bin_dir);
    }
    eprintln!(
        "xtask: installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) into {}",
        prefix.display()
    );
    ensure!(
        which("npm").is_some(),
        "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm)"
    );
    std::fs::create_dir_all(&prefix)
        .with_context(|| format!("cannot create {}", prefix.display()))?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(format!("binaryen@{BINARYEN_VERSION}")))?;
    let found = stdout_of(Command::new(&wasm_opt).arg("--version"));
    ensure!(
        version_word(found.as_deref(), 2) == Some(BINARYEN_VERSION),
        "{} --version printed {found:?}, expected version {BINARYEN_VERSION}",
        wasm_opt.display()
    );
    Ok(bin_dir)
}

/// Word `index` of a `--version` line: `trunk 0.21.14` (1), `wasm-opt version 132 (...)` (2).
fn version_word(output: Option<&str>, index: usize) -> Option<&str> {
    output?.lines().next()?.split_whitespace().nth(index)
}

/// npm packages the manifest tests validate with, offline (tests/tests/manifests.rs): the unified
/// app manifest's JSON schemas and a draft-04 JSON Schema validator.
const MANIFEST_VALIDATORS: &[(&str, &str)] = &[
    ("@microsoft/app-manifest", "1.1.2"),
    ("ajv-draft-04", "1.0.0"),
    ("ajv-formats", "3.0.1"),
];

/// Installs [`MANIFEST_VALIDATORS`] into the repo-local tools dir (`target/tools/node_modules`).
pub fn ensure_manifest_validators(project: &Project) -> Result<()> {
    let modules = project.tools_dir().join("node_modules");
    let installed = |name: &str, version: &str| {
        std::fs::read_to_string(modules.join(name).join("package.json"))
            .is_ok_and(|p| p.contains(&format!("\"version\": \"{version}\"")))
    };
    let missing: Vec<String> = MANIFEST_VALIDATORS
        .iter()
        .filter(|(name, version)| !installed(name, version))
        .map(|(name, version)| format!("{name}@{version}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing manifest validators from npm: {}",
        missing.join(" ")
    );
    ensure!(
        which("npm").is_some(),
        "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm)"
    );
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(project.tools_dir())
        .args(&missing))
}

/// Ensures the Debian packages and Python modules the test suite uses.
pub fn ensure_test_packages() -> Result<()> {
    ensure_apt_packages(TEST_PACKAGES)?;
    ensure_python_module("aiosmtpd", "aiosmtpd")
}

/// Ensures what the benchmarks use: brotli and the SMTP sink (aiosmtpd).
pub fn ensure_bench_packages() -> Result<()> {
    ensure_apt_packages(BENCH_PACKAGES)?;
    ensure_python_module("aiosmtpd", "aiosmtpd")
}

/// Ensures PostgreSQL's server binaries only (for `cargo xtask pg` and benches).
pub fn ensure_postgres_package() -> Result<()> {
    ensure_apt_packages(&TEST_PACKAGES[..1])
}

fn ensure_apt_packages(packages: &[SystemPackage]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|p| !(p.installed)())
        .map(|p| p.apt)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    ensure!(
        shell::is_root() || which("sudo").is_some(),
        "not root and no sudo: run `apt-get install -y {}` as root",
        missing.join(" ")
    );
    run(as_root("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["update", "-q"]))?;
    run(as_root("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-q"])
        .args(&missing))
}

fn ensure_python_module(module: &str, pip_package: &str) -> Result<()> {
    let import = format!("import {module}");
    if shell::output(Command::new("python3").args(["-c", &import]))
        .is_ok_and(|o| o.status.success())
    {
        return Ok(());
    }
    eprintln!("xtask: installing the Python package {pip_package}");
    run(Command::new("python3").args(["-m", "pip", "install", "--quiet", pip_package]))
}

/// The newest `/usr/lib/postgresql/<major>/bin` holding `initdb`, or `$PG_BIN_DIR`.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        return Some(PathBuf::from(dir));
    }
    let entries = std::fs::read_dir("/usr/lib/postgresql").ok()?;
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .max_by_key(|(major, _)| *major)
        .map(|(_, bin)| bin)
}

#[cfg(test)]
mod tests {
    use super::version_word;

    #[test]
    fn version_words_match_each_tools_output() {
        let cases = [
            ("trunk 0.21.14", 1, Some("0.21.14")),
            ("wasm-bindgen 0.2.130", 1, Some("0.2.130")),
            ("wasm-opt version 132 (version_132)", 2, Some("132")),
            ("", 1, None),
        ];
        for (output, index, expected) in cases {
            assert_eq!(version_word(Some(output), index), expected, "{output}");
        }
    }
}
