//! Lists: the sequences and the contacts.

use shared::{ContactView, SequenceView};
use yew::prelude::*;

use crate::clock::Clock;
use crate::format;
use crate::route::{Route, SequenceTab};

#[derive(Properties, PartialEq)]
pub struct SequenceTableProps {
    pub sequences: Vec<SequenceView>,
    pub clock: Clock,
}

#[function_component]
pub fn SequenceTable(props: &SequenceTableProps) -> Html {
    if props.sequences.is_empty() {
        return html! { <p class="empty" data-testid="sequences-empty">{ "No sequences yet." }</p> };
    }
    html! {
        <div class="table-wrap">
            <table class="table" data-testid="sequences-table">
                <thead><tr>
                    <th scope="col">{ "Sequence" }</th>
                    <th scope="col">{ "Steps" }</th>
                    <th scope="col">{ "Active enrollments" }</th>
                    <th scope="col">{ "Created by" }</th>
                    <th scope="col">{ "Created" }</th>
                </tr></thead>
                <tbody>
                    { for props.sequences.iter().map(|s| html! {
                        <tr key={s.id} data-testid={format!("sequence-row-{}", s.id)}>
                            <td>
                                <a class="strong" href={Route::Sequence { id: s.id, tab: SequenceTab::Enrollments }.href()}
                                    data-testid={format!("sequence-link-{}", s.id)}>{ &s.name }</a>
                                if s.deleted { <span class="pill pill--muted">{ "Deleted" }</span> }
                            </td>
                            <td>{ s.steps.len() }</td>
                            <td>{ s.active_enrollments }</td>
                            <td>{ &s.creator.name }</td>
                            <td>{ format::ts(&s.created_at, props.clock, format::date) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ContactTableProps {
    pub contacts: Vec<ContactView>,
}

#[function_component]
pub fn ContactTable(props: &ContactTableProps) -> Html {
    if props.contacts.is_empty() {
        return html! { <p class="empty" data-testid="contacts-empty">{ "No contacts yet." }</p> };
    }
    html! {
        <div class="table-wrap">
            <table class="table" data-testid="contacts-table">
                <thead><tr>
                    <th scope="col">{ "Name" }</th>
                    <th scope="col">{ "Email" }</th>
                    <th scope="col">{ "Company" }</th>
                    <th scope="col">{ "Owner" }</th>
                </tr></thead>
                <tbody>
                    { for props.contacts.iter().map(|c| html! {
                        <tr key={c.id} data-testid={format!("contact-row-{}", c.id)}>
                            <td><a class="strong" href={Route::Contact { id: c.id }.href()}
                                data-testid={format!("contact-link-{}", c.id)}>{ &c.name }</a></td>
                            <td>{ &c.email }</td>
                            <td>{ c.company.as_ref().map(|co| co.name.clone()).unwrap_or_default() }</td>
                            <td>{ c.owner.as_ref().map(|o| o.name.clone()).unwrap_or_default() }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}
