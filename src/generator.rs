//! The playground's own order generator: many users placing orders that move through their
//! lifecycle, with an optional hot user. Bursts and running generators draw their events here,
//! from a stream seeded by the session's seed, so a replay draws the same events.
//!
//! Kept apart on purpose: the engine has a generator of its own (`Command::Generate`,
//! `ORDER_LIFECYCLE`), and this one is meant to give way to it (issue #10), so nothing but
//! [`crate::playground`] reaches into it.

use crate::session::GeneratorConfig;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::rng::SimRng;
use std::collections::VecDeque;

/// Order statuses in their lifecycle order.
pub const STATUSES: [&str; 4] = ["Created", "Paid", "Shipped", "Delivered"];

/// Most orders the generator keeps open at once (each advances through the lifecycle).
const MAX_OPEN_ORDERS: usize = 1_000;

/// One open order the generator will move along its lifecycle.
#[derive(Clone, Debug)]
struct OpenOrder {
    user: u32,
    order: u64,
    status: usize,
}

/// The generator's deterministic state: its own seeded stream (derived from the session
/// seed), the orders it has opened and the next order number.
#[derive(Clone, Debug)]
pub(crate) struct GeneratorState {
    rng: SimRng,
    open: VecDeque<OpenOrder>,
    next_order: u64,
}

/// Distinguishes the generator's stream from any other stream derived from the same seed.
const GENERATOR_STREAM: u64 = 0x6f72_6465_7266_6c6f; // "orderflo"

impl GeneratorState {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: SimRng::new(seed ^ GENERATOR_STREAM),
            open: VecDeque::new(),
            next_order: 1,
        }
    }

    /// The next generated event: either a new order (status Created) for a user picked with
    /// the hot-key skew, or the next status of an open order.
    pub(crate) fn next_event(&mut self, config: &GeneratorConfig) -> OrderEvent {
        let advance =
            !self.open.is_empty() && (self.open.len() >= MAX_OPEN_ORDERS || self.rng.chance(0.6));
        let order = if advance {
            let index = self.rng.below(self.open.len() as u64) as usize;
            let mut order = self.open[index].clone();
            order.status += 1;
            if order.status + 1 >= STATUSES.len() {
                self.open.remove(index);
            } else {
                self.open[index].status = order.status;
            }
            order
        } else {
            let users = u64::from(config.users.max(1));
            let hot = self.rng.chance(f64::from(config.hot_key_percent) / 100.0);
            let user = if hot {
                1
            } else {
                self.rng.below(users) as u32 + 1
            };
            let order = OpenOrder {
                user,
                order: self.next_order,
                status: 0,
            };
            self.next_order += 1;
            self.open.push_back(order.clone());
            order
        };
        OrderEvent {
            user_id: format!("{}{}", config.user_prefix, order.user),
            order_id: format!("O{}", order.order),
            status: STATUSES[order.status].to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::STATUSES;
    use crate::playground::tests::generator;
    use crate::playground::Playground;
    use crate::session::{Action, KeyField, Session, Setup, ORDERS_TOPIC};
    use std::collections::BTreeMap;

    #[test]
    fn generated_orders_follow_the_lifecycle_per_order_key() {
        let mut pg = Playground::new(Session {
            topics: vec![Setup {
                key_field: KeyField::OrderId,
                ..Setup::default()
            }],
            ..Session::default()
        });
        pg.act(Action::Burst {
            topic: ORDERS_TOPIC.into(),
            count: 3_000,
            generator: generator(5, 0),
        });
        pg.run_burst(u32::MAX);
        // Per order key, statuses appear in lifecycle order within its partition.
        let mut last: BTreeMap<String, usize> = BTreeMap::new();
        for p in 0..pg.partition_count(ORDERS_TOPIC) {
            for row in pg.rows(ORDERS_TOPIC, p, 0, u64::MAX) {
                let index = STATUSES.iter().position(|s| *s == row.status).unwrap();
                let previous = last.insert(row.key.clone(), index);
                assert_eq!(index, previous.map_or(0, |i| i + 1), "order {}", row.key);
            }
        }
    }

    #[test]
    fn hot_key_skew_concentrates_events_on_user_one() {
        let mut pg = Playground::default();
        pg.act(Action::Burst {
            topic: ORDERS_TOPIC.into(),
            count: 2_000,
            generator: generator(50, 80),
        });
        pg.run_burst(u32::MAX);
        let counts = pg.key_counts(ORDERS_TOPIC);
        let hot = counts["U1"];
        let others_max = counts
            .iter()
            .filter(|(k, _)| *k != "U1")
            .map(|(_, c)| *c)
            .max()
            .unwrap();
        assert!(hot > 10 * others_max, "hot {hot}, others max {others_max}");
    }
}
