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

/// A fixed argon2id hash (same parameters as real ones) that addresses without a usable password
/// are checked against, so they take as long as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password: it only costs time"))
}

/// What checking a password against the users holding an address did.
#[derive(Debug)]
pub struct PasswordCheck {
    /// The first active user whose password it is.
    pub user: Option<User>,
    /// How many argon2 verifications ran: at least one, whoever holds the address.
    pub hashes: usize,
}

/// Checks `password` against every active candidate that has a password, or, when there is none
/// (unknown address, deactivated user, no password set), against [`dummy_hash`]: the answer
/// takes the same time whether or not the address exists.
pub fn check_password(candidates: &[(User, Option<String>)], password: &str) -> PasswordCheck {
    let mut check = PasswordCheck {
        user: None,
        hashes: 0,
    };
    for (user, hash) in candidates {
        let Some(hash) = hash
            .as_deref()
            .filter(|_| user.status == UserStatus::Active)
        else {
            continue;
        };
        check.hashes += 1;
        if verify_password(password, hash) && check.user.is_none() {
            check.user = Some(user.clone());
        }
    }
    if check.hashes == 0 {
        verify_password(password, dummy_hash());
        check.hashes = 1;
    }
    check
}

impl App {
    /// A session token for `user`.
    pub fn session_token(&self, user: &User) -> TokenResponse {
        let (token, exp) = auth::issue(&self.settings.secret, user, self.now(), SESSION_TTL_MS);
        TokenResponse {
            token,
            expires_at: rfc3339(exp),
            user: user_view(user),
            refresh_token: None,
        }
    }

    /// Email + password -> session token. One generic error for every failure, and the same
    /// cost: an unknown address still runs one argon2 verification ([`check_password`]), off the
    /// async workers.
    pub async fn login(&self, email: &str, password: &str) -> Result<TokenResponse> {
        let denied = || ServiceError::Unauthorized("wrong email or password".into());
        let candidates = match EmailAddress::parse(email) {
            Ok(email) => self.store.users_by_email(&email).await?,
            Err(_) => Vec::new(),
        };
        let password = password.to_string();
        let check = tokio::task::spawn_blocking(move || check_password(&candidates, &password))
            .await
            .map_err(|_| denied())?;
        match check.user {
            Some(user) => Ok(self.session_token(&user)),
            None => Err(denied()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, status: UserStatus) -> User {
        User {
            id: UserId(id),
            account_id: AccountId(id),
            email: EmailAddress::from_trusted("pat@seller.example".into()),
            name: "Pat".into(),
            role: Role::User,
            seat: None,
            status,
        }
    }

    #[test]
    fn every_address_costs_at_least_one_hash_whether_or_not_it_can_sign_in() {
        let hash = hash_password("right");
        let active = |id| (user(id, UserStatus::Active), Some(hash.clone()));
        // (case, candidates, password, signs in as, argon2 verifications)
        type Candidates = Vec<(User, Option<String>)>;
        let cases: Vec<(&str, Candidates, &str, Option<i64>, usize)> = vec![
            ("unknown address", vec![], "right", None, 1),
            (
                "known, right password",
                vec![active(1)],
                "right",
                Some(1),
                1,
            ),
            ("known, wrong password", vec![active(1)], "wrong", None, 1),
            (
                "deactivated user with the right password",
                vec![(user(1, UserStatus::Deactivated), Some(hash.clone()))],
                "right",
                None,
                1,
            ),
            (
                "user without a password",
                vec![(user(1, UserStatus::Active), None)],
                "",
                None,
                1,
            ),
            (
                "the address in two accounts",
                vec![active(1), active(2)],
                "right",
                Some(1),
                2,
            ),
        ];
        for (case, candidates, password, expected, hashes) in cases {
            let check = check_password(&candidates, password);
            assert_eq!(
                (check.user.map(|u| u.id.0), check.hashes),
                (expected, hashes),
                "{case}"
            );
        }
    }
}
