//! The Sequencer panel (inside Outlook, Gmail or a standalone page) and the web app, in one Yew crate.
//!
//! Layers, outermost first: `host/` (the only code that touches Office.js, the Gmail extension bridge
//! or the page's recipient fields), `api/` (typed HTTP client over `shared`), `views/` (fetch and
//! compose), `components/` (presentational: props in, callbacks out; no DOM, clock or network while
//! rendering, so every component renders natively in tests) and the pure helpers in `format`,
//! `email`, `route` and `mailbox_form`. All business rules live on the server.

pub mod api;
pub mod clock;
pub mod components;
pub mod email;
pub mod format;
pub mod host;
pub mod mailbox_form;
pub mod route;
pub mod session;
pub mod views;

pub use session::Mode;
pub use views::root::{Root, RootProps};

/// Entry point of the browser bundle: picks the panel or the web app from the path.
///
/// Runs once, before the first render, so it may read `window.location`. A one-time sign-in
/// code in the URL is exchanged for a session first (against the extension's API origin on an
/// extension page).
pub fn start() {
    match session::take_code_from_url() {
        Some(code) => {
            let api_base = host::gmail::GmailHost::detect()
                .map(|c| c.api_base)
                .unwrap_or_default();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = session::redeem_code(&api_base, &code).await;
                render();
            });
        }
        None => render(),
    }
}

fn render() {
    let mode = session::detect_mode();
    let token = session::stored_token();
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    // Extension page -> Gmail; `?host=outlook` or Office.js present -> Outlook; else standalone.
    let host = if let Some(config) = host::gmail::GmailHost::detect() {
        host::HostHandle::new(host::gmail::GmailHost::new(config, token.clone()))
    } else if host::outlook::OutlookHost::detect(&search) {
        host::HostHandle::new(host::outlook::OutlookHost::new(token.clone(), &search))
    } else {
        host::HostHandle::new(host::standalone::StandaloneHost::new(token.clone()))
    };
    let props = RootProps {
        mode,
        host,
        clock: clock::Clock::read(),
        token,
        route: route::Route::parse(&hash),
        frozen_clock: false,
    };
    yew::Renderer::<Root>::with_props(props).render();
}
