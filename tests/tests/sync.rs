//! Replication end to end: real iroh endpoints on loopback, real redb stores, one district,
//! two streets, four communities.

use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_core::workflow::State;
use gridloop_tests::{T0, TestNet, standard, units};

const MIN: i64 = 60_000;

fn trace() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_community_case_reaches_the_district_through_its_street() {
    trace();
    let net = TestNet::start(standard()).await;
    let u = units();
    // The community's direct link to the district is down: the street relays.
    net.cut("c11", "d");
    let c11 = net.n("c11");
    let id = c11.report(Role::GridWorker, &u["c11"], "E0104", T0);
    net.wait_for(20, "the case at the district", |n| {
        n.n("d").summary(&id).is_some()
    })
    .await;
    assert!(net.n("s1").summary(&id).is_some());
    // Privacy: no other community, and not the other street, ever sees it.
    for other in ["c12", "c21", "c22", "s2"] {
        assert!(net.n(other).summary(&id).is_none(), "{other} got the case");
    }
    net.wait_for(20, "convergence", |n| n.converged()).await;
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_three_loops_run_offline_and_converge_after_healing() {
    trace();
    let net = TestNet::start(standard()).await;
    let u = units();
    let (c11, s1, d) = (net.n("c11"), net.n("s1"), net.n("d"));

    // 社区微循环 while the community is cut off from everyone.
    net.isolate("c11");
    let micro = c11.report(Role::GridWorker, &u["c11"], "E0104", T0);
    c11.act(
        &c11.actor(Role::GridWorker),
        &micro,
        Action::SelfHandle,
        T0 + 5 * MIN,
    );
    c11.act(
        &c11.actor(Role::GridWorker),
        &micro,
        Action::SelfClose {
            evidence: vec!["photo://done.jpg".into()],
            note: "已处理".into(),
        },
        T0 + 10 * MIN,
    );
    assert_eq!(c11.summary(&micro).unwrap().state, State::Closed);

    // 街道小循环 while the street is cut off from the district.
    net.restore("c11", "s1");
    net.cut("s1", "d");
    let esc = c11.report(Role::GridWorker, &u["c11"], "E0101", T0 + 20 * MIN);
    c11.act(
        &c11.actor(Role::StationChief),
        &esc,
        Action::Escalate {
            reason: "社区无执法权".into(),
        },
        T0 + 25 * MIN,
    );
    net.wait_for(20, "the escalated case at the street", |n| {
        n.n("s1").summary(&esc).is_some_and(|s| s.holder == u["s1"])
    })
    .await;
    let dept = gridloop_core::domain::unit::District::demo().departments()[0]
        .id
        .clone();
    s1.act(
        &s1.actor(Role::ShiftLead),
        &esc,
        Action::Register {
            category: "E0101".parse().unwrap(),
            grid: s1.summary(&esc).unwrap().grid,
        },
        T0 + 30 * MIN,
    );
    s1.act(
        &s1.actor(Role::Dispatcher),
        &esc,
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
        T0 + 35 * MIN,
    );
    s1.act(
        &s1.actor_for(&dept, Role::Handler),
        &esc,
        Action::Feedback {
            unit: dept.clone(),
            note: "已拆除".into(),
            photos: vec![],
        },
        T0 + 60 * MIN,
    );
    s1.act(
        &s1.actor(Role::Supervisor),
        &esc,
        Action::Check {
            passed: true,
            note: "核查通过".into(),
        },
        T0 + 70 * MIN,
    );
    s1.act(
        &s1.actor(Role::ShiftLead),
        &esc,
        Action::Close,
        T0 + 80 * MIN,
    );
    assert_eq!(s1.summary(&esc).unwrap().state, State::Closed);

    // The district works on its own meanwhile.
    let own = d.report(Role::Intake, &u["c21"], "E0102", T0 + 15 * MIN);
    d.act(&d.actor(Role::Intake), &own, Action::Accept, T0 + 16 * MIN);

    // Nothing of the street's loop has reached the district.
    assert!(d.summary(&micro).is_none() || d.summary(&micro).unwrap().state != State::Closed);
    assert!(d.summary(&esc).is_none());

    net.heal();
    net.wait_for(30, "convergence after healing", |n| n.converged())
        .await;
    assert_eq!(d.summary(&micro).unwrap().state, State::Closed);
    assert_eq!(d.summary(&esc).unwrap().state, State::Closed);
    assert_eq!(
        net.n("c21").summary(&own).unwrap().state,
        d.summary(&own).unwrap().state
    );
    // The district's copy of the trail says which moves were made offline (离线办理): every
    // move of the community's micro-loop case, made while it was isolated, and none of the
    // street's, which kept its links to its other communities.
    let trail = |id: &gridloop_core::domain::case_id::CaseId| {
        d.engine().record(id.as_str()).unwrap().events
    };
    let micro_trail = trail(&micro);
    assert_eq!(micro_trail.len(), 3);
    assert!(micro_trail.iter().all(|e| e.offline), "{micro_trail:?}");
    let street_moves: Vec<_> = trail(&esc)
        .into_iter()
        .filter(|e| e.node.0 == "s1")
        .collect();
    assert_eq!(street_moves.len(), 5);
    assert!(street_moves.iter().all(|e| !e.offline), "{street_moves:?}");
    net.shutdown().await;
}

/// Brings a case reported at c11 to the street, dispatched and fed back (待核查).
async fn case_at_check(net: &TestNet) -> gridloop_core::domain::case_id::CaseId {
    let u = units();
    let (c11, s1) = (net.n("c11"), net.n("s1"));
    let id = c11.report(Role::GridWorker, &u["c11"], "E0101", T0);
    c11.act(
        &c11.actor(Role::StationChief),
        &id,
        Action::Escalate {
            reason: "上报街道".into(),
        },
        T0 + MIN,
    );
    net.wait_for(20, "the case at the street", |n| {
        n.n("s1").summary(&id).is_some_and(|s| s.holder == u["s1"])
    })
    .await;
    let dept = gridloop_core::domain::unit::District::demo().departments()[0]
        .id
        .clone();
    s1.act(
        &s1.actor(Role::ShiftLead),
        &id,
        Action::Register {
            category: "E0101".parse().unwrap(),
            grid: s1.summary(&id).unwrap().grid,
        },
        T0 + 2 * MIN,
    );
    s1.act(
        &s1.actor(Role::Dispatcher),
        &id,
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
        T0 + 3 * MIN,
    );
    s1.act(
        &s1.actor_for(&dept, Role::Handler),
        &id,
        Action::Feedback {
            unit: dept,
            note: "已处置".into(),
            photos: vec![],
        },
        T0 + 4 * MIN,
    );
    net.wait_for(20, "the district to see 待核查", |n| {
        n.n("d")
            .summary(&id)
            .is_some_and(|s| s.state == State::ToCheck)
    })
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_moves_across_a_cut_show_as_a_conflict_everywhere() {
    trace();
    let net = TestNet::start(standard()).await;
    let id = case_at_check(&net).await;
    let (s1, d) = (net.n("s1"), net.n("d"));
    // The street is cut from the district (directly and through its communities).
    net.cut("s1", "d");
    net.cut("c11", "d");
    net.cut("c12", "d");
    s1.act(
        &s1.actor(Role::Supervisor),
        &id,
        Action::Check {
            passed: true,
            note: "街道核查通过".into(),
        },
        T0 + 10 * MIN,
    );
    d.act(
        &d.actor(Role::Supervisor),
        &id,
        Action::Check {
            passed: false,
            note: "区级抽查未通过".into(),
        },
        T0 + 11 * MIN,
    );
    assert!(!s1.summary(&id).unwrap().conflict);
    net.heal();
    net.wait_for(30, "convergence", |n| n.converged()).await;
    for name in ["d", "s1", "c11"] {
        assert!(
            net.n(name).summary(&id).unwrap().conflict,
            "{name} does not show the conflict"
        );
    }
    // Both branches are kept in the trail, none silently dropped.
    let rec = d.engine().record(id.as_str()).unwrap();
    let derived = d.engine().derive(&rec).unwrap();
    let branches = derived.conflict.expect("branches");
    assert_eq!(branches.len(), 2);
    // The district leader resolves; the resolution reaches everyone.
    let keep = branches
        .iter()
        .find(|b| b.state.rework > 0)
        .expect("the failed check's branch")
        .tip
        .clone();
    d.act(
        &d.actor(Role::Leader),
        &id,
        Action::Resolve {
            keep,
            note: "以区级抽查为准".into(),
        },
        T0 + 20 * MIN,
    );
    net.wait_for(30, "the resolution everywhere", |n| {
        ["s1", "c11"]
            .iter()
            .all(|x| n.n(x).summary(&id).is_some_and(|s| !s.conflict))
    })
    .await;
    assert!(net.converged(), "{:?}", net.divergence());
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_store_resyncs_fully() {
    trace();
    let mut net = TestNet::start(standard()).await;
    let u = units();
    let id = case_at_check(&net).await;
    let other = net
        .n("c21")
        .report(Role::GridWorker, &u["c21"], "E0104", T0);
    net.wait_for(20, "convergence", |n| n.converged()).await;
    net.stop("s1").await;
    net.restart("s1", true).await;
    assert!(net.n("s1").summary(&id).is_none(), "the store was reset");
    net.wait_for(30, "the reset street to resync", |n| {
        n.n("s1").summary(&id).is_some() && n.converged()
    })
    .await;
    assert_eq!(net.n("s1").summary(&id).unwrap().state, State::ToCheck);
    assert!(
        net.n("s1").summary(&other).is_none(),
        "another street's case"
    );
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_dispatched_into_a_new_scope_arrives_with_its_whole_history() {
    trace();
    let net = TestNet::start(standard()).await;
    let u = units();
    let d = net.n("d");
    // A hotline case reported on a grid of c11 (street s1)...
    let id = d.report(Role::Intake, &u["c11"], "E0102", T0);
    d.act(&d.actor(Role::Intake), &id, Action::Accept, T0 + MIN);
    net.wait_for(20, "s1 to hold the case", |n| {
        n.n("s1").summary(&id).is_some()
    })
    .await;
    assert!(net.n("s2").summary(&id).is_none(), "s2 is not in scope yet");
    // ...registered with the grid corrected to one of c21 (street s2), and dispatched
    // down to s2: the case enters s2's and c21's scope.
    let grid = gridloop_core::domain::unit::District::demo().grids_of(&u["c21"])[0]
        .code
        .clone();
    d.act(
        &d.actor(Role::ShiftLead),
        &id,
        Action::Register {
            category: "E0102".parse().unwrap(),
            grid,
        },
        T0 + 2 * MIN,
    );
    d.act(
        &d.actor(Role::Dispatcher),
        &id,
        Action::DispatchDown {
            unit: u["s2"].clone(),
        },
        T0 + 3 * MIN,
    );
    net.wait_for(20, "s2 to receive the dispatched case", |n| {
        n.n("s2").summary(&id).is_some_and(|s| s.holder == u["s2"])
    })
    .await;
    // Its whole history came along: the trail is complete and identical.
    let trail = |name: &str| {
        net.n(name)
            .engine()
            .record(id.as_str())
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(trail("s2"), trail("d"));
    assert_eq!(trail("s2").len(), 4);
    net.wait_for(20, "c21 to receive it too", |n| {
        n.n("c21").summary(&id).is_some()
    })
    .await;
    assert_eq!(trail("c21"), trail("d"));
    // Communities outside its territory never see it.
    assert!(net.n("c22").summary(&id).is_none());
    net.wait_for(20, "convergence", |n| n.converged()).await;
    net.shutdown().await;
}

/// Every node reports a case and, where it holds one, makes the next simple move on it.
fn everyone_works(net: &TestNet, round: i64) {
    let u = units();
    let t = T0 + round * 10 * MIN;
    for name in ["d", "s1", "s2", "c11", "c12", "c21", "c22"] {
        let n = net.n(name);
        let community = match name {
            "d" | "s1" => u["c12"].clone(),
            "s2" => u["c22"].clone(),
            c => u[c].clone(),
        };
        let role = match name {
            "d" => Role::Intake,
            "s1" | "s2" => Role::ShiftLead,
            _ => Role::GridWorker,
        };
        n.report(role, &community, "E0104", t);
        let held = n
            .engine()
            .store
            .read()
            .unwrap()
            .inbox(
                &n.unit,
                &[State::Reported, State::ToRegister],
                gridloop_core::store::LightFilter::Any,
                t,
                10,
            )
            .unwrap();
        if let Some(case) = held.first() {
            let (actor, action) = match (name.starts_with('c'), case.state) {
                (true, _) => (n.actor(Role::GridWorker), Action::SelfHandle),
                (false, State::Reported) => (n.actor(Role::Intake), Action::Accept),
                (false, _) => (
                    n.actor(Role::ShiftLead),
                    Action::Register {
                        category: case.category.clone(),
                        grid: case.grid.clone(),
                    },
                ),
            };
            let _ = n.engine().act(&actor, &case.id, action, t + MIN);
            n.node().notify_changed();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_partition_shape_heals_to_identical_state() {
    trace();
    let net = TestNet::start(standard()).await;
    let shapes: [(&str, &[(&str, &str)]); 4] = [
        ("community cut from street", &[("c11", "s1"), ("c21", "s2")]),
        (
            "street cut from district",
            &[("s1", "d"), ("c11", "d"), ("c12", "d")],
        ),
        (
            "district isolated",
            &[
                ("d", "s1"),
                ("d", "s2"),
                ("d", "c11"),
                ("d", "c12"),
                ("d", "c21"),
                ("d", "c22"),
            ],
        ),
        ("everything isolated", &[]),
    ];
    for (i, (shape, cuts)) in shapes.iter().enumerate() {
        if cuts.is_empty() {
            for n in ["d", "s1", "s2", "c11", "c12", "c21", "c22"] {
                net.isolate(n);
            }
        } else {
            for (a, b) in cuts.iter() {
                net.cut(a, b);
            }
        }
        for round in 0..3 {
            everyone_works(&net, (i * 10 + round) as i64);
        }
        net.heal();
        net.wait_for(30, shape, |n| n.converged()).await;
    }
    let total = net.n("d").cases().len();
    assert_eq!(total, 4 * 3 * 7, "every report reached the district");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anti_entropy_repairs_what_the_feed_skipped() {
    trace();
    let mut net = TestNet::start(standard()).await;
    let u = units();
    net.n("c11")
        .report(Role::GridWorker, &u["c11"], "E0104", T0);
    net.wait_for(20, "convergence", |n| n.converged()).await;
    net.stop("s1").await;
    let missed: Vec<_> = (0..3)
        .map(|i| {
            net.n("c11")
                .report(Role::GridWorker, &u["c11"], "E0104", T0 + i * MIN)
        })
        .collect();
    net.wait_for(20, "the district to hold them", |n| {
        missed.iter().all(|id| n.n("d").summary(id).is_some())
    })
    .await;
    // Corrupt the street's receive checkpoints so the feeds resume past what it missed.
    {
        let store =
            gridloop_core::store::Store::open(&net.n("s1").dir.path().join("gridloop.redb"))
                .unwrap();
        let wt = store.begin(true).unwrap();
        for peer in ["d", "c11"] {
            let epoch = net.n(peer).engine().store.epoch().unwrap();
            gridloop_core::store::Store::set_received(&wt, peer, &epoch, u64::MAX / 4).unwrap();
        }
        wt.commit().unwrap();
    }
    net.restart("s1", false).await;
    net.wait_for(30, "anti-entropy to repair the street", |n| {
        missed.iter().all(|id| n.n("s1").summary(id).is_some()) && n.converged()
    })
    .await;
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_node_signs_for_and_feeds_back_a_case_dispatched_to_it() {
    trace();
    let district = gridloop_core::domain::unit::District::demo();
    let (law, sanitation) = (
        district.departments()[0].id.clone(),
        district.departments()[1].id.clone(),
    );
    let mut specs = standard();
    for (name, unit) in [("p1", law.clone()), ("p2", sanitation.clone())] {
        specs.push(gridloop_tests::Spec {
            name,
            unit,
            role: Role::Handler,
            links: vec!["d"],
        });
    }
    let net = TestNet::start(specs).await;
    let u = units();
    let (d, p1) = (net.n("d"), net.n("p1"));
    let id = d.report(Role::Intake, &u["c11"], "E0102", T0);
    d.act(&d.actor(Role::Intake), &id, Action::Accept, T0 + MIN);
    let s = d.summary(&id).unwrap();
    d.act(
        &d.actor(Role::ShiftLead),
        &id,
        Action::Register {
            category: s.category.clone(),
            grid: s.grid.clone(),
        },
        T0 + 2 * MIN,
    );
    d.act(
        &d.actor(Role::Dispatcher),
        &id,
        Action::Dispatch {
            lead: law.clone(),
            assists: vec![],
        },
        T0 + 3 * MIN,
    );
    // The department's node receives the case and lists it in its own inbox.
    net.wait_for(20, "the case at the department", |n| {
        n.n("p1").summary(&id).is_some()
    })
    .await;
    let inbox = p1
        .engine()
        .store
        .read()
        .unwrap()
        .inbox(
            &law,
            &[State::Handling],
            gridloop_core::store::LightFilter::Any,
            T0 + 4 * MIN,
            10,
        )
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].id, id);
    // It signs for it and feeds back from its own terminal; the centre sees both.
    p1.act(
        &p1.actor(Role::Handler),
        &id,
        Action::SignFor { unit: law.clone() },
        T0 + 10 * MIN,
    );
    p1.act(
        &p1.actor(Role::Handler),
        &id,
        Action::Feedback {
            unit: law.clone(),
            note: "已清运".into(),
            photos: vec![],
        },
        T0 + 40 * MIN,
    );
    net.wait_for(20, "the feedback at the district", |n| {
        n.n("d")
            .summary(&id)
            .is_some_and(|s| s.state == State::ToCheck)
    })
    .await;
    let s = d.summary(&id).unwrap();
    assert_eq!(s.receipts[0].signed, Some(T0 + 10 * MIN));
    let fb = s
        .acts
        .iter()
        .find(|a| a.step == gridloop_core::workflow::Step::Feedback)
        .unwrap();
    assert_eq!(
        (&fb.unit, &fb.by),
        (&law, &None),
        "its own feedback, not 代录"
    );
    // Another department never receives it.
    assert!(net.n("p2").summary(&id).is_none());
    net.wait_for(20, "convergence", |n| n.converged()).await;
    net.shutdown().await;
}
