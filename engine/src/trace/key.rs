//! A record key as a `Processed` event carries it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Deref;

/// Bytes kept inline: the size of a native `String` less the length byte and the tag (24
/// bytes in wasm32 too, where a `String` is 12: short keys matter more than 12 bytes).
const INLINE: usize = 22;

/// A record key in a trace event: up to 22 bytes inline, a longer one boxed. Every group
/// puts the key of every record it processes into an event, and the trace drops the event
/// again 20,000 events later: as a `String` that was an allocation and a `free` per record
/// and group (3 of W's 5.18 allocations per record). Keys are mostly short (a user or
/// order id), so copying their bytes into the event is all it costs. Sharing one
/// `Arc<str>` per key through a table in the group was tried first: it cut the
/// allocations too, but cost more time than it saved (a table lookup and two atomic
/// counts per record, on memory the trace had pushed out of the cache). Serialised as the
/// string, so every JSON is the same as with `String`.
#[derive(Clone, PartialEq, Eq)]
pub struct EventKey(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Boxed(Box<str>),
}

impl EventKey {
    /// The key as a string slice.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)])
                .expect("inline bytes are a whole str"),
            Repr::Boxed(s) => s,
        }
    }
}

impl From<&str> for EventKey {
    fn from(key: &str) -> Self {
        if key.len() > INLINE {
            return EventKey(Repr::Boxed(key.into()));
        }
        let mut bytes = [0; INLINE];
        bytes[..key.len()].copy_from_slice(key.as_bytes());
        EventKey(Repr::Inline {
            len: key.len() as u8, // at most INLINE
            bytes,
        })
    }
}

impl From<String> for EventKey {
    fn from(key: String) -> Self {
        if key.len() > INLINE {
            EventKey(Repr::Boxed(key.into_boxed_str()))
        } else {
            EventKey::from(key.as_str())
        }
    }
}

impl Deref for EventKey {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for EventKey {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for EventKey {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventKey {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(EventKey::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_keys_are_inline_and_long_ones_boxed() {
        let short = "é".repeat(INLINE / 2); // 22 bytes, 11 chars
        assert!(matches!(
            EventKey::from(short.as_str()).0,
            Repr::Inline { .. }
        ));
        let long = format!("{short}x");
        assert!(matches!(EventKey::from(long.as_str()).0, Repr::Boxed(_)));
        assert!(matches!(EventKey::from(long.clone()).0, Repr::Boxed(_)));
        assert_eq!(EventKey::from(long.as_str()), EventKey::from(long));
    }

    /// Natively; in wasm32 a `String` is 12 bytes and the key still 24.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn it_is_no_bigger_than_a_string() {
        assert_eq!(size_of::<Option<EventKey>>(), size_of::<Option<String>>());
    }

    proptest! {
        /// Any key (of any length, any characters) reads, prints, serialises and
        /// deserialises as the string it was made from.
        #[test]
        fn a_key_is_its_string(key in ".{0,40}") {
            let made = EventKey::from(key.as_str());
            prop_assert_eq!(made.as_str(), key.as_str());
            prop_assert_eq!(made.to_string(), key.clone());
            prop_assert_eq!(format!("{made:?}"), format!("{key:?}"));
            let json = serde_json::to_string(&made).expect("serialises");
            prop_assert_eq!(&json, &serde_json::to_string(&key).expect("serialises"));
            let back: EventKey = serde_json::from_str(&json).expect("deserialises");
            prop_assert_eq!(back, made);
        }
    }
}
