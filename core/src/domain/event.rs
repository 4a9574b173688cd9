//! The case trail (流转记录): events, each one move made by one person, linked to the event
//! its author saw last. The trail is append-only; the case's state is derived from it.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::calendar::Millis;
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::CategoryCode;
use crate::domain::emergency::{EmergencyLimits, Lane};
use crate::domain::hlc::Hlc;
use crate::domain::role::{NodeId, Role};
use crate::domain::unit::{GridCode, UnitId};

/// A unique event id within a case (事件编号): 16 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub String);

impl EventId {
    /// A fresh random id.
    pub fn random() -> EventId {
        EventId(format!("{:016x}", rand::random::<u64>()))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request that needs approval (申请): send back, extend or park.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// 回退: the case was dispatched to the wrong unit.
    SendBack,
    /// 延期: more time is needed.
    Extension,
    /// 挂账: park as a known long-term problem.
    Park,
    /// 申诉: the handler disputes a decision against it (a failed 核查, a 不满意 回访, a
    /// refused 退单); asked with [`Action::Appeal`].
    Appeal,
}

impl RequestKind {
    /// The Chinese name of the request.
    pub fn label_zh(self) -> &'static str {
        match self {
            RequestKind::SendBack => "回退",
            RequestKind::Extension => "延期",
            RequestKind::Park => "挂账",
            RequestKind::Appeal => "申诉",
        }
    }
}

/// The citizen's satisfaction at 回访 (满意度), as 12345 asks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意.
    Satisfied,
    /// 基本满意.
    Fair,
    /// 不满意: the case is reopened.
    Dissatisfied,
}

impl Rating {
    /// Every answer, best first.
    pub const ALL: [Rating; 3] = [Rating::Satisfied, Rating::Fair, Rating::Dissatisfied];

    /// The Chinese answer.
    pub fn label_zh(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::Fair => "基本满意",
            Rating::Dissatisfied => "不满意",
        }
    }

    /// The English answer.
    pub fn label_en(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Fair => "fairly satisfied",
            Rating::Dissatisfied => "dissatisfied",
        }
    }

    /// Whether the answer ends the case (满意 and 基本满意 archive it; 不满意 reopens it).
    pub fn accepts(self) -> bool {
        self != Rating::Dissatisfied
    }

    /// Parses `satisfied`/`fair`/`dissatisfied` or the Chinese answer.
    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL
            .into_iter()
            .find(|r| s == r.label_zh() || s == format!("{r:?}").to_lowercase() || s == r.key())
    }

    /// The key a CLI or file uses.
    pub fn key(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::Fair => "fair",
            Rating::Dissatisfied => "dissatisfied",
        }
    }
}

/// One move on a case (操作), with what it carries. The names follow domain.md's table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 上报/受理: the first event of every case.
    Report,
    /// 受理: accept the report for registration.
    Accept,
    /// 核实: send a supervisor to verify on site before registering.
    SendToVerify,
    /// 不予受理: reject the report, with a reason.
    Reject { reason: String },
    /// 核实反馈: the supervisor's finding on site.
    Verify { confirmed: bool, note: String },
    /// 立案: register, confirming or correcting category and grid.
    Register {
        category: CategoryCode,
        grid: GridCode,
    },
    /// 作废: void at registration (counts against accuracy).
    Void { reason: String },
    /// 派遣: to a lead unit, with assisting units (协办) that do not feed back.
    Dispatch { lead: UnitId, assists: Vec<UnitId> },
    /// 一案双派: to the territory (属地: a street or community under the holder) and the
    /// owner (属主: a department), or to several departments; each signs, contacts and feeds
    /// back on its own, and the case is checked once every one has.
    JointDispatch { units: Vec<UnitId> },
    /// 属地派遣: hand the case down to a street or community under the holder.
    DispatchDown { unit: UnitId },
    /// 反馈: the handler reports the work done, with after-photos.
    Feedback {
        unit: UnitId,
        note: String,
        photos: Vec<String>,
    },
    /// 申请回退/延期/挂账: the handler asks; `until` is the new due time for an extension.
    Request {
        kind: RequestKind,
        unit: UnitId,
        reason: String,
        until: Option<Millis>,
    },
    /// 审批: approve or deny the pending request (tiered: see the workflow rules).
    Decide {
        request: EventId,
        approve: bool,
        note: String,
    },
    /// 重启: reactivate a parked case.
    Reactivate,
    /// 核查: the supervisor checks the work; a failure is 返工 rework.
    Check { passed: bool, note: String },
    /// 结案: close.
    Close,
    /// 回访: call the citizen back and record their answers; not satisfied reopens the case.
    Callback {
        /// Whether the case ends here (满意/基本满意) or is reopened (不满意).
        satisfied: bool,
        /// 是否解决: the citizen's own answer (12345 解决率); absent on a callback recorded
        /// before the question was asked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolved: Option<bool>,
        /// 满意度: 满意/基本满意/不满意 (12345 满意率); when given, `satisfied` agrees with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rating: Option<Rating>,
        /// What the citizen said.
        note: String,
    },
    /// 上报 (escalate): hand the case up to the level above.
    Escalate { reason: String },
    /// 吹哨: a street summons departments, which must report in.
    Whistle { departments: Vec<UnitId> },
    /// 报到: a summoned department reports in.
    ReportIn { unit: UnitId },
    /// 签收: a unit the case was dispatched to signs for it, and answers for it from then on
    /// (首接负责).
    SignFor { unit: UnitId },
    /// 先行联系: the unit handling a 12345 case has contacted the caller, within its limit.
    Contact { unit: UnitId, note: String },
    /// 直接答复: the hotline answers a 咨询 on the call, which ends the case.
    Answer { note: String },
    /// 督办: supervision note from above; shows on the holder's screen.
    Supervise { note: String },
    /// 督办单: a supervision order from above to the holder or a handler, with its own
    /// deadline; the unit must reply ([`Action::Reply`]). `auto` when a node raised it for a
    /// red light (超时自动督办).
    Order {
        unit: UnitId,
        note: String,
        due: Millis,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        auto: bool,
    },
    /// 督办回复: the ordered unit answers a 督办单.
    Reply { order: EventId, note: String },
    /// 申诉: a handler disputes a decision against it (`against`: a failed 核查, a 不满意
    /// 回访 or a refused 退单), for a 领导 to decide.
    Appeal {
        unit: UnitId,
        against: EventId,
        reason: String,
    },
    /// 并案: this case is a duplicate of `into`, which answers for it; it leaves every count.
    Merge { into: CaseId, note: String },
    /// 并入: a duplicate was merged into this case; its caller is answered when this closes.
    Absorb { child: CaseId },
    /// 主案办结: the case this one was merged into was closed; this one closes with it and
    /// waits for its own caller's 回访.
    ParentClosed { parent: CaseId },
    /// 双向考核: the street rates a department that reported in to its whistle.
    Rate {
        unit: UnitId,
        rating: Rating,
        note: String,
    },
    /// 催办: urging note from above.
    Urge { note: String },
    /// 自处置: a community takes the case into its own hands (微循环).
    SelfHandle,
    /// 自结案: a community closes a case it handled itself, with evidence.
    SelfClose { evidence: Vec<String>, note: String },
    /// 冲突处理: a person with authority resolves a conflict by keeping one branch.
    Resolve { keep: EventId, note: String },
    /// 启动预案: open an emergency incident (战时) on a 突发事件 case, carrying the plan's
    /// checklist and limits so that every node derives the same incident.
    Activate {
        plan: String,
        name: String,
        level: u8,
        area: Vec<UnitId>,
        checklist: Vec<String>,
        limits: EmergencyLimits,
    },
    /// 预案落实: tick off checklist item `item` (0-based) of the incident. A note: ticks
    /// made concurrently never conflict.
    Tick { item: u32, note: String },
    /// 调度: summon units (each must 报到) and resources to the incident.
    Summon {
        units: Vec<UnitId>,
        resources: Vec<String>,
    },
    /// 解除: stand the incident down, back to 平时.
    StandDown { note: String },
    /// 纳入应急: put an open case in an incident's priority lane, on its short limits.
    Link { lane: Lane },
}

impl Action {
    /// The handling unit a move is made for (签收, 报到, 先行联系, 反馈, 申请 name it): the unit
    /// whose work it records, which may differ from the unit that made it (代录).
    pub fn for_unit(&self) -> Option<&UnitId> {
        match self {
            Action::SignFor { unit }
            | Action::ReportIn { unit }
            | Action::Contact { unit, .. }
            | Action::Feedback { unit, .. }
            | Action::Request { unit, .. }
            | Action::Appeal { unit, .. } => Some(unit),
            _ => None,
        }
    }

    /// 回访 with the citizen's two answers: solved or not, and how satisfied (不满意 reopens).
    pub fn callback(resolved: bool, rating: Rating, note: impl Into<String>) -> Action {
        Action::Callback {
            satisfied: rating.accepts(),
            resolved: Some(resolved),
            rating: Some(rating),
            note: note.into(),
        }
    }

    /// The snake_case name of the move, as stored in the trail.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Report => "report",
            Action::Accept => "accept",
            Action::SendToVerify => "send_to_verify",
            Action::Reject { .. } => "reject",
            Action::Verify { .. } => "verify",
            Action::Register { .. } => "register",
            Action::Void { .. } => "void",
            Action::Dispatch { .. } => "dispatch",
            Action::DispatchDown { .. } => "dispatch_down",
            Action::JointDispatch { .. } => "joint_dispatch",
            Action::Order { .. } => "order",
            Action::Reply { .. } => "reply",
            Action::Appeal { .. } => "appeal",
            Action::Merge { .. } => "merge",
            Action::Absorb { .. } => "absorb",
            Action::ParentClosed { .. } => "parent_closed",
            Action::Rate { .. } => "rate",
            Action::Feedback { .. } => "feedback",
            Action::Request { .. } => "request",
            Action::Decide { .. } => "decide",
            Action::Reactivate => "reactivate",
            Action::Check { .. } => "check",
            Action::Close => "close",
            Action::Callback { .. } => "callback",
            Action::Escalate { .. } => "escalate",
            Action::Whistle { .. } => "whistle",
            Action::ReportIn { .. } => "report_in",
            Action::SignFor { .. } => "sign_for",
            Action::Contact { .. } => "contact",
            Action::Answer { .. } => "answer",
            Action::Supervise { .. } => "supervise",
            Action::Urge { .. } => "urge",
            Action::SelfHandle => "self_handle",
            Action::SelfClose { .. } => "self_close",
            Action::Resolve { .. } => "resolve",
            Action::Activate { .. } => "activate",
            Action::Tick { .. } => "tick",
            Action::Summon { .. } => "summon",
            Action::StandDown { .. } => "stand_down",
            Action::Link { .. } => "link",
        }
    }

    /// The Chinese name of the move, for the trail and the buttons.
    pub fn label_zh(&self) -> &'static str {
        match self {
            Action::Report => "上报",
            Action::Accept => "受理",
            Action::SendToVerify => "派核实",
            Action::Reject { .. } => "不予受理",
            Action::Verify { .. } => "核实反馈",
            Action::Register { .. } => "立案",
            Action::Void { .. } => "作废",
            Action::Dispatch { assists, .. } if !assists.is_empty() => "派遣·协办",
            Action::Dispatch { .. } => "派遣",
            Action::JointDispatch { .. } => "一案双派",
            Action::Order { auto: true, .. } => "超时督办",
            Action::Order { .. } => "督办单",
            Action::Reply { .. } => "督办回复",
            Action::Appeal { .. } => "申诉",
            Action::Merge { .. } => "并案",
            Action::Absorb { .. } => "并入",
            Action::ParentClosed { .. } => "主案办结",
            Action::Rate { rating, .. } => match rating {
                Rating::Satisfied => "评价·满意",
                Rating::Fair => "评价·基本满意",
                Rating::Dissatisfied => "评价·不满意",
            },
            Action::DispatchDown { .. } => "属地派遣",
            Action::Feedback { .. } => "处置反馈",
            Action::Request { kind, .. } => match kind {
                RequestKind::SendBack => "申请回退",
                RequestKind::Extension => "申请延期",
                RequestKind::Park => "申请挂账",
                RequestKind::Appeal => "申诉",
            },
            Action::Decide { approve: true, .. } => "批准",
            Action::Decide { .. } => "驳回",
            Action::Reactivate => "重启",
            Action::Check { passed: true, .. } => "核查通过",
            Action::Check { .. } => "核查不通过",
            Action::Close => "结案",
            Action::Callback { .. } => "回访",
            Action::Escalate { .. } => "上报上级",
            Action::Whistle { .. } => "吹哨",
            Action::ReportIn { .. } => "报到",
            Action::SignFor { .. } => "签收",
            Action::Contact { .. } => "先行联系",
            Action::Answer { .. } => "直接答复",
            Action::Supervise { .. } => "督办",
            Action::Urge { .. } => "催办",
            Action::SelfHandle => "自处置",
            Action::SelfClose { .. } => "自结案",
            Action::Resolve { .. } => "冲突处理",
            Action::Activate { .. } => "启动预案",
            Action::Tick { .. } => "预案落实",
            Action::Summon { .. } => "应急调度",
            Action::StandDown { .. } => "解除应急",
            Action::Link { .. } => "纳入应急",
        }
    }

    /// Notes (督办/催办, 督办单 and replies, 预案落实, 街道评价, 并入) change no workflow state
    /// and never conflict with moves.
    pub fn is_note(&self) -> bool {
        matches!(
            self,
            Action::Supervise { .. }
                | Action::Urge { .. }
                | Action::Tick { .. }
                | Action::Order { .. }
                | Action::Reply { .. }
                | Action::Rate { .. }
                | Action::Absorb { .. }
        )
    }

    /// The opinion or reason text the move carries, if any.
    pub fn opinion(&self) -> Option<&str> {
        match self {
            Action::Reject { reason }
            | Action::Void { reason }
            | Action::Escalate { reason }
            | Action::Request { reason, .. }
            | Action::Appeal { reason, .. } => Some(reason.as_str()),
            Action::Order { note, .. }
            | Action::Reply { note, .. }
            | Action::Merge { note, .. }
            | Action::Rate { note, .. } => Some(note.as_str()),
            Action::Verify { note, .. }
            | Action::Feedback { note, .. }
            | Action::Decide { note, .. }
            | Action::Check { note, .. }
            | Action::Callback { note, .. }
            | Action::Contact { note, .. }
            | Action::Answer { note }
            | Action::Supervise { note }
            | Action::Urge { note }
            | Action::SelfClose { note, .. }
            | Action::Resolve { note, .. }
            | Action::Tick { note, .. }
            | Action::StandDown { note } => Some(note.as_str()),
            _ => None,
        }
        .filter(|s| !s.is_empty())
    }
}

/// One entry of the trail (流转记录): who did what, at which unit and role, when, and after
/// which event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id within the case.
    pub id: EventId,
    /// The events this one was made after: one normally, all branch tips for a resolution,
    /// none for the report.
    pub after: Vec<EventId>,
    /// Hybrid-logical-clock time of the move.
    pub at: Hlc,
    /// The node the move was made on.
    pub node: NodeId,
    /// The unit the person acted for. Written `author_unit` in JSON: flattened beside the
    /// move, whose own `unit` (属地派遣's target, a feedback's handler) would otherwise share
    /// its key.
    #[serde(rename = "author_unit")]
    pub unit: UnitId,
    /// The person's role there.
    pub role: Role,
    /// The move and what it carries.
    #[serde(flatten)]
    pub action: Action,
    /// Made while the author's node had no link to any peer (离线办理).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline: bool,
    /// The person who made the move (经办人), as they signed in at the workstation or named
    /// themselves with `--as`; the node's key still signs the change. Absent on moves made
    /// before people were recorded, and on a node's own automatic moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

impl Event {
    /// 代录: the handling unit this move records work for, when another unit made it on its
    /// behalf (the centre recording a department's feedback).
    pub fn on_behalf_of(&self) -> Option<&UnitId> {
        self.action.for_unit().filter(|u| **u != self.unit)
    }

    /// Wall time of the move in milliseconds.
    pub fn millis(&self) -> Millis {
        self.at.millis
    }

    /// Deterministic order key for ties: time, then id.
    pub fn order_key(&self) -> (Hlc, &EventId) {
        (self.at, &self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_json_names_the_move() {
        let a = Action::Dispatch {
            lead: UnitId::from("110101D01"),
            assists: vec![],
        };
        let j = serde_json::to_string(&a).unwrap();
        assert!(j.contains("\"action\":\"dispatch\""), "{j}");
        let back: Action = serde_json::from_str(&j).unwrap();
        assert_eq!(back, a);
        assert_eq!(a.name(), "dispatch");
    }
}
