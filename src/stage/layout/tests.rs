//! The layout's geometry checks: columns, boxes inside boxes, one edge per owned
//! partition, lane modes by partition count, the stacked layout and the callout.

use super::groups::GROUP_STATUS_LINE;
use super::lanes::{CELL_GAP, COMPACT_LANE, OLDER_ROOM};
use super::*;
use crate::stage::model::{GroupNode, ProducerKind};
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
                compensation: false,
            })
            .collect(),
        committed: vec![(0, records / 2)],
        replication: None,
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

#[test]
fn records_above_the_high_watermark_stand_right_of_it_and_are_not_committed() {
    use crate::playground::UncommittedRecord;
    use crate::stage::model::LaneReplication;
    let mut s = snapshot(3, 1, 2);
    s.partitions[1].replication = Some(LaneReplication {
        leader: Some(2),
        leader_epoch: 1,
        isr: 1,
        replicas: 3,
        uncommitted: 3,
        uncommitted_head: (30..33)
            .map(|offset| UncommittedRecord {
                offset,
                key: Some(format!("U{offset}")),
            })
            .collect(),
    });
    // On a phone only the first of them fit, next to the HW; never past the lane's head.
    let narrow = layout(&s, 390.0);
    let above: Vec<u64> = narrow
        .records
        .iter()
        .filter(|r| r.partition == 1 && !r.committed)
        .map(|r| r.offset)
        .collect();
    assert!(
        !above.is_empty() && above.len() < 3 && above[0] == 30,
        "{above:?}"
    );
    let lane = narrow.lane(1).unwrap();
    assert!(narrow
        .records
        .iter()
        .filter(|r| r.partition == 1)
        .all(|r| inside(r.rect, lane.body)));
    let scene = layout(&s, 1440.0);
    let lane = scene.lane(1).unwrap();
    let cells: Vec<_> = scene.records.iter().filter(|r| r.partition == 1).collect();
    let above: Vec<_> = cells.iter().filter(|r| !r.committed).collect();
    assert_eq!(
        above.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![30, 31, 32]
    );
    assert!(above.iter().all(|r| r.rect.x > lane.high_watermark_x));
    assert!(cells
        .iter()
        .filter(|r| r.committed)
        .all(|r| r.rect.right() < lane.high_watermark_x));
    // Newest at the head, cells never overlap, all inside the lane's body.
    let mut sorted = cells.clone();
    sorted.sort_by_key(|r| r.offset);
    assert!(sorted.windows(2).all(|w| w[0].rect.right() < w[1].rect.x));
    assert!(cells.iter().all(|r| inside(r.rect, lane.body)));
    // The "HW n" label stands right of every cell, clear of those not yet committed.
    assert!(cells.iter().all(|r| r.rect.right() < lane.head_label_x));
    // A lane without replication has every cell committed, left of its HW.
    let lane0 = scene.lane(0).unwrap();
    assert!(scene
        .records
        .iter()
        .filter(|r| r.partition == 0)
        .all(|r| r.committed && r.rect.right() < lane0.high_watermark_x));
}

/// A saga topic's writers and readers have long names ("notification-service",
/// "inventory-service-1"): the producers' column widens for the longest writer, and a
/// member chip is wide enough for its id and the state beside it (one per row if need be).
#[test]
fn long_service_names_fit_their_boxes() {
    let mut s = snapshot(3, 1, 1);
    s.producers.push(ProducerState {
        kind: ProducerKind::Group("notification-service".into()),
        detail: "writes as it processes".into(),
    });
    s.groups[0].members[0].id = "inventory-service-1".into();
    for width in [880.0, 1100.0, 1440.0] {
        let scene = layout(&s, width);
        let writer = scene
            .rect(&NodeId::Producer(ProducerKind::Group(
                "notification-service".into(),
            )))
            .unwrap();
        let title = "notification-service".len() as f64 * super::groups::BOLD_CHAR_PX;
        assert!(writer.w >= title + 20.0, "{width}: {writer:?}");
        let chip = scene
            .rect(&NodeId::Member {
                group: "g0".into(),
                member: "inventory-service-1".into(),
            })
            .unwrap();
        assert!(chip.w >= 19.0 * 7.0 + 84.0, "{width}: {chip:?}");
        // Nothing overlaps for it.
        let lanes = scene.lanes.iter().map(|l| l.rect);
        assert!(lanes.clone().all(|l| !overlap(l, writer)), "{width}");
    }
    // Short ids keep two chips a row.
    let scene = layout(&snapshot(4, 1, 2), 1440.0);
    let c1 = scene
        .rect(&NodeId::Member {
            group: "g0".into(),
            member: "c1".into(),
        })
        .unwrap();
    let c2 = scene
        .rect(&NodeId::Member {
            group: "g0".into(),
            member: "c2".into(),
        })
        .unwrap();
    assert_eq!(c1.y, c2.y);
    assert!(super::member_state_fits("c1", c1.w));
    // An id too long for any chip leaves its state to the description.
    assert!(!super::member_state_fits(
        "projection-notifications-sent-1",
        200.0
    ));
}
