//! The `Caller` extractor: `Authorization: Bearer <session token>` -> the user and account.

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

impl FromRequest for Authed {
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
            let (account_id, user_id) = auth::verify(&app.settings.secret, token.trim(), app.now())
                .map_err(|e| match e {
                    AuthError::Expired => ApiError::new(ErrorCode::TokenExpired, e.to_string()),
                    AuthError::Invalid => ApiError::new(ErrorCode::InvalidToken, e.to_string()),
                })?;
            let store_err = |e| ApiError::from(crate::service::ServiceError::Store(e));
            match app
                .store
                .user_with_account(account_id, user_id)
                .await
                .map_err(store_err)?
            {
                Some((user, account)) if user.status == UserStatus::Active => {
                    Ok(Authed(Caller { user, account }))
                }
                _ => Err(ApiError::new(
                    ErrorCode::InvalidToken,
                    "the token's user no longer exists or is not active",
                )),
            }
        })
    }
}
