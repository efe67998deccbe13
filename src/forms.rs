//! The forms' rules in plain Rust (no Leptos): each form's fields as typed (a `...Draft` of
//! strings) and a `parse` that turns them into the typed value the playground acts on, or a
//! message saying what to fix. Components hold the strings and call `parse`; the rules are
//! unit-tested natively here, away from the DOM.
//!
//! - [`topic`]: "Topic setup" (apply a setup, add partitions) and "Add topic";
//! - [`group`]: "New consumer group" and "Reset offsets to";
//! - [`publish`]: "Publish by hand";
//! - [`generator`]: the generator's users, rate, skew and prefix;
//! - [`seed`]: the seed a run replays under.
//!
//! The "Add producer" and "Send" forms live with the producers
//! ([`crate::producers::ProducerDraft`], [`crate::producers::SendDraft`]).

pub mod generator;
pub mod group;
pub mod publish;
pub mod seed;
pub mod topic;
