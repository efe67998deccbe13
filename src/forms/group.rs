//! The group forms: "New consumer group" (name, topics to read, assignor, commit policy and
//! its first consumers) and a group's "Reset offsets to" (Kafka's `--reset-offsets` choices).

use orderflow_engine::assignor::AssignmentStrategy;
use orderflow_engine::group::{CommitPolicy, GroupConfig, OffsetResetSpec};
use orderflow_engine::ids::{Offset, Tick};

/// The commit policies the "Add group" form offers: (select value, policy).
pub const COMMIT_CHOICES: [(&str, CommitPolicy); 3] = [
    ("after", CommitPolicy::AfterProcessing),
    ("before", CommitPolicy::BeforeProcessing),
    ("auto", CommitPolicy::AutoCommit { interval_ticks: 5 }),
];

/// The "Reset offsets to" choices: (select value, label).
pub const RESET_KINDS: [(&str, &str); 5] = [
    ("earliest", "earliest"),
    ("latest", "latest"),
    ("tick", "tick"),
    ("shift", "shift by"),
    ("offset", "offset"),
];

/// Why a group form's fields do not make a group or a reset. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupFormError {
    #[error("Consumers must be a whole number (0 for an empty group).")]
    Consumers,
    #[error("Pick an assignor from the list.")]
    Assignor,
    #[error("{value:?} is not a valid number for this reset.")]
    ResetValue { value: String },
}

/// The "New consumer group" form's fields as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGroupDraft {
    pub name: String,
    /// The topics ticked, in the order the topics were created.
    pub topics: Vec<String>,
    /// An assignor's name ([`AssignmentStrategy::name`]).
    pub assignor: String,
    /// A [`COMMIT_CHOICES`] value (anything else commits after processing).
    pub commit: String,
    pub consumers: String,
}

impl Default for NewGroupDraft {
    /// An unnamed range group committing after processing, with 2 consumers.
    fn default() -> Self {
        Self {
            name: String::new(),
            topics: Vec::new(),
            assignor: AssignmentStrategy::Range.name().to_string(),
            commit: "after".into(),
            consumers: "2".into(),
        }
    }
}

impl NewGroupDraft {
    /// The group's settings and how many consumers it starts with, or why there are none.
    /// The playground checks the name and the topics when it creates the group.
    pub fn parse(&self) -> Result<(GroupConfig, u32), GroupFormError> {
        let consumers = self
            .consumers
            .trim()
            .parse::<u32>()
            .map_err(|_| GroupFormError::Consumers)?;
        let strategy = AssignmentStrategy::ALL
            .into_iter()
            .find(|s| s.name() == self.assignor)
            .ok_or(GroupFormError::Assignor)?;
        let commit_policy = COMMIT_CHOICES
            .iter()
            .find(|(value, _)| *value == self.commit)
            .map_or(CommitPolicy::AfterProcessing, |(_, p)| *p);
        let mut config = GroupConfig::new(self.name.trim(), self.topics.clone());
        config.strategy = strategy;
        config.commit_policy = commit_policy;
        Ok((config, consumers))
    }
}

/// A group's "Reset offsets to" form as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetDraft {
    /// A [`RESET_KINDS`] value.
    pub kind: String,
    /// The tick, offset or shift (ignored for earliest and latest).
    pub value: String,
}

impl Default for ResetDraft {
    fn default() -> Self {
        Self {
            kind: "earliest".into(),
            value: "0".into(),
        }
    }
}

impl ResetDraft {
    /// The reset these fields ask for: a tick and an offset are 0 or more, a shift may be
    /// negative (back) or positive (forward).
    pub fn parse(&self) -> Result<OffsetResetSpec, GroupFormError> {
        let number = self.value.trim().parse::<i64>();
        match (self.kind.as_str(), number) {
            ("earliest", _) => Ok(OffsetResetSpec::ToEarliest),
            ("latest", _) => Ok(OffsetResetSpec::ToLatest),
            ("tick", Ok(n)) if n >= 0 => Ok(OffsetResetSpec::ToTick {
                tick: Tick(n as u64),
            }),
            ("offset", Ok(n)) if n >= 0 => Ok(OffsetResetSpec::ToOffset {
                offset: Offset(n as u64),
            }),
            ("shift", Ok(n)) => Ok(OffsetResetSpec::ShiftBy { by: n }),
            _ => Err(GroupFormError::ResetValue {
                value: self.value.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_group_reads_its_fields_and_refuses_bad_counts_and_assignors() {
        let typed = NewGroupDraft {
            name: " auditors ".into(),
            topics: vec!["orders".into(), "refunds".into()],
            assignor: "cooperative-sticky".into(),
            commit: "auto".into(),
            consumers: " 3 ".into(),
        };
        let (config, consumers) = typed.parse().unwrap();
        assert_eq!((config.name.as_str(), consumers), ("auditors", 3));
        assert_eq!(config.topics, ["orders", "refunds"]);
        assert_eq!(config.strategy, AssignmentStrategy::CooperativeSticky);
        assert_eq!(
            config.commit_policy,
            CommitPolicy::AutoCommit { interval_ticks: 5 }
        );
        let (default, two) = NewGroupDraft::default().parse().unwrap();
        assert_eq!(
            (default.strategy, default.commit_policy, two),
            (AssignmentStrategy::Range, CommitPolicy::AfterProcessing, 2)
        );
        for bad in ["", "-1", "two", "1.5"] {
            let draft = NewGroupDraft {
                consumers: bad.into(),
                ..typed.clone()
            };
            assert_eq!(draft.parse(), Err(GroupFormError::Consumers), "{bad:?}");
        }
        let unknown = NewGroupDraft {
            assignor: "fair".into(),
            ..typed
        };
        assert_eq!(
            unknown.parse().unwrap_err().to_string(),
            "Pick an assignor from the list."
        );
    }

    #[test]
    fn a_reset_reads_its_kind_and_number() {
        let reset = |kind: &str, value: &str| {
            ResetDraft {
                kind: kind.into(),
                value: value.into(),
            }
            .parse()
        };
        assert_eq!(reset("earliest", "junk"), Ok(OffsetResetSpec::ToEarliest));
        assert_eq!(reset("latest", ""), Ok(OffsetResetSpec::ToLatest));
        assert_eq!(
            reset("tick", " 12 "),
            Ok(OffsetResetSpec::ToTick { tick: Tick(12) })
        );
        assert_eq!(
            reset("offset", "3"),
            Ok(OffsetResetSpec::ToOffset { offset: Offset(3) })
        );
        assert_eq!(
            reset("shift", "-5"),
            Ok(OffsetResetSpec::ShiftBy { by: -5 })
        );
        for (kind, value) in [
            ("tick", "-1"),
            ("offset", "x"),
            ("shift", ""),
            ("sideways", "1"),
        ] {
            assert_eq!(
                reset(kind, value),
                Err(GroupFormError::ResetValue {
                    value: value.into()
                }),
                "{kind} {value}"
            );
        }
        assert_eq!(
            reset("tick", "-1").unwrap_err().to_string(),
            "\"-1\" is not a valid number for this reset."
        );
    }
}
