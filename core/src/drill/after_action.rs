//! 演练评估 — the after-action report, folded from the drill cases' assessed acts.

use super::*;

/// Times of one step at one unit (or level): how many cases, median and slowest, from report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTimes {
    /// Cases timed.
    pub cases: u32,
    /// Median time from report, ms.
    pub median: Millis,
    /// Slowest, ms.
    pub max: Millis,
}

impl StepTimes {
    fn of(mut v: Vec<Millis>) -> StepTimes {
        v.sort_unstable();
        StepTimes {
            cases: v.len() as u32,
            median: v.get(v.len() / 2).copied().unwrap_or(0),
            max: v.last().copied().unwrap_or(0),
        }
    }
}

/// An expectation and how the drill did against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationResult {
    /// The step.
    pub step: Step,
    /// The limit, ms.
    pub within: Millis,
    /// Drill cases that reached the step within the limit.
    pub met: u32,
    /// Drill cases that reached it late or not at all.
    pub missed: u32,
}

/// A conflict in a drill case, and its resolution if made (冲突及处理).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictNote {
    /// The case.
    pub case: CaseId,
    /// 案卷编号.
    pub number: String,
    /// Who resolved it and when, if it was.
    pub resolved: Option<(UnitId, Millis)>,
}

/// The after-action report (演练评估报告).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AfterAction {
    /// Drill cases considered.
    pub cases: u32,
    /// Per unit and step: times from report.
    pub by_unit: BTreeMap<UnitId, BTreeMap<Step, StepTimes>>,
    /// Per level (区/街道/社区/部门) and step.
    pub by_level: BTreeMap<UnitKind, BTreeMap<Step, StepTimes>>,
    /// Moves made offline, per unit (the assessed moves: notes and requests are not counted).
    pub offline: BTreeMap<UnitId, u32>,
    /// Conflicts and their resolutions.
    pub conflicts: Vec<ConflictNote>,
    /// Expectations met and missed.
    pub expectations: Vec<ExpectationResult>,
    /// (link, restored at, time to converge in ms), as the runner measured.
    pub converge: Vec<(String, Millis, Millis)>,
}

/// Folds the drill cases among `rows` into the after-action report (non-drill rows are
/// ignored). Each step is timed at its first occurrence per case and unit.
pub fn after_action(
    rows: &[CaseSummary],
    district: &District,
    expectations: &[(Step, Millis)],
) -> AfterAction {
    let mut out = AfterAction::default();
    let mut unit_times: BTreeMap<(UnitId, Step), Vec<Millis>> = BTreeMap::new();
    let mut level_times: BTreeMap<(UnitKind, Step), Vec<Millis>> = BTreeMap::new();
    let mut results: Vec<ExpectationResult> = expectations
        .iter()
        .map(|(step, within)| ExpectationResult {
            step: *step,
            within: *within,
            met: 0,
            missed: 0,
        })
        .collect();
    for s in rows
        .iter()
        .filter(|s| s.drill || s.source == crate::domain::intake::Source::Drill)
    {
        out.cases += 1;
        let mut seen: BTreeSet<(&UnitId, Step)> = BTreeSet::new();
        let mut first: BTreeMap<Step, Millis> = BTreeMap::new();
        let mut last: Option<(&UnitId, Millis)> = None;
        for a in &s.acts {
            // One move can make two acts (自结案: 反馈 and 结案): count the move once.
            if a.offline && last != Some((&a.unit, a.at)) {
                *out.offline.entry(a.unit.clone()).or_default() += 1;
            }
            last = Some((&a.unit, a.at));
            if !TIMED.iter().any(|(_, st)| *st == a.step) {
                continue;
            }
            let took = a.at - s.reported;
            first.entry(a.step).or_insert(took);
            if seen.insert((&a.unit, a.step)) {
                unit_times
                    .entry((a.unit.clone(), a.step))
                    .or_default()
                    .push(took);
                let kind = district
                    .unit(&a.unit)
                    .map(|u| u.kind)
                    .unwrap_or(UnitKind::District);
                level_times.entry((kind, a.step)).or_default().push(took);
            }
        }
        for r in &mut results {
            match first.get(&r.step) {
                Some(t) if *t <= r.within => r.met += 1,
                _ => r.missed += 1,
            }
        }
        let resolved = s
            .acts
            .iter()
            .rev()
            .find(|a| a.step == Step::Resolve)
            .map(|a| (a.unit.clone(), a.at));
        if s.conflict || resolved.is_some() {
            out.conflicts.push(ConflictNote {
                case: s.id.clone(),
                number: s.number.clone(),
                resolved: if s.conflict { None } else { resolved },
            });
        }
    }
    for ((u, st), v) in unit_times {
        out.by_unit
            .entry(u)
            .or_default()
            .insert(st, StepTimes::of(v));
    }
    for ((k, st), v) in level_times {
        out.by_level
            .entry(k)
            .or_default()
            .insert(st, StepTimes::of(v));
    }
    out.expectations = results;
    out
}
