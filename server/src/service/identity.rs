//! Sign-in: external tokens (Microsoft, Google) exchanged for short-lived Sequencer sessions, and
//! password sign-in with rate limiting (per email + client address, measured with the app clock).

use sha2::{Digest, Sha256};
use shared::{IdentityProvider, TokenResponse};

use super::views::user_view;
use super::*;
use crate::auth;
use crate::clock::rfc3339;
use crate::identity::{verify, IdentityError};

/// Sessions from an exchanged external token: the panel exchanges again when they lapse.
pub const EXCHANGE_TTL_MS: Millis = 60 * 60 * 1000;
/// At most this many failed sign-ins per email + address within the window.
pub const LOGIN_MAX_FAILURES: u64 = 5;
pub const LOGIN_WINDOW_MS: Millis = 15 * 60 * 1000;

impl App {
    /// Password sign-in, refused with `rate_limited` after too many recent failures.
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
        if self
            .store
            .login_failures_since(&key, now - LOGIN_WINDOW_MS)
            .await?
            >= LOGIN_MAX_FAILURES
        {
            return Err(ServiceError::RateLimited);
        }
        match self.login(email, password).await {
            Ok(t) => {
                self.store.clear_login_failures(&key).await?;
                Ok(t)
            }
            Err(ServiceError::Unauthorized(m)) => {
                self.store
                    .record_login_failure(&key, now, now - LOGIN_WINDOW_MS)
                    .await?;
                Err(ServiceError::Unauthorized(m))
            }
            Err(e) => Err(e),
        }
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
            refresh_token: None,
            user: user_view(&user),
        })
    }

    async fn microsoft_user(&self, token: &str) -> Result<User> {
        let v = &self.settings.identity;
        let (_, kid) = verify::header(token)?;
        let key = v
            .microsoft
            .key(kid.as_deref().ok_or(IdentityError::UnknownKey)?, self.now())
            .await?;
        let id = verify::microsoft(token, &key, &v.config, self.now())?;
        let tid = id.tid.to_lowercase();
        let trusts = |s: &crate::store::TrustSettings| s.trusted_tenant_ids.contains(&tid);
        self.link(
            "microsoft",
            &format!("{tid}:{}", id.oid),
            id.email.as_deref(),
            &trusts,
        )
        .await
    }

    async fn google_user(&self, token: &str) -> Result<User> {
        let v = &self.settings.identity;
        let (_, kid) = verify::header(token)?;
        let key = v
            .google
            .key(kid.as_deref().ok_or(IdentityError::UnknownKey)?, self.now())
            .await?;
        let id = verify::google(token, &key, &v.config, self.now())?;
        let hd = id.hd.as_deref().map(str::to_lowercase);
        let trusts = |s: &crate::store::TrustSettings| {
            hd.as_ref()
                .is_some_and(|hd| s.google_hosted_domains.contains(hd))
        };
        self.link("google", &id.sub, Some(&id.email), &trusts).await
    }

    /// The user of a verified identity: the linked one while its account still trusts the
    /// tenant/domain, else the one user with that email across the accounts that trust it.
    async fn link(
        &self,
        provider: &str,
        subject: &str,
        email: Option<&str>,
        trusts: &dyn Fn(&crate::store::TrustSettings) -> bool,
    ) -> Result<User> {
        let active = |u: Option<User>| u.filter(|u| u.status == UserStatus::Active);
        if let Some((account, uid)) = self.store.external_identity(provider, subject).await? {
            if !trusts(&self.store.trust_settings(account).await?) {
                return Err(IdentityError::UntrustedTenant.into());
            }
            return active(self.store.user(account, uid).await?)
                .ok_or_else(|| IdentityError::NoUser.into());
        }
        let accounts = self.store.accounts_trusting(trusts).await?;
        if accounts.is_empty() {
            return Err(IdentityError::UntrustedTenant.into());
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
        let found: Vec<&User> = users
            .iter()
            .filter(|u| accounts.contains(&u.account_id))
            .collect();
        let user = match found.as_slice() {
            [user] => *user,
            // The address exists only in accounts that do not trust this tenant or domain.
            [] if !users.is_empty() => return Err(IdentityError::UntrustedTenant.into()),
            _ => return Err(IdentityError::NoUser.into()),
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
