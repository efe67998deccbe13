//! The order generator: chunk invariance, hot-key skew, the topic's key field, the per-key
//! order lifecycle, hand-published orders, and refused settings.

use orderflow_engine::command::{Command, SimError};
use orderflow_engine::generator::{
    GeneratorError, KeySpace, MAX_GENERATED_RECORDS, MAX_GENERATOR_KEYS, ORDER_LIFECYCLE,
};
use orderflow_engine::ids::PartitionId;
use orderflow_engine::log::{OrderEvent, Record};
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::sim::Sim;
use orderflow_engine::topic::{KeyField, TopicSpec};
use orderflow_engine::trace::TraceEvent;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn sim_with(spec: TopicSpec, seed: u64) -> Sim {
    let mut sim = Sim::new(seed);
    sim.apply(Command::CreateTopic(spec)).unwrap();
    sim
}

fn orders(key_field: KeyField) -> TopicSpec {
    TopicSpec::new("orders", 4, Partitioner::Murmur2).with_key_field(key_field)
}

fn generate(sim: &mut Sim, count: u32, key_space: &KeySpace) {
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count,
        key_space: key_space.clone(),
    })
    .unwrap();
}

/// Every record of `orders`, in the order they were produced (partition and record).
fn produced(sim: &Sim) -> Vec<(PartitionId, Record)> {
    let topic = sim.topic("orders").unwrap();
    sim.trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Produced {
                partition, offset, ..
            } => {
                let record = topic.partition(*partition).unwrap().get(*offset).unwrap();
                Some((*partition, record.to_record()))
            }
            _ => None,
        })
        .collect()
}

fn event(record: &Record) -> &OrderEvent {
    record.value.as_order().expect("an order event")
}

fn topic_spec() -> impl Strategy<Value = TopicSpec> {
    (
        1u32..8,
        prop_oneof![
            Just(Partitioner::Murmur2),
            Just(Partitioner::Crc32),
            Just(Partitioner::EventHubs)
        ],
        prop_oneof![
            Just(KeyField::UserId),
            Just(KeyField::OrderId),
            Just(KeyField::NoKey)
        ],
        prop_oneof![
            Just(UnkeyedStrategy::RoundRobin),
            (1u32..5).prop_map(|batch_records| UnkeyedStrategy::Sticky { batch_records })
        ],
    )
        .prop_map(|(partitions, partitioner, key_field, unkeyed)| TopicSpec {
            unkeyed: Some(unkeyed),
            ..TopicSpec::new("orders", partitions, partitioner).with_key_field(key_field)
        })
}

proptest! {
    /// `generate n` then `generate m` (and any split of a burst into chunks) appends exactly
    /// the records of one `generate n+m`, with the same trace; the state carried over
    /// (each key's order and step) is the same too, so what comes after matches as well.
    #[test]
    fn generation_is_chunk_invariant(
        seed in any::<u64>(),
        spec in topic_spec(),
        keys in 1u32..40,
        hot_key_percent in prop_oneof![Just(0u8), 0u8..=100],
        chunks in proptest::collection::vec(0u32..150, 1..6),
        after in 0u32..50,
    ) {
        let key_space = KeySpace::new("U", keys).with_hot_key_percent(hot_key_percent);
        let mut chunked = sim_with(spec.clone(), seed);
        for &count in &chunks {
            generate(&mut chunked, count, &key_space);
        }
        let mut whole = sim_with(spec, seed);
        generate(&mut whole, chunks.iter().sum(), &key_space);
        prop_assert_eq!(produced(&chunked), produced(&whole));
        prop_assert_eq!(chunked.trace(), whole.trace());
        generate(&mut chunked, after, &key_space);
        generate(&mut whole, after, &key_space);
        prop_assert_eq!(chunked.trace(), whole.trace());
    }
}

/// Each key walks its current order through the lifecycle; after Delivered the key starts
/// a new order.
#[test]
fn each_key_walks_its_orders_through_the_lifecycle() {
    let mut sim = sim_with(orders(KeyField::UserId), 3);
    generate(&mut sim, 400, &KeySpace::new("U", 7));
    let mut by_user: BTreeMap<String, Vec<OrderEvent>> = BTreeMap::new();
    for (_, record) in produced(&sim) {
        let e = event(&record).clone();
        by_user.entry(e.user_id.clone()).or_default().push(e);
    }
    assert_eq!(by_user.len(), 7);
    for events in by_user.values() {
        for (i, e) in events.iter().enumerate() {
            assert_eq!(
                e.status,
                ORDER_LIFECYCLE[i % ORDER_LIFECYCLE.len()],
                "{events:?}"
            );
            let first_of_order = &events[i - i % ORDER_LIFECYCLE.len()];
            assert_eq!(e.order_id, first_of_order.order_id, "{events:?}");
        }
    }
}

/// The record key is the topic's key field: the user id, the order id, or none.
#[test]
fn records_are_keyed_by_the_topics_key_field() {
    for key_field in [KeyField::UserId, KeyField::OrderId, KeyField::NoKey] {
        let mut sim = sim_with(orders(key_field), 5);
        generate(&mut sim, 50, &KeySpace::new("U", 6));
        for (_, record) in produced(&sim) {
            let e = event(&record);
            let expected = match key_field {
                KeyField::UserId => Some(&e.user_id),
                KeyField::OrderId => Some(&e.order_id),
                KeyField::NoKey => None,
            };
            assert_eq!(record.key.as_ref(), expected, "{key_field:?}");
        }
    }
}

/// Changing the key field re-keys the same events (the page replays the log when a person
/// changes it). Records without a key spread round-robin here: the sticky strategy draws
/// each batch's partition from the same RNG, so there the events would differ.
#[test]
fn changing_the_key_field_rekeys_the_same_events() {
    let run = |key_field: KeyField| {
        let spec = TopicSpec {
            unkeyed: Some(UnkeyedStrategy::RoundRobin),
            ..orders(key_field)
        };
        let mut sim = sim_with(spec, 11);
        generate(
            &mut sim,
            300,
            &KeySpace::new("U", 9).with_hot_key_percent(20),
        );
        let events: Vec<OrderEvent> = produced(&sim)
            .iter()
            .map(|(_, r)| event(r).clone())
            .collect();
        (events, produced(&sim))
    };
    let (by_user, user_records) = run(KeyField::UserId);
    let (by_order, order_records) = run(KeyField::OrderId);
    let (unkeyed, unkeyed_records) = run(KeyField::NoKey);
    assert_eq!(by_user, by_order);
    assert_eq!(by_user, unkeyed);
    // ... and they really are keyed (and so placed) differently.
    let partitions = |records: &[(PartitionId, Record)]| -> Vec<u32> {
        records.iter().map(|(p, _)| p.0).collect()
    };
    assert_ne!(partitions(&user_records), partitions(&order_records));
    let round_robin: Vec<u32> = (0..300).map(|i| i % 4).collect();
    assert_eq!(partitions(&unkeyed_records), round_robin);
}

/// `hot_key_percent` sends that share of records to key 1 first; the rest are uniform over
/// all keys (key 1 included), so key 1 gets about hot + (100 - hot) / keys percent.
#[test]
fn hot_key_percent_concentrates_records_on_key_one() {
    let share_of_key_one = |hot: u8| {
        let mut sim = sim_with(orders(KeyField::UserId), 21);
        generate(
            &mut sim,
            4000,
            &KeySpace::new("U", 20).with_hot_key_percent(hot),
        );
        let records = produced(&sim);
        let ones = records
            .iter()
            .filter(|(_, r)| event(r).user_id == "U1")
            .count();
        ones as f64 / records.len() as f64
    };
    let uniform = share_of_key_one(0);
    assert!((0.03..0.07).contains(&uniform), "uniform: {uniform}");
    let skewed = share_of_key_one(60);
    // Expected 0.6 + 0.4 / 20 = 0.62.
    assert!((0.58..0.66).contains(&skewed), "60% hot: {skewed}");
    assert_eq!(share_of_key_one(100), 1.0);
}

/// A running generator draws from the same state as `generate`: its records continue each
/// key's lifecycle, every tick.
#[test]
fn a_running_generator_skews_and_keys_like_a_burst() {
    let mut sim = sim_with(orders(KeyField::OrderId), 8);
    sim.apply(Command::SetGenerator {
        topic: "orders".into(),
        records_per_tick: 3,
        key_space: KeySpace::new("user-", 5).with_hot_key_percent(100),
    })
    .unwrap();
    sim.run_until(orderflow_engine::ids::Tick(4));
    let records = produced(&sim);
    assert_eq!(records.len(), 12);
    let statuses: Vec<&str> = records.iter().map(|(_, r)| &*event(r).status).collect();
    assert_eq!(
        statuses[..5],
        ["Created", "Paid", "Shipped", "Delivered", "Created"]
    );
    for (_, r) in &records {
        assert_eq!(event(r).user_id, "user-1");
        assert_eq!(r.key.as_deref(), Some(&*event(r).order_id));
    }
}

/// A hand-made order is keyed by the topic's key field, like the generator's.
#[test]
fn publish_order_keys_the_event_by_the_topics_key_field() {
    let order = OrderEvent {
        user_id: "U7".into(),
        order_id: "O42".into(),
        status: "Paid".into(),
    };
    for (key_field, key) in [
        (KeyField::UserId, Some("U7")),
        (KeyField::OrderId, Some("O42")),
        (KeyField::NoKey, None),
    ] {
        let mut sim = sim_with(orders(key_field), 1);
        sim.apply(Command::PublishOrder {
            topic: "orders".into(),
            event: order.clone(),
        })
        .unwrap();
        let records = produced(&sim);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].1.key.as_deref(), key);
        assert_eq!(event(&records[0].1), &order);
    }
    let err = Sim::new(1)
        .apply(Command::PublishOrder {
            topic: "nope".into(),
            event: order,
        })
        .unwrap_err();
    assert_eq!(err, SimError::UnknownTopic("nope".into()));
}

/// Bad settings are typed errors and produce nothing, for a burst and a running generator.
#[test]
fn bad_generator_settings_are_refused_and_produce_nothing() {
    let refused = [
        (KeySpace::new("U", 0), 1, GeneratorError::NoKeys { keys: 0 }),
        (
            KeySpace::new("U", MAX_GENERATOR_KEYS + 1),
            1,
            GeneratorError::TooManyKeys {
                keys: MAX_GENERATOR_KEYS + 1,
                max: MAX_GENERATOR_KEYS,
            },
        ),
        (
            KeySpace::new("U", 3).with_hot_key_percent(101),
            1,
            GeneratorError::HotKeyPercent { value: 101 },
        ),
        (
            KeySpace::new("U", 3),
            MAX_GENERATED_RECORDS + 1,
            GeneratorError::TooManyRecords {
                requested: MAX_GENERATED_RECORDS + 1,
                max: MAX_GENERATED_RECORDS,
            },
        ),
    ];
    for (key_space, count, error) in refused {
        let mut sim = sim_with(orders(KeyField::UserId), 1);
        let burst = Command::Generate {
            topic: "orders".into(),
            count,
            key_space: key_space.clone(),
        };
        assert_eq!(
            sim.apply(burst).unwrap_err(),
            SimError::Generator(error.clone())
        );
        let running = Command::SetGenerator {
            topic: "orders".into(),
            records_per_tick: count,
            key_space,
        };
        assert_eq!(sim.apply(running).unwrap_err(), SimError::Generator(error));
        sim.step();
        assert!(sim.topic("orders").unwrap().is_empty());
        assert!(sim.generators().is_empty());
    }
    let mut sim = Sim::new(1);
    let unknown = Command::Generate {
        topic: "nope".into(),
        count: 1,
        key_space: KeySpace::new("U", 1),
    };
    assert_eq!(
        sim.apply(unknown).unwrap_err(),
        SimError::UnknownTopic("nope".into())
    );
}
