//! Connected mailboxes (admins): where Sequencer reads replies, bounces and out-of-office mail.
//! Connect one (IMAP with or without TLS, password or OAuth2 token, or webhook only), see its
//! webhook secret once, change its settings, disconnect it. The form's rules are in
//! [`crate::mailbox_form`]; the server decides whether stored credentials may be kept.

use shared::MailboxView;
use yew::prelude::*;

use super::{focus_selector, loaded, use_load, AppCtx};
use crate::components::{edit_button_id, Announcer, ConfirmDialog, MailboxForm, MailboxList};
use crate::mailbox_form::{DraftAction, MailboxDraft};

#[function_component]
pub fn MailboxesPage() -> Html {
    let ctx = use_context::<AppCtx>();
    let (list, reload) = use_load((), |api, ()| async move { api.mailboxes().await });
    let draft = use_reducer(MailboxDraft::default);
    let busy = use_state(|| false);
    let form_error = use_state(|| None::<String>);
    let remove_error = use_state(|| None::<String>);
    let secret = use_state(|| None::<(String, String)>);
    let removing = use_state(|| None::<MailboxView>);
    let announcement = use_state(String::new);

    let on_submit = {
        let (busy, error, secret, announcement, reload, draft, ctx) = (
            busy.clone(),
            form_error.clone(),
            secret.clone(),
            announcement.clone(),
            reload.clone(),
            draft.clone(),
            ctx.clone(),
        );
        Callback::from(move |()| {
            let Some(ctx) = ctx.clone() else { return };
            let req = match draft.request() {
                Ok(r) => r,
                Err(e) => return error.set(Some(e)),
            };
            let editing = draft.editing.as_ref().map(|e| e.id);
            busy.set(true);
            error.set(None);
            let (busy, error, secret, announcement, reload, draft) = (
                busy.clone(),
                error.clone(),
                secret.clone(),
                announcement.clone(),
                reload.clone(),
                draft.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let saved = match editing {
                    Some(id) => ctx.api.update_mailbox(id, &req).await.map(|m| {
                        announcement.set(format!("Saved {}.", m.address));
                        focus_selector(&format!("#{}", edit_button_id(id)));
                    }),
                    None => ctx.api.create_mailbox(&req).await.map(|m| {
                        secret.set(m.webhook_secret.clone().map(|s| (m.address.clone(), s)));
                    }),
                };
                match saved {
                    // Nothing typed is lost on failure; on success the secrets go with the rest.
                    Ok(()) => {
                        draft.dispatch(DraftAction::Reset);
                        reload.emit(());
                    }
                    Err(e) if e.is_unauthorized() => ctx.on_unauthorized.emit(()),
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
    let on_edit = {
        let (draft, error) = (draft.clone(), form_error.clone());
        Callback::from(move |m: MailboxView| {
            error.set(None);
            draft.dispatch(DraftAction::Edit(m));
            focus_selector("#mb-address");
        })
    };
    let on_cancel_edit = {
        let (draft, error, busy) = (draft.clone(), form_error.clone(), busy.clone());
        Callback::from(move |()| {
            if *busy {
                return;
            }
            let id = draft.editing.as_ref().map(|e| e.id);
            error.set(None);
            draft.dispatch(DraftAction::Reset);
            if let Some(id) = id {
                focus_selector(&format!("#{}", edit_button_id(id)));
            }
        })
    };
    let on_change = {
        let draft = draft.clone();
        Callback::from(move |a: DraftAction| draft.dispatch(a))
    };
    let on_confirm = {
        let (removing, busy, error, announcement, reload, draft, ctx) = (
            removing.clone(),
            busy.clone(),
            remove_error.clone(),
            announcement.clone(),
            reload.clone(),
            draft.clone(),
            ctx.clone(),
        );
        Callback::from(move |()| {
            let (Some(m), Some(ctx)) = ((*removing).clone(), ctx.clone()) else {
                return;
            };
            // Disconnecting the mailbox being edited ends the edit.
            let was_editing = draft.editing.as_ref().is_some_and(|e| e.id == m.id);
            busy.set(true);
            let (removing, busy, error, announcement, reload, draft) = (
                removing.clone(),
                busy.clone(),
                error.clone(),
                announcement.clone(),
                reload.clone(),
                draft.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.delete_mailbox(m.id).await {
                    Ok(()) => {
                        removing.set(None);
                        if was_editing {
                            draft.dispatch(DraftAction::Reset);
                        }
                        announcement.set(format!("{} was disconnected.", m.address));
                        reload.emit(());
                    }
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
    let on_disconnect = {
        let (removing, error) = (removing.clone(), remove_error.clone());
        Callback::from(move |m: MailboxView| {
            error.set(None);
            removing.set(Some(m));
        })
    };
    let on_cancel_remove = {
        let (removing, error) = (removing.clone(), remove_error.clone());
        Callback::from(move |()| {
            error.set(None);
            removing.set(None);
        })
    };

    let editing = draft.editing.as_ref().map(|e| e.id);
    let rows = loaded(&list, &reload, |l| {
        html! {
            <MailboxList mailboxes={l.mailboxes.clone()} {editing} {on_edit} {on_disconnect} />
        }
    });
    let dialog = match &*removing {
        Some(m) => html! {
            <ConfirmDialog title={format!("Disconnect {}?", m.address)}
                message="Sequencer stops reading this mailbox; replies to it will no longer unenroll anyone. Past evidence stays."
                confirm_label="Disconnect" busy={*busy}
                error={(*remove_error).clone().map(AttrValue::from)}
                on_confirm={on_confirm} on_cancel={on_cancel_remove} />
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
            <MailboxForm draft={(*draft).clone()} busy={*busy}
                error={(*form_error).clone().map(AttrValue::from)}
                {on_change} {on_submit} on_cancel={on_cancel_edit} />
            { dialog }
            <Announcer message={(*announcement).clone()} />
        </section>
    }
}
