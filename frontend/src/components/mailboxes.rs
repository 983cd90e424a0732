//! The Mailboxes page's list (Edit, Disconnect per row) and its connect/edit form. The form is
//! controlled: it renders a [`MailboxDraft`] and reports each keystroke as a [`DraftAction`].

use shared::MailboxView;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::mailbox_form::{describe, AuthMethod, DraftAction, Field, MailboxDraft};

#[derive(Properties, PartialEq)]
pub struct MailboxListProps {
    pub mailboxes: Vec<MailboxView>,
    /// The mailbox the form is editing, marked in the list.
    #[prop_or_default]
    pub editing: Option<i64>,
    pub on_edit: Callback<MailboxView>,
    pub on_disconnect: Callback<MailboxView>,
}

/// The id of a row's Edit button, where focus returns when its edit ends.
pub fn edit_button_id(mailbox: i64) -> String {
    format!("mailbox-edit-{mailbox}")
}

#[function_component]
pub fn MailboxList(props: &MailboxListProps) -> Html {
    if props.mailboxes.is_empty() {
        return html! { <p class="notice" data-testid="mailboxes-none">{ "No mailbox is connected yet." }</p> };
    }
    html! {
        <ul class="card mailbox-list" data-testid="mailbox-list">
            { for props.mailboxes.iter().map(|m| {
                let editing = props.editing == Some(m.id);
                let on_edit = {
                    let (cb, m) = (props.on_edit.clone(), m.clone());
                    Callback::from(move |_: MouseEvent| cb.emit(m.clone()))
                };
                let on_disconnect = {
                    let (cb, m) = (props.on_disconnect.clone(), m.clone());
                    Callback::from(move |_: MouseEvent| cb.emit(m.clone()))
                };
                html! {
                    <li key={m.id} class={classes!("mailbox", editing.then_some("mailbox--editing"))}
                        data-testid="mailbox" data-address={m.address.clone()}>
                        <div>
                            <strong>{ &m.address }</strong>
                            <p class="muted" data-testid="mailbox-description">{ describe(m) }</p>
                            if let Some(error) = &m.last_error {
                                <p class="error" role="status" data-testid="mailbox-error">
                                    { format!("Last connection failed: {error}") }
                                </p>
                            }
                        </div>
                        <div class="btn-row">
                            <button type="button" class="btn" id={edit_button_id(m.id)}
                                data-testid="mailbox-edit" aria-label={format!("Edit {}", m.address)} onclick={on_edit}>{ "Edit" }</button>
                            <button type="button" class="btn" data-testid="mailbox-disconnect"
                                aria-label={format!("Disconnect {}", m.address)}
                                onclick={on_disconnect}>{ "Disconnect" }</button>
                        </div>
                    </li>
                }
            }) }
        </ul>
    }
}

#[derive(Properties, PartialEq)]
pub struct MailboxFormProps {
    pub draft: MailboxDraft,
    #[prop_or_default]
    pub busy: bool,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_change: Callback<DraftAction>,
    pub on_submit: Callback<()>,
    /// Ends an edit (the Cancel button, or Escape inside the form).
    pub on_cancel: Callback<()>,
}

/// One text input, showing the draft's value; its label is the caller's.
fn text_input(props: &MailboxFormProps, field: Field) -> Html {
    let d = &props.draft;
    let (id, testid, value) = match field {
        Field::Address => ("mb-address", "mailbox-address", &d.address),
        Field::Host => ("mb-host", "mailbox-host", &d.host),
        Field::Port => ("mb-port", "mailbox-port", &d.port),
        Field::Username => ("mb-user", "mailbox-user", &d.username),
        Field::Password => ("mb-password", "mailbox-password", &d.password),
        Field::Token => ("mb-token", "mailbox-token", &d.token),
        Field::Folders => ("mb-folders", "mailbox-folders", &d.folders),
    };
    let oninput = props.on_change.reform(move |e: InputEvent| {
        DraftAction::Type(field, e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let describedby = d.secret_hint().is_some().then_some("mb-secret-hint");
    match field {
        Field::Address => html! {
            <input {id} type="email" required=true placeholder="rep@yourcompany.example"
                data-testid={testid} value={value.clone()} {oninput} />
        },
        Field::Port => html! {
            <input {id} type="number" min="1" max="65535" placeholder={if d.tls { "993" } else { "143" }}
                data-testid={testid} value={value.clone()} {oninput} />
        },
        Field::Password => html! {
            <input {id} type="password" autocomplete="new-password" aria-describedby={describedby}
                data-testid={testid} value={value.clone()} {oninput} />
        },
        Field::Token => html! {
            <input {id} type="password" autocomplete="off" spellcheck="false"
                aria-describedby={describedby} data-testid={testid} value={value.clone()} {oninput} />
        },
        Field::Folders => html! {
            <input {id} type="text" placeholder="INBOX, Replies"
                data-testid={testid} value={value.clone()} {oninput} />
        },
        Field::Host | Field::Username => html! {
            <input {id} type="text" autocomplete="off" spellcheck="false"
                data-testid={testid} value={value.clone()} {oninput} />
        },
    }
}

#[function_component]
pub fn MailboxForm(props: &MailboxFormProps) -> Html {
    let d = &props.draft;
    let editing = d.editing.as_ref();
    let onsubmit = props
        .on_submit
        .reform(|ev: SubmitEvent| ev.prevent_default());
    let onkeydown = {
        let (cancel, editing) = (props.on_cancel.clone(), editing.is_some());
        Callback::from(move |ev: KeyboardEvent| {
            if editing && ev.key() == "Escape" {
                ev.prevent_default();
                cancel.emit(());
            }
        })
    };
    let on_tls = props.on_change.reform(|e: Event| {
        DraftAction::Tls(e.target_unchecked_into::<HtmlInputElement>().checked())
    });
    let auth_radio = |method: AuthMethod, id: &'static str, testid: &'static str, label: &str| {
        let onchange = props
            .on_change
            .reform(move |_: Event| DraftAction::Auth(method));
        html! {
            <label class="check" for={id}>
                <input {id} type="radio" name="mb-auth" value={method.noun()} data-testid={testid}
                    checked={d.auth == method} {onchange} />
                { label.to_string() }
            </label>
        }
    };
    let (secret_label, secret_field) = match d.auth {
        AuthMethod::Password => (
            html! { <label for="mb-password">{ "Password" }</label> },
            Field::Password,
        ),
        AuthMethod::Token => (
            html! { <label for="mb-token">{ "OAuth2 access token" }</label> },
            Field::Token,
        ),
    };
    let heading = match editing {
        Some(e) => format!("Edit {}", e.address),
        None => "Connect a mailbox".into(),
    };
    html! {
        <form class="card mailbox-form" data-testid="mailbox-form" aria-labelledby="mb-title"
            {onsubmit} {onkeydown}>
            <h2 id="mb-title" class="section-title" data-testid="mailbox-form-title">{ heading }</h2>
            <label for="mb-address">{ "Address" }</label>
            { text_input(props, Field::Address) }
            <label for="mb-host">{ "IMAP host (leave empty for webhook delivery only)" }</label>
            { text_input(props, Field::Host) }
            <div class="mailbox-form__server">
                <div class="mailbox-form__port">
                    <label for="mb-port">{ "Port" }</label>
                    { text_input(props, Field::Port) }
                </div>
                <label class="check" for="mb-tls">
                    <input id="mb-tls" type="checkbox" data-testid="mailbox-tls" checked={d.tls}
                        onchange={on_tls} />
                    { "Use TLS" }
                </label>
            </div>
            <label for="mb-user">{ "User name" }</label>
            { text_input(props, Field::Username) }
            <fieldset class="mailbox-form__auth">
                <legend>{ "Sign in with" }</legend>
                { auth_radio(AuthMethod::Password, "mb-auth-password", "mailbox-auth-password", "Password") }
                { auth_radio(AuthMethod::Token, "mb-auth-token", "mailbox-auth-token",
                    "OAuth2 access token (Gmail, Microsoft 365)") }
            </fieldset>
            { secret_label }
            { text_input(props, secret_field) }
            if let Some(hint) = d.secret_hint() {
                <p id="mb-secret-hint" class="muted small" data-testid="mailbox-secret-hint">{ hint }</p>
            }
            <label for="mb-folders">{ "Folders (comma-separated; INBOX when empty)" }</label>
            { text_input(props, Field::Folders) }
            if let Some(message) = &props.error {
                <p class="inline-error" role="alert" data-testid="mailbox-error">{ message }</p>
            }
            <div class="btn-row">
                <button type="submit" class="btn btn--primary" disabled={props.busy}
                    aria-busy={props.busy.to_string()}
                    data-testid={if editing.is_some() { "mailbox-save" } else { "mailbox-connect" }}>
                    { if editing.is_some() { "Save changes" } else { "Connect" } }
                </button>
                if editing.is_some() {
                    <button type="button" class="btn btn--ghost" data-testid="mailbox-cancel-edit"
                        disabled={props.busy} onclick={props.on_cancel.reform(|_: MouseEvent| ())}>
                        { "Cancel" }
                    </button>
                }
            </div>
        </form>
    }
}
