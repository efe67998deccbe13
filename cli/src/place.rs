//! `orderflow-cli place`: where Kafka puts each partition's replicas, leader first.
//!
//! ```text
//! orderflow-cli place --brokers 0:rack1,1:rack3,2:rack3,3:rack2,4:rack2,5:rack1 \
//!     --partitions 7 --replication-factor 3 --start-index 0
//! {"0":[0,3,1],"1":[3,1,5],"2":[1,5,4],"3":[5,4,2],"4":[4,2,0],"5":[2,0,3],"6":[0,4,2]}
//! ```
//! The placement is Kafka's `AdminUtils.assignReplicasToBrokers` (the engine's
//! `cluster::placement`). The brokers are taken in id order, as Kafka's
//! `getBrokerMetadatas` hands them to it, so `--brokers 2,0,1` is the cluster `0,1,2`.
//! The JSON object is written as it is computed, partition by partition, so a topic of
//! two billion partitions streams out without being held in memory.

use clap::Args;
use orderflow_engine::cluster::placement::{
    assign_replicas_to_brokers, BrokerMetadata, PlacementError,
};
use std::io::{BufWriter, Write};

/// Arguments of `orderflow-cli place`.
#[derive(Args, Debug)]
pub struct PlaceArgs {
    /// The brokers, comma-separated: `ID` each (no racks) or `ID:RACK` each (rack-aware).
    #[arg(long, value_parser = parse_brokers, allow_hyphen_values = true)]
    pub brokers: Brokers,
    /// How many partitions to place (Kafka's `nPartitions`, a Java int).
    #[arg(long, allow_negative_numbers = true)]
    pub partitions: i32,
    /// Replicas per partition (Kafka's `replicationFactor`), at most the number of brokers.
    #[arg(long, allow_negative_numbers = true)]
    pub replication_factor: i32,
    /// Kafka's `fixedStartIndex`: where in the broker list the first partition's leader is,
    /// and the followers' initial shift (Kafka draws both at random when it is not given).
    #[arg(long, allow_negative_numbers = true)]
    pub start_index: i32,
    /// Kafka's `startPartitionId`: the first partition id to place (adding partitions to a
    /// topic starts at its current count). Negative means 0, as in Kafka.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub start_partition: i32,
}

/// The `--brokers` list, sorted by broker id.
#[derive(Clone, Debug)]
pub struct Brokers(pub Vec<BrokerMetadata>);

/// Why `place` refused its input.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// An item of `--brokers` that is not `ID` or `ID:RACK`.
    #[error("--brokers item {item:?} is not ID or ID:RACK (ID a whole number up to 2147483647)")]
    BadBroker {
        /// The item as given.
        item: String,
    },
    /// `ID:` with nothing after the colon.
    #[error("--brokers item {item:?} has an empty rack")]
    EmptyRack {
        /// The item as given.
        item: String,
    },
    /// Kafka (or the engine) refused the placement.
    #[error(transparent)]
    Placement(#[from] PlacementError),
    /// Writing to stdout failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

fn parse_brokers(list: &str) -> Result<Brokers, PlaceError> {
    let mut brokers = list
        .split(',')
        .map(|item| {
            let bad = || PlaceError::BadBroker {
                item: item.to_owned(),
            };
            let (id, rack) = match item.split_once(':') {
                Some((id, rack)) => (id, Some(rack)),
                None => (item, None),
            };
            let id: i32 = id.trim().parse().map_err(|_| bad())?;
            match rack {
                None => Ok(BrokerMetadata::new(id)),
                Some("") => Err(PlaceError::EmptyRack {
                    item: item.to_owned(),
                }),
                Some(rack) => Ok(BrokerMetadata::on_rack(id, rack)),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Kafka's `getBrokerMetadatas` sorts by id before placing; stable, so a repeated id
    // stays visible to the engine, which refuses it.
    brokers.sort_by_key(|b| b.id);
    Ok(Brokers(brokers))
}

/// Places the partitions (validating everything first, so bad input prints nothing on
/// stdout) and writes them to `out` as one JSON object, keys in partition order.
pub fn run(args: &PlaceArgs, out: &mut impl Write) -> Result<(), PlaceError> {
    let assignment = assign_replicas_to_brokers(
        &args.brokers.0,
        args.partitions,
        args.replication_factor,
        args.start_index,
        args.start_partition,
    )?;
    let mut out = BufWriter::new(out);
    out.write_all(b"{")?;
    for (i, (partition, replicas)) in assignment.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "\"{partition}\":[")?;
        for (j, broker) in replicas.iter().enumerate() {
            if j > 0 {
                out.write_all(b",")?;
            }
            write!(out, "{broker}")?;
        }
        out.write_all(b"]")?;
    }
    out.write_all(b"}\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(brokers: &Brokers) -> Vec<(i32, Option<&str>)> {
        brokers
            .0
            .iter()
            .map(|b| (b.id.0, b.rack.as_deref()))
            .collect()
    }

    #[test]
    fn brokers_parse_with_and_without_racks_sorted_by_id() {
        let parsed = parse_brokers("3:rack2,0:rack1,-1:r").unwrap();
        assert_eq!(
            ids(&parsed),
            vec![(-1, Some("r")), (0, Some("rack1")), (3, Some("rack2"))]
        );
        assert_eq!(
            ids(&parse_brokers("2,0,1").unwrap()),
            vec![(0, None), (1, None), (2, None)]
        );
    }

    #[test]
    fn bad_broker_items_are_named() {
        for (list, item) in [
            ("0,x", "x"),
            ("0,,1", ""),
            ("", ""),
            ("2147483648", "2147483648"),
        ] {
            match parse_brokers(list) {
                Err(PlaceError::BadBroker { item: bad }) => assert_eq!(bad, item, "{list}"),
                other => panic!("{list}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_brokers("0:"),
            Err(PlaceError::EmptyRack { .. })
        ));
    }
}
