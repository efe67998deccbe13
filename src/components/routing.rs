//! The routing view: the last events' key -> bytes -> hash -> mod N -> partition (records
//! travel to their partitions on the stage).

use crate::components::explain::Explain;
use crate::playground::{key_hue, RoutedEvent, RECENT_ROUTINGS};
use crate::state::Engine;
use leptos::prelude::*;

/// At most this many key bytes are shown in hex.
const BYTES_SHOWN: usize = 12;

fn hex_bytes(bytes: &[u8]) -> String {
    let mut out: Vec<String> = bytes
        .iter()
        .take(BYTES_SHOWN)
        .map(|b| format!("{b:02x}"))
        .collect();
    if bytes.len() > BYTES_SHOWN {
        out.push("…".into());
    }
    out.join(" ")
}

/// The routing panel.
#[component]
pub fn RoutingView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let topic = crate::components::topics::use_topic();
    let recent =
        Memo::new(move |_| engine.read(|pg| pg.recent_routings(&topic.get(), RECENT_ROUTINGS)));
    let partitioner = Memo::new(move |_| {
        engine.read(|pg| match pg.setup(&topic.get()) {
            Some(setup) if setup.keyed => setup.partitioner.name(),
            Some(setup) => setup.unkeyed_label(),
            None => "",
        })
    });

    view! {
        <section class="panel routing" aria-labelledby="routing-title">
            <h2 id="routing-title">"Routing"</h2>
            {move || {
                let rows = recent.get();
                if rows.is_empty() {
                    return view! { <p>"Nothing published yet."</p> }.into_any();
                }
                view! {
                    <table class="routing-table">
                        <caption>{move || format!("Last events, {} partitioner", partitioner.get())}</caption>
                        <thead>
                            <tr>
                                <th scope="col">"key"</th>
                                <th scope="col">"bytes"</th>
                                <th scope="col">"hash"</th>
                                <th scope="col">"mod N"</th>
                                <th scope="col">"partition"</th>
                                <th scope="col">"offset"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|e: RoutedEvent| {
                                let key = e.key.clone().unwrap_or_else(|| "(no key)".into());
                                let hue = key_hue(&key).to_string();
                                let (bytes, hash, modulo, title) = match &e.routing {
                                    Some(r) => (
                                        hex_bytes(e.key.as_deref().map_or(&[][..], str::as_bytes)),
                                        r.hash.to_string(),
                                        format!("{} mod {} = {}", r.positive_hash, r.partitions, r.partition.0),
                                        r.explain(),
                                    ),
                                    None => (
                                        "—".into(),
                                        "—".into(),
                                        "round-robin".into(),
                                        "No key: the topic spreads records round-robin.".into(),
                                    ),
                                };
                                view! {
                                    <tr class="routing-row" title=title>
                                        <td class="routing-key"><span class="key" style:--key-hue=hue>{key}</span></td>
                                        <td class="routing-bytes">{bytes}</td>
                                        <td class="routing-hash">{hash}</td>
                                        <td class="routing-mod">{modulo}</td>
                                        <td class="routing-partition">{e.partition.0}</td>
                                        <td class="routing-offset">{e.offset.0}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            <Explain text="The key's UTF-8 bytes are hashed; the hash (made non-negative) modulo the partition count is the partition. The same key always gives the same partition, as long as the partition count does not change. Records on different partitions have no order between them." />
        </section>
    }
    .into_any()
}
