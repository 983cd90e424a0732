//! One recipient of the message: the contact card and its sequence status.

use shared::{EnrollmentState, RecentUnenrollmentView, RecipientView};
use yew::prelude::*;

use super::{EnrollmentBanner, UnenrollUi};
use crate::clock::Clock;
use crate::format;

/// What the panel says about a recipient, in priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientStatus {
    Invalid,
    NotInCrm,
    Enrolled,
    Paused,
    RecentlyUnenrolled,
    NotEnrolled,
}

impl RecipientStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Invalid => "invalid",
            RecipientStatus::NotInCrm => "not_in_crm",
            RecipientStatus::Enrolled => "enrolled",
            RecipientStatus::Paused => "paused",
            RecipientStatus::RecentlyUnenrolled => "recently_unenrolled",
            RecipientStatus::NotEnrolled => "not_enrolled",
        }
    }

    fn pill(self) -> (&'static str, &'static str) {
        match self {
            RecipientStatus::Invalid => ("Check address", "pill--muted"),
            RecipientStatus::NotInCrm => ("Not in CRM", "pill--muted"),
            RecipientStatus::Enrolled => ("Enrolled", "pill--warn"),
            RecipientStatus::Paused => ("Paused", "pill--paused"),
            RecipientStatus::RecentlyUnenrolled => ("Unenrolled", "pill--info"),
            RecipientStatus::NotEnrolled => ("Not enrolled", "pill--ok"),
        }
    }
}

pub fn recipient_status(r: &RecipientView) -> RecipientStatus {
    match (&r.error, &r.contact, &r.enrollment) {
        (Some(_), _, _) => RecipientStatus::Invalid,
        (None, None, _) => RecipientStatus::NotInCrm,
        (None, Some(_), Some(e)) if e.state == EnrollmentState::Paused => RecipientStatus::Paused,
        (None, Some(_), Some(_)) => RecipientStatus::Enrolled,
        (None, Some(_), None) if !r.recent_unenrollments.is_empty() => {
            RecipientStatus::RecentlyUnenrolled
        }
        _ => RecipientStatus::NotEnrolled,
    }
}

#[derive(Properties, PartialEq)]
pub struct RecipientCardProps {
    pub recipient: RecipientView,
    pub clock: Clock,
    #[prop_or_default]
    pub ui: UnenrollUi,
    /// Several recipients: one line each, details only where action is needed.
    #[prop_or_default]
    pub compact: bool,
    pub on_unenroll: Callback<()>,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[function_component]
pub fn RecipientCard(props: &RecipientCardProps) -> Html {
    let r = &props.recipient;
    let status = recipient_status(r);
    let name = r
        .contact
        .as_ref()
        .map_or(r.email.clone(), |c| c.name.clone());
    let (pill, pill_class) = status.pill();
    let meta: Vec<String> = r
        .contact
        .iter()
        .flat_map(|c| [Some(c.title.clone()), c.company.clone()])
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    let owner = r.contact.as_ref().and_then(|c| c.owner.clone());
    let show_details = !props.compact;
    let body = match status {
        RecipientStatus::Invalid => html! {
            <p class="notice notice--error" data-testid="status-invalid">
                { format!("Couldn't check this address: {}", r.error.as_ref().map(|e| e.message.as_str()).unwrap_or("invalid address")) }
            </p>
        },
        RecipientStatus::NotInCrm if show_details => html! {
            <p class="notice" data-testid="status-not-in-crm">
                { "Not in the CRM: no contact has this address." }
            </p>
        },
        RecipientStatus::Enrolled | RecipientStatus::Paused => match &r.enrollment {
            Some(e) => html! {
                <EnrollmentBanner enrollment={e.clone()} contact_name={name.clone()}
                    clock={props.clock} ui={props.ui.clone()}
                    on_unenroll={props.on_unenroll.clone()} on_confirm={props.on_confirm.clone()}
                    on_cancel={props.on_cancel.clone()} />
            },
            None => Html::default(),
        },
        RecipientStatus::RecentlyUnenrolled => html! {
            <div class="notice" data-testid="status-recently-unenrolled" tabindex="-1">
                if show_details { <p>{ "Not enrolled in a sequence." }</p> }
                <ul class="history">
                    { for r.recent_unenrollments.iter().map(|u| unenrolled_line(u, props.clock)) }
                </ul>
            </div>
        },
        RecipientStatus::NotEnrolled if show_details => html! {
            <p class="notice" data-testid="status-not-enrolled">{ "Not enrolled in a sequence." }</p>
        },
        _ => Html::default(),
    };
    let auto_replies = r.recent_auto_replies.iter().map(|ev| {
        html! {
            <li data-testid="auto-reply">
                { format!("Out-of-office reply {}", format::ts(&ev.at, props.clock, format::relative)) }
                if !ev.summary.is_empty() { <span class="muted">{ format!(": {}", ev.summary) }</span> }
            </li>
        }
    });
    html! {
        <li class={classes!("recipient", props.compact.then_some("recipient--compact"))}
            data-testid="recipient-card" data-email={r.email.clone()} data-status={status.as_str()}>
            <div class="recipient__head">
                <span class={classes!("avatar", r.contact.is_none().then_some("avatar--unknown"))} aria-hidden="true">
                    { if r.contact.is_some() { format::initials(&name) } else { "?".to_string() } }
                </span>
                <div class="recipient__who">
                    <p class="recipient__name">{ &name }</p>
                    if show_details && !meta.is_empty() {
                        <p class="recipient__meta">{ meta.join(" · ") }</p>
                    }
                    if r.contact.is_some() {
                        <p class="recipient__meta">
                            { &r.email }
                            if let (true, Some(owner)) = (show_details, owner) { { format!(" · Owner: {owner}") } }
                        </p>
                    }
                </div>
                <span class={classes!("pill", pill_class)} data-testid="recipient-status">{ pill }</span>
            </div>
            { body }
            if !r.recent_auto_replies.is_empty() {
                <ul class="history history--ooo">{ for auto_replies }</ul>
            }
        </li>
    }
}

fn unenrolled_line(u: &RecentUnenrollmentView, clock: Clock) -> Html {
    let mut text = format!(
        "Unenrolled {} from {}: {}",
        format::ts(&u.at, clock, format::relative),
        u.sequence_name,
        format::unenroll_reason(u.reason)
    );
    if let Some(evidence) = format::evidence(u.evidence.as_ref()) {
        text.push_str(&format!(" ({evidence})"));
    }
    let by = format::actor(u.actor.as_ref(), u.evidence.as_ref());
    html! {
        <li data-testid="unenrolled-line" data-reason={u.reason.as_str()}>
            { text }
            if let Some(by) = by { <span class="muted">{ format!(" · {by}") }</span> }
        </li>
    }
}
