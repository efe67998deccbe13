//! The stage drawn: an SVG of the selected topic's producers, partitions and consumer
//! groups, laid out by [`crate::stage::layout`] from a [`StageSnapshot`]. These components
//! only draw a [`Scene`]; what goes where is decided (and unit-tested) in plain Rust.
//!
//! - Nodes keep their DOM element from tick to tick (keyed by what they stand for), so
//!   keyboard focus stays put while the run plays; only boxes that reach into the visible
//!   part of the stage are drawn.
//! - Every part has an accessible name: regions "Partition N" and "Consumer group NAME",
//!   members "Consumer NAME"; the stage has a text alternative (`#stage-text`).
//! - Click or Enter on a partition, record, group or member opens its details in the dock.
//!   Arrow keys move between a lane's records and from lane to lane (and across the heat
//!   strip), so the Tab key visits each lane once.
//! - Travel is a CSS animation whose duration follows the clock's speed; under
//!   `prefers-reduced-motion` nothing travels (records simply appear where they land).

use crate::components::explain::Explain;
use crate::components::topics::{use_topic, SelectedTopic};
use crate::playground::key_hue;
use crate::stage::layout::{head_records, layout, Edge, EdgeKind, NodeId, Rect, Scene};
use crate::stage::model::{ProducerKind, StageSnapshot};
use crate::stage::text::describe;
use crate::stage::{Dock, Drawer, ReducedMotion, Selection};
use crate::state::{Clock, Engine};
use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::html::Div;
use leptos::prelude::*;

mod groups;
mod keys;
mod lanes;

use groups::Groups;
use keys::{focus, on_activate};
use lanes::Lanes;

/// Rows drawn above and below what is visible, so scrolling shows no gaps.
const OVERSCAN_PX: f64 = 240.0;
/// Above this speed a tick is shorter than a record cell's slide: the stage draws fast.
const FAST_TICKS_PER_SECOND: u32 = 4;
/// Records drawn travelling per tick when fast (else up to `model::MAX_TRAVELS`).
const FAST_TRAVELS: usize = 4;
/// Colours per group before they repeat (the names tell groups apart, not only colour).
const GROUP_COLOURS: usize = 8;

fn colour_class(colour: usize) -> String {
    format!("gc{}", colour % GROUP_COLOURS)
}

/// The stage: header (topic, routing, records), the diagram, its text alternative and
/// legend.
#[component]
pub fn Stage() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let topic = use_topic();
    let selected = use_context::<SelectedTopic>();
    let dock = use_context::<Dock>();
    let reduced = use_context::<ReducedMotion>()
        .map(|m| m.0)
        .unwrap_or_else(|| Signal::derive(|| false));
    let clock = use_context::<Clock>();
    let viewport = NodeRef::<Div>::new();
    let initial = window()
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .unwrap_or(1280.0)
        - 32.0;
    let (size_width, size_height) = crate::observe::element_size(viewport, (initial, 600.0));
    let scroll_top = RwSignal::new(0.0f64);
    let snapshot = Memo::new(move |_| {
        let t = topic.get();
        engine.read(|pg| {
            let n = pg.partition_count(&t) as usize;
            StageSnapshot::read(pg, &t, head_records(n))
        })
    });
    let width = Memo::new(move |_| (size_width.get() - 2.0).max(280.0).round());
    let scene = Memo::new(move |_| snapshot.with(|s| layout(s, width.get())));
    // The rows of the stage that are on screen (with some overscan).
    let rows = Memo::new(move |_| {
        let top = scroll_top.get();
        (
            top - OVERSCAN_PX,
            top + size_height.get().max(400.0) + OVERSCAN_PX,
        )
    });
    let topics = Memo::new(move |_| engine.read(|pg| pg.topic_names()));
    let lines = Memo::new(move |_| snapshot.with(describe));
    // Set again only when the size changes (a new viewBox lays the whole drawing out again).
    let svg_size = Memo::new(move |_| scene.with(|s| (s.width, s.height.round())));
    // Faster than a record cell's slide (250 ms a tick): the cells jump instead of sliding,
    // and fewer records travel, since a traveller is gone at the next tick anyway. A burst
    // is fast too: thousands of records arrive between two redraws, so every cell keyed by
    // its record would be built anew each time (most of a 30-60 ms redraw, measured with
    // e2e/burst-profile.mjs), where a cell standing for a place is only rewritten.
    let bursting = Memo::new(move |_| engine.read(|pg| pg.burst().is_some()));
    let fast = Memo::new(move |_| {
        bursting.get() || clock.map_or(0, |c| c.ticks_per_second.get()) > FAST_TICKS_PER_SECOND
    });
    let summary = move || {
        snapshot.with(|s| {
            let sizes: Vec<u64> = s.partitions.iter().map(|p| p.records()).collect();
            match crate::metrics::skew(&sizes) {
                Some(k) => format!(
                    "{}; partition skew {:.2} (largest partition ÷ mean; 1.00 is even)",
                    crate::stage::text::records(s.records()),
                    k.ratio
                ),
                None => "No records yet.".to_string(),
            }
        })
    };
    let open = move |selection: Selection| {
        if let Some(dock) = dock {
            dock.select(selection);
        }
    };
    let travel_ms = move || {
        let tps = clock.map_or(4, |c| c.ticks_per_second.get()).max(1);
        (1_000 / tps).clamp(150, 900)
    };

    view! {
        <section class="stage" aria-labelledby="stage-title">
            <div class="stage-header">
                <h2 id="stage-title">
                    <button
                        type="button"
                        class="stage-topic"
                        title="Routing and skew of this topic"
                        on:click=move |_| open(Selection::Topic)
                    >
                        {move || format!("Topic {}", topic.get())}
                    </button>
                    <span class="stage-routing">
                        {move || snapshot.with(|s| format!("{} partitions · {}", s.partitions.len(), s.routing))}
                    </span>
                </h2>
                <Show when=move || { topics.with(|t| t.len() > 1) && selected.is_some() }>
                    <div class="topic-tabs" role="group" aria-label="Show topic">
                        <For each=move || topics.get() key=|t| t.clone() let:t>
                            {
                                let name = t.clone();
                                let pressed = t.clone();
                                view! {
                                    <button
                                        type="button"
                                        aria-pressed=move || (topic.get() == pressed).to_string()
                                        on:click=move |_| {
                                            if let Some(s) = selected {
                                                s.0.set(name.clone());
                                            }
                                        }
                                    >
                                        {t}
                                    </button>
                                }
                            }
                        </For>
                    </div>
                </Show>
                <p class="summary">{summary}</p>
            </div>
            <div
                class="stage-viewport"
                node_ref=viewport
                on:scroll=move |_| {
                    if let Some(el) = viewport.get_untracked() {
                        scroll_top.set(f64::from(el.scroll_top()));
                    }
                }
            >
                <svg
                    class="stage-svg"
                    class:fast=fast
                    role="group"
                    aria-labelledby="stage-title"
                    aria-describedby="stage-text"
                    width=move || svg_size.get().0.to_string()
                    height=move || svg_size.get().1.to_string()
                    viewBox=move || { let (w, h) = svg_size.get(); format!("0 0 {w} {h}") }
                >
                    <Edges scene=scene rows=rows />
                    <Producers snapshot=snapshot scene=scene />
                    <Lanes snapshot=snapshot scene=scene rows=rows fast=fast />
                    <Groups snapshot=snapshot scene=scene rows=rows />
                    <RoutingCallout scene=scene />
                    <Travellers scene=scene reduced=reduced duration_ms=Signal::derive(travel_ms) fast=fast />
                </svg>
            </div>
            <div id="stage-text" class="sr-only">
                // One paragraph per line, kept from tick to tick: a tick rewrites the
                // numbers in them, it does not build the paragraphs again.
                <For each=move || 0..lines.with(Vec::len) key=|i| *i let:i>
                    <p>{move || lines.with(|l| l.get(i).cloned().unwrap_or_default())}</p>
                </For>
            </div>
            <p class="legend">
                {move || snapshot.with(|s| if s.other_groups > 0 {
                    format!("{} other group(s) read other topics. ", s.other_groups)
                } else {
                    String::new()
                })}
                "Lanes hold each partition's newest records (head on the right), coloured and labelled by key; ▲ marks each group's committed offset, HW the high watermark. Lines show which member owns which partition, one colour per group; dashed: being given up; faint: released, waiting for its new owner. On a replicated topic each lane names its leader broker and ISR; outlined dashed cells right of HW are written by the leader but not yet committed. On a saga topic, cells with a thick red outline are compensations (release, refund, cancel)."
            </p>
            <Explain text="Each partition is an append-only log: records get consecutive offsets in the order they arrive. Order holds only within a partition, never across partitions. Inside a consumer group each partition has exactly one owner, so at most as many consumers work in parallel as there are partitions; extra consumers sit idle. When a consumer dies the group notices after its session timeout, then rebalances: eager protocols pause everyone and hand out all partitions again, cooperative ones move only what must move. Click a partition, record, group or consumer for its details." />
        </section>
    }
    .into_any()
}

/// One edge per owned partition (or per member on a heat strip).
#[component]
fn Edges(scene: Memo<Scene>, rows: Memo<(f64, f64)>) -> impl IntoView {
    let visible = move || {
        let (top, bottom) = rows.get();
        scene.with(|s| {
            s.edges
                .iter()
                .filter(|e| e.span.1 >= top && e.span.0 <= bottom)
                .cloned()
                .collect::<Vec<Edge>>()
        })
    };
    view! {
        <g class="edges" aria-hidden="true">
            // Keyed by everything drawn: an edge that moves or changes kind is a new element,
            // so its entry animation plays (a partition landing on its new owner).
            <For each=visible key=|e| (e.id.clone(), e.kind.clone(), e.path.clone(), e.fresh) let:e>
                {
                    let kind = match e.kind {
                        EdgeKind::Owns => "owns",
                        EdgeKind::Revoking => "revoking",
                        EdgeKind::Released { lost: true } => "released lost",
                        EdgeKind::Released { lost: false } => "released",
                        EdgeKind::Owned { .. } => "owns bundle",
                    };
                    let width = match e.kind {
                        EdgeKind::Owned { partitions } => (1.5 + (partitions as f64).sqrt()).min(8.0),
                        _ => 2.0,
                    };
                    view! {
                        <path
                            class=format!("edge {kind} {}", colour_class(e.colour))
                            class:fresh=e.fresh
                            d=e.path.clone()
                            stroke-width=width
                            data-group=e.id.0.clone()
                            data-partition=e.id.1
                            data-member=e.id.2.clone()
                        />
                    }
                }
            </For>
        </g>
    }
    .into_any()
}

/// The producer nodes on the left (or the top, stacked).
#[component]
fn Producers(snapshot: Memo<StageSnapshot>, scene: Memo<Scene>) -> impl IntoView {
    let dock = use_context::<Dock>();
    let kinds = move || {
        snapshot.with(|s| {
            s.producers
                .iter()
                .map(|p| p.kind.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <g class="producers">
            <For each=kinds key=|k| k.clone() let:kind>
                {
                    let k = kind.clone();
                    let data = Memo::new(move |_| {
                        snapshot.with(|s| s.producers.iter().find(|p| p.kind == k).map(|p| (p.name(), p.detail.clone())))
                    });
                    let k = kind.clone();
                    let rect = Memo::new(move |_| scene.with(|s| s.rect(&NodeId::Producer(k.clone())).unwrap_or_default()));
                    let act = {
                        let kind = kind.clone();
                        move || match &kind {
                            ProducerKind::Hand => {
                                if let Ok(Some(input)) = document().query_selector("#user-id") {
                                    focus(&input);
                                }
                            }
                            ProducerKind::Generator => {
                                if let Some(d) = dock { d.toggle(Drawer::Generator) }
                            }
                            ProducerKind::Named(_) => {
                                if let Some(d) = dock { d.toggle(Drawer::Producers) }
                            }
                            ProducerKind::Group(group) => {
                                if let Some(d) = dock { d.select(Selection::Group(group.clone())) }
                            }
                        }
                    };
                    let act2 = act.clone();
                    view! {
                        <g
                            class="producer-node"
                            role="button"
                            tabindex="0"
                            on:click=move |_: MouseEvent| act()
                            on:keydown=move |ev: KeyboardEvent| on_activate(&ev, act2.clone())
                        >
                            <rect class="node-box" rx="6" x=move || rect.get().x y=move || rect.get().y width=move || rect.get().w height=move || rect.get().h />
                            <text class="node-title" x=move || rect.get().x + 10.0 y=move || rect.get().y + 18.0>
                                {move || data.with(|d| d.as_ref().map(|d| d.0.clone()).unwrap_or_default())}
                            </text>
                            <text class="node-detail" x=move || rect.get().x + 10.0 y=move || rect.get().y + 34.0>
                                {move || data.with(|d| d.as_ref().map(|d| d.1.clone()).unwrap_or_default())}
                            </text>
                        </g>
                    }
                }
            </For>
        </g>
    }
    .into_any()
}

/// The routing arithmetic of the last record published by hand, with a leader line to it.
#[component]
fn RoutingCallout(scene: Memo<Scene>) -> impl IntoView {
    let callout = Memo::new(move |_| scene.with(|s| s.callout.clone()));
    view! {
        {move || callout.get().map(|c| {
            let Rect { x, y, w, h } = c.rect;
            let from_x = (c.anchor.x).clamp(x + 8.0, x + w - 8.0);
            view! {
                <g class="routing-callout">
                    <line class="leader" x1=from_x y1=y + h x2=c.anchor.x y2=c.anchor.y />
                    <rect rx="5" x=x y=y width=w height=h />
                    {c.lines.iter().enumerate().map(|(i, line)| view! {
                        <text x=x + 8.0 y=y + 16.0 + i as f64 * 14.0>{line.clone()}</text>
                    }).collect_view()}
                </g>
            }
        })}
    }
    .into_any()
}

/// Records moving: producer → partition as produced, partition → member as consumed.
#[component]
fn Travellers(
    scene: Memo<Scene>,
    reduced: Signal<bool>,
    duration_ms: Signal<u32>,
    fast: Memo<bool>,
) -> impl IntoView {
    let travels = move || {
        if reduced.get() {
            return Vec::new();
        }
        let most = if fast.get() { FAST_TRAVELS } else { usize::MAX };
        scene.with(|s| s.travels.iter().take(most).cloned().collect::<Vec<_>>())
    };
    view! {
        <g class="travellers" aria-hidden="true">
            <For each=travels key=|t| t.id let:t>
                <circle
                    class="traveller"
                    class:consumed=t.consumed
                    r="5"
                    cx="0"
                    cy="0"
                    style:--key-hue=t.hue.to_string()
                    style:--x0=format!("{:.1}px", t.from.x)
                    style:--y0=format!("{:.1}px", t.from.y)
                    style:--x1=format!("{:.1}px", t.to.x)
                    style:--y1=format!("{:.1}px", t.to.y)
                    style:animation-duration=format!("{}ms", duration_ms.get_untracked())
                />
            </For>
        </g>
    }
    .into_any()
}

/// The colour of a key (for the details' record card).
pub fn key_colour_style(key: &str) -> String {
    key_hue(key).to_string()
}
