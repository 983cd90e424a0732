//! The panel's body for every state: no recipients, loading, error, signed out, results.

use std::collections::HashMap;

use shared::RecipientView;
use yew::prelude::*;

use super::{Announcer, ErrorNotice, Loading, RecipientCard, UnenrollUi};
use crate::clock::Clock;

#[derive(Debug, Clone, PartialEq)]
pub enum PanelState {
    /// No recipient typed yet.
    Empty,
    Loading {
        count: usize,
    },
    Error(String),
    NeedsSignIn,
    Loaded(Vec<RecipientView>),
}

impl Default for PanelState {
    fn default() -> Self {
        PanelState::Loading { count: 1 }
    }
}

#[derive(Properties, PartialEq)]
pub struct PanelBodyProps {
    pub state: PanelState,
    pub clock: Clock,
    /// Unenroll progress per enrollment id.
    #[prop_or_default]
    pub ui: HashMap<i64, UnenrollUi>,
    /// A newer lookup is on its way while the old results stay visible.
    #[prop_or_default]
    pub refreshing: bool,
    #[prop_or_default]
    pub announcement: AttrValue,
    /// Where the sign-in page is, for the signed-out state.
    #[prop_or(AttrValue::Static("/app/#/signin"))]
    pub sign_in_href: AttrValue,
    /// Signs in here instead of the web app's sign-in link (the Gmail extension: Google's
    /// account chooser).
    #[prop_or_default]
    pub on_sign_in: Option<Callback<()>>,
    /// A sign-in the user asked for is under way.
    #[prop_or_default]
    pub signing_in: bool,
    /// Why the last sign-in the user asked for failed.
    #[prop_or_default]
    pub sign_in_error: Option<AttrValue>,
    /// Offered while signed in, when the host can forget its session.
    #[prop_or_default]
    pub on_sign_out: Option<Callback<()>>,
    /// The host's own fields (the standalone page's To and Cc), drawn above the results.
    #[prop_or_default]
    pub children: Html,
    pub on_unenroll: Callback<i64>,
    pub on_confirm: Callback<i64>,
    pub on_cancel: Callback<i64>,
    pub on_retry: Callback<()>,
}

#[function_component]
pub fn PanelBody(props: &PanelBodyProps) -> Html {
    let content = match &props.state {
        PanelState::Empty => html! {
            <p class="empty" data-testid="panel-empty">
                { "Add a recipient to see whether they are enrolled in a sequence." }
            </p>
        },
        PanelState::Loading { count } => html! {
            <Loading label="Looking up recipients…" rows={(*count).clamp(1, 4)} testid="panel-loading" />
        },
        PanelState::Error(message) => html! {
            <ErrorNotice message={message.clone()} on_retry={props.on_retry.clone()} testid="panel-error" />
        },
        PanelState::NeedsSignIn => sign_in(props),
        PanelState::Loaded(recipients) => {
            let compact = recipients.len() > 1;
            let cards = recipients.iter().map(|r| {
                let id = r
                    .enrollment
                    .as_ref()
                    .map(|e| e.enrollment_id)
                    .unwrap_or_default();
                let ui = props.ui.get(&id).cloned().unwrap_or_default();
                html! {
                    <RecipientCard key={r.email.clone()} recipient={r.clone()} clock={props.clock}
                        {ui} {compact}
                        on_unenroll={props.on_unenroll.reform(move |()| id)}
                        on_confirm={props.on_confirm.reform(move |()| id)}
                        on_cancel={props.on_cancel.reform(move |()| id)} />
                }
            });
            html! {
                <>
                    if compact {
                        <p class="panel__summary" data-testid="panel-summary">
                            { summary(recipients) }
                        </p>
                    }
                    <ul class="recipients" aria-label="Recipients" data-testid="recipient-list">
                        { for cards }
                    </ul>
                </>
            }
        }
    };
    html! {
        <main class="panel" data-testid="panel" aria-busy={props.refreshing.to_string()}>
            <header class="panel__header">
                <h1 class="brand"><span class="brand__mark" aria-hidden="true">{ "S" }</span>{ "Sequencer" }</h1>
                if props.refreshing { <span class="spinner" data-testid="panel-refreshing" aria-hidden="true"></span> }
            </header>
            { props.children.clone() }
            <div class="panel__content">{ content }</div>
            if let Some(on_sign_out) = &props.on_sign_out {
                <footer class="panel__footer">
                    <button type="button" class="btn btn--ghost btn--small" data-testid="panel-signout"
                        onclick={on_sign_out.reform(|_: MouseEvent| ())}>{ "Sign out" }</button>
                </footer>
            }
            <Announcer message={props.announcement.clone()} />
        </main>
    }
}

/// The signed-out state: the host's own sign-in button, else a link to the web app's sign-in.
fn sign_in(props: &PanelBodyProps) -> Html {
    let action = match &props.on_sign_in {
        Some(on_sign_in) => html! {
            <button type="button" class="btn btn--primary" data-testid="panel-signin-google"
                disabled={props.signing_in} aria-busy={props.signing_in.to_string()}
                onclick={on_sign_in.reform(|_: MouseEvent| ())}>
                { if props.signing_in { "Signing in…" } else { "Sign in with Google" } }
            </button>
        },
        None => html! {
            <a class="btn btn--primary" href={props.sign_in_href.clone()} target="_blank"
                rel="noopener" data-testid="panel-signin-link">{ "Sign in" }</a>
        },
    };
    html! {
        <div class="notice" data-testid="panel-signin">
            <p>{ "Sign in to Sequencer to see your recipients' sequences." }</p>
            if let Some(error) = &props.sign_in_error {
                <p class="inline-error" role="alert" data-testid="panel-signin-error">{ error.clone() }</p>
            }
            { action }
        </div>
    }
}

fn summary(recipients: &[RecipientView]) -> String {
    let enrolled = recipients.iter().filter(|r| r.enrollment.is_some()).count();
    match enrolled {
        0 => format!("{} recipients · none enrolled", recipients.len()),
        1 => format!("{} recipients · 1 enrolled in a sequence", recipients.len()),
        n => format!(
            "{} recipients · {n} enrolled in sequences",
            recipients.len()
        ),
    }
}
