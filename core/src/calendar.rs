//! 工作日历 — the working calendar: time limits (时限), due times and the traffic light
//! (红黄绿灯) of every stage and case.
//!
//! Timestamps are [`Millis`] (milliseconds since the Unix epoch, UTC). A [`WorkCalendar`]
//! reads them in its fixed UTC offset (default +08:00, Beijing) and knows the working periods
//! of a working day (default 09:00–12:00 and 13:00–18:00, 8 h), the working weekdays (default
//! Monday–Friday), the public holidays (法定节假日) and the make-up working days (调休上班).
//!
//! A [`TimeLimit`] in 工作时 or 工作日 consumes working time only; a limit in 分钟 is natural
//! time. The light is green below 80 % of the limit, yellow from 80 % up to and including the
//! due time, and red after it (超时, which triggers 督办).
//!
//! The arithmetic walks whole days and then periods, never minutes, and allocates nothing: a
//! table of cumulative working days covers the span of the listed holidays and make-up days;
//! outside it only the weekday rule applies and whole weeks are skipped at once.
//!
//! The calendar is configuration. Its TOML form:
//!
//! ```toml
//! utc_offset = "+08:00"
//! working_weekdays = [1, 2, 3, 4, 5]          # ISO: 1 = Monday … 7 = Sunday
//! periods = ["09:00-12:00", "13:00-18:00"]
//! holidays = ["2025-01-01", "2025-01-28..2025-02-04"]   # single dates or inclusive ranges
//! makeup_days = ["2025-01-26", "2025-02-08"]
//! ```

use std::fmt;

use chrono::{Datelike, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// 时间戳 — milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_CE_DAYS: i64 = 719_163;
/// Listed dates must lie in these years; this bounds the day table to ~110 k entries.
const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2199;
/// Skipping more weeks than this leaves the representable range: the due time is "never".
const MAX_SKIP_WEEKS: u64 = 20_000_000;

/// 时限单位 — the unit of a time limit: 自然分钟 natural minutes, 工作时 working hours or
/// 工作日 working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// 自然分钟 — natural minutes, counted around the clock (e.g. 报到 report-in, 30 min).
    Minutes,
    /// 工作时 — working hours, counted in working time only.
    WorkingHours,
    /// 工作日 — working days of [`WorkCalendar::minutes_per_day`] working minutes each.
    WorkingDays,
}

impl LimitUnit {
    /// The Chinese label: 分钟 / 工作时 / 工作日.
    pub fn label_zh(self) -> &'static str {
        match self {
            LimitUnit::Minutes => "分钟",
            LimitUnit::WorkingHours => "工作时",
            LimitUnit::WorkingDays => "工作日",
        }
    }

    /// The English label (plural): "minutes" / "working hours" / "working days".
    pub fn label_en(self) -> &'static str {
        match self {
            LimitUnit::Minutes => "minutes",
            LimitUnit::WorkingHours => "working hours",
            LimitUnit::WorkingDays => "working days",
        }
    }
}

impl fmt::Display for LimitUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// 时限 — a time limit: a value and a unit, e.g. 4 工作时, 20 工作日 or 30 分钟.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeLimit {
    /// 数值 — how many units.
    pub value: u32,
    /// 单位 — the unit.
    pub unit: LimitUnit,
}

impl TimeLimit {
    /// `n` 分钟 — natural minutes.
    pub const fn minutes(n: u32) -> TimeLimit {
        TimeLimit {
            value: n,
            unit: LimitUnit::Minutes,
        }
    }

    /// `n` 工作时 — working hours.
    pub const fn working_hours(n: u32) -> TimeLimit {
        TimeLimit {
            value: n,
            unit: LimitUnit::WorkingHours,
        }
    }

    /// `n` 工作日 — working days.
    pub const fn working_days(n: u32) -> TimeLimit {
        TimeLimit {
            value: n,
            unit: LimitUnit::WorkingDays,
        }
    }

    /// The English label: "4 working hours", "1 working day", "30 minutes".
    pub fn label_en(&self) -> String {
        let unit = match (self.unit, self.value) {
            (LimitUnit::Minutes, 1) => "minute",
            (LimitUnit::WorkingHours, 1) => "working hour",
            (LimitUnit::WorkingDays, 1) => "working day",
            (u, _) => u.label_en(),
        };
        format!("{} {unit}", self.value)
    }
}

/// The Chinese form: "4 工作时", "20 工作日", "30 分钟".
impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.value, self.unit.label_zh())
    }
}

/// 红黄绿灯 — the traffic light of a deadline: 绿灯 below 80 % of the limit, 黄灯 from 80 %
/// up to the due time, 红灯 after it (超时 overdue). Ordered by urgency: green < yellow < red.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// 绿灯 — less than 80 % of the limit used.
    Green,
    /// 黄灯 — 80 % or more used, not yet overdue (预警 warning).
    Yellow,
    /// 红灯 — past the due time (超时 overdue).
    Red,
}

impl Light {
    /// The Chinese label: 绿灯 / 黄灯 / 红灯.
    pub fn label_zh(self) -> &'static str {
        match self {
            Light::Green => "绿灯",
            Light::Yellow => "黄灯",
            Light::Red => "红灯",
        }
    }

    /// The English label: "green" / "yellow" / "red".
    pub fn label_en(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
        }
    }
}

impl fmt::Display for Light {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

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
    /// The same date is listed as a public holiday and as a make-up working day.
    #[error("{date} is both a public holiday (法定节假日) and a make-up working day (调休上班)")]
    HolidayAndMakeup {
        /// The offending date.
        date: NaiveDate,
    },
}

/// 工作日历 — working periods per day, working weekdays, public holidays (法定节假日),
/// make-up working days (调休上班) and a fixed UTC offset. Serialises to the TOML form in the
/// module documentation; [`WorkCalendar::china`] is the default.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CalendarFile", into = "CalendarFile")]
pub struct WorkCalendar {
    offset_ms: i64,
    /// Working weekdays, Monday first.
    weekdays: [bool; 7],
    /// Working days per ordinary week.
    per_week: u64,
    /// Working periods as milliseconds of the local day, sorted, non-overlapping.
    periods: Vec<(i64, i64)>,
    /// Working milliseconds per working day.
    day_ms: u64,
    holidays: Vec<NaiveDate>,
    makeup_days: Vec<NaiveDate>,
    /// Day number (days since 1970-01-01) of the first day in `cum`.
    table_start: i64,
    /// `cum[i]` = working days in `[table_start, table_start + i)`; one longer than the table.
    cum: Vec<u32>,
}

impl fmt::Debug for WorkCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkCalendar")
            .field("utc_offset", &format_offset(self.offset_ms))
            .field("working_weekdays", &self.weekday_numbers())
            .field("periods", &self.period_strings())
            .field("holidays", &self.holidays.len())
            .field("makeup_days", &self.makeup_days.len())
            .finish()
    }
}

impl Default for WorkCalendar {
    /// The same as [`WorkCalendar::china`].
    fn default() -> WorkCalendar {
        WorkCalendar::china()
    }
}

/// PRC public holidays (State Council notices for 2025 and 2026), inclusive ranges.
const CHINA_HOLIDAYS: &[(&str, &str)] = &[
    // 2025
    ("2025-01-01", "2025-01-01"), // 元旦
    ("2025-01-28", "2025-02-04"), // 春节
    ("2025-04-04", "2025-04-06"), // 清明节
    ("2025-05-01", "2025-05-05"), // 劳动节
    ("2025-05-31", "2025-06-02"), // 端午节
    ("2025-10-01", "2025-10-08"), // 国庆节、中秋节
    // 2026
    ("2026-01-01", "2026-01-03"), // 元旦
    ("2026-02-15", "2026-02-23"), // 春节
    ("2026-04-04", "2026-04-06"), // 清明节
    ("2026-05-01", "2026-05-05"), // 劳动节
    ("2026-06-19", "2026-06-21"), // 端午节
    ("2026-09-25", "2026-09-27"), // 中秋节
    ("2026-10-01", "2026-10-07"), // 国庆节
];

/// PRC make-up working days (调休上班) for 2025 and 2026.
const CHINA_MAKEUP_DAYS: &[&str] = &[
    "2025-01-26", // 春节
    "2025-02-08", // 春节
    "2025-04-27", // 劳动节
    "2025-09-28", // 国庆节
    "2025-10-11", // 国庆节
    "2026-01-04", // 元旦
    "2026-02-14", // 春节
    "2026-02-28", // 春节
    "2026-05-09", // 劳动节
    "2026-09-20", // 国庆节
    "2026-10-10", // 国庆节
];

impl WorkCalendar {
    /// 中国工作日历 — Beijing time (+08:00), Monday–Friday, 09:00–12:00 and 13:00–18:00
    /// (8 h), with the PRC public holidays and 调休 make-up days of 2025 and 2026.
    pub fn china() -> WorkCalendar {
        let file = CalendarFile {
            utc_offset: "+08:00".into(),
            working_weekdays: vec![1, 2, 3, 4, 5],
            periods: vec!["09:00-12:00".into(), "13:00-18:00".into()],
            holidays: CHINA_HOLIDAYS
                .iter()
                .map(|(a, b)| {
                    if a == b {
                        (*a).to_string()
                    } else {
                        format!("{a}..{b}")
                    }
                })
                .collect(),
            makeup_days: CHINA_MAKEUP_DAYS.iter().map(|d| (*d).to_string()).collect(),
        };
        WorkCalendar::try_from(file).expect("the built-in China calendar is valid")
    }

    /// 读取 — parse a calendar from its TOML form; missing keys take the [`china`] values
    /// except `holidays` and `makeup_days`, which default to none.
    ///
    /// [`china`]: WorkCalendar::china
    pub fn from_toml(text: &str) -> Result<WorkCalendar, CalendarError> {
        let file: CalendarFile = toml::from_str(text)?;
        WorkCalendar::try_from(file)
    }

    /// 导出 — the TOML form; consecutive dates are written as ranges `A..B`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(&CalendarFile::from(self.clone()))
            .expect("a calendar always serialises to TOML")
    }

    /// 工作日 — whether `date` is a working day: a public holiday never is, a make-up day
    /// (调休上班) always is, other days follow the working weekdays.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.is_working_dn(day_number(date))
    }

    /// 工作时间 — whether the instant `t` lies inside a working period of a working day.
    pub fn is_working_time(&self, t: Millis) -> bool {
        let (dn, tod) = self.split(t);
        self.is_working_dn(dn) && self.periods.iter().any(|&(s, e)| s <= tod && tod < e)
    }

    /// 每日工作分钟 — working minutes in one working day (480 by default).
    pub fn minutes_per_day(&self) -> u32 {
        (self.day_ms / MINUTE_MS as u64) as u32
    }

    /// 时限分钟数 — a limit in minutes: working minutes for 工作时 / 工作日 (days × minutes
    /// per day), natural minutes for 分钟.
    pub fn limit_minutes(&self, limit: TimeLimit) -> u64 {
        let v = u64::from(limit.value);
        match limit.unit {
            LimitUnit::Minutes => v,
            LimitUnit::WorkingHours => v * 60,
            LimitUnit::WorkingDays => v * u64::from(self.minutes_per_day()),
        }
    }

    /// 到期时间 — the due time of `limit` started at `start`. Working units consume working
    /// time only (a start outside working time waits for the next working period); 分钟 is
    /// natural time.
    pub fn add(&self, start: Millis, limit: TimeLimit) -> Millis {
        match limit.unit {
            LimitUnit::Minutes => start.saturating_add(i64::from(limit.value) * MINUTE_MS),
            _ => self.add_working_ms(start, self.limit_minutes(limit) * MINUTE_MS as u64),
        }
    }

    /// 加工作分钟 — the instant after `minutes` of working time from `start`. Zero minutes
    /// return `start` itself; an end exactly at a period's end stays there (12:00, not 13:00).
    pub fn add_working_minutes(&self, start: Millis, minutes: u64) -> Millis {
        self.add_working_ms(start, minutes.saturating_mul(MINUTE_MS as u64))
    }

    /// 已用工作分钟 — whole working minutes between `from` and `to` (0 if `to <= from`).
    pub fn working_minutes_between(&self, from: Millis, to: Millis) -> u64 {
        self.working_ms_between(from, to) / MINUTE_MS as u64
    }

    /// 预警时间 — the instant 80 % of `limit` is used (the 黄灯 yellow-light threshold), by
    /// the same working-time rules as [`add`](WorkCalendar::add).
    pub fn warn_at(&self, start: Millis, limit: TimeLimit) -> Millis {
        // 80 % of a minute is exactly 48 000 ms, so the threshold is exact to the millisecond.
        const WARN_MS_PER_MINUTE: i64 = MINUTE_MS * 4 / 5;
        match limit.unit {
            LimitUnit::Minutes => start.saturating_add(i64::from(limit.value) * WARN_MS_PER_MINUTE),
            _ => self.add_working_ms(start, self.limit_minutes(limit) * WARN_MS_PER_MINUTE as u64),
        }
    }

    /// 亮灯 — the light at `now` of `limit` started at `start`: green before
    /// [`warn_at`](WorkCalendar::warn_at), yellow up to and including the due time, red after.
    pub fn light(&self, start: Millis, limit: TimeLimit, now: Millis) -> Light {
        WorkCalendar::light_at(self.warn_at(start, limit), self.add(start, limit), now)
    }

    /// 亮灯 — the light from precomputed thresholds: green before `warn_at`, yellow from
    /// `warn_at` up to and including `due`, red strictly after `due`.
    pub fn light_at(warn_at: Millis, due: Millis, now: Millis) -> Light {
        if now > due {
            Light::Red
        } else if now >= warn_at {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    /// 时区 — the calendar's fixed UTC offset (+08:00 by default).
    pub fn utc_offset(&self) -> FixedOffset {
        FixedOffset::east_opt((self.offset_ms / 1000) as i32).expect("validated offset")
    }

    /// 本地日期 — the calendar date of the instant `t` in the calendar's offset.
    pub fn local_date(&self, t: Millis) -> NaiveDate {
        let (dn, _) = self.split(t);
        date_of(dn).unwrap_or(if dn < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
    }

    /// 零点 — the instant local midnight begins `date` in the calendar's offset.
    pub fn start_of_day(&self, date: NaiveDate) -> Millis {
        self.at(day_number(date), 0)
    }

    /// 法定节假日 — the listed public holidays, sorted.
    pub fn holidays(&self) -> &[NaiveDate] {
        &self.holidays
    }

    /// 调休上班 — the listed make-up working days, sorted.
    pub fn makeup_days(&self) -> &[NaiveDate] {
        &self.makeup_days
    }

    // ---- internals -------------------------------------------------------------------------

    /// Day number (days since 1970-01-01 local) and millisecond of the local day.
    #[inline]
    fn split(&self, t: Millis) -> (i64, i64) {
        let local = t.saturating_add(self.offset_ms);
        (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS))
    }

    /// The UTC instant of millisecond `tod` of local day `dn`, saturating.
    #[inline]
    fn at(&self, dn: i64, tod: i64) -> Millis {
        dn.checked_mul(DAY_MS)
            .and_then(|x| x.checked_add(tod - self.offset_ms))
            .unwrap_or(if dn < 0 { Millis::MIN } else { Millis::MAX })
    }

    #[inline]
    fn table_end(&self) -> i64 {
        self.table_start + (self.cum.len() as i64 - 1)
    }

    #[inline]
    fn is_working_dn(&self, dn: i64) -> bool {
        let i = dn.wrapping_sub(self.table_start);
        if i >= 0 && i < self.cum.len() as i64 - 1 {
            let i = i as usize;
            self.cum[i + 1] != self.cum[i]
        } else {
            self.weekdays[weekday(dn)]
        }
    }

    /// Working days in `[a, b)` by the weekday rule alone.
    fn count_by_weekday(&self, a: i64, b: i64) -> u64 {
        if a >= b {
            return 0;
        }
        let n = b - a;
        let full = n / 7;
        let mut count = full as u64 * self.per_week;
        for d in a + full * 7..b {
            count += u64::from(self.weekdays[weekday(d)]);
        }
        count
    }

    /// Working days in `[a, b)`.
    fn count_working_days(&self, a: i64, b: i64) -> u64 {
        if a >= b {
            return 0;
        }
        let (ts, te) = (self.table_start, self.table_end());
        let mut count = 0;
        if a < ts {
            count += self.count_by_weekday(a, b.min(ts));
        }
        let (lo, hi) = (a.max(ts), b.min(te));
        if lo < hi {
            count += u64::from(self.cum[(hi - ts) as usize] - self.cum[(lo - ts) as usize]);
        }
        if b > te {
            count += self.count_by_weekday(a.max(te), b);
        }
        count
    }

    /// Working milliseconds of one working day within `[a, b)` (milliseconds of the day).
    #[inline]
    fn overlap(&self, a: i64, b: i64) -> u64 {
        let mut sum = 0;
        for &(s, e) in &self.periods {
            let (lo, hi) = (a.max(s), b.min(e));
            if lo < hi {
                sum += (hi - lo) as u64;
            }
        }
        sum
    }

    fn working_ms_between(&self, from: Millis, to: Millis) -> u64 {
        if to <= from {
            return 0;
        }
        let (d0, t0) = self.split(from);
        let (d1, t1) = self.split(to);
        if d0 == d1 {
            return if self.is_working_dn(d0) {
                self.overlap(t0, t1)
            } else {
                0
            };
        }
        let mut total = self
            .count_working_days(d0 + 1, d1)
            .saturating_mul(self.day_ms);
        if self.is_working_dn(d0) {
            total += self.overlap(t0, DAY_MS);
        }
        if self.is_working_dn(d1) {
            total += self.overlap(0, t1);
        }
        total
    }

    /// The instant after `ms` working milliseconds from `start`: the rest of the first day
    /// period by period, then whole days (whole weeks outside the holiday table), then the
    /// periods of the last day.
    fn add_working_ms(&self, start: Millis, ms: u64) -> Millis {
        if ms == 0 {
            return start;
        }
        let (mut dn, tod) = self.split(start);
        let mut rem = ms;
        if self.is_working_dn(dn) {
            for &(s, e) in &self.periods {
                if tod < e {
                    let from = tod.max(s);
                    let avail = (e - from) as u64;
                    if rem <= avail {
                        return self.at(dn, from + rem as i64);
                    }
                    rem -= avail;
                }
            }
        }
        dn += 1;
        let week_ms = self.per_week * self.day_ms;
        let (ts, te) = (self.table_start, self.table_end());
        loop {
            if rem > week_ms {
                // Whole weeks with no listed exception hold exactly `per_week` working days.
                let mut weeks = (rem - 1) / week_ms;
                if dn < te {
                    weeks = if dn < ts {
                        weeks.min(((ts - dn) / 7) as u64)
                    } else {
                        0
                    };
                }
                if weeks > 0 {
                    if weeks > MAX_SKIP_WEEKS {
                        return Millis::MAX;
                    }
                    dn += 7 * weeks as i64;
                    rem -= weeks * week_ms;
                    continue;
                }
            }
            if self.is_working_dn(dn) {
                if rem <= self.day_ms {
                    break;
                }
                rem -= self.day_ms;
            }
            dn += 1;
        }
        let mut end = 0;
        for &(s, e) in &self.periods {
            let avail = (e - s) as u64;
            if rem <= avail {
                return self.at(dn, s + rem as i64);
            }
            rem -= avail;
            end = e;
        }
        self.at(dn, end)
    }

    fn weekday_numbers(&self) -> Vec<i64> {
        (0..7)
            .filter(|&i| self.weekdays[i])
            .map(|i| i as i64 + 1)
            .collect()
    }

    fn period_strings(&self) -> Vec<String> {
        self.periods
            .iter()
            .map(|&(s, e)| format!("{}-{}", format_tod(s), format_tod(e)))
            .collect()
    }
}

/// Days since 1970-01-01.
#[inline]
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - UNIX_EPOCH_CE_DAYS
}

fn date_of(dn: i64) -> Option<NaiveDate> {
    i32::try_from(dn + UNIX_EPOCH_CE_DAYS)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
#[inline]
fn weekday(dn: i64) -> usize {
    (dn + 3).rem_euclid(7) as usize
}

fn format_tod(ms: i64) -> String {
    let m = ms / MINUTE_MS;
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn format_offset(offset_ms: i64) -> String {
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
struct CalendarFile {
    #[serde(default = "default_offset")]
    utc_offset: String,
    #[serde(default = "default_weekdays")]
    working_weekdays: Vec<i64>,
    #[serde(default = "default_periods")]
    periods: Vec<String>,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    makeup_days: Vec<String>,
}

fn default_offset() -> String {
    "+08:00".into()
}

fn default_weekdays() -> Vec<i64> {
    vec![1, 2, 3, 4, 5]
}

fn default_periods() -> Vec<String> {
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use proptest::prelude::*;

    const H: i64 = 3_600_000;
    const M: i64 = MINUTE_MS;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Beijing wall-clock time → Millis.
    fn bj(y: i32, mo: u32, day: u32, h: u32, mi: u32) -> Millis {
        d(y, mo, day)
            .and_hms_opt(h, mi, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
            - 8 * H
    }

    fn local(t: Millis) -> NaiveDateTime {
        chrono::DateTime::from_timestamp_millis(t + 8 * H)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn china_holidays_and_makeup_days() {
        let c = WorkCalendar::china();
        assert!(
            c.is_working_day(d(2026, 2, 14)),
            "Saturday 2026-02-14 is a 调休 working day"
        );
        assert!(
            !c.is_working_day(d(2026, 2, 16)),
            "Monday 2026-02-16 is 春节"
        );
        assert!(
            !c.is_working_day(d(2026, 2, 23)),
            "Monday 2026-02-23 is 春节"
        );
        assert!(c.is_working_day(d(2026, 2, 24)));
        assert!(
            c.is_working_day(d(2026, 2, 28)),
            "Saturday 2026-02-28 is a 调休 working day"
        );
        // 2025: 国庆+中秋 runs 10/1–10/8; 2026: 国庆 runs 10/1–10/7 (State Council notice of
        // 2025-11-04), so Thursday 2026-10-08 is an ordinary working day.
        assert!(
            !c.is_working_day(d(2025, 10, 8)),
            "Wednesday 2025-10-08 is 国庆+中秋"
        );
        assert!(
            !c.is_working_day(d(2026, 10, 7)),
            "Wednesday 2026-10-07 is 国庆"
        );
        assert!(
            c.is_working_day(d(2026, 10, 8)),
            "Thursday 2026-10-08 is a working day"
        );
        assert!(
            c.is_working_day(d(2026, 10, 10)),
            "Saturday 2026-10-10 is 调休"
        );
        assert!(
            c.is_working_day(d(2025, 1, 26)),
            "Sunday 2025-01-26 is 调休"
        );
        assert!(!c.is_working_day(d(2025, 1, 1)));
        assert!(
            !c.is_working_day(d(2026, 1, 2)),
            "Friday 2026-01-02 is 元旦"
        );
        assert!(c.is_working_day(d(2026, 1, 4)), "Sunday 2026-01-04 is 调休");
        assert!(!c.is_working_day(d(2026, 3, 7)), "an ordinary Saturday");
        assert!(!c.is_working_day(d(2026, 3, 8)), "an ordinary Sunday");
        assert!(c.is_working_day(d(2026, 3, 10)), "an ordinary Tuesday");
        // Outside the listed years only the weekday rule applies.
        assert!(c.is_working_day(d(2027, 3, 10)));
        assert!(!c.is_working_day(d(2027, 3, 13)));
        assert!(c.is_working_day(d(1999, 12, 31)));
        assert_eq!(c.minutes_per_day(), 480);
        assert_eq!(
            c.holidays().len(),
            1 + 8 + 3 + 5 + 3 + 8 + 3 + 9 + 3 + 5 + 3 + 3 + 7
        );
        assert_eq!(c.makeup_days().len(), 11);
        for &m in c.makeup_days() {
            assert!(c.is_working_day(m), "{m}");
        }
        assert_eq!(c.utc_offset(), FixedOffset::east_opt(8 * 3600).unwrap());
        assert_eq!(c.local_date(bj(2026, 2, 14, 0, 0)), d(2026, 2, 14));
        assert_eq!(c.local_date(bj(2026, 2, 13, 23, 59)), d(2026, 2, 13));
    }

    #[test]
    fn limits_display_and_minutes() {
        let c = WorkCalendar::china();
        assert_eq!(TimeLimit::working_hours(4).to_string(), "4 工作时");
        assert_eq!(TimeLimit::working_days(20).to_string(), "20 工作日");
        assert_eq!(TimeLimit::minutes(30).to_string(), "30 分钟");
        assert_eq!(TimeLimit::working_hours(4).label_en(), "4 working hours");
        assert_eq!(TimeLimit::working_days(1).label_en(), "1 working day");
        assert_eq!(TimeLimit::minutes(30).label_en(), "30 minutes");
        assert_eq!(c.limit_minutes(TimeLimit::working_hours(4)), 240);
        assert_eq!(c.limit_minutes(TimeLimit::working_days(20)), 9600);
        assert_eq!(c.limit_minutes(TimeLimit::minutes(30)), 30);
        assert_eq!(
            (Light::Yellow.label_zh(), Light::Red.label_en()),
            ("黄灯", "red")
        );
        assert!(Light::Green < Light::Yellow && Light::Yellow < Light::Red);
        let json = serde_json::to_string(&TimeLimit::working_days(5)).unwrap();
        assert_eq!(json, r#"{"value":5,"unit":"working_days"}"#);
        assert_eq!(serde_json::to_string(&Light::Yellow).unwrap(), "\"yellow\"");
    }

    #[test]
    fn add_within_a_period_and_across_lunch() {
        let c = WorkCalendar::china();
        let tue = |h, m| bj(2026, 3, 10, h, m);
        assert_eq!(c.add(tue(9, 0), TimeLimit::working_hours(2)), tue(11, 0));
        assert_eq!(
            c.add(tue(9, 0), TimeLimit::working_hours(3)),
            tue(12, 0),
            "ends at 12:00"
        );
        assert_eq!(c.add(tue(11, 0), TimeLimit::working_hours(2)), tue(14, 0));
        assert_eq!(c.add_working_minutes(tue(11, 59), 2), tue(13, 1));
        assert_eq!(c.add(tue(9, 0), TimeLimit::working_days(1)), tue(18, 0));
        // Milliseconds survive.
        assert_eq!(
            c.add_working_minutes(tue(11, 0) + 1234, 90),
            tue(13, 30) + 1234
        );
    }

    #[test]
    fn add_across_night_and_weekend() {
        let c = WorkCalendar::china();
        assert_eq!(
            c.add(bj(2026, 3, 10, 17, 0), TimeLimit::working_hours(2)),
            bj(2026, 3, 11, 10, 0)
        );
        assert_eq!(
            c.add(bj(2026, 3, 10, 10, 0), TimeLimit::working_days(1)),
            bj(2026, 3, 11, 10, 0)
        );
        // Friday 17:00 + 4 h → Monday 12:00.
        assert_eq!(
            c.add(bj(2026, 3, 13, 17, 0), TimeLimit::working_hours(4)),
            bj(2026, 3, 16, 12, 0)
        );
        // Friday 10:00 + 5 working days → next Friday 10:00.
        assert_eq!(
            c.add(bj(2026, 3, 13, 10, 0), TimeLimit::working_days(5)),
            bj(2026, 3, 20, 10, 0)
        );
        // 20 working days from Monday 2026-03-02 09:00 → Friday 2026-03-27 18:00.
        assert_eq!(
            c.add(bj(2026, 3, 2, 9, 0), TimeLimit::working_days(20)),
            bj(2026, 3, 27, 18, 0)
        );
    }

    #[test]
    fn add_across_spring_festival() {
        let c = WorkCalendar::china();
        // Friday 2026-02-13 17:00 + 2 h → Saturday 2026-02-14 (调休) 10:00.
        assert_eq!(
            c.add(bj(2026, 2, 13, 17, 0), TimeLimit::working_hours(2)),
            bj(2026, 2, 14, 10, 0)
        );
        // Saturday 2026-02-14 17:00 + 1 day → 1 h that day, 7 h on Tuesday 2026-02-24.
        assert_eq!(
            c.add(bj(2026, 2, 14, 17, 0), TimeLimit::working_days(1)),
            bj(2026, 2, 24, 17, 0)
        );
        // Thursday 2026-02-12 09:00 + 3 days → Thursday, Friday, Saturday (调休): 02-14 18:00.
        assert_eq!(
            c.add(bj(2026, 2, 12, 9, 0), TimeLimit::working_days(3)),
            bj(2026, 2, 14, 18, 0)
        );
        // 2025: Monday 2025-01-27 17:00 + 2 h → Wednesday 2025-02-05 10:00 (1/28–2/4 off).
        assert_eq!(
            c.add(bj(2025, 1, 27, 17, 0), TimeLimit::working_hours(2)),
            bj(2025, 2, 5, 10, 0)
        );
        assert_eq!(
            c.working_minutes_between(bj(2026, 2, 14, 18, 0), bj(2026, 2, 24, 9, 0)),
            0,
            "the whole festival is outside working time"
        );
    }

    #[test]
    fn start_outside_working_time() {
        let c = WorkCalendar::china();
        let tue = |h, m| bj(2026, 3, 10, h, m);
        assert_eq!(c.add(tue(7, 30), TimeLimit::working_hours(1)), tue(10, 0));
        assert_eq!(c.add(tue(12, 30), TimeLimit::working_hours(1)), tue(14, 0));
        assert_eq!(
            c.add(tue(18, 0), TimeLimit::working_hours(1)),
            bj(2026, 3, 11, 10, 0)
        );
        assert_eq!(
            c.add(tue(23, 59), TimeLimit::working_hours(1)),
            bj(2026, 3, 11, 10, 0)
        );
        // Friday night and Saturday → Monday.
        assert_eq!(
            c.add(bj(2026, 3, 13, 20, 0), TimeLimit::working_hours(1)),
            bj(2026, 3, 16, 10, 0)
        );
        assert_eq!(
            c.add(bj(2026, 3, 14, 11, 0), TimeLimit::working_hours(1)),
            bj(2026, 3, 16, 10, 0)
        );
        // On a public holiday → the first working day after it.
        assert_eq!(
            c.add(bj(2026, 10, 3, 9, 0), TimeLimit::working_hours(8)),
            bj(2026, 10, 8, 18, 0)
        );
        assert!(!c.is_working_time(tue(12, 30)));
        assert!(c.is_working_time(tue(13, 0)));
        assert!(!c.is_working_time(tue(18, 0)));
        // Zero stays put.
        assert_eq!(c.add(tue(20, 0), TimeLimit::working_hours(0)), tue(20, 0));
    }

    #[test]
    fn minutes_are_natural_time() {
        let c = WorkCalendar::china();
        let sat = bj(2026, 3, 14, 23, 50);
        assert_eq!(c.add(sat, TimeLimit::minutes(30)), bj(2026, 3, 15, 0, 20));
        assert_eq!(
            c.add(bj(2026, 2, 16, 3, 0), TimeLimit::minutes(90)),
            bj(2026, 2, 16, 4, 30)
        );
        assert_eq!(c.warn_at(sat, TimeLimit::minutes(30)), sat + 24 * M);
        assert_eq!(c.warn_at(sat, TimeLimit::minutes(10)), sat + 8 * M);
    }

    #[test]
    fn working_minutes_between_examples() {
        let c = WorkCalendar::china();
        let tue = |h, m| bj(2026, 3, 10, h, m);
        assert_eq!(c.working_minutes_between(tue(8, 0), tue(20, 0)), 480);
        assert_eq!(c.working_minutes_between(tue(11, 0), tue(14, 0)), 120);
        assert_eq!(c.working_minutes_between(tue(14, 0), tue(11, 0)), 0);
        assert_eq!(c.working_minutes_between(tue(14, 0), tue(14, 0)), 0);
        // Friday 17:00 → Monday 10:00 = 2 h.
        assert_eq!(
            c.working_minutes_between(bj(2026, 3, 13, 17, 0), bj(2026, 3, 16, 10, 0)),
            120
        );
        // Whole years: 2026 has 365 − 104 weekend days − 19 weekday holidays + 6 调休 = 248.
        assert_eq!(
            c.working_minutes_between(bj(2026, 1, 1, 0, 0), bj(2027, 1, 1, 0, 0)),
            248 * 480
        );
        // Far outside the table the weekday rule applies (1 Jan 2030 to 1 Jan 2031: 261 days).
        assert_eq!(
            c.working_minutes_between(bj(2030, 1, 1, 0, 0), bj(2031, 1, 1, 0, 0)),
            261 * 480
        );
    }

    #[test]
    fn warn_at_is_eighty_percent() {
        let c = WorkCalendar::china();
        let tue = |h, m| bj(2026, 3, 10, h, m);
        // 5 h from 09:00: 80 % = 4 h → 14:00 (over lunch); due 15:00.
        assert_eq!(
            c.warn_at(tue(9, 0), TimeLimit::working_hours(5)),
            tue(14, 0)
        );
        assert_eq!(c.add(tue(9, 0), TimeLimit::working_hours(5)), tue(15, 0));
        // 1 h: 48 min.
        assert_eq!(
            c.warn_at(tue(9, 0), TimeLimit::working_hours(1)),
            tue(9, 48)
        );
        // 5 days from Monday 09:00: 80 % = 4 days → Thursday 18:00.
        let mon = bj(2026, 3, 9, 9, 0);
        assert_eq!(
            c.warn_at(mon, TimeLimit::working_days(5)),
            bj(2026, 3, 12, 18, 0)
        );
        // Uneven: 1 working hour from 09:00:00.5 → 09:48:00.5.
        assert_eq!(
            c.warn_at(tue(9, 0) + 500, TimeLimit::working_hours(1)),
            tue(9, 48) + 500
        );
        // Started at night, the warning is next morning.
        assert_eq!(
            c.warn_at(tue(20, 0), TimeLimit::working_hours(2)),
            bj(2026, 3, 11, 10, 36)
        );
    }

    #[test]
    fn light_transitions_exactly_at_thresholds() {
        let c = WorkCalendar::china();
        let start = bj(2026, 3, 10, 9, 0);
        let limit = TimeLimit::working_hours(5);
        let (warn, due) = (c.warn_at(start, limit), c.add(start, limit));
        assert_eq!(c.light(start, limit, start), Light::Green);
        assert_eq!(c.light(start, limit, warn - 1), Light::Green);
        assert_eq!(c.light(start, limit, warn), Light::Yellow);
        assert_eq!(c.light(start, limit, due - 1), Light::Yellow);
        assert_eq!(
            c.light(start, limit, due),
            Light::Yellow,
            "due == now is still yellow"
        );
        assert_eq!(c.light(start, limit, due + 1), Light::Red);
        for now in [start, warn - 1, warn, due, due + 1, due + 24 * H] {
            assert_eq!(
                c.light(start, limit, now),
                WorkCalendar::light_at(warn, due, now)
            );
        }
        // Natural minutes: 30 min → yellow at 24 min.
        let lim = TimeLimit::minutes(30);
        assert_eq!(c.light(start, lim, start + 24 * M - 1), Light::Green);
        assert_eq!(c.light(start, lim, start + 24 * M), Light::Yellow);
        assert_eq!(c.light(start, lim, start + 30 * M), Light::Yellow);
        assert_eq!(c.light(start, lim, start + 30 * M + 1), Light::Red);
        // Over a weekend the light stays green while no working time passes.
        let fri = bj(2026, 3, 13, 17, 0);
        assert_eq!(
            c.light(fri, TimeLimit::working_hours(2), bj(2026, 3, 15, 12, 0)),
            Light::Green
        );
    }

    #[test]
    fn toml_round_trip() {
        let c = WorkCalendar::china();
        let text = c.to_toml();
        assert!(text.contains("\"2026-02-15..2026-02-23\""), "{text}");
        assert!(text.contains("\"09:00-12:00\""), "{text}");
        assert!(text.contains("utc_offset = \"+08:00\""), "{text}");
        let back = WorkCalendar::from_toml(&text).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.to_toml(), text);

        let custom = WorkCalendar::from_toml(
            r#"
            utc_offset = "-05:30"
            working_weekdays = [1, 2, 3, 4, 5, 6]
            periods = ["13:00-17:00", "08:00-12:00"]
            holidays = ["2027-01-01", "2027-02-01..2027-02-03", "2027-02-02"]
            makeup_days = ["2027-01-03"]
            "#,
        )
        .unwrap();
        assert_eq!(custom.minutes_per_day(), 480);
        assert_eq!(custom.holidays().len(), 4);
        assert!(
            custom.is_working_day(d(2027, 1, 2)),
            "Saturday is a working weekday"
        );
        assert!(custom.is_working_day(d(2027, 1, 3)), "Sunday make-up day");
        assert!(!custom.is_working_day(d(2027, 1, 10)));
        let back = WorkCalendar::from_toml(&custom.to_toml()).unwrap();
        assert_eq!(back, custom);
        assert_eq!(
            back.utc_offset(),
            FixedOffset::west_opt(5 * 3600 + 1800).unwrap()
        );

        // Defaults: the China working day and offset, no holidays.
        let plain = WorkCalendar::from_toml("").unwrap();
        assert_eq!(plain.minutes_per_day(), 480);
        assert!(plain.is_working_day(d(2026, 2, 16)));
        assert!(!plain.is_working_day(d(2026, 2, 14)));

        // Serde embedding (e.g. in a node's configuration) uses the same form.
        #[derive(Serialize, Deserialize)]
        struct Node {
            calendar: WorkCalendar,
        }
        let node: Node = toml::from_str(
            &toml::to_string(&Node {
                calendar: c.clone(),
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(node.calendar, c);
    }

    #[test]
    fn errors_name_the_offending_value() {
        let err = |text: &str| WorkCalendar::from_toml(text).unwrap_err();
        let e = err("holidays = 12");
        assert!(
            matches!(e, CalendarError::Toml(_)) && e.to_string().contains("holidays"),
            "{e}"
        );
        let e = err("colour = \"red\"");
        assert!(
            matches!(e, CalendarError::Toml(_)) && e.to_string().contains("colour"),
            "{e}"
        );
        let e = err(r#"holidays = ["2026-02-30"]"#);
        assert!(
            matches!(e, CalendarError::BadDate { .. }) && e.to_string().contains("2026-02-30"),
            "{e}"
        );
        let e = err(r#"makeup_days = ["2026-03-05..2026-03-01"]"#);
        assert!(
            e.to_string().contains("2026-03-05..2026-03-01")
                && e.to_string().contains("makeup_days"),
            "{e}"
        );
        let e = err(r#"holidays = ["3026-01-01"]"#);
        assert!(
            matches!(e, CalendarError::BadDate { .. }) && e.to_string().contains("3026-01-01"),
            "{e}"
        );
        let e = err(r#"periods = ["09:00-25:00"]"#);
        assert!(
            matches!(e, CalendarError::BadTime { .. }) && e.to_string().contains("\"25:00\""),
            "{e}"
        );
        let e = err(r#"periods = ["0900"]"#);
        assert!(
            matches!(e, CalendarError::BadPeriod { .. }) && e.to_string().contains("0900"),
            "{e}"
        );
        let e = err(r#"periods = ["12:00-12:00"]"#);
        assert!(
            matches!(e, CalendarError::EmptyPeriod { .. }) && e.to_string().contains("12:00-12:00"),
            "{e}"
        );
        let e = err(r#"periods = ["09:00-12:00", "11:30-18:00"]"#);
        assert!(matches!(e, CalendarError::OverlappingPeriods { .. }), "{e}");
        assert!(
            e.to_string().contains("09:00-12:00") && e.to_string().contains("11:30-18:00"),
            "{e}"
        );
        let e = err("periods = []");
        assert!(
            matches!(e, CalendarError::NoPeriods) && e.to_string().contains("periods = []"),
            "{e}"
        );
        let e = err("working_weekdays = [1, 8]");
        assert!(
            matches!(e, CalendarError::BadWeekday { value: 8 }) && e.to_string().contains('8'),
            "{e}"
        );
        let e = err("working_weekdays = []");
        assert!(matches!(e, CalendarError::NoWorkingWeekdays), "{e}");
        let e = err(r#"utc_offset = "Asia/Shanghai""#);
        assert!(
            matches!(e, CalendarError::BadOffset { .. }) && e.to_string().contains("Asia/Shanghai"),
            "{e}"
        );
        let e = err(r#"holidays = ["2026-05-01..2026-05-05"]
makeup_days = ["2026-05-03"]"#);
        assert!(
            matches!(e, CalendarError::HolidayAndMakeup { .. })
                && e.to_string().contains("2026-05-03"),
            "{e}"
        );
    }

    #[test]
    fn sixty_working_days_and_many_calls() {
        let c = WorkCalendar::china();
        // 60 working days from Monday 2025-09-01 09:00: count them with is_working_day.
        let mut day = d(2025, 9, 1);
        let mut n = 0;
        loop {
            if c.is_working_day(day) {
                n += 1;
                if n == 60 {
                    break;
                }
            }
            day = day.succ_opt().unwrap();
        }
        let start = bj(2025, 9, 1, 9, 0);
        let due = c.add(start, TimeLimit::working_days(60));
        assert_eq!(local(due), day.and_hms_opt(18, 0, 0).unwrap());
        assert_eq!(c.working_minutes_between(start, due), 60 * 480);
        // A district-year's worth of arithmetic in miniature: every 7 min through 2025.
        let (mut t, end) = (bj(2025, 1, 1, 0, 0), bj(2026, 1, 1, 0, 0));
        let mut checked = 0;
        while t < end {
            let limit = TimeLimit::working_hours(1 + (checked % 40) as u32);
            let due = c.add(t, limit);
            assert!(c.warn_at(t, limit) <= due);
            assert_eq!(c.working_minutes_between(t, due), c.limit_minutes(limit));
            t += 7 * M;
            checked += 1;
        }
        assert!(checked > 70_000);
        // Huge values saturate instead of overflowing or looping.
        assert_eq!(c.add_working_minutes(start, u64::MAX), Millis::MAX);
        assert!(c.add(start, TimeLimit::working_days(u32::MAX)) > due);
        assert_eq!(c.add(Millis::MAX - 10, TimeLimit::minutes(5)), Millis::MAX);
    }

    /// Minute-by-minute reference for minute-aligned starts.
    fn reference_add(c: &WorkCalendar, start: Millis, minutes: u64) -> Millis {
        let mut t = start;
        let mut left = minutes;
        while left > 0 {
            let l = local(t);
            let mins = i64::from(
                chrono::Timelike::hour(&l.time()) * 60 + chrono::Timelike::minute(&l.time()),
            );
            let in_period = (540..720).contains(&mins) || (780..1080).contains(&mins);
            if c.is_working_day(l.date()) && in_period {
                left -= 1;
            }
            t += M;
        }
        t
    }

    fn cal() -> &'static WorkCalendar {
        static CAL: std::sync::LazyLock<WorkCalendar> =
            std::sync::LazyLock::new(WorkCalendar::china);
        &CAL
    }

    fn any_start() -> impl Strategy<Value = Millis> {
        bj(2025, 1, 1, 0, 0)..bj(2027, 1, 1, 0, 0)
    }

    proptest! {
        #[test]
        fn between_inverts_add_inside_working_time(raw in any_start(), m in 0u64..=60 * 480) {
            let c = cal();
            // Move the start into working time (the first working instant at or after raw).
            let start = if c.is_working_time(raw) { raw } else { c.add_working_ms(raw, 1) - 1 };
            prop_assert!(c.is_working_time(start));
            let end = c.add_working_minutes(start, m);
            prop_assert_eq!(c.working_minutes_between(start, end), m);
        }

        #[test]
        fn between_inverts_add_anywhere(start in any_start(), m in 0u64..=60 * 480) {
            let c = cal();
            let end = c.add_working_minutes(start, m);
            prop_assert!(end >= start);
            prop_assert_eq!(c.working_minutes_between(start, end), m);
        }

        #[test]
        fn add_is_monotonic(start in any_start(), a in 0u64..=60 * 480, b in 0u64..=60 * 480, dt in 0i64..3 * 86_400_000) {
            let c = cal();
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(c.add_working_minutes(start, lo) <= c.add_working_minutes(start, hi));
            if lo > 0 {
                prop_assert!(c.add_working_minutes(start, lo) <= c.add_working_minutes(start + dt, lo));
            }
            let lim = TimeLimit::working_hours((hi / 60) as u32);
            prop_assert!(c.warn_at(start, lim) <= c.add(start, lim));
        }

        #[test]
        fn between_is_additive(a in any_start(), x in 0i64..40 * 86_400_000, y in 0i64..40 * 86_400_000) {
            let c = cal();
            let (b, e) = (a + x, a + x + y);
            prop_assert_eq!(
                c.working_ms_between(a, e),
                c.working_ms_between(a, b) + c.working_ms_between(b, e)
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn add_matches_minute_by_minute_reference(minute in 0i64..(2 * 366 * 1440), m in 0u64..=3 * 480) {
            let c = cal();
            let start = bj(2025, 1, 1, 0, 0) + minute * M;
            prop_assert_eq!(c.add_working_minutes(start, m), reference_add(c, start, m));
        }
    }
}
