//! Views: fetch and compose. Each one owns its loading state and calls the API from effects and
//! callbacks only, then hands plain data to `components/`. Must not touch Office.js (that is
//! `host/`'s job).

pub mod app;
pub mod contact;
pub mod mailboxes;
pub mod panel;
pub mod panel_model;
pub mod root;
pub mod sequence;
pub mod signin;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use yew::prelude::*;

use crate::api::{Api, ApiError};
use crate::clock::Clock;

/// What every web-app view gets from the shell.
#[derive(Clone, PartialEq)]
pub struct AppCtx {
    pub api: Api,
    /// The token was refused: back to sign-in.
    pub on_unauthorized: Callback<()>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(ApiError),
}

/// The clock provided by the root (fixed in tests).
#[hook]
pub fn use_clock() -> Clock {
    use_context::<Clock>().unwrap_or_default()
}

/// Loads `fetch(api, deps)` when `deps` change; the returned callback reloads in place (the old
/// data stays visible meanwhile). Stale answers are dropped; a refused token signs out.
#[hook]
pub fn use_load<T, D, F, Fut>(deps: D, fetch: F) -> (Load<T>, Callback<()>)
where
    T: Clone + PartialEq + 'static,
    D: PartialEq + Clone + 'static,
    F: Fn(Api, D) -> Fut + 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    let ctx = use_context::<AppCtx>();
    let state = use_state(|| Load::Loading);
    let reloads = use_state(|| 0u32);
    let generation = use_mut_ref(|| Rc::new(Cell::new(0u64)));
    let last_deps = use_mut_ref(|| None::<D>);
    {
        let state = state.clone();
        let generation = generation.borrow().clone();
        use_effect_with((deps, *reloads), move |(deps, _)| {
            let changed = last_deps.borrow().as_ref() != Some(deps);
            if changed {
                *last_deps.borrow_mut() = Some(deps.clone());
                state.set(Load::Loading);
            }
            if let Some(ctx) = ctx {
                let gen = generation.get() + 1;
                generation.set(gen);
                let fut = fetch(ctx.api.clone(), deps.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let result = fut.await;
                    if generation.get() != gen {
                        return;
                    }
                    match result {
                        Ok(v) => state.set(Load::Ready(v)),
                        Err(e) if e.is_unauthorized() => ctx.on_unauthorized.emit(()),
                        Err(e) => state.set(Load::Failed(e)),
                    }
                });
            }
        });
    }
    let reload = {
        let reloads = reloads.clone();
        Callback::from(move |()| reloads.set(reloads.wrapping_add(1)))
    };
    ((*state).clone(), reload)
}

/// Renders a `Load` with the shared loading and error states.
pub fn loaded<T>(load: &Load<T>, reload: &Callback<()>, ready: impl FnOnce(&T) -> Html) -> Html {
    match load {
        Load::Loading => html! { <crate::components::Loading /> },
        Load::Failed(e) => {
            html! { <crate::components::ErrorNotice message={e.message()} on_retry={reload.clone()} /> }
        }
        Load::Ready(v) => ready(v),
    }
}

/// Moves keyboard focus to the first element matching `selector` (after a re-render).
pub fn focus_selector(selector: &str) {
    use wasm_bindgen::JsCast;
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = el {
        let _ = el.focus();
    }
}
