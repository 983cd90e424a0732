//! The HTTP adapter: the only module that names actix. Handlers are thin: extract, parse, call a
//! service, map to a `shared` DTO. Errors are JSON with stable codes (see `error`).

mod access;
mod api;
mod caller;
mod error;
mod inbound;
mod manifests;
mod pages;
mod public;
mod sessions;

pub use api::ROUTES;
pub use public::PUBLIC_CSP;

pub use error::{status_of, ApiError, ApiResult};

use std::net::TcpListener;
use std::path::PathBuf;

use actix_web::dev::Server;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{middleware, web, App as ActixApp, HttpRequest, HttpServer};
use shared::ErrorCode;

use crate::service::App;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// Where the built frontend (`frontend/dist`) is, if anywhere.
#[derive(Clone)]
pub struct StaticDir(pub Option<PathBuf>);

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the JSON body is larger than {JSON_LIMIT} bytes"),
            )
        }
        JsonPayloadError::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as application/json",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::new(ErrorCode::ValidationFailed, format!("invalid field: {e}"))
        }
        _ => ApiError::new(
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {err}"),
        ),
    };
    api.into()
}

fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(ErrorCode::NotFound, "no such resource").into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(
        ErrorCode::BadRequest,
        format!("invalid query string: {err}"),
    )
    .into()
}

/// Registers every route; used by the server and by in-process tests.
pub fn configure(cfg: &mut web::ServiceConfig, app: App, static_dir: StaticDir) {
    cfg.app_data(web::Data::new(app))
        .app_data(web::Data::new(static_dir.clone()))
        .app_data(
            web::JsonConfig::default()
                .limit(JSON_LIMIT)
                .error_handler(json_error),
        )
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .service(
            web::scope("/api/v1")
                .configure(api::routes)
                .default_service(web::to(api::not_found)),
        )
        .configure(public::routes)
        .configure(|cfg| pages::routes(cfg, &static_dir))
        .configure(manifests::routes)
        .default_service(web::to(pages::not_found));
}

/// Starts the HTTP server on an already-bound listener (port 0 in tests).
pub fn serve(app: App, listener: TcpListener, static_dir: StaticDir) -> std::io::Result<Server> {
    let server = HttpServer::new(move || {
        let (app, static_dir) = (app.clone(), static_dir.clone());
        ActixApp::new()
            .wrap(middleware::Compress::default())
            .wrap(
                middleware::DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "strict-origin-when-cross-origin")),
            )
            .configure(move |cfg| configure(cfg, app, static_dir))
    })
    .listen(listener)?
    .shutdown_timeout(5)
    .run();
    Ok(server)
}
