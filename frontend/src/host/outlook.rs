//! Outlook (desktop, on the web, new Outlook): the panel as the add-in's task pane, opened at
//! `/addin/?host=outlook` by the manifests in `manifests/outlook/`.
//!
//! Office.js is reached only through `office-shim.js`, which turns its callbacks into promises.
//! Compose mode: To then Cc, `RecipientsChanged` where Mailbox 1.7 is supported, polling otherwise.
//! Read mode: the sender, so the panel shows the sender's profile. A pinned pane hears
//! `ItemChanged`. Token: the session token if the page has one, else nested app authentication
//! (MSAL) exchanged at `/api/v1/auth/exchange`.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use serde::Deserialize;
use shared::{IdentityProvider, UnenrollSurface};
use wasm_bindgen::prelude::*;
use yew::Callback;

use super::{
    exchange, forget_cached, Host, HostError, HostKind, Listeners, LocalBoxFuture, Subscription,
};
use crate::email::{merge_recipients, EmailAddress, Recipient, RecipientField};

#[wasm_bindgen(module = "/office-shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = officePresent)]
    fn office_present() -> bool;
    #[wasm_bindgen(js_name = officeReady, catch)]
    async fn office_ready() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = itemMode)]
    fn item_mode() -> String;
    #[wasm_bindgen(js_name = isSetSupported)]
    fn is_set_supported(name: &str, version: &str) -> bool;
    #[wasm_bindgen(js_name = composeRecipients, catch)]
    async fn compose_recipients() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = readSender)]
    fn read_sender() -> JsValue;
    #[wasm_bindgen(js_name = onRecipientsChanged)]
    async fn on_recipients_changed(callback: &Closure<dyn FnMut()>) -> JsValue;
    #[wasm_bindgen(js_name = onItemChanged)]
    async fn on_item_changed(callback: &Closure<dyn FnMut()>) -> JsValue;
    #[wasm_bindgen(js_name = naaToken, catch)]
    async fn naa_token(client_id: &str, scope: &str, msal_url: &str) -> Result<JsValue, JsValue>;
}

/// A requirement-set version (`1.7`, `1.10`): compared component by component, so 1.10 > 1.9
/// (as floats, 1.10 would be 1.1).
#[derive(Debug, Clone)]
pub struct SetVersion(Vec<u32>);

impl SetVersion {
    pub fn parse(raw: &str) -> Option<SetVersion> {
        let parts: Option<Vec<u32>> = raw.trim().split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| !p.is_empty()).map(SetVersion)
    }
}

impl PartialEq for SetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SetVersion {}

impl PartialOrd for SetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SetVersion {
    /// Missing components count as 0: `1.7` == `1.7.0`.
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.0.len().max(other.0.len());
        let at = |v: &SetVersion, i: usize| v.0.get(i).copied().unwrap_or(0);
        (0..len)
            .map(|i| at(self, i).cmp(&at(other, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

/// `RecipientsChanged` arrived with Mailbox 1.7.
pub const RECIPIENTS_CHANGED_SINCE: &str = "1.7";
/// The Mailbox versions probed to find the host's level (`isSetSupported` answers one at a time).
const MAILBOX_VERSIONS: &[&str] = &[
    "1.1", "1.3", "1.5", "1.7", "1.8", "1.9", "1.10", "1.11", "1.12", "1.13", "1.14", "1.15",
];

/// How the panel learns about recipient changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeStrategy {
    Events,
    Poll,
}

/// Events from the highest supported Mailbox version on; polling below it or when unknown.
pub fn change_strategy(highest: Option<&SetVersion>) -> ChangeStrategy {
    match (highest, SetVersion::parse(RECIPIENTS_CHANGED_SINCE)) {
        (Some(have), Some(need)) if *have >= need => ChangeStrategy::Events,
        _ => ChangeStrategy::Poll,
    }
}

/// How often recipients are compared when the host has no `RecipientsChanged`.
const POLL_MS: u32 = 750;

#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct Person {
    pub email: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
struct ComposeRecipients {
    #[serde(default)]
    to: Vec<Person>,
    #[serde(default)]
    cc: Vec<Person>,
}

fn to_recipients(people: &[Person], field: RecipientField) -> Vec<Recipient> {
    people
        .iter()
        .filter_map(|p| {
            let email = EmailAddress::parse(&p.email)?;
            let display_name = Some(p.name.trim().to_string())
                .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case(email.as_str()));
            Some(Recipient {
                email,
                display_name,
                field,
            })
        })
        .collect()
}

fn js_error(e: JsValue) -> HostError {
    let message = js_sys::Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string());
    HostError::Unavailable(
        message
            .or_else(|| e.as_string())
            .unwrap_or_else(|| "Office.js failed".into()),
    )
}

fn from_js<T: for<'de> Deserialize<'de> + Default>(v: &JsValue) -> T {
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// The current item's recipients: compose To then Cc; read mode the sender (as To).
async fn current_recipients() -> Result<Vec<Recipient>, HostError> {
    office_ready().await.map_err(js_error)?;
    match item_mode().as_str() {
        "compose" => {
            let r: ComposeRecipients = from_js(&compose_recipients().await.map_err(js_error)?);
            Ok(merge_recipients(
                to_recipients(&r.to, RecipientField::To),
                to_recipients(&r.cc, RecipientField::Cc),
            ))
        }
        "read" => {
            let sender: Person = from_js(&read_sender());
            Ok(to_recipients(&[sender], RecipientField::To))
        }
        _ => Ok(Vec::new()),
    }
}

/// Nested app authentication settings, from the add-in URL (`ms_client_id`, `ms_scope`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaaConfig {
    pub client_id: String,
    pub scope: String,
}

impl NaaConfig {
    /// The API scope in Entra's form: `api://{client id}/{scope}`.
    pub fn api_scope(&self) -> String {
        format!("api://{}/{}", self.client_id, self.scope)
    }
}

struct Inner {
    listeners: Rc<Listeners>,
    token: RefCell<Option<String>>,
    naa: Option<NaaConfig>,
}

pub struct OutlookHost {
    inner: Rc<Inner>,
}

impl OutlookHost {
    /// True when the page is the Outlook add-in (`?host=outlook`) or Office.js is loaded.
    pub fn detect(search: &str) -> bool {
        query_param(search, "host").as_deref() == Some("outlook") || office_present()
    }

    pub fn new(token: Option<String>, search: &str) -> Self {
        let naa = query_param(search, "ms_client_id")
            .filter(|c| !c.is_empty())
            .map(|client_id| NaaConfig {
                client_id,
                scope: query_param(search, "ms_scope")
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "access_as_user".into()),
            });
        let inner = Rc::new(Inner {
            listeners: Rc::default(),
            token: RefCell::new(token),
            naa,
        });
        wasm_bindgen_futures::spawn_local(watch(inner.listeners.clone()));
        OutlookHost { inner }
    }
}

fn query_param(search: &str, name: &str) -> Option<String> {
    web_sys::UrlSearchParams::new_with_str(search)
        .ok()?
        .get(name)
}

/// Registers for changes once Office is ready: events where supported, else polling; and
/// `ItemChanged` for a pinned pane (which re-registers on the new item).
async fn watch(listeners: Rc<Listeners>) {
    if office_ready().await.is_err() {
        return;
    }
    let highest = MAILBOX_VERSIONS
        .iter()
        .filter(|v| is_set_supported("Mailbox", v))
        .filter_map(|v| SetVersion::parse(v))
        .max();
    let strategy = change_strategy(highest.as_ref());
    set_diagnostics(highest.as_ref(), strategy);
    let notify = {
        let listeners = Rc::downgrade(&listeners);
        move || {
            if let Some(l) = listeners.upgrade() {
                l.notify();
            }
        }
    };
    // The page lives as long as the pane; the closures live as long as the page.
    let on_change = Closure::<dyn FnMut()>::new(notify.clone());
    if strategy == ChangeStrategy::Events && item_mode() == "compose" {
        on_recipients_changed(&on_change).await;
    }
    let item_changed = Closure::<dyn FnMut()>::new(move || {
        notify();
        if strategy == ChangeStrategy::Events {
            let on_change = Closure::<dyn FnMut()>::new(notify.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if item_mode() == "compose" {
                    on_recipients_changed(&on_change).await;
                }
                on_change.forget();
            });
        }
    });
    on_item_changed(&item_changed).await;
    item_changed.forget();
    on_change.forget();
    if strategy == ChangeStrategy::Poll {
        poll(listeners).await;
    }
}

async fn poll(listeners: Rc<Listeners>) {
    let weak = Rc::downgrade(&listeners);
    drop(listeners);
    let mut last: Option<Vec<String>> = None;
    loop {
        gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
        let Some(listeners) = weak.upgrade() else {
            return;
        };
        if listeners.len() == 0 {
            continue;
        }
        let now: Option<Vec<String>> = current_recipients().await.ok().map(|r| {
            r.iter()
                .map(|r| format!("{:?}{}", r.field, r.email.as_str()))
                .collect()
        });
        // The first reading counts as a change too: the panel may have read before a quick edit.
        if now.is_some() && now != last {
            listeners.notify();
            last = now;
        }
    }
}

/// Exposes what was detected on `<html data-office-mailbox data-office-changes>` (support, tests).
fn set_diagnostics(highest: Option<&SetVersion>, strategy: ChangeStrategy) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let version = highest
        .map(|v| v.0.iter().map(u32::to_string).collect::<Vec<_>>().join("."))
        .unwrap_or_default();
    let _ = root.set_attribute("data-office-mailbox", &version);
    let _ = root.set_attribute(
        "data-office-changes",
        if strategy == ChangeStrategy::Events {
            "events"
        } else {
            "poll"
        },
    );
}

impl Host for OutlookHost {
    fn kind(&self) -> HostKind {
        HostKind::Outlook
    }

    fn unenroll_surface(&self) -> UnenrollSurface {
        UnenrollSurface::OutlookPanel
    }

    fn recipients(&self) -> LocalBoxFuture<Result<Vec<Recipient>, HostError>> {
        Box::pin(current_recipients())
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
            let naa = inner.naa.clone().ok_or(HostError::NotSignedIn)?;
            office_ready().await.map_err(js_error)?;
            let ms_token = naa_token(
                &naa.client_id,
                &naa.api_scope(),
                "/static/msal-browser.min.js",
            )
            .await
            .map_err(js_error)?;
            let ms_token = ms_token.as_string().ok_or(HostError::NotSignedIn)?;
            let token = exchange::exchange("", IdentityProvider::Microsoft, ms_token).await?;
            *inner.token.borrow_mut() = Some(token.clone());
            Ok(token)
        })
    }

    fn forget_token(&self, refused: &str) {
        forget_cached(&self.inner.token, refused);
        crate::session::forget_token(refused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_sets_compare_component_by_component() {
        let v = |s: &str| SetVersion::parse(s).unwrap();
        assert!(v("1.10") > v("1.9"));
        assert!(v("1.10") > v("1.7"));
        assert!(v("1.7") == v("1.7.0"));
        assert!(v("2.0") > v("1.14"));
        assert_eq!(SetVersion::parse("1.x"), None);
        assert_eq!(SetVersion::parse(""), None);
    }

    #[test]
    fn recipients_changed_events_from_mailbox_1_7_else_polling() {
        let check = |highest: Option<&str>, expected| {
            let v = highest.and_then(SetVersion::parse);
            assert_eq!(change_strategy(v.as_ref()), expected, "{highest:?}");
        };
        check(None, ChangeStrategy::Poll);
        check(Some("1.5"), ChangeStrategy::Poll);
        check(Some("1.7"), ChangeStrategy::Events);
        check(Some("1.10"), ChangeStrategy::Events);
        check(Some("1.14"), ChangeStrategy::Events);
    }

    #[test]
    fn office_people_become_recipients_skipping_bad_addresses_and_echoed_names() {
        let people = vec![
            Person {
                email: "Ana@Globex.example".into(),
                name: "Ana Lopez".into(),
            },
            Person {
                email: "b@x.io".into(),
                name: "b@x.io".into(),
            },
            Person {
                email: "not an address".into(),
                name: String::new(),
            },
        ];
        let got: Vec<(String, Option<String>)> = to_recipients(&people, RecipientField::Cc)
            .into_iter()
            .map(|r| (r.email.as_str().to_string(), r.display_name))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ana@globex.example".into(), Some("Ana Lopez".into())),
                ("b@x.io".into(), None)
            ]
        );
    }

    #[test]
    fn the_api_scope_is_entras_form() {
        let naa = NaaConfig {
            client_id: "c1".into(),
            scope: "access_as_user".into(),
        };
        assert_eq!(naa.api_scope(), "api://c1/access_as_user");
    }
}
