//! The orderflow playground: a Leptos client-side app over [`orderflow_engine`].
//!
//! - [`session`]: an engine scenario plus the engine commands the user logged: the share
//!   link, the saved state and the replay; its format, migration of old formats, validation.
//! - [`playground`]: the plain-Rust model, a session replayed into one engine `Sim`, with its
//!   views (topics, groups, producers, announcements).
//! - [`share`]: sessions in links (deflate + base64url) and JSON files, with size limits.
//! - [`saved`]: the session in localStorage (debounced saves; corrupt, newer-format and
//!   full storage handled); [`crash`]: the panic hook's banner and the last good session.
//! - [`state`]: the shared [`state::Engine`] context, the clock and the live-region announcer.
//! - [`driver`]: the one play loop (animation frames, bounded work per frame).
//! - [`producers`]: producer duplicates folded from the trace, send reports, the
//!   add-producer and send forms' rules.
//! - [`rebalance`], [`metrics`]: rebalances as partition moves and throughput, folded from
//!   the trace; [`presets`]: the engine's streaming scenarios, loaded as they are.
//! - [`forms`]: every form's parsing and validation, as plain `...Draft::parse` functions.
//! - [`stage`]: the live diagram's model and layout (plain Rust), drawn by
//!   `components::stage`; the dock beside it shows forms and details.
//! - [`observe`]: the browser's reduced-motion setting and an element's size, as signals.
//! - [`theme`]: the colour theme the person chose (System, Light, Dark), saved and applied.
//! - [`components`]: the panels.

pub mod components;
pub mod crash;
pub mod driver;
pub mod forms;
pub mod metrics;
pub mod observe;
pub mod pace;
pub mod playground;
pub mod presets;
pub mod producers;
pub mod rebalance;
pub mod row_window;
pub mod saga_insight;
pub mod sagas;
pub mod saved;
pub mod session;
pub mod share;
pub mod stage;
pub mod state;
pub mod theme;

use components::publish::PublishForm;
use components::share::ShareMessage;
use components::stage::Stage;
use components::stage_dock::{DockPanel, DrawerButtons};
use components::theme::ThemeControl;
use components::time_controls::TimeControls;
use components::topics::SelectedTopic;
use leptos::prelude::*;
use session::Session;
use stage::{Dock, DockView, Drawer, ReducedMotion};
use state::{Announcer, Clock, Engine};

pub use session::ORDERS_TOPIC;

pub use saved::STORAGE_KEY;

/// Messages about this browser's saved session (unreadable, from a newer orderflow, storage
/// full), shown in a notice below the toolbar until dismissed or a later save succeeds.
#[derive(Clone, Copy)]
pub struct StorageNotice(pub RwSignal<Option<String>>);

/// Picks the session to open: a share link in the address wins, then the saved session,
/// then the default. A bad link yields a message and falls back, never losing saved work.
fn initial_session(saved: Option<Session>) -> (Session, Option<String>) {
    let fragment = window().location().hash().unwrap_or_default();
    match share::from_fragment(&fragment) {
        Some(Ok(session)) => {
            clear_fragment();
            (session, None)
        }
        Some(Err(e)) => {
            clear_fragment();
            (
                saved.unwrap_or_default(),
                Some(format!(
                    "The share link could not be opened ({e}); your current scenario is kept."
                )),
            )
        }
        None => (saved.unwrap_or_default(), None),
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
    let (stored, storage_message) = saved::open();
    let (session, message) = initial_session(stored);
    let selected = SelectedTopic(RwSignal::new(
        session.selected_topic.clone().unwrap_or_default(),
    ));
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
    provide_context(selected);
    provide_context(dock);
    provide_context(ReducedMotion(observe::prefers_reduced_motion()));
    driver::use_driver();

    // Keep the session outside the reactive graph (for the panic hook) after every change,
    // and save it a moment after the last one: effects that write to the browser.
    let notice = StorageNotice(RwSignal::new(storage_message));
    provide_context(notice);
    saved::on_report(move |m| {
        notice.0.try_set(m);
    });
    Effect::new(move |_| {
        engine.read(|pg| crash::remember(pg.session()));
        saved::changed();
    });
    // The selected topic is a UI extra of the session (links and saves reopen on it); no
    // view reads it from the session, so changing it notifies nobody.
    Effect::new(move |_| {
        let topic = selected.0.get();
        engine.update_quietly(|pg| {
            pg.select_topic(&topic);
            crash::remember(pg.session());
        });
        saved::changed();
    });
    // Leaving, hiding or unmounting the page saves what is pending at once.
    let pagehide = window_event_listener_untyped("pagehide", |_| saved::flush());
    let hidden = window_event_listener_untyped("visibilitychange", |_| {
        if document().visibility_state() == web_sys::VisibilityState::Hidden {
            saved::flush();
        }
    });
    on_cleanup(move || {
        pagehide.remove();
        hidden.remove();
        saved::flush();
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
                <ThemeControl />
            </div>
        </header>
        <StorageNoticeView />
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

/// The storage notice: visible, polite, dismissible; it never blocks the page.
#[component]
fn StorageNoticeView() -> impl IntoView {
    let notice = expect_context::<StorageNotice>().0;
    move || {
        notice.get().map(|text| {
            view! {
                <div class="notice" role="status">
                    <p>{text}</p>
                    <button type="button" on:click=move |_| notice.set(None)>"Dismiss"</button>
                </div>
            }
        })
    }
}
