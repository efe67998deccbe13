//! The outbox relays: after every engine step, each running service's relay publishes its
//! pending outbox rows under the event ids they were written with.

use super::super::message::Envelope;
use super::super::services::ServiceName;
use super::super::trace::SagaTraceEvent as T;
use super::Saga;
use crate::ids::Tick;
use crate::log::{Headers, Payload};
use crate::sim::{Command, Sim};

impl Saga {
    /// Each running service's relay publishes its pending rows. A relay crash (fault plan)
    /// stops it after a send and before marking the row, so the row goes out again next
    /// tick: a duplicate the inbox absorbs.
    pub(super) fn relay_outboxes(&mut self, sim: &mut Sim) {
        if !self.config.outbox {
            return;
        }
        for service in ServiceName::ALL {
            if self.is_up(service) {
                self.relay(sim, service);
            }
        }
    }

    fn relay(&mut self, sim: &mut Sim, service: ServiceName) {
        let pending: Vec<(u64, String, Envelope)> = self
            .world
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
            publish_row(sim, key, row, Some(service));
            if !self.mark_sent(sim.now(), service, sequence) {
                self.trace(T::RelayCrashed {
                    tick: sim.now(),
                    service,
                    event_id,
                });
                break;
            }
        }
    }

    /// Counts the send of row `sequence` and marks it published; false when the relay
    /// crashed between the two.
    fn mark_sent(&mut self, now: Tick, service: ServiceName, sequence: u64) -> bool {
        let w = &mut self.world;
        let outbox = w.outboxes.get_mut(&service).expect("pending rows exist");
        outbox.record_send(sequence);
        if w.relay_sent_once_more(service) {
            return false;
        }
        let outbox = w.outboxes.get_mut(&service).expect("pending rows exist");
        outbox.mark_published(sequence, now);
        let publish_count = outbox.entries()[sequence as usize].publish_count;
        w.trace.push(T::OutboxRelayed {
            tick: now,
            service,
            event_id: outbox.entries()[sequence as usize].envelope.meta.event_id,
            publish_count,
        });
        true
    }
}

/// Produces `row` under its own headers: an outbox row (maybe again) of `service`'s relay,
/// or a resubmitted dead letter (`None`: a person's command), keeping the event id the
/// consumers' inboxes know it by.
///
/// A relay's send is not a command: running the saga again sends it again, so it stays
/// out of the simulation's command history, and the trace names the service's group as
/// the record's writer. A resubmit is a person's command and goes through [`Sim::apply`].
pub(super) fn publish_row(sim: &mut Sim, key: String, row: Envelope, service: Option<ServiceName>) {
    let topic = row.message.topic().to_string();
    let headers = Headers {
        event_id: row.meta.event_id,
        correlation_id: Some(row.meta.correlation_id.0),
        causation_id: row.meta.causation_id,
        schema_version: u16::try_from(row.meta.schema_version).unwrap_or(u16::MAX),
    };
    let value = Payload::Saga(Box::new(row.message));
    let key = Some(key);
    let sent = match service {
        Some(service) => {
            sim.produce_with_headers(topic, key, value, headers, Some(service.group()))
        }
        None => sim.apply(Command::ProduceWithHeaders {
            topic,
            key,
            headers,
            value,
        }),
    };
    sent.expect("rows and dead letters name topics of the flow and ids the engine issued");
}
