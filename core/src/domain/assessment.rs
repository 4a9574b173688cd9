//! 考核权重 — the assessment settings a district configures: hotline weights, the dispatch
//! target and grade floors. Plain data; the assessment itself lives in `analytics`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Assessment settings (考核参数), with the defaults of `../shared/domain.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssessConfig {
    /// Hotline 三率 weights: 响应率, 解决率, 满意率 (default 10/45/45).
    pub hotline_weights: [f64; 3],
    /// Dispatches a 派遣员 post is expected to make per day, for 派遣数分值.
    pub dispatch_target_per_day: f64,
    /// Lowest scores of grades A, B, C and D (default 90/75/60/40).
    pub grade_floors: [f64; 4],
    /// How many entries the 高频 lists keep.
    pub top: usize,
    /// 街道排名 (区域评价): the parts of a street's composite score and their weights (%),
    /// keyed by figure (see [`SCORE_KEYS`]); a lower-is-better rate counts as 1 − rate.
    pub street_score: BTreeMap<String, f64>,
    /// 部门排名 (部门评价): the parts of a department's composite score, as `street_score`.
    pub department_score: BTreeMap<String, f64>,
}

/// The figures a ranking score may weigh (排名指标), by key: every rate, and `hotline` for
/// the 热线三率 score (`hotline_weights`).
pub const SCORE_KEYS: [&str; 20] = [
    "hotline",
    "close_rate",
    "on_time_close_rate",
    "on_time_accept",
    "on_time_register",
    "accurate_register",
    "on_time_dispatch",
    "accurate_dispatch",
    "on_time_verify",
    "on_time_check",
    "on_time_close_step",
    "on_time_report_in",
    "rework",
    "extension",
    "send_back",
    "valid_report",
    "missed_report",
    "hotline_response",
    "hotline_resolution",
    "hotline_satisfaction",
];

impl Default for AssessConfig {
    fn default() -> Self {
        AssessConfig {
            hotline_weights: [10.0, 45.0, 45.0],
            dispatch_target_per_day: 10.0,
            grade_floors: [90.0, 75.0, 60.0, 40.0],
            top: 10,
            street_score: weights(&[
                ("hotline", 40.0),
                ("on_time_close_rate", 30.0),
                ("close_rate", 20.0),
                ("missed_report", 10.0),
            ]),
            department_score: weights(&[
                ("on_time_close_rate", 40.0),
                ("close_rate", 20.0),
                ("rework", 20.0),
                ("send_back", 10.0),
                ("extension", 10.0),
            ]),
        }
    }
}

impl AssessConfig {
    /// Parses and checks settings from TOML (missing keys keep their defaults); the error
    /// says which value is wrong.
    pub fn from_toml(text: &str) -> Result<AssessConfig, String> {
        let c: AssessConfig = toml::from_str(text).map_err(|e| e.message().to_string())?;
        c.check()?;
        Ok(c)
    }

    /// Checks the values: weights non-negative and not all zero, a positive dispatch target,
    /// grade floors falling from A to D.
    pub fn check(&self) -> Result<(), String> {
        if self
            .hotline_weights
            .iter()
            .any(|w| *w < 0.0 || !w.is_finite())
            || self.hotline_weights.iter().sum::<f64>() <= 0.0
        {
            return Err("hotline_weights must be non-negative and not all zero".into());
        }
        if self.dispatch_target_per_day.is_nan() || self.dispatch_target_per_day <= 0.0 {
            return Err("dispatch_target_per_day must be above zero".into());
        }
        if self.grade_floors.windows(2).any(|w| w[0] < w[1]) {
            return Err("grade_floors must fall from A to D, e.g. [90, 75, 60, 40]".into());
        }
        for (table, parts) in [
            ("street_score", &self.street_score),
            ("department_score", &self.department_score),
        ] {
            if let Some(k) = parts.keys().find(|k| !SCORE_KEYS.contains(&k.as_str())) {
                return Err(format!(
                    "{table}: `{k}` is not a figure a score can weigh; use one of {}",
                    SCORE_KEYS.join(", ")
                ));
            }
            if parts.values().any(|w| *w < 0.0 || !w.is_finite())
                || parts.values().sum::<f64>() <= 0.0
            {
                return Err(format!(
                    "{table}: weights must be non-negative and not all zero"
                ));
            }
        }
        Ok(())
    }
}

/// A weight table from pairs.
fn weights(parts: &[(&str, f64)]) -> BTreeMap<String, f64> {
    parts.iter().map(|(k, w)| (k.to_string(), *w)).collect()
}
