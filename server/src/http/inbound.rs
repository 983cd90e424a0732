//! Inbound mail over HTTP: `POST /api/v1/inbound` (a raw RFC 5322 message, signed per mailbox)
//! and the admin routes that connect, change and disconnect mailboxes.
//!
//! Webhook headers: `X-Sequencer-Mailbox: <mailbox id>`, `X-Sequencer-Timestamp: <unix seconds>`,
//! `X-Sequencer-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use shared::{ErrorCode, InboundResponse, MailboxRequest};

use super::caller::Authed;
use super::{ApiError, ApiResult};
use crate::service::mailboxes::WebhookError;
use crate::service::webhook::WebhookHeaders;
use crate::service::App;

/// The largest message accepted.
pub const INBOUND_LIMIT: usize = 10 * 1024 * 1024;
/// The most body bytes all deliveries of this process hold at once while they are read and
/// verified (a caller that passed the header checks still has to be bounded: mailbox ids are
/// small integers). Past it, a delivery waits up to [`BUDGET_WAIT`], then answers 429.
pub const INBOUND_BUDGET: usize = 64 * 1024 * 1024;
const BUDGET_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// Budget permits are KiB.
const KIB: usize = 1024;

static BUDGET: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(INBOUND_BUDGET / KIB);

type Data = web::Data<App>;

fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the message is larger than {INBOUND_LIMIT} bytes"),
    )
}

/// The one answer for an unknown mailbox, a missing or malformed signature and a wrong one: the
/// caller learns nothing about which mailboxes exist.
fn refused() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidSignature,
        "unknown mailbox or invalid signature",
    )
}

fn webhook_error(e: WebhookError) -> ApiError {
    match e {
        WebhookError::Service(s) => ApiError::from(s),
        WebhookError::StaleTimestamp => ApiError::new(ErrorCode::StaleTimestamp, e.to_string()),
        WebhookError::UnknownMailbox
        | WebhookError::MissingSignature
        | WebhookError::InvalidSignature => refused(),
    }
}

/// Reads the body incrementally, never more than the limit: past it the read stops and the
/// answer is 413 (actix then closes the connection without reading the rest).
async fn read_limited(mut payload: web::Payload, limit: usize) -> ApiResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("could not read the body: {e}"),
            )
        })?;
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `POST /api/v1/inbound`. In order: media type, then the headers (timestamp window, mailbox,
/// signature shape) with no body byte read, then the declared length, a share of the process's
/// body budget, the body read up to the limit, and only then the HMAC over `timestamp.body`.
pub async fn inbound(
    app: Data,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let content_type = header(&req, "content-type")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        content_type.as_str(),
        "message/rfc822" | "application/octet-stream" | "text/plain" | ""
    ) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the raw message as message/rfc822",
        ));
    }
    let headers = WebhookHeaders {
        mailbox: header(&req, "x-sequencer-mailbox"),
        timestamp: header(&req, "x-sequencer-timestamp"),
        signature: header(&req, "x-sequencer-signature"),
    };
    let mb = app.webhook_precheck(headers).await.map_err(webhook_error)?;
    let declared = match req.headers().get(CONTENT_LENGTH) {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "invalid Content-Length"))?,
        ),
        None => None,
    };
    if declared.is_some_and(|n| n > INBOUND_LIMIT as u64) {
        return Err(too_large());
    }
    let reserve = declared
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(INBOUND_LIMIT)
        .div_ceil(KIB)
        .max(1);
    let permits = u32::try_from(reserve).unwrap_or(u32::MAX);
    let _budget = tokio::time::timeout(BUDGET_WAIT, BUDGET.acquire_many(permits))
        .await
        .ok()
        .and_then(|r| r.ok())
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::RateLimited,
                "too many messages are being received at once; retry shortly",
            )
        })?;
    let body = read_limited(payload, INBOUND_LIMIT).await?;
    let mb = app
        .verify_webhook(mb.id, headers.timestamp, headers.signature, &body)
        .await
        .map_err(webhook_error)?;
    let out = app
        .handle_inbound(mb.account_id, Some(mb.id), &body)
        .await?;
    Ok(HttpResponse::Ok().json(InboundResponse {
        inbound_id: out.inbound_id,
        duplicate: out.duplicate,
        class: out.class,
        effects: out.effects,
    }))
}

pub async fn create_mailbox(
    app: Data,
    Authed(c): Authed,
    body: web::Json<MailboxRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(app.create_mailbox(&c, &body).await?))
}

pub async fn update_mailbox(
    app: Data,
    Authed(c): Authed,
    path: web::Path<i64>,
    body: web::Json<MailboxRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.update_mailbox(&c, path.into_inner(), &body).await?))
}

pub async fn delete_mailbox(
    app: Data,
    Authed(c): Authed,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    app.delete_mailbox(&c, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn mailboxes(app: Data, Authed(c): Authed) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(app.mailboxes(&c).await?))
}
