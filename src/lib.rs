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
//! - [`stage`]: the live diagram's model and layout (plain Rust), drawn by
//!   `components::stage`; the dock beside it shows forms and details.
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
pub mod stage;
pub mod state;

use components::publish::PublishForm;
use components::share::ShareMessage;
use components::stage::Stage;
use components::stage_dock::{DockPanel, DrawerButtons};
use components::time_controls::TimeControls;
use components::topics::SelectedTopic;
use leptos::prelude::*;
use session::Session;
use stage::{Dock, DockView, Drawer, ReducedMotion};
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
    // A link that could not be opened is explained in the Share panel: open it.
    let dock = Dock(RwSignal::new(if message.is_some() {
        DockView::Drawer(Drawer::Share)
    } else {
        DockView::Closed
    }));
    provide_context(ShareMessage(RwSignal::new(message)));
    provide_context(SelectedTopic(RwSignal::new(String::new())));
    provide_context(dock);
    provide_context(ReducedMotion(leptos_use::use_prefers_reduced_motion()));
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
        <a class="skip" href="#stage-title">"Skip to the stage"</a>
        <header class="toolbar">
            <div class="toolbar-row">
                <h1>"orderflow"</h1>
                <TimeControls />
            </div>
            <div class="toolbar-row">
                <PublishForm />
                <DrawerButtons />
            </div>
        </header>
        <main class="workspace" class:docked=move || dock.0.with(|v| *v != DockView::Closed)>
            <Stage />
            <DockPanel />
        </main>
        <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">
            {move || announcer.0.get()}
        </div>
    }
    .into_any()
}
