//! 考核权重 — the assessment settings a district configures: hotline weights, the dispatch
//! target and grade floors. Plain data; the assessment itself lives in `analytics`.

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
}

impl Default for AssessConfig {
    fn default() -> Self {
        AssessConfig {
            hotline_weights: [10.0, 45.0, 45.0],
            dispatch_target_per_day: 10.0,
            grade_floors: [90.0, 75.0, 60.0, 40.0],
            top: 10,
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
        Ok(())
    }
}
