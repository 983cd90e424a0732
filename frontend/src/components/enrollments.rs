//! The sequence summary's Enrollments tab: selectable rows, a bulk Unenroll, per-row Actions menus,
//! and the confirm dialog for whichever unenroll is pending.

use shared::{EnrollmentState, EnrollmentView, UnenrollSurface};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::ConfirmDialog;
use crate::clock::Clock;
use crate::format;
use crate::route::Route;

/// An unenroll waiting for confirmation (or running).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUnenroll {
    pub enrollment_ids: Vec<i64>,
    pub surface: UnenrollSurface,
    pub busy: bool,
    pub error: Option<String>,
}

#[derive(Properties, PartialEq)]
pub struct EnrollmentsTableProps {
    pub enrollments: Vec<EnrollmentView>,
    pub sequence_name: AttrValue,
    pub clock: Clock,
    #[prop_or_default]
    pub selected: Vec<i64>,
    #[prop_or_default]
    pub open_menu: Option<i64>,
    #[prop_or_default]
    pub pending: Option<PendingUnenroll>,
    #[prop_or_default]
    pub filter: Option<EnrollmentState>,
    pub on_toggle: Callback<i64>,
    pub on_toggle_all: Callback<bool>,
    /// Asks to unenroll the selection (opens the dialog).
    pub on_bulk_unenroll: Callback<()>,
    /// Opens or closes a row's Actions menu.
    pub on_menu: Callback<Option<i64>>,
    /// "Unenroll" in a row's Actions menu (opens the dialog).
    pub on_row_unenroll: Callback<i64>,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
    pub on_filter: Callback<Option<EnrollmentState>>,
}

fn is_open(e: &EnrollmentView) -> bool {
    matches!(e.state, EnrollmentState::Active | EnrollmentState::Paused)
}

#[function_component]
pub fn EnrollmentsTable(props: &EnrollmentsTableProps) -> Html {
    let clock = props.clock;
    let selectable: Vec<i64> = props
        .enrollments
        .iter()
        .filter(|e| is_open(e))
        .map(|e| e.id)
        .collect();
    let all_selected =
        !selectable.is_empty() && selectable.iter().all(|id| props.selected.contains(id));
    let count = props.selected.len();
    let on_filter = props.on_filter.reform(|e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        EnrollmentState::parse(&select.value())
    });
    let rows = props.enrollments.iter().map(|e| row(props, e, clock));
    let dialog = props.pending.as_ref().map(|p| {
        let (title, message) = confirm_text(p, &props.enrollments, &props.sequence_name);
        html! {
            <ConfirmDialog {title} {message} busy={p.busy}
                error={p.error.clone().map(AttrValue::from)}
                on_confirm={props.on_confirm.clone()} on_cancel={props.on_cancel.clone()} />
        }
    });
    html! {
        <div class="enrollments" data-testid="enrollments">
            <div class="toolbar">
                <span class="toolbar__count" data-testid="selection-count" aria-live="polite">
                    { if count == 0 { "No contacts selected".to_string() } else { format!("{count} selected") } }
                </span>
                <button type="button" class="btn btn--danger" data-testid="bulk-unenroll"
                    disabled={count == 0} onclick={props.on_bulk_unenroll.reform(|_: MouseEvent| ())}>
                    { if count == 0 { "Unenroll".to_string() } else { format!("Unenroll ({count})") } }
                </button>
                <label class="toolbar__filter">
                    <span>{ "Show" }</span>
                    <select data-testid="enrollments-filter" onchange={on_filter}>
                        <option value="" selected={props.filter.is_none()}>{ "All states" }</option>
                        { for [EnrollmentState::Active, EnrollmentState::Paused, EnrollmentState::Finished, EnrollmentState::Unenrolled]
                            .into_iter().map(|s| html! {
                                <option value={s.as_str()} selected={props.filter == Some(s)}>{ format::enrollment_state(s) }</option>
                            }) }
                    </select>
                </label>
            </div>
            if props.enrollments.is_empty() {
                <p class="empty" data-testid="enrollments-empty">{ "No enrollments to show." }</p>
            } else {
                <div class="table-wrap">
                    <table class="table" data-testid="enrollments-table">
                        <thead><tr>
                            <th class="col-check">
                                <input type="checkbox" aria-label="Select all active and paused enrollments"
                                    data-testid="select-all" checked={all_selected}
                                    disabled={selectable.is_empty()}
                                    onchange={props.on_toggle_all.reform(move |_: Event| !all_selected)} />
                            </th>
                            <th scope="col">{ "Contact" }</th>
                            <th scope="col">{ "State" }</th>
                            <th scope="col">{ "Step" }</th>
                            <th scope="col">{ "Enrolled by" }</th>
                            <th scope="col">{ "Enrolled" }</th>
                            <th scope="col">{ "Next step / ended" }</th>
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

fn row(props: &EnrollmentsTableProps, e: &EnrollmentView, clock: Clock) -> Html {
    let id = e.id;
    let open = is_open(e);
    let checked = props.selected.contains(&id);
    let menu_open = props.open_menu == Some(id);
    let state_detail = match e.state {
        EnrollmentState::Paused => Some(format::pause(
            e.pause_reason,
            e.paused_until.as_deref(),
            clock,
        )),
        EnrollmentState::Unenrolled => e
            .unenroll_reason
            .map(|r| format::unenroll_reason(r).to_string()),
        _ => None,
    };
    let when = match (&e.ended_at, &e.next_step_at) {
        (Some(end), _) => format::ts(end, clock, format::date_time),
        (None, Some(next)) => format::ts(next, clock, format::date_time),
        _ => "—".into(),
    };
    let toggle_menu = props
        .on_menu
        .reform(move |_: MouseEvent| if menu_open { None } else { Some(id) });
    let on_menu_key = {
        let on_menu = props.on_menu.clone();
        Callback::from(move |ev: KeyboardEvent| {
            if ev.key() == "Escape" {
                on_menu.emit(None);
            }
        })
    };
    html! {
        <tr key={id} data-testid={format!("enrollment-row-{id}")} data-state={e.state.as_str()}
            class={classes!(checked.then_some("is-selected"))}>
            <td class="col-check">
                <input type="checkbox" aria-label={format!("Select {}", e.contact.name)}
                    data-testid={format!("row-select-{id}")} checked={checked} disabled={!open}
                    onchange={props.on_toggle.reform(move |_: Event| id)} />
            </td>
            <td>
                <a href={Route::Contact { id: e.contact.id }.href()} class="strong">{ &e.contact.name }</a>
                <div class="muted small">{ &e.contact.email }</div>
            </td>
            <td>
                <span class={classes!("pill", state_pill(e.state))} data-testid={format!("row-state-{id}")}>
                    { format::enrollment_state(e.state) }
                </span>
                if let Some(detail) = state_detail { <div class="muted small">{ detail }</div> }
            </td>
            <td>{ format!("{} of {}", e.current_step, e.total_steps) }</td>
            <td>{ &e.enrolled_by.name }</td>
            <td>{ format::ts(&e.enrolled_at, clock, format::date) }</td>
            <td>{ when }</td>
            <td class="col-actions">
                if open {
                    <div class="menu">
                        <button type="button" class="btn btn--ghost btn--small" aria-haspopup="menu"
                            aria-expanded={menu_open.to_string()} aria-label={format!("Actions for {}", e.contact.name)}
                            data-testid={format!("row-actions-{id}")} onclick={toggle_menu}>
                            { "Actions ▾" }
                        </button>
                        if menu_open {
                            <div class="menu__list" role="menu" data-testid={format!("row-menu-{id}")}
                                onkeydown={on_menu_key}>
                                <button type="button" role="menuitem" class="menu__item menu__item--danger"
                                    data-testid={format!("row-unenroll-{id}")}
                                    onclick={props.on_row_unenroll.reform(move |_: MouseEvent| id)}>
                                    { "Unenroll" }
                                </button>
                                <a role="menuitem" class="menu__item" href={Route::Contact { id: e.contact.id }.href()}>
                                    { "View contact" }
                                </a>
                            </div>
                        }
                    </div>
                }
            </td>
        </tr>
    }
}

pub(crate) fn state_pill(state: EnrollmentState) -> &'static str {
    match state {
        EnrollmentState::Active => "pill--warn",
        EnrollmentState::Paused => "pill--paused",
        EnrollmentState::Finished => "pill--ok",
        _ => "pill--muted",
    }
}

/// The dialog names how many contacts (or which one) and the sequence.
fn confirm_text(
    p: &PendingUnenroll,
    enrollments: &[EnrollmentView],
    sequence: &str,
) -> (String, String) {
    let n = p.enrollment_ids.len();
    let who = match (
        n,
        enrollments
            .iter()
            .find(|e| p.enrollment_ids.first() == Some(&e.id)),
    ) {
        (1, Some(e)) => e.contact.name.clone(),
        (1, None) => "1 contact".to_string(),
        _ => format!("{n} contacts"),
    };
    (
        format!("Unenroll {who}?"),
        format!(
            "{} will be unenrolled from {sequence} and receive no further steps. Their history and the sequence's performance figures are kept.",
            if n == 1 { who.clone() } else { format!("These {n} contacts") }
        ),
    )
}
