//! HTML pages: the built frontend at `/static/`, its `index.html` at `/app/` (web app) and
//! `/addin/` (the panel), with security headers.

use actix_web::{http::header, web, HttpRequest, HttpResponse};

use super::StaticDir;

/// Outlook on the web origins allowed to frame the add-in pages.
pub const OUTLOOK_ORIGINS: &[&str] = &[
    "https://outlook.office.com",
    "https://outlook.office365.com",
    "https://outlook.cloud.microsoft",
    "https://outlook.live.com",
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/app", web::get().to(app_page))
        .route("/app/{tail:.*}", web::get().to(app_page))
        .route("/addin", web::get().to(addin_page))
        .route("/addin/{tail:.*}", web::get().to(addin_page))
        .route("/static/{file:.*}", web::get().to(static_file));
}

async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/app/"))
        .finish()
}

fn csp(frame_ancestors: &str) -> String {
    format!("frame-ancestors {frame_ancestors}; object-src 'none'; base-uri 'self'")
}

async fn index(dir: &StaticDir, frame_ancestors: &str) -> HttpResponse {
    index_with(dir, frame_ancestors, "").await
}

/// `index.html` with `head` inserted before `</head>`.
async fn index_with(dir: &StaticDir, frame_ancestors: &str, head: &str) -> HttpResponse {
    let html = match &dir.0 {
        Some(d) => tokio::fs::read_to_string(d.join("index.html")).await.ok(),
        None => None,
    };
    let html = html.unwrap_or_else(|| {
        "<!doctype html><html><head><meta charset=utf-8><title>Sequencer</title></head><body><h1>Sequencer</h1>\
         <p>The frontend is not built. Run <code>cargo xtask run</code>, which builds it with Trunk.</p></body></html>"
            .to_string()
    });
    let html = if head.is_empty() {
        html
    } else {
        html.replacen("</head>", &format!("{head}</head>"), 1)
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp(frame_ancestors)))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html)
}

async fn app_page(dir: web::Data<StaticDir>) -> HttpResponse {
    index(&dir, "'none'").await
}

/// Office.js from Microsoft's CDN (the only supported source), for the page Outlook opens.
pub const OFFICE_JS: &str = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";

async fn addin_page(req: HttpRequest, dir: web::Data<StaticDir>) -> HttpResponse {
    // Outlook opens `/addin/?host=outlook` (see manifests/): load Office.js before the bundle.
    let outlook = req.query_string().split('&').any(|p| p == "host=outlook");
    let head = if outlook {
        format!("<script src=\"{OFFICE_JS}\"></script>\n")
    } else {
        String::new()
    };
    index_with(
        &dir,
        &format!("'self' {}", OUTLOOK_ORIGINS.join(" ")),
        &head,
    )
    .await
}

async fn static_file(
    req: HttpRequest,
    dir: web::Data<StaticDir>,
    file: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    let Some(root) = &dir.0 else {
        return Ok(HttpResponse::NotFound().body("frontend not built"));
    };
    if file.split('/').any(|p| p == ".." || p.starts_with('.')) {
        return Ok(HttpResponse::NotFound().finish());
    }
    match actix_files::NamedFile::open_async(root.join(file.as_str())).await {
        Ok(f) => Ok(f.into_response(&req)),
        Err(_) => Ok(HttpResponse::NotFound().body("not found")),
    }
}

pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}
