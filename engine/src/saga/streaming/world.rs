//! The saga's state: the services' "databases", their inboxes and outboxes, the fault plan
//! and the saga trace. The [`super::Saga`] owns it; it is the processor of every saga
//! group, lent to the `Sim` for a step, and the clock's timers (step timeouts, saga
//! deadlines, deliveries) act on it between steps.

use super::super::config::SagaConfig;
use super::super::faults::{Crash, FaultPlan};
use super::super::inbox::Inbox;
use super::super::outbox::Outbox;
use super::super::projection::{ProjectionKind, ReadModel};
use super::super::react::Services;
use super::super::retry::RetrySchedule;
use super::super::services::{SagaMode, ServiceName};
use super::super::trace::SagaTraceEvent as T;
use crate::ids::{MemberId, Offset, Tick};
use litemap::LiteMap;
use std::collections::BTreeMap;

/// The saga's state: the services (each service's "database"), their inboxes, the fault
/// plan and the saga trace.
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
    pub inboxes: LiteMap<ServiceName, Inbox>,
    /// The fault plan (with its rules' state).
    pub faults: FaultPlan,
    /// The saga trace so far.
    pub trace: Vec<T>,
    /// The CQRS read models and, per model, the next offset to apply per partition of the
    /// events topic (stored with the model, so a redelivered record is not applied twice).
    pub projections: LiteMap<ProjectionKind, (ReadModel, Vec<Offset>)>,
    /// Transactional outbox on: services write their events to their outbox in the same
    /// step as their state change, and the driver's relay publishes them.
    pub outbox: bool,
    /// Each service's outbox table.
    pub outboxes: LiteMap<ServiceName, Outbox>,
    /// Messages handled per service and message name (crash faults count these).
    pub handled: LiteMap<ServiceName, BTreeMap<String, u32>>,
    /// Sends of each service's outbox relay (relay crash faults count these).
    pub relay_sends: LiteMap<ServiceName, u32>,
    /// Crashes the processors reported and the driver has not acted on yet: the service,
    /// its member that died, and the tick its replacement starts.
    pub crashes: Vec<(ServiceName, MemberId, Tick)>,
}

impl SagaWorld {
    /// The world before the first record: services as `config` sets them up.
    pub fn new(config: &SagaConfig, faults: FaultPlan) -> Self {
        let mut projections = LiteMap::new_vec();
        for k in ProjectionKind::ALL {
            let positions = vec![Offset(0); config.partitions as usize];
            projections.insert(k, (ReadModel::empty(k), positions));
        }
        Self {
            mode: config.mode,
            inbox: config.inbox,
            retry: config.retry.clone(),
            services: Services::new(config),
            inboxes: LiteMap::new_vec(),
            faults,
            trace: Vec::new(),
            projections,
            outbox: config.outbox,
            outboxes: LiteMap::new_vec(),
            handled: LiteMap::new_vec(),
            relay_sends: LiteMap::new_vec(),
            crashes: Vec::new(),
        }
    }

    /// Counts one more `message` handled by `service`; returns the crash fault this
    /// occurrence triggers, if any.
    pub(super) fn handled_once_more(
        &mut self,
        service: ServiceName,
        message: &str,
    ) -> Option<Crash> {
        let n = self
            .handled
            .entry(service)
            .or_default()
            .entry(message.to_string())
            .or_insert(0);
        *n += 1;
        let nth = *n;
        self.faults
            .crashes
            .iter()
            .find(|c| c.service == service && c.message == message && c.nth == nth)
            .cloned()
    }

    /// Counts one more send of `service`'s relay; true when the fault plan crashes the
    /// relay right after it.
    pub(super) fn relay_sent_once_more(&mut self, service: ServiceName) -> bool {
        let n = self.relay_sends.entry(service).or_insert(0);
        *n += 1;
        let nth = *n;
        self.faults
            .relay_crashes
            .iter()
            .any(|c| c.service == service && c.nth == nth)
    }
}
