//! The panel's warning for an enrolled (or paused) recipient, with the inline unenroll flow.

use shared::{ActiveEnrollmentView, EnrollmentState};
use web_sys::HtmlElement;
use yew::prelude::*;

use super::UnenrollUi;
use crate::clock::Clock;
use crate::format;

#[derive(Properties, PartialEq)]
pub struct EnrollmentBannerProps {
    pub enrollment: ActiveEnrollmentView,
    /// The contact's display name, for the confirmation question.
    pub contact_name: AttrValue,
    pub clock: Clock,
    #[prop_or_default]
    pub ui: UnenrollUi,
    /// "Unenroll from sequence" was pressed: ask for confirmation.
    pub on_unenroll: Callback<()>,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[function_component]
pub fn EnrollmentBanner(props: &EnrollmentBannerProps) -> Html {
    let e = &props.enrollment;
    let clock = props.clock;
    let confirm_ref = use_node_ref();
    let unenroll_ref = use_node_ref();
    {
        // Focus follows the flow: into the confirmation, and back to the button on cancel.
        let (confirm_ref, unenroll_ref) = (confirm_ref.clone(), unenroll_ref.clone());
        let previous = use_mut_ref(|| UnenrollUi::Idle);
        use_effect_with(props.ui.clone(), move |ui| {
            let was_confirming = *previous.borrow() == UnenrollUi::Confirming;
            *previous.borrow_mut() = ui.clone();
            let target = match ui {
                UnenrollUi::Confirming => Some(confirm_ref),
                // Cancel unmounted the focused button: give focus back to "Unenroll".
                UnenrollUi::Idle if was_confirming => Some(unenroll_ref),
                _ => None,
            };
            if let Some(el) = target.and_then(|r| r.cast::<HtmlElement>()) {
                let _ = el.focus();
            }
        });
    }
    let paused = e.state == EnrollmentState::Paused;
    let title_id = format!("banner-title-{}", e.enrollment_id);
    let next = match (&e.next_step_kind, &e.next_step_at) {
        (_, _) if paused => None,
        (Some(kind), Some(at)) => Some(format!(
            "{} · {} ({})",
            format::step_kind(*kind),
            format::ts(at, clock, format::date_time),
            format::ts(at, clock, format::relative)
        )),
        (None, Some(at)) => Some(format!(
            "{} ({})",
            format::ts(at, clock, format::date_time),
            format::ts(at, clock, format::relative)
        )),
        (Some(kind), None) => Some(format::step_kind(*kind).to_string()),
        (None, None) => None,
    };
    let enrolled = format!(
        "by {} · {}",
        e.enrolled_by.name,
        format::ts(&e.enrolled_at, clock, format::relative)
    );
    let class = classes!(
        "banner",
        if paused {
            "banner--paused"
        } else {
            "banner--warn"
        }
    );
    let on_unenroll = props.on_unenroll.reform(|_: MouseEvent| ());
    let on_confirm = props.on_confirm.reform(|_: MouseEvent| ());
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let on_keydown = {
        let cancel = props.on_cancel.clone();
        Callback::from(move |ev: KeyboardEvent| {
            if ev.key() == "Escape" {
                cancel.emit(());
            }
        })
    };
    let actions = match &props.ui {
        UnenrollUi::Idle | UnenrollUi::Failed(_) => html! {
            <button type="button" class="btn btn--danger" ref={unenroll_ref}
                data-testid="unenroll-button" onclick={on_unenroll}>
                { "Unenroll from sequence" }
            </button>
        },
        UnenrollUi::Confirming => html! {
            <div class="confirm-inline" role="group" aria-label="Confirm unenroll"
                data-testid="unenroll-confirmation" onkeydown={on_keydown}>
                <p class="confirm-inline__q">
                    { format!("Unenroll {} from {}? No further steps will run.", props.contact_name, e.sequence_name) }
                </p>
                <div class="btn-row">
                    <button type="button" class="btn btn--danger" ref={confirm_ref}
                        data-testid="unenroll-confirm" onclick={on_confirm}>{ "Unenroll" }</button>
                    <button type="button" class="btn btn--ghost" data-testid="unenroll-cancel"
                        onclick={on_cancel}>{ "Cancel" }</button>
                </div>
            </div>
        },
        UnenrollUi::Working => html! {
            <button type="button" class="btn btn--danger" disabled=true aria-busy="true"
                data-testid="unenroll-button">{ "Unenrolling…" }</button>
        },
    };
    html! {
        <section class={class} aria-labelledby={title_id.clone()} data-testid="enrollment-banner"
            data-enrollment-id={e.enrollment_id.to_string()} data-state={e.state.as_str()}>
            <p class="banner__title" id={title_id}>
                <span class="banner__icon" aria-hidden="true">{ "!" }</span>
                { "This contact is currently enrolled in a sequence" }
            </p>
            if paused {
                <p class="banner__pause" data-testid="banner-pause">
                    { format::pause(e.pause_reason, e.paused_until.as_deref(), clock) }
                </p>
            }
            <dl class="facts">
                <div><dt>{ "Sequence" }</dt><dd data-testid="banner-sequence">{ &e.sequence_name }</dd></div>
                <div><dt>{ "Progress" }</dt><dd data-testid="banner-step">
                    { format!("Step {} of {}", e.step_number, e.total_steps) }</dd></div>
                if let Some(next) = next {
                    <div><dt>{ "Next step" }</dt><dd data-testid="banner-next">{ next }</dd></div>
                }
                <div><dt>{ "Enrolled" }</dt><dd data-testid="banner-enrolled">{ enrolled }</dd></div>
            </dl>
            if let UnenrollUi::Failed(msg) = &props.ui {
                <p class="inline-error" role="alert" data-testid="unenroll-error">{ msg }</p>
            }
            <div class="banner__actions">{ actions }</div>
        </section>
    }
}
