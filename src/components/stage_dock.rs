//! The toolbar's panel buttons and the dock: the side panel beside the stage that shows one
//! form panel ("drawer": presets, topics, setup, generator, producers, groups, sagas,
//! cluster, share) or the
//! details of what was selected on the stage (a partition's log, a record, a group with its
//! members, lag chart and offset reset, a member). The stage stays in view meanwhile.
//!
//! The drawers' panels stay mounted while hidden, so a form keeps what was typed into it
//! when the dock shows something else. The details are built when selected.

use crate::components::cluster::ClusterPanel;
use crate::components::generator::GeneratorPanel;
use crate::components::groups::{AddGroupForm, GroupView, SkewView};
use crate::components::partitions::PartitionLogView;
use crate::components::presets::PresetPicker;
use crate::components::producers::ProducersView;
use crate::components::routing::RoutingView;
use crate::components::sagas::SagasPanel;
use crate::components::share::SharePanel;
use crate::components::topic_setup::TopicSetup;
use crate::components::topics::TopicPicker;
use crate::stage::{Dock, DockView, Drawer, Selection};
use crate::state::Engine;
use leptos::prelude::*;
use orderflow_engine::group::MemberStatus;

/// The toolbar's buttons that open the drawers.
#[component]
pub fn DrawerButtons() -> impl IntoView {
    let dock = expect_context::<Dock>();
    view! {
        <nav class="drawer-buttons" aria-label="Panels">
            {Drawer::ALL.map(|drawer| view! {
                <button
                    type="button"
                    class="drawer-button"
                    aria-expanded=move || (dock.0.get() == DockView::Drawer(drawer)).to_string()
                    aria-controls=drawer.id()
                    on:click=move |_| dock.toggle(drawer)
                >
                    {drawer.label()}
                </button>
            })}
        </nav>
    }
    .into_any()
}

/// What the dock's heading says.
fn dock_title(view: &DockView) -> String {
    match view {
        DockView::Closed => String::new(),
        DockView::Drawer(d) => d.label().to_string(),
        DockView::Details(Selection::Topic) => "Topic details".to_string(),
        DockView::Details(Selection::Partition { topic, partition }) => {
            format!("Details of {topic}-{partition}")
        }
        DockView::Details(Selection::Record {
            topic,
            partition,
            offset,
        }) => format!("Record {topic}-{partition} at offset {offset}"),
        DockView::Details(Selection::Group(g)) => format!("Details of group {g}"),
        DockView::Details(Selection::Member { group, member }) => {
            format!("Consumer {member} of group {group}")
        }
    }
}

/// The side panel.
#[component]
pub fn DockPanel() -> impl IntoView {
    let dock = expect_context::<Dock>();
    let open = move |d: Drawer| dock.0.with(|v| *v == DockView::Drawer(d));
    let drawer = move |d: Drawer, body: AnyView| {
        view! {
            <div id=d.id() class="drawer" hidden=move || !open(d)>
                {body}
            </div>
        }
    };
    view! {
        <aside
            class="dock"
            aria-labelledby="dock-title"
            hidden=move || dock.0.with(|v| *v == DockView::Closed)
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    dock.0.set(DockView::Closed);
                }
            }
        >
            <div class="dock-bar">
                <h2 id="dock-title">{move || dock.0.with(dock_title)}</h2>
                <button type="button" class="dock-close" on:click=move |_| dock.0.set(DockView::Closed)>
                    "Close panel"
                </button>
            </div>
            {drawer(Drawer::Presets, view! { <PresetPicker /> }.into_any())}
            {drawer(Drawer::Topics, view! { <TopicPicker /> }.into_any())}
            {drawer(Drawer::Setup, view! { <TopicSetup /> }.into_any())}
            {drawer(Drawer::Generator, view! { <GeneratorPanel /> }.into_any())}
            {drawer(Drawer::Producers, view! { <ProducersView /> }.into_any())}
            {drawer(Drawer::Groups, view! {
                <section class="panel groups-panel" aria-label="New consumer group">
                    <AddGroupForm />
                </section>
            }.into_any())}
            {drawer(Drawer::Sagas, view! { <SagasPanel /> }.into_any())}
            {drawer(Drawer::Cluster, view! { <ClusterPanel /> }.into_any())}
            {drawer(Drawer::Share, view! { <SharePanel /> }.into_any())}
            {move || match dock.0.get() {
                DockView::Details(selection) => view! { <Details selection=selection /> }.into_any(),
                _ => ().into_any(),
            }}
        </aside>
    }
    .into_any()
}

/// The details of one selection.
#[component]
fn Details(selection: Selection) -> impl IntoView {
    match selection {
        Selection::Topic => view! {
            <div class="details">
                <SkewView />
                <RoutingView />
            </div>
        }
        .into_any(),
        Selection::Partition { topic, partition } => view! {
            <div class="details">
                <PartitionLogView topic=topic partition=partition />
            </div>
        }
        .into_any(),
        Selection::Record {
            topic,
            partition,
            offset,
        } => view! {
            <div class="details">
                <RecordCard topic=topic.clone() partition=partition offset=offset />
                <PartitionLogView topic=topic partition=partition />
            </div>
        }
        .into_any(),
        Selection::Group(name) => view! {
            <div class="details">
                <GroupView name=name />
            </div>
        }
        .into_any(),
        Selection::Member { group, member } => view! {
            <div class="details">
                <MemberCard group=group.clone() member=member />
                <GroupView name=group />
            </div>
        }
        .into_any(),
    }
}

/// One record: its key, value, tick, marks, and which groups have committed past it.
#[component]
fn RecordCard(topic: String, partition: u32, offset: u64) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let topic = StoredValue::new(topic);
    let facts = Memo::new(move |_| {
        engine.read(|pg| {
            let t = topic.get_value();
            let row = pg.rows(&t, partition, offset, offset + 1).into_iter().next();
            let committed = pg.committed_markers(&t, partition);
            row.map(|row| {
                let mut lines = vec![
                    format!(
                        "Key {}",
                        if row.key.is_empty() {
                            "(none)"
                        } else {
                            &row.key
                        }
                    ),
                    format!("Value {} {} (user {})", row.order_id, row.status, row.user_id),
                    format!("Appended at tick {}", row.tick),
                ];
                if let Some(o) = row.duplicate_of {
                    lines.push(format!("Duplicate of offset {o}: a producer's retry after a lost acknowledgement appended it again"));
                }
                if !row.redelivered_to.is_empty() {
                    lines.push(format!(
                        "Redelivered: processed again by {}",
                        row.redelivered_to.join(", ")
                    ));
                }
                for (group, next) in committed {
                    lines.push(if next > offset {
                        format!("{group} has committed past it (next offset {next})")
                    } else {
                        format!("{group} has not committed it yet (next offset {next})")
                    });
                }
                lines
            })
        })
    });
    view! {
        <section class="record-card" aria-label=format!("Record at offset {offset}")>
            {move || match facts.get() {
                Some(lines) => view! {
                    <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                }.into_any(),
                None => view! { <p class="hint">"This record is no longer in the log (retention deleted it, or the run was rewound)."</p> }.into_any(),
            }}
        </section>
    }
    .into_any()
}

/// One member: its state, what it owns and what it is doing.
#[component]
fn MemberCard(group: String, member: String) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let key = StoredValue::new((group, member));
    let facts = Memo::new(move |_| {
        engine.read(|pg| {
            let (g, m) = key.get_value();
            let snapshot = pg.group_snapshot(&g)?;
            let timeout = pg.group_config(&g).map_or(0, |c| c.session_timeout_ticks);
            let s = snapshot.members.iter().find(|x| x.id.0 == m)?;
            let state = match s.status {
                MemberStatus::Dead { since } => format!(
                    "dead since tick {}; the group notices at tick {}",
                    since.0,
                    since.0 + timeout
                ),
                MemberStatus::Leaving => "leaving".to_string(),
                MemberStatus::Alive if s.owned.is_empty() => "idle".to_string(),
                MemberStatus::Alive => "consuming".to_string(),
            };
            let owned: Vec<String> = s.owned.iter().map(|tp| tp.to_string()).collect();
            Some(vec![
                format!("State: {state}"),
                format!(
                    "Owns {}",
                    if owned.is_empty() {
                        "nothing".to_string()
                    } else {
                        owned.join(", ")
                    }
                ),
                format!(
                    "Processed {} records; {} fetched and waiting; generation {}",
                    s.processed, s.in_flight, s.generation
                ),
                match &s.processing {
                    Some((tp, o)) => format!("Processing {tp} offset {}", o.0),
                    None => "Processing nothing right now".to_string(),
                },
            ])
        })
    });
    view! {
        <section class="member-card" aria-label="Consumer summary">
            {move || match facts.get() {
                Some(lines) => view! {
                    <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                }.into_any(),
                None => view! { <p class="hint">"This consumer has left the group."</p> }.into_any(),
            }}
        </section>
    }
    .into_any()
}
