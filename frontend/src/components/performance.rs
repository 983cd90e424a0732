//! The sequence's figures. They come from immutable events: unenrolling never lowers them.

use shared::PerformanceView;
use yew::prelude::*;

use crate::format;

#[derive(Properties, PartialEq)]
pub struct PerformanceFiguresProps {
    pub performance: PerformanceView,
}

#[function_component]
pub fn PerformanceFigures(props: &PerformanceFiguresProps) -> Html {
    let p = &props.performance;
    let rate = |n: u64| {
        if p.enrolled == 0 {
            String::new()
        } else {
            format!("{:.0}%", n as f64 * 100.0 / p.enrolled as f64)
        }
    };
    let figures = [
        ("enrolled", "Enrolled", p.enrolled, String::new()),
        ("emails_sent", "Emails sent", p.emails_sent, String::new()),
        (
            "tasks_created",
            "Tasks created",
            p.tasks_created,
            String::new(),
        ),
        ("replies", "Replies", p.replies, rate(p.replies)),
        ("meetings", "Meetings", p.meetings, rate(p.meetings)),
        ("bounces", "Bounces", p.bounces, rate(p.bounces)),
        (
            "unsubscribes",
            "Unsubscribes",
            p.unsubscribes,
            rate(p.unsubscribes),
        ),
        ("finished", "Finished", p.finished, rate(p.finished)),
        ("unenrolled", "Unenrolled", p.unenrolled, rate(p.unenrolled)),
    ];
    html! {
        <div class="performance" data-testid="performance">
            <dl class="figures">
                { for figures.into_iter().map(|(key, label, value, rate)| html! {
                    <div class="figure" data-testid={format!("figure-{key}")}>
                        <dt>{ label }</dt>
                        <dd><span class="figure__value">{ value }</span>
                            if !rate.is_empty() { <span class="figure__rate">{ rate }</span> }</dd>
                    </div>
                }) }
            </dl>
            if !p.unenrolled_by_reason.is_empty() {
                <h3 class="section-title">{ "Unenrolled, by reason" }</h3>
                <ul class="reasons" data-testid="unenrolled-by-reason">
                    { for p.unenrolled_by_reason.iter().map(|r| html! {
                        <li data-reason={r.reason.as_str()}>
                            <span>{ format::unenroll_reason(r.reason) }</span>
                            <span class="reasons__count">{ r.count }</span>
                        </li>
                    }) }
                </ul>
            }
            <p class="muted small">{ "Figures count every event; unenrolling a contact never lowers them." }</p>
        </div>
    }
}
