//! Tests of the configuration package: a small county, each bad input named by file, line
//! and field, uncovered calendar years, and the version in force at a time.

use super::*;
use crate::domain::calendar::{Millis, TimeLimit};
use crate::domain::unit::UnitKind;

const DISTRICT: &str = r#"format = 1

[district]
id = "130127"
name = "高邑县"

[levels]
district = "县"
street = "镇"
community = "村"

[[streets]]
id = "130127100"
name = "高邑镇"

[[communities]]
id = "130127100201"
name = "东街村"
street = "130127100"

[[departments]]
id = "130127D01"
name = "综合行政执法局"
duties = ["E01", "E0601"]

[[departments]]
id = "130127D02"
name = "环卫服务中心"
"#;

const GRIDS: &str = r#"[[grids]]
code = "130127100201001"
name = "东街村第1网格"
centre = [114.61, 37.61]

[[grids]]
code = "130127100201002"
name = "东街村第2网格"
x = 10.0
y = 20.0
"#;

const CATALOGUE: &str = r#"minors = [
  { code = "E0601", name = "秸秆焚烧", limit = "2h", criteria = { register = "可见明火或浓烟", close = "明火扑灭" } },
]
"#;

const HOURS: &str = r#"periods = ["08:30-12:00", "14:30-17:30"]
always_on = ["130127D02"]
"#;

const Y2026: &str = r#"year = 2026
holidays = ["2026-01-01..2026-01-03", "2026-10-01..2026-10-07"]
makeup_days = ["2026-01-04"]
"#;

fn county() -> ConfigFiles {
    let mut f = ConfigFiles::default();
    for (k, v) in [
        ("district.toml", DISTRICT),
        ("grids.toml", GRIDS),
        ("catalogue.toml", CATALOGUE),
        ("calendar/hours.toml", HOURS),
        ("calendar/2026.toml", Y2026),
        ("limits.toml", "accept = \"2h\"\ncallback = \"3d\"\n"),
    ] {
        f.files.insert(k.into(), v.into());
    }
    f
}

fn with(name: &str, text: &str) -> ConfigFiles {
    let mut f = county();
    f.files.insert(name.into(), text.into());
    f
}

fn place(files: &ConfigFiles) -> Place {
    match DistrictConfig::from_files(files) {
        Ok(_) => panic!("the package should have been refused"),
        Err(e) => e
            .place()
            .cloned()
            .unwrap_or_else(|| panic!("no place in {e}")),
    }
}

#[test]
fn a_county_parses_with_its_own_levels_limits_catalogue_and_calendar() {
    let c = DistrictConfig::from_files(&county()).expect("valid county");
    let d = &c.district;
    assert_eq!(d.root().name, "高邑县");
    assert_eq!(d.levels().label(UnitKind::Street), "镇");
    assert_eq!(d.levels().label(UnitKind::Community), "村");
    assert_eq!(d.label_of(&UnitId::from("130127100201")), "村");
    assert_eq!(c.limits.accept, TimeLimit::working_hours(2));
    assert_eq!(c.limits.callback, TimeLimit::working_days(3));
    assert_eq!(c.limits.verify, StageLimits::default().verify);
    let e0601 = c
        .catalogue
        .require("E0601")
        .expect("the county's own category");
    assert_eq!(e0601.name, "秸秆焚烧");
    assert_eq!(
        e0601.criteria.as_ref().map(|c| c.register.as_str()),
        Some("可见明火或浓烟")
    );
    assert!(
        c.catalogue.require("E0102").is_ok(),
        "the national base stays"
    );
    assert!(c.always_on.contains(&UnitId::from("130127D02")));
    assert_eq!(c.calendar.covered_years(), &[2026]);
    assert_eq!(c.calendar.minutes_per_day(), 390);
    // A grid with only a centre gets a schematic place inside the square.
    let g = d.require_grid("130127100201001").expect("grid");
    assert!((0.0..=1000.0).contains(&g.x) && (0.0..=1000.0).contains(&g.y));
    assert_eq!(c.shapes["130127100201001"].centre, (114.61, 37.61));
}

#[test]
fn the_demo_package_parses_and_keeps_the_demo_district() {
    let c = DistrictConfig::demo();
    assert_eq!(c.district.root().id.as_str(), "110101");
    assert_eq!(c.district.streets().len(), 17);
    assert_eq!(c.district.levels(), &Levels::default());
    assert_eq!(c.calendar.covered_years(), &[2025, 2026]);
    let china = WorkCalendar::china();
    assert_eq!(c.calendar.holidays(), china.holidays());
    assert_eq!(c.calendar.makeup_days(), china.makeup_days());
}

#[test]
fn bad_toml_is_placed_at_its_line() {
    let p = place(&with(
        "district.toml",
        "format = 1\n[district]\nid = \"130127\"\nname = \n",
    ));
    assert_eq!(p.file, "district.toml");
    assert_eq!(p.line, Some(4), "{p}");
}

#[test]
fn an_unknown_parent_names_file_line_and_field() {
    let text = DISTRICT.replace("street = \"130127100\"", "street = \"130127109\"");
    let p = place(&with("district.toml", &text));
    assert_eq!(p.file, "district.toml");
    assert_eq!(p.field, "communities[0].street");
    let line = text
        .lines()
        .position(|l| l.contains("130127100201"))
        .map(|i| i + 1);
    assert_eq!(p.line, line, "{p}");
    assert!(p.to_string().contains("130127109"), "{p}");
}

#[test]
fn a_duplicate_code_is_placed_at_its_second_use() {
    let text = format!("{DISTRICT}\n[[streets]]\nid = \"130127100\"\nname = \"重复镇\"\n");
    let p = place(&with("district.toml", &text));
    assert_eq!(p.field, "streets[1].id", "{p}");
    assert_eq!(p.line, Some(text.lines().count() - 1), "{p}");
}

#[test]
fn a_grid_outside_every_community_is_refused() {
    let text = GRIDS.replace("130127100201002", "130127100299002");
    let p = place(&with("grids.toml", &text));
    assert_eq!(p.file, "grids.toml");
    assert_eq!(p.field, "grids[1].code (its community)", "{p}");
    assert_eq!(p.line, Some(7), "{p}");
}

#[test]
fn a_category_with_no_limit_is_refused() {
    let p = place(&with(
        "catalogue.toml",
        "minors = [\n  { code = \"E0602\", name = \"畜禽粪污乱排\" },\n]\n",
    ));
    assert_eq!(p.file, "catalogue.toml");
    assert_eq!(p.line, Some(2), "{p}");
    assert!(p.why.contains("limit"), "{p}");
}

#[test]
fn overlapping_calendar_ranges_are_refused() {
    let text = Y2026.replace("\"2026-10-01..2026-10-07\"", "\"2026-01-03..2026-01-05\"");
    let p = place(&with("calendar/2026.toml", &text));
    assert_eq!(p.file, "calendar/2026.toml");
    assert_eq!(p.field, "holidays[1]", "{p}");
    assert!(p.why.contains("overlaps"), "{p}");
}

#[test]
fn a_date_outside_its_year_file_is_refused() {
    let text = Y2026.replace("2026-10-07", "2027-10-07");
    let p = place(&with("calendar/2026.toml", &text));
    assert_eq!(p.field, "holidays[1]", "{p}");
    assert!(p.why.contains("2026"), "{p}");
}

#[test]
fn unknown_duties_always_on_and_limits_are_placed() {
    let p = place(&with(
        "district.toml",
        &DISTRICT.replace("\"E0601\"", "\"E0699\""),
    ));
    assert_eq!(p.field, "departments[0].duties[1]", "{p}");
    let p = place(&with(
        "calendar/hours.toml",
        &HOURS.replace("130127D02", "130127D09"),
    ));
    assert_eq!((p.field.as_str(), p.line), ("always_on[0]", Some(2)), "{p}");
    let p = place(&with("limits.toml", "accept = \"2 weeks\"\n"));
    assert_eq!((p.field.as_str(), p.line), ("accept", Some(1)), "{p}");
}

#[test]
fn a_missing_file_is_named() {
    let mut f = county();
    f.files.remove("calendar/hours.toml");
    let e = DistrictConfig::from_files(&f).expect_err("no hours");
    assert!(matches!(e, ConfigError::Missing { ref file, .. } if file == "calendar/hours.toml"));
}

#[test]
fn a_folder_with_an_unknown_file_is_refused_and_a_good_one_round_trips() {
    let dir = tempfile::tempdir().expect("tempdir");
    county().write_dir(dir.path()).expect("write");
    let (files, config) = DistrictConfig::load_dir(dir.path()).expect("reads back");
    assert_eq!(files, county());
    assert_eq!(files.hash(), county().hash());
    assert_eq!(config.district.root().name, "高邑县");
    std::fs::write(dir.path().join("limit.toml"), "accept = \"1h\"\n").expect("write");
    let e = DistrictConfig::load_dir(dir.path()).expect_err("a misspelt file");
    assert_eq!(
        e.place().map(|p| p.file.as_str()),
        Some("limit.toml"),
        "{e}"
    );
}

#[test]
fn the_hash_covers_every_byte() {
    let a = county();
    let b = with("limits.toml", "accept = \"2h\"\ncallback = \"4d\"\n");
    assert_ne!(a.hash(), b.hash());
}

/// Millis of a Beijing local time.
fn bj(y: i32, m: u32, d: u32, h: u32) -> Millis {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, 0, 0))
        .expect("date")
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000
}

fn start_of_2026_end() -> Millis {
    bj(2026, 12, 31, 9)
}

#[test]
fn a_deadline_in_an_uncovered_year_counts_weekends_only_and_is_flagged() {
    let c = DistrictConfig::from_files(&county()).expect("county");
    let cal = &c.calendar;
    // Thursday 2026-12-31 09:00 + 2 working days (780 min at 390 a day): 2027 is not
    // covered, so Friday 2027-01-01 (元旦) counts as working: Thu 360 + Fri 390, then 30 min
    // on Monday 2027-01-04.
    let start = bj(2026, 12, 31, 9);
    let due = cal.add(start, TimeLimit::working_days(2));
    assert_eq!(cal.uncovered_between(start, due), Some(2027));
    assert!(!cal.covers(due) && cal.covers(start));
    assert_eq!(cal.local_date(due).to_string(), "2027-01-04");
    // Two days from Tuesday 2026-09-29 inside covered 2026 skip 国庆 (10-01..10-07).
    let start = bj(2026, 9, 29, 9);
    let due = cal.add(start, TimeLimit::working_days(2));
    assert_eq!(cal.uncovered_between(start, due), None);
    assert_eq!(cal.local_date(due).to_string(), "2026-10-08");
    // Adding 2027 as a year file moves the 2027 deadline past 元旦.
    let y2027 = "year = 2027\nholidays = [\"2027-01-01\"]\n";
    let c = DistrictConfig::from_files(&with("calendar/2027.toml", y2027)).expect("county");
    let due = c
        .calendar
        .add(start_of_2026_end(), TimeLimit::working_days(2));
    assert_eq!(c.calendar.uncovered_between(start_of_2026_end(), due), None);
    assert_eq!(c.calendar.local_date(due).to_string(), "2027-01-05");
}

#[test]
fn the_version_in_force_is_the_newest_already_effective() {
    let v = |n: u64, effective: Millis| ConfigVersion {
        version: n,
        effective,
        hash: String::new(),
        config: std::sync::Arc::new(DistrictConfig::from_files(&county()).expect("county")),
    };
    let book = ConfigBook::new(vec![v(2, 1_000), v(1, 0), v(3, 5_000)]).expect("book");
    assert_eq!(book.at(-5).version, 1);
    assert_eq!(book.at(999).version, 1);
    assert_eq!(book.at(1_000).version, 2);
    assert_eq!(book.at(10_000).version, 3);
    assert_eq!(book.latest().version, 3);
    assert!(matches!(
        ConfigBook::new(vec![v(1, 5_000), v(2, 1_000)]),
        Err(BookError::Backwards { .. })
    ));
}

#[test]
fn a_bad_street_code_is_placed_at_the_street_not_at_a_community_naming_it() {
    let text = DISTRICT
        .replace("id = \"130127100\"", "id = \"130128100\"")
        .replace("street = \"130127100\"", "street = \"130128100\"");
    let p = place(&with("district.toml", &text));
    assert_eq!(p.field, "streets[0].id", "{p}");
    let line = text
        .lines()
        .position(|l| l == "id = \"130128100\"")
        .map(|i| i + 1);
    assert_eq!(p.line, line, "{p}");
}
