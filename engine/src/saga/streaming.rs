//! The order saga on the streaming engine: every service is a consumer group of a
//! [`Sim`], every saga message a [`Payload::Saga`] record on a partition.
//!
//! Each service's handler runs as the group's [`Processor`], so the saga inherits everything
//! the streaming engine models: partition assignment, rebalances when a service's member is
//! killed or joins, commit policies, and redelivery of processed-but-uncommitted records
//! (which the inbox absorbs). Retries use the engine's blocking [`ProcessOutcome::Retry`]
//! on the retry schedule; a record that exhausts it is produced to `<topic>.DLQ` as a
//! [`Payload::SagaDeadLetter`].
//!
//! The services' state is shared between the processors and this driver (one
//! `Arc<Mutex<_>>`), because the orchestrator's step timeouts and the choreography's saga
//! deadlines fire on the clock, not on a record: [`StreamingSaga::step`] steps the `Sim` and
//! then fires them.
//!
//! The CQRS projections are consumer groups too, on the events topic; their lag is the
//! group's lag.
//!
//! Faults act through the engine:
//!
//! - **Outages** kill the service's member and start a new one when they end (the
//!   engine's session timeout and rebalance follow).
//! - **Crashes** ([`super::faults::Crash`]) happen inside the processor: the service's
//!   state changes (and its inbox is marked), then the processor returns
//!   [`ProcessOutcome::Crash`], so the group kills the member mid-record without committing.
//!   After the session timeout the group rebalances; a replacement member joins when the
//!   crash's `down_ticks` are over and gets the uncommitted records again (the inbox
//!   absorbs them). At [`CrashPoint::AfterStateChange`] without an outbox the events are
//!   lost ([`T::EventLost`]) and the saga waits for its timeout, then compensates.
//! - **Outbox** (`SagaConfig::outbox`): a service writes its events as outbox rows with its
//!   state change, each under an event id issued then
//!   ([`crate::process::Delivery::issue_event_id`]); after every engine step the relay of
//!   each running service publishes pending rows with
//!   [`Command::ProduceWithHeaders`], keeping the id. A relay crash
//!   ([`super::faults::RelayCrash`]) sends a row twice; the consumers' inboxes absorb the
//!   copy. With the outbox on, every row's event reaches a topic (an invariant).
//! - **Slowdowns** ([`super::faults::Slowdown`]) change the service group's processing time
//!   ([`Command::ConfigureGroup`]) while they last; `SagaConfig::processing_ticks` sets each
//!   group's own time. The group spends it on every record it consumes, including events it
//!   ignores, so a slow service's commands queue behind its events and steps time out.
//!
//! Not modelled here: the orchestrator's timeout commands and the choreography's deadline
//! cancellations are produced directly by the driver, not through an outbox (no crash
//! point sits between a timer and its publish).

use super::driver::{
    balances_of, check_services, observe_choreography, react, Balances, OrderRequest, SagaConfig,
    SagaSetup, SagaSimError, SagaSummary, Services,
};
use super::faults::{CrashPoint, FaultEffect, FaultPlan};
use super::inbox::Inbox;
use super::message::{topics, CorrelationId, Envelope, EventMeta, SagaMessage};
use super::orchestrator::Orchestrator;
use super::outbox::Outbox;
use super::projection::{ProjectionKind, ReadModel};
use super::retry::{DeadLetter, RetryDecision, RetrySchedule};
use super::services::{
    call_target, AnalyticsService, CallTarget, Injected, InventoryService, NotificationService,
    OrderService, PaymentService, SagaMode, ServiceName, ShippingService,
};
use super::trace::SagaTraceEvent as T;
use crate::group::GroupConfig;
use crate::ids::{EventId, MemberId, Offset, PartitionId, Tick};
use crate::log::{Headers, Payload};
use crate::partitioner::Partitioner;
use crate::process::{Delivery, OutgoingRecord, ProcessOutcome, Processor};
use crate::rng::SimRng;
use crate::sim::{Command, Sim, SimError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The state all saga processors share: the services (each service's "database"), their
/// inboxes, the fault plan and the saga trace.
#[derive(Debug)]
pub struct SagaWorld {
    /// Orchestrated or choreographed.
    pub mode: SagaMode,
    /// Whether the inbox (idempotent consumers) is on.
    pub inbox: bool,
    /// The retry schedule.
    pub retry: RetrySchedule,
    /// Every service's state.
    pub services: Services,
    /// Each service's inbox of processed event ids.
    pub inboxes: BTreeMap<ServiceName, Inbox>,
    /// The fault plan (with its rules' state).
    pub faults: FaultPlan,
    /// The saga trace so far.
    pub trace: Vec<T>,
    /// The CQRS read models and, per model, the next offset to apply per partition of the
    /// events topic (stored with the model, so a redelivered record is not applied twice).
    pub projections: BTreeMap<ProjectionKind, (ReadModel, Vec<Offset>)>,
    /// Transactional outbox on: services write their events to their outbox in the same
    /// step as their state change, and the driver's relay publishes them.
    pub outbox: bool,
    /// Each service's outbox table.
    pub outboxes: BTreeMap<ServiceName, Outbox>,
    /// Messages handled per service and message name (crash faults count these).
    pub handled: BTreeMap<ServiceName, BTreeMap<String, u32>>,
    /// Sends of each service's outbox relay (relay crash faults count these).
    pub relay_sends: BTreeMap<ServiceName, u32>,
    /// Crashes the processors reported and the driver has not acted on yet: the service,
    /// its member that died, and the tick its replacement starts.
    pub crashes: Vec<(ServiceName, MemberId, Tick)>,
}

fn lock(world: &Mutex<SagaWorld>) -> MutexGuard<'_, SagaWorld> {
    // A panic while holding the lock is a bug already reported; keep the state readable.
    world.lock().unwrap_or_else(|e| e.into_inner())
}

/// One service as a consumer group's processor.
#[derive(Debug)]
pub struct ServiceProcessor {
    service: ServiceName,
    world: Arc<Mutex<SagaWorld>>,
}

impl Processor for ServiceProcessor {
    fn process(&mut self, d: &Delivery<'_>, rng: &mut SimRng) -> ProcessOutcome {
        let Payload::Saga(message) = &d.record.value else {
            return ProcessOutcome::done();
        };
        let service = self.service;
        let mut guard = lock(&self.world);
        let w = &mut *guard;
        let Some(target) = call_target(service, w.mode, message) else {
            return ProcessOutcome::done();
        };
        let now = d.now;
        let event_id = d.record.headers.event_id;
        let order_id = message.order_id().clone();
        let inbox = w.inboxes.entry(service).or_default();
        if w.inbox && inbox.contains(service.group(), event_id) {
            w.trace.push(T::DuplicateAbsorbed {
                tick: now,
                service,
                event_id,
                message: message.name().to_string(),
            });
            return ProcessOutcome::done();
        }
        let envelope = Envelope {
            meta: EventMeta {
                event_id,
                correlation_id: CorrelationId(
                    d.record
                        .headers
                        .correlation_id
                        .clone()
                        .unwrap_or_else(|| order_id.0.clone()),
                ),
                causation_id: d.record.headers.causation_id,
                schema_version: u32::from(d.record.headers.schema_version),
            },
            message: message.clone(),
        };
        let fault = match target {
            CallTarget::Other => None,
            t => w.faults.decide(t, now, rng),
        };
        let is_compensation = matches!(target, CallTarget::Compensation(_));
        let error = match fault {
            Some(FaultEffect::Error) => Some("injected error"),
            Some(FaultEffect::Decline) if is_compensation => Some("injected compensation failure"),
            _ => None,
        };
        if let Some(error) = error {
            let decision = if is_compensation {
                w.retry.after_failure_never_give_up(d.attempt, now)
            } else {
                w.retry.after_failure(d.attempt, now)
            };
            return match decision {
                RetryDecision::RetryAt { at, .. } => {
                    w.trace.push(T::RetryScheduled {
                        tick: now,
                        service,
                        topic: d.topic.to_string(),
                        partition: d.partition,
                        offset: d.record.offset,
                        failed_attempt: d.attempt,
                        retry_at: at,
                        error: error.to_string(),
                    });
                    ProcessOutcome::Retry {
                        error: error.to_string(),
                        after_ticks: at.0 - now.0,
                    }
                }
                RetryDecision::DeadLetter { attempts } => {
                    let dead_letter_topic = topics::dead_letter_topic(d.topic);
                    w.trace.push(T::DeadLettered {
                        tick: now,
                        service,
                        topic: d.topic.to_string(),
                        dead_letter_topic: dead_letter_topic.clone(),
                        partition: d.partition,
                        offset: d.record.offset,
                        attempts,
                        error: error.to_string(),
                    });
                    let letter = DeadLetter {
                        source_topic: d.topic.to_string(),
                        source_partition: d.partition,
                        source_offset: d.record.offset,
                        key: d.record.key.clone().unwrap_or_default(),
                        original: envelope,
                        error: error.to_string(),
                        attempts,
                        dead_lettered_at: now,
                    };
                    ProcessOutcome::Success {
                        produce: vec![OutgoingRecord {
                            topic: dead_letter_topic,
                            key: d.record.key.clone(),
                            payload: Payload::SagaDeadLetter(Box::new(letter)),
                            correlation_id: Some(order_id.0.clone()),
                            causation_id: Some(event_id),
                            schema_version: 1,
                            event_id: None,
                        }],
                    }
                }
            };
        }
        let mut injected = match fault {
            Some(FaultEffect::Decline) => Injected::Decline {
                reason: super::driver::declined_reason(target),
            },
            _ => Injected::Nothing,
        };
        if service == ServiceName::Order && matches!(message, SagaMessage::PaymentProcessed { .. })
        {
            if let Some(i) = w
                .faults
                .concurrent_writers
                .iter()
                .position(|o| *o == order_id.0)
            {
                w.faults.concurrent_writers.remove(i);
                injected = Injected::ConcurrentWriter;
            }
        }
        let (publish, trace) = react(&mut w.services, service, now, w.mode, &envelope, &injected);
        w.trace.extend(trace);
        if w.inbox {
            w.inboxes
                .entry(service)
                .or_default()
                .mark(service.group(), event_id);
        }
        let name = message.name().to_string();
        let handled = {
            let n = w
                .handled
                .entry(service)
                .or_default()
                .entry(name.clone())
                .or_insert(0);
            *n += 1;
            *n
        };
        let crash = w
            .faults
            .crashes
            .iter()
            .find(|c| c.service == service && c.message == name && c.nth == handled)
            .cloned();
        let produce: Vec<OutgoingRecord> = if w.outbox {
            // The state change and the outbox rows are one transaction: each row gets its
            // event id now, and the relay publishes it under that id (maybe twice).
            for m in publish {
                let row = Envelope {
                    meta: EventMeta {
                        event_id: d.issue_event_id(),
                        correlation_id: CorrelationId(m.order_id().0.clone()),
                        causation_id: Some(event_id),
                        schema_version: 2,
                    },
                    message: m,
                };
                w.trace.push(T::OutboxWritten {
                    tick: now,
                    service,
                    event_id: row.meta.event_id,
                    message: row.message.name().to_string(),
                });
                let key = row.message.order_id().0.clone();
                w.outboxes.entry(service).or_default().write(key, row, now);
            }
            Vec::new()
        } else if crash
            .as_ref()
            .is_some_and(|c| c.point == CrashPoint::AfterStateChange)
        {
            // Crashed between the state change and the publish: the events are gone.
            for m in publish {
                w.trace.push(T::EventLost {
                    tick: now,
                    service,
                    event_id: d.issue_event_id(),
                    message: m.name().to_string(),
                });
            }
            Vec::new()
        } else {
            publish
                .into_iter()
                .map(|m| OutgoingRecord {
                    topic: m.topic().to_string(),
                    key: Some(m.order_id().0.clone()),
                    correlation_id: Some(m.order_id().0.clone()),
                    causation_id: Some(event_id),
                    schema_version: 2,
                    payload: Payload::Saga(m),
                    event_id: None,
                })
                .collect()
        };
        match crash {
            Some(crash) => {
                let down_until = Tick(now.0 + crash.down_ticks.max(1));
                w.trace.push(T::ServiceCrashed {
                    tick: now,
                    service,
                    while_handling: name.clone(),
                    down_until,
                });
                w.crashes.push((service, d.member.clone(), down_until));
                ProcessOutcome::Crash {
                    produce,
                    reason: format!("injected crash {:?} while handling {name}", crash.point),
                }
            }
            None => ProcessOutcome::Success { produce },
        }
    }

    fn snapshot(&self) -> serde_json::Value {
        let w = lock(&self.world);
        let s = &w.services;
        let value = match self.service {
            ServiceName::Order => serde_json::to_value(s.order.statuses()),
            ServiceName::Inventory => serde_json::to_value(&s.inventory.stock),
            ServiceName::Payment => serde_json::to_value(s.payment.balances()),
            ServiceName::Shipping => serde_json::to_value(&s.shipping.shipments),
            ServiceName::Notification => serde_json::to_value(&s.notification.sent),
            ServiceName::Analytics => serde_json::to_value(&s.analytics.events_by_type),
            ServiceName::Orchestrator => serde_json::to_value(
                s.orchestrator
                    .sagas
                    .iter()
                    .map(|(id, saga)| (id.0.clone(), saga.status.state))
                    .collect::<BTreeMap<_, _>>(),
            ),
        };
        value.unwrap_or(serde_json::Value::Null)
    }
}

/// A CQRS projection as a consumer group's processor on the events topic.
#[derive(Debug)]
pub struct ProjectionProcessor {
    kind: ProjectionKind,
    world: Arc<Mutex<SagaWorld>>,
}

impl Processor for ProjectionProcessor {
    fn process(&mut self, d: &Delivery<'_>, _rng: &mut SimRng) -> ProcessOutcome {
        let mut guard = lock(&self.world);
        let w = &mut *guard;
        let Some((model, next)) = w.projections.get_mut(&self.kind) else {
            return ProcessOutcome::done();
        };
        let Some(position) = next.get_mut(d.partition.0 as usize) else {
            return ProcessOutcome::done();
        };
        if d.record.offset < *position {
            // Already applied (a redelivery): the position is stored with the model.
            return ProcessOutcome::done();
        }
        *position = Offset(d.record.offset.0 + 1);
        if let Payload::Saga(message) = &d.record.value {
            let envelope = Envelope {
                meta: EventMeta {
                    event_id: d.record.headers.event_id,
                    correlation_id: CorrelationId(message.order_id().0.clone()),
                    causation_id: d.record.headers.causation_id,
                    schema_version: u32::from(d.record.headers.schema_version),
                },
                message: message.clone(),
            };
            model.apply(&envelope);
            w.trace.push(T::ProjectionUpdated {
                tick: d.now,
                projection: self.kind,
                event_id: d.record.headers.event_id,
                lag: None,
            });
        }
        ProcessOutcome::done()
    }

    fn snapshot(&self) -> serde_json::Value {
        let w = lock(&self.world);
        w.projections
            .get(&self.kind)
            .and_then(|(m, _)| serde_json::to_value(m).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

/// The order saga running on a [`Sim`]'s topics and consumer groups.
#[derive(Debug)]
pub struct StreamingSaga {
    sim: Sim,
    world: Arc<Mutex<SagaWorld>>,
    config: SagaConfig,
    pending_orders: Vec<OrderRequest>,
    /// Members joined so far per service (names `<group>-<n>`).
    members: BTreeMap<ServiceName, u32>,
    /// Dead letters already resubmitted, per dead-letter topic.
    resubmitted: BTreeMap<String, usize>,
    /// Services whose member the fault plan's outage killed.
    outage_down: std::collections::BTreeSet<ServiceName>,
    pending_resubmits: Vec<super::driver::ResubmitRequest>,
    /// Services whose newest member was killed and not replaced yet.
    killed: std::collections::BTreeSet<ServiceName>,
    /// Replacements for crashed members: when each starts.
    restarts: Vec<(Tick, ServiceName)>,
    /// The processing time per record each service's group runs with now (its configured
    /// time plus any slowdown in force).
    processing_ticks: BTreeMap<ServiceName, u64>,
    /// Each service's own processing time per record, without slowdowns.
    base_processing_ticks: BTreeMap<ServiceName, u64>,
}

impl StreamingSaga {
    /// Builds the saga's topics (and their `.DLQ` topics) and one consumer group per
    /// service, each with one member, with the engine's default group settings.
    pub fn new(setup: SagaSetup, seed: u64) -> Result<Self, SagaSimError> {
        Self::with_groups(setup, seed, |_, _| {})
    }

    /// Like [`new`](Self::new), letting `customize` change each service's group settings
    /// (commit policy, assignor, session timeout...).
    pub fn with_groups(
        setup: SagaSetup,
        seed: u64,
        customize: impl Fn(ServiceName, &mut GroupConfig),
    ) -> Result<Self, SagaSimError> {
        // Validate exactly like the standalone driver.
        super::driver::SagaSim::new(setup.clone(), seed)?;
        let SagaSetup {
            config,
            mut orders,
            faults,
            mut resubmits,
        } = setup;
        orders.sort_by_key(|o| o.at_tick);
        resubmits.sort_by_key(|r| r.at_tick);
        let mut sim = Sim::new(seed);
        let setup_error = |e: SimError| SagaSimError::Engine {
            error: e.to_string(),
        };
        for t in topics::ALL {
            for name in [t.to_string(), topics::dead_letter_topic(t)] {
                sim.apply(Command::CreateTopic(crate::topic::TopicSpec::new(
                    &name,
                    config.partitions,
                    Partitioner::Murmur2,
                )))
                .map_err(setup_error)?;
            }
        }
        let world = Arc::new(Mutex::new(SagaWorld {
            mode: config.mode,
            inbox: config.inbox,
            retry: config.retry.clone(),
            services: Services {
                order: OrderService::new(
                    config.snapshot_every,
                    config.timeouts.saga_timeout_ticks(),
                ),
                inventory: InventoryService::new(config.initial_stock.clone()),
                payment: PaymentService::default(),
                shipping: ShippingService::new(config.delivery_ticks),
                notification: NotificationService::default(),
                analytics: AnalyticsService::default(),
                orchestrator: Orchestrator::new(config.timeouts.clone()),
            },
            inboxes: BTreeMap::new(),
            faults,
            trace: Vec::new(),
            outbox: config.outbox,
            outboxes: BTreeMap::new(),
            handled: BTreeMap::new(),
            relay_sends: BTreeMap::new(),
            crashes: Vec::new(),
            projections: ProjectionKind::ALL
                .iter()
                .map(|k| {
                    (
                        *k,
                        (
                            ReadModel::empty(*k),
                            vec![Offset(0); config.partitions as usize],
                        ),
                    )
                })
                .collect(),
        }));
        let mut members = BTreeMap::new();
        let mut processing_ticks = BTreeMap::new();
        for service in ServiceName::ALL {
            if service == ServiceName::Orchestrator && config.mode == SagaMode::Choreography {
                continue;
            }
            let mut group = GroupConfig::new(
                service.group(),
                service.topics().iter().map(|t| t.to_string()).collect(),
            );
            group.processing_ticks_per_record =
                config.processing_ticks.get(&service).copied().unwrap_or(1);
            if let Some(policy) = config.commit_policy {
                group.commit_policy = policy;
            }
            customize(service, &mut group);
            processing_ticks.insert(service, group.processing_ticks_per_record);
            sim.apply(Command::CreateGroup { config: group })
                .map_err(setup_error)?;
            sim.set_processor(
                service.group(),
                Box::new(ServiceProcessor {
                    service,
                    world: Arc::clone(&world),
                }),
            )
            .map_err(setup_error)?;
            sim.apply(Command::JoinGroup {
                group: service.group().to_string(),
                member: MemberId(format!("{}-1", service.group())),
            })
            .map_err(setup_error)?;
            members.insert(service, 1);
        }
        for kind in ProjectionKind::ALL {
            let mut group = GroupConfig::new(kind.group(), vec![topics::ORDER_EVENTS.to_string()]);
            group.processing_ticks_per_record = config.projection_ticks_per_record;
            sim.apply(Command::CreateGroup { config: group })
                .map_err(setup_error)?;
            sim.set_processor(
                kind.group(),
                Box::new(ProjectionProcessor {
                    kind,
                    world: Arc::clone(&world),
                }),
            )
            .map_err(setup_error)?;
            sim.apply(Command::JoinGroup {
                group: kind.group().to_string(),
                member: MemberId(format!("{}-1", kind.group())),
            })
            .map_err(setup_error)?;
        }
        Ok(Self {
            sim,
            world,
            config,
            pending_orders: orders,
            members,
            resubmitted: BTreeMap::new(),
            outage_down: std::collections::BTreeSet::new(),
            pending_resubmits: resubmits,
            killed: std::collections::BTreeSet::new(),
            restarts: Vec::new(),
            base_processing_ticks: processing_ticks.clone(),
            processing_ticks,
        })
    }

    /// The streaming engine underneath (topics, groups, lag, its own trace).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.sim.now()
    }

    /// The shared saga state (services, inboxes, saga trace). Hold it briefly.
    pub fn world(&self) -> MutexGuard<'_, SagaWorld> {
        lock(&self.world)
    }

    /// Advances one tick: outages, crash restarts and slowdowns act on the groups; the
    /// engine steps (groups poll, process, commit, rebalance); the outbox relays publish;
    /// due orders are placed; then saga timers fire.
    pub fn step(&mut self) {
        let next = Tick(self.sim.now().0 + 1);
        // A crashed member's replacement starts when the crash's down time is over (unless
        // an outage holds the service down; its end starts a member).
        let due: Vec<ServiceName> = self
            .restarts
            .iter()
            .filter(|(at, _)| *at <= next)
            .map(|(_, s)| *s)
            .collect();
        self.restarts.retain(|(at, _)| *at > next);
        for service in due {
            if self.outage_down.contains(&service) {
                continue;
            }
            let _ = self.start_member(service);
            lock(&self.world).trace.push(T::ServiceUp {
                tick: next,
                service,
            });
        }
        // Slowdowns of the fault plan change the group's processing time while they last.
        for service in ServiceName::ALL {
            let Some(current) = self.processing_ticks.get(&service).copied() else {
                continue;
            };
            let base = self
                .base_processing_ticks
                .get(&service)
                .copied()
                .unwrap_or(1);
            let wanted = base + lock(&self.world).faults.extra_ticks(service, next);
            if wanted != current {
                self.sim
                    .apply(Command::ConfigureGroup {
                        group: service.group().to_string(),
                        processing_ticks_per_record: Some(wanted),
                        max_poll_records: None,
                    })
                    .expect("the service's group exists");
                self.processing_ticks.insert(service, wanted);
                lock(&self.world).trace.push(T::ServiceSpeedChanged {
                    tick: next,
                    service,
                    processing_ticks_per_record: wanted,
                });
            }
        }
        // Outages of the fault plan act through the engine: the service's member is killed
        // when the outage starts and a new member joins when it ends.
        for service in ServiceName::ALL {
            if !self.members.contains_key(&service) {
                continue;
            }
            let down = lock(&self.world).faults.is_down(service, next);
            let was_down = self.outage_down.contains(&service);
            if down && !was_down {
                self.outage_down.insert(service);
                let _ = self.kill_service(service);
                lock(&self.world).trace.push(T::ServiceDown {
                    tick: next,
                    service,
                });
            } else if !down && was_down {
                self.outage_down.remove(&service);
                let _ = self.start_member(service);
                lock(&self.world).trace.push(T::ServiceUp {
                    tick: next,
                    service,
                });
            }
        }
        self.sim.step();
        let now = self.sim.now();
        let crashes = std::mem::take(&mut lock(&self.world).crashes);
        for (service, member, restart_at) in crashes {
            // The group killed the member itself; remember it so an outage does not kill
            // the dead member again, and start a replacement later.
            let newest = self.members.get(&service).copied().unwrap_or(0);
            if member == MemberId(format!("{}-{newest}", service.group())) {
                self.killed.insert(service);
            }
            self.restarts.push((restart_at, service));
        }
        self.relay_outboxes();
        while self
            .pending_orders
            .first()
            .is_some_and(|o| o.at_tick <= now)
        {
            let o = self.pending_orders.remove(0);
            self.produce(SagaMessage::PlaceOrder {
                order_id: o.order_id,
                customer_id: o.customer_id,
                lines: o.lines,
                currency: o.currency,
            });
        }
        while self
            .pending_resubmits
            .first()
            .is_some_and(|r| r.at_tick <= now)
        {
            let r = self.pending_resubmits.remove(0);
            self.resubmit_dead_letters(&r.topic)
                .expect("resubmit topics were checked in new()");
        }
        let due: Vec<SagaMessage> = {
            let mut guard = lock(&self.world);
            let w = &mut *guard;
            match w.mode {
                SagaMode::Orchestration => {
                    let r = w.services.orchestrator.tick(now);
                    w.trace
                        .extend(super::driver::orchestrator_notes(now, r.notes));
                    r.commands
                }
                SagaMode::Choreography => {
                    let r = w.services.order.tick(now);
                    r.publish
                }
            }
        };
        for m in due {
            self.produce(m);
        }
        // The carrier delivers shipments while Shipping runs.
        if self.is_up(ServiceName::Shipping) {
            let delivered = lock(&self.world).services.shipping.tick(now).publish;
            for m in delivered {
                self.produce(m);
            }
        }
    }

    /// Runs `ticks` steps.
    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.step();
        }
    }

    /// Sets a service's own processing time per record (a slow or fast service); its group
    /// runs with it from the next step, plus any slowdown of the fault plan in force.
    pub fn set_processing_ticks(
        &mut self,
        service: ServiceName,
        ticks_per_record: u64,
    ) -> Result<(), SagaSimError> {
        match self.base_processing_ticks.get_mut(&service) {
            Some(base) => {
                *base = ticks_per_record;
                Ok(())
            }
            None => Err(SagaSimError::Engine {
                error: format!("{service} has no consumer group in this saga style"),
            }),
        }
    }

    /// True while the service has a running member: its newest member is neither crashed
    /// nor killed, and no outage holds it down. Its outbox relay runs only then.
    pub fn is_up(&self, service: ServiceName) -> bool {
        self.members.contains_key(&service)
            && !self.killed.contains(&service)
            && !self.outage_down.contains(&service)
    }

    /// Each running service's outbox relay publishes its pending rows, under the event ids
    /// they were written with. A relay crash (fault plan) stops it after a send and before
    /// marking the row, so the row goes out again next tick: a duplicate the inbox absorbs.
    fn relay_outboxes(&mut self) {
        if !self.config.outbox {
            return;
        }
        let now = self.sim.now();
        for service in ServiceName::ALL {
            if !self.is_up(service) {
                continue;
            }
            let pending: Vec<(u64, String, Envelope)> = lock(&self.world)
                .outboxes
                .get(&service)
                .map(|o| {
                    o.pending()
                        .map(|e| (e.sequence, e.key.clone(), e.envelope.clone()))
                        .collect()
                })
                .unwrap_or_default();
            for (sequence, key, row) in pending {
                let event_id = row.meta.event_id;
                self.sim
                    .apply(Command::ProduceWithHeaders {
                        topic: row.message.topic().to_string(),
                        key: Some(key),
                        headers: Headers {
                            event_id,
                            correlation_id: Some(row.meta.correlation_id.0.clone()),
                            causation_id: row.meta.causation_id,
                            schema_version: u16::try_from(row.meta.schema_version)
                                .unwrap_or(u16::MAX),
                        },
                        value: Payload::Saga(row.message),
                    })
                    .expect("outbox rows name topics of the flow and ids the engine issued");
                let mut guard = lock(&self.world);
                let w = &mut *guard;
                let outbox = w.outboxes.get_mut(&service).expect("pending rows exist");
                outbox.record_send(sequence);
                let sends = {
                    let n = w.relay_sends.entry(service).or_insert(0);
                    *n += 1;
                    *n
                };
                if w.faults
                    .relay_crashes
                    .iter()
                    .any(|c| c.service == service && c.nth == sends)
                {
                    w.trace.push(T::RelayCrashed {
                        tick: now,
                        service,
                        event_id,
                    });
                    break;
                }
                outbox.mark_published(sequence, now);
                let publish_count = outbox.entries()[sequence as usize].publish_count;
                w.trace.push(T::OutboxRelayed {
                    tick: now,
                    service,
                    event_id,
                    publish_count,
                });
            }
        }
    }

    fn produce(&mut self, message: SagaMessage) {
        let topic = message.topic().to_string();
        let key = Some(message.order_id().0.clone());
        self.sim
            .apply(Command::Produce {
                topic,
                key,
                value: Payload::Saga(message),
            })
            .expect("the saga topics exist");
    }

    /// Applies a command at the current tick, like [`super::driver::SagaSim::apply`]:
    /// `TakeDown` kills the service's member (the group notices after its session
    /// timeout), `BringUp` starts a new member if the service is down (a rebalance follows).
    pub fn apply(&mut self, command: super::driver::SagaCommand) -> Result<(), SagaSimError> {
        use super::driver::SagaCommand as C;
        match command {
            C::PlaceOrder {
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
                self.produce(SagaMessage::PlaceOrder {
                    order_id,
                    customer_id,
                    lines,
                    currency,
                });
            }
            C::TakeDown { service } => self.kill_service(service)?,
            C::BringUp { service } => {
                if self.killed.contains(&service) && !self.outage_down.contains(&service) {
                    self.start_member(service)?;
                }
            }
            C::ResubmitDeadLetters { topic } => {
                self.resubmit_dead_letters(&topic)?;
            }
            C::RebuildProjection { projection } => {
                self.rebuild_projection(projection);
            }
        }
        Ok(())
    }

    /// Kills the service's current member (noticed after the group's session timeout).
    /// Killing a service that is already down does nothing.
    pub fn kill_service(&mut self, service: ServiceName) -> Result<(), SagaSimError> {
        if !self.killed.insert(service) {
            return Ok(());
        }
        let n = self.members.get(&service).copied().unwrap_or(0);
        self.sim
            .apply(Command::KillMember {
                group: service.group().to_string(),
                member: MemberId(format!("{}-{n}", service.group())),
            })
            .map_err(|e| SagaSimError::Engine {
                error: e.to_string(),
            })
    }

    /// Starts a new member for the service (joins its group: a rebalance follows).
    pub fn start_member(&mut self, service: ServiceName) -> Result<(), SagaSimError> {
        self.killed.remove(&service);
        let n = self.members.entry(service).or_insert(0);
        *n += 1;
        let member = MemberId(format!("{}-{n}", service.group()));
        self.sim
            .apply(Command::JoinGroup {
                group: service.group().to_string(),
                member,
            })
            .map_err(|e| SagaSimError::Engine {
                error: e.to_string(),
            })
    }

    /// Every dead letter of `<topic>.DLQ` not resubmitted yet, in partition then offset order.
    pub fn dead_letters(&self, topic: &str) -> Vec<DeadLetter> {
        let Some(t) = self.sim.topic(&topics::dead_letter_topic(topic)) else {
            return Vec::new();
        };
        t.partitions()
            .iter()
            .flat_map(|log| log.records().iter())
            .filter_map(|r| match &r.value {
                Payload::SagaDeadLetter(letter) => Some((**letter).clone()),
                _ => None,
            })
            .collect()
    }

    /// Produces every dead letter of `<topic>.DLQ` not yet resubmitted back to `topic`.
    pub fn resubmit_dead_letters(&mut self, topic: &str) -> Result<usize, SagaSimError> {
        if !topics::ALL.contains(&topic) {
            return Err(SagaSimError::UnknownTopic {
                topic: topic.to_string(),
            });
        }
        let dlq = topics::dead_letter_topic(topic);
        let letters = self.dead_letters(topic);
        let done = self.resubmitted.get(&dlq).copied().unwrap_or(0);
        let now = self.sim.now();
        let fresh: Vec<DeadLetter> = letters.into_iter().skip(done).collect();
        for letter in &fresh {
            lock(&self.world).trace.push(T::Resubmitted {
                tick: now,
                dead_letter_topic: dlq.clone(),
                topic: topic.to_string(),
                event_id: letter.original.meta.event_id,
            });
            self.produce(letter.original.message.clone());
        }
        *self.resubmitted.entry(dlq).or_insert(0) += fresh.len();
        Ok(fresh.len())
    }

    /// Per saga: final state, executed steps and compensations. Choreographed sagas are
    /// folded from the events topic, partition by partition (one order's events share one).
    pub fn summaries(&self) -> Vec<SagaSummary> {
        let w = lock(&self.world);
        let mut views = BTreeMap::new();
        if w.mode == SagaMode::Choreography {
            if let Some(t) = self.sim.topic(topics::ORDER_EVENTS) {
                for log in t.partitions() {
                    for r in log.records() {
                        if let Payload::Saga(m) = &r.value {
                            observe_choreography(&mut views, r.tick, m);
                        }
                    }
                }
            }
        }
        super::driver::summaries_of(w.mode, &w.services, &views)
    }

    /// The services' balances.
    pub fn balances(&self) -> Balances {
        let dead_letters = topics::ALL
            .iter()
            .map(|t| {
                (
                    topics::dead_letter_topic(t),
                    self.dead_letters(t).len() as u64,
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        balances_of(&lock(&self.world).services, dead_letters)
    }

    /// The saga invariants (see [`check_services`]) plus: every dead-lettered record is on
    /// its DLQ topic, and every projection equals a replay of the records it applied.
    pub fn check_invariants(&self) -> Vec<String> {
        let summaries = self.summaries();
        let w = lock(&self.world);
        let mut v = check_services(self.config.mode, self.config.inbox, &w.services, &summaries);
        let dead_lettered = w
            .trace
            .iter()
            .filter(|e| matches!(e, T::DeadLettered { .. }))
            .count();
        drop(w);
        if self.config.outbox {
            // With the outbox on, no committed state change is without its published event.
            let published: std::collections::BTreeSet<EventId> = self
                .sim
                .topics()
                .flat_map(|t| t.partitions().iter())
                .flat_map(|log| log.records().iter().map(|r| r.headers.event_id))
                .collect();
            let w = lock(&self.world);
            for (service, outbox) in &w.outboxes {
                for e in outbox.entries() {
                    if !published.contains(&e.envelope.meta.event_id) {
                        v.push(format!(
                            "{service}: state change with unpublished event {} ({})",
                            e.envelope.meta.event_id,
                            e.envelope.message.name()
                        ));
                    }
                }
            }
            if w.trace.iter().any(|e| matches!(e, T::EventLost { .. })) {
                v.push("an event was lost although the outbox is on".into());
            }
        }
        let held: usize = topics::ALL.iter().map(|t| self.dead_letters(t).len()).sum();
        if dead_lettered != held {
            v.push(format!(
                "{dead_lettered} records were dead-lettered but the DLQ topics hold {held}"
            ));
        }
        for kind in ProjectionKind::ALL {
            let (model, positions) = lock(&self.world).projections[&kind].clone();
            if ReadModel::rebuild(kind, &self.events_up_to(Some(&positions))) != model {
                v.push(format!("projection {kind:?} differs from its replay"));
            }
        }
        v
    }

    /// How far a projection's consumer group is behind the events topic (log end offset
    /// minus committed offset, summed over partitions).
    pub fn projection_lag(&self, kind: ProjectionKind) -> u64 {
        self.sim
            .group_snapshot(kind.group())
            .map_or(0, |g| g.total_lag)
    }

    /// A projection's current (incrementally maintained) read model.
    pub fn projection(&self, kind: ProjectionKind) -> Option<ReadModel> {
        lock(&self.world)
            .projections
            .get(&kind)
            .map(|(m, _)| m.clone())
    }

    fn events_up_to(&self, ends: Option<&[Offset]>) -> Vec<Envelope> {
        let Some(t) = self.sim.topic(topics::ORDER_EVENTS) else {
            return Vec::new();
        };
        t.partitions()
            .iter()
            .enumerate()
            .flat_map(|(p, log)| {
                let end = ends.map(|e| e[p]);
                log.records()
                    .iter()
                    .filter(move |r| end.is_none_or(|e| r.offset < e))
                    .filter_map(|r| match &r.value {
                        Payload::Saga(m) => Some(Envelope {
                            meta: EventMeta {
                                event_id: r.headers.event_id,
                                correlation_id: CorrelationId(m.order_id().0.clone()),
                                causation_id: r.headers.causation_id,
                                schema_version: u32::from(r.headers.schema_version),
                            },
                            message: m.clone(),
                        }),
                        _ => None,
                    })
            })
            .collect()
    }

    /// Rebuilds a projection from scratch by replaying the whole events topic. Returns
    /// whether a replay of the records the projection had applied equals its incremental
    /// model.
    pub fn rebuild_projection(&mut self, kind: ProjectionKind) -> bool {
        let positions = lock(&self.world).projections[&kind].1.clone();
        let replayed = ReadModel::rebuild(kind, &self.events_up_to(Some(&positions)));
        let all = self.events_up_to(None);
        let ends: Vec<Offset> = self
            .sim
            .topic(topics::ORDER_EVENTS)
            .map(|t| t.partitions().iter().map(|l| l.high_watermark()).collect())
            .unwrap_or_default();
        let now = self.sim.now();
        let mut w = lock(&self.world);
        let entry = w
            .projections
            .get_mut(&kind)
            .expect("every kind has a projection");
        let equal = entry.0 == replayed;
        *entry = (ReadModel::rebuild(kind, &all), ends);
        w.trace.push(T::ProjectionRebuilt {
            tick: now,
            projection: kind,
            records_replayed: all.len() as u64,
            equal_to_incremental: equal,
        });
        equal
    }

    /// True when every saga is final, nothing is waiting to be placed and every consumer
    /// group (services and projections) has committed up to the end of its topics.
    pub fn is_settled(&self) -> bool {
        self.pending_orders.is_empty()
            && self.pending_resubmits.is_empty()
            && self.restarts.is_empty()
            && {
                let w = lock(&self.world);
                w.outboxes.values().all(|o| o.pending_len() == 0)
                    && w.services.shipping.deliveries.is_empty()
            }
            && self.summaries().iter().all(|s| s.state.is_final())
            && self.sim.groups().all(|g| {
                self.sim
                    .group_snapshot(g.name())
                    .is_some_and(|snapshot| snapshot.total_lag == 0)
            })
    }

    /// The run's summary: sagas, balances, end offsets, projection lag, invariants, and the
    /// engine's own summary.
    pub fn summary(&self) -> super::driver::SagaRunSummary {
        super::driver::SagaRunSummary {
            seed: self.sim.seed(),
            tick: self.sim.now(),
            mode: self.config.mode,
            inbox: self.config.inbox,
            outbox: self.config.outbox,
            sagas: self.summaries(),
            balances: self.balances(),
            end_offsets: self
                .sim
                .topics()
                .map(|t| {
                    (
                        t.name().to_string(),
                        t.partitions()
                            .iter()
                            .map(|l| l.high_watermark().0)
                            .collect(),
                    )
                })
                .collect(),
            projection_lag: ProjectionKind::ALL
                .iter()
                .map(|k| (*k, self.projection_lag(*k)))
                .collect(),
            invariant_violations: self.check_invariants(),
            engine: serde_json::to_value(self.sim.summary()).ok(),
        }
    }

    /// Every saga record of one order across all topics (dead-letter topics included), in
    /// causal (event id) order.
    pub fn order_path(&self, order_id: &super::message::OrderId) -> Vec<super::driver::PathEntry> {
        let mut path: Vec<super::driver::PathEntry> = self
            .sim
            .topics()
            .flat_map(|t| {
                t.partitions().iter().enumerate().flat_map(move |(p, log)| {
                    log.records().iter().filter_map(move |r| {
                        let message = match &r.value {
                            Payload::Saga(m) if m.order_id() == order_id => m.name().to_string(),
                            Payload::SagaDeadLetter(d)
                                if d.original.message.order_id() == order_id =>
                            {
                                format!("DeadLetter({})", d.original.message.name())
                            }
                            _ => return None,
                        };
                        Some(super::driver::PathEntry {
                            event_id: r.headers.event_id,
                            causation_id: r.headers.causation_id,
                            topic: t.name().to_string(),
                            partition: PartitionId(p as u32),
                            offset: r.offset,
                            tick: r.tick,
                            message,
                        })
                    })
                })
            })
            .collect();
        path.sort_by_key(|e| e.event_id);
        path
    }

    /// Records of the flow per topic and partition that carry a saga message.
    pub fn saga_records(&self, topic: &str) -> Vec<(PartitionId, SagaMessage)> {
        self.sim.topic(topic).map_or_else(Vec::new, |t| {
            t.partitions()
                .iter()
                .enumerate()
                .flat_map(|(p, log)| {
                    log.records().iter().filter_map(move |r| match &r.value {
                        Payload::Saga(m) => Some((PartitionId(p as u32), m.clone())),
                        _ => None,
                    })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::faults::FaultRule;
    use super::super::message::OrderId;
    use super::super::orchestrator::{Compensation, SagaState, SagaStep, StepTimeouts};
    use super::super::scenario::{named_scenario, order};
    use super::*;
    use crate::group::CommitPolicy;

    fn setup(mode: SagaMode, inbox: bool, faults: FaultPlan) -> SagaSetup {
        SagaSetup {
            config: SagaConfig {
                mode,
                inbox,
                ..SagaConfig::default()
            },
            orders: vec![
                order(1, "order-1", "customer-1", "P1", 2),
                order(3, "order-2", "customer-2", "P2", 1),
            ],
            faults,
            ..SagaSetup::default()
        }
    }

    #[test]
    fn happy_path_runs_on_consumer_groups_in_both_styles() {
        for mode in [SagaMode::Orchestration, SagaMode::Choreography] {
            let mut s = StreamingSaga::new(setup(mode, true, FaultPlan::default()), 1).unwrap();
            s.run(150);
            let sums = s.summaries();
            assert_eq!(sums.len(), 2, "{mode:?}");
            for saga in &sums {
                assert_eq!(saga.state, SagaState::Completed, "{mode:?}: {saga:?}");
            }
            assert_eq!(s.check_invariants(), Vec::<String>::new(), "{mode:?}");
            // The messages really are records on the engine's partitions, consumed by groups.
            let events = s.saga_records(topics::ORDER_EVENTS);
            assert!(events.iter().any(|(_, m)| m.name() == "OrderShipped"));
            let group = s.sim().group("payment-service").unwrap();
            assert!(group.counters().processed > 0);
            if mode == SagaMode::Orchestration {
                assert_eq!(s.saga_records(topics::PAYMENT_COMMANDS).len(), 2);
            } else {
                assert!(s.saga_records(topics::PAYMENT_COMMANDS).is_empty());
            }
        }
    }

    #[test]
    fn declined_payment_compensates_in_reverse_on_consumer_groups() {
        let faults = FaultPlan {
            rules: vec![FaultRule::next_calls(
                CallTarget::Step(SagaStep::ProcessPayment),
                FaultEffect::Decline,
                1,
            )],
            ..FaultPlan::default()
        };
        let mut s = StreamingSaga::new(setup(SagaMode::Orchestration, true, faults), 1).unwrap();
        s.run(150);
        let sums = s.summaries();
        let first = sums.iter().find(|x| x.order_id.0 == "order-1").unwrap();
        assert_eq!(first.state, SagaState::Failed);
        assert_eq!(
            first.compensations,
            [Compensation::ReleaseInventory, Compensation::CancelOrder]
        );
        assert_eq!(s.check_invariants(), Vec::<String>::new());
    }

    #[test]
    fn poison_message_lands_on_the_dlq_topic_and_resubmission_completes_the_saga() {
        let mut scenario = named_scenario("poison-message-dlq-resubmit").unwrap();
        // Resubmitted by hand below.
        scenario.setup.resubmits.clear();
        scenario.setup.config.timeouts = StepTimeouts {
            process_payment_ticks: 400,
            ..StepTimeouts::default()
        };
        let mut s = StreamingSaga::new(scenario.setup, 3).unwrap();
        s.run(220);
        let letters = s.dead_letters(topics::PAYMENT_COMMANDS);
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].attempts, 6);
        assert_eq!(letters[0].original.message.name(), "ProcessPayment");
        assert_eq!(
            s.resubmit_dead_letters(topics::PAYMENT_COMMANDS).unwrap(),
            1
        );
        assert_eq!(
            s.resubmit_dead_letters(topics::PAYMENT_COMMANDS).unwrap(),
            0
        );
        s.run(50);
        let sums = s.summaries();
        assert_eq!(sums[0].state, SagaState::Completed, "{sums:?}");
        assert_eq!(s.check_invariants(), Vec::<String>::new());
        // The order's path shows the dead letter and the resubmitted command in order.
        let path: Vec<String> = s
            .order_path(&OrderId("order-1".into()))
            .into_iter()
            .map(|e| e.message)
            .collect();
        let dl = path
            .iter()
            .position(|m| m == "DeadLetter(ProcessPayment)")
            .unwrap();
        let again = path.iter().rposition(|m| m == "ProcessPayment").unwrap();
        assert!(dl < again, "{path:?}");
        assert_eq!(path.last().map(String::as_str), Some("OrderDelivered"));
        // The engine's group saw the blocking retries.
        assert_eq!(
            s.sim().group("payment-service").unwrap().counters().retries,
            5
        );
    }

    /// A payment member dies with processed but uncommitted records; after the session
    /// timeout its partitions go to a new member, which gets them again. Without an inbox
    /// the customer pays twice; with one the duplicate is absorbed.
    #[test]
    fn member_death_redelivers_and_only_the_inbox_prevents_a_double_charge() {
        for inbox in [false, true] {
            let mut s = StreamingSaga::with_groups(
                SagaSetup {
                    orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                    ..setup(SagaMode::Orchestration, inbox, FaultPlan::default())
                },
                5,
                |service, g| {
                    if service == ServiceName::Payment {
                        g.commit_policy = CommitPolicy::AutoCommit {
                            interval_ticks: 100_000,
                        };
                    }
                },
            )
            .unwrap();
            s.run(60);
            assert_eq!(s.summaries()[0].state, SagaState::Completed);
            s.kill_service(ServiceName::Payment).unwrap();
            s.start_member(ServiceName::Payment).unwrap();
            s.run(80);
            let charges = s.balances().charges;
            let absorbed = s
                .world()
                .trace
                .iter()
                .any(|e| matches!(e, T::DuplicateAbsorbed { message, .. } if message == "ProcessPayment"));
            assert!(
                s.sim()
                    .group("payment-service")
                    .unwrap()
                    .counters()
                    .duplicates
                    > 0
            );
            if inbox {
                assert_eq!(charges, 1);
                assert!(absorbed);
                assert_eq!(s.check_invariants(), Vec::<String>::new());
            } else {
                assert_eq!(charges, 2);
                assert!(!absorbed);
            }
            // The saga outcome is unchanged: the orchestrator refuses the duplicate reply.
            assert_eq!(s.summaries()[0].state, SagaState::Completed);
            assert_eq!(
                s.world().services.order.status(&OrderId("order-1".into())),
                Some(super::super::event_store::OrderStatus::Delivered)
            );
        }
    }

    #[test]
    fn projections_are_consumer_groups_that_lag_catch_up_and_rebuild_equal() {
        let mut config = setup(SagaMode::Orchestration, true, FaultPlan::default());
        config.config.projection_ticks_per_record = 4;
        let mut s = StreamingSaga::new(config, 2).unwrap();
        s.run(20);
        assert!(s.projection_lag(ProjectionKind::OrderSummary) > 0);
        s.run(200);
        for kind in ProjectionKind::ALL {
            assert_eq!(s.projection_lag(kind), 0, "{kind:?}");
            assert!(s.rebuild_projection(kind), "{kind:?}");
        }
        let Some(ReadModel::OrderSummary(summary)) = s.projection(ProjectionKind::OrderSummary)
        else {
            panic!("order summary projection")
        };
        assert_eq!(
            summary.count_by_status()[&super::super::event_store::OrderStatus::Delivered],
            2
        );
    }

    /// The scenarios whose faults both drivers model end the same way on the consumer groups
    /// as in the standalone driver: same final states, steps and compensations.
    #[test]
    fn named_scenarios_end_alike_on_both_drivers() {
        for name in [
            "happy-path",
            "payment-fails-compensation",
            "insufficient-stock",
            "shipping-timeout",
            "poison-message-dlq-resubmit",
            "event-sourced-order",
        ] {
            let scenario = named_scenario(name).unwrap();
            let standalone = scenario.run().unwrap();
            let mut streaming = StreamingSaga::new(scenario.setup.clone(), scenario.seed).unwrap();
            streaming.run(scenario.ticks);
            let outcome = |sums: Vec<SagaSummary>| {
                sums.into_iter()
                    .map(|s| (s.order_id, s.state, s.executed_steps, s.compensations))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                outcome(streaming.summaries()),
                outcome(standalone.summaries()),
                "{name}"
            );
            assert_eq!(streaming.check_invariants(), Vec::<String>::new(), "{name}");
            assert_eq!(
                streaming.balances().stock,
                standalone.balances().stock,
                "{name}"
            );
            assert_eq!(
                streaming.balances().charged_cents,
                standalone.balances().charged_cents,
                "{name}"
            );
        }
    }

    /// A slowdown makes Payment's group spend 80 ticks per record for a while: the
    /// ProcessPayment step times out and the saga compensates; afterwards the group is back
    /// to its configured speed.
    #[test]
    fn a_slowdown_on_consumer_groups_times_a_step_out_then_ends() {
        let faults = FaultPlan {
            slowdowns: vec![super::super::faults::Slowdown {
                service: ServiceName::Payment,
                from_tick: Tick(0),
                until_tick: Tick(100),
                extra_ticks: 80,
            }],
            ..FaultPlan::default()
        };
        let mut config = setup(SagaMode::Orchestration, true, faults);
        config.orders.truncate(1);
        let mut s = StreamingSaga::new(config, 4).unwrap();
        s.run(5);
        let group = |s: &StreamingSaga| {
            s.sim()
                .group("payment-service")
                .unwrap()
                .config()
                .processing_ticks_per_record
        };
        assert_eq!(group(&s), 81);
        s.run(400);
        assert_eq!(group(&s), 1);
        assert!(s.is_settled());
        let sums = s.summaries();
        assert_eq!(sums[0].state, SagaState::Failed, "{sums:?}");
        assert_eq!(
            sums[0].compensations,
            [
                Compensation::RefundPayment,
                Compensation::ReleaseInventory,
                Compensation::CancelOrder
            ]
        );
        let w = s.world();
        let speeds: Vec<u64> = w
            .trace
            .iter()
            .filter_map(|e| match e {
                T::ServiceSpeedChanged {
                    service: ServiceName::Payment,
                    processing_ticks_per_record,
                    ..
                } => Some(*processing_ticks_per_record),
                _ => None,
            })
            .collect();
        assert_eq!(speeds, [81, 1]);
        assert!(w.trace.iter().any(|e| matches!(
            e,
            T::StepTimedOut {
                step: SagaStep::ProcessPayment,
                ..
            }
        )));
        drop(w);
        assert_eq!(s.check_invariants(), Vec::<String>::new());
    }

    /// Shipping made slow while the saga runs: its group takes the new time at the next
    /// step, ShipOrder misses its timeout and the saga compensates; groups customised at
    /// creation keep their own time until changed.
    #[test]
    fn a_service_made_slow_at_runtime_times_its_step_out() {
        let mut config = setup(SagaMode::Orchestration, true, FaultPlan::default());
        config.orders.truncate(1);
        let mut s = StreamingSaga::with_groups(config, 2, |service, g| {
            if service == ServiceName::Notification {
                g.processing_ticks_per_record = 3;
            }
        })
        .unwrap();
        let ticks = |s: &StreamingSaga, group: &str| {
            s.sim()
                .group(group)
                .unwrap()
                .config()
                .processing_ticks_per_record
        };
        s.run(2);
        assert_eq!(ticks(&s, "notification-service"), 3);
        s.set_processing_ticks(ServiceName::Shipping, 70).unwrap();
        assert!(s.set_processing_ticks(ServiceName::Orchestrator, 1).is_ok());
        s.step();
        assert_eq!(ticks(&s, "shipping-service"), 70);
        // Shipping spends 70 ticks on each of the order's events too: it settles late.
        while !s.is_settled() && s.now() < Tick(3000) {
            s.step();
        }
        assert!(s.is_settled());
        let sums = s.summaries();
        assert_eq!(sums[0].state, SagaState::Failed, "{sums:?}");
        assert_eq!(sums[0].compensations[0], Compensation::CancelShipment);
        assert_eq!(ticks(&s, "notification-service"), 3);
        assert_eq!(s.check_invariants(), Vec::<String>::new());
        let mut chor =
            StreamingSaga::new(setup(SagaMode::Choreography, true, FaultPlan::default()), 2)
                .unwrap();
        assert!(chor
            .set_processing_ticks(ServiceName::Orchestrator, 5)
            .is_err());
    }

    #[test]
    fn same_seed_same_engine_trace() {
        let scenario = named_scenario("mixed-failures-choreography").unwrap();
        let run = || {
            let mut s = StreamingSaga::new(scenario.setup.clone(), 11).unwrap();
            s.run(300);
            let saga_trace = s.world().trace.clone();
            (s.sim().trace().clone(), saga_trace)
        };
        assert_eq!(run(), run());
    }

    mod properties {
        use super::super::super::faults::{FaultRule, Outage};
        use super::super::super::message::ProductId;
        use super::*;
        use proptest::prelude::*;

        const FAULTS_STOP: u64 = 200;
        const SETTLE_BOUND_TICKS: u64 = 1200;
        const SERVICES: [ServiceName; 6] = [
            ServiceName::Order,
            ServiceName::Inventory,
            ServiceName::Payment,
            ServiceName::Shipping,
            ServiceName::Notification,
            ServiceName::Orchestrator,
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(
                std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12)
            ))]

            /// On the real consumer groups, with members killed and restarted (rebalances,
            /// redelivery), slow services, declines and errors: once faults stop every saga
            /// ends and the invariants hold.
            #[test]
            fn sagas_on_consumer_groups_settle_with_invariants(
                seed in any::<u64>(),
                choreography in any::<bool>(),
                inbox in prop::bool::weighted(0.8),
                partitions in 1u32..=4,
                orders in prop::collection::vec((1u64..120, 0usize..3, 0usize..3, 1u32..4), 1..6),
                declines in [0.0f64..0.3, 0.0f64..0.3, 0.0f64..0.3],
                errors in (0usize..3, 0u32..9),
                kills in prop::collection::vec((0usize..6, 1u64..FAULTS_STOP, 1u64..60), 0..3),
                outage in prop::option::of((0usize..6, 0u64..120, 20u64..150)),
                auto_commit in prop::option::of(1u64..40),
                outbox in any::<bool>(),
            ) {
                let steps = [SagaStep::ReserveInventory, SagaStep::ProcessPayment, SagaStep::ShipOrder];
                let mut rules: Vec<FaultRule> = steps.iter().zip(declines).map(|(step, p)| {
                    let mut r = FaultRule::probability(CallTarget::Step(*step), FaultEffect::Decline, p);
                    r.until_tick = Some(Tick(FAULTS_STOP));
                    r
                }).collect();
                rules.push(FaultRule::next_calls(CallTarget::Step(steps[errors.0]), FaultEffect::Error, errors.1));
                let products = ["P1", "P2", "P3"];
                let setup = SagaSetup {
                    config: SagaConfig {
                        mode: if choreography { SagaMode::Choreography } else { SagaMode::Orchestration },
                        inbox,
                        outbox,
                        partitions,
                        initial_stock: products.iter().map(|p| (ProductId((*p).into()), 6)).collect(),
                        ..SagaConfig::default()
                    },
                    orders: orders.iter().enumerate().map(|(i, (at, c, p, q))| {
                        order(*at, &format!("order-{i}"), &format!("customer-{c}"), products[*p], *q)
                    }).collect(),
                    faults: FaultPlan {
                        rules,
                        outages: outage.iter().map(|(s, from, len)| Outage {
                            service: SERVICES[*s],
                            from_tick: Tick(*from),
                            until_tick: Tick((from + len).min(FAULTS_STOP)),
                        }).collect(),
                        ..FaultPlan::default()
                    },
                    ..SagaSetup::default()
                };
                let mut s = StreamingSaga::with_groups(setup, seed, |_, g| {
                    if let Some(interval_ticks) = auto_commit {
                        g.commit_policy = crate::group::CommitPolicy::AutoCommit { interval_ticks };
                    }
                }).unwrap();
                let mut kill_plan: Vec<(u64, ServiceName, bool)> = Vec::new();
                for (svc, at, down) in &kills {
                    kill_plan.push((*at, SERVICES[*svc], false));
                    kill_plan.push(((at + down).min(FAULTS_STOP), SERVICES[*svc], true));
                }
                kill_plan.sort_by_key(|(t, _, up)| (*t, *up));
                let mut down: BTreeMap<ServiceName, u32> = BTreeMap::new();
                let mut ticks = 0;
                while ticks < FAULTS_STOP + SETTLE_BOUND_TICKS {
                    for (_, service, up) in kill_plan.iter().filter(|(t, _, _)| *t == ticks) {
                        let skip = *service == ServiceName::Orchestrator && choreography;
                        if skip { continue; }
                        let d = down.entry(*service).or_insert(0);
                        if *up {
                            if *d > 0 {
                                *d -= 1;
                                if *d == 0 { s.start_member(*service).unwrap(); }
                            }
                        } else {
                            if *d == 0 { s.kill_service(*service).unwrap(); }
                            *d += 1;
                        }
                    }
                    s.step();
                    ticks += 1;
                    if ticks > FAULTS_STOP && s.is_settled() {
                        break;
                    }
                }
                prop_assert!(s.is_settled(), "seed {}: not settled at tick {}: {:?}", seed, s.now(), s.summaries());
                let v = s.check_invariants();
                prop_assert!(v.is_empty(), "seed {}: {:?}", seed, v);
                prop_assert_eq!(s.summaries().len(), orders.len());
            }
        }
    }
}
