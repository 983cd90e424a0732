//! The sign-in form. Field values are read from the form on submit (a callback), not while
//! rendering.

use shared::LoginRequest;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SignInFormProps {
    #[prop_or_default]
    pub busy: bool,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_submit: Callback<LoginRequest>,
}

#[function_component]
pub fn SignInForm(props: &SignInFormProps) -> Html {
    let email = use_node_ref();
    let password = use_node_ref();
    let onsubmit = {
        let (email, password, cb) = (email.clone(), password.clone(), props.on_submit.clone());
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            cb.emit(LoginRequest {
                email: value(&email).trim().to_string(),
                password: value(&password),
            });
        })
    };
    html! {
        <form class="card signin" data-testid="signin-form" {onsubmit} aria-describedby="signin-error">
            <h1 class="page-title">{ "Sign in to Sequencer" }</h1>
            <div class="field">
                <label for="signin-email">{ "Email" }</label>
                <input id="signin-email" ref={email} type="email" autocomplete="username" required=true
                    data-testid="signin-email" />
            </div>
            <div class="field">
                <label for="signin-password">{ "Password" }</label>
                <input id="signin-password" ref={password} type="password" autocomplete="current-password"
                    required=true data-testid="signin-password" />
            </div>
            <div id="signin-error" aria-live="assertive">
                if let Some(error) = &props.error {
                    <p class="inline-error" role="alert" data-testid="signin-error">{ error }</p>
                }
            </div>
            <button type="submit" class="btn btn--primary btn--block" disabled={props.busy}
                data-testid="signin-submit">{ if props.busy { "Signing in…" } else { "Sign in" } }</button>
        </form>
    }
}
