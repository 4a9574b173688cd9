//! The after-action report of a drill (演练评估) against hand-worked trails: times from report
//! per unit and level, moves made offline, expectations met and missed; real cases ignored.

mod common;

use common::*;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role::*;
use gridloop_core::domain::unit::UnitKind;
use gridloop_core::drill::after_action;
use gridloop_core::store::CaseSummary;
use gridloop_core::workflow::Step;

const MIN: i64 = 60_000;

#[test]
fn the_after_action_report_times_each_step_from_the_report() {
    let f = Fixture::new();
    // A: a community drill case self-handled at +10 min while offline, self-closed at +20.
    let mut a = f.case_at(&f.community, GridWorker, "drill");
    a.ok(&f.community, GridWorker, Action::SelfHandle);
    a.events.last_mut().unwrap().offline = true;
    a.ok(
        &f.community,
        StationChief,
        Action::SelfClose {
            evidence: vec!["photo://1".into()],
            note: "已处置".into(),
        },
    );
    // B: a district drill case accepted at +10, registered at +20, dispatched at +30.
    let mut b = f.case_at(&f.district, Intake, "drill");
    b.ok(&f.district, Intake, Action::Accept);
    let r = f.register(&b);
    b.ok(&f.district, ShiftLead, r);
    b.ok(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    // A real case: never in a drill report.
    let real = f.handling_district_case();
    let rows: Vec<CaseSummary> = [(&a, "a"), (&b, "b"), (&real, "r")]
        .into_iter()
        .map(|(c, id)| CaseSummary::build(&CaseId(id.into()), &c.intake, &c.derived()))
        .collect();
    let report = after_action(
        &rows,
        &f.district_def,
        &[(Step::Accept, 15 * MIN), (Step::Dispatch, 25 * MIN)],
    );
    assert_eq!(report.cases, 2);
    let community = &report.by_unit[&f.community];
    assert_eq!(community[&Step::Accept].median, 10 * MIN);
    assert_eq!(community[&Step::Close].median, 20 * MIN);
    assert_eq!(
        community[&Step::Feedback].cases,
        1,
        "自结案 is its own 反馈"
    );
    let district = &report.by_unit[&f.district];
    assert_eq!(district[&Step::Accept].median, 10 * MIN);
    assert_eq!(district[&Step::Register].median, 20 * MIN);
    assert_eq!(district[&Step::Dispatch].max, 30 * MIN);
    assert_eq!(report.by_level[&UnitKind::Community][&Step::Close].cases, 1);
    assert_eq!(
        report.by_level[&UnitKind::District][&Step::Dispatch].cases,
        1
    );
    // Accept within 15 min: both met. Dispatch within 25 min: B late, A never dispatched.
    assert_eq!(
        (report.expectations[0].met, report.expectations[0].missed),
        (2, 0)
    );
    assert_eq!(
        (report.expectations[1].met, report.expectations[1].missed),
        (0, 2)
    );
    assert_eq!(report.offline.get(&f.community), Some(&1));
    assert_eq!(report.offline.get(&f.district), None);
    assert!(report.conflicts.is_empty());
}
