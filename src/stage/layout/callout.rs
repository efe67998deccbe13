//! The routing arithmetic of the last record published by hand, beside its lane.

use super::CHAR_PX;
use super::{Callout, LaneMode, Point, Rect, Scene};
use crate::stage::model::StageSnapshot;

/// Height of one line of the routing callout.
pub(super) const CALLOUT_LINE: f64 = 14.0;

/// Splits the routing arithmetic into lines that fit `width`.
pub fn callout_lines(r: &crate::stage::model::HandRouting, width: f64) -> Vec<String> {
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

pub(super) fn place_callout(
    scene: &mut Scene,
    snapshot: &StageSnapshot,
    x: f64,
    w: f64,
    lanes_top: f64,
) {
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
