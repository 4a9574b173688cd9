//! Tests of the parent module.

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
        e.to_string().contains("2026-03-05..2026-03-01") && e.to_string().contains("makeup_days"),
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
        matches!(e, CalendarError::HolidayAndMakeup { .. }) && e.to_string().contains("2026-05-03"),
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
        let mins =
            i64::from(chrono::Timelike::hour(&l.time()) * 60 + chrono::Timelike::minute(&l.time()));
        let in_period = (540..720).contains(&mins) || (780..1080).contains(&mins);
        if c.is_working_day(l.date()) && in_period {
            left -= 1;
        }
        t += M;
    }
    t
}

fn cal() -> &'static WorkCalendar {
    static CAL: std::sync::LazyLock<WorkCalendar> = std::sync::LazyLock::new(WorkCalendar::china);
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
