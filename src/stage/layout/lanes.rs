//! The partitions' lanes: full lanes with keyed record cells, compact rows, or a heat
//! strip past [`COMPACT_LANES_MAX`] partitions; their record cells and commit markers.

use super::{CommitMarker, LaneBox, LaneMode, Node, NodeId, Point, RecordBox, Rect, Scene};
use super::{COMPACT_LANES_MAX, FULL_LANES_MAX};
use crate::playground::{key_hue, UncommittedRecord};
use crate::stage::model::StageSnapshot;

const FULL_LANE_HEADER: f64 = 18.0;
const FULL_LANE_BODY: f64 = 32.0;
const FULL_LANE_GAP: f64 = 12.0;
const FULL_CELL: f64 = 58.0;
pub(super) const COMPACT_LANE: f64 = 18.0;
const COMPACT_LANE_GAP: f64 = 4.0;
const COMPACT_CELL: f64 = 12.0;
const COMPACT_LABEL: f64 = 40.0;
pub(super) const CELL_GAP: f64 = 4.0;
const HEAT_CELL: f64 = 14.0;
const HEAT_GAP: f64 = 2.0;
/// Room right of the newest record for the high-watermark label.
const HEAD_ROOM: f64 = 52.0;
/// Room a full lane keeps at its tail for "+12.3k older", so it never covers a record.
pub(super) const OLDER_ROOM: f64 = 70.0;

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
        _ => crate::stage::model::HEAD_RECORDS,
    }
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
            head_label_x: rect.right(),
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
/// returns the high watermark's x, the oldest offset drawn and the log start's x if it is
/// drawn. Records the leader holds above the high watermark (a replicated topic) stand
/// right of it, drawn as not yet committed.
fn place_lane_records(
    scene: &mut Scene,
    snapshot: &StageSnapshot,
    p: &crate::stage::model::PartitionState,
    body: Rect,
    (cell, slots): (f64, u64),
) -> (f64, u64, Option<f64>) {
    let uncommitted: &[UncommittedRecord] = p
        .replication
        .as_ref()
        .map_or(&[], |r| r.uncommitted_head.as_slice());
    // At most half the cells go to records not yet committed, the ones next to the HW.
    let uncommitted = &uncommitted[..uncommitted.len().min((slots / 2) as usize)];
    let end = p.high_watermark + uncommitted.len() as u64;
    let slots = slots - uncommitted.len() as u64;
    // Newest at the head (right): offset o sits (end - o) cells left of the head.
    let head_x = body.right() - HEAD_ROOM;
    let cell_x = |offset: u64| head_x - (end - offset) as f64 * (cell + CELL_GAP);
    let cell_rect = |offset: u64| Rect {
        x: cell_x(offset),
        y: body.y + 3.0,
        w: cell,
        h: body.h - 6.0,
    };
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
            rect: cell_rect(r.offset),
            key: r.key.clone(),
            value: r.value.clone(),
            hue: key_hue(&r.key),
            duplicate_of: r.duplicate_of,
            redelivered: !r.redelivered_to.is_empty(),
            committed: true,
            compensation: r.compensation,
        });
    }
    for r in uncommitted {
        let key = r.key.clone().unwrap_or_default();
        scene.records.push(RecordBox {
            partition: p.partition,
            offset: r.offset,
            rect: cell_rect(r.offset),
            hue: key_hue(&key),
            key,
            value: "not yet committed".to_string(),
            duplicate_of: None,
            redelivered: false,
            committed: false,
            compensation: false,
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
    (cell_x(p.high_watermark), first_shown, log_start_x)
}

pub(super) fn place_lanes(
    scene: &mut Scene,
    snapshot: &StageSnapshot,
    x: f64,
    w: f64,
    top: f64,
) -> f64 {
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
        .min(crate::stage::model::HEAD_RECORDS);
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
        let (high_watermark_x, first_shown, log_start_x) =
            place_lane_records(scene, snapshot, p, body, (cell, slots));
        scene.lanes.push(LaneBox {
            partition: p.partition,
            rect,
            body,
            high_watermark_x: high_watermark_x - CELL_GAP / 2.0,
            head_label_x: body.right() - HEAD_ROOM + CELL_GAP / 2.0,
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
