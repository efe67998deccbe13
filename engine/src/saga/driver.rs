//! The saga simulation: services consuming partitioned topics, one tick at a time.
//!
//! Every saga message is a record on a partition of a topic (keyed by order id, routed with
//! Kafka's murmur2 partitioner), consumed by the service's own consumer group with a
//! committed offset per partition. Handling a record takes the service's processing time;
//! failures are retried in place on the retry schedule (the partition waits, so per-order
//! order is kept) and dead-lettered to `<topic>.DLQ` when the schedule runs out;
//! compensations are retried until they succeed. A crash drops in-flight work, and the
//! uncommitted record is delivered again after the restart (what the inbox is for); a crash
//! between state change and publish loses the event unless the outbox holds it.
//!
//! Everything is driven by [`SagaSim::step`] and the seeded [`SimRng`]; the same scenario
//! and seed give the same trace.

use super::event_store::OrderStatus;
use super::faults::{CrashPoint, FaultEffect, FaultPlan};
use super::inbox::Inbox;
use super::message::{
    topics, upcast, CorrelationId, CustomerId, Envelope, EventId, EventMeta, OrderId, OrderLine,
    ProductId, SagaMessage,
};
use super::orchestrator::{
    Compensation, Orchestrator, OrchestratorNote, SagaLogEntry, SagaLogEvent, SagaState, SagaStep,
    StepTimeouts,
};
use super::outbox::Outbox;
use super::projection::{ProjectionKind, ReadModel};
use super::retry::{DeadLetter, RetryDecision, RetrySchedule};
use super::services::{
    call_target, AnalyticsService, CallTarget, Injected, InventoryService, NotificationService,
    OrderService, PaymentService, Reaction, SagaMode, ServiceName, ServiceNote, ShipmentState,
    ShippingService, Stock,
};
use super::trace::SagaTraceEvent as T;
use crate::ids::{Offset, PartitionId, Tick};
use crate::partitioner::Partitioner;
use crate::rng::SimRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Errors from setting up or commanding a saga simulation.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SagaSimError {
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
    #[error("order {order_id} has no lines")]
    /// An order needs lines.
    EmptyOrder {
        /// The order.
        order_id: String,
    },
    #[error("the streaming engine refused the saga setup: {error}")]
    /// The streaming engine refused part of the setup.
    Engine {
        /// The engine's error, in words.
        error: String,
    },
}

/// How a scenario's system is set up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Ticks to handle one record, per service (missing: 1).
    #[serde(default)]
    pub processing_ticks: BTreeMap<ServiceName, u64>,
    /// Ticks a projection needs per record (so its lag is visible).
    pub projection_ticks_per_record: u64,
    /// Units available per product at the start.
    pub initial_stock: BTreeMap<ProductId, u64>,
    /// Snapshot the Order aggregate every this many events (0: never).
    pub snapshot_every: u64,
    /// Ticks from a shipment leaving to the carrier delivering it (Shipping then publishes
    /// `OrderDelivered` and the order becomes Delivered).
    #[serde(default = "default_delivery_ticks")]
    pub delivery_ticks: u64,
    /// On consumer groups: the services' commit policy (`None`: the engine's default,
    /// commit after processing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_policy: Option<crate::group::CommitPolicy>,
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
            delivery_ticks: default_delivery_ticks(),
            commit_policy: None,
        }
    }
}

fn default_delivery_ticks() -> u64 {
    20
}

/// An order the scenario places at a tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The tick it happens at.
    pub at_tick: Tick,
    /// The order.
    pub order_id: OrderId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The order's lines.
    pub lines: Vec<OrderLine>,
    /// `None`: a version 1 client (no currency), upcast to USD.
    pub currency: Option<String>,
}

/// Moves every record of `<topic>.DLQ` back to `topic` at a tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResubmitRequest {
    /// The tick it happens at.
    pub at_tick: Tick,
    /// The topic.
    pub topic: String,
}

/// A command to a running saga simulation (the UI's buttons).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SagaCommand {
    /// A customer places an order now.
    PlaceOrder {
        /// The order.
        order_id: OrderId,
        /// The customer.
        customer_id: CustomerId,
        /// The order's lines.
        lines: Vec<OrderLine>,
        /// The currency (ISO code).
        currency: Option<String>,
    },
    /// Takes a service down until brought up.
    TakeDown {
        /// The service.
        service: ServiceName,
    },
    /// Brings a taken-down service back.
    BringUp {
        /// The service.
        service: ServiceName,
    },
    /// Moves every dead letter of `<topic>.DLQ` back to `topic`.
    ResubmitDeadLetters {
        /// The topic.
        topic: String,
    },
    /// Rebuilds a projection by replay.
    RebuildProjection {
        /// The projection.
        projection: ProjectionKind,
    },
}

/// One record of a saga topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaRecord {
    /// The record's offset in its partition.
    pub offset: Offset,
    /// The record key (the order id).
    pub key: String,
    /// The message with its headers.
    pub envelope: Envelope,
    /// The tick it happened at.
    pub tick: Tick,
}

/// A topic of the flow: one append-only record list per partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaTopic {
    /// The topic name.
    pub name: String,
    /// One append-only record list per partition.
    pub partitions: Vec<Vec<SagaRecord>>,
}

impl SagaTopic {
    fn new(name: &str, partitions: u32) -> Self {
        Self {
            name: name.to_string(),
            partitions: (0..partitions).map(|_| Vec::new()).collect(),
        }
    }

    /// The next offset of a partition.
    pub fn high_watermark(&self, partition: PartitionId) -> Offset {
        Offset(
            self.partitions
                .get(partition.0 as usize)
                .map_or(0, Vec::len) as u64,
        )
    }

    /// All records, partition by partition.
    pub fn records(&self) -> impl Iterator<Item = (PartitionId, &SagaRecord)> {
        self.partitions
            .iter()
            .enumerate()
            .flat_map(|(p, r)| r.iter().map(move |rec| (PartitionId(p as u32), rec)))
    }
}

/// One consumer position on one partition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Committed offset: the next record to handle.
    pub committed: Offset,
    /// The record being handled and when it completes.
    pub in_flight: Option<(Offset, Tick)>,
    /// Failed attempts of the record at `committed`.
    pub failed_attempts: u32,
    /// No attempt before this tick (retry backoff).
    pub not_before: Tick,
}

/// A service's runtime: its consumer positions, inbox, outbox and health.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRuntime {
    /// Next offset to read, per partition of the events topic.
    pub cursors: BTreeMap<(String, u32), Cursor>,
    /// Event ids already processed.
    pub inbox: Inbox,
    /// Events waiting for (or sent by) the relay.
    pub outbox: Outbox,
    /// Down after a crash until this tick.
    pub crashed_until: Option<Tick>,
    /// Taken down by hand.
    pub taken_down: bool,
    /// Whether it was up at the end of the previous tick (for Up/Down trace events).
    pub was_up: bool,
    /// Messages handled per message name (crash faults count these).
    pub handled: BTreeMap<String, u32>,
    /// Sends by the outbox relay (relay crash faults count these).
    pub relay_sends: u32,
}

/// A projection fed by its own consumer group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectionRuntime {
    /// Which projection.
    pub kind: ProjectionKind,
    /// The read model, maintained incrementally.
    pub model: ReadModel,
    /// Next offset to read, per partition of the events topic.
    pub cursors: Vec<Offset>,
    /// No record before this tick (its processing time).
    pub next_at: Tick,
    /// Records applied so far.
    pub records_applied: u64,
}

/// The choreographed saga of one order as seen on the events topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoreographyView {
    /// The saga's state.
    pub state: SagaState,
    /// The steps that succeeded, in order.
    pub executed_steps: Vec<SagaStep>,
    /// Compensations that undid something, in the order their events appeared.
    pub compensations_done: Vec<Compensation>,
    /// Services that answered the cancellation (with or without something to undo).
    #[serde(default)]
    pub acknowledged: Vec<Compensation>,
    /// Why the saga failed, if it did.
    pub failure: Option<String>,
    /// The tick the saga ended, if it has.
    pub finished_at: Option<Tick>,
}

/// All services' state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Services {
    /// The Order service.
    pub order: OrderService,
    /// The Inventory service.
    pub inventory: InventoryService,
    /// The Payment service.
    pub payment: PaymentService,
    /// The Shipping service.
    pub shipping: ShippingService,
    /// The Notification service.
    pub notification: NotificationService,
    /// The Analytics service.
    pub analytics: AnalyticsService,
    /// The orchestrator.
    pub orchestrator: Orchestrator,
}

/// The saga simulation.
#[derive(Clone, Debug)]
pub struct SagaSim {
    config: SagaConfig,
    seed: u64,
    now: Tick,
    rng: SimRng,
    faults: FaultPlan,
    pending_orders: Vec<OrderRequest>,
    pending_resubmits: Vec<ResubmitRequest>,
    topics: BTreeMap<String, SagaTopic>,
    dead_letters: BTreeMap<String, Vec<Vec<DeadLetter>>>,
    next_event_id: u64,
    /// Every service's state.
    pub services: Services,
    runtimes: BTreeMap<ServiceName, ServiceRuntime>,
    projections: Vec<ProjectionRuntime>,
    choreography: BTreeMap<OrderId, ChoreographyView>,
    trace: Vec<T>,
}

/// The parts of a scenario a simulation is built from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SagaSetup {
    /// How the system is set up.
    pub config: SagaConfig,
    #[serde(default)]
    /// Orders to place, by tick.
    pub orders: Vec<OrderRequest>,
    #[serde(default)]
    /// The fault plan (with its rules' state).
    pub faults: FaultPlan,
    #[serde(default)]
    /// Dead-letter resubmissions, by tick.
    pub resubmits: Vec<ResubmitRequest>,
}

impl SagaSim {
    /// Builds a simulation. All randomness derives from `seed`.
    pub fn new(setup: SagaSetup, seed: u64) -> Result<Self, SagaSimError> {
        let SagaSetup {
            config,
            mut orders,
            faults,
            mut resubmits,
        } = setup;
        if config.partitions == 0 || config.partitions > 64 {
            return Err(SagaSimError::Partitions {
                partitions: config.partitions,
            });
        }
        if config.retry.ticks_per_second == 0 {
            return Err(SagaSimError::TicksPerSecond {
                ticks_per_second: 0,
            });
        }
        if let Some(o) = orders.iter().find(|o| o.lines.is_empty()) {
            return Err(SagaSimError::EmptyOrder {
                order_id: o.order_id.0.clone(),
            });
        }
        for r in &resubmits {
            if !topics::ALL.contains(&r.topic.as_str()) {
                return Err(SagaSimError::UnknownTopic {
                    topic: r.topic.clone(),
                });
            }
        }
        orders.sort_by_key(|o| o.at_tick);
        resubmits.sort_by_key(|r| r.at_tick);
        let topics: BTreeMap<String, SagaTopic> = topics::ALL
            .iter()
            .map(|t| (t.to_string(), SagaTopic::new(t, config.partitions)))
            .collect();
        let dead_letters = topics::ALL
            .iter()
            .map(|t| {
                (
                    topics::dead_letter_topic(t),
                    (0..config.partitions).map(|_| Vec::new()).collect(),
                )
            })
            .collect();
        let mut runtimes = BTreeMap::new();
        for service in ServiceName::ALL {
            let mut rt = ServiceRuntime {
                was_up: true,
                ..ServiceRuntime::default()
            };
            for topic in service.topics() {
                for p in 0..config.partitions {
                    rt.cursors.insert((topic.to_string(), p), Cursor::default());
                }
            }
            runtimes.insert(service, rt);
        }
        let projections = ProjectionKind::ALL
            .iter()
            .map(|k| ProjectionRuntime {
                kind: *k,
                model: ReadModel::empty(*k),
                cursors: vec![Offset(0); config.partitions as usize],
                next_at: Tick(0),
                records_applied: 0,
            })
            .collect();
        let services = Services {
            order: OrderService::new(config.snapshot_every, config.timeouts.saga_timeout_ticks()),
            inventory: InventoryService::new(config.initial_stock.clone()),
            payment: PaymentService::default(),
            shipping: ShippingService::new(config.delivery_ticks),
            notification: NotificationService::default(),
            analytics: AnalyticsService::default(),
            orchestrator: Orchestrator::new(config.timeouts.clone()),
        };
        Ok(Self {
            config,
            seed,
            now: Tick(0),
            rng: SimRng::new(seed),
            faults,
            pending_orders: orders,
            pending_resubmits: resubmits,
            topics,
            dead_letters,
            next_event_id: 1,
            services,
            runtimes,
            projections,
            choreography: BTreeMap::new(),
            trace: Vec::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SagaConfig {
        &self.config
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.now
    }

    /// The trace so far.
    pub fn trace(&self) -> &[T] {
        &self.trace
    }

    /// The topics of the flow (not the dead-letter topics).
    pub fn topics(&self) -> &BTreeMap<String, SagaTopic> {
        &self.topics
    }

    /// Dead letters per dead-letter topic and partition.
    pub fn dead_letters(&self) -> &BTreeMap<String, Vec<Vec<DeadLetter>>> {
        &self.dead_letters
    }

    /// A service's runtime (cursors, inbox, outbox, health).
    pub fn runtime(&self, service: ServiceName) -> &ServiceRuntime {
        &self.runtimes[&service]
    }

    /// The projections.
    pub fn projections(&self) -> &[ProjectionRuntime] {
        &self.projections
    }

    /// The choreographed sagas as seen on the events topic.
    pub fn choreography(&self) -> &BTreeMap<OrderId, ChoreographyView> {
        &self.choreography
    }

    /// True when `service` is consuming now.
    pub fn is_up(&self, service: ServiceName) -> bool {
        let rt = &self.runtimes[&service];
        !rt.taken_down
            && rt.crashed_until.is_none_or(|t| self.now >= t)
            && !self.faults.is_down(service, self.now)
    }

    /// Applies a command at the current tick.
    pub fn apply(&mut self, command: SagaCommand) -> Result<(), SagaSimError> {
        match command {
            SagaCommand::PlaceOrder {
                order_id,
                customer_id,
                lines,
                currency,
            } => {
                if lines.is_empty() {
                    return Err(SagaSimError::EmptyOrder {
                        order_id: order_id.0,
                    });
                }
                self.place(OrderRequest {
                    at_tick: self.now,
                    order_id,
                    customer_id,
                    lines,
                    currency,
                });
            }
            SagaCommand::TakeDown { service } => {
                self.runtimes
                    .get_mut(&service)
                    .expect("every service has a runtime")
                    .taken_down = true
            }
            SagaCommand::BringUp { service } => {
                self.runtimes
                    .get_mut(&service)
                    .expect("every service has a runtime")
                    .taken_down = false
            }
            SagaCommand::ResubmitDeadLetters { topic } => self.resubmit(&topic)?,
            SagaCommand::RebuildProjection { projection } => {
                self.rebuild_projection(projection);
            }
        }
        Ok(())
    }

    fn place(&mut self, o: OrderRequest) {
        let schema_version = if o.currency.is_some() { 2 } else { 1 };
        let envelope = Envelope {
            meta: EventMeta {
                event_id: self.new_event_id(),
                correlation_id: CorrelationId(o.order_id.0.clone()),
                causation_id: None,
                schema_version,
            },
            message: SagaMessage::PlaceOrder {
                order_id: o.order_id,
                customer_id: o.customer_id,
                lines: o.lines,
                currency: o.currency,
            },
        };
        self.produce(envelope);
    }

    fn new_event_id(&mut self) -> EventId {
        let id = EventId(self.next_event_id);
        self.next_event_id += 1;
        id
    }

    /// Appends a record to its topic (routed by order id with murmur2).
    fn produce(&mut self, envelope: Envelope) {
        let topic_name = envelope.message.topic();
        let key = envelope.message.order_id().0.clone();
        let topic = self
            .topics
            .get_mut(topic_name)
            .expect("message topics exist");
        let partition = Partitioner::Murmur2
            .route(key.as_bytes(), topic.partitions.len() as u32)
            .partition;
        let log = &mut topic.partitions[partition.0 as usize];
        let offset = Offset(log.len() as u64);
        self.trace.push(T::Produced {
            tick: self.now,
            topic: topic_name.to_string(),
            partition,
            offset,
            event_id: envelope.meta.event_id,
            causation_id: envelope.meta.causation_id,
            order_id: envelope.message.order_id().clone(),
            message: envelope.message.name().to_string(),
        });
        let observe = (topic_name == topics::ORDER_EVENTS).then(|| envelope.clone());
        log.push(SagaRecord {
            offset,
            key,
            envelope,
            tick: self.now,
        });
        if let Some(envelope) = observe {
            self.observe_choreography(&envelope);
        }
    }

    /// Moves every dead letter of `<topic>.DLQ` back to `topic`, unchanged (same event id:
    /// it was never processed, so an inbox does not mistake it for a duplicate).
    fn resubmit(&mut self, topic: &str) -> Result<(), SagaSimError> {
        if !topics::ALL.contains(&topic) {
            return Err(SagaSimError::UnknownTopic {
                topic: topic.to_string(),
            });
        }
        let dlq = topics::dead_letter_topic(topic);
        let letters: Vec<DeadLetter> = self.dead_letters[&dlq].iter().flatten().cloned().collect();
        // The DLQ keeps its records (a log is append-only); resubmission copies them back.
        let already: usize = self
            .trace
            .iter()
            .filter(|e| matches!(e, T::Resubmitted { dead_letter_topic, .. } if *dead_letter_topic == dlq))
            .count();
        for letter in letters.into_iter().skip(already) {
            self.trace.push(T::Resubmitted {
                tick: self.now,
                dead_letter_topic: dlq.clone(),
                topic: topic.to_string(),
                event_id: letter.original.meta.event_id,
            });
            self.produce(letter.original);
        }
        Ok(())
    }

    /// Advances one tick: scheduled orders, every service, projections.
    pub fn step(&mut self) {
        self.now = Tick(self.now.0 + 1);
        while self
            .pending_orders
            .first()
            .is_some_and(|o| o.at_tick <= self.now)
        {
            let o = self.pending_orders.remove(0);
            self.place(o);
        }
        while self
            .pending_resubmits
            .first()
            .is_some_and(|r| r.at_tick <= self.now)
        {
            let r = self.pending_resubmits.remove(0);
            self.resubmit(&r.topic)
                .expect("resubmit topics were checked in new()");
        }
        for service in ServiceName::ALL {
            if service == ServiceName::Orchestrator && self.config.mode == SagaMode::Choreography {
                continue;
            }
            self.step_service(service);
        }
        self.step_projections();
    }

    /// Runs `ticks` steps.
    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.step();
        }
    }

    fn step_service(&mut self, service: ServiceName) {
        let up = self.is_up(service);
        let rt = self.runtimes.get_mut(&service).expect("runtime");
        if !up {
            if rt.was_up {
                rt.was_up = false;
                // Work in flight is lost; its records are not committed.
                for c in rt.cursors.values_mut() {
                    c.in_flight = None;
                }
                self.trace.push(T::ServiceDown {
                    tick: self.now,
                    service,
                });
            }
            return;
        }
        if !rt.was_up {
            rt.was_up = true;
            self.trace.push(T::ServiceUp {
                tick: self.now,
                service,
            });
        }
        if self.config.outbox {
            self.relay_outbox(service);
            if !self.is_up(service) {
                return;
            }
        }
        let keys: Vec<(String, u32)> = self.runtimes[&service].cursors.keys().cloned().collect();
        for key in keys {
            self.step_cursor(service, &key);
            if !self.is_up(service) {
                return;
            }
        }
        self.fire_timers(service);
    }

    fn relay_outbox(&mut self, service: ServiceName) {
        let pending: Vec<(u64, Envelope)> = self.runtimes[&service]
            .outbox
            .pending()
            .map(|e| (e.sequence, e.envelope.clone()))
            .collect();
        for (sequence, envelope) in pending {
            let event_id = envelope.meta.event_id;
            self.produce(envelope);
            let rt = self.runtimes.get_mut(&service).expect("runtime");
            rt.outbox.record_send(sequence);
            rt.relay_sends += 1;
            let sends = rt.relay_sends;
            let crash = self
                .faults
                .relay_crashes
                .iter()
                .any(|c| c.service == service && c.nth == sends);
            if crash {
                self.trace.push(T::RelayCrashed {
                    tick: self.now,
                    service,
                    event_id,
                });
                // The relay restarts on the next tick and sends the unmarked entry again.
                return;
            }
            rt.outbox.mark_published(sequence, self.now);
            let publish_count = rt.outbox.entries()[sequence as usize].publish_count;
            self.trace.push(T::OutboxRelayed {
                tick: self.now,
                service,
                event_id,
                publish_count,
            });
        }
    }

    fn step_cursor(&mut self, service: ServiceName, key: &(String, u32)) {
        // Bounded: at most this many records per partition per tick (skips included).
        for _ in 0..256 {
            if !self.is_up(service) {
                return;
            }
            let cursor = self.runtimes[&service].cursors[key].clone();
            if let Some((offset, complete_at)) = cursor.in_flight {
                if complete_at > self.now {
                    return;
                }
                self.complete(service, key, offset);
                continue;
            }
            if self.now < cursor.not_before {
                return;
            }
            let Some(record) =
                self.topics[&key.0].partitions[key.1 as usize].get(cursor.committed.0 as usize)
            else {
                return;
            };
            let handled =
                call_target(service, self.config.mode, &record.envelope.message).is_some();
            let c = self
                .runtimes
                .get_mut(&service)
                .expect("runtime")
                .cursors
                .get_mut(key)
                .expect("cursor");
            if !handled {
                // Not for this service: consumed and committed at once.
                c.committed = Offset(c.committed.0 + 1);
                continue;
            }
            let ticks = self
                .config
                .processing_ticks
                .get(&service)
                .copied()
                .unwrap_or(1)
                + self.faults.extra_ticks(service, self.now);
            c.in_flight = Some((cursor.committed, Tick(self.now.0 + ticks)));
            if ticks > 0 {
                return;
            }
        }
    }

    fn commit(&mut self, service: ServiceName, key: &(String, u32)) {
        let c = self
            .runtimes
            .get_mut(&service)
            .expect("runtime")
            .cursors
            .get_mut(key)
            .expect("cursor");
        c.committed = Offset(c.committed.0 + 1);
        c.failed_attempts = 0;
        c.in_flight = None;
    }

    /// Finishes handling the record at `offset`: inbox, faults, handler, publish, commit.
    fn complete(&mut self, service: ServiceName, key: &(String, u32), offset: Offset) {
        let record = self.topics[&key.0].partitions[key.1 as usize][offset.0 as usize].clone();
        // Handlers get the record as written: the Order service stores version 1 events as
        // they came and upcasts when it reads its stream.
        let envelope = record.envelope.clone();
        let event_id = envelope.meta.event_id;
        let partition = PartitionId(key.1);
        let name = envelope.message.name().to_string();
        {
            let c = self
                .runtimes
                .get_mut(&service)
                .expect("runtime")
                .cursors
                .get_mut(key)
                .expect("cursor");
            c.in_flight = None;
        }
        if self.config.inbox
            && self.runtimes[&service]
                .inbox
                .contains(service.group(), event_id)
        {
            self.trace.push(T::DuplicateAbsorbed {
                tick: self.now,
                service,
                event_id,
                message: name,
            });
            self.commit(service, key);
            return;
        }
        let target = call_target(service, self.config.mode, &envelope.message)
            .expect("only handled records are put in flight");
        let fault = match target {
            CallTarget::Other => None,
            t => self.faults.decide(t, self.now, &mut self.rng),
        };
        let is_compensation = matches!(target, CallTarget::Compensation(_));
        let error = match fault {
            Some(FaultEffect::Error) => Some("injected error"),
            Some(FaultEffect::Decline) if is_compensation => Some("injected compensation failure"),
            _ => None,
        };
        if let Some(error) = error {
            let c = self
                .runtimes
                .get_mut(&service)
                .expect("runtime")
                .cursors
                .get_mut(key)
                .expect("cursor");
            c.failed_attempts += 1;
            let failed = c.failed_attempts;
            let decision = if is_compensation {
                self.config
                    .retry
                    .after_failure_never_give_up(failed, self.now)
            } else {
                self.config.retry.after_failure(failed, self.now)
            };
            match decision {
                RetryDecision::RetryAt { at, .. } => {
                    c.not_before = at;
                    self.trace.push(T::RetryScheduled {
                        tick: self.now,
                        service,
                        topic: key.0.clone(),
                        partition,
                        offset,
                        failed_attempt: failed,
                        retry_at: at,
                        error: error.to_string(),
                    });
                }
                RetryDecision::DeadLetter { attempts } => {
                    let dlq = topics::dead_letter_topic(&key.0);
                    self.dead_letters.get_mut(&dlq).expect("dlq")[key.1 as usize].push(
                        DeadLetter {
                            source_topic: key.0.clone(),
                            source_partition: partition,
                            source_offset: offset,
                            key: record.key.clone(),
                            original: record.envelope.clone(),
                            error: error.to_string(),
                            attempts,
                            dead_lettered_at: self.now,
                        },
                    );
                    self.trace.push(T::DeadLettered {
                        tick: self.now,
                        service,
                        topic: key.0.clone(),
                        dead_letter_topic: dlq,
                        partition,
                        offset,
                        attempts,
                        error: error.to_string(),
                    });
                    self.commit(service, key);
                }
            }
            return;
        }
        let mut injected = match fault {
            Some(FaultEffect::Decline) => Injected::Decline {
                reason: declined_reason(target),
            },
            _ => Injected::Nothing,
        };
        if service == ServiceName::Order
            && matches!(envelope.message, SagaMessage::PaymentProcessed { .. })
        {
            let order = &envelope.message.order_id().0;
            if let Some(i) = self
                .faults
                .concurrent_writers
                .iter()
                .position(|o| o == order)
            {
                self.faults.concurrent_writers.remove(i);
                injected = Injected::ConcurrentWriter;
            }
        }
        let attempt = self.runtimes[&service].cursors[key].failed_attempts + 1;
        let publish = self.dispatch(service, &envelope, &injected);
        self.trace.push(T::Processed {
            tick: self.now,
            service,
            topic: key.0.clone(),
            partition,
            offset,
            event_id,
            message: name.clone(),
            attempt,
        });
        let rt = self.runtimes.get_mut(&service).expect("runtime");
        if self.config.inbox {
            rt.inbox.mark(service.group(), event_id);
        }
        let count = {
            let n = rt.handled.entry(name.clone()).or_insert(0);
            *n += 1;
            *n
        };
        let crash = self
            .faults
            .crashes
            .iter()
            .find(|c| c.service == service && c.message == name && c.nth == count)
            .cloned();
        let outgoing: Vec<Envelope> = publish
            .into_iter()
            .map(|message| Envelope {
                meta: EventMeta {
                    event_id: self.new_event_id(),
                    correlation_id: envelope.meta.correlation_id.clone(),
                    causation_id: Some(event_id),
                    schema_version: 2,
                },
                message,
            })
            .collect();
        if let Some(crash) = &crash {
            if crash.point == CrashPoint::AfterStateChange {
                if self.config.outbox {
                    self.write_outbox(service, outgoing);
                } else {
                    for e in outgoing {
                        self.trace.push(T::EventLost {
                            tick: self.now,
                            service,
                            event_id: e.meta.event_id,
                            message: e.message.name().to_string(),
                        });
                    }
                }
                self.crash(service, &name, crash.down_ticks);
                return;
            }
        }
        self.emit(service, outgoing);
        if let Some(crash) = crash {
            self.crash(service, &name, crash.down_ticks);
            return;
        }
        self.commit(service, key);
    }

    fn crash(&mut self, service: ServiceName, while_handling: &str, down_ticks: u64) {
        let down_until = Tick(self.now.0 + down_ticks.max(1));
        let rt = self.runtimes.get_mut(&service).expect("runtime");
        rt.crashed_until = Some(down_until);
        for c in rt.cursors.values_mut() {
            c.in_flight = None;
        }
        rt.was_up = false;
        self.trace.push(T::ServiceCrashed {
            tick: self.now,
            service,
            while_handling: while_handling.to_string(),
            down_until,
        });
    }

    fn write_outbox(&mut self, service: ServiceName, outgoing: Vec<Envelope>) {
        for e in outgoing {
            self.trace.push(T::OutboxWritten {
                tick: self.now,
                service,
                event_id: e.meta.event_id,
                message: e.message.name().to_string(),
            });
            let key = e.message.order_id().0.clone();
            self.runtimes
                .get_mut(&service)
                .expect("runtime")
                .outbox
                .write(key, e, self.now);
        }
    }

    /// Publishes directly, or through the outbox when it is on.
    fn emit(&mut self, service: ServiceName, outgoing: Vec<Envelope>) {
        if self.config.outbox {
            self.write_outbox(service, outgoing);
        } else {
            for e in outgoing {
                self.produce(e);
            }
        }
    }

    fn fire_timers(&mut self, service: ServiceName) {
        let publish: Vec<SagaMessage> = match (service, self.config.mode) {
            (ServiceName::Orchestrator, SagaMode::Orchestration) => {
                let r = self.services.orchestrator.tick(self.now);
                self.record_orchestrator_notes(r.notes);
                r.commands
            }
            (ServiceName::Order, SagaMode::Choreography) => {
                let r = self.services.order.tick(self.now);
                self.record_notes(service, r.notes);
                r.publish
            }
            (ServiceName::Shipping, _) => self.services.shipping.tick(self.now).publish,
            _ => return,
        };
        let outgoing: Vec<Envelope> = publish
            .into_iter()
            .map(|message| Envelope {
                meta: EventMeta {
                    event_id: self.new_event_id(),
                    correlation_id: CorrelationId(message.order_id().0.clone()),
                    causation_id: None,
                    schema_version: 2,
                },
                message,
            })
            .collect();
        self.emit(service, outgoing);
    }

    /// Calls the service's handler and records its notes as trace events.
    fn dispatch(
        &mut self,
        service: ServiceName,
        envelope: &Envelope,
        injected: &Injected,
    ) -> Vec<SagaMessage> {
        let (publish, trace) = react(
            &mut self.services,
            service,
            self.now,
            self.config.mode,
            envelope,
            injected,
        );
        self.trace.extend(trace);
        publish
    }

    fn record_notes(&mut self, service: ServiceName, notes: Vec<ServiceNote>) {
        self.trace.extend(service_notes(self.now, service, notes));
    }

    fn record_orchestrator_notes(&mut self, notes: Vec<OrchestratorNote>) {
        self.trace.extend(orchestrator_notes(self.now, notes));
    }

    /// Follows a choreographed saga from the events on the events topic.
    fn observe_choreography(&mut self, envelope: &Envelope) {
        if self.config.mode != SagaMode::Choreography {
            return;
        }
        let notes = observe_choreography(&mut self.choreography, self.now, &envelope.message);
        self.trace.extend(notes);
    }

    fn step_projections(&mut self) {
        let events = &self.topics[topics::ORDER_EVENTS];
        for p in &mut self.projections {
            if self.now < p.next_at {
                continue;
            }
            // Read one record: the partition with the oldest unread record (by tick, then
            // partition), like a consumer round-robining its fetches.
            let next = p
                .cursors
                .iter()
                .enumerate()
                .filter_map(|(i, off)| {
                    events.partitions[i]
                        .get(off.0 as usize)
                        .map(|r| (r.tick, i))
                })
                .min();
            let Some((_, i)) = next else {
                continue;
            };
            let record = &events.partitions[i][p.cursors[i].0 as usize];
            p.model.apply(&upcast(record.envelope.clone()));
            p.cursors[i] = Offset(p.cursors[i].0 + 1);
            p.records_applied += 1;
            p.next_at = Tick(self.now.0 + self.config.projection_ticks_per_record.max(1));
            let lag: u64 = p
                .cursors
                .iter()
                .enumerate()
                .map(|(i, off)| events.partitions[i].len() as u64 - off.0)
                .sum();
            self.trace.push(T::ProjectionUpdated {
                tick: self.now,
                projection: p.kind,
                event_id: record.envelope.meta.event_id,
                lag: Some(lag),
            });
        }
    }

    /// How many records of the events topic a projection has not read yet.
    pub fn projection_lag(&self, kind: ProjectionKind) -> u64 {
        let events = &self.topics[topics::ORDER_EVENTS];
        self.projections
            .iter()
            .find(|p| p.kind == kind)
            .map_or(0, |p| {
                p.cursors
                    .iter()
                    .enumerate()
                    .map(|(i, off)| events.partitions[i].len() as u64 - off.0)
                    .sum()
            })
    }

    /// Replays the records a projection has read so far into a fresh model.
    pub fn replay_projection(&self, kind: ProjectionKind) -> ReadModel {
        let events = &self.topics[topics::ORDER_EVENTS];
        let p = self
            .projections
            .iter()
            .find(|p| p.kind == kind)
            .expect("every kind has a projection");
        let replayed = p.cursors.iter().enumerate().flat_map(|(i, off)| {
            events.partitions[i][..off.0 as usize]
                .iter()
                .map(|r| upcast(r.envelope.clone()))
        });
        let envelopes: Vec<Envelope> = replayed.collect();
        ReadModel::rebuild(kind, &envelopes)
    }

    /// Rebuilds a projection from scratch by replaying the whole events topic, replacing
    /// the incremental model. Returns whether the replay equalled the incremental model
    /// (compared over the same records).
    pub fn rebuild_projection(&mut self, kind: ProjectionKind) -> bool {
        let same_records = self.replay_projection(kind);
        let events = &self.topics[topics::ORDER_EVENTS];
        let all: Vec<Envelope> = events
            .records()
            .map(|(_, r)| upcast(r.envelope.clone()))
            .collect();
        let ends: Vec<Offset> = (0..events.partitions.len())
            .map(|i| events.high_watermark(PartitionId(i as u32)))
            .collect();
        let p = self
            .projections
            .iter_mut()
            .find(|p| p.kind == kind)
            .expect("projection");
        let equal = same_records == p.model;
        p.model = ReadModel::rebuild(kind, &all);
        p.cursors = ends;
        p.records_applied = all.len() as u64;
        self.trace.push(T::ProjectionRebuilt {
            tick: self.now,
            projection: kind,
            records_replayed: all.len() as u64,
            equal_to_incremental: equal,
        });
        equal
    }

    /// Every record caused by one order, across all topics, in causal (event id) order.
    pub fn order_path(&self, order_id: &OrderId) -> Vec<PathEntry> {
        let mut path: Vec<PathEntry> = self
            .topics
            .values()
            .flat_map(|t| {
                t.records()
                    .filter(|(_, r)| r.envelope.meta.correlation_id.0 == order_id.0)
                    .map(|(p, r)| PathEntry {
                        event_id: r.envelope.meta.event_id,
                        causation_id: r.envelope.meta.causation_id,
                        topic: t.name.clone(),
                        partition: p,
                        offset: r.offset,
                        tick: r.tick,
                        message: r.envelope.message.name().to_string(),
                    })
            })
            .collect();
        path.sort_by_key(|e| (e.event_id, e.topic.clone(), e.offset));
        path
    }

    /// True when nothing more can happen without new input: every cursor is at the end of
    /// its partition with nothing in flight, every outbox is relayed, every saga is final,
    /// and projections have caught up.
    pub fn is_quiescent(&self) -> bool {
        let mode = self.config.mode;
        let consumers_done = self.runtimes.iter().all(|(s, rt)| {
            (*s == ServiceName::Orchestrator && mode == SagaMode::Choreography)
                || (rt.outbox.pending_len() == 0
                    && rt.cursors.iter().all(|((t, p), c)| {
                        c.in_flight.is_none()
                            && c.committed.0 as usize
                                == self.topics[t].partitions[*p as usize].len()
                    }))
        });
        consumers_done
            && self.services.shipping.deliveries.is_empty()
            && self.pending_orders.is_empty()
            && self.pending_resubmits.is_empty()
            && self.summaries().iter().all(|s| s.state.is_final())
            && ProjectionKind::ALL
                .iter()
                .all(|k| self.projection_lag(*k) == 0)
    }

    /// Per saga: final state, executed steps and compensations, in order.
    pub fn summaries(&self) -> Vec<SagaSummary> {
        summaries_of(self.config.mode, &self.services, &self.choreography)
    }

    /// The services' balances: stock, money, orders, notifications, dead letters.
    pub fn balances(&self) -> Balances {
        let dead_letters = self
            .dead_letters
            .iter()
            .map(|(t, parts)| (t.clone(), parts.iter().map(Vec::len).sum::<usize>() as u64))
            .filter(|(_, n)| *n > 0)
            .collect();
        balances_of(&self.services, dead_letters)
    }

    /// The run's summary (what `orderflow-cli run --summary` prints).
    pub fn summary(&self) -> SagaRunSummary {
        SagaRunSummary {
            seed: self.seed,
            tick: self.now,
            mode: self.config.mode,
            inbox: self.config.inbox,
            outbox: self.config.outbox,
            sagas: self.summaries(),
            balances: self.balances(),
            end_offsets: self
                .topics
                .iter()
                .map(|(n, t)| {
                    (
                        n.clone(),
                        t.partitions.iter().map(|p| p.len() as u64).collect(),
                    )
                })
                .collect(),
            projection_lag: ProjectionKind::ALL
                .iter()
                .map(|k| (*k, self.projection_lag(*k)))
                .collect(),
            invariant_violations: self.check_invariants(),
            engine: None,
        }
    }

    /// Checks the saga invariants against the current state; returns what is violated.
    /// Meant for a quiescent system (see [`is_quiescent`](Self::is_quiescent)); the stock
    /// checks hold at every tick.
    pub fn check_invariants(&self) -> Vec<String> {
        let mut v = check_services(
            self.config.mode,
            self.config.inbox,
            &self.services,
            &self.summaries(),
        );
        if self.config.outbox {
            let published: std::collections::BTreeSet<EventId> = self
                .topics
                .values()
                .flat_map(|t| t.records().map(|(_, r)| r.envelope.meta.event_id))
                .collect();
            for (service, rt) in &self.runtimes {
                for e in rt.outbox.entries() {
                    if !published.contains(&e.envelope.meta.event_id) {
                        v.push(format!(
                            "{service}: state change with unpublished event {} ({})",
                            e.envelope.meta.event_id,
                            e.envelope.message.name()
                        ));
                    }
                }
            }
            if self.trace.iter().any(|e| matches!(e, T::EventLost { .. })) {
                v.push("an event was lost although the outbox is on".into());
            }
        }
        let dead_lettered = self
            .trace
            .iter()
            .filter(|e| matches!(e, T::DeadLettered { .. }))
            .count();
        let held: usize = self.dead_letters.values().flatten().map(Vec::len).sum();
        if dead_lettered != held {
            v.push(format!(
                "{dead_lettered} records were dead-lettered but the DLQs hold {held}"
            ));
        }
        for kind in ProjectionKind::ALL {
            let p = self
                .projections
                .iter()
                .find(|p| p.kind == kind)
                .expect("projection");
            if self.replay_projection(kind) != p.model {
                v.push(format!("projection {kind:?} differs from its replay"));
            }
        }
        v
    }
}

/// Calls `service`'s handler on `envelope`: what to publish, and the trace events.
pub(crate) fn react(
    services: &mut Services,
    service: ServiceName,
    now: Tick,
    mode: SagaMode,
    envelope: &Envelope,
    injected: &Injected,
) -> (Vec<SagaMessage>, Vec<T>) {
    let mut trace = Vec::new();
    {
        let before_status = if service == ServiceName::Order {
            services.order.status(envelope.message.order_id())
        } else {
            None
        };
        let reaction: Reaction = match service {
            ServiceName::Order => services.order.handle(now, mode, envelope, injected),
            ServiceName::Inventory => services.inventory.handle(now, mode, envelope, injected),
            ServiceName::Payment => services.payment.handle(now, mode, envelope, injected),
            ServiceName::Shipping => services.shipping.handle(now, mode, envelope, injected),
            ServiceName::Notification => {
                services.notification.handle(now, mode, envelope, injected)
            }
            ServiceName::Analytics => services.analytics.handle(now, mode, envelope, injected),
            ServiceName::Orchestrator => {
                let r = services.orchestrator.handle(now, envelope);
                return (r.commands, orchestrator_notes(now, r.notes));
            }
        };
        if service == ServiceName::Order {
            let order_id = envelope.message.order_id();
            let after = services.order.status(order_id);
            if after != before_status {
                if let Some(status) = after {
                    trace.push(T::OrderStatusChanged {
                        tick: now,
                        order_id: order_id.clone(),
                        status,
                    });
                }
            }
        }
        trace.extend(service_notes(now, service, reaction.notes));
        (reaction.publish, trace)
    }
}

/// Trace events for a service's notes.
pub(crate) fn service_notes(tick: Tick, service: ServiceName, notes: Vec<ServiceNote>) -> Vec<T> {
    notes
        .into_iter()
        .map(|n| match n {
            ServiceNote::ConcurrencyConflict {
                order_id,
                expected_version,
                actual_version,
            } => T::ConcurrencyConflict {
                tick,
                order_id,
                expected_version,
                actual_version,
            },
            ServiceNote::SnapshotTaken { order_id, version } => T::SnapshotTaken {
                tick,
                order_id,
                version,
            },
            ServiceNote::Refused { order_id, reason } => T::MessageRefused {
                tick,
                service,
                order_id,
                reason,
            },
            ServiceNote::Charged {
                order_id,
                amount_cents,
            } => T::Charged {
                tick,
                order_id,
                amount_cents,
            },
            ServiceNote::Refunded {
                order_id,
                amount_cents,
            } => T::Refunded {
                tick,
                order_id,
                amount_cents,
            },
        })
        .collect()
}

/// Trace events for the orchestrator's notes.
pub(crate) fn orchestrator_notes(tick: Tick, notes: Vec<OrchestratorNote>) -> Vec<T> {
    notes
        .into_iter()
        .map(|n| match n {
            OrchestratorNote::StepStarted { order_id, step } => T::StepStarted {
                tick,
                order_id,
                step,
            },
            OrchestratorNote::StepSucceeded { order_id, step } => T::StepSucceeded {
                tick,
                order_id,
                step,
            },
            OrchestratorNote::StepFailed {
                order_id,
                step,
                reason,
            } => T::StepFailed {
                tick,
                order_id,
                step,
                reason,
            },
            OrchestratorNote::StepTimedOut { order_id, step } => T::StepTimedOut {
                tick,
                order_id,
                step,
            },
            OrchestratorNote::CompensationStarted {
                order_id,
                compensation,
            } => T::CompensationStarted {
                tick,
                order_id,
                compensation,
            },
            OrchestratorNote::CompensationDone {
                order_id,
                compensation,
            } => T::CompensationDone {
                tick,
                order_id,
                compensation,
            },
            OrchestratorNote::SagaCompleted { order_id } => T::SagaCompleted { tick, order_id },
            OrchestratorNote::SagaFailed { order_id, reason } => T::SagaFailed {
                tick,
                order_id,
                reason,
            },
            OrchestratorNote::TransitionRefused { error } => T::TransitionRefused { tick, error },
        })
        .collect()
}

/// Folds one event of the events topic into the choreographed saga view of its order;
/// returns the trace events it implies. A choreographed saga has no log of its own: what
/// happened is what the services published.
pub(crate) fn observe_choreography(
    views: &mut BTreeMap<OrderId, ChoreographyView>,
    tick: Tick,
    message: &SagaMessage,
) -> Vec<T> {
    {
        use SagaMessage as M;
        let order_id = message.order_id().clone();
        let view = views.entry(order_id.clone()).or_insert(ChoreographyView {
            state: SagaState::Pending,
            executed_steps: Vec::new(),
            compensations_done: Vec::new(),
            acknowledged: Vec::new(),
            failure: None,
            finished_at: None,
        });
        let mut notes = Vec::new();
        let compensating = matches!(view.state, SagaState::Compensating | SagaState::Failed);
        let mut step_done = |view: &mut ChoreographyView, step: SagaStep, next: SagaState| {
            if !view.executed_steps.contains(&step) {
                view.executed_steps.push(step);
                notes.push(T::StepSucceeded {
                    tick,
                    order_id: order_id.clone(),
                    step,
                });
            }
            if !compensating && !view.state.is_final() {
                view.state = next;
            }
        };
        match message {
            M::OrderCreated { .. } => {
                step_done(view, SagaStep::CreateOrder, SagaState::ReservingInventory)
            }
            M::InventoryReserved { .. } => step_done(
                view,
                SagaStep::ReserveInventory,
                SagaState::ProcessingPayment,
            ),
            M::PaymentProcessed { .. } => {
                step_done(view, SagaStep::ProcessPayment, SagaState::Shipping)
            }
            M::OrderShipped { .. } => step_done(view, SagaStep::ShipOrder, SagaState::Completed),
            M::InventoryReservationFailed { reason, .. }
            | M::PaymentFailed { reason, .. }
            | M::ShippingFailed { reason, .. } => {
                let step = match message {
                    M::InventoryReservationFailed { .. } => SagaStep::ReserveInventory,
                    M::PaymentFailed { .. } => SagaStep::ProcessPayment,
                    _ => SagaStep::ShipOrder,
                };
                if view.failure.is_none() {
                    view.failure = Some(format!("{step:?} failed: {reason}"));
                }
                notes.push(T::StepFailed {
                    tick,
                    order_id: order_id.clone(),
                    step,
                    reason: reason.clone(),
                });
            }
            M::OrderCancelled { reason, .. } => {
                if view.failure.is_none() {
                    view.failure = Some(reason.clone());
                }
                view.state = SagaState::Compensating;
                view.compensations_done.push(Compensation::CancelOrder);
                notes.push(T::CompensationDone {
                    tick,
                    order_id: order_id.clone(),
                    compensation: Compensation::CancelOrder,
                });
            }
            M::InventoryReleased { .. }
            | M::PaymentRefunded { .. }
            | M::ShipmentCancelled { .. } => {
                let (c, undid_something) = match message {
                    // Inventory reserves (OrderCreated) before it sees OrderCancelled in the
                    // same partition, so a reservation it released was already announced.
                    M::InventoryReleased { .. } => (
                        Compensation::ReleaseInventory,
                        view.executed_steps.contains(&SagaStep::ReserveInventory),
                    ),
                    M::PaymentRefunded { amount_cents, .. } => {
                        (Compensation::RefundPayment, *amount_cents > 0)
                    }
                    M::ShipmentCancelled { recalled, .. } => {
                        (Compensation::CancelShipment, *recalled)
                    }
                    _ => unreachable!("matched above"),
                };
                if !view.acknowledged.contains(&c) {
                    view.acknowledged.push(c);
                    if undid_something {
                        view.compensations_done.push(c);
                        notes.push(T::CompensationDone {
                            tick,
                            order_id: order_id.clone(),
                            compensation: c,
                        });
                    }
                }
            }
            _ => {}
        }
        // Finished when cancelled and every compensating service has answered.
        if view.state == SagaState::Compensating {
            let pending = [
                Compensation::ReleaseInventory,
                Compensation::RefundPayment,
                Compensation::CancelShipment,
            ]
            .iter()
            .any(|c| !view.acknowledged.contains(c));
            if !pending {
                view.state = SagaState::Failed;
                view.finished_at = Some(tick);
                notes.push(T::SagaFailed {
                    tick,
                    order_id: order_id.clone(),
                    reason: view.failure.clone().unwrap_or_default(),
                });
            }
        } else if view.state == SagaState::Completed && view.finished_at.is_none() {
            view.finished_at = Some(tick);
            notes.push(T::SagaCompleted {
                tick,
                order_id: order_id.clone(),
            });
        }
        notes
    }
}

/// The invariants that hold between sagas and service state once everything settled:
/// stock conserved; completed sagas shipped and charged, failed ones cancelled with nothing
/// left charged, reserved or shipped; exactly the completed steps compensated, in reverse
/// order (orchestration); money conserved when the inbox is on. Returns what is violated.
pub fn check_services(
    mode: SagaMode,
    inbox: bool,
    services: &Services,
    summaries: &[SagaSummary],
) -> Vec<String> {
    let mut v = Vec::new();
    let inv = &services.inventory;
    // Stock conserved and never negative (u64 cannot be; an underflow would panic).
    for (product, initial) in &inv.initial {
        let s = inv.stock.get(product).copied().unwrap_or_default();
        if s.total() != *initial {
            v.push(format!(
                    "stock of {product} not conserved: initial {initial}, available {} + reserved {} + shipped {}",
                    s.available, s.reserved, s.shipped
                ));
        }
    }
    let mut completed_total: u64 = 0;
    for s in summaries {
        let total = services
            .order
            .store
            .load(&s.order_id)
            .map_or(0, |r| r.state.total_cents);
        match s.state {
            SagaState::Completed => {
                completed_total += total;
                if !matches!(
                    services.order.status(&s.order_id),
                    Some(OrderStatus::Shipped | OrderStatus::Delivered)
                ) {
                    v.push(format!(
                        "saga {} completed but the order is not Shipped or Delivered",
                        s.order_id
                    ));
                }
            }
            SagaState::Failed => {
                if services.order.status(&s.order_id) != Some(OrderStatus::Cancelled) {
                    v.push(format!(
                        "saga {} failed but the order is not Cancelled",
                        s.order_id
                    ));
                }
                if inbox && services.payment.net_for_order(&s.order_id) != 0 {
                    v.push(format!(
                        "saga {} failed but {} cents stay charged",
                        s.order_id,
                        services.payment.net_for_order(&s.order_id)
                    ));
                }
                if let Some(r) = inv.reservations.get(&s.order_id) {
                    use super::services::ReservationState as R;
                    if matches!(r.state, R::Reserved | R::Shipped) {
                        v.push(format!(
                            "saga {} failed but its stock is still {:?}",
                            s.order_id, r.state
                        ));
                    }
                }
                if let Some(ShipmentState::Shipped { .. } | ShipmentState::Delivered { .. }) =
                    services.shipping.shipments.get(&s.order_id)
                {
                    v.push(format!(
                        "saga {} failed but its shipment is out",
                        s.order_id
                    ));
                }
                if mode == SagaMode::Orchestration {
                    // Exactly the completed (or timed-out) steps, in reverse order.
                    let mut expected = Vec::new();
                    for e in &s.log {
                        match &e.event {
                            SagaLogEvent::Started => expected.push(Compensation::CancelOrder),
                            SagaLogEvent::StepSucceeded { step }
                                if *step != SagaStep::ShipOrder =>
                            {
                                expected.push(step.compensation())
                            }
                            SagaLogEvent::StepTimedOut { step } => {
                                expected.push(step.compensation())
                            }
                            _ => {}
                        }
                    }
                    expected.reverse();
                    if expected != s.compensations {
                        v.push(format!(
                            "saga {} compensated {:?}, expected {:?}",
                            s.order_id, s.compensations, expected
                        ));
                    }
                }
            }
            state => v.push(format!("saga {} is not final: {state}", s.order_id)),
        }
    }
    if inbox {
        let p = &services.payment;
        let net = i128::from(p.charged_cents()) - i128::from(p.refunded_cents());
        if net != i128::from(completed_total) {
            v.push(format!(
                "money not conserved: charged {} - refunded {} != {} of completed orders",
                p.charged_cents(),
                p.refunded_cents(),
                completed_total
            ));
        }
    }
    v
}

/// Per saga (every order the Order service knows): state, executed steps, compensations.
pub fn summaries_of(
    mode: SagaMode,
    services: &Services,
    choreography: &BTreeMap<OrderId, ChoreographyView>,
) -> Vec<SagaSummary> {
    let placed: Vec<OrderId> = services.order.store.order_ids().cloned().collect();
    placed
        .into_iter()
        .map(|order_id| match mode {
            SagaMode::Orchestration => match services.orchestrator.sagas.get(&order_id) {
                Some(saga) => SagaSummary {
                    order_id,
                    state: saga.status.state,
                    executed_steps: saga.status.executed_steps.clone(),
                    compensations: saga.status.compensations_done.clone(),
                    failure: saga.status.failure.clone(),
                    finished_at: saga.finished_at,
                    log: saga.log.clone(),
                },
                None => SagaSummary::pending(order_id),
            },
            SagaMode::Choreography => match choreography.get(&order_id) {
                Some(v) => SagaSummary {
                    order_id,
                    state: v.state,
                    executed_steps: v.executed_steps.clone(),
                    compensations: v.compensations_done.clone(),
                    failure: v.failure.clone(),
                    finished_at: v.finished_at,
                    log: Vec::new(),
                },
                None => SagaSummary::pending(order_id),
            },
        })
        .collect()
}

/// The services' balances.
pub fn balances_of(services: &Services, dead_letters: BTreeMap<String, u64>) -> Balances {
    let mut orders_by_status = BTreeMap::new();
    for status in services.order.statuses().values() {
        *orders_by_status.entry(*status).or_insert(0) += 1;
    }
    Balances {
        stock: services.inventory.stock.clone(),
        charged_cents: services.payment.charged_cents(),
        refunded_cents: services.payment.refunded_cents(),
        charges: services.payment.charges.len() as u64,
        by_customer: services
            .payment
            .balances()
            .into_iter()
            .map(|(c, b)| (c.0, b as i64))
            .collect(),
        orders_by_status,
        notifications_sent: services.notification.sent.len() as u64,
        dead_letters,
    }
}

/// The failure reason of an injected decline, named after the step (the same in both saga
/// styles, whatever message carried the call).
pub(crate) fn declined_reason(target: CallTarget) -> String {
    match target {
        CallTarget::Step(step) => format!("{step:?} declined (injected)"),
        CallTarget::Compensation(c) => format!("{c:?} failed (injected)"),
        CallTarget::Other => "declined (injected)".to_string(),
    }
}

/// One record on an order's path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathEntry {
    /// The event id (record header).
    pub event_id: EventId,
    /// The event that caused this one, if any.
    pub causation_id: Option<EventId>,
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: PartitionId,
    /// The record's offset in its partition.
    pub offset: Offset,
    /// The tick it happened at.
    pub tick: Tick,
    /// The message's type name.
    pub message: String,
}

/// One saga's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaSummary {
    /// The order.
    pub order_id: OrderId,
    /// The saga's state.
    pub state: SagaState,
    /// The steps that succeeded, in order.
    pub executed_steps: Vec<SagaStep>,
    /// The compensations that undid something, in order.
    pub compensations: Vec<Compensation>,
    /// Why the saga failed, if it did.
    pub failure: Option<String>,
    /// The tick the saga ended, if it has.
    pub finished_at: Option<Tick>,
    /// The saga log (orchestration only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub log: Vec<SagaLogEntry>,
}

impl SagaSummary {
    fn pending(order_id: OrderId) -> Self {
        Self {
            order_id,
            state: SagaState::Pending,
            executed_steps: Vec::new(),
            compensations: Vec::new(),
            failure: None,
            finished_at: None,
            log: Vec::new(),
        }
    }
}

/// The services' balances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    /// Stock per product.
    pub stock: BTreeMap<ProductId, Stock>,
    /// Everything charged, in cents.
    pub charged_cents: u64,
    /// Everything refunded, in cents.
    pub refunded_cents: u64,
    /// Number of charges (a double charge shows here).
    pub charges: u64,
    /// Charged minus refunded per customer.
    pub by_customer: BTreeMap<String, i64>,
    /// Orders per status.
    pub orders_by_status: BTreeMap<OrderStatus, u64>,
    /// Notifications sent.
    pub notifications_sent: u64,
    /// Records per non-empty dead-letter topic.
    pub dead_letters: BTreeMap<String, u64>,
}

/// The final state of a saga run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaRunSummary {
    /// The seed all randomness derives from.
    pub seed: u64,
    /// The tick it happened at.
    pub tick: Tick,
    /// Orchestrated or choreographed.
    pub mode: SagaMode,
    /// Whether the inbox (idempotent consumers) was on.
    pub inbox: bool,
    /// Whether the transactional outbox was on.
    pub outbox: bool,
    /// Per saga, its outcome.
    pub sagas: Vec<SagaSummary>,
    /// The services' balances.
    pub balances: Balances,
    /// End offset per partition, per topic.
    pub end_offsets: BTreeMap<String, Vec<u64>>,
    /// Per projection, records of the events topic not applied yet.
    pub projection_lag: BTreeMap<ProjectionKind, u64>,
    /// What the invariant checks found (empty once a run settled cleanly).
    pub invariant_violations: Vec<String>,
    /// On consumer groups: the streaming engine's own summary (groups, lag, counters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<serde_json::Value>,
}
