//! "Saga orders per tick": the saga's order stream as the Sagas drawer sets and shows it. The
//! orders themselves are drawn by the engine (`set_order_stream`, see
//! [`orderflow_engine::saga::order_stream`]); this only reads what was typed and what runs.

use orderflow_engine::saga::command::SagaCommand;
use orderflow_engine::saga::order_stream::MAX_STREAM_ORDERS_PER_TICK;
use orderflow_engine::saga::streaming::SagaView;

/// Customers the page's order stream draws from (`customer-1` to `customer-20`).
pub const STREAM_CUSTOMERS: u32 = 20;

/// Why "Saga orders per tick" was refused. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Saga orders per tick must be a whole number from 1 to {max}.")]
pub struct OrdersPerTickError {
    pub max: u32,
}

/// "Saga orders per tick" as typed: `set_order_stream` placing that many orders a tick.
pub fn parse_orders_per_tick(text: &str) -> Result<SagaCommand, OrdersPerTickError> {
    let max = MAX_STREAM_ORDERS_PER_TICK;
    let orders_per_tick = (text.trim().parse::<u32>().ok())
        .filter(|n| (1..=max).contains(n))
        .ok_or(OrdersPerTickError { max })?;
    Ok(SagaCommand::SetOrderStream {
        orders_per_tick,
        customers: STREAM_CUSTOMERS,
    })
}

/// The command that stops the order stream.
pub fn stop_order_stream() -> SagaCommand {
    SagaCommand::SetOrderStream {
        orders_per_tick: 0,
        customers: STREAM_CUSTOMERS,
    }
}

/// The orders a tick the running stream places (0: none runs).
pub fn orders_per_tick(saga: &SagaView<'_>) -> u32 {
    saga.order_stream().map_or(0, |s| s.orders_per_tick)
}

/// What the stream does now, in words.
pub fn order_stream_status(orders_per_tick: u32) -> String {
    match orders_per_tick {
        0 => "No order stream runs.".to_string(),
        n => format!(
            "Placing {n} order{} a tick, customers, products and quantities drawn from the seed.",
            if n == 1 { "" } else { "s" }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::Playground;
    use crate::presets::preset;

    #[test]
    fn orders_per_tick_reads_whole_numbers_in_bounds() {
        assert_eq!(
            parse_orders_per_tick(" 3 "),
            Ok(SagaCommand::SetOrderStream {
                orders_per_tick: 3,
                customers: STREAM_CUSTOMERS
            })
        );
        for bad in ["0", "", "x", "1.5", "101", "-1"] {
            assert!(parse_orders_per_tick(bad).is_err(), "{bad:?}");
        }
    }

    /// Started at tick 10 at 2 a tick and stopped at tick 13: 6 streamed sagas, the same
    /// after a replay of the log (it carries both commands); a rewind before the start has
    /// none.
    #[test]
    fn the_stream_places_orders_until_stopped_and_the_log_carries_it() {
        let mut pg = Playground::new(preset("happy-path").expect("listed").session);
        let streamed = |pg: &Playground| {
            let saga = pg.saga().unwrap();
            let ids = saga.summaries().into_iter().map(|s| s.order_id.0);
            ids.filter(|id| id.starts_with("stream-order-")).count()
        };
        for _ in 0..10 {
            pg.step();
        }
        pg.try_saga(parse_orders_per_tick("2").unwrap()).unwrap();
        assert_eq!(orders_per_tick(&pg.saga().unwrap()), 2);
        for _ in 0..3 {
            pg.step();
        }
        pg.try_saga(stop_order_stream()).unwrap();
        assert_eq!(orders_per_tick(&pg.saga().unwrap()), 0);
        for _ in 0..30 {
            pg.step();
        }
        assert_eq!(streamed(&pg), 6);
        let mut replayed = Playground::new(pg.session().clone());
        assert_eq!(streamed(&replayed), 6, "the log carries it");
        assert_eq!(
            replayed.saga().unwrap().summaries(),
            pg.saga().unwrap().summaries()
        );
        replayed.replay_to(9);
        assert_eq!(streamed(&replayed), 0);
        assert_eq!(order_stream_status(0), "No order stream runs.");
        assert!(order_stream_status(2).starts_with("Placing 2 orders a tick"));
    }
}
