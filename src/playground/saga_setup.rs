//! The saga's safeguards the page switches: idempotent consumers (the inbox) and the
//! transactional outbox. A switch is "always set up this way", as a topic's setup is: the
//! scenario's saga configuration changes and the whole log replays under it, so the same
//! orders and faults show what the safeguard changes (a redelivered `ProcessPayment` charges
//! twice without the inbox, once with it). Why not a command at a tick: the engine builds
//! its inboxes and outboxes with the saga, and a mid-run switch would leave rows written
//! under one setting and relayed under the other, which no real system does either.

use super::Playground;
use orderflow_engine::saga::services::SagaMode;

/// A safeguard of the saga's services the page can switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SagaSafeguard {
    /// Each handler remembers the event ids it processed (`SagaConfig::inbox`).
    IdempotentConsumers,
    /// Services write their events with their state change; a relay publishes them
    /// (`SagaConfig::outbox`).
    TransactionalOutbox,
}

impl Playground {
    /// Whether `safeguard` is on in the running saga (as the engine was built), or `None`
    /// when the scenario has no saga.
    pub fn saga_safeguard(&self, safeguard: SagaSafeguard) -> Option<bool> {
        let config = self.saga()?.config();
        Some(match safeguard {
            SagaSafeguard::IdempotentConsumers => config.inbox,
            SagaSafeguard::TransactionalOutbox => config.outbox,
        })
    }

    /// Switches `safeguard` in the scenario's saga and replays the whole log under it.
    /// Returns false (and changes nothing) when the scenario has no saga.
    pub fn set_saga_safeguard(&mut self, safeguard: SagaSafeguard, on: bool) -> bool {
        self.finish_burst();
        let Some(saga) = self.session.scenario.saga.as_mut() else {
            return false;
        };
        match safeguard {
            SagaSafeguard::IdempotentConsumers => saga.config.inbox = on,
            SagaSafeguard::TransactionalOutbox => saga.config.outbox = on,
        }
        let ticks = self.session.ticks;
        self.replay_to(ticks);
        true
    }

    /// The running saga's style, or `None` when the scenario has no saga.
    pub fn saga_style(&self) -> Option<SagaMode> {
        Some(self.saga()?.config().mode)
    }

    /// Runs the same orders in the other saga style: the scenario's saga mode changes and
    /// the whole log replays under it. Returns false (and changes nothing) when the
    /// scenario has no saga.
    pub fn set_saga_style(&mut self, mode: SagaMode) -> bool {
        self.finish_burst();
        let Some(saga) = self.session.scenario.saga.as_mut() else {
            return false;
        };
        saga.config.mode = mode;
        let ticks = self.session.ticks;
        self.replay_to(ticks);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;

    fn run(pg: &mut Playground, ticks: u64) {
        for _ in 0..ticks {
            pg.step();
        }
    }

    fn charges(pg: &Playground) -> (u64, u64) {
        let b = pg.saga().expect("a saga").balances();
        (b.charges, b.charged_cents)
    }

    /// The journey of issue #12: without the inbox the crashed Payment member's redelivered
    /// `ProcessPayment` charges the customer twice; switched on, the same run charges once.
    #[test]
    fn switching_the_inbox_on_replays_the_redelivery_without_the_double_charge() {
        let session = preset("duplicate-delivery-without-inbox")
            .expect("listed")
            .session;
        let mut pg = Playground::new(session);
        run(&mut pg, 120);
        let safeguard = SagaSafeguard::IdempotentConsumers;
        assert_eq!(pg.saga_safeguard(safeguard), Some(false));
        assert_eq!(charges(&pg), (2, 5000));
        assert!(pg.set_saga_safeguard(safeguard, true));
        assert_eq!(pg.saga_safeguard(safeguard), Some(true));
        assert_eq!(pg.now(), 120, "the replay reaches the same tick");
        assert_eq!(charges(&pg), (1, 2500));
        // The switch is in the session, so a share link replays it.
        assert_eq!(
            Playground::new(pg.session().clone()).saga_safeguard(safeguard),
            Some(true)
        );
        assert!(pg.set_saga_safeguard(safeguard, false));
        assert_eq!(charges(&pg), (2, 5000));
    }

    #[test]
    fn the_outbox_switch_is_the_engines_and_a_scenario_without_a_saga_has_none() {
        let mut pg = Playground::new(preset("crash-without-outbox").expect("listed").session);
        let outbox = SagaSafeguard::TransactionalOutbox;
        assert_eq!(pg.saga_safeguard(outbox), Some(false));
        assert!(pg.set_saga_safeguard(outbox, true));
        assert!(pg.saga().unwrap().config().outbox);
        let mut plain = Playground::default();
        assert_eq!(plain.saga_safeguard(outbox), None);
        assert!(!plain.set_saga_safeguard(outbox, true));
        assert_eq!(plain.session(), Playground::default().session());
    }

    #[test]
    fn the_same_orders_run_in_the_other_style_after_a_switch() {
        let mut pg = Playground::new(
            preset("mixed-failures-orchestration")
                .expect("listed")
                .session,
        );
        run(&mut pg, 50);
        let sagas = |pg: &Playground| pg.saga().unwrap().summaries().len();
        assert_eq!(pg.saga_style(), Some(SagaMode::Orchestration));
        assert!(pg.group_names().iter().any(|g| g == "saga-orchestrator"));
        let orchestrated = sagas(&pg);
        assert!(pg.set_saga_style(SagaMode::Choreography));
        assert_eq!(pg.saga_style(), Some(SagaMode::Choreography));
        assert_eq!(pg.now(), 50);
        assert_eq!(sagas(&pg), orchestrated, "the same orders");
        assert!(!pg.group_names().iter().any(|g| g == "saga-orchestrator"));
        assert!(!Playground::default().set_saga_style(SagaMode::Choreography));
    }
}
