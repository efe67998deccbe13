//! Browser test of the erased views' rebuild (`--cfg erase_components` in
//! `.cargo/config.toml`, `vendor/tachys`): an element that a re-run closure rebuilds changes
//! only the attribute whose value changed, as unerased views do, instead of every attribute
//! being removed and added again.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_rebuilt_element_changes_only_the_attribute_that_changed() {
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    let count = RwSignal::new(0);
    let handle = leptos::mount::mount_to(container.clone(), move || {
        view! {
            <div>
                {move || {
                    let n = count.get();
                    view! { <p class="cell" title="a cell" data-n=n>{n}</p> }
                }}
            </div>
        }
    });
    // A MutationObserver on the container's attributes, keeping the name of every attribute
    // changed (through JS: the browser tests' web-sys has no MutationObserver feature).
    let observe = js_sys::Function::new_with_args(
        "el",
        "const seen = []; \
         const o = new MutationObserver(rs => rs.forEach(r => seen.push(r.attributeName))); \
         o.observe(el, { attributes: true, subtree: true }); \
         return () => seen.concat(o.takeRecords().map(r => r.attributeName));",
    );
    let changed_so_far: js_sys::Function = observe
        .call1(&JsValue::NULL, &container)
        .unwrap()
        .unchecked_into();
    let cell = container.query_selector("p").unwrap().unwrap();

    count.set(1);
    for _ in 0..20 {
        tick().await;
        if cell.get_attribute("data-n").as_deref() == Some("1") {
            break;
        }
    }

    let changed: Vec<String> = changed_so_far
        .call0(&JsValue::NULL)
        .unwrap()
        .unchecked_into::<js_sys::Array>()
        .iter()
        .filter_map(|name| name.as_string())
        .collect();
    assert_eq!(changed, ["data-n"]);
    // The same element, rebuilt.
    let now = container.query_selector("p").unwrap().unwrap();
    assert!(cell.is_same_node(Some(&now)));
    assert_eq!(cell.get_attribute("data-n").as_deref(), Some("1"));
    assert_eq!(cell.get_attribute("class").as_deref(), Some("cell"));
    assert_eq!(cell.get_attribute("title").as_deref(), Some("a cell"));
    assert_eq!(cell.text_content().as_deref(), Some("1"));
    drop(handle);
    container.remove();
}
