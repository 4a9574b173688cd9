//! The workflow (流程): which moves each role may make at which unit, and the case state
//! derived by replaying the trail.
//!
//! Events form a graph through their `after` links. A case's state is the fold of the moves
//! on the path from the report to the current tip, where a resolution (冲突处理) continues the
//! branch it keeps. Two moves made after the same event leave two tips: the case is in
//! conflict (冲突) and every branch is shown until an authorized person resolves it. Notes
//! (督办/催办) never change state and never conflict. Replay depends only on the set of
//! events, never on the order copies were merged in.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::calendar::{Light, Millis, TimeLimit, WorkCalendar};
use crate::case::Intake;
use crate::catalogue::{Catalogue, CategoryCode};
use crate::emergency::{ChecklistItem, INCIDENT_CLASS, Incident, Lane, area_units};
use crate::event::{Action, Event, EventId, RequestKind};
use crate::role::Role;
use crate::unit::{District, GridCode, UnitId, UnitKind};

/// A case's state (状态), derived from its trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待受理: reported, waiting to be accepted.
    Reported,
    /// 待核实: a supervisor verifies on site.
    Verifying,
    /// 待立案: waiting for registration.
    ToRegister,
    /// 待派遣: registered, waiting for dispatch.
    ToDispatch,
    /// 处置中: being handled.
    Handling,
    /// 待核查: handler reported done, a supervisor checks.
    ToCheck,
    /// 待结案: checked, waiting to be closed.
    ToClose,
    /// 已结案: closed (hotline and public cases wait for the callback).
    Closed,
    /// 已归档: closed and called back satisfied.
    Archived,
    /// 挂账: parked as a known long-term problem.
    Parked,
    /// 已注销: not accepted (不予受理) or not confirmed on site.
    Rejected,
    /// 已作废: voided at registration.
    Voided,
}

impl State {
    /// Every state, in workflow order.
    pub const ALL: [State; 12] = [
        State::Reported,
        State::Verifying,
        State::ToRegister,
        State::ToDispatch,
        State::Handling,
        State::ToCheck,
        State::ToClose,
        State::Closed,
        State::Archived,
        State::Parked,
        State::Rejected,
        State::Voided,
    ];

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Reported => "待受理",
            State::Verifying => "待核实",
            State::ToRegister => "待立案",
            State::ToDispatch => "待派遣",
            State::Handling => "处置中",
            State::ToCheck => "待核查",
            State::ToClose => "待结案",
            State::Closed => "已结案",
            State::Archived => "已归档",
            State::Parked => "挂账",
            State::Rejected => "已注销",
            State::Voided => "已作废",
        }
    }

    /// The English name.
    pub fn label_en(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Verifying => "verifying",
            State::ToRegister => "to register",
            State::ToDispatch => "to dispatch",
            State::Handling => "handling",
            State::ToCheck => "to check",
            State::ToClose => "to close",
            State::Closed => "closed",
            State::Archived => "archived",
            State::Parked => "parked",
            State::Rejected => "rejected",
            State::Voided => "voided",
        }
    }

    /// The snake_case code used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Verifying => "verifying",
            State::ToRegister => "to_register",
            State::ToDispatch => "to_dispatch",
            State::Handling => "handling",
            State::ToCheck => "to_check",
            State::ToClose => "to_close",
            State::Closed => "closed",
            State::Archived => "archived",
            State::Parked => "parked",
            State::Rejected => "rejected",
            State::Voided => "voided",
        }
    }

    /// A stable one-byte code for indexes.
    pub fn to_u8(self) -> u8 {
        State::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    /// The state for a code made by [`State::to_u8`].
    pub fn from_u8(v: u8) -> Option<State> {
        State::ALL.get(usize::from(v)).copied()
    }

    /// Parses a code or a Chinese name.
    pub fn parse(s: &str) -> Option<State> {
        let s = s.trim();
        State::ALL
            .into_iter()
            .find(|x| x.code() == s || x.label_zh() == s)
    }

    /// Whether work is still owed on the case (counts for lights and overdue lists).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            State::Closed | State::Archived | State::Parked | State::Rejected | State::Voided
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// The loop level (循环层级) a case is in, from the kind of unit holding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loop {
    /// 社区微循环.
    Community,
    /// 街道小循环.
    Street,
    /// 区级大循环.
    District,
}

impl Loop {
    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Loop::Community => "微循环",
            Loop::Street => "小循环",
            Loop::District => "大循环",
        }
    }

    /// The loop a unit of this kind runs.
    pub fn of(kind: UnitKind) -> Loop {
        match kind {
            UnitKind::Community => Loop::Community,
            UnitKind::Street => Loop::Street,
            UnitKind::District | UnitKind::Department => Loop::District,
        }
    }
}

/// Default per-stage time limits (环节时限); configuration, not code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageLimits {
    /// 受理 (default 0.5 working day).
    pub accept: TimeLimit,
    /// 核实.
    pub verify: TimeLimit,
    /// 立案.
    pub register: TimeLimit,
    /// 派遣.
    pub dispatch: TimeLimit,
    /// 核查.
    pub check: TimeLimit,
    /// 结案.
    pub close: TimeLimit,
    /// 回访.
    pub callback: TimeLimit,
    /// 报到 after a summons (吹哨).
    pub report_in: TimeLimit,
}

impl Default for StageLimits {
    fn default() -> Self {
        StageLimits {
            accept: TimeLimit::working_hours(4),
            verify: TimeLimit::working_hours(2),
            register: TimeLimit::working_hours(1),
            dispatch: TimeLimit::working_hours(1),
            check: TimeLimit::working_hours(4),
            close: TimeLimit::working_hours(2),
            callback: TimeLimit::working_days(2),
            report_in: TimeLimit::minutes(30),
        }
    }
}

/// Everything the workflow needs to know about the district (规则上下文).
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    /// Units and grid cells.
    pub district: &'a District,
    /// Categories and their limits.
    pub catalogue: &'a Catalogue,
    /// Working calendar for deadlines.
    pub calendar: &'a WorkCalendar,
    /// Per-stage limits.
    pub limits: &'a StageLimits,
}

/// A deadline (时限) with its yellow-light threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// When the clock started.
    pub started: Millis,
    /// The limit.
    pub limit: TimeLimit,
    /// When 80 % of the limit is used (yellow).
    pub warn_at: Millis,
    /// When the limit runs out (red after this).
    pub due: Millis,
}

impl Deadline {
    /// A deadline of `limit` starting at `started` on `calendar`.
    pub fn new(calendar: &WorkCalendar, started: Millis, limit: TimeLimit) -> Deadline {
        Deadline {
            started,
            limit,
            warn_at: calendar.warn_at(started, limit),
            due: calendar.add(started, limit),
        }
    }

    /// The light at `now`.
    pub fn light(&self, now: Millis) -> Light {
        WorkCalendar::light_at(self.warn_at, self.due, now)
    }
}

/// A department summoned by a whistle (吹哨报到).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summons {
    /// The department.
    pub unit: UnitId,
    /// When it was summoned.
    pub at: Millis,
    /// When it must have reported in.
    pub due: Millis,
    /// When it reported in, if it has.
    pub reported_in: Option<Millis>,
}

/// A request waiting for approval (待审批申请).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The request event.
    pub id: EventId,
    /// What is asked.
    pub kind: RequestKind,
    /// The unit asking.
    pub unit: UnitId,
    /// Why.
    pub reason: String,
    /// New due time asked for (extensions).
    pub until: Option<Millis>,
}

/// When the case reached each milestone (节点时间), for assessment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestones {
    /// 上报.
    pub reported: Millis,
    /// 受理 (or self-handle).
    pub accepted: Option<Millis>,
    /// 立案.
    pub registered: Option<Millis>,
    /// First 派遣.
    pub dispatched: Option<Millis>,
    /// Last 反馈.
    pub feedback: Option<Millis>,
    /// Last 核查 pass.
    pub checked: Option<Millis>,
    /// 结案.
    pub closed: Option<Millis>,
    /// 回访.
    pub callback: Option<Millis>,
}

/// What an assessed act was (考核环节).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Step {
    /// 上报: the report (the reporting unit and role).
    Report,
    /// 受理: accepted, or sent to verify first.
    Accept,
    /// 不予受理.
    Reject,
    /// 核实反馈; `ok` = confirmed.
    Verify,
    /// 立案.
    Register,
    /// 作废 at registration (against 准确立案率).
    Void,
    /// 派遣 or 属地派遣 or 吹哨; `ok` turns false when an approved 回退 shows it misdispatched.
    Dispatch,
    /// 反馈 by the handling unit; `ok` turns false when 核查 fails or the citizen is not
    /// satisfied (返工).
    Feedback,
    /// 核查; `ok` = passed.
    Check,
    /// 结案 (自结案 included).
    Close,
    /// 回访; `ok` = satisfied.
    Callback,
    /// 报到 after a summons.
    ReportIn,
    /// 上报上级 (escalation).
    Escalate,
    /// An approved 回退, counted for the asking unit.
    SendBack,
    /// An approved 延期, counted for the asking unit.
    Extension,
    /// An approved 挂账, counted for the asking unit.
    Park,
    /// 冲突处理: a conflict resolved by keeping one branch (for the after-action report).
    Resolve,
}

/// One assessed act (考核记录): which unit, in which role, did which step when, against
/// which limit. Replay records them; assessment folds them without loading documents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Act {
    /// The step.
    pub step: Step,
    /// The unit credited with it (the acting unit; the asking unit for requests; the
    /// handling unit for 反馈).
    pub unit: UnitId,
    /// The role the person acted in.
    pub role: Role,
    /// When.
    pub at: Millis,
    /// The limit it was measured against, if a clock ran.
    pub due: Option<Millis>,
    /// The step's outcome (see [`Step`]); true for steps without one.
    pub ok: bool,
    /// Made while the node had no link to any peer (离线办理).
    pub offline: bool,
}

impl Act {
    /// Done within its limit (按时): no clock ran, or it was done by the due time.
    pub fn on_time(&self) -> bool {
        self.due.is_none_or(|d| self.at <= d)
    }
}

/// The state of a case after a sequence of moves (案件状态).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    /// The workflow state.
    pub state: State,
    /// The unit responsible now (当前责任单位).
    pub holder: UnitId,
    /// The loop level (from the holder).
    pub level: Loop,
    /// Category as registered (or as reported before registration).
    pub category: CategoryCode,
    /// Grid as registered (or as reported).
    pub grid: GridCode,
    /// Units handling it: the lead first, then assisting units (一案双派) or summoned ones.
    pub handlers: Vec<UnitId>,
    /// The holder community handles the case itself (微循环 自处置).
    pub self_handling: bool,
    /// The unit that handed the case down (属地派遣), where a send-back returns it.
    pub down_from: Option<UnitId>,
    /// Departments summoned by a whistle.
    pub summons: Vec<Summons>,
    /// The current stage's deadline.
    pub stage: Option<Deadline>,
    /// The handling deadline, from dispatch (overall 处置时限).
    pub overall: Option<Deadline>,
    /// 返工次数.
    pub rework: u32,
    /// Approved extensions (延期).
    pub extensions: u32,
    /// Approved send-backs (回退).
    pub send_backs: u32,
    /// Escalations (上报上级).
    pub escalations: u32,
    /// A request waiting for approval.
    pub pending: Option<Pending>,
    /// 回访 result.
    pub satisfied: Option<bool>,
    /// 督办/催办 notes counted.
    pub notes: u32,
    /// Milestone times.
    pub milestones: Milestones,
    /// The assessed acts, in the order applied (考核记录).
    pub acts: Vec<Act>,
    /// Every unit the case has passed through (scope 可见范围).
    pub units: BTreeSet<UnitId>,
    /// 应急通道: the incident whose priority lane the case is in, on its short limits.
    pub lane: Option<Lane>,
    /// 应急事件: the emergency incident this case opened (启动预案), if it did.
    pub incident: Option<Incident>,
    /// The last move applied.
    pub last: EventId,
    /// Time of the last move applied.
    pub updated: Millis,
}

impl CaseState {
    /// The earliest running deadline's thresholds (warn, due), if any clock runs.
    pub fn thresholds(&self) -> Option<(Millis, Millis)> {
        // A closed case's only clock is the callback's, kept in `stage` when one is due.
        if !self.state.is_open() && self.state != State::Closed {
            return None;
        }
        let mut best: Option<(Millis, Millis)> = self.stage.map(|d| (d.warn_at, d.due));
        for s in self.summons.iter().filter(|s| s.reported_in.is_none()) {
            best = Some(match best {
                Some((w, d)) => (w.min(s.due), d.min(s.due)),
                None => (s.due, s.due),
            });
        }
        best
    }

    /// The light at `now` (绿/黄/红), green when no clock runs.
    pub fn light(&self, now: Millis) -> Light {
        match self.thresholds() {
            Some((w, d)) => WorkCalendar::light_at(w, d, now),
            None => Light::Green,
        }
    }
}

/// Appends the assessed acts of `e` (applied to `s`, giving `n`) to `n.acts`, and marks the
/// earlier act a failure shows wrong (a failed 核查 the last 反馈, a 回退 the last 派遣).
fn record_acts(s: &CaseState, n: &mut CaseState, e: &Event) {
    let stage_due = s.stage.map(|d| d.due);
    let overall_due = s.overall.map(|d| d.due);
    let mut push = |step: Step, unit: &UnitId, due: Option<Millis>, ok: bool| {
        n.acts.push(Act {
            step,
            unit: unit.clone(),
            role: e.role,
            at: e.millis(),
            due,
            ok,
            offline: e.offline,
        })
    };
    let mut fail_last = None;
    match &e.action {
        Action::Report | Action::Request { .. } => {}
        Action::Resolve { .. } => push(Step::Resolve, &e.unit, None, true),
        Action::StandDown { .. } => push(Step::Close, &e.unit, None, true),
        Action::Activate { .. }
        | Action::Tick { .. }
        | Action::Summon { .. }
        | Action::Link { .. } => {}
        Action::Supervise { .. } | Action::Urge { .. } | Action::Reactivate => {}
        Action::Accept | Action::SendToVerify | Action::SelfHandle => {
            push(Step::Accept, &e.unit, stage_due, true)
        }
        Action::Reject { .. } => push(Step::Reject, &e.unit, stage_due, true),
        Action::Verify { confirmed, .. } => push(Step::Verify, &e.unit, stage_due, *confirmed),
        Action::Register { .. } => push(Step::Register, &e.unit, stage_due, true),
        Action::Void { .. } => push(Step::Void, &e.unit, stage_due, true),
        Action::Dispatch { .. } | Action::DispatchDown { .. } => {
            push(Step::Dispatch, &e.unit, stage_due, true)
        }
        Action::Whistle { .. } => {
            let due = (s.state == State::ToDispatch)
                .then_some(stage_due)
                .flatten();
            push(Step::Dispatch, &e.unit, due, true)
        }
        Action::Feedback { unit, .. } => push(Step::Feedback, unit, overall_due, true),
        Action::Check { passed, .. } => {
            push(Step::Check, &e.unit, stage_due, *passed);
            if !passed {
                fail_last = Some(Step::Feedback);
            }
        }
        Action::Close => push(Step::Close, &e.unit, stage_due, true),
        Action::SelfClose { .. } => {
            push(Step::Feedback, &e.unit, overall_due, true);
            push(Step::Close, &e.unit, overall_due, true);
        }
        Action::Callback { satisfied, .. } => {
            push(Step::Callback, &e.unit, stage_due, *satisfied);
            if !satisfied {
                fail_last = Some(Step::Feedback);
            }
        }
        Action::ReportIn { unit } => {
            let due = s.summons.iter().find(|x| &x.unit == unit).map(|x| x.due);
            push(Step::ReportIn, unit, due, true)
        }
        Action::Escalate { .. } => push(Step::Escalate, &e.unit, None, true),
        Action::Decide { approve: true, .. } => {
            if let Some(p) = &s.pending {
                let step = match p.kind {
                    RequestKind::SendBack => {
                        fail_last = Some(Step::Dispatch);
                        Step::SendBack
                    }
                    RequestKind::Extension => Step::Extension,
                    RequestKind::Park => Step::Park,
                };
                push(step, &p.unit, None, true);
            }
        }
        Action::Decide { .. } => {}
    }
    if let Some(step) = fail_last
        && let Some(a) = n.acts.iter_mut().rev().skip(1).find(|a| a.step == step)
    {
        a.ok = false;
    }
}

/// Refuses emergency limits of zero minutes.
fn need_limits(rule: &str, l: &crate::emergency::EmergencyLimits) -> Result<(), Refusal> {
    l.check()
        .map_err(|why| refuse(format!("{rule}.limits"), why))
}

/// Why a move was refused (拒绝原因): the rule that refused it and what it says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("refused by rule `{rule}`: {message}")]
pub struct Refusal {
    /// The rule's id, e.g. `dispatch.role`.
    pub rule: String,
    /// What was wrong, naming the role, unit or state.
    pub message: String,
}

fn refuse(rule: impl Into<String>, message: impl Into<String>) -> Refusal {
    Refusal {
        rule: rule.into(),
        message: message.into(),
    }
}

/// One branch of a conflict (冲突分支).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// The branch's last move.
    pub tip: EventId,
    /// The state this branch leads to.
    pub state: CaseState,
    /// The moves on this branch since it parted from the others, oldest first.
    pub events: Vec<EventId>,
}

/// Everything replay derives from a trail (回放结果).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    /// The current state (in a conflict: the branch with the latest tip).
    pub current: CaseState,
    /// The branches, when moves were made concurrently and not yet resolved.
    pub conflict: Option<Vec<Branch>>,
    /// Moves set aside by a resolution (they stay in the trail).
    pub superseded: BTreeSet<EventId>,
    /// Events that broke a rule against the state they were made on; never applied.
    pub invalid: Vec<(EventId, Refusal)>,
    /// The current tips (one unless in conflict).
    pub tips: Vec<EventId>,
}

impl Derived {
    /// Whether the case is in conflict (冲突).
    pub fn in_conflict(&self) -> bool {
        self.conflict.is_some()
    }

    /// The `after` links a new move should carry: the single tip (or, for a resolution, all
    /// tips).
    pub fn after_for(&self, action: &Action) -> Vec<EventId> {
        match action {
            Action::Resolve { .. } => self.tips.clone(),
            _ => vec![self.current.last.clone()],
        }
    }
}

impl<'a> Rules<'a> {
    fn kind(&self, unit: &UnitId) -> Option<UnitKind> {
        self.district.unit(unit).map(|u| u.kind)
    }

    fn name(&self, unit: &UnitId) -> String {
        match self.district.unit(unit) {
            Some(u) => format!("{} ({})", u.name, u.id),
            None => format!("unknown unit {unit}"),
        }
    }

    fn above(&self, upper: &UnitId, lower: &UnitId) -> bool {
        self.district.is_same_or_above(upper, lower)
    }

    fn roles_at(
        &self,
        rule: &str,
        e: &Event,
        roles: &[Role],
        unit: &UnitId,
        or_above: bool,
    ) -> Result<(), Refusal> {
        let place_ok = if or_above {
            self.above(&e.unit, unit)
        } else {
            e.unit == *unit
        };
        if roles.contains(&e.role) && place_ok {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.label_zh()).collect();
        let place = if or_above { "at or above" } else { "at" };
        Err(refuse(
            format!("{rule}.role"),
            format!(
                "{} may be made only by {} {} {} (the holder); you are {} at {}",
                rule,
                names.join("/"),
                place,
                self.name(unit),
                e.role.label_zh(),
                self.name(&e.unit)
            ),
        ))
    }

    /// The state after the report event, or why the report is not acceptable.
    pub fn initial(&self, intake: &Intake, report: &Event) -> Result<CaseState, Refusal> {
        if !matches!(report.action, Action::Report) {
            return Err(refuse(
                "report.first",
                "the first event of a case must be the report",
            ));
        }
        let Some(kind) = self.kind(&report.unit) else {
            return Err(refuse(
                "report.unit",
                format!("unknown unit {}", report.unit),
            ));
        };
        let Some(cell) = self.district.grid(&intake.grid) else {
            return Err(refuse(
                "report.grid",
                format!("unknown grid code {}", intake.grid),
            ));
        };
        let cat = self.catalogue.get(&intake.category).ok_or_else(|| {
            refuse(
                "report.category",
                format!("unknown category code {}", intake.category),
            )
        })?;
        let holder = match kind {
            UnitKind::Department => self.district.root().id.clone(),
            _ => report.unit.clone(),
        };
        if kind != UnitKind::Department && !self.above(&holder, &cell.community) {
            return Err(refuse(
                "report.scope",
                format!(
                    "{} may report only in its own territory; grid {} belongs to {}",
                    self.name(&holder),
                    intake.grid,
                    self.name(&cell.community)
                ),
            ));
        }
        let _ = cat;
        let at = report.millis();
        let level = Loop::of(self.kind(&holder).unwrap_or(UnitKind::District));
        Ok(CaseState {
            state: State::Reported,
            holder: holder.clone(),
            level,
            category: intake.category.clone(),
            grid: intake.grid.clone(),
            handlers: Vec::new(),
            self_handling: false,
            down_from: None,
            summons: Vec::new(),
            stage: Some(Deadline::new(
                self.calendar,
                at,
                match &intake.emergency {
                    Some(l) => TimeLimit::minutes(l.limits.accept),
                    None => self.limits.accept,
                },
            )),
            overall: None,
            rework: 0,
            extensions: 0,
            send_backs: 0,
            escalations: 0,
            pending: None,
            satisfied: None,
            notes: 0,
            milestones: Milestones {
                reported: at,
                ..Milestones::default()
            },
            acts: vec![Act {
                step: Step::Report,
                unit: report.unit.clone(),
                role: report.role,
                at,
                due: None,
                ok: true,
                offline: report.offline,
            }],
            units: [holder].into_iter().collect(),
            lane: intake.emergency.clone(),
            incident: None,
            last: report.id.clone(),
            updated: at,
        })
    }

    /// The handling limit of a case: its lane's in an emergency, else its category's.
    fn handle_limit(&self, s: &CaseState) -> TimeLimit {
        match &s.lane {
            Some(l) => l.limits.handle_limit(),
            None => self.category_limit(&s.category),
        }
    }

    /// The stage limits a case runs on: its lane's in an emergency (the incident's own for
    /// an incident's summons), else the district's.
    fn stage_limits(&self, s: &CaseState) -> StageLimits {
        match (&s.lane, &s.incident) {
            (Some(l), _) => l.limits.stages(self.limits),
            (None, Some(i)) => i.limits.stages(self.limits),
            _ => *self.limits,
        }
    }

    /// 值班长/领导 at a district or street, 站长 at a community: who opens, summons for and
    /// stands down an emergency incident.
    fn emergency_roles(&self, unit: &UnitId) -> &'static [Role] {
        self.kind(unit)
            .map(crate::emergency::command_roles)
            .unwrap_or(&[])
    }

    fn need_incident<'s>(&self, rule: &str, s: &'s CaseState) -> Result<&'s Incident, Refusal> {
        match &s.incident {
            Some(i) if i.active() => Ok(i),
            Some(_) => Err(refuse(
                format!("{rule}.ended"),
                "the emergency incident has been stood down (解除)",
            )),
            None => Err(refuse(
                format!("{rule}.incident"),
                "this case is not an emergency incident (启动预案 first)",
            )),
        }
    }

    fn category_limit(&self, category: &CategoryCode) -> TimeLimit {
        self.catalogue
            .get(category)
            .map(|c| c.limit)
            .unwrap_or(TimeLimit::working_days(5))
    }

    fn command_roles(&self, unit: &UnitId) -> &'static [Role] {
        match self.kind(unit) {
            Some(UnitKind::Community) => &[Role::GridWorker, Role::StationChief],
            _ => &[
                Role::Intake,
                Role::ShiftLead,
                Role::Dispatcher,
                Role::Leader,
            ],
        }
    }

    /// Whether `e`'s author may record work for handler `unit`: the handler itself, a
    /// community working its own case, or the holder's shift lead or dispatcher on its behalf.
    fn for_handler(
        &self,
        rule: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
    ) -> Result<(), Refusal> {
        let own = e.unit == *unit
            && match self.kind(unit) {
                Some(UnitKind::Community) => {
                    matches!(e.role, Role::GridWorker | Role::StationChief)
                }
                _ => e.role == Role::Handler,
            };
        let on_behalf = e.unit == s.holder && matches!(e.role, Role::ShiftLead | Role::Dispatcher);
        if own || on_behalf {
            Ok(())
        } else {
            Err(refuse(
                format!("{rule}.role"),
                format!(
                    "{rule} for {} may be made only by that unit's handler or by the holder {}'s 值班长/派遣员 on its behalf; you are {} at {}",
                    self.name(unit),
                    self.name(&s.holder),
                    e.role.label_zh(),
                    self.name(&e.unit)
                ),
            ))
        }
    }

    fn need_state(&self, rule: &str, s: &CaseState, allowed: &[State]) -> Result<(), Refusal> {
        if allowed.contains(&s.state) {
            Ok(())
        } else {
            let names: Vec<&str> = allowed.iter().map(|x| x.label_zh()).collect();
            Err(refuse(
                format!("{rule}.state"),
                format!(
                    "{rule} is allowed only in state {}; the case is {}",
                    names.join("/"),
                    s.state.label_zh()
                ),
            ))
        }
    }

    fn no_pending(&self, rule: &str, s: &CaseState) -> Result<(), Refusal> {
        match &s.pending {
            Some(p) => Err(refuse(
                format!("{rule}.pending"),
                format!(
                    "a {} request ({}) is waiting for approval",
                    p.kind.label_zh(),
                    p.id
                ),
            )),
            None => Ok(()),
        }
    }

    fn need_text(&self, rule: &str, what: &str, text: &str) -> Result<(), Refusal> {
        if text.trim().is_empty() {
            Err(refuse(
                format!("{rule}.{what}"),
                format!("{rule} needs a {what}"),
            ))
        } else {
            Ok(())
        }
    }

    fn need_department(&self, rule: &str, unit: &UnitId) -> Result<(), Refusal> {
        match self.kind(unit) {
            Some(UnitKind::Department) => Ok(()),
            Some(_) => Err(refuse(
                format!("{rule}.target"),
                format!("{} is not a department", self.name(unit)),
            )),
            None => Err(refuse(
                format!("{rule}.target"),
                format!("unknown unit {unit}"),
            )),
        }
    }

    /// Checks that `e` may be made on a case in state `s` (conflict aside): the state allows
    /// the move, the author's role at their unit may make it, and its payload is sound.
    pub fn check(&self, intake: &Intake, s: &CaseState, e: &Event) -> Result<(), Refusal> {
        let r = e.action.name();
        let h = &s.holder;
        match &e.action {
            Action::Report => Err(refuse("report.once", "a case is reported only once")),
            Action::Accept | Action::SendToVerify => {
                self.need_state(r, s, &[State::Reported])?;
                if self.kind(h) == Some(UnitKind::Community) {
                    return Err(refuse(
                        format!("{r}.level"),
                        "a community handles its cases itself (自处置) or escalates them; it does not register",
                    ));
                }
                self.roles_at(r, e, &[Role::Intake, Role::ShiftLead], h, false)
            }
            Action::Reject { reason } => {
                self.need_state(r, s, &[State::Reported])?;
                self.need_text(r, "reason", reason)?;
                let roles: &[Role] = if self.kind(h) == Some(UnitKind::Community) {
                    &[Role::StationChief]
                } else {
                    &[Role::Intake, Role::ShiftLead]
                };
                self.roles_at(r, e, roles, h, false)
            }
            Action::Verify { .. } => {
                self.need_state(r, s, &[State::Verifying])?;
                self.roles_at(r, e, &[Role::Supervisor], h, true)
            }
            Action::Register { category, grid } => {
                self.need_state(r, s, &[State::ToRegister])?;
                self.roles_at(r, e, &[Role::ShiftLead], h, false)?;
                if self.catalogue.get(category).is_none() {
                    return Err(refuse(
                        "register.category",
                        format!("unknown category code {category}"),
                    ));
                }
                let Some(cell) = self.district.grid(grid) else {
                    return Err(refuse("register.grid", format!("unknown grid code {grid}")));
                };
                if !self.above(h, &cell.community) {
                    return Err(refuse(
                        "register.grid",
                        format!("grid {grid} is outside {}'s territory", self.name(h)),
                    ));
                }
                Ok(())
            }
            Action::Void { reason } => {
                self.need_state(r, s, &[State::ToRegister])?;
                self.need_text(r, "reason", reason)?;
                self.roles_at(r, e, &[Role::ShiftLead], h, false)
            }
            Action::Dispatch { lead, assists } => {
                self.need_state(r, s, &[State::ToDispatch])?;
                self.roles_at(r, e, &[Role::Dispatcher, Role::ShiftLead], h, false)?;
                self.need_department(r, lead)?;
                let mut seen = BTreeSet::from([lead]);
                for a in assists {
                    self.need_department(r, a)?;
                    if !seen.insert(a) {
                        return Err(refuse(
                            "dispatch.target",
                            format!("{} is named twice", self.name(a)),
                        ));
                    }
                }
                Ok(())
            }
            Action::DispatchDown { unit } => {
                self.need_state(r, s, &[State::ToDispatch, State::ToRegister])?;
                self.roles_at(r, e, &[Role::Dispatcher, Role::ShiftLead], h, false)?;
                let ok = matches!(
                    self.kind(unit),
                    Some(UnitKind::Street | UnitKind::Community)
                ) && unit != h
                    && self.above(h, unit);
                if !ok {
                    return Err(refuse(
                        "dispatch_down.target",
                        format!(
                            "{} is not a street or community under {}",
                            self.name(unit),
                            self.name(h)
                        ),
                    ));
                }
                let cell = self.district.grid(&s.grid);
                if cell.is_some_and(|c| !self.above(unit, &c.community)) {
                    return Err(refuse(
                        "dispatch_down.territory",
                        format!(
                            "grid {} is not in {}'s territory (属地)",
                            s.grid,
                            self.name(unit)
                        ),
                    ));
                }
                Ok(())
            }
            Action::Feedback { unit, .. } => {
                self.need_state(r, s, &[State::Handling])?;
                self.no_pending(r, s)?;
                if s.self_handling {
                    return Err(refuse(
                        "feedback.self_handling",
                        "a self-handled case (自处置) is closed with 自结案, not fed back",
                    ));
                }
                if s.handlers.first() != Some(unit) {
                    return Err(refuse(
                        "feedback.lead",
                        format!("{} is not the lead handler of this case", self.name(unit)),
                    ));
                }
                self.for_handler(r, s, e, unit)
            }
            Action::Request {
                kind,
                unit,
                reason,
                until,
            } => {
                self.need_state(r, s, &[State::Handling])?;
                self.no_pending(r, s)?;
                self.need_text(r, "reason", reason)?;
                if !s.handlers.contains(unit) {
                    return Err(refuse(
                        "request.handler",
                        format!("{} is not handling this case", self.name(unit)),
                    ));
                }
                self.for_handler(r, s, e, unit)?;
                if *kind == RequestKind::Extension {
                    let current = s.overall.map(|d| d.due).unwrap_or(e.millis());
                    match until {
                        Some(u) if *u > current => {}
                        _ => {
                            return Err(refuse(
                                "request.until",
                                "an extension needs a new due time later than the current one",
                            ));
                        }
                    }
                }
                if *kind == RequestKind::SendBack && s.self_handling {
                    return Err(refuse(
                        "request.send_back",
                        "a self-handled case cannot be sent back; escalate it instead",
                    ));
                }
                Ok(())
            }
            Action::Decide { request, .. } => {
                let Some(p) = &s.pending else {
                    return Err(refuse(
                        "decide.pending",
                        "no request is waiting for approval",
                    ));
                };
                if &p.id != request {
                    return Err(refuse(
                        "decide.request",
                        format!("the waiting request is {}, not {request}", p.id),
                    ));
                }
                let (roles, tier): (&[Role], &str) = match p.kind {
                    RequestKind::SendBack => (&[Role::ShiftLead, Role::Leader], "回退"),
                    RequestKind::Extension if s.extensions == 0 => {
                        (&[Role::ShiftLead, Role::Leader], "first 延期")
                    }
                    RequestKind::Extension => (&[Role::Leader], "further 延期 (tiered)"),
                    RequestKind::Park => (&[Role::Leader], "挂账"),
                };
                let approver = p.kind == RequestKind::SendBack
                    && s.down_from.is_some()
                    && s.handlers.first() == Some(h);
                let place = if approver {
                    s.down_from.clone().unwrap_or(h.clone())
                } else {
                    h.clone()
                };
                self.roles_at(&format!("decide.{tier}"), e, roles, &place, true)
            }
            Action::Reactivate => {
                self.need_state(r, s, &[State::Parked])?;
                self.roles_at(r, e, &[Role::ShiftLead, Role::Leader], h, true)
            }
            Action::Check { .. } => {
                self.need_state(r, s, &[State::ToCheck])?;
                self.roles_at(r, e, &[Role::Supervisor], h, true)
            }
            Action::Close => {
                self.need_state(r, s, &[State::ToClose])?;
                self.roles_at(r, e, &[Role::ShiftLead], h, false)
            }
            Action::Callback { .. } => {
                self.need_state(r, s, &[State::Closed])?;
                if !intake.source.needs_callback() {
                    return Err(refuse(
                        "callback.source",
                        format!(
                            "only hotline and public cases are called back; this one came from {}",
                            intake.source.label_zh()
                        ),
                    ));
                }
                if s.satisfied.is_some() {
                    return Err(refuse("callback.done", "the callback was already made"));
                }
                self.roles_at(r, e, &[Role::Callback], h, true)
            }
            Action::Escalate { reason } => {
                self.need_state(
                    r,
                    s,
                    &[
                        State::Reported,
                        State::Verifying,
                        State::ToRegister,
                        State::ToDispatch,
                        State::Handling,
                    ],
                )?;
                self.no_pending(r, s)?;
                self.need_text(r, "reason", reason)?;
                self.roles_at(r, e, self.command_roles(h), h, false)?;
                match self.district.parent(h).and_then(|p| self.kind(p)) {
                    Some(UnitKind::Street | UnitKind::District) => Ok(()),
                    _ => Err(refuse(
                        "escalate.top",
                        format!("{} has no level above it to escalate to", self.name(h)),
                    )),
                }
            }
            Action::Whistle { departments } => {
                self.need_state(
                    r,
                    s,
                    &[State::ToRegister, State::ToDispatch, State::Handling],
                )?;
                if self.kind(h) != Some(UnitKind::Street) {
                    return Err(refuse(
                        "whistle.level",
                        "only a street blows the whistle (街道吹哨、部门报到)",
                    ));
                }
                self.roles_at(r, e, &[Role::ShiftLead], h, false)?;
                if departments.is_empty() {
                    return Err(refuse("whistle.target", "name at least one department"));
                }
                for d in departments {
                    self.need_department(r, d)?;
                }
                Ok(())
            }
            Action::ReportIn { unit } => {
                self.need_state(r, s, &[State::Handling])?;
                match s.summons.iter().find(|x| &x.unit == unit) {
                    Some(x) if x.reported_in.is_none() => self.for_handler(r, s, e, unit),
                    Some(_) => Err(refuse(
                        "report_in.done",
                        format!("{} has already reported in", self.name(unit)),
                    )),
                    None => Err(refuse(
                        "report_in.summons",
                        format!("{} was not summoned", self.name(unit)),
                    )),
                }
            }
            Action::Supervise { note } | Action::Urge { note } => {
                if !s.state.is_open() && s.state != State::Parked {
                    return Err(refuse(
                        format!("{r}.state"),
                        format!("the case is {}; nothing to supervise", s.state.label_zh()),
                    ));
                }
                self.need_text(r, "note", note)?;
                let leader = e.role == Role::Leader && self.above(&e.unit, h);
                let lead_above =
                    e.role == Role::ShiftLead && e.unit != *h && self.above(&e.unit, h);
                if leader || lead_above {
                    Ok(())
                } else {
                    Err(refuse(
                        format!("{r}.role"),
                        format!(
                            "{r} is made by a 领导 at or above, or a 值班长 above, the holder {}; you are {} at {}",
                            self.name(h),
                            e.role.label_zh(),
                            self.name(&e.unit)
                        ),
                    ))
                }
            }
            Action::SelfHandle => {
                self.need_state(r, s, &[State::Reported])?;
                if self.kind(h) != Some(UnitKind::Community) {
                    return Err(refuse(
                        "self_handle.level",
                        "only a community self-handles (微循环)",
                    ));
                }
                self.roles_at(r, e, &[Role::GridWorker, Role::StationChief], h, false)
            }
            Action::SelfClose { evidence, .. } => {
                self.need_state(r, s, &[State::Handling])?;
                if !s.self_handling {
                    return Err(refuse(
                        "self_close.self_handling",
                        "only a case the community handles itself (自处置) is self-closed",
                    ));
                }
                self.roles_at(r, e, &[Role::GridWorker, Role::StationChief], h, false)?;
                if evidence.iter().all(|x| x.trim().is_empty()) {
                    return Err(refuse(
                        "self_close.evidence",
                        "self-closing needs evidence (a photo or note reference)",
                    ));
                }
                Ok(())
            }
            Action::Resolve { .. } => Err(refuse(
                "resolve.conflict",
                "there is no conflict to resolve on this branch",
            )),
            Action::Activate {
                level,
                area,
                checklist,
                limits,
                ..
            } => {
                self.need_state(
                    r,
                    s,
                    &[
                        State::Reported,
                        State::Verifying,
                        State::ToRegister,
                        State::ToDispatch,
                        State::Handling,
                    ],
                )?;
                if s.incident.is_some() {
                    return Err(refuse(
                        "activate.once",
                        "this case has already opened an emergency incident",
                    ));
                }
                if s.category.major() != INCIDENT_CLASS {
                    return Err(refuse(
                        "activate.category",
                        format!(
                            "only a 突发事件 ({INCIDENT_CLASS}xx) case opens an emergency; this one is {}",
                            s.category.as_str()
                        ),
                    ));
                }
                self.emergency_author(r, e, h)?;
                if !(1..=4).contains(level) {
                    return Err(refuse(
                        "activate.level",
                        format!("response level {level} is not 1 (Ⅰ级) to 4 (Ⅳ级)"),
                    ));
                }
                if area.is_empty() {
                    return Err(refuse(
                        "activate.area",
                        "name the area the emergency covers",
                    ));
                }
                for u in area {
                    match self.kind(u) {
                        None | Some(UnitKind::Department) => {
                            return Err(refuse(
                                "activate.area",
                                format!("{} is not a district, street or community", self.name(u)),
                            ));
                        }
                        _ if !self.above(&e.unit, u) => {
                            return Err(refuse(
                                "activate.area",
                                format!(
                                    "{} may put only its own territory in 战时, not {}",
                                    self.name(&e.unit),
                                    self.name(u)
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                if checklist.is_empty() || checklist.iter().any(|t| t.trim().is_empty()) {
                    return Err(refuse(
                        "activate.checklist",
                        "a plan needs a checklist with no empty item",
                    ));
                }
                need_limits(r, limits)
            }
            Action::Tick { item, .. } => {
                let i = self.need_incident(r, s)?;
                let Some(it) = i.checklist.get(*item as usize) else {
                    return Err(refuse(
                        "tick.item",
                        format!(
                            "the plan has {} items; there is no item {}",
                            i.checklist.len(),
                            item + 1
                        ),
                    ));
                };
                if it.done.is_some() {
                    return Err(refuse(
                        "tick.done",
                        format!("item {} (“{}”) is already done", item + 1, it.text),
                    ));
                }
                let in_area = i.covers(self.district, &e.unit)
                    || self.above(&e.unit, h)
                    || s.summons.iter().any(|x| x.unit == e.unit);
                if !in_area || !self.command_roles(&e.unit).contains(&e.role) {
                    return Err(refuse(
                        "tick.role",
                        format!(
                            "the checklist is ticked off by command staff of the units in the emergency; you are {} at {}",
                            e.role.label_zh(),
                            self.name(&e.unit)
                        ),
                    ));
                }
                Ok(())
            }
            Action::Summon { units, resources } => {
                let i = self.need_incident(r, s)?;
                self.emergency_author(r, e, h)?;
                if units.is_empty() && resources.iter().all(|x| x.trim().is_empty()) {
                    return Err(refuse(
                        "summon.target",
                        "name at least one unit or resource to summon",
                    ));
                }
                for u in units {
                    match self.kind(u) {
                        Some(UnitKind::Department) => {}
                        Some(UnitKind::Street | UnitKind::Community)
                            if self.above(&e.unit, u) || i.covers(self.district, u) => {}
                        _ => {
                            return Err(refuse(
                                "summon.unit",
                                format!(
                                    "{} cannot be summoned: a department, or a street or community in the emergency's area",
                                    self.name(u)
                                ),
                            ));
                        }
                    }
                    if s.summons.iter().any(|x| &x.unit == u) {
                        return Err(refuse(
                            "summon.twice",
                            format!("{} is already summoned", self.name(u)),
                        ));
                    }
                }
                Ok(())
            }
            Action::StandDown { note } => {
                self.need_incident(r, s)?;
                self.need_text(r, "note", note)?;
                self.emergency_author(r, e, h)
            }
            Action::Link { lane } => {
                self.need_state(
                    r,
                    s,
                    &[
                        State::Reported,
                        State::Verifying,
                        State::ToRegister,
                        State::ToDispatch,
                        State::Handling,
                        State::ToCheck,
                        State::ToClose,
                    ],
                )?;
                if s.incident.is_some() {
                    return Err(refuse(
                        "link.incident",
                        "an emergency incident is not put in a lane; it is the lane",
                    ));
                }
                if let Some(l) = &s.lane {
                    return Err(refuse(
                        "link.twice",
                        format!("the case is already in the lane of incident {}", l.incident),
                    ));
                }
                if !self.above(&e.unit, h) || !self.command_roles(&e.unit).contains(&e.role) {
                    return Err(refuse(
                        "link.role",
                        format!(
                            "a case is put in an emergency lane by command staff at or above its holder {}; you are {} at {}",
                            self.name(h),
                            e.role.label_zh(),
                            self.name(&e.unit)
                        ),
                    ));
                }
                need_limits(r, &lane.limits)
            }
        }
    }

    /// 值班长/领导 (站长 at a community) at or above the holder.
    fn emergency_author(&self, rule: &str, e: &Event, holder: &UnitId) -> Result<(), Refusal> {
        let roles = self.emergency_roles(&e.unit);
        if roles.contains(&e.role) && self.above(&e.unit, holder) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| r.label_zh()).collect();
        Err(refuse(
            format!("{rule}.role"),
            format!(
                "{rule} is made by {} at or above the holder {}; you are {} at {}",
                names.join("/"),
                self.name(holder),
                e.role.label_zh(),
                self.name(&e.unit)
            ),
        ))
    }

    /// The state after applying `e` (already checked) to `s`.
    pub fn apply(&self, intake: &Intake, s: &CaseState, e: &Event) -> CaseState {
        let mut n = s.clone();
        let at = e.millis();
        let cal = self.calendar;
        let lim = &self.stage_limits(s);
        n.last = e.id.clone();
        n.updated = at;
        match &e.action {
            Action::Report | Action::Resolve { .. } => {}
            Action::Accept => {
                n.state = State::ToRegister;
                n.milestones.accepted = Some(at);
                n.stage = Some(Deadline::new(cal, at, lim.register));
            }
            Action::SendToVerify => {
                n.state = State::Verifying;
                n.milestones.accepted = Some(at);
                n.stage = Some(Deadline::new(cal, at, lim.verify));
            }
            Action::Reject { .. } => {
                n.state = State::Rejected;
                n.stage = None;
            }
            Action::Verify { confirmed, .. } => {
                if *confirmed {
                    n.state = State::ToRegister;
                    n.stage = Some(Deadline::new(cal, at, lim.register));
                } else {
                    n.state = State::Rejected;
                    n.stage = None;
                }
            }
            Action::Register { category, grid } => {
                n.state = State::ToDispatch;
                n.category = category.clone();
                n.grid = grid.clone();
                n.milestones.registered = Some(at);
                n.stage = Some(Deadline::new(cal, at, lim.dispatch));
            }
            Action::Void { .. } => {
                n.state = State::Voided;
                n.stage = None;
            }
            Action::Dispatch { lead, assists } => {
                n.state = State::Handling;
                n.handlers = std::iter::once(lead.clone())
                    .chain(assists.iter().cloned())
                    .collect();
                n.units.extend(n.handlers.iter().cloned());
                n.milestones.dispatched.get_or_insert(at);
                let d = Deadline::new(cal, at, self.handle_limit(&n));
                n.overall = Some(d);
                n.stage = Some(d);
            }
            Action::DispatchDown { unit } => {
                n.down_from = Some(s.holder.clone());
                n.holder = unit.clone();
                n.level = Loop::of(self.kind(unit).unwrap_or(UnitKind::District));
                n.units.insert(unit.clone());
                n.milestones.dispatched.get_or_insert(at);
                if self.kind(unit) == Some(UnitKind::Community) {
                    n.state = State::Handling;
                    n.handlers = vec![unit.clone()];
                    let d = Deadline::new(cal, at, self.handle_limit(&n));
                    n.overall = Some(d);
                    n.stage = Some(d);
                } else {
                    n.state = State::ToDispatch;
                    n.handlers.clear();
                    n.stage = Some(Deadline::new(cal, at, lim.dispatch));
                }
            }
            Action::Feedback { .. } => {
                n.state = State::ToCheck;
                n.milestones.feedback = Some(at);
                n.stage = Some(Deadline::new(cal, at, lim.check));
            }
            Action::Request {
                kind,
                unit,
                reason,
                until,
            } => {
                n.pending = Some(Pending {
                    id: e.id.clone(),
                    kind: *kind,
                    unit: unit.clone(),
                    reason: reason.clone(),
                    until: *until,
                });
            }
            Action::Decide { approve, .. } => {
                let p = n.pending.take();
                if let (true, Some(p)) = (*approve, p) {
                    match p.kind {
                        RequestKind::SendBack => {
                            n.send_backs += 1;
                            n.handlers.clear();
                            n.summons.clear();
                            n.overall = None;
                            if n.handlers.is_empty() && s.handlers.first() == Some(&s.holder) {
                                // A unit handed the case down sends it back up to whoever did.
                                if let Some(up) = s.down_from.clone() {
                                    n.holder = up;
                                    n.level = Loop::of(
                                        self.kind(&n.holder).unwrap_or(UnitKind::District),
                                    );
                                    n.down_from = None;
                                }
                            }
                            n.state = State::ToDispatch;
                            n.stage = Some(Deadline::new(cal, at, lim.dispatch));
                        }
                        RequestKind::Extension => {
                            n.extensions += 1;
                            if let (Some(d), Some(until)) = (n.overall, p.until) {
                                let total = cal.working_minutes_between(d.started, until);
                                let warn = cal.add_working_minutes(d.started, total * 4 / 5);
                                let nd = Deadline {
                                    warn_at: warn,
                                    due: until,
                                    ..d
                                };
                                n.overall = Some(nd);
                                n.stage = Some(nd);
                            }
                        }
                        RequestKind::Park => {
                            n.state = State::Parked;
                            n.stage = None;
                        }
                    }
                }
            }
            Action::Reactivate => {
                n.state = State::Handling;
                let d = Deadline::new(cal, at, self.handle_limit(&n));
                n.overall = Some(d);
                n.stage = Some(d);
            }
            Action::Check { passed, .. } => {
                if *passed {
                    n.state = State::ToClose;
                    n.milestones.checked = Some(at);
                    n.stage = Some(Deadline::new(cal, at, lim.close));
                } else {
                    n.state = State::Handling;
                    n.rework += 1;
                    n.stage = n.overall;
                }
            }
            Action::Close => {
                n.state = State::Closed;
                n.milestones.closed = Some(at);
                n.stage = intake
                    .source
                    .needs_callback()
                    .then(|| Deadline::new(cal, at, lim.callback));
            }
            Action::Callback { satisfied, .. } => {
                n.satisfied = Some(*satisfied);
                n.milestones.callback = Some(at);
                if *satisfied {
                    n.state = State::Archived;
                    n.stage = None;
                } else {
                    n.state = State::Handling;
                    n.satisfied = None;
                    n.rework += 1;
                    n.milestones.closed = None;
                    let d = Deadline::new(cal, at, self.handle_limit(&n));
                    n.overall = Some(d);
                    n.stage = Some(d);
                }
            }
            Action::Escalate { .. } => {
                let up = self
                    .district
                    .parent(&s.holder)
                    .cloned()
                    .unwrap_or(s.holder.clone());
                n.holder = up.clone();
                n.level = Loop::of(self.kind(&up).unwrap_or(UnitKind::District));
                n.units.insert(up);
                n.state = State::ToRegister;
                n.handlers.clear();
                n.summons.clear();
                n.self_handling = false;
                n.down_from = None;
                n.escalations += 1;
                n.stage = Some(Deadline::new(cal, at, lim.register));
            }
            Action::Whistle { departments } => {
                n.state = State::Handling;
                let due = cal.add(at, lim.report_in);
                for d in departments {
                    if !n.summons.iter().any(|x| &x.unit == d) {
                        n.summons.push(Summons {
                            unit: d.clone(),
                            at,
                            due,
                            reported_in: None,
                        });
                    }
                    if !n.handlers.contains(d) {
                        n.handlers.push(d.clone());
                    }
                    n.units.insert(d.clone());
                }
                if n.overall.is_none() {
                    let d = Deadline::new(cal, at, self.handle_limit(&n));
                    n.overall = Some(d);
                    n.stage = Some(d);
                }
                n.milestones.dispatched.get_or_insert(at);
            }
            Action::ReportIn { unit } => {
                if let Some(x) = n.summons.iter_mut().find(|x| &x.unit == unit) {
                    x.reported_in = Some(at);
                }
            }
            Action::Supervise { .. } | Action::Urge { .. } => {
                n.notes += 1;
            }
            Action::SelfHandle => {
                n.state = State::Handling;
                n.self_handling = true;
                n.handlers = vec![s.holder.clone()];
                n.milestones.accepted = Some(at);
                let d = Deadline::new(cal, at, self.handle_limit(&n));
                n.overall = Some(d);
                n.stage = Some(d);
            }
            Action::SelfClose { .. } => {
                n.state = State::Closed;
                n.milestones.feedback = Some(at);
                n.milestones.closed = Some(at);
                n.stage = intake
                    .source
                    .needs_callback()
                    .then(|| Deadline::new(cal, at, lim.callback));
            }
            Action::Activate {
                plan,
                name,
                level,
                area,
                checklist,
                limits,
            } => {
                n.incident = Some(Incident {
                    plan: plan.clone(),
                    name: name.clone(),
                    level: *level,
                    area: area.clone(),
                    checklist: checklist
                        .iter()
                        .map(|t| ChecklistItem {
                            text: t.clone(),
                            done: None,
                        })
                        .collect(),
                    resources: Vec::new(),
                    limits: *limits,
                    since: at,
                    ended: None,
                });
                n.state = State::Handling;
                if n.handlers.is_empty() {
                    n.handlers = vec![s.holder.clone()];
                }
                n.milestones.accepted.get_or_insert(at);
                n.milestones.registered.get_or_insert(at);
                n.stage = None;
                n.overall = None;
                n.units.extend(area_units(self.district, area));
            }
            Action::Tick { .. } => {}
            Action::Summon { units, resources } => {
                let due = cal.add(at, lim.report_in);
                for u in units {
                    n.summons.push(Summons {
                        unit: u.clone(),
                        at,
                        due,
                        reported_in: None,
                    });
                    if !n.handlers.contains(u) {
                        n.handlers.push(u.clone());
                    }
                    n.units.insert(u.clone());
                }
                if let Some(i) = &mut n.incident {
                    for r in resources.iter().filter(|r| !r.trim().is_empty()) {
                        if !i.resources.contains(r) {
                            i.resources.push(r.clone());
                        }
                    }
                }
            }
            Action::StandDown { .. } => {
                if let Some(i) = &mut n.incident {
                    i.ended = Some(at);
                }
                n.state = State::Closed;
                n.milestones.closed = Some(at);
                n.stage = None;
            }
            Action::Link { lane } => {
                n.lane = Some(lane.clone());
                let fast = lane.limits.stages(self.limits);
                let restart = match n.state {
                    State::Reported => Some(fast.accept),
                    State::Verifying => Some(fast.verify),
                    State::ToRegister => Some(fast.register),
                    State::ToDispatch => Some(fast.dispatch),
                    State::ToCheck => Some(fast.check),
                    State::ToClose => Some(fast.close),
                    _ => None,
                };
                if let Some(l) = restart {
                    n.stage = Some(Deadline::new(cal, at, l));
                } else if n.state == State::Handling {
                    let d = Deadline::new(cal, at, lane.limits.handle_limit());
                    n.overall = Some(d);
                    n.stage = Some(d);
                }
            }
        }
        record_acts(s, &mut n, e);
        n
    }

    /// Replays a trail into the derived state. Deterministic in the set of events: the order
    /// of `events` does not matter. Fails only if there is no valid report.
    pub fn replay(&self, intake: &Intake, events: &[Event]) -> Result<Derived, Refusal> {
        // Deduplicate by id, keeping the earliest by (time, id).
        let mut by_id: BTreeMap<&EventId, &Event> = BTreeMap::new();
        for e in events {
            by_id
                .entry(&e.id)
                .and_modify(|x| {
                    if e.order_key() < x.order_key() {
                        *x = e;
                    }
                })
                .or_insert(e);
        }
        let mut reports: Vec<&Event> = by_id
            .values()
            .copied()
            .filter(|e| matches!(e.action, Action::Report))
            .collect();
        reports.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let Some(report) = reports.first().copied() else {
            return Err(refuse("report.missing", "the trail has no report event"));
        };
        let root_state = self.initial(intake, report)?;

        let mut invalid: Vec<(EventId, Refusal)> = Vec::new();
        for extra in reports.iter().skip(1) {
            invalid.push((
                extra.id.clone(),
                refuse("report.once", "a case is reported only once"),
            ));
        }
        // Topological order of moves (Kahn), ties broken by (time, id).
        let moves: Vec<&Event> = by_id
            .values()
            .copied()
            .filter(|e| !e.action.is_note() && !matches!(e.action, Action::Report))
            .collect();
        let mut states: HashMap<&EventId, CaseState> = HashMap::new();
        let mut valid: BTreeSet<&EventId> = BTreeSet::new();
        states.insert(&report.id, root_state);
        valid.insert(&report.id);
        let mut remaining: Vec<&Event> = moves;
        remaining.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let mut progress = true;
        while progress && !remaining.is_empty() {
            progress = false;
            let mut next = Vec::with_capacity(remaining.len());
            for e in remaining {
                if !e.after.iter().all(|p| states.contains_key(p)) || e.after.is_empty() {
                    next.push(e);
                    continue;
                }
                progress = true;
                let result = self.replay_one(intake, e, &states, &valid);
                match result {
                    Ok(st) => {
                        states.insert(&e.id, st);
                        valid.insert(&e.id);
                    }
                    Err(why) => {
                        let base = states[&e.after[0]].clone();
                        states.insert(&e.id, base);
                        invalid.push((e.id.clone(), why));
                    }
                }
            }
            remaining = next;
        }
        for e in remaining {
            invalid.push((
                e.id.clone(),
                refuse(
                    "after.missing",
                    "the event it was made after is not in the trail",
                ),
            ));
        }
        // Tips: valid moves no valid move was made after.
        let mut referenced: BTreeSet<&EventId> = BTreeSet::new();
        for id in &valid {
            for p in &by_id[id].after {
                referenced.insert(p);
            }
        }
        let mut tips: Vec<&Event> = valid
            .iter()
            .filter(|id| !referenced.contains(*id))
            .map(|id| by_id[id])
            .collect();
        tips.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let primary = *tips.last().unwrap_or(&report);
        let mut current = states[&primary.id].clone();

        // Notes: valid against the state of the event they were made after.
        for note in by_id.values().filter(|e| e.action.is_note()) {
            let Some(base) = note.after.first().and_then(|p| states.get(p)) else {
                invalid.push((
                    note.id.clone(),
                    refuse(
                        "after.missing",
                        "the event it was made after is not in the trail",
                    ),
                ));
                continue;
            };
            match self.check(intake, base, note) {
                Ok(()) => match &note.action {
                    // Concurrent ticks of one item keep the earliest: order-independent.
                    Action::Tick { item, .. } => {
                        if let Some(it) = current
                            .incident
                            .as_mut()
                            .and_then(|i| i.checklist.get_mut(*item as usize))
                        {
                            let mine = (note.millis(), note.unit.clone());
                            if it.done.as_ref().is_none_or(|d| mine < *d) {
                                it.done = Some(mine);
                            }
                        }
                    }
                    _ => current.notes += 1,
                },
                Err(why) => invalid.push((note.id.clone(), why)),
            }
        }
        // The primary chain, and which moves are off it.
        let chain_of = |tip: &EventId| -> BTreeSet<EventId> {
            let mut out = BTreeSet::new();
            let mut cur = Some(tip.clone());
            while let Some(id) = cur {
                let e = by_id[&id];
                cur = match &e.action {
                    Action::Resolve { keep, .. } => Some(keep.clone()),
                    _ => e.after.first().cloned(),
                };
                out.insert(id);
            }
            out
        };
        let conflict = if tips.len() > 1 {
            let chains: Vec<BTreeSet<EventId>> = tips.iter().map(|t| chain_of(&t.id)).collect();
            let common: BTreeSet<EventId> =
                chains.iter().skip(1).fold(chains[0].clone(), |acc, c| {
                    acc.intersection(c).cloned().collect()
                });
            Some(
                tips.iter()
                    .zip(&chains)
                    .map(|(t, c)| {
                        let mut evs: Vec<&Event> = c
                            .iter()
                            .filter(|id| !common.contains(*id))
                            .map(|id| by_id[id])
                            .collect();
                        evs.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
                        Branch {
                            tip: t.id.clone(),
                            state: states[&t.id].clone(),
                            events: evs.into_iter().map(|e| e.id.clone()).collect(),
                        }
                    })
                    .collect::<Vec<_>>(),
            )
        } else {
            None
        };
        let mut on_chains: BTreeSet<EventId> = BTreeSet::new();
        for t in &tips {
            on_chains.extend(chain_of(&t.id));
        }
        let invalid_ids: BTreeSet<&EventId> = invalid.iter().map(|(id, _)| id).collect();
        let superseded = valid
            .iter()
            .filter(|id| !on_chains.contains(**id) && !invalid_ids.contains(*id))
            .map(|id| (*id).clone())
            .collect();
        invalid.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Derived {
            current,
            conflict,
            superseded,
            invalid,
            tips: tips.iter().map(|t| t.id.clone()).collect(),
        })
    }

    fn replay_one(
        &self,
        intake: &Intake,
        e: &Event,
        states: &HashMap<&EventId, CaseState>,
        valid: &BTreeSet<&EventId>,
    ) -> Result<CaseState, Refusal> {
        match &e.action {
            Action::Resolve { keep, note } => {
                if e.after.len() < 2 || !e.after.contains(keep) {
                    return Err(refuse(
                        "resolve.branches",
                        "a resolution names the branch it keeps among the tips it joins",
                    ));
                }
                if !valid.contains(keep) {
                    return Err(refuse(
                        "resolve.keep",
                        format!("kept branch {keep} is not valid"),
                    ));
                }
                let base = &states[keep];
                self.need_text("resolve", "note", note)?;
                self.roles_at(
                    "resolve",
                    e,
                    &[Role::ShiftLead, Role::Leader],
                    &base.holder,
                    true,
                )?;
                Ok(self.apply(intake, base, e))
            }
            _ => {
                if e.after.len() != 1 {
                    return Err(refuse(
                        "after.single",
                        "an ordinary move is made after exactly one event",
                    ));
                }
                let base = &states[&e.after[0]];
                self.check(intake, base, e)?;
                Ok(self.apply(intake, base, e))
            }
        }
    }

    /// Checks a move about to be made on the live case: in a conflict only a resolution or a
    /// note may be made; a resolution must keep one of the current tips.
    pub fn check_live(&self, intake: &Intake, d: &Derived, e: &Event) -> Result<(), Refusal> {
        if let Some(branches) = &d.conflict {
            return match &e.action {
                Action::Resolve { keep, note } => {
                    let Some(b) = branches.iter().find(|b| &b.tip == keep) else {
                        return Err(refuse(
                            "resolve.keep",
                            format!("{keep} is not the tip of a conflicting branch"),
                        ));
                    };
                    self.need_text("resolve", "note", note)?;
                    self.roles_at(
                        "resolve",
                        e,
                        &[Role::ShiftLead, Role::Leader],
                        &b.state.holder,
                        true,
                    )
                }
                a if a.is_note() => self.check(intake, &d.current, e),
                _ => Err(refuse(
                    "conflict.resolve_first",
                    "the case is in conflict (冲突): resolve it before any other move",
                )),
            };
        }
        self.check(intake, &d.current, e)
    }
}
