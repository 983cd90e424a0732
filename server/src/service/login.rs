//! Password sign-in for users created by an admin (argon2 hashes) and session tokens.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use shared::TokenResponse;

use super::views::user_view;
use super::*;
use crate::auth;
use crate::clock::rfc3339;

/// Session tokens last a working week.
pub const SESSION_TTL_MS: Millis = 7 * 24 * 3600 * 1000;

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

impl App {
    /// A session token for `user`.
    pub fn session_token(&self, user: &User) -> TokenResponse {
        let (token, exp) = auth::issue(&self.settings.secret, user, self.now(), SESSION_TTL_MS);
        TokenResponse {
            token,
            expires_at: rfc3339(exp),
            user: user_view(user),
        }
    }

    /// Email + password -> session token. One generic error for every failure.
    pub async fn login(&self, email: &str, password: &str) -> Result<TokenResponse> {
        let denied = || ServiceError::Unauthorized("wrong email or password".into());
        let email = EmailAddress::parse(email).map_err(|_| denied())?;
        for (user, hash) in self.store.users_by_email(&email).await? {
            if user.status == UserStatus::Active
                && hash
                    .as_deref()
                    .is_some_and(|h| verify_password(password, h))
            {
                return Ok(self.session_token(&user));
            }
        }
        Err(denied())
    }
}
            refresh_token: None,
