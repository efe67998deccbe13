//! The stage: the running system as one live diagram (producers, the selected topic's
//! partitions as lanes, consumer groups with their members, an edge per owned partition,
//! records travelling), plus the side panel ("dock") that shows the forms and the details
//! of whatever is selected.
//!
//! - [`model`]: what the stage shows, read from the playground in one pass (plain data).
//! - [`layout`]: where it goes, a pure function of a snapshot and a width.
//! - [`replication`]: a replicated partition's leader, ISR and records not yet committed.
//! - [`text`]: the stage in words (its text alternative and accessible names).
//!
//! The components that draw a scene live in `components/stage.rs` and `components/stage/`, the toolbar and the dock
//! in `components/stage_dock.rs`. See ARCHITECTURE.md, "The stage".

pub mod layout;
pub mod model;
pub mod replication;
pub mod text;

use leptos::prelude::*;

/// What the dock shows the details of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// The topic: its routing table and skew.
    Topic,
    /// One partition's log.
    Partition { topic: String, partition: u32 },
    /// One record (and its partition's log).
    Record {
        topic: String,
        partition: u32,
        offset: u64,
    },
    /// One consumer group.
    Group(String),
    /// One member (and its group).
    Member { group: String, member: String },
}

/// A form panel of the toolbar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drawer {
    Presets,
    Topics,
    Setup,
    Generator,
    Producers,
    Groups,
    Sagas,
    Cluster,
    Share,
}

impl Drawer {
    /// Every drawer, in toolbar order.
    pub const ALL: [Drawer; 9] = [
        Drawer::Presets,
        Drawer::Topics,
        Drawer::Setup,
        Drawer::Generator,
        Drawer::Producers,
        Drawer::Groups,
        Drawer::Sagas,
        Drawer::Cluster,
        Drawer::Share,
    ];

    /// The toolbar button's text.
    pub fn label(self) -> &'static str {
        match self {
            Drawer::Presets => "Presets",
            Drawer::Topics => "Topics",
            Drawer::Setup => "Setup",
            Drawer::Generator => "Generator",
            Drawer::Producers => "Producers",
            Drawer::Groups => "Groups",
            Drawer::Sagas => "Sagas",
            Drawer::Cluster => "Cluster",
            Drawer::Share => "Share",
        }
    }

    /// The element id of its panel.
    pub fn id(self) -> &'static str {
        match self {
            Drawer::Presets => "drawer-presets",
            Drawer::Topics => "drawer-topics",
            Drawer::Setup => "drawer-setup",
            Drawer::Generator => "drawer-generator",
            Drawer::Producers => "drawer-producers",
            Drawer::Groups => "drawer-groups",
            Drawer::Sagas => "drawer-sagas",
            Drawer::Cluster => "drawer-cluster",
            Drawer::Share => "drawer-share",
        }
    }
}

/// What the side panel shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DockView {
    /// Nothing: the stage takes the whole width.
    #[default]
    Closed,
    Drawer(Drawer),
    Details(Selection),
}

/// The side panel's state (context).
#[derive(Clone, Copy)]
pub struct Dock(pub RwSignal<DockView>);

impl Dock {
    /// Opens the details of `selection`.
    pub fn select(&self, selection: Selection) {
        self.0.set(DockView::Details(selection));
    }

    /// Opens `drawer`, or closes it when it is already open.
    pub fn toggle(&self, drawer: Drawer) {
        self.0.update(|v| {
            *v = if *v == DockView::Drawer(drawer) {
                DockView::Closed
            } else {
                DockView::Drawer(drawer)
            }
        });
    }
}

/// True when travel must not be animated (`prefers-reduced-motion: reduce`), as context:
/// the app reads the media query, a test may set it.
#[derive(Clone, Copy)]
pub struct ReducedMotion(pub Signal<bool>);
