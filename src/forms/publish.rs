//! "Publish by hand": one order event to the selected topic, keyed by the topic's key field.

use crate::session::{Setup, MAX_FIELD_CHARS};
use orderflow_engine::log::OrderEvent;

/// Why an event was not published. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PublishFormError {
    #[error("{field} is the partition key: enter one to publish.")]
    MissingKey { field: &'static str },
    #[error("{field} has {length} characters; at most {max} are accepted.")]
    TooLong {
        field: &'static str,
        length: usize,
        max: usize,
    },
}

/// The publish form's fields as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishDraft {
    pub user_id: String,
    pub order_id: String,
    /// One of [`orderflow_engine::sim::ORDER_LIFECYCLE`] (a select).
    pub status: String,
}

impl PublishDraft {
    /// The event these fields describe for a topic set up as `setup`: ids trimmed, and the
    /// field the topic keys by must not be empty (a topic without a key takes any).
    pub fn parse(&self, setup: &Setup) -> Result<OrderEvent, PublishFormError> {
        // Counted before trimming or copying: a 50 MB paste is refused without a copy.
        for (field, text) in [("User ID", &self.user_id), ("Order ID", &self.order_id)] {
            let length = text.chars().count();
            if length > MAX_FIELD_CHARS {
                return Err(PublishFormError::TooLong {
                    field,
                    length,
                    max: MAX_FIELD_CHARS,
                });
            }
        }
        let event = OrderEvent {
            user_id: self.user_id.trim().to_string(),
            order_id: self.order_id.trim().to_string(),
            status: self.status.clone(),
        };
        if setup.keyed && setup.key_field.key_of(&event).is_empty() {
            return Err(PublishFormError::MissingKey {
                field: setup.key_field.label(),
            });
        }
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::KeyField;

    fn draft(user: &str, order: &str) -> PublishDraft {
        PublishDraft {
            user_id: user.into(),
            order_id: order.into(),
            status: "Paid".into(),
        }
    }

    #[test]
    fn the_key_field_of_the_topic_must_be_given_and_ids_are_trimmed() {
        let by_user = Setup::default();
        let event = draft(" U1 ", " O2 ").parse(&by_user).unwrap();
        assert_eq!(
            (
                event.user_id.as_str(),
                event.order_id.as_str(),
                event.status.as_str()
            ),
            ("U1", "O2", "Paid")
        );
        assert_eq!(
            draft("  ", "O2").parse(&by_user).unwrap_err().to_string(),
            "User ID is the partition key: enter one to publish."
        );
        // Keyed by order: the user may be empty, the order not.
        let by_order = Setup {
            key_field: KeyField::OrderId,
            ..Setup::default()
        };
        assert!(draft("", "O2").parse(&by_order).is_ok());
        assert_eq!(
            draft("U1", "").parse(&by_order),
            Err(PublishFormError::MissingKey { field: "Order ID" })
        );
        // No key: anything goes, spread round-robin or sticky.
        let unkeyed = Setup {
            keyed: false,
            ..Setup::default()
        };
        assert!(draft("", "").parse(&unkeyed).is_ok());
    }

    #[test]
    fn a_key_or_value_longer_than_the_limit_is_refused_with_its_length() {
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        assert_eq!(
            draft(&long, "O1").parse(&Setup::default()),
            Err(PublishFormError::TooLong {
                field: "User ID",
                length: MAX_FIELD_CHARS + 1,
                max: MAX_FIELD_CHARS
            })
        );
        assert!(matches!(
            draft("U1", &long).parse(&Setup::default()),
            Err(PublishFormError::TooLong {
                field: "Order ID",
                ..
            })
        ));
        let longest = "é".repeat(MAX_FIELD_CHARS);
        assert!(draft(&longest, &longest).parse(&Setup::default()).is_ok());
    }
}
