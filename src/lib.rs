//! The orderflow playground: a Leptos client-side app over [`orderflow_engine`].
//!
//! The app holds one engine instance, sends it commands and renders what it reads back.

use leptos::prelude::*;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::partitioner::{Partitioner, Routing};
use orderflow_engine::sim::{Command, Sim, TraceEvent};

/// The topic the first slice publishes to: the Event Hubs order example's 4 partitions.
pub const ORDERS_TOPIC: &str = "orders";
const ORDERS_PARTITIONS: u32 = 4;

/// Order statuses in their lifecycle order.
pub const STATUSES: [&str; 4] = ["Created", "Paid", "Shipped", "Delivered"];

fn initial_sim() -> Sim {
    let mut sim = Sim::new(0);
    sim.apply(Command::CreateTopic {
        name: ORDERS_TOPIC.into(),
        partitions: ORDERS_PARTITIONS,
        partitioner: Partitioner::Murmur2,
    })
    .expect("a fresh simulation accepts the orders topic");
    sim
}

/// The whole playground.
#[component]
pub fn App() -> impl IntoView {
    let sim = RwSignal::new(initial_sim());
    let user_id = RwSignal::new(String::from("U123"));
    let order_id = RwSignal::new(String::from("O456"));
    let status = RwSignal::new(String::from(STATUSES[0]));
    let error = RwSignal::new(None::<String>);

    let publish = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let key = user_id.get_untracked().trim().to_string();
        if key.is_empty() {
            error.set(Some(
                "User ID is the partition key: enter one to publish.".into(),
            ));
            return;
        }
        let value = OrderEvent {
            user_id: key.clone(),
            order_id: order_id.get_untracked().trim().to_string(),
            status: status.get_untracked(),
        };
        let result = sim.try_update(|s| {
            s.apply(Command::Produce {
                topic: ORDERS_TOPIC.into(),
                key: Some(key),
                value: value.into(),
            })
        });
        error.set(result.and_then(|r| r.err()).map(|e| e.to_string()));
    };

    let last_routing = Memo::new(move |_| {
        sim.with(|s| {
            s.trace().iter().rev().find_map(|e| match e {
                TraceEvent::Produced { key, routing, .. } => key.clone().zip(routing.clone()),
                _ => None,
            })
        })
    });
    let partition_count =
        Memo::new(move |_| sim.with(|s| s.topic(ORDERS_TOPIC).map_or(0, |t| t.partition_count())));

    view! {
        <header>
            <h1>"orderflow"</h1>
            <p class="tagline">"Publish order events and watch them hash to partitions."</p>
        </header>
        <main>
            <form class="publish" on:submit=publish aria-label="Publish an order event">
                <label for="user-id">"User ID"</label>
                <input
                    id="user-id"
                    autocomplete="off"
                    prop:value=user_id
                    on:input=move |ev| user_id.set(event_target_value(&ev))
                />
                <label for="order-id">"Order ID"</label>
                <input
                    id="order-id"
                    autocomplete="off"
                    prop:value=order_id
                    on:input=move |ev| order_id.set(event_target_value(&ev))
                />
                <label for="status">"Status"</label>
                <select
                    id="status"
                    prop:value=status
                    on:change=move |ev| status.set(event_target_value(&ev))
                >
                    {STATUSES.map(|s| view! { <option value=s>{s}</option> })}
                </select>
                <button type="submit">"Publish"</button>
                <p class="error" role="alert">{move || error.get()}</p>
            </form>
            <RoutingView routing=last_routing />
            <div class="partitions">
                <For each=move || 0..partition_count.get() key=|p| *p let:p>
                    <PartitionView sim=sim partition=p />
                </For>
            </div>
        </main>
    }
}

/// Shows the arithmetic of the last routing decision: key, bytes, hash, modulo, partition.
#[component]
fn RoutingView(routing: Memo<Option<(String, Routing)>>) -> impl IntoView {
    view! {
        <section class="routing" aria-label="Routing" aria-live="polite">
            <h2>"Last routing"</h2>
            {move || match routing.get() {
                None => view! { <p>"Nothing published yet."</p> }.into_any(),
                Some((key, r)) => {
                    view! {
                        <dl>
                            <dt>"key"</dt>
                            <dd class="routing-key">{key}</dd>
                            <dt>"murmur2 hash"</dt>
                            <dd class="routing-hash">{r.hash}</dd>
                            <dt>{format!("positive hash mod {}", r.partitions)}</dt>
                            <dd>{format!("{} mod {} = {}", r.positive_hash, r.partitions, r.partition.0)}</dd>
                            <dt>"partition"</dt>
                            <dd class="routing-partition">{r.partition.0}</dd>
                        </dl>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// One partition's log, newest record last.
#[component]
fn PartitionView(sim: RwSignal<Sim>, partition: u32) -> impl IntoView {
    let rows = Memo::new(move |_| {
        sim.with(|s| {
            s.topic(ORDERS_TOPIC)
                .and_then(|t| t.partition(orderflow_engine::ids::PartitionId(partition)))
                .map(|log| {
                    log.records()
                        .iter()
                        .map(|r| {
                            (
                                r.offset.0,
                                r.key.clone().unwrap_or_default(),
                                r.value.as_order().cloned().unwrap_or(OrderEvent {
                                    user_id: String::new(),
                                    order_id: String::new(),
                                    status: String::new(),
                                }),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    view! {
        <section class="partition" role="region" aria-label=format!("Partition {partition}")>
            <h2>{format!("Partition {partition}")}</h2>
            <ol class="records">
                <For each=move || rows.get() key=|(offset, _, _)| *offset let:row>
                    <li class="record" data-offset=row.0>
                        <span class="offset">{format!("#{}", row.0)}</span>
                        " "
                        <span class="key">{row.1}</span>
                        " "
                        <span class="value">{format!("{} {}", row.2.order_id, row.2.status)}</span>
                    </li>
                </For>
            </ol>
        </section>
    }
}
