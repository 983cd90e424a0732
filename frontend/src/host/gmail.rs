//! Gmail: the panel inside the Chrome extension's page `addin/panel.html`, framed by the content
//! script beside one compose window (see `manifests/gmail-extension/`).
//!
//! Recipients arrive by `window.postMessage` from the content script. Every message is checked:
//! its origin must be one the extension was rendered for (`https://mail.google.com`), it must come
//! from the parent window, and it must have the expected shape; anything else is ignored. The
//! bridge itself is `gmail-shim.js`. Token: the session token in `chrome.storage.local` (shared by
//! every panel), else a Google ID token for the Chrome user (from the authorization endpoint in
//! the config, silently when the user already consented) exchanged at the server. "Sign in with
//! Google" goes to the account chooser at once; "Sign out" forgets the session in every store and
//! marks the user signed out, so no panel signs in silently until they sign in again.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde::Deserialize;
use shared::{IdentityProvider, UnenrollSurface};
use wasm_bindgen::prelude::*;
use yew::Callback;

use super::{
    exchange, forget_cached, Host, HostError, HostKind, Listeners, LocalBoxFuture, SessionControls,
    Subscription,
};
use crate::email::{merge_recipients, EmailAddress, Recipient, RecipientField};

#[wasm_bindgen(module = "/gmail-shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = extensionConfig)]
    fn extension_config() -> Option<String>;
    #[wasm_bindgen(js_name = isExtensionPage)]
    fn is_extension_page() -> bool;
    #[wasm_bindgen(js_name = onMessage)]
    fn on_message(callback: &Closure<dyn FnMut(String, bool, String)>);
    #[wasm_bindgen(js_name = postReady)]
    fn post_ready(origins: Vec<String>);
    #[wasm_bindgen(js_name = googleIdToken, catch)]
    async fn google_id_token(client_id: &str, auth_url: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = loadToken, catch)]
    async fn load_token() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = saveToken, catch)]
    async fn save_token(token: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = forgetToken, catch)]
    async fn forget_stored_token(refused: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = googleIdTokenInteractive, catch)]
    async fn google_id_token_interactive(
        client_id: &str,
        auth_url: &str,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = signOut, catch)]
    async fn sign_out_stored() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = onSignedOut)]
    fn on_signed_out(callback: &Closure<dyn FnMut()>);
}

/// What `sequencer manifests` wrote into the extension's `config.js`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionConfig {
    pub api_base: String,
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub google_client_id: Option<String>,
    /// The authorization endpoint to ask for the ID token (Google's, unless the deployment
    /// names another); rendered beside the client id, so both come from the same server.
    #[serde(default)]
    pub google_auth_url: Option<String>,
}

/// At most this many addresses per field are taken from a message.
const MAX_PER_FIELD: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientsMessage {
    source: String,
    #[serde(rename = "type")]
    kind: String,
    to: Vec<String>,
    cc: Vec<String>,
}

/// The recipients in a bridge message, or `None` when the message is not one to trust: wrong
/// origin, not from the parent (the content script's page), or not exactly the expected shape.
pub fn parse_message(
    origin: &str,
    from_parent: bool,
    json: &str,
    allowed: &[String],
) -> Option<Vec<Recipient>> {
    if !from_parent || !allowed.iter().any(|a| a == origin) {
        return None;
    }
    let msg: RecipientsMessage = serde_json::from_str(json).ok()?;
    if msg.source != "sequencer-gmail"
        || msg.kind != "recipients"
        || msg.to.len() > MAX_PER_FIELD
        || msg.cc.len() > MAX_PER_FIELD
    {
        return None;
    }
    let field = |list: &[String], field| -> Vec<Recipient> {
        list.iter()
            .filter_map(|a| EmailAddress::parse(a))
            .map(|email| Recipient {
                email,
                display_name: None,
                field,
            })
            .collect()
    };
    Some(merge_recipients(
        field(&msg.to, RecipientField::To),
        field(&msg.cc, RecipientField::Cc),
    ))
}

struct Inner {
    config: ExtensionConfig,
    recipients: RefCell<Vec<Recipient>>,
    listeners: Rc<Listeners>,
    token: RefCell<Option<String>>,
    /// A Google sign-in is under way: later callers wait for it instead of opening a second
    /// sign-in window (lookups overlap while a recipient is typed).
    signing_in: Cell<bool>,
}

/// Clears [`Inner::signing_in`] however the sign-in ends, dropped futures included.
struct SigningIn(Rc<Inner>);

impl Drop for SigningIn {
    fn drop(&mut self) {
        self.0.signing_in.set(false);
    }
}

pub struct GmailHost {
    inner: Rc<Inner>,
}

impl GmailHost {
    /// The extension's configuration when this page is the extension's panel page.
    pub fn detect() -> Option<ExtensionConfig> {
        if !is_extension_page() {
            return None;
        }
        serde_json::from_str(&extension_config()?).ok()
    }

    pub fn new(config: ExtensionConfig, token: Option<String>) -> Self {
        let inner = Rc::new(Inner {
            config,
            recipients: RefCell::default(),
            listeners: Rc::default(),
            token: RefCell::new(token),
            signing_in: Cell::new(false),
        });
        let weak = Rc::downgrade(&inner);
        // Lives as long as the page.
        let handler = Closure::<dyn FnMut(String, bool, String)>::new(
            move |origin: String, from_parent: bool, json: String| {
                let Some(inner) = weak.upgrade() else { return };
                if let Some(recipients) =
                    parse_message(&origin, from_parent, &json, &inner.config.allowed_origins)
                {
                    if *inner.recipients.borrow() != recipients {
                        *inner.recipients.borrow_mut() = recipients;
                        inner.listeners.notify();
                    }
                }
            },
        );
        on_message(&handler);
        handler.forget();
        // The user signed out in another panel: drop this one's copy and look again (signed out).
        let weak = Rc::downgrade(&inner);
        let signed_out = Closure::<dyn FnMut()>::new(move || {
            let Some(inner) = weak.upgrade() else { return };
            if inner.token.borrow_mut().take().is_some() {
                inner.listeners.notify();
            }
        });
        on_signed_out(&signed_out);
        signed_out.forget();
        post_ready(inner.config.allowed_origins.clone());
        // A token given to this page (`?token=`, a trial sign-in) is kept for every panel.
        if let Some(token) = inner.token.borrow().clone() {
            wasm_bindgen_futures::spawn_local(async move {
                let _ = save_token(&token).await;
            });
        }
        GmailHost { inner }
    }
}

impl Host for GmailHost {
    fn kind(&self) -> HostKind {
        HostKind::Gmail
    }

    fn unenroll_surface(&self) -> UnenrollSurface {
        UnenrollSurface::GmailPanel
    }

    fn recipients(&self) -> LocalBoxFuture<Result<Vec<Recipient>, HostError>> {
        let current = self.inner.recipients.borrow().clone();
        Box::pin(async move { Ok(current) })
    }

    fn subscribe(&self, on_change: Callback<()>) -> Subscription {
        self.inner.listeners.add(on_change)
    }

    fn access_token(&self) -> LocalBoxFuture<Result<String, HostError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            if let Some(token) = inner.token.borrow().clone() {
                return Ok(token);
            }
            if let Some(token) = load_token().await.ok().and_then(|t| t.as_string()) {
                *inner.token.borrow_mut() = Some(token.clone());
                return Ok(token);
            }
            if inner.signing_in.get() {
                while inner.signing_in.get() {
                    gloo_timers::future::TimeoutFuture::new(100).await;
                }
                return inner.token.borrow().clone().ok_or(HostError::NotSignedIn);
            }
            inner.signing_in.set(true);
            let _signing_in = SigningIn(inner.clone());
            google_session(&inner, false).await
        })
    }

    fn session_controls(&self) -> SessionControls {
        let config = &self.inner.config;
        let google = config.google_client_id.is_some() && config.google_auth_url.is_some();
        SessionControls {
            sign_in: google,
            sign_out: true,
        }
    }

    fn sign_in(&self) -> LocalBoxFuture<Result<String, HostError>> {
        let inner = self.inner.clone();
        Box::pin(async move {
            inner.signing_in.set(true);
            let _signing_in = SigningIn(inner.clone());
            google_session(&inner, true).await.map_err(|e| match e {
                HostError::NotSignedIn => {
                    HostError::SignInFailed("Sequencer did not accept this Google account.".into())
                }
                e => e,
            })
        })
    }

    fn sign_out(&self) -> LocalBoxFuture<()> {
        let inner = self.inner.clone();
        Box::pin(async move {
            inner.token.borrow_mut().take();
            crate::session::clear_token();
            let _ = sign_out_stored().await;
        })
    }

    fn forget_token(&self, refused: &str) {
        forget_cached(&self.inner.token, refused);
        crate::session::forget_token(refused);
        // The copy in chrome.storage.local too, or every panel would keep reusing it.
        let refused = refused.to_string();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = forget_stored_token(&refused).await;
        });
    }

    fn api_base(&self) -> String {
        self.inner.config.api_base.clone()
    }
}

/// A Google ID token for the Chrome user exchanged for a session, which is kept for every panel.
/// `chosen`: the user asked (the account chooser at once), else silently first, and not at all
/// after the user signed out.
async fn google_session(inner: &Inner, chosen: bool) -> Result<String, HostError> {
    let config = &inner.config;
    let (Some(client_id), Some(auth_url)) = (&config.google_client_id, &config.google_auth_url)
    else {
        return Err(HostError::NotSignedIn);
    };
    let id_token = if chosen {
        google_id_token_interactive(client_id, auth_url)
            .await
            .map_err(|_| {
                HostError::SignInFailed("Google sign-in was cancelled or refused.".into())
            })?
    } else {
        google_id_token(client_id, auth_url)
            .await
            .map_err(|_| HostError::NotSignedIn)?
    };
    let id_token = id_token.as_string().ok_or(HostError::NotSignedIn)?;
    let token = exchange::exchange(&config.api_base, IdentityProvider::Google, id_token).await?;
    let _ = save_token(&token).await;
    *inner.token.borrow_mut() = Some(token.clone());
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(origin: &str, from_parent: bool, json: &str, expected: Option<&[&str]>) {
        let allowed = vec!["https://mail.google.com".to_string()];
        let got = parse_message(origin, from_parent, json, &allowed);
        let got: Option<Vec<String>> = got.map(|r| {
            r.iter()
                .map(|r| format!("{:?}:{}", r.field, r.email.as_str()))
                .collect()
        });
        assert_eq!(
            got,
            expected.map(|e| e.iter().map(|s| s.to_string()).collect()),
            "{origin} {from_parent} {json}"
        );
    }

    #[test]
    fn only_well_formed_messages_from_gmail_in_the_parent_are_believed() {
        let ok = r#"{"source":"sequencer-gmail","type":"recipients","to":["ana@globex.example"],"cc":["b@x.io","ana@globex.example"]}"#;
        check(
            "https://mail.google.com",
            true,
            ok,
            Some(&["To:ana@globex.example", "Cc:b@x.io"]),
        );
        check("https://evil.example", true, ok, None);
        check("https://mail.google.com.evil.example", true, ok, None);
        check("https://mail.google.com", false, ok, None);
        check(
            "https://mail.google.com",
            true,
            r#"{"source":"sequencer-gmail","type":"ready"}"#,
            None,
        );
        check(
            "https://mail.google.com",
            true,
            r#"{"source":"x","type":"recipients","to":[],"cc":[]}"#,
            None,
        );
        check(
            "https://mail.google.com",
            true,
            r#"{"source":"sequencer-gmail","type":"recipients","to":"a@b.c","cc":[]}"#,
            None,
        );
        let extra =
            r#"{"source":"sequencer-gmail","type":"recipients","to":[],"cc":[],"html":"<b>"}"#;
        check("https://mail.google.com", true, extra, None);
        check("https://mail.google.com", true, "null", None);
        let typing =
            r#"{"source":"sequencer-gmail","type":"recipients","to":["ana@", "c@d.org"],"cc":[]}"#;
        check(
            "https://mail.google.com",
            true,
            typing,
            Some(&["To:c@d.org"]),
        );
    }

    #[test]
    fn the_extension_config_is_what_sequencer_manifests_writes() {
        let json = r#"{"allowedOrigins":["https://mail.google.com"],"apiBase":"https://sales.example.com","googleClientId":null,"googleAuthUrl":"https://accounts.google.com/o/oauth2/v2/auth"}"#;
        let config: ExtensionConfig = serde_json::from_str(json).unwrap();
        assert_eq!(config.api_base, "https://sales.example.com");
        assert_eq!(
            config.allowed_origins,
            vec!["https://mail.google.com".to_string()]
        );
        assert_eq!(config.google_client_id, None);
        assert_eq!(
            config.google_auth_url.as_deref(),
            Some("https://accounts.google.com/o/oauth2/v2/auth")
        );
    }
}
