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
//! - 有效上报率 = reports not ended by 不予受理 or 作废 / reports; 漏报率 = cases in the
//!   community's grids first raised by the hotline or the public / all its cases.
//! - Posts: 监督员 = 有效上报率×40% + (1−漏报率)×20% + 按时核实率×20% + 按时核查率×20%;
//!   值班长 = 按时立案率×25% + 准确立案率×40% + 按时结案率×35%; 派遣员 = 派遣数分值×20% +
//!   按时派遣率×40% + 准确派遣率×40%, 派遣数分值 = min(1, dispatches / target). A part with
//!   nothing counted is left out and the other weights rescaled. Grades A ≥ 90, B ≥ 75,
//!   C ≥ 60, D ≥ 40, else E (configurable).
//! - Hotline 三率 over 12345 cases, for the territory (属地: the community of the case's grid,
//!   so a street's figures cover every hotline case in its area, as 接诉即办 ranks streets):
//!   响应率 = first 受理 on time, 解决率 = closed / due to close, 满意率 = satisfied 回访 /
//!   回访; score = weighted mean, weights 10/45/45 by default.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Light, Millis, WorkCalendar};
use crate::case::Source;
use crate::catalogue::{Catalogue, CategoryCode};
use crate::engine::Engine;
use crate::period::Period;
use crate::role::Role;
use crate::store::{CaseSummary, StoreError};
use crate::unit::{District, GridCode, UnitId, UnitKind};
use crate::workflow::{State, Step};

/// One assessed figure (考核指标): a rate or a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Metric {
    /// 结案率.
    CloseRate,
    /// 按期结案率.
    OnTimeCloseRate,
    /// 按时受理率.
    OnTimeAccept,
    /// 按时立案率.
    OnTimeRegister,
    /// 准确立案率.
    AccurateRegister,
    /// 按时派遣率.
    OnTimeDispatch,
    /// 准确派遣率.
    AccurateDispatch,
    /// 按时核实率.
    OnTimeVerify,
    /// 按时核查率.
    OnTimeCheck,
    /// 按时结案率 (the 结案 step, for the 值班长 post).
    OnTimeCloseStep,
    /// 按时报到率 (after a 吹哨 summons).
    OnTimeReportIn,
    /// 返工率.
    Rework,
    /// 延期率.
    Extension,
    /// 回退率.
    SendBack,
    /// 有效上报率.
    ValidReport,
    /// 漏报率.
    MissedReport,
    /// 响应率 (12345).
    HotlineResponse,
    /// 解决率 (12345).
    HotlineResolution,
    /// 满意率 (12345).
    HotlineSatisfaction,
    /// 上报数.
    Reported,
    /// 立案数 (挂账 excluded).
    Registered,
    /// 派遣数.
    Dispatched,
    /// 结案数.
    Closed,
    /// 挂账数.
    Parked,
    /// 超时在办: open cases past a due time at `now`, for their holder.
    Overdue,
}

impl Metric {
    /// Every figure, in report order.
    pub const ALL: [Metric; 25] = [
        Metric::CloseRate,
        Metric::OnTimeCloseRate,
        Metric::OnTimeAccept,
        Metric::OnTimeRegister,
        Metric::AccurateRegister,
        Metric::OnTimeDispatch,
        Metric::AccurateDispatch,
        Metric::OnTimeVerify,
        Metric::OnTimeCheck,
        Metric::OnTimeCloseStep,
        Metric::OnTimeReportIn,
        Metric::Rework,
        Metric::Extension,
        Metric::SendBack,
        Metric::ValidReport,
        Metric::MissedReport,
        Metric::HotlineResponse,
        Metric::HotlineResolution,
        Metric::HotlineSatisfaction,
        Metric::Reported,
        Metric::Registered,
        Metric::Dispatched,
        Metric::Closed,
        Metric::Parked,
        Metric::Overdue,
    ];

    /// The figures shown in a unit table, in order.
    pub const TABLE: [Metric; 19] = [
        Metric::Reported,
        Metric::Registered,
        Metric::Dispatched,
        Metric::Closed,
        Metric::Overdue,
        Metric::CloseRate,
        Metric::OnTimeCloseRate,
        Metric::OnTimeAccept,
        Metric::OnTimeRegister,
        Metric::AccurateRegister,
        Metric::OnTimeDispatch,
        Metric::AccurateDispatch,
        Metric::OnTimeVerify,
        Metric::OnTimeCheck,
        Metric::Rework,
        Metric::Extension,
        Metric::SendBack,
        Metric::Parked,
        Metric::OnTimeReportIn,
    ];

    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Metric::CloseRate => "结案率",
            Metric::OnTimeCloseRate => "按期结案率",
            Metric::OnTimeAccept => "按时受理率",
            Metric::OnTimeRegister => "按时立案率",
            Metric::AccurateRegister => "准确立案率",
            Metric::OnTimeDispatch => "按时派遣率",
            Metric::AccurateDispatch => "准确派遣率",
            Metric::OnTimeVerify => "按时核实率",
            Metric::OnTimeCheck => "按时核查率",
            Metric::OnTimeCloseStep => "按时结案率",
            Metric::OnTimeReportIn => "按时报到率",
            Metric::Rework => "返工率",
            Metric::Extension => "延期率",
            Metric::SendBack => "回退率",
            Metric::ValidReport => "有效上报率",
            Metric::MissedReport => "漏报率",
            Metric::HotlineResponse => "响应率",
            Metric::HotlineResolution => "解决率",
            Metric::HotlineSatisfaction => "满意率",
            Metric::Reported => "上报数",
            Metric::Registered => "立案数",
            Metric::Dispatched => "派遣数",
            Metric::Closed => "结案数",
            Metric::Parked => "挂账数",
            Metric::Overdue => "超时在办",
        }
    }

    /// English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Metric::CloseRate => "close rate",
            Metric::OnTimeCloseRate => "on-time close rate",
            Metric::OnTimeAccept => "on-time intake",
            Metric::OnTimeRegister => "on-time registration",
            Metric::AccurateRegister => "registration accuracy",
            Metric::OnTimeDispatch => "on-time dispatch",
            Metric::AccurateDispatch => "dispatch accuracy",
            Metric::OnTimeVerify => "on-time verification",
            Metric::OnTimeCheck => "on-time check",
            Metric::OnTimeCloseStep => "on-time closing",
            Metric::OnTimeReportIn => "on-time report-in",
            Metric::Rework => "rework rate",
            Metric::Extension => "extension rate",
            Metric::SendBack => "send-back rate",
            Metric::ValidReport => "valid report rate",
            Metric::MissedReport => "missed report rate",
            Metric::HotlineResponse => "response rate",
            Metric::HotlineResolution => "resolution rate",
            Metric::HotlineSatisfaction => "satisfaction rate",
            Metric::Reported => "reported",
            Metric::Registered => "registered",
            Metric::Dispatched => "dispatched",
            Metric::Closed => "closed",
            Metric::Parked => "parked",
            Metric::Overdue => "overdue open",
        }
    }

    /// Whether it is a count (its value is the number counted) rather than a rate.
    pub fn is_count(self) -> bool {
        matches!(
            self,
            Metric::Reported
                | Metric::Registered
                | Metric::Dispatched
                | Metric::Closed
                | Metric::Parked
                | Metric::Overdue
        )
    }

    /// Whether a lower rate is better (返工率, 延期率, 回退率, 漏报率).
    pub fn lower_is_better(self) -> bool {
        matches!(
            self,
            Metric::Rework | Metric::Extension | Metric::SendBack | Metric::MissedReport
        )
    }
}

/// The closure figures, counted both for the territory and for the handling department.
const TERRITORIAL: [Metric; 3] = [Metric::CloseRate, Metric::OnTimeCloseRate, Metric::Closed];

/// A rate's parts: how many counted and how many of those hit (a count uses `total`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    /// Numerator.
    pub hits: u64,
    /// Denominator.
    pub total: u64,
}

impl Ratio {
    /// The rate in 0..=1, `None` when nothing was counted.
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.hits as f64 / self.total as f64)
    }

    fn add(&mut self, other: Ratio) {
        self.hits += other.hits;
        self.total += other.total;
    }
}

/// One unit's (or post's) figures for a period (考核结果).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    parts: Vec<Ratio>,
}

impl Figures {
    /// The ratio behind `m`.
    pub fn ratio(&self, m: Metric) -> Ratio {
        self.parts.get(m as usize).copied().unwrap_or_default()
    }

    /// A rate's value in 0..=1 (`None` if nothing counted); a count's number.
    pub fn value(&self, m: Metric) -> Option<f64> {
        let r = self.ratio(m);
        if m.is_count() {
            Some(r.total as f64)
        } else {
            r.rate()
        }
    }

    /// The value as shown: `87.5%`, a count, or `—` when nothing was counted.
    pub fn show(&self, m: Metric) -> String {
        match self.value(m) {
            None => "—".into(),
            Some(v) if m.is_count() => format!("{v}"),
            Some(v) => format!("{:.1}%", v * 100.0),
        }
    }

    fn bump(&mut self, m: Metric, hit: bool) {
        if self.parts.is_empty() {
            self.parts = vec![Ratio::default(); Metric::ALL.len()];
        }
        let r = &mut self.parts[m as usize];
        r.total += 1;
        r.hits += u64::from(hit);
    }

    fn add(&mut self, other: &Figures) {
        if other.parts.is_empty() {
            return;
        }
        if self.parts.is_empty() {
            self.parts = vec![Ratio::default(); Metric::ALL.len()];
        }
        for (a, b) in self.parts.iter_mut().zip(&other.parts) {
            a.add(*b);
        }
    }

    /// These figures with `metrics` cleared.
    fn without(&self, metrics: &[Metric]) -> Figures {
        let mut f = self.clone();
        for m in metrics {
            if let Some(r) = f.parts.get_mut(*m as usize) {
                *r = Ratio::default();
            }
        }
        f
    }

    /// Whether anything was counted at all.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|r| r.total == 0)
    }
}

/// 考核等级 A–E.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    /// 优秀.
    A,
    /// 良好.
    B,
    /// 合格.
    C,
    /// 基本合格.
    D,
    /// 不合格.
    E,
}

impl Grade {
    /// The letter.
    pub fn letter(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
        }
    }
}

/// A post assessed by a composite (岗位): 监督员, 值班长 or 派遣员.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Post {
    /// 监督员.
    Supervisor,
    /// 值班长.
    ShiftLead,
    /// 派遣员.
    Dispatcher,
}

impl Post {
    /// Every assessed post.
    pub const ALL: [Post; 3] = [Post::Supervisor, Post::ShiftLead, Post::Dispatcher];

    /// The role whose acts the post's figures count.
    pub fn role(self) -> Role {
        match self {
            Post::Supervisor => Role::Supervisor,
            Post::ShiftLead => Role::ShiftLead,
            Post::Dispatcher => Role::Dispatcher,
        }
    }

    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        self.role().label_zh()
    }
}

/// Assessment settings (考核参数), with the defaults of `../shared/domain.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssessConfig {
    /// Hotline 三率 weights: 响应率, 解决率, 满意率 (default 10/45/45).
    pub hotline_weights: [f64; 3],
    /// Dispatches a 派遣员 post is expected to make per day, for 派遣数分值.
    pub dispatch_target_per_day: f64,
    /// Lowest scores of grades A, B, C and D (default 90/75/60/40).
    pub grade_floors: [f64; 4],
    /// How many entries the 高频 lists keep.
    pub top: usize,
}

impl Default for AssessConfig {
    fn default() -> Self {
        AssessConfig {
            hotline_weights: [10.0, 45.0, 45.0],
            dispatch_target_per_day: 10.0,
            grade_floors: [90.0, 75.0, 60.0, 40.0],
            top: 10,
        }
    }
}

impl AssessConfig {
    /// The grade of a score in 0..=100.
    pub fn grade(&self, score: f64) -> Grade {
        let [a, b, c, d] = self.grade_floors;
        if score >= a {
            Grade::A
        } else if score >= b {
            Grade::B
        } else if score >= c {
            Grade::C
        } else if score >= d {
            Grade::D
        } else {
            Grade::E
        }
    }

    /// The hotline 三率 score (0..=100) of some figures; `None` without hotline cases.
    pub fn hotline_score(&self, f: &Figures) -> Option<f64> {
        weighted(&[
            (self.hotline_weights[0], f.value(Metric::HotlineResponse)),
            (self.hotline_weights[1], f.value(Metric::HotlineResolution)),
            (
                self.hotline_weights[2],
                f.value(Metric::HotlineSatisfaction),
            ),
        ])
    }
}

/// Weighted mean ×100 of the parts that have a value, weights rescaled; `None` if none has.
fn weighted(parts: &[(f64, Option<f64>)]) -> Option<f64> {
    let (sum, w) = parts
        .iter()
        .filter_map(|(w, v)| v.map(|v| (w * v, *w)))
        .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
    (w > 0.0).then(|| 100.0 * sum / w)
}

/// A post's composite (岗位综合得分).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PostScore {
    /// The unit.
    pub unit: UnitId,
    /// The post.
    pub post: Post,
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
    /// Each unit's own figures.
    pub units: BTreeMap<UnitId, Figures>,
    /// Each unit with everything below it (a street with its communities; the district root
    /// with everything this node holds).
    pub rollups: BTreeMap<UnitId, Figures>,
    /// Post composites, by unit then post.
    pub posts: Vec<PostScore>,
    /// Streets by hotline 三率 score.
    pub streets: Vec<Ranked>,
    /// Departments by 按期结案率.
    pub departments: Vec<Ranked>,
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

/// Errors of an assessment (考核错误).
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// Reading the projection failed.
    #[error("reading the projection for the assessment: {0}")]
    Store(#[from] StoreError),
    /// The settings file is not valid.
    #[error("bad assessment settings: {0}")]
    Config(String),
}

/// Reads assessment settings from TOML (missing keys keep their defaults).
pub fn config_from_toml(text: &str) -> Result<AssessConfig, AssessError> {
    let c: AssessConfig = toml::from_str(text).map_err(|e| AssessError::Config(e.to_string()))?;
    if c.hotline_weights.iter().any(|w| *w < 0.0) || c.hotline_weights.iter().sum::<f64>() <= 0.0 {
        return Err(AssessError::Config(
            "hotline_weights must be non-negative and not all zero".into(),
        ));
    }
    if c.dispatch_target_per_day <= 0.0 {
        return Err(AssessError::Config(
            "dispatch_target_per_day must be above zero".into(),
        ));
    }
    Ok(c)
}

/// What a figure is computed against: the moment figures are taken at.
struct Ctx<'a> {
    now: Millis,
    district: &'a District,
}

/// Receives one contribution: the unit credited, the acting role (for post figures), the
/// figure and whether it hit.
type Emit<'a> = dyn FnMut(&UnitId, Option<Role>, Metric, bool) + 'a;

/// Feeds one case's contributions to `emit(unit, role, metric, hit)`: the single definition
/// of every figure, shared by the totals and the drill-down.
fn tally(s: &CaseSummary, ctx: &Ctx<'_>, emit: &mut Emit<'_>) {
    let hotline = s.source == Source::Hotline;
    let gone = matches!(s.state, State::Rejected | State::Voided);
    let parked = s.state == State::Parked;
    let closed = matches!(s.state, State::Closed | State::Archived);
    let responsible = s.handlers.first().unwrap_or(&s.holder);
    let territory = s.grid.community();
    let mut responded = false;
    let mut handled: BTreeSet<&UnitId> = s.handlers.iter().collect();
    for a in &s.acts {
        let r = Some(a.role);
        let u = &a.unit;
        match a.step {
            Step::Report => {
                emit(u, r, Metric::Reported, true);
                emit(u, r, Metric::ValidReport, !gone);
            }
            Step::Accept | Step::Reject => {
                emit(u, r, Metric::OnTimeAccept, a.on_time());
                if hotline && !responded {
                    responded = true;
                    emit(&territory, None, Metric::HotlineResponse, a.on_time());
                }
            }
            Step::Verify => emit(u, r, Metric::OnTimeVerify, a.on_time()),
            Step::Register => {
                emit(u, r, Metric::OnTimeRegister, a.on_time());
                emit(u, r, Metric::AccurateRegister, true);
                if !parked {
                    emit(u, r, Metric::Registered, true);
                }
            }
            Step::Void => {
                emit(u, r, Metric::OnTimeRegister, a.on_time());
                emit(u, r, Metric::AccurateRegister, false);
            }
            Step::Dispatch => {
                emit(u, r, Metric::Dispatched, true);
                emit(u, r, Metric::OnTimeDispatch, a.on_time());
                emit(u, r, Metric::AccurateDispatch, a.ok);
            }
            Step::Feedback => {
                emit(u, r, Metric::Rework, !a.ok);
                handled.insert(u);
            }
            Step::Check => emit(u, r, Metric::OnTimeCheck, a.on_time()),
            Step::Close => emit(u, r, Metric::OnTimeCloseStep, a.on_time()),
            Step::Callback => {
                if hotline {
                    emit(&territory, None, Metric::HotlineSatisfaction, a.ok);
                }
            }
            Step::ReportIn => emit(u, r, Metric::OnTimeReportIn, a.on_time()),
            Step::Park => {
                emit(u, r, Metric::Parked, true);
                handled.insert(u);
            }
            Step::SendBack | Step::Extension => {
                handled.insert(u);
            }
            Step::Escalate | Step::Resolve => {}
        }
    }
    for u in handled {
        let did = |step: Step| s.acts.iter().any(|a| a.step == step && &a.unit == u);
        emit(u, None, Metric::Extension, did(Step::Extension));
        emit(u, None, Metric::SendBack, did(Step::SendBack));
    }
    let due_to_close = !gone && !parked && (closed || s.overall_due.is_some_and(|d| d <= ctx.now));
    if due_to_close {
        let on_time = closed
            && match (s.milestones.closed, s.overall_due) {
                (Some(c), Some(d)) => c <= d,
                _ => true,
            };
        let mut closure = |u: &UnitId| {
            emit(u, None, Metric::CloseRate, closed);
            emit(u, None, Metric::OnTimeCloseRate, on_time);
            if closed {
                emit(u, None, Metric::Closed, true);
            }
        };
        // 区域评价 for the territory; 部门评价 for the department that handled it.
        closure(&territory);
        if responsible != &territory
            && ctx
                .district
                .unit(responsible)
                .is_some_and(|x| x.kind == UnitKind::Department)
        {
            closure(responsible);
        }
        if hotline {
            emit(&territory, None, Metric::HotlineResolution, closed);
        }
    }
    emit(
        &territory,
        Some(Role::Supervisor),
        Metric::MissedReport,
        matches!(s.source, Source::Hotline | Source::Public),
    );
    if s.state.is_open() && s.overdue(ctx.now) {
        emit(&s.holder, None, Metric::Overdue, true);
    }
}

/// What the parallel fold collects before the figures are put together.
#[derive(Default)]
struct Acc {
    cases: u64,
    drill: u64,
    units: HashMap<UnitId, Figures>,
    posts: HashMap<(UnitId, Role), Figures>,
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
        self.cases += 1;
        let units = &mut self.units;
        let posts = &mut self.posts;
        tally(s, ctx, &mut |u, role, m, hit| {
            match units.get_mut(u) {
                Some(f) => f.bump(m, hit),
                None => units.entry(u.clone()).or_default().bump(m, hit),
            }
            if let Some(r) = role {
                posts.entry((u.clone(), r)).or_default().bump(m, hit);
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
        for (k, v) in o.units {
            self.units.entry(k).or_default().add(&v);
        }
        for (k, v) in o.posts {
            self.posts.entry(k).or_default().add(&v);
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
    let ctx = Ctx { now, district };
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

    let mut posts = Vec::new();
    let mut keys: Vec<&(UnitId, Role)> = acc.posts.keys().collect();
    keys.sort();
    for key in keys {
        let (unit, role) = key;
        let Some(post) = Post::ALL.into_iter().find(|p| p.role() == *role) else {
            continue;
        };
        let f = &acc.posts[key];
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
        };
        let Some(score) = weighted(&parts.iter().map(|(_, w, v)| (*w, *v)).collect::<Vec<_>>())
        else {
            continue;
        };
        let parts = parts
            .into_iter()
            .map(|(n, w, v)| (n.to_string(), w, v))
            .collect();
        posts.push(PostScore {
            unit: unit.clone(),
            post,
            score,
            grade: config.grade(score),
            parts,
        });
    }

    let rank = |kind: UnitKind, score: &dyn Fn(&Figures) -> Option<f64>| -> Vec<Ranked> {
        let mut rows: Vec<Ranked> = district
            .units()
            .filter(|u| u.kind == kind)
            .map(|u| {
                let figures = rollups.get(&u.id).cloned().unwrap_or_default();
                Ranked {
                    rank: 0,
                    unit: u.id.clone(),
                    name: u.name.clone(),
                    score: score(&figures),
                    figures,
                }
            })
            .collect();
        rows.sort_by(|a, b| match (a.score, b.score) {
            (Some(x), Some(y)) => y.total_cmp(&x).then_with(|| a.unit.cmp(&b.unit)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.unit.cmp(&b.unit),
        });
        let mut last: Option<(f64, u32)> = None;
        for (i, r) in rows.iter_mut().enumerate() {
            if let Some(s) = r.score {
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
    let streets = rank(UnitKind::Street, &|f| config.hotline_score(f));
    let departments = rank(UnitKind::Department, &|f| {
        f.value(Metric::OnTimeCloseRate).map(|v| v * 100.0)
    });

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
        units,
        rollups,
        posts,
        streets,
        departments,
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
pub fn cases_behind(
    rows: &[CaseSummary],
    district: &District,
    now: Millis,
    unit: &UnitId,
    rollup: bool,
    metric: Metric,
    want: Option<bool>,
) -> Vec<CaseSummary> {
    let ctx = Ctx { now, district };
    let mut out: Vec<CaseSummary> = rows
        .iter()
        .filter(|s| !(s.drill || s.source == Source::Drill))
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
