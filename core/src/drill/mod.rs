//! 演练 — drill scenarios and the after-action report.
//!
//! A [`Scenario`] is a TOML file: timed case injections at grid cells, scheduled cuts and
//! restores of named links between nodes, and the responses expected within limits. Drill
//! cases carry the drill flag (source 演练), so they never count in real figures
//! ([`crate::analytics::assess`] leaves them out). The [`AfterAction`] report folds the drill cases'
//! assessed acts (never the documents): per unit and per level, the time from report to
//! 受理, 立案, 派遣, 报到, 反馈 and 结案; the moves made offline; conflicts and how they were
//! resolved; each expectation met or missed; and, from the runner, how long the network took to
//! converge after each restore.
//!
//! ```toml
//! name = "暴雨内涝应急演练"
//! [[inject]]
//! at = "0m"                    # offset from the start
//! grid = "110101001001001"
//! category = "E0402"           # 路面塌陷
//! address = "东华门大街12号"
//! description = "路面塌陷，已设围挡"
//! count = 2                    # optional, default 1
//! [[link]]
//! at = "10m"
//! cut = ["c11", "s1"]
//! [[link]]
//! at = "25m"
//! restore = ["c11", "s1"]
//! [[expect]]
//! step = "dispatch"            # accept, register, dispatch, report_in, feedback, close
//! within = "30m"
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::calendar::Millis;
use crate::domain::case_id::CaseId;
use crate::domain::unit::{District, UnitId, UnitKind};
use crate::store::CaseSummary;
use crate::workflow::Step;

mod after_action;
pub mod runner;

pub use after_action::{AfterAction, ConflictNote, ExpectationResult, StepTimes, after_action};

/// A drill scenario (演练脚本), as read from TOML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// What it rehearses.
    #[serde(default)]
    pub description: String,
    /// Cases injected.
    #[serde(default)]
    pub inject: Vec<Injection>,
    /// Links cut and restored.
    #[serde(default)]
    pub link: Vec<LinkChange>,
    /// Responses expected.
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// A timed case injection (注入案件).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injection {
    /// Offset from the start: `90s`, `5m`, `1h30m`.
    pub at: String,
    /// 单元网格码.
    pub grid: String,
    /// Category code.
    pub category: String,
    /// Address.
    pub address: String,
    /// Description.
    pub description: String,
    /// How many such cases.
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl Injection {
    /// One of the cases it injects, as intake input: source 演练, drill flag set.
    pub fn new_case(&self) -> crate::engine::NewCase {
        crate::engine::NewCase {
            source: "drill".into(),
            category: self.category.clone(),
            grid: self.grid.clone(),
            address: self.address.clone(),
            description: self.description.clone(),
            drill: true,
            ..crate::engine::NewCase::default()
        }
    }
}

/// A scheduled cut or restore of the link between two named nodes (断开/恢复链路).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkChange {
    /// Offset from the start.
    pub at: String,
    /// Cut this link.
    #[serde(default)]
    pub cut: Option<[String; 2]>,
    /// Restore this link.
    #[serde(default)]
    pub restore: Option<[String; 2]>,
}

/// A response expected within a limit (预期响应).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// accept, register, dispatch, report_in, feedback or close.
    pub step: String,
    /// From the report: `30m`.
    pub within: String,
}

/// A scenario that cannot be run, with what is wrong (演练脚本错误).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DrillError {
    /// Not valid TOML or not the scenario's shape.
    #[error("bad drill scenario: {0}")]
    Parse(String),
    /// A field with a bad value.
    #[error("bad drill scenario: {what}: {why}")]
    Field {
        /// Which entry and field.
        what: String,
        /// Why.
        why: String,
    },
}

/// Reads an offset or limit: `45s`, `5m`, `2h`, `1h30m`.
pub fn parse_span(text: &str) -> Option<Millis> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let mut total: Millis = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            let n: Millis = num.parse().ok()?;
            num.clear();
            total += n * match c {
                's' => 1_000,
                'm' => 60_000,
                'h' => 3_600_000,
                'd' => 86_400_000,
                _ => return None,
            };
        }
    }
    num.is_empty().then_some(total)
}

/// One of the steps the after-action report times.
const TIMED: [(&str, Step); 6] = [
    ("accept", Step::Accept),
    ("register", Step::Register),
    ("dispatch", Step::Dispatch),
    ("report_in", Step::ReportIn),
    ("feedback", Step::Feedback),
    ("close", Step::Close),
];

fn step_of(name: &str) -> Option<Step> {
    TIMED.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The Chinese name of a timed step.
pub fn step_zh(step: Step) -> &'static str {
    match step {
        Step::Accept => "受理",
        Step::Register => "立案",
        Step::Dispatch => "派遣",
        Step::ReportIn => "报到",
        Step::Feedback => "反馈",
        Step::Close => "结案",
        _ => "其他",
    }
}

/// What a parsed scenario schedules, with offsets in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The scenario.
    pub scenario: Scenario,
    /// (offset, injection), by offset.
    pub injections: Vec<(Millis, Injection)>,
    /// (offset, cut?, node a, node b), by offset.
    pub links: Vec<(Millis, bool, String, String)>,
    /// (step, limit).
    pub expectations: Vec<(Step, Millis)>,
}

impl Scenario {
    /// Reads and checks a scenario: offsets and limits readable, grids and categories known,
    /// link nodes among `nodes`, each link change either a cut or a restore.
    pub fn plan(
        text: &str,
        district: &District,
        catalogue: &crate::domain::catalogue::Catalogue,
        nodes: &[&str],
    ) -> Result<Plan, DrillError> {
        let scenario: Scenario =
            toml::from_str(text).map_err(|e| DrillError::Parse(e.to_string()))?;
        let field = |what: String, why: String| DrillError::Field { what, why };
        let span = |what: String, s: &str| {
            parse_span(s).ok_or_else(|| {
                field(
                    what,
                    format!("`{s}` is not a time span like 90s, 5m, 2h or 1h30m"),
                )
            })
        };
        let mut injections = Vec::new();
        for (i, inj) in scenario.inject.iter().enumerate() {
            let w = format!("inject #{}", i + 1);
            let at = span(format!("{w} at"), &inj.at)?;
            district
                .require_grid(&inj.grid)
                .map_err(|e| field(format!("{w} grid"), e.to_string()))?;
            catalogue
                .require(&inj.category)
                .map_err(|e| field(format!("{w} category"), e.to_string()))?;
            if inj.count == 0 || inj.count > 10_000 {
                return Err(field(format!("{w} count"), "must be 1 to 10000".into()));
            }
            if inj.address.trim().is_empty() || inj.description.trim().is_empty() {
                return Err(field(w, "address and description must not be empty".into()));
            }
            injections.push((at, inj.clone()));
        }
        injections.sort_by_key(|(at, _)| *at);
        let mut links = Vec::new();
        for (i, l) in scenario.link.iter().enumerate() {
            let w = format!("link #{}", i + 1);
            let at = span(format!("{w} at"), &l.at)?;
            let (cut, [a, b]) = match (&l.cut, &l.restore) {
                (Some(p), None) => (true, p.clone()),
                (None, Some(p)) => (false, p.clone()),
                _ => return Err(field(w, "give exactly one of cut or restore".into())),
            };
            for n in [&a, &b] {
                if !nodes.contains(&n.as_str()) {
                    return Err(field(
                        w.clone(),
                        format!("unknown node `{n}`; nodes are {}", nodes.join(", ")),
                    ));
                }
            }
            links.push((at, cut, a, b));
        }
        links.sort_by_key(|l| l.0);
        let mut expectations = Vec::new();
        for (i, e) in scenario.expect.iter().enumerate() {
            let w = format!("expect #{}", i + 1);
            let step = step_of(&e.step).ok_or_else(|| {
                field(
                    format!("{w} step"),
                    format!(
                        "unknown step `{}`; expected one of {}",
                        e.step,
                        TIMED.map(|(n, _)| n).join(", ")
                    ),
                )
            })?;
            expectations.push((step, span(format!("{w} within"), &e.within)?));
        }
        Ok(Plan {
            scenario,
            injections,
            links,
            expectations,
        })
    }
}

/// One thing a drill does at its time (演练动作).
#[derive(Clone, Debug, PartialEq)]
pub enum Cue {
    /// Report these cases (the injection's `count`).
    Inject(Injection),
    /// Cut the link between two nodes.
    Cut(String, String),
    /// Restore it.
    Restore(String, String),
}

impl Plan {
    /// Every cue with its offset, in time order (at equal times: injections, then cuts, then
    /// restores, each in file order). A runner gives each cue once the drill's clock passes
    /// its offset.
    pub fn cues(&self) -> Vec<(Millis, Cue)> {
        let mut out: Vec<(Millis, u8, Cue)> = Vec::new();
        for (at, inj) in &self.injections {
            out.push((*at, 0, Cue::Inject(inj.clone())));
        }
        for (at, cut, a, b) in &self.links {
            if *cut {
                out.push((*at, 1, Cue::Cut(a.clone(), b.clone())));
            } else {
                out.push((*at, 2, Cue::Restore(a.clone(), b.clone())));
            }
        }
        out.sort_by_key(|(at, k, _)| (*at, *k));
        out.into_iter().map(|(at, _, c)| (at, c)).collect()
    }
}

#[cfg(test)]
mod tests;
