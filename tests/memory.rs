//! Memory of the page's components over a long run: a counting allocator measures the bytes
//! the app holds (live, not wasm pages) while a soak-like scenario plays past its retention,
//! with the always-visible parts mounted. A part that keeps something per record or per tick
//! grows here without bound; one that keeps only what it shows stays flat. (This is how the
//! page soak's growth of 20-25 MB per 1,000 ticks was traced to the reactive graph.)
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::prelude::*;
use leptos::task::tick;
use orderflow::components::share::ShareMessage;
use orderflow::components::stage::Stage;
use orderflow::components::stage_dock::DockPanel;
use orderflow::components::time_controls::TimeControls;
use orderflow::components::topics::SelectedTopic;
use orderflow::session::Session;
use orderflow::stage::{Dock, DockView, ReducedMotion, Selection};
use orderflow::state::{Announcer, Clock, Engine};
use orderflow_engine::scenario::Scenario;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The system allocator, counting the bytes held.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(new_size, Ordering::Relaxed);
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn held() -> usize {
    HELD.load(Ordering::Relaxed)
}

/// The page soak's scenario (e2e/page-soak.mjs) without brokers, with a short retention
/// (200 records a partition), at `rate` events a tick.
fn soak_session(rate: u32) -> Session {
    let mut commands = vec![format!(
        r#"{{"at":0,"type":"set_generator","topic":"orders","records_per_tick":{rate},"key_prefix":"user-","keys":10000}}"#
    )];
    for n in 0..10 {
        let at = 150 + 300 * n;
        let member = if n == 0 {
            "b1".to_string()
        } else {
            format!("b-new-{}", n - 1)
        };
        commands.push(format!(
            r#"{{"at":{at},"type":"kill_member","group":"billing","member":"{member}"}}"#
        ));
        commands.push(format!(
            r#"{{"at":{},"type":"join_group","group":"billing","member":"b-new-{n}"}}"#,
            at + 40
        ));
    }
    let group = |name: &str, members: &str| {
        format!(
            r#"{{"name":"{name}","topics":["orders"],"strategy":"cooperative-sticky","commit_policy":{{"type":"after_processing"}},"auto_offset_reset":"earliest","max_poll_records":500,"processing_ticks_per_record":0,"session_timeout_ticks":20,"rebalance_ticks":2,"members":[{members}]}}"#
        )
    };
    let json = format!(
        r#"{{"name":"memory","description":"","seed":11,"ticks":3000,
        "topics":[{{"name":"orders","partitions":12,"partitioner":"murmur2","segment_records":100,"retention":{{"records":200}}}}],
        "producers":[],"groups":[{},{}],"commands":[{}]}}"#,
        group("billing", r#""b1","b2","b3""#),
        group("shipping", r#""s1","s2""#),
        commands.join(",")
    );
    Session {
        scenario: Scenario::from_json(&json).expect("the soak scenario"),
        ..Session::default()
    }
}

/// Mounts `part` over the soak session and plays `warm_up` then `ticks` ticks, 10 per
/// frame as the driver does at full speed; returns the bytes the app held after the warm-up
/// and at the end.
async fn play<V: IntoView + 'static>(
    part: fn() -> V,
    dock: DockView,
    warm_up: u32,
    ticks: u32,
) -> (usize, usize) {
    fresh_browser_state();
    let engine = std::rc::Rc::new(std::cell::Cell::new(None));
    let slot = engine.clone();
    let mounted = mount_with(move || {
        let e = Engine::new(soak_session(RATE));
        slot.set(Some(e));
        provide_context(e);
        provide_context(Clock::default());
        provide_context(Announcer(RwSignal::new(String::new())));
        provide_context(SelectedTopic(RwSignal::new("orders".to_string())));
        provide_context(Dock(RwSignal::new(dock)));
        provide_context(ReducedMotion(Signal::derive(|| true)));
        provide_context(ShareMessage(RwSignal::new(None)));
        part()
    });
    let engine: Engine = engine.get().expect("mounted");
    let mut start = 0;
    for frame in 0..(warm_up + ticks) / 10 {
        if frame * 10 == warm_up {
            start = held();
        }
        engine.update(|pg| {
            for _ in 0..10 {
                pg.step();
            }
        });
        tick().await;
        // A macrotask, as between two animation frames (and so the test runner is heard).
        sleep(0).await;
    }
    let end = held();
    drop(mounted);
    (start, end)
}

/// Records published per tick.
const RATE: u32 = 100;
/// Ticks played before measuring: the log reaches its retention long before.
const WARM_UP: u32 = 300;
/// Ticks measured: 40,000 records, each drawn on the stage as it arrives.
const MEASURED: u32 = 400;
/// What a part may keep over the measured ticks: the model's own bookkeeping grows a little
/// (within 100 KB either way here); a part that kept 13 bytes per record drawn would exceed
/// it.
const MOST_BYTES: i64 = 500_000;

async fn growth<V: IntoView + 'static>(part: fn() -> V, dock: DockView) -> i64 {
    let (start, end) = play(part, dock, WARM_UP, MEASURED).await;
    end as i64 - start as i64
}

// Before the reactive_graph fix (vendor/README.md) the stage grew by 3,651,166 bytes over
// these ticks (about 91 bytes per record drawn: every record cell left its owner and its two
// memos' subscriptions behind); with it, by -78,434. The time controls and a partition's
// details grew by 79,813 bytes before and -17,788 after.
#[wasm_bindgen_test]
async fn the_stage_keeps_no_memory_per_record_it_has_drawn() {
    let grew = growth(|| view! { <Stage /> }, DockView::Closed).await;
    assert!(
        grew < MOST_BYTES,
        "the stage grew by {grew} bytes over {MEASURED} ticks"
    );
}

#[wasm_bindgen_test]
async fn the_time_controls_and_a_partitions_details_keep_no_memory_per_record() {
    let grew = growth(
        || view! { <TimeControls /> <DockPanel /> },
        DockView::Details(Selection::Partition {
            topic: "orders".to_string(),
            partition: 0,
        }),
    )
    .await;
    assert!(
        grew < MOST_BYTES,
        "they grew by {grew} bytes over {MEASURED} ticks"
    );
}
