//! External identities: Microsoft identity platform access tokens (Outlook add-in, nested app
//! authentication) and Google ID tokens (Gmail extension), verified against the providers' JWKS.
//!
//! `verify` is the pure part (a token, a key lookup result and `now` in; claims or a precise
//! error out); `jwks` is the IO part (reqwest, cache, refetch cooldown). Linking a verified
//! identity to a Sequencer user is a use case in `service::identity`. Must not depend on actix
//! or the store.

pub mod jwks;
pub mod verify;

use std::sync::Arc;

use shared::ErrorCode;

pub use jwks::JwksCache;
pub use verify::{GoogleIdentity, MicrosoftIdentity};

pub const MS_JWKS_URL: &str = "https://login.microsoftonline.com/common/discovery/v2.0/keys";
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
/// Google's OAuth 2.0 authorization endpoint, where the Gmail extension gets its ID token.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// An unknown `kid` triggers at most one refetch per this long.
pub const JWKS_COOLDOWN_MS: i64 = 5 * 60 * 1000;

/// Deployment configuration of the external identity providers. A provider without a client id is off.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// The Entra app registration of Sequencer's API: tokens must carry it as `aud`.
    pub ms_client_id: Option<String>,
    /// The delegated scope the add-in requests, e.g. `access_as_user`; must be in `scp`.
    pub ms_scope: String,
    pub ms_jwks_url: String,
    /// The Google OAuth client id of the Gmail extension: ID tokens must carry it as `aud`.
    pub google_client_id: Option<String>,
    pub google_jwks_url: String,
    /// The authorization endpoint the Gmail extension signs in at. The server never calls it: it
    /// is rendered into the extension's configuration, like the client id.
    pub google_auth_url: String,
    pub jwks_cooldown_ms: i64,
    /// Which hosts the JWKS fetches may reach (`crate::net`): production by default.
    pub network: crate::net::NetworkPolicy,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            ms_client_id: None,
            ms_scope: "access_as_user".into(),
            ms_jwks_url: MS_JWKS_URL.into(),
            google_client_id: None,
            google_jwks_url: GOOGLE_JWKS_URL.into(),
            google_auth_url: GOOGLE_AUTH_URL.into(),
            jwks_cooldown_ms: JWKS_COOLDOWN_MS,
            network: Default::default(),
        }
    }
}

/// The configured providers with their key caches.
#[derive(Debug)]
pub struct Verifier {
    pub config: IdentityConfig,
    pub microsoft: JwksCache,
    pub google: JwksCache,
}

impl Verifier {
    pub fn new(config: IdentityConfig) -> Arc<Verifier> {
        Arc::new(Verifier {
            microsoft: JwksCache::new(
                config.ms_jwks_url.clone(),
                config.jwks_cooldown_ms,
                config.network,
            ),
            google: JwksCache::new(
                config.google_jwks_url.clone(),
                config.jwks_cooldown_ms,
                config.network,
            ),
            config,
        })
    }
}

/// Why an external token was refused. Each has its own stable code; all answer 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("this identity provider is not configured on this server")]
    NotConfigured,
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the token must be signed with RS256, not {0}")]
    Algorithm(String),
    #[error("the token's signing key (kid) is unknown")]
    UnknownKey,
    #[error("the signing keys could not be fetched: {0}")]
    KeysUnavailable(String),
    #[error("the token's signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's issuer is not accepted: {0}")]
    Issuer(String),
    #[error("the token is not meant for this API (audience {0})")]
    Audience(String),
    #[error("the token lacks the required scope {0}")]
    Scope(String),
    #[error("the token's email address is not verified")]
    EmailNotVerified,
    #[error("no account trusts this tenant or domain")]
    UntrustedTenant,
    #[error("no active user with this verified email in an account that trusts the tenant")]
    NoUser,
}

impl IdentityError {
    pub fn code(&self) -> ErrorCode {
        use IdentityError::*;
        match self {
            NotConfigured | NoUser => ErrorCode::Unauthorized,
            Malformed(_) | KeysUnavailable(_) => ErrorCode::InvalidToken,
            Algorithm(_) => ErrorCode::InvalidAlgorithm,
            UnknownKey => ErrorCode::UnknownKey,
            Signature => ErrorCode::InvalidSignature,
            Expired => ErrorCode::TokenExpired,
            NotYetValid => ErrorCode::TokenNotYetValid,
            Issuer(_) => ErrorCode::InvalidIssuer,
            Audience(_) => ErrorCode::InvalidAudience,
            Scope(_) => ErrorCode::MissingScope,
            EmailNotVerified => ErrorCode::EmailNotVerified,
            UntrustedTenant => ErrorCode::UntrustedTenant,
        }
    }
}
