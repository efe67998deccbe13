//! The processing hook: what a consumer group *does* with a record.
//!
//! A group without a processor only counts the records it processes. A group with one hands
//! each record, when its processing time is over, to [`Processor::process`], a pure reactor
//! in the style of sled's simulator: it receives the record and returns what to produce (no
//! I/O inside). The saga module builds its services this way.
//!
//! The simulation owns no processor: whoever drives it hands [`crate::sim::Sim::step_with`]
//! a [`Processors`] set, which gives the processor of a group by name (the saga's services
//! are such a set). Groups it has no processor for only count what they process.

use crate::ids::{EventId, MemberId, PartitionId, Tick};
use crate::log::{Payload, RecordRef};
use crate::rng::SimRng;
use std::cell::Cell;
use std::collections::BTreeMap;

/// One record handed to a processor.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    /// The tick at which processing finishes.
    pub now: Tick,
    /// The group processing it.
    pub group: &'a str,
    /// The member processing it.
    pub member: &'a MemberId,
    /// Its topic.
    pub topic: &'a str,
    /// Its partition.
    pub partition: PartitionId,
    /// The record.
    pub record: RecordRef<'a>,
    /// True when this group already processed this offset before (a redelivery after a
    /// crash or rebalance without commit): an idempotent consumer should skip its effects.
    pub redelivered: bool,
    /// 1 for the first attempt, 2 after one [`ProcessOutcome::Retry`], and so on.
    pub attempt: u32,
    /// The simulation's event id counter, for [`Delivery::issue_event_id`].
    pub(crate) event_ids: &'a Cell<u64>,
}

impl Delivery<'_> {
    /// Issues a fresh event id from the simulation's counter without producing anything:
    /// for an event the processor will publish later under this id (a transactional outbox
    /// row gets its id when it is written, in the same transaction as the state change;
    /// the relay publishes it with [`OutgoingRecord::event_id`] set, as often as it must).
    pub fn issue_event_id(&self) -> EventId {
        let id = self.event_ids.get();
        self.event_ids.set(id + 1);
        EventId(id)
    }
}

/// A record a processor wants produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingRecord {
    /// The topic to produce to.
    pub topic: String,
    /// The key (`None`: no key).
    pub key: Option<String>,
    /// The value.
    pub payload: Payload,
    /// Correlation id header; `None` starts a new flow.
    pub correlation_id: Option<String>,
    /// Causation id header: the event that caused this one.
    pub causation_id: Option<EventId>,
    /// Schema version header.
    pub schema_version: u16,
    /// `None`: the simulation issues a fresh event id when it appends the record. `Some`:
    /// an id issued earlier (by [`Delivery::issue_event_id`]); every record produced with
    /// it is the same event, which is how an inbox recognises an outbox relay's second
    /// send. An id the simulation never issued is refused
    /// ([`crate::command::SimError::EventIdNotIssued`]).
    pub event_id: Option<EventId>,
}

impl OutgoingRecord {
    /// A record with no correlation or causation, schema version 1 and a fresh event id.
    pub fn new(topic: impl Into<String>, key: Option<String>, payload: Payload) -> Self {
        Self {
            topic: topic.into(),
            key,
            payload,
            correlation_id: None,
            causation_id: None,
            schema_version: 1,
            event_id: None,
        }
    }

    /// The same record under an event id issued earlier (see [`OutgoingRecord::event_id`]).
    pub fn with_event_id(mut self, event_id: EventId) -> Self {
        self.event_id = Some(event_id);
        self
    }

    /// Sets correlation (inherited, or the cause's own event id when it started the flow)
    /// and causation from the record being processed.
    pub fn caused_by(mut self, cause: RecordRef<'_>) -> Self {
        self.correlation_id = Some(
            cause
                .correlation_id()
                .map_or_else(|| cause.event_id().to_string(), str::to_owned),
        );
        self.causation_id = Some(cause.event_id());
        self
    }
}

/// What processing a record came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessOutcome {
    /// Done: produce these records (possibly none) and move on.
    Success {
        /// Records to produce.
        produce: Vec<OutgoingRecord>,
    },
    /// Try the same record again after `after_ticks`, blocking the partition meanwhile (a
    /// blocking retry; per-key order is kept). Delivery's `attempt` grows by one.
    Retry {
        /// Why, in words.
        error: String,
        /// Ticks to wait.
        after_ticks: u64,
    },
    /// Give up on this record and move on (it counts as failed). Dead-lettering is the
    /// processor's business: it returns `Success` with a record for the DLQ topic instead.
    Failure {
        /// Why, in words.
        error: String,
    },
    /// The member crashes while processing this record: after its effects and after
    /// producing `produce` (possibly nothing), before its position moves or anything is
    /// committed. It stops like [`crate::command::Command::KillMember`]: the group notices after
    /// its session timeout, rebalances, and the record (with the rest of the uncommitted
    /// batch) is delivered again to the partition's next owner.
    Crash {
        /// Records to produce.
        produce: Vec<OutgoingRecord>,
        /// Why, in words.
        reason: String,
    },
}

impl ProcessOutcome {
    /// Success with nothing to produce.
    pub fn done() -> Self {
        ProcessOutcome::Success {
            produce: Vec::new(),
        }
    }
}

/// A group's behaviour. Implementations must be deterministic: all randomness from `rng`.
///
/// `Send + Sync` so a [`crate::sim::Sim`] can live in a UI framework's shared signal.
pub trait Processor: Send + Sync {
    /// Processes one record.
    fn process(&mut self, delivery: &Delivery<'_>, rng: &mut SimRng) -> ProcessOutcome;

    /// The processor's state for snapshots and the CLI summary (e.g. service balances).
    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// The processors of a step: the processor of each group that has one, by group name.
/// Lent to the simulation for one step ([`crate::sim::Sim::step_with`]), so their state
/// stays with whoever owns them and is theirs to change between steps.
pub trait Processors {
    /// The processor `group` runs (`None`: the group only counts what it processes).
    fn processor(&mut self, group: &str) -> Option<&mut dyn Processor>;

    /// The state of `group`'s processor for snapshots and summaries.
    fn snapshot(&self, _group: &str) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// No processors: every group only counts what it processes.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProcessors;

impl Processors for NoProcessors {
    fn processor(&mut self, _group: &str) -> Option<&mut dyn Processor> {
        None
    }
}

/// Processors by group name.
impl Processors for BTreeMap<String, Box<dyn Processor>> {
    fn processor(&mut self, group: &str) -> Option<&mut dyn Processor> {
        Some(self.get_mut(group)?.as_mut())
    }

    fn snapshot(&self, group: &str) -> serde_json::Value {
        self.get(group)
            .map_or(serde_json::Value::Null, |p| p.snapshot())
    }
}
