//! Where the bundle runs and who is signed in: the mode from the path, and the API token taken from
//! the URL (`?token=` or `#token=`) into `localStorage`. Called from `start` and callbacks only.

use crate::views::root::Mode;

const TOKEN_KEY: &str = "sequencer.token";

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

/// A token found in the URL, and the search and hash to put back without it.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlToken {
    pub token: String,
    pub search: String,
    pub hash: String,
}

/// Finds `token=` in the query or the hash (`#token=..` or `#/route?token=..`).
pub fn extract_token(search: &str, hash: &str) -> Option<UrlToken> {
    fn strip(params: &str) -> (Option<String>, String) {
        let mut token = None;
        let rest: Vec<&str> = params
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| match p.strip_prefix("token=") {
                Some(t) if !t.is_empty() => {
                    token = Some(t.to_string());
                    false
                }
                _ => true,
            })
            .collect();
        (token, rest.join("&"))
    }
    let (from_search, rest_search) = strip(search.trim_start_matches('?'));
    let hash_body = hash.trim_start_matches('#');
    let (route, hash_params) = match hash_body.split_once('?') {
        Some((route, params)) => (route, params),
        None if hash_body.starts_with("token=") => ("", hash_body),
        None => (hash_body, ""),
    };
    let (from_hash, rest_hash) = strip(hash_params);
    let token = from_search.or(from_hash)?;
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
    Some(UrlToken {
        token,
        search,
        hash,
    })
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
    }
}

/// Moves a token from the URL into storage (so it is not bookmarked or shared) and returns the
/// token to use: the URL's, else the stored one.
pub fn take_token_from_url() -> Option<String> {
    let window = web_sys::window()?;
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    let Some(found) = extract_token(&search, &hash) else {
        return stored_token();
    };
    store_token(&found.token);
    let path = location.pathname().unwrap_or_default();
    let clean = format!("{path}{}{}", found.search, found.hash);
    // Office.js may null the History API: check before calling.
    if let Ok(history) = window.history() {
        let replace = js_sys::Reflect::get(&history, &"replaceState".into()).ok();
        if replace.is_some_and(|f| f.is_function()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
        }
    }
    Some(found.token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_out_of_the_query_or_the_hash() {
        let check = |search: &str, hash: &str, expected: Option<(&str, &str, &str)>| {
            let got = extract_token(search, hash);
            let got = got
                .as_ref()
                .map(|u| (u.token.as_str(), u.search.as_str(), u.hash.as_str()));
            assert_eq!(got, expected, "{search} {hash}");
        };
        check("", "", None);
        check("?a=1", "#/sequences/1", None);
        check("?token=abc", "", Some(("abc", "", "")));
        check(
            "?x=1&token=abc",
            "#/sequences/1",
            Some(("abc", "?x=1", "#/sequences/1")),
        );
        check("", "#token=abc", Some(("abc", "", "")));
        check(
            "",
            "#/contacts/5?token=abc",
            Some(("abc", "", "#/contacts/5")),
        );
        check("?token=", "", None);
    }

    #[test]
    fn the_addin_path_selects_the_panel() {
        assert_eq!(mode_for_path("/addin/"), Mode::Panel);
        assert_eq!(mode_for_path("/addin/compose"), Mode::Panel);
        assert_eq!(mode_for_path("/app/"), Mode::App);
        assert_eq!(mode_for_path("/"), Mode::App);
    }
}
