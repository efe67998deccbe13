use super::*;
use crate::playground::Playground;
use crate::presets::preset;
use orderflow_engine::saga::command::SagaCommand;
use orderflow_engine::saga::projection::ProjectionKind;

fn played(name: &str, ticks: u64) -> Playground {
    let mut pg = Playground::new(preset(name).expect("listed").session);
    for _ in 0..ticks {
        pg.step();
    }
    pg
}

#[test]
fn read_models_show_the_projections_their_lag_and_their_last_rebuild() {
    let mut pg = played("payment-fails-compensation", 100);
    let rows = read_model_rows(&pg.saga().unwrap());
    let names: Vec<_> = rows.iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "Orders by status",
            "Sales per product",
            "Notifications sent"
        ]
    );
    let by_status = &rows[0];
    assert!(
        by_status.lines.iter().any(|l| l == "Cancelled: 1"),
        "{by_status:?}"
    );
    assert_eq!(by_status.lag, 0, "settled after 100 ticks");
    assert_eq!(by_status.last_rebuild, None);
    pg.try_saga(SagaCommand::RebuildProjection {
        projection: ProjectionKind::OrderSummary,
    })
    .unwrap();
    let rows = read_model_rows(&pg.saga().unwrap());
    let rebuilt = rows[0].last_rebuild.clone().expect("rebuilt");
    assert!(
        rebuilt.starts_with("Rebuilt at tick 100 from ")
            && rebuilt.ends_with("the replay equalled the incremental model."),
        "{rebuilt}"
    );
    assert_eq!(rows[1].last_rebuild, None, "only the one rebuilt");
}

/// A projection's lag is its consumer group's: while orders flow it is behind the log at
/// some tick, and the region says by as much as the engine's group snapshot.
#[test]
fn a_read_models_lag_is_its_consumer_groups_lag() {
    let mut pg = Playground::new(preset("happy-path").expect("listed").session);
    let mut seen_behind = false;
    for _ in 0..40 {
        pg.step();
        let saga = pg.saga().unwrap();
        for row in read_model_rows(&saga) {
            let group = pg.group_snapshot(row.kind.group()).expect("a group");
            assert_eq!(row.lag, group.total_lag);
            seen_behind |= row.lag > 0;
        }
    }
    assert!(seen_behind, "a projection lagged at some tick");
}

#[test]
fn the_event_sourced_order_shows_versions_the_upcast_snapshots_and_the_retry() {
    let pg = played("event-sourced-order", 100);
    let saga = pg.saga().unwrap();
    assert_eq!(order_ids(&saga), ["order-1"]);
    let stream = order_stream(&saga, "order-1").expect("a stream");
    let versions: Vec<u64> = stream.rows.iter().map(|r| r.version).collect();
    assert_eq!(versions, (1..=versions.len() as u64).collect::<Vec<_>>());
    let placed = &stream.rows[0];
    assert_eq!(placed.event, "OrderPlaced");
    assert_eq!(placed.schema, "v1, read as v2 (currency USD)");
    assert!(placed.detail.ends_with("25.00 USD"), "{}", placed.detail);
    assert!(stream.rows.iter().any(|r| r.event == "NoteAdded"));
    let snapshots: Vec<u64> = stream
        .rows
        .iter()
        .filter(|r| r.snapshot)
        .map(|r| r.version)
        .collect();
    assert!(
        !snapshots.is_empty() && snapshots.iter().all(|v| v % 2 == 0),
        "{snapshots:?}"
    );
    assert!(
        !stream.conflicts.is_empty(),
        "the concurrent writer's conflict"
    );
    assert!(stream.conflicts[0].contains("the writer reloaded and retried"));
    assert!(
        stream
            .load
            .starts_with("Loading starts from the snapshot at version"),
        "{}",
        stream.load
    );
    assert_eq!(order_stream(&saga, "no-such-order"), None);
}

#[test]
fn replaying_an_orders_stream_rebuilds_its_state_version_by_version() {
    let pg = played("event-sourced-order", 100);
    let saga = pg.saga().unwrap();
    let before = replayed_state(&saga, "order-1", 0).unwrap();
    assert_eq!(before[1], "Status: none (before OrderPlaced)");
    let first = replayed_state(&saga, "order-1", 1).unwrap();
    assert_eq!(first[..2], ["Version: 1", "Status: Created"]);
    assert_eq!(first[2], "Total: 25.00 USD", "read upcast");
    let end = order_stream(&saga, "order-1").unwrap().rows.len() as u64;
    let last = replayed_state(&saga, "order-1", end).unwrap();
    let loaded = saga
        .world()
        .services
        .order
        .store
        .load(&orderflow_engine::saga::message::OrderId("order-1".into()))
        .unwrap()
        .state;
    assert_eq!(last[0], format!("Version: {}", loaded.version));
    assert_eq!(last[1], format!("Status: {}", loaded.status.unwrap()));
    assert_eq!(replayed_state(&saga, "order-1", end + 5), Some(last));
    assert_eq!(replayed_state(&saga, "nobody", 1), None);
}

#[test]
fn correlation_follows_one_order_across_every_topic_with_its_causes() {
    let pg = played("payment-fails-compensation", 100);
    let saga = pg.saga().unwrap();
    let rows = correlation_rows(&saga, "order-1");
    assert!(rows.len() > 5, "{rows:?}");
    assert_eq!(rows[0].message, "PlaceOrder");
    assert_eq!(
        rows[0].caused_by, None,
        "the customer's order comes from outside"
    );
    assert!(rows
        .iter()
        .all(|r| r.correlation_id.as_deref() == Some("order-1")));
    assert!(rows.windows(2).all(|w| w[0].tick <= w[1].tick));
    for row in &rows[1..] {
        let cause = row.caused_by.as_deref().expect("caused by a record");
        let id: u64 = cause[1..].split(' ').next().unwrap().parse().unwrap();
        let at = rows
            .iter()
            .position(|r| r.event_id == id)
            .expect("on the path");
        assert!(rows[at].tick <= row.tick, "{cause} before {row:?}");
    }
    let payment = rows
        .iter()
        .find(|r| r.message == "ProcessPayment")
        .expect("the payment command");
    assert!(
        payment.place.starts_with("payment-commands-"),
        "{payment:?}"
    );
    assert!(
        payment.read_by.iter().any(|g| g == "payment-service"),
        "{payment:?}"
    );
    let topics: std::collections::BTreeSet<_> = rows
        .iter()
        .map(|r| r.place.split('-').next().unwrap().to_string())
        .collect();
    assert!(topics.len() >= 3, "{topics:?}");
    assert!(correlation_rows(&saga, "no-such-order").is_empty());
}

#[test]
fn money_reads_in_units_and_cents() {
    assert_eq!(cents(2500), "25.00");
    assert_eq!(cents(7), "0.07");
}

/// The page and the CLI agree (issue #12): every saga preset played in the page for its
/// ticks has the final summary `orderflow-cli saga --name NAME --summary` prints (the same
/// `System` built from the same scenario, run to the same tick, with no trace kept).
#[test]
fn every_saga_presets_final_summary_in_the_page_is_the_clis() {
    use orderflow_engine::ids::Tick;
    use orderflow_engine::scenario::{saga_presets, System, SystemSummary};
    let presets = saga_presets();
    assert_eq!(presets.len(), 14);
    for scenario in presets {
        let ticks = scenario.run_ticks();
        let page = played(&scenario.name, ticks);
        let page = serde_json::to_value(SystemSummary::Saga(Box::new(
            page.saga().expect("a saga").summary(),
        )))
        .unwrap();
        let mut cli = System::from_scenario(&scenario).unwrap();
        cli.set_trace_limit(Some(0));
        cli.run_until(Tick(ticks));
        let cli = serde_json::to_value(cli.summary()).unwrap();
        assert_eq!(page, cli, "{} after {ticks} ticks", scenario.name);
    }
}

/// The mixed-failures orders run in both styles: orchestration sends commands to the
/// services' command topics, choreography none; both place the same six orders.
#[test]
fn the_saga_styles_side_by_side_count_the_messages_each_sent() {
    let pg = played("mixed-failures-orchestration", 400);
    let c = compare_styles(pg.session()).expect("a saga");
    assert_eq!(c.tick, 400);
    let row = |name: &str| c.rows.iter().find(|r| r.message == name).cloned();
    let reserve = row("ReserveInventory").expect("the orchestrator's command");
    assert!(
        reserve.orchestration > 0 && reserve.choreography == 0,
        "{reserve:?}"
    );
    let placed = row("PlaceOrder").unwrap();
    assert_eq!((placed.orchestration, placed.choreography), (6, 6));
    let sum = |f: fn(&StyleRow) -> u64| c.rows.iter().map(f).sum::<u64>();
    assert_eq!(
        c.totals,
        (sum(|r| r.orchestration), sum(|r| r.choreography))
    );
    let sagas = |lines: &[String]| -> u64 {
        lines
            .iter()
            .map(|l| l.rsplit(": ").next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!((sagas(&c.outcomes.0), sagas(&c.outcomes.1)), (6, 6));
    // The page's own run is one of the two.
    let own: u64 = topics_total(&pg);
    assert_eq!(own, c.totals.0);
    assert_eq!(compare_styles(Playground::default().session()), None);
}

fn topics_total(pg: &Playground) -> u64 {
    let saga = pg.saga().unwrap();
    orderflow_engine::saga::message::topics::ALL
        .iter()
        .map(|t| saga.saga_records(t).len() as u64)
        .sum()
}

/// The payment-fails preset's order-1 on the orchestrator's machine: every state boxed,
/// "failed, compensated" current, the arrows its log took marked (and only those), and
/// a replay of the session draws the same.
#[test]
fn the_state_machine_marks_a_compensated_sagas_state_and_path() {
    let pg = played("payment-fails-compensation", 100);
    let m = state_machine(&pg.saga().unwrap(), "order-1").expect("a saga");
    assert_eq!(m.boxes.len(), 8);
    let current: Vec<_> = m
        .boxes
        .iter()
        .filter(|b| b.current)
        .map(|b| b.label)
        .collect();
    assert_eq!(current, ["failed, compensated"]);
    assert_eq!(m.summary, "Saga order-1 is failed, compensated.");
    assert_eq!(
        m.path,
        [
            "pending to reserving inventory (started)",
            "reserving inventory to processing payment (step succeeded)",
            "processing payment to compensating (step failed)",
            "compensating to compensating (compensation succeeded)",
            "compensating to failed, compensated (compensation succeeded)",
        ]
    );
    let taken: Vec<_> = m
        .arrows
        .iter()
        .filter(|a| a.taken)
        .map(|a| a.title.as_str())
        .collect();
    assert_eq!(taken.len(), 5, "{taken:?}");
    assert!(taken.contains(&"processing payment to compensating: step failed or step timed out"));
    assert!(!m.boxes.iter().any(|b| b.label == "shipping" && b.visited));
    let replayed = Playground::new(pg.session().clone());
    assert_eq!(state_machine(&replayed.saga().unwrap(), "order-1"), Some(m));
    assert_eq!(state_machine(&pg.saga().unwrap(), "no-such-order"), None);
}

/// Choreographed, the same order has no orchestrator log: the events that drove it, from
/// its creation to its cancellation, in the order they were written.
#[test]
fn a_choreographed_saga_lists_the_events_that_drove_it() {
    let mut pg = Playground::new(preset("payment-fails-compensation").unwrap().session);
    assert!(pg.set_saga_style(orderflow_engine::saga::services::SagaMode::Choreography));
    for _ in 0..100 {
        pg.step();
    }
    let events = driving_events(&pg.saga().unwrap(), "order-1");
    assert!(events[0].ends_with("OrderCreated"), "{events:?}");
    assert!(
        events.iter().any(|e| e.ends_with("PaymentFailed")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.ends_with("OrderCancelled")),
        "{events:?}"
    );
}

/// "Snapshot" logs `take_snapshot`: order-1 of the happy path (no snapshot before its third
/// event) snapshotted at version 1, then paid: loading and the step-by-step replay start
/// from version 1 and apply the one event after it, to the state a replay from scratch
/// rebuilds; a replay of the log carries the snapshot, a rewind before it drops it.
#[test]
fn a_snapshot_now_makes_the_replay_start_from_it_and_the_log_carries_it() {
    let mut pg = played("happy-path", 10);
    let stream = |pg: &Playground| order_stream(&pg.saga().unwrap(), "order-1").unwrap();
    assert_eq!((stream(&pg).rows.len(), stream(&pg).snapshot), (1, None));
    let snapshot = SagaCommand::TakeSnapshot {
        order_id: orderflow_engine::saga::message::OrderId("order-1".into()),
    };
    pg.try_saga(snapshot).unwrap();
    for _ in 0..6 {
        pg.step();
    }
    let after = stream(&pg);
    assert_eq!((after.rows.len(), after.snapshot), (2, Some(1)));
    assert!(after.rows[0].snapshot, "the row marks it");
    assert_eq!(
        after.load,
        "Loading starts from the snapshot at version 1 and replays 1 of 2 events."
    );
    let saga = pg.saga().unwrap();
    let at_snapshot = replayed_from_snapshot(&saga, "order-1", 1).unwrap();
    assert_eq!(at_snapshot[..2], ["Version: 1", "Status: Created"]);
    let replayed = replayed_from_snapshot(&saga, "order-1", 2).unwrap();
    assert_eq!(replayed[..2], ["Version: 2", "Status: Paid"]);
    assert_eq!(Some(replayed), replayed_state(&saga, "order-1", 2));
    assert_eq!(
        replay_progress(1, 1, 2),
        "Replay from snapshot at version 1: 1 event to apply; applied 0."
    );
    assert_eq!(replay_progress(0, 1, 2), "Replayed 1 of 2 events.");
    let mut replayed = Playground::new(pg.session().clone());
    assert_eq!(stream(&replayed), after, "the log carries it");
    replayed.replay_to(9);
    assert_eq!(stream(&replayed).snapshot, None, "rewound before it");
    let none = SagaCommand::TakeSnapshot {
        order_id: orderflow_engine::saga::message::OrderId("nobody".into()),
    };
    assert!(pg.try_saga(none).is_err());
}

/// The order selects' ids come in the order the orders arrived, so the list only grows at
/// its end while the run goes on; the key they are listed again by is the count, first and
/// last id (in id order) at every tick, and moves whenever an order gains its stream.
#[test]
fn the_order_ids_grow_at_their_end_and_their_key_moves_with_them() {
    let mut pg = Playground::new(preset("happy-path").expect("listed").session);
    let mut last: Option<(_, Vec<String>)> = None;
    let mut changes = 0;
    for tick in 0..120 {
        if tick % 10 == 0 {
            let id = crate::sagas::next_order_id(pg.session());
            let order = crate::sagas::PlaceOrderDraft::default().parse(&id).unwrap();
            pg.try_saga(order).unwrap();
        }
        pg.step();
        let saga = pg.saga().unwrap();
        let ids = order_ids(&saga);
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "each order once");
        let key = order_ids_key(&saga);
        assert_eq!(
            key,
            (ids.len(), sorted.first().cloned(), sorted.last().cloned()),
            "tick {tick}"
        );
        if let Some((k, before)) = &last {
            assert_eq!(
                &ids[..before.len()],
                &before[..],
                "tick {tick}: grown at the end"
            );
            if *k == key {
                assert_eq!(before, &ids, "same key, same ids");
            } else {
                changes += 1;
            }
        }
        last = Some((key, ids));
    }
    assert!(changes > 10, "{changes} changes of the ids");
    // "web-order-1", placed at tick 0, arrived before the preset's orders (which sort
    // first by id); "web-order-10" after "web-order-9".
    let ids = order_ids(&pg.saga().unwrap());
    assert_eq!(
        ids.first().map(String::as_str),
        Some("web-order-1"),
        "{ids:?}"
    );
    let at = |id: &str| ids.iter().position(|i| i == id);
    assert!(at("web-order-9") < at("web-order-10"), "{ids:?}");
}
