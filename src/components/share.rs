//! Share: a link holding the whole session, export to a JSON file, import from one.
//! A bad link or file shows a message and never replaces the current scenario.

use crate::components::explain::Explain;
use crate::components::topics::SelectedTopic;
use crate::playground::Playground;
use crate::share;
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Messages about loading sessions (bad link at start-up, bad import), shared through context.
#[derive(Clone, Copy)]
pub struct ShareMessage(pub RwSignal<Option<String>>);

/// The link that opens `session` at this page's address (works under any sub-path).
fn share_link(encoded: &str) -> String {
    let location = window().location();
    let origin = location.origin().unwrap_or_default();
    let path = location.pathname().unwrap_or_default();
    format!("{origin}{path}{}{encoded}", share::FRAGMENT_PREFIX)
}

fn download(filename: &str, text: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let anchor: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    web_sys::Url::revoke_object_url(&url)
}

/// The share panel.
#[component]
pub fn SharePanel() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let message = expect_context::<ShareMessage>().0;
    let selected = use_context::<SelectedTopic>();
    let link = RwSignal::new(None::<String>);

    let make_link = move |_| {
        let encoded = engine.read_untracked(|pg| share::encode(pg.session()));
        link.set(Some(share_link(&encoded)));
        announcer.say("Share link ready.");
    };
    let export = move |_| {
        let json = engine.read_untracked(|pg| share::to_json(pg.session()));
        if let Err(e) = download("orderflow-session.json", &json) {
            message.set(Some(format!("Export failed: {e:?}")));
        }
    };
    let import = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        // Refused before reading: a huge file is never copied into the page.
        let size = file.size();
        if size > share::MAX_JSON_CHARS as f64 {
            message.set(Some(format!(
                "This file could not be imported (it has {size} bytes; at most {} are read); your current scenario is kept.",
                share::MAX_JSON_CHARS
            )));
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            let text = match text.ok().and_then(|t| t.as_string()) {
                Some(t) => t,
                None => {
                    message.set(Some(
                        "The file could not be read; your current scenario is kept.".into(),
                    ));
                    return;
                }
            };
            match share::from_json(&text) {
                Ok(session) => {
                    let topic = session.selected_topic.clone();
                    engine.update(|pg| {
                        *pg = Playground::replaying(session);
                        crate::driver::replay_within_budget(pg)
                    });
                    if let (Some(selected), Some(topic)) = (selected, topic) {
                        selected.0.set(topic);
                    }
                    message.set(None);
                    announcer.say("Session imported.");
                }
                Err(e) => message.set(Some(format!(
                    "This file could not be imported ({e}); your current scenario is kept."
                ))),
            }
        });
    };

    view! {
        <section class="panel share-panel" aria-labelledby="share-title">
            <h2 id="share-title">"Share"</h2>
            <div class="buttons">
                <button type="button" on:click=make_link>"Create share link"</button>
                <button type="button" on:click=export>"Export JSON"</button>
                <label class="file-button">
                    "Import JSON"
                    <input type="file" accept="application/json,.json" on:change=import />
                </label>
            </div>
            {move || link.get().map(|l| view! {
                <div class="share-link">
                    <label for="share-link">"Share link"</label>
                    <input id="share-link" readonly prop:value=l.clone() on:focus=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        input.select();
                    } />
                    <a href=l>"Open link"</a>
                </div>
            })}
            <p class="error" role="alert">{move || message.get()}</p>
            <Explain text="A run is its setup, its seed and the actions with their ticks: replaying them rebuilds exactly the same state. The link and the file hold just that, so they stay small even for 100,000 events. Your current run is also kept in this browser and comes back after a reload." />
        </section>
    }
    .into_any()
}
