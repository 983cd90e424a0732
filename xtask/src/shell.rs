//! Running external programs: echo the command line, stream its output, and turn a failure
//! into an error that names the command.
//!
//! Children share xtask's process group, so Ctrl-C reaches them directly; what must outlive an
//! interrupted xtask (stopping PostgreSQL) is handled by a watchdog, see `postgres.rs`.

use anyhow::{ensure, Context, Result};
use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};

/// Runs `cmd` with inherited stdio after echoing it; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = run_status(cmd)?;
    ensure!(status.success(), "`{}` failed ({status})", display(cmd));
    Ok(())
}

/// Like [`run`], but returns the exit status instead of judging it.
pub fn run_status(cmd: &mut Command) -> Result<ExitStatus> {
    eprintln!("$ {}", display(cmd));
    cmd.status()
        .with_context(|| format!("cannot start `{}`", display(cmd)))
}

/// Runs `cmd` with captured output; the caller decides what a failure means.
pub fn output(cmd: &mut Command) -> Result<Output> {
    cmd.stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot start `{}`", display(cmd)))
}

/// Runs `cmd` with captured output and fails, showing that output, unless it exits 0.
pub fn run_captured(cmd: &mut Command) -> Result<Output> {
    let out = output(cmd)?;
    ensure!(
        out.status.success(),
        "`{}` failed ({})\n{}{}",
        display(cmd),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

/// The trimmed stdout of `cmd`, or `None` when it cannot run or fails.
pub fn stdout_of(cmd: &mut Command) -> Option<String> {
    let out = output(cmd).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The command line as a person would type it (program and arguments, not the environment).
pub fn display(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c))
    {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Finds `program` on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// A command for `program` run as root: directly when we are root, else through sudo.
pub fn as_root(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut cmd = Command::new("sudo");
        cmd.arg(program);
        cmd
    }
}

/// PATH with `dirs` put first, for children that must find repo-local tools.
pub fn path_with(dirs: &[PathBuf]) -> Result<std::ffi::OsString> {
    let current = std::env::var_os("PATH").unwrap_or_default();
    let all = dirs.iter().cloned().chain(std::env::split_paths(&current));
    std::env::join_paths(all).context("a tool directory contains ':'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_words_that_need_it() {
        let mut cmd = Command::new("pg_ctl");
        cmd.args(["-o", "-p 5432", "it's", "start"]);
        assert_eq!(display(&cmd), r"pg_ctl -o '-p 5432' 'it'\''s' start");
    }
}
