//! `orderflow-cli run` through the built binary: JSON lines, summaries, one-line errors.

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-cli"))
        .arg("run")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn scenario(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(format!("{name}.json"))
        .display()
        .to_string()
}

fn assert_refused(output: &Output, needle: &str) {
    assert_eq!(output.status.code(), Some(2), "exit code: {output:?}");
    assert!(output.stdout.is_empty(), "nothing on stdout: {output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(needle), "{stderr:?} mentions {needle:?}");
    assert!(!stderr.contains("panicked"), "{stderr:?}");
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn trace_is_json_lines_with_typed_events() {
    let output = run(&[&scenario("delivery-semantics"), "--ticks", "40"]);
    assert!(output.status.success(), "{output:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let kinds: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    for kind in [
        "topic_created",
        "produced",
        "rebalance_completed",
        "fetched",
        "processed",
        "committed",
        "member_killed",
        "records_lost",
    ] {
        assert!(kinds.contains(kind), "missing {kind}: {kinds:?}");
    }
    assert!(lines.iter().all(|l| l["tick"].as_u64().unwrap() <= 40));
}

#[test]
fn summary_shows_duplicates_and_losses() {
    let output = run(&[&scenario("delivery-semantics"), "--summary"]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    let groups = summary["groups"].as_array().unwrap();
    let alo = groups
        .iter()
        .find(|g| g["name"] == "at-least-once")
        .unwrap();
    let amo = groups.iter().find(|g| g["name"] == "at-most-once").unwrap();
    assert!(alo["duplicates"].as_u64().unwrap() > 0);
    assert_eq!(alo["lost"], 0);
    assert!(amo["lost"].as_u64().unwrap() > 0);
    assert_eq!(amo["duplicates"], 0);
    assert_eq!(alo["total_lag"], 0);
    let end_offsets: u64 = summary["topics"][0]["end_offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(end_offsets, 60);
    assert!(alo["members"].as_object().unwrap().contains_key("c2"));
    assert_eq!(alo["committed"].as_object().unwrap().len(), 3);
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let path = scenario("event-hubs-orders");
    let a = run(&[&path, "--ticks", "50"]);
    let b = run(&[&path, "--ticks", "50"]);
    let c = run(&[&path, "--ticks", "50", "--seed", "99"]);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
}

#[test]
fn every_scenario_file_runs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let output = run(&[path.to_str().unwrap(), "--summary"]);
        assert!(output.status.success(), "{}: {output:?}", path.display());
        count += 1;
    }
    assert!(count >= 5);
}

#[test]
fn missing_file_is_one_line_exit_2() {
    assert_refused(&run(&["/nonexistent/scenario.json"]), "cannot read");
}

#[test]
fn bad_json_is_one_line_exit_2() {
    let path = temp_file("bad.json", "{\"name\": ");
    assert_refused(&run(&[path.to_str().unwrap()]), "not valid JSON");
}

#[test]
fn invalid_scenario_is_one_line_exit_2() {
    let path = temp_file(
        "invalid.json",
        r#"{"name": "x", "topics": [{"name": "t", "partitions": 0}]}"#,
    );
    assert_refused(&run(&[path.to_str().unwrap()]), "1 to 1024 partitions");
    let path = temp_file(
        "unknown-topic.json",
        r#"{"name": "x", "commands": [{"type": "produce", "topic": "nope", "value": {"order": {"user_id": "U1", "order_id": "O1", "status": "Created"}}}]}"#,
    );
    assert_refused(&run(&[path.to_str().unwrap()]), "\"nope\" does not exist");
}

#[test]
fn bad_ticks_argument_is_one_line_exit_2() {
    assert_refused(
        &run(&[&scenario("user-events"), "--ticks", "soon"]),
        "--ticks",
    );
}

#[test]
fn acks_1_failover_names_each_lost_record_by_offset_and_key() {
    let output = run(&[&scenario("cluster-acks-1-loses-records")]);
    assert!(output.status.success());
    let trace = String::from_utf8(output.stdout).unwrap();
    let lost: Vec<serde_json::Value> = trace
        .lines()
        .filter(|l| l.contains("\"record_lost\""))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].clone())
        .collect();
    let named: Vec<(u64, &str)> = lost
        .iter()
        .map(|e| (e["offset"].as_u64().unwrap(), e["key"].as_str().unwrap()))
        .collect();
    assert_eq!(named, vec![(3, "user-4"), (4, "user-5"), (5, "user-6")]);
    assert!(lost
        .iter()
        .all(|e| e["acks"] == "1" && e["acknowledged"] == true));
}

#[test]
fn acks_all_refuses_with_not_enough_replicas_after_two_kills() {
    let output = run(&[&scenario("cluster-acks-all-min-insync")]);
    assert!(output.status.success());
    let trace = String::from_utf8(output.stdout).unwrap();
    let refused: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("\"produce_refused\""))
        .collect();
    assert!(!refused.is_empty());
    assert!(refused
        .iter()
        .all(|l| l.contains("\"error\":\"NOT_ENOUGH_REPLICAS\"")));
}

#[test]
fn max_records_out_of_range_is_one_line_exit_2() {
    let path = scenario("event-hubs-orders");
    for bad in ["0", "20000001", "many"] {
        assert_refused(&run(&[&path, "--max-records", bad]), "--max-records");
    }
}

#[test]
fn the_record_limit_stops_the_generator_with_a_note() {
    let output = run(&[&scenario("event-hubs-orders"), "--max-records", "50"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let produced = stdout
        .lines()
        .filter(|l| l.contains("\"produced\""))
        .count();
    assert_eq!(produced, 50, "exactly the limit is appended");
    let rejected: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("\"command_rejected\""))
        .collect();
    assert!(!rejected.is_empty(), "the stop is traced");
    assert!(
        rejected[0].contains("limit of 50 resident records"),
        "{rejected:?}"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("record limit"), "{stderr:?}");
    assert!(stderr.contains("--max-records"), "{stderr:?}");
    // Without a limit in reach, nothing is said.
    let quiet = run(&[&scenario("event-hubs-orders")]);
    assert!(quiet.stderr.is_empty(), "{quiet:?}");
}

#[test]
fn ticks_out_of_range_and_an_oversized_file_are_one_line_exit_2() {
    let path = scenario("delivery-semantics");
    for bad in ["0", "100000001", "-5", "lots"] {
        assert_refused(&run(&[&path, &format!("--ticks={bad}")]), "--ticks");
    }
    // A sparse 17 MiB file: refused from its size, before a byte is read.
    let big = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("too-big-scenario.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(17 * 1024 * 1024).unwrap();
    let output = run(&[&big.display().to_string()]);
    assert_refused(&output, "a scenario file may have at most 16777216");
    std::fs::remove_file(&big).unwrap();
}
