//! Reading internally tagged enums (`{"type": "...", ...}`) through one flat struct per
//! enum, with every field optional, instead of serde's derived reader, which buffers the map
//! in serde's `Content` tree and runs one struct reader per variant: for the big enums that
//! was one of the largest parts of the release wasm (BENCHMARKS.md, "The bundle"). Each
//! enum's `wire` module has the struct and its `TryFrom`; this is what they share.

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
