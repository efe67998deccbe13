//! The saga's retry schedule as a timeline: when each attempt of a failing record runs, and
//! when it goes to the dead-letter topic (the seed documents' "immediately, 1 s, 5 s, 30 s,
//! 2 min, then the DLQ"), read from the engine's [`RetrySchedule`] so the drawing says what
//! the consumers really do.

use orderflow_engine::saga::retry::RetrySchedule;

/// One attempt on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryMark {
    /// 1 for the delivery, 2 for the first retry, ...
    pub attempt: u32,
    /// When it runs, in words: "on delivery", "immediately", "after 5 s", "after 2 min".
    pub when: String,
    /// Ticks after the delivery (attempt 1).
    pub at_ticks: u64,
    /// Where it stands along the timeline, 0 to 1 (a square-root scale, so the retries a
    /// second apart do not sit on top of each other beside a two-minute wait).
    pub position: f64,
}

/// The attempts of `schedule` in order, then where the record goes.
pub fn retry_timeline(schedule: &RetrySchedule) -> (Vec<RetryMark>, String) {
    let mut marks = vec![RetryMark {
        attempt: 1,
        when: "on delivery".to_string(),
        at_ticks: 0,
        position: 0.0,
    }];
    let mut at = 0u64;
    for (i, seconds) in schedule.delays_seconds.iter().enumerate() {
        at = at.saturating_add(seconds.saturating_mul(schedule.ticks_per_second.max(1)));
        marks.push(RetryMark {
            attempt: i as u32 + 2,
            when: delay_words(*seconds),
            at_ticks: at,
            position: 0.0,
        });
    }
    let end = (at as f64).sqrt().max(1.0);
    for mark in &mut marks {
        mark.position = (mark.at_ticks as f64).sqrt() / end;
    }
    let last = marks.len();
    let then = format!(
        "If attempt {last} (at tick +{at}) fails too, the record goes to the dead-letter topic."
    );
    (marks, then)
}

/// A delay in words: "immediately", "after 30 s", "after 2 min".
fn delay_words(seconds: u64) -> String {
    match seconds {
        0 => "immediately".to_string(),
        s if s >= 60 && s % 60 == 0 => format!("after {} min", s / 60),
        s => format!("after {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_is_the_seed_documents_one() {
        let (marks, then) = retry_timeline(&RetrySchedule::default());
        let words: Vec<&str> = marks.iter().map(|m| m.when.as_str()).collect();
        assert_eq!(
            words,
            [
                "on delivery",
                "immediately",
                "after 1 s",
                "after 5 s",
                "after 30 s",
                "after 2 min"
            ]
        );
        let at: Vec<u64> = marks.iter().map(|m| m.at_ticks).collect();
        assert_eq!(at, [0, 0, 1, 6, 36, 156]);
        assert_eq!(marks.last().map(|m| m.position), Some(1.0));
        assert!(marks.windows(2).all(|w| w[0].position <= w[1].position));
        assert_eq!(
            then,
            "If attempt 6 (at tick +156) fails too, the record goes to the dead-letter topic."
        );
    }

    #[test]
    fn seconds_become_ticks_at_the_schedules_rate() {
        let schedule = RetrySchedule {
            delays_seconds: vec![2, 90],
            ticks_per_second: 10,
        };
        let (marks, _) = retry_timeline(&schedule);
        let at: Vec<u64> = marks.iter().map(|m| m.at_ticks).collect();
        assert_eq!(at, [0, 20, 920]);
        assert_eq!(marks[2].when, "after 90 s");
    }

    #[test]
    fn no_retries_dead_letters_after_the_delivery() {
        let schedule = RetrySchedule {
            delays_seconds: vec![],
            ticks_per_second: 1,
        };
        let (marks, then) = retry_timeline(&schedule);
        assert_eq!(marks.len(), 1);
        assert_eq!(marks[0].position, 0.0);
        assert_eq!(
            then,
            "If attempt 1 (at tick +0) fails too, the record goes to the dead-letter topic."
        );
    }
}
