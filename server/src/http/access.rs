//! Handlers for issue 4's API: external-token exchange, rate-limited password sign-in,
//! availability and meetings, API keys and workflow actions, user management and account
//! settings. Registered (and listed in the route table) in `api.rs`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use shared::*;

use super::caller::Authed;
use super::{ApiError, ApiResult};
use crate::domain::UserId;
use crate::service::App;

type Data = web::Data<App>;

/// `Authorization: Bearer sqk_...` (or `X-Api-Key`): an account API key for automation tools.
pub struct KeyAuthed(pub crate::service::KeyCaller);

impl FromRequest for KeyAuthed {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = req.app_data::<Data>().cloned();
        let bearer = req
            .headers()
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(|s| s.trim().to_string());
        let key = bearer.or_else(|| {
            req.headers()
                .get("x-api-key")
                .and_then(|h| h.to_str().ok())
                .map(|s| s.trim().to_string())
        });
        Box::pin(async move {
            let app = app.ok_or_else(|| ApiError::new(ErrorCode::Internal, "app missing"))?;
            let key = key.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "send Authorization: Bearer <API key>",
                )
            })?;
            Ok(KeyAuthed(app.authenticate_api_key(&key).await?))
        })
    }
}

pub async fn login(
    app: Data,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    // The socket's address, not a forwarded header a client could rotate to dodge the limit.
    let client = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let signed_in = app
        .login_limited(&body.email, &body.password, &client)
        .await?;
    // A session (issue 19): a one-hour access token naming it, and a refresh token.
    Ok(HttpResponse::Ok().json(app.open_session(signed_in).await?))
}

pub async fn exchange(app: Data, body: web::Json<ExchangeRequest>) -> ApiResult<HttpResponse> {
    let signed_in = app.exchange(body.provider, &body.token).await?;
    Ok(HttpResponse::Ok().json(app.open_session(signed_in).await?))
}

pub async fn availability(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.availability(&c).await?))
}

pub async fn set_availability(
    app: Data,
    Authed(c): Authed,
    body: web::Json<AvailabilityRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.set_availability(&c, &body).await?))
}

pub async fn log_meeting(
    app: Data,
    Authed(c): Authed,
    body: web::Json<MeetingRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.log_meeting(&c, &body).await?))
}

pub async fn api_keys(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.api_keys(&c).await?))
}

pub async fn create_api_key(
    app: Data,
    Authed(c): Authed,
    body: web::Json<ApiKeyRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_api_key(&c, &body.name).await?))
}

pub async fn revoke_api_key(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    app.revoke_api_key(&c, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn workflow_unenroll(
    app: Data,
    KeyAuthed(k): KeyAuthed,
    body: web::Json<WorkflowUnenrollRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.workflow_unenroll(&k, &body).await?))
}

pub async fn users(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.list_users(&c).await?))
}

pub async fn create_user(
    app: Data,
    Authed(c): Authed,
    body: web::Json<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_user(&c, &body).await?))
}

pub async fn update_user(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
    body: web::Json<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_user(&c, UserId(*id), &body).await?))
}

pub async fn delete_user(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.delete_user(&c, UserId(*id)).await?))
}

pub async fn account_settings(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.account_settings(&c).await?))
}

pub async fn set_account_settings(
    app: Data,
    Authed(c): Authed,
    body: web::Json<AccountSettingsView>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.set_account_settings(&c, &body).await?))
}

pub async fn trusted_identities(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.trusted_identities(&c).await?))
}

/// 201 when the tenant or domain is newly trusted, 200 when this account already trusted it.
pub async fn claim_trusted_identity(
    app: Data,
    Authed(c): Authed,
    body: web::Json<TrustClaimRequest>,
) -> ApiResult<HttpResponse> {
    let (new, view) = app.claim_trust(&c, &body).await?;
    Ok(if new {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

pub async fn release_trusted_identity(
    app: Data,
    Authed(c): Authed,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (provider, id) = path.into_inner();
    app.release_trust(&c, &provider, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}
