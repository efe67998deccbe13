//! What a layout produces: boxes, lanes, record cells, markers, edges and travelling
//! records, in CSS pixels ([`Scene`]).

use crate::stage::model::ProducerKind;

/// An axis-aligned box.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    /// Right edge.
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    /// Bottom edge.
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    /// Vertical centre.
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }

    /// True when the box reaches into the rows `top..bottom` (for drawing only what shows).
    pub fn overlaps_rows(&self, top: f64, bottom: f64) -> bool {
        self.bottom() >= top && self.y <= bottom
    }
}

/// A point.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Lanes of records, one thin row each, or a heat strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LaneMode {
    /// A header and keyed record cells per partition.
    Full,
    /// One thin row of coloured cells per partition.
    Compact,
    /// One square per partition, shaded by its records.
    Heat,
}

/// Side by side or stacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    Columns,
    Stacked,
}

/// What a node stands for. A new kind of node (a saga service, a broker) is a new variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeId {
    Producer(ProducerKind),
    Partition(u32),
    Group(String),
    Member { group: String, member: String },
}

/// A node and its box.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: NodeId,
    pub rect: Rect,
}

/// A partition's lane (or heat cell) with its decorations.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneBox {
    pub partition: u32,
    /// The whole lane, header included.
    pub rect: Rect,
    /// Where the records are drawn.
    pub body: Rect,
    /// x of the high watermark (just right of the newest committed record).
    pub high_watermark_x: f64,
    /// x of the "HW n" label: right of the newest record drawn, committed or not.
    pub head_label_x: f64,
    /// x of the log start, when the oldest record is on screen.
    pub log_start_x: Option<f64>,
    /// Records older than the ones drawn.
    pub older: u64,
    /// Records in the log, relative to the fullest partition (0..=1), for the heat shade.
    pub heat: f64,
}

/// One record cell.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordBox {
    pub partition: u32,
    pub offset: u64,
    pub rect: Rect,
    pub key: String,
    pub value: String,
    pub hue: u32,
    pub duplicate_of: Option<u64>,
    pub redelivered: bool,
    /// False for a record the leader holds above the high watermark (not yet committed:
    /// no consumer sees it, and a failover may lose it).
    pub committed: bool,
    /// A saga compensation command (drawn in its own colour).
    pub compensation: bool,
}

/// A group's committed offset on a lane.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitMarker {
    pub partition: u32,
    pub group: String,
    pub colour: usize,
    pub offset: u64,
    /// Tip of the triangle.
    pub at: Point,
    /// The offset is older than every record drawn (the marker sits at the tail).
    pub behind: bool,
}

/// What an edge says.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// The member owns the partition.
    Owns,
    /// Cooperative: it owns it until its batch is done, then gives it up.
    Revoking,
    /// Given up in a rebalance still under way; nobody owns it yet (drawn fading).
    Released { lost: bool },
    /// Heat strip: all the partitions a member owns, as one edge.
    Owned { partitions: usize },
}

/// One edge from a partition to the member that reads it, in the group's colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// `(group, partition or u32::MAX for an aggregate, member)`: stable across ticks.
    pub id: (String, u32, String),
    pub kind: EdgeKind,
    pub colour: usize,
    /// SVG path data.
    pub path: String,
    /// Landed on this member in the last ticks (drawn highlighted).
    pub fresh: bool,
    /// Rows the edge spans (for drawing only what shows).
    pub span: (f64, f64),
}

/// A record moving along a straight line.
#[derive(Clone, Debug, PartialEq)]
pub struct TravelPath {
    pub id: (u64, u64),
    pub from: Point,
    pub to: Point,
    pub hue: u32,
    pub consumed: bool,
}

/// The routing arithmetic of the last record published by hand, beside its lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Callout {
    pub rect: Rect,
    pub lines: Vec<String>,
    /// Where the leader line ends (the record's cell or lane).
    pub anchor: Point,
}

/// Everything drawn on the stage, in CSS pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub width: f64,
    pub height: f64,
    pub orientation: Orientation,
    pub lane_mode: LaneMode,
    /// Heat strip: squares per row (arrow keys move by it).
    pub heat_columns: usize,
    pub nodes: Vec<Node>,
    pub lanes: Vec<LaneBox>,
    pub records: Vec<RecordBox>,
    pub commits: Vec<CommitMarker>,
    pub edges: Vec<Edge>,
    pub travels: Vec<TravelPath>,
    pub callout: Option<Callout>,
    /// Where each node is in `nodes`. A sorted vector: one map type fewer in the wasm than a
    /// `BTreeMap` keyed by `NodeId` (BENCHMARKS.md, "The bundle, session 11").
    pub(super) index: litemap::LiteMap<NodeId, usize>,
}

impl Scene {
    /// The box of a node.
    pub fn rect(&self, id: &NodeId) -> Option<Rect> {
        self.index.get(id).map(|i| self.nodes[*i].rect)
    }

    pub(super) fn index_nodes(&mut self) {
        let mut index: Vec<(NodeId, usize)> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        // Stable, so of two nodes with one id the later stays last: it is kept, as a map
        // built by inserting in order would keep it.
        orderflow_engine::sort::sort_by(&mut index, |a, b| a.0.cmp(&b.0));
        index.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        self.index = litemap::LiteMap::from_sorted_store_unchecked(index);
    }

    /// A partition's lane.
    pub fn lane(&self, partition: u32) -> Option<&LaneBox> {
        self.lanes.get(partition as usize)
    }
}
