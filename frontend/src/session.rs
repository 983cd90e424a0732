//! Where the bundle runs and who is signed in: the mode from the path, the session (access token
//! and refresh token) in `localStorage`, and the one-time sign-in code a link may carry
//! (`?code=` or `#code=`, from `sequencer demo` / `sequencer sign-in-link`), which `start`
//! exchanges for a session. A token in the URL (`?token=`) is not accepted (issue 19): a link
//! must not sign a browser into whatever account it names. Called from `start` and callbacks only.

use std::cell::Cell;

use gloo_net::http::Request;
use shared::{CodeRequest, RefreshRequest, TokenResponse, API_PREFIX};

const TOKEN_KEY: &str = "sequencer.token";
const REFRESH_KEY: &str = "sequencer.refresh";

/// Which surface the app runs as, decided by the page's path ([`mode_for_path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `/addin/...`: the contact-profile panel beside a message.
    Panel,
    /// `/app/...`: the web app.
    App,
}

/// `/addin...` is the panel; anything else is the web app.
pub fn mode_for_path(pathname: &str) -> Mode {
    if pathname.starts_with("/addin") {
        Mode::Panel
    } else {
        Mode::App
    }
}

pub fn detect_mode() -> Mode {
    let path = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    mode_for_path(&path)
}

/// A sign-in code found in the URL, and the search and hash to put back without it.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlCode {
    pub code: String,
    pub search: String,
    pub hash: String,
}

/// Finds `code=` in the query or the hash (`#code=..` or `#/route?code=..`). A `token=`
/// parameter is dropped from the URL too, unused.
pub fn extract_code(search: &str, hash: &str) -> Option<UrlCode> {
    fn strip(params: &str) -> (Option<String>, String) {
        let mut code = None;
        let rest: Vec<&str> = params
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| {
                if p.starts_with("token=") {
                    return false;
                }
                match p.strip_prefix("code=") {
                    Some(c) if !c.is_empty() => {
                        code = Some(c.to_string());
                        false
                    }
                    _ => true,
                }
            })
            .collect();
        (code, rest.join("&"))
    }
    let (from_search, rest_search) = strip(search.trim_start_matches('?'));
    let hash_body = hash.trim_start_matches('#');
    let (route, hash_params) = match hash_body.split_once('?') {
        Some((route, params)) => (route, params),
        None if hash_body.starts_with("code=") || hash_body.starts_with("token=") => {
            ("", hash_body)
        }
        None => (hash_body, ""),
    };
    let (from_hash, rest_hash) = strip(hash_params);
    let code = from_search.or(from_hash)?;
    let search = if rest_search.is_empty() {
        String::new()
    } else {
        format!("?{rest_search}")
    };
    let hash = match (route.is_empty(), rest_hash.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!("#{route}"),
        (_, false) => format!("#{route}?{rest_hash}"),
    };
    Some(UrlCode { code, search, hash })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn stored_token() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

pub fn store_token(token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(TOKEN_KEY, token);
    }
}

/// Removes the stored token if it is `refused` (a newer one stays).
pub fn forget_token(refused: &str) {
    if stored_token().as_deref() == Some(refused) {
        clear_token();
    }
}

pub fn clear_token() {
    if let Some(s) = storage() {
        let _ = s.remove_item(TOKEN_KEY);
        let _ = s.remove_item(REFRESH_KEY);
    }
}

/// Takes a sign-in code out of the URL (so it is not bookmarked, shared or sent on) and returns
/// it.
pub fn take_code_from_url() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    let found = extract_code(&search, &hash)?;
    let path = location.pathname().unwrap_or_default();
    let clean = format!("{path}{}{}", found.search, found.hash);
    // Office.js may null the History API: check before calling.
    if let Ok(history) = window.history() {
        let replace = js_sys::Reflect::get(&history, &"replaceState".into()).ok();
        if replace.is_some_and(|f| f.is_function()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
        }
    }
    Some(found.code)
}

/// Keeps a new session: its access token and, if it has one, its refresh token.
pub fn store_session(session: &TokenResponse) {
    store_token(&session.token);
    if let (Some(s), Some(refresh)) = (storage(), &session.refresh_token) {
        let _ = s.set_item(REFRESH_KEY, refresh);
    }
}

fn stored_refresh_token() -> Option<String> {
    storage()?
        .get_item(REFRESH_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

/// Exchanges a one-time sign-in code for a session (`POST /auth/code`) and keeps it.
pub async fn redeem_code(api_base: &str, code: &str) -> Option<TokenResponse> {
    let request = CodeRequest {
        code: code.to_string(),
    };
    let session = session_from(api_base, "/auth/code", &request).await?;
    store_session(&session);
    Some(session)
}

thread_local! {
    /// A refresh is in flight: a refresh token is good once, so the page sends one at a time.
    static REFRESHING: Cell<bool> = const { Cell::new(false) };
}

/// A fresh access token after `expired` was refused as expired: the stored one if another call
/// (or tab) refreshed meanwhile, else one from `POST /auth/refresh` (which also rotates the
/// refresh token). `None`: sign in again.
pub async fn refresh_session(api_base: &str, expired: &str) -> Option<String> {
    while REFRESHING.with(Cell::get) {
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    if let Some(stored) = stored_token().filter(|t| t != expired) {
        return Some(stored);
    }
    let refresh = stored_refresh_token()?;
    REFRESHING.with(|r| r.set(true));
    let request = RefreshRequest {
        refresh_token: refresh,
    };
    let session = session_from(api_base, "/auth/refresh", &request).await;
    REFRESHING.with(|r| r.set(false));
    match session {
        Some(s) => {
            store_session(&s);
            Some(s.token)
        }
        None => {
            clear_token();
            None
        }
    }
}

/// The session an auth endpoint (`path` under the API prefix) answers `body` with; `None` when
/// it cannot be reached or answers anything but 200.
async fn session_from<B: serde::Serialize>(
    api_base: &str,
    path: &str,
    body: &B,
) -> Option<TokenResponse> {
    let response = Request::post(&format!("{api_base}{API_PREFIX}{path}"))
        .json(body)
        .ok()?
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

/// Signs out on the server too (`POST /auth/logout`: the session's tokens stop working
/// everywhere), then forgets the session here. Best effort: offline, it is forgotten here only.
pub async fn sign_out(api_base: &str, token: Option<String>) {
    clear_token();
    if let Some(token) = token {
        let _ = Request::post(&format!("{api_base}{API_PREFIX}/auth/logout"))
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_out_of_the_query_or_the_hash() {
        let check = |search: &str, hash: &str, expected: Option<(&str, &str, &str)>| {
            let got = extract_code(search, hash);
            let got = got
                .as_ref()
                .map(|u| (u.code.as_str(), u.search.as_str(), u.hash.as_str()));
            assert_eq!(got, expected, "{search} {hash}");
        };
        check("", "", None);
        check("?a=1", "#/sequences/1", None);
        check("?code=abc", "", Some(("abc", "", "")));
        check(
            "?x=1&code=abc",
            "#/sequences/1",
            Some(("abc", "?x=1", "#/sequences/1")),
        );
        check("", "#code=abc", Some(("abc", "", "")));
        check(
            "",
            "#/contacts/5?code=abc",
            Some(("abc", "", "#/contacts/5")),
        );
        check("?code=", "", None);
        // A token is dropped along with a code, and never taken for one.
        check("?token=t&code=abc", "", Some(("abc", "", "")));
    }

    /// Issue 19: a link carrying a session token (`?token=`, `#token=`, `#/route?token=`) signs
    /// nobody in; only a one-time code is exchanged.
    #[test]
    fn a_token_in_the_url_is_never_used() {
        for (search, hash) in [
            ("?token=eyJhbGciOiJIUzI1NiJ9.e30.x", ""),
            ("", "#token=eyJhbGciOiJIUzI1NiJ9.e30.x"),
            ("", "#/contacts/5?token=abc"),
            ("?x=1&token=abc", "#/sequences"),
            ("?tokencode=abc", ""),
        ] {
            assert_eq!(extract_code(search, hash), None, "{search} {hash}");
        }
    }

    #[test]
    fn the_addin_path_selects_the_panel() {
        assert_eq!(mode_for_path("/addin/"), Mode::Panel);
        assert_eq!(mode_for_path("/addin/compose"), Mode::Panel);
        assert_eq!(mode_for_path("/app/"), Mode::App);
        assert_eq!(mode_for_path("/"), Mode::App);
    }
}
