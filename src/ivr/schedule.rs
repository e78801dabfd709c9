//! Named business-hours schedules: weekly opening hours plus holidays, evaluated on a local
//! civil date-time that the caller passes in (already converted to the site's time zone).
//!
//! Pure: reads no clock and knows no time zone; the driver converts UTC to site time.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::{Date, DateTime, Time, Weekday};

/// A schedule's name as flows refer to it (`trading_hours`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduleName(String);

impl ScheduleName {
    /// Validates a name: 1-64 letters, digits, `_`, `-`.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(ScheduleError::BadName(text.to_owned()))
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ScheduleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opening hours on a set of weekdays. When `close` is not after `open` the span runs past
/// midnight into the next day (a night desk, 22:00-06:00).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours {
    /// The days this span opens on.
    pub days: BTreeSet<DayOfWeek>,
    /// Opening time.
    pub open: Time,
    /// Closing time (exclusive).
    pub close: Time,
}

/// A weekday, ordered Monday first (wraps `jiff`'s weekday so it can live in sets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DayOfWeek(u8);

impl DayOfWeek {
    /// From `jiff`'s weekday.
    #[must_use]
    pub fn from_weekday(day: Weekday) -> Self {
        Self(u8::try_from(day.to_monday_zero_offset()).unwrap_or(0))
    }

    /// Reads `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        NAMES
            .iter()
            .position(|n| *n == text)
            .and_then(|i| u8::try_from(i).ok())
            .map(Self)
            .ok_or_else(|| ScheduleError::BadDay(text.to_owned()))
    }

    fn previous(self) -> Self {
        Self((self.0 + 6) % 7)
    }
}

/// A named schedule: open during any weekly span, closed all day on a holiday.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    /// Always open (the default of a flow that sets no hours).
    pub always_open: bool,
    /// Weekly opening spans.
    pub weekly: Vec<WeeklyHours>,
    /// Dates closed all day (public holidays of the business calendar).
    pub holidays: BTreeSet<Date>,
}

impl Schedule {
    /// A schedule that never closes.
    #[must_use]
    pub fn always() -> Self {
        Self {
            always_open: true,
            ..Self::default()
        }
    }

    /// Whether the schedule is open at a local date-time.
    #[must_use]
    pub fn is_open(&self, at: DateTime) -> bool {
        if self.always_open {
            return true;
        }
        if self.holidays.contains(&at.date()) {
            return false;
        }
        let today = DayOfWeek::from_weekday(at.weekday());
        let t = at.time();
        self.weekly.iter().any(|span| {
            if span.open < span.close {
                span.days.contains(&today) && span.open <= t && t < span.close
            } else {
                // Overnight: the evening part today, or the morning part of yesterday's span.
                (span.days.contains(&today) && t >= span.open)
                    || (span.days.contains(&today.previous()) && t < span.close)
            }
        })
    }
}

/// A schedule that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// A name with characters other than letters, digits, `_`, `-`.
    #[error("invalid schedule name {0:?}: use letters, digits, '_' or '-'")]
    BadName(String),
    /// A day that is not `mon`..`sun`.
    #[error("unknown day {0:?}: expected mon, tue, wed, thu, fri, sat or sun")]
    BadDay(String),
    /// A time that is not `HH:MM`.
    #[error("{0:?} is not a time of day (write 09:30)")]
    BadTime(String),
    /// A date that is not `YYYY-MM-DD`.
    #[error("{0:?} is not a date (write 2026-10-01)")]
    BadDate(String),
}

/// Reads `09:30` as a time of day.
pub fn parse_time(text: &str) -> Result<Time, ScheduleError> {
    text.parse::<Time>()
        .map_err(|_| ScheduleError::BadTime(text.to_owned()))
}

/// Reads `2026-10-01` as a date.
pub fn parse_date(text: &str) -> Result<Date, ScheduleError> {
    text.parse::<Date>()
        .map_err(|_| ScheduleError::BadDate(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekdays(open: &str, close: &str, days: &[&str]) -> WeeklyHours {
        WeeklyHours {
            days: days
                .iter()
                .filter_map(|d| DayOfWeek::parse(d).ok())
                .collect(),
            open: parse_time(open).expect("test time"),
            close: parse_time(close).expect("test time"),
        }
    }

    fn check(schedule: &Schedule, at: &str, expected: bool) {
        let at: DateTime = at.parse().expect("test date-time");
        assert_eq!(schedule.is_open(at), expected, "at {at}");
    }

    #[test]
    fn weekly_hours_and_holidays() {
        let s = Schedule {
            always_open: false,
            weekly: vec![
                weekdays("09:00", "17:30", &["mon", "tue", "wed", "thu", "fri"]),
                weekdays("22:00", "06:00", &["fri"]),
            ],
            holidays: [parse_date("2026-10-01").expect("test date")].into(),
        };
        check(&s, "2026-11-23T09:00", true); // Monday opening
        check(&s, "2026-11-23T08:59:59", false);
        check(&s, "2026-11-23T17:30", false); // close is exclusive
        check(&s, "2026-11-28T10:00", false); // Saturday
        check(&s, "2026-11-27T23:00", true); // Friday night desk
        check(&s, "2026-11-28T05:59", true); // ... into Saturday morning
        check(&s, "2026-11-28T06:00", false);
        check(&s, "2026-10-01T10:00", false); // National Day, a Thursday
        check(&Schedule::always(), "2026-10-01T03:00", true);
        check(&Schedule::default(), "2026-11-23T10:00", false);
    }

    #[test]
    fn bad_text_is_named() {
        assert_eq!(
            DayOfWeek::parse("monday").err().map(|e| e.to_string()),
            Some("unknown day \"monday\": expected mon, tue, wed, thu, fri, sat or sun".into())
        );
        assert!(parse_time("25:00").is_err());
        assert!(parse_date("2026-13-01").is_err());
        assert!(ScheduleName::parse("a b").is_err());
    }
}
