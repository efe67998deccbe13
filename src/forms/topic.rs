//! The topic forms. "Topic setup" changes the selected topic: "Apply setup" replays the run
//! under the new setup, "Add partitions" grows the live topic. "Add topic" creates a topic at
//! the current tick. Both offer the same "Partitioner" choices: the keyed partitioners by
//! name, or no key at all (round-robin or sticky).

use crate::session::{KeyField, Setup};
use orderflow_engine::partitioner::UnkeyedStrategy;
use orderflow_engine::topic::MAX_PARTITIONS;

/// The "Partitioner" select's value for "no key, round-robin".
pub const NO_KEY: &str = "none";
/// The "Partitioner" select's value for "no key, sticky" (Kafka's default without a key).
pub const NO_KEY_STICKY: &str = "none-sticky";
/// Records per batch of the sticky partitioner (the engine's default, as in the Java client).
pub const STICKY_BATCH_RECORDS: u32 = 16;
/// Largest sticky batch the setup accepts.
pub const MAX_STICKY_BATCH_RECORDS: u32 = 10_000;

/// Why a topic form's fields do not make a setup. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TopicFormError {
    #[error("Partitions must be a whole number from 1 to {max}.")]
    Partitions { max: u32 },
    #[error("Segment size must be a whole number of records, at least 1.")]
    Segment,
    #[error("{field} must be a whole number, at least 1 (or empty to keep all).")]
    Retention { field: &'static str },
    #[error("Pick a partitioner from the list.")]
    Partitioner,
    #[error("Sticky batch must be a whole number of records from 1 to {max}.")]
    StickyBatch { max: u32 },
    #[error("{field} must be a whole number, at least 1.")]
    Replication { field: &'static str },
    #[error("Replication factor {replication_factor} needs {replication_factor} brokers; this run has {brokers}.")]
    TooFewBrokers {
        replication_factor: u32,
        brokers: u32,
    },
}

/// A replication setting from a field: a whole number, at least 1.
fn parse_replication(text: &str, field: &'static str) -> Result<u32, TopicFormError> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(TopicFormError::Replication { field })
}

/// Whether the run's brokers (1 when it has none set: the implicit single broker) can hold
/// `setup`'s replicas. `min.insync.replicas` above the factor is allowed, as in Kafka (every
/// `acks=all` write is then refused).
pub fn check_replication(setup: &Setup, brokers: u32) -> Result<(), TopicFormError> {
    let brokers = brokers.max(1);
    let needs_brokers = brokers == 1 && setup.min_insync_replicas > 1;
    if setup.replication_factor > brokers || needs_brokers {
        return Err(TopicFormError::TooFewBrokers {
            replication_factor: setup.replication_factor.max(setup.min_insync_replicas),
            brokers,
        });
    }
    Ok(())
}

/// The "Partitioner" select's value for a setup (a partitioner's name, or a no-key choice).
pub fn partitioner_value(setup: &Setup) -> String {
    match (setup.keyed, setup.unkeyed) {
        (true, _) => setup.partitioner.name().to_string(),
        (false, UnkeyedStrategy::RoundRobin) => NO_KEY.to_string(),
        (false, UnkeyedStrategy::Sticky { .. }) => NO_KEY_STICKY.to_string(),
    }
}

/// Applies a "Partitioner" select's value to a setup (a sticky setup keeps its batch size).
pub fn apply_partitioner(value: &str, setup: &mut Setup) -> Result<(), TopicFormError> {
    match value {
        NO_KEY => {
            setup.keyed = false;
            setup.unkeyed = UnkeyedStrategy::RoundRobin;
        }
        NO_KEY_STICKY => {
            setup.keyed = false;
            if !matches!(setup.unkeyed, UnkeyedStrategy::Sticky { .. }) {
                setup.unkeyed = UnkeyedStrategy::Sticky {
                    batch_records: STICKY_BATCH_RECORDS,
                };
            }
        }
        name => {
            setup.keyed = true;
            setup.partitioner = name.parse().map_err(|_| TopicFormError::Partitioner)?;
        }
    }
    Ok(())
}

/// A partition count from a field: a whole number from 1 to [`MAX_PARTITIONS`].
pub fn parse_partitions(text: &str) -> Result<u32, TopicFormError> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PARTITIONS).contains(n))
        .ok_or(TopicFormError::Partitions {
            max: MAX_PARTITIONS,
        })
}

/// An optional positive whole number from a retention field (empty: `None`, keep all).
fn parse_retention(text: &str, field: &'static str) -> Result<Option<u64>, TopicFormError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .map(Some)
        .ok_or(TopicFormError::Retention { field })
}

/// The "Topic setup" form's fields as typed over the topic's setup: `None` is a field left
/// alone (it shows, and keeps, the setup's value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetupDraft {
    pub partitions: Option<String>,
    /// A "Partitioner" select's value (see [`apply_partitioner`]).
    pub partitioner: Option<String>,
    /// A "Key field" select's value (see [`KeyField::from_value`]).
    pub key_field: Option<String>,
    pub segment_records: Option<String>,
    pub retention_records: Option<String>,
    pub retention_ticks: Option<String>,
    /// Read only when the partitioner is the sticky no-key choice.
    pub sticky_batch: Option<String>,
    pub replication_factor: Option<String>,
    pub min_insync_replicas: Option<String>,
}

impl SetupDraft {
    /// The setup these fields describe over `current`, the topic's setup, when the topic has
    /// `live` partitions now (partitions added since count as the setup's count).
    pub fn parse(&self, current: &Setup, live: u32) -> Result<Setup, TopicFormError> {
        let mut setup = current.clone();
        setup.partitions = match &self.partitions {
            Some(text) => parse_partitions(text)?,
            None => live.max(1),
        };
        if let Some(text) = &self.segment_records {
            setup.segment_records = text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(TopicFormError::Segment)?;
        }
        if let Some(text) = &self.retention_records {
            setup.retention_records = parse_retention(text, "Retention (records)")?;
        }
        if let Some(text) = &self.retention_ticks {
            setup.retention_ticks = parse_retention(text, "Retention (ticks)")?;
        }
        if let Some(value) = &self.partitioner {
            apply_partitioner(value, &mut setup)?;
        }
        if let (Some(text), UnkeyedStrategy::Sticky { .. }) = (&self.sticky_batch, setup.unkeyed) {
            let batch_records = text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_STICKY_BATCH_RECORDS).contains(n))
                .ok_or(TopicFormError::StickyBatch {
                    max: MAX_STICKY_BATCH_RECORDS,
                })?;
            setup.unkeyed = UnkeyedStrategy::Sticky { batch_records };
        }
        if let Some(value) = &self.key_field {
            setup.key_field = KeyField::from_value(value);
        }
        if let Some(text) = &self.replication_factor {
            setup.replication_factor = parse_replication(text, "Replication factor")?;
        }
        if let Some(text) = &self.min_insync_replicas {
            setup.min_insync_replicas = parse_replication(text, "min.insync.replicas")?;
        }
        Ok(setup)
    }
}

/// True when `draft` differs from the topic as it is now ("Apply setup" has something to do).
pub fn setup_changed(draft: &Setup, current: &Setup, live: u32) -> bool {
    *draft
        != Setup {
            partitions: live.max(1),
            ..current.clone()
        }
}

/// True when `draft` only grows the topic's partition count ("Add partitions" applies).
pub fn only_adds_partitions(draft: &Setup, current: &Setup, live: u32) -> bool {
    draft.partitions > live
        && *draft
            == Setup {
                partitions: draft.partitions,
                ..current.clone()
            }
}

/// What "Apply setup" did, in words (for the live region).
pub fn applied_message(setup: &Setup) -> String {
    if setup.keyed {
        format!(
            "Topic {} now has {} partitions ({}), keyed by {}; the run was replayed.",
            setup.name,
            setup.partitions,
            setup.partitioner.name(),
            setup.key_field.label()
        )
    } else {
        format!(
            "Topic {} now has {} partitions, records {}; the run was replayed.",
            setup.name,
            setup.partitions,
            setup.unkeyed_label()
        )
    }
}

/// The "Add topic" form's fields as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTopicDraft {
    pub name: String,
    pub partitions: String,
    /// A "Partitioner" select's value (see [`apply_partitioner`]).
    pub partitioner: String,
    /// A "Key field" select's value (see [`KeyField::from_value`]).
    pub key_field: String,
}

impl Default for NewTopicDraft {
    /// An unnamed topic of 3 partitions, murmur2, keyed by user.
    fn default() -> Self {
        Self {
            name: String::new(),
            partitions: "3".into(),
            partitioner: orderflow_engine::partitioner::Partitioner::Murmur2
                .name()
                .to_string(),
            key_field: KeyField::UserId.value().to_string(),
        }
    }
}

impl NewTopicDraft {
    /// The new topic's setup (name trimmed; the playground checks the name when it creates
    /// the topic), or why there is none.
    pub fn parse(&self) -> Result<Setup, TopicFormError> {
        let partitions = parse_partitions(&self.partitions)?;
        let mut setup = Setup::named(self.name.trim(), partitions);
        setup.key_field = KeyField::from_value(&self.key_field);
        apply_partitioner(&self.partitioner, &mut setup)?;
        Ok(setup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_engine::partitioner::Partitioner;

    #[test]
    fn an_untouched_setup_form_is_the_topic_as_it_is_now() {
        let current = Setup::default();
        let draft = SetupDraft::default().parse(&current, 4).unwrap();
        assert_eq!(draft, current);
        assert!(!setup_changed(&draft, &current, 4));
        // Partitions added since: the live count is the form's count, nothing to apply.
        let grown = SetupDraft::default().parse(&current, 6).unwrap();
        assert_eq!(grown.partitions, 6);
        assert!(!setup_changed(&grown, &current, 6));
    }

    #[test]
    fn replication_fields_are_read_and_checked_against_the_brokers() {
        let current = Setup::default();
        let typed = SetupDraft {
            replication_factor: Some(" 3 ".into()),
            min_insync_replicas: Some("2".into()),
            ..SetupDraft::default()
        };
        let setup = typed.parse(&current, 4).unwrap();
        assert_eq!(
            (setup.replication_factor, setup.min_insync_replicas),
            (3, 2)
        );
        assert!(setup_changed(&setup, &current, 4));
        assert_eq!(check_replication(&setup, 3), Ok(()));
        assert_eq!(
            check_replication(&setup, 2).unwrap_err().to_string(),
            "Replication factor 3 needs 3 brokers; this run has 2."
        );
        // No brokers set: one implicit broker, replication factor 1 only.
        assert!(check_replication(&Setup::default(), 0).is_ok());
        let zero = SetupDraft {
            replication_factor: Some("0".into()),
            ..SetupDraft::default()
        };
        assert_eq!(
            zero.parse(&current, 4),
            Err(TopicFormError::Replication {
                field: "Replication factor"
            })
        );
        let words = SetupDraft {
            min_insync_replicas: Some("two".into()),
            ..SetupDraft::default()
        };
        assert!(words.parse(&current, 4).is_err());
    }

    #[test]
    fn every_setup_field_is_read_and_checked() {
        let current = Setup::default();
        let typed = SetupDraft {
            partitions: Some(" 8 ".into()),
            partitioner: Some("crc32".into()),
            key_field: Some("order_id".into()),
            segment_records: Some("50".into()),
            retention_records: Some("200".into()),
            retention_ticks: Some("".into()),
            sticky_batch: Some("0".into()),
            ..SetupDraft::default()
        };
        let setup = typed.parse(&current, 4).unwrap();
        assert_eq!(
            (setup.partitions, setup.partitioner, setup.key_field),
            (8, Partitioner::Crc32, KeyField::OrderId)
        );
        assert_eq!(
            (
                setup.segment_records,
                setup.retention_records,
                setup.retention_ticks
            ),
            (50, Some(200), None)
        );
        // The sticky batch is read only for the sticky choice.
        assert!(setup.keyed);
        let errors = [
            (
                SetupDraft {
                    partitions: Some("0".into()),
                    ..typed.clone()
                },
                "Partitions must be a whole number from 1 to",
            ),
            (
                SetupDraft {
                    segment_records: Some("0".into()),
                    ..typed.clone()
                },
                "Segment size must be a whole number of records, at least 1.",
            ),
            (
                SetupDraft {
                    retention_records: Some("-1".into()),
                    ..typed.clone()
                },
                "Retention (records) must be a whole number, at least 1 (or empty to keep all).",
            ),
            (
                SetupDraft {
                    retention_ticks: Some("x".into()),
                    ..typed.clone()
                },
                "Retention (ticks) must be",
            ),
            (
                SetupDraft {
                    partitioner: Some("md5".into()),
                    ..typed.clone()
                },
                "Pick a partitioner from the list.",
            ),
            (
                SetupDraft {
                    partitioner: Some(NO_KEY_STICKY.into()),
                    ..typed.clone()
                },
                "Sticky batch must be a whole number of records from 1 to 10000.",
            ),
        ];
        for (draft, message) in errors {
            let said = draft.parse(&current, 4).unwrap_err().to_string();
            assert!(said.starts_with(message), "{said}");
        }
    }

    #[test]
    fn the_no_key_choices_keep_a_sticky_batch_and_apply_partitions_only_grows() {
        let current = Setup::default();
        let sticky = SetupDraft {
            partitioner: Some(NO_KEY_STICKY.into()),
            ..SetupDraft::default()
        };
        let setup = sticky.parse(&current, 4).unwrap();
        assert!(!setup.keyed);
        assert_eq!(
            setup.unkeyed,
            UnkeyedStrategy::Sticky {
                batch_records: STICKY_BATCH_RECORDS
            }
        );
        assert_eq!(partitioner_value(&setup), NO_KEY_STICKY);
        let batch = SetupDraft {
            sticky_batch: Some("64".into()),
            ..sticky
        };
        let setup = batch.parse(&current, 4).unwrap();
        assert_eq!(setup.unkeyed, UnkeyedStrategy::Sticky { batch_records: 64 });
        assert!(applied_message(&setup).contains("records no key (sticky)"));

        let more = SetupDraft {
            partitions: Some("6".into()),
            ..SetupDraft::default()
        }
        .parse(&current, 4)
        .unwrap();
        assert!(setup_changed(&more, &current, 4));
        assert!(only_adds_partitions(&more, &current, 4));
        let fewer = Setup {
            partitions: 3,
            ..current.clone()
        };
        assert!(!only_adds_partitions(&fewer, &current, 4));
        let other = Setup {
            partitions: 6,
            partitioner: Partitioner::Crc32,
            ..current.clone()
        };
        assert!(
            !only_adds_partitions(&other, &current, 4),
            "a new partitioner replays"
        );
        assert_eq!(
            applied_message(&more),
            "Topic orders now has 6 partitions (murmur2), keyed by User ID; the run was replayed."
        );
    }

    #[test]
    fn a_new_topic_reads_its_name_partitions_partitioner_and_key_field() {
        let typed = NewTopicDraft {
            name: " refunds ".into(),
            partitions: "5".into(),
            partitioner: NO_KEY.into(),
            key_field: "order_id".into(),
        };
        let setup = typed.parse().unwrap();
        assert_eq!(
            (setup.name.as_str(), setup.partitions, setup.keyed),
            ("refunds", 5, false)
        );
        assert_eq!(setup.key_field, KeyField::OrderId);
        assert_eq!(
            NewTopicDraft::default().parse().unwrap().partitioner,
            Partitioner::Murmur2
        );
        let no_count = NewTopicDraft {
            partitions: "".into(),
            ..typed.clone()
        };
        assert_eq!(
            no_count.parse(),
            Err(TopicFormError::Partitions {
                max: MAX_PARTITIONS
            })
        );
        let unknown = NewTopicDraft {
            partitioner: "md5".into(),
            ..typed
        };
        assert_eq!(unknown.parse(), Err(TopicFormError::Partitioner));
    }
}
