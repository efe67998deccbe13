//! `orderflow-cli assign`, run as a user runs it: JSON on stdin, JSON on stdout, one line on
//! stderr and exit code 2 for bad input.

use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_orderflow-cli"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The binary may exit before reading stdin (a bad --strategy), so a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn assign(strategy: &str, input: &Value) -> Value {
    let out = run(&["assign", "--strategy", strategy], &input.to_string());
    assert!(
        out.status.success(),
        "{strategy}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

/// Exit code 2, nothing on stdout, exactly one line on stderr; returns it.
fn fails(args: &[&str], stdin: &str) -> String {
    let out = run(args, stdin);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(!stderr.contains("panicked"));
    stderr
}

fn two_consumers_two_topics() -> Value {
    json!({
        "topics": {"t0": 3, "t1": 3},
        "members": [
            {"member_id": "C0", "topics": ["t0", "t1"]},
            {"member_id": "C1", "topics": ["t0", "t1"]}
        ]
    })
}

/// The examples in the Javadoc of Kafka's `RangeAssignor` and `RoundRobinAssignor`.
#[test]
fn range_and_roundrobin_give_kafkas_documented_examples() {
    assert_eq!(
        assign("range", &two_consumers_two_topics()),
        json!({"C0": ["t0-0", "t0-1", "t1-0", "t1-1"], "C1": ["t0-2", "t1-2"]})
    );
    assert_eq!(
        assign("roundrobin", &two_consumers_two_topics()),
        json!({"C0": ["t0-0", "t0-2", "t1-1"], "C1": ["t0-1", "t1-0", "t1-2"]})
    );
}

/// Kafka's `testAddRemoveConsumerOneTopic`: consumer2 joins while consumer1 owns all three
/// partitions. The eager sticky assignor moves topic-2 at once; the cooperative one withholds
/// it (consumer1 must revoke it first), and the follow-up round hands it over.
#[test]
fn sticky_moves_and_cooperative_sticky_withholds_until_revoked() {
    let joined = json!({
        "topics": {"topic": 3},
        "members": [
            {"member_id": "consumer1", "topics": ["topic"],
             "owned_partitions": ["topic-0", "topic-1", "topic-2"], "generation": 1},
            {"member_id": "consumer2", "topics": ["topic"], "generation": 1}
        ]
    });
    assert_eq!(
        assign("sticky", &joined),
        json!({"consumer1": ["topic-0", "topic-1"], "consumer2": ["topic-2"]})
    );
    assert_eq!(
        assign("cooperative-sticky", &joined),
        json!({"consumer1": ["topic-0", "topic-1"], "consumer2": []})
    );
    let revoked = json!({
        "topics": {"topic": 3},
        "members": [
            {"member_id": "consumer1", "topics": ["topic"],
             "owned_partitions": ["topic-0", "topic-1"], "generation": 2},
            {"member_id": "consumer2", "topics": ["topic"], "owned_partitions": [], "generation": 2}
        ]
    });
    assert_eq!(
        assign("cooperative-sticky", &revoked),
        json!({"consumer1": ["topic-0", "topic-1"], "consumer2": ["topic-2"]})
    );
}

/// Kafka's `RoundRobinAssignorTest.testStaticMemberRoundRobinAssignmentPersistentAfterMemberIdChanges`:
/// three static members restart under new member ids (instance3 comes back as consumer4,
/// instance2 as consumer5) and each instance keeps its partitions. Sorted by member id alone,
/// consumer4 would take instance2's partitions.
#[test]
fn static_members_keep_their_partitions_under_new_member_ids() {
    let group = |members: [(&str, &str); 3]| {
        json!({
            "topics": {"topic1": 5, "topic2": 5},
            "members": members.iter().map(|(id, instance)| json!({
                "member_id": id, "group_instance_id": instance, "topics": ["topic1", "topic2"]
            })).collect::<Vec<_>>()
        })
    };
    let instance1 = json!(["topic1-0", "topic1-3", "topic2-1", "topic2-4"]);
    let instance2 = json!(["topic1-1", "topic1-4", "topic2-2"]);
    let instance3 = json!(["topic1-2", "topic2-0", "topic2-3"]);
    let before = group([
        ("consumer1", "instance1"),
        ("consumer2", "instance2"),
        ("consumer3", "instance3"),
    ]);
    assert_eq!(
        assign("roundrobin", &before),
        json!({"consumer1": instance1, "consumer2": instance2, "consumer3": instance3})
    );
    let after = group([
        ("consumer1", "instance1"),
        ("consumer4", "instance3"),
        ("consumer5", "instance2"),
    ]);
    assert_eq!(
        assign("roundrobin", &after),
        json!({"consumer1": instance1, "consumer5": instance2, "consumer4": instance3})
    );
    // A member without group_instance_id is dynamic and sorts after the static ones.
    let mixed = json!({
        "topics": {"t": 2},
        "members": [
            {"member_id": "a", "topics": ["t"]},
            {"member_id": "b", "group_instance_id": "host-b", "topics": ["t"]}
        ]
    });
    assert_eq!(assign("range", &mixed), json!({"a": ["t-1"], "b": ["t-0"]}));
}

#[test]
fn every_member_is_listed_and_partitions_are_sorted_numerically() {
    let input = json!({
        "topics": {"order-processing.DLQ": 12},
        "members": [
            {"member_id": "solo", "topics": ["order-processing.DLQ"]},
            {"member_id": "idle", "topics": ["not-a-topic"]}
        ]
    });
    for strategy in ["range", "roundrobin", "sticky", "cooperative-sticky"] {
        let a = assign(strategy, &input);
        assert_eq!(a["idle"], json!([]), "{strategy}");
        let expected: Vec<String> = (0..12)
            .map(|p| format!("order-processing.DLQ-{p}"))
            .collect();
        assert_eq!(a["solo"], json!(expected), "{strategy}");
    }
}

#[test]
fn bad_input_exits_2_with_one_clear_line() {
    let args = ["assign", "--strategy", "sticky"];
    assert!(fails(&args, "{not json").contains("invalid input JSON"));
    assert!(fails(&args, "").contains("invalid input JSON"));
    let duplicate = r#"{"topics": {"t": 1}, "members": [
        {"member_id": "c1", "topics": ["t"]}, {"member_id": "c1", "topics": ["t"]}]}"#;
    assert!(fails(&args, duplicate).contains(r#"member "c1" appears twice"#));
    let bad_partition = r#"{"topics": {"t": 1}, "members": [
        {"member_id": "c1", "topics": ["t"], "owned_partitions": ["t-x"]}]}"#;
    assert!(fails(&args, bad_partition).contains("is not a topic partition"));
    let owned_twice = r#"{"topics": {"t": 1}, "members": [
        {"member_id": "c1", "topics": ["t"], "owned_partitions": ["t-0", "t-0"]}]}"#;
    assert!(fails(&args, owned_twice).contains("twice"));
    let negative = r#"{"topics": {"t": -1}, "members": []}"#;
    assert!(fails(&args, negative).contains("invalid input JSON"));
    let huge = r#"{"topics": {"t": 4000000000}, "members": [{"member_id": "c", "topics": ["t"]}]}"#;
    assert!(fails(&args, huge).contains("at most 1000000"));
    let shared_instance = r#"{"topics": {"t": 1}, "members": [
        {"member_id": "c1", "group_instance_id": "host-a", "topics": ["t"]},
        {"member_id": "c2", "group_instance_id": "host-a", "topics": ["t"]}]}"#;
    assert!(fails(&args, shared_instance)
        .contains(r#"members "c1" and "c2" share group.instance.id "host-a""#));
    let unknown = fails(&["assign", "--strategy", "round-robin"], "{}");
    assert!(unknown.contains("unknown assignment strategy \"round-robin\""));
}
