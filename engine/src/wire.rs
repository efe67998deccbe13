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
use serde::de::{DeserializeSeed, EnumAccess, VariantAccess, Visitor};
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

/// Reads a unit-only enum's variant (`"user_id"`) as its index in `names`: one reader for
/// every such enum, where serde's derive compiles a visitor and a string match per enum
/// (0.4 to 2 KB each in the release wasm, 21 enums; BENCHMARKS.md, "The bundle,
/// session 12"). `names` lists every name read, aliases included, in the order serde's
/// derive lists them, so an unknown name's error is the derive's, word for word; `enum_name`
/// is the enum's name, as the derive's "expected enum ..." says it.
pub fn unit_variant<'de, D: Deserializer<'de>>(
    deserializer: D,
    enum_name: &'static str,
    names: &'static [&'static str],
) -> Result<usize, D::Error> {
    deserializer.deserialize_enum(enum_name, names, UnitVariant { enum_name, names })
}

/// The enum visitor of [`unit_variant`]; also the seed that reads the variant's name.
#[derive(Clone, Copy)]
struct UnitVariant {
    enum_name: &'static str,
    names: &'static [&'static str],
}

impl<'de> Visitor<'de> for UnitVariant {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "enum {}", self.enum_name)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<usize, A::Error> {
        let (index, variant) = data.variant_seed(VariantName(self.names))?;
        variant.unit_variant()?;
        Ok(index)
    }
}

/// A variant's name, read as its index in the names.
struct VariantName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for VariantName {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for VariantName {
    type Value = usize;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|n| *n == name)
            .ok_or_else(|| E::unknown_variant(name, self.0))
    }
}

/// `Deserialize` for a unit-only enum through [`unit_variant`]: the type, then each name
/// read and the variant it reads as (aliases are more names for one variant), in the order
/// of serde's derive (variants in declaration order, each variant's names sorted). The
/// variants must be `Copy`. `Serialize` stays derived: it is what the names are checked
/// against (each enum has a test that every variant reads back what it writes), and a
/// variant left out is a compile error (the exhaustive match below).
#[macro_export]
macro_rules! unit_enum_reader {
    ($ty:ident { $($name:literal => $variant:ident),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                const NAMES: &[&str] = &[$($name),+];
                const VARIANTS: &[$ty] = &[$($ty::$variant),+];
                // Every variant has a name: adding one without it does not compile.
                const _: fn($ty) = |v| {
                    #[allow(unreachable_patterns)]
                    match v {
                        $($ty::$variant)|+ => {}
                    };
                };
                $crate::wire::unit_variant(deserializer, stringify!($ty), NAMES).map(|i| VARIANTS[i])
            }
        }
    };
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

    /// Every enum read through `unit_enum_reader!` that is also written: each variant reads
    /// back what the derived `Serialize` writes, from the text and from a `Value`. (The
    /// tags that are only read are checked by their enum's tests: every variant of
    /// `Command`, `SagaMessage`, `SagaCommand`, `CommitPolicy`, `FaultTrigger`,
    /// `OffsetResetSpec` and old sessions' actions.)
    #[test]
    fn every_unit_enum_reads_back_what_it_writes() {
        use crate::assignor::AssignmentStrategy as A;
        use crate::cluster::replication::Acks;
        use crate::group::AutoOffsetReset;
        use crate::partitioner::Partitioner;
        use crate::saga::faults::{CrashPoint, FaultEffect};
        use crate::saga::message::NotificationKind as N;
        use crate::saga::orchestrator::{Compensation as C, SagaStep as S};
        use crate::saga::projection::ProjectionKind;
        use crate::saga::services::{SagaMode, ServiceName as Svc};
        use crate::topic::KeyField;
        [Acks::None, Acks::Leader, Acks::All]
            .iter()
            .for_each(assert_reads_back);
        [A::Range, A::RoundRobin, A::Sticky, A::CooperativeSticky]
            .iter()
            .for_each(assert_reads_back);
        [AutoOffsetReset::Earliest, AutoOffsetReset::Latest]
            .iter()
            .for_each(assert_reads_back);
        Partitioner::ALL.iter().for_each(assert_reads_back);
        [CrashPoint::AfterStateChange, CrashPoint::AfterPublish]
            .iter()
            .for_each(assert_reads_back);
        [FaultEffect::Decline, FaultEffect::Error]
            .iter()
            .for_each(assert_reads_back);
        [N::OrderConfirmed, N::OrderShipped, N::OrderCancelled]
            .iter()
            .for_each(assert_reads_back);
        [
            S::CreateOrder,
            S::ReserveInventory,
            S::ProcessPayment,
            S::ShipOrder,
        ]
        .iter()
        .for_each(assert_reads_back);
        [
            C::CancelOrder,
            C::ReleaseInventory,
            C::RefundPayment,
            C::CancelShipment,
        ]
        .iter()
        .for_each(assert_reads_back);
        ProjectionKind::ALL.iter().for_each(assert_reads_back);
        [SagaMode::Orchestration, SagaMode::Choreography]
            .iter()
            .for_each(assert_reads_back);
        let services = [Svc::Order, Svc::Inventory, Svc::Payment, Svc::Shipping];
        services.iter().for_each(assert_reads_back);
        [Svc::Notification, Svc::Analytics, Svc::Orchestrator]
            .iter()
            .for_each(assert_reads_back);
        [KeyField::UserId, KeyField::OrderId, KeyField::NoKey]
            .iter()
            .for_each(assert_reads_back);
        // As a map's key (the saga's per-service settings are keyed by service).
        let by_service: BTreeMap<Svc, u32> = services.iter().map(|s| (*s, 1)).collect();
        assert_reads_back(&by_service);
    }

    /// What serde's derive would read and refuse, and with which words: the same for the
    /// shared reader, on a mirror of `Acks` (renames and aliases) written with the derive.
    #[test]
    fn the_shared_reader_reads_and_refuses_as_the_derive_does() {
        use crate::cluster::replication::Acks;
        #[derive(Debug, Deserialize, PartialEq)]
        enum Mirror {
            #[serde(rename = "0", alias = "none")]
            None,
            #[serde(rename = "1", alias = "leader")]
            Leader,
            #[serde(rename = "all", alias = "-1")]
            All,
        }
        let same = |ours: Result<Acks, serde_json::Error>,
                    theirs: Result<Mirror, serde_json::Error>| {
            match (ours, theirs) {
                (Ok(a), Ok(m)) => assert_eq!(format!("{a:?}"), format!("{m:?}")),
                (Err(a), Err(m)) => assert_eq!(a.to_string(), m.to_string()),
                (a, m) => panic!("{a:?} against the derive's {m:?}"),
            }
        };
        let inputs = [
            r#""0""#,
            r#""none""#,
            r#""1""#,
            r#""leader""#,
            r#""all""#,
            r#""-1""#,
            r#""2""#,
            r#""All""#,
            "1",
            "null",
            "[]",
            r#"{"all": null}"#,
            r#"{"all": 1}"#,
            r#"{"x": null}"#,
            r#"{}"#,
            r#"{"0": null, "1": null}"#,
        ];
        for text in inputs {
            same(serde_json::from_str(text), serde_json::from_str(text));
            let value: Value = serde_json::from_str(text).unwrap();
            same(
                serde_json::from_value(value.clone()),
                serde_json::from_value(value),
            );
        }
    }

    /// The vendored serde_json (vendor/README.md) reads a struct from an object only: the
    /// release wasm relies on it to leave out every struct reader's `visit_seq`. A tuple is
    /// still read from an array.
    #[test]
    fn a_struct_is_read_from_a_value_only_as_an_object() {
        use crate::group::GroupConfig;
        let object = serde_json::json!({"name": "g", "topics": ["orders"]});
        let config: GroupConfig = serde_json::from_value(object).unwrap();
        let fields = serde_json::to_value(&config).unwrap();
        let as_array = Value::Array(fields.as_object().unwrap().values().cloned().collect());
        let err = serde_json::from_value::<GroupConfig>(as_array.clone()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid type: sequence, expected struct GroupConfig"),
            "{err}"
        );
        let err = GroupConfig::deserialize(&as_array).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid type: sequence, expected struct GroupConfig"),
            "{err}"
        );
        let tuple: (u32, String) = serde_json::from_value(serde_json::json!([1, "a"])).unwrap();
        assert_eq!(tuple, (1, "a".to_string()));
    }

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
