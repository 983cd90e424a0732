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

pub fn routes(cfg: &mut web::ServiceConfig, dir: &StaticDir) {
    cfg.route("/", web::get().to(root))
        .route("/app", web::get().to(app_page))
        .route("/app/{tail:.*}", web::get().to(app_page))
        .route("/addin", web::get().to(addin_page))
        .route("/addin/{tail:.*}", web::get().to(addin_page));
    match &dir.0 {
        Some(root) => {
            cfg.service(static_files(root));
        }
        None => {
            cfg.route("/static/{file:.*}", web::get().to(frontend_not_built));
        }
    }
}

async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/app/"))
        .finish()
}

/// The app pages' policy (issue 19). Scripts: the bundle and its snippets from this origin
/// (`'self'`), the inline module script Trunk writes into `index.html` (it carries this
/// response's `nonce`), WebAssembly compilation (`'wasm-unsafe-eval'`), and `extra_scripts`
/// (Office.js's CDN on the page Outlook opens). No `'unsafe-inline'`, no `'unsafe-eval'`, no
/// inline event handlers.
pub(crate) fn csp(frame_ancestors: &str, nonce: &str, extra_scripts: &str) -> String {
    let extra = if extra_scripts.is_empty() {
        String::new()
    } else {
        format!(" {extra_scripts}")
    };
    format!(
        "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{extra}; script-src-attr 'none'; \
         frame-ancestors {frame_ancestors}; object-src 'none'; base-uri 'self'"
    )
}

/// A fresh nonce for one response (128 random bits, base64).
fn nonce() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>())
}

/// Gives every `<script` tag of our own `index.html` the response's nonce.
pub(crate) fn with_nonce(html: &str, nonce: &str) -> String {
    html.replace("<script", &format!("<script nonce=\"{nonce}\""))
}

async fn index(dir: &StaticDir, frame_ancestors: &str) -> HttpResponse {
    index_with(dir, frame_ancestors, "", "").await
}

/// `index.html` with `head` inserted before `</head>`, scripts allowed from `extra_scripts`.
async fn index_with(
    dir: &StaticDir,
    frame_ancestors: &str,
    head: &str,
    extra_scripts: &str,
) -> HttpResponse {
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
    let nonce = nonce();
    let html = with_nonce(&html, &nonce);
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            csp(frame_ancestors, &nonce, extra_scripts),
        ))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html)
}

async fn app_page(dir: web::Data<StaticDir>) -> HttpResponse {
    index(&dir, "'none'").await
}

/// Office.js from Microsoft's CDN (the only supported source), for the page Outlook opens.
pub const OFFICE_JS: &str = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
/// Where Office.js and the scripts it loads come from.
pub const OFFICE_JS_ORIGIN: &str = "https://appsforoffice.microsoft.com";

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
        if outlook { OFFICE_JS_ORIGIN } else { "" },
    )
    .await
}

/// `/static/...`: actix-files' maintained static service over the built frontend. It decodes the
/// path once and refuses `..`, hidden segments and an encoded `/` (`%2f`: 400); on top of that
/// every path must be plain text segments and resolve, symlinks followed, to a file inside the
/// canonical directory (issue 19: `/static/%2fetc%2fpasswd` once served any file). Anything
/// refused or missing is the same 404.
fn static_files(root: &std::path::Path) -> actix_files::Files {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    actix_files::Files::new("/static", root)
        .path_filter(move |rel, _| inside(&canonical, rel))
        .default_handler(actix_web::dev::fn_service(
            |req: actix_web::dev::ServiceRequest| async {
                let (req, _) = req.into_parts();
                Ok(actix_web::dev::ServiceResponse::new(
                    req,
                    not_found_response(),
                ))
            },
        ))
}

/// Whether `rel` (already parsed by actix-files) names an existing file inside `root`
/// (canonical): only normal segments without control characters or backslashes, and the
/// canonical path (symlinks resolved) still under `root`.
pub(crate) fn inside(root: &std::path::Path, rel: &std::path::Path) -> bool {
    use std::path::Component;
    let plain = rel.components().all(|c| match c {
        Component::Normal(s) => s
            .to_str()
            .is_some_and(|s| !s.chars().any(|ch| ch.is_control() || ch == '\\')),
        _ => false,
    });
    plain
        && root
            .join(rel)
            .canonicalize()
            .is_ok_and(|p| p.starts_with(root) && p.is_file())
}

async fn frontend_not_built() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("frontend not built")
}

fn not_found_response() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}

pub async fn not_found() -> HttpResponse {
    not_found_response()
}
