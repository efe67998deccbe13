//! The consumer groups drawn: a box per group with its state, and a chip per member.

use super::colour_class;
use super::keys::on_activate;
use crate::stage::layout::{self as layout, member_state_fits, NodeId, Scene};
use crate::stage::model::{GroupNode, MemberState, StageSnapshot};
use crate::stage::text::{member_text, ranges};
use crate::stage::{Dock, Selection};
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
/// The consumer groups on the right (or below, stacked).
#[component]
pub(super) fn Groups(
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
            {move || {
                let t = text();
                let w = rect.get().w;
                id.with_value(|(_, m)| {
                    // A member id too long for its chip keeps the chip to itself; its state
                    // stays in the description and the group's title.
                    if !member_state_fits(m, w) {
                        return String::new();
                    }
                    t.strip_prefix(m.as_str()).unwrap_or("").trim_start_matches(" · ").trim().to_string()
                })
            }}
        </text>
    }
    .into_any()
}
