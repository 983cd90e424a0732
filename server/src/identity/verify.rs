//! Token checks for each provider. Only RS256 is accepted; the header is read before anything
//! else so `alg: none` and HMAC tokens are refused by name. Time claims are checked against the
//! app clock (with a small leeway for clock skew), never the system clock.

use base64::Engine;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{IdentityConfig, IdentityError};
use crate::domain::Millis;

/// Tolerated clock skew between the provider and this server.
pub const LEEWAY_S: i64 = 60;

/// The `alg` and `kid` of a compact JWS, read without trusting anything else.
pub fn header(token: &str) -> Result<(String, Option<String>), IdentityError> {
    let first = token.split('.').next().unwrap_or("");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first.trim_end_matches('='))
        .map_err(|_| IdentityError::Malformed("the header is not base64url".into()))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| IdentityError::Malformed("the header is not JSON".into()))?;
    let alg = v
        .get("alg")
        .and_then(|a| a.as_str())
        .unwrap_or("none")
        .to_string();
    if alg != "RS256" {
        return Err(IdentityError::Algorithm(alg));
    }
    Ok((
        alg,
        v.get("kid").and_then(|k| k.as_str()).map(str::to_string),
    ))
}

/// Checks the RS256 signature with `key` and returns the raw claims.
fn signed_claims(token: &str, key: &DecodingKey) -> Result<serde_json::Value, IdentityError> {
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    decode::<serde_json::Value>(token, key, &v)
        .map(|d| d.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => IdentityError::Signature,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                IdentityError::Algorithm("a non-RS256 algorithm".into())
            }
            _ => IdentityError::Malformed(e.to_string()),
        })
}

fn typed<T: serde::de::DeserializeOwned>(claims: serde_json::Value) -> Result<T, IdentityError> {
    serde_json::from_value(claims).map_err(|e| IdentityError::Malformed(format!("claims: {e}")))
}

fn check_times(exp: i64, nbf: Option<i64>, now: Millis) -> Result<(), IdentityError> {
    let now_s = now.div_euclid(1000);
    if now_s >= exp + LEEWAY_S {
        return Err(IdentityError::Expired);
    }
    if nbf.is_some_and(|nbf| now_s + LEEWAY_S < nbf) {
        return Err(IdentityError::NotYetValid);
    }
    Ok(())
}

#[derive(Deserialize)]
struct MsClaims {
    iss: String,
    aud: String,
    tid: String,
    oid: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    scp: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
}

/// A verified Microsoft identity platform user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicrosoftIdentity {
    pub tid: String,
    pub oid: String,
    /// `email`, else `preferred_username`: authoritative only within a tenant the account trusts.
    pub email: Option<String>,
}

/// Checks a Microsoft v2.0 access token whose key (by `kid`) is `key`.
pub fn microsoft(
    token: &str,
    key: &DecodingKey,
    cfg: &IdentityConfig,
    now: Millis,
) -> Result<MicrosoftIdentity, IdentityError> {
    let client_id = cfg
        .ms_client_id
        .as_deref()
        .ok_or(IdentityError::NotConfigured)?;
    let c: MsClaims = typed(signed_claims(token, key)?)?;
    check_times(c.exp, c.nbf, now)?;
    let expected_iss = format!("https://login.microsoftonline.com/{}/v2.0", c.tid);
    if c.iss != expected_iss {
        return Err(IdentityError::Issuer(c.iss));
    }
    if c.aud != client_id && c.aud != format!("api://{client_id}") {
        return Err(IdentityError::Audience(c.aud));
    }
    if !c
        .scp
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .any(|s| s == cfg.ms_scope)
    {
        return Err(IdentityError::Scope(cfg.ms_scope.clone()));
    }
    Ok(MicrosoftIdentity {
        tid: c.tid,
        oid: c.oid,
        email: c.email.or(c.preferred_username),
    })
}

#[derive(Deserialize)]
struct GoogleClaims {
    iss: String,
    aud: String,
    sub: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    #[serde(default)]
    hd: Option<String>,
}

/// A verified Google user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleIdentity {
    pub sub: String,
    pub email: String,
    /// The Workspace hosted domain, absent for consumer accounts.
    pub hd: Option<String>,
}

/// Checks a Google ID token whose key (by `kid`) is `key`.
pub fn google(
    token: &str,
    key: &DecodingKey,
    cfg: &IdentityConfig,
    now: Millis,
) -> Result<GoogleIdentity, IdentityError> {
    let client_id = cfg
        .google_client_id
        .as_deref()
        .ok_or(IdentityError::NotConfigured)?;
    let c: GoogleClaims = typed(signed_claims(token, key)?)?;
    check_times(c.exp, c.nbf, now)?;
    // Google documents both spellings of its issuer.
    if c.iss != "https://accounts.google.com" && c.iss != "accounts.google.com" {
        return Err(IdentityError::Issuer(c.iss));
    }
    if c.aud != client_id {
        return Err(IdentityError::Audience(c.aud));
    }
    let verified = matches!(&c.email_verified, Some(serde_json::Value::Bool(true)))
        || matches!(&c.email_verified, Some(serde_json::Value::String(s)) if s == "true");
    let email = c
        .email
        .filter(|_| verified)
        .ok_or(IdentityError::EmailNotVerified)?;
    Ok(GoogleIdentity {
        sub: c.sub,
        email,
        hd: c.hd,
    })
}
