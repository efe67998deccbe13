//! The orchestrator's state machine as a drawing: its states and arrows read from the
//! engine's transition table (`orchestrator::transitions`, probed from the table itself, so
//! the drawing cannot drift from it), the selected saga's current state and the arrows its
//! log took (`SagaStatus::path`). Only where each state sits is decided here. For a
//! choreographed saga, which has no orchestrator, the events on the events topic that drove
//! it (the engine's `order_path`).

use crate::sagas::state_label;
use orderflow_engine::saga::message::{topics, OrderId};
use orderflow_engine::saga::orchestrator::{transitions, SagaState, SagaStatus, Transition};
use orderflow_engine::saga::streaming::SagaView;

/// The drawing's size (its SVG `viewBox`), and a state box's: tall rather than wide, since
/// the Sagas drawer is narrow.
pub const WIDTH: f64 = 630.0;
pub const HEIGHT: f64 = 340.0;
pub const BOX_WIDTH: f64 = 190.0;
pub const BOX_HEIGHT: f64 = 36.0;

/// Where a state's box is centred: the forward states down the left, the undoing ones on
/// the right ("compensation incomplete" set aside so the arrow from compensating to failed
/// passes it).
fn position(state: SagaState) -> (f64, f64) {
    match state {
        SagaState::Pending => (105.0, 30.0),
        SagaState::ReservingInventory => (105.0, 100.0),
        SagaState::ProcessingPayment => (105.0, 170.0),
        SagaState::Shipping => (105.0, 240.0),
        SagaState::Completed => (105.0, 310.0),
        SagaState::Compensating => (400.0, 100.0),
        SagaState::Failed => (400.0, 310.0),
        SagaState::CompensationIncomplete => (520.0, 205.0),
    }
}

/// A state's box as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct StateBox {
    /// The engine's state in words ([`state_label`]).
    pub label: &'static str,
    pub x: f64,
    pub y: f64,
    /// The selected saga is in this state now.
    pub current: bool,
    /// The selected saga passed through it.
    pub visited: bool,
}

/// One arrow: every transition between the same two states, drawn once.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// "reserving inventory to compensating: step failed or step timed out".
    pub title: String,
    /// The SVG path.
    pub d: String,
    /// The selected saga took it.
    pub taken: bool,
}

/// The state machine with one saga on it.
#[derive(Clone, Debug, PartialEq)]
pub struct StateMachine {
    pub boxes: Vec<StateBox>,
    pub arrows: Vec<Arrow>,
    /// "Saga order-1 is compensating." (also the drawing's accessible name).
    pub summary: String,
    /// The transitions taken, in order: "pending to reserving inventory (started)".
    pub path: Vec<String>,
}

/// The orchestrator's machine with `order_id`'s saga on it (`None` when no such saga).
pub fn state_machine(saga: &SagaView<'_>, order_id: &str) -> Option<StateMachine> {
    let summary = saga.saga_summary(&OrderId(order_id.to_string()))?;
    let taken = SagaStatus::path(&summary.order_id, &summary.log);
    let table = transitions();
    let boxes = SagaState::ALL
        .into_iter()
        .map(|state| {
            let (x, y) = position(state);
            StateBox {
                label: state_label(state),
                x,
                y,
                current: state == summary.state,
                visited: state == SagaState::Pending || taken.iter().any(|t| t.to == state),
            }
        })
        .collect();
    Some(StateMachine {
        boxes,
        arrows: arrows(&table, &taken),
        summary: format!("Saga {order_id} is {}.", state_label(summary.state)),
        path: taken
            .iter()
            .map(|t| {
                format!(
                    "{} to {} ({})",
                    state_label(t.from),
                    state_label(t.to),
                    t.on
                )
            })
            .collect(),
    })
}

/// The table's arrows, one per pair of states, in the table's order.
fn arrows(table: &[Transition], taken: &[Transition]) -> Vec<Arrow> {
    let mut pairs: Vec<(SagaState, SagaState, Vec<&'static str>)> = Vec::new();
    for t in table {
        match pairs
            .iter_mut()
            .find(|(f, to, _)| (*f, *to) == (t.from, t.to))
        {
            Some((_, _, on)) if !on.contains(&t.on) => on.push(t.on),
            Some(_) => {}
            None => pairs.push((t.from, t.to, vec![t.on])),
        }
    }
    pairs
        .into_iter()
        .map(|(from, to, on)| Arrow {
            title: format!(
                "{} to {}: {}",
                state_label(from),
                state_label(to),
                on.join(" or ")
            ),
            d: arrow_path(from, to),
            taken: taken.iter().any(|t| (t.from, t.to) == (from, to)),
        })
        .collect()
}

/// A curved path from the edge of `from`'s box to the edge of `to`'s, bowed to its left so
/// two arrows between the same states in opposite directions do not overlap; a loop on
/// the box's left side for an arrow back to the same state.
fn arrow_path(from: SagaState, to: SagaState) -> String {
    let (x1, y1) = position(from);
    if from == to {
        let left = x1 - BOX_WIDTH / 2.0;
        return format!(
            "M {left} {} C {} {} {} {} {left} {}",
            y1 - 8.0,
            left - 55.0,
            y1 - 40.0,
            left - 55.0,
            y1 + 40.0,
            y1 + 8.0
        );
    }
    let (x2, y2) = position(to);
    let (sx, sy) = edge(x1, y1, x2, y2);
    let (ex, ey) = edge(x2, y2, x1, y1);
    let (dx, dy) = (ex - sx, ey - sy);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let bow = 18.0;
    let (cx, cy) = (
        (sx + ex) / 2.0 + dy / len * bow,
        (sy + ey) / 2.0 - dx / len * bow,
    );
    format!("M {sx:.1} {sy:.1} Q {cx:.1} {cy:.1} {ex:.1} {ey:.1}")
}

/// Where the line from the centre `(x, y)` towards `(tx, ty)` leaves the box.
fn edge(x: f64, y: f64, tx: f64, ty: f64) -> (f64, f64) {
    let (dx, dy) = (tx - x, ty - y);
    let sx = if dx == 0.0 {
        f64::INFINITY
    } else {
        (BOX_WIDTH / 2.0) / dx.abs()
    };
    let sy = if dy == 0.0 {
        f64::INFINITY
    } else {
        (BOX_HEIGHT / 2.0) / dy.abs()
    };
    let s = sx.min(sy);
    (x + dx * s, y + dy * s)
}

/// A choreographed saga's driving events: each record of `order_id` on the events topic,
/// in the order they were written ("tick 3: OrderCreated").
pub fn driving_events(saga: &SagaView<'_>, order_id: &str) -> Vec<String> {
    saga.order_path(&OrderId(order_id.to_string()))
        .into_iter()
        .filter(|e| e.topic == topics::ORDER_EVENTS)
        .map(|e| format!("tick {}: {}", e.tick.0, e.message))
        .collect()
}
