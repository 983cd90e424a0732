//! Connected mailboxes (admins): where Sequencer reads replies, bounces and out-of-office mail.
//! Connect one (IMAP, or webhook only), see its webhook secret once, disconnect it.

use shared::{ImapSettingsRequest, MailboxRequest, MailboxView};
use web_sys::{HtmlInputElement, SubmitEvent};
use yew::prelude::*;

use super::{loaded, use_load, AppCtx};
use crate::components::{Announcer, ConfirmDialog};

/// The form's fields, read when it is submitted.
#[derive(Default)]
struct Fields {
    address: NodeRef,
    host: NodeRef,
    port: NodeRef,
    username: NodeRef,
    password: NodeRef,
    folders: NodeRef,
}

fn value(r: &NodeRef) -> String {
    r.cast::<HtmlInputElement>()
        .map(|i| i.value().trim().to_string())
        .unwrap_or_default()
}

fn clear(f: &Fields) {
    for r in [
        &f.address,
        &f.host,
        &f.port,
        &f.username,
        &f.password,
        &f.folders,
    ] {
        if let Some(i) = r.cast::<HtmlInputElement>() {
            i.set_value("");
        }
    }
}

/// The request the form describes; IMAP only when a host is given.
fn request(f: &Fields) -> Result<MailboxRequest, String> {
    let host = value(&f.host);
    let imap = if host.is_empty() {
        None
    } else {
        let port = match value(&f.port) {
            p if p.is_empty() => None,
            p => Some(p.parse::<u16>().map_err(|_| format!("{p} is not a port"))?),
        };
        let password = value(&f.password);
        Some(ImapSettingsRequest {
            host,
            port,
            tls: true,
            username: value(&f.username),
            password: (!password.is_empty()).then_some(password),
            oauth_token: None,
            folders: value(&f.folders)
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        })
    };
    Ok(MailboxRequest {
        address: value(&f.address),
        user_id: None,
        imap,
    })
}

fn describe(m: &MailboxView) -> String {
    match &m.imap {
        Some(i) => {
            let folders = if i.folders.is_empty() {
                "INBOX".to_string()
            } else {
                i.folders.join(", ")
            };
            format!("IMAP {}@{}:{} · {folders}", i.username, i.host, i.port)
        }
        None => "Webhook only".into(),
    }
}

#[function_component]
pub fn MailboxesPage() -> Html {
    let ctx = use_context::<AppCtx>();
    let (list, reload) = use_load((), |api, ()| async move { api.mailboxes().await });
    let fields = use_memo((), |()| Fields::default());
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let secret = use_state(|| None::<(String, String)>);
    let removing = use_state(|| None::<MailboxView>);
    let announcement = use_state(String::new);

    let onsubmit = {
        let (busy, error, secret, reload, fields, ctx) = (
            busy.clone(),
            error.clone(),
            secret.clone(),
            reload.clone(),
            fields.clone(),
            ctx.clone(),
        );
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            let Some(ctx) = ctx.clone() else { return };
            let req = match request(&fields) {
                Ok(r) => r,
                Err(e) => return error.set(Some(e)),
            };
            busy.set(true);
            error.set(None);
            let (busy, error, secret, reload, fields) = (
                busy.clone(),
                error.clone(),
                secret.clone(),
                reload.clone(),
                fields.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.create_mailbox(&req).await {
                    Ok(m) => {
                        secret.set(m.webhook_secret.clone().map(|s| (m.address.clone(), s)));
                        clear(&fields);
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
    let on_confirm = {
        let (removing, busy, error, announcement, reload, ctx) = (
            removing.clone(),
            busy.clone(),
            error.clone(),
            announcement.clone(),
            reload.clone(),
            ctx.clone(),
        );
        Callback::from(move |()| {
            let (Some(m), Some(ctx)) = ((*removing).clone(), ctx.clone()) else {
                return;
            };
            busy.set(true);
            let (removing, busy, error, announcement, reload) = (
                removing.clone(),
                busy.clone(),
                error.clone(),
                announcement.clone(),
                reload.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.delete_mailbox(m.id).await {
                    Ok(()) => {
                        removing.set(None);
                        announcement.set(format!("{} was disconnected.", m.address));
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
    let on_cancel = {
        let (removing, error) = (removing.clone(), error.clone());
        Callback::from(move |()| {
            error.set(None);
            removing.set(None);
        })
    };

    let rows = loaded(&list, &reload, |l| {
        if l.mailboxes.is_empty() {
            return html! { <p class="notice" data-testid="mailboxes-none">{ "No mailbox is connected yet." }</p> };
        }
        html! {
            <ul class="card mailbox-list" data-testid="mailbox-list">
                { for l.mailboxes.iter().map(|m| {
                    let on_remove = {
                        let (removing, m) = (removing.clone(), m.clone());
                        Callback::from(move |_: MouseEvent| removing.set(Some(m.clone())))
                    };
                    html! {
                        <li key={m.id} class="mailbox" data-testid="mailbox" data-address={m.address.clone()}>
                            <div>
                                <strong>{ &m.address }</strong>
                                <p class="muted">{ describe(m) }</p>
                            </div>
                            <button type="button" class="btn" data-testid="mailbox-disconnect"
                                onclick={on_remove}>{ "Disconnect" }</button>
                        </li>
                    }
                }) }
            </ul>
        }
    });
    let dialog = match &*removing {
        Some(m) => html! {
            <ConfirmDialog title={format!("Disconnect {}?", m.address)}
                message="Sequencer stops reading this mailbox; replies to it will no longer unenroll anyone. Past evidence stays."
                confirm_label="Disconnect" busy={*busy}
                error={(*error).clone().map(AttrValue::from)}
                on_confirm={on_confirm} on_cancel={on_cancel} />
        },
        None => Html::default(),
    };
    html! {
        <section data-testid="mailboxes-page">
            <h1 class="page-title">{ "Mailboxes" }</h1>
            <p class="muted">{ "Sequencer reads these mailboxes for replies, bounces and out-of-office mail, and unenrolls contacts who engage." }</p>
            { rows }
            if let Some((address, s)) = &*secret {
                <div class="notice" data-testid="mailbox-secret">
                    { format!("Connected {address}. Providers that push mail post it to ") }
                    <code>{ "/api/v1/inbound" }</code>
                    { ", signed with this webhook secret (shown only now): " }
                    <code data-testid="mailbox-secret-value">{ s }</code>
                </div>
            }
            <form class="card mailbox-form" data-testid="mailbox-form" {onsubmit}>
                <h2 class="section-title">{ "Connect a mailbox" }</h2>
                <label for="mb-address">{ "Address" }</label>
                <input id="mb-address" ref={fields.address.clone()} type="email" required=true
                    placeholder="rep@yourcompany.example" data-testid="mailbox-address" />
                <label for="mb-host">{ "IMAP host (leave empty for webhook delivery only)" }</label>
                <input id="mb-host" ref={fields.host.clone()} type="text" data-testid="mailbox-host" />
                <label for="mb-port">{ "Port" }</label>
                <input id="mb-port" ref={fields.port.clone()} type="number" placeholder="993" />
                <label for="mb-user">{ "User name" }</label>
                <input id="mb-user" ref={fields.username.clone()} type="text" autocomplete="off" />
                <label for="mb-password">{ "Password" }</label>
                <input id="mb-password" ref={fields.password.clone()} type="password" autocomplete="new-password" />
                <label for="mb-folders">{ "Folders (comma-separated; INBOX when empty)" }</label>
                <input id="mb-folders" ref={fields.folders.clone()} type="text" placeholder="INBOX, Replies" />
                if let (Some(message), None) = ((*error).clone(), &*removing) {
                    <p class="inline-error" role="alert" data-testid="mailbox-error">{ message }</p>
                }
                <button type="submit" class="btn btn--primary" data-testid="mailbox-connect"
                    disabled={*busy}>{ "Connect" }</button>
            </form>
            { dialog }
            <Announcer message={(*announcement).clone()} />
        </section>
    }
}
