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
