//! The package's TOML files as written (配置文件原文): the tables of `district.toml`,
//! `grids.toml`, `limits.toml` and the calendar files, before they are checked.

use serde::Deserialize;

/// `district.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DistrictToml {
    pub(super) format: u32,
    pub(super) district: UnitToml,
    #[serde(default)]
    pub(super) levels: Option<LevelsToml>,
    #[serde(default)]
    pub(super) grid_code: Option<GridRuleToml>,
    #[serde(default)]
    pub(super) streets: Vec<UnitToml>,
    #[serde(default)]
    pub(super) communities: Vec<CommunityToml>,
    #[serde(default)]
    pub(super) departments: Vec<DepartmentToml>,
}

/// The district or a street: code and name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UnitToml {
    pub(super) id: String,
    pub(super) name: String,
}

/// A community (社区/村) and its street.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CommunityToml {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) street: String,
}

/// A department (部门) and its duties (职责): category codes, major or minor.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DepartmentToml {
    pub(super) id: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) duties: Vec<String>,
}

/// `[levels]`: the names of the three levels.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LevelsToml {
    pub(super) district: Option<String>,
    pub(super) street: Option<String>,
    pub(super) community: Option<String>,
}

/// `[grid_code]`: the grid code rule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GridRuleToml {
    pub(super) rule: String,
}

/// `grids.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GridsToml {
    #[serde(default)]
    pub(super) grids: Vec<GridToml>,
}

/// One grid cell: code, name, and its place (x/y on the schematic map, or a centre).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GridToml {
    pub(super) code: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) community: Option<String>,
    #[serde(default)]
    pub(super) centre: Option<[f64; 2]>,
    #[serde(default)]
    pub(super) x: Option<f32>,
    #[serde(default)]
    pub(super) y: Option<f32>,
}

/// `calendar/hours.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HoursToml {
    #[serde(default = "crate::domain::calendar::default_offset")]
    pub(super) utc_offset: String,
    #[serde(default = "crate::domain::calendar::default_weekdays")]
    pub(super) working_weekdays: Vec<i64>,
    #[serde(default = "crate::domain::calendar::default_periods")]
    pub(super) periods: Vec<String>,
    #[serde(default)]
    pub(super) always_on: Vec<String>,
}

/// `calendar/YYYY.toml`: one year's public holidays and make-up working days.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct YearToml {
    pub(super) year: i32,
    #[serde(default)]
    #[allow(dead_code)] // kept for the reader: the notice the dates come from
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) holidays: Vec<String>,
    #[serde(default)]
    pub(super) makeup_days: Vec<String>,
}

/// `limits.toml`: the stage limits, compact (`"4h"`, `"2d"`, `"30min"`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitsToml {
    pub(super) accept: Option<String>,
    pub(super) verify: Option<String>,
    pub(super) register: Option<String>,
    pub(super) dispatch: Option<String>,
    pub(super) check: Option<String>,
    pub(super) close: Option<String>,
    pub(super) callback: Option<String>,
    pub(super) report_in: Option<String>,
    pub(super) sign: Option<String>,
    pub(super) contact: Option<String>,
}
