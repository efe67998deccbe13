//! `orderflow-cli saga` through the built binary: summaries, trace lines, one-line errors.

use std::process::{Command, Output};

fn saga(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-cli"))
        .arg("saga")
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("the binary runs")
}

fn summary(args: &[&str]) -> serde_json::Value {
    let output = saga(args);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(text.lines().count(), 1, "one JSON object");
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn summary_lists_final_state_steps_compensations_and_balances() {
    let s = summary(&[
        "scenarios/saga-payment-fails-compensation.json",
        "--summary",
    ]);
    let sagas = s["sagas"].as_array().unwrap();
    let first = sagas.iter().find(|x| x["order_id"] == "order-1").unwrap();
    assert_eq!(first["state"], "Failed");
    assert_eq!(
        first["executed_steps"],
        serde_json::json!(["CreateOrder", "ReserveInventory"])
    );
    assert_eq!(
        first["compensations"],
        serde_json::json!(["ReleaseInventory", "CancelOrder"])
    );
    let second = sagas.iter().find(|x| x["order_id"] == "order-2").unwrap();
    assert_eq!(second["state"], "Completed");
    assert_eq!(s["balances"]["charged_cents"], 2500);
    assert_eq!(s["balances"]["stock"]["P1"]["available"], 10);
    assert_eq!(s["invariant_violations"], serde_json::json!([]));
}

#[test]
fn named_scenario_on_consumer_groups_includes_the_engine_summary() {
    let s = summary(&["--name", "consumer-groups-payment-outage", "--summary"]);
    assert!(
        s["engine"]["groups"].is_array() || s["engine"]["groups"].is_object(),
        "{s}"
    );
    assert_eq!(s["balances"]["charges"], 2);
}

#[test]
fn trace_is_json_lines_and_seed_changes_nothing_for_deterministic_faults() {
    let output = saga(&["--name", "happy-path", "--ticks", "40"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(lines.iter().all(|l| l["type"] == "saga"));
    assert!(lines.iter().any(|l| l["event"]["type"] == "saga_completed"));
    let a = summary(&["--name", "happy-path", "--summary", "--seed", "1"]);
    let b = summary(&["--name", "happy-path", "--summary", "--seed", "1"]);
    assert_eq!(a, b);
}

#[test]
fn list_names_every_preset() {
    let output = saga(&["--list"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.lines().count() >= 10);
    assert!(text.contains("poison-message-dlq-resubmit"));
}

#[test]
fn bad_input_is_one_line_on_stderr_with_exit_2() {
    for args in [
        vec!["--name", "nope"],
        vec!["/no/such/file.json"],
        vec!["Cargo.toml"],
    ] {
        let output = saga(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn run_handles_saga_scenario_files_too() {
    let output = Command::new(env!("CARGO_BIN_EXE_orderflow-cli"))
        .args(["run", "scenarios/saga-shipping-timeout.json", "--summary"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let s: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(s["sagas"][0]["state"], "Failed");
    assert_eq!(
        s["sagas"][0]["compensations"],
        serde_json::json!([
            "CancelShipment",
            "RefundPayment",
            "ReleaseInventory",
            "CancelOrder"
        ])
    );
}

#[test]
fn engine_option_runs_a_standalone_scenario_on_consumer_groups() {
    let standalone = summary(&["--name", "crash-with-outbox", "--summary"]);
    assert!(standalone.get("engine").is_none());
    let groups = summary(&[
        "scenarios/saga-crash-with-outbox.json",
        "--engine",
        "consumer-groups",
        "--summary",
    ]);
    // On consumer groups the summary carries the streaming engine's own summary.
    assert!(groups["engine"]["groups"].is_array(), "{groups}");
    for s in [&standalone, &groups] {
        assert_eq!(s["outbox"], true);
        assert_eq!(s["sagas"][0]["state"], "Completed");
        assert_eq!(s["balances"]["charges"], 1);
        assert_eq!(s["invariant_violations"], serde_json::json!([]));
    }
    let output = saga(&["--name", "happy-path", "--engine", "kafka"]);
    assert_eq!(output.status.code(), Some(2));
}
