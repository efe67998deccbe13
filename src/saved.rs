//! The session saved in this browser (localStorage): read once at start, written 500 ms after
//! the last change (debounced with `gloo-timers`) and at once when the page is hidden or
//! left (`pagehide`, `visibilitychange`), unmounted, or panics.
//!
//! Nothing stored can break the page, and nothing the person had is lost:
//! - a corrupt entry (not JSON, not a valid session, or over [`MAX_STORED_CHARS`]) is copied
//!   aside to [`ASIDE_KEY`] before the running session replaces it, and the person is told;
//! - an entry from a newer format is left untouched: this page does not save at all (it
//!   would overwrite work a newer orderflow wrote), and says so;
//! - a full storage (quota exceeded) keeps the entry saved last, and the person is told
//!   until a later save succeeds.
//!
//! Why not leptos-use's `use_local_storage`: it mirrors a signal, and the session lives in
//! the engine's `StoredValue` (see [`crate::state`]); it would also overwrite a newer-format
//! entry and has no flush on `pagehide`.
//!
//! The pending save is kept outside Leptos (thread-locals) so the panic hook can flush it.

use crate::session::{Session, SessionError};
use crate::share::{self, ShareError};
use std::cell::{Cell, RefCell};

/// The localStorage key holding the current session.
pub const STORAGE_KEY: &str = "orderflow.session";
/// Where an unreadable saved entry is kept before the running session replaces it.
pub const ASIDE_KEY: &str = "orderflow.session.unreadable";
/// How long after the last change the session is saved.
pub const SAVE_DELAY_MS: u32 = 500;
/// Longest saved entry read (in UTF-16 units, as localStorage counts): browsers allow about
/// 5 MiB per origin, so anything longer was not written by this app.
pub const MAX_STORED_CHARS: usize = 8 * 1024 * 1024;

/// What the saved entry holds, and what to tell the person about it.
#[derive(Debug, PartialEq)]
pub enum Saved {
    /// Nothing saved (a first visit).
    Empty,
    /// A session this build reads.
    Session(Box<Session>),
    /// Not readable: kept aside under [`ASIDE_KEY`], then replaced.
    Corrupt(ShareError),
    /// Written by a newer orderflow: left untouched, and this page does not save.
    Newer { found: u32, expected: u32 },
}

impl Saved {
    /// Classifies the saved text (`None`: no entry).
    pub fn read(text: Option<&str>) -> Self {
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Saved::Empty;
        };
        if text.len() > MAX_STORED_CHARS {
            return Saved::Corrupt(ShareError::TooLong {
                length: text.len(),
                max: MAX_STORED_CHARS,
            });
        }
        match share::from_json(text) {
            Ok(session) => Saved::Session(Box::new(session)),
            Err(ShareError::Session(SessionError::Format { found, expected }))
                if found > expected =>
            {
                Saved::Newer { found, expected }
            }
            Err(e) => Saved::Corrupt(e),
        }
    }

    /// The message for the person, if any (`aside_kept`: the corrupt entry was copied aside).
    pub fn message(&self, aside_kept: bool) -> Option<String> {
        match self {
            Saved::Empty | Saved::Session(_) => None,
            Saved::Corrupt(e) if aside_kept => Some(format!(
                "The scenario saved in this browser could not be read ({e}). It was kept aside under \"{ASIDE_KEY}\" in this browser's storage, and the default scenario is open."
            )),
            Saved::Corrupt(e) => Some(format!(
                "The scenario saved in this browser could not be read ({e}) and could not be kept aside, so it is left as it is and changes here are not saved in this browser; export them to keep them."
            )),
            Saved::Newer { found, expected } => Some(format!(
                "The scenario saved in this browser comes from a newer orderflow (format {found}; this page reads formats 1 to {expected}). It is left untouched, so changes here are not saved in this browser; export them to keep them."
            )),
        }
    }
}

/// What the app does with a save's outcome (`None`: saved).
type Report = Box<dyn Fn(Option<String>)>;

thread_local! {
    /// False when saving would destroy something (a newer-format entry).
    static WRITABLE: Cell<bool> = const { Cell::new(true) };
    /// True while a change waits for its save.
    static DIRTY: Cell<bool> = const { Cell::new(false) };
    /// True after a save failed, until one succeeds (only then is its message taken back).
    static FAILING: Cell<bool> = const { Cell::new(false) };
    static TIMER: RefCell<Option<gloo_timers::callback::Timeout>> = const { RefCell::new(None) };
    /// Called with a message after each save (`None`: saved), set by the app.
    static REPORT: RefCell<Option<Report>> = const { RefCell::new(None) };
}

/// This browser's localStorage, if it lets the page use it.
pub(crate) fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Reads the saved entry and prepares saving: keeps a corrupt entry aside, stops saving over
/// a newer one. Returns the session to open (if any) and the message for the person.
pub fn open() -> (Option<Session>, Option<String>) {
    let Some(storage) = storage() else {
        WRITABLE.with(|w| w.set(false));
        return (
            None,
            Some("This browser does not let the page save (storage is off): export the scenario to keep it.".into()),
        );
    };
    FAILING.with(|f| f.set(false));
    // An app mounted again in the same page (browser tests remount; an unmounted app's
    // cleanup may run later) first saves what the previous one left pending.
    flush();
    let text = storage.get_item(STORAGE_KEY).ok().flatten();
    let saved = Saved::read(text.as_deref());
    let mut aside_kept = false;
    match &saved {
        Saved::Corrupt(_) => {
            aside_kept = text
                .as_deref()
                .is_some_and(|t| storage.set_item(ASIDE_KEY, t).is_ok());
            WRITABLE.with(|w| w.set(aside_kept));
        }
        Saved::Newer { .. } => WRITABLE.with(|w| w.set(false)),
        Saved::Empty | Saved::Session(_) => WRITABLE.with(|w| w.set(true)),
    }
    let message = saved.message(aside_kept);
    match saved {
        Saved::Session(session) => (Some(*session), message),
        _ => (None, message),
    }
}

/// Forgets a pending save without writing it (browser tests starting from a fresh state).
pub fn discard_pending() {
    drop(TIMER.with(|t| t.try_borrow_mut().map(|mut t| t.take())));
    DIRTY.with(|d| d.set(false));
}

/// Sets what is told when a save fails, and when one succeeds after a failure (`None`).
pub fn on_report(report: impl Fn(Option<String>) + 'static) {
    REPORT.with(|r| *r.borrow_mut() = Some(Box::new(report)));
}

/// Notes that the session changed: it is saved [`SAVE_DELAY_MS`] after the last change.
pub fn changed() {
    DIRTY.with(|d| d.set(true));
    // The timer's own callback leaves the timer alone (it is replaced by the next change):
    // dropping a callback while it runs is what `flush` would do.
    let timer = gloo_timers::callback::Timeout::new(SAVE_DELAY_MS, || save(true));
    // Replacing the timer drops (cancels) the previous one: that is the debounce.
    TIMER.with(|t| {
        if let Ok(mut t) = t.try_borrow_mut() {
            *t = Some(timer);
        }
    });
}

/// Saves a pending change now and reports the outcome.
pub fn flush() {
    // Dropping the pending timer cancels it: this save replaces it.
    drop(TIMER.with(|t| t.try_borrow_mut().map(|mut t| t.take())));
    save(true);
}

/// Saves a pending change from the panic hook: no report (the reactive graph may be
/// unusable), no Leptos state, no panic.
pub fn flush_after_panic() {
    save(false);
}

fn save(report: bool) {
    if !DIRTY.with(Cell::take) || !WRITABLE.with(Cell::get) {
        return;
    }
    let (Some(storage), Some(json)) = (
        storage(),
        crate::crash::with_last_good(|s| serde_json::to_string(s).ok()).flatten(),
    ) else {
        return;
    };
    let outcome = match storage.set_item(STORAGE_KEY, &json) {
        Ok(()) => None,
        Err(e) if is_quota_error(&e) => Some(
            "This browser's storage is full, so the latest changes are not saved in it (the scenario saved before is kept). Export the scenario to keep it.".to_string(),
        ),
        Err(_) => Some(
            "The scenario could not be saved in this browser (the scenario saved before is kept). Export it to keep it.".to_string(),
        ),
    };
    if outcome.is_some() {
        // Still pending: the next change, hide or leave tries again.
        DIRTY.with(|d| d.set(true));
    }
    let was_failing = FAILING.with(|f| f.replace(outcome.is_some()));
    // A success only takes back a failure's message, never the message from the start
    // (an unreadable or newer entry), which stays until dismissed.
    if !report || (outcome.is_none() && !was_failing) {
        return;
    }
    REPORT.with(|r| {
        if let Ok(r) = r.try_borrow() {
            if let Some(report) = r.as_ref() {
                report(outcome);
            }
        }
    });
}

/// True for the DOMException browsers throw when localStorage is full.
fn is_quota_error(error: &wasm_bindgen::JsValue) -> bool {
    js_sys::Reflect::get(error, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|n| n == "QuotaExceededError" || n == "NS_ERROR_DOM_QUOTA_REACHED")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SESSION_FORMAT;

    #[test]
    fn an_empty_entry_is_a_first_visit() {
        assert_eq!(Saved::read(None), Saved::Empty);
        assert_eq!(Saved::read(Some("")), Saved::Empty);
        assert_eq!(Saved::read(None).message(false), None);
    }

    #[test]
    fn a_saved_session_opens() {
        let session = Session::default();
        let saved = Saved::read(Some(&share::to_json(&session)));
        assert_eq!(saved, Saved::Session(Box::new(session)));
    }

    #[test]
    fn corrupt_entries_are_explained_and_say_where_they_were_kept() {
        for text in ["{\"format\":2,", "[1]", "not json at all", "{\"format\":2}"] {
            let saved = Saved::read(Some(text));
            assert!(matches!(saved, Saved::Corrupt(_)), "{text}: {saved:?}");
            let message = saved.message(true).unwrap();
            assert!(message.contains(ASIDE_KEY), "{message}");
            assert!(saved.message(false).unwrap().contains("not saved"));
        }
    }

    #[test]
    fn an_oversized_entry_is_corrupt_without_being_parsed() {
        let text = "x".repeat(MAX_STORED_CHARS + 1);
        assert_eq!(
            Saved::read(Some(&text)),
            Saved::Corrupt(ShareError::TooLong {
                length: MAX_STORED_CHARS + 1,
                max: MAX_STORED_CHARS
            })
        );
    }

    #[test]
    fn a_newer_format_is_left_alone_with_both_numbers() {
        let saved = Saved::read(Some(
            r#"{"format":7,"topics":[],"seed":1,"ticks":0,"actions":[]}"#,
        ));
        assert_eq!(
            saved,
            Saved::Newer {
                found: 7,
                expected: SESSION_FORMAT
            }
        );
        let message = saved.message(false).unwrap();
        assert!(message.contains("format 7"), "{message}");
        assert!(message.contains("left untouched"), "{message}");
    }
}
