//! The panel: asks the host for the recipients, looks them up (debounced), and runs the inline
//! unenroll flow. Host-agnostic: Outlook, Gmail and the standalone page all come in as a
//! [`HostHandle`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use yew::prelude::*;

use super::panel_model::{PanelAction, PanelModel};
use super::{focus_selector, use_clock};
use crate::api::Api;
use crate::components::PanelBody;
use crate::host::{HostError, HostHandle};

/// Recipient changes are coalesced for this long before a lookup, well inside the 300 ms budget.
pub const DEBOUNCE_MS: u32 = 150;

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub host: HostHandle,
}

/// Looks up the host's current recipients; answers to older lookups are dropped by the reducer.
fn lookup(host: HostHandle, dispatch: UseReducerDispatcher<PanelModel>, generation: Rc<Cell<u64>>) {
    let gen = generation.get() + 1;
    generation.set(gen);
    wasm_bindgen_futures::spawn_local(async move {
        let recipients = match host.recipients().await {
            Ok(r) => r,
            Err(e) => {
                dispatch.dispatch(PanelAction::LookupStarted {
                    generation: gen,
                    count: 1,
                });
                dispatch.dispatch(PanelAction::LookupFailed {
                    generation: gen,
                    message: e.to_string(),
                });
                return;
            }
        };
        dispatch.dispatch(PanelAction::LookupStarted {
            generation: gen,
            count: recipients.len(),
        });
        if recipients.is_empty() {
            return;
        }
        let token = match host.access_token().await {
            Ok(t) => t,
            Err(HostError::NotSignedIn) => {
                return dispatch.dispatch(PanelAction::SignedOut { generation: gen });
            }
            Err(e) => {
                let message = e.to_string();
                return dispatch.dispatch(PanelAction::LookupFailed {
                    generation: gen,
                    message,
                });
            }
        };
        let requested: Vec<_> = recipients.into_iter().map(|r| r.email).collect();
        let mut answer = Api::new(host.api_base(), token.clone())
            .recipients(&requested)
            .await;
        if answer.as_ref().is_err_and(|e| e.is_unauthorized()) {
            // The session expired or was revoked: forget it and sign in afresh, once.
            host.forget_token(&token);
            answer = match host.access_token().await {
                Ok(fresh) if fresh != token => {
                    Api::new(host.api_base(), fresh)
                        .recipients(&requested)
                        .await
                }
                _ => return dispatch.dispatch(PanelAction::SignedOut { generation: gen }),
            };
        }
        match answer {
            Ok(resp) => dispatch.dispatch(PanelAction::LookupDone {
                generation: gen,
                requested,
                recipients: resp.recipients,
            }),
            Err(e) if e.is_unauthorized() => {
                dispatch.dispatch(PanelAction::SignedOut { generation: gen })
            }
            Err(e) => dispatch.dispatch(PanelAction::LookupFailed {
                generation: gen,
                message: e.message(),
            }),
        }
    });
}

#[function_component]
pub fn Panel(props: &PanelProps) -> Html {
    let model = use_reducer(PanelModel::default);
    let clock = use_clock();
    let generation = use_mut_ref(|| Rc::new(Cell::new(0u64)));

    {
        // Subscribe once: look up now, then again DEBOUNCE_MS after the last change.
        let (host, dispatch) = (props.host.clone(), model.dispatcher());
        let generation = generation.borrow().clone();
        use_effect_with(props.host.clone(), move |_| {
            let timer: Rc<RefCell<Option<Timeout>>> = Rc::default();
            let on_change = {
                let (host, dispatch, generation, timer) = (
                    host.clone(),
                    dispatch.clone(),
                    generation.clone(),
                    timer.clone(),
                );
                Callback::from(move |()| {
                    let (host, dispatch, generation) =
                        (host.clone(), dispatch.clone(), generation.clone());
                    let t = Timeout::new(DEBOUNCE_MS, move || lookup(host, dispatch, generation));
                    // Replacing the old Timeout drops (cancels) it.
                    *timer.borrow_mut() = Some(t);
                })
            };
            let subscription = host.subscribe(on_change);
            lookup(host, dispatch, generation);
            move || {
                drop(subscription);
                timer.borrow_mut().take();
            }
        });
    }
    {
        // After an unenroll, focus the card's new status so keyboard users stay in place.
        use_effect_with(model.focus.clone(), |focus| {
            if let Some((_, email)) = focus {
                focus_selector(&format!(
                    "[data-testid=recipient-card][data-email=\"{email}\"] [data-testid=status-recently-unenrolled]"
                ));
            }
        });
    }

    let dispatch = model.dispatcher();
    let on_unenroll = {
        let dispatch = dispatch.clone();
        Callback::from(move |id| dispatch.dispatch(PanelAction::AskUnenroll(id)))
    };
    let on_cancel = {
        let dispatch = dispatch.clone();
        Callback::from(move |id| dispatch.dispatch(PanelAction::CancelUnenroll(id)))
    };
    let on_confirm = {
        let (host, dispatch) = (props.host.clone(), dispatch.clone());
        Callback::from(move |id: i64| {
            dispatch.dispatch(PanelAction::UnenrollStarted(id));
            let (host, dispatch) = (host.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = match host.access_token().await {
                    Ok(token) => Api::new(host.api_base(), token.clone())
                        .unenroll(id, host.unenroll_surface())
                        .await
                        .map_err(|e| {
                            if e.is_unauthorized() {
                                // The next attempt signs in afresh.
                                host.forget_token(&token);
                            }
                            e.message()
                        }),
                    Err(e) => Err(e.to_string()),
                };
                dispatch.dispatch(match result {
                    Ok(enrollment) => PanelAction::Unenrolled {
                        enrollment: Box::new(enrollment),
                    },
                    Err(message) => PanelAction::UnenrollFailed {
                        enrollment_id: id,
                        message,
                    },
                });
            });
        })
    };
    let on_retry = {
        let (host, dispatch) = (props.host.clone(), dispatch.clone());
        let generation = generation.borrow().clone();
        Callback::from(move |()| lookup(host.clone(), dispatch.clone(), generation.clone()))
    };

    let controls = props.host.session_controls();
    let on_sign_in = controls.sign_in.then(|| {
        let (host, dispatch) = (props.host.clone(), dispatch.clone());
        let generation = generation.borrow().clone();
        Callback::from(move |()| {
            dispatch.dispatch(PanelAction::SignInStarted);
            let (host, dispatch, generation) = (host.clone(), dispatch.clone(), generation.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match host.sign_in().await {
                    Ok(_) => {
                        dispatch.dispatch(PanelAction::SignInDone);
                        lookup(host, dispatch, generation);
                    }
                    Err(e) => dispatch.dispatch(PanelAction::SignInFailed(e.to_string())),
                }
            });
        })
    });
    let on_sign_out = (controls.sign_out && model.signed_in).then(|| {
        let (host, dispatch) = (props.host.clone(), dispatch.clone());
        Callback::from(move |()| {
            let (host, dispatch) = (host.clone(), dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                host.sign_out().await;
                dispatch.dispatch(PanelAction::SignOutDone);
                // Keyboard users land on the way back in, once it is drawn.
                gloo_timers::future::TimeoutFuture::new(0).await;
                focus_selector("[data-testid=panel-signin] .btn");
            });
        })
    });

    html! {
        <PanelBody state={model.state.clone()} {clock} ui={model.ui.clone()}
            refreshing={model.refreshing} announcement={model.announcement.clone()}
            {on_sign_in} signing_in={model.signing_in}
            sign_in_error={model.sign_in_error.clone().map(AttrValue::from)} {on_sign_out}
            {on_unenroll} {on_confirm} {on_cancel} {on_retry}>
            { props.host.compose_fields() }
        </PanelBody>
    }
}
