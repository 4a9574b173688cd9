//! Every move of the workflow, every forbidden move and the rule that refuses it, and
//! conflicts made by concurrent moves.

mod common;

use common::*;
use gridloop_core::domain::calendar::Light;
use gridloop_core::domain::event::{Action, Rating, RequestKind};
use gridloop_core::domain::intake::Demand;
use gridloop_core::domain::role::Role::*;
use gridloop_core::workflow::{Loop, Reason, State, Step, TextField};

#[test]
fn district_loop_from_hotline_to_archive() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.district, Intake, "hotline");
    assert_eq!(c.state().state, State::Reported);
    assert_eq!(c.state().level, Loop::District);
    c.ok(&f.district, Intake, Action::Accept);
    assert_eq!(c.state().state, State::ToRegister);
    c.ok(&f.district, ShiftLead, f.register(&c));
    assert_eq!(c.state().state, State::ToDispatch);
    c.ok(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    assert_eq!(c.state().state, State::Handling);
    assert!(c.state().overall.is_some(), "the clock starts at dispatch");
    c.ok(&f.dept, Handler, f.feedback());
    assert_eq!(c.state().state, State::ToCheck);
    c.ok(
        &f.district,
        Supervisor,
        Action::Check {
            passed: true,
            note: "ok".into(),
        },
    );
    assert_eq!(c.state().state, State::ToClose);
    c.ok(&f.district, ShiftLead, Action::Close);
    assert_eq!(c.state().state, State::Closed);
    c.ok(
        &f.district,
        Callback,
        Action::callback(true, Rating::Satisfied, "满意"),
    );
    assert_eq!(c.state().state, State::Archived);
    assert_eq!(c.state().satisfied, Some(true));
    assert!(c.derived().conflict.is_none());
}

#[test]
fn unsatisfied_callback_reopens_and_counts_rework() {
    let f = Fixture::new();
    let mut c = f.closed_hotline_case();
    c.ok(
        &f.district,
        Callback,
        Action::callback(false, Rating::Dissatisfied, "没修好"),
    );
    assert_eq!(c.state().state, State::Handling);
    assert_eq!(c.state().rework, 1);
}

#[test]
fn verify_before_register_and_not_found_rejects() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.district, Intake, "supervisor");
    c.ok(&f.district, Intake, Action::SendToVerify);
    assert_eq!(c.state().state, State::Verifying);
    c.refused(
        &f.district,
        Intake,
        Action::Verify {
            confirmed: true,
            note: String::new(),
        },
        "verify.role",
    );
    // A street supervisor is below the district holder.
    c.refused(
        &f.street,
        Supervisor,
        Action::Verify {
            confirmed: true,
            note: "属实".into(),
        },
        "verify.role",
    );
    assert_eq!(c.state().state, State::Verifying);
    c.ok(
        &f.district,
        Supervisor,
        Action::Verify {
            confirmed: false,
            note: "未发现".into(),
        },
    );
    assert_eq!(c.state().state, State::Rejected);
}

#[test]
fn reject_and_void_need_reasons_and_end_the_case() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.district, Intake, "hotline");
    c.refused(
        &f.district,
        Intake,
        Action::Reject { reason: " ".into() },
        "reject.reason",
    );
    c.ok(
        &f.district,
        Intake,
        Action::Reject {
            reason: "不属于城市管理范围".into(),
        },
    );
    assert_eq!(c.state().state, State::Rejected);
    c.refused(&f.district, Intake, Action::Accept, "accept.state");

    let mut v = f.case_at(&f.district, Intake, "hotline");
    v.ok(&f.district, Intake, Action::Accept);
    v.refused(
        &f.district,
        Intake,
        Action::Void {
            reason: "重复".into(),
        },
        "void.role",
    );
    v.ok(
        &f.district,
        ShiftLead,
        Action::Void {
            reason: "重复".into(),
        },
    );
    assert_eq!(v.state().state, State::Voided);
}

#[test]
fn register_checks_category_grid_and_territory() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.street, Supervisor, "supervisor");
    c.ok(&f.street, Intake, Action::Accept);
    let other_grid = f.grid_outside_street();
    c.refused(
        &f.street,
        ShiftLead,
        Action::Register {
            category: f.category.clone(),
            grid: other_grid,
        },
        "register.grid",
    );
    c.refused(&f.street, Dispatcher, f.register(&c), "register.role");
    c.ok(&f.street, ShiftLead, f.register(&c));
}

#[test]
fn dispatch_down_to_street_then_street_loop_closes() {
    let f = Fixture::new();
    let mut c = f.registered_district_case();
    c.refused(
        &f.district,
        Dispatcher,
        Action::DispatchDown {
            unit: f.other_street(),
        },
        "dispatch_down.territory",
    );
    c.ok(
        &f.district,
        Dispatcher,
        Action::DispatchDown {
            unit: f.street.clone(),
        },
    );
    assert_eq!(c.state().holder, f.street);
    assert_eq!(c.state().level, Loop::Street);
    assert_eq!(c.state().state, State::ToDispatch);
    c.refused(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
        "dispatch.role",
    );
    c.ok(
        &f.street,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![f.dept2.clone()],
        },
    );
    assert_eq!(
        c.state().handlers,
        vec![f.dept.clone(), f.dept2.clone()],
        "一案双派: lead then assist"
    );
    c.refused(
        &f.dept2,
        Handler,
        Action::Feedback {
            unit: f.dept2.clone(),
            note: "x".into(),
            photos: vec![],
        },
        "feedback.lead",
    );
    c.ok(&f.street, Dispatcher, f.feedback());
    c.ok(
        &f.street,
        Supervisor,
        Action::Check {
            passed: false,
            note: "返工".into(),
        },
    );
    assert_eq!(c.state().state, State::Handling);
    assert_eq!(c.state().rework, 1);
    c.ok(&f.dept, Handler, f.feedback());
    c.ok(
        &f.district,
        Supervisor,
        Action::Check {
            passed: true,
            note: "ok".into(),
        },
    );
    c.refused(&f.district, ShiftLead, Action::Close, "close.role");
    c.ok(&f.street, ShiftLead, Action::Close);
    assert_eq!(c.state().state, State::Closed);
    assert!(c.state().units.contains(&f.district) && c.state().units.contains(&f.street));
}

#[test]
fn a_case_handed_down_to_a_community_goes_back_for_closing() {
    let f = Fixture::new();
    for (route, closer) in [
        // District → street → community: the street, which handed it down, closes it.
        (
            vec![f.street.clone(), f.community.clone()],
            f.street.clone(),
        ),
        // District → community directly: the district closes it.
        (vec![f.community.clone()], f.district.clone()),
    ] {
        let mut c = f.registered_district_case();
        let mut from = f.district.clone();
        for to in &route {
            c.ok(&from, Dispatcher, Action::DispatchDown { unit: to.clone() });
            from = to.clone();
        }
        assert_eq!(c.state().holder, f.community);
        assert_eq!(c.state().state, State::Handling);
        assert_eq!(c.state().handlers, vec![f.community.clone()]);
        c.ok(
            &f.community,
            StationChief,
            Action::Feedback {
                unit: f.community.clone(),
                note: "已清理".into(),
                photos: vec!["photo://after".into()],
            },
        );
        // The community does not check its own work.
        c.refused(
            &f.community,
            StationChief,
            Action::Check {
                passed: true,
                note: "ok".into(),
            },
            "check.role",
        );
        c.ok(
            &f.street,
            Supervisor,
            Action::Check {
                passed: true,
                note: "ok".into(),
            },
        );
        let s = c.state();
        assert_eq!(s.state, State::ToClose);
        assert_eq!(s.holder, closer, "back with the unit that handed it down");
        assert_eq!(s.down_from, None);
        assert!(
            s.units.contains(&f.community),
            "the community still sees it"
        );
        c.refused(&f.community, StationChief, Action::Close, "close.role");
        c.ok(&closer, ShiftLead, Action::Close);
        assert_eq!(c.state().state, State::Closed);
        // A hotline case is called back and archived as any other.
        c.ok(
            &f.district,
            Callback,
            Action::callback(true, Rating::Satisfied, "满意"),
        );
        assert_eq!(c.state().state, State::Archived);
    }
}

#[test]
fn an_extension_asks_for_working_time_added_to_the_current_due_time() {
    let f = Fixture::new();
    // 私搭乱建: 20 working days to handle.
    let mut c = f.case_at(&f.district, Intake, "hotline");
    c.intake.category = gridloop_core::domain::catalogue::CategoryCode::parse("E0101").unwrap();
    f.accept_and_dispatch(&mut c);
    let due = c.state().overall.expect("clock runs").due;
    // What the workstation asked before: now + 3 natural days, before a due time 20 working
    // days away, so the request was refused.
    c.refused(
        &f.dept,
        Handler,
        Action::Request {
            kind: RequestKind::Extension,
            unit: f.dept.clone(),
            reason: "材料未到".into(),
            until: Some(c.t + 3 * DAY),
        },
        "request.until",
    );
    let four_hours = gridloop_core::domain::calendar::TimeLimit::parse("4h").unwrap();
    let until = f.rules().extension_until(&c.state(), c.t, four_hours);
    // Four working hours after the current due time, as the calendar counts them: later than
    // it, never "now + N natural days", which can fall before it.
    assert!(until > due);
    assert_eq!(
        f.calendar.working_minutes_between(due, until),
        240,
        "four working hours"
    );
    c.ok(
        &f.dept,
        Handler,
        Action::Request {
            kind: RequestKind::Extension,
            unit: f.dept.clone(),
            reason: "材料未到".into(),
            until: Some(until),
        },
    );
    // Past the due time, an extension counts from now.
    let late = due + 3 * DAY;
    let from_now = f.rules().extension_until(&c.state(), late, four_hours);
    assert_eq!(f.calendar.working_minutes_between(late, from_now), 240);
}

#[test]
fn a_department_signs_for_its_case_and_the_centre_records_for_it_as_such() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    let r = &c.state().receipts;
    assert_eq!(r.len(), 1);
    assert_eq!((&r[0].unit, r[0].signed), (&f.dept, None));
    // 1 working hour from dispatch (Monday 09:00 + the moves' minutes).
    assert!(r[0].due > c.t && r[0].due <= c.t + 3_600_000 + 600_000);
    c.refused(
        &f.dept2,
        Handler,
        Action::SignFor {
            unit: f.dept2.clone(),
        },
        "sign_for.handler",
    );
    c.refused(
        &f.dept2,
        Handler,
        Action::SignFor {
            unit: f.dept.clone(),
        },
        "sign_for.role",
    );
    c.ok(
        &f.dept,
        Handler,
        Action::SignFor {
            unit: f.dept.clone(),
        },
    );
    assert!(c.state().receipts[0].signed.is_some());
    c.refused(
        &f.dept,
        Handler,
        Action::SignFor {
            unit: f.dept.clone(),
        },
        "sign_for.done",
    );
    // The centre records the department's feedback for it: allowed, and marked 代录.
    c.ok(&f.district, Dispatcher, f.feedback());
    let acts = &c.state().acts;
    let fb = acts.iter().rfind(|a| a.step == Step::Feedback).unwrap();
    assert_eq!(fb.unit, f.dept, "credited to the department");
    assert_eq!(fb.by.as_ref(), Some(&f.district), "recorded by the centre");
    let sign = acts.iter().find(|a| a.step == Step::SignFor).unwrap();
    assert_eq!((sign.by.as_ref(), &sign.unit), (None, &f.dept));
    let e = c.events.last().unwrap();
    assert_eq!(e.on_behalf_of(), Some(&f.dept));
}

#[test]
fn a_consultation_is_answered_on_the_call_and_a_handler_contacts_the_caller_first() {
    let f = Fixture::new();
    // 咨询: answered on the call, which ends it; the caller is still called back.
    let mut q = f.case_at(&f.district, Intake, "hotline");
    q.intake.demand = Some(Demand::Consult);
    let answer = || Action::Answer {
        note: "告知办理地点和材料".into(),
    };
    q.refused(&f.district, Dispatcher, answer(), "answer.role");
    q.refused(
        &f.district,
        Intake,
        Action::Answer { note: " ".into() },
        "answer.note",
    );
    q.ok(&f.district, Intake, answer());
    assert_eq!(q.state().state, State::Closed);
    q.ok(
        &f.district,
        Callback,
        Action::callback(true, Rating::Satisfied, "满意"),
    );
    assert_eq!(q.state().state, State::Archived);
    // An answer the caller is not content with is dispatched for handling, not left with
    // nobody to handle it.
    let mut q = f.case_at(&f.district, Intake, "hotline");
    q.intake.demand = Some(Demand::Consult);
    q.ok(&f.district, Intake, answer());
    q.ok(
        &f.district,
        Callback,
        Action::callback(false, Rating::Dissatisfied, "没说清楚"),
    );
    assert_eq!(q.state().state, State::ToDispatch);
    q.ok(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    // A complaint is not answered on the call: it is handled.
    let mut c = f.case_at(&f.district, Intake, "hotline");
    c.refused(&f.district, Intake, answer(), "answer.demand");
    // 先行联系 by the department dispatched to, once, with what was said.
    let mut c = f.handling_district_case();
    let call = |note: &str| Action::Contact {
        unit: f.dept.clone(),
        note: note.into(),
    };
    c.refused(&f.dept, Handler, call(""), "contact.note");
    c.refused(&f.dept2, Handler, call("x"), "contact.role");
    c.ok(&f.dept, Handler, call("已电话联系，约定明早处理"));
    let r = &c.state().receipts[0];
    assert!(
        r.contacted.is_some() && r.signed.is_some(),
        "a call signs for it too"
    );
    c.refused(&f.dept, Handler, call("再次联系"), "contact.done");
    // A supervisor's report has no caller to contact.
    let mut s = f.case_at(&f.district, Supervisor, "supervisor");
    f.accept_and_dispatch(&mut s);
    s.refused(&f.dept, Handler, call("x"), "contact.source");
}

#[test]
fn dispatch_targets_must_be_departments() {
    let f = Fixture::new();
    let mut c = f.registered_district_case();
    c.refused(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.street.clone(),
            assists: vec![],
        },
        "dispatch.target",
    );
    c.refused(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![f.dept.clone()],
        },
        "dispatch.target",
    );
}

#[test]
fn send_back_needs_approval_and_returns_to_dispatch() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    let req = Action::Request {
        kind: RequestKind::SendBack,
        unit: f.dept.clone(),
        reason: "非本部门职责".into(),
        until: None,
    };
    c.refused(&f.dept2, Handler, req.clone(), "request.role");
    c.ok(&f.dept, Handler, req);
    let id = c.state().pending.as_ref().expect("pending").id.clone();
    c.refused(&f.dept, Handler, f.feedback(), "feedback.pending");
    c.refused(
        &f.district,
        Supervisor,
        Action::Decide {
            request: id.clone(),
            approve: true,
            note: "ok".into(),
        },
        "decide.回退.role",
    );
    c.ok(
        &f.district,
        ShiftLead,
        Action::Decide {
            request: id,
            approve: true,
            note: "同意".into(),
        },
    );
    assert_eq!(c.state().state, State::ToDispatch);
    assert_eq!(c.state().send_backs, 1);
    assert!(c.state().handlers.is_empty());
}

#[test]
fn extensions_are_tiered() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    let due = c.state().overall.expect("overall").due;
    c.refused(
        &f.dept,
        Handler,
        Action::Request {
            kind: RequestKind::Extension,
            unit: f.dept.clone(),
            reason: "x".into(),
            until: Some(due - 1),
        },
        "request.until",
    );
    c.ok(
        &f.dept,
        Handler,
        Action::Request {
            kind: RequestKind::Extension,
            unit: f.dept.clone(),
            reason: "施工".into(),
            until: Some(due + DAY),
        },
    );
    let id = c.state().pending.clone().expect("pending").id;
    c.ok(
        &f.district,
        ShiftLead,
        Action::Decide {
            request: id,
            approve: true,
            note: "同意".into(),
        },
    );
    assert_eq!(c.state().extensions, 1);
    assert_eq!(c.state().overall.expect("overall").due, due + DAY);
    // The second extension needs a leader.
    c.ok(
        &f.dept,
        Handler,
        Action::Request {
            kind: RequestKind::Extension,
            unit: f.dept.clone(),
            reason: "再延".into(),
            until: Some(due + 3 * DAY),
        },
    );
    let id = c.state().pending.clone().expect("pending").id;
    c.refused(
        &f.district,
        ShiftLead,
        Action::Decide {
            request: id.clone(),
            approve: true,
            note: "ok".into(),
        },
        "decide.further 延期 (tiered).role",
    );
    c.ok(
        &f.district,
        Leader,
        Action::Decide {
            request: id,
            approve: false,
            note: "不同意".into(),
        },
    );
    assert_eq!(c.state().extensions, 1);
    assert!(c.state().pending.is_none());
}

#[test]
fn park_needs_a_leader_and_reactivate_restarts() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    c.ok(
        &f.dept,
        Handler,
        Action::Request {
            kind: RequestKind::Park,
            unit: f.dept.clone(),
            reason: "历史遗留".into(),
            until: None,
        },
    );
    let id = c.state().pending.clone().expect("pending").id;
    c.refused(
        &f.district,
        ShiftLead,
        Action::Decide {
            request: id.clone(),
            approve: true,
            note: "ok".into(),
        },
        "decide.挂账.role",
    );
    c.ok(
        &f.district,
        Leader,
        Action::Decide {
            request: id,
            approve: true,
            note: "同意挂账".into(),
        },
    );
    assert_eq!(c.state().state, State::Parked);
    assert_eq!(
        c.state().light(c.t + 1000 * DAY),
        Light::Green,
        "a parked case has no running clock"
    );
    c.refused(&f.street, ShiftLead, Action::Reactivate, "reactivate.role");
    c.ok(&f.district, ShiftLead, Action::Reactivate);
    assert_eq!(c.state().state, State::Handling);
}

#[test]
fn community_micro_loop_self_handles_and_self_closes_with_evidence() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.community, GridWorker, "grid_patrol");
    assert_eq!(c.state().level, Loop::Community);
    c.refused(&f.community, GridWorker, Action::Accept, "accept.level");
    c.ok(&f.community, GridWorker, Action::SelfHandle);
    c.refused(
        &f.community,
        GridWorker,
        Action::SelfClose {
            evidence: vec![],
            note: "x".into(),
        },
        "self_close.evidence",
    );
    c.refused(
        &f.street,
        ShiftLead,
        Action::SelfClose {
            evidence: vec!["p".into()],
            note: "x".into(),
        },
        "self_close.role",
    );
    c.ok(
        &f.community,
        StationChief,
        Action::SelfClose {
            evidence: vec!["photo://1".into()],
            note: "已处理".into(),
        },
    );
    assert_eq!(c.state().state, State::Closed);
    assert_eq!(c.state().level, Loop::Community);
}

#[test]
fn escalation_climbs_one_level_at_a_time_and_stops_at_the_district() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.community, GridWorker, "grid_patrol");
    c.refused(
        &f.street,
        ShiftLead,
        Action::Escalate { reason: "x".into() },
        "escalate.role",
    );
    c.ok(
        &f.community,
        GridWorker,
        Action::Escalate {
            reason: "社区无法解决".into(),
        },
    );
    assert_eq!(c.state().holder, f.street);
    assert_eq!(c.state().state, State::ToRegister);
    assert_eq!(c.state().level, Loop::Street);
    c.ok(
        &f.street,
        ShiftLead,
        Action::Escalate {
            reason: "需区级协调".into(),
        },
    );
    assert_eq!(c.state().holder, f.district);
    assert_eq!(c.state().level, Loop::District);
    c.refused(
        &f.district,
        ShiftLead,
        Action::Escalate { reason: "x".into() },
        "escalate.top",
    );
    assert_eq!(c.state().escalations, 2);
}

#[test]
fn whistle_summons_departments_which_report_in() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.street, Supervisor, "supervisor");
    c.ok(&f.street, Intake, Action::Accept);
    c.refused(
        &f.street,
        ShiftLead,
        Action::Whistle {
            departments: vec![],
        },
        "whistle.target",
    );
    c.refused(
        &f.street,
        Dispatcher,
        Action::Whistle {
            departments: vec![f.dept.clone()],
        },
        "whistle.role",
    );
    // 街道领导吹哨: the street's leader may summon as well as its shift lead.
    let mut by_leader = c.clone();
    by_leader.ok(
        &f.street,
        Leader,
        Action::Whistle {
            departments: vec![f.dept.clone()],
        },
    );
    c.ok(
        &f.street,
        ShiftLead,
        Action::Whistle {
            departments: vec![f.dept.clone(), f.dept2.clone()],
        },
    );
    assert_eq!(c.state().state, State::Handling);
    assert_eq!(c.state().summons.len(), 2);
    // The report-in clock (30 minutes) drives the light.
    assert_eq!(c.state().light(c.t + 31 * 60_000), Light::Red);
    c.ok(
        &f.dept,
        Handler,
        Action::ReportIn {
            unit: f.dept.clone(),
        },
    );
    c.refused(
        &f.dept,
        Handler,
        Action::ReportIn {
            unit: f.dept.clone(),
        },
        "report_in.done",
    );
    c.ok(
        &f.street,
        Dispatcher,
        Action::ReportIn {
            unit: f.dept2.clone(),
        },
    );
    assert!(c.state().summons.iter().all(|s| s.reported_in.is_some()));
    let mut d = f.registered_district_case();
    d.refused(
        &f.district,
        ShiftLead,
        Action::Whistle {
            departments: vec![f.dept.clone()],
        },
        "whistle.level",
    );
}

#[test]
fn supervise_and_urge_are_notes_from_above() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.street, Supervisor, "supervisor");
    c.refused(
        &f.street,
        ShiftLead,
        Action::Supervise { note: "快".into() },
        "supervise.role",
    );
    c.ok(
        &f.district,
        ShiftLead,
        Action::Supervise {
            note: "请加快".into(),
        },
    );
    c.ok(
        &f.district,
        Leader,
        Action::Urge {
            note: "催办".into(),
        },
    );
    assert_eq!(c.state().notes, 2);
    assert_eq!(c.state().state, State::Reported, "notes change no state");
}

#[test]
fn lights_follow_the_stage_deadline() {
    let f = Fixture::new();
    let c = f.case_at(&f.district, Intake, "hotline");
    let st = c.state().stage.expect("accept stage");
    assert_eq!(c.state().light(st.warn_at - 1), Light::Green);
    assert_eq!(c.state().light(st.warn_at), Light::Yellow);
    assert_eq!(c.state().light(st.due), Light::Yellow);
    assert_eq!(c.state().light(st.due + 1), Light::Red);
}

#[test]
fn concurrent_moves_conflict_and_a_resolution_keeps_one_branch() {
    let f = Fixture::new();
    let base = f.registered_district_case();
    let mut a = base.clone();
    let mut b = base.clone();
    a.ok(
        &f.district,
        Dispatcher,
        Action::DispatchDown {
            unit: f.street.clone(),
        },
    );
    b.ok(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    let mut m = a.merged_with(&b);
    let d = m.derived();
    let branches = d.conflict.as_ref().expect("conflict");
    assert_eq!(branches.len(), 2);
    let tips: Vec<_> = branches.iter().map(|b| b.tip.clone()).collect();
    // Only a resolution (or a note) may be made now.
    m.refused(
        &f.street,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
        "conflict.resolve_first",
    );
    m.refused(
        &f.district,
        Dispatcher,
        Action::Resolve {
            keep: tips[0].clone(),
            note: "x".into(),
        },
        "resolve.role",
    );
    let keep = branches
        .iter()
        .find(|b| b.state.holder == f.street)
        .expect("street branch")
        .tip
        .clone();
    m.ok(
        &f.district,
        ShiftLead,
        Action::Resolve {
            keep: keep.clone(),
            note: "以属地派遣为准".into(),
        },
    );
    let d = m.derived();
    assert!(d.conflict.is_none());
    assert_eq!(d.current.holder, f.street);
    assert_eq!(
        d.superseded.len(),
        1,
        "the other branch's move stays in the trail, set aside"
    );
    // Sequential moves never conflict.
    let mut s = base.clone();
    s.ok(
        &f.district,
        Dispatcher,
        Action::DispatchDown {
            unit: f.street.clone(),
        },
    );
    s.ok(
        &f.street,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    assert!(s.merged_with(&base).derived().conflict.is_none());
}

#[test]
fn replay_ignores_event_order() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    c.ok(&f.dept, Handler, f.feedback());
    let mut rev = c.events.clone();
    rev.reverse();
    assert_eq!(f.rules().replay(&c.intake, &rev).unwrap(), c.derived());
}

#[test]
fn a_forged_event_in_the_trail_is_marked_invalid_and_not_applied() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.district, Intake, "hotline");
    // A grid worker's "close" slipped into the trail (e.g. from a tampered copy).
    c.force(&f.community, GridWorker, Action::Close);
    let d = c.derived();
    assert_eq!(d.invalid.len(), 1);
    assert!(
        matches!(
            d.invalid[0].1.reason(),
            Reason::WrongState { act, state: State::Reported, .. } if act == "close"
        ),
        "{:?}",
        d.invalid
    );
    assert_eq!(d.current.state, State::Reported);
}

#[test]
fn refusals_read_in_english_exactly_as_before() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.district, Intake, "hotline");
    let why = c.refusal(&f.district, Intake, Action::Reject { reason: " ".into() });
    assert_eq!(
        why.to_string(),
        "refused by rule `reject.reason`: reject needs a reason"
    );
    c.ok(
        &f.district,
        Intake,
        Action::Reject {
            reason: "不属于城市管理范围".into(),
        },
    );
    let why = c.refusal(&f.district, Intake, Action::Accept);
    assert_eq!(
        why.to_string(),
        "refused by rule `accept.state`: accept is allowed only in state 待受理; the case is 已注销"
    );
    assert_eq!(why.rule.to_string(), "accept.state");
    assert_eq!(
        why.reason.to_string(),
        "accept is allowed only in state 待受理; the case is 已注销"
    );

    let mut c = f.registered_district_case();
    c.ok(
        &f.district,
        Dispatcher,
        Action::DispatchDown {
            unit: f.street.clone(),
        },
    );
    let why = c.refusal(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    assert_eq!(
        why.to_string(),
        "refused by rule `dispatch.role`: dispatch may be made only by 派遣员/值班长 at 东华门街道 (110101001) (the holder); you are 派遣员 at 东城区 (110101)"
    );
    let why = c.refusal(
        &f.street,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![f.dept.clone()],
        },
    );
    assert_eq!(
        why.to_string(),
        "refused by rule `dispatch.target`: 城管执法局 (110101D01) is named twice"
    );
}

#[test]
fn refusals_carry_their_facts() {
    let f = Fixture::new();
    let mut c = f.registered_district_case();
    c.ok(
        &f.district,
        Dispatcher,
        Action::DispatchDown {
            unit: f.street.clone(),
        },
    );
    let why = c.refusal(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    assert!(
        matches!(
            why.reason(),
            Reason::WrongRole { act, allowed, holder, or_above: false, role: Dispatcher, unit }
                if act == "dispatch"
                    && allowed == &[Dispatcher, ShiftLead]
                    && holder.id == f.street
                    && holder.name.as_deref() == Some("东华门街道")
                    && unit.id == f.district
        ),
        "{why:?}"
    );
    assert_eq!(
        why.message_zh(),
        "只有东华门街道的派遣员或值班长可以派遣；您是东城区的派遣员"
    );
    let why = c.refusal(&f.street, ShiftLead, Action::Close);
    assert!(
        matches!(
            *why.reason,
            Reason::WrongState { ref allowed, state: State::ToDispatch, .. }
                if allowed == &[State::ToClose]
        ),
        "{why:?}"
    );
    assert_eq!(
        why.message_zh(),
        "只有在「待结案」状态才能结案；本案当前为「待派遣」"
    );
    let why = c.refusal(
        &f.street,
        Dispatcher,
        Action::Dispatch {
            lead: f.street.clone(),
            assists: vec![],
        },
    );
    assert!(
        matches!(why.reason(), Reason::NotDepartment { unit } if unit.id == f.street),
        "{why:?}"
    );
    let why = c.refusal(&f.street, ShiftLead, Action::Escalate { reason: "".into() });
    assert!(
        matches!(
            why.reason(),
            Reason::MissingText { act, field: TextField::Reason } if act == "escalate"
        ),
        "{why:?}"
    );
    assert_eq!(why.rule, "escalate.reason");
}

#[test]
fn dispatch_is_suggested_by_the_departments_duties_and_the_rules_of_practice() {
    use gridloop_core::domain::catalogue::CategoryCode;
    use gridloop_core::domain::unit::UnitId;
    use gridloop_core::workflow::Route;
    let dir = tempfile::tempdir().unwrap();
    let engine = gridloop_core::engine::Engine::demo(
        gridloop_core::store::Store::open(&dir.path().join("s.redb")).unwrap(),
    );
    let rules = engine.rules();
    let f = Fixture::new();
    let sanitation = f.district_def.departments()[1].id.clone(); // 环卫中心: E0102, C0301
    let state = |category: &str, holder: &UnitId| {
        let mut s = f.registered_district_case().state();
        s.category = CategoryCode::parse(category).unwrap();
        s.holder = holder.clone();
        s
    };
    // An event at the district goes to its territory first (先属地后属主) ...
    let s = rules
        .suggest_dispatch(&state("E0102", &f.district))
        .unwrap();
    assert_eq!(s.route, Route::Territory(f.street.clone()));
    assert!(s.why_zh.contains("事件先属地"), "{}", s.why_zh);
    // ... and the street sends it on to the department that answers for it.
    let s = rules.suggest_dispatch(&state("E0102", &f.street)).unwrap();
    assert_eq!(s.route, Route::Department(sanitation.clone()));
    assert!(s.why_zh.contains("环卫中心"), "{}", s.why_zh);
    // A component goes to its owner first (先属主后属地), even from the district.
    let s = rules
        .suggest_dispatch(&state("C0301", &f.district))
        .unwrap();
    assert_eq!(s.route, Route::Department(sanitation));
    assert!(s.why_zh.contains("部件先属主"), "{}", s.why_zh);
    // Nobody answers for 公用电话亭 or 高空坠物隐患: the territory takes them (属地兜底).
    for category in ["C0115", "E0411"] {
        let s = rules.suggest_dispatch(&state(category, &f.street)).unwrap();
        assert_eq!(s.route, Route::Territory(f.community.clone()));
        assert!(s.why_zh.contains("属地兜底"), "{}", s.why_zh);
    }
    let s = rules
        .suggest_dispatch(&state("C0115", &f.district))
        .unwrap();
    assert_eq!(s.route, Route::Territory(f.street.clone()));
    // Only a case waiting for dispatch gets a suggestion.
    let mut handling = state("E0102", &f.street);
    handling.state = State::Handling;
    assert!(rules.suggest_dispatch(&handling).is_none());
    // Every suggestion is a move the rules allow the holder's dispatcher to make.
    let c = f.registered_district_case();
    let sug = rules.suggest_dispatch(&c.state()).unwrap();
    let action = match sug.route {
        Route::Department(lead) => Action::Dispatch {
            lead,
            assists: vec![],
        },
        Route::Territory(unit) => Action::DispatchDown { unit },
    };
    let mut c = c;
    c.ok(&f.district, Dispatcher, action);
}

#[test]
fn a_12345_send_back_goes_to_the_dispatcher_and_others_to_the_shift_lead() {
    let f = Fixture::new();
    let send_back = |f: &Fixture| Action::Request {
        kind: RequestKind::SendBack,
        unit: f.dept.clone(),
        reason: "非本部门职责".into(),
        until: None,
    };
    let decide = |c: &TestCase<'_>| Action::Decide {
        request: c.state().pending.clone().expect("pending").id,
        approve: true,
        note: "同意退单".into(),
    };
    // 退单 of a 12345 work order: the dispatcher who sent it decides.
    let mut hot = f.handling_district_case();
    hot.ok(&f.dept, Handler, send_back(&f));
    let d = decide(&hot);
    hot.ok(&f.district, Dispatcher, d);
    assert_eq!(hot.state().state, State::ToDispatch);
    // Any other case's 回退 still needs a 值班长 or 领导.
    let mut sup = f.case_at(&f.district, Supervisor, "supervisor");
    f.accept_and_dispatch(&mut sup);
    sup.ok(&f.dept, Handler, send_back(&f));
    let d = decide(&sup);
    sup.refused(&f.district, Dispatcher, d.clone(), "decide.回退.role");
    sup.ok(&f.district, ShiftLead, d);
}

#[test]
fn a_joint_dispatch_waits_for_each_units_own_feedback() {
    let f = Fixture::new();
    let mut c = f.registered_district_case();
    let joint = |units: Vec<_>| Action::JointDispatch { units };
    let fb = |unit: &gridloop_core::domain::unit::UnitId| Action::Feedback {
        unit: unit.clone(),
        note: "已处置".into(),
        photos: vec![],
    };
    c.refused(
        &f.district,
        Dispatcher,
        joint(vec![f.dept.clone()]),
        "joint_dispatch.target",
    );
    c.refused(
        &f.district,
        Dispatcher,
        joint(vec![f.other_street(), f.dept.clone()]),
        "joint_dispatch.target",
    );
    // 属地 (the street) and 属主 (the department).
    c.ok(
        &f.district,
        Dispatcher,
        joint(vec![f.street.clone(), f.dept.clone()]),
    );
    assert!(c.state().joint);
    assert_eq!(c.state().receipts.len(), 2);
    c.ok(&f.dept, Handler, fb(&f.dept));
    assert_eq!(
        c.state().state,
        State::Handling,
        "the street has not fed back"
    );
    c.refused(&f.dept, Handler, fb(&f.dept), "feedback.done");
    c.ok(&f.street, ShiftLead, fb(&f.street));
    assert_eq!(c.state().state, State::ToCheck);
    // A failed 核查 sends both back, and both feedbacks count as rework.
    c.ok(
        &f.district,
        Supervisor,
        Action::Check {
            passed: false,
            note: "未完成".into(),
        },
    );
    let failed: Vec<_> = c
        .state()
        .acts
        .iter()
        .filter(|a| a.step == Step::Feedback && !a.ok)
        .map(|a| a.unit.clone())
        .collect();
    assert_eq!(failed, [f.dept.clone(), f.street.clone()]);
    c.ok(&f.dept, Handler, fb(&f.dept));
    assert_eq!(c.state().state, State::Handling);
}

#[test]
fn an_appeal_against_a_failed_check_restores_the_feedback_when_upheld() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    c.ok(&f.dept, Handler, f.feedback());
    let check = |c: &mut TestCase<'_>| {
        c.ok(
            &f.district,
            Supervisor,
            Action::Check {
                passed: false,
                note: "未完成".into(),
            },
        );
        c.events.last().unwrap().id.clone()
    };
    let failed = check(&mut c);
    let appeal = |against| Action::Appeal {
        unit: f.dept.clone(),
        against,
        reason: "已按标准完成，现场照片为证".into(),
    };
    c.refused(
        &f.dept,
        Handler,
        appeal(c.events[1].id.clone()),
        "appeal.appeal",
    );
    c.ok(&f.dept, Handler, appeal(failed.clone()));
    assert_eq!(
        c.state().pending.as_ref().unwrap().kind,
        RequestKind::Appeal
    );
    let request = c.state().pending.unwrap().id;
    let decide = |approve| Action::Decide {
        request: request.clone(),
        approve,
        note: "复核".into(),
    };
    c.refused(&f.district, ShiftLead, decide(true), "decide.申诉.role");
    c.ok(&f.district, Leader, decide(true));
    let s = c.state();
    assert!(
        s.acts
            .iter()
            .filter(|a| a.step == Step::Feedback)
            .all(|a| a.ok),
        "the upheld appeal clears the rework"
    );
    assert_eq!(s.rework, 0);
    assert!(
        s.acts
            .iter()
            .any(|a| a.step == Step::Appeal && a.unit == f.dept)
    );
    // Appealed once: nothing left to appeal.
    c.refused(&f.dept, Handler, appeal(failed), "appeal.appeal");
}

#[test]
fn a_supervision_order_is_owed_a_reply_by_the_unit_it_names() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    let order = |unit: &gridloop_core::domain::unit::UnitId, due| Action::Order {
        unit: unit.clone(),
        note: "请加快处置".into(),
        due,
        auto: false,
    };
    let later = c.t + 4 * 3_600_000;
    c.refused(&f.district, Leader, order(&f.dept2, later), "order.target");
    c.refused(&f.district, Leader, order(&f.dept, c.t), "order.due");
    // The centre orders the department handling its case (not only the holder).
    c.ok(&f.district, Leader, order(&f.dept, later));
    let id = c.events.last().unwrap().id.clone();
    let s = c.state();
    assert_eq!(s.orders.len(), 1);
    let row = gridloop_core::store::CaseSummary::build(
        &gridloop_core::domain::case_id::CaseId("c".into()),
        &c.intake,
        &c.derived(),
    );
    assert!(row.inbox_units().contains(&&f.dept));
    let reply = |note: &str| Action::Reply {
        order: id.clone(),
        note: note.into(),
    };
    c.refused(&f.dept2, Handler, reply("答复"), "reply.order");
    c.refused(&f.dept, Handler, reply(" "), "reply.note");
    c.ok(&f.dept, Handler, reply("已安排人员，今日完成"));
    let s = c.state();
    assert!(s.orders[0].replied.is_some());
    let act = s.acts.iter().find(|a| a.step == Step::Reply).unwrap();
    assert!(act.on_time() && act.unit == f.dept);
    c.refused(&f.dept, Handler, reply("再答"), "reply.order");
    assert_eq!(
        c.state().state,
        State::Handling,
        "orders change no workflow state"
    );
}

#[test]
fn the_street_rates_the_departments_that_reported_in() {
    let f = Fixture::new();
    let mut c = f.case_at(&f.street, Intake, "grid_patrol");
    c.ok(&f.street, Intake, Action::Accept);
    let r = f.register(&c);
    c.ok(&f.street, ShiftLead, r);
    c.ok(
        &f.street,
        Leader,
        Action::Whistle {
            departments: vec![f.dept.clone(), f.dept2.clone()],
        },
    );
    c.ok(
        &f.dept,
        Handler,
        Action::ReportIn {
            unit: f.dept.clone(),
        },
    );
    let rate = |unit: &gridloop_core::domain::unit::UnitId, rating| Action::Rate {
        unit: unit.clone(),
        rating,
        note: "到场及时".into(),
    };
    c.refused(
        &f.street,
        ShiftLead,
        rate(&f.dept2, Rating::Satisfied),
        "rate.summons",
    );
    c.refused(
        &f.district,
        Leader,
        rate(&f.dept, Rating::Satisfied),
        "rate.level",
    );
    c.ok(&f.street, ShiftLead, rate(&f.dept, Rating::Fair));
    c.refused(
        &f.street,
        Leader,
        rate(&f.dept, Rating::Satisfied),
        "rate.done",
    );
    let s = c.state();
    assert_eq!(s.ratings, [(f.dept.clone(), Rating::Fair)]);
    assert!(
        s.acts
            .iter()
            .any(|a| a.step == Step::Rated && a.unit == f.dept && a.ok)
    );
}

#[test]
fn a_duplicate_merged_into_a_case_closes_with_it_and_its_caller_is_called_back() {
    let f = Fixture::new();
    let mut dup = f.case_at(&f.district, Intake, "hotline");
    let parent = gridloop_core::domain::case_id::CaseId("p".repeat(32));
    let merge = Action::Merge {
        into: parent.clone(),
        note: "同一地点同一问题".into(),
    };
    c_refused_merge(&f, &mut dup, &merge);
    dup.ok(&f.district, Intake, merge);
    assert_eq!(dup.state().state, State::Merged);
    dup.refused(&f.district, Intake, Action::Accept, "accept.state");
    let closed = |p| Action::ParentClosed { parent: p };
    dup.refused(
        &f.district,
        ShiftLead,
        closed(gridloop_core::domain::case_id::CaseId("q".repeat(32))),
        "parent_closed.merged",
    );
    dup.ok(&f.district, ShiftLead, closed(parent));
    assert_eq!(dup.state().state, State::Closed);
    dup.ok(
        &f.district,
        Callback,
        Action::callback(true, Rating::Satisfied, "满意"),
    );
    assert_eq!(dup.state().state, State::Archived);
}

fn c_refused_merge(f: &Fixture, c: &mut TestCase<'_>, merge: &Action) {
    c.refused(&f.district, Supervisor, merge.clone(), "merge.role");
    c.refused(
        &f.district,
        Intake,
        Action::Merge {
            into: gridloop_core::domain::case_id::CaseId("p".repeat(32)),
            note: " ".into(),
        },
        "merge.note",
    );
}

#[test]
fn an_upheld_appeal_against_a_refused_send_back_sends_the_case_back() {
    let f = Fixture::new();
    let mut c = f.handling_district_case();
    c.ok(
        &f.dept,
        Handler,
        Action::Request {
            kind: RequestKind::SendBack,
            unit: f.dept.clone(),
            reason: "非本部门职责".into(),
            until: None,
        },
    );
    let decide = |c: &TestCase<'_>, approve| Action::Decide {
        request: c.state().pending.unwrap().id,
        approve,
        note: "复核".into(),
    };
    let deny = decide(&c, false);
    c.ok(&f.district, ShiftLead, deny);
    let refused = c.events.last().unwrap().id.clone();
    assert_eq!(c.state().state, State::Handling);
    c.ok(
        &f.dept,
        Handler,
        Action::Appeal {
            unit: f.dept.clone(),
            against: refused,
            reason: "权责清单写明属街道".into(),
        },
    );
    let uphold = decide(&c, true);
    c.ok(&f.district, Leader, uphold);
    let s = c.state();
    assert_eq!(s.state, State::ToDispatch);
    assert_eq!(s.send_backs, 1);
    // Counted as the send-back it is: for the department, and the dispatch was wrong.
    assert!(
        s.acts
            .iter()
            .any(|a| a.step == Step::SendBack && a.unit == f.dept)
    );
    assert!(s.acts.iter().any(|a| a.step == Step::Dispatch && !a.ok));
    assert!(
        s.acts
            .iter()
            .any(|a| a.step == Step::Appeal && a.unit == f.dept)
    );
}

#[test]
fn an_upheld_appeal_clears_only_the_dissatisfaction_it_disputes() {
    let f = Fixture::new();
    let fail = Action::Check {
        passed: false,
        note: "未完成".into(),
    };
    let appeal_last = |c: &mut TestCase<'_>| {
        let against = c.events.last().unwrap().id.clone();
        c.ok(
            &f.dept,
            Handler,
            Action::Appeal {
                unit: f.dept.clone(),
                against,
                reason: "已完成".into(),
            },
        );
        let request = c.state().pending.unwrap().id;
        c.ok(
            &f.district,
            Leader,
            Action::Decide {
                request,
                approve: true,
                note: "成立".into(),
            },
        );
    };
    // A 不满意 appealed and upheld leaves 满意率.
    let mut c = f.closed_hotline_case();
    c.ok(
        &f.district,
        Callback,
        Action::callback(false, Rating::Dissatisfied, "没修好"),
    );
    assert!(c.state().answers.is_some());
    appeal_last(&mut c);
    assert!(c.state().answers.is_none());
    assert_eq!(c.state().rework, 0);
    // A failed 核查 appealed after an earlier 不满意 keeps the citizen's answer.
    let mut c = f.closed_hotline_case();
    c.ok(
        &f.district,
        Callback,
        Action::callback(false, Rating::Dissatisfied, "没修好"),
    );
    c.ok(&f.dept, Handler, f.feedback());
    c.ok(&f.district, Supervisor, fail);
    appeal_last(&mut c);
    let a = c.state().answers.expect("the 不满意 stays");
    assert_eq!(a.rating, Some(Rating::Dissatisfied));
    assert_eq!(
        c.state().rework,
        1,
        "only the failed 核查's rework is undone"
    );
}
