//! Every reason's rule id and English text, as the untyped refusals wrote them, its Chinese
//! text, and the serialized form.

use super::{Reason, Refusal, TextField, UnitRef};
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::CategoryCode;
use crate::domain::emergency::EmergencyLimits;
use crate::domain::event::{EventId, RequestKind};
use crate::domain::intake::Source;
use crate::domain::role::Role;
use crate::domain::unit::{GridCode, UnitId};
use crate::workflow::State;

fn unit(name: &str, id: &str) -> UnitRef {
    UnitRef {
        id: UnitId(id.into()),
        name: Some(name.into()),
    }
}

fn unknown(id: &str) -> UnitRef {
    UnitRef {
        id: UnitId(id.into()),
        name: None,
    }
}

fn street() -> UnitRef {
    unit("东华门街道", "110101001")
}

fn district() -> UnitRef {
    unit("东城区", "110101")
}

fn dept() -> UnitRef {
    unit("城管执法局", "110101D01")
}

fn grid() -> GridCode {
    GridCode::parse("110101001001001").unwrap()
}

/// (scope, reason, rule id, English message) for every variant.
fn cases() -> Vec<(&'static str, Reason, &'static str, &'static str)> {
    use Reason::*;
    vec![
        (
            "dispatch",
            WrongRole {
                act: "dispatch".into(),
                allowed: vec![Role::Dispatcher, Role::ShiftLead],
                holder: street(),
                or_above: false,
                role: Role::Dispatcher,
                unit: district(),
            },
            "dispatch.role",
            "dispatch may be made only by 派遣员/值班长 at 东华门街道 (110101001) (the holder); you are 派遣员 at 东城区 (110101)",
        ),
        (
            "decide.further 延期 (tiered)",
            WrongRole {
                act: "decide.further 延期 (tiered)".into(),
                allowed: vec![Role::Leader],
                holder: district(),
                or_above: true,
                role: Role::ShiftLead,
                unit: district(),
            },
            "decide.further 延期 (tiered).role",
            "decide.further 延期 (tiered) may be made only by 领导 at or above 东城区 (110101) (the holder); you are 值班长 at 东城区 (110101)",
        ),
        (
            "request",
            NotForHandler {
                act: "request".into(),
                handler: dept(),
                holder: district(),
                role: Role::Handler,
                unit: unit("环卫中心", "110101D02"),
            },
            "request.role",
            "request for 城管执法局 (110101D01) may be made only by that unit's handler or by the holder 东城区 (110101)'s 值班长/派遣员 on its behalf; you are 处置人员 at 环卫中心 (110101D02)",
        ),
        (
            "supervise",
            NotAbove {
                act: "supervise".into(),
                holder: street(),
                role: Role::ShiftLead,
                unit: street(),
            },
            "supervise.role",
            "supervise is made by a 领导 at or above, or a 值班长 above, the holder 东华门街道 (110101001); you are 值班长 at 东华门街道 (110101001)",
        ),
        (
            "activate",
            NotCommand {
                act: "activate".into(),
                allowed: vec![Role::ShiftLead, Role::Leader],
                holder: district(),
                role: Role::Intake,
                unit: district(),
            },
            "activate.role",
            "activate is made by 值班长/领导 at or above the holder 东城区 (110101); you are 受理员 at 东城区 (110101)",
        ),
        (
            "tick",
            NotInEmergency {
                role: Role::ShiftLead,
                unit: unit("景山街道", "110101002"),
            },
            "tick.role",
            "the checklist is ticked off by command staff of the units in the emergency; you are 值班长 at 景山街道 (110101002)",
        ),
        (
            "link",
            NotCommandAbove {
                holder: district(),
                role: Role::Handler,
                unit: dept(),
            },
            "link.role",
            "a case is put in an emergency lane by command staff at or above its holder 东城区 (110101); you are 处置人员 at 城管执法局 (110101D01)",
        ),
        (
            "whistle",
            WrongState {
                act: "whistle".into(),
                allowed: vec![State::ToRegister, State::ToDispatch, State::Handling],
                state: State::Reported,
            },
            "whistle.state",
            "whistle is allowed only in state 待立案/待派遣/处置中; the case is 待受理",
        ),
        (
            "urge",
            NotOpen {
                act: "urge".into(),
                state: State::Archived,
            },
            "urge.state",
            "the case is 已归档; nothing to supervise",
        ),
        (
            "feedback",
            RequestPending {
                kind: RequestKind::SendBack,
                request: EventId("e5".into()),
            },
            "feedback.pending",
            "a 回退 request (e5) is waiting for approval",
        ),
        (
            "reject",
            MissingText {
                act: "reject".into(),
                field: TextField::Reason,
            },
            "reject.reason",
            "reject needs a reason",
        ),
        (
            "resolve",
            MissingText {
                act: "resolve".into(),
                field: TextField::Note,
            },
            "resolve.note",
            "resolve needs a note",
        ),
        (
            "report",
            NotReportFirst,
            "report.first",
            "the first event of a case must be the report",
        ),
        (
            "report",
            ReportedTwice,
            "report.once",
            "a case is reported only once",
        ),
        (
            "report",
            NoReport,
            "report.missing",
            "the trail has no report event",
        ),
        (
            "report",
            UnknownUnit {
                unit: UnitId("110101999".into()),
            },
            "report.unit",
            "unknown unit 110101999",
        ),
        (
            "report",
            UnknownGrid { grid: grid() },
            "report.grid",
            "unknown grid code 110101001001001",
        ),
        (
            "register",
            UnknownCategory {
                category: CategoryCode::parse("E0102").unwrap(),
            },
            "register.category",
            "unknown category code E0102",
        ),
        (
            "report",
            OutsideTerritory {
                unit: street(),
                grid: grid(),
                community: unit("多福巷社区", "110101001001"),
            },
            "report.scope",
            "东华门街道 (110101001) may report only in its own territory; grid 110101001001001 belongs to 多福巷社区 (110101001001)",
        ),
        (
            "accept",
            CommunityDoesNotRegister,
            "accept.level",
            "a community handles its cases itself (自处置) or escalates them; it does not register",
        ),
        (
            "register",
            GridOutside {
                grid: grid(),
                holder: street(),
            },
            "register.grid",
            "grid 110101001001001 is outside 东华门街道 (110101001)'s territory",
        ),
        (
            "self_handle",
            NotCommunity,
            "self_handle.level",
            "only a community self-handles (微循环)",
        ),
        (
            "self_close",
            NotSelfHandling,
            "self_close.self_handling",
            "only a case the community handles itself (自处置) is self-closed",
        ),
        (
            "self_close",
            NoEvidence,
            "self_close.evidence",
            "self-closing needs evidence (a photo or note reference)",
        ),
        (
            "dispatch",
            NotDepartment { unit: street() },
            "dispatch.target",
            "东华门街道 (110101001) is not a department",
        ),
        (
            "whistle",
            NotDepartment {
                unit: unknown("110101D99"),
            },
            "whistle.target",
            "unknown unit 110101D99",
        ),
        (
            "dispatch",
            NamedTwice { unit: dept() },
            "dispatch.target",
            "城管执法局 (110101D01) is named twice",
        ),
        (
            "dispatch_down",
            NotBelow {
                unit: unknown("1"),
                holder: district(),
            },
            "dispatch_down.target",
            "unknown unit 1 is not a street or community under 东城区 (110101)",
        ),
        (
            "dispatch_down",
            GridNotInTerritory {
                grid: grid(),
                unit: unit("景山街道", "110101002"),
            },
            "dispatch_down.territory",
            "grid 110101001001001 is not in 景山街道 (110101002)'s territory (属地)",
        ),
        (
            "feedback",
            SelfHandledFeedback,
            "feedback.self_handling",
            "a self-handled case (自处置) is closed with 自结案, not fed back",
        ),
        (
            "feedback",
            NotLead {
                unit: unit("环卫中心", "110101D02"),
            },
            "feedback.lead",
            "环卫中心 (110101D02) is not the lead handler of this case",
        ),
        (
            "request",
            NotHandling { unit: dept() },
            "request.handler",
            "城管执法局 (110101D01) is not handling this case",
        ),
        (
            "request",
            ExtensionNotLater,
            "request.until",
            "an extension needs a new due time later than the current one",
        ),
        (
            "request",
            SelfHandledSendBack,
            "request.send_back",
            "a self-handled case cannot be sent back; escalate it instead",
        ),
        (
            "decide",
            NoPendingRequest,
            "decide.pending",
            "no request is waiting for approval",
        ),
        (
            "decide",
            OtherRequest {
                waiting: EventId("a1".into()),
                named: EventId("b2".into()),
            },
            "decide.request",
            "the waiting request is a1, not b2",
        ),
        (
            "callback",
            NoCallback {
                source: Source::Supervisor,
            },
            "callback.source",
            "only hotline and public cases are called back; this one came from 监督员上报",
        ),
        (
            "callback",
            CallbackDone,
            "callback.done",
            "the callback was already made",
        ),
        (
            "callback",
            CallbackDisagrees,
            "callback.answers",
            "the satisfaction answer disagrees with whether the case ends: dissatisfied reopens it, satisfied or fairly satisfied ends it",
        ),
        (
            "resolve",
            NoConflict,
            "resolve.conflict",
            "there is no conflict to resolve on this branch",
        ),
        (
            "escalate",
            NoLevelAbove { holder: district() },
            "escalate.top",
            "东城区 (110101) has no level above it to escalate to",
        ),
        (
            "whistle",
            NotStreet,
            "whistle.level",
            "only a street blows the whistle (街道吹哨、部门报到)",
        ),
        (
            "whistle",
            NoDepartments,
            "whistle.target",
            "name at least one department",
        ),
        (
            "report_in",
            AlreadyReportedIn { unit: dept() },
            "report_in.done",
            "城管执法局 (110101D01) has already reported in",
        ),
        (
            "report_in",
            NotSummoned { unit: dept() },
            "report_in.summons",
            "城管执法局 (110101D01) was not summoned",
        ),
        (
            "sign_for",
            AlreadySigned { unit: dept() },
            "sign_for.done",
            "城管执法局 (110101D01) has already signed for the case",
        ),
        (
            "contact",
            AlreadyContacted { unit: dept() },
            "contact.done",
            "城管执法局 (110101D01) has already contacted the caller",
        ),
        (
            "contact",
            NoCaller {
                source: Source::Supervisor,
            },
            "contact.source",
            "only hotline and public cases have a caller to contact; this one came from 监督员上报",
        ),
        (
            "answer",
            NotConsult,
            "answer.demand",
            "only a 12345 consultation (咨询) is answered directly",
        ),
        (
            "activate",
            AlreadyActivated,
            "activate.once",
            "this case has already opened an emergency incident",
        ),
        (
            "activate",
            NotIncidentClass {
                category: CategoryCode::parse("E0102").unwrap(),
            },
            "activate.category",
            "only a 突发事件 (E04xx) case opens an emergency; this one is E0102",
        ),
        (
            "activate",
            BadLevel { level: 5 },
            "activate.level",
            "response level 5 is not 1 (Ⅰ级) to 4 (Ⅳ级)",
        ),
        (
            "activate",
            EmptyArea,
            "activate.area",
            "name the area the emergency covers",
        ),
        (
            "activate",
            NotAreaUnit { unit: dept() },
            "activate.area",
            "城管执法局 (110101D01) is not a district, street or community",
        ),
        (
            "activate",
            AreaOutside {
                by: street(),
                unit: unit("景山街道", "110101002"),
            },
            "activate.area",
            "东华门街道 (110101001) may put only its own territory in 战时, not 景山街道 (110101002)",
        ),
        (
            "activate",
            BadChecklist,
            "activate.checklist",
            "a plan needs a checklist with no empty item",
        ),
        (
            "link",
            ZeroLimit {
                limits: EmergencyLimits {
                    handle: 0,
                    ..EmergencyLimits::default()
                },
            },
            "link.limits",
            "limit `handle` must be at least 1 minute",
        ),
        (
            "tick",
            IncidentEnded,
            "tick.ended",
            "the emergency incident has been stood down (解除)",
        ),
        (
            "summon",
            NoIncident,
            "summon.incident",
            "this case is not an emergency incident (启动预案 first)",
        ),
        (
            "tick",
            NoSuchItem { items: 6, item: 6 },
            "tick.item",
            "the plan has 6 items; there is no item 7",
        ),
        (
            "tick",
            NoSuchItem {
                items: 6,
                item: u32::MAX,
            },
            "tick.item",
            "the plan has 6 items; there is no item 4294967296",
        ),
        (
            "tick",
            ItemDone {
                item: 0,
                text: "启动防汛值班".into(),
            },
            "tick.done",
            "item 1 (“启动防汛值班”) is already done",
        ),
        (
            "summon",
            NothingSummoned,
            "summon.target",
            "name at least one unit or resource to summon",
        ),
        (
            "summon",
            CannotSummon {
                unit: unit("景山街道", "110101002"),
            },
            "summon.unit",
            "景山街道 (110101002) cannot be summoned: a department, or a street or community in the emergency's area",
        ),
        (
            "summon",
            AlreadySummoned { unit: dept() },
            "summon.twice",
            "城管执法局 (110101D01) is already summoned",
        ),
        (
            "link",
            IncidentIsLane,
            "link.incident",
            "an emergency incident is not put in a lane; it is the lane",
        ),
        (
            "link",
            AlreadyInLane {
                incident: CaseId("c0ffee".into()),
            },
            "link.twice",
            "the case is already in the lane of incident c0ffee",
        ),
        (
            "resolve",
            ResolveBranches,
            "resolve.branches",
            "a resolution names the branch it keeps among the tips it joins",
        ),
        (
            "resolve",
            KeptInvalid {
                keep: EventId("e7".into()),
            },
            "resolve.keep",
            "kept branch e7 is not valid",
        ),
        (
            "resolve",
            NotConflictTip {
                keep: EventId("e7".into()),
            },
            "resolve.keep",
            "e7 is not the tip of a conflicting branch",
        ),
        (
            "after",
            NotSingleAfter,
            "after.single",
            "an ordinary move is made after exactly one event",
        ),
        (
            "after",
            AfterMissing,
            "after.missing",
            "the event it was made after is not in the trail",
        ),
        (
            "conflict",
            InConflict,
            "conflict.resolve_first",
            "the case is in conflict (冲突): resolve it before any other move",
        ),
    ]
}

#[test]
fn every_reason_keeps_its_rule_id_and_english_text() {
    for (scope, reason, rule, message) in cases() {
        let r = Refusal::new(scope, reason);
        assert_eq!(r.rule, rule);
        assert_eq!(r.rule_id(), rule);
        assert_eq!(r.rule.scope(), scope);
        assert_eq!(r.message_en(), message);
        assert_eq!(
            r.to_string(),
            format!("refused by rule `{rule}`: {message}")
        );
        let zh = r.message_zh();
        assert!(!zh.is_empty() && !zh.contains("may "), "{rule}: {zh}");
    }
}

#[test]
fn the_chinese_text_is_short_and_names_units_by_name() {
    let r = Refusal::new(
        "dispatch",
        Reason::WrongState {
            act: "dispatch".into(),
            allowed: vec![State::ToDispatch],
            state: State::Reported,
        },
    );
    assert_eq!(
        r.message_zh(),
        "只有在「待派遣」状态才能派遣；本案当前为「待受理」"
    );
    let r = Refusal::new(
        "close",
        Reason::WrongRole {
            act: "close".into(),
            allowed: vec![Role::ShiftLead],
            holder: street(),
            or_above: false,
            role: Role::ShiftLead,
            unit: district(),
        },
    );
    assert_eq!(
        r.message_zh(),
        "只有东华门街道的值班长可以结案；您是东城区的值班长"
    );
    let r = Refusal::new(
        "activate",
        Reason::ZeroLimit {
            limits: EmergencyLimits {
                accept: 0,
                ..EmergencyLimits::default()
            },
        },
    );
    assert_eq!(r.message_zh(), "应急时限「受理」至少为 1 分钟");
}

#[test]
fn a_refusal_serializes_with_its_rule_message_and_reason() {
    for (scope, reason, rule, message) in cases() {
        let r = Refusal::new(scope, reason);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["rule"], rule);
        assert_eq!(v["message"], message);
        let back: Refusal = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
    }
    let forged = serde_json::json!({
        "rule": "dispatch.state",
        "message": "",
        "reason": {"type": "no_report"},
    });
    assert!(serde_json::from_value::<Refusal>(forged).is_err());
}
