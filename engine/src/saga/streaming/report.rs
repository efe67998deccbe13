//! What the running saga comes to: per saga summaries, balances, the invariant checks,
//! whether it has settled, and the run's summary.

use super::super::config::SagaConfig;
use super::super::invariants::{check_services, dead_letters_kept, outbox_complete};
use super::super::message::{topics, EventId, OrderId};
use super::super::projection::ProjectionKind;
use super::super::services::ServiceName;
use super::super::summary::{Balances, SagaFacts, SagaRunSummary, SagaSummary};
use super::{SagaView, SagaWorld};
use crate::ids::Tick;
use crate::sim::Sim;
use std::collections::BTreeSet;

impl<'a> SagaView<'a> {
    /// The simulation the saga runs on (topics, groups, lag, its own trace).
    pub fn sim(&self) -> &'a Sim {
        self.sim
    }

    /// The saga's state (services, inboxes, saga trace).
    pub fn world(&self) -> &'a SagaWorld {
        &self.saga.world
    }

    /// The stream of orders placed every tick, while one runs.
    pub fn order_stream(&self) -> Option<&'a super::OrderStream> {
        self.saga.order_stream.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &'a SagaConfig {
        &self.saga.config
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.sim.now()
    }

    /// True while the service has a running member (see [`super::Saga::is_up`]).
    pub fn is_up(&self, service: ServiceName) -> bool {
        self.saga.is_up(service)
    }

    /// Per saga: final state, executed steps and compensations (choreographed sagas as
    /// folded from the events topic).
    pub fn summaries(&self) -> Vec<SagaSummary> {
        let w = &self.saga.world;
        SagaSummary::of_every_order(w.mode, &w.services, &self.saga.choreography)
    }

    /// How many sagas there are: one per order the Order service knows, as
    /// [`summaries`](Self::summaries) lists them.
    pub fn saga_count(&self) -> usize {
        self.saga.world.services.order.store.order_count()
    }

    /// The sagas at `range` of [`summaries`](Self::summaries) (the same order), without
    /// building the others: a page of the list costs its own sagas.
    pub fn summaries_in(&self, range: std::ops::Range<usize>) -> Vec<SagaSummary> {
        let w = &self.saga.world;
        let ids = w.services.order.store.order_ids();
        ids.skip(range.start)
            .take(range.len())
            .map(|id| SagaSummary::of_order(w.mode, &w.services, &self.saga.choreography, id))
            .collect()
    }

    /// One order's saga, if the Order service knows the order.
    pub fn saga_summary(&self, order_id: &OrderId) -> Option<SagaSummary> {
        let w = &self.saga.world;
        (w.services.order.store.version(order_id) > 0)
            .then(|| SagaSummary::of_order(w.mode, &w.services, &self.saga.choreography, order_id))
    }

    /// The services' balances.
    pub fn balances(&self) -> Balances {
        let dead_letters = crate::sort::map_of(
            topics::ALL
                .iter()
                .map(|t| {
                    (
                        topics::dead_letter_topic(t),
                        self.dead_letters(t).len() as u64,
                    )
                })
                .filter(|(_, n)| *n > 0),
        );
        Balances::of(&self.saga.world.services, dead_letters)
    }

    /// The invariants on the services and sagas alone (stock and money conserved, each
    /// ended saga's effects): the cheap part of [`check_invariants`](Self::check_invariants),
    /// without the outbox, dead-letter and projection checks that read every record.
    pub fn check_conservation(&self) -> Vec<String> {
        let w = &self.saga.world;
        let sagas = SagaFacts::of_every_order(w.mode, &w.services, &self.saga.choreography);
        check_services(w.mode, w.inbox, &w.services, sagas)
    }

    /// The saga invariants (see [`super::super::invariants`]): on the services and sagas,
    /// the outbox's completeness, the dead letters kept, and every projection equal to a
    /// replay of the records it applied.
    pub fn check_invariants(&self) -> Vec<String> {
        let summaries = self.summaries();
        let held: usize = topics::ALL.iter().map(|t| self.dead_letters(t).len()).sum();
        let published: BTreeSet<EventId> = self
            .sim
            .topics()
            .flat_map(|t| t.partitions().iter())
            .flat_map(|log| log.records().map(|r| r.event_id()))
            .collect();
        let w = &self.saga.world;
        let mut v = check_services(
            w.mode,
            w.inbox,
            &w.services,
            summaries.iter().map(SagaSummary::facts),
        );
        if w.outbox {
            v.extend(outbox_complete(&w.outboxes, &published, &w.trace));
        }
        v.extend(dead_letters_kept(&w.trace, held));
        for kind in ProjectionKind::ALL {
            if self.projection(kind) != Some(self.replay_projection(kind)) {
                v.push(format!("projection {kind:?} differs from its replay"));
            }
        }
        v
    }

    /// True when every saga is final, nothing is waiting to be placed, resubmitted,
    /// restarted, relayed or delivered, and every consumer group (services and
    /// projections) has committed up to the end of its topics.
    pub fn is_settled(&self) -> bool {
        let (saga, w) = (self.saga, &self.saga.world);
        let waiting = w.outboxes.values().any(|o| o.pending_len() > 0)
            || !w.services.shipping.deliveries.is_empty();
        saga.pending_orders.is_empty()
            && saga.pending_resubmits.is_empty()
            && saga.restarts.is_empty()
            && !waiting
            && self.summaries().iter().all(|s| s.state.is_final())
            && self.sim.groups().all(|g| {
                self.sim
                    .group_snapshot(g.name())
                    .is_some_and(|snapshot| snapshot.total_lag == 0)
            })
    }

    /// The run's summary: sagas, balances, end offsets, projection lag, invariants, and the
    /// engine's own summary.
    pub fn summary(&self) -> SagaRunSummary {
        SagaRunSummary {
            seed: self.sim.seed(),
            tick: self.sim.now(),
            mode: self.saga.config.mode,
            inbox: self.saga.config.inbox,
            outbox: self.saga.config.outbox,
            sagas: self.summaries(),
            balances: self.balances(),
            end_offsets: self
                .sim
                .topics()
                .map(|t| {
                    let ends = t.partitions().iter().map(|l| l.high_watermark().0);
                    (t.name().to_string(), ends.collect())
                })
                .collect(),
            projection_lag: ProjectionKind::ALL
                .iter()
                .map(|k| (*k, self.projection_lag(*k)))
                .collect(),
            invariant_violations: self.check_invariants(),
            engine: serde_json::to_value(self.sim.summary_with(self.saga)).ok(),
        }
    }
}
