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

/// The most units of a product the stock form accepts.
pub const MAX_INITIAL_STOCK: u64 = 1_000_000;

/// Why an initial stock was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("Stock must be a whole number of units from 0 to {max}, not {value:?}.")]
    Units { value: String, max: u64 },
    #[error("There is no product {product:?} in this saga.")]
    UnknownProduct { product: String },
    #[error("This scenario has no saga.")]
    NoSaga,
}

/// The "Initial stock" field as typed: whole units, 0 to [`MAX_INITIAL_STOCK`].
pub fn parse_stock(text: &str) -> Result<u64, StockError> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|u| *u <= MAX_INITIAL_STOCK)
        .ok_or_else(|| StockError::Units {
            value: text.trim().to_string(),
            max: MAX_INITIAL_STOCK,
        })
}

impl Playground {
    /// Each product's initial stock in the running saga, in product order (empty without a
    /// saga).
    pub fn initial_stock(&self) -> Vec<(String, u64)> {
        self.saga()
            .map(|s| {
                s.config()
                    .initial_stock
                    .iter()
                    .map(|(p, units)| (p.0.clone(), *units))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets a product's initial stock in the scenario's saga and replays the whole log
    /// under it ("stock set to zero" makes every order for it fail at inventory), as the
    /// safeguards do: stock is where the run starts, not an event at a tick.
    pub fn set_initial_stock(&mut self, product: &str, units: u64) -> Result<(), StockError> {
        self.finish_burst();
        let saga = self
            .session
            .scenario
            .saga
            .as_mut()
            .ok_or(StockError::NoSaga)?;
        let Some(stock) = saga
            .config
            .initial_stock
            .iter_mut()
            .find(|(p, _)| p.0 == product)
            .map(|(_, units)| units)
        else {
            return Err(StockError::UnknownProduct {
                product: product.to_string(),
            });
        };
        *stock = units.min(MAX_INITIAL_STOCK);
        let ticks = self.session.ticks;
        self.replay_to(ticks);
        Ok(())
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

    #[test]
    fn stock_set_to_zero_fails_the_order_at_inventory_and_replays_the_same_log() {
        let mut pg = Playground::new(preset("happy-path").unwrap().session);
        let products = pg.initial_stock();
        assert!(!products.is_empty());
        let (product, _) = products[0].clone();
        run(&mut pg, 5);
        let actions = pg.session().actions.clone();
        pg.set_initial_stock(&product, 0).unwrap();
        assert_eq!(pg.session().actions, actions, "the log is kept");
        assert_eq!(pg.now(), 5);
        assert!(pg.initial_stock().contains(&(product.clone(), 0)));
        run(&mut pg, 80);
        let failed = |pg: &Playground| {
            pg.saga()
                .unwrap()
                .summaries()
                .iter()
                .filter(|s| format!("{:?}", s.state) == "Failed")
                .count()
        };
        let mut baseline = Playground::new(preset("happy-path").unwrap().session);
        run(&mut baseline, 85);
        assert_eq!(failed(&baseline), 0);
        assert!(
            failed(&pg) > 0,
            "an order for {product} fails with no stock"
        );
        assert_eq!(
            pg.set_initial_stock("nope", 1),
            Err(StockError::UnknownProduct {
                product: "nope".into()
            })
        );
        assert_eq!(parse_stock(" 7 "), Ok(7));
        for bad in ["-1", "x", "1.5", "1000001"] {
            assert!(parse_stock(bad).is_err(), "{bad}");
        }
    }
}
