//! 时限 and 灯色: a time limit in working hours, working days or natural minutes, and the
//! traffic light it gives.

use std::fmt;

use serde::{Deserialize, Serialize};

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
    /// A limit unit by its compact, Chinese or snake_case name (`h`, `工作日`, `minutes`…).
    pub fn parse(s: &str) -> Option<LimitUnit> {
        match s {
            "h" | "工作时" | "工作小时" | "working_hours" => Some(LimitUnit::WorkingHours),
            "d" | "工作日" | "working_days" => Some(LimitUnit::WorkingDays),
            "min" | "分钟" | "minutes" => Some(LimitUnit::Minutes),
            _ => None,
        }
    }

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
    /// Parses a compact limit: a number and a unit, `"4h"` / `"4 工作时"` (working hours),
    /// `"5d"` / `"5 工作日"` (working days) or `"30min"` / `"30 分钟"`; zero is allowed here
    /// and refused by the callers that need a positive limit. The error says what was wrong.
    pub fn parse(text: &str) -> Result<TimeLimit, &'static str> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = (&t[..split], t[split..].trim());
        if num.is_empty() {
            return Err("expected a number followed by a unit, e.g. \"4h\"");
        }
        let Ok(value) = num.parse::<u32>() else {
            return Err("number too large");
        };
        let Some(unit) = LimitUnit::parse(unit) else {
            return Err("unit must be h (工作时), d (工作日) or min (分钟)");
        };
        Ok(TimeLimit { value, unit })
    }

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
