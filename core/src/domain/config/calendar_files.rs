//! The calendar folder (日历文件): `calendar/hours.toml` and one `calendar/YYYY.toml` per
//! covered year, checked year by year and joined into one [`WorkCalendar`].

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use super::error::{ConfigError, line_of_value};
use super::files::ConfigFiles;
use super::parse;
use super::raw::{HoursToml, YearToml};
use crate::domain::calendar::{CalendarError, WorkCalendar};
use crate::domain::unit::{District, UnitId};

/// The working calendar and the always-on units of a package.
pub(super) fn calendar(
    files: &ConfigFiles,
    hours_text: &str,
    district: &District,
) -> Result<(WorkCalendar, BTreeSet<UnitId>), ConfigError> {
    const HOURS: &str = "calendar/hours.toml";
    let hours: HoursToml = parse(HOURS, hours_text)?;
    let mut always_on = BTreeSet::new();
    for (i, u) in hours.always_on.iter().enumerate() {
        let id = UnitId(u.clone());
        if district.unit(&id).is_none() {
            return Err(ConfigError::invalid(
                HOURS,
                line_of_value(hours_text, u),
                format!("always_on[{i}]"),
                format!("unknown unit {u} (not in district.toml)"),
            ));
        }
        always_on.insert(id);
    }

    let mut holidays = Vec::new();
    let mut makeup = Vec::new();
    let mut years = Vec::new();
    for (year, file) in files.years() {
        let text = files.get(file).unwrap_or_default();
        let y: YearToml = parse(file, text)?;
        if y.year != year {
            return Err(ConfigError::invalid(
                file,
                line_of_key_year(text),
                "year",
                format!("the file is named for {year} but says year = {}", y.year),
            ));
        }
        let h = ranges(file, text, "holidays", &y.holidays, year)?;
        let m = ranges(file, text, "makeup_days", &y.makeup_days, year)?;
        for (a, b) in &h {
            if let Some((c, _)) = m.iter().find(|(c, d)| c <= b && a <= d) {
                return Err(ConfigError::invalid(
                    file,
                    line_of_value(text, &c.format("%Y-%m-%d").to_string()),
                    "makeup_days",
                    format!("{c} is also a public holiday (法定节假日)"),
                ));
            }
        }
        holidays.extend(y.holidays);
        makeup.extend(y.makeup_days);
        years.push(year);
    }
    let cal = WorkCalendar::from_parts(
        &hours.utc_offset,
        &hours.working_weekdays,
        &hours.periods,
        &holidays,
        &makeup,
        &years,
    )
    .map_err(|e| {
        let field = match &e {
            CalendarError::BadTime { .. }
            | CalendarError::BadPeriod { .. }
            | CalendarError::EmptyPeriod { .. }
            | CalendarError::OverlappingPeriods { .. }
            | CalendarError::NoPeriods => "periods",
            CalendarError::BadWeekday { .. } | CalendarError::NoWorkingWeekdays => {
                "working_weekdays"
            }
            CalendarError::BadOffset { .. } => "utc_offset",
            _ => "",
        };
        ConfigError::invalid(HOURS, super::line_of_key(hours_text, field), field, e)
    })?;
    Ok((cal, always_on))
}

/// The calendar of a unit that works every day round the clock, in `calendar`'s time zone:
/// every weekday, 00:00–24:00, no holidays, every year covered (holidays do not apply).
pub(super) fn round_the_clock(calendar: &WorkCalendar) -> WorkCalendar {
    let offset = calendar.utc_offset().to_string();
    let years: Vec<i32> = (1900..=2199).collect();
    WorkCalendar::from_parts(
        &offset,
        &[1, 2, 3, 4, 5, 6, 7],
        &["00:00-24:00".to_string()],
        &[],
        &[],
        &years,
    )
    .expect("a round-the-clock calendar in a valid offset is valid")
}

fn line_of_key_year(text: &str) -> Option<usize> {
    super::line_of_key(text, "year")
}

/// Parses a year file's dates and ranges, each inside `year`, none overlapping another.
fn ranges(
    file: &str,
    text: &str,
    field: &str,
    items: &[String],
    year: i32,
) -> Result<Vec<(NaiveDate, NaiveDate)>, ConfigError> {
    let mut out: Vec<(NaiveDate, NaiveDate, usize)> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let bad = |why: String| {
            ConfigError::invalid(
                file,
                line_of_value(text, item),
                format!("{field}[{i}]"),
                why,
            )
        };
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .filter(|_| s.trim().len() == 10)
        };
        let (a, b) = match item.split_once("..") {
            Some((a, b)) => (date(a), date(b)),
            None => (date(item), date(item)),
        };
        let (Some(a), Some(b)) = (a, b) else {
            return Err(bad(format!(
                "bad date {item:?}: expected YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD"
            )));
        };
        if b < a {
            return Err(bad(format!("the range {item:?} ends before it starts")));
        }
        if a.year() != year || b.year() != year {
            return Err(bad(format!(
                "{item} is not in {year}, the year of this file"
            )));
        }
        out.push((a, b, i));
    }
    out.sort();
    for w in out.windows(2) {
        let (prev, next) = (&w[0], &w[1]);
        if next.0 <= prev.1 {
            return Err(ConfigError::invalid(
                file,
                line_of_value(text, &items[next.2]),
                format!("{field}[{}]", next.2),
                format!("{} overlaps {}", items[next.2], items[prev.2]),
            ));
        }
    }
    Ok(out.into_iter().map(|(a, b, _)| (a, b)).collect())
}
