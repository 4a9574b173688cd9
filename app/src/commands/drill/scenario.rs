//! Drill scenarios (演练脚本): reading and checking one for the demo district's nodes, and
//! `gridloop drill check`, which prints its timeline.

use anyhow::{Context, Result};
use std::path::Path;

use crate::output::span;

/// The node names of the standard demo district, which drill scenarios name links by.
const DEMO_NODES: [&str; 7] = ["d", "s1", "s2", "c11", "c12", "c21", "c22"];

/// Reads and checks a scenario (演练脚本) for the demo district's nodes.
pub fn read_plan(path: &Path) -> Result<gridloop_core::drill::Plan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read drill scenario {}", path.display()))?;
    let district = gridloop_core::domain::unit::District::demo();
    let catalogue = gridloop_core::domain::catalogue::Catalogue::standard();
    gridloop_core::drill::Scenario::plan(&text, &district, &catalogue, &DEMO_NODES)
        .with_context(|| format!("in {}", path.display()))
}

/// `gridloop drill check` (检查演练脚本): the scenario's timeline, or what is wrong with it.
pub fn drill_check(path: &Path) -> Result<()> {
    use gridloop_core::drill::Cue;
    let plan = read_plan(path)?;
    say!("演练 {}", plan.scenario.name);
    for (at, cue) in plan.cues() {
        match cue {
            Cue::Inject(i) => say!(
                "  +{:>7}  注入 {} 件 {} @ {} {}",
                span(at),
                i.count,
                i.category,
                i.grid,
                i.description
            ),
            Cue::Cut(a, b) => say!("  +{:>7}  断开 {a}–{b}", span(at)),
            Cue::Restore(a, b) => say!("  +{:>7}  恢复 {a}–{b}", span(at)),
        }
    }
    for (step, within) in &plan.expectations {
        say!(
            "  预期: {} within {}",
            gridloop_core::drill::step_zh(*step),
            span(*within)
        );
    }
    Ok(())
}
