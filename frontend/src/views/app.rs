//! The web app shell: session, hash routing, navigation, and the page for each route.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::contact::{ContactPage, ContactsPage};
use super::sequence::{SequencePage, SequencesPage};
use super::signin::SignInPage;
use super::{use_load, AppCtx, Load};
use crate::api::Api;
use crate::route::Route;
use crate::session;

#[derive(Properties, PartialEq)]
pub struct WebAppProps {
    pub token: Option<String>,
    pub route: Route,
}

fn current_route() -> Route {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Route::parse(&hash)
}

pub fn navigate(route: Route) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(&route.href());
    }
}

#[function_component]
pub fn WebApp(props: &WebAppProps) -> Html {
    let token = use_state(|| props.token.clone());
    let route = use_state(|| props.route);
    {
        let route = route.clone();
        use_effect_with((), move |()| {
            let listener = Closure::<dyn Fn()>::new(move || route.set(current_route()));
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "hashchange",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    // The session was refused (revoked, or expired beyond refreshing): forget it.
    let sign_out = {
        let token = token.clone();
        Callback::from(move |()| {
            session::clear_token();
            token.set(None);
        })
    };
    let Some(t) = (*token).clone() else {
        let on_signed_in = {
            let (token, route) = (token.clone(), *route);
            Callback::from(move |t: String| {
                session::store_token(&t);
                token.set(Some(t));
                if route == Route::SignIn {
                    navigate(Route::Sequences);
                }
            })
        };
        return html! { <SignInPage {on_signed_in} /> };
    };
    let api = Api::new("", t).refreshing();
    // The user's Sign out: ends the session on the server too (issue 19).
    let on_sign_out = {
        let (token, api) = (token.clone(), api.clone());
        Callback::from(move |()| {
            let (token, current) = (token.clone(), api.token());
            wasm_bindgen_futures::spawn_local(async move {
                session::sign_out("", Some(current)).await;
                token.set(None);
            });
        })
    };
    let ctx = AppCtx {
        api,
        on_unauthorized: sign_out,
    };
    html! {
        <ContextProvider<AppCtx> context={ctx}>
            <Shell route={*route} {on_sign_out} />
        </ContextProvider<AppCtx>>
    }
}

#[derive(Properties, PartialEq)]
struct ShellProps {
    route: Route,
    on_sign_out: Callback<()>,
}

#[function_component]
fn Shell(props: &ShellProps) -> Html {
    let (me, _) = use_load((), |api, ()| async move { api.me().await });
    let page = match props.route {
        Route::Sequences | Route::SignIn => html! { <SequencesPage /> },
        Route::Sequence { id, tab } => html! { <SequencePage key={id} {id} {tab} /> },
        Route::Contacts => html! { <ContactsPage /> },
        Route::Contact { id } => html! { <ContactPage key={id} {id} /> },
        Route::Mailboxes => html! { <super::mailboxes::MailboxesPage /> },
        Route::NotFound => html! {
            <div class="notice" data-testid="not-found">
                <p>{ "There is nothing here." }</p>
                <a href={Route::Sequences.href()}>{ "Back to sequences" }</a>
            </div>
        },
    };
    let nav = |r: Route, label: &str, testid: &str| {
        let current = matches!(
            (props.route, r),
            (Route::Sequences | Route::Sequence { .. }, Route::Sequences)
                | (Route::Contacts | Route::Contact { .. }, Route::Contacts)
                | (Route::Mailboxes, Route::Mailboxes)
        );
        html! {
            <a href={r.href()} class={classes!("nav__link", current.then_some("is-current"))}
                aria-current={current.then_some("page")} data-testid={testid.to_string()}>{ label }</a>
        }
    };
    html! {
        <div class="app">
            <a class="skip-link" href="#main">{ "Skip to content" }</a>
            <header class="topbar">
                <a class="brand" href={Route::Sequences.href()}>
                    <span class="brand__mark" aria-hidden="true">{ "S" }</span>{ "Sequencer" }
                </a>
                <nav class="nav" aria-label="Main">
                    { nav(Route::Sequences, "Sequences", "nav-sequences") }
                    { nav(Route::Contacts, "Contacts", "nav-contacts") }
                    // Connecting mailboxes is an admin's job (the API answers others 403).
                    if matches!(&me, Load::Ready(m) if m.user.role == shared::Role::Admin) {
                        { nav(Route::Mailboxes, "Mailboxes", "nav-mailboxes") }
                    }
                </nav>
                <div class="topbar__user">
                    if let Load::Ready(me) = me {
                        <span class="muted small" data-testid="current-user">{ &me.user.name }</span>
                    }
                    <button type="button" class="btn btn--ghost btn--small" data-testid="signout-button"
                        onclick={props.on_sign_out.reform(|_: MouseEvent| ())}>{ "Sign out" }</button>
                </div>
            </header>
            <main id="main" class="page" tabindex="-1">{ page }</main>
        </div>
    }
}
