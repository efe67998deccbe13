//! A group's rebalance drawn as partition moves: per partition, who lost or revoked it, who
//! got it and in which generation, and whether the group paused (eager) or kept consuming
//! (cooperative). The moves come from [`crate::rebalance::RebalanceLog`], folded from the
//! engine's trace.
//!
//! Animation: each move row is keyed by its phase, so a row is re-created when the move
//! advances (revoking → released → assigned) and its CSS entry animation plays once. No
//! timers and no per-frame work: nothing here can block input, and under
//! `prefers-reduced-motion: reduce` the stylesheet turns the animations off. Every state is
//! also written out as text, so nothing is told by colour or motion alone.

use crate::rebalance::{MovePhase, PartitionMove, RebalanceEpisode, Release};
use crate::state::Engine;
use leptos::prelude::*;
use orderflow_engine::group::Protocol;

fn phase_name(phase: MovePhase) -> &'static str {
    match phase {
        MovePhase::Revoking => "revoking",
        MovePhase::Released => "released",
        MovePhase::Assigned => "assigned",
    }
}

fn release_name(m: &PartitionMove) -> &'static str {
    match m.released {
        Some((Release::Lost, _)) => "lost",
        Some((Release::Left, _)) => "left",
        Some((Release::Revoked, _)) => "revoked",
        None => "none",
    }
}

/// The heading of an episode: the generations it spans and whether it is still running.
pub fn episode_title(episode: &RebalanceEpisode) -> String {
    let protocol = match episode.protocol {
        Protocol::Eager => "eager",
        Protocol::Cooperative => "cooperative",
    };
    match (episode.generation(), episode.in_progress()) {
        (Some(g), false) => format!(
            "Rebalance ({protocol}): generation {} → {g}",
            episode.from_generation
        ),
        (Some(g), true) => format!(
            "Rebalance ({protocol}) in progress: generation {} → {g}, another round to come",
            episode.from_generation
        ),
        (None, _) => format!(
            "Rebalance ({protocol}) in progress: generation {} → {}",
            episode.from_generation,
            episode.from_generation + 1
        ),
    }
}

/// One move as a list item: partition, where it came from, where it goes, as text.
fn move_row(m: PartitionMove) -> impl IntoView {
    let phase = phase_name(m.phase());
    view! {
        <li class="move" data-phase=phase data-release=release_name(&m)>
            <span class="move-partition">{m.partition.to_string()}</span>
            <span class="sr-only">": "</span>
            <span class="move-from">{m.from_text()}</span>
            <span class="sr-only">"; "</span>
            <span class="move-arrow" aria-hidden="true">"→"</span>
            <span class="move-to">{m.to_text()}</span>
        </li>
    }
}

/// The latest rebalance of a group, animated, plus the earlier ones as text.
#[component]
pub fn RebalanceView(
    /// The group's name.
    group: String,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let name = StoredValue::new(group.clone());
    let episodes = Memo::new(move |_| engine.read(|pg| name.with_value(|g| pg.rebalances(g))));
    let epoch = Memo::new(move |_| engine.read(|pg| pg.epoch()));
    // Only the move list and the episode's start are memos (the rows are keyed on them);
    // the texts are plain closures: cheap to recompute, and fewer memo types keep the wasm
    // smaller.
    let moves = Memo::new(move |_| {
        episodes.with(|e| {
            e.last()
                .map(|e| e.moves().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    let started = Memo::new(move |_| episodes.with(|e| e.last().map(|e| e.started_at)));
    let latest = move |f: fn(&RebalanceEpisode) -> String| {
        episodes.with(|e| e.last().map(f).unwrap_or_default())
    };
    let title = move || latest(episode_title);
    let reason =
        move || latest(|e| format!("Started at tick {}: {}.", e.started_at, e.reason_text()));
    let consumption_text = move || latest(RebalanceEpisode::consumption_text);
    let state = move || {
        episodes.with(|e| match e.last() {
            Some(e) if e.in_progress() => "in-progress",
            _ => "done",
        })
    };
    let consumption = move || {
        episodes.with(|e| match e.last() {
            Some(e) if e.paused() => "paused",
            Some(e) if e.protocol == Protocol::Cooperative => "consuming",
            _ => "resumed",
        })
    };
    let badge = move || match consumption() {
        "paused" => "paused",
        "consuming" => "▶ still consuming",
        _ => "▶ consuming",
    };
    let label = format!("Rebalance of group {group}");

    view! {
        <section class="rebalance" aria-label=label>
            <Show
                when=move || started.get().is_some()
                fallback=|| view! { <p class="hint">"No rebalance yet."</p> }
            >
                <div class="episode" data-state=state data-consumption=consumption>
                    <h4>
                        <span class="consumption-badge" aria-hidden="true">{badge}</span>
                        " "
                        {title}
                    </h4>
                    <p class="rebalance-reason">{reason}</p>
                    <p class="rebalance-consumption">{consumption_text}</p>
                    <ol class="moves" aria-label="Rebalance moves">
                        <For
                            each=move || moves.get()
                            key=move |m| (epoch.get_untracked(), started.get_untracked(), m.describe())
                            children=move_row
                        />
                    </ol>
                </div>
            </Show>
            {move || {
                let earlier: Vec<RebalanceEpisode> = episodes.with(|e| {
                    e.iter().rev().skip(1).cloned().collect()
                });
                (!earlier.is_empty()).then(|| view! {
                    <details class="earlier-rebalances">
                        <summary>{format!("Earlier rebalances ({})", earlier.len())}</summary>
                        <ul>
                            {earlier.into_iter().map(|e| view! {
                                <li>
                                    {format!("Tick {}: {}; {}. ", e.started_at, episode_title(&e), e.reason_text())}
                                    {e.moves().map(|m| m.describe()).collect::<Vec<_>>().join(" · ")}
                                </li>
                            }).collect_view()}
                        </ul>
                    </details>
                })
            }}
        </section>
    }
    .into_any()
}
