//! A record as a partition log keeps it, and [`RecordRef`], the view a reader gets.
//!
//! A [`Record`] is 168 bytes natively (its key, three order strings and correlation id are
//! `String`s of 24 bytes each, and most records have no correlation or causation id). A
//! log keeps each record as a [`Stored`] of 32 bytes: the key and an order event's three
//! strings are copied, back to back, into their chunk's text (one `String` per 1,024
//! records, so no allocation per string), and the record keeps where they start and how
//! long each is; the offset is implicit (the log's start plus the position) and the tick
//! counts from the chunk's first. Anything else (a saga message, a correlation or
//! causation id, a schema version other than 1, a string of 65,534 bytes or more, a tick
//! 4 billion ticks after the chunk's first) goes into a boxed [`Rest`] that only the
//! records that need it pay for.

use super::{Headers, OrderEvent, Payload, Record};
use crate::ids::{EventId, Offset, Tick};
use std::borrow::Cow;

/// `lens[KEY]` of a record without a key.
const NO_KEY: u16 = u16::MAX;
/// `lens[KEY]` of a record whose key and value are in its [`Rest`].
const IN_REST: u16 = u16::MAX - 1;
/// Positions in [`Stored::lens`].
const KEY: usize = 0;
const USER: usize = 1;
const ORDER: usize = 2;
const STATUS: usize = 3;

/// What a record holds beyond the compact form: rare headers, and the key and value when
/// the value is not an order event (or a string is too long for the compact form).
#[derive(Clone, Debug, Default)]
pub(super) struct Rest {
    /// Set when `lens[KEY] == IN_REST`.
    key: Option<String>,
    /// Set when `lens[KEY] == IN_REST`.
    value: Option<Payload>,
    correlation_id: Option<String>,
    causation_id: Option<EventId>,
    /// Set when the tick is not within `u32::MAX - 1` ticks after the chunk's first.
    tick: Option<Tick>,
    /// Set when the schema version is not 1.
    schema_version: Option<u16>,
}

/// `Stored::tick` of a record whose tick is in its [`Rest`].
const TICK_IN_REST: u32 = u32::MAX;
/// The schema version nearly every record has.
const USUAL_SCHEMA_VERSION: u16 = 1;

/// What the records of one chunk share: the text their strings are in, and the tick
/// their ticks count from.
#[derive(Clone, Debug, Default)]
pub(super) struct Shared {
    pub(super) text: String,
    pub(super) first_tick: Tick,
}

/// One record in a chunk; its strings are in the chunk's text.
#[derive(Clone, Debug)]
pub(super) struct Stored {
    event_id: EventId,
    rest: Option<Box<Rest>>,
    /// Ticks after the chunk's first ([`TICK_IN_REST`]: in the rest).
    tick: u32,
    /// Where the record's strings start in the chunk's text.
    start: u32,
    /// Byte lengths of the key ([`NO_KEY`], [`IN_REST`]), user id, order id and status,
    /// stored in that order from `start`.
    lens: [u16; 4],
}

/// A length that fits the compact form.
fn short(s: &str) -> Option<u16> {
    u16::try_from(s.len()).ok().filter(|&n| n < IN_REST)
}

impl Stored {
    /// Stores a record, appending its strings to the chunk's text.
    pub(super) fn new(
        shared: &mut Shared,
        key: Option<&str>,
        value: Payload,
        tick: Tick,
        headers: Headers,
    ) -> Stored {
        let Headers {
            event_id,
            correlation_id,
            causation_id,
            schema_version,
        } = headers;
        let delta = tick.0.checked_sub(shared.first_tick.0);
        let delta = delta.and_then(|d| u32::try_from(d).ok().filter(|&d| d != TICK_IN_REST));
        let mut rest = Rest {
            correlation_id,
            causation_id,
            tick: delta.is_none().then_some(tick),
            schema_version: (schema_version != USUAL_SCHEMA_VERSION).then_some(schema_version),
            ..Rest::default()
        };
        let text = &mut shared.text;
        let start = u32::try_from(text.len()).ok();
        let text_len = start.unwrap_or(u32::MAX);
        let key_len = match key {
            None => Some(NO_KEY),
            Some(k) => short(k),
        };
        let order = match (&value, start, key_len) {
            (Payload::Order(o), Some(start), Some(key_len)) => {
                match (short(&o.user_id), short(&o.order_id), short(&o.status)) {
                    (Some(u), Some(i), Some(s)) => Some((start, [key_len, u, i, s])),
                    _ => None,
                }
            }
            _ => None,
        };
        let (start, lens) = match order {
            Some((start, lens)) => {
                let Payload::Order(o) = &value else {
                    unreachable!("matched as an order above")
                };
                text.extend([key.unwrap_or(""), &o.user_id, &o.order_id, &o.status]);
                (start, lens)
            }
            None => {
                rest.key = key.map(str::to_owned);
                rest.value = Some(value);
                (text_len, [IN_REST, 0, 0, 0])
            }
        };
        let has_rest = rest.value.is_some()
            || rest.correlation_id.is_some()
            || rest.causation_id.is_some()
            || rest.tick.is_some()
            || rest.schema_version.is_some();
        Stored {
            event_id,
            rest: has_rest.then(|| Box::new(rest)),
            tick: delta.unwrap_or(TICK_IN_REST),
            start,
            lens,
        }
    }

    /// Where the strings of this record start in the chunk's text (where the text
    /// ended when it was stored, if it has none there).
    pub(super) fn text_start(&self) -> usize {
        self.start as usize
    }

    /// The record's tick, in a chunk whose records share `shared`.
    pub(super) fn tick(&self, shared: &Shared) -> Tick {
        match self.rest.as_deref().and_then(|r| r.tick) {
            Some(tick) => tick,
            None => Tick(shared.first_tick.0 + u64::from(self.tick)),
        }
    }
}

/// An order event as a log keeps it, borrowed: the fields of an [`OrderEvent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderRef<'a> {
    /// The user (the default key).
    pub user_id: &'a str,
    /// The order.
    pub order_id: &'a str,
    /// Its lifecycle status.
    pub status: &'a str,
}

impl OrderRef<'_> {
    /// The owned event.
    pub fn to_owned(self) -> OrderEvent {
        OrderEvent {
            user_id: self.user_id.to_owned(),
            order_id: self.order_id.to_owned(),
            status: self.status.to_owned(),
        }
    }
}

/// One record of a partition log, as a reader sees it: the fields of a [`Record`],
/// read from the log's compact form (see the module's docs) without copying.
#[derive(Clone, Copy, Debug)]
pub struct RecordRef<'a> {
    stored: &'a Stored,
    shared: &'a Shared,
    offset: Offset,
}

impl<'a> RecordRef<'a> {
    pub(super) fn new(stored: &'a Stored, shared: &'a Shared, offset: Offset) -> Self {
        RecordRef {
            stored,
            shared,
            offset,
        }
    }

    fn rest(&self) -> Option<&'a Rest> {
        self.stored.rest.as_deref()
    }

    /// The `i`th of the record's strings in the chunk's text.
    fn string(&self, i: usize) -> &'a str {
        let lens = &self.stored.lens;
        let key = if lens[KEY] == NO_KEY { 0 } else { lens[KEY] };
        let before: usize = [key, lens[USER], lens[ORDER], lens[STATUS]][..i]
            .iter()
            .map(|&n| usize::from(n))
            .sum();
        let from = self.stored.start as usize + before;
        let len = if i == KEY {
            usize::from(key)
        } else {
            usize::from(lens[i])
        };
        &self.shared.text[from..from + len]
    }

    /// Its position in the partition.
    pub fn offset(&self) -> Offset {
        self.offset
    }

    /// The tick at which the record was appended (its timestamp).
    pub fn tick(&self) -> Tick {
        self.stored.tick(self.shared)
    }

    /// `None` for records produced without a key.
    pub fn key(&self) -> Option<&'a str> {
        match self.stored.lens[KEY] {
            NO_KEY => None,
            IN_REST => self.rest().and_then(|r| r.key.as_deref()),
            _ => Some(self.string(KEY)),
        }
    }

    /// The order event, if the value is one.
    pub fn order(&self) -> Option<OrderRef<'a>> {
        if self.stored.lens[KEY] != IN_REST {
            return Some(OrderRef {
                user_id: self.string(USER),
                order_id: self.string(ORDER),
                status: self.string(STATUS),
            });
        }
        match self.rest()?.value.as_ref()? {
            Payload::Order(o) => Some(OrderRef {
                user_id: &o.user_id,
                order_id: &o.order_id,
                status: &o.status,
            }),
            _ => None,
        }
    }

    /// The value when it is kept whole (every value but a compact order event: a saga
    /// message, a dead letter), borrowed for as long as the log.
    pub fn kept_value(&self) -> Option<&'a Payload> {
        self.rest()?.value.as_ref()
    }

    /// The record's value: borrowed when kept whole, built for an order event.
    pub fn value(&self) -> Cow<'a, Payload> {
        match self.kept_value() {
            Some(value) => Cow::Borrowed(value),
            None => Cow::Owned(Payload::Order(
                self.order().map(OrderRef::to_owned).unwrap_or(OrderEvent {
                    user_id: String::new(),
                    order_id: String::new(),
                    status: String::new(),
                }),
            )),
        }
    }

    /// Unique id of the event.
    pub fn event_id(&self) -> EventId {
        self.stored.event_id
    }

    /// The business flow the event belongs to, if it names one.
    pub fn correlation_id(&self) -> Option<&'a str> {
        self.rest()?.correlation_id.as_deref()
    }

    /// The event that caused this one, if any.
    pub fn causation_id(&self) -> Option<EventId> {
        self.rest()?.causation_id
    }

    /// Version of the payload's schema.
    pub fn schema_version(&self) -> u16 {
        self.rest()
            .and_then(|r| r.schema_version)
            .unwrap_or(USUAL_SCHEMA_VERSION)
    }

    /// The headers, owned.
    pub fn headers(&self) -> Headers {
        Headers {
            event_id: self.event_id(),
            correlation_id: self.correlation_id().map(str::to_owned),
            causation_id: self.causation_id(),
            schema_version: self.schema_version(),
        }
    }

    /// The owned record.
    pub fn to_record(&self) -> Record {
        Record {
            offset: self.offset,
            key: self.key().map(str::to_owned),
            value: self.value().into_owned(),
            tick: self.tick(),
            headers: self.headers(),
        }
    }
}

impl PartialEq for RecordRef<'_> {
    /// Equal when every field of the records is (whatever the storage).
    fn eq(&self, other: &Self) -> bool {
        self.offset == other.offset
            && self.tick() == other.tick()
            && self.key() == other.key()
            && self.event_id() == other.event_id()
            && self.correlation_id() == other.correlation_id()
            && self.causation_id() == other.causation_id()
            && self.schema_version() == other.schema_version()
            && match (self.kept_value(), other.kept_value()) {
                (None, None) => self.order() == other.order(),
                _ => self.value() == other.value(),
            }
    }
}

impl Eq for RecordRef<'_> {}

impl PartialEq<Record> for RecordRef<'_> {
    fn eq(&self, other: &Record) -> bool {
        self.to_record() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_and_back(key: Option<&str>, value: Payload, tick: Tick, headers: Headers) -> Record {
        let mut shared = Shared {
            text: String::from("before"),
            first_tick: Tick(5),
        };
        let stored = Stored::new(&mut shared, key, value, tick, headers);
        RecordRef::new(&stored, &shared, Offset(3)).to_record()
    }

    #[test]
    fn a_record_reads_back_whatever_its_form() {
        let long = "x".repeat(70_000);
        let order = |user: &str| {
            Payload::Order(OrderEvent {
                user_id: user.into(),
                order_id: "O1".into(),
                status: "Paid".into(),
            })
        };
        let linked = Headers {
            event_id: EventId(9),
            correlation_id: Some("O1".into()),
            causation_id: Some(EventId(4)),
            schema_version: 2,
        };
        let far = Tick(5 + u64::from(u32::MAX));
        for (key, value, tick, headers) in [
            (Some("U1"), order("U1"), Tick(7), Headers::default()),
            (None, order(""), Tick(5), linked.clone()),
            (Some(long.as_str()), order("U1"), far, Headers::default()),
            (Some("U1"), order(&long), Tick(4), linked),
            (Some("U1"), order("U1"), Tick(u64::MAX), Headers::default()),
        ] {
            let expected = Record {
                offset: Offset(3),
                key: key.map(str::to_owned),
                value: value.clone(),
                tick,
                headers: headers.clone(),
            };
            assert_eq!(stored_and_back(key, value, tick, headers), expected);
        }
    }

    #[test]
    fn a_compact_order_record_is_at_most_32_bytes_and_boxes_nothing() {
        assert!(size_of::<Stored>() <= 32);
        let mut shared = Shared::default();
        let value = Payload::Order(OrderEvent {
            user_id: "U1".into(),
            order_id: "O1".into(),
            status: "Created".into(),
        });
        let stored = Stored::new(&mut shared, Some("U1"), value, Tick(3), Headers::default());
        assert!(stored.rest.is_none());
        assert_eq!(shared.text, "U1U1O1Created");
        assert_eq!(stored.text_start(), 0);
    }
}
