//! What the Cluster panel shows and does: the run's brokers (with racks, running or not)
//! and every partition's leader, replicas with their log end offsets, ISR, high watermark
//! and leader epoch, from the engine's cluster; killing and restarting a broker, each a
//! logged engine command, so it replays, rewinds and travels in a share link.

use super::Playground;
use orderflow_engine::cluster::replication::{BrokerState, PartitionView};
use orderflow_engine::cluster::BrokerId;
use orderflow_engine::sim::{Command, SimError};

impl Playground {
    /// The run's brokers in id order (empty: no brokers set, one implicit broker).
    pub fn brokers(&self) -> Vec<BrokerState> {
        self.sim()
            .cluster()
            .map(|c| c.brokers().cloned().collect())
            .unwrap_or_default()
    }

    /// Every replicated partition, in topic and partition order.
    pub fn replicated_partitions(&self) -> Vec<PartitionView> {
        self.sim()
            .cluster()
            .map(|c| c.partitions())
            .unwrap_or_default()
    }

    /// Kills a running broker, or restarts a killed one (a logged engine command).
    pub fn toggle_broker(&mut self, broker: BrokerId) -> Result<(), SimError> {
        let running = self.sim().cluster().is_some_and(|c| c.is_alive(broker));
        let command = if running {
            Command::KillBroker { broker }
        } else {
            Command::RestartBroker { broker }
        };
        self.try_command(command)
    }
}

#[cfg(test)]
mod tests {
    use crate::playground::Playground;
    use crate::presets::preset;
    use orderflow_engine::cluster::BrokerId;

    #[test]
    fn killing_and_restarting_a_broker_is_logged_and_shows_in_the_isr() {
        let mut pg = Playground::new(preset("cluster-acks-all-min-insync").unwrap().session);
        pg.step();
        assert_eq!(pg.brokers().len(), 3);
        pg.toggle_broker(BrokerId(2)).unwrap();
        assert!(!pg.brokers()[1].alive);
        let p1 = pg.replicated_partitions()[1].clone();
        assert_eq!(p1.leader, Some(BrokerId(3)), "broker 2 led orders-1");
        assert!(!p1.isr.contains(&BrokerId(2)));
        pg.toggle_broker(BrokerId(2)).unwrap();
        pg.step();
        assert!(pg.brokers()[1].alive);
        assert!(pg.replicated_partitions()[1].isr.contains(&BrokerId(2)));
        // Both actions are in the log: a replay sees the same cluster.
        let mut replay = Playground::new(pg.session().clone());
        replay.replay_to(pg.now());
        assert_eq!(replay.replicated_partitions(), pg.replicated_partitions());
    }
}
