//! The saga's world as the [`Processor`] of every saga group: each service, and each CQRS
//! projection, by the group's name. A record goes through the service's inbox, the fault plan, the retry
//! schedule or the dead-letter topic, the service's handler, and out through the outbox or
//! straight to its topic; a crash fault kills the member mid-record.

use super::super::faults::{Crash, CrashPoint, FaultEffect};
use super::super::message::{topics, CorrelationId, Envelope, EventMeta, SagaMessage};
use super::super::projection::ProjectionKind;
use super::super::retry::{DeadLetter, RetryDecision};
use super::super::services::{call_target, CallTarget, Injected, ServiceName};
use super::super::trace::SagaTraceEvent as T;
use super::world::SagaWorld;
use crate::ids::{EventId, Offset, Tick};
use crate::log::{Payload, RecordRef};
use crate::process::{Delivery, OutgoingRecord, ProcessOutcome, Processor};
use crate::rng::SimRng;
use std::collections::BTreeMap;

/// The service whose consumer group is `group`.
fn service_of(group: &str) -> Option<ServiceName> {
    ServiceName::ALL.into_iter().find(|s| s.group() == group)
}

/// The projection whose consumer group is `group`.
fn projection_of(group: &str) -> Option<ProjectionKind> {
    ProjectionKind::ALL.into_iter().find(|k| k.group() == group)
}

/// Every saga group's processor: the service or projection named by the group.
impl Processor for SagaWorld {
    fn process(&mut self, d: &Delivery<'_>, rng: &mut SimRng) -> ProcessOutcome {
        if let Some(service) = service_of(d.group) {
            process_service(self, service, d, rng)
        } else if let Some(kind) = projection_of(d.group) {
            process_projection(self, kind, d)
        } else {
            ProcessOutcome::done()
        }
    }
}

impl SagaWorld {
    /// The state of the service or projection `group` runs, for snapshots and summaries.
    pub fn snapshot(&self, group: &str) -> serde_json::Value {
        let value = if let Some(service) = service_of(group) {
            self.service_snapshot(service)
        } else if let Some(kind) = projection_of(group) {
            self.projections
                .get(&kind)
                .map_or(Ok(serde_json::Value::Null), |(m, _)| {
                    serde_json::to_value(m)
                })
        } else {
            Ok(serde_json::Value::Null)
        };
        value.unwrap_or(serde_json::Value::Null)
    }

    fn service_snapshot(&self, service: ServiceName) -> serde_json::Result<serde_json::Value> {
        let s = &self.services;
        match service {
            ServiceName::Order => serde_json::to_value(s.order.statuses()),
            ServiceName::Inventory => serde_json::to_value(&s.inventory.stock),
            ServiceName::Payment => serde_json::to_value(s.payment.balances()),
            ServiceName::Shipping => serde_json::to_value(&s.shipping.shipments),
            ServiceName::Notification => serde_json::to_value(&s.notification.sent),
            ServiceName::Analytics => serde_json::to_value(&s.analytics.events_by_type),
            ServiceName::Orchestrator => serde_json::to_value(
                s.orchestrator
                    .sagas()
                    .iter()
                    .map(|(id, saga)| (id.0.clone(), saga.status.state))
                    .collect::<BTreeMap<_, _>>(),
            ),
        }
    }
}

/// One record handed to `service`.
fn process_service(
    w: &mut SagaWorld,
    service: ServiceName,
    d: &Delivery<'_>,
    rng: &mut SimRng,
) -> ProcessOutcome {
    let Some(message) = d.record.saga() else {
        return ProcessOutcome::done();
    };
    let Some(target) = call_target(service, w.mode, message) else {
        return ProcessOutcome::done();
    };
    let envelope = envelope_of(d.record, message);
    if absorbed_by_inbox(w, service, d.now, &envelope) {
        return ProcessOutcome::done();
    }
    let fault = match target {
        CallTarget::Other => None,
        t => w.faults.decide(t, d.now, rng),
    };
    let compensation = matches!(target, CallTarget::Compensation(_));
    let error = match fault {
        Some(FaultEffect::Error) => "injected error",
        // A compensation cannot say no: declining one is an error, retried until it works.
        Some(FaultEffect::Decline) if compensation => "injected compensation failure",
        Some(FaultEffect::Decline) => {
            let reason = declined_reason(target);
            return handle(w, service, d, &envelope, &Injected::Decline { reason });
        }
        None => {
            let injected = concurrent_writer(w, service, message);
            return handle(w, service, d, &envelope, &injected);
        }
    };
    fail(w, service, d, envelope, error, compensation)
}

/// One record of the events topic handed to projection `kind`.
fn process_projection(w: &mut SagaWorld, kind: ProjectionKind, d: &Delivery<'_>) -> ProcessOutcome {
    let Some((model, next)) = w.projections.get_mut(&kind) else {
        return ProcessOutcome::done();
    };
    let Some(position) = next.get_mut(d.partition.0 as usize) else {
        return ProcessOutcome::done();
    };
    if d.record.offset() < *position {
        // Already applied (a redelivery): the position is stored with the model.
        return ProcessOutcome::done();
    }
    *position = Offset(d.record.offset().0 + 1);
    if let Some(message) = d.record.saga() {
        model.apply(&envelope_of(d.record, message));
        w.trace.push(T::ProjectionUpdated {
            tick: d.now,
            projection: kind,
            event_id: d.record.event_id(),
        });
    }
    ProcessOutcome::done()
}

/// A saga record's message with its headers, as the services and projections read it.
pub(super) fn envelope_of(record: RecordRef<'_>, message: &SagaMessage) -> Envelope {
    let correlation_id = record.correlation_id();
    Envelope {
        meta: EventMeta {
            event_id: record.event_id(),
            correlation_id: CorrelationId(
                correlation_id.map_or_else(|| message.order_id().0.clone(), str::to_owned),
            ),
            causation_id: record.causation_id(),
            schema_version: u32::from(record.schema_version()),
        },
        message: message.clone(),
    }
}

/// With the inbox on, an event id the service already processed is skipped (and said so).
fn absorbed_by_inbox(
    w: &mut SagaWorld,
    service: ServiceName,
    now: Tick,
    envelope: &Envelope,
) -> bool {
    let event_id = envelope.meta.event_id;
    let seen = w
        .inboxes
        .get(&service)
        .is_some_and(|inbox| inbox.contains(service.group(), event_id));
    if w.inbox && seen {
        w.trace.push(T::DuplicateAbsorbed {
            tick: now,
            service,
            event_id,
            message: envelope.message.name().to_string(),
        });
    }
    w.inbox && seen
}

/// The failure reason of an injected decline, named after the step (the same in both saga
/// styles, whatever message carried the call).
fn declined_reason(target: CallTarget) -> String {
    match target {
        CallTarget::Step(step) => format!("{step:?} declined (injected)"),
        CallTarget::Compensation(c) => format!("{c:?} failed (injected)"),
        CallTarget::Other => "declined (injected)".to_string(),
    }
}

/// The fault plan's concurrent writer on an order's stream meets the Order service's
/// `PaymentProcessed` update, once per order named.
fn concurrent_writer(w: &mut SagaWorld, service: ServiceName, message: &SagaMessage) -> Injected {
    if service != ServiceName::Order || !matches!(message, SagaMessage::PaymentProcessed { .. }) {
        return Injected::Nothing;
    }
    let writers = &mut w.faults.concurrent_writers;
    match writers.iter().position(|o| *o == message.order_id().0) {
        Some(i) => {
            writers.remove(i);
            Injected::ConcurrentWriter
        }
        None => Injected::Nothing,
    }
}

/// A technical error: the record is retried on the schedule (a compensation forever), the
/// partition waiting meanwhile, and dead-lettered when the schedule runs out.
fn fail(
    w: &mut SagaWorld,
    service: ServiceName,
    d: &Delivery<'_>,
    envelope: Envelope,
    error: &str,
    compensation: bool,
) -> ProcessOutcome {
    let decision = if compensation {
        w.retry.after_failure_never_give_up(d.attempt, d.now)
    } else {
        w.retry.after_failure(d.attempt, d.now)
    };
    match decision {
        RetryDecision::RetryAt { at, .. } => {
            w.trace.push(T::RetryScheduled {
                tick: d.now,
                service,
                topic: d.topic.to_string(),
                partition: d.partition,
                offset: d.record.offset(),
                failed_attempt: d.attempt,
                retry_at: at,
                error: error.to_string(),
            });
            ProcessOutcome::Retry {
                error: error.to_string(),
                after_ticks: at.0 - d.now.0,
            }
        }
        RetryDecision::DeadLetter { attempts } => {
            let dead_letter_topic = topics::dead_letter_topic(d.topic);
            w.trace.push(T::DeadLettered {
                tick: d.now,
                service,
                topic: d.topic.to_string(),
                dead_letter_topic: dead_letter_topic.clone(),
                partition: d.partition,
                offset: d.record.offset(),
                attempts,
                error: error.to_string(),
            });
            let letter = DeadLetter {
                source_topic: d.topic.to_string(),
                source_partition: d.partition,
                source_offset: d.record.offset(),
                key: d.record.key().unwrap_or_default().to_owned(),
                original: envelope,
                error: error.to_string(),
                attempts,
                dead_lettered_at: d.now,
            };
            let record = OutgoingRecord {
                topic: dead_letter_topic,
                key: d.record.key().map(str::to_owned),
                correlation_id: Some(letter.original.message.order_id().0.clone()),
                causation_id: Some(letter.original.meta.event_id),
                schema_version: 1,
                payload: Payload::SagaDeadLetter(Box::new(letter)),
                event_id: None,
            };
            ProcessOutcome::Success {
                produce: vec![record],
            }
        }
    }
}

/// Runs the service's handler, marks the inbox, and publishes (or writes the outbox, or
/// loses the events and crashes, as the fault plan says).
fn handle(
    w: &mut SagaWorld,
    service: ServiceName,
    d: &Delivery<'_>,
    envelope: &Envelope,
    injected: &Injected,
) -> ProcessOutcome {
    let event_id = envelope.meta.event_id;
    let (publish, trace) = w.services.react(service, d.now, w.mode, envelope, injected);
    w.trace.extend(trace);
    if w.inbox {
        w.inboxes
            .entry(service)
            .or_default()
            .mark(service.group(), event_id);
    }
    let name = envelope.message.name();
    let crash = w.handled_once_more(service, name);
    let produce = if w.outbox {
        write_outbox(w, service, d, event_id, publish);
        Vec::new()
    } else if crash
        .as_ref()
        .is_some_and(|c| c.point == CrashPoint::AfterStateChange)
    {
        lose(w, service, d, publish);
        Vec::new()
    } else {
        publish.into_iter().map(|m| outgoing(m, event_id)).collect()
    };
    match crash {
        Some(crash) => crashed(w, service, d, &crash, name, produce),
        None => ProcessOutcome::Success { produce },
    }
}

/// The state change and the outbox rows are one transaction: each row gets its event id
/// now, and the relay publishes it under that id (maybe twice).
fn write_outbox(
    w: &mut SagaWorld,
    service: ServiceName,
    d: &Delivery<'_>,
    cause: EventId,
    publish: Vec<SagaMessage>,
) {
    for m in publish {
        let row = Envelope {
            meta: EventMeta {
                event_id: d.issue_event_id(),
                correlation_id: CorrelationId(m.order_id().0.clone()),
                causation_id: Some(cause),
                schema_version: 2,
            },
            message: m,
        };
        w.trace.push(T::OutboxWritten {
            tick: d.now,
            service,
            event_id: row.meta.event_id,
            message: row.message.name().to_string(),
        });
        let key = row.message.order_id().0.clone();
        w.outboxes
            .entry(service)
            .or_default()
            .write(key, row, d.now);
    }
}

/// Crashed between the state change and the publish, without an outbox: the events are gone.
fn lose(w: &mut SagaWorld, service: ServiceName, d: &Delivery<'_>, publish: Vec<SagaMessage>) {
    for m in publish {
        w.trace.push(T::EventLost {
            tick: d.now,
            service,
            event_id: d.issue_event_id(),
            message: m.name().to_string(),
        });
    }
}

/// A message published straight to its topic, keyed and correlated by its order.
fn outgoing(message: SagaMessage, cause: EventId) -> OutgoingRecord {
    OutgoingRecord {
        topic: message.topic().to_string(),
        key: Some(message.order_id().0.clone()),
        correlation_id: Some(message.order_id().0.clone()),
        causation_id: Some(cause),
        schema_version: 2,
        payload: Payload::Saga(Box::new(message)),
        event_id: None,
    }
}

/// The member dies mid-record, after `produce`: the driver starts a replacement when the
/// crash's down time is over.
fn crashed(
    w: &mut SagaWorld,
    service: ServiceName,
    d: &Delivery<'_>,
    crash: &Crash,
    name: &str,
    produce: Vec<OutgoingRecord>,
) -> ProcessOutcome {
    let down_until = Tick(d.now.0 + crash.down_ticks.max(1));
    w.trace.push(T::ServiceCrashed {
        tick: d.now,
        service,
        while_handling: name.to_string(),
        down_until,
    });
    w.crashes.push((service, d.member.clone(), down_until));
    ProcessOutcome::Crash {
        produce,
        reason: format!("injected crash {:?} while handling {name}", crash.point),
    }
}
