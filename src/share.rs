//! Sessions in links and files: JSON for files, JSON -> deflate -> base64url for links.
//!
//! A session is small whatever the run's size (a burst of 100,000 events is one action), so a
//! link carries the whole run. Decoding never trusts its input: sizes are bounded and the
//! session is validated before anything replaces the user's current scenario.

use crate::session::{migrate, Session, SessionError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The URL fragment parameter that holds a shared session: `#s=...`.
pub const FRAGMENT_PREFIX: &str = "#s=";

/// Most bytes a decompressed session may have (bounds a hostile link): decompression stops
/// there, so a small link that inflates to gigabytes costs at most this much.
pub const MAX_SESSION_BYTES: usize = 8 * 1024 * 1024;
/// Longest link part (`#s=...`) decoded, checked before anything is decoded. Chromium's own
/// URL limit is 2 MiB, so no link a browser can open is refused.
pub const MAX_LINK_CHARS: usize = 2 * 1024 * 1024;
/// Longest session JSON read (an imported file, localStorage, a decompressed link), checked
/// before parsing; pretty JSON of the largest valid session fits.
pub const MAX_JSON_CHARS: usize = 16 * 1024 * 1024;

/// Why a link or a file could not be opened. Shown to people as is.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("it is {length} characters long; at most {max} are read")]
    TooLong { length: usize, max: usize },
    #[error("the link is damaged (not base64url): {0}")]
    Base64(String),
    #[error("the link is damaged (cannot be decompressed)")]
    Deflate,
    #[error("the link holds more than {max} bytes once decompressed")]
    Inflated { max: usize },
    #[error("the session is not valid JSON: {0}")]
    Json(String),
    #[error("the session cannot be used: {0}")]
    Session(#[from] SessionError),
}

/// The session as pretty JSON, for an exported file.
///
/// The same bytes as `serde_json::to_string_pretty`, made by indenting the compact JSON the
/// links and the saved state already write ([`indent`]): serde_json's pretty writer would be
/// a second copy of every session type's `Serialize` in the release wasm (BENCHMARKS.md,
/// "The bundle").
pub fn to_json(session: &Session) -> String {
    indent(&serde_json::to_string(session).expect("a session always serialises"))
}

/// Compact JSON (no whitespace outside strings, as serde_json writes it) laid out as
/// serde_json's pretty writer lays it out: two spaces per level, one member or element per
/// line, `": "` between key and value, empty objects and arrays as `{}` and `[]`.
fn indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            (in_string, escaped) = match (escaped, c) {
                (true, _) => (true, false),
                (false, '\\') => (true, true),
                (false, '"') => (false, false),
                (false, _) => (true, false),
            };
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// A session from JSON (an imported file, a link, localStorage), migrated from older formats
/// (see [`crate::session::migrate`]) and validated.
pub fn from_json(text: &str) -> Result<Session, ShareError> {
    if text.len() > MAX_JSON_CHARS {
        return Err(ShareError::TooLong {
            length: text.len(),
            max: MAX_JSON_CHARS,
        });
    }
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ShareError::Json(e.to_string()))?;
    let session = match migrate(&mut value)? {
        Some(upgraded) => upgraded,
        None => serde_json::from_value(value).map_err(|e| ShareError::Json(e.to_string()))?,
    };
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
    if encoded.len() > MAX_LINK_CHARS {
        return Err(ShareError::TooLong {
            length: encoded.len(),
            max: MAX_LINK_CHARS,
        });
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded.trim().trim_end_matches('='))
        .map_err(|e| ShareError::Base64(e.to_string()))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_SESSION_BYTES)
        .map_err(|e| match e.status {
            // Decompression stopped at the limit: the rest was never inflated.
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::Inflated {
                max: MAX_SESSION_BYTES,
            },
            _ => ShareError::Deflate,
        })?;
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
    use crate::playground::Playground;
    use crate::session::{GeneratorConfig, LoggedAction, ORDERS_TOPIC, SESSION_FORMAT};
    use orderflow_engine::log::OrderEvent;
    use orderflow_engine::partitioner::Partitioner;
    use orderflow_engine::sim::Command;

    fn sample() -> Session {
        let mut pg = Playground::default();
        pg.publish(OrderEvent {
            user_id: "U1".into(),
            order_id: "O1".into(),
            status: "Created".into(),
        });
        pg.act(GeneratorConfig::default().generate_command(crate::session::ORDERS_TOPIC, 100_000));
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

    /// The exported file is byte for byte what serde_json's pretty writer makes, for the
    /// sample and for every preset's session (sagas, brokers, faults, escapes in strings).
    #[test]
    fn the_file_is_serde_jsons_pretty_json() {
        let mut sessions = vec![sample()];
        for scenario in orderflow_engine::scenario::presets()
            .into_iter()
            .chain(orderflow_engine::scenario::cluster_presets())
            .chain(orderflow_engine::scenario::saga_presets())
        {
            sessions.push(Session::of_scenario(scenario));
        }
        let mut odd = sample();
        odd.preset = Some("quote \" back\\slash {[,:]} \u{e9} \n".into());
        sessions.push(odd);
        for session in sessions {
            assert_eq!(
                to_json(&session),
                serde_json::to_string_pretty(&session).unwrap()
            );
        }
        for compact in ["{}", "[]", r#"{"a":[],"b":{},"c":[1,{"d":"x\\\"y"}]}"#] {
            let value: serde_json::Value = serde_json::from_str(compact).unwrap();
            assert_eq!(
                indent(compact),
                serde_json::to_string_pretty(&value).unwrap()
            );
        }
    }

    /// A share link written by the format-1 build (one topic `orders`, no topic on actions):
    /// the default session, a publish of U1 and a burst of 1,000, stepped twice.
    const FORMAT_1_JSON: &str = r#"{"format":1,"setup":{"partitions":4,"partitioner":"murmur2","keyed":true,"key_field":"user_id","segment_records":1000,"retention_records":null},"seed":42,"ticks":2,"actions":[{"tick":0,"type":"command","command":{"type":"create_group","config":{"name":"OrderProcessor","topics":["orders"],"strategy":"range","commit_policy":{"type":"after_processing"},"auto_offset_reset":"earliest","max_poll_records":10,"processing_ticks_per_record":1,"session_timeout_ticks":10,"rebalance_ticks":2}}},{"tick":0,"type":"command","command":{"type":"join_group","group":"OrderProcessor","member":"c1"}},{"tick":0,"type":"publish","event":{"user_id":"U1","order_id":"O1","status":"Created"}},{"tick":1,"type":"burst","count":1000,"generator":{"users":20,"orders_per_tick":2,"hot_key_percent":0}},{"tick":1,"type":"set_generator","generator":{"users":5,"orders_per_tick":3,"hot_key_percent":10}}]}"#;

    #[test]
    fn a_format_1_link_still_opens_as_the_same_run() {
        let deflated = miniz_oxide::deflate::compress_to_vec(FORMAT_1_JSON.as_bytes(), 9);
        let link = format!("{FRAGMENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(deflated));
        let session = from_fragment(&link).unwrap().unwrap();
        assert_eq!(session.format, SESSION_FORMAT);
        assert_eq!(session.topics().len(), 1);
        assert_eq!(session.topics()[0].name, ORDERS_TOPIC);
        assert_eq!(session.topics()[0].partitions, 4);
        assert_eq!(session.actions.len(), 5);
        let pg = Playground::new(session.clone());
        assert_eq!(pg.replay_errors(), 0);
        assert_eq!(pg.now(), 2);
        // 1 by hand + 1,000 burst + 3 per tick from the generator started at tick 1.
        assert_eq!(pg.topic_records(ORDERS_TOPIC), 1 + 1_000 + 3);
        let u1 = Partitioner::Murmur2.route(b"U1", 4).partition.0;
        assert_eq!(pg.rows(ORDERS_TOPIC, u1, 0, 1)[0].key, "U1");
        // The same run, written in format 2, replays to the same records.
        let again = Playground::new(decode(&encode(&session)).unwrap());
        for p in 0..4 {
            assert_eq!(
                again.rows(ORDERS_TOPIC, p, 0, u64::MAX).len(),
                pg.rows(ORDERS_TOPIC, p, 0, u64::MAX).len()
            );
        }
        assert_eq!(
            again
                .running_generator(ORDERS_TOPIC)
                .unwrap()
                .hot_key_percent,
            10
        );
    }

    #[test]
    fn unknown_future_formats_are_refused_with_both_numbers() {
        let err =
            from_json(r#"{"format":9,"topics":[],"seed":1,"ticks":0,"actions":[]}"#).unwrap_err();
        assert_eq!(
            err,
            ShareError::Session(SessionError::Format {
                found: 9,
                expected: SESSION_FORMAT
            })
        );
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
    fn an_overlong_link_is_refused_before_decoding() {
        let long = "A".repeat(MAX_LINK_CHARS + 1);
        assert_eq!(
            decode(&long),
            Err(ShareError::TooLong {
                length: MAX_LINK_CHARS + 1,
                max: MAX_LINK_CHARS
            })
        );
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        // 64 MiB of spaces deflate to a few kilobytes: a short link that would inflate far
        // past the limit. Decompression stops at MAX_SESSION_BYTES.
        let bomb = vec![b' '; 64 * 1024 * 1024];
        let deflated = miniz_oxide::deflate::compress_to_vec(&bomb, 9);
        let link = URL_SAFE_NO_PAD.encode(&deflated);
        assert!(link.len() < 200_000, "{}", link.len());
        assert_eq!(
            decode(&link),
            Err(ShareError::Inflated {
                max: MAX_SESSION_BYTES
            })
        );
    }

    #[test]
    fn an_overlong_file_is_refused_before_parsing() {
        let text = " ".repeat(MAX_JSON_CHARS + 1);
        assert!(matches!(from_json(&text), Err(ShareError::TooLong { .. })));
    }

    #[test]
    fn a_link_with_an_overlong_key_is_refused() {
        let mut session = Session::default();
        session.actions.push(LoggedAction {
            tick: 0,
            command: Command::PublishOrder {
                topic: ORDERS_TOPIC.into(),
                event: OrderEvent {
                    user_id: "U".repeat(crate::session::MAX_FIELD_CHARS + 1),
                    order_id: "O1".into(),
                    status: "Created".into(),
                },
            }
            .into(),
        });
        let err = decode(&encode(&session)).unwrap_err();
        assert!(
            err.to_string()
                .contains("the user id has 1025 characters; at most 1024"),
            "{err}"
        );
    }

    #[test]
    fn invalid_sessions_in_files_are_refused_with_the_reason() {
        let mut session = Session {
            actions: Vec::new(),
            ..Session::default()
        };
        session.actions.push(LoggedAction {
            tick: 9,
            command: GeneratorConfig::set_command(crate::session::ORDERS_TOPIC, None).into(),
        });
        let err = from_json(&to_json(&session)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the session cannot be used: action 0 happens at tick 9, after the session's last tick 0"
        );
    }
}
