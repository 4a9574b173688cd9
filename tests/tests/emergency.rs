//! 平战一体 end to end on real nodes (real iroh endpoints on loopback, real redb stores): the
//! district opens an emergency over street s1; every node of s1 is in 战时 and no node of s2
//! is; a community cut off from everyone keeps ticking its part of the checklist and reports
//! into the priority lane; after the link returns the district sees it all; a summoned
//! department's report-in and the stand-down bring everyone back to 平时.

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::emergency::{Lane, Plans};
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::District;
use gridloop_core::engine::NewCase;
use gridloop_tests::{T0, TestNet, standard, units};

const MIN: Millis = 60_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_reaches_its_area_works_offline_and_stands_down() {
    let net = TestNet::start(standard()).await;
    let u = units();
    let district = District::demo();
    let dept = district
        .departments()
        .into_iter()
        .find(|d| d.name.contains("水务"))
        .unwrap()
        .id
        .clone();
    let plans = Plans::builtin();
    let flood = plans.get("flood").unwrap();
    let d = net.n("d");
    let lead = d.actor(Role::ShiftLead);
    let grid = district.grids_of(&u["c11"])[0].code.to_string();
    let incident = d
        .engine()
        .open_incident(
            &lead,
            flood,
            3,
            vec![u["s1"].clone()],
            &grid,
            "东华门大街",
            "暴雨红色预警，东华门地区多处积水",
            false,
            T0,
        )
        .unwrap();
    d.node().notify_changed();

    // The area is in 战时; the other street and its communities are not.
    net.wait_for(30, "the incident at every node of s1", |n| {
        ["s1", "c11", "c12"]
            .iter()
            .all(|x| n.n(x).engine().mode(&u[x]).unwrap().emergency())
    })
    .await;
    for x in ["s2", "c21", "c22"] {
        assert!(
            !net.n(x).engine().mode(&u[x]).unwrap().emergency(),
            "{x} stays 平时"
        );
        assert!(
            net.n(x).summary(&incident.id).is_none(),
            "{x} never receives an incident outside its area"
        );
    }

    // c11 is cut off from everyone; it keeps working: ticks item 2, reports into the lane.
    net.cut("c11", "s1");
    net.cut("c11", "d");
    let c11 = net.n("c11");
    let chief = c11.actor(Role::StationChief);
    c11.act(
        &chief,
        &incident.id,
        Action::Tick {
            item: 1,
            note: "已巡查下凹桥".into(),
        },
        T0 + 5 * MIN,
    );
    let mode = c11.engine().mode(&u["c11"]).unwrap();
    let (row, i) = mode.lead().unwrap().clone();
    let lane_case = c11
        .engine()
        .report(
            &c11.actor(Role::GridWorker),
            &NewCase {
                source: "grid_patrol".into(),
                category: "E0406".into(),
                grid: grid.clone(),
                address: "东华门地下通道".into(),
                description: "积水 40 厘米，已设警示".into(),
                emergency: Some(Lane {
                    incident: row.id.clone(),
                    limits: i.limits,
                }),
                ..NewCase::default()
            },
            T0 + 6 * MIN,
        )
        .unwrap();
    assert_eq!(
        lane_case.due.unwrap() - (T0 + 6 * MIN),
        i.limits.accept as i64 * MIN
    );
    // Meanwhile the district ticks item 1 and summons the water department.
    d.act(
        &lead,
        &incident.id,
        Action::Tick {
            item: 0,
            note: "已到岗".into(),
        },
        T0 + 5 * MIN,
    );
    d.act(
        &lead,
        &incident.id,
        Action::Summon {
            units: vec![dept.clone()],
            resources: vec!["抽水泵车 4 台".into()],
        },
        T0 + 7 * MIN,
    );
    d.node().notify_changed();

    // The link returns: both ticks merge without a conflict; the lane case reaches d.
    net.restore("c11", "s1");
    net.restore("c11", "d");
    net.wait_for(30, "c11's offline work at the district", |n| {
        let d = n.n("d");
        d.summary(&lane_case.id).is_some()
            && d.summary(&incident.id)
                .and_then(|s| s.incident)
                .is_some_and(|i| i.progress().0 == 2)
    })
    .await;
    let s = d.summary(&incident.id).unwrap();
    assert!(!s.conflict, "concurrent ticks never conflict");
    let i = s.incident.unwrap();
    assert_eq!(i.checklist[1].done.as_ref().unwrap().1, u["c11"]);
    assert!(d.summary(&lane_case.id).unwrap().lane == Some(incident.id.clone()));

    // The department reports in (from the district node, on its behalf), then stand down.
    let handler = d.actor_for(&dept, Role::Handler);
    d.act(
        &handler,
        &incident.id,
        Action::ReportIn { unit: dept.clone() },
        T0 + 15 * MIN,
    );
    d.act(
        &lead,
        &incident.id,
        Action::StandDown {
            note: "雨停，积水退去".into(),
        },
        T0 + 90 * MIN,
    );
    d.node().notify_changed();
    net.wait_for(30, "平时 everywhere", |n| {
        ["d", "s1", "c11", "c12"]
            .iter()
            .all(|x| !n.n(x).engine().mode(&u[x]).unwrap().emergency())
    })
    .await;
    net.wait_for(30, "convergence", |n| n.converged()).await;
    net.shutdown().await;
}
