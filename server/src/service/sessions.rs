//! Sessions (issue 19): every sign-in through the API (password, exchange, one-time code) opens a
//! session. Its access token lasts [`ACCESS_TTL_MS`] and names the session (`sid`); its refresh
//! token is opaque (`sqr_...`), stored as SHA-256, rotated on every use and good for
//! [`REFRESH_TTL_MS`] after its last use. Presenting a used refresh token again revokes the
//! session (someone holds a copy). Logout revokes the caller's session; an admin can revoke all of
//! a user's sessions, and deactivating or deleting a user does.
//!
//! One-time sign-in codes replace tokens in URLs: the demo and the CLI print `/app/?code=...`,
//! the page posts the code to `/auth/code` and gets a session. A code is single-use, lasts
//! [`CODE_TTL_MS`] and is stored as SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use shared::TokenResponse;

use super::views::user_view;
use super::*;
use crate::auth::{self, Verified};
use crate::clock::rfc3339;
use crate::store::{RefreshOutcome, SessionRow, SessionState};

/// Access tokens of a session.
pub const ACCESS_TTL_MS: Millis = 60 * 60 * 1000;
/// A refresh token is good this long after the session's last refresh.
pub const REFRESH_TTL_MS: Millis = 30 * 24 * 3600 * 1000;
/// One-time sign-in codes.
pub const CODE_TTL_MS: Millis = 5 * 60 * 1000;

const REFRESH_PREFIX: &str = "sqr_";
const CODE_PREFIX: &str = "sqc_";

/// Why a code or refresh token was refused.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the session has expired or was signed out: sign in again")]
    Ended,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SessionError {
    fn from(e: StoreError) -> Self {
        SessionError::Service(e.into())
    }
}

/// 256 random bits, URL-safe, after `prefix`.
fn opaque(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    )
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

impl App {
    /// Opens a session for `user`: an access token naming it and its first refresh token.
    pub async fn start_session(&self, user: &User) -> Result<TokenResponse> {
        let now = self.now();
        let session = SessionRow {
            id: hex::encode(rand::random::<[u8; 16]>()),
            account_id: user.account_id,
            user_id: user.id,
            created_at: now,
            refreshed_at: now,
            expires_at: now.saturating_add(REFRESH_TTL_MS),
            revoked_at: None,
        };
        let refresh = opaque(REFRESH_PREFIX);
        self.store
            .create_session(&session, &digest(&refresh))
            .await?;
        Ok(self.session_response(user, &session.id, refresh))
    }

    fn session_response(&self, user: &User, sid: &str, refresh: String) -> TokenResponse {
        let (token, exp) = auth::issue_in_session(
            &self.settings.secret,
            user,
            Some(sid),
            self.now(),
            ACCESS_TTL_MS,
        );
        TokenResponse {
            token,
            expires_at: rfc3339(exp),
            user: user_view(user),
            refresh_token: Some(refresh),
        }
    }

    /// Turns the answer of a sign-in use case (password, exchange) into a session for the same
    /// user: the bare token is checked and replaced.
    pub async fn open_session(&self, signed_in: TokenResponse) -> Result<TokenResponse> {
        let denied = || ServiceError::Unauthorized("the sign-in did not yield a session".into());
        let v = auth::verify_token(&self.settings.secret, &signed_in.token, self.now())
            .map_err(|_| denied())?;
        let (user, _) = self
            .store
            .user_with_account(v.account_id, v.user_id, self.now())
            .await?
            .filter(|(u, _)| u.status == UserStatus::Active)
            .ok_or_else(denied)?;
        self.start_session(&user).await
    }

    /// A one-time sign-in code for `user` (for a URL the demo or the CLI prints).
    pub async fn sign_in_code(&self, user: &User) -> Result<String> {
        let now = self.now();
        let code = opaque(CODE_PREFIX);
        self.store
            .create_sign_in_code(
                &digest(&code),
                user.account_id,
                user.id,
                now,
                now.saturating_add(CODE_TTL_MS),
            )
            .await?;
        Ok(code)
    }

    /// `{public_url}{path}?code=...`: a link that signs its first visitor in once.
    pub async fn sign_in_url(&self, user: &User, path: &str) -> Result<String> {
        let code = self.sign_in_code(user).await?;
        Ok(format!("{}{path}?code={code}", self.settings.public_url))
    }

    /// Uses a one-time code: a new session for its user, once.
    pub async fn redeem_code(
        &self,
        code: &str,
    ) -> std::result::Result<TokenResponse, SessionError> {
        let refused = SessionError::Invalid("the sign-in code is unknown, used or expired");
        if !code.starts_with(CODE_PREFIX) || code.len() > 128 {
            return Err(refused);
        }
        let Some((account, user)) = self
            .store
            .redeem_sign_in_code(&digest(code), self.now())
            .await?
        else {
            return Err(refused);
        };
        let user = self.active_user(account, user).await?.ok_or(refused)?;
        Ok(self.start_session(&user).await?)
    }

    /// A refresh token for a new access token and a new refresh token (the old one is used up).
    pub async fn refresh(&self, refresh: &str) -> std::result::Result<TokenResponse, SessionError> {
        let refused = SessionError::Invalid("the refresh token is unknown or was revoked");
        if !refresh.starts_with(REFRESH_PREFIX) || refresh.len() > 128 {
            return Err(refused);
        }
        let now = self.now();
        let next = opaque(REFRESH_PREFIX);
        match self
            .store
            .rotate_refresh_token(
                &digest(refresh),
                &digest(&next),
                now,
                now.saturating_add(REFRESH_TTL_MS),
            )
            .await?
        {
            RefreshOutcome::Rotated(session) => {
                match self
                    .active_user(session.account_id, session.user_id)
                    .await?
                {
                    Some(user) => Ok(self.session_response(&user, &session.id, next)),
                    None => {
                        self.store
                            .revoke_session(session.account_id, &session.id, now, "user_inactive")
                            .await?;
                        Err(refused)
                    }
                }
            }
            RefreshOutcome::Reused => {
                tracing::warn!("a used refresh token was presented again: its session is revoked");
                Err(SessionError::Invalid(
                    "the refresh token was already used: the session is signed out",
                ))
            }
            RefreshOutcome::Ended => Err(SessionError::Ended),
            RefreshOutcome::Unknown => Err(refused),
        }
    }

    /// Signs out the caller's session (its refresh token and every access token naming it).
    /// Returns false for a token without a session (the CLI's), which only expiry ends.
    pub async fn logout(&self, caller: &Caller, sid: Option<&str>) -> Result<bool> {
        match sid {
            Some(sid) => Ok(self
                .store
                .revoke_session(caller.account.id, sid, self.now(), "logout")
                .await?),
            None => Ok(false),
        }
    }

    /// Admin: signs a user of the caller's account out everywhere. Returns the live sessions ended.
    pub async fn revoke_sessions_of(&self, caller: &Caller, id: UserId) -> Result<u64> {
        if caller.user.role != Role::Admin {
            return Err(ServiceError::RequiresAdmin);
        }
        let found = self
            .store
            .user_with_account(caller.account.id, id, self.now())
            .await?
            .is_some();
        if !found {
            return Err(ServiceError::NotFound("user"));
        }
        Ok(self
            .store
            .revoke_user_sessions(caller.account.id, id, self.now(), "revoked_by_admin")
            .await?)
    }

    /// Ends every session of a user who is no longer active (called when an admin deactivates
    /// or deletes them).
    pub async fn end_sessions_of_inactive(&self, user: &User) -> Result<u64> {
        Ok(self
            .store
            .revoke_user_sessions(user.account_id, user.id, self.now(), "user_inactive")
            .await?)
    }

    /// Whether a verified token's session is still live (or, without a session, whether the
    /// user's sessions were revoked after it was issued).
    pub async fn session_is_live(&self, v: &Verified) -> Result<bool> {
        match &v.sid {
            Some(sid) => Ok(matches!(
                self.store.session_state(sid, self.now()).await?,
                SessionState::Live { account_id, user_id }
                    if account_id == v.account_id && user_id == v.user_id
            )),
            None => Ok(self
                .store
                .session_cutoff(v.user_id, self.now())
                .await?
                .is_none_or(|cutoff| v.issued_at >= cutoff)),
        }
    }

    async fn active_user(&self, account: AccountId, user: UserId) -> Result<Option<User>> {
        Ok(self
            .store
            .user_with_account(account, user, self.now())
            .await?
            .map(|(u, _)| u)
            .filter(|u| u.status == UserStatus::Active))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_refresh_tokens_are_unguessable_and_stored_as_digests() {
        let a = opaque(CODE_PREFIX);
        let b = opaque(CODE_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("sqc_") && a.len() == 4 + 43, "{a}");
        assert!(a[4..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), a);
        assert_eq!(digest(&a), digest(&format!(" {a}\n")));
    }
}
