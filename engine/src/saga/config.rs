//! How a saga system is set up: the services' settings ([`SagaConfig`]) and what a run
//! starts with ([`SagaSetup`]: the settings, orders, faults and resubmissions).
//!
//! [`SagaSetup::validate`] is the one place a setup is checked; the simulation, the scenario
//! reader and the commands all go through it, so a setup that reads also builds.

use super::command::{OrderRequest, ResubmitRequest};
use super::faults::{FaultPlan, FaultRule, FaultTrigger};
use super::message::{topics, OrderId, OrderLine, ProductId};
use super::orchestrator::StepTimeouts;
use super::retry::RetrySchedule;
use super::services::{CallTarget, SagaMode, ServiceName};
use crate::group::CommitPolicy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Errors from setting up or commanding a saga.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SagaSetupError {
    #[error("a saga topic needs 1 to 64 partitions, not {partitions}")]
    /// A saga topic needs 1 to 64 partitions.
    Partitions {
        /// Partitions asked for.
        partitions: u32,
    },
    #[error("ticks_per_second must be at least 1, not {ticks_per_second}")]
    /// The retry schedule needs at least 1 tick per second.
    TicksPerSecond {
        /// Ticks per second asked for.
        ticks_per_second: u64,
    },
    #[error("{topic:?} is not a topic of the order flow")]
    /// The topic is not one of the order flow.
    UnknownTopic {
        /// The topic.
        topic: String,
    },
    #[error("{dead_letter_topic} has no dead letter at partition {partition}, offset {offset}")]
    /// A resubmission of one dead letter names a place on its DLQ that holds none.
    NoDeadLetter {
        /// The DLQ (`<topic>.DLQ`).
        dead_letter_topic: String,
        /// The DLQ partition.
        partition: u32,
        /// The DLQ offset.
        offset: u64,
    },
    #[error("the dead letter at partition {partition}, offset {offset} of {dead_letter_topic} was resubmitted already")]
    /// That dead letter was resubmitted before (once each, as "Resubmit all" does).
    AlreadyResubmitted {
        /// The DLQ (`<topic>.DLQ`).
        dead_letter_topic: String,
        /// The DLQ partition.
        partition: u32,
        /// The DLQ offset.
        offset: u64,
    },
    #[error("a slowdown may add at most {max} ticks per record, not {extra_ticks}")]
    /// A slowdown beyond [`MAX_SLOWDOWN_TICKS`](super::command::MAX_SLOWDOWN_TICKS).
    Slowdown {
        /// Extra ticks asked for.
        extra_ticks: u64,
        /// The most allowed.
        max: u64,
    },
    #[error("order {order_id} has no events to snapshot")]
    /// A snapshot of an order the event store has no stream for.
    NoOrderStream {
        /// The order.
        order_id: String,
    },
    #[error("an order stream places at most {max} orders per tick, not {orders_per_tick}")]
    /// An order stream beyond [`MAX_STREAM_ORDERS_PER_TICK`](super::order_stream::MAX_STREAM_ORDERS_PER_TICK).
    OrderStream {
        /// Orders per tick asked for.
        orders_per_tick: u32,
        /// The most allowed.
        max: u32,
    },
    #[error("an order stream's customers: {error}")]
    /// An order stream's customers out of the generator's bounds.
    StreamCustomers {
        /// The generator's error.
        error: crate::generator::GeneratorError,
    },
    #[error("order {order_id} has no lines")]
    /// An order needs lines.
    EmptyOrder {
        /// The order.
        order_id: String,
    },
    #[error("a fault rule's probability must be from 0 to 1, not {probability}")]
    /// A probability rule outside 0..=1.
    FaultProbability {
        /// The probability asked for.
        probability: f64,
    },
    #[error("a fault rule must target a saga step or a compensation")]
    /// A fault rule targeting neither a step nor a compensation (it would never fire).
    FaultTarget,
    #[error("the streaming engine refused the saga setup: {error}")]
    /// The streaming engine refused part of the setup.
    Engine {
        /// The engine's error, in words.
        error: String,
    },
}

/// How a scenario's system is set up. Fields left out of the JSON take their defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SagaConfig {
    /// Orchestrated or choreographed.
    pub mode: SagaMode,
    /// Idempotent consumers (inbox of processed event ids per handler).
    pub inbox: bool,
    /// Transactional outbox with a relay.
    pub outbox: bool,
    /// Partitions of every topic of the flow.
    pub partitions: u32,
    /// The retry schedule.
    pub retry: RetrySchedule,
    /// The step timeouts (the saga timeout is their sum plus a buffer).
    pub timeouts: StepTimeouts,
    /// Ticks a service's group spends on each record it consumes (missing: 1).
    pub processing_ticks: BTreeMap<ServiceName, u64>,
    /// Ticks a projection's group spends per record (so its lag is visible).
    pub projection_ticks_per_record: u64,
    /// Units available per product at the start.
    pub initial_stock: BTreeMap<ProductId, u64>,
    /// Snapshot the Order aggregate every this many events (0: never).
    pub snapshot_every: u64,
    /// Ticks from a shipment leaving to the carrier delivering it (Shipping then publishes
    /// `OrderDelivered` and the order becomes Delivered).
    pub delivery_ticks: u64,
    /// The services' commit policy (`None`: the engine's default, commit after processing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_policy: Option<CommitPolicy>,
}

impl Default for SagaConfig {
    fn default() -> Self {
        Self {
            mode: SagaMode::Orchestration,
            inbox: true,
            outbox: true,
            partitions: 3,
            retry: RetrySchedule::default(),
            timeouts: StepTimeouts::default(),
            processing_ticks: BTreeMap::new(),
            projection_ticks_per_record: 1,
            initial_stock: [("P1", 10), ("P2", 10), ("P3", 10)]
                .into_iter()
                .map(|(p, n)| (ProductId(p.into()), n))
                .collect(),
            snapshot_every: 3,
            delivery_ticks: 20,
            commit_policy: None,
        }
    }
}

impl SagaConfig {
    /// Ticks `service`'s group spends on each record, before any slowdown.
    pub fn processing_ticks(&self, service: ServiceName) -> u64 {
        self.processing_ticks.get(&service).copied().unwrap_or(1)
    }

    fn validate(&self) -> Result<(), SagaSetupError> {
        if !(1..=64).contains(&self.partitions) {
            return Err(SagaSetupError::Partitions {
                partitions: self.partitions,
            });
        }
        if self.retry.ticks_per_second == 0 {
            return Err(SagaSetupError::TicksPerSecond {
                ticks_per_second: 0,
            });
        }
        Ok(())
    }
}

/// The parts of a scenario a simulation is built from (a field left out reads as its
/// default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SagaSetup {
    /// How the system is set up.
    pub config: SagaConfig,
    /// Orders to place, by tick.
    pub orders: Vec<OrderRequest>,
    /// The fault plan (with its rules' state).
    pub faults: FaultPlan,
    /// Dead-letter resubmissions, by tick.
    pub resubmits: Vec<ResubmitRequest>,
}

impl SagaSetup {
    /// Checks what the engine would otherwise refuse halfway through a run: partitions,
    /// the retry schedule's ticks per second, orders without lines, resubmissions of a
    /// topic outside the order flow.
    pub fn validate(&self) -> Result<(), SagaSetupError> {
        self.config.validate()?;
        for o in &self.orders {
            check_lines(&o.order_id, &o.lines)?;
        }
        for r in &self.resubmits {
            check_topic(&r.topic)?;
        }
        for rule in &self.faults.rules {
            check_fault_rule(rule)?;
        }
        Ok(())
    }
}

/// A fault rule targets a step or a compensation, and a probability is from 0 to 1.
pub(crate) fn check_fault_rule(rule: &FaultRule) -> Result<(), SagaSetupError> {
    if rule.target == CallTarget::Other {
        return Err(SagaSetupError::FaultTarget);
    }
    match rule.trigger {
        FaultTrigger::Probability { probability } if !(0.0..=1.0).contains(&probability) => {
            Err(SagaSetupError::FaultProbability { probability })
        }
        _ => Ok(()),
    }
}

impl SagaSetup {
    /// The setup as JSON without what holds its default: the fields of the setup, of its
    /// configuration and of its fault plan that equal the default's (a missing field reads
    /// as its default). A map or list that differs is written whole. Built from the JSON
    /// text ([`crate::wire::to_value`]), so its keys are sorted and its floats exact.
    pub fn to_compact_json(&self) -> serde_json::Value {
        let mut value = crate::wire::to_value(self).expect("a setup serialises");
        let default = crate::wire::to_value(&Self::default()).expect("a setup serialises");
        drop_defaults(&mut value, &default);
        for part in ["config", "faults"] {
            if let Some(v) = value.get_mut(part) {
                drop_defaults(v, &default[part]);
            }
        }
        value
    }
}

/// Removes the fields of the object `value` that hold what they hold in `default`.
fn drop_defaults(value: &mut serde_json::Value, default: &serde_json::Value) {
    if let Some(fields) = value.as_object_mut() {
        fields.retain(|k, v| default.get(k) != Some(v));
    }
}

/// An order needs at least one line.
pub(crate) fn check_lines(order_id: &OrderId, lines: &[OrderLine]) -> Result<(), SagaSetupError> {
    if lines.is_empty() {
        return Err(SagaSetupError::EmptyOrder {
            order_id: order_id.0.clone(),
        });
    }
    Ok(())
}

/// Dead letters exist only for the order flow's own topics.
pub(crate) fn check_topic(topic: &str) -> Result<(), SagaSetupError> {
    if !topics::ALL.contains(&topic) {
        return Err(SagaSetupError::UnknownTopic {
            topic: topic.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Tick;

    /// Left-out settings read as their defaults, so the compact JSON reads back as the same
    /// setup; a map that differs in one entry is written whole.
    #[test]
    fn the_compact_json_reads_back_as_the_same_setup() {
        let mut s = SagaSetup::default();
        assert_eq!(s.to_compact_json(), serde_json::json!({}));
        s.config.initial_stock.insert(ProductId("P1".into()), 3);
        s.config.timeouts.ship_order_ticks = 7;
        s.config.mode = SagaMode::Choreography;
        s.faults.concurrent_writers.push("order-1".into());
        s.orders
            .push(OrderRequest::one_line(1, "order-1", "c", "P1", 1));
        let json = s.to_compact_json();
        assert_eq!(
            json["config"]["initial_stock"].as_object().unwrap().len(),
            3
        );
        assert!(json["config"].get("retry").is_none());
        assert_eq!(json["faults"].as_object().unwrap().len(), 1);
        assert_eq!(serde_json::from_value::<SagaSetup>(json).unwrap(), s);
    }

    #[test]
    fn bad_setups_are_refused_with_their_numbers() {
        let mut s = SagaSetup::default();
        assert_eq!(s.validate(), Ok(()));
        s.config.partitions = 65;
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "a saga topic needs 1 to 64 partitions, not 65"
        );
        s.config.partitions = 1;
        s.config.retry.ticks_per_second = 0;
        assert_eq!(
            s.validate(),
            Err(SagaSetupError::TicksPerSecond {
                ticks_per_second: 0
            })
        );
        s.config.retry = RetrySchedule::default();
        s.orders.push(OrderRequest {
            lines: Vec::new(),
            ..OrderRequest::one_line(1, "order-1", "c", "P1", 1)
        });
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "order order-1 has no lines"
        );
        s.orders.clear();
        s.resubmits.push(ResubmitRequest {
            at_tick: Tick(3),
            topic: "payment-commands.DLQ".into(),
        });
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "\"payment-commands.DLQ\" is not a topic of the order flow"
        );
    }
}
