//! Producers in the playground, in plain Rust (no Leptos): what the Producers panel shows and
//! checks.
//!
//! - [`DuplicateLog`]: which records a producer's retry appended a second time, folded from
//!   the engine's [`TraceEvent::Produced`] events (`duplicate_of` names the first copy's
//!   offset), bounded like the redelivery marks.
//! - [`SendReport`]: what one send did (appended, acknowledgements lost, duplicates appended
//!   or dropped, given up), folded from the trace events that send emitted.
//! - [`ProducerDraft`] and [`ProducerFormError`]: the "Add producer" form's fields and why a
//!   producer is refused, with Kafka's own rules for idempotence (`acks=all`, retries above 0);
//!   [`SendDraft`]: the "Send" form's record.
//!
//! Why fold from the trace and not count in the view: the trace is the engine's record of
//! what happened, so a replay (share link, rewind) rebuilds the same marks.

use orderflow_engine::log::OrderEvent;
use orderflow_engine::producer::{
    Acks, ProducerConfig, ProducerCounters, MAX_RETRIES, MAX_RETRY_BACKOFF_TICKS,
};
use orderflow_engine::sim::{SimError, TraceEvent};
use std::collections::BTreeMap;

/// Most duplicate records remembered for marking rows.
pub const MAX_DUPLICATES_TRACKED: usize = 10_000;
/// Longest producer name.
pub const MAX_PRODUCER_NAME: usize = 249;

/// A record a producer appended again after a lost acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateRecord {
    /// The producer whose retry appended it.
    pub producer: String,
    /// The offset of the first copy, in the same partition.
    pub original_offset: u64,
}

/// Duplicates appended by producers' retries: `(topic, partition, offset)` -> the first copy.
/// At most [`MAX_DUPLICATES_TRACKED`] records are remembered; the per-producer counts go on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DuplicateLog {
    records: BTreeMap<(String, u32, u64), DuplicateRecord>,
    per_producer: BTreeMap<String, u64>,
}

impl DuplicateLog {
    /// Takes note of one trace event (only duplicate appends matter).
    pub fn observe(&mut self, event: &TraceEvent) {
        let TraceEvent::Produced {
            topic,
            partition,
            offset,
            origin,
            ..
        } = event
        else {
            return;
        };
        let (Some(producer), Some(original)) = (origin.producer(), origin.duplicate_of()) else {
            return;
        };
        *self.per_producer.entry(producer.to_string()).or_insert(0) += 1;
        if self.records.len() < MAX_DUPLICATES_TRACKED {
            self.records.insert(
                (topic.to_string(), partition.0, offset.0),
                DuplicateRecord {
                    producer: producer.to_string(),
                    original_offset: original.0,
                },
            );
        }
    }

    /// The first copy of the record at `offset`, if that record is a producer duplicate.
    pub fn get(&self, topic: &str, partition: u32, offset: u64) -> Option<&DuplicateRecord> {
        self.records.get(&(topic.to_string(), partition, offset))
    }

    /// Duplicates `producer`'s retries appended so far.
    pub fn appended_by(&self, producer: &str) -> u64 {
        self.per_producer.get(producer).copied().unwrap_or(0)
    }

    /// Duplicate records remembered (at most [`MAX_DUPLICATES_TRACKED`]).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when no duplicate was seen.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every remembered duplicate as `(topic, partition, offset, original offset)`, in order.
    pub fn all(&self) -> Vec<(String, u32, u64, u64)> {
        self.records
            .iter()
            .map(|((t, p, o), d)| (t.clone(), *p, *o, d.original_offset))
            .collect()
    }
}

/// A producer as the panel shows it: settings, running totals and what is still to come.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerView {
    /// Its settings (name, acks, retries, idempotence, ack-loss probability).
    pub config: ProducerConfig,
    /// The engine's running totals.
    pub counters: ProducerCounters,
    /// Acknowledgements still to be lost on purpose ("Lose next ack").
    pub acks_to_lose: u32,
    /// Duplicates its retries appended to the log.
    pub duplicates_appended: u64,
    /// Sends waiting out the retry backoff.
    pub retries_waiting: usize,
}

/// An ack-loss probability as a whole percentage, for display.
pub fn percent_text(probability: f64) -> String {
    format!("{}%", (probability * 100.0).round() as u32)
}

/// Kafka's spelling of an `acks` setting.
pub fn acks_text(acks: Acks) -> &'static str {
    match acks {
        Acks::None => "0",
        Acks::Leader => "1",
        Acks::All => "all",
    }
}

/// What one send did, folded from the trace events it emitted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// The producer that sent.
    pub producer: String,
    /// The topic it sent to.
    pub topic: String,
    /// The partition the record was routed to (`None`: nothing was appended).
    pub partition: Option<u32>,
    /// The offset the first copy was appended at.
    pub offset: Option<u64>,
    /// Copies appended again by retries: `(offset, offset of the first copy)`.
    pub duplicates: Vec<(u64, u64)>,
    /// Acknowledgements lost.
    pub acks_lost: u32,
    /// Retries the broker dropped thanks to idempotence.
    pub dropped: u32,
    /// Attempts made before giving up (`None`: the send was acknowledged or needs no ack).
    pub gave_up_after: Option<u32>,
}

impl SendReport {
    /// Folds the events one send of `producer` to `topic` emitted (other events are skipped).
    pub fn fold<'a>(
        producer: &str,
        topic: &str,
        events: impl IntoIterator<Item = &'a TraceEvent>,
    ) -> Self {
        let mut report = SendReport {
            producer: producer.to_string(),
            topic: topic.to_string(),
            ..SendReport::default()
        };
        let mine = |p: &str, t: &str| p == producer && t == topic;
        for event in events {
            match event {
                TraceEvent::Produced {
                    topic: t,
                    partition,
                    offset,
                    origin,
                    ..
                } if origin.producer().is_some_and(|p| mine(p, t)) => {
                    report.partition = Some(partition.0);
                    match origin.duplicate_of() {
                        Some(original) => report.duplicates.push((offset.0, original.0)),
                        None => report.offset = Some(offset.0),
                    }
                }
                TraceEvent::AckLost {
                    producer: p,
                    topic: t,
                    ..
                } if mine(p, t) => report.acks_lost += 1,
                TraceEvent::DuplicateDropped {
                    producer: p,
                    topic: t,
                    ..
                } if mine(p, t) => report.dropped += 1,
                TraceEvent::SendFailed {
                    producer: p,
                    topic: t,
                    attempts,
                    ..
                } if mine(p, t) => report.gave_up_after = Some(*attempts),
                _ => {}
            }
        }
        report
    }

    /// The report in words, for the panel's status line.
    pub fn sentence(&self) -> String {
        let (Some(partition), Some(offset)) = (self.partition, self.offset) else {
            return format!(
                "Producer {} sent to {}, but nothing was appended.",
                self.producer, self.topic
            );
        };
        let mut out = format!(
            "Producer {} sent to {} partition {partition}: appended at offset {offset}.",
            self.producer, self.topic
        );
        for (duplicate, original) in &self.duplicates {
            out.push_str(&format!(
                " The acknowledgement was lost and the retry appended the record again at offset {duplicate} (duplicate of offset {original})."
            ));
        }
        if self.dropped > 0 {
            out.push_str(&format!(
                " The acknowledgement was lost; the broker recognised the idempotent retry by its sequence number and dropped it ({} time{}).",
                self.dropped,
                if self.dropped == 1 { "" } else { "s" }
            ));
        }
        if self.acks_lost > 0 && self.duplicates.is_empty() && self.dropped == 0 {
            out.push_str(" The acknowledgement was lost.");
        }
        if let Some(attempts) = self.gave_up_after {
            out.push_str(&format!(
                " It gave up after {attempts} attempt{}: the producer reports a failure although the record is in the log.",
                if attempts == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// Why a producer action was refused. The message is shown to people.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProducerFormError {
    #[error("Give the producer a name.")]
    EmptyName,
    #[error("A producer name has at most {max} characters.")]
    NameTooLong { max: usize },
    #[error("A producer named {name:?} already exists; pick another name.")]
    DuplicateName { name: String },
    #[error("Acks must be 0, 1 or all, not {value:?}.")]
    Acks { value: String },
    #[error("Retries must be a whole number from 0 to {max}, not {value:?}.")]
    Retries { value: String, max: u32 },
    #[error("Retry backoff must be a whole number of ticks from 0 to {max}, not {value:?}.")]
    RetryBackoff { value: String, max: u64 },
    #[error("Ack loss must be a whole percentage from 0 to 100, not {value:?}.")]
    AckLoss { value: String },
    #[error(
        "An idempotent producer needs acks=all: Kafka refuses enable.idempotence with acks={acks}."
    )]
    IdempotenceNeedsAcksAll { acks: &'static str },
    #[error(
        "An idempotent producer needs retries above 0: Kafka refuses enable.idempotence with retries=0."
    )]
    IdempotenceNeedsRetries,
    #[error("There is no producer {name:?}: add one first.")]
    UnknownProducer { name: String },
    #[error("There is no topic {name:?}.")]
    UnknownTopic { name: String },
    #[error("The engine refused it: {reason}")]
    Refused { reason: SimError },
    #[error("Enter a record value (the order id) to send.")]
    EmptyValue,
}

/// The "Add producer" form's fields as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerDraft {
    pub name: String,
    /// `0`, `1` or `all`.
    pub acks: String,
    pub retries: String,
    pub idempotent: bool,
    /// Whole percent of acknowledgements lost at random (empty: 0).
    pub ack_loss_percent: String,
    /// `retry.backoff.ms` in ticks (empty: 0).
    pub retry_backoff: String,
}

impl Default for ProducerDraft {
    /// Kafka's defaults since 3.0: `acks=all`, retries, idempotence on.
    fn default() -> Self {
        Self {
            name: String::new(),
            acks: "all".into(),
            retries: "3".into(),
            idempotent: true,
            ack_loss_percent: "0".into(),
            // Kafka always backs off before a retry (100 ms by default): one tick here.
            retry_backoff: "1".into(),
        }
    }
}

impl ProducerDraft {
    /// The producer these fields describe, or why there is none. `existing` holds the names
    /// of the producers the run already has.
    pub fn parse(&self, existing: &[String]) -> Result<ProducerConfig, ProducerFormError> {
        let name = self.name.trim();
        check_name(name, existing)?;
        let acks = match self.acks.trim() {
            "0" => Acks::None,
            "1" => Acks::Leader,
            "all" | "-1" => Acks::All,
            other => {
                return Err(ProducerFormError::Acks {
                    value: other.to_string(),
                })
            }
        };
        let retries = self
            .retries
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|r| *r <= MAX_RETRIES)
            .ok_or_else(|| ProducerFormError::Retries {
                value: self.retries.trim().to_string(),
                max: MAX_RETRIES,
            })?;
        // Whole percents: enough to play with, and no float parser in the wasm bundle.
        let loss = self.ack_loss_percent.trim();
        let percent = if loss.is_empty() {
            0
        } else {
            loss.parse::<u8>()
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| ProducerFormError::AckLoss {
                    value: loss.to_string(),
                })?
        };
        let backoff = self.retry_backoff.trim();
        let retry_backoff_ticks = if backoff.is_empty() {
            0
        } else {
            backoff
                .parse::<u64>()
                .ok()
                .filter(|t| *t <= MAX_RETRY_BACKOFF_TICKS)
                .ok_or_else(|| ProducerFormError::RetryBackoff {
                    value: backoff.to_string(),
                    max: MAX_RETRY_BACKOFF_TICKS,
                })?
        };
        if self.idempotent && acks != Acks::All {
            return Err(ProducerFormError::IdempotenceNeedsAcksAll {
                acks: acks_text(acks),
            });
        }
        if self.idempotent && retries == 0 {
            return Err(ProducerFormError::IdempotenceNeedsRetries);
        }
        Ok(ProducerConfig {
            name: name.to_string(),
            acks,
            retries,
            idempotent: self.idempotent,
            ack_loss_probability: f64::from(percent) / 100.0,
            retry_backoff_ticks,
        })
    }
}

/// The status every record sent from the "Send" form carries.
pub const SENT_STATUS: &str = "Created";

/// The "Send" form's record as typed: its key and its value (an order id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendDraft {
    /// Empty: the record is sent without a key.
    pub key: String,
    pub value: String,
}

impl Default for SendDraft {
    fn default() -> Self {
        Self {
            key: "U1".into(),
            value: "O1".into(),
        }
    }
}

impl SendDraft {
    /// The record's key and value: an order event with this order id, status
    /// [`SENT_STATUS`] and the key as its user id. Both are trimmed; the value is required.
    pub fn parse(&self) -> Result<(Option<String>, OrderEvent), ProducerFormError> {
        let key = self.key.trim().to_string();
        let value = self.value.trim().to_string();
        if value.is_empty() {
            return Err(ProducerFormError::EmptyValue);
        }
        let event = OrderEvent {
            user_id: key.clone(),
            order_id: value,
            status: SENT_STATUS.to_string(),
        };
        Ok(((!key.is_empty()).then_some(key), event))
    }
}

/// Checks a new producer's name against the empty name, the length limit and `existing`.
pub fn check_name(name: &str, existing: &[String]) -> Result<(), ProducerFormError> {
    if name.is_empty() {
        return Err(ProducerFormError::EmptyName);
    }
    if name.chars().count() > MAX_PRODUCER_NAME {
        return Err(ProducerFormError::NameTooLong {
            max: MAX_PRODUCER_NAME,
        });
    }
    if existing.iter().any(|n| n == name) {
        return Err(ProducerFormError::DuplicateName {
            name: name.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_engine::ids::{Offset, PartitionId, Tick};

    fn produced(offset: u64, duplicate_of: Option<u64>) -> TraceEvent {
        TraceEvent::Produced {
            tick: Tick(0),
            topic: "t".into(),
            key: None,
            routing: None,
            partition: PartitionId(1),
            offset: Offset(offset),
            event_id: orderflow_engine::ids::EventId(1),
            origin: orderflow_engine::trace::ProducedOrigin::new(
                Some("p".into()),
                None,
                if duplicate_of.is_some() { 2 } else { 1 },
                duplicate_of.map(Offset),
            ),
        }
    }

    #[test]
    fn the_duplicate_log_is_bounded_but_keeps_counting() {
        let mut log = DuplicateLog::default();
        log.observe(&produced(0, None));
        for o in 1..=(MAX_DUPLICATES_TRACKED as u64 + 5) {
            log.observe(&produced(o, Some(0)));
        }
        assert_eq!(log.len(), MAX_DUPLICATES_TRACKED);
        assert_eq!(log.appended_by("p"), MAX_DUPLICATES_TRACKED as u64 + 5);
        assert_eq!(log.get("t", 1, 1).unwrap().original_offset, 0);
        assert!(
            log.get("t", 1, 0).is_none(),
            "the first copy is no duplicate"
        );
    }

    #[test]
    fn a_report_names_the_partition_the_first_copy_and_its_duplicate() {
        let events = [produced(4, None), produced(5, Some(4))];
        let report = SendReport::fold("p", "t", &events);
        assert_eq!(
            (report.partition, report.offset, report.duplicates.clone()),
            (Some(1), Some(4), vec![(5, 4)])
        );
        let text = report.sentence();
        assert!(text.contains("partition 1: appended at offset 4"), "{text}");
        assert!(text.contains("(duplicate of offset 4)"), "{text}");
        // Another producer's events are not this send's.
        assert_eq!(SendReport::fold("q", "t", &events).partition, None);
    }

    fn draft(name: &str) -> ProducerDraft {
        ProducerDraft {
            name: name.into(),
            ..ProducerDraft::default()
        }
    }

    #[test]
    fn the_form_refuses_empty_and_taken_names_and_kafkas_idempotence_rules() {
        let existing = vec!["plain".to_string()];
        assert_eq!(
            draft("  ").parse(&existing),
            Err(ProducerFormError::EmptyName)
        );
        assert_eq!(
            draft(" plain ").parse(&existing),
            Err(ProducerFormError::DuplicateName {
                name: "plain".into()
            })
        );
        let long = "p".repeat(MAX_PRODUCER_NAME + 1);
        assert!(matches!(
            draft(&long).parse(&existing),
            Err(ProducerFormError::NameTooLong { .. })
        ));
        let leader = ProducerDraft {
            acks: "1".into(),
            ..draft("x")
        };
        assert_eq!(
            leader.parse(&existing),
            Err(ProducerFormError::IdempotenceNeedsAcksAll { acks: "1" })
        );
        let no_retries = ProducerDraft {
            retries: "0".into(),
            ..draft("x")
        };
        assert_eq!(
            no_retries.parse(&existing),
            Err(ProducerFormError::IdempotenceNeedsRetries)
        );
        for (retries, loss) in [
            ("-1", "0"),
            ("1001", "0"),
            ("2", "101"),
            ("2", "x"),
            ("2", "2.5"),
        ] {
            let bad = ProducerDraft {
                retries: retries.into(),
                ack_loss_percent: loss.into(),
                idempotent: false,
                ..draft("x")
            };
            assert!(bad.parse(&existing).is_err(), "{retries} {loss}");
        }
        let ok = ProducerDraft {
            acks: "1".into(),
            retries: "2".into(),
            idempotent: false,
            ack_loss_percent: "25".into(),
            ..draft(" fast ")
        }
        .parse(&existing)
        .unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.acks, ok.retries, ok.idempotent),
            ("fast", Acks::Leader, 2, false)
        );
        assert!((ok.ack_loss_probability - 0.25).abs() < 1e-12);
        assert_eq!(
            ok.retry_backoff_ticks, 1,
            "Kafka always backs off: one tick"
        );
    }

    #[test]
    fn the_retry_backoff_is_whole_ticks_within_the_engines_limit() {
        let with = |backoff: &str| {
            ProducerDraft {
                retry_backoff: backoff.into(),
                ..draft("x")
            }
            .parse(&[])
        };
        assert_eq!(with(" 5 ").unwrap().retry_backoff_ticks, 5);
        assert_eq!(with("").unwrap().retry_backoff_ticks, 0);
        for bad in ["-1", "1.5", "x", "10001"] {
            assert_eq!(
                with(bad),
                Err(ProducerFormError::RetryBackoff {
                    value: bad.into(),
                    max: MAX_RETRY_BACKOFF_TICKS
                }),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_send_needs_a_value_and_an_empty_key_sends_without_a_key() {
        let draft = |key: &str, value: &str| {
            SendDraft {
                key: key.into(),
                value: value.into(),
            }
            .parse()
        };
        let (key, event) = draft(" U7 ", " O9 ").unwrap();
        assert_eq!(key.as_deref(), Some("U7"));
        assert_eq!(
            (
                event.user_id.as_str(),
                event.order_id.as_str(),
                event.status.as_str()
            ),
            ("U7", "O9", SENT_STATUS)
        );
        let (key, event) = draft("  ", "O9").unwrap();
        assert_eq!((key, event.user_id.as_str()), (None, ""));
        assert_eq!(draft("U7", " "), Err(ProducerFormError::EmptyValue));
        assert_eq!(
            draft("U7", "").unwrap_err().to_string(),
            "Enter a record value (the order id) to send."
        );
    }
}
