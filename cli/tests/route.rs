//! `orderflow-cli route` through the built binary: output lines, exit codes, one-line errors.

use std::process::{Command, Output};

fn route(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orderflow-cli"))
        .arg("route")
        .args(args)
        .output()
        .expect("the binary runs")
}

/// The JSON objects on stdout; there must be exactly `count` of them.
fn stdout_lines(output: &Output, count: usize) -> Vec<serde_json::Value> {
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout.clone())
        .expect("stdout is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), count, "one line per key: {output:?}");
    lines
}

fn assert_refused(output: &Output, needle: &str) {
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit code, output {output:?}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout: {output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8");
    assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr:?}");
    assert!(stderr.contains(needle), "{stderr:?} mentions {needle:?}");
    assert!(!stderr.contains("panicked"), "{stderr:?}");
}

#[test]
fn murmur2_matches_kafka_utils_test_and_kafka_python_vectors() {
    let output = route(&[
        "--partitioner",
        "murmur2",
        "--partitions",
        "1000",
        "foobar",
        "abc",
        "",
        "a",
        "123456789",
    ]);
    assert!(output.status.success(), "{output:?}");
    let lines = stdout_lines(&output, 5);
    let expected = [
        // Kafka UtilsTest.testMurmur2: hash; partition = toPositive(hash) % 1000.
        (
            "foobar",
            -790_332_482_i64,
            (-790_332_482_i32 & 0x7fff_ffff) % 1000,
        ),
        ("abc", 479_470_107, 479_470_107 % 1000),
    ];
    for (line, (key, hash, partition)) in lines.iter().zip(expected) {
        assert_eq!(line["key"], key);
        assert_eq!(line["hash"], hash);
        assert_eq!(line["partition"], partition);
    }
    // kafka-python test_murmur2_java_compatibility over 1000 partitions.
    let partitions: Vec<u64> = lines[2..]
        .iter()
        .map(|l| l["partition"].as_u64().expect("partition is a number"))
        .collect();
    assert_eq!(partitions, [681, 524, 566]);
}

#[test]
fn output_is_one_object_per_key_in_order_with_key_hash_partition() {
    let output = route(&["--partitioner", "crc32", "--partitions", "7", "b", "a", "b"]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], lines[2], "same key, same line");
    assert!(
        lines[1].starts_with(r#"{"key":"a","hash":"#),
        "{}",
        lines[1]
    );
}

#[test]
fn crc32_matches_librdkafka_0048_partitioner_vectors() {
    let output = route(&[
        "--partitioner",
        "crc32",
        "--partitions",
        "17",
        "23456",
        "this is another string with more length to it perhaps",
        "hejsan",
        "123456789",
    ]);
    assert!(output.status.success(), "{output:?}");
    let expected: [u32; 4] = [0xb1b4_51d7, 0xb015_0df7, 0xd077_037e, 0xcbf4_3926];
    for (line, crc) in stdout_lines(&output, 4).iter().zip(expected) {
        assert_eq!(line["hash"], crc, "unsigned 32-bit CRC");
        assert_eq!(line["partition"], crc % 17);
    }
}

#[test]
fn eventhubs_matches_azure_sdk_vectors_including_negative_keys() {
    let output = route(&[
        "--partitioner",
        "eventhubs",
        "--partitions",
        "4",
        "7",
        "131",
        "-4189260826195535198",
        "FWfAT",
    ]);
    assert!(output.status.success(), "{output:?}");
    let expected: [(&str, i64); 4] = [
        ("7", -15263),
        ("131", 30562),
        ("-4189260826195535198", 453),
        ("FWfAT", -22341),
    ];
    for (line, (key, hash)) in stdout_lines(&output, 4).iter().zip(expected) {
        assert_eq!(line["key"], key);
        assert_eq!(line["hash"], hash, "signed 16-bit hash for {key}");
        // Math.Abs(hash % 4) with C#'s truncating remainder.
        assert_eq!(line["partition"], (hash % 4).abs());
    }
}

#[test]
fn hex_keys_echo_as_given_and_hash_the_decoded_bytes() {
    // "3233343536" is "23456"; "" is the empty key; "FF00" is binary.
    let output = route(&[
        "--partitioner",
        "crc32",
        "--partitions",
        "7",
        "--hex",
        "3233343536",
        "",
        "FF00",
    ]);
    assert!(output.status.success(), "{output:?}");
    let lines = stdout_lines(&output, 3);
    assert_eq!(lines[0]["key"], "3233343536");
    assert_eq!(lines[0]["hash"], 0xb1b4_51d7_u32);
    assert_eq!(lines[1]["key"], "");
    assert_eq!(lines[1]["hash"], 0);
    assert_eq!(lines[1]["partition"], 0);
    assert_eq!(lines[2]["key"], "FF00");
    let plain = stdout_lines(
        &route(&["--partitioner", "crc32", "--partitions", "7", "23456"]),
        1,
    );
    assert_eq!(lines[0]["partition"], plain[0]["partition"]);
}

#[test]
fn partition_counts_at_the_edges_are_accepted() {
    for partitions in ["1", "1024", "1025", "2147483647"] {
        let output = route(&[
            "--partitioner",
            "eventhubs",
            "--partitions",
            partitions,
            "k",
        ]);
        assert!(output.status.success(), "{partitions}: {output:?}");
    }
    let one = stdout_lines(&route(&["--partitions", "1", "x", "y"]), 2);
    assert!(one.iter().all(|l| l["partition"] == 0));
}

/// Kafka's largest topic, 2147483647 partitions (a Java int), with the reference libraries'
/// own vectors: murmur2's positive hash of "foobar" (Kafka `UtilsTest`) is below the count,
/// crc32 of "23456" (librdkafka 0048-partitioner) wraps once, and an Event Hubs key's 16-bit
/// hash is its own absolute value (Azure `PartitionResolverTests`: "7" -> -15263).
#[test]
fn the_largest_kafka_topic_routes_like_the_reference_libraries() {
    let max = "2147483647";
    let murmur2 = stdout_lines(&route(&["--partitions", max, "foobar"]), 1);
    assert_eq!(murmur2[0]["hash"], -790_332_482);
    assert_eq!(murmur2[0]["partition"], 1_357_151_166);
    let crc32 = stdout_lines(
        &route(&["--partitioner", "crc32", "--partitions", max, "23456"]),
        1,
    );
    assert_eq!(crc32[0]["hash"], 0xb1b4_51d7_u32);
    assert_eq!(crc32[0]["partition"], 0xb1b4_51d7_u32 - 2_147_483_647);
    let eventhubs = stdout_lines(
        &route(&["--partitioner", "eventhubs", "--partitions", max, "7"]),
        1,
    );
    assert_eq!(eventhubs[0]["hash"], -15263);
    assert_eq!(eventhubs[0]["partition"], 15263);
}

#[test]
fn zero_or_too_many_partitions_are_refused() {
    assert_refused(
        &route(&["--partitions", "0", "k"]),
        "--partitions 0 is out of range: expected 1 to 2147483647",
    );
    assert_refused(
        &route(&["--partitions", "2147483648", "k"]),
        "--partitions 2147483648 is out of range: expected 1 to 2147483647",
    );
    assert_refused(
        &route(&["--partitions", "-3", "k"]),
        "--partitions -3 is out of range",
    );
    assert_refused(
        &route(&["--partitions", "99999999999999999999", "k"]),
        "--partitions",
    );
    assert_refused(&route(&["--partitions", "many", "k"]), "--partitions");
}

#[test]
fn bad_hex_is_refused_before_any_output() {
    assert_refused(
        &route(&["--partitions", "3", "--hex", "00", "abc"]),
        "\"abc\"",
    );
    assert_refused(&route(&["--partitions", "3", "--hex", "zz"]), "'z'");
    assert_refused(&route(&["--partitions", "3", "--hex", "0é"]), "'é'");
}

#[test]
fn unknown_partitioner_and_missing_keys_are_refused() {
    assert_refused(
        &route(&["--partitioner", "fnv1a", "--partitions", "3", "k"]),
        "fnv1a",
    );
    assert_refused(&route(&["--partitions", "3"]), "<KEYS>");
    assert_refused(&route(&["--partitioner", "crc32", "k"]), "--partitions");
}
