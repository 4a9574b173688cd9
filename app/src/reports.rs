//! `gridloop report` (报表): assesses the node's cases for a period and writes the 日报/周报/
//! 月报 as Markdown, HTML, XLSX or JSON, or the cases behind one figure as CSV.

use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;

use gridloop_core::assess::{self, AssessConfig, Metric};
use gridloop_core::calendar::Millis;
use gridloop_core::period::{Period, PeriodKind};
use gridloop_core::report;

use crate::cli::{FormatArg, KindArg, ReportArgs};
use crate::commands::{open_engine, resolve_unit};

/// Reads a figure by its Chinese or English name.
pub fn parse_metric(s: &str) -> Result<Metric> {
    let t = s.trim();
    Metric::ALL
        .into_iter()
        .find(|m| m.label_zh() == t || m.label_en().eq_ignore_ascii_case(t))
        .ok_or_else(|| {
            anyhow!(
                "unknown figure `{s}`; expected one of {}",
                Metric::ALL.map(|m| m.label_zh()).join(", ")
            )
        })
}

fn format_of(a: &ReportArgs) -> Result<FormatArg> {
    if let Some(f) = a.format {
        return Ok(f);
    }
    let ext = a
        .out
        .as_ref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    Ok(match ext.as_deref() {
        None | Some("md") | Some("markdown") => FormatArg::Md,
        Some("html") | Some("htm") => FormatArg::Html,
        Some("xlsx") => FormatArg::Xlsx,
        Some("json") => FormatArg::Json,
        Some(other) => bail!(
            "cannot tell the format from the extension `.{other}`; pass --format md|html|xlsx|json"
        ),
    })
}

/// Runs `gridloop report`.
pub fn run(dir: &Path, a: ReportArgs, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let period = match &a.period {
        Some(p) => Period::parse(p)?,
        None => {
            let kind = match a.kind {
                KindArg::Day => PeriodKind::Day,
                KindArg::Week => PeriodKind::Week,
                KindArg::Month => PeriodKind::Month,
                KindArg::Year => PeriodKind::Year,
            };
            Period::of(kind, engine.calendar.local_date(at))
        }
    };
    let config = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read assessment settings {}", p.display()))?;
            assess::config_from_toml(&text).with_context(|| format!("in {}", p.display()))?
        }
        None => AssessConfig::default(),
    };
    let node_unit = engine.node().ok().map(|n| n.unit);
    let scope_unit = node_unit
        .clone()
        .unwrap_or_else(|| engine.district.root().id.clone());
    let scope = engine
        .district
        .unit(&scope_unit)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| scope_unit.to_string());

    if let Some(name) = &a.cases_of {
        let metric = parse_metric(name)?;
        let unit = match &a.unit {
            Some(u) => resolve_unit(&engine, u)?,
            None => scope_unit.clone(),
        };
        let (from, to) = period.bounds(&engine.calendar);
        let rows = engine.store.read()?.reported_rows(from, to)?;
        // "Missed" means not hit for a rate where more is better (not closed on time), hit for
        // one where less is better (reworked); a count has nothing to miss.
        let want = if a.missed && !metric.is_count() {
            Some(metric.lower_is_better())
        } else {
            None
        };
        let behind = assess::cases_behind(&rows, &engine.district, at, &unit, true, metric, want);
        let csv = report::cases_csv(
            &behind,
            &engine.district,
            &engine.catalogue,
            &engine.calendar,
            at,
        );
        return emit(a.out.as_deref(), csv.as_bytes(), behind.len(), "cases");
    }

    let format = format_of(&a)?;
    let started = std::time::Instant::now();
    let assessment = assess::assess(&engine, period, at, &config)?;
    tracing::info!(
        cases = assessment.cases,
        ms = started.elapsed().as_millis() as u64,
        period = %period,
        "assessed"
    );
    let title = report::title(&assessment, &scope);
    let sheets = report::sheets(&assessment, &engine.district, &engine.calendar, &scope);
    let bytes = match format {
        FormatArg::Md => report::markdown(&title, &sheets).into_bytes(),
        FormatArg::Html => report::html(&title, &sheets).into_bytes(),
        FormatArg::Json => serde_json::to_vec_pretty(&assessment)?,
        FormatArg::Xlsx => {
            if a.out.is_none() {
                bail!("an XLSX report is a file: pass --out FILE.xlsx");
            }
            report::xlsx(&title, &sheets)?
        }
    };
    emit(
        a.out.as_deref(),
        &bytes,
        assessment.cases as usize,
        "cases assessed",
    )
}

fn emit(out: Option<&Path>, bytes: &[u8], n: usize, what: &str) -> Result<()> {
    match out {
        Some(p) => {
            std::fs::write(p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
            eprintln!("wrote {} ({n} {what})", p.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(bytes)?;
        }
    }
    Ok(())
}

/// The node names of the standard demo district, which drill scenarios name links by.
const DEMO_NODES: [&str; 7] = ["d", "s1", "s2", "c11", "c12", "c21", "c22"];

/// Reads and checks a scenario for the demo district's nodes.
pub(crate) fn read_plan(path: &Path) -> Result<gridloop_core::drill::Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read drill scenario {}", path.display()))?;
    let district = gridloop_core::unit::District::demo();
    let catalogue = gridloop_core::catalogue::Catalogue::standard();
    gridloop_core::drill::Scenario::plan(&text, &district, &catalogue, &DEMO_NODES)
        .with_context(|| format!("in {}", path.display()))
}

fn span(ms: Millis) -> String {
    let m = ms / 60_000;
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m{:02}s", (ms % 60_000) / 1000)
    }
}

/// `gridloop drill check`: the scenario's timeline, or what is wrong with it.
pub fn drill_check(path: &Path) -> Result<()> {
    use gridloop_core::drill::Cue;
    let plan = read_plan(path)?;
    println!("演练 {}", plan.scenario.name);
    for (at, cue) in plan.cues() {
        match cue {
            Cue::Inject(i) => println!(
                "  +{:>7}  注入 {} 件 {} @ {} {}",
                span(at),
                i.count,
                i.category,
                i.grid,
                i.description
            ),
            Cue::Cut(a, b) => println!("  +{:>7}  断开 {a}–{b}", span(at)),
            Cue::Restore(a, b) => println!("  +{:>7}  恢复 {a}–{b}", span(at)),
        }
    }
    for (step, within) in &plan.expectations {
        println!(
            "  预期: {} within {}",
            gridloop_core::drill::step_zh(*step),
            span(*within)
        );
    }
    Ok(())
}

/// `gridloop drill report`: the after-action report of the drill cases in the store.
pub fn drill_report(dir: &Path, scenario: Option<&Path>, json: bool) -> Result<()> {
    let engine = open_engine(dir)?;
    let expectations = match scenario {
        Some(p) => read_plan(p)?.expectations,
        None => Vec::new(),
    };
    let r = engine.store.read()?;
    let rows: Vec<_> = r
        .reported_rows(Millis::MIN, Millis::MAX)?
        .into_iter()
        .filter(|s| s.drill || s.source == gridloop_core::case::Source::Drill)
        .collect();
    let report = gridloop_core::drill::after_action(&rows, &engine.district, &expectations);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print_after_action(&report, &engine.district, 1.0);
    Ok(())
}

/// Prints an after-action report as Markdown; `scale` turns measured times into drill time
/// (a drill played at 60× speed: 60).
pub(crate) fn print_after_action(
    report: &gridloop_core::drill::AfterAction,
    district: &gridloop_core::unit::District,
    scale: f64,
) {
    let span = |ms: Millis| span((ms as f64 * scale) as Millis);
    let name = |u: &gridloop_core::unit::UnitId| {
        district
            .unit(u)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| u.to_string())
    };
    println!("# 演练评估报告\n\n演练案件 {} 件\n", report.cases);
    println!("## 各单位用时（自上报起，中位 / 最长）\n");
    println!("| 单位 | 环节 | 件数 | 中位 | 最长 |\n|---|---|---|---|---|");
    for (u, steps) in &report.by_unit {
        for (step, t) in steps {
            println!(
                "| {} | {} | {} | {} | {} |",
                name(u),
                gridloop_core::drill::step_zh(*step),
                t.cases,
                span(t.median),
                span(t.max)
            );
        }
    }
    println!("\n## 各层级用时\n");
    println!("| 层级 | 环节 | 件数 | 中位 | 最长 |\n|---|---|---|---|---|");
    for (k, steps) in &report.by_level {
        for (step, t) in steps {
            println!(
                "| {} | {} | {} | {} | {} |",
                k.label_zh(),
                gridloop_core::drill::step_zh(*step),
                t.cases,
                span(t.median),
                span(t.max)
            );
        }
    }
    println!("\n## 离线办理\n");
    if report.offline.is_empty() {
        println!("（无）");
    }
    for (u, n) in &report.offline {
        println!("- {}：{n} 次", name(u));
    }
    println!("\n## 冲突及处理\n");
    if report.conflicts.is_empty() {
        println!("（无）");
    }
    for c in &report.conflicts {
        match &c.resolved {
            Some((u, at)) => println!(
                "- {}：由{}于 {} 处理",
                c.number,
                name(u),
                crate::output::time(*at)
            ),
            None => println!("- {}：尚未处理", c.number),
        }
    }
    if !report.expectations.is_empty() {
        println!("\n## 预期响应\n");
        for e in &report.expectations {
            println!(
                "- {} 在 {} 内：达标 {} 件，未达标 {} 件",
                gridloop_core::drill::step_zh(e.step),
                span(e.within),
                e.met,
                e.missed
            );
        }
    }
    if !report.converge.is_empty() {
        println!("\n## 链路恢复后追平\n");
        for (link, at, took) in &report.converge {
            println!(
                "- {link}：{} 恢复，{took} ms 后双向追平",
                crate::output::time(*at)
            );
        }
    }
}
