//! The TOML form of a working calendar (日历配置) and its errors, each naming the value.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::*;

/// 日历配置错误 — why a working calendar could not be read; each message names the value.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The TOML text does not parse or has unknown or mistyped keys.
    #[error("cannot parse the working calendar (工作日历) TOML: {0}")]
    Toml(#[from] toml::de::Error),
    /// A date or date range in `holidays` / `makeup_days` is malformed or out of range.
    #[error(
        "bad date {value:?} in {field}: expected YYYY-MM-DD or an inclusive range \
         YYYY-MM-DD..YYYY-MM-DD, years {MIN_YEAR}–{MAX_YEAR}"
    )]
    BadDate {
        /// The TOML key the value came from.
        field: &'static str,
        /// The offending text.
        value: String,
    },
    /// A time of day is not `HH:MM` between 00:00 and 24:00.
    #[error("bad time {value:?} in working period {period:?}: expected HH:MM from 00:00 to 24:00")]
    BadTime {
        /// The offending time text.
        value: String,
        /// The whole period it appeared in.
        period: String,
    },
    /// A working period (工作时段) is not `HH:MM-HH:MM`.
    #[error("bad working period (工作时段) {value:?}: expected HH:MM-HH:MM, e.g. \"09:00-12:00\"")]
    BadPeriod {
        /// The offending text.
        value: String,
    },
    /// A working period ends at or before its start.
    #[error("empty working period (工作时段) {value:?}: the end must be after the start")]
    EmptyPeriod {
        /// The offending period.
        value: String,
    },
    /// Two working periods overlap.
    #[error("working periods (工作时段) {first:?} and {second:?} overlap")]
    OverlappingPeriods {
        /// The earlier period.
        first: String,
        /// The period starting inside it.
        second: String,
    },
    /// The calendar lists no working period at all.
    #[error("no working periods (工作时段): periods = [] leaves no working time in a day")]
    NoPeriods,
    /// A working weekday is not 1 (Monday) … 7 (Sunday).
    #[error("bad working weekday {value}: expected 1 (Monday) to 7 (Sunday)")]
    BadWeekday {
        /// The offending number.
        value: i64,
    },
    /// No weekday is a working day.
    #[error("no working weekdays: working_weekdays = [] leaves no ordinary working day")]
    NoWorkingWeekdays,
    /// The UTC offset is not `+HH:MM` / `-HH:MM`.
    #[error("bad UTC offset {value:?}: expected +HH:MM or -HH:MM, e.g. \"+08:00\"")]
    BadOffset {
        /// The offending text.
        value: String,
    },
    /// A covered year outside the years a calendar may list.
    #[error("bad calendar year {year}: years {MIN_YEAR}–{MAX_YEAR}")]
    BadYear {
        /// The offending year.
        year: i32,
    },
    /// The same date is listed as a public holiday and as a make-up working day.
    #[error("{date} is both a public holiday (法定节假日) and a make-up working day (调休上班)")]
    HolidayAndMakeup {
        /// The offending date.
        date: NaiveDate,
    },
}

impl WorkCalendar {
    /// 读取 — parse a calendar from its TOML form; missing keys take the [`china`] values
    /// except `holidays` and `makeup_days`, which default to none.
    ///
    /// [`china`]: WorkCalendar::china
    pub fn from_toml(text: &str) -> Result<WorkCalendar, CalendarError> {
        let file: CalendarFile = toml::from_str(text)?;
        WorkCalendar::try_from(file)
    }

    /// Builds a calendar from the parts a configuration package lists in separate files
    /// (working hours in one, each year's holidays in another); `years` are the covered years.
    pub fn from_parts(
        utc_offset: &str,
        working_weekdays: &[i64],
        periods: &[String],
        holidays: &[String],
        makeup_days: &[String],
        years: &[i32],
    ) -> Result<WorkCalendar, CalendarError> {
        WorkCalendar::try_from(CalendarFile {
            utc_offset: utc_offset.to_owned(),
            working_weekdays: working_weekdays.to_vec(),
            periods: periods.to_vec(),
            holidays: holidays.to_vec(),
            makeup_days: makeup_days.to_vec(),
            years: years.to_vec(),
        })
    }

    /// 导出 — the TOML form; consecutive dates are written as ranges `A..B`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&CalendarFile::from(self.clone()))
            .expect("a calendar always serialises to TOML")
    }
}

pub(super) fn format_tod(ms: i64) -> String {
    let m = ms / MINUTE_MS;
    format!("{:02}:{:02}", m / 60, m % 60)
}

pub(super) fn format_offset(offset_ms: i64) -> String {
    let sign = if offset_ms < 0 { '-' } else { '+' };
    let m = offset_ms.abs() / MINUTE_MS;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

/// Minutes of `HH:MM` (00:00 to 24:00).
fn parse_hhmm(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: i64 = h
        .parse()
        .ok()
        .filter(|_| h.bytes().all(|b| b.is_ascii_digit()))?;
    let m: i64 = m
        .parse()
        .ok()
        .filter(|_| m.bytes().all(|b| b.is_ascii_digit()))?;
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn parse_offset(s: &str) -> Option<i64> {
    let t = s.trim();
    let sign = match t.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let minutes = parse_hhmm(&t[1..]).filter(|&m| m < 24 * 60)?;
    Some(sign * minutes * MINUTE_MS)
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() != 10 {
        return None;
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    (MIN_YEAR..=MAX_YEAR).contains(&d.year()).then_some(d)
}

/// Parse dates and inclusive ranges `A..B` into a sorted, deduplicated list.
fn parse_dates(field: &'static str, items: &[String]) -> Result<Vec<NaiveDate>, CalendarError> {
    let mut out = Vec::new();
    for item in items {
        let bad = || CalendarError::BadDate {
            field,
            value: item.clone(),
        };
        match item.split_once("..") {
            Some((a, b)) => {
                let (a, b) = (
                    parse_date(a).ok_or_else(bad)?,
                    parse_date(b).ok_or_else(bad)?,
                );
                if b < a {
                    return Err(bad());
                }
                out.extend(a.iter_days().take_while(|d| *d <= b));
            }
            None => out.push(parse_date(item).ok_or_else(bad)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Write sorted dates, collapsing runs of consecutive days into `A..B`.
fn format_dates(dates: &[NaiveDate]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let mut j = i;
        while j + 1 < dates.len() && day_number(dates[j + 1]) == day_number(dates[j]) + 1 {
            j += 1;
        }
        out.push(if i == j {
            dates[i].format("%Y-%m-%d").to_string()
        } else {
            format!(
                "{}..{}",
                dates[i].format("%Y-%m-%d"),
                dates[j].format("%Y-%m-%d")
            )
        });
        i = j + 1;
    }
    out
}

/// The TOML form of a [`WorkCalendar`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CalendarFile {
    #[serde(default = "default_offset")]
    pub(super) utc_offset: String,
    #[serde(default = "default_weekdays")]
    pub(super) working_weekdays: Vec<i64>,
    #[serde(default = "default_periods")]
    pub(super) periods: Vec<String>,
    #[serde(default)]
    pub(super) holidays: Vec<String>,
    #[serde(default)]
    pub(super) makeup_days: Vec<String>,
    /// The years whose public holidays the calendar lists (覆盖年份); empty: the years of
    /// the listed dates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) years: Vec<i32>,
}

/// The default UTC offset of a calendar file: Beijing time, `+08:00`.
pub fn default_offset() -> String {
    "+08:00".into()
}

/// The default working weekdays of a calendar file: Monday to Friday (ISO 1–5).
pub fn default_weekdays() -> Vec<i64> {
    vec![1, 2, 3, 4, 5]
}

/// The default working periods (工作时段) of a calendar file: 09:00–12:00 and 13:00–18:00.
pub fn default_periods() -> Vec<String> {
    vec!["09:00-12:00".into(), "13:00-18:00".into()]
}

impl From<WorkCalendar> for CalendarFile {
    fn from(cal: WorkCalendar) -> CalendarFile {
        CalendarFile {
            utc_offset: format_offset(cal.offset_ms),
            working_weekdays: cal.weekday_numbers(),
            periods: cal.period_strings(),
            holidays: format_dates(&cal.holidays),
            makeup_days: format_dates(&cal.makeup_days),
            years: cal.years,
        }
    }
}

impl TryFrom<CalendarFile> for WorkCalendar {
    type Error = CalendarError;

    fn try_from(file: CalendarFile) -> Result<WorkCalendar, CalendarError> {
        let offset_ms = parse_offset(&file.utc_offset).ok_or_else(|| CalendarError::BadOffset {
            value: file.utc_offset.clone(),
        })?;

        let mut weekdays = [false; 7];
        for &w in &file.working_weekdays {
            if !(1..=7).contains(&w) {
                return Err(CalendarError::BadWeekday { value: w });
            }
            weekdays[(w - 1) as usize] = true;
        }
        let per_week = weekdays.iter().filter(|&&w| w).count() as u64;
        if per_week == 0 {
            return Err(CalendarError::NoWorkingWeekdays);
        }

        let mut periods = Vec::with_capacity(file.periods.len());
        for p in &file.periods {
            let (a, b) = p
                .split_once('-')
                .or_else(|| p.split_once('–'))
                .ok_or_else(|| CalendarError::BadPeriod { value: p.clone() })?;
            let time = |t: &str| {
                parse_hhmm(t).ok_or_else(|| CalendarError::BadTime {
                    value: t.trim().to_string(),
                    period: p.clone(),
                })
            };
            let (s, e) = (time(a)?, time(b)?);
            if e <= s || s == 24 * 60 {
                return Err(CalendarError::EmptyPeriod { value: p.clone() });
            }
            periods.push((s * MINUTE_MS, e * MINUTE_MS));
        }
        if periods.is_empty() {
            return Err(CalendarError::NoPeriods);
        }
        periods.sort_unstable();
        for w in periods.windows(2) {
            if w[1].0 < w[0].1 {
                let f = |(s, e): (i64, i64)| format!("{}-{}", format_tod(s), format_tod(e));
                return Err(CalendarError::OverlappingPeriods {
                    first: f(w[0]),
                    second: f(w[1]),
                });
            }
        }
        let day_ms = periods.iter().map(|&(s, e)| (e - s) as u64).sum();

        let holidays = parse_dates("holidays", &file.holidays)?;
        let makeup_days = parse_dates("makeup_days", &file.makeup_days)?;
        if let Some(&date) = holidays
            .iter()
            .find(|d| makeup_days.binary_search(d).is_ok())
        {
            return Err(CalendarError::HolidayAndMakeup { date });
        }

        let mut years = file.years.clone();
        if years.is_empty() {
            years.extend(holidays.iter().chain(&makeup_days).map(|d| d.year()));
        }
        if let Some(&y) = years.iter().find(|y| !(MIN_YEAR..=MAX_YEAR).contains(*y)) {
            return Err(CalendarError::BadYear { year: y });
        }
        years.sort_unstable();
        years.dedup();

        // The day table spans the listed dates; outside it only the weekday rule applies.
        let first = holidays
            .first()
            .into_iter()
            .chain(makeup_days.first())
            .min();
        let last = holidays.last().into_iter().chain(makeup_days.last()).max();
        let (table_start, cum) = match (first, last) {
            (Some(&a), Some(&b)) => {
                let (a, b) = (day_number(a), day_number(b) + 1);
                let mut cum = Vec::with_capacity((b - a + 1) as usize);
                let mut n = 0u32;
                cum.push(0);
                for dn in a..b {
                    let date = date_of(dn).expect("day within the validated years");
                    let working = if holidays.binary_search(&date).is_ok() {
                        false
                    } else {
                        makeup_days.binary_search(&date).is_ok() || weekdays[weekday(dn)]
                    };
                    n += u32::from(working);
                    cum.push(n);
                }
                (a, cum)
            }
            _ => (0, vec![0]),
        };

        Ok(WorkCalendar {
            offset_ms,
            weekdays,
            per_week,
            periods,
            day_ms,
            holidays,
            makeup_days,
            table_start,
            cum,
            years,
        })
    }
}
