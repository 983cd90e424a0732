//! Credentials at rest: the IMAP passwords and OAuth2 tokens of connected mailboxes are sealed
//! with XChaCha20-Poly1305 before they reach the store, and opened only to log in.
//!
//! * Key: HKDF-SHA256 over the app secret with its own label ([`KEY_LABEL`]), so the raw secret
//!   (which signs sessions and links) is never used as an encryption key, and a key for another
//!   purpose is another label.
//! * Stored form: `v1:<base64(24-byte random nonce || ciphertext || 16-byte tag)>`.
//! * Associated data: a context naming the column and the owning account (e.g.
//!   `imap_password:account:7`), so a sealed value moved to another column or account is rejected.
//! * A stored value without the `v1:` prefix is a legacy plaintext from before sealing: it is read
//!   as is and sealed when next written (or by `App::seal_stored_credentials` at startup).
//!
//! Changing the app secret makes sealed values unreadable: the mailboxes' credentials must then be
//! entered again.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// The HKDF `info` of the credential key: a new purpose gets a new label, never this key.
pub const KEY_LABEL: &[u8] = b"sequencer/credentials-at-rest/v1";
const SALT: &[u8] = b"sequencer";
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// Why a stored credential could not be opened. Carries no part of the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealed credential is malformed")]
    Malformed,
    #[error(
        "the sealed credential does not verify (tampered, moved, or sealed under another secret)"
    )]
    Rejected,
}

/// The key that seals stored credentials. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct CredentialKey {
    key: [u8; 32],
}

impl std::fmt::Debug for CredentialKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialKey(..)")
    }
}

/// Whether a stored value is sealed (`v1:`), as opposed to a legacy plaintext.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

impl CredentialKey {
    /// Derives the credential key from the app secret (HKDF-SHA256, label [`KEY_LABEL`]).
    pub fn derive(app_secret: &[u8]) -> CredentialKey {
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 255 * 32 byte limit, so expand cannot fail.
        Hkdf::<Sha256>::new(Some(SALT), app_secret)
            .expand(KEY_LABEL, &mut key)
            .unwrap_or_else(|_| unreachable!());
        CredentialKey { key }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.key))
    }

    /// Seals `plaintext`, bound to `context` (column and owner), with a fresh random nonce.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            // Encryption fails only for messages longer than the cipher's limit (256 GiB).
            .unwrap_or_else(|_| unreachable!());
        let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// The plaintext of a stored value: opens a sealed one (checking it against `context`), and
    /// returns a legacy plaintext (no `v1:` prefix) unchanged.
    pub fn open(&self, stored: &str, context: &str) -> Result<String, SealError> {
        let Some(b64) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Rejected)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-test-secret-test-secret!";
    const CTX: &str = "imap_password:account:1";

    #[test]
    fn seal_then_open_round_trips_and_hides_the_plaintext() {
        let k = CredentialKey::derive(SECRET);
        let sealed = k.seal("hunter2-imap", CTX);
        assert!(is_sealed(&sealed), "{sealed}");
        assert!(!sealed.contains("hunter2"));
        assert_eq!(k.open(&sealed, CTX), Ok("hunter2-imap".to_string()));
        assert_eq!(
            k.open(&k.seal("", CTX), CTX),
            Ok(String::new()),
            "empty values round-trip too"
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let k = CredentialKey::derive(SECRET);
        assert_ne!(k.seal("same", CTX), k.seal("same", CTX));
    }

    #[test]
    fn tampered_ciphertext_is_rejected() {
        let k = CredentialKey::derive(SECRET);
        let sealed = k.seal("hunter2-imap", CTX);
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&sealed[PREFIX.len()..])
            .unwrap_or_default();
        for i in [0, NONCE_LEN, bytes.len() - 1] {
            let mut t = bytes.clone();
            t[i] ^= 0x01;
            let tampered = format!(
                "{PREFIX}{}",
                base64::engine::general_purpose::STANDARD.encode(&t)
            );
            assert_eq!(k.open(&tampered, CTX), Err(SealError::Rejected), "byte {i}");
        }
        bytes.truncate(NONCE_LEN + TAG_LEN - 1);
        let short = format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        );
        assert_eq!(k.open(&short, CTX), Err(SealError::Malformed));
        assert_eq!(k.open("v1:not base64!", CTX), Err(SealError::Malformed));
    }

    #[test]
    fn another_context_or_secret_cannot_open_it() {
        let k = CredentialKey::derive(SECRET);
        let sealed = k.seal("hunter2-imap", CTX);
        assert_eq!(
            k.open(&sealed, "imap_oauth_token:account:1"),
            Err(SealError::Rejected)
        );
        assert_eq!(
            k.open(&sealed, "imap_password:account:2"),
            Err(SealError::Rejected)
        );
        let other = CredentialKey::derive(b"another-secret-another-secret-another");
        assert_eq!(other.open(&sealed, CTX), Err(SealError::Rejected));
    }

    #[test]
    fn the_key_is_derived_not_the_raw_secret() {
        let k = CredentialKey::derive(SECRET);
        assert_ne!(&k.key[..], &SECRET[..32]);
        assert_eq!(k.key, CredentialKey::derive(SECRET).key, "deterministic");
        assert_eq!(format!("{k:?}"), "CredentialKey(..)");
    }

    #[test]
    fn legacy_plaintext_is_accepted_as_is() {
        let k = CredentialKey::derive(SECRET);
        assert!(!is_sealed("imap-test-password"));
        assert_eq!(
            k.open("imap-test-password", CTX),
            Ok("imap-test-password".to_string())
        );
    }
}
