use super::*;
use crate::playground::Playground;
use crate::presets::preset;
use orderflow_engine::scenario::{saga_presets, System};

fn draft(customer: &str, product: &str, quantity: &str) -> PlaceOrderDraft {
    PlaceOrderDraft {
        customer: customer.into(),
        product: product.into(),
        quantity: quantity.into(),
    }
}

#[test]
fn a_draft_parses_to_the_sagas_place_order_command_or_says_what_to_fix() {
    let Ok(SagaCommand::PlaceOrder {
        order_id,
        customer_id,
        lines,
        ..
    }) = draft(" c-9 ", "P2", " 3 ").parse("web-order-1")
    else {
        panic!("a valid draft")
    };
    assert_eq!(
        (order_id.0.as_str(), customer_id.0.as_str()),
        ("web-order-1", "c-9")
    );
    assert_eq!(
        (lines[0].product_id.0.as_str(), lines[0].quantity),
        ("P2", 3)
    );
    for (bad, message) in [
        (draft("", "P1", "1"), "Customer must not be empty."),
        (draft("c", " ", "1"), "Product must not be empty."),
        (
            draft("c", "P1", "0"),
            "Quantity must be a whole number from 1 to 1000000.",
        ),
        (
            draft("c", "P1", "x"),
            "Quantity must be a whole number from 1 to 1000000.",
        ),
        (
            draft("c", "P1", "1000001"),
            "Quantity must be a whole number from 1 to 1000000.",
        ),
        (
            draft(&"c".repeat(MAX_FIELD_CHARS + 1), "P1", "1"),
            "Customer must be at most 1024 characters.",
        ),
    ] {
        assert_eq!(bad.parse("o").unwrap_err().to_string(), message);
    }
}

/// The page runs the payment-fails preset to what the engine's System (what
/// `orderflow-cli run` drives) gives for the same ticks.
#[test]
fn the_payment_fails_preset_ends_failed_compensated_as_the_engine_runs_it() {
    let scenario = saga_presets()
        .into_iter()
        .find(|s| s.name == "payment-fails-compensation")
        .expect("the preset");
    let ticks = scenario.ticks.unwrap_or(100);
    let mut pg = Playground::new(preset(&scenario.name).expect("listed").session);
    for _ in 0..ticks {
        pg.step();
    }
    let mut system = System::from_scenario(&scenario).unwrap();
    system.run(ticks);
    let page = pg.saga().expect("a saga").summaries();
    assert_eq!(page, system.saga().unwrap().summaries());
    let rows = saga_rows(&pg.saga().unwrap());
    assert_eq!(saga_rows_in(&pg.saga().unwrap(), 1..rows.len()), rows[1..]);
    assert_eq!(
        saga_rows_in(&pg.saga().unwrap(), 0..50),
        rows,
        "a page past the end"
    );
    let first = rows.iter().find(|r| r.order_id == "order-1").unwrap();
    assert_eq!(first.state, "failed, compensated");
    assert_eq!(first.steps, ["Create order", "Reserve inventory"]);
    assert_eq!(first.compensations, ["Release inventory", "Cancel order"]);
    let balances = pg.balance_lines().unwrap();
    assert_eq!(balances.violations, Vec::<String>::new());
    assert!(
        balances.stock[0].starts_with("P1: "),
        "{:?}",
        balances.stock
    );
}

#[test]
fn an_order_placed_by_hand_is_logged_replayed_and_numbered() {
    let mut pg = Playground::new(preset("happy-path").expect("listed").session);
    let id = next_order_id(pg.session());
    assert_eq!(id, "web-order-1");
    pg.try_saga(draft("c", "P1", "2").parse(&id).unwrap())
        .unwrap();
    assert_eq!(next_order_id(pg.session()), "web-order-2");
    for _ in 0..80 {
        pg.step();
    }
    let done = |pg: &Playground| {
        saga_rows(&pg.saga().unwrap())
            .into_iter()
            .find(|r| r.order_id == "web-order-1")
            .expect("the order's saga")
    };
    let row = done(&pg);
    assert_eq!(row.state, "completed");
    assert!(pg.session().validate().is_ok());
    let replayed = Playground::new(pg.session().clone());
    assert_eq!(done(&replayed), row);
    // A streaming scenario has no saga: the command is refused, nothing logged.
    let mut plain = Playground::default();
    assert!(plain
        .try_saga(draft("c", "P1", "1").parse("o").unwrap())
        .is_err());
    assert!(plain.session().actions.is_empty());
}

#[test]
fn the_sagas_topics_and_service_groups_are_the_pages_topics_and_groups() {
    let mut pg = Playground::new(preset("payment-fails-compensation").unwrap().session);
    for _ in 0..20 {
        pg.step();
    }
    let topics = pg.topic_names();
    for topic in orderflow_engine::saga::message::topics::ALL {
        assert!(topics.iter().any(|t| t == topic), "{topic} in {topics:?}");
        assert!(pg.partition_count(topic) > 0);
    }
    let groups = pg.group_names();
    for group in ["payment-service", "inventory-service", "saga-orchestrator"] {
        assert!(groups.iter().any(|g| g == group), "{group} in {groups:?}");
        assert!(pg.group_snapshot(group).is_some());
    }
}

#[test]
fn record_checks_wait_half_a_second_or_twenty_times_their_last_run() {
    assert_eq!(record_checks_wait_ms(0.0), RECORD_CHECKS_EVERY_MS);
    assert_eq!(record_checks_wait_ms(25.0), 500);
    assert_eq!(record_checks_wait_ms(40.0), 800);
    assert_eq!(record_checks_wait_ms(150.2), 3004);
    assert_eq!(record_checks_wait_ms(-3.0), 500, "a clock that went back");
    assert_eq!(record_checks_wait_ms(f64::INFINITY), u32::MAX);
}

#[test]
fn record_checks_list_only_what_the_conservation_checks_do_not() {
    let conservation = vec!["stock of P1 not conserved".to_string()];
    let all = vec![
        "stock of P1 not conserved".to_string(),
        "projection OrdersByStatus differs from its replay".to_string(),
    ];
    assert_eq!(
        record_check_violations(all, &conservation),
        vec!["projection OrdersByStatus differs from its replay".to_string()]
    );
    assert!(record_check_violations(conservation.clone(), &conservation).is_empty());
}

/// The conservation checks as the playground keeps them answer what a fresh run of the
/// engine's check says after every step, action and rebuild: a stale answer (sagas that
/// ended still "not final", a refund that failed not shown) fails here.
#[test]
fn the_kept_conservation_checks_follow_every_step_action_and_rebuild() {
    let mut pg = Playground::new(preset("happy-path").expect("listed").session);
    let fresh = |pg: &Playground| pg.saga().unwrap().check_conservation();
    let mut seen = std::collections::BTreeSet::new();
    let place = |pg: &mut Playground| {
        let id = next_order_id(pg.session());
        pg.try_saga(draft("c", "P1", "1").parse(&id).unwrap())
            .unwrap();
    };
    for tick in 0..160 {
        if tick % 20 == 0 {
            place(&mut pg);
            assert_eq!(pg.conservation(), Some(fresh(&pg)), "after an order");
        }
        pg.step();
        let kept = pg.conservation();
        assert_eq!(kept, Some(fresh(&pg)), "tick {tick}");
        assert_eq!(pg.conservation(), kept, "asked again");
        seen.insert(kept.unwrap_or_default());
    }
    assert!(seen.len() > 2, "the checks changed along the run: {seen:?}");
    pg.replay_to(30);
    assert_eq!(pg.conservation(), Some(fresh(&pg)), "after a rewind");
    assert_eq!(Playground::default().conservation(), None, "no saga");
}

#[test]
fn the_checks_list_counts_the_sagas_still_running_in_one_line() {
    assert_eq!(check_lines(&[]), ["Conservation checks hold."]);
    let running = |id: &str| format!("saga {id} is not final: reserving inventory");
    let broken = "stock of P1 is not conserved: 10 at start, 9 now".to_string();
    assert_eq!(
        check_lines(&[running("o-1"), broken.clone(), running("o-2")]),
        [
            broken.clone(),
            "2 sagas are still running (not final yet).".to_string()
        ]
    );
    assert_eq!(
        check_lines(&[running("o-1")]),
        ["1 saga is still running (not final yet)."]
    );
    assert_eq!(check_lines(&[broken.clone(), broken.clone()]), [broken]);
}
