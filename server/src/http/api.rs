//! `/api/v1` routes. Each handler: extract -> parse -> service -> DTO.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::*;

use super::caller::Authed;
use super::{ApiError, ApiResult};
use crate::domain::{CompanyId, ContactId, EnrollmentId, SequenceId};
use crate::service::App;

type Data = web::Data<App>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/auth/login", web::post().to(login))
        .route("/me", web::get().to(me))
        .route("/recipients", web::get().to(recipients))
        .route("/contacts", web::get().to(contacts))
        .route("/contacts", web::post().to(create_contact))
        .route("/contacts/{id}", web::get().to(contact))
        .route("/contacts/{id}", web::put().to(update_contact))
        .route("/contacts/{id}", web::delete().to(delete_contact))
        .route("/contacts/{id}/record", web::get().to(contact_record))
        .route("/companies", web::get().to(companies))
        .route("/companies", web::post().to(create_company))
        .route("/companies/{id}", web::get().to(company))
        .route("/companies/{id}", web::put().to(update_company))
        .route("/sequences", web::get().to(sequences))
        .route("/sequences", web::post().to(create_sequence))
        .route("/sequences/{id}", web::get().to(sequence))
        .route("/sequences/{id}", web::put().to(update_sequence))
        .route("/sequences/{id}", web::delete().to(delete_sequence))
        .route("/sequences/{id}/enrollments", web::post().to(enroll))
        .route("/sequences/{id}/enrollments", web::get().to(sequence_enrollments))
        .route("/sequences/{id}/scheduled", web::get().to(scheduled))
        .route("/sequences/{id}/performance", web::get().to(performance))
        .route("/enrollments/unenroll", web::post().to(bulk_unenroll))
        .route("/enrollments/unenroll-by-email", web::post().to(unenroll_by_email))
        .route("/enrollments/{id}", web::get().to(enrollment))
        .route("/enrollments/{id}/unenroll", web::post().to(unenroll));
}

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    ApiError::new(ErrorCode::NotFound, format!("no route for {} {}", req.method(), req.path())).error_response()
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn login(app: Data, body: web::Json<LoginRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.login(&body.email, &body.password).await?))
}

async fn me(Authed(c): Authed) -> HttpResponse {
    HttpResponse::Ok().json(MeResponse {
        user: crate::service::views::user_view(&c.user),
        account: AccountView { id: c.account.id.0, name: c.account.name.clone(), tier: c.account.tier },
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
            "emails" => v.split(',').map(str::to_string).filter(|s| !s.trim().is_empty()).collect(),
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
    Ok(HttpResponse::Ok().json(app.contacts(&c, q.limit.unwrap_or(200), q.offset.unwrap_or(0)).await?))
}

async fn create_contact(app: Data, Authed(c): Authed, body: web::Json<ContactRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_contact(&c, &body).await?))
}

async fn contact(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.contact(&c, ContactId(*id)).await?))
}

async fn update_contact(app: Data, Authed(c): Authed, id: web::Path<i64>, body: web::Json<ContactRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_contact(&c, ContactId(*id), &body).await?))
}

async fn delete_contact(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    app.delete_contact(&c, ContactId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn contact_record(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.contact_record(&c, ContactId(*id)).await?))
}

async fn companies(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.companies(&c).await?))
}

async fn create_company(app: Data, Authed(c): Authed, body: web::Json<CompanyRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_company(&c, &body).await?))
}

async fn company(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.company(&c, CompanyId(*id)).await?))
}

async fn update_company(app: Data, Authed(c): Authed, id: web::Path<i64>, body: web::Json<CompanyRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_company(&c, CompanyId(*id), &body).await?))
}

async fn sequences(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.sequences(&c).await?))
}

async fn create_sequence(app: Data, Authed(c): Authed, body: web::Json<SequenceRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_sequence(&c, &body).await?))
}

async fn sequence(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.sequence(&c, SequenceId(*id)).await?))
}

async fn update_sequence(app: Data, Authed(c): Authed, id: web::Path<i64>, body: web::Json<SequenceRequest>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_sequence(&c, SequenceId(*id), &body).await?))
}

async fn delete_sequence(app: Data, Authed(c): Authed, id: web::Path<i64>) -> ApiResult<HttpResponse> {
    app.delete_sequence(&c, SequenceId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn enroll(app: Data, Authed(c): Authed, id: web::Path<i64>, body: web::Json<EnrollRequest>) -> ApiResult<HttpResponse> {
    let ids: Vec<ContactId> = body.contact_ids.iter().copied().map(ContactId).collect();
    Ok(HttpResponse::Ok().json(app.enroll(&c, SequenceId(*id), &ids).await?))
}

#[derive(Deserialize)]
struct StateFilter {
    state: Option<String>,
}

async fn sequence_enrollments(app: Data, Authed(c): Authed, id: web::Path<i64>, q: web::Query<StateFilter>) -> ApiResult<HttpResponse> {
    let state = match q.state.as_deref() {
        None | Some("") => None,
        Some(s) => Some(EnrollmentState::parse(s).ok_or_else(|| ApiError::new(ErrorCode::BadRequest, format!("unknown state '{s}'")))?),
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
    let row = app.store.enrollment(c.account.id, EnrollmentId(*id)).await.map_err(crate::service::ServiceError::from)?;
    let row = row.ok_or_else(|| ApiError::new(ErrorCode::NotFound, "enrollment not found"))?;
    Ok(HttpResponse::Ok().json(crate::service::views::enrollment_view(&row)))
}

/// An optional JSON body: empty means the type's default.
fn optional_json<T: Default + serde::de::DeserializeOwned>(body: &web::Bytes) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("the body is not valid JSON: {e}")))
}

async fn unenroll(app: Data, Authed(c): Authed, id: web::Path<i64>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let req: UnenrollRequest = optional_json(&body)?;
    let surface = req.surface.unwrap_or(UnenrollSurface::Api);
    Ok(HttpResponse::Ok().json(app.unenroll_one(&c, EnrollmentId(*id), surface).await?))
}

async fn bulk_unenroll(app: Data, Authed(c): Authed, body: web::Json<BulkUnenrollRequest>) -> ApiResult<HttpResponse> {
    let ids: Vec<EnrollmentId> = body.enrollment_ids.iter().copied().map(EnrollmentId).collect();
    let surface = body.surface.unwrap_or(UnenrollSurface::Bulk);
    Ok(HttpResponse::Ok().json(app.unenroll_many(&c, &ids, surface).await?))
}

async fn unenroll_by_email(app: Data, Authed(c): Authed, body: web::Json<UnenrollByEmailRequest>) -> ApiResult<HttpResponse> {
    let surface = body.surface.unwrap_or(UnenrollSurface::Api);
    Ok(HttpResponse::Ok().json(app.unenroll_by_email(&c, &body.email, surface).await?))
}
