//! Deadlines (时限): a limit started at a time, with its yellow-light threshold.

use serde::{Deserialize, Serialize};

use crate::domain::calendar::{Light, Millis, TimeLimit, WorkCalendar};

/// A deadline (时限) with its yellow-light threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// When the clock started.
    pub started: Millis,
    /// The limit.
    pub limit: TimeLimit,
    /// When 80 % of the limit is used (yellow).
    pub warn_at: Millis,
    /// When the limit runs out (red after this).
    pub due: Millis,
}

impl Deadline {
    /// A deadline of `limit` starting at `started` on `calendar`.
    pub fn new(calendar: &WorkCalendar, started: Millis, limit: TimeLimit) -> Deadline {
        Deadline {
            started,
            limit,
            warn_at: calendar.warn_at(started, limit),
            due: calendar.add(started, limit),
        }
    }

    /// A year this deadline runs through whose public holidays the calendar does not list
    /// (未覆盖年份): its due time counted weekends only there, and is shown flagged.
    pub fn uncovered(&self, calendar: &WorkCalendar) -> Option<i32> {
        calendar.uncovered_between(self.started, self.due)
    }

    /// The light at `now`.
    pub fn light(&self, now: Millis) -> Light {
        WorkCalendar::light_at(self.warn_at, self.due, now)
    }
}
