//! 区级配置包 — a district's own configuration: its units and level names, grid cells and
//! polygons, category catalogue, stage limits, working calendar (one file per year),
//! emergency plans and assessment weights, as a folder of plain files (format in
//! `docs/config.md`). [`DistrictConfig::from_files`] checks every file and names the file,
//! line and field of the first thing wrong; a [`ConfigBook`] holds the signed versions a node
//! has, each with the time it takes effect.
//!
//! Core holds no keys: signing and verifying versions is the sync layer's.

mod book;
mod calendar_files;
mod error;
mod files;
mod geo;
mod raw;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

pub use book::{BookError, ConfigBook, ConfigVersion};
pub use error::{ConfigError, Place};
pub use files::{CALENDAR_DIR, ConfigFiles, TOP_FILES};
pub use geo::GridShape;

use crate::domain::assessment::AssessConfig;
use crate::domain::calendar::{TimeLimit, WorkCalendar};
use crate::domain::catalogue::{Catalogue, CatalogueError};
use crate::domain::emergency::{PlanError, Plans};
use crate::domain::limits::StageLimits;
use crate::domain::unit::{
    District, Levels, RawCommunity, RawFile, RawGrid, RawUnit, UnitError, UnitId,
};
use error::{line_of_value, toml_error};
use raw::{DistrictToml, GridsToml, LimitsToml};

/// The configuration format this build reads (`format = 1` in `district.toml`).
pub const FORMAT: u32 = 1;

/// A district's configuration, checked (区级配置).
#[derive(Debug, Clone)]
pub struct DistrictConfig {
    /// Units, grid cells and the names of the levels.
    pub district: District,
    /// The national standard catalogue with the district's additions and overrides.
    pub catalogue: Catalogue,
    /// The working calendar over the covered years.
    pub calendar: WorkCalendar,
    /// Stage limits (环节时限).
    pub limits: StageLimits,
    /// Emergency plans (应急预案): the shipped ones, or the district's own.
    pub plans: Plans,
    /// Assessment weights (考核权重).
    pub assessment: AssessConfig,
    /// Units that work every day round the clock (24小时值守, 环卫): their handling
    /// deadlines run on [`DistrictConfig::round_the_clock`].
    pub always_on: BTreeSet<UnitId>,
    /// The calendar of the always-on units: every day, 00:00–24:00, no holidays.
    pub round_the_clock: WorkCalendar,
    /// Each department's duties (职责): category codes, major or minor.
    pub duties: BTreeMap<UnitId, Vec<String>>,
    /// Grid outlines and centres from `grids.toml` and `grids.geojson`.
    pub shapes: BTreeMap<String, GridShape>,
}

static DEMO: LazyLock<DistrictConfig> = LazyLock::new(|| {
    DistrictConfig::from_files(&demo_files())
        .unwrap_or_else(|e| panic!("the shipped demo configuration is broken: {e}"))
});

/// The demo district's package (东城区 demo), as shipped in `core/data/demo`; used by
/// `demo`, the walkthrough, the generator and tests only.
pub fn demo_files() -> ConfigFiles {
    let mut f = ConfigFiles::default();
    for (name, text) in [
        (
            "district.toml",
            include_str!("../../../data/demo/district.toml"),
        ),
        ("grids.toml", include_str!("../../../data/demo/grids.toml")),
        (
            "catalogue.toml",
            include_str!("../../../data/demo/catalogue.toml"),
        ),
        (
            "limits.toml",
            include_str!("../../../data/demo/limits.toml"),
        ),
        ("plans.toml", include_str!("../../../data/demo/plans.toml")),
        (
            "assessment.toml",
            include_str!("../../../data/demo/assessment.toml"),
        ),
        (
            "calendar/hours.toml",
            include_str!("../../../data/demo/calendar/hours.toml"),
        ),
        (
            "calendar/2025.toml",
            include_str!("../../../data/demo/calendar/2025.toml"),
        ),
        (
            "calendar/2026.toml",
            include_str!("../../../data/demo/calendar/2026.toml"),
        ),
    ] {
        f.files.insert(name.to_owned(), text.to_owned());
    }
    f
}

impl District {
    /// The shipped demo 区 district, 东城区 (110101) with its 17 街道 streets, from the demo
    /// package (demo, walkthrough, generator and tests only).
    pub fn demo() -> District {
        DistrictConfig::demo().district.clone()
    }
}

impl DistrictConfig {
    /// The demo district's configuration (parsed once).
    pub fn demo() -> &'static DistrictConfig {
        &DEMO
    }

    /// Reads and checks a package folder.
    pub fn load_dir(dir: &Path) -> Result<(ConfigFiles, DistrictConfig), ConfigError> {
        let files = ConfigFiles::read_dir(dir)?;
        let config = DistrictConfig::from_files(&files)?;
        Ok((files, config))
    }

    /// Checks a package's files and builds the configuration; the error names the file,
    /// line and field of the first problem found.
    pub fn from_files(files: &ConfigFiles) -> Result<DistrictConfig, ConfigError> {
        let need = |name: &'static str, what: &'static str| {
            files.get(name).ok_or(ConfigError::Missing {
                file: name.to_owned(),
                what,
            })
        };
        let district_text = need("district.toml", "the district, its level names and units")?;
        let grids_text = need("grids.toml", "the grid cells")?;
        let hours_text = need("calendar/hours.toml", "working hours and weekdays")?;

        let catalogue = catalogue(files.get("catalogue.toml"))?;
        let dt: DistrictToml = parse("district.toml", district_text)?;
        let gt: GridsToml = parse("grids.toml", grids_text)?;
        let shapes_geo = match files.get("grids.geojson") {
            Some(t) => geo::parse_geojson(t)?,
            None => BTreeMap::new(),
        };
        let (district, duties, shapes) =
            district(&dt, district_text, &gt, grids_text, shapes_geo, &catalogue)?;
        let (calendar, always_on) = calendar_files::calendar(files, hours_text, &district)?;
        let round_the_clock = calendar_files::round_the_clock(&calendar);
        let limits = match files.get("limits.toml") {
            Some(t) => limits(t)?,
            None => StageLimits::default(),
        };
        let plans = match files.get("plans.toml") {
            Some(t) => plans(t, &catalogue)?,
            None => Plans::builtin(),
        };
        let assessment = match files.get("assessment.toml") {
            Some(t) => {
                let a: AssessConfig = parse("assessment.toml", t)?;
                a.check()
                    .map_err(|why| ConfigError::invalid("assessment.toml", None, "", why))?;
                a
            }
            None => AssessConfig::default(),
        };
        Ok(DistrictConfig {
            district,
            catalogue,
            calendar,
            limits,
            plans,
            assessment,
            always_on,
            round_the_clock,
            duties,
            shapes,
        })
    }
}

/// Parses a TOML file into its raw tables, placing a syntax or shape error.
fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|e| toml_error(file, text, &e))
}

fn catalogue(text: Option<&str>) -> Result<Catalogue, ConfigError> {
    let mut cat = Catalogue::standard();
    let Some(text) = text else {
        return Ok(cat);
    };
    const FILE: &str = "catalogue.toml";
    let own = Catalogue::from_toml_over(text, Some(&cat)).map_err(|e| {
        let subject = match &e {
            CatalogueError::Toml(t) => return toml_error(FILE, text, t),
            CatalogueError::BadCode { code, .. }
            | CatalogueError::BadMajorCode { code, .. }
            | CatalogueError::BadLimit { code, .. }
            | CatalogueError::ZeroLimit { code } => Some(code.clone()),
            CatalogueError::UnknownMajor { minor, .. } => Some(minor.clone()),
            CatalogueError::Duplicate(c)
            | CatalogueError::EmptyName(c)
            | CatalogueError::UnknownCategory(c) => Some(c.clone()),
            CatalogueError::Io { .. } => None,
        };
        let line = subject.as_deref().and_then(|s| line_of_value(text, s));
        ConfigError::invalid(FILE, line, subject.unwrap_or_default(), &e)
    })?;
    cat.extend(own);
    Ok(cat)
}

type Built = (
    District,
    BTreeMap<UnitId, Vec<String>>,
    BTreeMap<String, GridShape>,
);

/// Builds the district from `district.toml` and `grids.toml` (with `grids.geojson`).
fn district(
    dt: &DistrictToml,
    dtext: &str,
    gt: &GridsToml,
    gtext: &str,
    mut shapes: BTreeMap<String, GridShape>,
    catalogue: &Catalogue,
) -> Result<Built, ConfigError> {
    const D: &str = "district.toml";
    const G: &str = "grids.toml";
    if dt.format != FORMAT {
        return Err(ConfigError::invalid(
            D,
            line_of_key(dtext, "format"),
            "format",
            format!(
                "this gridloop reads format {FORMAT}, the file says {}",
                dt.format
            ),
        ));
    }
    if let Some(rule) = &dt.grid_code
        && rule.rule != "db11"
    {
        return Err(ConfigError::invalid(
            D,
            line_of_value(dtext, &rule.rule),
            "grid_code.rule",
            format!(
                "unknown grid code rule {:?}: this gridloop knows \"db11\" (15 digits: the \
                 community's 12-digit code and a 3-digit sequence, as GB/T 30428.1 and DB11)",
                rule.rule
            ),
        ));
    }
    let mut levels = Levels::default();
    if let Some(l) = &dt.levels {
        for (field, given, slot) in [
            ("levels.district", &l.district, &mut levels.district),
            ("levels.street", &l.street, &mut levels.street),
            ("levels.community", &l.community, &mut levels.community),
        ] {
            if let Some(name) = given {
                if name.trim().is_empty() {
                    return Err(ConfigError::invalid(D, None, field, "empty level name"));
                }
                *slot = name.trim().to_owned();
            }
        }
    }
    // Names first, each placed at its unit.
    let named = std::iter::once(("district".to_string(), &dt.district.id, &dt.district.name))
        .chain(
            dt.streets
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("streets[{i}]"), &u.id, &u.name)),
        )
        .chain(
            dt.communities
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("communities[{i}]"), &u.id, &u.name)),
        )
        .chain(
            dt.departments
                .iter()
                .enumerate()
                .map(|(i, u)| (format!("departments[{i}]"), &u.id, &u.name)),
        );
    for (field, id, name) in named {
        if name.trim().is_empty() {
            return Err(ConfigError::invalid(
                D,
                line_of_value(dtext, id),
                format!("{field}.name"),
                "empty name",
            ));
        }
    }
    let mut duties = BTreeMap::new();
    for (i, d) in dt.departments.iter().enumerate() {
        for (j, code) in d.duties.iter().enumerate() {
            let known = if code.len() == 3 {
                catalogue.major(code).is_some()
            } else {
                catalogue.require(code).is_ok()
            };
            if !known {
                return Err(ConfigError::invalid(
                    D,
                    line_of_value(dtext, code),
                    format!("departments[{i}].duties[{j}]"),
                    format!("unknown category {code} (not in the catalogue)"),
                ));
            }
        }
        duties.insert(UnitId(d.id.clone()), d.duties.clone());
    }

    // Grids: a place for each, from x/y, a centre or a polygon.
    for code in shapes.keys() {
        if !gt.grids.iter().any(|g| &g.code == code) {
            return Err(ConfigError::invalid(
                "grids.geojson",
                None,
                format!("properties.code {code}"),
                "a polygon for a grid that grids.toml does not list",
            ));
        }
    }
    let mut centres = Vec::new();
    for (i, g) in gt.grids.iter().enumerate() {
        let line = line_of_value(gtext, &g.code);
        if g.x.is_some() != g.y.is_some() {
            return Err(ConfigError::invalid(
                G,
                line,
                format!("grids[{i}].x"),
                "give both x and y, or neither",
            ));
        }
        if let Some([lon, lat]) = g.centre {
            geo::check_wgs84(lon, lat)
                .map_err(|why| ConfigError::invalid(G, line, format!("grids[{i}].centre"), why))?;
            let shape = shapes.entry(g.code.clone()).or_insert(GridShape {
                outline: Vec::new(),
                centre: (lon, lat),
            });
            shape.centre = (lon, lat);
        }
        match shapes.get(&g.code) {
            Some(s) => centres.push(s.centre),
            None if g.x.is_none() => {
                return Err(ConfigError::invalid(
                    G,
                    line,
                    format!("grids[{i}]"),
                    "no place: give x and y, a centre, or a polygon in grids.geojson",
                ));
            }
            None => {}
        }
    }
    let projected = geo::project(&centres);
    let mut next = projected.into_iter();
    let mut grids = Vec::with_capacity(gt.grids.len());
    for g in &gt.grids {
        let from_centre = shapes.contains_key(&g.code).then(|| next.next()).flatten();
        let (x, y) = match (g.x, g.y, from_centre) {
            (Some(x), Some(y), _) => (x, y),
            (_, _, Some(p)) => p,
            _ => unreachable!("checked above: every grid has a place"),
        };
        grids.push(RawGrid {
            code: g.code.clone(),
            name: g.name.clone(),
            community: g.community.clone(),
            x,
            y,
        });
    }

    let raw = RawFile {
        district: RawUnit {
            id: dt.district.id.clone(),
            name: dt.district.name.clone(),
        },
        streets: dt
            .streets
            .iter()
            .map(|u| RawUnit {
                id: u.id.clone(),
                name: u.name.clone(),
            })
            .collect(),
        departments: dt
            .departments
            .iter()
            .map(|u| RawUnit {
                id: u.id.clone(),
                name: u.name.clone(),
            })
            .collect(),
        communities: dt
            .communities
            .iter()
            .map(|u| RawCommunity {
                id: u.id.clone(),
                name: u.name.clone(),
                street: u.street.clone(),
            })
            .collect(),
        grids,
    };
    let district =
        District::build(raw, levels).map_err(|e| unit_error(&e, dt, dtext, gt, gtext))?;
    Ok((district, duties, shapes))
}

/// Places a unit or grid error at the unit or grid it names.
fn unit_error(
    e: &UnitError,
    dt: &DistrictToml,
    dtext: &str,
    gt: &GridsToml,
    gtext: &str,
) -> ConfigError {
    let grid_error = matches!(
        e,
        UnitError::GridCodeLength { .. }
            | UnitError::GridCodeNotDigits { .. }
            | UnitError::UnknownGrid(_)
            | UnitError::DuplicateGrid(_)
            | UnitError::GridCommunityMismatch { .. }
            | UnitError::GridCommunityMissing { .. }
            | UnitError::GridPosition { .. }
    );
    let subject = e.subject().unwrap_or_default();
    // The line of the entry that defines the subject (`id = "…"` / `code = "…"`; the last
    // one for a duplicate), else the last line that names it.
    let last = |text: &str| {
        let key = if grid_error { "code" } else { "id" };
        let quoted = format!("\"{subject}\"");
        let defining = text.match_indices(&quoted).filter(|(at, _)| {
            let before = text[..*at].trim_end();
            before
                .strip_suffix('=')
                .is_some_and(|b| b.trim_end().ends_with(key))
        });
        defining
            .last()
            .or_else(|| text.rmatch_indices(&quoted).next())
            .map(|(at, _)| error::line_at(text, at))
    };
    if grid_error {
        let i = gt.grids.iter().rposition(|g| g.code == subject);
        let leaf = match e {
            UnitError::GridCommunityMismatch { .. } => "community",
            UnitError::GridCommunityMissing { .. } => "code (its community)",
            UnitError::GridPosition { .. } => "x",
            _ => "code",
        };
        let field = i.map(|i| format!("grids[{i}].{leaf}")).unwrap_or_default();
        return ConfigError::invalid("grids.toml", last(gtext), field, e);
    }
    let leaf = match e {
        UnitError::ParentMissing { .. } | UnitError::WrongParentKind { .. } => "street",
        _ => "id",
    };
    let why = match e {
        UnitError::ParentMissing { parent, .. } => {
            format!("unknown street {parent}: no [[streets]] entry has this id")
        }
        other => other.to_string(),
    };
    let field = if dt.district.id == subject {
        format!("district.{leaf}")
    } else if let Some(i) = dt.streets.iter().rposition(|u| u.id == subject) {
        format!("streets[{i}].{leaf}")
    } else if let Some(i) = dt.communities.iter().rposition(|u| u.id == subject) {
        format!("communities[{i}].{leaf}")
    } else if let Some(i) = dt.departments.iter().rposition(|u| u.id == subject) {
        format!("departments[{i}].{leaf}")
    } else {
        String::new()
    };
    ConfigError::invalid("district.toml", last(dtext), field, why)
}

/// The line where `key = …` starts, for errors about a top-level key.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

fn limits(text: &str) -> Result<StageLimits, ConfigError> {
    const FILE: &str = "limits.toml";
    let raw: LimitsToml = parse(FILE, text)?;
    let mut l = StageLimits::default();
    for (key, given, slot) in [
        ("accept", &raw.accept, &mut l.accept),
        ("verify", &raw.verify, &mut l.verify),
        ("register", &raw.register, &mut l.register),
        ("dispatch", &raw.dispatch, &mut l.dispatch),
        ("check", &raw.check, &mut l.check),
        ("close", &raw.close, &mut l.close),
        ("callback", &raw.callback, &mut l.callback),
        ("report_in", &raw.report_in, &mut l.report_in),
        ("sign", &raw.sign, &mut l.sign),
        ("contact", &raw.contact, &mut l.contact),
    ] {
        if let Some(t) = given {
            let limit = TimeLimit::parse(t)
                .map_err(|why| ConfigError::invalid(FILE, line_of_key(text, key), key, why))?;
            if limit.value == 0 {
                return Err(ConfigError::invalid(
                    FILE,
                    line_of_key(text, key),
                    key,
                    "a limit must be above zero",
                ));
            }
            *slot = limit;
        }
    }
    Ok(l)
}

fn plans(text: &str, catalogue: &Catalogue) -> Result<Plans, ConfigError> {
    const FILE: &str = "plans.toml";
    let plans = Plans::from_toml(text).map_err(|e| match &e {
        PlanError::Toml(t) => toml_error(FILE, text, t),
        PlanError::Invalid { plan, .. } => {
            ConfigError::invalid(FILE, line_of_value(text, plan), format!("plan {plan}"), &e)
        }
        _ => ConfigError::invalid(FILE, None, "", &e),
    })?;
    for p in &plans.plans {
        if catalogue.get(&p.category).is_none() {
            return Err(ConfigError::invalid(
                FILE,
                line_of_value(text, p.category.as_str()),
                format!("plan {}.category", p.id),
                format!(
                    "unknown category {} (not in the catalogue)",
                    p.category.as_str()
                ),
            ));
        }
    }
    Ok(plans)
}
