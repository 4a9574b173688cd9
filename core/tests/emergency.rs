//! 平战一体: opening an emergency incident (启动预案), its checklist, summons and stand-down;
//! the priority lane's short limits; who may do what; the node's mode from its store.

mod common;

use common::*;
use gridloop_core::domain::calendar::TimeLimit;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::catalogue::CategoryCode;
use gridloop_core::domain::emergency::{EmergencyLimits, Lane, Plans};
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role::*;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::{Engine, EngineError, NewCase};
use gridloop_core::store::{CaseSummary, Store, feed_scope};
use gridloop_core::workflow::{Reason, State};

const MIN: i64 = 60_000;

fn activate(area: Vec<UnitId>) -> Action {
    let plan = Plans::builtin().get("flood").unwrap().clone();
    Action::Activate {
        plan: plan.id,
        name: plan.name,
        level: 3,
        area,
        checklist: plan.checklist.into_iter().map(|s| s.text).collect(),
        limits: plan.limits,
    }
}

/// A 积水 (E0406) case at the district, the kind an incident is opened on.
fn incident_case(f: &Fixture) -> TestCase<'_> {
    let mut c = f.case_at(&f.district, Intake, "superior");
    c.intake.category = CategoryCode::parse("E0406").unwrap();
    c
}

#[test]
fn an_incident_runs_from_activation_to_stand_down() {
    let f = Fixture::new();
    let mut c = incident_case(&f);
    c.ok(&f.district, ShiftLead, activate(vec![f.street.clone()]));
    let s = c.state();
    let i = s.incident.clone().expect("an incident");
    assert_eq!(s.state, State::Handling);
    assert!(i.active());
    assert_eq!(i.checklist.len(), 6);
    assert_eq!(i.progress(), (0, 6));
    // Its scope reaches the street and every community of it, not another street.
    for c in f.district_def.children(&f.street) {
        assert!(s.units.contains(&c.id), "{} in scope", c.id);
    }
    assert!(!s.units.contains(&f.other_street()));
    assert!(i.covers(&f.district_def, &f.community));
    assert!(!i.covers(&f.district_def, &f.other_street()));

    // The street's shift lead ticks item 1, the community item 2.
    c.ok(
        &f.street,
        ShiftLead,
        Action::Tick {
            item: 0,
            note: "已到岗".into(),
        },
    );
    c.ok(
        &f.community,
        GridWorker,
        Action::Tick {
            item: 1,
            note: String::new(),
        },
    );
    let i = c.state().incident.unwrap();
    assert_eq!(i.progress(), (2, 6));
    assert_eq!(i.checklist[1].done.as_ref().unwrap().1, f.community);
    // An item is ticked once; an item the plan lacks is refused.
    c.refused(
        &f.street,
        ShiftLead,
        Action::Tick {
            item: 0,
            note: String::new(),
        },
        "tick.done",
    );
    c.refused(
        &f.street,
        ShiftLead,
        Action::Tick {
            item: 6,
            note: String::new(),
        },
        "tick.item",
    );
    // Another street's people are not in this emergency.
    c.refused(
        &f.other_street(),
        ShiftLead,
        Action::Tick {
            item: 2,
            note: String::new(),
        },
        "tick.role",
    );

    // Summons: a department must report in within the plan's 15 minutes.
    let summoned_at = c.t + 10 * MIN;
    c.ok(
        &f.district,
        ShiftLead,
        Action::Summon {
            units: vec![f.dept.clone()],
            resources: vec!["抽水泵车 4 台".into()],
        },
    );
    let s = c.state();
    assert_eq!(s.summons.len(), 1);
    assert_eq!(s.summons[0].due - summoned_at, 15 * MIN);
    assert_eq!(
        s.incident.as_ref().unwrap().resources,
        vec!["抽水泵车 4 台"]
    );
    assert!(
        s.units.contains(&f.dept),
        "a summoned department sees the incident"
    );
    c.ok(
        &f.dept,
        Handler,
        Action::ReportIn {
            unit: f.dept.clone(),
        },
    );
    let s = c.state();
    assert!(s.summons[0].reported_in.is_some());
    let report_in = s
        .acts
        .iter()
        .find(|a| a.step == gridloop_core::workflow::Step::ReportIn)
        .unwrap();
    assert!(report_in.on_time(), "reported in 10 min after the summons");
    c.refused(
        &f.district,
        ShiftLead,
        Action::Summon {
            units: vec![f.dept.clone()],
            resources: vec![],
        },
        "summon.twice",
    );

    // Back to 平时.
    c.refused(
        &f.district,
        ShiftLead,
        Action::StandDown { note: " ".into() },
        "stand_down.note",
    );
    c.ok(
        &f.district,
        Leader,
        Action::StandDown {
            note: "雨停，积水退去".into(),
        },
    );
    let s = c.state();
    assert_eq!(s.state, State::Closed);
    assert!(!s.incident.as_ref().unwrap().active());
    assert_eq!(
        s.incident.as_ref().unwrap().progress(),
        (2, 6),
        "ticks kept"
    );
    c.refused(
        &f.street,
        ShiftLead,
        Action::Tick {
            item: 3,
            note: String::new(),
        },
        "tick.ended",
    );
}

#[test]
fn only_command_staff_open_an_incident_on_their_own_territory() {
    let f = Fixture::new();
    // Not a 突发事件 case.
    let mut c = f.case_at(&f.district, Intake, "hotline");
    c.refused(
        &f.district,
        ShiftLead,
        activate(vec![f.street.clone()]),
        "activate.category",
    );
    // An intake operator may not; a street may not put another street in 战时; a
    // department is not an area.
    let mut c = incident_case(&f);
    c.refused(
        &f.district,
        Intake,
        activate(vec![f.street.clone()]),
        "activate.role",
    );
    c.refused(
        &f.district,
        ShiftLead,
        activate(vec![f.dept.clone()]),
        "activate.area",
    );
    c.refused(&f.district, ShiftLead, activate(vec![]), "activate.area");
    let mut bad_level = activate(vec![f.street.clone()]);
    if let Action::Activate { level, .. } = &mut bad_level {
        *level = 5;
    }
    c.refused(&f.district, ShiftLead, bad_level, "activate.level");
    let mut zero = activate(vec![f.street.clone()]);
    if let Action::Activate { limits, .. } = &mut zero {
        limits.handle = 0;
    }
    c.refused(&f.district, ShiftLead, zero, "activate.limits");

    let mut s = f.case_at(&f.street, Supervisor, "supervisor");
    s.intake.category = CategoryCode::parse("E0406").unwrap();
    s.refused(
        &f.street,
        ShiftLead,
        activate(vec![f.other_street()]),
        "activate.area",
    );
    s.ok(&f.street, ShiftLead, activate(vec![f.street.clone()]));
    s.refused(
        &f.street,
        ShiftLead,
        activate(vec![f.street.clone()]),
        "activate.once",
    );
    // A community's station chief opens one for the community.
    let mut k = f.case_at(&f.community, GridWorker, "grid_patrol");
    k.intake.category = CategoryCode::parse("E0406").unwrap();
    k.refused(
        &f.community,
        GridWorker,
        activate(vec![f.community.clone()]),
        "activate.role",
    );
    k.ok(
        &f.community,
        StationChief,
        activate(vec![f.community.clone()]),
    );
}

#[test]
fn concurrent_ticks_never_conflict_and_keep_the_earliest() {
    let f = Fixture::new();
    let mut c = incident_case(&f);
    c.ok(&f.district, ShiftLead, activate(vec![f.street.clone()]));
    let mut a = c.clone();
    let mut b = c.clone();
    a.ok(
        &f.street,
        ShiftLead,
        Action::Tick {
            item: 0,
            note: String::new(),
        },
    );
    b.t += 5 * MIN;
    b.ok(
        &f.community,
        StationChief,
        Action::Tick {
            item: 0,
            note: String::new(),
        },
    );
    b.ok(
        &f.community,
        StationChief,
        Action::Tick {
            item: 4,
            note: String::new(),
        },
    );
    let m = a.merged_with(&b);
    let d = m.derived();
    assert!(!d.in_conflict(), "ticks are notes");
    assert!(d.invalid.is_empty(), "{:?}", d.invalid);
    let i = d.current.incident.unwrap();
    assert_eq!(
        i.checklist[0].done.as_ref().unwrap().1,
        f.street,
        "earliest kept"
    );
    assert!(i.checklist[4].done.is_some());
    assert_eq!(i.progress(), (2, 6));
    // Order of the trail does not matter.
    let mut rev = m.clone();
    rev.events.reverse();
    assert_eq!(rev.derived().current, m.derived().current);
}

#[test]
fn a_case_in_the_lane_runs_on_the_plans_short_limits() {
    let f = Fixture::new();
    let limits = EmergencyLimits::default();
    let lane = Lane {
        incident: CaseId("incident".into()),
        limits,
    };
    // Reported into the lane: 受理 within 5 minutes, not 4 working hours.
    let mut c = f.case_at(&f.district, Intake, "hotline");
    c.intake.emergency = Some(lane.clone());
    let s = c.state();
    assert_eq!(s.stage.unwrap().limit, TimeLimit::minutes(limits.accept));
    assert_eq!(s.stage.unwrap().due - T0, limits.accept as i64 * MIN);
    c.ok(&f.district, Intake, Action::Accept);
    assert_eq!(
        c.state().stage.unwrap().limit,
        TimeLimit::minutes(limits.register)
    );
    let r = f.register(&c);
    c.ok(&f.district, ShiftLead, r);
    c.ok(
        &f.district,
        Dispatcher,
        Action::Dispatch {
            lead: f.dept.clone(),
            assists: vec![],
        },
    );
    let s = c.state();
    assert_eq!(s.overall.unwrap().limit, TimeLimit::minutes(limits.handle));

    // Linked while being handled: the handling clock restarts on the lane's limit.
    let mut h = f.handling_district_case();
    let before = h.state().overall.unwrap();
    assert_ne!(before.limit, TimeLimit::minutes(limits.handle));
    h.ok(&f.district, ShiftLead, Action::Link { lane: lane.clone() });
    let s = h.state();
    assert_eq!(s.lane.as_ref().unwrap().incident, lane.incident);
    assert_eq!(s.overall.unwrap().limit, TimeLimit::minutes(limits.handle));
    assert_eq!(s.overall.unwrap().due - h.t, limits.handle as i64 * MIN);
    h.refused(
        &f.district,
        ShiftLead,
        Action::Link { lane: lane.clone() },
        "link.twice",
    );
    // A department handler does not decide what is emergency work.
    let mut g = f.handling_district_case();
    g.refused(&f.dept, Handler, Action::Link { lane }, "link.role");
}

fn engine_at(dir: &tempfile::TempDir, name: &str, unit: &UnitId, role: Role) -> Engine {
    let store = Store::open(&dir.path().join(format!("{name}.redb"))).unwrap();
    store.set_node(&NodeId(name.into()), unit, role).unwrap();
    Engine::demo(store)
}

#[test]
fn a_node_knows_its_mode_from_its_store() {
    let f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let e = engine_at(&dir, "d", &f.district, ShiftLead);
    let lead = Actor {
        node: NodeId("d".into()),
        unit: f.district.clone(),
        role: ShiftLead,
        person: None,
    };
    assert!(!e.mode(&f.community).unwrap().emergency(), "平时 at first");
    let plans = Plans::builtin();
    let flood = plans.get("flood").unwrap();
    let grid = f.grid.to_string();
    // A refused activation writes nothing.
    let err = e
        .open_incident(
            &lead,
            flood,
            3,
            vec![f.dept.clone()],
            &grid,
            "东华门大街",
            "暴雨",
            false,
            T0,
        )
        .unwrap_err();
    assert!(
        matches!(
            &err,
            EngineError::Refused(why)
                if why.rule == "activate.area"
                    && matches!(why.reason(), Reason::NotAreaUnit { unit } if unit.id == f.dept)
        ),
        "{err}"
    );
    assert_eq!(e.store.read().unwrap().count().unwrap(), 0);

    let row = e
        .open_incident(
            &lead,
            flood,
            3,
            vec![f.street.clone()],
            &grid,
            "东华门大街",
            "暴雨红色预警，多处积水",
            false,
            T0,
        )
        .unwrap();
    assert_eq!(row.category.as_str(), "E0406");
    let mode = e.mode(&f.community).unwrap();
    assert!(mode.emergency());
    assert_eq!(mode.lead().unwrap().0.id, row.id);
    assert!(!e.mode(&f.other_street()).unwrap().emergency());
    // A department is in 战时 only once summoned.
    assert!(!e.mode(&f.dept).unwrap().emergency());
    e.act(
        &lead,
        &row.id,
        Action::Summon {
            units: vec![f.dept.clone()],
            resources: vec![],
        },
        T0 + MIN,
    )
    .unwrap();
    assert!(e.mode(&f.dept).unwrap().emergency());
    // The incident's feed reaches its area: every community of the street.
    let s = e.store.read().unwrap().summary(&row.id).unwrap().unwrap();
    let scope = feed_scope(&s, &e.district);
    assert!(scope.contains(&f.community) && scope.contains(&f.dept));

    // A case reported into the lane carries the incident.
    let i = mode.lead().unwrap().1.clone();
    let new = NewCase {
        source: "hotline".into(),
        category: "E0406".into(),
        grid: grid.clone(),
        address: "地下通道".into(),
        description: "积水 40 厘米".into(),
        emergency: Some(Lane {
            incident: row.id.clone(),
            limits: i.limits,
        }),
        ..NewCase::default()
    };
    let intake = Actor {
        role: Intake,
        ..lead.clone()
    };
    let c: CaseSummary = e.report(&intake, &new, T0 + 2 * MIN).unwrap();
    assert_eq!(c.lane.as_ref(), Some(&row.id));
    assert_eq!(
        c.due.unwrap() - (T0 + 2 * MIN),
        i.limits.accept as i64 * MIN
    );

    // Stand down: back to 平时 everywhere; the incident stays listed.
    e.act(
        &lead,
        &row.id,
        Action::StandDown {
            note: "解除".into(),
        },
        T0 + 60 * MIN,
    )
    .unwrap();
    assert!(!e.mode(&f.community).unwrap().emergency());
    assert!(!e.mode(&f.dept).unwrap().emergency());
    assert_eq!(e.store.read().unwrap().incidents().unwrap().len(), 1);
}
