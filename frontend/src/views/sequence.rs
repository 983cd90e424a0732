//! The sequences list and the sequence summary page with its three tabs.

use shared::{EnrollmentState, UnenrollSurface};
use yew::prelude::*;

use super::{loaded, use_clock, use_load, AppCtx, Load};
use crate::components::{
    Announcer, EnrollmentsTable, PendingUnenroll, PerformanceFigures, ScheduledTable, SequenceTable,
};
use crate::route::{Route, SequenceTab};

#[function_component]
pub fn SequencesPage() -> Html {
    let clock = use_clock();
    let (sequences, reload) = use_load((), |api, ()| async move { api.sequences().await });
    html! {
        <section data-testid="sequences-page">
            <h1 class="page-title">{ "Sequences" }</h1>
            { loaded(&sequences, &reload, |s| html! { <SequenceTable sequences={s.clone()} {clock} /> }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct SequencePageProps {
    pub id: i64,
    pub tab: SequenceTab,
}

#[function_component]
pub fn SequencePage(props: &SequencePageProps) -> Html {
    let (sequence, reload) = use_load(props.id, |api, id| async move { api.sequence(id).await });
    let id = props.id;
    let name = match &sequence {
        Load::Ready(s) => s.name.clone(),
        _ => String::new(),
    };
    let tabs = SequenceTab::ALL.iter().map(|&tab| {
        let selected = tab == props.tab;
        html! {
            <a role="tab" href={Route::Sequence { id, tab }.href()} id={format!("tab-{}", tab.slug())}
                aria-selected={selected.to_string()} aria-controls="tabpanel"
                class={classes!("tab", selected.then_some("is-selected"))}
                data-testid={format!("tab-{}", tab.slug())}>{ tab.label() }</a>
        }
    });
    let panel = match props.tab {
        SequenceTab::Enrollments => {
            html! { <EnrollmentsTab {id} name={name.clone()} on_change={reload.clone()} /> }
        }
        SequenceTab::Scheduled => {
            html! { <ScheduledTab {id} name={name.clone()} on_change={reload.clone()} /> }
        }
        SequenceTab::Performance => html! { <PerformanceTab {id} /> },
    };
    html! {
        <section data-testid="sequence-page" data-sequence-id={id.to_string()}>
            <p class="crumbs"><a href={Route::Sequences.href()}>{ "Sequences" }</a></p>
            { loaded(&sequence, &reload, |s| html! {
                <header class="page-header">
                    <h1 class="page-title" data-testid="sequence-name">{ &s.name }</h1>
                    <p class="muted">
                        { format!("{} steps · {} active enrollments · created by {}",
                            s.steps.len(), s.active_enrollments, s.creator.name) }
                    </p>
                </header>
            }) }
            <div class="tabs" role="tablist" aria-label="Sequence">{ for tabs }</div>
            <div id="tabpanel" role="tabpanel" aria-labelledby={format!("tab-{}", props.tab.slug())}>
                { panel }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TabProps {
    id: i64,
    name: AttrValue,
    /// Something was unenrolled: the page header's counts may change.
    on_change: Callback<()>,
}

/// Runs an unenroll of `ids` and reports a sentence for the live region.
async fn run_unenroll(
    ctx: &AppCtx,
    ids: Vec<i64>,
    surface: UnenrollSurface,
    sequence: &str,
) -> Result<String, String> {
    if ids.len() == 1 && surface != UnenrollSurface::Bulk {
        let e = ctx
            .api
            .unenroll(ids[0], surface)
            .await
            .map_err(|e| e.message())?;
        return Ok(format!(
            "{} was unenrolled from {sequence}.",
            e.contact.name
        ));
    }
    let resp = ctx
        .api
        .bulk_unenroll(ids, surface)
        .await
        .map_err(|e| e.message())?;
    let failed: Vec<String> = resp
        .results
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| e.message.clone()))
        .collect();
    let n = resp.unenrolled;
    let mut msg = format!(
        "{n} contact{} unenrolled from {sequence}.",
        if n == 1 { "" } else { "s" }
    );
    if !failed.is_empty() {
        msg.push_str(&format!(
            " {} could not be unenrolled: {}",
            failed.len(),
            failed.join("; ")
        ));
    }
    Ok(msg)
}

#[function_component]
fn EnrollmentsTab(props: &TabProps) -> Html {
    let clock = use_clock();
    let ctx = use_context::<AppCtx>();
    let filter = use_state(|| None::<EnrollmentState>);
    let (list, reload) = use_load((props.id, *filter), |api, (id, state)| async move {
        api.enrollments(id, state).await.map(|r| r.enrollments)
    });
    let selected = use_state(Vec::<i64>::new);
    let open_menu = use_state(|| None::<i64>);
    let pending = use_state(|| None::<PendingUnenroll>);
    let announcement = use_state(String::new);

    let enrollments = match &list {
        Load::Ready(v) => v.clone(),
        _ => Vec::new(),
    };
    let on_toggle = {
        let selected = selected.clone();
        Callback::from(move |id: i64| {
            let mut s = (*selected).clone();
            if let Some(i) = s.iter().position(|x| *x == id) {
                s.remove(i);
            } else {
                s.push(id);
            }
            selected.set(s);
        })
    };
    let on_toggle_all = {
        let (selected, open) = (selected.clone(), enrollments.clone());
        Callback::from(move |all: bool| {
            selected.set(if all {
                open.iter()
                    .filter(|e| {
                        matches!(e.state, EnrollmentState::Active | EnrollmentState::Paused)
                    })
                    .map(|e| e.id)
                    .collect()
            } else {
                Vec::new()
            })
        })
    };
    let ask = |ids: Vec<i64>, surface| PendingUnenroll {
        enrollment_ids: ids,
        surface,
        busy: false,
        error: None,
    };
    let on_bulk_unenroll = {
        let (pending, selected) = (pending.clone(), selected.clone());
        Callback::from(move |()| {
            if !selected.is_empty() {
                pending.set(Some(ask((*selected).clone(), UnenrollSurface::Bulk)));
            }
        })
    };
    let on_row_unenroll = {
        let (pending, open_menu) = (pending.clone(), open_menu.clone());
        Callback::from(move |id: i64| {
            open_menu.set(None);
            pending.set(Some(ask(vec![id], UnenrollSurface::SequenceActions)));
        })
    };
    let on_menu = {
        let open_menu = open_menu.clone();
        Callback::from(move |m: Option<i64>| open_menu.set(m))
    };
    let on_cancel = {
        let pending = pending.clone();
        Callback::from(move |()| pending.set(None))
    };
    let on_confirm = {
        let (pending, selected, announcement) =
            (pending.clone(), selected.clone(), announcement.clone());
        let (reload, on_change, name) =
            (reload.clone(), props.on_change.clone(), props.name.clone());
        Callback::from(move |()| {
            let (Some(p), Some(ctx)) = ((*pending).clone(), ctx.clone()) else {
                return;
            };
            if p.busy {
                return;
            }
            pending.set(Some(PendingUnenroll {
                busy: true,
                ..p.clone()
            }));
            let (pending, selected, announcement) =
                (pending.clone(), selected.clone(), announcement.clone());
            let (reload, on_change, name) = (reload.clone(), on_change.clone(), name.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match run_unenroll(&ctx, p.enrollment_ids.clone(), p.surface, &name).await {
                    Ok(msg) => {
                        pending.set(None);
                        let left: Vec<i64> = selected
                            .iter()
                            .copied()
                            .filter(|id| !p.enrollment_ids.contains(id))
                            .collect();
                        selected.set(left);
                        announcement.set(msg);
                        reload.emit(());
                        on_change.emit(());
                    }
                    Err(error) => pending.set(Some(PendingUnenroll {
                        busy: false,
                        error: Some(error),
                        ..p
                    })),
                }
            });
        })
    };
    let on_filter = {
        let (filter, selected) = (filter.clone(), selected.clone());
        Callback::from(move |f: Option<EnrollmentState>| {
            selected.set(Vec::new());
            filter.set(f);
        })
    };
    let body = loaded(&list, &reload, |_| {
        html! {
            <EnrollmentsTable enrollments={enrollments.clone()} sequence_name={props.name.clone()} {clock}
                selected={(*selected).clone()} open_menu={*open_menu} pending={(*pending).clone()}
                filter={*filter} {on_toggle} {on_toggle_all} {on_bulk_unenroll} {on_menu} {on_row_unenroll}
                {on_confirm} {on_cancel} {on_filter} />
        }
    });
    html! { <>{ body }<Announcer message={(*announcement).clone()} /></> }
}

#[function_component]
fn ScheduledTab(props: &TabProps) -> Html {
    let clock = use_clock();
    let ctx = use_context::<AppCtx>();
    let (list, reload) = use_load(props.id, |api, id| async move {
        api.scheduled(id).await.map(|r| r.scheduled)
    });
    let pending = use_state(|| None::<PendingUnenroll>);
    let announcement = use_state(String::new);
    let on_unenroll = {
        let pending = pending.clone();
        Callback::from(move |id: i64| {
            pending.set(Some(PendingUnenroll {
                enrollment_ids: vec![id],
                surface: UnenrollSurface::ScheduledTab,
                busy: false,
                error: None,
            }))
        })
    };
    let on_cancel = {
        let pending = pending.clone();
        Callback::from(move |()| pending.set(None))
    };
    let on_confirm = {
        let (pending, announcement, reload) =
            (pending.clone(), announcement.clone(), reload.clone());
        let (on_change, name) = (props.on_change.clone(), props.name.clone());
        Callback::from(move |()| {
            let (Some(p), Some(ctx)) = ((*pending).clone(), ctx.clone()) else {
                return;
            };
            if p.busy {
                return;
            }
            pending.set(Some(PendingUnenroll {
                busy: true,
                ..p.clone()
            }));
            let (pending, announcement, reload) =
                (pending.clone(), announcement.clone(), reload.clone());
            let (on_change, name) = (on_change.clone(), name.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match run_unenroll(&ctx, p.enrollment_ids.clone(), p.surface, &name).await {
                    Ok(msg) => {
                        pending.set(None);
                        announcement.set(msg);
                        reload.emit(());
                        on_change.emit(());
                    }
                    Err(error) => pending.set(Some(PendingUnenroll {
                        busy: false,
                        error: Some(error),
                        ..p
                    })),
                }
            });
        })
    };
    let body = loaded(&list, &reload, |items| {
        html! {
            <ScheduledTable scheduled={items.clone()} sequence_name={props.name.clone()} {clock}
                pending={(*pending).clone()} {on_unenroll} {on_confirm} {on_cancel} />
        }
    });
    html! { <>{ body }<Announcer message={(*announcement).clone()} /></> }
}

#[derive(Properties, PartialEq)]
struct PerformanceTabProps {
    id: i64,
}

#[function_component]
fn PerformanceTab(props: &PerformanceTabProps) -> Html {
    let (perf, reload) = use_load(props.id, |api, id| async move { api.performance(id).await });
    loaded(
        &perf,
        &reload,
        |p| html! { <PerformanceFigures performance={p.clone()} /> },
    )
}
