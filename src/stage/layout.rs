//! Where everything on the stage goes: a pure function from a [`StageSnapshot`] and the
//! stage's width (CSS pixels) to a [`Scene`] of boxes, record cells, markers, edges and
//! travelling records. The components in `components/stage.rs` (and `components/stage/`)
//! only draw a scene.
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

use super::model::StageSnapshot;

/// Narrower than this, the columns stack vertically.
pub const STACK_BELOW_PX: f64 = 720.0;
/// Most partitions drawn as full lanes (header and keyed record cells).
pub const FULL_LANES_MAX: usize = 8;
/// Most partitions drawn as lanes at all; past this, a heat strip.
pub const COMPACT_LANES_MAX: usize = 48;

const PAD: f64 = 12.0;
/// Monospace text at 11px: the width of one character, for fitting labels.
const CHAR_PX: f64 = 6.7;
const PRODUCER_HEIGHT: f64 = 44.0;
const PRODUCER_GAP: f64 = 10.0;
/// Width of the right margin the edges run down in the stacked layout.
const STACK_GUTTER: f64 = 30.0;

mod callout;
mod edges;
mod groups;
mod lanes;
mod scene;
#[cfg(test)]
mod tests;

pub use callout::callout_lines;
use callout::{place_callout, CALLOUT_LINE};
use edges::{place_edges, place_travels};
use groups::place_groups;
pub use groups::{group_header_height, group_title, group_title_wraps, member_state_fits};
use lanes::place_lanes;
pub use lanes::{head_records, lane_mode};
pub use scene::*;

/// The columns' x ranges: (producers, lanes, groups), for the side-by-side layout.
struct Columns {
    producers: (f64, f64),
    lanes: (f64, f64),
    groups: (f64, f64),
}

/// `longest_producer`: the longest producer node name, in characters (a saga service's
/// group name is longer than "Generator"), which the column widens for, up to a limit.
fn columns(width: f64, longest_producer: usize) -> Columns {
    let fits_name = longest_producer as f64 * groups::BOLD_CHAR_PX + 20.0;
    let producers_w = (width * 0.13).max(fits_name).clamp(112.0, 200.0);
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
            let longest = snapshot
                .producers
                .iter()
                .map(|p| p.name().chars().count())
                .max()
                .unwrap_or(0);
            let c = columns(width, longest);
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
