//! The Cluster drawer: the run's brokers ("Broker N" regions with their rack and a "Kill
//! broker N" / "Restart broker N" button) and a table of every replicated partition: its
//! leader, replicas with their log end offsets (in-sync ones marked), high watermark and
//! leader epoch. Elections, ISR shrinks and lost records are announced by the live region
//! (`playground::announcements`). Below them, the brokers' metrics under Kafka's JMX names,
//! each with its value now and a line over the newest ticks (from the engine's per-tick
//! samples). Without brokers it says the run has one implicit broker.

use crate::components::groups::chart_points;
use crate::playground::cluster::MetricSeries;
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::cluster::replication::PartitionView;
use orderflow_engine::cluster::BrokerId;

/// One partition's replicas in words: `1 (leader, LEO 7) · 2 (in sync, LEO 7) · 3 (LEO 4,
/// down)`.
fn replicas_text(p: &PartitionView) -> String {
    p.replicas
        .iter()
        .map(|r| {
            let mut marks = Vec::new();
            if r.leader {
                marks.push("leader".to_string());
            } else if r.in_sync {
                marks.push("in sync".to_string());
            }
            marks.push(format!("LEO {}", r.log_end_offset.0));
            if !r.alive {
                marks.push("down".to_string());
            }
            format!("{} ({})", r.broker, marks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The Cluster drawer's content.
#[component]
pub fn ClusterPanel() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let brokers = Memo::new(move |_| engine.read(|pg| pg.brokers()));
    let partitions = Memo::new(move |_| engine.read(|pg| pg.replicated_partitions()));
    let error = RwSignal::new(None::<String>);
    let toggle = move |broker: BrokerId| match engine.update(|pg| pg.toggle_broker(broker)) {
        Ok(()) => error.set(None),
        Err(e) => {
            announcer.say(e.to_string());
            error.set(Some(e.to_string()));
        }
    };
    view! {
        <section class="panel cluster-panel" aria-label="Cluster">
            <Show
                when=move || brokers.with(|b| !b.is_empty())
                fallback=|| view! {
                    <p>"One implicit broker, replication factor 1: every record is committed at once. Load a cluster preset (cluster-…) to see brokers, replicas and the ISR."</p>
                }
            >
                <div class="brokers">
                    <For
                        each=move || brokers.get()
                        key=|b| (b.id, b.alive)
                        children=move |b| {
                            let id = b.id;
                            let label = format!("Broker {id}");
                            let heading = label.clone();
                            let action = if b.alive { "Kill" } else { "Restart" };
                            let rack = b.rack.clone().map(|r| format!(" · rack {r}")).unwrap_or_default();
                            view! {
                                <section class="broker" class:down=!b.alive role="region" aria-label=label>
                                    <h3>{heading}</h3>
                                    <p>{format!("{}{rack}", if b.alive { "running" } else { "down" })}</p>
                                    <button type="button" on:click=move |_| toggle(id)>
                                        {format!("{action} broker {id}")}
                                    </button>
                                </section>
                            }
                        }
                    />
                </div>
                <table class="partitions-table">
                    <caption>"Partitions: leader, replicas (log end offsets), high watermark"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Partition"</th>
                            <th scope="col">"Leader"</th>
                            <th scope="col">"Replicas"</th>
                            <th scope="col">"ISR"</th>
                            <th scope="col">"HW"</th>
                            <th scope="col">"Epoch"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || partitions.get().into_iter().map(|p| view! {
                            <tr>
                                <th scope="row">{p.partition.to_string()}</th>
                                <td>{p.leader.map_or("offline".to_string(), |l| l.to_string())}</td>
                                <td>{replicas_text(&p)}</td>
                                <td>{p.isr.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")}</td>
                                <td>{p.high_watermark.0}</td>
                                <td>{p.leader_epoch}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <MetricsView />
            </Show>
            <p class="error" role="alert">{move || error.get()}</p>
        </section>
    }
    .into_any()
}

/// One metric's line and its words (the chart's accessible name says what it shows).
fn metric_summary(m: &MetricSeries) -> String {
    match (m.samples.first(), m.samples.last()) {
        (Some(a), Some(b)) => format!(
            "{} from tick {} to {}: max {}, now {}",
            m.name,
            a.0,
            b.0,
            m.samples.iter().map(|s| s.1).max().unwrap_or(0),
            b.1
        ),
        _ => format!("{}: no samples yet (press Step or Play)", m.name),
    }
}

/// The cluster's metrics: a table row per metric with its value now and its recent line.
#[component]
fn MetricsView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let metrics = Memo::new(move |_| engine.read(|pg| pg.cluster_metrics()));
    view! {
        <table class="metrics-table">
            <caption>"Broker metrics (JMX names), over the newest ticks"</caption>
            <thead>
                <tr>
                    <th scope="col">"Metric"</th>
                    <th scope="col">"Now"</th>
                    <th scope="col">"Over time"</th>
                </tr>
            </thead>
            <tbody>
                {move || metrics.get().into_iter().map(|m| {
                    let now = m.samples.last().map_or(0, |s| s.1);
                    let summary = metric_summary(&m);
                    let points = chart_points(&m.samples);
                    view! {
                        <tr>
                            <th scope="row"><abbr title=m.meaning>{m.name}</abbr></th>
                            <td>{now}</td>
                            <td>
                                <svg class="metric-chart" role="img" aria-label=summary viewBox="0 0 320 70" preserveAspectRatio="none">
                                    <polyline fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke" points=points />
                                </svg>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
