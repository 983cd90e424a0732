//! The root: provides the clock (ticking every 30 s so relative times stay true) and picks the panel
//! or the web app.

use gloo_timers::callback::Interval;
use yew::prelude::*;

use super::app::WebApp;
use super::panel::Panel;
use crate::clock::Clock;
use crate::host::HostHandle;
use crate::route::Route;
use crate::session::Mode;

#[derive(Properties, PartialEq)]
pub struct RootProps {
    pub mode: Mode,
    pub host: HostHandle,
    pub clock: Clock,
    /// The API token found at start (URL or storage), for the web app.
    #[prop_or_default]
    pub token: Option<String>,
    /// The route at start (the web app then follows `hashchange`).
    #[prop_or(Route::Sequences)]
    pub route: Route,
    /// Keep the clock still (tests).
    #[prop_or_default]
    pub frozen_clock: bool,
}

#[function_component]
pub fn Root(props: &RootProps) -> Html {
    let clock = use_state(|| props.clock);
    {
        let clock = clock.clone();
        use_effect_with(props.frozen_clock, move |frozen| {
            let interval =
                (!*frozen).then(|| Interval::new(30_000, move || clock.set(Clock::read())));
            move || drop(interval)
        });
    }
    let body = match props.mode {
        Mode::Panel => html! { <Panel host={props.host.clone()} /> },
        Mode::App => html! { <WebApp token={props.token.clone()} route={props.route} /> },
    };
    html! {
        <ContextProvider<Clock> context={*clock}>{ body }</ContextProvider<Clock>>
    }
}
