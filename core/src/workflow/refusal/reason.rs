//! The reasons a move is refused (拒绝原因), one variant per thing that can be wrong, and
//! the check each names in the rule id.

use serde::{Deserialize, Serialize};

use crate::domain::case_id::CaseId;
use crate::domain::catalogue::CategoryCode;
use crate::domain::emergency::EmergencyLimits;
use crate::domain::event::{EventId, RequestKind};
use crate::domain::intake::Source;
use crate::domain::role::Role;
use crate::domain::unit::{GridCode, UnitId};

use super::super::state::State;
use super::{TextField, UnitRef};

/// What was wrong with a move (拒绝原因), with the facts the message names. Variants that
/// quote the move carry its name in `act` (a move's snake_case name, or `decide.{tier}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reason {
    // ---- who and where (岗位与单位) ----
    /// 岗位不符: only `allowed` roles at (or above) the holder may make the move.
    WrongRole {
        /// The move.
        act: String,
        /// The roles that may make it.
        allowed: Vec<Role>,
        /// The unit they must be at (the holder, or the approver for a send-back).
        holder: UnitRef,
        /// Whether a unit above `holder` may make it too.
        or_above: bool,
        /// The author's role.
        role: Role,
        /// The author's unit.
        unit: UnitRef,
    },
    /// 非承办单位: work for a handler is recorded by that handler or by the holder's
    /// 值班长/派遣员 on its behalf.
    NotForHandler {
        /// The move.
        act: String,
        /// The handler the work is for.
        handler: UnitRef,
        /// The case's holder.
        holder: UnitRef,
        /// The author's role.
        role: Role,
        /// The author's unit.
        unit: UnitRef,
    },
    /// 非上级督办: 督办/催办 come from a 领导 at or above, or a 值班长 above, the holder.
    NotAbove {
        /// The move (`supervise` or `urge`).
        act: String,
        /// The case's holder.
        holder: UnitRef,
        /// The author's role.
        role: Role,
        /// The author's unit.
        unit: UnitRef,
    },
    /// 非应急指挥: opening, summoning for and standing down an emergency is for the command
    /// roles at or above the holder.
    NotCommand {
        /// The move.
        act: String,
        /// The command roles at the author's unit.
        allowed: Vec<Role>,
        /// The case's holder.
        holder: UnitRef,
        /// The author's role.
        role: Role,
        /// The author's unit.
        unit: UnitRef,
    },
    /// 非应急范围: a checklist item is ticked off by command staff of the units in the
    /// emergency.
    NotInEmergency {
        /// The author's role.
        role: Role,
        /// The author's unit.
        unit: UnitRef,
    },
    /// 无权纳入应急: a case is put in a lane by command staff at or above its holder.
    NotCommandAbove {
        /// The case's holder.
        holder: UnitRef,
        /// The author's role.
        role: Role,
        /// The author's unit.
        unit: UnitRef,
    },

    // ---- state (状态) ----
    /// 状态不符: the move is allowed only in the `allowed` states.
    WrongState {
        /// The move.
        act: String,
        /// The states that allow it.
        allowed: Vec<State>,
        /// The case's state.
        state: State,
    },
    /// 无需督办: the case is no longer open (nor parked).
    NotOpen {
        /// The move (`supervise` or `urge`).
        act: String,
        /// The case's state.
        state: State,
    },
    /// 待审批: a request is waiting for approval.
    RequestPending {
        /// What it asks.
        kind: RequestKind,
        /// The request event.
        request: EventId,
    },
    /// 缺少说明: the move needs a reason or note.
    MissingText {
        /// The move.
        act: String,
        /// The missing field.
        field: TextField,
    },

    // ---- report (上报) ----
    /// 首条须为上报: the first event of a case must be the report.
    NotReportFirst,
    /// 重复上报: a case is reported only once.
    ReportedTwice,
    /// 缺少上报: the trail has no report event.
    NoReport,
    /// 未知单位.
    UnknownUnit {
        /// The unit code.
        unit: UnitId,
    },
    /// 未知网格.
    UnknownGrid {
        /// The grid code.
        grid: GridCode,
    },
    /// 未知类别.
    UnknownCategory {
        /// The category code.
        category: CategoryCode,
    },
    /// 越界上报: a unit reports only in its own territory.
    OutsideTerritory {
        /// The reporting unit (the holder).
        unit: UnitRef,
        /// The grid reported.
        grid: GridCode,
        /// The community the grid belongs to.
        community: UnitRef,
    },

    // ---- intake and registration (受理、立案) ----
    /// 社区不立案: a community self-handles or escalates.
    CommunityDoesNotRegister,
    /// 网格越界: the registered grid is outside the holder's territory.
    GridOutside {
        /// The grid.
        grid: GridCode,
        /// The holder.
        holder: UnitRef,
    },
    /// 仅社区自处置: only a community self-handles.
    NotCommunity,
    /// 非自处置: only a case the community handles itself is self-closed.
    NotSelfHandling,
    /// 缺少证据: self-closing needs evidence.
    NoEvidence,

    // ---- dispatch (派遣) ----
    /// 非部门: the unit named is not a department (or is unknown).
    NotDepartment {
        /// The unit named.
        unit: UnitRef,
    },
    /// 重复指定: a unit is named twice.
    NamedTwice {
        /// The unit.
        unit: UnitRef,
    },
    /// 非下级: the unit is not a street or community under the holder.
    NotBelow {
        /// The unit named.
        unit: UnitRef,
        /// The holder.
        holder: UnitRef,
    },
    /// 非属地: the case's grid is not in the unit's territory.
    GridNotInTerritory {
        /// The case's grid.
        grid: GridCode,
        /// The unit named.
        unit: UnitRef,
    },

    // ---- handling (处置、审批、核查、结案、回访) ----
    /// 自处置不反馈: a self-handled case is closed with 自结案.
    SelfHandledFeedback,
    /// 非主办单位: the unit is not the lead handler.
    NotLead {
        /// The unit.
        unit: UnitRef,
    },
    /// 非承办单位: the unit is not handling the case.
    NotHandling {
        /// The unit.
        unit: UnitRef,
    },
    /// 延期时限无效: an extension needs a due time later than the current one.
    ExtensionNotLater,
    /// 自处置不回退: a self-handled case cannot be sent back.
    SelfHandledSendBack,
    /// 无待审批申请.
    NoPendingRequest,
    /// 非待审批申请: the decision names another request than the waiting one.
    OtherRequest {
        /// The waiting request.
        waiting: EventId,
        /// The request named.
        named: EventId,
    },
    /// 无需回访: only hotline and public cases are called back.
    NoCallback {
        /// The case's source.
        source: Source,
    },
    /// 已回访.
    CallbackDone,
    /// 回访答复不一致: the satisfaction answer and whether the case ends disagree.
    CallbackDisagrees,
    /// 无冲突: there is no conflict to resolve on this branch.
    NoConflict,

    // ---- escalation and whistle (上报上级、吹哨报到) ----
    /// 已到最高层级: no level above the holder to escalate to.
    NoLevelAbove {
        /// The holder.
        holder: UnitRef,
    },
    /// 仅街道吹哨.
    NotStreet,
    /// 未指定部门: a whistle names at least one department.
    NoDepartments,
    /// 已报到.
    AlreadyReportedIn {
        /// The unit.
        unit: UnitRef,
    },
    /// 未被召集: the unit was not summoned.
    NotSummoned {
        /// The unit.
        unit: UnitRef,
    },
    /// 已签收.
    AlreadySigned {
        /// The unit.
        unit: UnitRef,
    },
    /// 已先行联系.
    AlreadyContacted {
        /// The unit.
        unit: UnitRef,
    },
    /// 无诉求人可联系: only a hotline or public case has a caller to contact first.
    NoCaller {
        /// The case's source.
        source: Source,
    },
    /// 非咨询: only a 12345 咨询 is answered directly.
    NotConsult,
    /// 已反馈: the unit of a 一案双派 has fed back since the last 核查.
    AlreadyFedBack {
        /// The unit.
        unit: UnitRef,
    },
    /// 一案双派对象无效: two or more different units, each a department or a street or
    /// community under the holder whose territory holds the case.
    JointUnits,
    /// 督办对象无效: a 督办单 goes to the holder or a unit handling the case.
    NotOrderable {
        /// The unit named.
        unit: UnitRef,
    },
    /// 督办期限无效: a 督办单's reply is due after it is issued.
    OrderDueBefore,
    /// 无此督办单: no unanswered 督办单 to this unit with that id.
    NoOrder {
        /// The order named.
        order: EventId,
    },
    /// 无可申诉: the appeal names no failed 核查, 不满意 回访 or refused 退单 of this unit.
    NothingToAppeal {
        /// The decision named.
        against: EventId,
    },
    /// 并案对象无效: a case is not merged into itself, nor into a case merged elsewhere.
    MergeTarget,
    /// 未并案: only a merged case closes with the case it was merged into.
    NotMerged,
    /// 未报到: the street rates only a department that reported in to its whistle.
    NotReportedIn {
        /// The unit.
        unit: UnitRef,
    },
    /// 已评价.
    AlreadyRated {
        /// The unit.
        unit: UnitRef,
    },

    // ---- emergency (应急) ----
    /// 已启动预案: the case already opened an incident.
    AlreadyActivated,
    /// 非突发事件: only an E04 case opens an emergency.
    NotIncidentClass {
        /// The case's category.
        category: CategoryCode,
    },
    /// 响应级别无效: not 1 (Ⅰ级) to 4 (Ⅳ级).
    BadLevel {
        /// The level given.
        level: u8,
    },
    /// 未指定范围: the emergency names no area.
    EmptyArea,
    /// 范围单位无效: an area unit is not a district, street or community.
    NotAreaUnit {
        /// The unit.
        unit: UnitRef,
    },
    /// 越界转入战时: a unit puts only its own territory in 战时.
    AreaOutside {
        /// The author's unit.
        by: UnitRef,
        /// The unit outside it.
        unit: UnitRef,
    },
    /// 预案清单无效: empty, or with an empty item.
    BadChecklist,
    /// 应急时限无效: a limit of zero minutes.
    ZeroLimit {
        /// The limits given.
        limits: EmergencyLimits,
    },
    /// 应急已解除: the incident has been stood down.
    IncidentEnded,
    /// 非应急事件: the case opened no incident.
    NoIncident,
    /// 无此清单项.
    NoSuchItem {
        /// How many items the plan has.
        items: usize,
        /// The item named (0-based; shown 1-based).
        item: u32,
    },
    /// 清单项已落实.
    ItemDone {
        /// The item (0-based; shown 1-based).
        item: u32,
        /// Its text.
        text: String,
    },
    /// 未指定调度对象: neither a unit nor a resource.
    NothingSummoned,
    /// 不可调度: a department, or a street or community in the area, may be summoned.
    CannotSummon {
        /// The unit.
        unit: UnitRef,
    },
    /// 已调度.
    AlreadySummoned {
        /// The unit.
        unit: UnitRef,
    },
    /// 应急事件即通道: an incident is not put in a lane.
    IncidentIsLane,
    /// 已纳入应急.
    AlreadyInLane {
        /// The incident whose lane the case is in.
        incident: CaseId,
    },

    // ---- replay and conflicts (回放、冲突) ----
    /// 冲突处理无效: a resolution names the kept branch among the tips it joins.
    ResolveBranches,
    /// 保留分支无效: the kept branch is not valid.
    KeptInvalid {
        /// The kept branch's tip.
        keep: EventId,
    },
    /// 非冲突分支: the kept event is not the tip of a conflicting branch.
    NotConflictTip {
        /// The event named.
        keep: EventId,
    },
    /// 须接续一条记录: an ordinary move is made after exactly one event.
    NotSingleAfter,
    /// 前序记录缺失: the event it was made after is not in the trail.
    AfterMissing,
    /// 存在冲突 (冲突): resolve it before any other move.
    InConflict,
}

impl Reason {
    /// The check part of the rule id (`role`, `state`, `target`…).
    pub fn check(&self) -> &'static str {
        use Reason::*;
        match self {
            WrongRole { .. }
            | NotForHandler { .. }
            | NotAbove { .. }
            | NotCommand { .. }
            | NotInEmergency { .. }
            | NotCommandAbove { .. } => "role",
            WrongState { .. } | NotOpen { .. } => "state",
            RequestPending { .. } | NoPendingRequest => "pending",
            MissingText { field, .. } => field.code(),
            NotReportFirst => "first",
            ReportedTwice | AlreadyActivated => "once",
            NoReport | AfterMissing => "missing",
            UnknownUnit { .. } | CannotSummon { .. } => "unit",
            UnknownGrid { .. } | GridOutside { .. } => "grid",
            UnknownCategory { .. } | NotIncidentClass { .. } => "category",
            OutsideTerritory { .. } => "scope",
            CommunityDoesNotRegister | NotCommunity | NotStreet | BadLevel { .. } => "level",
            NotSelfHandling | SelfHandledFeedback => "self_handling",
            NoEvidence => "evidence",
            NotDepartment { .. }
            | NamedTwice { .. }
            | NotBelow { .. }
            | NoDepartments
            | NothingSummoned => "target",
            GridNotInTerritory { .. } => "territory",
            NotLead { .. } => "lead",
            NotHandling { .. } => "handler",
            ExtensionNotLater => "until",
            SelfHandledSendBack => "send_back",
            OtherRequest { .. } => "request",
            NoCallback { .. } => "source",
            CallbackDone
            | AlreadyReportedIn { .. }
            | AlreadySigned { .. }
            | AlreadyContacted { .. }
            | AlreadyFedBack { .. }
            | AlreadyRated { .. }
            | ItemDone { .. } => "done",
            JointUnits | NotOrderable { .. } | MergeTarget => "target",
            OrderDueBefore => "due",
            NoOrder { .. } => "order",
            NothingToAppeal { .. } => "appeal",
            NotMerged => "merged",
            NotReportedIn { .. } => "summons",
            NoCaller { .. } => "source",
            NotConsult => "demand",
            CallbackDisagrees => "answers",
            NoConflict => "conflict",
            NoLevelAbove { .. } => "top",
            NotSummoned { .. } => "summons",
            EmptyArea | NotAreaUnit { .. } | AreaOutside { .. } => "area",
            BadChecklist => "checklist",
            ZeroLimit { .. } => "limits",
            IncidentEnded => "ended",
            NoIncident | IncidentIsLane => "incident",
            NoSuchItem { .. } => "item",
            AlreadySummoned { .. } | AlreadyInLane { .. } => "twice",
            ResolveBranches => "branches",
            KeptInvalid { .. } | NotConflictTip { .. } => "keep",
            NotSingleAfter => "single",
            InConflict => "resolve_first",
        }
    }
}
