//! The sign-in page: password login for a session token.

use shared::ErrorCode;
use yew::prelude::*;

use crate::api::Api;
use crate::components::SignInForm;

#[derive(Properties, PartialEq)]
pub struct SignInPageProps {
    /// Called with the new token.
    pub on_signed_in: Callback<String>,
}

#[function_component]
pub fn SignInPage(props: &SignInPageProps) -> Html {
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let on_submit = {
        let (busy, error, done) = (busy.clone(), error.clone(), props.on_signed_in.clone());
        Callback::from(move |req: shared::LoginRequest| {
            busy.set(true);
            error.set(None);
            let (busy, error, done) = (busy.clone(), error.clone(), done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match Api::login("", &req).await {
                    Ok(resp) => {
                        crate::session::store_session(&resp);
                        done.emit(resp.token)
                    }
                    Err(e) => {
                        busy.set(false);
                        error.set(Some(match e.code() {
                            Some(ErrorCode::Unauthorized | ErrorCode::InvalidToken) => {
                                "Wrong email or password.".to_string()
                            }
                            _ => e.message(),
                        }));
                    }
                }
            });
        })
    };
    html! {
        <main class="signin-page">
            <SignInForm busy={*busy} error={(*error).clone().map(AttrValue::from)} {on_submit} />
        </main>
    }
}
