//! Publishing one order event by hand.

use crate::components::explain::Explain;
use crate::components::topics::use_topic;
use crate::generator::STATUSES;
use crate::state::Engine;
use leptos::prelude::*;
use orderflow_engine::log::OrderEvent;

/// The publish form: "User ID", "Order ID", "Status" and a "Publish" button.
#[component]
pub fn PublishForm() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let user_id = RwSignal::new(String::from("U123"));
    let order_id = RwSignal::new(String::from("O456"));
    let status = RwSignal::new(String::from(STATUSES[0]));
    let error = RwSignal::new(None::<String>);
    let topic = use_topic();
    let key_label = Memo::new(move |_| {
        engine.read(|pg| match pg.setup(&topic.get()) {
            Some(setup) if setup.keyed => setup.key_field.label(),
            Some(setup) => setup.unkeyed_label(),
            None => "",
        })
    });

    let publish = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let event = OrderEvent {
            user_id: user_id.get_untracked().trim().to_string(),
            order_id: order_id.get_untracked().trim().to_string(),
            status: status.get_untracked(),
        };
        let topic = topic.get_untracked();
        let Some((keyed, key_field)) =
            engine.read_untracked(|pg| pg.setup(&topic).map(|s| (s.keyed, s.key_field)))
        else {
            return;
        };
        if keyed && key_field.key_of(&event).is_empty() {
            error.set(Some(format!(
                "{} is the partition key: enter one to publish.",
                key_field.label()
            )));
            return;
        }
        error.set(None);
        engine.update(|pg| pg.publish_to(&topic, event));
    };

    view! {
        <section class="panel publish-panel" aria-labelledby="publish-title">
            <h2 id="publish-title">"Publish by hand"</h2>
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
                <p class="hint">{move || format!("Topic: {} · Key: {}", topic.get(), key_label.get())}</p>
                <p class="error" role="alert">{move || error.get()}</p>
            </form>
            <Explain text="The producer hashes the record key (here the field named above) to pick a partition. Events with the same key always land on the same partition, so they stay in order for whoever consumes that partition." />
        </section>
    }
    .into_any()
}
