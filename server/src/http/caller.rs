//! The `Caller` extractor: `Authorization: Bearer <session token>` -> the user and account.
//!
//! A token is accepted when its signature, issuer, audience and expiry check out (`auth.rs`), its
//! user is active, and its session is live: not signed out or revoked (a token without a session,
//! from the operator's CLI, only if the user's sessions were not revoked after it was issued).
//! The user and the session state are each cached for 2 s per process (`store::lookup`,
//! `store::sessions`), and cleared by changes made through this process.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use shared::ErrorCode;

use super::ApiError;
use crate::auth::{self, AuthError};
use crate::domain::UserStatus;
use crate::service::{App, Caller};

/// Extracts and checks the bearer token of a request.
pub struct Authed(pub Caller);

/// Like [`Authed`], with the session the token names (`None` for a CLI token).
pub struct AuthedSession(pub Caller, pub Option<String>);

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, p: &mut Payload) -> Self::Future {
        let inner = AuthedSession::from_request(req, p);
        Box::pin(async move { inner.await.map(|AuthedSession(c, _)| Authed(c)) })
    }
}

impl FromRequest for AuthedSession {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = req.app_data::<web::Data<App>>().cloned();
        let header = req
            .headers()
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .map(str::to_string);
        Box::pin(async move {
            let app = app.ok_or_else(|| ApiError::new(ErrorCode::Internal, "app missing"))?;
            let header = header.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "send Authorization: Bearer <token>",
                )
            })?;
            let token = header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Unauthorized,
                        "the Authorization header must use the Bearer scheme",
                    )
                })?;
            let verified = auth::verify_token(&app.settings.secret, token.trim(), app.now())
                .map_err(|e| match e {
                    AuthError::Expired => ApiError::new(ErrorCode::TokenExpired, e.to_string()),
                    AuthError::Invalid => ApiError::new(ErrorCode::InvalidToken, e.to_string()),
                })?;
            let store_err = |e| ApiError::from(crate::service::ServiceError::Store(e));
            let caller = match app
                .store
                .user_with_account(verified.account_id, verified.user_id, app.now())
                .await
                .map_err(store_err)?
            {
                Some((user, account)) if user.status == UserStatus::Active => {
                    Caller { user, account }
                }
                _ => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidToken,
                        "the token's user no longer exists or is not active",
                    ))
                }
            };
            if !app.session_is_live(&verified).await? {
                return Err(ApiError::new(
                    ErrorCode::InvalidToken,
                    "the session was signed out or revoked: sign in again",
                ));
            }
            Ok(AuthedSession(caller, verified.sid))
        })
    }
}
