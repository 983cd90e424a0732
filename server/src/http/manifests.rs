//! `/manifests/...`: the add-in manifests, icons and the Gmail extension, rendered for this server's
//! public URL (`SEQUENCER_PUBLIC_URL`). Rendering itself is `crate::manifests`.

use actix_web::{http::header, web, HttpResponse};

use super::StaticDir;
use crate::manifests::{self, BaseUrl, Deployment};
use crate::service::App;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/manifests", web::get().to(index))
        .route("/manifests/", web::get().to(index))
        .route("/manifests/icons/{name}", web::get().to(icon))
        .route(
            "/manifests/outlook/manifest.xml",
            web::get().to(outlook_xml),
        )
        .route(
            "/manifests/outlook/manifest.json",
            web::get().to(outlook_json),
        )
        .route(
            "/manifests/outlook/sequencer-outlook.zip",
            web::get().to(outlook_package),
        )
        .route("/manifests/sequencer-gmail.zip", web::get().to(gmail_zip));
}

/// This server's deployment; `None` (logged) when the public URL cannot be used.
fn deployment(app: &App) -> Option<Deployment> {
    let base = BaseUrl::parse(&app.settings.public_url)
        .map_err(|e| tracing::warn!("cannot render manifests: {e}"))
        .ok()?;
    Some(Deployment::new(base).with_identity(&app.settings.identity.config))
}

/// The 500 naming the setting to fix.
fn bad_public_url() -> HttpResponse {
    HttpResponse::InternalServerError()
        .content_type("text/plain; charset=utf-8")
        .body("SEQUENCER_PUBLIC_URL is not a valid https URL")
}

fn file(content_type: &str, body: Vec<u8>, download: Option<&str>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if let Some(name) = download {
        res.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ));
    }
    res.body(body)
}

async fn index(app: web::Data<App>) -> HttpResponse {
    let base = app.settings.public_url.clone();
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sequencer manifests</title></head><body>\
         <h1>Sequencer manifests for {base}</h1><ul>\
         <li><a href=\"outlook/manifest.xml\">Outlook add-in manifest (XML)</a>: Outlook, Get Add-ins, My add-ins, Add from file</li>\
         <li><a href=\"outlook/sequencer-outlook.zip\">Outlook app package (unified JSON manifest)</a>: Microsoft 365 admin center, Integrated apps</li>\
         <li><a href=\"sequencer-gmail.zip\">Gmail extension for Chrome</a>: unzip, chrome://extensions, Load unpacked</li>\
         </ul><p>See docs/sideloading.md.</p></body></html>"
    );
    file("text/html; charset=utf-8", html.into_bytes(), None)
}

async fn icon(name: web::Path<String>) -> HttpResponse {
    match manifests::ICONS.iter().find(|(n, _)| *n == name.as_str()) {
        Some((_, bytes)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "image/png"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(bytes.to_vec()),
        None => super::pages::not_found().await,
    }
}

async fn outlook_xml(app: web::Data<App>) -> HttpResponse {
    match deployment(&app) {
        Some(dep) => file(
            "application/xml; charset=utf-8",
            manifests::render_outlook_xml(&dep).into_bytes(),
            None,
        ),
        None => bad_public_url(),
    }
}

async fn outlook_json(app: web::Data<App>) -> HttpResponse {
    match deployment(&app) {
        Some(dep) => file(
            "application/json",
            manifests::render_outlook_json(&dep).into_bytes(),
            None,
        ),
        None => bad_public_url(),
    }
}

async fn outlook_package(app: web::Data<App>) -> HttpResponse {
    let rendered = deployment(&app).map(|dep| manifests::render_outlook_package(&dep));
    match rendered {
        Some(Ok(zip)) => file("application/zip", zip, Some("sequencer-outlook.zip")),
        Some(Err(e)) => internal(e),
        None => bad_public_url(),
    }
}

async fn gmail_zip(app: web::Data<App>, dir: web::Data<StaticDir>) -> HttpResponse {
    let Some(dep) = deployment(&app) else {
        return bad_public_url();
    };
    let Some(dist) = dir.0.clone() else {
        return HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("the frontend is not built");
    };
    let rendered = web::block(move || {
        let bundle = manifests::read_bundle(&dist)?;
        let files = manifests::render_gmail_extension(&dep, &bundle)?;
        let entries: Vec<(String, Vec<u8>)> =
            files.into_iter().map(|f| (f.path, f.bytes)).collect();
        Ok::<_, manifests::ManifestError>(manifests::zip(&entries)?)
    })
    .await;
    match rendered {
        Ok(Ok(zip)) => file("application/zip", zip, Some("sequencer-gmail.zip")),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

fn internal(e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!("rendering manifests: {e}");
    HttpResponse::InternalServerError()
        .content_type("text/plain; charset=utf-8")
        .body("internal error")
}
