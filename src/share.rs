//! Sessions in links and files: JSON for files, JSON -> deflate -> base64url for links.
//!
//! A session is small whatever the run's size (a burst of 100,000 events is one action), so a
//! link carries the whole run. Decoding never trusts its input: sizes are bounded and the
//! session is validated before anything replaces the user's current scenario.

use crate::playground::{Session, SessionError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The URL fragment parameter that holds a shared session: `#s=...`.
pub const FRAGMENT_PREFIX: &str = "#s=";

/// Most bytes a decompressed session may have (bounds a hostile link).
const MAX_SESSION_BYTES: usize = 8 * 1024 * 1024;

/// Why a link or a file could not be opened. Shown to people as is.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("the link is damaged (not base64url): {0}")]
    Base64(String),
    #[error("the link is damaged (cannot be decompressed)")]
    Deflate,
    #[error("the session is not valid JSON: {0}")]
    Json(String),
    #[error("the session cannot be used: {0}")]
    Session(#[from] SessionError),
}

/// The session as pretty JSON, for an exported file.
pub fn to_json(session: &Session) -> String {
    serde_json::to_string_pretty(session).expect("a session always serialises")
}

/// A session from JSON (an imported file), validated.
pub fn from_json(text: &str) -> Result<Session, ShareError> {
    let session: Session =
        serde_json::from_str(text).map_err(|e| ShareError::Json(e.to_string()))?;
    session.validate()?;
    Ok(session)
}

/// The compact form used in links: compact JSON, deflated, base64url without padding.
pub fn encode(session: &Session) -> String {
    let json = serde_json::to_vec(session).expect("a session always serialises");
    let deflated = miniz_oxide::deflate::compress_to_vec(&json, 9);
    URL_SAFE_NO_PAD.encode(deflated)
}

/// A session from its compact form, validated.
pub fn decode(encoded: &str) -> Result<Session, ShareError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded.trim().trim_end_matches('='))
        .map_err(|e| ShareError::Base64(e.to_string()))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_SESSION_BYTES)
        .map_err(|_| ShareError::Deflate)?;
    let text = std::str::from_utf8(&json).map_err(|e| ShareError::Json(e.to_string()))?;
    from_json(text)
}

/// The session in a URL fragment (`#s=...`), if the fragment holds one.
pub fn from_fragment(fragment: &str) -> Option<Result<Session, ShareError>> {
    fragment.strip_prefix(FRAGMENT_PREFIX).map(decode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::{Action, GeneratorConfig, LoggedAction, Playground};
    use orderflow_engine::log::OrderEvent;

    fn sample() -> Session {
        let mut pg = Playground::default();
        pg.publish(OrderEvent {
            user_id: "U1".into(),
            order_id: "O1".into(),
            status: "Created".into(),
        });
        pg.act(Action::Burst {
            count: 100_000,
            generator: GeneratorConfig::default(),
        });
        pg.step();
        pg.session().clone()
    }

    #[test]
    fn link_round_trip_restores_the_session() {
        let session = sample();
        let encoded = encode(&session);
        // The default session (three groups, six consumers) plus a 100,000 burst: still short.
        assert!(
            encoded.len() < 1_000,
            "link part is {} chars",
            encoded.len()
        );
        assert!(encoded
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(decode(&encoded).unwrap(), session);
        let fragment = format!("{FRAGMENT_PREFIX}{encoded}");
        assert_eq!(from_fragment(&fragment).unwrap().unwrap(), session);
    }

    #[test]
    fn file_round_trip_restores_the_session() {
        let session = sample();
        assert_eq!(from_json(&to_json(&session)).unwrap(), session);
    }

    #[test]
    fn damaged_links_are_errors_not_panics() {
        assert!(matches!(decode("%%%"), Err(ShareError::Base64(_))));
        assert!(matches!(decode("AAAA"), Err(ShareError::Deflate)));
        let not_a_session =
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(b"[1]", 6));
        assert!(matches!(decode(&not_a_session), Err(ShareError::Json(_))));
        assert!(from_fragment("#other").is_none());
    }

    #[test]
    fn invalid_sessions_in_files_are_refused_with_the_reason() {
        let mut session = Session {
            actions: Vec::new(),
            ..Session::default()
        };
        session.actions.push(LoggedAction {
            tick: 9,
            action: Action::SetGenerator { generator: None },
        });
        let err = from_json(&to_json(&session)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the session cannot be used: action 0 happens at tick 9, after the session's last tick 0"
        );
    }
}
