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
fn summary_includes_the_engine_summary() {
    let s = summary(&["--name", "payment-outage-redelivery", "--summary"]);
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
    // The streaming engine's events as they are, the saga's wrapped.
    assert!(lines.iter().any(|l| l["type"] == "rebalance_completed"));
    assert!(lines
        .iter()
        .any(|l| l["type"] == "processed" && l["group"] == "payment-service"));
    assert!(lines.iter().any(|l| l["event"]["type"] == "saga_completed"));
    assert!(lines
        .iter()
        .all(|l| l["type"] != "saga" || l["event"]["type"].is_string()));
    let a = summary(&["--name", "happy-path", "--summary", "--seed", "1"]);
    let b = summary(&["--name", "happy-path", "--summary", "--seed", "1"]);
    assert_eq!(a, b);
}

#[test]
fn list_names_every_preset() {
    let output = saga(&["--list"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.lines().count() >= 10);
    for line in text.lines() {
        let preset: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&String> = preset.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["description", "name"], "{line}");
    }
    for name in [
        "happy-path",
        "payment-fails-compensation",
        "insufficient-stock",
        "shipping-timeout",
        "poison-message-dlq-resubmit",
        "duplicate-delivery-without-inbox",
        "duplicate-delivery-with-inbox",
        "crash-without-outbox",
        "crash-with-outbox",
        "event-sourced-order",
        "mixed-failures-orchestration",
        "mixed-failures-choreography",
    ] {
        assert!(text.contains(&format!(r#""name":"{name}""#)), "{name}");
    }
}

#[test]
fn bad_input_is_one_line_on_stderr_with_exit_2() {
    for args in [
        vec!["--name", "nope"],
        vec!["/no/such/file.json"],
        vec!["Cargo.toml"],
        vec!["--name", "happy-path", "--engine", "consumer-groups"],
    ] {
        let output = saga(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(!stderr.contains("panicked"));
    }
    let output = saga(&["--name", "happy-path", "--engine", "standalone"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--engine is gone"), "{stderr}");
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

/// Scenario files written when there were two drivers name one; the field is ignored and
/// the scenario runs on consumer groups. The names of the scenarios that went are answered
/// with their current name.
#[test]
fn older_files_and_names_of_the_two_drivers() {
    let dir = std::env::temp_dir().join(format!("orderflow-saga-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("old-crash-with-outbox.json");
    let current = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/saga-crash-with-outbox.json"
    ))
    .unwrap();
    let mut old: serde_json::Value = serde_json::from_str(&current).unwrap();
    old["engine"] = "standalone".into();
    std::fs::write(&path, old.to_string()).unwrap();
    let s = summary(&[path.to_str().unwrap(), "--summary"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(s["engine"]["groups"].is_array(), "{s}");
    assert_eq!(s["outbox"], true);
    assert_eq!(s["sagas"][0]["state"], "Completed");
    assert_eq!(s["balances"]["charges"], 1);
    assert_eq!(s["invariant_violations"], serde_json::json!([]));
    assert_eq!(s, summary(&["--name", "crash-with-outbox", "--summary"]));

    let output = saga(&["--name", "consumer-groups-crash-with-outbox"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.contains(r#"it is "crash-with-outbox" now"#),
        "{stderr}"
    );
}
