//! Inbound mail over HTTP: `POST /api/v1/inbound` (a raw RFC 5322 message, signed per mailbox)
//! and the admin routes that connect, change and disconnect mailboxes.
//!
//! Webhook headers: `X-Sequencer-Mailbox: <mailbox id>`, `X-Sequencer-Timestamp: <unix seconds>`,
//! `X-Sequencer-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use shared::{ErrorCode, InboundResponse, MailboxRequest};

use super::caller::Authed;
use super::{ApiError, ApiResult};
use crate::service::mailboxes::WebhookError;
use crate::service::App;

/// The largest message accepted.
pub const INBOUND_LIMIT: usize = 10 * 1024 * 1024;
/// Past this many bytes an oversized body is no longer drained before answering 413.
const DRAIN_LIMIT: usize = 8 * INBOUND_LIMIT;

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

/// Reads the body up to the limit. An oversized body is drained (up to a cap) so the client
/// reads the 413 instead of a reset connection.
async fn read_limited(mut payload: web::Payload) -> ApiResult<Vec<u8>> {
    let mut body = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("could not read the body: {e}"),
            )
        })?;
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            return Err(too_large());
        }
        if seen <= INBOUND_LIMIT {
            body.extend_from_slice(&chunk);
        }
    }
    if seen > INBOUND_LIMIT {
        return Err(too_large());
    }
    Ok(body)
}

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
    let body = read_limited(payload).await?;
    let mailbox: i64 = header(&req, "x-sequencer-mailbox")
        .trim()
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::Unauthorized, "missing X-Sequencer-Mailbox"))?;
    let mb = app
        .verify_webhook(
            mailbox,
            header(&req, "x-sequencer-timestamp"),
            header(&req, "x-sequencer-signature"),
            &body,
        )
        .await
        .map_err(|e| match e {
            WebhookError::Service(s) => ApiError::from(s),
            other => ApiError::new(other.code(), other.to_string()),
        })?;
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
