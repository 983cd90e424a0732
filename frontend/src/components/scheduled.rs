//! The sequence summary's Scheduled tab: upcoming steps; hovering or focusing a row reveals its
//! Unenroll button (CSS `:hover`/`:focus-within`, so keyboard users get it too).

use shared::ScheduledStepView;
use yew::prelude::*;

use super::{ConfirmDialog, PendingUnenroll};
use crate::clock::Clock;
use crate::format;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct ScheduledTableProps {
    pub scheduled: Vec<ScheduledStepView>,
    pub sequence_name: AttrValue,
    pub clock: Clock,
    #[prop_or_default]
    pub pending: Option<PendingUnenroll>,
    /// Unenroll pressed on a row (opens the dialog); carries the enrollment id.
    pub on_unenroll: Callback<i64>,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[function_component]
pub fn ScheduledTable(props: &ScheduledTableProps) -> Html {
    let clock = props.clock;
    let rows = props.scheduled.iter().map(|s| {
        let id = s.enrollment_id;
        html! {
            <tr key={format!("{id}-{}", s.step_number)} class="reveal-row" tabindex="0"
                data-testid={format!("scheduled-row-{id}")}>
                <td>
                    <a href={Route::Contact { id: s.contact.id }.href()} class="strong">{ &s.contact.name }</a>
                    <div class="muted small">{ &s.contact.email }</div>
                </td>
                <td>
                    { format!("Step {} of {}", s.step_number, s.total_steps) }
                    <div class="muted small">{ format::step_kind(s.kind) }</div>
                </td>
                <td class="col-subject">{ &s.subject }</td>
                <td>
                    { format::ts(&s.due_at, clock, format::date_time) }
                    <div class="muted small">{ format::ts(&s.due_at, clock, format::relative) }</div>
                </td>
                <td class="col-actions">
                    <button type="button" class="btn btn--danger btn--small reveal"
                        aria-label={format!("Unenroll {}", s.contact.name)}
                        data-testid={format!("scheduled-unenroll-{id}")}
                        onclick={props.on_unenroll.reform(move |_: MouseEvent| id)}>
                        { "Unenroll" }
                    </button>
                </td>
            </tr>
        }
    });
    let dialog = props.pending.as_ref().map(|p| {
        let name = p
            .enrollment_ids
            .first()
            .and_then(|id| props.scheduled.iter().find(|s| s.enrollment_id == *id))
            .map_or_else(|| "this contact".to_string(), |s| s.contact.name.clone());
        html! {
            <ConfirmDialog title={format!("Unenroll {name}?")}
                message={format!("{name} will be unenrolled from {} and their scheduled steps cancelled.", props.sequence_name)}
                busy={p.busy} error={p.error.clone().map(AttrValue::from)}
                on_confirm={props.on_confirm.clone()} on_cancel={props.on_cancel.clone()} />
        }
    });
    html! {
        <div class="scheduled" data-testid="scheduled">
            if props.scheduled.is_empty() {
                <p class="empty" data-testid="scheduled-empty">{ "Nothing is scheduled." }</p>
            } else {
                <div class="table-wrap">
                    <table class="table" data-testid="scheduled-table">
                        <thead><tr>
                            <th scope="col">{ "Contact" }</th>
                            <th scope="col">{ "Step" }</th>
                            <th scope="col">{ "Subject" }</th>
                            <th scope="col">{ "Due" }</th>
                            <th scope="col"><span class="sr-only">{ "Actions" }</span></th>
                        </tr></thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
            { for dialog }
        </div>
    }
}
