//! Edges from each lane to the member that owns it, and the paths of travelling records.

use super::group_header_height;
use super::PAD;
use super::{
    Edge, EdgeKind, LaneBox, LaneMode, NodeId, Orientation, Point, Rect, Scene, TravelPath,
};
use crate::playground::key_hue;
use crate::stage::model::{StageSnapshot, TravelRoute};

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

pub(super) fn place_edges(scene: &mut Scene, snapshot: &StageSnapshot) {
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

pub(super) fn place_travels(scene: &mut Scene, snapshot: &StageSnapshot) {
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
