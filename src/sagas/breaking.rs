//! "Break things" in plain Rust: the fault toggles ([`FaultToggleDraft`], their checked
//! state read from the engine's fault rules), the services with their state, the dead
//! letters still waiting for a resubmission, each saga's retries, the saga list's pages,
//! and the sentences the live region says about compensations, dead letters and failed
//! conservation checks. All of it is read from the engine's [`SagaView`].

use orderflow_engine::ids::{Offset, PartitionId, Tick};
use orderflow_engine::saga::command::SagaCommand;
use orderflow_engine::saga::faults::{FaultEffect, FaultRule};
use orderflow_engine::saga::message::{topics, OrderId};
use orderflow_engine::saga::orchestrator::{Compensation, SagaStep};
use orderflow_engine::saga::services::{CallTarget, SagaMode, ServiceName};
use orderflow_engine::saga::streaming::SagaView;
use orderflow_engine::saga::trace::SagaTraceEvent as T;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use crate::row_window::RowWindow;

use super::{compensation_label, step_label};

/// One "Break things" toggle: checked while the engine holds a rule with calls left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaultToggle {
    pub label: &'static str,
    /// The word the form sends.
    pub word: &'static str,
    pub target: CallTarget,
    pub effect: FaultEffect,
    /// The calls the rule fails.
    pub calls: u32,
    /// What the live region says when it is checked.
    pub armed: &'static str,
}

/// The steps' toggles fail the next order there (a business failure it compensates);
/// "Fail refund" fails every refund while checked (a technical error, retried on the
/// schedule and dead-lettered), so a saga that has to refund ends "failed, compensation
/// incomplete" with the money still charged.
pub const FAULT_TOGGLES: [FaultToggle; 4] = [
    step_toggle("Fail payment", "payment", SagaStep::ProcessPayment),
    step_toggle("Fail inventory", "inventory", SagaStep::ReserveInventory),
    step_toggle("Fail shipping", "shipping", SagaStep::ShipOrder),
    FaultToggle {
        label: "Fail refund",
        word: "refund",
        target: CallTarget::Compensation(Compensation::RefundPayment),
        effect: FaultEffect::Error,
        calls: u32::MAX,
        armed: "every refund fails until unchecked.",
    },
];

const fn step_toggle(label: &'static str, word: &'static str, step: SagaStep) -> FaultToggle {
    FaultToggle {
        label,
        word,
        target: CallTarget::Step(step),
        effect: FaultEffect::Decline,
        calls: 1,
        armed: "the next order fails there.",
    }
}

/// Why a toggle's input was refused. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultToggleError {
    #[error("{step:?} is not something that can be made to fail (payment, inventory, shipping or refund).")]
    UnknownStep { step: String },
    #[error("The probability must be a whole percentage from 0 to 100.")]
    Percent,
}

/// A fault toggle as clicked: which one (its word), and whether it is now checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultToggleDraft {
    pub step: String,
    pub checked: bool,
}

impl FaultToggleDraft {
    /// Checked: `inject_fault`, a rule failing the toggle's calls (for a step, its next
    /// call: a declined card, no stock, no carrier). Unchecked: `disarm_faults` for it.
    pub fn parse(&self) -> Result<SagaCommand, FaultToggleError> {
        let toggle = FAULT_TOGGLES
            .iter()
            .find(|t| t.word == self.step.trim())
            .ok_or_else(|| FaultToggleError::UnknownStep {
                step: self.step.clone(),
            })?;
        Ok(if self.checked {
            SagaCommand::InjectFault {
                rule: FaultRule::next_calls(toggle.target, toggle.effect, toggle.calls),
            }
        } else {
            SagaCommand::DisarmFaults {
                target: toggle.target,
            }
        })
    }
}

/// "Fail payment with probability P%" as typed: `set_fault_chance` for ProcessPayment
/// (each payment declined with probability P/100, drawn from the seeded RNG; 0 ends it).
pub fn parse_payment_chance(percent: &str) -> Result<SagaCommand, FaultToggleError> {
    let percent = percent
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|p| *p <= 100)
        .ok_or(FaultToggleError::Percent)?;
    Ok(SagaCommand::SetFaultChance {
        target: CallTarget::Step(SagaStep::ProcessPayment),
        effect: FaultEffect::Decline,
        probability: f64::from(percent) / 100.0,
    })
}

/// The payment's failure probability in force, as a whole percentage (0: none).
pub fn payment_chance(saga: &SagaView<'_>) -> u32 {
    let target = CallTarget::Step(SagaStep::ProcessPayment);
    let p = saga
        .world()
        .faults
        .chance(target, saga.now())
        .unwrap_or(0.0);
    (p * 100.0).round() as u32
}

/// True while a rule will fail the target's next call: the toggle's checked state.
pub fn is_armed(saga: &SagaView<'_>, target: CallTarget) -> bool {
    let faults = &saga.world().faults;
    faults.armed(target, saga.now()).next().is_some()
}

/// A service as people read it.
pub fn service_label(service: ServiceName) -> &'static str {
    match service {
        ServiceName::Order => "Order",
        ServiceName::Inventory => "Inventory",
        ServiceName::Payment => "Payment",
        ServiceName::Shipping => "Shipping",
        ServiceName::Notification => "Notification",
        ServiceName::Analytics => "Analytics",
        ServiceName::Orchestrator => "Orchestrator",
    }
}

/// The services this saga style runs (the orchestrator only when orchestrated), and
/// whether each is up.
pub fn services(saga: &SagaView<'_>) -> Vec<(ServiceName, bool)> {
    let orchestrated = saga.config().mode == SagaMode::Orchestration;
    ServiceName::ALL
        .into_iter()
        .filter(|s| *s != ServiceName::Orchestrator || orchestrated)
        .map(|s| (s, saga.is_up(s)))
        .collect()
}

/// Extra ticks per record "Slow NAME" adds: longer than a step's default 60-tick timeout,
/// so the step a slow service runs times out and the saga compensates.
pub const SLOW_EXTRA_TICKS: u64 = 100;

/// The extra ticks per record `service` runs with now (0: its own speed).
pub fn slowdown(saga: &SagaView<'_>, service: ServiceName) -> u64 {
    saga.world().faults.extra_ticks(service, saga.now())
}

/// "Slow NAME" (slowed by [`SLOW_EXTRA_TICKS`]) or, for a slow service, "Speed up NAME":
/// the button's text and its `set_slowdown`.
pub fn slowdown_action(service: ServiceName, extra_ticks: u64) -> (String, SagaCommand) {
    let name = service_label(service);
    if extra_ticks > 0 {
        (
            format!("Speed up {name}"),
            SagaCommand::SetSlowdown {
                service,
                extra_ticks: 0,
            },
        )
    } else {
        (
            format!("Slow {name}"),
            SagaCommand::SetSlowdown {
                service,
                extra_ticks: SLOW_EXTRA_TICKS,
            },
        )
    }
}

/// One dead-lettered record still waiting on its DLQ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetterRow {
    /// The topic it failed on (it waits on `<topic>.DLQ`).
    pub topic: String,
    pub order_id: String,
    /// The message's type name.
    pub message: String,
    pub error: String,
    pub attempts: u32,
    /// Its place on the DLQ (what the per-record "Resubmit" names).
    pub partition: PartitionId,
    pub offset: Offset,
}

impl DeadLetterRow {
    /// The per-record "Resubmit"'s accessible name: "Resubmit ProcessPayment of order-1
    /// from payment-commands.DLQ, partition 0, offset 0".
    pub fn resubmit_label(&self) -> String {
        format!(
            "Resubmit {} of {} from {}, partition {}, offset {}",
            self.message,
            self.order_id,
            topics::dead_letter_topic(&self.topic),
            self.partition.0,
            self.offset.0
        )
    }

    /// The saga command resubmitting this record alone.
    pub fn resubmit(&self) -> SagaCommand {
        SagaCommand::ResubmitDeadLetter {
            topic: self.topic.clone(),
            partition: self.partition,
            offset: self.offset,
        }
    }
}

/// Per source topic with dead letters: its DLQ's name, the records dead-lettered in all,
/// and those still waiting (not resubmitted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DlqCount {
    pub topic: &'static str,
    pub dlq: String,
    pub total: usize,
    pub waiting: Vec<DeadLetterRow>,
}

/// The DLQs with anything on them, in the order flow's topic order.
pub fn dead_letters(saga: &SagaView<'_>) -> Vec<DlqCount> {
    topics::ALL
        .into_iter()
        .filter_map(|topic| {
            let total = saga.dead_letters(topic).len();
            let waiting = saga
                .waiting_dead_letters(topic)
                .into_iter()
                .map(|(partition, offset, l)| DeadLetterRow {
                    partition,
                    offset,
                    topic: topic.to_string(),
                    order_id: l.original.message.order_id().0.clone(),
                    message: l.original.message.name().to_string(),
                    error: l.error,
                    attempts: l.attempts,
                })
                .collect();
            (total > 0).then(|| DlqCount {
                topic,
                dlq: topics::dead_letter_topic(topic),
                total,
                waiting,
            })
        })
        .collect()
}

/// Each retry of the orders in `orders`, in the order they happened: "Process payment:
/// attempt 1 failed (injected error); attempt 2 at tick 12 (waiting)". Read from the
/// engine's per-order trace index, so it costs those orders' events alone.
pub fn retries(saga: &SagaView<'_>, orders: &BTreeSet<String>) -> BTreeMap<String, Vec<String>> {
    let now = saga.now();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for order in orders {
        let tries: Vec<String> = saga
            .order_trace(&OrderId(order.clone()))
            .into_iter()
            .filter_map(|event| retry_line(saga, event, now))
            .collect();
        if !tries.is_empty() {
            out.insert(order.clone(), tries);
        }
    }
    out
}

/// A `retry_scheduled` event in words (with the retried record's message type).
fn retry_line(saga: &SagaView<'_>, event: &T, now: Tick) -> Option<String> {
    let T::RetryScheduled {
        topic,
        partition,
        offset,
        failed_attempt,
        retry_at,
        error,
        ..
    } = event
    else {
        return None;
    };
    let record = saga
        .sim()
        .topic(topic)
        .and_then(|t| t.partitions().get(partition.0 as usize))
        .and_then(|log| log.get(*offset).ok());
    let message = record
        .and_then(|r| r.saga())
        .map_or(String::new(), |m| m.name().to_string());
    let pending = if *retry_at > now { " (next try)" } else { "" };
    Some(format!(
        "{message}: attempt {failed_attempt} failed ({error}); attempt {} at tick {}{pending}",
        failed_attempt + 1,
        retry_at.0
    ))
}

/// Height of one saga region in the list, in CSS pixels: fixed, so that the list is
/// virtualised (a region with more lines than fit scrolls inside itself).
pub const SAGA_ROW_PX: f64 = 152.0;
/// Saga regions in view at once: the list's viewport is this many rows high.
pub const SAGA_ROWS_IN_VIEW: usize = 4;
/// Regions drawn above and below those in view, so that scrolling shows no gap.
pub const SAGA_OVERSCAN_ROWS: usize = 2;
/// The saga list as a virtualised list.
pub const SAGA_LIST: RowWindow = RowWindow {
    row_px: SAGA_ROW_PX,
    rows_in_view: SAGA_ROWS_IN_VIEW as u64,
    overscan_rows: SAGA_OVERSCAN_ROWS as u64,
};

/// The list's window at a scroll offset (in CSS pixels) over `total` sagas: the index
/// range of the regions to draw and that of the regions in view. A scroll offset past the
/// end (the run shrank) shows the last rows.
pub fn saga_window(scroll_top_px: f64, total: usize) -> (Range<usize>, Range<usize>) {
    // Within `total`, so the indices fit a usize again.
    let (drawn, in_view) = SAGA_LIST.at(scroll_top_px, total as u64);
    let index = |r: Range<u64>| r.start as usize..r.end as usize;
    (index(drawn), index(in_view))
}

/// What the list says of its window: "Sagas 5–8 of 1000 in view", or "No sagas yet.".
pub fn saga_window_label(in_view: &Range<usize>, total: usize) -> String {
    if total == 0 || in_view.is_empty() {
        "No sagas yet.".to_string()
    } else {
        format!(
            "Sagas {}–{} of {total} in view",
            in_view.start + 1,
            in_view.end
        )
    }
}

/// The live region's sentence for a saga trace event: compensations, dead letters and
/// sagas that end failed.
pub fn saga_announcement(event: &T) -> Option<String> {
    Some(match event {
        T::CompensationDone {
            order_id,
            compensation,
            ..
        } => format!(
            "Saga {order_id}: compensation {} done.",
            compensation_label(*compensation)
        ),
        T::DeadLettered {
            topic,
            dead_letter_topic,
            attempts,
            error,
            ..
        } => format!(
            "A record of {topic} went to {dead_letter_topic} after {attempts} attempts: {error}."
        ),
        T::SagaFailed { order_id, .. } => format!("Saga {order_id} failed, compensated."),
        T::CompensationIncomplete {
            order_id,
            outstanding,
            ..
        } => format!(
            "Saga {order_id} failed, compensation incomplete: {} not done.",
            outstanding
                .iter()
                .map(|c| compensation_label(*c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        T::StepFailed { order_id, step, .. } => format!(
            "Saga {order_id}: {} failed; compensating.",
            step_label(*step)
        ),
        _ => return None,
    })
}

/// True for an event after which the conservation checks are worth reading again (a saga
/// ended or gave up compensating).
pub fn ends_a_saga(event: &T) -> bool {
    matches!(
        event,
        T::SagaFailed { .. } | T::SagaCompleted { .. } | T::CompensationIncomplete { .. }
    )
}

/// What the live region says about the saga trace from index `from` on, and the failed
/// conservation checks not in `said` (read again only when a saga ended). Returns the
/// sentences and the trace length they cover. `checks` gives the conservation violations
/// (`Playground::conservation`), asked only when a saga ended.
pub fn saga_announcements(
    saga: &SagaView<'_>,
    from: usize,
    said: &mut BTreeSet<String>,
    checks: impl FnOnce() -> Vec<String>,
) -> (Vec<String>, usize) {
    let trace = &saga.world().trace;
    let new = trace.get(from..).unwrap_or_default();
    let mut out: Vec<String> = new.iter().filter_map(saga_announcement).collect();
    if new.iter().any(ends_a_saga) {
        let failed = failed_checks(checks());
        for check in failed.difference(said) {
            out.push(format!("Conservation check failed: {check}"));
        }
        *said = failed;
    }
    (out, trace.len())
}

/// The conservation violations worth announcing: not the sagas still running.
pub fn failed_checks(violations: Vec<String>) -> BTreeSet<String> {
    orderflow_engine::sort::set_of(
        violations
            .into_iter()
            .filter(|v| !v.contains("is not final")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::Playground;
    use crate::presets::preset;
    use crate::sagas::{saga_rows, PlaceOrderDraft};
    use orderflow_engine::saga::faults::FaultTrigger;

    fn toggle(step: &str, checked: bool) -> Result<SagaCommand, FaultToggleError> {
        FaultToggleDraft {
            step: step.into(),
            checked,
        }
        .parse()
    }

    #[test]
    fn a_toggle_parses_to_inject_or_disarm_or_says_what_is_wrong() {
        let Ok(SagaCommand::InjectFault { rule }) = toggle(" payment ", true) else {
            panic!("checked arms a fault")
        };
        assert_eq!(rule.target, CallTarget::Step(SagaStep::ProcessPayment));
        assert_eq!(rule.effect, FaultEffect::Decline);
        assert_eq!(rule.trigger, FaultTrigger::NextCalls { count: 1 });
        assert_eq!(
            toggle("shipping", false),
            Ok(SagaCommand::DisarmFaults {
                target: CallTarget::Step(SagaStep::ShipOrder)
            })
        );
        assert_eq!(
            toggle("refunds", true).unwrap_err().to_string(),
            "\"refunds\" is not something that can be made to fail (payment, inventory, shipping or refund)."
        );
        let Ok(SagaCommand::InjectFault { rule }) = toggle("refund", true) else {
            panic!("checked arms a fault")
        };
        assert_eq!(
            rule.target,
            CallTarget::Compensation(Compensation::RefundPayment)
        );
        assert_eq!(rule.effect, FaultEffect::Error);
        assert_eq!(
            parse_payment_chance(" 30% "),
            Ok(SagaCommand::SetFaultChance {
                target: CallTarget::Step(SagaStep::ProcessPayment),
                effect: FaultEffect::Decline,
                probability: 0.3
            })
        );
        for bad in ["", "101", "-1", "2.5", "x"] {
            assert_eq!(
                parse_payment_chance(bad),
                Err(FaultToggleError::Percent),
                "{bad:?}"
            );
        }
    }

    /// "Fail payment", then an order: checked until the order uses it up; the order is
    /// compensated and stock and money are back; a replay of the log gives the same.
    #[test]
    fn fail_payment_fails_the_next_order_and_the_toggle_reads_the_engine() {
        let mut pg = Playground::new(preset("happy-path").expect("listed").session);
        let armed = |pg: &Playground| {
            is_armed(
                &pg.saga().unwrap(),
                CallTarget::Step(SagaStep::ProcessPayment),
            )
        };
        let stock = |pg: &Playground| pg.balance_lines().unwrap().stock;
        for _ in 0..100 {
            pg.step();
        }
        let before = (stock(&pg), pg.balance_lines().unwrap().money);
        pg.try_saga(toggle("payment", true).unwrap()).unwrap();
        assert!(armed(&pg));
        pg.try_saga(toggle("payment", false).unwrap()).unwrap();
        assert!(!armed(&pg), "unchecked");
        pg.try_saga(toggle("payment", true).unwrap()).unwrap();
        let order = PlaceOrderDraft::default().parse("web-order-1").unwrap();
        pg.try_saga(order).unwrap();
        for _ in 0..60 {
            pg.step();
        }
        assert!(!armed(&pg), "used up by the order");
        let rows = saga_rows(&pg.saga().unwrap());
        let row = rows.iter().find(|r| r.order_id == "web-order-1").unwrap();
        assert_eq!(row.state, "failed, compensated");
        assert_eq!(row.compensations, ["Release inventory", "Cancel order"]);
        assert_eq!((stock(&pg), pg.balance_lines().unwrap().money), before);
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(saga_rows(&replayed.saga().unwrap()), rows);
    }

    /// "Fail refund" and "Fail shipping", then an order: shipping fails, the refund fails on
    /// every retry, and the saga ends "failed, compensation incomplete" with the charge
    /// kept (its retries go on); unchecked, the next retry refunds, the compensation
    /// finishes and the money is back. A replay of the log gives the same.
    #[test]
    fn fail_refund_leaves_the_compensation_incomplete_until_it_is_unchecked() {
        let mut pg = Playground::new(preset("happy-path").expect("listed").session);
        for _ in 0..100 {
            pg.step();
        }
        let money = |pg: &Playground| pg.balance_lines().unwrap().money;
        let before = money(&pg);
        pg.try_saga(toggle("refund", true).unwrap()).unwrap();
        pg.try_saga(toggle("shipping", true).unwrap()).unwrap();
        pg.try_saga(PlaceOrderDraft::default().parse("web-order-1").unwrap())
            .unwrap();
        for _ in 0..300 {
            pg.step();
        }
        let state = |pg: &Playground| {
            let rows = saga_rows(&pg.saga().unwrap());
            rows.into_iter()
                .find(|r| r.order_id == "web-order-1")
                .unwrap()
                .state
        };
        assert_eq!(state(&pg), "failed, compensation incomplete");
        assert_ne!(money(&pg), before, "charged, not refunded");
        let refund = CallTarget::Compensation(Compensation::RefundPayment);
        assert!(is_armed(&pg.saga().unwrap(), refund));
        pg.try_saga(toggle("refund", false).unwrap()).unwrap();
        assert!(!is_armed(&pg.saga().unwrap(), refund));
        // A compensation is never dead-lettered: its retries go on at the schedule's last
        // interval, and the first after the toggle is off refunds.
        let tries = retries(
            &pg.saga().unwrap(),
            &BTreeSet::from(["web-order-1".to_string()]),
        );
        assert!(
            tries["web-order-1"].last().is_some_and(
                |t| t.starts_with("RefundPayment: attempt") && t.ends_with("(next try)")
            ),
            "{tries:?}"
        );
        for _ in 0..150 {
            pg.step();
        }
        assert_eq!(state(&pg), "failed, compensated");
        assert!(money(&pg).contains("refunded 25.00"), "{}", money(&pg));
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(state(&replayed), "failed, compensated");
    }

    /// "Fail payment with probability 100%" fails every order; 0% ends it; the field reads
    /// the engine's rule in force.
    #[test]
    fn a_payment_chance_fails_orders_until_set_to_zero() {
        let mut pg = Playground::new(preset("happy-path").expect("listed").session);
        assert_eq!(payment_chance(&pg.saga().unwrap()), 0);
        pg.try_saga(parse_payment_chance("100").unwrap()).unwrap();
        assert_eq!(payment_chance(&pg.saga().unwrap()), 100);
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(
            payment_chance(&replayed.saga().unwrap()),
            100,
            "the log carries it"
        );
        for _ in 0..100 {
            pg.step();
        }
        let rows = saga_rows(&pg.saga().unwrap());
        assert!(
            rows.iter().all(|r| r.state == "failed, compensated"),
            "{rows:?}"
        );
        pg.try_saga(parse_payment_chance("0").unwrap()).unwrap();
        assert_eq!(payment_chance(&pg.saga().unwrap()), 0);
        pg.try_saga(PlaceOrderDraft::default().parse("web-order-1").unwrap())
            .unwrap();
        for _ in 0..80 {
            pg.step();
        }
        let rows = saga_rows(&pg.saga().unwrap());
        let row = rows.iter().find(|r| r.order_id == "web-order-1").unwrap();
        assert_eq!(row.state, "completed");
    }

    /// The poison message: retried with attempt numbers, then one dead letter waiting;
    /// "Resubmit" leaves none waiting; the live region said so.
    #[test]
    fn the_poison_message_waits_in_dead_letters_until_resubmitted() {
        let mut pg = Playground::new(preset("poison-message-dlq-resubmit").unwrap().session);
        let mut said = Vec::new();
        for _ in 0..200 {
            pg.step();
            said.extend(pg.take_announcements());
        }
        let queues = dead_letters(&pg.saga().unwrap());
        assert_eq!(queues.len(), 1, "{queues:?}");
        let q = &queues[0];
        assert_eq!(
            (q.topic, q.total, q.waiting.len()),
            ("payment-commands", 1, 1)
        );
        assert_eq!(q.waiting[0].attempts, 6);
        assert!(
            said.iter()
                .any(|s| s.contains("went to payment-commands.DLQ after 6 attempts")),
            "{said:?}"
        );
        let order = q.waiting[0].order_id.clone();
        let tries = retries(&pg.saga().unwrap(), &BTreeSet::from([order.clone()]));
        assert_eq!(tries[&order].len(), 5);
        assert!(
            tries[&order][0].starts_with(
                "ProcessPayment: attempt 1 failed (injected error); attempt 2 at tick"
            ),
            "{:?}",
            tries[&order]
        );
        pg.try_saga(SagaCommand::ResubmitDeadLetters {
            topic: q.topic.into(),
        })
        .unwrap();
        let queues = dead_letters(&pg.saga().unwrap());
        assert_eq!((queues[0].total, queues[0].waiting.len()), (1, 0));
    }

    /// The poison message's record resubmitted by its own "Resubmit": it leaves the waiting
    /// list, the log carries the command, and a replay of the log (a share link) agrees;
    /// resubmitting it again is refused and logs nothing.
    #[test]
    fn one_dead_letter_resubmitted_alone_leaves_the_waiting_list_and_replays() {
        let mut pg = Playground::new(preset("poison-message-dlq-resubmit").unwrap().session);
        for _ in 0..200 {
            pg.step();
        }
        let letter = dead_letters(&pg.saga().unwrap())[0].waiting[0].clone();
        assert_eq!(
            letter.resubmit_label(),
            format!(
                "Resubmit ProcessPayment of order-1 from payment-commands.DLQ, partition {}, offset 0",
                letter.partition.0
            )
        );
        pg.try_saga(letter.resubmit()).unwrap();
        let waiting = |pg: &Playground| dead_letters(&pg.saga().unwrap())[0].waiting.len();
        assert_eq!(waiting(&pg), 0);
        let logged = pg.session().actions.len();
        assert!(pg.try_saga(letter.resubmit()).is_err());
        assert_eq!(
            pg.session().actions.len(),
            logged,
            "a refusal is not logged"
        );
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(waiting(&replayed), 0);
        assert_eq!(replayed.now(), pg.now());
    }

    /// Payment down: the order's step times out, the refund cannot run, and the saga ends
    /// "failed, compensation incomplete"; the live region says so and names the failed
    /// check once.
    #[test]
    fn a_compensation_that_cannot_finish_is_announced_with_its_failed_check() {
        let mut pg = Playground::new(preset("happy-path").unwrap().session);
        for _ in 0..100 {
            pg.step();
        }
        let payment = ServiceName::Payment;
        pg.try_saga(SagaCommand::TakeDown { service: payment })
            .unwrap();
        let order = PlaceOrderDraft::default().parse("web-order-1").unwrap();
        pg.try_saga(order).unwrap();
        let mut said = Vec::new();
        for _ in 0..200 {
            pg.step();
            said.extend(pg.take_announcements());
        }
        let rows = saga_rows(&pg.saga().unwrap());
        let row = rows.iter().find(|r| r.order_id == "web-order-1").unwrap();
        assert_eq!(row.state, "failed, compensation incomplete");
        let incomplete = "Saga web-order-1 failed, compensation incomplete: Refund payment, Release inventory, Cancel order not done.";
        assert!(said.iter().any(|s| s == incomplete), "{said:?}");
        let check =
            "Conservation check failed: saga web-order-1 failed and its compensation is incomplete";
        assert_eq!(said.iter().filter(|s| *s == check).count(), 1, "{said:?}");
    }

    #[test]
    fn the_saga_window_is_bounded_whatever_the_count_and_follows_the_scroll() {
        let most = SAGA_ROWS_IN_VIEW + 2 * SAGA_OVERSCAN_ROWS;
        assert_eq!(saga_window(0.0, 0), (0..0, 0..0));
        assert_eq!(saga_window_label(&(0..0), 0), "No sagas yet.");
        let (drawn, in_view) = saga_window(0.0, 1000);
        assert_eq!(in_view, 0..SAGA_ROWS_IN_VIEW);
        assert_eq!(drawn, 0..SAGA_ROWS_IN_VIEW + SAGA_OVERSCAN_ROWS);
        assert_eq!(
            saga_window_label(&in_view, 1000),
            "Sagas 1–4 of 1000 in view"
        );
        // Half a row down still shows row 0 on top; row 500 on top has overscan both ways.
        assert_eq!(saga_window(SAGA_ROW_PX / 2.0, 1000).1.start, 0);
        let (drawn, in_view) = saga_window(500.0 * SAGA_ROW_PX, 1000);
        assert_eq!(in_view, 500..500 + SAGA_ROWS_IN_VIEW);
        assert_eq!(drawn.len(), most);
        assert!(drawn.start <= in_view.start && in_view.end <= drawn.end);
        // Past the end (the run shrank, or a huge offset): the last rows.
        assert_eq!(saga_window(1e300, 1000).1, 996..1000);
        assert_eq!(saga_window(f64::INFINITY, 10).1, 0..SAGA_ROWS_IN_VIEW);
        assert_eq!(saga_window(f64::NAN, 10).1, 0..SAGA_ROWS_IN_VIEW);
        assert_eq!(saga_window(-50.0, 3), (0..3, 0..3));
        for total in [1, 3, 4, 7, 52, 1000, 100_000] {
            for scroll in [0.0, 151.0, 152.0, 7_000.0, 1e7] {
                let (drawn, in_view) = saga_window(scroll, total);
                assert!(
                    drawn.len() <= most && drawn.end <= total,
                    "{total} {scroll}"
                );
                assert_eq!(
                    in_view.len(),
                    total.min(SAGA_ROWS_IN_VIEW),
                    "{total} {scroll}"
                );
            }
        }
    }

    /// "Slow Payment": the payment step times out and the order compensates; "Speed up
    /// Payment" brings it back; both are logged and replay.
    #[test]
    fn slow_payment_times_the_next_order_out_and_speed_up_ends_it() {
        let mut pg = Playground::new(preset("happy-path").unwrap().session);
        let payment = ServiceName::Payment;
        let (text, slow) = slowdown_action(payment, slowdown(&pg.saga().unwrap(), payment));
        assert_eq!(text, "Slow Payment");
        pg.try_saga(slow).unwrap();
        assert_eq!(slowdown(&pg.saga().unwrap(), payment), SLOW_EXTRA_TICKS);
        pg.try_saga(PlaceOrderDraft::default().parse("web-order-1").unwrap())
            .unwrap();
        for _ in 0..150 {
            pg.step();
        }
        let row = |pg: &Playground| {
            saga_rows(&pg.saga().unwrap())
                .into_iter()
                .find(|r| r.order_id == "web-order-1")
                .unwrap()
        };
        assert_eq!(
            row(&pg).failure.as_deref(),
            Some("ProcessPayment timed out")
        );
        let (text, fast) = slowdown_action(payment, slowdown(&pg.saga().unwrap(), payment));
        assert_eq!(text, "Speed up Payment");
        pg.try_saga(fast).unwrap();
        assert_eq!(slowdown(&pg.saga().unwrap(), payment), 0);
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(row(&replayed), row(&pg));
        assert_eq!(slowdown(&replayed.saga().unwrap(), payment), 0);
    }

    #[test]
    fn services_follow_take_down_and_bring_up() {
        let mut pg = Playground::new(preset("happy-path").unwrap().session);
        let up = |pg: &Playground| services(&pg.saga().unwrap());
        assert!(up(&pg).iter().all(|(_, up)| *up));
        assert!(up(&pg).iter().any(|(s, _)| *s == ServiceName::Orchestrator));
        let payment = ServiceName::Payment;
        pg.try_saga(SagaCommand::TakeDown { service: payment })
            .unwrap();
        assert!(up(&pg).contains(&(payment, false)));
        pg.try_saga(SagaCommand::BringUp { service: payment })
            .unwrap();
        assert!(up(&pg).contains(&(payment, true)));
        assert_eq!(service_label(payment), "Payment");
    }
}
