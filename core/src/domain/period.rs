//! 考核周期 — the period an assessment covers: a day (日), an ISO week (周), a month (月), a
//! year (年) or a custom run of days (自定义), as local calendar days in the working calendar's
//! UTC offset (Beijing time by default).

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::calendar::Millis;
use crate::domain::calendar::WorkCalendar;

/// Which kind of period (周期类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PeriodKind {
    /// 日: one calendar day.
    Day,
    /// 周: Monday to Sunday.
    Week,
    /// 月: one calendar month.
    Month,
    /// 年: one calendar year.
    Year,
    /// 自定义: any run of whole days.
    Custom,
}

impl PeriodKind {
    /// Chinese label: 日/周/月/年/自定义.
    pub fn label_zh(self) -> &'static str {
        match self {
            PeriodKind::Day => "日",
            PeriodKind::Week => "周",
            PeriodKind::Month => "月",
            PeriodKind::Year => "年",
            PeriodKind::Custom => "自定义",
        }
    }

    /// English label of 日/周/月/年/自定义.
    pub fn label_en(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Year => "year",
            PeriodKind::Custom => "custom",
        }
    }

    /// The report this period's assessment makes (日报/周报/月报/年报/专报).
    pub fn report_zh(self) -> &'static str {
        match self {
            PeriodKind::Day => "日报",
            PeriodKind::Week => "周报",
            PeriodKind::Month => "月报",
            PeriodKind::Year => "年报",
            PeriodKind::Custom => "专报",
        }
    }
}

/// A period of whole local days, `first..=last` (考核周期).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// Its kind.
    pub kind: PeriodKind,
    /// The first day.
    pub first: NaiveDate,
    /// The last day (inclusive).
    pub last: NaiveDate,
}

/// A period that could not be read (周期格式错误).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeriodError {
    /// Text that is none of the accepted forms.
    #[error(
        "bad period {0:?}: expected a day 2026-03-05, a week 2026-W10, a month 2026-03, a year 2026, or days 2026-03-01..2026-03-15"
    )]
    Format(String),
    /// A custom period that ends before it starts.
    #[error("bad period {0:?}: it ends before it starts")]
    Backwards(String),
}

impl Period {
    /// The day `date`.
    pub fn day(date: NaiveDate) -> Period {
        Period {
            kind: PeriodKind::Day,
            first: date,
            last: date,
        }
    }

    /// The week (Monday to Sunday) holding `date`.
    pub fn week(date: NaiveDate) -> Period {
        let first = date - Duration::days(date.weekday().num_days_from_monday() as i64);
        Period {
            kind: PeriodKind::Week,
            first,
            last: first + Duration::days(6),
        }
    }

    /// The month holding `date`.
    pub fn month(date: NaiveDate) -> Period {
        let first = date.with_day(1).expect("day 1 exists");
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .expect("the next month exists");
        Period {
            kind: PeriodKind::Month,
            first,
            last: next - Duration::days(1),
        }
    }

    /// The year holding `date`.
    pub fn year(date: NaiveDate) -> Period {
        Period {
            kind: PeriodKind::Year,
            first: NaiveDate::from_ymd_opt(date.year(), 1, 1).expect("1 January exists"),
            last: NaiveDate::from_ymd_opt(date.year(), 12, 31).expect("31 December exists"),
        }
    }

    /// The days `first..=last`; `None` if it ends before it starts.
    pub fn custom(first: NaiveDate, last: NaiveDate) -> Option<Period> {
        (first <= last).then_some(Period {
            kind: PeriodKind::Custom,
            first,
            last,
        })
    }

    /// The period of `kind` holding `date` (a custom kind gives the day).
    pub fn of(kind: PeriodKind, date: NaiveDate) -> Period {
        match kind {
            PeriodKind::Day | PeriodKind::Custom => Period::day(date),
            PeriodKind::Week => Period::week(date),
            PeriodKind::Month => Period::month(date),
            PeriodKind::Year => Period::year(date),
        }
    }

    /// Reads `2026-03-05` (day), `2026-W10` (ISO week), `2026-03` (month), `2026` (year) or
    /// `2026-03-01..2026-03-15` (custom).
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let t = text.trim();
        let bad = || PeriodError::Format(text.to_string());
        if let Some((a, b)) = t.split_once("..") {
            let a = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            let b = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").map_err(|_| bad())?;
            return Period::custom(a, b).ok_or_else(|| PeriodError::Backwards(text.to_string()));
        }
        if let Some((y, w)) = t.split_once("-W").or_else(|| t.split_once("-w")) {
            let y: i32 = y.parse().map_err(|_| bad())?;
            let w: u32 = w.parse().map_err(|_| bad())?;
            let monday = NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).ok_or_else(bad)?;
            return Ok(Period::week(monday));
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(Period::day(d));
        }
        if t.len() == 7
            && let Ok(d) = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d")
        {
            return Ok(Period::month(d));
        }
        if t.len() == 4
            && let Ok(y) = t.parse::<i32>()
            && let Some(d) = NaiveDate::from_ymd_opt(y, 1, 1)
        {
            return Ok(Period::year(d));
        }
        Err(bad())
    }

    /// The label `parse` reads back: `2026-03-05`, `2026-W10`, `2026-03`, `2026`,
    /// `2026-03-01..2026-03-15`.
    pub fn label(&self) -> String {
        match self.kind {
            PeriodKind::Day => self.first.format("%Y-%m-%d").to_string(),
            PeriodKind::Week => {
                let w = self.first.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Month => self.first.format("%Y-%m").to_string(),
            PeriodKind::Year => self.first.format("%Y").to_string(),
            PeriodKind::Custom => format!(
                "{}..{}",
                self.first.format("%Y-%m-%d"),
                self.last.format("%Y-%m-%d")
            ),
        }
    }

    /// The period of the same kind just before this one (a custom period: the same number of
    /// days just before).
    pub fn previous(&self) -> Period {
        let before = self.first - Duration::days(1);
        match self.kind {
            PeriodKind::Custom => Period {
                kind: PeriodKind::Custom,
                first: self.first - Duration::days(self.days() as i64),
                last: before,
            },
            k => Period::of(k, before),
        }
    }

    /// How many days it covers.
    pub fn days(&self) -> u32 {
        ((self.last - self.first).num_days() + 1) as u32
    }

    /// Every day in it, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first.iter_days().take(self.days() as usize)
    }

    /// The instants it covers, `[from, to)`, in the calendar's offset.
    pub fn bounds(&self, cal: &WorkCalendar) -> (Millis, Millis) {
        (
            cal.start_of_day(self.first),
            cal.start_of_day(self.last + Duration::days(1)),
        )
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_form_reads_back_from_its_label() {
        for (text, kind, first, last) in [
            ("2026-03-05", PeriodKind::Day, d(2026, 3, 5), d(2026, 3, 5)),
            ("2026-W10", PeriodKind::Week, d(2026, 3, 2), d(2026, 3, 8)),
            ("2026-02", PeriodKind::Month, d(2026, 2, 1), d(2026, 2, 28)),
            ("2024-02", PeriodKind::Month, d(2024, 2, 1), d(2024, 2, 29)),
            (
                "2026-12",
                PeriodKind::Month,
                d(2026, 12, 1),
                d(2026, 12, 31),
            ),
            ("2026", PeriodKind::Year, d(2026, 1, 1), d(2026, 12, 31)),
            (
                "2026-03-01..2026-03-15",
                PeriodKind::Custom,
                d(2026, 3, 1),
                d(2026, 3, 15),
            ),
        ] {
            let p = Period::parse(text).unwrap();
            assert_eq!((p.kind, p.first, p.last), (kind, first, last), "{text}");
            assert_eq!(p.label(), text);
            assert_eq!(Period::parse(&p.label()).unwrap(), p);
        }
    }

    #[test]
    fn bad_periods_say_what_is_accepted() {
        for bad in ["", "March", "2026-13", "2026-W60", "2026-3-5x"] {
            let e = Period::parse(bad).unwrap_err();
            assert!(e.to_string().contains("expected a day"), "{bad}: {e}");
        }
        assert!(matches!(
            Period::parse("2026-03-15..2026-03-01"),
            Err(PeriodError::Backwards(_))
        ));
    }

    #[test]
    fn bounds_are_local_midnights_and_previous_periods_abut() {
        let cal = WorkCalendar::china();
        let p = Period::parse("2026-03").unwrap();
        let (from, to) = p.bounds(&cal);
        // 2026-03-01 00:00 +08:00 is 2026-02-28 16:00 UTC.
        assert_eq!(from, 1_772_294_400_000);
        assert_eq!(cal.local_date(from), d(2026, 3, 1));
        assert_eq!(cal.local_date(to - 1), d(2026, 3, 31));
        assert_eq!(cal.local_date(to), d(2026, 4, 1));
        assert_eq!(p.previous().label(), "2026-02");
        assert_eq!(
            Period::parse("2026-W01").unwrap().previous().label(),
            "2025-W52"
        );
        let c = Period::parse("2026-03-10..2026-03-14").unwrap();
        assert_eq!(c.previous().label(), "2026-03-05..2026-03-09");
        assert_eq!(c.dates().count(), 5);
    }
}
