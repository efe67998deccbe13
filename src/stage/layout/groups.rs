//! The consumer groups' boxes and their member chips.

use super::{Node, NodeId, Rect, Scene};
use crate::stage::model::GroupNode;

const GROUP_HEADER: f64 = 24.0;
/// A group title's second line, when name and state do not fit on one.
pub(super) const GROUP_STATUS_LINE: f64 = 15.0;
/// Average advance of a bold 12px character (the group title), a little generous.
pub(super) const BOLD_CHAR_PX: f64 = 7.6;
/// A member id's characters in its chip.
const MEMBER_CHAR_PX: f64 = 7.0;
const GROUP_GAP: f64 = 12.0;
const MEMBER_GAP: f64 = 6.0;

/// Members per row in a group box, by group size.
fn member_columns(g: &GroupNode, width: f64) -> usize {
    let wanted = match g.members.len() {
        0..=4 => 2,
        5..=9 => 3,
        _ => 4,
    };
    // Never chips narrower than 64px, nor too narrow for the longest member id and the
    // state beside it ("0–2 · lag 0"): a saga service's member ids are long.
    let chip = g
        .members
        .iter()
        .map(|m| member_chip_width(&m.id))
        .fold(64.0, f64::max);
    wanted.min(((width - 16.0) / chip).floor().max(1.0) as usize)
}

/// Whether a chip `chip_w` wide has room for member `id` and the state beside it.
pub fn member_state_fits(id: &str, chip_w: f64) -> bool {
    member_chip_width(id) <= chip_w
}

/// The width a chip needs for member `id` and its state ("0–2 · lag 0").
fn member_chip_width(id: &str) -> f64 {
    (id.chars().count() as f64 * MEMBER_CHAR_PX + 84.0).max(64.0)
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
pub(super) fn place_groups(
    scene: &mut Scene,
    groups: &[GroupNode],
    x: f64,
    w: f64,
    top: f64,
) -> f64 {
    let mut y = top;
    for g in groups {
        let columns = member_columns(g, w);
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
