//! 考核 — assessment figures per unit, post and period, computed on each node from its own
//! projection (never from the documents).
//!
//! **Cohort.** A period's figures are over the cases *reported* in the period (按上报时间统计),
//! not drills, with everything that happened to them up to `now`. Every node with the same
//! cases and the same `now` computes the same figures, so after sync a street and the district
//! agree on that street.
//!
//! A case in conflict (冲突) counts the acts of its current branch; moves a resolution
//! superseded never count.
//!
//! **Attribution.** Each assessed act ([`crate::workflow::Act`], recorded by replay) counts for the unit that
//! made it (requests for the asking unit, 反馈 for the handling unit). Closure (结案率,
//! 按期结案率, 结案数) is assessed twice, as 数字城管 does: for the territory (区域评价: the
//! community of the case's grid, so a street's figures cover every case in its area) and for
//! the department that handled it (部门评价: the lead handler); a department's closure figures
//! do not roll up, so above it no case counts twice. 漏报率 and the hotline 三率 count for the
//! territory too. A street's figures (街道合计) add its communities'.
//!
//! **Formulas** (`../shared/domain.md`; each a ratio, "—" when nothing is counted):
//! - 结案率 = closed / due to close; 按期结案率 = closed by the overall due time / due to
//!   close. *Due to close* = cases closed, or whose overall due time has passed by `now`;
//!   挂账 (parked), 不予受理 and 作废 cases are excluded.
//! - 按时受理率, 按时立案率 (立案 and 作废 decisions), 按时派遣率, 按时核实率, 按时核查率,
//!   按时结案率 (the 结案 step), 按时报到率: acts done within their stage limit.
//! - 准确立案率 = (registered − voided) / registered: 立案 over 立案 and 作废 decisions.
//! - 准确派遣率 = (dispatched − re-dispatched) / dispatched: a dispatch undone by an approved
//!   回退 was wrong.
//! - 返工率 = 反馈 that failed 核查 or left the citizen unsatisfied / 反馈.
//! - 延期率, 回退率 = handled cases with an approved 延期 / 回退 by the unit / cases it handled.
//! - 有效上报率 = reports not ended by 不予受理 or 作废 / reports; 漏报率 = real cases in
//!   the community's grids of a category a patrol should find (`patrol` in the catalogue)
//!   first raised by the hotline or the public / all such cases.
//! - Posts: 监督员 = 有效上报率×40% + (1−漏报率)×20% + 按时核实率×20% + 按时核查率×20%;
//!   值班长 = 按时立案率×25% + 准确立案率×40% + 按时结案率×35%; 派遣员 = 派遣数分值×20% +
//!   按时派遣率×40% + 准确派遣率×40%, 派遣数分值 = min(1, dispatches / target). A part with
//!   nothing counted is left out and the other weights rescaled. Grades A ≥ 90, B ≥ 75,
//!   C ≥ 60, D ≥ 40, else E (configurable).
//! - Hotline 三率 over 12345 cases, for the territory (属地: the community of the case's grid,
//!   so a street's figures cover every hotline case in its area, as 接诉即办 ranks streets):
//!   响应率 = first 受理 on time, 解决率 = cases the citizen called 解决 at the latest 回访 /
//!   cases asked, 满意率 = 满意 or 基本满意 at the latest 回访 / cases called back; score =
//!   weighted mean, weights 10/45/45 by default.
//! - Rankings: streets and departments by the composite score `assessment.toml` defines
//!   (`street_score`, `department_score`), ranked on the score shown to two decimals.
//!
//! `docs/assessment.md` gives every formula with its source.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::calendar::{Light, Millis, WorkCalendar};
use crate::domain::catalogue::{Catalogue, CategoryCode};
use crate::domain::intake::Source;
use crate::domain::period::Period;
use crate::domain::role::Role;
use crate::domain::unit::{District, GridCode, UnitId, UnitKind};
use crate::engine::Engine;
use crate::store::{CaseSummary, StoreError};
use crate::workflow::{State, Step};

mod config;
mod metric;
mod tally;

use config::weighted;
pub use config::{AssessConfig, AssessError, Grade, Post, config_from_toml};
use metric::TERRITORIAL;
pub use metric::{Figures, Metric, Ratio};
use tally::{Ctx, tally};

/// A post's composite (岗位综合得分).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostScore {
    /// The unit.
    pub unit: UnitId,
    /// The post.
    pub post: Post,
    /// The person (经办人), for a person's own composite; `None` for the post at the unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Score 0..=100.
    pub score: f64,
    /// Its grade.
    pub grade: Grade,
    /// The parts: name, weight (%), value in 0..=1 if counted.
    pub parts: Vec<(String, f64, Option<f64>)>,
}

/// One row of a ranking (排名).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// 1-based rank; units without a score come last, unranked (0).
    pub rank: u32,
    /// The unit.
    pub unit: UnitId,
    /// Its name.
    pub name: String,
    /// The ranking score (0..=100), if any.
    pub score: Option<f64>,
    /// The parts of the score: name, weight (%), value in 0..=1 if counted.
    pub parts: Vec<config::Part>,
    /// Its figures (a street's include its communities).
    pub figures: Figures,
}

/// One entry of a 高频 list: what, its label, how many cases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frequent {
    /// The key (a masked phone or name, a grid code, a category code).
    pub key: String,
    /// What to show (a grid's name and an address, a category's name).
    pub label: String,
    /// Cases.
    pub count: u64,
}

/// One day of the trend (趋势).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    /// The local date.
    pub date: NaiveDate,
    /// Cases reported that day.
    pub reported: u64,
    /// Of the period's cases, those closed that day.
    pub closed: u64,
}

/// A whole assessment (考核结果): the district's figures, every unit's, posts, rankings and
/// the 高频 analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The period.
    pub period: Period,
    /// The moment figures were taken at.
    pub now: Millis,
    /// Cases counted (reported in the period, drills excluded).
    pub cases: u64,
    /// Drill cases left out.
    pub drill_cases: u64,
    /// Duplicates merged into another case (并案), left out.
    #[serde(default)]
    pub merged_cases: u64,
    /// Each unit's own figures.
    pub units: BTreeMap<UnitId, Figures>,
    /// Each unit with everything below it (a street with its communities; the district root
    /// with everything this node holds).
    pub rollups: BTreeMap<UnitId, Figures>,
    /// Post composites, by unit then post.
    pub posts: Vec<PostScore>,
    /// Streets by their composite score ([`AssessConfig::street_score`]).
    pub streets: Vec<Ranked>,
    /// The streets' score formula, as shown.
    pub street_formula: String,
    /// Departments by their composite score ([`AssessConfig::department_score`]).
    pub departments: Vec<Ranked>,
    /// The departments' score formula, as shown.
    pub department_formula: String,
    /// 高频诉求人 (phones masked).
    pub top_reporters: Vec<Frequent>,
    /// 高频诉求地 (grid cells).
    pub top_places: Vec<Frequent>,
    /// 高频诉求事 (categories).
    pub top_issues: Vec<Frequent>,
    /// 每月一题: the period's dominant issue among citizen demands, with its share.
    pub dominant_issue: Option<(Frequent, f64)>,
    /// Cases reported and closed per day.
    pub daily: Vec<Day>,
    /// Open cases by light at `now`, by holder: green, yellow, red.
    pub lights: BTreeMap<UnitId, [u64; 3]>,
    /// The settings used.
    pub config: AssessConfig,
}

impl Assessment {
    /// The district root's figures (everything this node holds).
    pub fn total(&self, district: &District) -> Figures {
        self.rollups
            .get(&district.root().id)
            .cloned()
            .unwrap_or_default()
    }

    /// The lights of every open case: green, yellow, red.
    pub fn light_totals(&self) -> [u64; 3] {
        self.lights.values().fold([0; 3], |mut t, l| {
            for i in 0..3 {
                t[i] += l[i];
            }
            t
        })
    }
}

/// What the parallel fold collects before the figures are put together.
#[derive(Default)]
struct Acc {
    cases: u64,
    drill: u64,
    merged: u64,
    units: HashMap<UnitId, Figures>,
    posts: HashMap<(UnitId, Role), Figures>,
    people: HashMap<(UnitId, Role, String), Figures>,
    reporters: HashMap<String, u64>,
    places: HashMap<GridCode, (u64, String)>,
    issues: HashMap<CategoryCode, u64>,
    reported: BTreeMap<NaiveDate, u64>,
    closed: BTreeMap<NaiveDate, u64>,
    lights: HashMap<UnitId, [u64; 3]>,
}

impl Acc {
    fn fold(&mut self, s: &CaseSummary, ctx: &Ctx<'_>, cal: &WorkCalendar) {
        if s.drill || s.source == Source::Drill {
            self.drill += 1;
            return;
        }
        // 并案: a duplicate leaves every count; the case it was merged into answers for it.
        if s.merged_into.is_some() {
            self.merged += 1;
            return;
        }
        self.cases += 1;
        let units = &mut self.units;
        let posts = &mut self.posts;
        let people = &mut self.people;
        tally(s, ctx, &mut |u, who, m, hit| {
            match units.get_mut(u) {
                Some(f) => f.bump(m, hit),
                None => units.entry(u.clone()).or_default().bump(m, hit),
            }
            if let Some((r, person)) = who {
                posts.entry((u.clone(), r)).or_default().bump(m, hit);
                if let Some(p) = person {
                    people
                        .entry((u.clone(), r, p.to_string()))
                        .or_default()
                        .bump(m, hit);
                }
            }
        });
        if matches!(s.source, Source::Hotline | Source::Public) {
            if !s.reporter.is_empty() {
                *self.reporters.entry(s.reporter.clone()).or_default() += 1;
            }
            let p = self
                .places
                .entry(s.grid.clone())
                .or_insert_with(|| (0, s.address.clone()));
            p.0 += 1;
            *self.issues.entry(s.category.clone()).or_default() += 1;
        }
        *self.reported.entry(cal.local_date(s.reported)).or_default() += 1;
        if matches!(s.state, State::Closed | State::Archived)
            && let Some(c) = s.milestones.closed
        {
            *self.closed.entry(cal.local_date(c)).or_default() += 1;
        }
        if s.state.is_open() && s.due.is_some() {
            let l = match s.light(ctx.now) {
                Light::Green => 0,
                Light::Yellow => 1,
                Light::Red => 2,
            };
            self.lights.entry(s.holder.clone()).or_default()[l] += 1;
        }
    }

    fn merge(&mut self, o: Acc) {
        self.cases += o.cases;
        self.drill += o.drill;
        self.merged += o.merged;
        for (k, v) in o.units {
            self.units.entry(k).or_default().add(&v);
        }
        for (k, v) in o.posts {
            self.posts.entry(k).or_default().add(&v);
        }
        for (k, v) in o.people {
            self.people.entry(k).or_default().add(&v);
        }
        for (k, v) in o.reporters {
            *self.reporters.entry(k).or_default() += v;
        }
        for (k, (n, addr)) in o.places {
            self.places.entry(k).or_insert((0, addr)).0 += n;
        }
        for (k, v) in o.issues {
            *self.issues.entry(k).or_default() += v;
        }
        for (k, v) in o.reported {
            *self.reported.entry(k).or_default() += v;
        }
        for (k, v) in o.closed {
            *self.closed.entry(k).or_default() += v;
        }
        for (k, v) in o.lights {
            let t = self.lights.entry(k).or_default();
            for i in 0..3 {
                t[i] += v[i];
            }
        }
    }
}

/// Masks a phone for a list (138****5678); names keep their first character.
pub fn mask_reporter(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() >= 7 && chars.iter().all(|c| c.is_ascii_digit() || *c == '-') {
        let n = chars.len();
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        match chars.first() {
            Some(c) => format!("{c}**"),
            None => String::new(),
        }
    }
}

fn top<K: Ord + Clone>(m: &HashMap<K, u64>, n: usize) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = m.iter().map(|(k, c)| (k.clone(), *c)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// Assesses `rows` (the projection rows of the cases reported in `period`) at `now`: pure,
/// on all cores.
pub fn assess_rows(
    rows: &[CaseSummary],
    district: &District,
    catalogue: &Catalogue,
    calendar: &WorkCalendar,
    period: Period,
    now: Millis,
    config: &AssessConfig,
) -> Assessment {
    let ctx = Ctx {
        now,
        district,
        catalogue,
    };
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per = rows.len().div_ceil(workers).max(4_096);
    let acc = std::thread::scope(|sc| {
        let handles: Vec<_> = rows
            .chunks(per)
            .map(|part| {
                let ctx = &ctx;
                sc.spawn(move || {
                    let mut a = Acc::default();
                    for s in part {
                        a.fold(s, ctx, calendar);
                    }
                    a
                })
            })
            .collect();
        let mut acc = Acc::default();
        for h in handles {
            acc.merge(h.join().expect("assessment worker panicked"));
        }
        acc
    });
    finish(acc, district, catalogue, period, now, config)
}

fn finish(
    acc: Acc,
    district: &District,
    catalogue: &Catalogue,
    period: Period,
    now: Millis,
    config: &AssessConfig,
) -> Assessment {
    let units: BTreeMap<UnitId, Figures> = acc.units.into_iter().collect();
    // Roll every unit's figures up into itself and each unit above it.
    let mut rollups: BTreeMap<UnitId, Figures> = BTreeMap::new();
    for (u, f) in &units {
        rollups.entry(u.clone()).or_default().add(f);
        // A department's closure figures (部门评价) are already counted for the territory
        // (区域评价): they do not roll up, so no case counts twice above.
        let up = if district
            .unit(u)
            .is_some_and(|x| x.kind == UnitKind::Department)
        {
            f.without(&TERRITORIAL)
        } else {
            f.clone()
        };
        for a in district.ancestors(u) {
            rollups.entry(a).or_default().add(&up);
        }
    }
    let root = district.root().id.clone();
    rollups.entry(root).or_default();

    let post_score = |unit: &UnitId, role: Role, person: Option<&String>, f: &Figures| {
        let post = Post::ALL.into_iter().find(|p| p.role() == role)?;
        let parts: Vec<(&'static str, f64, Option<f64>)> = match post {
            Post::Supervisor => {
                let missed = rollups
                    .get(unit)
                    .and_then(|r| r.value(Metric::MissedReport))
                    .map(|v| 1.0 - v);
                vec![
                    ("有效上报率", 40.0, f.value(Metric::ValidReport)),
                    ("1-漏报率", 20.0, missed),
                    ("按时核实率", 20.0, f.value(Metric::OnTimeVerify)),
                    ("按时核查率", 20.0, f.value(Metric::OnTimeCheck)),
                ]
            }
            Post::Intake => vec![
                ("按时受理率", 50.0, f.value(Metric::OnTimeAccept)),
                ("按时立案率", 20.0, f.value(Metric::OnTimeRegister)),
                ("准确立案率", 30.0, f.value(Metric::AccurateRegister)),
            ],
            Post::ShiftLead => vec![
                ("按时立案率", 25.0, f.value(Metric::OnTimeRegister)),
                ("准确立案率", 40.0, f.value(Metric::AccurateRegister)),
                ("按时结案率", 35.0, f.value(Metric::OnTimeCloseStep)),
            ],
            Post::Dispatcher => {
                let n = f.ratio(Metric::Dispatched).total as f64;
                let target = config.dispatch_target_per_day * period.days() as f64;
                let score = (n > 0.0).then(|| (n / target).min(1.0));
                vec![
                    ("派遣数分值", 20.0, score),
                    ("按时派遣率", 40.0, f.value(Metric::OnTimeDispatch)),
                    ("准确派遣率", 40.0, f.value(Metric::AccurateDispatch)),
                ]
            }
            Post::Handler => vec![
                ("按时签收率", 20.0, f.value(Metric::OnTimeSign)),
                ("按时联系率", 20.0, f.value(Metric::OnTimeContact)),
                ("1-返工率", 60.0, f.value(Metric::Rework).map(|v| 1.0 - v)),
            ],
        };
        let score = weighted(&parts.iter().map(|(_, w, v)| (*w, *v)).collect::<Vec<_>>())?;
        Some(PostScore {
            unit: unit.clone(),
            post,
            person: person.cloned(),
            score,
            grade: config.grade(score),
            parts: parts
                .into_iter()
                .map(|(n, w, v)| (n.to_string(), w, v))
                .collect(),
        })
    };
    let mut keys: Vec<&(UnitId, Role)> = acc.posts.keys().collect();
    keys.sort();
    let mut posts: Vec<PostScore> = keys
        .into_iter()
        .filter_map(|k| post_score(&k.0, k.1, None, &acc.posts[k]))
        .collect();
    // 经办人: the same composites per person, under their unit's post.
    let mut people: Vec<&(UnitId, Role, String)> = acc.people.keys().collect();
    people.sort();
    let people: Vec<PostScore> = people
        .into_iter()
        .filter_map(|k| post_score(&k.0, k.1, Some(&k.2), &acc.people[k]))
        .collect();
    posts.extend(people);
    // Each post at a unit, followed by its people.
    posts.sort_by(|a, b| (&a.unit, a.post, &a.person).cmp(&(&b.unit, b.post, &b.person)));

    let rank = |kind: UnitKind, table: &BTreeMap<String, f64>| -> Vec<Ranked> {
        let mut rows: Vec<Ranked> = district
            .units()
            .filter(|u| u.kind == kind)
            .map(|u| {
                let figures = rollups.get(&u.id).cloned().unwrap_or_default();
                let parts = config.score_parts(table, &figures);
                Ranked {
                    rank: 0,
                    unit: u.id.clone(),
                    name: u.name.clone(),
                    score: config.ranking_score(table, &figures),
                    parts,
                    figures,
                }
            })
            .collect();
        // Ranked on the score as shown (two decimals): units tie exactly when their shown
        // scores do.
        let shown = |s: f64| (s * 100.0).round() as i64;
        rows.sort_by(|a, b| match (a.score, b.score) {
            (Some(x), Some(y)) => shown(y).cmp(&shown(x)).then_with(|| a.unit.cmp(&b.unit)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.unit.cmp(&b.unit),
        });
        let mut last: Option<(i64, u32)> = None;
        for (i, r) in rows.iter_mut().enumerate() {
            if let Some(s) = r.score.map(shown) {
                // Equal scores share a rank (1, 2, 2, 4).
                r.rank = match last {
                    Some((p, k)) if p == s => k,
                    _ => i as u32 + 1,
                };
                last = Some((s, r.rank));
            }
        }
        rows
    };
    let streets = rank(UnitKind::Street, &config.street_score);
    let departments = rank(UnitKind::Department, &config.department_score);

    let top_reporters = top(&acc.reporters, config.top)
        .into_iter()
        .map(|(k, c)| Frequent {
            label: mask_reporter(&k),
            key: mask_reporter(&k),
            count: c,
        })
        .collect();
    let place_counts: HashMap<GridCode, u64> = acc
        .places
        .iter()
        .map(|(k, (n, _))| (k.clone(), *n))
        .collect();
    let top_places = top(&place_counts, config.top)
        .into_iter()
        .map(|(k, c)| {
            let grid = district
                .grid(&k)
                .map(|g| g.name.clone())
                .unwrap_or_default();
            let addr = &acc.places[&k].1;
            Frequent {
                key: k.as_str().to_string(),
                label: if grid.is_empty() {
                    addr.clone()
                } else {
                    format!("{grid} · {addr}")
                },
                count: c,
            }
        })
        .collect();
    let issue_name = |k: &CategoryCode| {
        catalogue
            .get(k)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| k.as_str().to_string())
    };
    let top_issues: Vec<Frequent> = top(&acc.issues, config.top)
        .into_iter()
        .map(|(k, c)| Frequent {
            key: k.as_str().to_string(),
            label: issue_name(&k),
            count: c,
        })
        .collect();
    let demands: u64 = acc.issues.values().sum();
    let dominant_issue = top_issues
        .first()
        .map(|f| (f.clone(), f.count as f64 / demands.max(1) as f64));
    let daily = period
        .dates()
        .map(|date| Day {
            date,
            reported: acc.reported.get(&date).copied().unwrap_or(0),
            closed: acc.closed.get(&date).copied().unwrap_or(0),
        })
        .collect();
    Assessment {
        period,
        now,
        cases: acc.cases,
        drill_cases: acc.drill,
        merged_cases: acc.merged,
        units,
        rollups,
        posts,
        streets,
        street_formula: config.formula(&config.street_score),
        departments,
        department_formula: config.formula(&config.department_score),
        top_reporters,
        top_places,
        top_issues,
        dominant_issue,
        daily,
        lights: acc.lights.into_iter().collect(),
        config: config.clone(),
    }
}

/// Assesses the cases this node holds that were reported in `period`, at `now`.
pub fn assess(
    engine: &Engine,
    period: Period,
    now: Millis,
    config: &AssessConfig,
) -> Result<Assessment, AssessError> {
    let (from, to) = period.bounds(&engine.calendar);
    let rows = engine.store.read()?.reported_rows(from, to)?;
    Ok(assess_rows(
        &rows,
        &engine.district,
        &engine.catalogue,
        &engine.calendar,
        period,
        now,
        config,
    ))
}

/// The cases behind a figure (下钻): those counted in `metric` for `unit` (with everything
/// below it when `rollup`), only those that hit when `hits_only` — e.g. the cases not closed
/// on time are `(OnTimeCloseRate, hits_only = false)` minus the hits. Newest first.
#[allow(clippy::too_many_arguments)]
pub fn cases_behind(
    rows: &[CaseSummary],
    district: &District,
    catalogue: &Catalogue,
    now: Millis,
    unit: &UnitId,
    rollup: bool,
    metric: Metric,
    want: Option<bool>,
) -> Vec<CaseSummary> {
    let ctx = Ctx {
        now,
        district,
        catalogue,
    };
    let mut out: Vec<CaseSummary> = rows
        .iter()
        .filter(|s| !(s.drill || s.source == Source::Drill) && s.merged_into.is_none())
        .filter(|s| {
            let mut found = false;
            tally(s, &ctx, &mut |u, _, m, hit| {
                if m == metric
                    && want.is_none_or(|w| w == hit)
                    && (u == unit || (rollup && district.is_same_or_above(unit, u)))
                {
                    found = true;
                }
            });
            found
        })
        .cloned()
        .collect();
    out.sort_by(|a, b| b.reported.cmp(&a.reported).then_with(|| a.id.cmp(&b.id)));
    out
}
