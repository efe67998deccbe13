//! The partitions drawn: full or compact lanes with their record cells, high watermark,
//! log start and commit markers, or a heat strip past a few dozen partitions.

use super::colour_class;
use super::keys::{current_element, focus_partition, focus_step, on_activate};
use crate::stage::layout::{LaneMode, RecordBox, Rect, Scene};
use crate::stage::model::StageSnapshot;
use crate::stage::text::partition_text;
use crate::stage::{Dock, Selection};
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
/// The partitions: lanes, or a heat strip past a few dozen.
#[component]
pub(super) fn Lanes(
    snapshot: Memo<StageSnapshot>,
    scene: Memo<Scene>,
    rows: Memo<(f64, f64)>,
    /// Playing faster than a cell's slide: cells stand for places, not records.
    fast: Memo<bool>,
) -> impl IntoView {
    let mode = Memo::new(move |_| scene.with(|s| s.lane_mode));
    view! {
        {move || match mode.get() {
            LaneMode::Heat => view! { <HeatStrip snapshot=snapshot scene=scene /> }.into_any(),
            _ => view! { <LaneList snapshot=snapshot scene=scene rows=rows fast=fast /> }.into_any(),
        }}
    }
    .into_any()
}

#[component]
fn LaneList(
    snapshot: Memo<StageSnapshot>,
    scene: Memo<Scene>,
    rows: Memo<(f64, f64)>,
    fast: Memo<bool>,
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
                <Lane snapshot=snapshot scene=scene partition=k.1 fast=fast />
            </For>
        </g>
    }
    .into_any()
}

/// One partition as a lane: a region "Partition N" with its newest records, the high
/// watermark, the log start and each group's committed offset.
#[component]
fn Lane(
    snapshot: Memo<StageSnapshot>,
    scene: Memo<Scene>,
    partition: u32,
    fast: Memo<bool>,
) -> impl IntoView {
    let dock = use_context::<Dock>();
    let lane = Memo::new(move |_| scene.with(|s| s.lane(partition).cloned()));
    // The lane's boxes, apart from its marks (which move every tick): what is drawn from
    // them is not set again on a tick.
    let frame =
        Memo::new(move |_| lane.with(|l| l.as_ref().map(|l| (l.rect, l.body)).unwrap_or_default()));
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
                    let replication = p.replication.as_ref().map_or(String::new(), |r| {
                        let above = if r.uncommitted > 0 {
                            format!(" · {} uncommitted", r.uncommitted)
                        } else {
                            String::new()
                        };
                        format!(" · {}{above}", r.text())
                    });
                    format!(
                        "{} · log start {} · high watermark {}{replication}",
                        crate::stage::text::records(p.records()),
                        p.log_start_offset,
                        p.high_watermark
                    )
                })
                .unwrap_or_default()
        })
    };
    // The same words on a narrow lane (a phone), in a smaller type.
    let narrow = move || frame.with(|f| f.0.w < 440.0);
    // The high watermark's x, the "HW n" label's x and the log start's x: they move only
    // when the lane's layout does; the count of older records changes with every record.
    let marks = Memo::new(move |_| {
        lane.with(|l| {
            l.as_ref().map_or((0.0, 0.0, None), |l| {
                (l.high_watermark_x, l.head_label_x, l.log_start_x)
            })
        })
    });
    let older = Memo::new(move |_| lane.with(|l| l.as_ref().map_or(0, |l| l.older)));
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
    let r = move || frame.get().0;
    let b = move || frame.get().1;
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
            class:offline=move || state.with(|p| p.as_ref().and_then(|p| p.replication.as_ref()).is_some_and(|r| r.leader.is_none()))
            data-leader=move || state.with(|p| p.as_ref().and_then(|p| p.replication.as_ref()).map(|r| r.leader.map_or("none".to_string(), |l| l.to_string())))
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
            <For each=move || cells_at(fast.get(), &records.read()) key=move |at| (epoch.get_untracked(), *at) let:at>
                <RecordCell records=records at=at compact=compact topic=topic partition=partition />
            </For>
            <line class="high-watermark" x1=move || marks.get().0 x2=move || marks.get().0 y1=move || b().y - 2.0 y2=move || b().bottom() + 2.0 />
            <Show when=move || !compact.get()>
                <text class="marker-label" x=move || marks.get().1 y=move || b().y + 20.0>
                    {move || state.with(|p| p.as_ref().map(|p| format!("HW {}", p.high_watermark)).unwrap_or_default())}
                </text>
                {move || marks.get().2.map(|x| view! {
                    <line class="log-start" x1=x x2=x y1=b().y - 2.0 y2=b().bottom() + 2.0 />
                })}
                <Show when=move || { older.get() != 0 }>
                    <text class="marker-label older" x=move || b().x + 4.0 y=move || b().y + 20.0>{move || format!("+{} older", crate::stage::text::short_count(older.get()))}</text>
                </Show>
            </Show>
            <CommitMarkers scene=scene partition=partition compact=compact />
        </g>
    }
    .into_any()
}

/// What a record cell stands for. Played slowly, a cell is its record: it slides left as
/// newer records push it (keyed by offset). Played fast, a lane's records may all be new at
/// every redraw (1,000 events a tick), and building and removing a cell per record cost more
/// than the redraw's budget: the cells are places (the newest, the one before, ...), built
/// once, and a redraw only rewrites what they say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum CellAt {
    /// The record at this offset.
    Offset(u64),
    /// The record this many places behind the newest drawn.
    Slot(usize),
}

impl CellAt {
    /// The record the cell shows among a lane's records (oldest first).
    pub(super) fn find(self, records: &[RecordBox]) -> Option<&RecordBox> {
        match self {
            CellAt::Offset(offset) => records.iter().find(|c| c.offset == offset),
            CellAt::Slot(behind) => records
                .len()
                .checked_sub(behind + 1)
                .and_then(|i| records.get(i)),
        }
    }
}

/// The cells of a lane's records (oldest first, as they are drawn and as the arrow keys
/// walk them).
pub(super) fn cells_at(fast: bool, records: &[RecordBox]) -> Vec<CellAt> {
    if fast {
        (0..records.len()).rev().map(CellAt::Slot).collect()
    } else {
        records.iter().map(|c| CellAt::Offset(c.offset)).collect()
    }
}

/// One record cell: coloured and labelled by its key.
#[component]
fn RecordCell(
    records: Memo<Vec<RecordBox>>,
    at: CellAt,
    compact: Memo<bool>,
    topic: Memo<String>,
    partition: u32,
) -> impl IntoView {
    let dock = use_context::<Dock>();
    // What the cell says (its key, marks, size) changes rarely; where it stands changes
    // every tick as newer records push it left. Apart, a tick moves the cell and rewrites
    // nothing else (no label, colour or text is set again).
    let cell = Memo::new(move |_| {
        records.with(|r| {
            at.find(r).map(|c| RecordBox {
                rect: Rect {
                    x: 0.0,
                    y: 0.0,
                    ..c.rect
                },
                ..c.clone()
            })
        })
    });
    let place = Memo::new(move |_| {
        records.with(|r| at.find(r).map_or((0.0, 0.0), |c| (c.rect.x, c.rect.y)))
    });
    let offset = Memo::new(move |_| cell.with(|c| c.as_ref().map_or(0, |c| c.offset)));
    let rect = move || cell.with(|c| c.as_ref().map(|c| c.rect).unwrap_or_default());
    let select = move || {
        if let Some(d) = dock {
            d.select(Selection::Record {
                topic: topic.get_untracked(),
                partition,
                offset: offset.get_untracked(),
            });
        }
    };
    let label = move || {
        let offset = offset.get();
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
                    if c.compensation {
                        l.push_str(", a compensation (undoes a step of the saga)");
                    }
                    if !c.committed {
                        l = format!(
                            "Record at offset {offset}: key {}, not yet committed (above the high watermark: only the leader has it)",
                            if c.key.is_empty() { "none" } else { &c.key }
                        );
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
            class:uncommitted=move || cell.with(|c| c.as_ref().is_some_and(|c| !c.committed))
            class:compensation=move || cell.with(|c| c.as_ref().is_some_and(|c| c.compensation))
            role="button"
            tabindex="-1"
            data-nav=""
            data-offset=move || offset.get()
            aria-label=label
            style:--key-hue=hue
            style:transform=move || { let (x, y) = place.get(); format!("translate({x:.1}px, {y:.1}px)") }
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
            // Keyed by what is drawn: a marker that did not move keeps its element.
            <For each=move || markers.get() key=|m| (m.group.clone(), m.offset, m.behind, (m.at.x * 10.0) as i64, (m.at.y * 10.0) as i64) let:m>
                {
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
                }
            </For>
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
                    // The square's box apart from its shade: a tick re-shades, it does not move it.
                    let rect = Memo::new(move |_| scene.with(|s| s.lane(partition).map(|l| l.rect).unwrap_or_default()));
                    let heat = Memo::new(move |_| scene.with(|s| s.lane(partition).map_or(0.0, |l| l.heat)));
                    let rect = move || rect.get();
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
                            style:--heat=move || format!("{:.2}", heat.get())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(offset: u64) -> RecordBox {
        RecordBox {
            partition: 0,
            offset,
            rect: Rect::default(),
            key: format!("U{offset}"),
            value: String::new(),
            hue: 0,
            duplicate_of: None,
            redelivered: false,
            committed: true,
            compensation: false,
        }
    }

    #[test]
    fn slowly_a_cell_is_its_record_and_fast_a_place_behind_the_newest() {
        let before: Vec<_> = (10..13).map(record).collect();
        let after: Vec<_> = (11..14).map(record).collect();
        // Slowly: keyed by offset, so one cell goes, one comes and two slide.
        assert_eq!(
            cells_at(false, &after),
            [11, 12, 13].map(CellAt::Offset).to_vec()
        );
        assert_eq!(CellAt::Offset(12).find(&after).map(|c| c.offset), Some(12));
        assert_eq!(CellAt::Offset(10).find(&after), None);
        // Fast: the same three places, oldest first, each showing a newer record.
        let places = cells_at(true, &before);
        assert_eq!(places, [2, 1, 0].map(CellAt::Slot).to_vec());
        assert_eq!(places, cells_at(true, &after), "no cell built or removed");
        let shown = |records: &[RecordBox]| -> Vec<u64> {
            places
                .iter()
                .filter_map(|at| at.find(records))
                .map(|c| c.offset)
                .collect()
        };
        assert_eq!(shown(&before), [10, 11, 12]);
        assert_eq!(shown(&after), [11, 12, 13]);
        assert_eq!(CellAt::Slot(3).find(&after), None);
    }
}
