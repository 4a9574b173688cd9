//! The `gridloop` CLI end to end on real stores in temporary directories: a case through
//! its moves, export and import, and bad input — each refused with a message naming what
//! was wrong, leaving what is stored unchanged.

use std::path::Path;
use std::process::{Command, Output};

/// The demo district's configuration folder, for standalone nodes.
const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/data/demo");

fn gl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .expect("run gridloop")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = gl(dir, args);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "gridloop {args:?} failed: {}{}",
        out,
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn fails(dir: &Path, args: &[&str], needle: &str) -> String {
    let o = gl(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "gridloop {args:?} should fail");
    assert!(
        err.contains(needle),
        "error for {args:?} should mention `{needle}`, got: {err}"
    );
    err
}

const NOW: &str = "2026-11-23 09:00";
const GRID: &str = "110101001001001";

fn init_district(dir: &Path) {
    ok(
        dir,
        &[
            "init",
            "--unit",
            "110101",
            "--role",
            "intake",
            "--config",
            DEMO_CONFIG,
        ],
    );
}

fn report(dir: &Path) -> String {
    report_at(dir, NOW)
}

fn report_at(dir: &Path, now: &str) -> String {
    let out = ok(
        dir,
        &[
            "--now",
            now,
            "new",
            "--source",
            "hotline",
            "--category",
            "E0102",
            "--grid",
            GRID,
            "--address",
            "菊儿胡同3号",
            "--description",
            "垃圾堆放",
            "--reporter-phone",
            "13800000000",
        ],
    );
    // "reported NUMBER (ID) — ..."
    out.split_whitespace().nth(1).expect("number").to_string()
}

fn snapshot(dir: &Path) -> String {
    ok(
        dir,
        &[
            "list",
            "--json",
            "--limit",
            "1000",
            "--state",
            "reported",
            "--state",
            "to_register",
            "--state",
            "to_dispatch",
            "--state",
            "handling",
            "--state",
            "closed",
            "--state",
            "archived",
        ],
    )
}

#[test]
fn a_case_goes_through_every_stage_from_the_command_line() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let n = report(dir);
    assert!(
        n.starts_with("110101-20261123-"),
        "case number is unit + date + sequence: {n}"
    );
    ok(dir, &["--now", "2026-11-23 09:10", "act", &n, "accept"]);
    ok(
        dir,
        &[
            "--now",
            "2026-11-23 09:20",
            "act",
            &n,
            "--as",
            "shift_lead@110101:王芳",
            "register",
        ],
    );
    // 经办人: the person named with --as is on the move.
    assert!(
        ok(dir, &["show", &n]).contains("东城区 值班长 王芳"),
        "{}",
        ok(dir, &["show", &n])
    );
    ok(
        dir,
        &[
            "--now",
            "2026-11-23 09:30",
            "act",
            &n,
            "--as",
            "dispatcher@110101",
            "dispatch",
            "--lead",
            "110101D01",
        ],
    );
    // 签收 by the department: once.
    let sign = [
        "--now",
        "2026-11-23 09:40",
        "act",
        n.as_str(),
        "--as",
        "handler@110101D01",
        "sign-for",
    ];
    assert!(ok(dir, &sign).contains("签收"));
    fails(dir, &sign, "has already signed");
    assert!(ok(dir, &["show", &n]).contains("签收     城管执法局 2026-11-23 09:40"));
    // 先行联系: the department calls the citizen.
    ok(
        dir,
        &[
            "--now",
            "2026-11-23 09:45",
            "act",
            &n,
            "--as",
            "handler@110101D01",
            "contact",
            "--note",
            "已电话联系，约定上午处理",
        ],
    );
    // 延期 asks for working time, added to the current due time.
    let req = |extra: &[&str]| {
        let mut a = vec![
            "--now",
            "2026-11-23 10:00",
            "act",
            n.as_str(),
            "--as",
            "handler@110101D01",
            "request",
            "--kind",
            "extension",
            "--reason",
            "等待配件",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let args = req(&[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(dir, &args, "--extend 2d");
    let args = req(&["--extend", "two days"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails(dir, &args, "--extend `two days`");
    let args = req(&["--extend", "4h"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(ok(dir, &args).contains("申请延期"));
    ok(
        dir,
        &[
            "--now",
            "2026-11-23 10:10",
            "act",
            &n,
            "--as",
            "shift_lead@110101",
            "approve",
        ],
    );
    ok(
        dir,
        &[
            "--now",
            "2026-11-23 10:30",
            "act",
            &n,
            "--as",
            "handler@110101D01",
            "feedback",
            "--note",
            "已清理",
        ],
    );
    ok(
        dir,
        &[
            "--now",
            "2026-11-23 11:00",
            "act",
            &n,
            "--as",
            "supervisor@110101",
            "pass",
        ],
    );
    ok(
        dir,
        &[
            "--now",
            "2026-11-23 11:10",
            "act",
            &n,
            "--as",
            "shift_lead@110101",
            "close",
        ],
    );
    // 回访 records both of the citizen's answers.
    let callback = |extra: &[&str]| {
        let mut a = vec![
            "--now".to_string(),
            "2026-11-23 14:00".into(),
            "act".into(),
            n.clone(),
            "--as".into(),
            "callback@110101".into(),
            "callback".into(),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    let args = callback(&["--resolved", "yes"]);
    fails(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "--rating",
    );
    let args = callback(&["--resolved", "yes", "--rating", "great"]);
    fails(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "`great` is not a rating",
    );
    let out = ok(
        dir,
        &[
            "--now",
            "2026-11-23 14:00",
            "act",
            &n,
            "--as",
            "callback@110101",
            "callback",
            "--resolved",
            "yes",
            "--rating",
            "满意",
            "--note",
            "满意",
        ],
    );
    assert!(out.contains("已归档"), "{out}");
    let show = ok(dir, &["show", &n]);
    for step in [
        "上报",
        "受理",
        "立案",
        "派遣",
        "处置反馈",
        "核查通过",
        "结案",
        "回访",
    ] {
        assert!(show.contains(step), "trail shows {step}: {show}");
    }
    let listed = ok(dir, &["list", "--search", "菊儿胡同"]);
    assert!(listed.contains(&n));
}

#[test]
fn export_then_import_into_another_node_round_trips() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    init_district(a.path());
    ok(
        b.path(),
        &[
            "init",
            "--unit",
            "110101001",
            "--role",
            "shift_lead",
            "--config",
            DEMO_CONFIG,
        ],
    );
    let n = report(a.path());
    ok(
        a.path(),
        &["--now", "2026-11-23 09:10", "act", &n, "accept"],
    );
    ok(
        a.path(),
        &[
            "--now",
            "2026-11-23 09:12",
            "act",
            &n,
            "--as",
            "shift_lead@110101",
            "register",
        ],
    );
    // 属地派遣 names a unit of its own beside the author's: the export once wrote `unit` twice.
    ok(
        a.path(),
        &[
            "--now",
            "2026-11-23 09:14",
            "act",
            &n,
            "--as",
            "dispatcher@110101",
            "dispatch-down",
            "--unit",
            "110101001",
        ],
    );
    let file = a.path().join("cases.jsonl");
    ok(a.path(), &["export", file.to_str().unwrap()]);
    let line = std::fs::read_to_string(&file).unwrap();
    let rec: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let down = rec["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "dispatch_down")
        .expect("the export holds the hand-down");
    assert_eq!(
        (down["author_unit"].as_str(), down["unit"].as_str()),
        (Some("110101"), Some("110101001")),
        "{down}"
    );
    let out = ok(b.path(), &["import", file.to_str().unwrap()]);
    assert!(out.contains("imported 1 new"), "{out}");
    let out = ok(b.path(), &["import", file.to_str().unwrap()]);
    assert!(
        out.contains("1 unchanged"),
        "importing twice changes nothing: {out}"
    );
    let shown = ok(b.path(), &["show", &n]);
    assert!(
        shown.contains("待派遣") && shown.contains("东华门街道"),
        "{shown}"
    );

    // Another community's node may not import it: the case is outside its scope.
    let c = tempfile::tempdir().unwrap();
    ok(
        c.path(),
        &[
            "init",
            "--unit",
            "110101001002",
            "--role",
            "station_chief",
            "--config",
            DEMO_CONFIG,
        ],
    );
    let err = fails(
        c.path(),
        &["import", file.to_str().unwrap()],
        "outside this node's scope",
    );
    assert!(err.contains(&n), "{err}");
    fails(c.path(), &["show", &n], "no case");
}

#[test]
fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let n = report(dir);
    let before = snapshot(dir);

    // A person --as cannot name.
    fails(
        dir,
        &["act", &n, "--as", "shift_lead@110101:", "accept"],
        "no person after `:`",
    );
    fails(
        dir,
        &["act", &n, "--as", ":王\u{7}芳", "accept"],
        "no control characters",
    );
    fails(
        dir,
        &[
            "act",
            &n,
            "--as",
            &format!(":{}", "王".repeat(33)),
            "accept",
        ],
        "at most 32 characters",
    );

    fails(
        dir,
        &[
            "new",
            "--source",
            "hotline",
            "--category",
            "E0102",
            "--grid",
            "110101999999999",
            "--address",
            "x",
            "--description",
            "y",
        ],
        "110101999999999",
    );
    fails(
        dir,
        &[
            "new",
            "--source",
            "hotline",
            "--category",
            "E9999",
            "--grid",
            GRID,
            "--address",
            "x",
            "--description",
            "y",
        ],
        "E9999",
    );
    fails(
        dir,
        &[
            "new",
            "--source",
            "telepathy",
            "--category",
            "E0102",
            "--grid",
            GRID,
            "--address",
            "x",
            "--description",
            "y",
        ],
        "telepathy",
    );
    fails(
        dir,
        &["act", &n, "--as", "grid_worker@110101001001", "close"],
        "close",
    );
    fails(
        dir,
        &["act", &n, "--as", "intake@110101", "close"],
        "close.state",
    );
    fails(
        dir,
        &["act", &n, "--as", "wizard@110101", "accept"],
        "wizard",
    );
    fails(dir, &["act", "no-such-case", "accept"], "no-such-case");
    fails(dir, &["list", "--state", "sleeping"], "sleeping");
    fails(dir, &["--now", "yesterday", "list"], "yesterday");
    fails(dir, &["frobnicate"], "frobnicate");

    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": \"nope\"}\n").unwrap();
    fails(dir, &["import", bad.to_str().unwrap()], "bad.jsonl:1");
    assert_eq!(snapshot(dir), before, "nothing stored changed");

    // A store file that is not a redb database, and a redb database that is not ours.
    let junk = tempfile::tempdir().unwrap();
    std::fs::write(
        junk.path().join("gridloop.redb"),
        b"this is not a database at all, just text",
    )
    .unwrap();
    let err = fails(junk.path(), &["list"], "gridloop.redb");
    // Said once: the cause is not repeated after the context that already carries it.
    assert_eq!(
        err.matches("magic number mismatch").count(),
        1,
        "the cause is said twice: {err}"
    );
    assert_eq!(
        std::fs::read(junk.path().join("gridloop.redb")).unwrap(),
        b"this is not a database at all, just text"
    );
    let empty = tempfile::tempdir().unwrap();
    fails(empty.path(), &["list"], "gridloop init");
}

#[test]
fn reports_are_written_in_every_format_and_bad_requests_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init_district(dir);
    ok(
        dir,
        &["--now", NOW, "generate", "--cases", "3000", "--days", "40"],
    );
    let xlsx = dir.join("月报.xlsx");
    ok(
        dir,
        &[
            "--now",
            NOW,
            "report",
            "--period",
            "2026-10",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    );
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX file is a zip");
    let md = ok(dir, &["--now", NOW, "report", "--period", "2026-10"]);
    assert!(md.starts_with("# 东城区 2026-10 月报"), "{md}");
    let json = ok(
        dir,
        &[
            "--now", NOW, "report", "--period", "2026-10", "--format", "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let cases = v["cases"].as_u64().unwrap();
    assert!(cases > 1000, "October holds most of the 40 days: {cases}");
    // The cases behind 按期结案率 that missed it, as CSV: as many as the figure says.
    let root = &v["rollups"]["110101"]["parts"];
    let on_time = &root[1];
    let missed = on_time["total"].as_u64().unwrap() - on_time["hits"].as_u64().unwrap();
    let csv = ok(
        dir,
        &[
            "--now",
            NOW,
            "report",
            "--period",
            "2026-10",
            "--cases-of",
            "按期结案率",
            "--missed",
        ],
    );
    assert_eq!(csv.trim_end().split("\r\n").count() as u64, missed + 1);
    let list = ok(dir, &["--now", NOW, "list", "--overdue", "--csv"]);
    assert!(list.starts_with("\u{feff}案卷编号"));

    fails(dir, &["report", "--period", "2026-13"], "expected a day");
    fails(
        dir,
        &["report", "--cases-of", "幸福指数"],
        "unknown figure `幸福指数`",
    );
    fails(dir, &["report", "--format", "xlsx"], "pass --out");
    fails(dir, &["report", "--out", "r.pdf"], "`.pdf`");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "hotline_weights = [0, 0, 0]\n").unwrap();
    fails(
        dir,
        &["report", "--config", bad.to_str().unwrap()],
        "hotline_weights",
    );
}

#[test]
fn drill_scenarios_are_checked_and_drill_cases_reported_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/drills/rainstorm.toml");
    let out = ok(dir, &["drill", "check", example]);
    assert!(out.contains("暴雨内涝应急演练"), "{out}");
    assert!(
        out.contains("断开 c11–s1") && out.contains("恢复 c11–d"),
        "{out}"
    );
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(example)
            .unwrap()
            .replace("cut = [\"c11\", \"s1\"]", "cut = [\"c11\", \"x9\"]"),
    )
    .unwrap();
    fails(
        dir,
        &["drill", "check", bad.to_str().unwrap()],
        "unknown node `x9`",
    );

    init_district(dir);
    let out = ok(
        dir,
        &[
            "--now",
            NOW,
            "new",
            "--source",
            "drill",
            "--category",
            "E0402",
            "--grid",
            GRID,
            "--address",
            "东华门大街12号",
            "--description",
            "演练：路面塌陷",
        ],
    );
    let number = out
        .split_whitespace()
        .find(|w| w.starts_with("110101-"))
        .unwrap()
        .to_string();
    ok(
        dir,
        &["--now", "2026-11-23 09:08", "act", &number, "accept"],
    );
    let report = ok(dir, &["drill", "report", "--scenario", example]);
    assert!(report.contains("演练案件 1 件"), "{report}");
    assert!(
        report.contains("| 东城区 | 受理 | 1 | 8m00s | 8m00s |"),
        "{report}"
    );
    assert!(
        report.contains("受理 在 10m00s 内：达标 1 件，未达标 0 件"),
        "{report}"
    );
    // Drill cases never count in the real figures.
    let json = ok(
        dir,
        &[
            "--now", NOW, "report", "--period", "2026-11", "--format", "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (v["cases"].as_u64(), v["drill_cases"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn a_drill_runs_on_the_live_demo_district_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/drills/rainstorm.toml");
    let o = gl(
        tmp.path(),
        &["drill", "run", example, "--speed", "600", "--json"],
    );
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("断开 c11–s1") && err.contains("恢复 c11–d"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Two cases at c11 and one at c21, all replicated to the district.
    assert_eq!(v["cases"].as_u64(), Some(3), "{v}");
    // Both restored links caught up, each timed.
    let converge = v["converge"].as_array().unwrap();
    assert_eq!(converge.len(), 2);
    assert!(
        converge
            .iter()
            .all(|c| c[2].as_i64().is_some_and(|ms| ms >= 0))
    );
    // Two expectations judged over the three cases.
    for e in v["expectations"].as_array().unwrap() {
        assert_eq!(
            e["met"].as_u64().unwrap() + e["missed"].as_u64().unwrap(),
            3
        );
    }
    fails(
        tmp.path(),
        &["drill", "run", example, "--speed", "0"],
        "bad --speed",
    );
}

#[test]
fn emergency_mode_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(
        dir,
        &[
            "init",
            "--unit",
            "110101",
            "--role",
            "shift_lead",
            "--config",
            DEMO_CONFIG,
        ],
    );
    let plans = ok(dir, &["emergency", "plans"]);
    assert!(
        plans.contains("flood") && plans.contains("防汛应急预案"),
        "{plans}"
    );
    assert!(ok(dir, &["emergency", "status"]).contains("平时"));
    // Bad input names what was wrong and opens nothing.
    fails(
        dir,
        &[
            "emergency",
            "start",
            "--plan",
            "tsunami",
            "--description",
            "x",
        ],
        "unknown plan `tsunami`",
    );
    fails(
        dir,
        &[
            "emergency",
            "start",
            "--plan",
            "flood",
            "--area",
            "110101D01",
            "--grid",
            GRID,
            "--description",
            "暴雨",
        ],
        "activate.area",
    );
    fails(
        dir,
        &[
            "emergency",
            "start",
            "--plan",
            "flood",
            "--description",
            "暴雨",
            "--as",
            "intake@110101",
        ],
        "activate.role",
    );
    assert!(ok(dir, &["emergency", "status"]).contains("平时"));
    let out = ok(
        dir,
        &[
            "--now",
            NOW,
            "emergency",
            "start",
            "--plan",
            "flood",
            "--area",
            "110101001",
            "--description",
            "暴雨红色预警",
        ],
    );
    assert!(out.contains("战时"), "{out}");
    let number = out
        .split_whitespace()
        .find(|w| w.starts_with("110101-"))
        .unwrap_or_else(|| panic!("no case number in {out}"))
        .to_string();
    ok(
        dir,
        &["emergency", "tick", &number, "1", "--note", "已到岗"],
    );
    fails(dir, &["emergency", "tick", &number, "1"], "tick.done");
    fails(dir, &["emergency", "tick", &number, "9"], "no item 9");
    let out = ok(dir, &["emergency", "summon", &number, "--plan-defaults"]);
    assert!(out.contains("水务局") && out.contains("抽水泵车"), "{out}");
    // A report in s1's territory joins the lane; the district commands the incident, so it
    // is in 战时 too.
    let out = ok(
        dir,
        &[
            "--now",
            "2026-11-23 09:10",
            "new",
            "--source",
            "hotline",
            "--category",
            "E0406",
            "--grid",
            GRID,
            "--address",
            "地下通道",
            "--description",
            "积水",
            "--emergency",
            "--as",
            "intake@110101001",
        ],
    );
    assert!(out.contains("reported"), "{out}");
    let status = ok(dir, &["emergency", "status", "--json"]);
    assert!(
        status.contains("\"emergency\""),
        "the commanding district: {status}"
    );
    let status = ok(dir, &["emergency", "status"]);
    assert!(
        status.contains("[x] 1. 启动防汛值班") && status.contains("调度 水务局"),
        "{status}"
    );
    let out = ok(
        dir,
        &[
            "--now",
            "2026-11-23 11:00",
            "emergency",
            "end",
            &number,
            "--note",
            "雨停",
        ],
    );
    assert!(out.contains("平时") && out.contains("1/6"), "{out}");
    fails(
        dir,
        &["emergency", "end", &number, "--note", "again"],
        "stand_down.ended",
    );
}

/// A refused move is said once, and in Chinese with `--lang zh` (拒绝原因), naming its rule.
#[test]
fn a_refused_move_is_said_once_in_the_language_asked_for() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let n = report(dir);
    let before = snapshot(dir);
    let en = fails(dir, &["--now", NOW, "act", &n, "close"], "close.state");
    assert_eq!(
        en.matches("refused by rule").count(),
        1,
        "the refusal is said once: {en}"
    );
    assert!(en.contains("close is allowed only in state 待结案"), "{en}");
    let zh = fails(
        dir,
        &["--lang", "zh", "--now", NOW, "act", &n, "close"],
        "close.state",
    );
    assert!(
        zh.contains("只有在「待结案」状态才能结案") && !zh.contains("refused by rule"),
        "the refusal in Chinese: {zh}"
    );
    fails(dir, &["--lang", "fr", "list"], "invalid value 'fr'");
    assert_eq!(snapshot(dir), before, "a refused move changes nothing");
}

#[test]
fn a_deadline_in_a_year_without_a_calendar_file_is_flagged() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let n = report_at(dir, "2026-12-31 17:00");
    // The 4-hour accept clock runs into 2027, which the demo package does not cover: 元旦
    // counts as a working day there, and the deadline says so.
    let show = ok(dir, &["--now", "2026-12-31 17:05", "show", &n]);
    assert!(show.contains("2027-01-01"), "{show}");
    assert!(show.contains("2027年未配置节假日"), "{show}");
    // A clock that stays inside 2026 carries no such mark.
    let n2 = report(dir);
    let show = ok(dir, &["show", &n2]);
    assert!(!show.contains("未配置节假日"), "{show}");
}

#[test]
fn a_12345_consultation_is_answered_on_the_call() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let new = |source: &str, demand: &str| {
        vec![
            "--now",
            NOW,
            "new",
            "--source",
            source,
            "--demand",
            demand,
            "--category",
            "E0102",
            "--grid",
            GRID,
            "--address",
            "菊儿胡同3号",
            "--description",
            "咨询垃圾分类时间",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let args = new("hotline", "咨询");
    let out = ok(dir, &args.iter().map(String::as_str).collect::<Vec<_>>());
    let n = out.split_whitespace().nth(1).unwrap().to_string();
    let args = new("hotline", "questions");
    fails(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "unknown 诉求类型 `questions`",
    );
    let args = new("supervisor", "咨询");
    fails(
        dir,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "a 诉求类型 belongs to a 12345 case",
    );
    let out = ok(
        dir,
        &[
            "--now",
            "2026-11-23 09:05",
            "act",
            &n,
            "answer",
            "--note",
            "每日7-9时、18-20时投放",
        ],
    );
    assert!(out.contains("已结案"), "{out}");
    // A complaint is handled, not answered on the call.
    let m = report(dir);
    fails(
        dir,
        &["act", &m, "answer", "--note", "x"],
        "only a 12345 consultation",
    );
}

#[test]
fn the_walkthrough_tours_the_loops_with_a_department_node_and_a_12345_order() {
    let d = tempfile::tempdir().unwrap();
    let out = ok(
        d.path(),
        &[
            "walkthrough",
            "--keep",
            d.path().join("w").to_str().unwrap(),
        ],
    );
    for line in [
        "环卫中心处置人员 签收",
        "环卫中心处置人员 先行联系",
        "环卫中心处置人员 处置反馈",
        "东城区回访员 回访         → 已归档",
        "东城区受理员 直接答复       → 已结案",
        "处置反馈（代录：城管执法局）",
        "refused by rule `check.role`",
        "冲突处理",
    ] {
        assert!(out.contains(line), "the walkthrough shows `{line}`:\n{out}");
    }
    // The department's moves were made on its own node's store.
    let p = d.path().join("w").join("department");
    let listed = ok(&p, &["list", "--json"]);
    assert!(listed.contains("\"state\":\"to_check\""), "{listed}");
}

#[test]
fn dispatch_follows_the_suggestion_from_the_departments_duties() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let n = report(dir);
    ok(dir, &["act", &n, "accept"]);
    ok(dir, &["act", &n, "--as", "shift_lead@110101", "register"]);
    // 暴露垃圾 is an event: the district's suggestion is its territory, said with why.
    let shown = ok(dir, &["show", &n]);
    assert!(
        shown.contains("派遣建议 属地派遣 东华门街道 — 事件先属地"),
        "{shown}"
    );
    fails(
        dir,
        &["act", &n, "--as", "dispatcher@110101", "dispatch"],
        "the suggestion is 属地派遣 to 东华门街道",
    );
    ok(
        dir,
        &[
            "act",
            &n,
            "--as",
            "dispatcher@110101",
            "dispatch-down",
            "--unit",
            "110101001",
        ],
    );
    // The street sends it on to the department whose duties name it: 环卫中心.
    assert!(ok(dir, &["show", &n]).contains("派遣建议 派遣 环卫中心"));
    let out = ok(
        dir,
        &["act", &n, "--as", "dispatcher@110101001", "dispatch"],
    );
    assert!(out.contains("处置中"), "{out}");
    assert!(ok(dir, &["show", &n]).contains("处置单位 环卫中心"));
}

#[test]
fn work_orders_from_the_city_platform_are_taken_in_once() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let order = |no: &str, demand: &str, category: &str| {
        format!(
            r#"{{"order_no":"{no}","received":"2026-11-23 08:47","demand":"{demand}","category":"{category}","grid":"{GRID}","address":"菊儿胡同3号","content":"胡同口垃圾多日无人清理","caller":"王女士","phone":"13800001111","platform_extra":"ignored"}}"#
        )
    };
    let file = dir.join("orders.jsonl");
    let good = [
        order("BJ12345-20261123-000017", "投诉", "E0102"),
        String::new(),
        order("BJ12345-20261123-000018", "咨询", "E0102"),
    ]
    .join("\n");
    std::fs::write(&file, &good).unwrap();
    let f = file.to_str().unwrap();
    let out = ok(dir, &["import-orders", f]);
    assert!(out.contains("took in 2 work orders"), "{out}");
    let shown = ok(dir, &["show", "BJ12345-20261123-000018"]);
    assert!(
        shown.contains("12345热线") && shown.contains("待受理"),
        "{shown}"
    );
    // Again: the same orders are recognised, nothing is added.
    let out = ok(dir, &["import-orders", f]);
    assert!(
        out.contains("took in 0") && out.contains("2 already here"),
        "{out}"
    );
    // The 咨询 may be answered on the call.
    ok(
        dir,
        &[
            "act",
            "BJ12345-20261123-000018",
            "answer",
            "--note",
            "已答复",
        ],
    );
    // One wrong line refuses the whole file, naming the line; nothing is taken in.
    let before = snapshot(dir);
    let bad = [
        order("BJ12345-20261123-000019", "投诉", "E0102"),
        order("BJ12345-20261123-000020", "投诉", "X9999"),
        order("BJ 12345", "投诉", "E0102"),
    ]
    .join("\n");
    std::fs::write(&file, bad).unwrap();
    let err = fails(dir, &["import-orders", f], "orders.jsonl:2");
    assert!(
        err.contains("X9999") && err.contains("orders.jsonl:3"),
        "{err}"
    );
    assert_eq!(snapshot(dir), before, "nothing taken in");
    // An order number a case of another identity carries is refused before anything is
    // written.
    let n = report(dir);
    let before = snapshot(dir);
    std::fs::write(
        &file,
        [
            order("BJ12345-20261123-000021", "投诉", "E0102"),
            order(&n, "投诉", "E0102"),
        ]
        .join("\n"),
    )
    .unwrap();
    fails(dir, &["import-orders", f], "is already held by case");
    assert_eq!(snapshot(dir), before);
}

#[test]
fn joint_dispatch_supervision_orders_and_merging_from_the_command_line() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    init_district(dir);
    let n = report(dir);
    let dup = report(dir);
    ok(dir, &["act", &n, "accept"]);
    ok(
        dir,
        &["act", &n, "--as", "shift_lead@110101:王芳", "register"],
    );
    let out = ok(
        dir,
        &[
            "act",
            &n,
            "--as",
            "dispatcher@110101",
            "joint-dispatch",
            "--unit",
            "110101001",
            "--unit",
            "110101D01",
        ],
    );
    assert!(out.contains("一案双派"), "{out}");
    let feedback = |who: &str| {
        ok(
            dir,
            &["act", &n, "--as", who, "feedback", "--note", "已处置"],
        )
    };
    assert!(feedback("handler@110101D01").contains("处置中"));
    assert!(feedback("shift_lead@110101001").contains("待核查"));
    ok(
        dir,
        &[
            "act",
            &n,
            "--as",
            "leader@110101",
            "order",
            "--unit",
            "110101D01",
            "--note",
            "说明处置标准",
        ],
    );
    let reply = [
        "act",
        n.as_str(),
        "--as",
        "handler@110101D01",
        "reply",
        "--note",
        "已说明",
    ];
    assert!(ok(dir, &reply).contains("督办回复"));
    fails(dir, &reply, "no 督办单");
    let out = ok(
        dir,
        &[
            "act",
            &dup,
            "--as",
            "intake@110101",
            "merge",
            "--into",
            &n,
            "--note",
            "同一问题",
        ],
    );
    assert!(out.contains("merged into"), "{out}");
    assert!(ok(dir, &["show", &dup]).contains("已并案"));
    fails(
        dir,
        &[
            "act",
            &n,
            "--as",
            "intake@110101",
            "merge",
            "--into",
            &dup,
            "--note",
            "x",
        ],
        "merged",
    );
}
