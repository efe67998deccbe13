//! The generator's fields: users, orders per tick, hot-key skew and user prefix, for bursts
//! and for the generator that publishes on every tick.

use crate::session::{GeneratorConfig, MAX_ORDERS_PER_TICK, MAX_USERS};

/// Why the generator's fields do not make a generator. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GeneratorFormError {
    #[error("Users must be a whole number from 1 to {max}.")]
    Users { max: u32 },
    #[error("Orders per tick must be a whole number from 1 to {max}.")]
    OrdersPerTick { max: u32 },
    #[error("Hot-key skew must be a whole percentage from 0 to 100.")]
    HotKeyPercent,
}

/// The generator's fields as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorDraft {
    pub users: String,
    pub orders_per_tick: String,
    /// The skew slider's value, a whole percentage (above 100 counts as 100).
    pub hot_key_percent: String,
    pub user_prefix: String,
}

impl From<&GeneratorConfig> for GeneratorDraft {
    /// The fields showing `config`.
    fn from(config: &GeneratorConfig) -> Self {
        Self {
            users: config.users.to_string(),
            orders_per_tick: config.orders_per_tick.to_string(),
            hot_key_percent: config.hot_key_percent.to_string(),
            user_prefix: config.user_prefix.clone(),
        }
    }
}

fn whole_number(text: &str, min: u32, max: u32) -> Option<u32> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
}

impl GeneratorDraft {
    /// The generator these fields describe, or why there is none.
    pub fn parse(&self) -> Result<GeneratorConfig, GeneratorFormError> {
        let users = whole_number(&self.users, 1, MAX_USERS)
            .ok_or(GeneratorFormError::Users { max: MAX_USERS })?;
        let orders_per_tick = whole_number(&self.orders_per_tick, 1, MAX_ORDERS_PER_TICK).ok_or(
            GeneratorFormError::OrdersPerTick {
                max: MAX_ORDERS_PER_TICK,
            },
        )?;
        Ok(GeneratorConfig {
            users,
            orders_per_tick,
            hot_key_percent: self.hot_key_percent()?,
            user_prefix: self.user_prefix.trim().to_string(),
        })
    }

    /// The skew slider's percentage (above 100 counts as 100).
    pub fn hot_key_percent(&self) -> Result<u8, GeneratorFormError> {
        let percent = self
            .hot_key_percent
            .trim()
            .parse::<u32>()
            .map_err(|_| GeneratorFormError::HotKeyPercent)?;
        Ok(percent.min(100) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> GeneratorDraft {
        GeneratorDraft::from(&GeneratorConfig::default())
    }

    #[test]
    fn the_fields_of_a_config_parse_back_to_it() {
        assert_eq!(draft().parse(), Ok(GeneratorConfig::default()));
        let typed = GeneratorDraft {
            users: " 50 ".into(),
            orders_per_tick: "7".into(),
            hot_key_percent: "150".into(),
            user_prefix: " user- ".into(),
        };
        let config = typed.parse().unwrap();
        assert_eq!(
            (config.users, config.orders_per_tick, config.hot_key_percent),
            (50, 7, 100)
        );
        assert_eq!(config.user_prefix, "user-");
    }

    #[test]
    fn users_and_rate_are_bounded_whole_numbers() {
        for users in ["0", "", "-3", "1.5", &(MAX_USERS + 1).to_string()] {
            let bad = GeneratorDraft {
                users: users.to_string(),
                ..draft()
            };
            assert_eq!(
                bad.parse(),
                Err(GeneratorFormError::Users { max: MAX_USERS }),
                "{users:?}"
            );
        }
        let bad = GeneratorDraft {
            orders_per_tick: (MAX_ORDERS_PER_TICK + 1).to_string(),
            ..draft()
        };
        assert_eq!(
            bad.parse().unwrap_err().to_string(),
            format!("Orders per tick must be a whole number from 1 to {MAX_ORDERS_PER_TICK}.")
        );
        let bad = GeneratorDraft {
            orders_per_tick: "0".into(),
            ..draft()
        };
        assert!(bad.parse().is_err());
    }
}
