//! Hosts: where the panel lives (Outlook, the Gmail extension, a standalone page, a test).
//!
//! This module is the only code that touches Office.js, the extension bridge or the page's own
//! recipient fields. Everything the panel needs from its surroundings goes through [`Host`], so a
//! new host slots in without touching `components/` or `views/`. Must not depend on `views/` or
//! `api/`.

mod exchange;
pub mod fake;
pub mod gmail;
pub mod outlook;
pub mod standalone;

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;

use shared::UnenrollSurface;
use yew::{Callback, Html};

pub use crate::email::{EmailAddress, Recipient, RecipientField};

/// A boxed, single-threaded future (wasm has one thread; Office callbacks are not `Send`).
pub type LocalBoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    Outlook,
    Gmail,
    Standalone,
    Fake,
}

impl HostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Outlook => "outlook",
            HostKind::Gmail => "gmail",
            HostKind::Standalone => "standalone",
            HostKind::Fake => "fake",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// No credentials: the user must sign in first.
    NotSignedIn,
    /// The host API failed (an Office `AsyncResult` error, a lost extension port...).
    Unavailable(String),
    /// A sign-in the user asked for ended without a session (declined, or refused by Sequencer).
    SignInFailed(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::NotSignedIn => f.write_str("You are not signed in to Sequencer."),
            HostError::Unavailable(why) => write!(f, "The mail client did not answer: {why}"),
            HostError::SignInFailed(why) => f.write_str(why),
        }
    }
}

/// What the panel offers for its session besides the web app's sign-in link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionControls {
    /// A "Sign in with Google" button that runs [`Host::sign_in`], instead of the link.
    pub sign_in: bool,
    /// A "Sign out" control while signed in, that runs [`Host::sign_out`].
    pub sign_out: bool,
}

/// Clears a host's cached session token if it still is `refused` (another lookup may have
/// stored a new one meanwhile); for [`Host::forget_token`].
pub(crate) fn forget_cached(cache: &std::cell::RefCell<Option<String>>, refused: &str) {
    let mut cached = cache.borrow_mut();
    if cached.as_deref() == Some(refused) {
        *cached = None;
    }
}

/// Unsubscribes when dropped.
pub struct Subscription(Option<Box<dyn FnOnce()>>);

impl Subscription {
    pub fn new(unsubscribe: impl FnOnce() + 'static) -> Self {
        Subscription(Some(Box::new(unsubscribe)))
    }

    pub fn none() -> Self {
        Subscription(None)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

/// The panel's view of its surroundings.
pub trait Host {
    fn kind(&self) -> HostKind;

    /// The surface recorded as evidence when the user unenrolls from this panel.
    fn unenroll_surface(&self) -> UnenrollSurface;

    /// The message's recipients: To first, then Cc, each address once.
    fn recipients(&self) -> LocalBoxFuture<Result<Vec<Recipient>, HostError>>;

    /// Calls `on_change` whenever the recipients may have changed (possibly often: the panel
    /// debounces). Returns a guard that unsubscribes.
    fn subscribe(&self, on_change: Callback<()>) -> Subscription;

    /// A bearer token for Sequencer's API (may refresh, hence async).
    fn access_token(&self) -> LocalBoxFuture<Result<String, HostError>>;

    /// The API refused `refused` (expired or revoked): drop every cached copy of it, so the
    /// next [`Host::access_token`] signs in afresh instead of returning it again.
    fn forget_token(&self, refused: &str) {
        let _ = refused;
    }

    /// Which of [`Host::sign_in`] and [`Host::sign_out`] this host supports (none by default:
    /// the user signs in through the web app).
    fn session_controls(&self) -> SessionControls {
        SessionControls::default()
    }

    /// Signs in because the user asked to (interactively, with an account chooser), keeps the
    /// session like [`Host::access_token`] does and returns it. Only called when
    /// [`SessionControls::sign_in`].
    fn sign_in(&self) -> LocalBoxFuture<Result<String, HostError>> {
        Box::pin(async { Err(HostError::NotSignedIn) })
    }

    /// Forgets the session everywhere it is cached, and stays signed out (no silent sign-in)
    /// until [`Host::sign_in`]. Only called when [`SessionControls::sign_out`].
    fn sign_out(&self) -> LocalBoxFuture<()> {
        Box::pin(async {})
    }

    /// Origin of the API; empty for the page's own origin. An extension page sets the server's.
    fn api_base(&self) -> String {
        String::new()
    }

    /// Fields the host renders above the panel (the standalone page's To and Cc inputs).
    fn compose_fields(&self) -> Html {
        Html::default()
    }
}

/// A cheaply clonable host for props; equal only to itself.
#[derive(Clone)]
pub struct HostHandle(Rc<dyn Host>);

impl HostHandle {
    pub fn new(host: impl Host + 'static) -> Self {
        HostHandle(Rc::new(host))
    }
}

impl Deref for HostHandle {
    type Target = dyn Host;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl PartialEq for HostHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Subscribers of a host, notified together.
#[derive(Default)]
pub(crate) struct Listeners {
    next: std::cell::Cell<u64>,
    list: std::cell::RefCell<Vec<(u64, Callback<()>)>>,
}

impl Listeners {
    pub(crate) fn add(self: &Rc<Self>, cb: Callback<()>) -> Subscription {
        let id = self.next.get();
        self.next.set(id + 1);
        self.list.borrow_mut().push((id, cb));
        let me = Rc::downgrade(self);
        Subscription::new(move || {
            if let Some(me) = me.upgrade() {
                me.list.borrow_mut().retain(|(i, _)| *i != id);
            }
        })
    }

    pub(crate) fn notify(&self) {
        let list: Vec<Callback<()>> = self
            .list
            .borrow()
            .iter()
            .map(|(_, cb)| cb.clone())
            .collect();
        for cb in list {
            cb.emit(());
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.borrow().len()
    }
}
