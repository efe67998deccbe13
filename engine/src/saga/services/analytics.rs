//! The Analytics service: orders per status and sales per product, from the events.

use super::super::message::Envelope;
use super::super::projection::{OrderSummary, SalesPerProduct};
use super::{Injected, Reaction, SagaMode};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The Analytics service: orders per status and sales per product, from the events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsService {
    /// Orders per status.
    pub orders: OrderSummary,
    /// Units and revenue per product.
    pub sales: SalesPerProduct,
    /// Events seen per type.
    pub events_by_type: BTreeMap<String, u64>,
}

impl AnalyticsService {
    /// Handles one message.
    pub fn handle(
        &mut self,
        _now: Tick,
        _mode: SagaMode,
        envelope: &Envelope,
        _injected: &Injected,
    ) -> Reaction {
        *self
            .events_by_type
            .entry(envelope.message.name().to_string())
            .or_insert(0) += 1;
        self.orders.apply(envelope);
        self.sales.apply(envelope);
        Reaction::default()
    }
}
