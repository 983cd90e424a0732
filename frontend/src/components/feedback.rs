//! Loading, error and screen-reader announcements, shared by the panel and the web app.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    #[prop_or(AttrValue::Static("Loading…"))]
    pub label: AttrValue,
    /// How many skeleton rows to draw.
    #[prop_or(2)]
    pub rows: usize,
    #[prop_or(AttrValue::Static("loading"))]
    pub testid: AttrValue,
}

#[function_component]
pub fn Loading(props: &LoadingProps) -> Html {
    html! {
        <div class="loading" role="status" aria-live="polite" data-testid={props.testid.clone()}>
            <span class="sr-only">{ &props.label }</span>
            { for (0..props.rows).map(|_| html! {
                <div class="skeleton" aria-hidden="true">
                    <span class="skeleton__dot"></span>
                    <span class="skeleton__lines"><span></span><span></span></span>
                </div>
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorNoticeProps {
    pub message: AttrValue,
    /// Shows a Retry button when set.
    #[prop_or_default]
    pub on_retry: Option<Callback<()>>,
    #[prop_or(AttrValue::Static("error"))]
    pub testid: AttrValue,
}

#[function_component]
pub fn ErrorNotice(props: &ErrorNoticeProps) -> Html {
    html! {
        <div class="notice notice--error" role="alert" data-testid={props.testid.clone()}>
            <p>{ &props.message }</p>
            if let Some(retry) = &props.on_retry {
                <button type="button" class="btn btn--small" data-testid="retry-button"
                    onclick={retry.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct AnnouncerProps {
    /// The latest result; screen readers read each change.
    pub message: AttrValue,
}

/// A polite live region. Always rendered, so the first message is announced too; visible as a
/// toast while it has a message.
#[function_component]
pub fn Announcer(props: &AnnouncerProps) -> Html {
    html! {
        <div class={classes!("toast", props.message.is_empty().then_some("toast--empty"))}
            role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
            { &props.message }
        </div>
    }
}
