//! The orderflow playground: a Leptos client-side app over [`orderflow_engine`].
//!
//! - [`session`]: what the user set up and did (topics, seed, logged actions): the share
//!   link, the saved state and the replay; its format, migration and validation.
//! - [`playground`]: the plain-Rust model, a session replayed into one engine `Sim`, with its
//!   views (topics, groups, producers, announcements).
//! - [`generator`]: the playground's own order generator (bursts, running generators).
//! - [`share`]: sessions in links (deflate + base64url) and JSON files.
//! - [`state`]: the shared [`state::Engine`] context, the clock and the live-region announcer.
//! - [`driver`]: the one play loop (animation frames, bounded work per frame).
//! - [`producers`]: producer duplicates folded from the trace, send reports, the
//!   add-producer and send forms' rules.
//! - [`rebalance`], [`metrics`]: rebalances as partition moves and throughput, folded from
//!   the trace; [`presets`]: the engine's streaming scenarios as sessions.
//! - [`forms`]: every form's parsing and validation, as plain `...Draft::parse` functions.
//! - [`components`]: the panels.

pub mod components;
pub mod driver;
pub mod forms;
pub mod generator;
pub mod metrics;
pub mod playground;
pub mod presets;
pub mod producers;
pub mod rebalance;
pub mod session;
pub mod share;
pub mod state;

use components::generator::GeneratorPanel;
use components::groups::GroupsView;
use components::partitions::PartitionsView;
use components::presets::PresetPicker;
use components::producers::ProducersView;
use components::publish::PublishForm;
use components::routing::RoutingView;
use components::share::{ShareMessage, SharePanel};
use components::time_controls::TimeControls;
use components::topic_setup::TopicSetup;
use components::topics::{SelectedTopic, TopicPicker};
use leptos::prelude::*;
use session::Session;
use state::{Announcer, Clock, Engine};

pub use generator::STATUSES;
pub use session::ORDERS_TOPIC;

/// The localStorage key holding the current session.
pub const STORAGE_KEY: &str = "orderflow.session";

/// Picks the session to open: a share link in the address wins, then the saved session,
/// then the default. A bad link yields a message and falls back, never losing saved work.
fn initial_session(saved: &str) -> (Session, Option<String>) {
    let fragment = window().location().hash().unwrap_or_default();
    let saved_session = || {
        (!saved.is_empty())
            .then(|| share::from_json(saved).ok())
            .flatten()
            .unwrap_or_default()
    };
    match share::from_fragment(&fragment) {
        Some(Ok(session)) => {
            clear_fragment();
            (session, None)
        }
        Some(Err(e)) => {
            clear_fragment();
            (
                saved_session(),
                Some(format!(
                    "The share link could not be opened ({e}); your current scenario is kept."
                )),
            )
        }
        None => (saved_session(), None),
    }
}

/// Removes `#s=...` from the address so a reload shows the saved (possibly newer) state.
fn clear_fragment() {
    let location = window().location();
    let url = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The whole playground.
#[component]
pub fn App() -> impl IntoView {
    let storage = window().local_storage().ok().flatten();
    let saved = storage
        .as_ref()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .unwrap_or_default();
    let (session, message) = initial_session(&saved);
    let engine = Engine::new(session);
    let announcer = Announcer(RwSignal::new(String::new()));
    provide_context(engine);
    provide_context(Clock::default());
    provide_context(announcer);
    provide_context(ShareMessage(RwSignal::new(message)));
    provide_context(SelectedTopic(RwSignal::new(String::new())));
    driver::use_driver();

    // Save the session (setup, seed, actions: small) whenever the engine changes. An effect
    // that writes to the browser, not to a signal.
    Effect::new(move |_| {
        let json = engine.read(|pg| serde_json::to_string(pg.session()));
        if let (Some(storage), Ok(json)) = (&storage, json) {
            let _ = storage.set_item(STORAGE_KEY, &json);
        }
    });

    view! {
        <a class="skip" href="#partitions-title">"Skip to partitions"</a>
        <header>
            <h1>"orderflow"</h1>
            <p class="tagline">"Publish order events, watch them hash to partitions, and replay any run."</p>
        </header>
        <main>
            <div class="controls">
                <TimeControls />
                <TopicPicker />
                <TopicSetup />
                <PublishForm />
                <GeneratorPanel />
                <PresetPicker />
            </div>
            <RoutingView />
            <PartitionsView />
            <ProducersView />
            <GroupsView />
            <SharePanel />
        </main>
        <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">
            {move || announcer.0.get()}
        </div>
    }
    .into_any()
}
