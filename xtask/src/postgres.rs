//! A throwaway PostgreSQL server for tests and benches: a fresh cluster in a temp dir, listening
//! on 127.0.0.1 at a free port, trust auth, no fsync. Stopped and deleted on `stop` or drop (so
//! on any error), and by a watchdog process when xtask itself dies (Ctrl-C, SIGTERM, SIGKILL);
//! a cluster that still survives is cleaned up on the next start.
//!
//! PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user
//! (created by Debian's package) through `runuser`; otherwise as the current user.

use crate::shell::{self, output, run_captured};
use crate::tools::postgres_bin_dir;
use anyhow::{Context, Result};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Temp dirs are named `<PREFIX><xtask pid>-<port>`, so stale ones can be told from live ones.
const PREFIX: &str = "sequencer-pg-";
const OS_USER: &str = "postgres";

pub struct TempPostgres {
    bin: PathBuf,
    /// Owned by the server's OS user: holds `data/`, the socket and `postgres.log`.
    base: PathBuf,
    port: u16,
    stopped: bool,
    watchdog: Option<Child>,
}

impl TempPostgres {
    /// Creates and starts a fresh cluster; blocks until it accepts connections.
    pub fn start() -> Result<Self> {
        let bin = postgres_bin_dir()
            .context("PostgreSQL server binaries not found (apt-get install postgresql)")?;
        remove_stale_clusters(&bin);
        let port = free_port()?;
        let base = std::env::temp_dir().join(format!("{PREFIX}{}-{port}", std::process::id()));
        let mut pg = Self {
            bin,
            base,
            port,
            stopped: false,
            watchdog: None,
        };
        // From here on, drop cleans up whatever part of the setup happened.
        pg.create_base_dir()?;
        pg.watchdog = Some(pg.spawn_watchdog()?);
        pg.init_cluster()?;
        pg.start_server()?;
        eprintln!("xtask: PostgreSQL running at {}", pg.url());
        Ok(pg)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`; tests create their own databases from it.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server and deletes its files, reporting failures (drop only logs them).
    pub fn stop(mut self) -> Result<()> {
        self.stopped = true;
        self.end_watchdog();
        let stopped = stop_cluster(&self.bin, &self.base);
        let removed = std::fs::remove_dir_all(&self.base)
            .with_context(|| format!("cannot remove {}", self.base.display()));
        stopped.and(removed)
    }

    /// A process outside our process group (so Ctrl-C spares it) that waits for xtask to exit
    /// and, if the cluster is still there, stops it and deletes its files.
    fn spawn_watchdog(&self) -> Result<Child> {
        const SCRIPT: &str = r#"
            pid=$1; base=$2; shift 2
            while kill -0 "$pid" 2>/dev/null && [ -d "$base" ]; do sleep 1; done
            [ -d "$base" ] || exit 0
            [ -f "$base/data/postmaster.pid" ] && "$@" >/dev/null 2>&1
            rm -rf "$base"
        "#;
        let mut stop = server_command(&self.bin, "pg_ctl");
        stop.arg("--pgdata")
            .arg(self.data_dir())
            .args(["--wait", "--mode", "immediate", "stop"]);
        Command::new("sh")
            .args(["-c", SCRIPT, "watchdog"])
            .arg(std::process::id().to_string())
            .arg(&self.base)
            .arg(stop.get_program())
            .args(stop.get_args())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the PostgreSQL watchdog (sh)")
    }

    fn end_watchdog(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.base.join("data")
    }

    fn create_base_dir(&self) -> Result<()> {
        std::fs::create_dir(&self.base)
            .with_context(|| format!("cannot create {}", self.base.display()))?;
        if shell::is_root() {
            run_captured(
                Command::new("chown")
                    .arg(format!("{OS_USER}:"))
                    .arg(&self.base),
            )
            .context("is the `postgres` OS user there (apt-get install postgresql)?")?;
        }
        Ok(())
    }

    fn init_cluster(&self) -> Result<()> {
        let mut initdb = server_command(&self.bin, "initdb");
        initdb
            .arg("--pgdata")
            .arg(self.data_dir())
            .args(["--username=postgres", "--auth=trust", "--no-sync"])
            .args(["--encoding=UTF8", "--no-locale"]);
        run_captured(&mut initdb).map(drop).context("initdb failed")
    }

    fn start_server(&self) -> Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=300",
            self.port,
            self.base.display()
        );
        let mut pg_ctl = server_command(&self.bin, "pg_ctl");
        pg_ctl
            .arg("--pgdata")
            .arg(self.data_dir())
            .arg("--log")
            .arg(self.base.join("postgres.log"))
            .args(["--wait", "--timeout=60", "-o", &options, "start"]);
        run_captured(&mut pg_ctl)
            .map(drop)
            .with_context(|| format!("PostgreSQL did not start; see {}", self.log_tail()))
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.base.join("postgres.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        format!(
            "its log:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        self.end_watchdog();
        if let Err(err) = stop_cluster(&self.bin, &self.base) {
            eprintln!("xtask: warning: {err:#}");
        }
        if let Err(err) = std::fs::remove_dir_all(&self.base) {
            eprintln!(
                "xtask: warning: cannot remove {}: {err}",
                self.base.display()
            );
        }
    }
}

/// A command for the server binary `name`, run as the `postgres` OS user when we are root.
fn server_command(bin: &Path, name: &str) -> Command {
    let program = bin.join(name);
    if shell::is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", OS_USER, "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// Stops the cluster in `base` if one runs there (fast shutdown, then immediate).
fn stop_cluster(bin: &Path, base: &Path) -> Result<()> {
    let data = base.join("data");
    if !data.join("postmaster.pid").exists() {
        return Ok(());
    }
    eprintln!("xtask: stopping PostgreSQL in {}", base.display());
    for mode in ["fast", "immediate"] {
        let mut pg_ctl = server_command(bin, "pg_ctl");
        pg_ctl
            .arg("--pgdata")
            .arg(&data)
            .args(["--wait", "--timeout=30", "--mode", mode, "stop"]);
        if output(&mut pg_ctl).is_ok_and(|o| o.status.success()) {
            return Ok(());
        }
    }
    anyhow::bail!("could not stop PostgreSQL in {}", base.display())
}

/// Stops and deletes clusters whose xtask process is gone (killed with SIGKILL, say).
fn remove_stale_clusters(bin: &Path) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        if Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        let base = entry.path();
        eprintln!(
            "xtask: removing a stale PostgreSQL cluster in {}",
            base.display()
        );
        if let Err(err) = stop_cluster(bin, &base) {
            eprintln!("xtask: warning: {err:#}");
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}

/// The xtask pid in a temp dir name `sequencer-pg-<pid>-<port>`.
fn owner_pid(dir_name: &str) -> Option<u32> {
    let rest = dir_name.strip_prefix(PREFIX)?;
    rest.split('-').next()?.parse().ok()
}

/// A port that was free a moment ago (the listener closes before PostgreSQL binds it).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::owner_pid;

    #[test]
    fn owner_pid_reads_only_our_temp_dirs() {
        assert_eq!(owner_pid("sequencer-pg-4242-54321"), Some(4242));
        assert_eq!(owner_pid("sequencer-pg-x-1"), None);
        assert_eq!(owner_pid("something-else"), None);
    }
}
