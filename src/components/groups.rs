//! Consumer groups: members and the partitions each owns, assignor and protocol, commit
//! policy, processing speed, rebalances with their generation, lag now and over time,
//! and offset reset with Kafka's rule (only while the group has no active members).

use crate::components::explain::Explain;
use crate::playground::Action;
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::group::{
    CommitPolicy, GroupState, MemberSnapshot, MemberStatus, OffsetResetSpec, Protocol,
};
use orderflow_engine::ids::{MemberId, Offset, Tick};
use orderflow_engine::sim::Command;

/// Lag chart size in SVG user units.
const CHART_WIDTH: f64 = 320.0;
const CHART_HEIGHT: f64 = 70.0;

fn commit_policy_text(policy: CommitPolicy) -> String {
    match policy {
        CommitPolicy::AutoCommit { interval_ticks } => {
            format!("auto-commit every {interval_ticks} ticks")
        }
        CommitPolicy::AfterProcessing => "commit after processing (at-least-once)".into(),
        CommitPolicy::BeforeProcessing => "commit before processing (at-most-once)".into(),
    }
}

fn partitions_text(member: &MemberSnapshot) -> String {
    if member.owned.is_empty() {
        return "none".into();
    }
    member
        .owned
        .iter()
        .map(|tp| format!("{}-{}", tp.topic, tp.partition.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SVG points of a lag history, scaled into the chart.
pub fn chart_points(samples: &[(u64, u64)]) -> String {
    let Some(&(first, _)) = samples.first() else {
        return String::new();
    };
    let last = samples.last().map_or(first, |s| s.0);
    let span = (last - first).max(1) as f64;
    let max = samples.iter().map(|s| s.1).max().unwrap_or(0).max(1) as f64;
    samples
        .iter()
        .map(|&(tick, lag)| {
            let x = (tick - first) as f64 / span * CHART_WIDTH;
            let y = CHART_HEIGHT - lag as f64 / max * (CHART_HEIGHT - 4.0) - 2.0;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every consumer group of the topic.
#[component]
pub fn GroupsView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let names = Memo::new(move |_| engine.read(|pg| pg.group_names()));
    view! {
        <section class="panel groups-panel" aria-labelledby="groups-title">
            <h2 id="groups-title">"Consumer groups"</h2>
            <div class="groups">
                <For each=move || names.get() key=|n| n.clone() let:name>
                    <GroupView name=name />
                </For>
            </div>
            <Explain text="Each group reads the whole topic independently and keeps its own committed offsets. Inside a group, each partition has exactly one owner, so at most as many consumers work in parallel as there are partitions; extra consumers sit idle. When a consumer dies, the group only notices after the session timeout, then rebalances: eager protocols pause everyone and reassign all partitions, cooperative ones move only what must move. Lag is how far the committed offset is behind the end of the log." />
        </section>
    }
    .into_any()
}

/// One consumer group.
#[component]
pub fn GroupView(
    /// The group's name.
    name: String,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let group = StoredValue::new(name.clone());
    let snapshot = Memo::new(move |_| engine.read(|pg| group.with_value(|g| pg.group_snapshot(g))));
    let config = Memo::new(move |_| engine.read(|pg| group.with_value(|g| pg.group_config(g))));
    let history = Memo::new(move |_| engine.read(|pg| group.with_value(|g| pg.lag_history(g))));
    let now = Memo::new(move |_| engine.read(|pg| pg.now()));
    let reset_kind = RwSignal::new(String::from("earliest"));
    let reset_value = RwSignal::new(String::from("0"));
    let reset_error = RwSignal::new(None::<String>);

    let add_consumer = move |_| {
        let g = group.get_value();
        let member = engine.read_untracked(|pg| pg.next_member_id(&g));
        let text = format!("Consumer {} joins group {g}; rebalancing.", member.0);
        engine.update(|pg| {
            pg.act(Action::Command {
                command: Command::JoinGroup { group: g, member },
            })
        });
        announcer.say(text);
    };
    let kill = move |member: MemberId| {
        let g = group.get_value();
        engine.update(|pg| {
            pg.act(Action::Command {
                command: Command::KillMember { group: g, member },
            })
        });
    };
    let reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = reset_value.get_untracked();
        let number = value.trim().parse::<i64>();
        let spec = match (reset_kind.get_untracked().as_str(), number) {
            ("earliest", _) => OffsetResetSpec::ToEarliest,
            ("latest", _) => OffsetResetSpec::ToLatest,
            ("tick", Ok(n)) if n >= 0 => OffsetResetSpec::ToTick {
                tick: Tick(n as u64),
            },
            ("offset", Ok(n)) if n >= 0 => OffsetResetSpec::ToOffset {
                offset: Offset(n as u64),
            },
            ("shift", Ok(n)) => OffsetResetSpec::ShiftBy { by: n },
            _ => {
                reset_error.set(Some(format!(
                    "{value:?} is not a valid number for this reset."
                )));
                return;
            }
        };
        let g = group.get_value();
        let result = engine.update(|pg| {
            pg.try_act(Action::Command {
                command: Command::ResetOffsets {
                    group: g,
                    // Every topic the group subscribes to (groups may read several).
                    topic: None,
                    spec,
                },
            })
        });
        reset_error.set(result.err());
    };

    let label = format!("Consumer group {name}");
    let heading = name.clone();
    view! {
        <section class="group" role="region" aria-label=label>
            <h3>{heading}</h3>
            {move || config.get().map(|c| view! {
                <p class="group-config">
                    {format!(
                        "{} assignor · {} · {} · {} tick(s) per record · session timeout {} ticks",
                        c.strategy.name(),
                        match c.protocol() { Protocol::Eager => "eager protocol", Protocol::Cooperative => "cooperative protocol" },
                        commit_policy_text(c.commit_policy),
                        c.processing_ticks_per_record,
                        c.session_timeout_ticks,
                    )}
                </p>
            })}
            {move || snapshot.get().map(|s| {
                let rebalance = match (s.state, s.protocol) {
                    (GroupState::PreparingRebalance, Protocol::Eager) => "rebalancing: everyone paused (eager)",
                    (GroupState::PreparingRebalance, Protocol::Cooperative) => "rebalancing: unaffected partitions still consuming (cooperative)",
                    (GroupState::Stable, _) => "stable",
                    (GroupState::Empty, _) => "empty (no members)",
                };
                let ticks = now.get().max(1);
                view! {
                    <p class="group-state" data-state=format!("{:?}", s.state)>
                        <strong>{rebalance}</strong>
                        {format!(" · generation {} · lag {} · processed {} ({:.1}/tick) · duplicates {} · lost {}",
                            s.generation, s.total_lag, s.counters.processed,
                            s.counters.processed as f64 / ticks as f64,
                            s.counters.duplicates, s.counters.lost)}
                    </p>
                }
            })}
            <ul class="members">
                <For
                    each=move || snapshot.get().map(|s| s.members).unwrap_or_default()
                    key=|m| (m.id.clone(), format!("{:?}", m.status), m.owned.clone(), m.pending_revocation.clone())
                    let:member
                >
                    {
                        let id = member.id.clone();
                        let (status, class) = match member.status {
                            MemberStatus::Dead { since } => (format!("dead since tick {}; noticed after the session timeout", since.0), "member dead"),
                            MemberStatus::Leaving => ("leaving".to_string(), "member leaving"),
                            MemberStatus::Alive if member.owned.is_empty() => ("idle (no partition to own)".to_string(), "member idle"),
                            MemberStatus::Alive => ("consuming".to_string(), "member alive"),
                        };
                        let dead = matches!(member.status, MemberStatus::Dead { .. });
                        let revoking = (!member.pending_revocation.is_empty()).then(|| {
                            format!(" · revoking {}", member.pending_revocation.iter().map(|tp| format!("{}-{}", tp.topic, tp.partition.0)).collect::<Vec<_>>().join(", "))
                        });
                        let kill_id = id.clone();
                        view! {
                            <li class=class>
                                <span class="member-id">{id.0.clone()}</span>
                                <span class="member-status">{status}</span>
                                <span class="member-owned">{format!("owns {}", partitions_text(&member))}</span>
                                <span class="member-revoking">{revoking}</span>
                                <button
                                    type="button"
                                    class="kill"
                                    disabled=dead
                                    on:click=move |_| kill(kill_id.clone())
                                >
                                    {format!("Kill consumer {}", id.0)}
                                </button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <button type="button" on:click=add_consumer>"Add consumer"</button>
            <table class="group-partitions">
                <caption>"Per partition"</caption>
                <thead><tr><th scope="col">"partition"</th><th scope="col">"committed"</th><th scope="col">"end"</th><th scope="col">"lag"</th><th scope="col">"owner"</th></tr></thead>
                <tbody>
                    {move || snapshot.get().map(|s| s.partitions.into_iter().map(|p| view! {
                        <tr>
                            <td>{format!("{}-{}", p.partition.topic, p.partition.partition.0)}</td>
                            <td>{p.committed.map_or("—".to_string(), |o| o.0.to_string())}</td>
                            <td>{p.high_watermark.0}</td>
                            <td class="lag">{p.lag}</td>
                            <td>{p.owner.map_or("—".to_string(), |m| m.0)}</td>
                        </tr>
                    }).collect_view())}
                </tbody>
            </table>
            <svg
                class="lag-chart"
                role="img"
                aria-label=format!("Lag over time for group {name}")
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                preserveAspectRatio="none"
            >
                <polyline fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke" points=move || chart_points(&history.get()) />
            </svg>
            <p class="hint">{move || {
                let h = history.get();
                match (h.first(), h.last()) {
                    (Some(a), Some(b)) => format!("Lag from tick {} to {}: max {}, now {}", a.0, b.0, h.iter().map(|s| s.1).max().unwrap_or(0), b.1),
                    _ => "No lag samples yet: press Step or Play.".to_string(),
                }
            }}</p>
            <form class="reset" on:submit=reset>
                <label for=format!("reset-kind-{name}")>"Reset offsets to"</label>
                <select
                    id=format!("reset-kind-{name}")
                    prop:value=reset_kind
                    on:change=move |ev| reset_kind.set(event_target_value(&ev))
                >
                    <option value="earliest">"earliest"</option>
                    <option value="latest">"latest"</option>
                    <option value="tick">"tick"</option>
                    <option value="shift">"shift by"</option>
                    <option value="offset">"offset"</option>
                </select>
                <label for=format!("reset-value-{name}")>"Value"</label>
                <input
                    id=format!("reset-value-{name}")
                    inputmode="numeric"
                    prop:value=reset_value
                    on:input=move |ev| reset_value.set(event_target_value(&ev))
                />
                <button type="submit">"Reset offsets"</button>
                <p class="error" role="alert">{move || reset_error.get()}</p>
            </form>
        </section>
    }
    .into_any()
}
