//! "Saga style" side by side: the session's run (the same scenario, orders and actions)
//! replayed once orchestrated and once choreographed to the same tick, and the messages each
//! style's services sent, counted by type from the records on the saga's topics.

use crate::playground::Playground;
use crate::session::Session;
use orderflow_engine::saga::message::topics;
use orderflow_engine::saga::services::SagaMode;
use orderflow_engine::saga::streaming::SagaView;
use std::collections::BTreeMap;

/// One message type's count in each style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StyleRow {
    pub message: String,
    pub orchestration: u64,
    pub choreography: u64,
}

/// Both styles' messages for the same run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StyleComparison {
    /// The tick both runs reached.
    pub tick: u64,
    /// Per message type, in name order.
    pub rows: Vec<StyleRow>,
    /// Messages in all, orchestrated then choreographed.
    pub totals: (u64, u64),
    /// Sagas per final state in words, orchestrated then choreographed ("completed: 3").
    pub outcomes: (Vec<String>, Vec<String>),
}

/// Replays `session` in both styles (`None` when its scenario has no saga).
pub fn compare_styles(session: &Session) -> Option<StyleComparison> {
    let run = |mode: SagaMode| {
        let mut session = session.clone();
        session.scenario.saga.as_mut()?.config.mode = mode;
        Some(Playground::new(session))
    };
    let orchestrated = run(SagaMode::Orchestration)?;
    let choreographed = run(SagaMode::Choreography)?;
    let (o, c) = (orchestrated.saga()?, choreographed.saga()?);
    let (o_counts, c_counts) = (message_counts(&o), message_counts(&c));
    let mut names: Vec<&String> = o_counts.keys().chain(c_counts.keys()).collect();
    orderflow_engine::sort::sort(&mut names);
    names.dedup();
    let rows = names
        .into_iter()
        .map(|name| StyleRow {
            message: name.clone(),
            orchestration: o_counts.get(name).copied().unwrap_or(0),
            choreography: c_counts.get(name).copied().unwrap_or(0),
        })
        .collect();
    Some(StyleComparison {
        tick: orchestrated.now(),
        rows,
        totals: (o_counts.values().sum(), c_counts.values().sum()),
        outcomes: (outcomes(&o), outcomes(&c)),
    })
}

/// Saga messages on the order flow's topics, by type.
fn message_counts(saga: &SagaView<'_>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for topic in topics::ALL {
        for (_, message) in saga.saga_records(topic) {
            *counts.entry(message.name().to_string()).or_insert(0) += 1;
        }
    }
    counts
}

fn outcomes(saga: &SagaView<'_>) -> Vec<String> {
    let mut by_state = BTreeMap::new();
    for s in saga.summaries() {
        *by_state
            .entry(crate::sagas::state_label(s.state))
            .or_insert(0u64) += 1;
    }
    by_state
        .into_iter()
        .map(|(state, n)| format!("{state}: {n}"))
        .collect()
}
