//! The Notification service: tells customers what happened (twice, without an inbox, when
//! an event is redelivered).

use super::super::message::{Envelope, NotificationKind, OrderId, SagaMessage};
use super::{Injected, Reaction, SagaMode};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};

/// One message sent to a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentNotification {
    /// The order (one saga per order).
    pub order_id: OrderId,
    /// What the customer was told.
    pub kind: NotificationKind,
    /// The tick it happened at.
    pub tick: Tick,
}

/// The Notification service: tells customers what happened (twice, without an inbox, when
/// an event is redelivered).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationService {
    /// Every notification sent, in order.
    pub sent: Vec<SentNotification>,
}

impl NotificationService {
    /// Handles one message.
    pub fn handle(
        &mut self,
        now: Tick,
        _mode: SagaMode,
        envelope: &Envelope,
        _injected: &Injected,
    ) -> Reaction {
        use SagaMessage as M;
        let kind = match &envelope.message {
            M::OrderCreated { .. } => NotificationKind::OrderConfirmed,
            M::OrderShipped { .. } => NotificationKind::OrderShipped,
            M::OrderCancelled { .. } => NotificationKind::OrderCancelled,
            _ => return Reaction::default(),
        };
        let order_id = envelope.message.order_id().clone();
        self.sent.push(SentNotification {
            order_id: order_id.clone(),
            kind,
            tick: now,
        });
        Reaction::publish(SagaMessage::NotificationSent { order_id, kind })
    }
}
