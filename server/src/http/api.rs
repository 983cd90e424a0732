//! `/api/v1` routes. Each handler: extract -> parse -> service -> DTO.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::*;

use super::access;
use super::caller::Authed;
use super::{ApiError, ApiResult};
use crate::domain::{CompanyId, ContactId, EnrollmentId, SequenceId};
use crate::service::App;

type Data = web::Data<App>;

/// One route per line: `METHOD "path" => handler;`. Registers them and lists them in [`ROUTES`],
/// so the cross-account suite walks every route, including ones added later.
macro_rules! api_routes {
    ($($method:ident $path:literal => $handler:path;)+) => {
        /// Every `/api/v1` route as `(METHOD, path)`: data for the security suites.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),+];

        pub fn routes(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, web::$method().to($handler));)+
        }
    };
}

api_routes! {
    get "/health" => health;
    get "/ready" => ready;
    get "/metrics" => metrics;
    post "/auth/login" => access::login;
    post "/auth/exchange" => access::exchange;
    post "/auth/code" => super::sessions::code;
    post "/auth/refresh" => super::sessions::refresh;
    post "/auth/logout" => super::sessions::logout;
    get "/me" => me;
    get "/me/availability" => access::availability;
    put "/me/availability" => access::set_availability;
    get "/recipients" => recipients;
    get "/contacts" => contacts;
    post "/contacts" => create_contact;
    get "/contacts/{id}" => contact;
    put "/contacts/{id}" => update_contact;
    delete "/contacts/{id}" => delete_contact;
    get "/contacts/{id}/record" => contact_record;
    get "/companies" => companies;
    post "/companies" => create_company;
    get "/companies/{id}" => company;
    put "/companies/{id}" => update_company;
    get "/sequences" => sequences;
    post "/sequences" => create_sequence;
    get "/sequences/{id}" => sequence;
    put "/sequences/{id}" => update_sequence;
    delete "/sequences/{id}" => delete_sequence;
    post "/sequences/{id}/enrollments" => enroll;
    get "/sequences/{id}/enrollments" => sequence_enrollments;
    get "/sequences/{id}/scheduled" => scheduled;
    get "/sequences/{id}/performance" => performance;
    post "/enrollments/unenroll" => bulk_unenroll;
    post "/enrollments/unenroll-by-email" => unenroll_by_email;
    get "/enrollments/{id}" => enrollment;
    post "/enrollments/{id}/unenroll" => unenroll;
    post "/enrollments/{id}/resume" => resume;
    post "/inbound" => super::inbound::inbound;
    get "/mailboxes" => super::inbound::mailboxes;
    post "/mailboxes" => super::inbound::create_mailbox;
    put "/mailboxes/{id}" => super::inbound::update_mailbox;
    delete "/mailboxes/{id}" => super::inbound::delete_mailbox;
    post "/meetings" => access::log_meeting;
    get "/api-keys" => access::api_keys;
    post "/api-keys" => access::create_api_key;
    delete "/api-keys/{id}" => access::revoke_api_key;
    post "/workflow-actions/unenroll" => access::workflow_unenroll;
    get "/users" => access::users;
    post "/users" => access::create_user;
    patch "/users/{id}" => access::update_user;
    delete "/users/{id}" => access::delete_user;
    post "/users/{id}/sessions/revoke" => super::sessions::revoke_user;
    get "/account/settings" => access::account_settings;
    get "/suppressions" => suppressions;
    put "/account/settings" => access::set_account_settings;
    get "/account/trusted-identities" => access::trusted_identities;
    post "/account/trusted-identities/claim" => access::claim_trusted_identity;
    delete "/account/trusted-identities/{provider}/{id}" => access::release_trusted_identity;
}

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    )
    .error_response()
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: 503 `worker_unavailable` while this process's scheduler is dead (restarting after
/// a panic) or has not completed a pass within its stall limit. `/health` stays liveness.
async fn ready(app: Data) -> ApiResult<HttpResponse> {
    match app.worker.readiness() {
        Ok(()) => Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))),
        Err(why) => Err(ApiError::new(ErrorCode::WorkerUnavailable, why.to_string())),
    }
}

/// Scheduler figures (counts and ages only: nothing about accounts or their data).
async fn metrics(app: Data) -> HttpResponse {
    let w = app.worker.snapshot();
    HttpResponse::Ok().json(serde_json::json!({
        "worker": {
            "enabled": w.enabled,
            "running": w.running,
            "restarts": w.restarts,
            "passes": w.passes,
            "failed_passes": w.failed_passes,
            "isolated_failures": w.isolated_failures,
            "last_pass_age_ms": w.last_pass_age_ms,
            "deferred_sends": w.deferred_sends,
            // App-clock ms until which email steps wait for an unreachable relay, if any.
            "relay_down_until_ms": w.relay_down_until,
        }
    }))
}

async fn me(Authed(c): Authed) -> HttpResponse {
    HttpResponse::Ok().json(MeResponse {
        user: crate::service::views::user_view(&c.user),
        account: AccountView {
            id: c.account.id.0,
            name: c.account.name.clone(),
            tier: c.account.tier,
        },
    })
}

/// `?email=a@x&email=b@y` (repeated) or `?emails=a@x,b@y`.
async fn recipients(app: Data, Authed(c): Authed, req: HttpRequest) -> ApiResult<HttpResponse> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("invalid query string: {e}")))?;
    let emails: Vec<String> = pairs
        .into_iter()
        .flat_map(|(k, v)| match k.as_str() {
            "email" => vec![v],
            "emails" => v
                .split(',')
                .map(str::to_string)
                .filter(|s| !s.trim().is_empty())
                .collect(),
            _ => vec![],
        })
        .collect();
    Ok(HttpResponse::Ok().json(app.recipients(&c, &emails).await?))
}

#[derive(Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

async fn contacts(app: Data, Authed(c): Authed, q: web::Query<Page>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        app.contacts(&c, q.limit.unwrap_or(200), q.offset.unwrap_or(0))
            .await?,
    ))
}

async fn create_contact(
    app: Data,
    Authed(c): Authed,
    body: web::Json<ContactRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_contact(&c, &body).await?))
}

async fn contact(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.contact(&c, ContactId(*id)).await?))
}

async fn update_contact(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
    body: web::Json<ContactRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_contact(&c, ContactId(*id), &body).await?))
}

async fn delete_contact(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    app.delete_contact(&c, ContactId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn contact_record(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.contact_record(&c, ContactId(*id)).await?))
}

async fn companies(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.companies(&c).await?))
}

async fn create_company(
    app: Data,
    Authed(c): Authed,
    body: web::Json<CompanyRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_company(&c, &body).await?))
}

async fn company(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.company(&c, CompanyId(*id)).await?))
}

async fn update_company(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
    body: web::Json<CompanyRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_company(&c, CompanyId(*id), &body).await?))
}

async fn sequences(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.sequences(&c).await?))
}

async fn create_sequence(
    app: Data,
    Authed(c): Authed,
    body: web::Json<SequenceRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_sequence(&c, &body).await?))
}

async fn sequence(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.sequence(&c, SequenceId(*id)).await?))
}

async fn update_sequence(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
    body: web::Json<SequenceRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_sequence(&c, SequenceId(*id), &body).await?))
}

async fn delete_sequence(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    app.delete_sequence(&c, SequenceId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn enroll(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
    body: web::Json<EnrollRequest>,
) -> ApiResult<HttpResponse> {
    let ids: Vec<ContactId> = body.contact_ids.iter().copied().map(ContactId).collect();
    Ok(HttpResponse::Ok().json(app.enroll(&c, SequenceId(*id), &ids).await?))
}

#[derive(Deserialize)]
struct StateFilter {
    state: Option<String>,
}

async fn sequence_enrollments(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
    q: web::Query<StateFilter>,
) -> ApiResult<HttpResponse> {
    let state =
        match q.state.as_deref() {
            None | Some("") => None,
            Some(s) => Some(EnrollmentState::parse(s).ok_or_else(|| {
                ApiError::new(ErrorCode::BadRequest, format!("unknown state '{s}'"))
            })?),
        };
    Ok(HttpResponse::Ok().json(app.sequence_enrollments(&c, SequenceId(*id), state).await?))
}

async fn scheduled(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.scheduled(&c, SequenceId(*id)).await?))
}

async fn performance(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.performance(&c, SequenceId(*id)).await?))
}

async fn enrollment(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    let row = app
        .store
        .enrollment(c.account.id, EnrollmentId(*id))
        .await
        .map_err(crate::service::ServiceError::from)?;
    let row = row.ok_or_else(|| ApiError::new(ErrorCode::NotFound, "enrollment not found"))?;
    Ok(HttpResponse::Ok().json(crate::service::views::enrollment_view(&row)))
}

/// An optional JSON body: empty means the type's default.
fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &web::Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

async fn unenroll(
    app: Data,
    Authed(c): Authed,
    id: web::Path<i64>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let req: UnenrollRequest = optional_json(&body)?;
    let surface = req.surface.unwrap_or(UnenrollSurface::Api);
    Ok(HttpResponse::Ok().json(app.unenroll_one(&c, EnrollmentId(*id), surface).await?))
}

async fn resume(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.resume_one(&c, EnrollmentId(*id)).await?))
}

async fn bulk_unenroll(
    app: Data,
    Authed(c): Authed,
    body: web::Json<BulkUnenrollRequest>,
) -> ApiResult<HttpResponse> {
    let ids: Vec<EnrollmentId> = body
        .enrollment_ids
        .iter()
        .copied()
        .map(EnrollmentId)
        .collect();
    let surface = body.surface.unwrap_or(UnenrollSurface::Bulk);
    Ok(HttpResponse::Ok().json(app.unenroll_many(&c, &ids, surface).await?))
}

async fn unenroll_by_email(
    app: Data,
    Authed(c): Authed,
    body: web::Json<UnenrollByEmailRequest>,
) -> ApiResult<HttpResponse> {
    let surface = body.surface.unwrap_or(UnenrollSurface::Api);
    Ok(HttpResponse::Ok().json(app.unenroll_by_email(&c, &body.email, surface).await?))
}

/// The account's suppression list (admins).
async fn suppressions(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.suppressions(&c).await?))
}
