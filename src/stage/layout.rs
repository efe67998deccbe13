//! Where everything on the stage goes: a pure function from a [`StageSnapshot`] and the
//! stage's width (CSS pixels) to a [`Scene`] of boxes, record cells, markers, edges and
//! travelling records. The components in `components/stage.rs` only draw a scene.
//!
//! The stage is laid out in columns, data flowing left to right: sources (producers),
//! logs (the topic's partitions as lanes), readers (consumer groups with their members).
//! Each node has a [`NodeId`] that names what it stands for, so it keeps its DOM element
//! (and its keyboard focus) from one tick to the next. Below [`STACK_BELOW_PX`] the columns
//! stack vertically (a phone held upright) and the edges run down the right margin.
//!
//! Lanes change with the partition count: up to [`FULL_LANES_MAX`] partitions a lane shows
//! its newest records with their keys; up to [`COMPACT_LANES_MAX`] it is one thin row of
//! coloured cells; past that the partitions become a heat strip, one small square each
//! (still focusable one by one), and each member gets one edge for all its partitions.

use super::model::{GroupNode, ProducerKind, StageSnapshot, TravelRoute};
use crate::playground::key_hue;

/// Narrower than this, the columns stack vertically.
pub const STACK_BELOW_PX: f64 = 720.0;
/// Most partitions drawn as full lanes (header and keyed record cells).
pub const FULL_LANES_MAX: usize = 8;
/// Most partitions drawn as lanes at all; past this, a heat strip.
pub const COMPACT_LANES_MAX: usize = 48;

const PAD: f64 = 12.0;
/// Monospace text at 11px: the width of one character, for fitting labels.
const CHAR_PX: f64 = 6.7;
const FULL_LANE_HEADER: f64 = 18.0;
const FULL_LANE_BODY: f64 = 32.0;
const FULL_LANE_GAP: f64 = 12.0;
const FULL_CELL: f64 = 58.0;
const COMPACT_LANE: f64 = 18.0;
const COMPACT_LANE_GAP: f64 = 4.0;
const COMPACT_CELL: f64 = 12.0;
const COMPACT_LABEL: f64 = 40.0;
const CELL_GAP: f64 = 4.0;
const HEAT_CELL: f64 = 14.0;
const HEAT_GAP: f64 = 2.0;
/// Room right of the newest record for the high-watermark label.
const HEAD_ROOM: f64 = 52.0;
/// Height of one line of the routing callout.
const CALLOUT_LINE: f64 = 14.0;
const PRODUCER_HEIGHT: f64 = 44.0;
const PRODUCER_GAP: f64 = 10.0;
const GROUP_HEADER: f64 = 24.0;
/// A group title's second line, when name and state do not fit on one.
const GROUP_STATUS_LINE: f64 = 15.0;
/// Average advance of a bold 12px character (the group title), a little generous.
const BOLD_CHAR_PX: f64 = 7.6;
/// Room a full lane keeps at its tail for "+12.3k older", so it never covers a record.
const OLDER_ROOM: f64 = 70.0;
const GROUP_GAP: f64 = 12.0;
const MEMBER_GAP: f64 = 6.0;
/// Width of the right margin the edges run down in the stacked layout.
const STACK_GUTTER: f64 = 30.0;

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
    /// x of the high watermark (just right of the newest record).
    pub high_watermark_x: f64,
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
    /// Where each node is in `nodes`.
    index: std::collections::BTreeMap<NodeId, usize>,
}

impl Scene {
    /// The box of a node.
    pub fn rect(&self, id: &NodeId) -> Option<Rect> {
        self.index.get(id).map(|i| self.nodes[*i].rect)
    }

    fn index_nodes(&mut self) {
        self.index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
    }

    /// A partition's lane.
    pub fn lane(&self, partition: u32) -> Option<&LaneBox> {
        self.lanes.get(partition as usize)
    }
}

/// The lane mode for a partition count.
pub fn lane_mode(partitions: usize) -> LaneMode {
    if partitions <= FULL_LANES_MAX {
        LaneMode::Full
    } else if partitions <= COMPACT_LANES_MAX {
        LaneMode::Compact
    } else {
        LaneMode::Heat
    }
}

/// How many of the newest records per partition the stage needs for `partitions` lanes.
pub fn head_records(partitions: usize) -> u64 {
    match lane_mode(partitions) {
        LaneMode::Heat => 0,
        _ => super::model::HEAD_RECORDS,
    }
}

/// The columns' x ranges: (producers, lanes, groups), for the side-by-side layout.
struct Columns {
    producers: (f64, f64),
    lanes: (f64, f64),
    groups: (f64, f64),
}

fn columns(width: f64) -> Columns {
    let producers_w = (width * 0.13).clamp(112.0, 170.0);
    let groups_w = (width * 0.27).clamp(200.0, 360.0);
    let gutter = (width * 0.08).clamp(56.0, 120.0);
    let lanes_x = PAD + producers_w + 36.0;
    let groups_x = width - PAD - groups_w;
    Columns {
        producers: (PAD, producers_w),
        lanes: (lanes_x, (groups_x - gutter - lanes_x).max(120.0)),
        groups: (groups_x, groups_w),
    }
}

/// Lays the snapshot out for a stage `width` CSS pixels wide.
pub fn layout(snapshot: &StageSnapshot, width: f64) -> Scene {
    let width = width.max(280.0);
    let orientation = if width < STACK_BELOW_PX {
        Orientation::Stacked
    } else {
        Orientation::Columns
    };
    let mode = lane_mode(snapshot.partitions.len());
    // Room above the lanes for the routing arithmetic (two lines unless the lanes are narrow).
    let callout_band = |lanes_w: f64| {
        let lines = snapshot
            .hand_routing
            .as_ref()
            .map_or(2, |r| callout_lines(r, lanes_w).len().max(2));
        if mode == LaneMode::Full {
            lines as f64 * CALLOUT_LINE + 16.0
        } else {
            0.0
        }
    };
    let mut scene = Scene {
        width,
        height: 0.0,
        orientation,
        lane_mode: mode,
        heat_columns: 0,
        nodes: Vec::new(),
        lanes: Vec::new(),
        records: Vec::new(),
        commits: Vec::new(),
        edges: Vec::new(),
        travels: Vec::new(),
        callout: None,
        index: Default::default(),
    };
    let (producers_area, lanes_x, lanes_w, lanes_top, groups_area) = match orientation {
        Orientation::Columns => {
            let c = columns(width);
            let top = PAD + callout_band(c.lanes.1);
            (
                Rect {
                    x: c.producers.0,
                    y: top,
                    w: c.producers.1,
                    h: 0.0,
                },
                c.lanes.0,
                c.lanes.1,
                top,
                Rect {
                    x: c.groups.0,
                    y: top,
                    w: c.groups.1,
                    h: 0.0,
                },
            )
        }
        Orientation::Stacked => {
            let producers_bottom = place_producers_in_rows(&mut scene, snapshot, width);
            let lanes_w = width - 2.0 * PAD - STACK_GUTTER;
            let top = producers_bottom + PAD + callout_band(lanes_w);
            (
                Rect::default(),
                PAD,
                lanes_w,
                top,
                Rect {
                    x: PAD,
                    y: 0.0,
                    w: lanes_w,
                    h: 0.0,
                },
            )
        }
    };
    if orientation == Orientation::Columns {
        place_producers_in_column(&mut scene, snapshot, producers_area);
    }
    let lanes_bottom = place_lanes(&mut scene, snapshot, lanes_x, lanes_w, lanes_top);
    let groups_top = match orientation {
        Orientation::Columns => groups_area.y,
        Orientation::Stacked => lanes_bottom + 2.0 * PAD,
    };
    let groups_bottom = place_groups(
        &mut scene,
        &snapshot.groups,
        groups_area.x,
        groups_area.w,
        groups_top,
    );
    scene.index_nodes();
    place_edges(&mut scene, snapshot);
    place_travels(&mut scene, snapshot);
    place_callout(&mut scene, snapshot, lanes_x, lanes_w, lanes_top);
    let producers_bottom = scene
        .nodes
        .iter()
        .filter(|n| matches!(n.id, NodeId::Producer(_)))
        .map(|n| n.rect.bottom())
        .fold(0.0, f64::max);
    scene.height = lanes_bottom.max(groups_bottom).max(producers_bottom) + PAD;
    scene
}

fn place_producers_in_column(scene: &mut Scene, snapshot: &StageSnapshot, area: Rect) {
    for (i, p) in snapshot.producers.iter().enumerate() {
        scene.nodes.push(Node {
            id: NodeId::Producer(p.kind.clone()),
            rect: Rect {
                x: area.x,
                y: area.y + i as f64 * (PRODUCER_HEIGHT + PRODUCER_GAP),
                w: area.w,
                h: PRODUCER_HEIGHT,
            },
        });
    }
}

/// Stacked: producers two to a row at the top; returns their bottom.
fn place_producers_in_rows(scene: &mut Scene, snapshot: &StageSnapshot, width: f64) -> f64 {
    let per_row = if width >= 520.0 { 3 } else { 2 };
    let w = (width - 2.0 * PAD - (per_row - 1) as f64 * PRODUCER_GAP) / per_row as f64;
    let mut bottom = PAD;
    for (i, p) in snapshot.producers.iter().enumerate() {
        let rect = Rect {
            x: PAD + (i % per_row) as f64 * (w + PRODUCER_GAP),
            y: PAD + (i / per_row) as f64 * (PRODUCER_HEIGHT + PRODUCER_GAP),
            w,
            h: PRODUCER_HEIGHT,
        };
        bottom = rect.bottom();
        scene.nodes.push(Node {
            id: NodeId::Producer(p.kind.clone()),
            rect,
        });
    }
    bottom
}

/// Places the lanes (or the heat strip), their records and commit markers; returns the
/// bottom of the last one.
/// Past [`COMPACT_LANES_MAX`] partitions: one square each, row after row.
fn place_heat_strip(
    scene: &mut Scene,
    snapshot: &StageSnapshot,
    (x, w, top): (f64, f64, f64),
    fullest: f64,
) -> f64 {
    let columns = ((w + HEAT_GAP) / (HEAT_CELL + HEAT_GAP)).floor().max(1.0) as usize;
    scene.heat_columns = columns;
    let mut bottom = top;
    for (i, p) in snapshot.partitions.iter().enumerate() {
        let rect = Rect {
            x: x + (i % columns) as f64 * (HEAT_CELL + HEAT_GAP),
            y: top + (i / columns) as f64 * (HEAT_CELL + HEAT_GAP),
            w: HEAT_CELL,
            h: HEAT_CELL,
        };
        bottom = rect.bottom();
        scene.lanes.push(LaneBox {
            partition: p.partition,
            rect,
            body: rect,
            high_watermark_x: rect.right(),
            log_start_x: None,
            older: p.records(),
            heat: p.records() as f64 / fullest,
        });
        scene.nodes.push(Node {
            id: NodeId::Partition(p.partition),
            rect,
        });
    }
    bottom
}

/// A lane's newest records (newest at the head, on the right) and its commit markers;
/// returns the head's x, the oldest offset drawn and the log start's x if it is drawn.
fn place_lane_records(
    scene: &mut Scene,
    snapshot: &StageSnapshot,
    p: &super::model::PartitionState,
    body: Rect,
    (cell, slots): (f64, u64),
) -> (f64, u64, Option<f64>) {
    // Newest at the head (right): offset o sits (hw - 1 - o) cells left of the head.
    let head_x = body.right() - HEAD_ROOM;
    let cell_x = |offset: u64| head_x - (p.high_watermark - offset) as f64 * (cell + CELL_GAP);
    let shown: Vec<_> = p
        .head
        .iter()
        .filter(|r| p.high_watermark - r.offset <= slots)
        .collect();
    let first_shown = shown.first().map_or(p.high_watermark, |r| r.offset);
    for r in &shown {
        scene.records.push(RecordBox {
            partition: p.partition,
            offset: r.offset,
            rect: Rect {
                x: cell_x(r.offset),
                y: body.y + 3.0,
                w: cell,
                h: body.h - 6.0,
            },
            key: r.key.clone(),
            value: r.value.clone(),
            hue: key_hue(&r.key),
            duplicate_of: r.duplicate_of,
            redelivered: !r.redelivered_to.is_empty(),
        });
    }
    let tail_x = cell_x(first_shown) - CELL_GAP / 2.0;
    let log_start_x = (p.log_start_offset >= first_shown).then_some(tail_x);
    // A full lane labels each marker with the group's initial, right of the triangle.
    let marker_step = if cell >= FULL_CELL { 17.0 } else { 9.0 };
    for (i, (group, offset)) in p.committed.iter().enumerate() {
        let behind = *offset < first_shown;
        // Groups at the same offset stand side by side rather than on top of each other.
        let same = p.committed[..i]
            .iter()
            .filter(|(_, o)| (*o).max(first_shown) == (*offset).max(first_shown))
            .count();
        let at_x = if behind {
            tail_x.max(body.x)
        } else {
            cell_x((*offset).min(p.high_watermark)) - CELL_GAP / 2.0
        };
        scene.commits.push(CommitMarker {
            partition: p.partition,
            group: snapshot.groups[*group].name.clone(),
            colour: snapshot.groups[*group].colour,
            offset: *offset,
            at: Point {
                x: at_x + same as f64 * marker_step,
                y: body.bottom(),
            },
            behind,
        });
    }
    (head_x, first_shown, log_start_x)
}

fn place_lanes(scene: &mut Scene, snapshot: &StageSnapshot, x: f64, w: f64, top: f64) -> f64 {
    let fullest = snapshot
        .partitions
        .iter()
        .map(|p| p.records())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mode = scene.lane_mode;
    if mode == LaneMode::Heat {
        return place_heat_strip(scene, snapshot, (x, w, top), fullest);
    }
    let (header, body_h, gap, cell, label) = match mode {
        LaneMode::Full => (
            FULL_LANE_HEADER,
            FULL_LANE_BODY,
            FULL_LANE_GAP,
            FULL_CELL,
            0.0,
        ),
        _ => (
            0.0,
            COMPACT_LANE,
            COMPACT_LANE_GAP,
            COMPACT_CELL,
            COMPACT_LABEL,
        ),
    };
    let tail_room = if mode == LaneMode::Full {
        OLDER_ROOM
    } else {
        0.0
    };
    let slots = (((w - label - HEAD_ROOM - tail_room) / (cell + CELL_GAP))
        .floor()
        .max(1.0) as u64)
        .min(super::model::HEAD_RECORDS);
    let mut bottom = top;
    for (i, p) in snapshot.partitions.iter().enumerate() {
        let rect = Rect {
            x,
            y: top + i as f64 * (header + body_h + gap),
            w,
            h: header + body_h,
        };
        bottom = rect.bottom();
        let body = Rect {
            x: x + label,
            y: rect.y + header,
            w: w - label,
            h: body_h,
        };
        let (head_x, first_shown, log_start_x) =
            place_lane_records(scene, snapshot, p, body, (cell, slots));
        scene.lanes.push(LaneBox {
            partition: p.partition,
            rect,
            body,
            high_watermark_x: head_x - CELL_GAP / 2.0,
            log_start_x,
            older: first_shown - p.log_start_offset,
            heat: p.records() as f64 / fullest,
        });
        scene.nodes.push(Node {
            id: NodeId::Partition(p.partition),
            rect,
        });
    }
    bottom
}

/// Members per row in a group box, by group size.
fn member_columns(members: usize, width: f64) -> usize {
    let wanted = match members {
        0..=4 => 2,
        5..=9 => 3,
        _ => 4,
    };
    // Never chips narrower than 64px.
    wanted.min(((width - 16.0) / 64.0).floor().max(1.0) as usize)
}

/// A group's title: its name, and its state ("stable · gen 2 · lag 980").
pub fn group_title(g: &GroupNode) -> (String, String) {
    (
        g.name.clone(),
        format!("{} · gen {} · lag {}", g.phase_text(), g.generation, g.lag),
    )
}

/// Whether a group's title needs two lines in a box `width` wide (the state goes below the
/// name rather than running past the box's edge).
pub fn group_title_wraps(g: &GroupNode, width: f64) -> bool {
    let (name, status) = group_title(g);
    let chars = name.chars().count() + 3 + status.chars().count();
    chars as f64 * BOLD_CHAR_PX > width - 20.0
}

/// The height of a group box's title band.
pub fn group_header_height(g: &GroupNode, width: f64) -> f64 {
    if group_title_wraps(g, width) {
        GROUP_HEADER + GROUP_STATUS_LINE
    } else {
        GROUP_HEADER
    }
}

/// Places the group boxes and their member chips; returns the bottom of the last one.
fn place_groups(scene: &mut Scene, groups: &[GroupNode], x: f64, w: f64, top: f64) -> f64 {
    let mut y = top;
    for g in groups {
        let columns = member_columns(g.members.len(), w);
        let chip_h = if columns <= 2 { 26.0 } else { 22.0 };
        let rows = g.members.len().div_ceil(columns).max(1);
        let header = group_header_height(g, w);
        let h = header + MEMBER_GAP + rows as f64 * (chip_h + MEMBER_GAP) + 4.0;
        scene.nodes.push(Node {
            id: NodeId::Group(g.name.clone()),
            rect: Rect { x, y, w, h },
        });
        let chip_w = (w - 16.0 - (columns - 1) as f64 * MEMBER_GAP) / columns as f64;
        for (i, m) in g.members.iter().enumerate() {
            scene.nodes.push(Node {
                id: NodeId::Member {
                    group: g.name.clone(),
                    member: m.id.clone(),
                },
                rect: Rect {
                    x: x + 8.0 + (i % columns) as f64 * (chip_w + MEMBER_GAP),
                    y: y + header + MEMBER_GAP + (i / columns) as f64 * (chip_h + MEMBER_GAP),
                    w: chip_w,
                    h: chip_h,
                },
            });
        }
        y += h + GROUP_GAP;
    }
    (y - GROUP_GAP).max(top)
}

/// A curve from a lane's end to a member, in the layout's direction.
/// `track` spreads groups' edges over the right margin when stacked, so they do not overlap.
fn edge_path(scene: &Scene, from: Point, to: Rect, track: usize) -> (String, (f64, f64)) {
    match scene.orientation {
        Orientation::Columns => {
            let end = Point {
                x: to.x,
                y: to.cy(),
            };
            let dx = ((end.x - from.x) * 0.5).max(20.0);
            (
                format!(
                    "M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
                    from.x,
                    from.y,
                    from.x + dx,
                    from.y,
                    end.x - dx,
                    end.y,
                    end.x,
                    end.y
                ),
                (from.y.min(end.y), from.y.max(end.y)),
            )
        }
        Orientation::Stacked => {
            // Out to the right margin, down it, and back in to the member's right side.
            let gx = scene.width - PAD - 4.0 - (track % 4) as f64 * 7.0;
            let end = Point {
                x: to.right(),
                y: to.cy(),
            };
            (
                format!(
                    "M{:.1} {:.1}C{:.1} {:.1} {gx:.1} {:.1} {gx:.1} {:.1}L{gx:.1} {:.1}C{gx:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
                    from.x,
                    from.y,
                    gx,
                    from.y,
                    from.y,
                    from.y + 10.0,
                    end.y - 10.0,
                    end.y,
                    end.x + 10.0,
                    end.y,
                    end.x,
                    end.y
                ),
                (from.y.min(end.y), from.y.max(end.y)),
            )
        }
    }
}

/// Where edges leave a lane: its right end, at the body's middle.
fn lane_exit(lane: &LaneBox, mode: LaneMode) -> Point {
    match mode {
        LaneMode::Heat => Point {
            x: lane.rect.right(),
            y: lane.rect.cy(),
        },
        _ => Point {
            x: lane.body.right(),
            y: lane.body.cy(),
        },
    }
}

fn place_edges(scene: &mut Scene, snapshot: &StageSnapshot) {
    let mut edges = Vec::new();
    let heat = scene.lane_mode == LaneMode::Heat;
    let strip_right = scene
        .lanes
        .iter()
        .map(|l| l.rect.right())
        .fold(0.0, f64::max);
    for (track, g) in snapshot.groups.iter().enumerate() {
        for m in &g.members {
            let Some(to) = scene.rect(&NodeId::Member {
                group: g.name.clone(),
                member: m.id.clone(),
            }) else {
                continue;
            };
            if heat {
                let ys: Vec<f64> = m
                    .owned
                    .iter()
                    .filter_map(|p| scene.lane(*p).map(|l| l.rect.cy()))
                    .collect();
                if ys.is_empty() {
                    continue;
                }
                let from = Point {
                    x: strip_right + 2.0,
                    y: ys.iter().sum::<f64>() / ys.len() as f64,
                };
                let (path, span) = edge_path(scene, from, to, track);
                edges.push(Edge {
                    id: (g.name.clone(), u32::MAX, m.id.clone()),
                    kind: EdgeKind::Owned {
                        partitions: ys.len(),
                    },
                    colour: g.colour,
                    path,
                    fresh: !m.fresh.is_empty(),
                    span,
                });
                continue;
            }
            for p in &m.owned {
                let Some(lane) = scene.lane(*p) else { continue };
                let (path, span) = edge_path(scene, lane_exit(lane, scene.lane_mode), to, track);
                edges.push(Edge {
                    id: (g.name.clone(), *p, m.id.clone()),
                    kind: if m.revoking.contains(p) {
                        EdgeKind::Revoking
                    } else {
                        EdgeKind::Owns
                    },
                    colour: g.colour,
                    path,
                    fresh: m.fresh.contains(p),
                    span,
                });
            }
        }
        if heat {
            continue;
        }
        for r in &g.released {
            let Some(lane) = scene.lane(r.partition) else {
                continue;
            };
            // A timed-out member has left the group: the edge fades towards the group.
            let to = scene
                .rect(&NodeId::Member {
                    group: g.name.clone(),
                    member: r.from.clone(),
                })
                .or_else(|| {
                    scene.rect(&NodeId::Group(g.name.clone())).map(|b| Rect {
                        h: group_header_height(g, b.w),
                        ..b
                    })
                });
            let Some(to) = to else { continue };
            let (path, span) = edge_path(scene, lane_exit(lane, scene.lane_mode), to, track);
            edges.push(Edge {
                id: (g.name.clone(), r.partition, r.from.clone()),
                kind: EdgeKind::Released { lost: r.lost },
                colour: g.colour,
                path,
                fresh: false,
                span,
            });
        }
    }
    scene.edges = edges;
}

fn place_travels(scene: &mut Scene, snapshot: &StageSnapshot) {
    let mut travels = Vec::new();
    for t in &snapshot.travels {
        let hue = key_hue(&t.key);
        let path = match &t.route {
            TravelRoute::Produced {
                producer,
                partition,
            } => {
                let Some(kind) = snapshot.producers.get(*producer).map(|p| &p.kind) else {
                    continue;
                };
                let (Some(from), Some(lane)) = (
                    scene.rect(&NodeId::Producer(kind.clone())),
                    scene.lane(*partition),
                ) else {
                    continue;
                };
                let from = match scene.orientation {
                    Orientation::Columns => Point {
                        x: from.right(),
                        y: from.cy(),
                    },
                    Orientation::Stacked => Point {
                        x: from.x + from.w / 2.0,
                        y: from.bottom(),
                    },
                };
                let to = Point {
                    x: lane.high_watermark_x.min(lane.body.right()) - 6.0,
                    y: lane.body.cy(),
                };
                TravelPath {
                    id: t.id,
                    from,
                    to,
                    hue,
                    consumed: false,
                }
            }
            TravelRoute::Consumed {
                partition,
                group,
                member,
            } => {
                let Some(g) = snapshot.groups.get(*group) else {
                    continue;
                };
                let (Some(lane), Some(to)) = (
                    scene.lane(*partition),
                    scene.rect(&NodeId::Member {
                        group: g.name.clone(),
                        member: member.clone(),
                    }),
                ) else {
                    continue;
                };
                let to = match scene.orientation {
                    Orientation::Columns => Point {
                        x: to.x,
                        y: to.cy(),
                    },
                    Orientation::Stacked => Point {
                        x: to.right(),
                        y: to.cy(),
                    },
                };
                TravelPath {
                    id: t.id,
                    from: lane_exit(lane, scene.lane_mode),
                    to,
                    hue,
                    consumed: true,
                }
            }
        };
        travels.push(path);
    }
    scene.travels = travels;
}

/// Splits the routing arithmetic into lines that fit `width`.
pub fn callout_lines(r: &super::model::HandRouting, width: f64) -> Vec<String> {
    let bytes: Vec<String> = r
        .key_bytes
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect();
    let more = if r.key_bytes.len() > 12 { " …" } else { "" };
    let parts = [
        format!("{} → bytes {}{more}", r.key, bytes.join(" ")),
        format!("→ {} {}", r.partitioner, r.hash),
        format!(
            "→ {} mod {} = {}",
            r.positive_hash, r.partitions, r.partition
        ),
        format!("→ Partition {}", r.partition),
    ];
    let fit = ((width - 16.0) / CHAR_PX).floor().max(12.0) as usize;
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + part.chars().count() <= fit => {
                line.push(' ');
                line.push_str(&part);
            }
            _ => lines.push(part),
        }
    }
    lines
}

fn place_callout(scene: &mut Scene, snapshot: &StageSnapshot, x: f64, w: f64, lanes_top: f64) {
    if scene.lane_mode != LaneMode::Full {
        return;
    }
    let Some(r) = &snapshot.hand_routing else {
        return;
    };
    let Some(lane) = scene.lane(r.partition) else {
        return;
    };
    let lines = callout_lines(r, w);
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let h = CALLOUT_LINE * lines.len() as f64 + 10.0;
    let rect = Rect {
        x,
        y: lanes_top - h - 4.0,
        w: (longest * CHAR_PX + 16.0).min(w),
        h,
    };
    let anchor = scene
        .records
        .iter()
        .find(|c| c.partition == r.partition && c.offset == r.offset)
        .map_or(
            Point {
                x: lane.high_watermark_x,
                y: lane.body.y,
            },
            |c| Point {
                x: c.rect.x + c.rect.w / 2.0,
                y: c.rect.y,
            },
        );
    scene.callout = Some(Callout {
        rect,
        lines,
        anchor,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::model::{
        GroupPhase, HeadRecord, MemberNode, MemberState, PartitionState, ProducerState,
    };
    use orderflow_engine::group::Protocol;

    fn partition(partition: u32, records: u64) -> PartitionState {
        PartitionState {
            partition,
            log_start_offset: 0,
            high_watermark: records,
            head: (records.saturating_sub(16)..records)
                .map(|offset| HeadRecord {
                    offset,
                    key: format!("U{offset}"),
                    value: format!("O{offset} Created"),
                    duplicate_of: None,
                    redelivered_to: Vec::new(),
                })
                .collect(),
            committed: vec![(0, records / 2)],
        }
    }

    fn group(name: &str, colour: usize, members: usize, partitions: u32) -> GroupNode {
        GroupNode {
            name: name.to_string(),
            colour,
            phase: GroupPhase::Stable,
            protocol: Protocol::Eager,
            generation: 1,
            session_timeout_ticks: 10,
            members: (0..members)
                .map(|i| MemberNode {
                    id: format!("c{}", i + 1),
                    state: MemberState::Consuming,
                    owned: (0..partitions)
                        .filter(|p| *p as usize % members == i)
                        .collect(),
                    revoking: Vec::new(),
                    fresh: Vec::new(),
                    lag: 0,
                })
                .collect(),
            released: Vec::new(),
            lag: 0,
            owners: Vec::new(),
        }
    }

    fn snapshot(partitions: u32, groups: usize, members: usize) -> StageSnapshot {
        StageSnapshot {
            topic: "orders".into(),
            routing: "murmur2 on user_id".into(),
            now: 5,
            epoch: 1,
            partitions: (0..partitions).map(|p| partition(p, 30)).collect(),
            producers: vec![
                ProducerState {
                    kind: ProducerKind::Hand,
                    detail: "key user_id".into(),
                },
                ProducerState {
                    kind: ProducerKind::Generator,
                    detail: "stopped".into(),
                },
            ],
            groups: (0..groups)
                .map(|g| {
                    let mut node = group(&format!("g{g}"), g, members, partitions);
                    node.index_owners(partitions as usize);
                    node
                })
                .collect(),
            other_groups: 0,
            hand_routing: None,
            travels: Vec::new(),
        }
    }

    fn inside(inner: Rect, outer: Rect) -> bool {
        inner.x >= outer.x - 0.01
            && inner.y >= outer.y - 0.01
            && inner.right() <= outer.right() + 0.01
            && inner.bottom() <= outer.bottom() + 0.01
    }

    fn overlap(a: Rect, b: Rect) -> bool {
        a.x < b.right() && b.x < a.right() && a.y < b.bottom() && b.y < a.bottom()
    }

    #[test]
    fn producers_lanes_and_groups_stand_left_to_right_without_overlapping() {
        let scene = layout(&snapshot(4, 3, 2), 1400.0);
        assert_eq!(scene.orientation, Orientation::Columns);
        assert_eq!(scene.lane_mode, LaneMode::Full);
        let hand = scene.rect(&NodeId::Producer(ProducerKind::Hand)).unwrap();
        let lane = scene.lane(0).unwrap().rect;
        let group = scene.rect(&NodeId::Group("g0".into())).unwrap();
        assert!(hand.right() < lane.x && lane.right() < group.x);
        for a in &scene.nodes {
            assert!(a.rect.right() <= scene.width && a.rect.bottom() <= scene.height);
            for b in &scene.nodes {
                let nested = matches!((&a.id, &b.id), (NodeId::Group(g), NodeId::Member { group, .. }) | (NodeId::Member { group, .. }, NodeId::Group(g)) if g == group);
                if a.id != b.id && !nested {
                    assert!(!overlap(a.rect, b.rect), "{:?} overlaps {:?}", a.id, b.id);
                }
            }
        }
    }

    #[test]
    fn members_sit_inside_their_group_box() {
        let scene = layout(&snapshot(4, 12, 32), 1400.0);
        for g in 0..12 {
            let name = format!("g{g}");
            let boxed = scene.rect(&NodeId::Group(name.clone())).unwrap();
            for m in 1..=32 {
                let chip = scene
                    .rect(&NodeId::Member {
                        group: name.clone(),
                        member: format!("c{m}"),
                    })
                    .unwrap();
                assert!(
                    inside(chip, boxed),
                    "{name} c{m}: {chip:?} not in {boxed:?}"
                );
                assert!(chip.w >= 60.0, "chips stay readable: {}", chip.w);
            }
        }
        let groups: Vec<Rect> = (0..12)
            .map(|g| scene.rect(&NodeId::Group(format!("g{g}"))).unwrap())
            .collect();
        for pair in groups.windows(2) {
            assert!(pair[0].bottom() < pair[1].y, "groups stack without overlap");
        }
    }

    #[test]
    fn every_owned_partition_has_one_edge_in_its_groups_colour() {
        let s = snapshot(4, 3, 2);
        let scene = layout(&s, 1400.0);
        assert_eq!(scene.edges.len(), 3 * 4);
        for g in &s.groups {
            for p in 0..4 {
                let owner = g.owner(p).unwrap();
                let edges: Vec<&Edge> = scene
                    .edges
                    .iter()
                    .filter(|e| e.id.0 == g.name && e.id.1 == p)
                    .collect();
                assert_eq!(edges.len(), 1);
                assert_eq!(edges[0].id.2, owner.id);
                assert_eq!(edges[0].colour, g.colour);
                assert_eq!(edges[0].kind, EdgeKind::Owns);
            }
        }
    }

    #[test]
    fn the_older_count_has_its_own_room_left_of_the_oldest_record() {
        let s = snapshot(2, 1, 1);
        let scene = layout(&s, 900.0);
        let lane = scene.lane(0).unwrap();
        assert!(lane.older > 0);
        let oldest = scene.records.iter().find(|r| r.partition == 0).unwrap();
        assert!(
            oldest.rect.x >= lane.body.x + OLDER_ROOM - 0.01,
            "oldest cell at {} covers the label room from {}",
            oldest.rect.x,
            lane.body.x
        );
    }

    #[test]
    fn commit_markers_of_several_groups_behind_the_lane_stand_apart() {
        let mut s = snapshot(1, 3, 1);
        // Every group far behind the records drawn: all markers at the tail.
        s.partitions[0].committed = vec![(0, 0), (1, 1), (2, 2)];
        let scene = layout(&s, 1400.0);
        let xs: Vec<f64> = scene.commits.iter().map(|c| c.at.x).collect();
        assert_eq!(xs.len(), 3);
        assert!(scene.commits.iter().all(|c| c.behind));
        for pair in xs.windows(2) {
            // A triangle (10px) and the group's initial (about 6px) beside it.
            assert!(pair[1] - pair[0] >= 16.0, "{xs:?}");
        }
    }

    #[test]
    fn a_long_group_title_takes_a_second_line_and_its_members_move_down() {
        let mut s = snapshot(4, 1, 2);
        s.groups[0].name = "OrderProcessor".into();
        s.groups[0].lag = 98_000;
        let narrow = layout(&s, 820.0);
        let wide = layout(&s, 2400.0);
        let box_of = |scene: &Scene| scene.rect(&NodeId::Group("OrderProcessor".into())).unwrap();
        let member = |scene: &Scene| {
            scene
                .rect(&NodeId::Member {
                    group: "OrderProcessor".into(),
                    member: "c1".into(),
                })
                .unwrap()
        };
        assert!(group_title_wraps(&s.groups[0], box_of(&narrow).w));
        assert!(!group_title_wraps(&s.groups[0], box_of(&wide).w));
        let below = |scene: &Scene| member(scene).y - box_of(scene).y;
        assert!(below(&narrow) >= below(&wide) + GROUP_STATUS_LINE - 0.01);
        assert!(inside(member(&narrow), box_of(&narrow)));
    }

    #[test]
    fn the_newest_record_is_at_the_head_and_the_committed_offset_between_cells() {
        let s = snapshot(2, 1, 1);
        let scene = layout(&s, 1400.0);
        let cells: Vec<&RecordBox> = scene.records.iter().filter(|r| r.partition == 0).collect();
        assert!(!cells.is_empty());
        for pair in cells.windows(2) {
            assert!(pair[0].offset < pair[1].offset && pair[0].rect.x < pair[1].rect.x);
        }
        let newest = cells.last().unwrap();
        assert_eq!(newest.offset, 29);
        let lane = scene.lane(0).unwrap();
        assert!(newest.rect.right() <= lane.high_watermark_x + 0.01);
        assert!(
            lane.older > 0 && lane.log_start_x.is_none(),
            "30 records do not all fit"
        );
        let marker = scene.commits.iter().find(|c| c.partition == 0).unwrap();
        assert_eq!(marker.offset, 15);
        let at_15 = cells.iter().find(|r| r.offset == 15);
        match at_15 {
            Some(cell) => assert!((marker.at.x - (cell.rect.x - CELL_GAP / 2.0)).abs() < 0.01),
            None => assert!(marker.behind),
        }
    }

    #[test]
    fn lanes_become_compact_then_a_heat_strip() {
        assert_eq!(lane_mode(1), LaneMode::Full);
        assert_eq!(lane_mode(FULL_LANES_MAX), LaneMode::Full);
        assert_eq!(lane_mode(FULL_LANES_MAX + 1), LaneMode::Compact);
        assert_eq!(lane_mode(COMPACT_LANES_MAX), LaneMode::Compact);
        assert_eq!(lane_mode(COMPACT_LANES_MAX + 1), LaneMode::Heat);
        assert_eq!(head_records(1_024), 0);
        let compact = layout(&snapshot(48, 2, 4), 1400.0);
        assert_eq!(compact.lanes.len(), 48);
        assert!(compact.lanes.iter().all(|l| l.rect.h <= COMPACT_LANE));
    }

    #[test]
    fn a_thousand_and_twenty_four_partitions_fit_a_heat_strip_with_one_edge_per_member() {
        let s = snapshot(1_024, 12, 32);
        let scene = layout(&s, 1400.0);
        assert_eq!(scene.lane_mode, LaneMode::Heat);
        assert_eq!(scene.lanes.len(), 1_024);
        assert!(scene.heat_columns >= 16);
        let lanes_bottom = scene
            .lanes
            .iter()
            .map(|l| l.rect.bottom())
            .fold(0.0, f64::max);
        assert!(
            lanes_bottom < 900.0,
            "the strip stays short: {lanes_bottom}"
        );
        for (i, l) in scene.lanes.iter().enumerate() {
            assert_eq!(l.partition as usize, i);
            for other in scene.lanes.iter().skip(i + 1).take(scene.heat_columns + 1) {
                assert!(!overlap(l.rect, other.rect));
            }
        }
        // 12 groups of 32 members, every member owning 32 partitions: one edge each.
        assert_eq!(scene.edges.len(), 12 * 32);
        assert!(scene
            .edges
            .iter()
            .all(|e| e.kind == EdgeKind::Owned { partitions: 32 }));
        assert!(scene.records.is_empty());
    }

    #[test]
    fn a_narrow_stage_stacks_producers_lanes_and_groups_vertically() {
        let scene = layout(&snapshot(4, 3, 3), 390.0);
        assert_eq!(scene.orientation, Orientation::Stacked);
        let hand = scene.rect(&NodeId::Producer(ProducerKind::Hand)).unwrap();
        let lane = scene.lane(3).unwrap().rect;
        let group = scene.rect(&NodeId::Group("g0".into())).unwrap();
        assert!(hand.bottom() < scene.lane(0).unwrap().rect.y);
        assert!(lane.bottom() < group.y);
        for n in &scene.nodes {
            assert!(n.rect.x >= 0.0 && n.rect.right() <= 390.0, "{:?}", n);
        }
        assert!(scene.records.iter().all(|r| r.rect.x >= 0.0));
    }

    #[test]
    fn the_callout_spells_the_routing_and_points_at_the_record() {
        let mut s = snapshot(4, 1, 1);
        s.hand_routing = Some(crate::stage::model::HandRouting {
            key: "U29".into(),
            key_bytes: b"U29".to_vec(),
            partitioner: "murmur2",
            hash: -5,
            positive_hash: 2_147_483_643,
            partitions: 4,
            partition: 2,
            offset: 29,
        });
        let scene = layout(&s, 1400.0);
        let callout = scene.callout.unwrap();
        let text = callout.lines.join(" ");
        assert_eq!(
            text,
            "U29 → bytes 55 32 39 → murmur2 -5 → 2147483643 mod 4 = 2 → Partition 2"
        );
        let cell = scene
            .records
            .iter()
            .find(|r| r.partition == 2 && r.offset == 29)
            .unwrap();
        assert_eq!(callout.anchor.y, cell.rect.y);
        let narrow = callout_lines(s.hand_routing.as_ref().unwrap(), 260.0);
        assert!(narrow.len() >= 2, "{narrow:?}");
        assert!(narrow
            .iter()
            .all(|l| l.chars().count() as f64 * CHAR_PX <= 260.0));
    }

    #[test]
    fn released_partitions_fade_towards_the_group_when_their_owner_is_gone() {
        let mut s = snapshot(4, 1, 1);
        s.groups[0].members[0].owned = vec![0, 1];
        s.groups[0].index_owners(4);
        s.groups[0].released = vec![crate::stage::model::Released {
            partition: 2,
            from: "c9".into(),
            lost: true,
        }];
        let scene = layout(&s, 1400.0);
        let ghost = scene
            .edges
            .iter()
            .find(|e| e.kind == EdgeKind::Released { lost: true })
            .unwrap();
        assert_eq!(ghost.id, ("g0".to_string(), 2, "c9".to_string()));
        assert_eq!(scene.edges.len(), 3);
    }
}
