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

mod china;
mod file;
mod limit;

pub use file::{CalendarError, default_offset, default_periods, default_weekdays};
use file::{CalendarFile, format_offset, format_tod};
pub use limit::{Light, LimitUnit, TimeLimit};

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
    /// The years whose public holidays are listed (覆盖年份), sorted; in any other year only
    /// the working weekdays count, and [`WorkCalendar::uncovered_between`] says so.
    years: Vec<i32>,
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

impl WorkCalendar {
    /// The years whose public holidays (法定节假日) this calendar lists, sorted.
    pub fn covered_years(&self) -> &[i32] {
        &self.years
    }

    /// Whether the local year of `t` has its public holidays listed.
    pub fn covers(&self, t: Millis) -> bool {
        self.years.binary_search(&self.local_date(t).year()).is_ok()
    }

    /// The first year from `from` to `to` (local dates, inclusive) whose public holidays are
    /// not listed (未覆盖年份): time there was counted on working weekdays only.
    pub fn uncovered_between(&self, from: Millis, to: Millis) -> Option<i32> {
        let (a, b) = (self.local_date(from).year(), self.local_date(to).year());
        (a.min(b)..=a.max(b)).find(|y| self.years.binary_search(y).is_err())
    }

    /// The years near `t` whose public holidays are not listed (未覆盖年份), for a warning:
    /// `t`'s year and, in December, next year (deadlines start crossing into it).
    pub fn uncovered_near(&self, t: Millis) -> Vec<i32> {
        let today = self.local_date(t);
        let last = today.year() + i32::from(today.month() == 12);
        (today.year()..=last)
            .filter(|y| self.years.binary_search(y).is_err())
            .collect()
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

#[cfg(test)]
mod tests;

/// A time as `YYYY-MM-DD HH:MM:SS` in Beijing time (北京时间), for messages and logs; the
/// raw milliseconds if out of range.
pub fn beijing(t: Millis) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp_millis(t)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| t.to_string())
}
