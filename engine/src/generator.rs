//! The order generator: order events for many keys, each key walking through the order
//! lifecycle ([`ORDER_LIFECYCLE`]), keyed by the topic's [`KeyField`].
//!
//! One generator serves the whole simulation: `generate` commands (a burst, now) and
//! `set_generator` commands (so many records every tick) both draw from it. Each record
//! picks a user key `{key_prefix}1..={key_prefix}{keys}` from the simulation's one RNG
//! (key 1 first gets a `hot_key_percent` chance of its own, for hot-key skew), moves that
//! key's current order one step along its lifecycle (a fresh order after `Delivered`), and
//! is published keyed by the topic's key field: the user id, the order id, or no key.
//!
//! Why it is built this way:
//! - **Chunk-invariant.** Everything a record depends on is the RNG and the per-key state,
//!   both owned by the simulation, so `generate n` then `generate m` (nothing else drawing
//!   from the RNG in between, e.g. at the same tick) appends exactly the records of
//!   `generate n+m`. The page can execute a burst of a million records in bounded chunks,
//!   a chunk per frame, and still log (and replay) one `generate` command.
//! - **Re-keyable.** The events do not depend on the key field, so changing a topic's key
//!   field and replaying re-keys the same events. One exception: records without a key
//!   routed by Kafka's sticky strategy draw each new batch's partition from the same RNG,
//!   so the events after the first batch differ from a keyed run's.
//! - **Bounded.** A command or a tick generates at most [`MAX_GENERATED_RECORDS`] records,
//!   and a generator draws from at most [`MAX_GENERATOR_KEYS`] keys. The generator keeps one
//!   small entry (order number and lifecycle step) per distinct key it ever generated: at
//!   most `keys` per key prefix, and never more than the records it generated.

use crate::ids::Offset;
use crate::log::{OrderEvent, Payload};
use crate::rng::SimRng;
use crate::topic::KeyField;
use crate::trace::TraceEvent;
use crate::world::{AppendError, World};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, DefaultHasher};
use thiserror::Error;

/// The most records one `generate` command (or a generator, per tick) may produce: bad
/// input must not be able to hang a tick.
pub const MAX_GENERATED_RECORDS: u32 = 1_000_000;

/// The most distinct keys one generator may draw from (the page's most users), which bounds
/// the per-key state a generator keeps.
pub const MAX_GENERATOR_KEYS: u32 = 100_000;

/// Order statuses in lifecycle order, as the generator emits them per key.
pub const ORDER_LIFECYCLE: [&str; 4] = ["Created", "Paid", "Shipped", "Delivered"];

/// Why a generator setting is refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum GeneratorError {
    #[error("a generator needs at least 1 key, not {keys}")]
    /// A generator needs at least one key.
    NoKeys {
        /// Keys are `{key_prefix}1` to `{key_prefix}{keys}`.
        keys: u32,
    },
    #[error("a generator draws from at most {max} keys, not {keys}")]
    /// More keys than a generator may track.
    TooManyKeys {
        /// What was asked for.
        keys: u32,
        /// The most allowed.
        max: u32,
    },
    #[error("hot_key_percent is a percentage (0 to 100), not {value}")]
    /// The hot key's share is a percentage.
    HotKeyPercent {
        /// The value given.
        value: u8,
    },
    #[error("at most {max} records per generate command or per tick, not {requested}")]
    /// More records than one command (or tick) may produce.
    TooManyRecords {
        /// What was asked for.
        requested: u32,
        /// The most allowed.
        max: u32,
    },
}

/// Which user keys generated orders belong to, and how they are drawn.
///
/// As JSON these fields sit beside the command's own (`"key_prefix": "U", "keys": 20,
/// "hot_key_percent": 30`); `key_prefix` defaults to `U` and `hot_key_percent` to 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySpace {
    #[serde(default = "default_key_prefix")]
    /// Prefix of the generated keys.
    pub key_prefix: String,
    /// Keys are `{key_prefix}1` to `{key_prefix}{keys}`.
    pub keys: u32,
    /// Percent of records that go to key 1 first (0 to 100); the rest are spread evenly
    /// over all keys, key 1 included. 0: uniform.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hot_key_percent: u8,
}

pub(crate) fn default_key_prefix() -> String {
    "U".into()
}

fn is_zero(value: &u8) -> bool {
    *value == 0
}

impl KeySpace {
    /// Keys `{key_prefix}1..={key_prefix}{keys}`, drawn uniformly.
    pub fn new(key_prefix: impl Into<String>, keys: u32) -> Self {
        Self {
            key_prefix: key_prefix.into(),
            keys,
            hot_key_percent: 0,
        }
    }

    /// The same keys with `percent` of records going to key 1.
    pub fn with_hot_key_percent(mut self, percent: u8) -> Self {
        self.hot_key_percent = percent;
        self
    }

    /// Checks the keys and a record count (per command or per tick).
    pub fn check(&self, records: u32) -> Result<(), GeneratorError> {
        if self.keys == 0 {
            return Err(GeneratorError::NoKeys { keys: self.keys });
        }
        if self.keys > MAX_GENERATOR_KEYS {
            return Err(GeneratorError::TooManyKeys {
                keys: self.keys,
                max: MAX_GENERATOR_KEYS,
            });
        }
        if self.hot_key_percent > 100 {
            return Err(GeneratorError::HotKeyPercent {
                value: self.hot_key_percent,
            });
        }
        if records > MAX_GENERATED_RECORDS {
            return Err(GeneratorError::TooManyRecords {
                requested: records,
                max: MAX_GENERATED_RECORDS,
            });
        }
        Ok(())
    }

    /// Draws the next record's key number (1-based). Uniform draws cost one RNG draw, as
    /// they always did, so a run without skew keeps its records.
    pub(crate) fn draw(&self, rng: &mut SimRng) -> u64 {
        if self.hot_key_percent > 0 && rng.chance(f64::from(self.hot_key_percent) / 100.0) {
            return 1;
        }
        rng.below(u64::from(self.keys)) + 1
    }
}

/// A generator producing order events every tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generator {
    /// Records produced every tick.
    pub records_per_tick: u32,
    #[serde(flatten)]
    /// The keys it draws from.
    pub key_space: KeySpace,
}

/// Where one key is in the order lifecycle.
#[derive(Clone, Copy, Debug)]
struct KeyOrder {
    /// The key's current order number (`O{order}`).
    order: u64,
    /// Index into [`ORDER_LIFECYCLE`].
    step: usize,
}

/// The simulation's generator state: running generators and each key's current order.
#[derive(Clone, Debug)]
pub(crate) struct OrderGenerator {
    /// Running generators by topic (name order: every tick publishes in the same order).
    running: BTreeMap<String, Generator>,
    /// Per generated user key, its current order. Only looked up, never iterated, so a
    /// hash map (with a fixed hasher): a lookup in a tree of 10,000 keys compared strings
    /// about 30 times, 5% of a tick at 1,000 records a tick.
    orders: HashMap<String, KeyOrder, BuildHasherDefault<DefaultHasher>>,
    next_order: u64,
}

impl Default for OrderGenerator {
    fn default() -> Self {
        Self {
            running: BTreeMap::new(),
            orders: HashMap::default(),
            next_order: 1,
        }
    }
}

impl OrderGenerator {
    /// The running generators, by topic.
    pub(crate) fn running(&self) -> &BTreeMap<String, Generator> {
        &self.running
    }

    /// Starts, changes or (with `records_per_tick` 0) stops a topic's generator. The
    /// caller has checked the settings and that the topic exists.
    pub(crate) fn set(&mut self, topic: String, records_per_tick: u32, key_space: KeySpace) {
        if records_per_tick == 0 {
            self.running.remove(&topic);
        } else {
            let generator = Generator {
                records_per_tick,
                key_space,
            };
            self.running.insert(topic, generator);
        }
    }

    /// Every running generator produces its records for this tick. Generators are only
    /// set on existing topics and topics are never deleted, so the only failure is the
    /// simulation's record limit: that generator stops (traced by [`Self::generate`]).
    pub(crate) fn tick(&mut self, world: &mut World<'_>) {
        let running: Vec<(String, Generator)> = self
            .running
            .iter()
            .map(|(topic, g)| (topic.clone(), g.clone()))
            .collect();
        for (topic, g) in running {
            if self
                .generate(world, &topic, g.records_per_tick, &g.key_space)
                .is_err()
            {
                self.running.remove(&topic);
            }
        }
    }

    /// Produces `count` order events to `topic`. The caller has checked the settings. At
    /// the simulation's record limit it stops before drawing the next event (the records
    /// so far stay) and traces why as a [`TraceEvent::CommandRejected`].
    pub(crate) fn generate(
        &mut self,
        world: &mut World<'_>,
        topic: &str,
        count: u32,
        key_space: &KeySpace,
    ) -> Result<(), AppendError> {
        let key_field = world.topic_mut(topic)?.key_field();
        for _ in 0..count {
            if let Err(e) = world.check_room() {
                world.trace.push(TraceEvent::CommandRejected {
                    tick: world.now,
                    error: format!("the generator on topic {topic:?} stopped: {e}"),
                });
                return Err(e.into());
            }
            let event = self.next_event(world.rng, key_space);
            match publish_order(world, topic, key_field, event) {
                // Refused by the partition's leader (with brokers): traced, the burst goes on.
                Ok(_) | Err(AppendError::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The next event: a drawn key's order moved one step along its lifecycle.
    fn next_event(&mut self, rng: &mut SimRng, key_space: &KeySpace) -> OrderEvent {
        let user_id = numbered(&key_space.key_prefix, key_space.draw(rng));
        let last_step = ORDER_LIFECYCLE.len() - 1;
        // Looked up before `entry`, which would clone the key on every event.
        let order = match self.orders.get_mut(&user_id) {
            Some(order) => order,
            None => self.orders.entry(user_id.clone()).or_insert(KeyOrder {
                order: 0,
                step: last_step,
            }),
        };
        if order.step == last_step {
            *order = KeyOrder {
                order: self.next_order,
                step: 0,
            };
            self.next_order += 1;
        } else {
            order.step += 1;
        }
        OrderEvent {
            user_id,
            order_id: numbered("O", order.order),
            status: ORDER_LIFECYCLE[order.step].to_string(),
        }
    }
}

/// `{prefix}{n}`, as `format!("{prefix}{n}")` writes it, without the formatting machinery
/// (two of these per generated record were 8% of a tick at 1,000 records a tick).
fn numbered(prefix: &str, n: u64) -> String {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = n;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(prefix.len() + digits.len() - start);
    out.push_str(prefix);
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
    out
}

/// Publishes one order event to `topic`, keyed by `key_field`.
pub(crate) fn publish_order(
    world: &mut World<'_>,
    topic: &str,
    key_field: KeyField,
    event: OrderEvent,
) -> Result<Offset, AppendError> {
    let key = key_field.key_of(&event);
    world.produce(topic, key, Payload::Order(event), None)
}

#[cfg(test)]
mod tests {
    use super::numbered;
    use proptest::prelude::*;

    #[test]
    fn numbered_writes_prefix_then_decimal() {
        assert_eq!(numbered("user-", 0), "user-0");
        assert_eq!(numbered("O", 10), "O10");
        assert_eq!(numbered("", u64::MAX), u64::MAX.to_string());
    }

    proptest! {
        #[test]
        fn numbered_is_format(prefix in "[a-zA-Z_-]{0,8}", n in any::<u64>()) {
            prop_assert_eq!(numbered(&prefix, n), format!("{prefix}{n}"));
        }
    }
}
