//! `gridloop report` (报表): assesses the node's cases for a period and writes the 日报/周报/
//! 月报 as Markdown, HTML, XLSX or JSON, or the cases behind one figure as CSV.

use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;

use gridloop_core::analytics::assess::{self, Metric};
use gridloop_core::analytics::report;
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::period::{Period, PeriodKind};

use crate::cli::{FormatArg, KindArg, ReportArgs};
use crate::common::{open_engine, resolve_unit};

/// Reads a figure (考核指标) by its Chinese or English name.
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

/// Runs `gridloop report` (报表).
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
        None => engine
            .config_at(at)
            .map(|c| c.assessment.clone())
            .unwrap_or_default(),
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
        let behind = assess::cases_behind(
            &rows,
            &engine.district,
            &engine.catalogue,
            at,
            &unit,
            true,
            metric,
            want,
        );
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
            say_err!("wrote {} ({n} {what})", p.display());
        }
        // Text only: an XLSX report always has --out.
        None => say!("{}", String::from_utf8_lossy(bytes).trim_end_matches('\n')),
    }
    Ok(())
}
