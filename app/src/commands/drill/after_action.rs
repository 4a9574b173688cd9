//! The after-action report (演练评估): `gridloop drill report` over the drill cases in this
//! node's store, and the Markdown that `gridloop drill run` prints too.

use anyhow::Result;
use std::path::Path;

use gridloop_core::domain::calendar::Millis;

use super::scenario::read_plan;
use crate::common::open_engine;
use crate::output::span;

/// `gridloop drill report` (演练评估): the after-action report of the drill cases in the store.
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
        .filter(|s| s.drill || s.source == gridloop_core::domain::intake::Source::Drill)
        .collect();
    let report = gridloop_core::drill::after_action(&rows, &engine.district, &expectations);
    if json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print_after_action(&report, &engine.district, 1.0);
    Ok(())
}

/// Prints an after-action report as Markdown; `scale` turns measured times into drill time
/// (a drill played at 60× speed: 60).
pub fn print_after_action(
    report: &gridloop_core::drill::AfterAction,
    district: &gridloop_core::domain::unit::District,
    scale: f64,
) {
    let span = |ms: Millis| span((ms as f64 * scale) as Millis);
    let name = |u: &gridloop_core::domain::unit::UnitId| {
        district
            .unit(u)
            .map(|x| x.name.clone())
            .unwrap_or_else(|| u.to_string())
    };
    say!("# 演练评估报告\n\n演练案件 {} 件\n", report.cases);
    say!("## 各单位用时（自上报起，中位 / 最长）\n");
    say!("| 单位 | 环节 | 件数 | 中位 | 最长 |\n|---|---|---|---|---|");
    for (u, steps) in &report.by_unit {
        for (step, t) in steps {
            say!(
                "| {} | {} | {} | {} | {} |",
                name(u),
                gridloop_core::drill::step_zh(*step),
                t.cases,
                span(t.median),
                span(t.max)
            );
        }
    }
    say!("\n## 各层级用时\n");
    say!("| 层级 | 环节 | 件数 | 中位 | 最长 |\n|---|---|---|---|---|");
    for (k, steps) in &report.by_level {
        for (step, t) in steps {
            say!(
                "| {} | {} | {} | {} | {} |",
                k.label_zh(),
                gridloop_core::drill::step_zh(*step),
                t.cases,
                span(t.median),
                span(t.max)
            );
        }
    }
    say!("\n## 离线办理\n");
    if report.offline.is_empty() {
        say!("（无）");
    }
    for (u, n) in &report.offline {
        say!("- {}：{n} 次", name(u));
    }
    say!("\n## 冲突及处理\n");
    if report.conflicts.is_empty() {
        say!("（无）");
    }
    for c in &report.conflicts {
        match &c.resolved {
            Some((u, at)) => say!(
                "- {}：由{}于 {} 处理",
                c.number,
                name(u),
                crate::output::time(*at)
            ),
            None => say!("- {}：尚未处理", c.number),
        }
    }
    if !report.expectations.is_empty() {
        say!("\n## 预期响应\n");
        for e in &report.expectations {
            say!(
                "- {} 在 {} 内：达标 {} 件，未达标 {} 件",
                gridloop_core::drill::step_zh(e.step),
                span(e.within),
                e.met,
                e.missed
            );
        }
    }
    if !report.converge.is_empty() {
        say!("\n## 链路恢复后追平\n");
        for (link, at, took) in &report.converge {
            say!(
                "- {link}：{} 恢复，{took} ms 后双向追平",
                crate::output::time(*at)
            );
        }
    }
}
