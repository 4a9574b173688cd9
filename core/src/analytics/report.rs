//! 报表 — the 日报/周报/月报 of an assessment as sheets of cells, rendered to Markdown, HTML
//! and XLSX, and any case list as CSV. One layout ([`sheets`]) feeds every format, so the
//! formats agree cell for cell.

use std::fmt::Write as _;

use crate::analytics::assess::{Assessment, Figures, Metric};
use crate::domain::calendar::{Millis, WorkCalendar};
use crate::domain::catalogue::Catalogue;
use crate::domain::unit::{District, UnitId, UnitKind};
use crate::store::CaseSummary;

/// One cell of a report sheet.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(u64),
    /// A score with one decimal (0..=100); `None` shows as —.
    Score(Option<f64>),
    /// A rate in 0..=1 shown as a percentage; `None` (nothing counted) shows as —.
    Rate(Option<f64>),
}

impl Cell {
    /// The cell as shown in text formats.
    pub fn show(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Score(Some(v)) => format!("{v:.1}"),
            Cell::Rate(Some(v)) => format!("{:.1}%", v * 100.0),
            Cell::Score(None) | Cell::Rate(None) => "—".into(),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

/// A sheet (表): a name, a header row and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// Sheet name (also the section title).
    pub name: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows, as long as the header.
    pub rows: Vec<Vec<Cell>>,
}

/// Errors writing a report (报表错误).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The XLSX writer failed.
    #[error("writing the XLSX workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

fn unit_name(district: &District, id: &UnitId) -> String {
    district
        .unit(id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn kind_order(k: UnitKind) -> u8 {
    match k {
        UnitKind::District => 0,
        UnitKind::Street => 1,
        UnitKind::Community => 2,
        UnitKind::Department => 3,
    }
}

fn metric_cell(f: &Figures, m: Metric) -> Cell {
    if m.is_count() {
        Cell::Int(f.ratio(m).total)
    } else {
        Cell::Rate(f.value(m))
    }
}

/// The report's title: `东城区 2026-11 月报`.
pub fn title(a: &Assessment, scope: &str) -> String {
    format!("{scope} {} {}", a.period.label(), a.period.kind.report_zh())
}

/// Lays out an assessment as the report's sheets: 概览, 街道排名, 部门排名, 单位考核, 岗位考核,
/// 高频诉求, 每日趋势, 在办灯态.
pub fn sheets(a: &Assessment, district: &District, cal: &WorkCalendar, scope: &str) -> Vec<Sheet> {
    let total = a.total(district);
    let lights = a.light_totals();
    let mut overview: Vec<Vec<Cell>> = vec![
        vec!["报表".into(), title(a, scope).into()],
        vec![
            "统计周期".into(),
            format!(
                "{} 至 {}",
                a.period.first.format("%Y-%m-%d"),
                a.period.last.format("%Y-%m-%d")
            )
            .into(),
        ],
        vec!["统计时点".into(), show_time(cal, a.now).into()],
        vec!["案件数".into(), Cell::Int(a.cases)],
        vec!["演练案件（不计入）".into(), Cell::Int(a.drill_cases)],
        vec![
            "热线三率得分".into(),
            Cell::Score(a.config.hotline_score(&total)),
        ],
    ];
    for m in Metric::TABLE.into_iter().chain([
        Metric::HotlineResponse,
        Metric::HotlineResolution,
        Metric::HotlineSatisfaction,
        Metric::ValidReport,
        Metric::MissedReport,
    ]) {
        overview.push(vec![m.label_zh().into(), metric_cell(&total, m)]);
    }
    overview.push(vec![
        format!("{}排名得分", district.levels().street).into(),
        a.street_formula.clone().into(),
    ]);
    overview.push(vec![
        "部门排名得分".into(),
        a.department_formula.clone().into(),
    ]);
    overview.push(vec![
        "在办灯态 绿/黄/红".into(),
        format!("{}/{}/{}", lights[0], lights[1], lights[2]).into(),
    ]);
    overview.push(vec![
        "每月一题".into(),
        match &a.dominant_issue {
            Some((f, share)) => format!(
                "{}（{} 件，占诉求 {:.1}%）",
                f.label,
                f.count,
                share * 100.0
            )
            .into(),
            None => "—".into(),
        },
    ]);
    let mut out = vec![Sheet {
        name: "概览".into(),
        header: vec!["项目".into(), "数值".into()],
        rows: overview,
    }];

    let ranked_rows =
        |rows: &[crate::analytics::assess::Ranked], cols: &[Metric]| -> Vec<Vec<Cell>> {
            rows.iter()
                .map(|r| {
                    let mut row: Vec<Cell> = vec![
                        if r.rank > 0 {
                            Cell::Int(r.rank as u64)
                        } else {
                            "—".into()
                        },
                        r.name.clone().into(),
                        Cell::Score(r.score),
                    ];
                    row.extend(cols.iter().map(|m| metric_cell(&r.figures, *m)));
                    row
                })
                .collect()
        };
    let street_cols = [
        Metric::HotlineResponse,
        Metric::HotlineResolution,
        Metric::HotlineSatisfaction,
        Metric::Reported,
        Metric::CloseRate,
        Metric::OnTimeCloseRate,
        Metric::Rework,
    ];
    let levels = district.levels();
    let mut header = vec![
        "排名".into(),
        format!("{}（含{}）", levels.street, levels.community),
        "综合得分".into(),
    ];
    header.extend(street_cols.iter().map(|m| m.label_zh().to_string()));
    out.push(Sheet {
        name: format!("{}排名", levels.street),
        header,
        rows: ranked_rows(&a.streets, &street_cols),
    });
    let dept_cols = [
        Metric::Closed,
        Metric::OnTimeCloseRate,
        Metric::CloseRate,
        Metric::Rework,
        Metric::Extension,
        Metric::SendBack,
        Metric::OnTimeReportIn,
    ];
    let mut header = vec!["排名".into(), "部门".into(), "综合得分".into()];
    header.extend(dept_cols.iter().map(|m| m.label_zh().to_string()));
    let dept_rows = ranked_rows(&a.departments, &dept_cols);
    out.push(Sheet {
        name: "部门排名".into(),
        header,
        rows: dept_rows,
    });

    let mut units: Vec<(&UnitId, &Figures)> =
        a.units.iter().filter(|(_, f)| !f.is_empty()).collect();
    units.sort_by_key(|(u, _)| {
        (
            district.unit(u).map_or(9, |x| kind_order(x.kind)),
            (*u).clone(),
        )
    });
    let mut header = vec!["单位".into(), "类型".into()];
    header.extend(Metric::TABLE.iter().map(|m| m.label_zh().to_string()));
    let mut rows = vec![{
        let mut r: Vec<Cell> = vec!["合计".into(), "本节点范围".into()];
        r.extend(Metric::TABLE.iter().map(|m| metric_cell(&total, *m)));
        r
    }];
    for (u, f) in units {
        let mut r: Vec<Cell> = vec![
            unit_name(district, u).into(),
            district
                .unit(u)
                .map_or("—", |x| district.levels().label(x.kind))
                .into(),
        ];
        r.extend(Metric::TABLE.iter().map(|m| metric_cell(f, *m)));
        rows.push(r);
    }
    out.push(Sheet {
        name: "单位考核".into(),
        header,
        rows,
    });

    out.push(Sheet {
        name: "岗位考核".into(),
        header: vec![
            "单位".into(),
            "岗位".into(),
            "经办人".into(),
            "综合得分".into(),
            "等级".into(),
            "构成".into(),
        ],
        rows: a
            .posts
            .iter()
            .map(|p| {
                let parts = p
                    .parts
                    .iter()
                    .map(|(n, w, v)| match v {
                        Some(v) => format!("{n}×{w:.0}%={:.1}%", v * 100.0),
                        None => format!("{n}×{w:.0}%=—"),
                    })
                    .collect::<Vec<_>>()
                    .join("；");
                vec![
                    unit_name(district, &p.unit).into(),
                    p.post.label_zh().into(),
                    p.person
                        .clone()
                        .unwrap_or_else(|| "（岗位合计）".into())
                        .into(),
                    Cell::Score(Some(p.score)),
                    p.grade.letter().into(),
                    parts.into(),
                ]
            })
            .collect(),
    });

    let mut rows = Vec::new();
    for (what, list) in [
        ("高频诉求人", &a.top_reporters),
        ("高频诉求地", &a.top_places),
        ("高频诉求事", &a.top_issues),
    ] {
        for (i, f) in list.iter().enumerate() {
            rows.push(vec![
                what.into(),
                Cell::Int(i as u64 + 1),
                f.key.clone().into(),
                f.label.clone().into(),
                Cell::Int(f.count),
            ]);
        }
    }
    out.push(Sheet {
        name: "高频诉求".into(),
        header: vec![
            "类别".into(),
            "名次".into(),
            "编码".into(),
            "名称".into(),
            "件数".into(),
        ],
        rows,
    });
    out.push(Sheet {
        name: "每日趋势".into(),
        header: vec!["日期".into(), "上报".into(), "结案".into()],
        rows: a
            .daily
            .iter()
            .map(|d| {
                vec![
                    d.date.format("%Y-%m-%d").to_string().into(),
                    Cell::Int(d.reported),
                    Cell::Int(d.closed),
                ]
            })
            .collect(),
    });
    out.push(Sheet {
        name: "在办灯态".into(),
        header: vec![
            "责任单位".into(),
            "绿灯".into(),
            "黄灯".into(),
            "红灯".into(),
        ],
        rows: a
            .lights
            .iter()
            .map(|(u, l)| {
                vec![
                    unit_name(district, u).into(),
                    Cell::Int(l[0]),
                    Cell::Int(l[1]),
                    Cell::Int(l[2]),
                ]
            })
            .collect(),
    });
    out
}

fn show_time(cal: &WorkCalendar, t: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(t)
        .map(|d| {
            d.with_timezone(&cal.utc_offset())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| t.to_string())
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown: a title, then each sheet as a section with a table.
pub fn markdown(title: &str, sheets: &[Sheet]) -> String {
    let mut s = format!("# {}\n", md_escape(title));
    for sh in sheets {
        let _ = write!(s, "\n## {}\n\n", sh.name);
        if sh.rows.is_empty() {
            s.push_str("（无）\n");
            continue;
        }
        let _ = writeln!(
            s,
            "| {} |",
            sh.header
                .iter()
                .map(|h| md_escape(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let _ = writeln!(s, "|{}", "---|".repeat(sh.header.len()));
        for r in &sh.rows {
            let _ = writeln!(
                s,
                "| {} |",
                r.iter()
                    .map(|c| md_escape(&c.show()))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
    }
    s
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report as one self-contained HTML page (UTF-8, no external resources).
pub fn html(title: &str, sheets: &[Sheet]) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{t}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}\
         th,td{{border:1px solid #999;padding:2px 8px}}th{{background:#eee}}td.n{{text-align:right}}</style>\
         </head><body>\n<h1>{t}</h1>\n",
        t = html_escape(title)
    );
    for sh in sheets {
        let _ = writeln!(s, "<h2>{}</h2>", html_escape(&sh.name));
        if sh.rows.is_empty() {
            s.push_str("<p>（无）</p>\n");
            continue;
        }
        s.push_str("<table><thead><tr>");
        for h in &sh.header {
            let _ = write!(s, "<th>{}</th>", html_escape(h));
        }
        s.push_str("</tr></thead><tbody>\n");
        for r in &sh.rows {
            s.push_str("<tr>");
            for c in r {
                let class = if matches!(c, Cell::Text(_)) {
                    ""
                } else {
                    " class=\"n\""
                };
                let _ = write!(s, "<td{class}>{}</td>", html_escape(&c.show()));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody></table>\n");
    }
    s.push_str("</body></html>\n");
    s
}

/// The report as an XLSX workbook, one worksheet per sheet: numbers as numbers, rates as
/// percentages, — for nothing counted.
pub fn xlsx(title: &str, sheets: &[Sheet]) -> Result<Vec<u8>, ReportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pct = Format::new().set_num_format("0.0%");
    let score = Format::new().set_num_format("0.0");
    for sh in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sh.name)?;
        ws.write_string_with_format(0, 0, title, &bold)?;
        for (c, h) in sh.header.iter().enumerate() {
            ws.write_string_with_format(2, c as u16, h, &bold)?;
            ws.set_column_width(c as u16, if c == 0 { 18 } else { 12 })?;
        }
        for (r, row) in sh.rows.iter().enumerate() {
            let r = r as u32 + 3;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, c, t)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cell::Rate(Some(v)) => {
                        ws.write_number_with_format(r, c, *v, &pct)?;
                    }
                    Cell::Score(Some(v)) => {
                        ws.write_number_with_format(r, c, *v, &score)?;
                    }
                    Cell::Rate(None) | Cell::Score(None) => {
                        ws.write_string(r, c, "—")?;
                    }
                }
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A case list as CSV (UTF-8 with a byte-order mark so spreadsheet programs read the Chinese):
/// one row per case, the columns of the inbox table.
pub fn cases_csv(
    rows: &[CaseSummary],
    district: &District,
    catalogue: &Catalogue,
    cal: &WorkCalendar,
    now: Millis,
) -> String {
    let mut s = String::from("\u{feff}");
    s.push_str(
        "案卷编号,上报时间,问题来源,类别编码,类别名称,单元网格码,地址,描述,状态,责任单位,处置单位,灯态,到期时间,返工次数,延期次数,冲突,演练\r\n",
    );
    for c in rows {
        let fields = [
            c.number.clone(),
            show_time(cal, c.reported),
            c.source.label_zh().to_string(),
            c.category.as_str().to_string(),
            catalogue
                .get(&c.category)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            c.grid.as_str().to_string(),
            c.address.clone(),
            c.description.clone(),
            c.state.label_zh().to_string(),
            unit_name(district, &c.holder),
            c.handlers
                .iter()
                .map(|h| unit_name(district, h))
                .collect::<Vec<_>>()
                .join("、"),
            if c.state.is_open() && c.due.is_some() {
                c.light(now).label_zh().to_string()
            } else {
                String::new()
            },
            c.due.map(|d| show_time(cal, d)).unwrap_or_default(),
            c.rework.to_string(),
            c.extensions.to_string(),
            if c.conflict { "是" } else { "" }.to_string(),
            if c.drill { "是" } else { "" }.to_string(),
        ];
        s.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        s.push_str("\r\n");
    }
    s
}
