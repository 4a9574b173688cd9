//! Assessment on real nodes (real iroh endpoints on loopback, real redb stores): after a
//! workload across the three loops — part of it made while the street is cut off from the
//! district — and healing, the district and the street compute identical figures for that
//! street, its communities and its ranking; for the other street, which the first street
//! cannot see, they differ.

use gridloop_core::analytics::assess::{AssessConfig, Assessment, Metric, assess};
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::{Action, RequestKind};
use gridloop_core::domain::period::Period;
use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::engine::NewCase;
use gridloop_tests::{T0, TestNet, TestNode, standard, units};

const MIN: Millis = 60_000;

/// Reports a case from `source` at a grid of `community`, as `role` at the node's unit.
fn report(n: &TestNode, role: Role, source: &str, community: &UnitId, at: Millis) -> CaseId {
    let d = District::demo();
    let new = NewCase {
        source: source.into(),
        category: "E0102".into(),
        grid: d.grids_of(community)[0].code.to_string(),
        address: "东四北大街 8 号".into(),
        description: format!("{source} 测试案件"),
        reporter: Some(gridloop_core::domain::intake::Reporter {
            name: "李四".into(),
            phone: "13700000000".into(),
        }),
        ..NewCase::default()
    };
    let id = n
        .engine()
        .report(&n.actor(role), &new, at)
        .expect("report")
        .id;
    n.node().notify_changed();
    id
}

/// The street's loop on a case it holds: register, dispatch to `dept`, feedback recorded for
/// the department, check (failing once when `rework`), close.
fn street_loop(s: &TestNode, id: &CaseId, dept: &UnitId, rework: bool, at: Millis) {
    let grid = s.summary(id).unwrap().grid;
    if s.summary(id).unwrap().state == gridloop_core::workflow::State::ToRegister {
        s.act(
            &s.actor(Role::ShiftLead),
            id,
            Action::Register {
                category: "E0102".parse().unwrap(),
                grid,
            },
            at,
        );
    }
    s.act(
        &s.actor(Role::Dispatcher),
        id,
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
        at + 10 * MIN,
    );
    let mut t = at + 60 * MIN;
    for pass in if rework {
        vec![false, true]
    } else {
        vec![true]
    } {
        s.act(
            &s.actor_for(dept, Role::Handler),
            id,
            Action::Feedback {
                unit: dept.clone(),
                note: "已处置".into(),
                photos: vec![],
            },
            t,
        );
        s.act(
            &s.actor(Role::Supervisor),
            id,
            Action::Check {
                passed: pass,
                note: if pass { "通过" } else { "未整改到位" }.into(),
            },
            t + 20 * MIN,
        );
        t += 60 * MIN;
    }
    s.act(&s.actor(Role::ShiftLead), id, Action::Close, t);
}

fn same(a: &Assessment, b: &Assessment, unit: &UnitId, rollup: bool) {
    let pick = |x: &Assessment| {
        if rollup {
            x.rollups.get(unit).cloned().unwrap_or_default()
        } else {
            x.units.get(unit).cloned().unwrap_or_default()
        }
    };
    let (fa, fb) = (pick(a), pick(b));
    for m in Metric::ALL {
        assert_eq!(
            fa.ratio(m),
            fb.ratio(m),
            "{} of {unit} ({}) differs between the district and the street",
            m.label_zh(),
            if rollup { "with units below" } else { "own" }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sync_the_district_and_a_street_compute_identical_figures_for_that_street() {
    let net = TestNet::start(standard()).await;
    let u = units();
    let district = District::demo();
    let dept = district.departments()[0].id.clone();
    let (d, s1, c11, c12) = (net.n("d"), net.n("s1"), net.n("c11"), net.n("c12"));

    // 社区微循环 at c11.
    let micro = report(c11, Role::GridWorker, "grid_patrol", &u["c11"], T0);
    c11.act(
        &c11.actor(Role::GridWorker),
        &micro,
        Action::SelfHandle,
        T0 + 5 * MIN,
    );
    c11.act(
        &c11.actor(Role::StationChief),
        &micro,
        Action::SelfClose {
            evidence: vec!["photo://1".into()],
            note: "已处理".into(),
        },
        T0 + 30 * MIN,
    );
    // c12 escalates to the street, which runs its loop with one rework.
    let up = report(c12, Role::GridWorker, "grid_patrol", &u["c12"], T0 + MIN);
    c12.act(
        &c12.actor(Role::StationChief),
        &up,
        Action::Escalate {
            reason: "需执法".into(),
        },
        T0 + 10 * MIN,
    );
    net.wait_for(30, "the escalation at the street", |n| {
        n.n("s1").summary(&up).is_some_and(|s| s.holder == u["s1"])
    })
    .await;
    street_loop(s1, &up, &dept, true, T0 + 20 * MIN);

    // A hotline case in c11's territory, handed down (属地) to the street by the district.
    let hot = report(d, Role::Intake, "hotline", &u["c11"], T0 + 2 * MIN);
    d.act(&d.actor(Role::Intake), &hot, Action::Accept, T0 + 20 * MIN);
    d.act(
        &d.actor(Role::ShiftLead),
        &hot,
        Action::Register {
            category: "E0102".parse().unwrap(),
            grid: d.summary(&hot).unwrap().grid,
        },
        T0 + 30 * MIN,
    );
    d.act(
        &d.actor(Role::Dispatcher),
        &hot,
        Action::DispatchDown {
            unit: u["s1"].clone(),
        },
        T0 + 40 * MIN,
    );
    net.wait_for(30, "the hotline case at the street", |n| {
        n.n("s1").summary(&hot).is_some_and(|s| s.holder == u["s1"])
    })
    .await;

    // The street is cut off from the district: both keep working.
    net.cut("s1", "d");
    street_loop(s1, &hot, &dept, false, T0 + 60 * MIN);
    let own = report(s1, Role::Supervisor, "supervisor", &u["c12"], T0 + 3 * MIN);
    if s1.summary(&own).unwrap().state == gridloop_core::workflow::State::Reported {
        s1.act(&s1.actor(Role::Intake), &own, Action::Accept, T0 + 4 * MIN);
    }
    s1.act(
        &s1.actor(Role::ShiftLead),
        &own,
        Action::Register {
            category: "E0102".parse().unwrap(),
            grid: s1.summary(&own).unwrap().grid,
        },
        T0 + 2 * 60 * MIN,
    );
    s1.act(
        &s1.actor(Role::Dispatcher),
        &own,
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
        T0 + 2 * 60 * MIN + 5 * MIN,
    );
    // The department asks for more time; the street's shift lead grants it.
    let due = s1.summary(&own).unwrap().overall_due.unwrap();
    s1.act(
        &s1.actor_for(&dept, Role::Handler),
        &own,
        Action::Request {
            kind: RequestKind::Extension,
            unit: dept.clone(),
            reason: "需采购配件".into(),
            until: Some(due + 24 * 60 * MIN),
        },
        T0 + 2 * 60 * MIN + 30 * MIN,
    );
    let rec = s1.engine().record(&own.0).unwrap();
    let pending = s1
        .engine()
        .derive(&rec)
        .unwrap()
        .current
        .pending
        .expect("pending request")
        .id;
    s1.act(
        &s1.actor(Role::ShiftLead),
        &own,
        Action::Decide {
            request: pending,
            approve: true,
            note: "同意".into(),
        },
        T0 + 2 * 60 * MIN + 40 * MIN,
    );
    // Meanwhile the district: a hotline case in s2's area, and one voided in c12's.
    let other = report(d, Role::Intake, "hotline", &u["c21"], T0 + 4 * MIN);
    d.act(&d.actor(Role::Intake), &other, Action::Accept, T0 + 6 * MIN);
    d.act(
        &d.actor(Role::ShiftLead),
        &other,
        Action::Register {
            category: "E0102".parse().unwrap(),
            grid: d.summary(&other).unwrap().grid,
        },
        T0 + 8 * MIN,
    );
    d.act(
        &d.actor(Role::Dispatcher),
        &other,
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
        T0 + 9 * MIN,
    );
    let void = report(d, Role::Intake, "hotline", &u["c12"], T0 + 5 * MIN);
    d.act(&d.actor(Role::Intake), &void, Action::Accept, T0 + 7 * MIN);
    d.act(
        &d.actor(Role::ShiftLead),
        &void,
        Action::Void {
            reason: "重复来电".into(),
        },
        T0 + 9 * MIN,
    );
    // The district calls the citizen back on the street's hotline case once it has it.
    net.restore("s1", "d");
    net.wait_for(60, "the street's work at the district", |n| {
        n.n("d")
            .summary(&hot)
            .is_some_and(|s| s.state == gridloop_core::workflow::State::Closed)
    })
    .await;
    d.act(
        &d.actor(Role::Callback),
        &hot,
        Action::callback(
            true,
            gridloop_core::domain::event::Rating::Satisfied,
            "满意",
        ),
        T0 + 8 * 60 * MIN,
    );
    net.wait_for(60, "every node converged", |n| n.converged())
        .await;

    // Both assess November at the same moment.
    let period = Period::parse("2026-11").unwrap();
    let now = T0 + 5 * 24 * 60 * MIN;
    let config = AssessConfig::default();
    let at_d = assess(d.engine(), period, now, &config).unwrap();
    let at_s = assess(s1.engine(), period, now, &config).unwrap();
    for unit in [&u["s1"], &u["c11"], &u["c12"]] {
        same(&at_d, &at_s, unit, true);
        same(&at_d, &at_s, unit, false);
    }
    let rank = |a: &Assessment| {
        a.streets
            .iter()
            .find(|r| r.unit == u["s1"])
            .cloned()
            .unwrap()
    };
    assert_eq!(rank(&at_d).score, rank(&at_s).score);
    assert_eq!(rank(&at_d).figures, rank(&at_s).figures);

    // The figures are not trivially equal: they count what was done.
    let street = &at_s.rollups[&u["s1"]];
    // Reports in the street's area by units in it: the micro case, the escalated one, the
    // street's own (the district's reports count for the district).
    assert_eq!(street.ratio(Metric::Reported).total, 3);
    // 区域评价: every case of its area is due to close — the micro case, the escalated one,
    // the hotline one and the street's own (its extended due time passed before `now`); the
    // voided one is excluded. All four were closed except the street's own.
    assert_eq!(
        street.ratio(Metric::CloseRate).total,
        4,
        "{:?}",
        street.ratio(Metric::CloseRate)
    );
    assert_eq!(street.ratio(Metric::CloseRate).hits, 3);
    // The hotline case in c11's territory: resolved, caller satisfied.
    assert_eq!(
        street.ratio(Metric::HotlineResolution),
        gridloop_core::analytics::assess::Ratio { hits: 1, total: 1 }
    );
    assert_eq!(street.ratio(Metric::HotlineSatisfaction).total, 1);
    // The street's checks: one failed (rework for the department), all on time counted.
    assert_eq!(at_s.units[&u["s1"]].ratio(Metric::OnTimeCheck).total, 3);
    assert!(rank(&at_s).score.is_some());

    // The other street: the district sees its hotline case; the first street cannot.
    assert!(
        s1.summary(&other).is_none(),
        "s1 holds nothing of s2's area"
    );
    let s2_at_d = at_d.rollups.get(&u["s2"]).cloned().unwrap_or_default();
    let s2_at_s = at_s.rollups.get(&u["s2"]).cloned().unwrap_or_default();
    assert!(s2_at_d.ratio(Metric::HotlineResponse).total >= 1);
    assert_ne!(s2_at_d, s2_at_s);
    net.shutdown().await;
}
