//! Public, server-rendered pages reached from emails: unsubscribe (`/u/{token}`, RFC 8058
//! one-click) and meeting booking (`/book/{token}`). No session: the signed token is the
//! authority. GET never changes anything. Strict security headers; no referrer, since the URL
//! holds the token.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::service::{App, BookingOutcome, BookingResult, ServiceError, UnsubscribeOutcome};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/u/{token}", web::get().to(unsubscribe_page))
        .route("/u/{token}", web::post().to(unsubscribe))
        .route("/book/{token}", web::get().to(booking_page))
        .route("/book/{token}", web::post().to(book))
        .route("/book/confirm/{token}", web::get().to(confirm_page))
        .route("/book/confirm/{token}", web::post().to(confirm));
}

/// The CSP of pages that must never be framed and run no script.
pub const PUBLIC_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{t}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}button{{font-size:1rem;padding:.5rem 1rem}}\
         fieldset{{border:0;padding:0}}label{{display:block;margin:.2rem 0}}</style></head><body><h1>{t}</h1>{body}</body></html>",
        t = escape(title)
    );
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PUBLIC_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// A clear page for every failure; 5xx causes are logged, not shown.
fn error_page(e: ServiceError, what: &str) -> HttpResponse {
    match e {
        ServiceError::InvalidEmail(_) => page(StatusCode::BAD_REQUEST, "Please check your details", &format!("<p>{}</p>", escape(&e.to_string()))),
        ServiceError::Validation(_) => page(StatusCode::BAD_REQUEST, "This link is not valid", &format!("<p>This {what} link is invalid or was altered. Please use the link exactly as it appears in the email.</p>")),
        ServiceError::NotFound(_) => page(StatusCode::NOT_FOUND, "This link is no longer valid", &format!("<p>We could not find what this {what} link points to.</p>")),
        ServiceError::Conflict(m) => page(StatusCode::CONFLICT, "That time is taken", &format!("<p>{}. Please go back and pick another time.</p>", escape(&m))),
        ServiceError::RateLimited => rate_limited(),
        other => {
            tracing::error!(error = %other, "public page failed");
            page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "<p>Please try again in a moment.</p>")
        }
    }
}

async fn unsubscribe_page(app: web::Data<App>, token: web::Path<String>) -> HttpResponse {
    match app.unsubscribe_preview(&token).await {
        Ok((email, true)) => page(StatusCode::OK, "You are unsubscribed", &format!("<p>{} will not receive these sales emails.</p>", escape(&email))),
        Ok((email, false)) => page(
            StatusCode::OK,
            "Unsubscribe",
            &format!(
                "<p>Stop sales emails to <strong>{}</strong>?</p><form method=post action=\"/u/{}\"><input type=hidden name=List-Unsubscribe value=One-Click><button type=submit>Unsubscribe</button></form>",
                escape(&email),
                escape(&token)
            ),
        ),
        Err(e) => error_page(e, "unsubscribe"),
    }
}

/// The page's button and RFC 8058 one-click clients both POST here; the body is not needed.
async fn unsubscribe(app: web::Data<App>, token: web::Path<String>) -> HttpResponse {
    match app.unsubscribe(&token).await {
        Ok(UnsubscribeOutcome::Unsubscribed { email }) => page(
            StatusCode::OK,
            "You are unsubscribed",
            &format!(
                "<p>{} will not receive these sales emails any more.</p>",
                escape(&email)
            ),
        ),
        Ok(UnsubscribeOutcome::AlreadyUnsubscribed { email }) => page(
            StatusCode::OK,
            "You are unsubscribed",
            &format!("<p>{} was already unsubscribed.</p>", escape(&email)),
        ),
        Err(e) => error_page(e, "unsubscribe"),
    }
}

fn local(ms: i64, tz: chrono_tz::Tz, fmt: &str) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format(fmt)
        .to_string()
}

async fn booking_page(app: web::Data<App>, token: web::Path<String>) -> HttpResponse {
    let p = match app.booking_page(&token).await {
        Ok(p) => p,
        Err(e) => return error_page(e, "meeting"),
    };
    if p.slots.is_empty() {
        return page(
            StatusCode::OK,
            &format!("Meet {}", p.organizer_name),
            "<p>No free times in the next two weeks. Please reply to the email instead.</p>",
        );
    }
    let mut list = String::new();
    let mut day = String::new();
    for (i, s) in p.slots.iter().enumerate() {
        let d = local(*s, p.time_zone, "%A %e %B");
        if d != day {
            list.push_str(&format!("<h3>{}</h3>", escape(&d)));
            day = d;
        }
        let checked = if i == 0 { " checked" } else { "" };
        list.push_str(&format!(
            "<label><input type=radio name=slot value={s}{checked}> {}</label>",
            local(*s, p.time_zone, "%H:%M")
        ));
    }
    let body = format!(
        "<p>{} minutes, times in {}.</p><form method=post action=\"/book/{}\"><fieldset>{list}</fieldset>\
         <p><label>Your email <input type=email name=email required autocomplete=email></label></p><button type=submit>Book</button></form>",
        p.slot_minutes,
        escape(p.time_zone.name()),
        escape(&token)
    );
    page(StatusCode::OK, &format!("Meet {}", p.organizer_name), &body)
}

#[derive(Deserialize)]
struct BookForm {
    slot: i64,
    email: String,
}

/// 429 with the stable JSON error (issue 19: bookings are limited per page and per client).
fn rate_limited() -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, "60"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(shared::ErrorBody {
            code: shared::ErrorCode::RateLimited,
            message: "too many bookings from here; please try again later".into(),
        })
}

fn booked_page(b: &BookingOutcome) -> HttpResponse {
    page(
        StatusCode::OK,
        "You are booked",
        &format!(
            "<p>Meeting with {} on {} ({}).</p>",
            escape(&b.organizer_name),
            escape(&local(b.starts_at, b.time_zone, "%A %e %B at %H:%M")),
            escape(b.time_zone.name())
        ),
    )
}

async fn book(
    app: web::Data<App>,
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let Ok(form) = serde_urlencoded::from_bytes::<BookForm>(&body) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Please check your details",
            "<p>Pick a time and give your email address.</p>",
        );
    };
    // The socket's address, not a forwarded header a client could rotate to dodge the limit.
    let client = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    match app.book(&token, form.slot, &form.email, &client).await {
        Ok(BookingResult::Booked(b)) => booked_page(&b),
        Ok(BookingResult::ConfirmationSent(p)) => page(
            StatusCode::ACCEPTED,
            "Check your email",
            &format!(
                "<p>We sent a link to <strong>{}</strong>. Open it to confirm your meeting with {} on {} ({}). \
                 Nothing is booked until you do.</p>",
                escape(&p.email),
                escape(&p.organizer_name),
                escape(&local(p.starts_at, p.time_zone, "%A %e %B at %H:%M")),
                escape(p.time_zone.name())
            ),
        ),
        Err(e) => error_page(e, "booking"),
    }
}

/// The link from the confirmation email: shows the booking and a button (GET changes nothing,
/// so a mail scanner that opens links books nothing).
async fn confirm_page(app: web::Data<App>, token: web::Path<String>) -> HttpResponse {
    match app.booking_confirmation(&token).await {
        Ok(p) if p.confirmed => page(
            StatusCode::OK,
            "You are booked",
            &format!(
                "<p>Your meeting with {} on {} is confirmed.</p>",
                escape(&p.organizer_name),
                escape(&local(p.starts_at, p.time_zone, "%A %e %B at %H:%M"))
            ),
        ),
        Ok(p) => page(
            StatusCode::OK,
            "Confirm your meeting",
            &format!(
                "<p>Meet {} on {} ({}) as <strong>{}</strong>?</p>\
                 <form method=post action=\"/book/confirm/{}\"><button type=submit>Confirm</button></form>",
                escape(&p.organizer_name),
                escape(&local(p.starts_at, p.time_zone, "%A %e %B at %H:%M")),
                escape(p.time_zone.name()),
                escape(&p.email),
                escape(&token)
            ),
        ),
        Err(e) => error_page(e, "confirmation"),
    }
}

async fn confirm(app: web::Data<App>, token: web::Path<String>) -> HttpResponse {
    match app.confirm_booking(&token).await {
        Ok(b) => booked_page(&b),
        Err(e) => error_page(e, "confirmation"),
    }
}
