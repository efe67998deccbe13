//! The colour theme a person chose: System (follow `prefers-color-scheme`), Light or Dark.
//! Saved in this browser's localStorage under [`THEME_KEY`] (apart from the session: a
//! theme is the person's, not the scenario's, so it never travels in a share link) and
//! applied as `data-theme` on the root element, where the stylesheets set `color-scheme`;
//! every colour is a `light-dark()` pair, so the whole page follows.
//!
//! Why not leptos-use's `use_local_storage`: it needs another crate for its codec, and this
//! is one short string read once and written on change.

use crate::saved::storage;

/// The localStorage key holding the chosen theme.
pub const THEME_KEY: &str = "orderflow.theme";

/// A colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// Follow the system's `prefers-color-scheme`.
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    /// Every theme, in the control's order.
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// The stored value (and the option's value).
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The option's text.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// Reads a stored value; anything else (missing, edited by hand) is System.
    pub fn parse(text: Option<&str>) -> Theme {
        Theme::ALL
            .into_iter()
            .find(|t| Some(t.as_str()) == text)
            .unwrap_or_default()
    }

    /// The theme saved in this browser (System if none, or storage is unavailable).
    pub fn load() -> Theme {
        let stored = storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten());
        Theme::parse(stored.as_deref())
    }

    /// Saves the theme in this browser. Storage refused (private mode, full) only means
    /// the next visit follows the system again: nothing to tell.
    pub fn save(self) {
        if let Some(s) = storage() {
            let _ = match self {
                Theme::System => s.remove_item(THEME_KEY),
                theme => s.set_item(THEME_KEY, theme.as_str()),
            };
        }
    }

    /// Sets (or, for System, removes) `data-theme` on the root element.
    pub fn apply(self) {
        let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        else {
            return;
        };
        let _ = match self {
            Theme::System => root.remove_attribute("data-theme"),
            theme => root.set_attribute("data-theme", theme.as_str()),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_theme_reads_back_and_anything_else_is_system() {
        for theme in Theme::ALL {
            assert_eq!(Theme::parse(Some(theme.as_str())), theme);
        }
        assert_eq!(Theme::parse(None), Theme::System);
        assert_eq!(Theme::parse(Some("Dark")), Theme::System);
        assert_eq!(Theme::parse(Some("")), Theme::System);
    }
}
