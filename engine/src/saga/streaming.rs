//! The order saga on the streaming engine: every service is a consumer group of a
//! [`Sim`], every saga message a [`Payload::Saga`] record on a partition.
//!
//! Each service's handler runs as the group's [`Processor`](crate::process::Processor)
//! (the [`SagaWorld`], which the [`Saga`] lends the `Sim` as its
//! [`Processors`](crate::process::Processors) for each step), so the saga inherits everything the streaming engine models:
//! partition assignment (Kafka's murmur2 routing by order id), rebalances when a service's
//! member is killed or joins, commit policies, and redelivery of processed-but-uncommitted
//! records (which the inbox absorbs). Retries use the engine's blocking
//! [`ProcessOutcome::Retry`](crate::process::ProcessOutcome::Retry) on the retry schedule;
//! a record that exhausts it is produced to `<topic>.DLQ` as a [`Payload::SagaDeadLetter`].
//!
//! The [`Saga`] owns the services' state ([`SagaWorld`]) and is handed the `Sim` it runs
//! on: [`Saga::step`] steps the `Sim` with the world as the groups' processor, then fires
//! the orchestrator's step timeouts, the choreography's saga deadlines and the carrier's
//! deliveries, which happen on the clock, not on a record. Reading a run back takes both
//! ([`SagaView`]).
//!
//! The CQRS projections are consumer groups too, on the events topic; their lag is the
//! group's lag.
//!
//! Faults act through the engine (see `members.rs` and `relay.rs`):
//!
//! - **Outages** kill the service's member and start a new one when they end (the
//!   engine's session timeout and rebalance follow).
//! - **Crashes** ([`super::faults::Crash`]) happen inside the processor: the service's
//!   state changes (and its inbox is marked), then the processor returns
//!   `ProcessOutcome::Crash`, so the group kills the member mid-record without committing.
//!   After the session timeout the group rebalances; a replacement member joins when the
//!   crash's `down_ticks` are over and gets the uncommitted records again (the inbox
//!   absorbs them). At [`CrashPoint::AfterStateChange`](super::faults::CrashPoint) without
//!   an outbox the events are lost ([`T::EventLost`]) and the saga waits for its timeout,
//!   then compensates.
//! - **Outbox** (`SagaConfig::outbox`): a service writes its events as outbox rows with its
//!   state change, each under an event id issued then
//!   ([`crate::process::Delivery::issue_event_id`]); after every engine step the relay of
//!   each running service publishes pending rows with [`Command::ProduceWithHeaders`],
//!   keeping the id. A relay crash ([`super::faults::RelayCrash`]) sends a row twice; the
//!   consumers' inboxes absorb the copy. With the outbox on, every row's event reaches a
//!   topic (an invariant).
//! - **Slowdowns** ([`super::faults::Slowdown`]) change the service group's processing time
//!   ([`Command::ConfigureGroup`]) while they last; `SagaConfig::processing_ticks` sets each
//!   group's own time. The group spends it on every record it consumes, including events it
//!   ignores, so a slow service's commands queue behind its events and steps time out.
//!
//! Not modelled: the orchestrator's timeout commands, the choreography's deadline
//! cancellations and the carrier's deliveries are produced directly by the driver, not
//! through an outbox (no crash point sits between a timer and its publish).

#[cfg(test)]
mod index_tests;
mod members;
mod order_records;
mod processor;
mod records;
mod relay;
mod report;
#[cfg(test)]
mod tests;
mod trace_index;
mod world;

pub use world::SagaWorld;

use super::choreography::ChoreographyView;
use super::command::{OrderRequest, ResubmitRequest, SagaCommand, MAX_SLOWDOWN_TICKS};
use super::config::{check_fault_rule, check_lines, SagaConfig, SagaSetup, SagaSetupError};
use super::faults::FaultRule;
use super::message::{topics, OrderId, ProductId, SagaMessage};
use super::order_stream::{OrderStream, MAX_STREAM_ORDERS_PER_TICK};
use super::projection::ProjectionKind;
use super::services::{SagaMode, ServiceName};
use super::trace::SagaTraceEvent as T;
use crate::group::GroupConfig;
use crate::ids::{MemberId, Offset, PartitionId, Tick};
use crate::log::Payload;
use crate::partitioner::Partitioner;
use crate::process::{Processor, Processors};
use crate::sim::{Command, Sim, SimError};
use litemap::LiteMap;
use std::collections::{BTreeMap, BTreeSet};

/// The order saga on a [`Sim`]'s topics and consumer groups: the services' state and the
/// saga's bookkeeping. The `Sim` is not its own; every step and command is handed it.
#[derive(Debug)]
pub struct Saga {
    world: SagaWorld,
    /// The consumer groups whose processor the world is (services and projections).
    groups: BTreeSet<String>,
    config: SagaConfig,
    pending_orders: Vec<OrderRequest>,
    pending_resubmits: Vec<ResubmitRequest>,
    /// Dead letters already resubmitted, per dead-letter topic: their partition and offset
    /// there (one at a time or all that wait, so not a prefix).
    resubmitted: BTreeMap<String, BTreeSet<(PartitionId, Offset)>>,
    /// Members joined so far per service (names `<group>-<n>`).
    members: LiteMap<ServiceName, u32>,
    /// Services whose member the fault plan's outage killed (a set: no values).
    outage_down: LiteMap<ServiceName, ()>,
    /// Services whose newest member was killed and not replaced yet (a set: no values).
    killed: LiteMap<ServiceName, ()>,
    /// Replacements for crashed members: when each starts.
    restarts: Vec<(Tick, ServiceName)>,
    /// The processing time per record each service's group runs with now (its configured
    /// time plus any slowdown in force).
    processing_ticks: BTreeMap<ServiceName, u64>,
    /// Each service's own processing time per record, without slowdowns.
    base_processing_ticks: BTreeMap<ServiceName, u64>,
    /// Choreographed sagas as seen on the events topic so far.
    choreography: BTreeMap<OrderId, ChoreographyView>,
    /// The next offset of each events-topic partition the choreography views have not seen.
    observed: Vec<Offset>,
    /// The stream of orders placed every tick, while one runs.
    order_stream: Option<OrderStream>,
    /// Orders the stream placed so far (the last one's number).
    streamed_orders: u64,
    /// The saga trace by order and by projection, brought up to date after every step
    /// and command.
    trace_index: trace_index::TraceIndex,
    /// Every saga record by its order, brought up to date with the trace index.
    record_index: order_records::RecordIndex,
}

/// A running saga read together with the `Sim` it runs on: its sagas, balances, records
/// and invariants.
#[derive(Clone, Copy, Debug)]
pub struct SagaView<'a> {
    saga: &'a Saga,
    sim: &'a Sim,
}

impl Saga {
    /// Builds the saga's topics (and their `.DLQ` topics) on `sim`, and one consumer group
    /// per service, each with one member, with the engine's default group settings.
    pub fn new(setup: SagaSetup, sim: &mut Sim) -> Result<Self, SagaSetupError> {
        Self::with_groups(setup, sim, |_, _| {})
    }

    /// Like [`new`](Self::new), letting `customize` change each service's group settings
    /// (commit policy, assignor, session timeout...).
    pub fn with_groups(
        setup: SagaSetup,
        sim: &mut Sim,
        customize: impl Fn(ServiceName, &mut GroupConfig),
    ) -> Result<Self, SagaSetupError> {
        setup.validate()?;
        let SagaSetup {
            config,
            mut orders,
            faults,
            mut resubmits,
        } = setup;
        crate::sort::sort_by_key(&mut orders, |o| o.at_tick);
        crate::sort::sort_by_key(&mut resubmits, |r| r.at_tick);
        create_topics(sim, config.partitions).map_err(engine_error)?;
        let processing_ticks = add_service_groups(sim, &config, customize).map_err(engine_error)?;
        let mut groups: BTreeSet<String> =
            crate::sort::set_of(processing_ticks.keys().map(|s| s.group().to_string()));
        groups.extend(add_projection_groups(sim, &config).map_err(engine_error)?);
        Ok(Self {
            world: SagaWorld::new(&config, faults),
            groups,
            pending_orders: orders,
            pending_resubmits: resubmits,
            resubmitted: BTreeMap::new(),
            // The keys of a B-tree: sorted and distinct.
            members: LiteMap::from_sorted_store_unchecked(
                processing_ticks.keys().map(|s| (*s, 1)).collect(),
            ),
            outage_down: LiteMap::new_vec(),
            killed: LiteMap::new_vec(),
            restarts: Vec::new(),
            base_processing_ticks: processing_ticks.clone(),
            processing_ticks,
            choreography: BTreeMap::new(),
            observed: vec![Offset(0); config.partitions as usize],
            order_stream: None,
            streamed_orders: 0,
            trace_index: trace_index::TraceIndex::default(),
            record_index: order_records::RecordIndex::default(),
            config,
        })
    }

    /// The saga read together with `sim`, the simulation it runs on.
    pub fn view<'a>(&'a self, sim: &'a Sim) -> SagaView<'a> {
        SagaView { saga: self, sim }
    }

    /// The configuration.
    pub fn config(&self) -> &SagaConfig {
        &self.config
    }

    /// The saga state (services, inboxes, saga trace).
    pub fn world(&self) -> &SagaWorld {
        &self.world
    }

    /// Advances one tick: outages, crash restarts and slowdowns act on the groups; the
    /// engine steps with the services as its groups' processors (groups poll, process,
    /// commit, rebalance); the outbox relays publish; due orders and resubmissions are
    /// produced; then the saga timers fire.
    pub fn step(&mut self, sim: &mut Sim) {
        let next = Tick(sim.now().0 + 1);
        self.restart_crashed_members(sim, next);
        self.apply_slowdowns(sim, next);
        self.apply_outages(sim, next);
        sim.step_with(self);
        self.note_crashed_members();
        self.relay_outboxes(sim);
        let now = sim.now();
        while let Some(o) = take_due(&mut self.pending_orders, |o| o.at_tick <= now) {
            produce(sim, o.place_order(), None);
        }
        self.stream_orders(sim);
        while let Some(r) = take_due(&mut self.pending_resubmits, |r| r.at_tick <= now) {
            self.resubmit_dead_letters(sim, &r.topic)
                .expect("resubmit topics were validated with the setup");
        }
        self.fire_timers(sim, now);
        self.observe_choreography(sim);
        self.index_trace(sim);
    }

    /// Applies a command at the current tick: `TakeDown` kills the service's member (the
    /// group notices after its session timeout), `BringUp` starts a new member if the
    /// service is down (a rebalance follows).
    pub fn apply(&mut self, sim: &mut Sim, command: SagaCommand) -> Result<(), SagaSetupError> {
        let applied = self.apply_command(sim, command);
        self.index_trace(sim);
        applied
    }

    fn apply_command(&mut self, sim: &mut Sim, command: SagaCommand) -> Result<(), SagaSetupError> {
        match command {
            SagaCommand::PlaceOrder {
                order_id,
                customer_id,
                lines,
                currency,
            } => {
                check_lines(&order_id, &lines)?;
                produce(
                    sim,
                    SagaMessage::PlaceOrder {
                        order_id,
                        customer_id,
                        lines,
                        currency,
                    },
                    None,
                );
            }
            SagaCommand::TakeDown { service } => self.take_down(sim, service)?,
            SagaCommand::BringUp { service } => self.bring_up(sim, service)?,
            SagaCommand::ResubmitDeadLetters { topic } => {
                self.resubmit_dead_letters(sim, &topic)?;
            }
            SagaCommand::ResubmitDeadLetter {
                topic,
                partition,
                offset,
            } => self.resubmit_dead_letter(sim, &topic, partition, offset)?,
            SagaCommand::RebuildProjection { projection } => {
                self.rebuild_projection(sim, projection);
            }
            SagaCommand::TakeSnapshot { order_id } => self.take_snapshot(sim.now(), order_id)?,
            SagaCommand::SetOrderStream {
                orders_per_tick,
                customers,
            } => self.set_order_stream(orders_per_tick, customers)?,
            SagaCommand::InjectFault { mut rule } => {
                check_fault_rule(&rule)?;
                rule.from_tick = rule.from_tick.max(sim.now());
                self.world.faults.rules.push(rule);
            }
            SagaCommand::DisarmFaults { target } => self.world.faults.disarm(target),
            SagaCommand::SetSlowdown {
                service,
                extra_ticks,
            } => {
                if extra_ticks > MAX_SLOWDOWN_TICKS {
                    return Err(SagaSetupError::Slowdown {
                        extra_ticks,
                        max: MAX_SLOWDOWN_TICKS,
                    });
                }
                self.world
                    .faults
                    .set_slowdown(service, extra_ticks, sim.now());
            }
            SagaCommand::SetFaultChance {
                target,
                effect,
                probability,
            } => {
                let rule = FaultRule::probability(target, effect, probability);
                check_fault_rule(&rule)?;
                self.world.faults.set_chance(rule, sim.now());
            }
        }
        Ok(())
    }

    /// Starts, changes or (0 orders a tick) stops the stream of orders.
    fn set_order_stream(
        &mut self,
        orders_per_tick: u32,
        customers: u32,
    ) -> Result<(), SagaSetupError> {
        if orders_per_tick > MAX_STREAM_ORDERS_PER_TICK {
            return Err(SagaSetupError::OrderStream {
                orders_per_tick,
                max: MAX_STREAM_ORDERS_PER_TICK,
            });
        }
        let stream = OrderStream::new(orders_per_tick, customers);
        (stream.customers.check(orders_per_tick))
            .map_err(|error| SagaSetupError::StreamCustomers { error })?;
        self.order_stream = (orders_per_tick > 0).then_some(stream);
        Ok(())
    }

    /// The running stream's orders for this tick, placed like any customer's. At the
    /// simulation's record limit the stream stops (traced), as the generator does.
    fn stream_orders(&mut self, sim: &mut Sim) {
        let Some(stream) = &self.order_stream else {
            return;
        };
        let products: Vec<ProductId> = self.config.initial_stock.keys().cloned().collect();
        for m in stream.orders(sim.rng_mut(), &products, &mut self.streamed_orders) {
            let topic = m.topic().into();
            let key = Some(m.order_id().0.clone());
            let value = Payload::Saga(Box::new(m));
            if let Err(e) = sim.apply(Command::Produce { topic, key, value }) {
                self.world.trace.push(T::CommandRejected {
                    tick: sim.now(),
                    command: "set_order_stream".into(),
                    error: format!("the order stream stopped: {e}"),
                });
                self.order_stream = None;
                return;
            }
        }
    }

    /// Snapshots the order's aggregate now and traces it (nothing when its latest snapshot
    /// is current already).
    fn take_snapshot(&mut self, now: Tick, order_id: OrderId) -> Result<(), SagaSetupError> {
        let store = &mut self.world.services.order.store;
        let taken = store
            .take_snapshot(&order_id)
            .map_err(|_| SagaSetupError::NoOrderStream {
                order_id: order_id.0.clone(),
            })?;
        if let Some(version) = taken {
            self.world.trace.push(T::SnapshotTaken {
                tick: now,
                order_id,
                version,
            });
        }
        Ok(())
    }

    /// The orchestrator's step timeouts, or the choreography's saga deadlines, and the
    /// carrier's deliveries (while Shipping runs) publish what is due now.
    fn fire_timers(&mut self, sim: &mut Sim, now: Tick) {
        let w = &mut self.world;
        let (writer, due) = match w.mode {
            SagaMode::Orchestration => {
                let r = w.services.orchestrator.tick(now);
                w.trace.extend(r.notes);
                (ServiceName::Orchestrator, r.commands)
            }
            SagaMode::Choreography => (ServiceName::Order, w.services.order.tick(now).publish),
        };
        for m in due {
            produce(sim, m, Some(writer));
        }
        if self.is_up(ServiceName::Shipping) {
            for m in self.world.services.shipping.tick(now).publish {
                produce(sim, m, Some(ServiceName::Shipping));
            }
        }
    }

    /// Folds the events topic's records the choreography views have not seen yet, in each
    /// partition's order, into the views, and traces what they tell.
    fn observe_choreography(&mut self, sim: &Sim) {
        if self.config.mode != SagaMode::Choreography {
            return;
        }
        let Some(events) = sim.topic(topics::ORDER_EVENTS) else {
            return;
        };
        let mut trace = Vec::new();
        for (log, observed) in events.partitions().iter().zip(&mut self.observed) {
            let unseen = log
                .range(*observed, log.high_watermark())
                .expect("saga topics keep every record");
            for r in unseen {
                if let Some(m) = r.saga() {
                    let view = self
                        .choreography
                        .entry(m.order_id().clone())
                        .or_insert_with(ChoreographyView::pending);
                    trace.extend(view.observe(r.tick(), m));
                }
            }
            *observed = log.high_watermark();
        }
        let buffer = self.config.timeouts.compensation_buffer_ticks;
        for (order_id, view) in &mut self.choreography {
            trace.extend(view.time_out_compensation(sim.now(), buffer, order_id));
        }
        self.world.trace.extend(trace);
    }
}

/// The saga lends the `Sim` its world as the processor of every group it runs.
impl Processors for Saga {
    fn processor(&mut self, group: &str) -> Option<&mut dyn Processor> {
        if self.groups.contains(group) {
            Some(&mut self.world)
        } else {
            None
        }
    }

    fn snapshot(&self, group: &str) -> serde_json::Value {
        if self.groups.contains(group) {
            self.world.snapshot(group)
        } else {
            serde_json::Value::Null
        }
    }
}

/// Produces a message to its topic, keyed by its order (so one order's records stay in
/// one partition, in order). A customer's order is a client's request, a command of the
/// history (`writer` `None`); a timer's message is `writer`'s own doing, which running the
/// saga again repeats, so it is no command and the trace names the service's group.
fn produce(sim: &mut Sim, message: SagaMessage, writer: Option<ServiceName>) {
    let topic: std::sync::Arc<str> = message.topic().into();
    let key = Some(message.order_id().0.clone());
    let value = Payload::Saga(Box::new(message));
    let produced = match writer {
        Some(service) => sim.produce(&topic, key, value, Some(service.group())),
        None => sim.apply(Command::Produce { topic, key, value }),
    };
    produced.expect("the saga topics exist");
}

/// Removes and returns the first of `pending` (sorted by tick) if it is due.
fn take_due<R>(pending: &mut Vec<R>, due: impl Fn(&R) -> bool) -> Option<R> {
    pending.first().is_some_and(due).then(|| pending.remove(0))
}

fn engine_error(e: SimError) -> SagaSetupError {
    SagaSetupError::Engine {
        error: e.to_string(),
    }
}

/// Every topic of the order flow and its `.DLQ` topic, routed by Kafka's murmur2.
fn create_topics(sim: &mut Sim, partitions: u32) -> Result<(), SimError> {
    for t in topics::ALL {
        for name in [t.to_string(), topics::dead_letter_topic(t)] {
            sim.apply(Command::CreateTopic(crate::topic::TopicSpec::new(
                &name,
                partitions,
                Partitioner::Murmur2,
            )))?;
        }
    }
    Ok(())
}

/// One consumer group per service of the saga style, with one member `<group>-1`.
/// Returns each group's processing time per record.
fn add_service_groups(
    sim: &mut Sim,
    config: &SagaConfig,
    customize: impl Fn(ServiceName, &mut GroupConfig),
) -> Result<BTreeMap<ServiceName, u64>, SimError> {
    let mut processing_ticks = BTreeMap::new();
    for service in ServiceName::ALL {
        if service == ServiceName::Orchestrator && config.mode == SagaMode::Choreography {
            continue;
        }
        let topics = service.topics().iter().map(|t| t.to_string()).collect();
        let mut group = GroupConfig::new(service.group(), topics);
        group.processing_ticks_per_record = config.processing_ticks(service);
        if let Some(policy) = config.commit_policy {
            group.commit_policy = policy;
        }
        customize(service, &mut group);
        processing_ticks.insert(service, group.processing_ticks_per_record);
        add_group(sim, group)?;
    }
    Ok(processing_ticks)
}

/// One consumer group per CQRS projection, on the events topic; returns their names.
fn add_projection_groups(sim: &mut Sim, config: &SagaConfig) -> Result<Vec<String>, SimError> {
    let mut names = Vec::new();
    for kind in ProjectionKind::ALL {
        let mut group = GroupConfig::new(kind.group(), vec![topics::ORDER_EVENTS.to_string()]);
        group.processing_ticks_per_record = config.projection_ticks_per_record;
        names.push(kind.group().to_string());
        add_group(sim, group)?;
    }
    Ok(names)
}

fn add_group(sim: &mut Sim, group: GroupConfig) -> Result<(), SimError> {
    let name = group.name.clone();
    sim.apply(Command::CreateGroup { config: group })?;
    sim.apply(Command::JoinGroup {
        member: MemberId(format!("{name}-1")),
        group: name,
    })
}
