//! The saga's stream of orders (the page's "Orders per tick"): so many `PlaceOrder`
//! commands every tick, each with a customer, a product and a quantity drawn from the
//! simulation's one RNG, so a seed replays the same orders.
//!
//! Customers are drawn as the engine's generator draws its users ([`KeySpace::draw`]:
//! `customer-1..=customer-N`); products from the shop's stocked products; quantities from 1
//! to [`MAX_STREAM_QUANTITY`]. Order ids are `stream-order-N`, counted over the run, so
//! they never meet the page's `web-order-N` or a scenario's ids.

use super::command::OrderRequest;
use super::message::{ProductId, SagaMessage};
use crate::generator::KeySpace;
use crate::rng::SimRng;
use serde::{Deserialize, Serialize};

/// The most orders the stream may place per tick.
pub const MAX_STREAM_ORDERS_PER_TICK: u32 = 100;

/// The most units of a product one streamed order asks for.
pub const MAX_STREAM_QUANTITY: u64 = 3;

/// A running stream of orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStream {
    /// Orders placed every tick.
    pub orders_per_tick: u32,
    /// The customers drawn from (`customer-1..=customer-N`).
    pub customers: KeySpace,
}

impl OrderStream {
    /// A stream of `orders_per_tick` orders from `customers` customers.
    pub fn new(orders_per_tick: u32, customers: u32) -> Self {
        Self {
            orders_per_tick,
            customers: KeySpace::new("customer-", customers),
        }
    }

    /// This tick's orders, numbered from `*next` on (which moves past them): for each, a
    /// customer, a product of `products` and a quantity drawn from `rng`. None without
    /// products.
    pub fn orders(
        &self,
        rng: &mut SimRng,
        products: &[ProductId],
        next: &mut u64,
    ) -> Vec<SagaMessage> {
        if products.is_empty() {
            return Vec::new();
        }
        (0..self.orders_per_tick)
            .map(|_| {
                let customer = format!("customer-{}", self.customers.draw(rng));
                let product = &products[rng.below(products.len() as u64) as usize];
                let quantity = (rng.below(MAX_STREAM_QUANTITY) + 1) as u32;
                *next += 1;
                let id = format!("stream-order-{next}");
                OrderRequest::one_line(0, &id, &customer, &product.0, quantity).place_order()
            })
            .collect()
    }
}
