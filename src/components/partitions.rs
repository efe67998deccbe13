//! A partition's log, shown in the dock when a lane is selected on the stage: a region
//! "Log of TOPIC-N" listing its records by offset. Long logs are virtualised: rows have a fixed height, the scroll offset picks the
//! window of offsets that is visible, and only those rows (plus a small overscan) exist in
//! the DOM. The engine keeps the records; the DOM keeps a window onto them.
//!
//! Two marks on a row, distinct on purpose: "duplicate of offset N" (a producer's retry
//! appended the record a second time: two copies in the log) and "↻ group" (a group
//! processed the one copy again after a redelivery).

use crate::components::row_viewport::RowViewport;
use crate::playground::{key_hue, RecordRow};
use crate::row_window::RowWindow;
use crate::state::Engine;
use leptos::prelude::*;

/// Height of one record row in CSS pixels (must match `.record` in style/main.css).
pub const ROW_HEIGHT_PX: f64 = 24.0;
/// Rows visible in a partition's viewport (its height is `VISIBLE_ROWS * ROW_HEIGHT_PX`).
pub const VISIBLE_ROWS: u64 = 10;
/// Extra rows rendered above and below the visible ones, so fast scrolling shows no gaps.
pub const OVERSCAN_ROWS: u64 = 4;
/// A partition's log as a virtualised list.
const LOG_WINDOW: RowWindow = RowWindow {
    row_px: ROW_HEIGHT_PX,
    rows_in_view: VISIBLE_ROWS,
    overscan_rows: OVERSCAN_ROWS,
};

/// The window of offsets to render for a scroll position: `(first, end)` with `end`
/// exclusive, clamped to the log (past its end, the last rows).
pub fn visible_window(scroll_top_px: f64, log_start: u64, high_watermark: u64) -> (u64, u64) {
    let (drawn, _) = LOG_WINDOW.at(scroll_top_px, high_watermark.saturating_sub(log_start));
    (log_start + drawn.start, log_start + drawn.end)
}

/// A record row's tooltip: why it is marked (a producer duplicate, a redelivery), if at all.
fn record_title(row: &RecordRow) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(original) = row.duplicate_of {
        reasons.push(format!(
            "duplicate of offset {original}: a producer's retry after a lost acknowledgement appended it again"
        ));
    }
    if !row.redelivered_to.is_empty() {
        reasons.push(format!(
            "redelivered: processed again by {}",
            row.redelivered_to.join(", ")
        ));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// One partition's log, virtualised.
#[component]
pub fn PartitionLogView(
    /// The topic the partition belongs to.
    topic: String,
    /// The partition number.
    partition: u32,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let topic = StoredValue::new(topic);
    let scroll_top = RwSignal::new(0.0f64);
    let bounds =
        Memo::new(move |_| engine.read(|pg| pg.partition_bounds(&topic.read_value(), partition)));
    let window = Memo::new(move |_| {
        let (start, end) = bounds.get();
        visible_window(scroll_top.get(), start, end)
    });
    let rows = Memo::new(move |_| {
        let (first, end) = window.get();
        engine.read(|pg| pg.rows(&topic.read_value(), partition, first, end))
    });
    let markers =
        Memo::new(move |_| engine.read(|pg| pg.committed_markers(&topic.read_value(), partition)));
    let numbered_markers = move || {
        markers
            .get()
            .into_iter()
            .enumerate()
            .collect::<Vec<(usize, (String, u64))>>()
    };
    let segments = Memo::new(move |_| {
        engine.read(|pg| {
            (
                pg.segment_count(&topic.read_value(), partition),
                pg.setup(&topic.read_value())
                    .map_or(0, |s| s.segment_records),
            )
        })
    });

    // Not "Partition N": that is the stage's lane (one region per name).
    let label = format!("Log of {}-{partition}", topic.read_value());
    let heading = label.clone();
    view! {
        <section class="partition" role="region" aria-label=label>
            <h3>{heading}</h3>
            <p class="partition-stats">
                {move || {
                    let (start, end) = bounds.get();
                    let (count, _) = segments.get();
                    format!("{} · log start {start} · high watermark {end} · {count} segment(s)", crate::stage::text::records(end - start))
                }}
            </p>
            <p class="committed">
                {move || {
                    let m = markers.get();
                    if m.is_empty() {
                        String::new()
                    } else {
                        format!("committed: {}", m.iter().map(|(g, o)| format!("{g} {o}")).collect::<Vec<_>>().join(", "))
                    }
                }}
            </p>
            // Follows the newest record while the user has not scrolled away from the tail.
            <RowViewport
                geometry=LOG_WINDOW
                class="log-viewport"
                label=format!("Records of partition {partition}")
                spacer_class="records"
                ordered=true
                total=Signal::derive(move || {
                    let (start, end) = bounds.get();
                    end - start
                })
                scroll_top
                follow_tail=true
                overlay=Box::new(move || {
                    view! {
                        <For each=numbered_markers key=|m| m.clone() let:m>
                            <CommitMarker number=m.0 group=m.1.0 offset=m.1.1 bounds=bounds />
                        </For>
                    }
                    .into_any()
                })
            >
                <For each=move || rows.get() key=|row| (row.epoch, row.offset) let:row>
                    <RecordItem row=row bounds=bounds />
                </For>
            </RowViewport>
        </section>
    }
    .into_any()
}

/// One record of a partition's log, placed at its offset (the list is virtualised).
#[component]
fn RecordItem(
    row: RecordRow,
    /// The partition's `(log_start_offset, high_watermark)`: rows sit below the log start.
    bounds: Memo<(u64, u64)>,
) -> impl IntoView {
    view! {
        <li
            class="record"
            class:segment-start=row.segment_start
            class:redelivered=!row.redelivered_to.is_empty()
            class:producer-duplicate=row.duplicate_of.is_some()
            title=record_title(&row)
            data-offset=row.offset
            style:position="absolute"
            style:height=format!("{ROW_HEIGHT_PX}px")
            style:top=move || {
                let start = bounds.get().0;
                format!("{}px", (row.offset - start) as f64 * ROW_HEIGHT_PX)
            }
        >
            <span class="offset">{row.offset}</span>
            <span class="key" style:--key-hue=key_hue(&row.key).to_string()>
                {row.key.clone()}
            </span>
            <span class="value">{format!("{} {}", row.order_id, row.status)}</span>
            {row.duplicate_of.map(|o| view! { <span class="duplicate-badge">{format!("duplicate of offset {o}")}</span> })}
            {(!row.redelivered_to.is_empty()).then(|| view! { <span class="dup">{format!("↻ {}", row.redelivered_to.join(", "))}</span> })}
        </li>
    }
    .into_any()
}

/// A group's committed offset drawn across the log (the next record the group reads).
#[component]
fn CommitMarker(
    /// The marker's place among the partition's markers (its colour).
    number: usize,
    group: String,
    offset: u64,
    /// The partition's `(log_start_offset, high_watermark)`.
    bounds: Memo<(u64, u64)>,
) -> impl IntoView {
    view! {
        <div
            class="commit-marker"
            aria-hidden="true"
            style:position="absolute"
            style:left="0"
            style:right="0"
            style:top=move || {
                let start = bounds.get().0;
                format!("{}px", (offset.saturating_sub(start)) as f64 * ROW_HEIGHT_PX)
            }
            style:--marker=number.to_string()
        >
            <span>{format!("{group} ▸")}</span>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_bounded_whatever_the_log_size() {
        let (first, end) = visible_window(0.0, 0, 10_000);
        assert_eq!((first, end), (0, VISIBLE_ROWS + OVERSCAN_ROWS));
        let (first, end) = visible_window(5_000.0 * ROW_HEIGHT_PX, 0, 10_000);
        assert_eq!(first, 5_000 - OVERSCAN_ROWS);
        assert_eq!(end - first, VISIBLE_ROWS + 2 * OVERSCAN_ROWS);
        let (first, end) = visible_window(1e12, 0, 10_000);
        assert!(first <= end && end == 10_000);
        assert_eq!(visible_window(0.0, 0, 0), (0, 0));
    }

    #[test]
    fn window_starts_at_the_log_start_offset() {
        assert_eq!(visible_window(0.0, 500, 600).0, 500);
    }
}
