//! What a saga run comes to: per saga its state, steps and compensations
//! ([`SagaSummary`]), the services' balances ([`Balances`]), one order's path across the
//! topics ([`PathEntry`]) and the whole run's summary ([`SagaRunSummary`], what
//! `orderflow-cli saga --summary` prints and the golden files hold).

use super::choreography::ChoreographyView;
use super::event_store::OrderStatus;
use super::message::{EventId, OrderId, ProductId};
use super::orchestrator::{Compensation, SagaLogEntry, SagaState, SagaStep};
use super::projection::ProjectionKind;
use super::react::Services;
use super::services::{SagaMode, Stock};
use crate::ids::{Offset, PartitionId, Tick};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
            ..Self::default()
        }
    }

    /// Per saga (every order the Order service knows): state, executed steps and
    /// compensations, from the orchestrator's saga logs or the choreography views.
    pub fn of_every_order(
        mode: SagaMode,
        services: &Services,
        choreography: &BTreeMap<OrderId, ChoreographyView>,
    ) -> Vec<Self> {
        services
            .order
            .store
            .order_ids()
            .map(|order_id| Self::of_order(mode, services, choreography, order_id))
            .collect()
    }

    /// One order's saga (pending when the orchestrator or the choreography has not seen it
    /// yet), as [`of_every_order`](Self::of_every_order) lists it.
    pub fn of_order(
        mode: SagaMode,
        services: &Services,
        choreography: &BTreeMap<OrderId, ChoreographyView>,
        order_id: &OrderId,
    ) -> Self {
        let order_id = order_id.clone();
        match mode {
            SagaMode::Orchestration => match services.orchestrator.sagas().get(&order_id) {
                Some(saga) => Self {
                    order_id,
                    state: saga.status.state,
                    executed_steps: saga.status.executed_steps.clone(),
                    compensations: saga.status.compensations_done.clone(),
                    failure: saga.status.failure.clone(),
                    finished_at: saga.finished_at,
                    log: saga.log.clone(),
                },
                None => Self::pending(order_id),
            },
            SagaMode::Choreography => match choreography.get(&order_id) {
                Some(v) => Self {
                    order_id,
                    state: v.state,
                    executed_steps: v.executed_steps.clone(),
                    compensations: v.compensations_done.clone(),
                    failure: v.failure.clone(),
                    finished_at: v.finished_at,
                    log: Vec::new(),
                },
                None => Self::pending(order_id),
            },
        }
    }
}

/// One saga as the invariant checks read it, borrowed from a [`SagaSummary`] or straight
/// from the orchestrator's saga or the choreography's view, so checking every saga
/// builds no summary (no log cloned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SagaFacts<'a> {
    /// The order.
    pub order_id: &'a OrderId,
    /// The saga's state.
    pub state: SagaState,
    /// The compensations that undid something, in order.
    pub compensations: &'a [Compensation],
    /// The saga log (orchestration only).
    pub log: &'a [SagaLogEntry],
}

impl SagaSummary {
    /// This summary's facts, borrowed.
    pub fn facts(&self) -> SagaFacts<'_> {
        SagaFacts {
            order_id: &self.order_id,
            state: self.state,
            compensations: &self.compensations,
            log: &self.log,
        }
    }
}

impl<'a> SagaFacts<'a> {
    /// Every order's saga facts, in the order and with the values
    /// [`SagaSummary::of_every_order`] gives (pending when not seen yet).
    pub fn of_every_order(
        mode: SagaMode,
        services: &'a Services,
        choreography: &'a BTreeMap<OrderId, ChoreographyView>,
    ) -> impl Iterator<Item = SagaFacts<'a>> + 'a {
        services.order.store.order_ids().map(move |order_id| {
            let seen = match mode {
                SagaMode::Orchestration => services
                    .orchestrator
                    .sagas()
                    .get(order_id)
                    .map(|s| (s.status.state, &s.status.compensations_done[..], &s.log[..])),
                SagaMode::Choreography => choreography
                    .get(order_id)
                    .map(|v| (v.state, &v.compensations_done[..], &[][..])),
            };
            let (state, compensations, log) = seen.unwrap_or((SagaState::Pending, &[], &[]));
            SagaFacts {
                order_id,
                state,
                compensations,
                log,
            }
        })
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

impl Balances {
    /// The services' balances, with the dead-letter counts read from the topics.
    pub fn of(services: &Services, dead_letters: BTreeMap<String, u64>) -> Self {
        Self {
            stock: services.inventory.stock.clone(),
            charged_cents: services.payment.charged_cents(),
            refunded_cents: services.payment.refunded_cents(),
            charges: services.payment.charges().len() as u64,
            by_customer: crate::sort::map_of(
                (services.payment.balances().into_iter()).map(|(c, b)| (c.0, b as i64)),
            ),
            orders_by_status: services.order.store.orders_by_status().clone(),
            notifications_sent: services.notification.sent.len() as u64,
            dead_letters,
        }
    }
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
    /// Per projection, records of the events topic its consumer group has not committed.
    pub projection_lag: BTreeMap<ProjectionKind, u64>,
    /// What the invariant checks found (empty once a run settled cleanly).
    pub invariant_violations: Vec<String>,
    /// The streaming engine's own summary (groups, lag, counters); golden files leave it
    /// out, since the streaming scenarios' goldens cover it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<serde_json::Value>,
}
