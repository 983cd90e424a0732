//! Sequencer's own session tokens (HS256 JWTs). Expiry is checked against the app's clock, so a
//! test that moves the clock moves token lifetimes with it.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, Millis, User, UserId};

const ISSUER: &str = "sequencer";
const AUDIENCE: &str = "sequencer-api";

#[derive(Debug, Serialize, Deserialize)]
struct SessionClaims {
    sub: String,
    acct: i64,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the token is malformed or its signature is invalid")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

/// Signs a session token for `user`, valid for `ttl_ms` from `now`. Returns the token and its expiry.
pub fn issue(secret: &[u8], user: &User, now: Millis, ttl_ms: Millis) -> (String, Millis) {
    let exp = now + ttl_ms;
    let claims = SessionClaims {
        sub: user.id.0.to_string(),
        acct: user.account_id.0,
        iat: now / 1000,
        exp: exp / 1000,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap_or_default();
    (token, exp)
}

/// Checks signature, algorithm, issuer, audience and expiry (against `now`).
pub fn verify(secret: &[u8], token: &str, now: Millis) -> Result<(AccountId, UserId), AuthError> {
    let mut v = Validation::new(Algorithm::HS256);
    v.validate_exp = false;
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<SessionClaims>(token, &DecodingKey::from_secret(secret), &v)
        .map_err(|_| AuthError::Invalid)?;
    if data.claims.exp * 1000 <= now {
        return Err(AuthError::Expired);
    }
    let user = data.claims.sub.parse().map_err(|_| AuthError::Invalid)?;
    Ok((AccountId(data.claims.acct), UserId(user)))
}
