//! Shared app state: one [`Engine`] context (the playground model behind a version signal),
//! the play controls, and the [`Announcer`] for the polite live region.
//!
//! Why a version signal and not the model in a signal: the model holds every record (100,000
//! and more); cloning or diffing it per change would be slow. Components read it through
//! [`Engine::read`], which subscribes them to the version, and derive small values (a window
//! of rows, the last routings) in memos that only re-render when those values change.

use crate::playground::Playground;
use crate::session::Session;
use leptos::prelude::*;

/// The one engine instance of the app, shared through context.
#[derive(Clone, Copy)]
pub struct Engine {
    playground: StoredValue<Playground, LocalStorage>,
    version: RwSignal<u64>,
}

impl Engine {
    /// An engine replaying `session`: what fits in one frame's budget now, the rest a
    /// slice per frame (a share link or a saved session of a long run never freezes the
    /// page while it opens).
    pub fn new(session: Session) -> Self {
        let mut playground = Playground::replaying(session);
        crate::driver::replay_within_budget(&mut playground);
        Self {
            playground: StoredValue::new_local(playground),
            version: RwSignal::new(0),
        }
    }

    /// Reads the model and subscribes the caller to every change.
    pub fn read<R>(&self, f: impl FnOnce(&Playground) -> R) -> R {
        self.version.track();
        self.playground.with_value(f)
    }

    /// Reads the model without subscribing (for the driver and event handlers).
    pub fn read_untracked<R>(&self, f: impl FnOnce(&Playground) -> R) -> R {
        self.playground.with_value(f)
    }

    /// Changes the model and notifies every reader once.
    pub fn update<R>(&self, f: impl FnOnce(&mut Playground) -> R) -> R {
        let result = self.update_quietly(f);
        self.notify();
        result
    }

    /// Tells every reader that the model changed: after [`Engine::update_quietly`] changed
    /// what views show, which the play loop does while playing (it redraws at most every
    /// [`crate::pace::REDRAW_INTERVAL_MS`]; meanwhile event handlers read the model as it is).
    pub fn notify(&self) {
        self.version.update(|v| *v += 1);
    }

    /// Changes the model without notifying: bookkeeping that no view shows (e.g. what was
    /// announced), or ticks played that the views see at the next [`Engine::notify`].
    pub fn update_quietly<R>(&self, f: impl FnOnce(&mut Playground) -> R) -> R {
        self.playground
            .try_update_value(f)
            .expect("the engine lives as long as the app")
    }

    /// The change counter (for effects that only need to know that something changed).
    pub fn version(&self) -> RwSignal<u64> {
        self.version
    }
}

/// Play/pause and speed, owned by the app and driven by [`crate::driver`].
#[derive(Clone, Copy)]
pub struct Clock {
    /// True while the play loop advances ticks.
    pub playing: RwSignal<bool>,
    /// Ticks per second while playing.
    pub ticks_per_second: RwSignal<u32>,
    /// The ticks per second the run really went over the last second, when the page could
    /// not keep up with `ticks_per_second` (set by the driver, see [`crate::pace`]).
    pub achieved: RwSignal<Option<u32>>,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            playing: RwSignal::new(false),
            ticks_per_second: RwSignal::new(4),
            achieved: RwSignal::new(None),
        }
    }
}

/// Messages for the polite live region (important changes, read by screen readers).
#[derive(Clone, Copy)]
pub struct Announcer(pub RwSignal<String>);

impl Announcer {
    /// Announces `message` politely.
    pub fn say(&self, message: impl Into<String>) {
        self.0.set(message.into());
    }
}
