//! Failure injection, deterministic from the seed.
//!
//! A [`FaultPlan`] says which handler calls fail and how: the next N calls of a step, each
//! call with probability p (drawn from the simulation's one [`SimRng`]), a service down or
//! slow for a window of ticks, a crash between state change and publish (or between publish
//! and commit), a relay that publishes twice, a concurrent writer on the Order stream.
//! Every rule can end at a tick, after which the system must settle.

use super::services::{CallTarget, ServiceName};
use crate::ids::Tick;
use crate::rng::SimRng;
use crate::wire::{need, MissingField};
use serde::{Deserialize, Serialize};

/// What an injected fault does to a handler call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultEffect {
    /// A business failure (declined card, no carrier): the service publishes a failure
    /// event. For a compensation this acts like `Error` (a compensation cannot say no).
    Decline,
    /// A technical error (exception, timeout to a database): the record is retried on the
    /// schedule and dead-lettered when the schedule runs out.
    Error,
}

crate::unit_enum_reader!(FaultEffect {
    "decline" => Decline,
    "error" => Error,
});

/// When a rule fires.
///
/// Read through one flat struct (`TriggerWire`), not serde's derived reader for tagged
/// enums, which buffers the map in serde's `Content` (BENCHMARKS.md, "The bundle"); the
/// format is the same.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "trigger", rename_all = "snake_case", try_from = "TriggerWire")]
pub enum FaultTrigger {
    /// The next `count` matching calls fail.
    NextCalls {
        /// How many calls fail.
        count: u32,
    },
    /// Each matching call fails with probability `probability`.
    Probability {
        /// The chance each call fails (0 to 1).
        probability: f64,
    },
}

/// [`FaultTrigger`]'s variant names, as the `trigger` field spells them.
#[derive(Clone, Copy, Debug)]
enum TriggerTag {
    NextCalls,
    Probability,
}

crate::unit_enum_reader!(TriggerTag {
    "next_calls" => NextCalls,
    "probability" => Probability,
});

/// Every field of any [`FaultTrigger`], as read; which is required depends on `trigger`.
#[derive(Deserialize)]
struct TriggerWire {
    #[serde(rename = "trigger")]
    tag: TriggerTag,
    count: Option<u32>,
    probability: Option<f64>,
}

impl TryFrom<TriggerWire> for FaultTrigger {
    type Error = MissingField;

    fn try_from(w: TriggerWire) -> Result<Self, MissingField> {
        Ok(match w.tag {
            TriggerTag::NextCalls => FaultTrigger::NextCalls {
                count: need!(w.count),
            },
            TriggerTag::Probability => FaultTrigger::Probability {
                probability: need!(w.probability),
            },
        })
    }
}

/// A rule failing calls of one step or compensation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// The step or compensation whose calls fail.
    pub target: CallTarget,
    /// What the failure does.
    pub effect: FaultEffect,
    /// When it fires.
    pub trigger: FaultTrigger,
    /// The rule is active from this tick...
    #[serde(default)]
    pub from_tick: Tick,
    /// ... until this tick (exclusive); `None`: forever.
    #[serde(default)]
    pub until_tick: Option<Tick>,
    /// Calls this rule failed so far (state, not configuration).
    #[serde(default)]
    pub fired: u32,
}

impl FaultRule {
    /// Fails the next `count` calls of `target` with `effect`.
    pub fn next_calls(target: CallTarget, effect: FaultEffect, count: u32) -> Self {
        Self {
            target,
            effect,
            trigger: FaultTrigger::NextCalls { count },
            from_tick: Tick(0),
            until_tick: None,
            fired: 0,
        }
    }

    /// Fails calls of `target` with probability `probability`.
    pub fn probability(target: CallTarget, effect: FaultEffect, probability: f64) -> Self {
        Self {
            target,
            effect,
            trigger: FaultTrigger::Probability { probability },
            from_tick: Tick(0),
            until_tick: None,
            fired: 0,
        }
    }

    fn active(&self, now: Tick) -> bool {
        now >= self.from_tick && self.until_tick.is_none_or(|u| now < u)
    }
}

/// A service that is down (consumes nothing, in-flight work is lost) for a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outage {
    /// The service.
    pub service: ServiceName,
    /// First tick of the window.
    pub from_tick: Tick,
    /// First tick after the window.
    pub until_tick: Tick,
}

/// A service that takes `extra_ticks` longer per record for a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slowdown {
    /// The service.
    pub service: ServiceName,
    /// First tick of the window.
    pub from_tick: Tick,
    /// First tick after the window.
    pub until_tick: Tick,
    /// Extra ticks per record.
    pub extra_ticks: u64,
}

/// Where in the handling of a record a crash happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPoint {
    /// State changed (and inbox marked), nothing published, offset not committed.
    AfterStateChange,
    /// Published, offset not committed: the record is delivered again after the restart.
    AfterPublish,
}

crate::unit_enum_reader!(CrashPoint {
    "after_state_change" => AfterStateChange,
    "after_publish" => AfterPublish,
});

/// Crash `service` while it handles its `nth` (1-based) message named `message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crash {
    /// The service.
    pub service: ServiceName,
    /// The message type name it crashes on.
    pub message: String,
    /// Which occurrence (1-based) triggers it.
    pub nth: u32,
    /// Where in the handling the crash happens.
    pub point: CrashPoint,
    /// How long the service stays down after the crash.
    pub down_ticks: u64,
}

/// The outbox relay of `service` crashes after its `nth` (1-based) publish, before marking
/// the entry: the entry is published again later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayCrash {
    /// The service.
    pub service: ServiceName,
    /// Which occurrence (1-based) triggers it.
    pub nth: u32,
}

/// Everything that goes wrong in a scenario (a list left out reads as empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    /// Rules failing handler calls.
    pub rules: Vec<FaultRule>,
    /// Services down for a window.
    pub outages: Vec<Outage>,
    /// Services slow for a window.
    pub slowdowns: Vec<Slowdown>,
    /// Crashes while handling a message.
    pub crashes: Vec<Crash>,
    /// Outbox relay crashes.
    pub relay_crashes: Vec<RelayCrash>,
    /// Order ids whose `PaymentProcessed` status update meets a concurrent writer.
    pub concurrent_writers: Vec<String>,
}

impl FaultPlan {
    /// Decides whether the call of `target` at `now` fails. Only probability rules draw
    /// from the RNG, so a plan without them leaves the random stream untouched.
    pub fn decide(
        &mut self,
        target: CallTarget,
        now: Tick,
        rng: &mut SimRng,
    ) -> Option<FaultEffect> {
        for rule in &mut self.rules {
            if rule.target != target || !rule.active(now) {
                continue;
            }
            let fires = match rule.trigger {
                FaultTrigger::NextCalls { count } => rule.fired < count,
                FaultTrigger::Probability { probability } => rng.chance(probability),
            };
            if fires {
                rule.fired += 1;
                return Some(rule.effect);
            }
        }
        None
    }

    /// The "next N calls" rules of `target` still able to fire at `now` (armed).
    pub fn armed(&self, target: CallTarget, now: Tick) -> impl Iterator<Item = &FaultRule> {
        self.rules.iter().filter(move |r| {
            let left = matches!(r.trigger, FaultTrigger::NextCalls { count } if r.fired < count);
            r.target == target && left && r.until_tick.is_none_or(|u| now < u)
        })
    }

    /// Disarms `target`'s "next N calls" rules: each fails no more calls than it has.
    pub fn disarm(&mut self, target: CallTarget) {
        for r in self.rules.iter_mut().filter(|r| r.target == target) {
            if let FaultTrigger::NextCalls { count } = &mut r.trigger {
                *count = (*count).min(r.fired);
            }
        }
    }

    /// Ends, at `now`, the probability rules of `rule`'s target still in force, then adds
    /// `rule` from `now` unless its probability is 0 (a rule that never fires would still
    /// draw from the RNG on every call).
    pub fn set_chance(&mut self, mut rule: FaultRule, now: Tick) {
        for r in self.rules.iter_mut().filter(|r| r.target == rule.target) {
            if matches!(r.trigger, FaultTrigger::Probability { .. })
                && r.until_tick.is_none_or(|u| u > now)
            {
                r.until_tick = Some(now.max(r.from_tick));
            }
        }
        if matches!(rule.trigger, FaultTrigger::Probability { probability } if probability > 0.0) {
            rule.from_tick = rule.from_tick.max(now);
            self.rules.push(rule);
        }
    }

    /// The probability of failure in force for `target` at `now` (the newest rule's), if any.
    pub fn chance(&self, target: CallTarget, now: Tick) -> Option<f64> {
        self.rules.iter().rev().find_map(|r| match r.trigger {
            FaultTrigger::Probability { probability } if r.target == target && r.active(now) => {
                Some(probability)
            }
            _ => None,
        })
    }

    /// Ends, at `now`, the slowdowns of `service` still in force, then slows it by
    /// `extra_ticks` per record from `now` on, unless 0.
    pub fn set_slowdown(&mut self, service: ServiceName, extra_ticks: u64, now: Tick) {
        for s in self.slowdowns.iter_mut().filter(|s| s.service == service) {
            if s.until_tick > now {
                s.until_tick = now.max(s.from_tick);
            }
        }
        if extra_ticks > 0 {
            self.slowdowns.push(Slowdown {
                service,
                from_tick: now,
                until_tick: Tick(u64::MAX),
                extra_ticks,
            });
        }
    }

    /// True while `service` is down by an outage.
    pub fn is_down(&self, service: ServiceName, now: Tick) -> bool {
        self.outages
            .iter()
            .any(|o| o.service == service && now >= o.from_tick && now < o.until_tick)
    }

    /// Extra processing ticks for `service` at `now`.
    pub fn extra_ticks(&self, service: ServiceName, now: Tick) -> u64 {
        self.slowdowns
            .iter()
            .filter(|s| s.service == service && now >= s.from_tick && now < s.until_tick)
            .map(|s| s.extra_ticks)
            .sum()
    }

    /// The last tick at which any fault is still scheduled (`None`: some fault never ends).
    pub fn quiet_after(&self) -> Option<Tick> {
        let mut last = Tick(0);
        for r in &self.rules {
            match (r.trigger, r.until_tick) {
                (_, Some(u)) => last = last.max(u),
                // A finite "next N calls" rule is bounded by the calls, not by time.
                (FaultTrigger::NextCalls { .. }, None) => {}
                (FaultTrigger::Probability { .. }, None) => return None,
            }
        }
        for o in &self.outages {
            last = last.max(o.until_tick);
        }
        for s in &self.slowdowns {
            last = last.max(s.until_tick);
        }
        Some(last)
    }
}

#[cfg(test)]
mod tests {
    use super::super::orchestrator::SagaStep;
    use super::*;

    #[test]
    fn next_calls_fail_exactly_n_times_then_stop() {
        let target = CallTarget::Step(SagaStep::ProcessPayment);
        let mut plan = FaultPlan {
            rules: vec![FaultRule::next_calls(target, FaultEffect::Decline, 2)],
            ..FaultPlan::default()
        };
        let mut rng = SimRng::new(1);
        let got: Vec<_> = (0..4)
            .map(|t| plan.decide(target, Tick(t), &mut rng))
            .collect();
        assert_eq!(
            got,
            [
                Some(FaultEffect::Decline),
                Some(FaultEffect::Decline),
                None,
                None
            ]
        );
        // Other targets are untouched.
        assert_eq!(
            plan.decide(CallTarget::Step(SagaStep::ShipOrder), Tick(0), &mut rng),
            None
        );
    }

    #[test]
    fn armed_rules_are_those_with_calls_left_and_disarming_keeps_what_fired() {
        let pay = CallTarget::Step(SagaStep::ProcessPayment);
        let ship = CallTarget::Step(SagaStep::ShipOrder);
        let mut plan = FaultPlan {
            rules: vec![
                FaultRule::next_calls(pay, FaultEffect::Decline, 2),
                FaultRule::next_calls(ship, FaultEffect::Error, 1),
            ],
            ..FaultPlan::default()
        };
        let mut rng = SimRng::new(1);
        assert_eq!(plan.armed(pay, Tick(0)).count(), 1);
        plan.decide(pay, Tick(0), &mut rng);
        assert_eq!(plan.armed(pay, Tick(0)).count(), 1, "one call left");
        plan.disarm(pay);
        assert_eq!(plan.armed(pay, Tick(0)).count(), 0);
        assert_eq!(plan.rules[0].fired, 1);
        assert_eq!(plan.decide(pay, Tick(1), &mut rng), None);
        assert_eq!(
            plan.armed(ship, Tick(0)).count(),
            1,
            "other targets untouched"
        );
    }

    #[test]
    fn probability_rule_is_deterministic_per_seed_and_stops_at_until() {
        let target = CallTarget::Step(SagaStep::ShipOrder);
        let mut rule = FaultRule::probability(target, FaultEffect::Error, 0.5);
        rule.until_tick = Some(Tick(100));
        let run = |seed| {
            let mut plan = FaultPlan {
                rules: vec![rule.clone()],
                ..FaultPlan::default()
            };
            let mut rng = SimRng::new(seed);
            (0..200)
                .map(|t| plan.decide(target, Tick(t), &mut rng).is_some())
                .collect::<Vec<_>>()
        };
        let a = run(9);
        assert_eq!(a, run(9));
        let fired = a[..100].iter().filter(|f| **f).count();
        assert!((25..75).contains(&fired), "{fired}");
        assert!(a[100..].iter().all(|f| !f));
        let plan = FaultPlan {
            rules: vec![rule],
            ..FaultPlan::default()
        };
        assert_eq!(plan.quiet_after(), Some(Tick(100)));
    }

    #[test]
    fn outages_and_slowdowns_cover_their_windows() {
        let plan = FaultPlan {
            outages: vec![Outage {
                service: ServiceName::Shipping,
                from_tick: Tick(5),
                until_tick: Tick(10),
            }],
            slowdowns: vec![Slowdown {
                service: ServiceName::Payment,
                from_tick: Tick(0),
                until_tick: Tick(3),
                extra_ticks: 7,
            }],
            ..FaultPlan::default()
        };
        assert!(!plan.is_down(ServiceName::Shipping, Tick(4)));
        assert!(plan.is_down(ServiceName::Shipping, Tick(9)));
        assert!(!plan.is_down(ServiceName::Shipping, Tick(10)));
        assert_eq!(plan.extra_ticks(ServiceName::Payment, Tick(2)), 7);
        assert_eq!(plan.extra_ticks(ServiceName::Payment, Tick(3)), 0);
    }

    #[test]
    fn every_fault_trigger_reads_back_what_it_writes() {
        for trigger in [
            FaultTrigger::NextCalls { count: 3 },
            FaultTrigger::Probability { probability: 0.25 },
        ] {
            crate::wire::assert_reads_back(&trigger);
        }
        assert_eq!(
            serde_json::to_string(&FaultTrigger::NextCalls { count: 3 }).unwrap(),
            r#"{"trigger":"next_calls","count":3}"#
        );
        for bad in [
            r#"{"trigger":"next_calls"}"#,
            r#"{"trigger":"probability","count":3}"#,
            r#"{"count":3}"#,
        ] {
            assert!(serde_json::from_str::<FaultTrigger>(bad).is_err(), "{bad}");
        }
    }
}
