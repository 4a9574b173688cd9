//! The state of a case after a sequence of moves (案件状态): holder, handlers, deadlines,
//! requests, summons, milestones and the assessed acts (考核记录) replay records.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::domain::calendar::{Light, Millis, WorkCalendar};
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::CategoryCode;
use crate::domain::emergency::{Incident, Lane};
use crate::domain::event::{Action, Event, EventId, Rating, RequestKind};
use crate::domain::role::Role;
use crate::domain::unit::{GridCode, UnitId};

use super::deadline::Deadline;
use super::state::{Loop, State};

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

/// A unit's receipt of a case dispatched to it (签收): from dispatch it has the sign limit
/// to sign for it, and answers for it from then on (首接负责).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The unit dispatched to.
    pub unit: UnitId,
    /// When it must have signed.
    pub due: Millis,
    /// When it signed, if it has (its first 反馈 signs for a unit that had not).
    pub signed: Option<Millis>,
    /// When it must have contacted the caller (先行联系; 12345 cases).
    pub contact_due: Millis,
    /// When it contacted the caller, if it has.
    pub contacted: Option<Millis>,
    /// When it fed back (一案双派: each unit feeds back on its own), since the last 核查.
    pub fed_back: Option<Millis>,
}

/// A supervision order (督办单): from above to the holder or a handler, with a deadline and a
/// reply owed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuperviseOrder {
    /// The order event.
    pub id: EventId,
    /// The unit that issued it.
    pub from: UnitId,
    /// The unit that must reply.
    pub unit: UnitId,
    /// When it was issued.
    pub at: Millis,
    /// When the reply is due.
    pub due: Millis,
    /// Raised by a node for a red light (超时自动督办).
    pub auto: bool,
    /// When it was answered, if it has been.
    pub replied: Option<Millis>,
}

/// What a decision a handling unit may appeal did (申诉的对象).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dispute {
    /// 核查不通过: its feedback failed the check (返工).
    FailedCheck,
    /// 回访不满意: the citizen was not satisfied with its work (返工, against 满意率).
    Dissatisfied,
    /// 退单被驳回: its request to send the case back was refused.
    RefusedSendBack,
}

/// A decision a handling unit may appeal (可申诉).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disputable {
    /// The decision event.
    pub decision: EventId,
    /// The unit it went against.
    pub unit: UnitId,
    /// What it did.
    pub kind: Dispute,
    /// The feedback act it marked failed (an index into [`CaseState::acts`]), if any.
    pub failed_act: Option<usize>,
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
    /// The decision an appeal (申诉) disputes.
    pub against: Option<EventId>,
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
    /// 签收 by a unit dispatched to (a first 反馈 without it signs late).
    SignFor,
    /// 先行联系 with the caller of a 12345 case.
    Contact,
    /// 上报上级 (escalation).
    Escalate,
    /// An approved 回退, counted for the asking unit.
    SendBack,
    /// An approved 延期, counted for the asking unit.
    Extension,
    /// An approved 挂账, counted for the asking unit.
    Park,
    /// 督办回复: a unit answered a 督办单; `due` is the order's deadline.
    Reply,
    /// 申诉 upheld, counted for the appealing unit.
    Appeal,
    /// 街道评价 of a department (双向考核); `ok` = 满意 or 基本满意.
    Rated,
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
    /// 代录: the unit that recorded the act on behalf of `unit`, when another did.
    pub by: Option<UnitId>,
    /// The person who made the move (经办人), when the move names one. (Stored with
    /// postcard, which needs every field written: never skipped.)
    pub person: Option<String>,
}

impl Act {
    /// Done within its limit (按时): no clock ran, or it was done by the due time.
    pub fn on_time(&self) -> bool {
        self.due.is_none_or(|d| self.at <= d)
    }
}

/// The citizen's answers at a 回访 (回访结果).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// 解决/未解决, when asked.
    pub resolved: Option<bool>,
    /// 满意/基本满意/不满意, when asked; else only whether the case ended.
    pub rating: Option<Rating>,
    /// Whether the case ended (满意 or 基本满意) rather than reopened.
    pub satisfied: bool,
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
    /// Units handling it: the lead first, then assisting units (协办), the units of a 一案双派
    /// or summoned ones.
    pub handlers: Vec<UnitId>,
    /// 一案双派: every unit dispatched feeds back on its own, and 核查 waits for all.
    pub joint: bool,
    /// The holder community handles the case itself (微循环 自处置).
    pub self_handling: bool,
    /// The unit that handed the case down (属地派遣), where a send-back returns it.
    pub down_from: Option<UnitId>,
    /// Departments summoned by a whistle.
    pub summons: Vec<Summons>,
    /// The receipts of the units the case was last dispatched to (签收).
    pub receipts: Vec<Receipt>,
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
    /// The citizen's answers at the latest 回访 (kept when 不满意 reopened the case, until the
    /// next callback): what 12345's 解决率 and 满意率 count.
    pub answers: Option<Answers>,
    /// 督办/催办 notes counted.
    pub notes: u32,
    /// 督办单 issued on the case, oldest first.
    pub orders: Vec<SuperviseOrder>,
    /// 双向考核: the street's rating of each department that reported in.
    pub ratings: Vec<(UnitId, Rating)>,
    /// 并案: the case this one was merged into, which answers for it.
    pub merged_into: Option<CaseId>,
    /// 并入: the duplicates merged into this case.
    pub children: Vec<CaseId>,
    /// Decisions against a handling unit it may still appeal (申诉).
    pub disputable: Vec<Disputable>,
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
    /// The disputable decision `decision`, if the case has it.
    pub fn disputed(&self, decision: &EventId) -> Option<&Disputable> {
        self.disputable.iter().find(|d| &d.decision == decision)
    }

    /// 申诉成立: undoes what `decision` did to the unit's record — its failed feedback counts
    /// as good work again, a 不满意 it drew leaves 满意率 — and returns what it was (the
    /// caller sends a refused 退单 back). `None` if the case has no such decision.
    pub fn uphold(&mut self, decision: &EventId) -> Option<Dispute> {
        let i = self
            .disputable
            .iter()
            .position(|d| &d.decision == decision)?;
        let d = self.disputable.remove(i);
        if let Some(a) = d.failed_act.and_then(|i| self.acts.get_mut(i)) {
            a.ok = true;
            self.rework = self.rework.saturating_sub(1);
        }
        if d.kind == Dispute::Dissatisfied {
            self.answers = None;
        }
        Some(d.kind)
    }

    /// The receipt of `unit` (签收, 先行联系), if the case was last dispatched to it.
    pub fn receipt(&self, unit: &UnitId) -> Option<&Receipt> {
        self.receipts.iter().find(|r| &r.unit == unit)
    }

    /// [`CaseState::receipt`], to fill in.
    pub fn receipt_mut(&mut self, unit: &UnitId) -> Option<&mut Receipt> {
        self.receipts.iter_mut().find(|r| &r.unit == unit)
    }

    /// The earliest running deadline's thresholds (warn, due), if any clock runs.
    pub fn thresholds(&self) -> Option<(Millis, Millis)> {
        // A closed case's only clock is the callback's, kept in `stage` when one is due.
        if !self.state.is_clocked() {
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
pub(super) fn record_acts(s: &CaseState, n: &mut CaseState, e: &Event) {
    let stage_due = s.stage.map(|d| d.due);
    let overall_due = s.overall.map(|d| d.due);
    let by = e.on_behalf_of().map(|_| e.unit.clone());
    let mut push = |step: Step, unit: &UnitId, due: Option<Millis>, ok: bool| {
        n.acts.push(Act {
            step,
            unit: unit.clone(),
            role: e.role,
            at: e.millis(),
            due,
            ok,
            offline: e.offline,
            by: by.clone(),
            person: e.person.clone(),
        })
    };
    let receipt_due = |unit: &UnitId| s.receipt(unit).map(|r| r.due);
    let mut fail_last = None;
    match &e.action {
        Action::Report | Action::Request { .. } | Action::Appeal { .. } => {}
        // 并案: the duplicate leaves every count; notes are recorded where replay applies them.
        Action::Merge { .. }
        | Action::ParentClosed { .. }
        | Action::Order { .. }
        | Action::Reply { .. }
        | Action::Rate { .. }
        | Action::Absorb { .. } => {}
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
        Action::Dispatch { .. } | Action::DispatchDown { .. } | Action::JointDispatch { .. } => {
            push(Step::Dispatch, &e.unit, stage_due, true)
        }
        Action::Whistle { .. } => {
            let due = (s.state == State::ToDispatch)
                .then_some(stage_due)
                .flatten();
            push(Step::Dispatch, &e.unit, due, true)
        }
        Action::Feedback { unit, .. } => {
            // A first 反馈 from a unit that never signed for the case signs for it, late if
            // its sign limit had passed.
            if s.receipt(unit).is_some_and(|r| r.signed.is_none()) {
                push(Step::SignFor, unit, receipt_due(unit), true);
            }
            push(Step::Feedback, unit, overall_due, true)
        }
        Action::SignFor { unit } => push(Step::SignFor, unit, receipt_due(unit), true),
        Action::Contact { unit, .. } => {
            let due = s.receipt(unit).map(|r| r.contact_due);
            push(Step::Contact, unit, due, true)
        }
        // 直接答复: the hotline's response, and the case's end.
        Action::Answer { .. } => {
            push(Step::Accept, &e.unit, stage_due, true);
            push(Step::Close, &e.unit, stage_due, true);
        }
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
                // An upheld appeal against a refused 退单 is, besides, the send-back itself.
                let kind = match p.kind {
                    RequestKind::Appeal => {
                        push(Step::Appeal, &p.unit, None, true);
                        let d = p.against.as_ref().and_then(|d| s.disputed(d));
                        d.filter(|d| d.kind == Dispute::RefusedSendBack)
                            .map(|_| RequestKind::SendBack)
                    }
                    k => Some(k),
                };
                let step = match kind {
                    Some(RequestKind::SendBack) => {
                        fail_last = Some(Step::Dispatch);
                        Some(Step::SendBack)
                    }
                    Some(RequestKind::Extension) => Some(Step::Extension),
                    Some(RequestKind::Park) => Some(Step::Park),
                    Some(RequestKind::Appeal) | None => None,
                };
                if let Some(step) = step {
                    push(step, &p.unit, None, true);
                }
            }
        }
        Action::Decide { .. } => {}
    }
    let Some(step) = fail_last else {
        return;
    };
    // The acts this one shows wrong: the last of `step` before it — every unit's feedback
    // since the last 核查 or 派遣 in a 一案双派.
    let mine = n.acts.len().saturating_sub(1);
    let mut failed = Vec::new();
    for i in (0..mine).rev() {
        let a = &n.acts[i];
        if a.step == step {
            failed.push(i);
            if !(s.joint && step == Step::Feedback) {
                break;
            }
        } else if s.joint && matches!(a.step, Step::Check | Step::Dispatch) {
            break;
        }
    }
    let kind = match e.action {
        Action::Callback { .. } => Dispute::Dissatisfied,
        _ => Dispute::FailedCheck,
    };
    for i in failed {
        n.acts[i].ok = false;
        if step == Step::Feedback {
            // 申诉: the unit may dispute the decision.
            n.disputable.push(Disputable {
                decision: e.id.clone(),
                unit: n.acts[i].unit.clone(),
                kind,
                failed_act: Some(i),
            });
        }
    }
}
