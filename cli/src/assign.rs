//! `orderflow-cli assign --strategy {range|roundrobin|sticky|cooperative-sticky}`: runs one of
//! Kafka's partition assignors on a group described as JSON on stdin and prints the
//! assignment as one JSON object.
//!
//! Input: `{"topics": {"t": 3}, "members": [{"member_id": "c1", "topics": ["t"],
//! "owned_partitions": ["t-0"], "generation": 1, "group_instance_id": "host-a"}]}`
//! (`owned_partitions`, `generation` and `group_instance_id` are optional; generation -1
//! means none; a `group_instance_id` makes the member static, which the range and
//! round-robin assignors order by, as Kafka's do). Output: `{"c1": ["t-0", ...], ...}` with every
//! member, each list sorted by topic then partition number. For `cooperative-sticky` the
//! output is what Kafka's assignor returns for this round: partitions another member must
//! revoke first are left out.

use orderflow_engine::assignor::{assign, AssignmentInput, AssignmentStrategy};
use std::io::{Read, Write};

/// Reads the group from `input`, assigns with `strategy` (Kafka's assignor name) and writes
/// the assignment to `out`. Errors are one line, for the caller to print.
pub fn run(strategy: &str, mut input: impl Read, mut out: impl Write) -> Result<(), String> {
    let strategy: AssignmentStrategy = strategy.parse().map_err(|e| format!("{e}"))?;
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let group: AssignmentInput =
        serde_json::from_str(&text).map_err(|e| format!("invalid input JSON: {e}"))?;
    let mut assignment = assign(strategy, &group).map_err(|e| e.to_string())?;
    for partitions in assignment.values_mut() {
        partitions.sort();
    }
    let line = serde_json::to_string(&assignment).map_err(|e| e.to_string())?;
    writeln!(out, "{line}").map_err(|e| e.to_string())
}
