//! Sequencer's own access tokens (HS256 JWTs). Expiry is checked against the app's clock, so a
//! test that moves the clock moves token lifetimes with it.
//!
//! A token issued for a session (password sign-in, exchange, one-time code, refresh) carries the
//! session id `sid`; the bearer check refuses it once that session is revoked. A token without
//! `sid` comes only from the operator's CLI (`App::session_token`) and is refused once the user's
//! sessions are revoked after it was issued (`iat_ms`).

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
    /// The session this token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    /// When it was issued, in milliseconds (compared with a user's revocation cutoff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the token is malformed or its signature is invalid")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub account_id: AccountId,
    pub user_id: UserId,
    /// The session, for tokens issued to one.
    pub sid: Option<String>,
    /// When it was issued (ms; whole seconds for tokens from before `iat_ms`).
    pub issued_at: Millis,
}

/// Signs a token for `user` (in session `sid`, if any), valid for `ttl_ms` from `now`. Returns
/// the token and its expiry.
pub fn issue_in_session(
    secret: &[u8],
    user: &User,
    sid: Option<&str>,
    now: Millis,
    ttl_ms: Millis,
) -> (String, Millis) {
    let exp = now.saturating_add(ttl_ms);
    let claims = SessionClaims {
        sub: user.id.0.to_string(),
        acct: user.account_id.0,
        iat: now / 1000,
        exp: exp / 1000,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sid: sid.map(str::to_string),
        iat_ms: Some(now),
    };
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap_or_default();
    (token, exp)
}

/// Signs a token for `user` outside any session (the operator's CLI).
pub fn issue(secret: &[u8], user: &User, now: Millis, ttl_ms: Millis) -> (String, Millis) {
    issue_in_session(secret, user, None, now, ttl_ms)
}

/// Checks signature, algorithm, issuer, audience and expiry (against `now`).
pub fn verify_token(secret: &[u8], token: &str, now: Millis) -> Result<Verified, AuthError> {
    let mut v = Validation::new(Algorithm::HS256);
    v.validate_exp = false;
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[AUDIENCE]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<SessionClaims>(token, &DecodingKey::from_secret(secret), &v)
        .map_err(|_| AuthError::Invalid)?;
    let c = data.claims;
    if c.exp.checked_mul(1000).is_none_or(|exp| exp <= now) {
        return Err(AuthError::Expired);
    }
    let user = c.sub.parse().map_err(|_| AuthError::Invalid)?;
    if c.sid.as_deref().is_some_and(str::is_empty) {
        return Err(AuthError::Invalid);
    }
    Ok(Verified {
        account_id: AccountId(c.acct),
        user_id: UserId(user),
        sid: c.sid,
        issued_at: c.iat_ms.unwrap_or(c.iat.saturating_mul(1000)),
    })
}

/// [`verify_token`], the account and user only.
pub fn verify(secret: &[u8], token: &str, now: Millis) -> Result<(AccountId, UserId), AuthError> {
    verify_token(secret, token, now).map(|v| (v.account_id, v.user_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, Seat, UserStatus};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    const SECRET: &[u8] = b"unit-test-secret-unit-test-secret!!";
    const NOW: Millis = 1_795_770_000_123;

    fn user() -> User {
        User {
            id: UserId(7),
            account_id: AccountId(3),
            email: crate::domain::EmailAddress::parse("rep@seller.example")
                .unwrap_or_else(|_| unreachable!()),
            name: "Rita".into(),
            role: Role::Admin,
            seat: Some(Seat::SalesPro),
            status: UserStatus::Active,
        }
    }

    /// A token with these claims, signed with `alg` (HS256/HS512 with `key`, or `none`).
    fn forge(alg: &str, key: &[u8], claims: serde_json::Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({ "alg": alg, "typ": "JWT" }).to_string());
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        let input = format!("{header}.{body}");
        let sig = match alg {
            "HS256" => {
                use hmac::{Hmac, Mac};
                let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!());
                m.update(input.as_bytes());
                URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
            }
            "HS512" => {
                use hmac::{Hmac, Mac};
                let mut m = <Hmac<sha2::Sha512> as Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!());
                m.update(input.as_bytes());
                URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
            }
            _ => String::new(),
        };
        format!("{input}.{sig}")
    }

    fn claims() -> serde_json::Value {
        json!({
            "sub": "7", "acct": 3, "iat": NOW / 1000, "exp": NOW / 1000 + 3600,
            "iss": ISSUER, "aud": AUDIENCE, "sid": "s1", "iat_ms": NOW,
        })
    }

    fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
        let mut c = claims();
        c[key] = value;
        c
    }

    fn without(key: &str) -> serde_json::Value {
        let mut c = claims();
        if let Some(o) = c.as_object_mut() {
            o.remove(key);
        }
        c
    }

    #[test]
    fn a_session_token_round_trips_with_its_session_and_issue_time() {
        let (token, exp) = issue_in_session(SECRET, &user(), Some("s1"), NOW, 3_600_000);
        assert_eq!(exp, NOW + 3_600_000);
        let v = verify_token(SECRET, &token, NOW + 1000);
        assert_eq!(
            v,
            Ok(Verified {
                account_id: AccountId(3),
                user_id: UserId(7),
                sid: Some("s1".into()),
                issued_at: NOW,
            })
        );
        let (cli, _) = issue(SECRET, &user(), NOW, 3_600_000);
        assert_eq!(verify_token(SECRET, &cli, NOW).map(|v| v.sid), Ok(None));
        assert_eq!(
            verify_token(SECRET, &token, NOW + 3_600_000),
            Err(AuthError::Expired)
        );
    }

    /// Every kind of forged or confused token is refused (CVE-2026-25537 is a claim type
    /// confusion: a string `exp` must not pass as "no expiry").
    #[test]
    fn forged_and_type_confused_tokens_are_refused() {
        let good = forge("HS256", SECRET, claims());
        assert!(
            verify_token(SECRET, &good, NOW).is_ok(),
            "the forge helper works"
        );
        let cases: Vec<(&str, String, AuthError)> = vec![
            (
                "string exp",
                forge(
                    "HS256",
                    SECRET,
                    with("exp", json!((NOW / 1000 + 3600).to_string())),
                ),
                AuthError::Invalid,
            ),
            (
                "float exp",
                forge("HS256", SECRET, with("exp", json!(1.5e12))),
                AuthError::Invalid,
            ),
            (
                "null exp",
                forge("HS256", SECRET, with("exp", json!(null))),
                AuthError::Invalid,
            ),
            (
                "no exp",
                forge("HS256", SECRET, without("exp")),
                AuthError::Invalid,
            ),
            (
                "huge exp",
                forge("HS256", SECRET, with("exp", json!(i64::MAX))),
                AuthError::Expired,
            ),
            (
                "negative exp",
                forge("HS256", SECRET, with("exp", json!(i64::MIN))),
                AuthError::Invalid,
            ),
            (
                "numeric sub",
                forge("HS256", SECRET, with("sub", json!(7))),
                AuthError::Invalid,
            ),
            (
                "string acct",
                forge("HS256", SECRET, with("acct", json!("3"))),
                AuthError::Invalid,
            ),
            (
                "numeric sid",
                forge("HS256", SECRET, with("sid", json!(1))),
                AuthError::Invalid,
            ),
            (
                "empty sid",
                forge("HS256", SECRET, with("sid", json!(""))),
                AuthError::Invalid,
            ),
            (
                "array aud",
                forge("HS256", SECRET, with("aud", json!(["other"]))),
                AuthError::Invalid,
            ),
            (
                "other issuer",
                forge("HS256", SECRET, with("iss", json!("someone"))),
                AuthError::Invalid,
            ),
            (
                "other audience",
                forge("HS256", SECRET, with("aud", json!("other"))),
                AuthError::Invalid,
            ),
            ("alg none", forge("none", b"", claims()), AuthError::Invalid),
            (
                "HS512",
                forge("HS512", SECRET, claims()),
                AuthError::Invalid,
            ),
            (
                "wrong secret",
                forge("HS256", b"another-secret-another-secret-!!", claims()),
                AuthError::Invalid,
            ),
            ("garbage", "a.b.c".into(), AuthError::Invalid),
            ("empty", String::new(), AuthError::Invalid),
        ];
        for (name, token, expected) in cases {
            assert_eq!(
                verify_token(SECRET, &token, NOW).err(),
                Some(expected),
                "{name}"
            );
        }
    }
}
