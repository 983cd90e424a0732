//! The contact record: header (with Unenroll at the top left, above the avatar), an enrollment
//! card and the activity timeline.

use shared::{ContactView, EmailStatus, EnrollmentState, EnrollmentView, TimelineEventView};
use yew::prelude::*;

use super::enrollments::state_pill;
use crate::clock::Clock;
use crate::format;
use crate::route::{Route, SequenceTab};

#[derive(Properties, PartialEq)]
pub struct ContactHeaderProps {
    pub contact: ContactView,
    /// The active or paused enrollment, if any: shows the Unenroll button.
    #[prop_or_default]
    pub enrollment: Option<EnrollmentView>,
    #[prop_or_default]
    pub busy: bool,
    pub on_unenroll: Callback<()>,
}

#[function_component]
pub fn ContactHeader(props: &ContactHeaderProps) -> Html {
    let c = &props.contact;
    let meta: Vec<String> = [
        Some(c.title.clone()),
        c.company.as_ref().map(|co| co.name.clone()),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect();
    let enrolled = props
        .enrollment
        .as_ref()
        .filter(|e| matches!(e.state, EnrollmentState::Active | EnrollmentState::Paused));
    html! {
        <header class="contact-header" data-testid="contact-header">
            <div class="contact-header__side">
                if let Some(e) = enrolled {
                    <button type="button" class="btn btn--danger btn--small" data-testid="contact-unenroll"
                        aria-label={format!("Unenroll {} from {}", c.name, e.sequence.name)}
                        disabled={props.busy} onclick={props.on_unenroll.reform(|_: MouseEvent| ())}>
                        { if props.busy { "Unenrolling…" } else { "Unenroll" } }
                    </button>
                }
                <span class="avatar avatar--lg" aria-hidden="true">{ format::initials(&c.name) }</span>
            </div>
            <div class="contact-header__main">
                <h1 class="page-title" data-testid="contact-name">{ &c.name }</h1>
                if !meta.is_empty() { <p class="muted">{ meta.join(" · ") }</p> }
                <p class="muted">
                    <a href={format!("mailto:{}", c.email)}>{ &c.email }</a>
                    if let Some(owner) = &c.owner { { format!(" · Owner: {}", owner.name) } }
                </p>
                <p class="badges">
                    if let Some(e) = enrolled {
                        <span class={classes!("pill", state_pill(e.state))} data-testid="contact-enrolled-pill">
                            { format!("{} in {}", format::enrollment_state(e.state), e.sequence.name) }
                        </span>
                    }
                    if c.email_status == EmailStatus::Bounced {
                        <span class="pill pill--danger">{ "Email bounced" }</span>
                    }
                    if c.unsubscribed { <span class="pill pill--muted">{ "Unsubscribed" }</span> }
                </p>
            </div>
        </header>
    }
}

#[derive(Properties, PartialEq)]
pub struct EnrollmentCardProps {
    pub enrollment: EnrollmentView,
    pub clock: Clock,
    #[prop_or(AttrValue::Static("enrollment-card"))]
    pub testid: AttrValue,
}

#[function_component]
pub fn EnrollmentCard(props: &EnrollmentCardProps) -> Html {
    let e = &props.enrollment;
    let clock = props.clock;
    let href = Route::Sequence {
        id: e.sequence.id,
        tab: SequenceTab::Enrollments,
    }
    .href();
    let ended = e.ended_at.as_ref().map(|at| {
        let mut s = format!(
            "{} {}",
            format::enrollment_state(e.state),
            format::ts(at, clock, format::relative)
        );
        if let Some(reason) = e.unenroll_reason {
            s.push_str(&format!(": {}", format::unenroll_reason(reason)));
        }
        if let Some(ev) = format::evidence(e.evidence.as_ref()) {
            s.push_str(&format!(" ({ev})"));
        }
        if let Some(by) = format::actor(e.ended_by.as_ref(), e.evidence.as_ref()) {
            s.push_str(&format!(", {by}"));
        }
        s
    });
    html! {
        <article class="card enrollment-card" data-testid={props.testid.clone()}
            data-enrollment-id={e.id.to_string()} data-state={e.state.as_str()}>
            <div class="card__row">
                <a href={href} class="strong">{ &e.sequence.name }</a>
                <span class={classes!("pill", state_pill(e.state))}>{ format::enrollment_state(e.state) }</span>
            </div>
            <dl class="facts">
                <div><dt>{ "Progress" }</dt><dd>{ format!("Step {} of {}", e.current_step, e.total_steps) }</dd></div>
                if e.state == EnrollmentState::Paused {
                    <div><dt>{ "Paused" }</dt><dd>{ format::pause(e.pause_reason, e.paused_until.as_deref(), clock) }</dd></div>
                }
                if let (None, Some(next)) = (&e.ended_at, &e.next_step_at) {
                    <div><dt>{ "Next step" }</dt><dd>{ format::ts(next, clock, format::date_time) }</dd></div>
                }
                <div><dt>{ "Enrolled" }</dt><dd>
                    { format!("by {} · {}", e.enrolled_by.name, format::ts(&e.enrolled_at, clock, format::date)) }
                </dd></div>
                if let Some(ended) = ended {
                    <div><dt>{ "Ended" }</dt><dd>{ ended }</dd></div>
                }
            </dl>
        </article>
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub events: Vec<TimelineEventView>,
    pub clock: Clock,
}

#[function_component]
pub fn Timeline(props: &TimelineProps) -> Html {
    if props.events.is_empty() {
        return html! { <p class="empty" data-testid="timeline-empty">{ "No activity yet." }</p> };
    }
    html! {
        <ol class="timeline" data-testid="timeline">
            { for props.events.iter().map(|ev| {
                let by = format::actor(ev.actor.as_ref(), ev.evidence.as_ref());
                html! {
                    <li key={ev.id} class={classes!("timeline__item", format!("timeline__item--{}", ev.kind))}
                        data-testid="timeline-event" data-kind={ev.kind.clone()}>
                        <span class="timeline__dot" aria-hidden="true"></span>
                        <div>
                            <p class="timeline__summary">{ &ev.summary }</p>
                            <p class="muted small">
                                <time datetime={ev.at.clone()}>{ format::ts(&ev.at, props.clock, format::date_time) }</time>
                                if let Some(seq) = &ev.sequence { { format!(" · {}", seq.name) } }
                                if let Some(by) = by { { format!(" · {by}") } }
                            </p>
                        </div>
                    </li>
                }
            }) }
        </ol>
    }
}
