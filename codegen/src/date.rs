//! Calendar dates, for sunsets: parsed from definitions (`YYYY-MM-DD`) and today's, in UTC.
//!
//! "Today" is a value rather than a clock read deep inside the checker, so that tests (and
//! [`crate::Baseline::today`]) can check definitions as of any day.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A day of the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a text is not a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date: expected `YYYY-MM-DD`, a real calendar day")]
pub struct DateError(String);

impl Date {
    /// Today in UTC, from the system clock (a clock before 1970 counts as 1970-01-01).
    pub fn today() -> Date {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_unix_days(i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2))
    }

    /// The day `days` after 1970-01-01.
    pub(crate) fn from_unix_days(days: i64) -> Date {
        // Howard Hinnant's `civil_from_days`: eras of 400 years, March-based years.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: month as u8,
            day: day as u8,
        }
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        let error = || DateError(text.to_owned());
        // TOML's date syntax checks the calendar (no 2027-02-29).
        let parsed: toml::value::Datetime = text.parse().map_err(|_| error())?;
        match (parsed.date, parsed.time, parsed.offset) {
            (Some(date), None, None) if text.len() == 10 => Ok(Date {
                year: i32::from(date.year),
                month: date.month,
                day: date.day,
            }),
            _ => Err(error()),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::Date;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn parses_real_days_only() {
        assert_eq!(date("2027-06-30").to_string(), "2027-06-30");
        assert_eq!(date("2028-02-29").to_string(), "2028-02-29");
        for bad in [
            "2027-02-29",
            "2027-13-01",
            "27-06-30",
            "2027-06-30T10:00:00",
            "",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_days_from_the_epoch() {
        assert_eq!(Date::from_unix_days(0), date("1970-01-01"));
        assert_eq!(Date::from_unix_days(19_723), date("2024-01-01"));
        assert_eq!(Date::from_unix_days(19_782), date("2024-02-29"));
        assert_eq!(Date::from_unix_days(-1), date("1969-12-31"));
        assert!(Date::today() > date("2024-01-01"));
    }

    #[test]
    fn orders_by_day() {
        assert!(date("2027-06-30") < date("2027-07-01"));
        assert!(date("2026-12-31") < date("2027-01-01"));
    }
}
