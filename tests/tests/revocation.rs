//! Revocation keeps history (吊销保留历史): a revoked community's work from before its
//! revocation still reaches a node that lacks it (a street whose store was reset), while
//! nothing the revoked key signs from the revocation on is accepted.

use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_tests::rogue::{Rogue, crafted, event_at};
use gridloop_tests::{T0, TestNet, standard, units};

const MIN: i64 = 60_000;
const DAY: i64 = 24 * 60 * MIN;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_communitys_history_still_travels_and_nothing_new_is_accepted() {
    let mut net = TestNet::start(standard()).await;
    let u = units();
    // c21 works 50 cases: reports and self-handles each, and closes every other one.
    let c21 = net.n("c21");
    let mut ids: Vec<CaseId> = Vec::new();
    for i in 0..50 {
        let t = T0 + i * 3 * MIN;
        let id = c21.report(Role::GridWorker, &u["c21"], "E0104", t);
        c21.act(
            &c21.actor(Role::GridWorker),
            &id,
            Action::SelfHandle,
            t + MIN,
        );
        if i % 2 == 0 {
            c21.act(
                &c21.actor(Role::StationChief),
                &id,
                Action::SelfClose {
                    evidence: vec!["photo://after".into()],
                    note: "已处理".into(),
                },
                t + 2 * MIN,
            );
        }
        ids.push(id);
    }
    let same_as_c21 = |n: &TestNet, at: &str| {
        ids.iter().all(|id| {
            n.n(at).summary(id).is_some() && n.n(at).summary(id) == n.n("c21").summary(id)
        })
    };
    net.wait_for(60, "c21's 50 cases at s2 and d", |n| {
        same_as_c21(n, "s2") && same_as_c21(n, "d")
    })
    .await;

    // Revoke c21 from the next day, in a new roster version handed to the district.
    let from = T0 + DAY;
    let mut roster = net.roster.verify(None).unwrap();
    roster.revoke("c21", from).unwrap();
    let signed = roster.sign(&net.root);
    net.roster = signed.clone();
    assert!(net.n("d").node().adopt_roster(&signed.to_bytes()).unwrap());
    net.wait_for(20, "s2 to adopt the revocation", |n| {
        n.n("s2").node().replica().current_roster().version == roster.version
    })
    .await;

    // Reset the street: it starts again from an empty store and resyncs.
    net.stop("s2").await;
    net.restart("s2", true).await;
    net.wait_for(60, "every one of c21's cases at the reset street", |n| {
        ids.iter().all(|id| {
            n.n("s2").summary(id).is_some() && n.n("s2").summary(id) == n.n("d").summary(id)
        })
    })
    .await;
    let s2 = net.n("s2");
    let d = net.n("d");
    for id in &ids {
        assert_eq!(
            s2.engine().store.doc(id).unwrap().heads(),
            d.engine().store.doc(id).unwrap().heads(),
            "case {id} arrived incomplete"
        );
    }
    let q = s2.engine().store.read().unwrap().quarantined().unwrap();
    assert!(q.is_empty(), "history was quarantined: {q:#?}");

    // Nothing new from the revoked key: a close signed by c21 after the revocation, relayed
    // by another community, is refused with the revocation's time and version.
    let open = &ids[1];
    let doc = d.engine().store.doc(open).unwrap();
    let tip = doc.events().unwrap().last().unwrap().id.clone();
    let close = event_at(
        "c21",
        &u["c21"],
        Role::StationChief,
        Action::SelfClose {
            evidence: vec!["photo://after".into()],
            note: "吊销后".into(),
        },
        std::slice::from_ref(&tip),
        from + 60 * MIN,
    );
    let (late, _) = crafted(&doc, &close, "c21", &net.n("c21").key);
    let before = s2.summary(open).unwrap();
    net.stop("c22").await;
    let mut rogue = Rogue::join(&net.n("c22").key, net.n("s2"), "c22", &u["c22"].0).await;
    rogue.feed(&[late], 0).await;
    let s2 = net.n("s2");
    let q = s2.engine().store.read().unwrap().quarantined().unwrap();
    let reasons: Vec<&str> = q.iter().map(|(_, x)| x.reason.as_str()).collect();
    assert_eq!(reasons.len(), 1, "{reasons:#?}");
    assert!(
        reasons[0].contains("author c21 has been revoked from")
            && reasons[0].contains(&format!("roster version {}", roster.version)),
        "{}",
        reasons[0]
    );
    assert_eq!(s2.summary(open).unwrap(), before);
    net.shutdown().await;
}

/// A node revoked after its peers started is not dialled again: the communities that dial a
/// revoked street stop, rather than opening a new session every few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_street_is_no_longer_dialled() {
    use gridloop_sync::node::LinkState;
    let net = TestNet::start(standard()).await;
    net.wait_for(20, "c21 live with s2", |n| {
        n.n("c21")
            .node()
            .peers()
            .iter()
            .any(|p| p.node == "s2" && matches!(p.state, LinkState::Live))
    })
    .await;
    let mut roster = net.roster.verify(None).unwrap();
    roster.revoke("s2", T0).unwrap();
    let signed = roster.sign(&net.root);
    assert!(net.n("d").node().adopt_roster(&signed.to_bytes()).unwrap());
    net.wait_for(20, "c21 to stop dialling the revoked street", |n| {
        n.n("c21")
            .node()
            .peers()
            .iter()
            .any(|p| p.node == "s2" && p.state == LinkState::Down("revoked".into()))
    })
    .await;
    // It stays down: no new session opens.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let state = net
        .n("c21")
        .node()
        .peers()
        .into_iter()
        .find(|p| p.node == "s2")
        .map(|p| p.state);
    assert_eq!(state, Some(LinkState::Down("revoked".into())));
    net.shutdown().await;
}
