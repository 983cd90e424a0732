//! Which certificate authorities an IMAP server's TLS certificate may chain to: webpki's roots
//! (Mozilla's list, for hosted mail), plus the deployment's own CAs for on-premises servers
//! signed by a private CA (`--imap-ca-file`, a PEM bundle read once at startup). Only the IMAP
//! adapter (`mail::imap`) uses it; nothing here connects anywhere.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::RootCertStore;

/// Why the IMAP CA file cannot be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read the IMAP CA file {path}: {error}")]
    Unreadable { path: String, error: std::io::Error },
    #[error("the IMAP CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: String },
    #[error("the IMAP CA file {path} is not valid PEM: {reason}")]
    Malformed { path: String, reason: String },
    #[error("certificate {number} of the IMAP CA file {path} cannot be a trust anchor: {reason}")]
    Unusable {
        path: String,
        number: usize,
        reason: String,
    },
}

/// The trust anchors for IMAP over TLS; clones share them.
#[derive(Clone)]
pub struct ImapTrust {
    roots: Arc<RootCertStore>,
    /// How many of them came from the deployment's CA file.
    extra: usize,
}

impl Default for ImapTrust {
    /// webpki's roots only.
    fn default() -> Self {
        ImapTrust {
            roots: Arc::new(webpki_roots()),
            extra: 0,
        }
    }
}

impl std::fmt::Debug for ImapTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ImapTrust(webpki roots + {} from the CA file)",
            self.extra
        )
    }
}

fn webpki_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots
}

impl ImapTrust {
    /// webpki's roots and every certificate in the PEM bundle at `path`, which must hold at
    /// least one; anything else in it (keys, text between certificates) is ignored.
    pub fn with_ca_file(path: &Path) -> Result<ImapTrust, CaFileError> {
        let name = path.display().to_string();
        let pem = std::fs::read(path).map_err(|error| CaFileError::Unreadable {
            path: name.clone(),
            error,
        })?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CaFileError::Malformed {
                path: name.clone(),
                reason: e.to_string(),
            })?;
        if certs.is_empty() {
            return Err(CaFileError::NoCertificate { path: name });
        }
        let mut roots = webpki_roots();
        for (i, cert) in certs.iter().enumerate() {
            roots.add(cert.clone()).map_err(|e| CaFileError::Unusable {
                path: name.clone(),
                number: i + 1,
                reason: e.to_string(),
            })?;
        }
        Ok(ImapTrust {
            roots: Arc::new(roots),
            extra: certs.len(),
        })
    }

    /// How many certificates the CA file added.
    pub fn extra(&self) -> usize {
        self.extra
    }

    pub(crate) fn roots(&self) -> Arc<RootCertStore> {
        self.roots.clone()
    }
}
