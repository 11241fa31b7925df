//! The date `strftime_now` answers with.
//!
//! Seven of the templates tested put today's date into the prompt (gpt-oss,
//! Mistral Small 3.2, Llama 3.2, Granite, ...). transformers reads the
//! clock; a dataset rendered with the clock differs from day to day, so the
//! date is an option, fixed once per run ([`super::ChatTemplateOptions::date`]).
//! The time of day is midnight.

use std::fmt;
use std::str::FromStr;

use minijinja::{Error, ErrorKind};

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

impl Date {
    /// The date `year-month-day`, if there is one.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in(year, month);
        valid.then_some(Date { year, month, day })
    }

    /// Today, in UTC.
    pub fn today() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0);
        Date::from_days((seconds / 86_400) as i64)
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// 0 = Sunday (Sakamoto's method).
    fn weekday(&self) -> usize {
        const OFFSETS: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let year = if self.month < 3 { self.year - 1 } else { self.year };
        let day =
            year + year / 4 - year / 100 + year / 400 + OFFSETS[self.month as usize - 1] + self.day as i32;
        day.rem_euclid(7) as usize
    }

    fn day_of_year(&self) -> u32 {
        (1..self.month).map(|month| days_in(self.year, month)).sum::<u32>() + self.day
    }

    /// Python's `datetime.strftime(format)` at midnight of this date, for
    /// the directives dates and times use (`%Y %y %m %d %B %b %A %a %j %H %I
    /// %M %S %p %%`, and glibc's unpadded `%-d %-m %-H %-I`).
    pub(super) fn strftime(&self, format: &str) -> Result<String, Error> {
        let mut out = String::new();
        let mut chars = format.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let (unpadded, directive) = match chars.next() {
                Some('-') => (true, chars.next()),
                other => (false, other),
            };
            let number = |n: u32, width: usize| if unpadded { n.to_string() } else { format!("{n:0width$}") };
            let month = MONTHS[self.month as usize - 1];
            let weekday = WEEKDAYS[self.weekday()];
            match directive {
                Some('Y') => out.push_str(&self.year.to_string()),
                Some('y') => out.push_str(&number(self.year.rem_euclid(100) as u32, 2)),
                Some('m') => out.push_str(&number(self.month, 2)),
                Some('d') => out.push_str(&number(self.day, 2)),
                Some('B') => out.push_str(month),
                Some('b') => out.push_str(&month[..3]),
                Some('A') => out.push_str(weekday),
                Some('a') => out.push_str(&weekday[..3]),
                Some('j') => out.push_str(&number(self.day_of_year(), 3)),
                Some('H' | 'M' | 'S') => out.push_str(&number(0, 2)),
                Some('I') => out.push_str(&number(12, 2)),
                Some('p') => out.push_str("AM"),
                Some('%') => out.push('%'),
                other => {
                    let directive: String = other.into_iter().collect();
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        format!(
                            "strftime_now: unsupported directive %{}{directive}",
                            if unpadded { "-" } else { "" }
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn days_in(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = String;

    /// `YYYY-MM-DD`.
    fn from_str(text: &str) -> Result<Date, String> {
        let bad = || format!("`{text}` is not a date (YYYY-MM-DD)");
        let mut parts = text.split('-');
        let (Some(year), Some(month), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(bad());
        }
        let (Ok(year), Ok(month), Ok(day)) = (year.parse(), month.parse(), day.parse()) else {
            return Err(bad());
        };
        Date::new(year, month, day).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_python_strftime() {
        let date: Date = "2025-01-05".parse().unwrap();
        // What CPython prints for datetime(2025, 1, 5).strftime(...).
        assert_eq!(date.strftime("%Y-%m-%d").unwrap(), "2025-01-05");
        assert_eq!(date.strftime("%d %b %Y").unwrap(), "05 Jan 2025");
        assert_eq!(date.strftime("%B %d, %Y").unwrap(), "January 05, 2025");
        assert_eq!(
            date.strftime("%A %a %j %y %-d/%-m %H:%M:%S %I%p %%").unwrap(),
            "Sunday Sun 005 25 5/1 00:00:00 12AM %"
        );
        assert!(date.strftime("%Q").is_err());
    }

    #[test]
    fn knows_weekdays_leap_years_and_the_epoch() {
        assert_eq!(Date::new(2024, 2, 29).unwrap().strftime("%A %j").unwrap(), "Thursday 060");
        assert_eq!(Date::new(2000, 12, 31).unwrap().strftime("%a %j").unwrap(), "Sun 366");
        assert!(Date::new(2023, 2, 29).is_none());
        assert_eq!(Date::from_days(0), Date::new(1970, 1, 1).unwrap());
        assert_eq!(Date::from_days(20_103), Date::new(2025, 1, 15).unwrap());
    }

    #[test]
    fn parses_iso_dates_only() {
        assert_eq!("2025-01-15".parse::<Date>().unwrap().to_string(), "2025-01-15");
        for bad in ["2025-1-15", "2025-13-01", "15.01.2025", "2025-01-15-1"] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }
}
