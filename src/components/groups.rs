//! Consumer groups: members and the partitions each owns, assignor and protocol, commit
//! policy, processing speed, rebalances with their generation, lag now and over time,
//! and offset reset with Kafka's rule (only while the group has no active members).

use crate::components::fields::{NumberField, TextField};
use crate::components::rebalance::RebalanceView;
use crate::components::topics::use_topic;
use crate::forms::group::{NewGroupDraft, ResetDraft, COMMIT_CHOICES, RESET_KINDS};
use crate::metrics::{skew, THROUGHPUT_WINDOW_TICKS};
use crate::playground::MAX_NEW_GROUP_CONSUMERS;
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::assignor::AssignmentStrategy;
use orderflow_engine::group::{
    CommitPolicy, GroupConfig, GroupSnapshot, GroupState, MemberSnapshot, MemberStatus, Protocol,
};
use orderflow_engine::ids::MemberId;
use orderflow_engine::sim::Command;
use std::collections::BTreeSet;

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

/// Processing speeds offered in the speed pickers, in ticks per record.
const SPEEDS: [u64; 6] = [0, 1, 2, 3, 5, 10];

fn speed_text(ticks: u64) -> String {
    match ticks {
        0 => "instant (a whole batch per tick)".to_string(),
        1 => "1 tick per record".to_string(),
        n => format!("{n} ticks per record"),
    }
}

/// How unevenly the topic's records spread over its partitions.
#[component]
pub fn SkewView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let topic = use_topic();
    let sizes = Memo::new(move |_| engine.read(|pg| pg.partition_sizes(&topic.get())));
    view! {
        <p class="skew">
            {move || match sizes.with(|s| skew(s)) {
                None => format!("Partition skew of {}: no records yet.", topic.get()),
                Some(s) => format!(
                    "Partition skew of {} {:.2}×: the hot partition {} holds {} records, the mean is {:.1} (1.00× is even).",
                    topic.get(), s.ratio, s.hot_partition, s.hot_records, s.mean
                ),
            }}
        </p>
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
    let speed_error = RwSignal::new(None::<String>);

    let add_consumer = move |_| {
        let g = group.get_value();
        let member = engine.read_untracked(|pg| pg.next_member_id(&g));
        let text = format!("Consumer {} joins group {g}; rebalancing.", member.0);
        engine.update(|pg| pg.act(Command::JoinGroup { group: g, member }));
        announcer.say(text);
    };
    let set_group_speed = move |value: String| {
        let g = group.get_value();
        let Ok(ticks) = value.parse::<u64>() else {
            return;
        };
        let result = engine.update(|pg| {
            pg.try_act(Command::ConfigureGroup {
                group: g,
                processing_ticks_per_record: Some(ticks),
                max_poll_records: None,
            })
        });
        speed_error.set(result.err().map(|e| e.to_string()));
    };

    // Not "Consumer group NAME": that is the group on the stage (one region per name).
    let label = format!("Details of group {name}");
    let heading = name.clone();
    view! {
        <section class="group" role="region" aria-label=label>
            <h3>{heading}</h3>
            <GroupSummary group=group config=config snapshot=snapshot />
            <p class="speed">
                <label for=format!("speed-{name}")>"Processing time per record"</label>
                " "
                <select
                    id=format!("speed-{name}")
                    prop:value=move || config.get().map(|c| c.processing_ticks_per_record.to_string()).unwrap_or_default()
                    on:change=move |ev| set_group_speed(event_target_value(&ev))
                >
                    {speed_options()}
                </select>
                <span class="error" role="status">{move || speed_error.get()}</span>
            </p>
            <MemberList group=group snapshot=snapshot config=config speed_error=speed_error />
            <button type="button" on:click=add_consumer>"Add consumer"</button>
            <RebalanceView group=name.clone() />
            <GroupPartitions snapshot=snapshot />
            <LagChart group=group />
            <ResetOffsetsForm group=group />
        </section>
    }
    .into_any()
}

/// A group's settings, state (rebalancing, generation, lag, counters) and throughput.
#[component]
fn GroupSummary(
    group: StoredValue<String>,
    config: Memo<Option<GroupConfig>>,
    snapshot: Memo<Option<GroupSnapshot>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let throughput =
        Memo::new(move |_| engine.read(|pg| group.with_value(|g| pg.group_throughput(g))));
    view! {
        {move || config.get().map(|c| view! {
            <p class="group-config">
                {format!(
                    "reads {} · {} assignor · {} · {} · {} tick(s) per record · session timeout {} ticks",
                    c.topics.join(", "),
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
            view! {
                <p class="group-state" data-state=format!("{:?}", s.state)>
                    <strong>{rebalance}</strong>
                    {format!(" · generation {} · lag {} · processed {} · duplicates {} · lost {}",
                        s.generation, s.total_lag, s.counters.processed,
                        s.counters.duplicates, s.counters.lost)}
                </p>
            }
        })}
        <p class="throughput">
            {move || format!(
                "Throughput: {:.1} records per tick over the last {THROUGHPUT_WINDOW_TICKS} ticks",
                throughput.get()
            )}
        </p>
    }
    .into_any()
}

/// The options of a processing-speed select.
fn speed_options() -> impl IntoView {
    SPEEDS
        .iter()
        .map(|&t| view! { <option value=t.to_string()>{speed_text(t)}</option> })
        .collect_view()
}

/// A group's members: status, owned and revoking partitions, rate, speed and "Kill".
#[component]
fn MemberList(
    group: StoredValue<String>,
    snapshot: Memo<Option<GroupSnapshot>>,
    config: Memo<Option<GroupConfig>>,
    /// Where a refused speed change says why.
    speed_error: RwSignal<Option<String>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let kill = move |member: MemberId| {
        let g = group.get_value();
        engine.update(|pg| pg.act(Command::KillMember { group: g, member }));
    };
    let set_member_speed = move |member: MemberId, value: String| {
        let g = group.get_value();
        let ticks = value.parse::<u64>().ok();
        let result = engine.update(|pg| {
            pg.try_act(Command::ConfigureMember {
                group: g,
                member,
                processing_ticks_per_record: ticks,
            })
        });
        speed_error.set(result.err().map(|e| e.to_string()));
    };
    view! {
        <ul class="members">
            <For
                each=move || snapshot.get().map(|s| s.members).unwrap_or_default()
                key=|m| (m.id.clone(), format!("{:?}", m.status), m.owned.clone(), m.pending_revocation.clone(), m.processing_ticks_per_record)
                let:member
            >
                {
                    let id = member.id.clone();
                    let timeout = config.with_untracked(|c| c.as_ref().map_or(0, |c| c.session_timeout_ticks));
                    let (status, class) = member_status(&member, timeout);
                    let dead = matches!(member.status, MemberStatus::Dead { .. });
                    let revoking = (!member.pending_revocation.is_empty()).then(|| {
                        format!(" · revoking {}", member.pending_revocation.iter().map(|tp| format!("{}-{}", tp.topic, tp.partition.0)).collect::<Vec<_>>().join(", "))
                    });
                    let kill_id = id.clone();
                    let speed_id = id.clone();
                    let rate_id = id.clone();
                    let rate = Memo::new(move |_| engine.read(|pg| group.with_value(|g| pg.member_throughput(g, &rate_id))));
                    let member_ticks = member.processing_ticks_per_record;
                    view! {
                        <li class=class>
                            <span class="member-id">{id.0.clone()}</span>
                            <span class="member-status">{status}</span>
                            <span class="member-owned">{format!("owns {}", partitions_text(&member))}</span>
                            <span class="member-revoking">{revoking}</span>
                            <span class="member-rate">{move || format!("{:.1}/tick", rate.get())}</span>
                            <select
                                class="member-speed"
                                aria-label=format!("Processing time of consumer {}", id.0)
                                disabled=dead
                                prop:value=member_ticks.to_string()
                                on:change=move |ev| set_member_speed(speed_id.clone(), event_target_value(&ev))
                            >
                                {speed_options()}
                            </select>
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
    }
    .into_any()
}

/// A member's status in words and the list item's class.
fn member_status(member: &MemberSnapshot, timeout: u64) -> (String, &'static str) {
    match member.status {
        MemberStatus::Dead { since } => (
            format!(
                "dead since tick {}; the group notices at tick {} (session timeout {timeout} ticks)",
                since.0,
                since.0 + timeout
            ),
            "member dead",
        ),
        MemberStatus::Leaving => ("leaving".to_string(), "member leaving"),
        MemberStatus::Alive if member.owned.is_empty() => {
            ("idle (no partition to own)".to_string(), "member idle")
        }
        MemberStatus::Alive => ("consuming".to_string(), "member alive"),
    }
}

/// Per partition of the group: committed offset, end, lag and owner; the hot partition of
/// the selected topic is marked.
#[component]
fn GroupPartitions(snapshot: Memo<Option<GroupSnapshot>>) -> impl IntoView {
    let engine = expect_context::<Engine>();
    // The hot partition of the selected topic, as (topic, partition).
    let topic = use_topic();
    let hot_partition = Memo::new(move |_| {
        let topic = topic.get();
        engine
            .read(|pg| skew(&pg.partition_sizes(&topic)).map(|s| (topic.clone(), s.hot_partition)))
    });
    view! {
        <table class="group-partitions">
            <caption>"Per partition"</caption>
            <thead><tr><th scope="col">"partition"</th><th scope="col">"committed"</th><th scope="col">"end"</th><th scope="col">"lag"</th><th scope="col">"owner"</th></tr></thead>
            <tbody>
                {move || snapshot.get().map(|s| s.partitions.into_iter().map(|p| {
                    let hot = hot_partition.with(|h| h.as_ref().is_some_and(|(topic, partition)| *partition == p.partition.partition.0 && *topic == *p.partition.topic));
                    view! {
                    <tr class:hot=hot>
                        <td>{format!("{}-{}", p.partition.topic, p.partition.partition.0)}{hot.then_some(" (hot)")}</td>
                        <td>{p.committed.map_or("—".to_string(), |o| o.0.to_string())}</td>
                        <td>{p.high_watermark.0}</td>
                        <td class="lag">{p.lag}</td>
                        <td>{p.owner.map_or("—".to_string(), |m| m.0)}</td>
                    </tr>
                }}).collect_view())}
            </tbody>
        </table>
    }
    .into_any()
}

/// A group's total lag over time, as a line and in words.
#[component]
fn LagChart(group: StoredValue<String>) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let history = Memo::new(move |_| engine.read(|pg| group.with_value(|g| pg.lag_history(g))));
    view! {
        <svg
            class="lag-chart"
            role="img"
            aria-label=format!("Lag over time for group {}", group.get_value())
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
    }
    .into_any()
}

/// "Reset offsets to" a group (its rules are [`ResetDraft::parse`]; the engine applies
/// Kafka's: only while the group has no active members).
#[component]
fn ResetOffsetsForm(group: StoredValue<String>) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let name = group.get_value();
    let initial = ResetDraft::default();
    let reset_kind = RwSignal::new(initial.kind);
    let reset_value = RwSignal::new(initial.value);
    let reset_error = RwSignal::new(None::<String>);
    let reset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = ResetDraft {
            kind: reset_kind.get_untracked(),
            value: reset_value.get_untracked(),
        };
        let spec = match draft.parse() {
            Ok(spec) => spec,
            Err(e) => {
                reset_error.set(Some(e.to_string()));
                return;
            }
        };
        let g = group.get_value();
        let result = engine.update(|pg| {
            pg.try_act(Command::ResetOffsets {
                group: g,
                // Every topic the group subscribes to (groups may read several).
                topic: None,
                spec,
            })
        });
        reset_error.set(result.err().map(|e| e.to_string()));
    };
    view! {
        <form class="reset" on:submit=reset>
            <label for=format!("reset-kind-{name}")>"Reset offsets to"</label>
            <select
                id=format!("reset-kind-{name}")
                prop:value=reset_kind
                on:change=move |ev| reset_kind.set(event_target_value(&ev))
            >
                {RESET_KINDS.map(|(value, label)| view! { <option value=value>{label}</option> })}
            </select>
            <TextField
                id=format!("reset-value-{name}")
                label="Value"
                inputmode="numeric"
                value=reset_value
                on_input=move |text| reset_value.set(text)
            />
            <button type="submit">"Reset offsets"</button>
            <p class="error" role="alert">{move || reset_error.get()}</p>
        </form>
    }
    .into_any()
}

/// The "Add group" form: a new consumer group on the topics ticked, with an assignor, a
/// commit policy and its first consumers, created at the current tick (logged commands).
/// Its rules are [`NewGroupDraft::parse`] and [`crate::playground::Playground::create_group`].
#[component]
pub fn AddGroupForm() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let topic = use_topic();
    let topics = Memo::new(move |_| engine.read(|pg| pg.topic_names()));
    let initial = NewGroupDraft::default();
    let name = RwSignal::new(initial.name);
    // Topics ticked by hand; `None` until the user ticks one: then the selected topic is.
    let ticked = RwSignal::new(None::<BTreeSet<String>>);
    // The topics ticked now: the hand-ticked set, else the selected topic.
    let chosen = Memo::new(move |_| {
        ticked
            .get()
            .unwrap_or_else(|| orderflow_engine::sort::set_of([topic.get()]))
    });
    let strategy = RwSignal::new(initial.assignor);
    let commit = RwSignal::new(initial.commit);
    let consumers = RwSignal::new(initial.consumers);
    let error = RwSignal::new(None::<String>);

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = NewGroupDraft {
            name: name.get_untracked(),
            // In the order the topics were created, and only those that still exist.
            topics: topics
                .get_untracked()
                .into_iter()
                .filter(|t| chosen.with_untracked(|set| set.contains(t)))
                .collect(),
            assignor: strategy.get_untracked(),
            commit: commit.get_untracked(),
            consumers: consumers.get_untracked(),
        };
        let (config, count) = match draft.parse() {
            Ok(parsed) => parsed,
            Err(e) => {
                error.set(Some(e.to_string()));
                return;
            }
        };
        let said = format!(
            "Consumer group {} created on {} with {count} consumer(s); rebalancing.",
            config.name,
            config.topics.join(", ")
        );
        match engine.update(|pg| pg.create_group(config, count)) {
            Ok(()) => {
                error.set(None);
                name.set(String::new());
                announcer.say(said);
            }
            Err(e) => error.set(Some(format!("Cannot add group: {e}."))),
        }
    };

    view! {
        <form class="fields add-group" on:submit=add novalidate=true aria-labelledby="add-group-title">
            <h3 id="add-group-title">"New consumer group"</h3>
            <TextField
                id="new-group-name"
                label="Group name"
                placeholder="auditors"
                value=name
                on_input=move |text| name.set(text)
            />
            <TopicChecks topics=topics chosen=chosen ticked=ticked />
            <label for="new-group-assignor">"Assignor"</label>
            <select
                id="new-group-assignor"
                prop:value=strategy
                on:change=move |ev| strategy.set(event_target_value(&ev))
            >
                {AssignmentStrategy::ALL.map(|s| {
                    let protocol = if s.is_cooperative() { "cooperative" } else { "eager" };
                    view! { <option value=s.name()>{format!("{} ({protocol})", s.name())}</option> }
                })}
            </select>
            <label for="new-group-commit">"Commit policy"</label>
            <select
                id="new-group-commit"
                prop:value=commit
                on:change=move |ev| commit.set(event_target_value(&ev))
            >
                {COMMIT_CHOICES.map(|(value, policy)| view! { <option value=value>{commit_policy_text(policy)}</option> })}
            </select>
            <NumberField
                id="new-group-consumers"
                label="Consumers"
                min=0
                max=MAX_NEW_GROUP_CONSUMERS
                value=consumers
                on_input=move |text| consumers.set(text)
            />
            <button type="submit">"Add group"</button>
        </form>
        <p class="error" role="alert">{move || error.get()}</p>
    }
    .into_any()
}

/// "Topics to read": a checkbox per topic, in creation order.
#[component]
fn TopicChecks(
    topics: Memo<Vec<String>>,
    /// The topics ticked now.
    chosen: Memo<BTreeSet<String>>,
    /// Set once a topic is ticked or unticked by hand.
    ticked: RwSignal<Option<BTreeSet<String>>>,
) -> impl IntoView {
    let toggle = move |t: String, on: bool| {
        let mut set = chosen.get_untracked();
        if on {
            set.insert(t);
        } else {
            set.remove(&t);
        }
        ticked.set(Some(set));
    };
    view! {
        <fieldset class="group-topics">
            <legend>"Topics to read"</legend>
            <For each=move || topics.get() key=|t| t.clone() let:t>
                {
                    let id = format!("new-group-topic-{t}");
                    let checked_t = t.clone();
                    let toggle_t = t.clone();
                    view! {
                        <input
                            type="checkbox"
                            id=id.clone()
                            prop:checked=move || chosen.with(|set| set.contains(&checked_t))
                            on:change=move |ev| toggle(toggle_t.clone(), event_target_checked(&ev))
                        />
                        <label for=id>{t}</label>
                    }
                }
            </For>
        </fieldset>
    }
    .into_any()
}
