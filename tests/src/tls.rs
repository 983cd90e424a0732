//! A throwaway private certificate authority for TLS tests, made with the openssl CLI: a CA
//! certificate, and a server certificate it signed for `127.0.0.1` and `localhost` (what an
//! on-premises IMAP server with its company's own CA presents). EC P-256 keys, valid two days.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

/// PEM files in the directory the CA was made in.
#[derive(Debug, Clone)]
pub struct TestCa {
    /// The CA certificate: what a client must trust.
    pub ca_cert: PathBuf,
    /// The server certificate (signed by the CA) and its private key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

const SERVER_EXTENSIONS: &str = "basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
";

impl TestCa {
    /// Makes a new CA and server certificate in `dir`.
    pub fn generate(dir: &Path) -> Result<TestCa> {
        let ca = TestCa {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
        };
        let (ca_key, csr, ext) = (
            dir.join("ca.key"),
            dir.join("server.csr"),
            dir.join("server.ext"),
        );
        std::fs::write(&ext, SERVER_EXTENSIONS)?;
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        openssl(
            Command::new("openssl")
                .args(["req", "-x509", "-nodes", "-days", "2"])
                .args(ec)
                .args(["-subj", "/O=Sequencer tests/CN=Sequencer test private CA"])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
                .arg("-keyout")
                .arg(&ca_key)
                .arg("-out")
                .arg(&ca.ca_cert),
        )?;
        openssl(
            Command::new("openssl")
                .args(["req", "-new", "-nodes"])
                .args(ec)
                .args(["-subj", "/O=Sequencer tests/CN=localhost"])
                .arg("-keyout")
                .arg(&ca.server_key)
                .arg("-out")
                .arg(&csr),
        )?;
        openssl(
            Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-set_serial", "2"])
                .arg("-in")
                .arg(&csr)
                .arg("-CA")
                .arg(&ca.ca_cert)
                .arg("-CAkey")
                .arg(&ca_key)
                .arg("-extfile")
                .arg(&ext)
                .arg("-out")
                .arg(&ca.server_cert),
        )?;
        Ok(ca)
    }
}

fn openssl(cmd: &mut Command) -> Result<()> {
    let out = cmd
        .output()
        .context("running openssl (apt install openssl)")?;
    anyhow::ensure!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
