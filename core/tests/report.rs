//! Reports: an XLSX 报表 opened back with a reader (calamine) and checked cell by cell against
//! the assessment; Markdown, HTML and CSV carry the same figures.

mod common;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use common::*;
use gridloop_core::analytics::assess::{AssessConfig, Metric, assess_rows};
use gridloop_core::analytics::report;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::period::Period;
use gridloop_core::domain::role::Role::*;
use gridloop_core::store::CaseSummary;

fn cases(f: &Fixture) -> Vec<CaseSummary> {
    let mut rows = Vec::new();
    // One closed on time with a satisfied callback, one open long past due.
    let mut done = f.handling_district_case();
    done.ok(&f.dept, Handler, f.feedback());
    done.ok(
        &f.district,
        Supervisor,
        Action::Check {
            passed: true,
            note: "ok".into(),
        },
    );
    done.ok(&f.district, ShiftLead, Action::Close);
    done.ok(
        &f.district,
        Callback,
        Action::callback(
            true,
            gridloop_core::domain::event::Rating::Satisfied,
            "满意",
        ),
    );
    rows.push(CaseSummary::build(
        &CaseId("done".into()),
        &done.intake,
        &done.derived(),
    ));
    let mut open = f.handling_district_case();
    open.intake.address = "东四北大街, \"甲\"1号".into();
    rows.push(CaseSummary::build(
        &CaseId("open".into()),
        &open.intake,
        &open.derived(),
    ));
    rows
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(v) => format!("{v}"),
        Data::Int(v) => format!("{v}"),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_xlsx_report_reads_back_with_the_assessed_figures() {
    let f = Fixture::new();
    let rows = cases(&f);
    let now = T0 + 3 * DAY;
    let a = assess_rows(
        &rows,
        &f.district_def,
        &f.catalogue,
        &f.calendar,
        Period::parse("2026-11").unwrap(),
        now,
        &AssessConfig::default(),
    );
    let sheets = report::sheets(&a, &f.district_def, &f.calendar, "东城区");
    let title = report::title(&a, "东城区");
    assert_eq!(title, "东城区 2026-11 月报");
    let bytes = report::xlsx(&title, &sheets).unwrap();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a valid workbook");
    assert_eq!(
        wb.sheet_names(),
        [
            "概览",
            "街道排名",
            "部门排名",
            "单位考核",
            "岗位考核",
            "高频诉求",
            "每日趋势",
            "在办灯态"
        ]
    );
    let overview = wb.worksheet_range("概览").unwrap();
    assert_eq!(text(overview.get_value((0, 0)).unwrap()), title);
    // Row 3 is the header, then key/value rows.
    let value_of = |key: &str| -> Data {
        (3..overview.height() as u32)
            .find(|r| overview.get_value((*r, 0)).map(text).as_deref() == Some(key))
            .and_then(|r| overview.get_value((r, 1)).cloned())
            .unwrap_or_else(|| panic!("no row {key}"))
    };
    assert_eq!(value_of("案件数"), Data::Float(2.0));
    // Both due (one closed on time, one open past due): 结案率 and 按期结案率 50 %.
    assert_eq!(value_of("结案率"), Data::Float(0.5));
    assert_eq!(value_of("按期结案率"), Data::Float(0.5));
    assert_eq!(value_of("满意率"), Data::Float(1.0));
    // Nothing was verified: shown as —, not as 0.
    assert_eq!(value_of("按时核实率"), Data::String("—".into()));
    assert_eq!(text(&value_of("在办灯态 绿/黄/红")), "0/0/1");

    // The unit table: the department's row carries its own figures.
    let units = wb.worksheet_range("单位考核").unwrap();
    let header: Vec<String> = (0..units.width() as u32)
        .map(|c| text(units.get_value((2, c)).unwrap()))
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap() as u32;
    let dept_name = f.district_def.unit(&f.dept).unwrap().name.clone();
    let dept_row = (3..units.height() as u32)
        .find(|r| units.get_value((*r, 0)).map(text) == Some(dept_name.clone()))
        .expect("department row");
    let dept = &a.units[&f.dept];
    assert_eq!(
        units.get_value((dept_row, col("结案率"))),
        Some(&Data::Float(dept.value(Metric::CloseRate).unwrap()))
    );
    assert_eq!(
        units.get_value((dept_row, col("结案数"))),
        Some(&Data::Float(1.0))
    );
    // The department ranking puts it first with its composite score: 按期结案率 0.5×40 +
    // (1−返工率) 1×20 + 结案率 0.5×20 + (1−回退率) 1×10 + (1−延期率) 1×10 = 70, and the
    // overview shows the formula.
    let depts = wb.worksheet_range("部门排名").unwrap();
    assert_eq!(text(depts.get_value((3, 1)).unwrap()), dept_name);
    assert_eq!(depts.get_value((3, 0)), Some(&Data::Float(1.0)));
    assert_eq!(depts.get_value((3, 2)), Some(&Data::Float(70.0)));
    assert_eq!(
        text(&value_of("部门排名得分")),
        "按期结案率×40% + (1−返工率)×20% + 结案率×20% + (1−回退率)×10% + (1−延期率)×10%"
    );

    // The same cells in Markdown and HTML.
    let md = report::markdown(&title, &sheets);
    assert!(md.starts_with("# 东城区 2026-11 月报\n"));
    assert!(md.contains("| 结案率 | 50.0% |"), "{md}");
    let html = report::html(&title, &sheets);
    assert!(html.contains("<td>结案率</td><td class=\"n\">50.0%</td>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
}

#[test]
fn the_case_list_csv_quotes_what_needs_quoting() {
    let f = Fixture::new();
    let rows = cases(&f);
    let csv = report::cases_csv(
        &rows,
        &f.district_def,
        &f.catalogue,
        &f.calendar,
        T0 + 3 * DAY,
    );
    assert!(
        csv.starts_with('\u{feff}'),
        "a BOM for spreadsheet programs"
    );
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 3, "header and two cases");
    assert!(lines[0].contains("案卷编号,上报时间"));
    assert!(
        lines[2].contains("\"东四北大街, \"\"甲\"\"1号\""),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains(",红灯,"),
        "the open case is overdue: {}",
        lines[2]
    );
}
