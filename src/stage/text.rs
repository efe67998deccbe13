//! The stage in words: the text alternative a screen reader gets for the diagram (which
//! member owns which partitions, lag, dead members, a rebalance under way), and the
//! accessible names of its parts. Plain functions of the snapshot, bounded in length
//! whatever the partition count (partition lists are folded into ranges).

use super::model::{
    GroupNode, MemberNode, MemberState, PartitionState, ProducerKind, ProducerState, StageSnapshot,
};

/// `0, 1, 2, 5, 7, 8` as `0–2, 5, 7–8`.
pub fn ranges(partitions: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < partitions.len() {
        let start = partitions[i];
        let mut end = start;
        while i + 1 < partitions.len() && partitions[i + 1] == end + 1 {
            end += 1;
            i += 1;
        }
        out.push(match end - start {
            0 => start.to_string(),
            1 => format!("{start}, {end}"),
            _ => format!("{start}–{end}"),
        });
        i += 1;
    }
    out.join(", ")
}

/// A member in words ("c1, consuming partitions 0, 1, lag 3").
pub fn member_text(m: &MemberNode) -> String {
    let owns = if m.owned.is_empty() {
        "no partition".to_string()
    } else {
        format!(
            "partition{} {}",
            if m.owned.len() == 1 { "" } else { "s" },
            ranges(&m.owned)
        )
    };
    let revoking = if m.revoking.is_empty() {
        String::new()
    } else {
        format!(", giving up {}", ranges(&m.revoking))
    };
    match &m.state {
        MemberState::Idle => format!("{}, idle (no partition to own)", m.id),
        MemberState::Dead { .. } => format!("{}, {}, had {owns}", m.id, m.state.text()),
        state => format!(
            "{}, {}, {owns}{revoking}, lag {}",
            m.id,
            state.text(),
            m.lag
        ),
    }
}

/// A group in words, members included.
pub fn group_text(g: &GroupNode) -> String {
    let members = if g.members.is_empty() {
        "no members".to_string()
    } else {
        g.members
            .iter()
            .map(member_text)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let released = if g.released.is_empty() {
        String::new()
    } else {
        let mut partitions: Vec<u32> = g.released.iter().map(|r| r.partition).collect();
        partitions.sort_unstable();
        format!(
            " Waiting for a new owner: partition{} {}.",
            if partitions.len() == 1 { "" } else { "s" },
            ranges(&partitions)
        )
    };
    format!(
        "Consumer group {}, {}, generation {}, lag {}: {members}.{released}",
        g.name,
        g.phase_text(),
        g.generation,
        g.lag
    )
}

/// A partition in words, with who reads it.
pub fn partition_text(p: &PartitionState, groups: &[GroupNode]) -> String {
    let owners: Vec<String> = groups
        .iter()
        .map(|g| match g.owner(p.partition) {
            Some(m) => format!("{} {}", g.name, m.id),
            None => format!("{} nobody", g.name),
        })
        .collect();
    let read = if owners.is_empty() {
        String::new()
    } else {
        format!(", read by {}", owners.join(", "))
    };
    let replication = p.replication.as_ref().map_or(String::new(), |r| {
        let uncommitted = if r.uncommitted > 0 {
            format!(", {} not yet committed", records(r.uncommitted))
        } else {
            String::new()
        };
        format!(", {}{uncommitted}", r.text())
    });
    format!(
        "Partition {}: {}, log start {}, high watermark {}{replication}{read}",
        p.partition,
        records(p.records()),
        p.log_start_offset,
        p.high_watermark
    )
}

/// "1 record", "2 records": a count of records in words.
pub fn records(n: u64) -> String {
    if n == 1 {
        "1 record".to_string()
    } else {
        format!("{n} records")
    }
}

/// A count short enough for a lane's tail: 9999, 12k, 123k, 1.2M, 45M.
pub fn short_count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1_000),
        1_000_000..=9_999_999 => format!("{:.1}M", n as f64 / 1_000_000.0),
        _ => format!("{}M", n / 1_000_000),
    }
}

/// The whole stage in a few sentences (per-partition lines only for a few partitions; the
/// lanes carry their own names).
pub fn describe(s: &StageSnapshot) -> Vec<String> {
    let mut lines = vec![format!(
        "Topic {}, {}: {} partitions holding {} in all, {} consumer group{} reading it.",
        s.topic,
        s.routing,
        s.partitions.len(),
        records(s.records()),
        s.groups.len(),
        if s.groups.len() == 1 { "" } else { "s" }
    )];
    let writers: Vec<String> = s
        .producers
        .iter()
        .filter(|p| matches!(p.kind, ProducerKind::Group(_)))
        .map(ProducerState::name)
        .collect();
    if !writers.is_empty() {
        lines.push(if writers.len() == 1 {
            format!(
                "Consumer group {} writes to it as it processes.",
                writers[0]
            )
        } else {
            format!(
                "Consumer groups {} write to it as they process.",
                writers.join(", ")
            )
        });
    }
    if s.partitions.len() <= super::layout::FULL_LANES_MAX {
        lines.extend(s.partitions.iter().map(|p| partition_text(p, &s.groups)));
    }
    lines.extend(s.groups.iter().map(group_text));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_words_and_fit_a_lane_tail() {
        assert_eq!(records(0), "0 records");
        assert_eq!(records(1), "1 record");
        assert_eq!(records(2), "2 records");
        assert_eq!(short_count(9_999), "9999");
        assert_eq!(short_count(12_345), "12k");
        assert_eq!(short_count(273_000), "273k");
        assert_eq!(short_count(1_250_000), "1.2M");
        // The widest form still fits the room a lane keeps for it.
        for n in [9_999, 99_999, 999_999, 999_999_999] {
            assert!(format!("+{} older", short_count(n)).len() <= 12, "{n}");
        }
    }

    #[test]
    fn partition_lists_fold_into_ranges() {
        assert_eq!(ranges(&[]), "");
        assert_eq!(ranges(&[3]), "3");
        assert_eq!(ranges(&[0, 1, 2, 5, 7, 8]), "0–2, 5, 7, 8");
        let all: Vec<u32> = (0..1_024).collect();
        assert_eq!(ranges(&all), "0–1023");
    }

    #[test]
    fn the_default_run_is_described_with_owners_and_lag() {
        let mut pg = crate::playground::Playground::default();
        for _ in 0..3 {
            pg.step();
        }
        let s = StageSnapshot::read(&pg, "orders", 0);
        let lines = describe(&s);
        assert!(lines[0].starts_with("Topic orders, murmur2 on user_id: 4 partitions"));
        assert_eq!(lines.len(), 1 + 4 + 3);
        assert!(
            lines[1].starts_with("Partition 0: 0 records"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("OrderProcessor c"), "{}", lines[1]);
        let group = lines
            .iter()
            .find(|l| l.starts_with("Consumer group OrderProcessor"))
            .unwrap();
        assert!(group.starts_with("Consumer group OrderProcessor, stable, generation 1, lag 0: c1, consuming, partitions 0, 1, lag 0; c2"), "{group}");
    }
}
