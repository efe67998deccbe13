//! Every service's state ([`Services`]) and handing one record to one of them
//! ([`Services::react`]): the handler's messages to publish and what it did, as trace
//! events. Inboxes, faults, retries and outboxes wrap this call (the consumer groups'
//! service processors do); the services themselves never see them.

use super::config::SagaConfig;
use super::message::{Envelope, SagaMessage};
use super::orchestrator::Orchestrator;
use super::services::{
    AnalyticsService, Injected, InventoryService, NotificationService, OrderService,
    PaymentService, SagaMode, ServiceName, ShippingService,
};
use super::trace::SagaTraceEvent as T;
use crate::ids::Tick;
use serde::{Deserialize, Serialize};

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

impl Services {
    /// The services as `config` sets them up, before any record.
    pub fn new(config: &SagaConfig) -> Self {
        Self {
            order: OrderService::new(config.snapshot_every, config.timeouts.saga_timeout_ticks()),
            inventory: InventoryService::new(config.initial_stock.clone()),
            payment: PaymentService::default(),
            shipping: ShippingService::new(config.delivery_ticks),
            notification: NotificationService::default(),
            analytics: AnalyticsService::default(),
            orchestrator: Orchestrator::new(config.timeouts.clone()),
        }
    }

    /// Calls `service`'s handler on `envelope`: what to publish, and the trace events (an
    /// Order status change included, which the Order service does not note itself).
    pub fn react(
        &mut self,
        service: ServiceName,
        now: Tick,
        mode: SagaMode,
        envelope: &Envelope,
        injected: &Injected,
    ) -> (Vec<SagaMessage>, Vec<T>) {
        let order_id = envelope.message.order_id();
        let reaction = match service {
            ServiceName::Order => {
                let before = self.order.status(order_id);
                let reaction = self.order.handle(now, mode, envelope, injected);
                let after = self.order.status(order_id);
                let changed =
                    after
                        .filter(|_| after != before)
                        .map(|status| T::OrderStatusChanged {
                            tick: now,
                            order_id: order_id.clone(),
                            status,
                        });
                let notes = changed.into_iter().chain(reaction.notes).collect();
                return (reaction.publish, notes);
            }
            ServiceName::Inventory => self.inventory.handle(now, mode, envelope, injected),
            ServiceName::Payment => self.payment.handle(now, mode, envelope, injected),
            ServiceName::Shipping => self.shipping.handle(now, mode, envelope, injected),
            ServiceName::Notification => self.notification.handle(now, mode, envelope, injected),
            ServiceName::Analytics => self.analytics.handle(now, mode, envelope, injected),
            ServiceName::Orchestrator => {
                let r = self.orchestrator.handle(now, envelope);
                return (r.commands, r.notes);
            }
        };
        (reaction.publish, reaction.notes)
    }
}
