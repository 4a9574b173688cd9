//! 中国工作日历 — the PRC public holidays (法定节假日) and make-up working days (调休上班).

use super::WorkCalendar;
use super::file::CalendarFile;

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
            years: vec![2025, 2026],
        };
        WorkCalendar::try_from(file).expect("the built-in China calendar is valid")
    }
}
