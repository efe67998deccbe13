//! Recent throughput per group and member, and partition skew (plain Rust, no Leptos).
//!
//! Throughput is a rate over the last [`THROUGHPUT_WINDOW_TICKS`] ticks, not an average over
//! the whole run: after a consumer dies or a rebalance pauses an eager group, the number
//! drops at once and recovers when consumption does. It is folded from the engine's
//! [`TraceEvent::Processed`] events, one bucket per tick, so memory stays bounded by the
//! window.

use litemap::LiteMap;
use orderflow_engine::ids::MemberId;
use orderflow_engine::sim::TraceEvent;
use std::collections::VecDeque;

/// Ticks the throughput window spans.
pub const THROUGHPUT_WINDOW_TICKS: u64 = 20;

/// Records processed per tick, for the last few ticks that had any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Window {
    /// `(tick, records)`, oldest first; at most one entry per tick.
    buckets: VecDeque<(u64, u64)>,
}

impl Window {
    fn add(&mut self, tick: u64) {
        match self.buckets.back_mut() {
            Some((t, n)) if *t == tick => *n += 1,
            _ => self.buckets.push_back((tick, 1)),
        }
        while self
            .buckets
            .front()
            .is_some_and(|(t, _)| t + THROUGHPUT_WINDOW_TICKS <= tick)
        {
            self.buckets.pop_front();
        }
    }

    /// Records per tick over the ticks `now - window + 1 ..= now` (fewer at the start).
    fn rate(&self, now: u64) -> f64 {
        let span = now.min(THROUGHPUT_WINDOW_TICKS);
        if span == 0 {
            return 0.0;
        }
        let records: u64 = self
            .buckets
            .iter()
            .filter(|(t, _)| t + THROUGHPUT_WINDOW_TICKS > now && *t <= now)
            .map(|(_, n)| n)
            .sum();
        records as f64 / span as f64
    }
}

/// Recent throughput of every group and member, folded from trace events.
#[derive(Clone, Debug, Default)]
pub struct Throughput {
    groups: LiteMap<String, GroupWindows>,
}

/// One group's window and its members' windows.
#[derive(Clone, Debug, Default)]
struct GroupWindows {
    all: Window,
    members: LiteMap<MemberId, Window>,
}

impl Throughput {
    /// Folds one trace event in (events must come in trace order).
    pub fn observe(&mut self, event: &TraceEvent) {
        if let TraceEvent::Processed {
            tick,
            group,
            member,
            ..
        } = event
        {
            // Looked up before inserting: no allocation per record once a member is known
            // (replaying a long run folds every record through here).
            let (group, member) = (&**group, &**member);
            if !self.groups.contains_key(group) {
                self.groups
                    .insert(group.to_string(), GroupWindows::default());
            }
            let windows = self.groups.get_mut(group).expect("inserted above");
            windows.all.add(tick.0);
            if !windows.members.contains_key(member) {
                windows
                    .members
                    .insert(MemberId::from(member), Window::default());
            }
            windows
                .members
                .get_mut(member)
                .expect("inserted above")
                .add(tick.0);
        }
    }

    /// Records a group processed per tick over the last [`THROUGHPUT_WINDOW_TICKS`] ticks.
    pub fn group_rate(&self, group: &str, now: u64) -> f64 {
        self.groups.get(group).map_or(0.0, |w| w.all.rate(now))
    }

    /// Records a member processed per tick over the last [`THROUGHPUT_WINDOW_TICKS`] ticks.
    pub fn member_rate(&self, group: &str, member: &MemberId, now: u64) -> f64 {
        self.groups
            .get(group)
            .and_then(|w| w.members.get(member.as_str()))
            .map_or(0.0, |w| w.rate(now))
    }
}

/// How unevenly records spread over partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct Skew {
    /// The partition holding the most records (the lowest number on a tie).
    pub hot_partition: u32,
    pub hot_records: u64,
    /// Mean records per partition.
    pub mean: f64,
    /// `hot_records / mean`: 1.0 is perfectly even; N (the partition count) means one
    /// partition holds everything.
    pub ratio: f64,
}

/// The skew of partition sizes (`None` when there are no records).
pub fn skew(sizes: &[u64]) -> Option<Skew> {
    let total: u64 = sizes.iter().sum();
    if total == 0 {
        return None;
    }
    let (hot_partition, &hot_records) = sizes
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    let mean = total as f64 / sizes.len() as f64;
    Some(Skew {
        hot_partition: hot_partition as u32,
        hot_records,
        mean,
        ratio: hot_records as f64 / mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_engine::ids::{EventId, Offset, PartitionId, Tick};

    fn processed(tick: u64, member: &str) -> TraceEvent {
        TraceEvent::Processed {
            tick: Tick(tick),
            group: "g".into(),
            member: member.into(),
            topic: "orders".into(),
            partition: PartitionId(0),
            offset: Offset(0),
            key: None,
            event_id: EventId(0),
            redelivered: false,
            attempt: 1,
        }
    }

    #[test]
    fn throughput_is_a_rate_over_the_recent_window_not_the_whole_run() {
        let mut t = Throughput::default();
        // Ticks 1..=30: c1 processes 4 records a tick.
        for tick in 1..=30 {
            for _ in 0..4 {
                t.observe(&processed(tick, "c1"));
            }
        }
        assert_eq!(t.group_rate("g", 30), 4.0);
        // c1 stops; 10 quiet ticks later, half the window is empty.
        assert_eq!(t.group_rate("g", 40), 2.0);
        assert_eq!(t.member_rate("g", &"c1".into(), 40), 2.0);
        // A whole window later, nothing (a whole-run average would still say 3).
        assert_eq!(t.group_rate("g", 50), 0.0);
        assert_eq!(t.group_rate("other", 50), 0.0);
    }

    #[test]
    fn early_ticks_divide_by_the_ticks_elapsed() {
        let mut t = Throughput::default();
        for tick in 1..=5 {
            t.observe(&processed(tick, "c1"));
            t.observe(&processed(tick, "c2"));
        }
        assert_eq!(t.group_rate("g", 5), 2.0);
        assert_eq!(t.member_rate("g", &"c2".into(), 5), 1.0);
        assert_eq!(t.group_rate("g", 0), 0.0);
    }

    #[test]
    fn the_window_keeps_at_most_one_bucket_per_tick_of_the_window() {
        let mut t = Throughput::default();
        for tick in 1..=1_000 {
            t.observe(&processed(tick, "c1"));
        }
        assert_eq!(
            t.groups[&"g".to_string()].all.buckets.len() as u64,
            THROUGHPUT_WINDOW_TICKS
        );
    }

    #[test]
    fn skew_names_the_hot_partition_and_its_ratio_to_the_mean() {
        let s = skew(&[10, 40, 10, 20]).unwrap();
        assert_eq!(s.hot_partition, 1);
        assert_eq!(s.hot_records, 40);
        assert_eq!(s.mean, 20.0);
        assert_eq!(s.ratio, 2.0);
        assert_eq!(skew(&[5, 5]).unwrap().ratio, 1.0);
        assert_eq!(
            skew(&[3, 7, 7]).unwrap().hot_partition,
            1,
            "lowest on a tie"
        );
        assert_eq!(skew(&[0, 0, 0]), None);
        assert_eq!(skew(&[]), None);
    }
}
