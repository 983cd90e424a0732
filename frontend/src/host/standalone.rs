//! The standalone panel page (`/addin/` opened in a browser, for the demo and browser tests): the
//! page has its own To and Cc fields, prefilled from `?to=` and `?cc=`.

use std::cell::RefCell;
use std::rc::Rc;

use shared::UnenrollSurface;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{Host, HostError, HostKind, Listeners, LocalBoxFuture, SessionControls, Subscription};
use crate::email::{merge_recipients, parse_address_line, Recipient, RecipientField};

#[derive(Default)]
pub struct StandaloneState {
    to: RefCell<String>,
    cc: RefCell<String>,
    token: RefCell<Option<String>>,
    /// The token the API last refused as expired: the next `access_token` refreshes.
    refused: RefCell<Option<String>>,
    listeners: Rc<Listeners>,
}

impl StandaloneState {
    fn set(&self, field: RecipientField, value: String) {
        let slot = match field {
            RecipientField::To => &self.to,
            RecipientField::Cc => &self.cc,
        };
        if *slot.borrow() != value {
            *slot.borrow_mut() = value;
            self.listeners.notify();
        }
    }

    fn recipients(&self) -> Vec<Recipient> {
        merge_recipients(
            parse_address_line(&self.to.borrow(), RecipientField::To),
            parse_address_line(&self.cc.borrow(), RecipientField::Cc),
        )
    }
}

pub struct StandaloneHost {
    state: Rc<StandaloneState>,
}

impl StandaloneHost {
    /// Prefills To and Cc from the page's query string (`?to=a@x.com&cc=b@y.com`).
    pub fn new(token: Option<String>) -> Self {
        let (to, cc) = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
            .map(|p| {
                (
                    p.get("to").unwrap_or_default(),
                    p.get("cc").unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        Self::with_fields(token, &to, &cc)
    }

    pub fn with_fields(token: Option<String>, to: &str, cc: &str) -> Self {
        let state = StandaloneState {
            to: RefCell::new(to.to_string()),
            cc: RefCell::new(cc.to_string()),
            token: RefCell::new(token),
            refused: RefCell::default(),
            listeners: Rc::default(),
        };
        StandaloneHost {
            state: Rc::new(state),
        }
    }
}

impl Host for StandaloneHost {
    fn kind(&self) -> HostKind {
        HostKind::Standalone
    }

    fn unenroll_surface(&self) -> UnenrollSurface {
        UnenrollSurface::Api
    }

    fn recipients(&self) -> LocalBoxFuture<Result<Vec<Recipient>, HostError>> {
        let recipients = self.state.recipients();
        Box::pin(async move { Ok(recipients) })
    }

    fn subscribe(&self, on_change: Callback<()>) -> Subscription {
        self.state.listeners.add(on_change)
    }

    fn access_token(&self) -> LocalBoxFuture<Result<String, HostError>> {
        let state = self.state.clone();
        Box::pin(async move {
            let cached = state.token.borrow().clone();
            if let Some(token) = cached {
                return Ok(token);
            }
            // Refused earlier: the session's refresh token gets a new one (or another tab did).
            let refused = state.refused.borrow_mut().take();
            let fresh = match refused {
                Some(refused) => crate::session::refresh_session("", &refused).await,
                None => crate::session::stored_token(),
            };
            *state.token.borrow_mut() = fresh.clone();
            fresh.ok_or(HostError::NotSignedIn)
        })
    }

    fn forget_token(&self, refused: &str) {
        super::forget_cached(&self.state.token, refused);
        *self.state.refused.borrow_mut() = Some(refused.to_string());
    }

    fn session_controls(&self) -> SessionControls {
        SessionControls {
            sign_in: false,
            sign_out: true,
        }
    }

    /// The page's token lives in this host and in localStorage (`session`); signing in again is
    /// the web app's sign-in page.
    fn sign_out(&self) -> LocalBoxFuture<()> {
        let token = self.state.token.borrow_mut().take();
        Box::pin(async move { crate::session::sign_out("", token).await })
    }

    fn compose_fields(&self) -> Html {
        html! { <StandaloneFields state={StateHandle(self.state.clone())} /> }
    }
}

#[derive(Clone)]
struct StateHandle(Rc<StandaloneState>);

impl PartialEq for StateHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct StandaloneFieldsProps {
    state: StateHandle,
}

/// The page's own To and Cc inputs. Writes go to the host state; the panel hears them through
/// its subscription, like an Outlook `RecipientsChanged` event.
#[function_component]
fn StandaloneFields(props: &StandaloneFieldsProps) -> Html {
    let field = |field: RecipientField| {
        let state = props.state.0.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            state.set(field, input.value());
        })
    };
    let to = props.state.0.to.borrow().clone();
    let cc = props.state.0.cc.borrow().clone();
    html! {
        <fieldset class="compose-fields" aria-label="Message recipients">
            <div class="field-row">
                <label for="compose-to">{ "To" }</label>
                <input id="compose-to" type="text" inputmode="email" autocomplete="off"
                    spellcheck="false" data-testid="recipients-to" placeholder="name@company.com, …"
                    value={to} oninput={field(RecipientField::To)} />
            </div>
            <div class="field-row">
                <label for="compose-cc">{ "Cc" }</label>
                <input id="compose-cc" type="text" inputmode="email" autocomplete="off"
                    spellcheck="false" data-testid="recipients-cc" value={cc}
                    oninput={field(RecipientField::Cc)} />
            </div>
        </fieldset>
    }
}
