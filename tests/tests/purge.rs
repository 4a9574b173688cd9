//! Purging drill cases (演练清除) on real nodes (real iroh endpoints on loopback, real redb
//! stores): the district's signed order reaches every node — one cut off at the time gets
//! it when its links come back — every drill case reported before the order's time goes
//! from every store, and neither the feed of a node that still held one nor anti-entropy
//! brings it back. Real cases, and drill cases after the order's time, are untouched.

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_sync::purge::{PurgeError, PurgeOrder};
use gridloop_tests::{T0, TestNet, standard, units};

const MIN: Millis = 60_000;

fn holds(net: &TestNet, node: &str, id: &CaseId) -> bool {
    net.n(node).summary(id).is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_purge_reaches_every_node_and_nothing_brings_the_cases_back() {
    let net = TestNet::start(standard()).await;
    let u = units();
    let (d, c11, c21) = (net.n("d"), net.n("c11"), net.n("c21"));

    // A real case and two drill cases, at two communities of two streets.
    let real = c11.report(Role::GridWorker, &u["c11"], "E0104", T0);
    let drill11 = c11.report_drill(&u["c11"], "E0402", T0 + MIN);
    let drill21 = c21.report_drill(&u["c21"], "E0402", T0 + 2 * MIN);
    net.wait_for(60, "the drill cases at the district", |n| {
        holds(n, "d", &drill11) && holds(n, "d", &drill21) && holds(n, "s2", &drill21)
    })
    .await;

    // c21 is cut off when the purge is ordered, and works its drill case offline.
    net.isolate("c21");
    c21.act(
        &c21.actor(Role::GridWorker),
        &drill21,
        Action::SelfHandle,
        T0 + 5 * MIN,
    );

    let order = |issuer: &str| PurgeOrder {
        district: u["d"].0.clone(),
        before: T0 + 10 * MIN,
        issuer: issuer.into(),
        role: Role::ShiftLead,
        at: T0 + 30 * MIN,
        note: "演练结束".into(),
    };
    // Only the district command centre may purge.
    let refused = c11.node().replica().issue_purge(&order("c11")).unwrap_err();
    assert!(
        matches!(refused, PurgeError::NotDistrict { .. }),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("only the district"),
        "{refused}"
    );
    assert!(
        holds(&net, "c11", &drill11),
        "a refused order removes nothing"
    );

    // A drill case reported after the order's time is not purged by it.
    let later = c11.report_drill(&u["c11"], "E0402", T0 + 20 * MIN);
    net.wait_for(60, "the later drill case at the district", |n| {
        holds(n, "d", &later)
    })
    .await;
    let done = d
        .node()
        .replica()
        .issue_purge(&order("d"))
        .expect("the district may purge")
        .expect("a purge reaching further than none");
    d.node().notify_changed();
    assert_eq!(
        (done.cases, done.changes),
        (2, 2),
        "two drill cases of one change each"
    );
    assert_eq!(
        d.node().replica().issue_purge(&order("d")).unwrap(),
        None,
        "the same order again changes nothing"
    );

    let connected = ["d", "s1", "s2", "c11", "c12", "c22"];
    net.wait_for(60, "the purge at every connected node", |n| {
        connected
            .iter()
            .all(|m| !holds(n, m, &drill11) && !holds(n, m, &drill21))
    })
    .await;
    assert!(
        holds(&net, "c21", &drill21),
        "the cut-off node still holds its drill case"
    );

    // Links come back: c21 gets the order; its offline move on the purged case is dropped
    // wherever it arrives and the case is nowhere.
    net.heal();
    net.wait_for(60, "the purge at the node that was cut off", |n| {
        !holds(n, "c21", &drill21) && n.converged()
    })
    .await;

    for (name, n) in &net.nodes {
        let r = n.engine().store.read().unwrap();
        let purge = r
            .drill_purge()
            .unwrap()
            .expect("the order is in force everywhere");
        assert_eq!(purge.before, T0 + 10 * MIN, "{name}");
        for id in [&drill11, &drill21] {
            assert!(r.summary(id).unwrap().is_none(), "{name} holds purged {id}");
        }
        // No feed of any node carries a change of a purged case any more, so neither a
        // peer's resync nor a reset store can bring one back.
        for unit in u.values() {
            let feed = r.feed(unit, 0, usize::MAX).unwrap();
            assert!(
                feed.iter()
                    .all(|e| e.envelope.case != drill11.0 && e.envelope.case != drill21.0),
                "{name}'s feed for {unit} still carries a purged change"
            );
        }
        // What stays: the real case and the later drill case, where they are in scope.
        let in_s1 = ["d", "s1", "c11"].contains(&name.as_str());
        assert_eq!(
            r.summary(&real).unwrap().is_some(),
            in_s1,
            "{name}: real case"
        );
        assert_eq!(
            r.summary(&later).unwrap().is_some(),
            in_s1,
            "{name}: later drill"
        );
        let left: Vec<CaseId> = r.drill_cases(Millis::MAX).unwrap();
        assert_eq!(
            left,
            if in_s1 { vec![later.clone()] } else { vec![] },
            "{name}"
        );
        // Anti-entropy finds nothing to repair: this node's digest of its scope is the
        // district's.
        if name != "d" {
            let dr = d.engine().store.read().unwrap();
            assert_eq!(
                r.digest(&n.unit).unwrap(),
                dr.digest(&n.unit).unwrap(),
                "{name}'s digest differs from the district's"
            );
        }
    }
    // The purged cases are remembered where they were held, so a digest never asks for them.
    let dr = d.engine().store.read().unwrap();
    assert!(dr.is_purged(&drill11).unwrap() && dr.is_purged(&drill21).unwrap());
    assert!(!dr.is_purged(&real).unwrap());
    drop(dr);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_purge_order_offered_again_is_quarantined_once() {
    use gridloop_sync::session::Replica;
    let net = TestNet::start(standard()).await;
    let u = units();
    // An order signed by a community: every node refuses it.
    let order = PurgeOrder {
        district: u["d"].0.clone(),
        before: T0,
        issuer: "c11".into(),
        role: Role::ShiftLead,
        at: T0 + MIN,
        note: "越权清除".into(),
    };
    let bytes = order.sign(net.n("c11").node().replica().key()).to_bytes();
    let d = net.n("d");
    let held = || {
        d.engine()
            .store
            .read()
            .unwrap()
            .quarantined()
            .unwrap()
            .len()
    };
    let before = held();
    for _ in 0..3 {
        let why = d.node().replica().offer_purge(&bytes).unwrap_err();
        assert!(why.contains("drill purge order refused"), "{why}");
    }
    assert_eq!(held(), before + 1, "offered three times, kept once");
    net.shutdown().await;
}
