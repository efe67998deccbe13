//! `orderflow-cli place` through the built binary: Kafka's placements from Kafka's own tests
//! (`AdminRackAwareTest`, `AdminTest.testReplicaAssignment`, `AddPartitionsTest`), Kafka's
//! messages for bad input, one line on stderr and exit code 2.

use std::io::Read;
use std::process::{Command, Output, Stdio};

fn place(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-cli"))
        .arg("place")
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The one line on stdout of a successful run.
fn placed(args: &[&str]) -> String {
    let output = place(args);
    assert!(output.status.success(), "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout:?}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(value.is_object());
    stdout.trim_end().to_string()
}

/// Exit code 2, nothing on stdout, exactly one line on stderr, which must say `message`.
fn assert_refused(args: &[&str], message: &str) {
    let output = place(args);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stdout.is_empty(), "nothing on stdout: {output:?}");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(message), "{stderr:?} says {message:?}");
    assert!(!stderr.contains("panicked"), "{stderr:?}");
}

/// `AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers`.
#[test]
fn rack_aware_placement_is_kafkas() {
    let out = placed(&[
        "--brokers",
        "0:rack1,1:rack3,2:rack3,3:rack2,4:rack2,5:rack1",
        "--partitions",
        "7",
        "--replication-factor",
        "3",
        "--start-index",
        "0",
    ]);
    assert_eq!(
        out,
        r#"{"0":[0,3,1],"1":[3,1,5],"2":[1,5,4],"3":[5,4,2],"4":[4,2,0],"5":[2,0,3],"6":[0,4,2]}"#
    );
}

/// `AdminTest.testReplicaAssignment` (now `AdminRackAwareTest.testReplicaAssignment`), with
/// the brokers listed out of order: Kafka places them in id order.
#[test]
fn rack_unaware_placement_is_kafkas_with_brokers_in_id_order() {
    let expected = concat!(
        r#"{"0":[0,1,2],"1":[1,2,3],"2":[2,3,4],"3":[3,4,0],"4":[4,0,1],"#,
        r#""5":[0,2,3],"6":[1,3,4],"7":[2,4,0],"8":[3,0,1],"9":[4,1,2]}"#
    );
    for brokers in ["0,1,2,3,4", "4,2,0,3,1"] {
        let out = placed(&[
            "--brokers",
            brokers,
            "--partitions",
            "10",
            "--replication-factor",
            "3",
            "--start-index",
            "0",
        ]);
        assert_eq!(out, expected, "--brokers {brokers}");
    }
}

/// `AddPartitionsTest.testReplicaPlacementAllServers`: growing a topic whose partition 0 is
/// on `[2, 3, 0, 1]` from 1 to 7 partitions places partitions 1..6 from start index 2.
#[test]
fn start_partition_places_added_partitions_like_add_partitions() {
    let out = placed(&[
        "--brokers",
        "0,1,2,3",
        "--partitions",
        "6",
        "--replication-factor",
        "4",
        "--start-index",
        "2",
        "--start-partition",
        "1",
    ]);
    let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&out).unwrap();
    let leaders: Vec<(&str, i64)> = value
        .iter()
        .map(|(p, r)| (p.as_str(), r[0].as_i64().unwrap()))
        .collect();
    let mut sorted = leaders.clone();
    sorted.sort_by_key(|(p, _)| p.parse::<u32>().unwrap());
    assert_eq!(
        sorted,
        vec![("1", 3), ("2", 0), ("3", 1), ("4", 2), ("5", 3), ("6", 0)]
    );
    for replicas in value.values() {
        let mut set: Vec<i64> = replicas
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_i64().unwrap())
            .collect();
        set.sort();
        assert_eq!(set, vec![0, 1, 2, 3]);
    }
}

#[test]
fn keys_come_in_numeric_order() {
    let out = placed(&[
        "--brokers",
        "0,1,2",
        "--partitions",
        "12",
        "--replication-factor",
        "1",
        "--start-index",
        "0",
    ]);
    let positions: Vec<usize> = (0..12)
        .map(|p| out.find(&format!("\"{p}\":")).expect("every partition"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
}

#[test]
fn kafkas_own_refusals_use_kafkas_messages() {
    let args = |brokers, partitions, factor| {
        vec![
            "--brokers",
            brokers,
            "--partitions",
            partitions,
            "--replication-factor",
            factor,
            "--start-index",
            "0",
        ]
    };
    assert_refused(
        &args("0,1,2", "3", "4"),
        "Replication factor: 4 larger than available brokers: 3.",
    );
    assert_refused(
        &args("0,1,2", "0", "1"),
        "Number of partitions must be larger than 0.",
    );
    assert_refused(
        &args("0,1,2", "-5", "1"),
        "Number of partitions must be larger than 0.",
    );
    assert_refused(
        &args("0,1,2", "3", "0"),
        "Replication factor must be larger than 0.",
    );
    assert_refused(
        &args("0:rack1,1,2:rack2", "3", "2"),
        "Not all brokers have rack information for replica rack aware assignment.",
    );
}

#[test]
fn other_bad_input_is_one_line_too() {
    let with = |brokers: &'static str, extra: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec![
            "--brokers",
            brokers,
            "--partitions",
            "3",
            "--replication-factor",
            "1",
        ];
        args.extend_from_slice(extra);
        args
    };
    assert_refused(&with("0,1", &[]), "--start-index");
    assert_refused(&with("0,x", &["--start-index", "0"]), "\"x\"");
    assert_refused(&with("0,,1", &["--start-index", "0"]), "\"\"");
    assert_refused(&with("0:", &["--start-index", "0"]), "empty rack");
    assert_refused(
        &with("1,0,1", &["--start-index", "0"]),
        "broker 1 is listed twice",
    );
    assert_refused(
        &with("0,1", &["--start-index", "-1"]),
        "start index -1 is negative",
    );
    assert_refused(&with("0,1", &["--start-index", "2147483648"]), "2147483648");
}

/// Kafka's partition ids are Java ints: the last one, 2147483647, can be placed; one more
/// would overflow Kafka's arithmetic, and a count beyond the int range is refused.
#[test]
fn partition_ids_reach_the_int_limit_and_stop_there() {
    let out = placed(&[
        "--brokers",
        "0,1,2",
        "--partitions",
        "1",
        "--replication-factor",
        "3",
        "--start-index",
        "0",
        "--start-partition",
        "2147483647",
    ]);
    // (2147483647 + 0) % 3 = 1: broker 1 leads.
    assert_eq!(out, r#"{"2147483647":[1,2,0]}"#);
    assert_refused(
        &[
            "--brokers",
            "0,1,2",
            "--partitions",
            "2",
            "--replication-factor",
            "1",
            "--start-index",
            "0",
            "--start-partition",
            "2147483647",
        ],
        "overflow Kafka's int arithmetic",
    );
    assert_refused(
        &[
            "--brokers",
            "0,1,2",
            "--partitions",
            "2147483648",
            "--replication-factor",
            "1",
            "--start-index",
            "0",
        ],
        "2147483648",
    );
}

/// The largest topic Kafka can describe streams out at once: the first bytes arrive
/// without the other two billion partitions being computed first.
#[test]
fn a_topic_of_2147483647_partitions_streams() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orderflow-cli"))
        .args([
            "place",
            "--brokers",
            "0,1,2",
            "--partitions",
            "2147483647",
            "--replication-factor",
            "2",
            "--start-index",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut head = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut head)
        .expect("output starts");
    child.kill().expect("the child can be stopped");
    child.wait().expect("the child ends");
    let head = String::from_utf8_lossy(&head);
    assert!(
        head.starts_with(r#"{"0":[0,1],"1":[1,2],"2":[2,0],"3":[0,2],"#),
        "{head}"
    );
}
