//! Session handlers (issue 19): one-time code sign-in, refresh, logout, and an admin's
//! "sign this user out everywhere". Rules live in `service/sessions.rs`.

use actix_web::{web, HttpResponse};
use shared::*;

use super::caller::{Authed, AuthedSession};
use super::{ApiError, ApiResult};
use crate::domain::UserId;
use crate::service::sessions::SessionError;
use crate::service::App;

type Data = web::Data<App>;

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Invalid(_) => ApiError::new(ErrorCode::InvalidToken, e.to_string()),
            SessionError::Ended => ApiError::new(ErrorCode::TokenExpired, e.to_string()),
            SessionError::Service(e) => e.into(),
        }
    }
}

/// `POST /auth/code {code}`: a one-time sign-in code for a session (once).
pub async fn code(app: Data, body: web::Json<CodeRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(app.redeem_code(&body.code).await?))
}

/// `POST /auth/refresh {refresh_token}`: a new access token and a new refresh token.
pub async fn refresh(app: Data, body: web::Json<RefreshRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(app.refresh(&body.refresh_token).await?))
}

/// `POST /auth/logout`: ends the caller's session (its refresh token and access tokens).
pub async fn logout(app: Data, AuthedSession(c, sid): AuthedSession) -> ApiResult<HttpResponse> {
    app.logout(&c, sid.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /users/{id}/sessions/revoke` (admin): signs the user out everywhere.
pub async fn revoke_user(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let revoked = app.revoke_sessions_of(&c, UserId(*id)).await?;
    Ok(HttpResponse::Ok().json(RevokeSessionsResponse { revoked }))
}
