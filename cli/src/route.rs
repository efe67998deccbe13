//! `orderflow-cli route`: which partition each key goes to, one JSON object per key.
//!
//! ```text
//! orderflow-cli route --partitioner {murmur2|crc32|eventhubs} --partitions N [--hex] KEY...
//! {"key":"user-1","hash":-1398866412,"partition":2}
//! ```
//! `hash` is the hash as the reference library exposes it (murmur2: signed 32-bit `int`;
//! crc32: unsigned 32-bit; eventhubs: signed 16-bit `short`); `key` is echoed as given.
//!
//! `--partitions` goes up to Kafka's limit, 2147483647 (a Java `int`): routing is only
//! arithmetic, unlike a topic the simulation holds (at most
//! `orderflow_engine::topic::MAX_PARTITIONS`).

use clap::Args;
use orderflow_engine::partitioner::{Partitioner, PartitionerError, MAX_PARTITIONS};
use serde::Serialize;
use std::io::Write;

/// Arguments of `orderflow-cli route`.
#[derive(Args, Debug)]
pub struct RouteArgs {
    /// Keyed partitioner: murmur2 (Kafka Java client), crc32 (librdkafka), eventhubs (Azure).
    #[arg(long, default_value = "murmur2", value_parser = parse_partitioner)]
    pub partitioner: Partitioner,
    /// Number of partitions of the topic, 1 to 2147483647 (Kafka's int range).
    #[arg(long, allow_negative_numbers = true)]
    pub partitions: i64,
    /// Each KEY is the hex of the key bytes (so empty and binary keys work: "" is empty).
    #[arg(long)]
    pub hex: bool,
    /// Keys to route, in order. Negative numbers work as they are; put `--` before other keys
    /// that start with a hyphen.
    #[arg(required = true, allow_negative_numbers = true)]
    pub keys: Vec<String>,
}

/// Why `route` refused its input.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// `--partitions` outside 1..=2147483647.
    #[error("--partitions {partitions} is out of range: expected 1 to {max}")]
    PartitionsOutOfRange {
        /// The count that was given.
        partitions: i64,
        /// The largest count accepted.
        max: u32,
    },
    /// With `--hex`, a key with an odd number of digits.
    #[error("key {key:?} is not hex: it has an odd number of digits ({digits})")]
    OddHexDigits {
        /// The key as given.
        key: String,
        /// How many characters it has.
        digits: usize,
    },
    /// With `--hex`, a key with a character that is not a hex digit.
    #[error("key {key:?} is not hex: {character:?} at position {position} is not a hex digit")]
    NotHex {
        /// The key as given.
        key: String,
        /// The offending character.
        character: char,
        /// Its character position (0-based).
        position: usize,
    },
    /// The engine refused the routing (should not happen after the checks above).
    #[error(transparent)]
    Partitioner(#[from] PartitionerError),
    /// Writing to stdout failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

fn parse_partitioner(name: &str) -> Result<Partitioner, PartitionerError> {
    name.parse()
}

/// One output line.
#[derive(Serialize)]
struct RouteLine<'a> {
    key: &'a str,
    hash: i64,
    partition: u32,
}

/// Decodes a hex string (either case) into bytes.
pub fn decode_hex(key: &str) -> Result<Vec<u8>, RouteError> {
    let digits: Vec<(usize, char)> = key.chars().enumerate().collect();
    if digits.len() % 2 != 0 {
        return Err(RouteError::OddHexDigits {
            key: key.to_owned(),
            digits: digits.len(),
        });
    }
    let value = |(position, character): (usize, char)| {
        character.to_digit(16).ok_or_else(|| RouteError::NotHex {
            key: key.to_owned(),
            character,
            position,
        })
    };
    digits
        .chunks_exact(2)
        .map(|pair| Ok((value(pair[0])? * 16 + value(pair[1])?) as u8))
        .collect()
}

/// Validates everything first (so bad input prints nothing on stdout), then writes one JSON
/// line per key to `out`.
pub fn run(args: &RouteArgs, out: &mut impl Write) -> Result<(), RouteError> {
    let partitions = u32::try_from(args.partitions)
        .ok()
        .filter(|n| (1..=MAX_PARTITIONS).contains(n))
        .ok_or(RouteError::PartitionsOutOfRange {
            partitions: args.partitions,
            max: MAX_PARTITIONS,
        })?;
    let key_bytes: Vec<Vec<u8>> = args
        .keys
        .iter()
        .map(|key| {
            if args.hex {
                decode_hex(key)
            } else {
                Ok(key.as_bytes().to_vec())
            }
        })
        .collect::<Result<_, _>>()?;
    for (key, bytes) in args.keys.iter().zip(&key_bytes) {
        let routing = args.partitioner.try_route(bytes, partitions)?;
        let line = RouteLine {
            key,
            hash: routing.hash,
            partition: routing.partition.0,
        };
        serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_hex_accepts_both_cases_and_empty() {
        assert_eq!(decode_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(decode_hex("00ffAb").unwrap(), vec![0x00, 0xff, 0xab]);
    }

    #[test]
    fn decode_hex_rejects_odd_and_non_hex_without_panicking() {
        assert!(matches!(
            decode_hex("abc"),
            Err(RouteError::OddHexDigits { digits: 3, .. })
        ));
        assert!(matches!(
            decode_hex("zz"),
            Err(RouteError::NotHex {
                character: 'z',
                position: 0,
                ..
            })
        ));
        // Multi-byte characters must not be sliced through.
        assert!(matches!(
            decode_hex("0é"),
            Err(RouteError::NotHex {
                character: 'é',
                position: 1,
                ..
            })
        ));
    }
}
