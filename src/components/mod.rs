//! The playground's panels, one module each. Every panel reads the shared
//! [`crate::state::Engine`] from context and sends it actions.

pub mod cluster;
pub mod explain;
pub mod fields;
pub mod generator;
pub mod groups;
pub mod partitions;
pub mod presets;
pub mod producers;
pub mod publish;
pub mod rebalance;
pub mod routing;
pub mod row_viewport;
pub mod saga_insight;
pub mod sagas;
pub mod share;
pub mod stage;
pub mod stage_dock;
pub mod theme;
pub mod time_controls;
pub mod topic_setup;
pub mod topics;
