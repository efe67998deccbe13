//! The seed field: the whole run replays under the seed typed.

/// Why a seed was refused. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeedFormError {
    #[error("The seed must be a whole number from 0 to {max}.")]
    NotANumber { max: u64 },
}

/// The seed field as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeedDraft {
    pub seed: String,
}

impl SeedDraft {
    /// The seed typed (surrounding spaces ignored), or why it is none.
    pub fn parse(&self) -> Result<u64, SeedFormError> {
        self.seed
            .trim()
            .parse::<u64>()
            .map_err(|_| SeedFormError::NotANumber { max: u64::MAX })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(text: &str) -> Result<u64, SeedFormError> {
        SeedDraft { seed: text.into() }.parse()
    }

    #[test]
    fn a_seed_is_any_whole_number_of_64_bits() {
        assert_eq!(seed(" 7 "), Ok(7));
        assert_eq!(seed("18446744073709551615"), Ok(u64::MAX));
        for bad in ["", "-1", "1.5", "18446744073709551616", "seven"] {
            assert!(seed(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            seed("x").unwrap_err().to_string(),
            "The seed must be a whole number from 0 to 18446744073709551615."
        );
    }
}
