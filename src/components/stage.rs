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
use crate::stage::layout::{
    self as layout, head_records, layout, Edge, EdgeKind, LaneMode, NodeId, RecordBox, Rect, Scene,
};
use crate::stage::model::{GroupNode, MemberState, ProducerKind, StageSnapshot};
use crate::stage::text::{describe, member_text, partition_text, ranges};
use crate::stage::{Dock, Drawer, ReducedMotion, Selection};
use crate::state::{Clock, Engine};
use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::html::Div;
use leptos::prelude::*;
use leptos_use::{use_element_size_with_options, UseElementSizeOptions};
use wasm_bindgen::JsCast;

/// Rows drawn above and below what is visible, so scrolling shows no gaps.
const OVERSCAN_PX: f64 = 240.0;
/// Colours per group before they repeat (the names tell groups apart, not only colour).
const GROUP_COLOURS: usize = 8;

fn colour_class(colour: usize) -> String {
    format!("gc{}", colour % GROUP_COLOURS)
}

/// Runs `action` on Enter or Space (what a button does), and stops the page scrolling.
fn on_activate(ev: &KeyboardEvent, action: impl FnOnce()) {
    if ev.key() == "Enter" || ev.key() == " " {
        ev.prevent_default();
        action();
    }
}

/// Focuses the `[data-nav]` element `step` places after the focused one among those of
/// `scope` (a lane: its head, then its records).
fn focus_step(scope: &web_sys::Element, step: i32) {
    let Ok(list) = scope.query_selector_all("[data-nav]") else {
        return;
    };
    let active = document().active_element();
    let items: Vec<web_sys::Element> = (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.dyn_into().ok()))
        .collect();
    let Some(at) = items
        .iter()
        .position(|e| active.as_ref().is_some_and(|a| a == e))
    else {
        return;
    };
    let next = at as i32 + step;
    if let Some(el) = usize::try_from(next).ok().and_then(|n| items.get(n)) {
        focus(el);
    }
}

fn focus(el: &web_sys::Element) {
    if let Some(svg) = el.dyn_ref::<web_sys::SvgElement>() {
        let _ = svg.focus();
    } else if let Some(html) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = html.focus();
    }
}

/// Focuses the head of partition `partition`'s lane (or its heat cell).
fn focus_partition(from: &web_sys::Element, partition: i64) {
    let Some(svg) = from.closest("svg").ok().flatten() else {
        return;
    };
    if partition < 0 {
        return;
    }
    let selector = format!("[data-head='{partition}']");
    if let Ok(Some(el)) = svg.query_selector(&selector) {
        focus(&el);
    }
}

fn current_element(ev: &KeyboardEvent) -> Option<web_sys::Element> {
    ev.current_target().and_then(|t| t.dyn_into().ok())
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
    let size = use_element_size_with_options(
        viewport,
        UseElementSizeOptions::default().initial_size(leptos_use::core::Size {
            width: initial,
            height: 600.0,
        }),
    );
    let scroll_top = RwSignal::new(0.0f64);
    let snapshot = Memo::new(move |_| {
        let t = topic.get();
        engine.read(|pg| {
            let n = pg.partition_count(&t) as usize;
            StageSnapshot::read(pg, &t, head_records(n))
        })
    });
    let width = Memo::new(move |_| (size.width.get() - 2.0).max(280.0).round());
    let scene = Memo::new(move |_| snapshot.with(|s| layout(s, width.get())));
    // The rows of the stage that are on screen (with some overscan).
    let rows = Memo::new(move |_| {
        let top = scroll_top.get();
        (
            top - OVERSCAN_PX,
            top + size.height.get().max(400.0) + OVERSCAN_PX,
        )
    });
    let topics = Memo::new(move |_| engine.read(|pg| pg.topic_names()));
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
                    role="group"
                    aria-labelledby="stage-title"
                    aria-describedby="stage-text"
                    width=move || scene.with(|s| s.width.to_string())
                    height=move || scene.with(|s| s.height.round().to_string())
                    viewBox=move || scene.with(|s| format!("0 0 {} {}", s.width, s.height.round()))
                >
                    <Edges scene=scene rows=rows />
                    <Producers snapshot=snapshot scene=scene />
                    <Lanes snapshot=snapshot scene=scene rows=rows />
                    <Groups snapshot=snapshot scene=scene rows=rows />
                    <RoutingCallout scene=scene />
                    <Travellers scene=scene reduced=reduced duration_ms=Signal::derive(travel_ms) />
                </svg>
            </div>
            <div id="stage-text" class="sr-only">
                {move || snapshot.with(describe).into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
            </div>
            <p class="legend">
                {move || snapshot.with(|s| if s.other_groups > 0 {
                    format!("{} other group(s) read other topics. ", s.other_groups)
                } else {
                    String::new()
                })}
                "Lanes hold each partition's newest records (head on the right), coloured and labelled by key; ▲ marks each group's committed offset, HW the high watermark. Lines show which member owns which partition, one colour per group; dashed: being given up; faint: released, waiting for its new owner."
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

/// The partitions: lanes, or a heat strip past a few dozen.
#[component]
fn Lanes(
    snapshot: Memo<StageSnapshot>,
    scene: Memo<Scene>,
    rows: Memo<(f64, f64)>,
) -> impl IntoView {
    let mode = Memo::new(move |_| scene.with(|s| s.lane_mode));
    view! {
        {move || match mode.get() {
            LaneMode::Heat => view! { <HeatStrip snapshot=snapshot scene=scene /> }.into_any(),
            _ => view! { <LaneList snapshot=snapshot scene=scene rows=rows /> }.into_any(),
        }}
    }
    .into_any()
}

#[component]
fn LaneList(
    snapshot: Memo<StageSnapshot>,
    scene: Memo<Scene>,
    rows: Memo<(f64, f64)>,
) -> impl IntoView {
    let visible = move || {
        let (top, bottom) = rows.get();
        let topic = snapshot.with(|s| s.topic.clone());
        scene.with(|s| {
            s.lanes
                .iter()
                .filter(|l| l.rect.overlaps_rows(top, bottom))
                .map(|l| (topic.clone(), l.partition))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <g class="lanes">
            // Keyed by topic too: another topic's partition N is another log.
            <For each=visible key=|k| k.clone() let:k>
                <Lane snapshot=snapshot scene=scene partition=k.1 />
            </For>
        </g>
    }
    .into_any()
}

/// One partition as a lane: a region "Partition N" with its newest records, the high
/// watermark, the log start and each group's committed offset.
#[component]
fn Lane(snapshot: Memo<StageSnapshot>, scene: Memo<Scene>, partition: u32) -> impl IntoView {
    let dock = use_context::<Dock>();
    let lane = Memo::new(move |_| scene.with(|s| s.lane(partition).cloned()));
    let compact = Memo::new(move |_| scene.with(|s| s.lane_mode == LaneMode::Compact));
    let state =
        Memo::new(move |_| snapshot.with(|s| s.partitions.get(partition as usize).cloned()));
    let records = Memo::new(move |_| {
        scene.with(|s| {
            s.records
                .iter()
                .filter(|r| r.partition == partition)
                .cloned()
                .collect::<Vec<RecordBox>>()
        })
    });
    let epoch = Memo::new(move |_| snapshot.with(|s| s.epoch));
    let topic = Memo::new(move |_| snapshot.with(|s| s.topic.clone()));
    let stats = move || {
        state.with(|p| {
            p.as_ref()
                .map(|p| {
                    format!(
                        "{} · log start {} · high watermark {}",
                        crate::stage::text::records(p.records()),
                        p.log_start_offset,
                        p.high_watermark
                    )
                })
                .unwrap_or_default()
        })
    };
    // The same words on a narrow lane (a phone), in a smaller type.
    let narrow = move || lane.with(|l| l.as_ref().is_some_and(|l| l.rect.w < 440.0));
    let head_label = move || {
        snapshot.with(|s| {
            s.partitions
                .get(partition as usize)
                .map(|p| {
                    format!(
                        "P{partition}, details of {}-{partition}. {}",
                        s.topic,
                        partition_text(p, &s.groups)
                    )
                })
                .unwrap_or_default()
        })
    };
    let select = move || {
        if let Some(d) = dock {
            d.select(Selection::Partition {
                topic: topic.get_untracked(),
                partition,
            });
        }
    };
    let r = move || lane.get().map(|l| l.rect).unwrap_or_default();
    let b = move || lane.get().map(|l| l.body).unwrap_or_default();
    let on_keydown = move |ev: KeyboardEvent| {
        let Some(el) = current_element(&ev) else {
            return;
        };
        match ev.key().as_str() {
            "ArrowRight" => {
                ev.prevent_default();
                focus_step(&el, 1);
            }
            "ArrowLeft" => {
                ev.prevent_default();
                focus_step(&el, -1);
            }
            "ArrowDown" => {
                ev.prevent_default();
                focus_partition(&el, i64::from(partition) + 1);
            }
            "ArrowUp" => {
                ev.prevent_default();
                focus_partition(&el, i64::from(partition) - 1);
            }
            _ => {}
        }
    };
    let label = format!("Partition {partition}");
    view! {
        <g
            class="lane"
            class:compact=compact
            role="region"
            aria-label=label
            data-partition=partition
            data-records=move || state.with(|p| p.as_ref().map_or(0, |p| p.records()))
            on:keydown=on_keydown
        >
            <rect class="lane-body" rx="4" x=move || b().x y=move || b().y width=move || b().w height=move || b().h on:click=move |_| select() />
            <g
                class="lane-head"
                role="button"
                tabindex="0"
                data-nav=""
                data-head=partition
                // Full lanes are named by their visible text; a compact lane's "P12" is spelled out.
                aria-label=move || compact.get().then(head_label)
                on:click=move |_| select()
                on:keydown=move |ev: KeyboardEvent| on_activate(&ev, select)
            >
                <rect class="focus-ring" x=move || r().x - 2.0 y=move || r().y - 2.0 width=move || if compact.get() { 40.0 } else { r().w.min(420.0) } height=move || if compact.get() { r().h + 4.0 } else { 20.0 } rx="4" />
                <Show
                    when=move || !compact.get()
                    fallback=move || view! {
                        <text class="lane-title" x=move || r().x + 4.0 y=move || r().y + 13.0>{format!("P{partition}")}</text>
                    }
                >
                    <text class="lane-title" x=move || r().x + 2.0 y=move || r().y + 13.0>
                        {format!("Partition {partition}")}
                        <tspan class="partition-stats" class:narrow=narrow dx="8">{stats}</tspan>
                    </text>
                </Show>
            </g>
            <For each=move || records.get() key=move |c| (epoch.get_untracked(), c.offset) let:cell>
                <RecordCell records=records offset=cell.offset compact=compact topic=topic partition=partition />
            </For>
            <line class="high-watermark" x1=move || lane.get().map_or(0.0, |l| l.high_watermark_x) x2=move || lane.get().map_or(0.0, |l| l.high_watermark_x) y1=move || b().y - 2.0 y2=move || b().bottom() + 2.0 />
            <Show when=move || !compact.get()>
                <text class="marker-label" x=move || lane.get().map_or(0.0, |l| l.high_watermark_x + 4.0) y=move || b().y + 20.0>
                    {move || state.with(|p| p.as_ref().map(|p| format!("HW {}", p.high_watermark)).unwrap_or_default())}
                </text>
                {move || lane.get().and_then(|l| l.log_start_x).map(|x| view! {
                    <line class="log-start" x1=x x2=x y1=b().y - 2.0 y2=b().bottom() + 2.0 />
                })}
                {move || lane.get().filter(|l| l.older > 0).map(|l| view! {
                    <text class="marker-label older" x=l.body.x + 4.0 y=l.body.y + 20.0>{format!("+{} older", crate::stage::text::short_count(l.older))}</text>
                })}
            </Show>
            <CommitMarkers scene=scene partition=partition compact=compact />
        </g>
    }
    .into_any()
}

/// One record cell: coloured and labelled by its key.
#[component]
fn RecordCell(
    records: Memo<Vec<RecordBox>>,
    offset: u64,
    compact: Memo<bool>,
    topic: Memo<String>,
    partition: u32,
) -> impl IntoView {
    let dock = use_context::<Dock>();
    let cell = Memo::new(move |_| records.with(|r| r.iter().find(|c| c.offset == offset).cloned()));
    let rect = move || cell.with(|c| c.as_ref().map(|c| c.rect).unwrap_or_default());
    let select = move || {
        if let Some(d) = dock {
            d.select(Selection::Record {
                topic: topic.get_untracked(),
                partition,
                offset,
            });
        }
    };
    let label = move || {
        cell.with(|c| {
            c.as_ref()
                .map(|c| {
                    let mut l = format!(
                        "Record at offset {offset}: key {}, {}",
                        if c.key.is_empty() { "none" } else { &c.key },
                        c.value
                    );
                    if let Some(o) = c.duplicate_of {
                        l.push_str(&format!(", duplicate of offset {o}"));
                    }
                    if c.redelivered {
                        l.push_str(", redelivered");
                    }
                    l
                })
                .unwrap_or_default()
        })
    };
    let hue = move || cell.with(|c| c.as_ref().map_or(0, |c| c.hue).to_string());
    view! {
        <g
            class="lane-record"
            class:producer-duplicate=move || cell.with(|c| c.as_ref().is_some_and(|c| c.duplicate_of.is_some()))
            class:redelivered=move || cell.with(|c| c.as_ref().is_some_and(|c| c.redelivered))
            role="button"
            tabindex="-1"
            data-nav=""
            data-offset=offset
            aria-label=label
            style:--key-hue=hue
            style:transform=move || format!("translate({:.1}px, {:.1}px)", rect().x, rect().y)
            on:click=move |_| select()
            on:keydown=move |ev: KeyboardEvent| on_activate(&ev, select)
        >
            <rect class="cell" rx="3" width=move || rect().w height=move || rect().h />
            <Show when=move || !compact.get()>
                // No key: a dot, hidden from the accessible name (which says "key none").
                <text class="key" x=move || rect().w / 2.0 y=move || rect().h / 2.0 + 4.0 text-anchor="middle"
                    aria-hidden=move || cell.with(|c| c.as_ref().is_some_and(|c| c.key.is_empty())).then_some("true")
                    textLength=move || cell.with(|c| c.as_ref().and_then(|c| {
                        // Squeeze a long key into the cell rather than cut it.
                        (c.key.chars().count() as f64 * 6.2 > c.rect.w - 6.0).then(|| (c.rect.w - 6.0).to_string())
                    }))
                    lengthAdjust="spacingAndGlyphs"
                >
                    {move || cell.with(|c| c.as_ref().map(|c| if c.key.is_empty() { "·".to_string() } else { c.key.clone() }).unwrap_or_default())}
                </text>
                {move || cell.with(|c| c.as_ref().and_then(|c| c.duplicate_of).map(|_| view! {
                    <text class="badge" x="2" y="9" aria-hidden="true">"2×"</text>
                }))}
                {move || cell.with(|c| c.as_ref().filter(|c| c.redelivered).map(|c| view! {
                    <text class="badge" x=c.rect.w - 10.0 y="9" aria-hidden="true">"↻"</text>
                }))}
            </Show>
        </g>
    }
    .into_any()
}

/// Each group's committed offset on a lane, a triangle in the group's colour.
#[component]
fn CommitMarkers(scene: Memo<Scene>, partition: u32, compact: Memo<bool>) -> impl IntoView {
    let markers = Memo::new(move |_| {
        scene.with(|s| {
            s.commits
                .iter()
                .filter(|c| c.partition == partition)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    view! {
        <g class="commits" aria-hidden="true">
            {move || markers.get().into_iter().map(|m| {
                let (x, y) = (m.at.x, m.at.y);
                let points = if compact.get_untracked() {
                    format!("{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}", x, y - 5.0, x - 3.0, y, x + 3.0, y)
                } else {
                    format!("{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}", x, y + 1.0, x - 5.0, y + 8.0, x + 5.0, y + 8.0)
                };
                let initial: String = m.group.chars().take(1).collect();
                view! {
                    <g class=format!("commit {}", colour_class(m.colour)) class:behind=m.behind data-group=m.group.clone() data-offset=m.offset>
                        <polygon points=points />
                        {(!compact.get_untracked()).then(|| view! {
                            <text class="commit-label" x=x + 6.0 y=y + 9.0>{initial}</text>
                        })}
                    </g>
                }
            }).collect_view()}
        </g>
    }
    .into_any()
}

/// Past a few dozen partitions: one square per partition, shaded by its records, one tab
/// stop for the whole strip (arrow keys move between squares).
#[component]
fn HeatStrip(snapshot: Memo<StageSnapshot>, scene: Memo<Scene>) -> impl IntoView {
    let dock = use_context::<Dock>();
    let current = RwSignal::new(0u32);
    let count = Memo::new(move |_| scene.with(|s| s.lanes.len() as u32));
    let columns = Memo::new(move |_| scene.with(|s| s.heat_columns.max(1) as i64));
    let topic = Memo::new(move |_| snapshot.with(|s| s.topic.clone()));
    let on_keydown = move |ev: KeyboardEvent| {
        let step = match ev.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            "ArrowDown" => columns.get_untracked(),
            "ArrowUp" => -columns.get_untracked(),
            "Home" => -i64::from(current.get_untracked()),
            "End" => i64::from(count.get_untracked()) - 1 - i64::from(current.get_untracked()),
            _ => return,
        };
        ev.prevent_default();
        let next = (i64::from(current.get_untracked()) + step)
            .clamp(0, i64::from(count.get_untracked()) - 1);
        current.set(next as u32);
        if let Some(el) = current_element(&ev) {
            focus_partition(&el, next);
        }
    };
    view! {
        <g class="heat-strip" role="group" aria-label=move || format!("{} partitions of {}, shaded by records", count.get(), topic.get()) on:keydown=on_keydown>
            <For each=move || 0..count.get() key=|p| *p let:partition>
                {
                    let lane = Memo::new(move |_| scene.with(|s| s.lane(partition).map(|l| (l.rect, l.heat))));
                    let rect = move || lane.get().map(|l| l.0).unwrap_or_default();
                    let label = move || snapshot.with(|s| s.partitions.get(partition as usize).map(|p| format!("{}. Details of {}-{partition}.", partition_text(p, &s.groups), s.topic)).unwrap_or_default());
                    let select = move || {
                        current.set(partition);
                        if let Some(d) = dock {
                            d.select(Selection::Partition { topic: topic.get_untracked(), partition });
                        }
                    };
                    view! {
                        <rect
                            class="heat-cell"
                            role="button"
                            tabindex=move || if current.get() == partition { "0" } else { "-1" }
                            data-head=partition
                            aria-label=label
                            x=move || rect().x y=move || rect().y width=move || rect().w height=move || rect().h
                            rx="2"
                            style:--heat=move || format!("{:.2}", lane.get().map_or(0.0, |l| l.1))
                            on:click=move |_| select()
                            on:keydown=move |ev: KeyboardEvent| on_activate(&ev, select)
                        />
                    }
                }
            </For>
        </g>
    }
    .into_any()
}

/// The consumer groups on the right (or below, stacked).
#[component]
fn Groups(
    snapshot: Memo<StageSnapshot>,
    scene: Memo<Scene>,
    rows: Memo<(f64, f64)>,
) -> impl IntoView {
    let visible = move || {
        let (top, bottom) = rows.get();
        scene.with(|s| {
            s.nodes
                .iter()
                .filter_map(|n| match &n.id {
                    NodeId::Group(name) if n.rect.overlaps_rows(top, bottom) => Some(name.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <g class="groups">
            <For each=visible key=|n| n.clone() let:name>
                <GroupBox snapshot=snapshot scene=scene name=name rows=rows />
            </For>
        </g>
    }
    .into_any()
}

/// One group: a region "Consumer group NAME" with its state, generation and members.
#[component]
fn GroupBox(
    snapshot: Memo<StageSnapshot>,
    scene: Memo<Scene>,
    name: String,
    rows: Memo<(f64, f64)>,
) -> impl IntoView {
    let dock = use_context::<Dock>();
    let key = StoredValue::new(name.clone());
    let group = Memo::new(move |_| {
        snapshot.with(|s| key.with_value(|k| s.groups.iter().find(|g| &g.name == k).cloned()))
    });
    let rect = Memo::new(move |_| {
        scene.with(|s| key.with_value(|k| s.rect(&NodeId::Group(k.clone())).unwrap_or_default()))
    });
    let members = move || {
        let (top, bottom) = rows.get();
        let g = key.get_value();
        scene.with(|s| {
            s.nodes
                .iter()
                .filter_map(|n| match &n.id {
                    NodeId::Member { group, member }
                        if *group == g && n.rect.overlaps_rows(top, bottom) =>
                    {
                        Some(member.clone())
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
    };
    let select = move || {
        if let Some(d) = dock {
            d.select(Selection::Group(key.get_value()));
        }
    };
    let colour = move || group.with(|g| g.as_ref().map_or(0, |g| g.colour));
    // One line when it fits the box, else the state on a second line (never past the edge).
    let title = move || {
        group.with(|g| {
            g.as_ref().map(|g| {
                let (name, status) = layout::group_title(g);
                (name, status, layout::group_title_wraps(g, rect.get().w))
            })
        })
    };
    let header_h = move || {
        group.with(|g| {
            g.as_ref()
                .map_or(24.0, |g| layout::group_header_height(g, rect.get().w))
        })
    };
    let label = format!("Consumer group {name}");
    view! {
        <g
            class=move || format!("group-node {}", colour_class(colour()))
            class:rebalancing=move || group.with(|g| g.as_ref().is_some_and(|g| g.phase == crate::stage::model::GroupPhase::Rebalancing))
            role="region"
            aria-label=label
        >
            <rect class="group-box" rx="8" x=move || rect.get().x y=move || rect.get().y width=move || rect.get().w height=move || rect.get().h on:click=move |_| select() />
            <g
                class="group-head"
                role="button"
                tabindex="0"
                on:click=move |_| select()
                on:keydown=move |ev: KeyboardEvent| on_activate(&ev, select)
            >
                <rect class="focus-ring" rx="6" x=move || rect.get().x + 2.0 y=move || rect.get().y + 2.0 width=move || rect.get().w - 4.0 height=move || header_h() - 4.0 />
                <text class="group-title" x=move || rect.get().x + 10.0 y=move || rect.get().y + 16.0>
                    {move || title().map(|(name, status, wraps)| if wraps {
                        // The separator stays in the text (invisible at the line's end), so
                        // the title reads the same at every width, to people and to tests.
                        view! {
                            <tspan>{name}</tspan>
                            <tspan class="title-separator">" · "</tspan>
                            <tspan class="group-status" x=rect.get().x + 10.0 dy="15">{status}</tspan>
                        }.into_any()
                    } else {
                        format!("{name} · {status}").into_any()
                    })}
                </text>
            </g>
            <For each=members key=|m| m.clone() let:member>
                <MemberChip group=group scene=scene group_name=key.get_value() member=member />
            </For>
            <Show when=move || group.with(|g| g.as_ref().is_some_and(|g| g.members.is_empty()))>
                <text class="node-detail" x=move || rect.get().x + 10.0 y=move || rect.get().y + 44.0>"no members"</text>
            </Show>
        </g>
    }
    .into_any()
}

/// One member: named "Consumer NAME", with its state and what it reads.
#[component]
fn MemberChip(
    group: Memo<Option<GroupNode>>,
    scene: Memo<Scene>,
    group_name: String,
    member: String,
) -> impl IntoView {
    let dock = use_context::<Dock>();
    let id = StoredValue::new((group_name, member.clone()));
    let data = Memo::new(move |_| {
        group.with(|g| {
            id.with_value(|(_, m)| {
                g.as_ref()
                    .and_then(|g| g.members.iter().find(|x| &x.id == m).cloned())
            })
        })
    });
    let rect = Memo::new(move |_| {
        scene.with(|s| {
            id.with_value(|(g, m)| {
                s.rect(&NodeId::Member {
                    group: g.clone(),
                    member: m.clone(),
                })
                .unwrap_or_default()
            })
        })
    });
    let select = move || {
        if let Some(d) = dock {
            let (group, member) = id.get_value();
            d.select(Selection::Member { group, member });
        }
    };
    let state = move || data.with(|m| m.as_ref().map_or("consuming", |m| m.state.class()));
    let text = move || {
        data.with(|m| {
            m.as_ref()
                .map(|m| {
                    let narrow = rect.get().w < 110.0;
                    match &m.state {
                        MemberState::Dead { notices_in } if narrow => {
                            format!("{} dead {notices_in}", m.id)
                        }
                        MemberState::Dead { notices_in } => {
                            format!(
                                "{} · dead · {notices_in} tick{}",
                                m.id,
                                if *notices_in == 1 { "" } else { "s" }
                            )
                        }
                        MemberState::Idle => format!("{} · idle", m.id),
                        MemberState::Rebalancing if narrow => format!("{} ⟳", m.id),
                        MemberState::Rebalancing => format!("{} · rebalancing", m.id),
                        MemberState::Leaving => format!("{} · leaving", m.id),
                        MemberState::Consuming if narrow => {
                            format!("{} {}", m.id, ranges(&m.owned))
                        }
                        MemberState::Consuming => {
                            format!("{} · {} · lag {}", m.id, ranges(&m.owned), m.lag)
                        }
                    }
                })
                .unwrap_or_default()
        })
    };
    let label = format!("Consumer {member}");
    view! {
        <g
            class=move || format!("member-node {}", state())
            role="button"
            tabindex="0"
            aria-label=label
            data-member=member.clone()
            on:click=move |_| select()
            on:keydown=move |ev: KeyboardEvent| on_activate(&ev, select)
        >
            <rect class="member-box" rx="5" x=move || rect.get().x y=move || rect.get().y width=move || rect.get().w height=move || rect.get().h />
            <text class="member-text" x=move || rect.get().x + 7.0 y=move || rect.get().cy() + 4.0>
                {move || id.with_value(|(_, m)| m.clone())}
            </text>
            // With an accessible name set, an SVG title is the element's description.
            <title>{move || data.with(|m| m.as_ref().map(member_text).unwrap_or_default())}</title>
        </g>
        // The state, drawn beside the name: outside the button so its name stays the
        // visible "Consumer c1" (the description above says the state in words).
        <text
            class="member-state"
            aria-hidden="true"
            text-anchor="end"
            x=move || rect.get().right() - 6.0
            y=move || rect.get().cy() + 4.0
        >
            {move || { let t = text(); id.with_value(|(_, m)| t.strip_prefix(m.as_str()).unwrap_or("").trim_start_matches(" · ").trim().to_string()) }}
        </text>
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
) -> impl IntoView {
    let travels = move || {
        if reduced.get() {
            return Vec::new();
        }
        scene.with(|s| s.travels.clone())
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
