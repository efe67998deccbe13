//! The page's saga model in plain Rust (no Leptos): the "Place order" form's rules
//! ([`PlaceOrderDraft`]), and each saga and the balances as the "Sagas" drawer shows them,
//! read from the engine's [`SagaView`] (its summaries, balances and invariant checks), never
//! worked out here.

use crate::session::{Session, MAX_FIELD_CHARS};
use orderflow_engine::saga::command::{OrderRequest, SagaCommand};
use orderflow_engine::saga::orchestrator::{Compensation, SagaState, SagaStep};
use orderflow_engine::saga::streaming::SagaView;
use orderflow_engine::saga::summary::SagaSummary;
use orderflow_engine::scenario::ScenarioCommand;

/// Most units one order placed by hand may ask for.
pub const MAX_QUANTITY: u32 = 1_000_000;

/// Why an order was refused. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlaceOrderError {
    #[error("{field} must not be empty.")]
    Empty { field: &'static str },
    #[error("{field} must be at most {max} characters.")]
    TooLong { field: &'static str, max: usize },
    #[error("Quantity must be a whole number from 1 to {max}.")]
    Quantity { max: u32 },
}

/// The "Place order" form as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceOrderDraft {
    pub customer: String,
    pub product: String,
    pub quantity: String,
}

impl Default for PlaceOrderDraft {
    fn default() -> Self {
        Self {
            customer: "customer-1".into(),
            product: "P1".into(),
            quantity: "1".into(),
        }
    }
}

impl PlaceOrderDraft {
    /// The saga's `place_order` command for order `order_id` (one line at the engine's
    /// one-line price, 25.00 EUR a unit), or why the fields are refused.
    pub fn parse(&self, order_id: &str) -> Result<SagaCommand, PlaceOrderError> {
        let customer = field("Customer", &self.customer)?;
        let product = field("Product", &self.product)?;
        let quantity = self
            .quantity
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|q| (1..=MAX_QUANTITY).contains(q))
            .ok_or(PlaceOrderError::Quantity { max: MAX_QUANTITY })?;
        let order = OrderRequest::one_line(0, order_id, customer, product, quantity);
        Ok(SagaCommand::PlaceOrder {
            order_id: order.order_id,
            customer_id: order.customer_id,
            lines: order.lines,
            currency: order.currency,
        })
    }
}

fn field<'a>(name: &'static str, value: &'a str) -> Result<&'a str, PlaceOrderError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(PlaceOrderError::Empty { field: name });
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(PlaceOrderError::TooLong {
            field: name,
            max: MAX_FIELD_CHARS,
        });
    }
    Ok(value)
}

/// The id of the next order placed by hand: `web-order-N`, N one more than the orders the
/// session placed by hand so far (so a replay gives the same ids).
pub fn next_order_id(session: &Session) -> String {
    let placed = session
        .actions
        .iter()
        .filter(|a| {
            matches!(
                a.command,
                ScenarioCommand::Saga(SagaCommand::PlaceOrder { .. })
            )
        })
        .count();
    format!("web-order-{}", placed + 1)
}

/// A step as people read it.
pub fn step_label(step: SagaStep) -> &'static str {
    match step {
        SagaStep::CreateOrder => "Create order",
        SagaStep::ReserveInventory => "Reserve inventory",
        SagaStep::ProcessPayment => "Process payment",
        SagaStep::ShipOrder => "Ship order",
    }
}

/// A compensation as people read it.
pub fn compensation_label(compensation: Compensation) -> &'static str {
    match compensation {
        Compensation::CancelOrder => "Cancel order",
        Compensation::ReleaseInventory => "Release inventory",
        Compensation::RefundPayment => "Refund payment",
        Compensation::CancelShipment => "Cancel shipment",
    }
}

/// A saga's state in words. The engine's `Failed` is "compensated and ended";
/// `CompensationIncomplete` is a saga whose compensation buffer ran out with compensations
/// still to run (a late reply still finishes it).
pub fn state_label(state: SagaState) -> &'static str {
    match state {
        SagaState::Pending => "pending",
        SagaState::ReservingInventory => "reserving inventory",
        SagaState::ProcessingPayment => "processing payment",
        SagaState::Shipping => "shipping",
        SagaState::Compensating => "compensating",
        SagaState::Completed => "completed",
        SagaState::Failed => "failed, compensated",
        SagaState::CompensationIncomplete => "failed, compensation incomplete",
    }
}

/// One saga as its region shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SagaRow {
    pub order_id: String,
    /// [`state_label`] of the engine's state.
    pub state: &'static str,
    /// The steps that succeeded, in order.
    pub steps: Vec<&'static str>,
    /// The compensations, in the order they ran.
    pub compensations: Vec<&'static str>,
    /// Why it failed, in the engine's words.
    pub failure: Option<String>,
}

impl From<&SagaSummary> for SagaRow {
    fn from(s: &SagaSummary) -> Self {
        Self {
            order_id: s.order_id.0.clone(),
            state: state_label(s.state),
            steps: s.executed_steps.iter().map(|s| step_label(*s)).collect(),
            compensations: s
                .compensations
                .iter()
                .map(|c| compensation_label(*c))
                .collect(),
            failure: s.failure.clone(),
        }
    }
}

/// Every saga of the run, as the engine summarises them.
pub fn saga_rows(saga: &SagaView<'_>) -> Vec<SagaRow> {
    saga.summaries().iter().map(SagaRow::from).collect()
}

/// The sagas at `range` of [`saga_rows`], building only those (one page of the list).
pub fn saga_rows_in(saga: &SagaView<'_>, range: std::ops::Range<usize>) -> Vec<SagaRow> {
    saga.summaries_in(range).iter().map(SagaRow::from).collect()
}

/// The "Balances" region's lines: stock per product, money, and the conservation checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceLines {
    /// Per product: "P1: 8 available, 0 reserved, 2 shipped".
    pub stock: Vec<String>,
    /// "Charged 50.00, refunded 50.00 (2 charges)".
    pub money: String,
    /// The engine's conservation violations: stock and money, each ended saga's effects
    /// (empty: they hold). Cheap: read from the services and sagas.
    pub violations: Vec<String>,
}

/// What the full invariant check adds to the conservation checks (the outbox's
/// completeness, dead letters kept, every read model equal to its replay): the violations of
/// `all` that `conservation` does not already list. It reads every record, so the page runs
/// it at most every [`RECORD_CHECKS_EVERY_MS`], not on every tick.
pub fn record_check_violations(all: Vec<String>, conservation: &[String]) -> Vec<String> {
    all.into_iter()
        .filter(|v| !conservation.contains(v))
        .collect()
}

/// How often, at most, the Balances region reruns the full invariant check while the run
/// changes (about 29 ms at 1,000 sagas natively: on every frame it would stall playing).
pub const RECORD_CHECKS_EVERY_MS: u32 = 500;

/// The record checks' wait, as a multiple of what their last run took: they read every
/// record, so a long run grows them (about 50 ms natively at 1,200 sagas with 245,000
/// records), and this keeps them under a twentieth of the page's time.
pub const RECORD_CHECKS_COST_FACTOR: f64 = 20.0;

/// How long the Balances region waits before rerunning the record checks, given what
/// their last run took: [`RECORD_CHECKS_EVERY_MS`], or [`RECORD_CHECKS_COST_FACTOR`]
/// times the last run when that is longer.
pub fn record_checks_wait_ms(last_run_ms: f64) -> u32 {
    let scaled = (last_run_ms.max(0.0) * RECORD_CHECKS_COST_FACTOR).ceil();
    if scaled > f64::from(RECORD_CHECKS_EVERY_MS) {
        scaled.min(f64::from(u32::MAX)) as u32
    } else {
        RECORD_CHECKS_EVERY_MS
    }
}

/// The conservation checks as the Balances region lists them: "Conservation checks hold."
/// when the engine found nothing, else each violation, except that the sagas still running
/// (the engine's "saga X is not final: STATE", one per saga in flight, hundreds in a busy
/// run) are counted in one line at the end. Each line comes once.
pub fn check_lines(violations: &[String]) -> Vec<String> {
    if violations.is_empty() {
        return vec!["Conservation checks hold.".to_string()];
    }
    let running = violations
        .iter()
        .filter(|v| v.contains("is not final"))
        .count();
    // Each line once (the page keys its list items by line).
    let mut seen = std::collections::BTreeSet::new();
    let mut lines: Vec<String> = violations
        .iter()
        .filter(|v| !v.contains("is not final") && seen.insert(v.as_str()))
        .cloned()
        .collect();
    match running {
        0 => {}
        1 => lines.push("1 saga is still running (not final yet).".to_string()),
        n => lines.push(format!("{n} sagas are still running (not final yet).")),
    }
    lines
}

/// The balances, from the engine, with the conservation `violations` (the engine's
/// `check_conservation`, as `Playground::conservation` keeps it).
pub fn balance_lines(saga: &SagaView<'_>, violations: Vec<String>) -> BalanceLines {
    let b = saga.balances();
    let cents = |c: u64| format!("{}.{:02}", c / 100, c % 100);
    BalanceLines {
        stock: b
            .stock
            .iter()
            .map(|(p, s)| {
                format!(
                    "{}: {} available, {} reserved, {} shipped",
                    p.0, s.available, s.reserved, s.shipped
                )
            })
            .collect(),
        money: format!(
            "Charged {}, refunded {} ({} charges)",
            cents(b.charged_cents),
            cents(b.refunded_cents),
            b.charges
        ),
        violations,
    }
}

mod breaking;
mod retry_timeline;
mod stream;

pub use breaking::*;
pub use retry_timeline::*;
pub use stream::*;

#[cfg(test)]
mod tests;
