//! The saga's incremental indexes and running sums against the same facts computed from
//! scratch, over random runs (the saga properties' cases): per order its trace events and
//! its path across the topics, each projection's last rebuild, the payment totals, each
//! order's status and total, the balances, the facts the conservation checks borrow, and the orchestrator's deadlines and
//! compensating sagas (compared with those rebuilt when the services are read back).

use super::super::event_store::OrderStatus;
use super::super::message::{CustomerId, OrderId};
use super::super::projection::ProjectionKind;
use super::super::properties::{build, case, cases, FAULTS_STOP};
use super::super::summary::{SagaFacts, SagaSummary};
use super::super::trace::SagaTraceEvent as T;
use super::order_records::path_entry;
use super::trace_index::order_of;
use super::SagaView;
use crate::ids::PartitionId;
use crate::scenario::System;
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Every saga record of one order, walking every record of every topic.
fn walked_path(view: &SagaView<'_>, order_id: &OrderId) -> Vec<super::super::summary::PathEntry> {
    let mut path: Vec<_> = view
        .sim()
        .topics()
        .flat_map(|t| {
            t.partitions().iter().enumerate().flat_map(move |(p, log)| {
                let partition = PartitionId(p as u32);
                (log.records()).filter_map(move |r| path_entry(t, partition, r, order_id))
            })
        })
        .collect();
    path.sort_by_key(|e| (e.tick, e.event_id));
    path
}

/// The indexes give what walking the whole trace and every record gives, and a page of
/// the summaries is that page of them all.
fn check_indexes(view: &SagaView<'_>) -> Result<(), TestCaseError> {
    let trace = &view.world().trace;
    let mut walked: BTreeMap<OrderId, Vec<&T>> = BTreeMap::new();
    for event in trace {
        if let Some(order) = order_of(event, view.sim()) {
            walked.entry(order).or_default().push(event);
        }
    }
    for (order, events) in &walked {
        prop_assert_eq!(&view.order_trace(order), events, "{}", order);
    }
    for order in view.world().services.order.store.order_ids() {
        prop_assert_eq!(
            view.order_path(order),
            walked_path(view, order),
            "{}",
            order
        );
    }
    let all = view.summaries();
    prop_assert_eq!(view.saga_count(), all.len());
    for start in [0, 1, all.len() / 2, all.len()] {
        let (start, end) = (start.min(all.len()), (start + 2).min(all.len()));
        prop_assert_eq!(view.summaries_in(start..end), all[start..end].to_vec());
    }
    for s in &all {
        prop_assert_eq!(view.saga_summary(&s.order_id), Some(s.clone()));
    }
    // The facts the conservation checks borrow are the summaries' facts.
    let w = view.world();
    let borrowed: Vec<SagaFacts<'_>> =
        SagaFacts::of_every_order(w.mode, &w.services, &view.saga.choreography).collect();
    let of_summaries: Vec<SagaFacts<'_>> = all.iter().map(SagaSummary::facts).collect();
    prop_assert_eq!(borrowed, of_summaries);
    for kind in ProjectionKind::ALL {
        let last = trace
            .iter()
            .rev()
            .find(|e| matches!(e, T::ProjectionRebuilt { projection, .. } if *projection == kind));
        prop_assert_eq!(view.last_rebuild(kind), last);
    }
    Ok(())
}

/// The running sums equal sums over every movement and every stream.
fn check_sums(view: &SagaView<'_>) -> Result<(), TestCaseError> {
    let services = &view.world().services;
    let pay = &services.payment;
    let sum = |ms: &[super::super::services::Movement]| -> u64 {
        ms.iter().map(|m| m.amount_cents).sum()
    };
    prop_assert_eq!(pay.charged_cents(), sum(pay.charges()));
    prop_assert_eq!(pay.refunded_cents(), sum(pay.refunds()));
    let mut by_customer: BTreeMap<CustomerId, i128> = BTreeMap::new();
    let mut by_order: BTreeMap<OrderId, i128> = BTreeMap::new();
    for (m, sign) in
        (pay.charges().iter().map(|m| (m, 1))).chain(pay.refunds().iter().map(|m| (m, -1)))
    {
        *by_customer.entry(m.customer_id.clone()).or_insert(0) += sign * i128::from(m.amount_cents);
        *by_order.entry(m.order_id.clone()).or_insert(0) += sign * i128::from(m.amount_cents);
    }
    prop_assert_eq!(pay.balances(), by_customer);
    for (order, net) in &by_order {
        prop_assert_eq!(pay.net_for_order(order), *net, "{}", order);
    }
    let store = &services.order.store;
    let mut counts: BTreeMap<OrderStatus, u64> = BTreeMap::new();
    for order in store.order_ids() {
        let replayed = store
            .load_without_snapshot(order)
            .expect("it has a stream")
            .state;
        prop_assert_eq!(store.status(order), replayed.status, "{}", order);
        prop_assert_eq!(store.total_cents(order), replayed.total_cents, "{}", order);
        if let Some(status) = replayed.status {
            *counts.entry(status).or_insert(0) += 1;
        }
    }
    prop_assert_eq!(store.orders_by_status(), &counts);
    // What was read back from its serialised form rebuilds the same sums and the same
    // orchestrator indexes (its deadlines by tick, its compensating sagas).
    let copy: super::super::react::Services =
        serde_json::from_value(serde_json::to_value(services).expect("serialises"))
            .expect("reads back");
    prop_assert_eq!(&copy, services);
    Ok(())
}

fn check(system: &System) -> Result<(), TestCaseError> {
    let view = system.saga().expect("a saga");
    check_indexes(&view)?;
    check_sums(&view)
}

proptest! {
    #![proptest_config(cases(16))]

    /// Along random runs (faults, retries, dead letters, resubmissions, rebuilds), the
    /// indexes and running sums equal the facts computed from scratch.
    #[test]
    fn indexes_and_running_sums_equal_a_walk_over_the_run(c in case()) {
        let mut system = build(&c);
        for tick in 0..FAULTS_STOP + 300 {
            system.step();
            if tick % 40 == 0 {
                check(&system)?;
            }
            if tick == FAULTS_STOP + 100 {
                for topic in super::super::message::topics::ALL {
                    let resubmit = super::super::command::SagaCommand::ResubmitDeadLetters {
                        topic: topic.into(),
                    };
                    system.apply(resubmit.into()).expect("a saga topic");
                }
                let rebuild = super::super::command::SagaCommand::RebuildProjection {
                    projection: ProjectionKind::OrderSummary,
                };
                system.apply(rebuild.into()).expect("a projection");
            }
        }
        check(&system)?;
    }
}
