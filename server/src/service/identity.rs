//! Sign-in: external tokens (Microsoft, Google) exchanged for short-lived Sequencer sessions, and
//! password sign-in with rate limiting (per email + client address, measured with the app clock,
//! counted atomically in the database so it holds for parallel requests and across instances).
//! An external identity signs in only to the one account that proved its tenant or domain
//! (`trust.rs`).

use sha2::{Digest, Sha256};
use shared::{IdentityProvider, TokenResponse};

use super::views::user_view;
use super::*;
use crate::auth;
use crate::clock::rfc3339;
use crate::identity::verify::{self, GoogleIdentity, MicrosoftIdentity};
use crate::identity::IdentityError;
use crate::store::{GOOGLE, MICROSOFT};

/// Sessions from an exchanged external token: the panel exchanges again when they lapse.
pub const EXCHANGE_TTL_MS: Millis = 60 * 60 * 1000;
/// At most this many sign-in attempts per email + address within the window (a successful one
/// starts the count again).
pub const LOGIN_MAX_FAILURES: u64 = 5;
pub const LOGIN_WINDOW_MS: Millis = 15 * 60 * 1000;

impl App {
    /// Password sign-in, refused with `rate_limited` once the (email, client) key had
    /// [`LOGIN_MAX_FAILURES`] attempts in its window. The attempt is counted *before* the
    /// password is checked, in one atomic statement, so a burst of parallel attempts gets exactly
    /// that many password checks; a successful sign-in forgets the key's attempts.
    pub async fn login_limited(
        &self,
        email: &str,
        password: &str,
        client: &str,
    ) -> Result<TokenResponse> {
        let key = hex::encode(Sha256::digest(
            format!("{}|{}", email.trim().to_lowercase(), client).as_bytes(),
        ));
        let now = self.now();
        let attempts = self
            .store
            .count_login_attempt(&key, now, LOGIN_WINDOW_MS)
            .await?;
        if attempts > LOGIN_MAX_FAILURES {
            return Err(ServiceError::RateLimited);
        }
        let session = self.login(email, password).await?;
        self.store
            .clear_login_attempts(&key, now - LOGIN_WINDOW_MS)
            .await?;
        Ok(session)
    }

    /// Verifies an external token and returns a session for the linked (or newly linked) user.
    pub async fn exchange(&self, provider: IdentityProvider, token: &str) -> Result<TokenResponse> {
        let user = match provider {
            IdentityProvider::Microsoft => self.microsoft_user(token).await?,
            IdentityProvider::Google => self.google_user(token).await?,
            IdentityProvider::Unknown => {
                return Err(ServiceError::Validation(
                    "provider is microsoft or google".into(),
                ))
            }
        };
        let (token, exp) = auth::issue(&self.settings.secret, &user, self.now(), EXCHANGE_TTL_MS);
        Ok(TokenResponse {
            token,
            expires_at: rfc3339(exp),
            user: user_view(&user),
            refresh_token: None,
        })
    }

    /// The Microsoft identity a token proves, checked against the cached keys of its `kid`.
    pub(super) async fn microsoft_identity(&self, token: &str) -> Result<MicrosoftIdentity> {
        let v = &self.settings.identity;
        let (_, kid) = verify::header(token)?;
        let key = v
            .microsoft
            .key(kid.as_deref().ok_or(IdentityError::UnknownKey)?, self.now())
            .await?;
        Ok(verify::microsoft(token, &key, &v.config, self.now())?)
    }

    /// The Google identity a token proves, checked against the cached keys of its `kid`.
    pub(super) async fn google_identity(&self, token: &str) -> Result<GoogleIdentity> {
        let v = &self.settings.identity;
        let (_, kid) = verify::header(token)?;
        let key = v
            .google
            .key(kid.as_deref().ok_or(IdentityError::UnknownKey)?, self.now())
            .await?;
        Ok(verify::google(token, &key, &v.config, self.now())?)
    }

    async fn microsoft_user(&self, token: &str) -> Result<User> {
        let id = self.microsoft_identity(token).await?;
        let tid = id.tid.to_lowercase();
        self.link(
            MICROSOFT,
            Some(&tid),
            &format!("{tid}:{}", id.oid),
            id.email.as_deref(),
        )
        .await
    }

    async fn google_user(&self, token: &str) -> Result<User> {
        let id = self.google_identity(token).await?;
        let hd = id.hd.as_deref().map(str::to_lowercase);
        self.link(GOOGLE, hd.as_deref(), &id.sub, Some(&id.email))
            .await
    }

    /// The user of a verified identity, always in the one account that proved the token's
    /// tenant or domain (`owned`): the linked user when the link is in that account, else the
    /// active user with the token's email in that account, which is then linked. No other account
    /// is ever looked at for a user, so another account can neither capture a user nor keep one
    /// it linked before the owner proved the tenant.
    async fn link(
        &self,
        provider: &str,
        owned: Option<&str>,
        subject: &str,
        email: Option<&str>,
    ) -> Result<User> {
        let owner = match owned {
            Some(id) => self.store.trust_owner(provider, id).await?,
            None => None,
        };
        let Some(owner) = owner else {
            return Err(IdentityError::UntrustedTenant.into());
        };
        if let Some((account, uid)) = self.store.external_identity(provider, subject).await? {
            if account == owner {
                return self
                    .store
                    .user(account, uid)
                    .await?
                    .filter(|u| u.status == UserStatus::Active)
                    .ok_or_else(|| IdentityError::NoUser.into());
            }
            // A link made while another account trusted the tenant: it counts no more, and is
            // replaced below by a link within the owner (or stays unused).
        }
        let email = EmailAddress::parse(email.unwrap_or("")).map_err(|_| IdentityError::NoUser)?;
        let users: Vec<User> = self
            .store
            .users_by_email(&email)
            .await?
            .into_iter()
            .map(|(u, _)| u)
            .filter(|u| u.status == UserStatus::Active)
            .collect();
        let user = match users.iter().find(|u| u.account_id == owner) {
            Some(user) => user,
            // The address exists only in accounts that do not own this tenant or domain.
            None if !users.is_empty() => return Err(IdentityError::UntrustedTenant.into()),
            None => return Err(IdentityError::NoUser.into()),
        };
        self.store
            .link_external_identity(provider, subject, user, self.now())
            .await?;
        Ok(user.clone())
    }
}

impl App {
    /// The same app with these identity providers (builder-style: `main` and tests call it).
    pub fn with_identity(mut self, config: crate::identity::IdentityConfig) -> App {
        let mut settings = (*self.settings).clone();
        settings.identity = crate::identity::Verifier::new(config);
        self.settings = std::sync::Arc::new(settings);
        self
    }
}
