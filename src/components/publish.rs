//! Publishing one order event by hand.

use crate::components::explain::Explain;
use crate::components::fields::TextField;
use crate::components::topics::use_topic;
use crate::forms::publish::{PublishDraft, PublishFormError};
use crate::session::MAX_FIELD_CHARS;
use crate::state::Engine;
use leptos::prelude::*;
use orderflow_engine::sim::ORDER_LIFECYCLE;

/// The publish form: "User ID", "Order ID", "Status" and a "Publish" button.
#[component]
pub fn PublishForm() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let user_id = RwSignal::new(String::from("U123"));
    let order_id = RwSignal::new(String::from("O456"));
    let status = RwSignal::new(String::from(ORDER_LIFECYCLE[0]));
    let error = RwSignal::new(None::<String>);
    let topic = use_topic();
    let key_label = Memo::new(move |_| {
        engine.read(|pg| match pg.setup(&topic.get()) {
            Some(setup) if setup.keyed => setup.key_field.label(),
            Some(setup) => setup.unkeyed_label(),
            None => "",
        })
    });

    // A paste over the limit never reaches the field: say why, keep what was there.
    let too_long = move |field, length| {
        error.set(Some(
            PublishFormError::TooLong {
                field,
                length,
                max: MAX_FIELD_CHARS,
            }
            .to_string(),
        ));
    };
    let publish = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = PublishDraft {
            user_id: user_id.get_untracked(),
            order_id: order_id.get_untracked(),
            status: status.get_untracked(),
        };
        let topic = topic.get_untracked();
        let Some(event) = engine.read_untracked(|pg| pg.setup(&topic).map(|s| draft.parse(&s)))
        else {
            return;
        };
        match event {
            Ok(event) => {
                error.set(None);
                engine.update(|pg| pg.publish_to(&topic, event));
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };

    view! {
        <section class="panel publish-panel" aria-labelledby="publish-title">
            <h2 id="publish-title">"Publish by hand"</h2>
            <form class="publish" on:submit=publish aria-label="Publish an order event">
                <TextField
                    id="user-id"
                    label="User ID"
                    value=user_id
                    on_input=move |text| user_id.set(text)
                    max_chars=MAX_FIELD_CHARS
                    on_too_long=move |length| too_long("User ID", length)
                />
                <TextField
                    id="order-id"
                    label="Order ID"
                    value=order_id
                    on_input=move |text| order_id.set(text)
                    max_chars=MAX_FIELD_CHARS
                    on_too_long=move |length| too_long("Order ID", length)
                />
                <label for="status">"Status"</label>
                <select
                    id="status"
                    prop:value=status
                    on:change=move |ev| status.set(event_target_value(&ev))
                >
                    {ORDER_LIFECYCLE.map(|s| view! { <option value=s>{s}</option> })}
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
