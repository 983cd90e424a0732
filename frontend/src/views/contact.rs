//! The contacts list and the contact record page.

use shared::{EnrollmentState, UnenrollSurface};
use yew::prelude::*;

use super::{loaded, use_clock, use_load, AppCtx, Load};
use crate::components::{
    Announcer, ConfirmDialog, ContactHeader, ContactTable, EnrollmentCard, Timeline,
};
use crate::route::Route;

#[function_component]
pub fn ContactsPage() -> Html {
    let (contacts, reload) = use_load((), |api, ()| async move { api.contacts().await });
    html! {
        <section data-testid="contacts-page">
            <h1 class="page-title">{ "Contacts" }</h1>
            { loaded(&contacts, &reload, |c| html! { <ContactTable contacts={c.clone()} /> }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ContactPageProps {
    pub id: i64,
}

#[function_component]
pub fn ContactPage(props: &ContactPageProps) -> Html {
    let clock = use_clock();
    let ctx = use_context::<AppCtx>();
    let (record, reload) = use_load(
        props.id,
        |api, id| async move { api.contact_record(id).await },
    );
    let confirming = use_state(|| false);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let announcement = use_state(String::new);

    let current = match &record {
        Load::Ready(r) => r
            .current_enrollment
            .clone()
            .filter(|e| matches!(e.state, EnrollmentState::Active | EnrollmentState::Paused)),
        _ => None,
    };
    let on_unenroll = {
        let (confirming, error) = (confirming.clone(), error.clone());
        Callback::from(move |()| {
            error.set(None);
            confirming.set(true);
        })
    };
    let on_cancel = {
        // The dialog's error goes with it: it must not reappear under Resume.
        let (confirming, error) = (confirming.clone(), error.clone());
        Callback::from(move |()| {
            error.set(None);
            confirming.set(false);
        })
    };
    let on_confirm = {
        let (confirming, busy, error, announcement) = (
            confirming.clone(),
            busy.clone(),
            error.clone(),
            announcement.clone(),
        );
        let (reload, current, ctx) = (reload.clone(), current.clone(), ctx.clone());
        Callback::from(move |()| {
            let (Some(e), Some(ctx)) = (current.clone(), ctx.clone()) else {
                return;
            };
            busy.set(true);
            let (confirming, busy, error, announcement, reload) = (
                confirming.clone(),
                busy.clone(),
                error.clone(),
                announcement.clone(),
                reload.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.unenroll(e.id, UnenrollSurface::ContactRecord).await {
                    Ok(done) => {
                        confirming.set(false);
                        announcement.set(format!(
                            "{} was unenrolled from {}.",
                            done.contact.name, done.sequence.name
                        ));
                        reload.emit(());
                    }
                    Err(err) => error.set(Some(err.message())),
                }
                busy.set(false);
            });
        })
    };

    let on_resume = {
        let (busy, error, announcement) = (busy.clone(), error.clone(), announcement.clone());
        let (reload, current, ctx) = (reload.clone(), current.clone(), ctx.clone());
        Callback::from(move |_: MouseEvent| {
            let (Some(e), Some(ctx)) = (current.clone(), ctx.clone()) else {
                return;
            };
            busy.set(true);
            error.set(None);
            let (busy, error, announcement, reload) = (
                busy.clone(),
                error.clone(),
                announcement.clone(),
                reload.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match ctx.api.resume(e.id).await {
                    Ok(done) => {
                        announcement.set(format!(
                            "{} resumed in {}.",
                            done.contact.name, done.sequence.name
                        ));
                        reload.emit(());
                    }
                    Err(err) => error.set(Some(err.message())),
                }
                busy.set(false);
            });
        })
    };

    let page = loaded(&record, &reload, |r| {
        let c = &r.contact;
        html! {
            <div class="record">
                <div class="record__side">
                    <ContactHeader contact={c.clone()} enrollment={current.clone()} busy={*busy}
                        on_unenroll={on_unenroll.clone()} />
                    <section class="card" aria-labelledby="details-title">
                        <h2 id="details-title" class="section-title">{ "Details" }</h2>
                        <dl class="facts facts--stacked" data-testid="contact-details">
                            <div><dt>{ "Email" }</dt><dd>{ &c.email }</dd></div>
                            if !c.secondary_emails.is_empty() {
                                <div><dt>{ "Other addresses" }</dt><dd>{ c.secondary_emails.join(", ") }</dd></div>
                            }
                            <div><dt>{ "Company" }</dt><dd>{ c.company.as_ref().map(|co| co.name.clone()).unwrap_or_else(|| "—".into()) }</dd></div>
                            <div><dt>{ "Owner" }</dt><dd>{ c.owner.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| "—".into()) }</dd></div>
                            <div><dt>{ "Email status" }</dt><dd>{ if c.email_status == shared::EmailStatus::Bounced { "Bounced" } else { "Valid" } }</dd></div>
                        </dl>
                    </section>
                </div>
                <div class="record__main">
                    <section aria-labelledby="current-title">
                        <h2 id="current-title" class="section-title">{ "Current enrollment" }</h2>
                        if let Some(e) = &current {
                            <EnrollmentCard enrollment={e.clone()} {clock} testid="current-enrollment" />
                            if e.state == EnrollmentState::Paused {
                                <div class="record__actions">
                                    <button type="button" class="btn" data-testid="resume-button"
                                        disabled={*busy} onclick={on_resume.clone()}>
                                        { "Resume sequence" }
                                    </button>
                                    if let (Some(message), false) = ((*error).clone(), *confirming) {
                                        <p class="inline-error" role="alert" data-testid="resume-error">{ message }</p>
                                    }
                                </div>
                            }
                        } else {
                            <p class="notice" data-testid="current-enrollment-none">{ "Not enrolled in a sequence." }</p>
                        }
                    </section>
                    if !r.past_enrollments.is_empty() {
                        <section aria-labelledby="past-title">
                            <h2 id="past-title" class="section-title">{ "Past enrollments" }</h2>
                            { for r.past_enrollments.iter().map(|e| html! {
                                <EnrollmentCard key={e.id} enrollment={e.clone()} {clock} testid="past-enrollment" />
                            }) }
                        </section>
                    }
                    <section aria-labelledby="timeline-title">
                        <h2 id="timeline-title" class="section-title">{ "Activity" }</h2>
                        <Timeline events={r.timeline.clone()} {clock} />
                    </section>
                </div>
            </div>
        }
    });
    let dialog = match (&current, &record, *confirming) {
        (Some(e), Load::Ready(r), true) => html! {
            <ConfirmDialog title={format!("Unenroll {}?", r.contact.name)}
                message={format!("{} will be unenrolled from {} and receive no further steps.", r.contact.name, e.sequence.name)}
                busy={*busy} error={(*error).clone().map(AttrValue::from)}
                on_confirm={on_confirm} on_cancel={on_cancel} />
        },
        _ => Html::default(),
    };
    html! {
        <section data-testid="contact-page" data-contact-id={props.id.to_string()}>
            <p class="crumbs"><a href={Route::Contacts.href()}>{ "Contacts" }</a></p>
            { page }
            { dialog }
            <Announcer message={(*announcement).clone()} />
        </section>
    }
}
