//! The transactional outbox: a service writes the events it wants to publish into its own
//! store in the same transaction as its state change; a relay publishes them later.
//!
//! A crash between the state change and the publish then loses nothing: the relay finds the
//! unpublished entries after the restart. A relay that crashes after publishing but before
//! marking an entry publishes it again, which is why consumers need an inbox.

use super::message::SagaMessage;
use crate::ids::Tick;
use serde::{Deserialize, Serialize};

/// One event waiting in (or already relayed from) the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Position in this outbox (0-based, never reused).
    pub sequence: u64,
    /// The record key (the order id).
    pub key: String,
    /// The fully formed record (headers included), so a re-publish is the same event.
    pub envelope: super::message::Envelope,
    /// The tick it was written (with the state change).
    pub written_at: Tick,
    /// When the relay marked it published; `None` while pending.
    pub published_at: Option<Tick>,
    /// How many times the relay sent it (more than one after a relay crash).
    pub publish_count: u32,
}

/// A service's outbox table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    entries: Vec<OutboxEntry>,
}

impl Outbox {
    /// Writes an entry (part of the service's state-change transaction).
    pub fn write(&mut self, key: String, envelope: super::message::Envelope, now: Tick) -> u64 {
        let sequence = self.entries.len() as u64;
        self.entries.push(OutboxEntry {
            sequence,
            key,
            envelope,
            written_at: now,
            published_at: None,
            publish_count: 0,
        });
        sequence
    }

    /// Entries not yet marked published, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &OutboxEntry> {
        self.entries.iter().filter(|e| e.published_at.is_none())
    }

    /// Number of entries not yet marked published.
    pub fn pending_len(&self) -> usize {
        self.pending().count()
    }

    /// Counts one send of entry `sequence` (the relay published it).
    pub fn record_send(&mut self, sequence: u64) {
        if let Some(e) = self.entries.get_mut(sequence as usize) {
            e.publish_count += 1;
        }
    }

    /// Marks entry `sequence` published.
    pub fn mark_published(&mut self, sequence: u64, now: Tick) {
        if let Some(e) = self.entries.get_mut(sequence as usize) {
            e.published_at = Some(now);
        }
    }

    /// Every entry, in write order.
    pub fn entries(&self) -> &[OutboxEntry] {
        &self.entries
    }

    /// The messages of every entry (for checks: each state change has its event here).
    pub fn messages(&self) -> impl Iterator<Item = &SagaMessage> {
        self.entries.iter().map(|e| &e.envelope.message)
    }
}

#[cfg(test)]
mod tests {
    use super::super::message::*;
    use super::*;

    fn envelope(id: u64) -> Envelope {
        Envelope {
            meta: EventMeta {
                event_id: EventId(id),
                correlation_id: CorrelationId("O1".into()),
                causation_id: None,
                schema_version: 2,
            },
            message: SagaMessage::ShipOrder {
                order_id: OrderId("O1".into()),
            },
        }
    }

    #[test]
    fn pending_entries_leave_once_marked_and_sends_are_counted() {
        let mut outbox = Outbox::default();
        let a = outbox.write("O1".into(), envelope(1), Tick(3));
        let b = outbox.write("O1".into(), envelope(2), Tick(3));
        assert_eq!(outbox.pending_len(), 2);
        outbox.record_send(a);
        outbox.record_send(a);
        outbox.mark_published(a, Tick(4));
        assert_eq!(
            outbox.pending().map(|e| e.sequence).collect::<Vec<_>>(),
            vec![b]
        );
        assert_eq!(outbox.entries()[0].publish_count, 2);
        assert_eq!(outbox.messages().count(), 2);
    }
}
