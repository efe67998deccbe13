//! The CQRS read models: each projection's contents, how far its consumer group is behind
//! the events topic, and what its last rebuild found.

use super::cents;
use orderflow_engine::saga::projection::{ProjectionKind, ReadModel};
use orderflow_engine::saga::streaming::SagaView;
use orderflow_engine::saga::trace::SagaTraceEvent;

/// A projection as people read its name.
pub fn projection_label(kind: ProjectionKind) -> &'static str {
    match kind {
        ProjectionKind::OrderSummary => "Orders by status",
        ProjectionKind::SalesPerProduct => "Sales per product",
        ProjectionKind::NotificationsSent => "Notifications sent",
    }
}

/// One read model as its region shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadModelRow {
    pub kind: ProjectionKind,
    /// [`projection_label`].
    pub name: &'static str,
    /// The model's contents, one line each ("Cancelled: 1").
    pub lines: Vec<String>,
    /// Records of the events topic its group has not committed yet.
    pub lag: u64,
    /// Its last rebuild, in words, if it was rebuilt.
    pub last_rebuild: Option<String>,
}

/// Every projection of the run, in the engine's order.
pub fn read_model_rows(saga: &SagaView<'_>) -> Vec<ReadModelRow> {
    ProjectionKind::ALL
        .iter()
        .map(|&kind| ReadModelRow {
            kind,
            name: projection_label(kind),
            lines: saga
                .projection_ref(kind)
                .map(model_lines)
                .unwrap_or_default(),
            lag: saga.projection_lag(kind),
            last_rebuild: last_rebuild(saga, kind),
        })
        .collect()
}

fn model_lines(model: &ReadModel) -> Vec<String> {
    match model {
        ReadModel::OrderSummary(m) => m
            .count_by_status()
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect(),
        ReadModel::SalesPerProduct(m) => m
            .units
            .iter()
            .map(|(product, units)| {
                let revenue = m.revenue_cents.get(product).copied().unwrap_or(0);
                let unit = if *units == 1 { "unit" } else { "units" };
                format!("{}: {units} {unit}, {}", product.0, cents(revenue))
            })
            .collect(),
        ReadModel::NotificationsSent(m) => m
            .by_kind
            .iter()
            .map(|(kind, n)| format!("{kind:?}: {n}"))
            .collect(),
    }
}

/// The newest `projection_rebuilt` of the saga trace for `kind`, in words.
fn last_rebuild(saga: &SagaView<'_>, kind: ProjectionKind) -> Option<String> {
    saga.last_rebuild(kind).and_then(|event| match event {
        SagaTraceEvent::ProjectionRebuilt {
            tick,
            projection,
            records_replayed,
            equal_to_incremental,
        } if *projection == kind => Some(format!(
            "Rebuilt at tick {} from {records_replayed} records; {}.",
            tick.0,
            if *equal_to_incremental {
                "the replay equalled the incremental model"
            } else {
                "the replay differed from the incremental model"
            }
        )),
        _ => None,
    })
}
