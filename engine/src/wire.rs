//! Reading internally tagged enums (`{"type": "...", ...}`) through one flat struct per
//! enum, with every field optional, instead of serde's derived reader, which buffers the map
//! in serde's `Content` tree and runs one struct reader per variant: for the big enums that
//! was one of the largest parts of the release wasm (BENCHMARKS.md, "The bundle"). Each
//! enum's `wire` module has the struct and its `TryFrom`; this is what they share.
//!
//! The same goes for `#[serde(flatten)]`, which buffers the map in `Content` too: a struct
//! with flattened fields reads its map as a JSON object ([`object`]), takes its own fields
//! out ([`take`]) and gives the rest to the flattened type's reader. Everything a session
//! or scenario holds is then read from a `serde_json::Value`, so each type's reader exists
//! once, for that one deserializer.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A tagged value (message, command) whose variant needs a field it does not have.
#[derive(Debug, thiserror::Error)]
#[error("missing field `{field}` in a {variant} value")]
pub struct MissingField {
    /// The field.
    pub field: &'static str,
    /// Its type (the variant).
    pub variant: String,
}

/// `value`, or the error naming its field and the variant that needs it.
pub(crate) fn required<T>(
    value: Option<T>,
    field: &'static str,
    variant: &dyn std::fmt::Debug,
) -> Result<T, MissingField> {
    value.ok_or_else(|| MissingField {
        field,
        variant: format!("{variant:?}"),
    })
}

/// The field `name` of a wire struct `w` (whose `tag` is its type), or the error naming it.
macro_rules! need {
    ($wire:ident . $name:ident) => {
        $crate::wire::required($wire.$name, stringify!($name), &$wire.tag)?
    };
}
pub(crate) use need;

/// The map `deserializer` holds, as a JSON object.
pub(crate) fn object<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Map<String, Value>, D::Error> {
    Map::deserialize(deserializer)
}

/// The field `key` taken out of `map` and read as a `T` (`None` when absent); an error
/// names the field.
pub(crate) fn take<T: DeserializeOwned, E: serde::de::Error>(
    map: &mut Map<String, Value>,
    key: &str,
) -> Result<Option<T>, E> {
    map.remove(key)
        .map(|value| T::deserialize(value).map_err(|e| E::custom(format_args!("{key}: {e}"))))
        .transpose()
}

/// What is left of `map` read as a `T` (the flattened type).
pub(crate) fn rest<T: DeserializeOwned, E: serde::de::Error>(
    map: Map<String, Value>,
) -> Result<T, E> {
    T::deserialize(Value::Object(map)).map_err(E::custom)
}

/// Test helper: `value` reads back from its JSON text and from its `serde_json::Value`.
/// The readers above are written by hand, so each way in is checked, not assumed.
#[cfg(test)]
pub(crate) fn assert_reads_back<T>(value: &T)
where
    T: serde::Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).unwrap();
    assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value, "{json}");
    let tree = serde_json::to_value(value).unwrap();
    assert_eq!(&serde_json::from_value::<T>(tree).unwrap(), value, "{json}");
}

/// `value` as a `serde_json::Value`, written by serde_json's text writer and read back by
/// its reader: what `serde_json::to_value` gives, without serde_json's second serializer (a
/// copy of every `Serialize` it reaches; BENCHMARKS.md, "The bundle"). Floats read back
/// exactly (serde_json's `float_roundtrip` feature, set in the workspace), so writing the
/// value again writes the same bytes. An object's keys are sorted, as in any `Value`.
pub(crate) fn to_value<T: serde::Serialize>(value: &T) -> serde_json::Result<Value> {
    serde_json::from_str(&serde_json::to_string(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// What serde_json's own `to_value` gives, and written the same, byte for byte.
    fn assert_same_value<T: serde::Serialize>(value: &T) {
        let ours = to_value(value).unwrap();
        let theirs = serde_json::to_value(value).unwrap();
        assert_eq!(ours, theirs);
        let text = serde_json::to_string(&theirs).unwrap();
        assert_eq!(serde_json::to_string(&ours).unwrap(), text);
    }

    type Mixed = BTreeMap<String, (f64, String, i64, u64, Vec<Option<bool>>)>;

    proptest! {
        /// Any float, string (escapes, control characters, any script) and integer.
        #[test]
        fn the_value_from_the_text_is_the_value(
            mixed in proptest::collection::btree_map(
                any::<String>(),
                (any::<f64>().prop_filter("finite", |f| f.is_finite()), any::<String>(),
                 any::<i64>(), any::<u64>(), proptest::collection::vec(any::<Option<bool>>(), 0..3)),
                0..4,
            ),
            floats in proptest::collection::vec(any::<f64>(), 0..8),
        ) {
            assert_same_value::<Mixed>(&mixed);
            assert_same_value(&floats);
        }
    }

    /// Every saga of the scenario files, and their floats where serde_json's reader could
    /// be off by one unit in the last place.
    #[test]
    fn every_saga_setup_gives_the_same_value() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut sagas = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let json = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let scenario = crate::scenario::Scenario::from_json(&json).unwrap();
            if let Some(saga) = &scenario.saga {
                assert_same_value(saga);
                sagas += 1;
            }
        }
        assert!(sagas > 10, "{sagas} sagas");
        assert_same_value(&[0.1 + 0.2, 1e300, 5e-324, -0.0, 1.0, 123_456_789.012_345_68]);
        assert_same_value(&serde_json::json!({"b": [1, -2, 18446744073709551615u64], "a": {}}));
    }
}
