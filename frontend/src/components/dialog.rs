//! A modal confirmation: focus moves to the confirm button, Escape cancels.

use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConfirmDialogProps {
    pub title: AttrValue,
    pub message: AttrValue,
    #[prop_or(AttrValue::Static("Unenroll"))]
    pub confirm_label: AttrValue,
    #[prop_or_default]
    pub busy: bool,
    #[prop_or_default]
    pub error: Option<AttrValue>,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[function_component]
pub fn ConfirmDialog(props: &ConfirmDialogProps) -> Html {
    let confirm_ref = use_node_ref();
    {
        let confirm_ref = confirm_ref.clone();
        use_effect_with((), move |()| {
            if let Some(el) = confirm_ref.cast::<HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    let on_keydown = {
        let cancel = props.on_cancel.clone();
        Callback::from(move |ev: KeyboardEvent| {
            if ev.key() == "Escape" {
                cancel.emit(());
            }
        })
    };
    html! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title"
                aria-describedby="confirm-message" data-testid="confirm-dialog" onkeydown={on_keydown}>
                <h2 id="confirm-title" class="modal__title">{ &props.title }</h2>
                <p id="confirm-message">{ &props.message }</p>
                if let Some(error) = &props.error {
                    <p class="inline-error" role="alert" data-testid="confirm-dialog-error">{ error }</p>
                }
                <div class="btn-row btn-row--end">
                    <button type="button" class="btn btn--ghost" data-testid="confirm-dialog-cancel"
                        disabled={props.busy} onclick={props.on_cancel.reform(|_: MouseEvent| ())}>
                        { "Cancel" }
                    </button>
                    <button type="button" class="btn btn--danger" ref={confirm_ref}
                        data-testid="confirm-dialog-confirm" disabled={props.busy}
                        aria-busy={props.busy.to_string()}
                        onclick={props.on_confirm.reform(|_: MouseEvent| ())}>
                        { if props.busy { "Unenrolling…".into() } else { props.confirm_label.clone() } }
                    </button>
                </div>
            </div>
        </div>
    }
}
