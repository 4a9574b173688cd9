//! Security end to end: unknown and revoked endpoints are refused at the handshake; forged,
//! tampered, out-of-scope and unauthorized changes sent over a real connection are
//! quarantined with a clear reason and never applied.

use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_sync::frame::{Frame, VERSION};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::session::to_wire;
use gridloop_tests::rogue::{Rogue, crafted, crafted_import, event};
use gridloop_tests::{T0, TestNet, standard, units};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_revoked_endpoints_are_refused_at_the_handshake() {
    let net = TestNet::start(standard()).await;
    let d = net.n("d");
    // An endpoint id nobody enrolled.
    let stranger = NodeKey::generate();
    if let Ok(mut r) = Rogue::connect(&stranger, d).await {
        let _ = r
            .send(&Frame::Hello {
                version: VERSION,
                node: "c11".into(),
                unit: units()["c11"].0.clone(),
                epoch: "x".into(),
                roster: 0,
                config: 0,
            })
            .await;
        assert!(
            r.until(|f| matches!(f, Frame::Resume { .. }))
                .await
                .is_err()
        );
    }
    net.wait_for(10, "the refusal to be recorded", |n| {
        n.n("d")
            .node()
            .refusals()
            .iter()
            .any(|r| r.reason.contains("not in the roster"))
    })
    .await;

    // Revoke c22 in a new roster version, signed by the root, handed to the district.
    let mut roster = net.roster.verify(None).unwrap();
    roster.revoke("c22", T0).unwrap();
    let signed = roster.sign(&net.root);
    // A roster signed by someone else is refused.
    let forged = roster.sign(&NodeKey::generate());
    let err = d.node().adopt_roster(&forged.to_bytes()).unwrap_err();
    assert!(err.contains("signature does not verify"), "{err}");
    assert!(d.node().adopt_roster(&signed.to_bytes()).unwrap());
    // The district drops c22's sessions; c22's redials are refused.
    net.wait_for(15, "c22 refused as revoked", |n| {
        n.n("d")
            .node()
            .refusals()
            .iter()
            .any(|r| r.reason.contains("revoked"))
    })
    .await;
    // It keeps trying: one entry, counted, not one per redial.
    net.wait_for(20, "c22 refused again", |n| {
        n.n("d")
            .node()
            .refusals()
            .iter()
            .any(|r| r.reason.contains("revoked") && r.count >= 2)
    })
    .await;
    let revoked: Vec<_> = d
        .node()
        .refusals()
        .into_iter()
        .filter(|r| r.reason.contains("revoked"))
        .collect();
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    // The new roster spreads: the street learns it from the district, and then refuses
    // c22's changes relayed or direct.
    net.wait_for(15, "s2 to adopt the new roster", |n| {
        n.n("s2").node().replica().current_roster().version == roster.version
    })
    .await;
    let c22 = net.n("c22");
    let id = c22.report(Role::GridWorker, &units()["c22"], "E0104", T0);
    // Positive control: a case reported after it by c21, under the same street, reaches
    // both; so the network was carrying cases while c22's had its chance.
    let control = net
        .n("c21")
        .report(Role::GridWorker, &units()["c21"], "E0104", T0 + 60_000);
    net.wait_for(15, "c21's case to reach the street and the district", |n| {
        n.n("s2").summary(&control).is_some() && n.n("d").summary(&control).is_some()
    })
    .await;
    assert!(
        d.summary(&id).is_none(),
        "a revoked node's case reached the district"
    );
    assert!(
        net.n("s2").summary(&id).is_none(),
        "a revoked node's case reached its street"
    );
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_out_of_scope_and_unauthorized_changes_are_quarantined() {
    let mut net = TestNet::start(standard()).await;
    let u = units();
    let c11 = net.n("c11");
    let id: CaseId = c11.report(Role::GridWorker, &u["c11"], "E0104", T0);
    net.wait_for(20, "the case at the district", |n| {
        n.n("d").summary(&id).is_some()
    })
    .await;
    let doc = net.n("d").engine().store.doc(&id).unwrap();
    let tip = doc.events().unwrap().last().unwrap().id.clone();
    let before = net.n("d").summary(&id).unwrap();
    let c11_key = net.n("c11").key.clone();
    let c21_key = net.n("c21").key.clone();

    // 1. Forged: c11's move signed with another key.
    let handle = event(
        "c11",
        &u["c11"],
        Role::GridWorker,
        Action::SelfHandle,
        std::slice::from_ref(&tip),
    );
    let (forged, _) = crafted(&doc, &handle, "c11", &NodeKey::generate());
    // The same change, genuinely signed, sent after the forgery: it must still apply.
    let (genuine, _) = crafted(&doc, &handle, "c11", &c11_key);
    assert_eq!(genuine.change, forged.change);
    // 2. Tampered: a validly signed change with one byte flipped afterwards.
    let (mut tampered, _) = crafted(
        &doc,
        &event(
            "c11",
            &u["c11"],
            Role::GridWorker,
            Action::SelfHandle,
            std::slice::from_ref(&tip),
        ),
        "c11",
        &c11_key,
    );
    let n = tampered.change.len();
    tampered.change[n - 3] ^= 0x55;
    // 3. Out of scope: c21 (another street's community) moves c11's case, properly signed.
    let (out_of_scope, _) = crafted(
        &doc,
        &event(
            "c21",
            &u["c21"],
            Role::GridWorker,
            Action::SelfHandle,
            std::slice::from_ref(&tip),
        ),
        "c21",
        &c21_key,
    );
    // 4. Unauthorized: c11's grid worker closes a case that is 待受理, properly signed.
    let (unauthorized, _) = crafted(
        &doc,
        &event(
            "c11",
            &u["c11"],
            Role::GridWorker,
            Action::Close,
            std::slice::from_ref(&tip),
        ),
        "c11",
        &c11_key,
    );
    // 5. Impersonation: the street (in scope) signs an event claiming node c11 made it.
    let s1_key = net.n("s1").key.clone();
    let (impersonated, _) = crafted(
        &doc,
        &event(
            "c11",
            &u["c11"],
            Role::GridWorker,
            Action::SelfHandle,
            std::slice::from_ref(&tip),
        ),
        "s1",
        &s1_key,
    );

    // The rogue is c21's real key speaking the protocol by hand to the district.
    net.stop("c21").await;
    let d = net.n("d");
    let mut rogue = Rogue::connect(&c21_key, d)
        .await
        .expect("enrolled key connects");
    rogue
        .send(&Frame::Hello {
            version: VERSION,
            node: "c21".into(),
            unit: u["c21"].0.clone(),
            epoch: "rogue-epoch".into(),
            roster: 99,
            config: 99,
        })
        .await
        .unwrap();
    rogue
        .until(|f| matches!(f, Frame::Resume { .. }))
        .await
        .expect("resume");
    rogue
        .send(&Frame::Resume { from: u64::MAX / 2 })
        .await
        .unwrap();
    let bad = [forged, tampered, out_of_scope, unauthorized, impersonated];
    let (authors, changes) = to_wire(&bad);
    rogue
        .send(&Frame::Changes {
            from: 0,
            upto: 5,
            authors,
            changes,
        })
        .await
        .unwrap();
    let ack = rogue
        .until(|f| matches!(f, Frame::Ack { .. }))
        .await
        .expect("ack");
    assert_eq!(ack, Frame::Ack { upto: 5 });

    let q = d.engine().store.read().unwrap().quarantined().unwrap();
    let reasons: Vec<&str> = q.iter().map(|(_, x)| x.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:#?}");
    assert!(
        reasons[0].contains("bad signature by c11"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("malformed change") || reasons[1].contains("bad signature"),
        "{}",
        reasons[1]
    );
    assert!(
        reasons[2].contains("outside the author's scope"),
        "{}",
        reasons[2]
    );
    assert!(reasons[3].contains("is not allowed"), "{}", reasons[3]);
    assert!(
        reasons[4].contains("but was signed by s1"),
        "{}",
        reasons[4]
    );
    // Nothing was applied.
    assert_eq!(d.summary(&id).unwrap(), before);
    assert_eq!(d.engine().store.doc(&id).unwrap().heads(), doc.heads());

    // A forgery does not poison the genuine change: sent properly signed, it applies.
    let (authors, changes) = to_wire(std::slice::from_ref(&genuine));
    rogue
        .send(&Frame::Changes {
            from: 5,
            upto: 6,
            authors,
            changes,
        })
        .await
        .unwrap();
    let ack = rogue
        .until(|f| matches!(f, Frame::Ack { .. }))
        .await
        .expect("ack");
    assert_eq!(ack, Frame::Ack { upto: 6 });
    let after = d.summary(&id).unwrap();
    assert_eq!(after.state, gridloop_core::workflow::State::Handling);
    assert!(after.self_handling);
    let before = after;

    // A malformed frame ends the session with a clear reason and changes nothing.
    rogue.send.write_all(&[0, 0, 0, 3, 7, 1, 2]).await.unwrap();
    assert!(rogue.until(|_| false).await.is_err());
    net.wait_for(10, "the protocol violation to be recorded", |n| {
        n.n("d")
            .node()
            .refusals()
            .iter()
            .any(|r| r.reason.contains("unknown frame flag 7"))
    })
    .await;
    assert_eq!(d.summary(&id).unwrap(), before);
    net.shutdown().await;
}

/// No node is above the rules (无特权节点): the district's own key signs ordinary changes that
/// pass every check any other node's change passes; only an import signed as such, by a node
/// the roster grants import, carries other nodes' events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_key_passes_every_check_and_only_a_granted_import_skips_them() {
    use automerge::transaction::Transactable;
    use automerge::{ROOT, ReadDoc};
    use gridloop_core::doc::case_doc::actor_for;
    use gridloop_core::domain::role::NodeId;
    use gridloop_core::store::{Envelope, signing_bytes};

    let mut net = TestNet::start(standard()).await;
    let u = units();
    let id: CaseId = net
        .n("c11")
        .report(Role::GridWorker, &u["c11"], "E0104", T0);
    net.wait_for(20, "the case at the street", |n| {
        n.n("s1").summary(&id).is_some()
    })
    .await;
    let s1 = net.n("s1");
    let doc = s1.engine().store.doc(&id).unwrap();
    let tip = doc.events().unwrap().last().unwrap().id.clone();
    let before = s1.summary(&id).unwrap();
    let d_key = net.n("d").key.clone();
    let s1_key = s1.key.clone();
    let handle = |node: &str| {
        event(
            node,
            &u["c11"],
            Role::GridWorker,
            Action::SelfHandle,
            std::slice::from_ref(&tip),
        )
    };

    // 1. The district signs, as an ordinary change, a move claiming c11 made it.
    let (impersonating, _) = crafted(&doc, &handle("c11"), "d", &d_key);
    // 2. The district rewrites the report already in the trail (its role, here): a
    //    history rewrite, signed by the district as an ordinary change.
    let rewrite = {
        let mut am = doc
            .automerge()
            .fork()
            .with_actor(actor_for(&NodeId("d".into())));
        let (_, list) = am.get(ROOT, "events").unwrap().unwrap();
        let (v, _) = am.get(&list, 0).unwrap().unwrap();
        let text = v.as_str().unwrap().replace("grid_worker", "shift_lead");
        let mut tx = am.transaction();
        tx.put(&list, 0, text).unwrap();
        tx.commit();
        let c = am.get_changes(&doc.heads()).pop().unwrap();
        let hash = c.hash().0.to_vec();
        Envelope {
            signature: d_key.sign(&signing_bytes(&id.0, &hash)),
            case: id.0.clone(),
            author: "d".into(),
            change: c.raw_bytes().to_vec(),
        }
    };
    // 3. An import by the street, whose roster entry does not grant import.
    let (ungranted, _) = crafted_import(&doc, &handle("c11"), "s1", &s1_key);
    // 4. The district's key, ordinary signature, but presented as an import.
    let (mut mislabelled, _) = crafted(&doc, &handle("c11"), "d", &d_key);
    mislabelled.author = "d+import".into();

    net.stop("c12").await;
    let mut rogue = Rogue::join(&net.n("c12").key, net.n("s1"), "c12", &u["c12"].0).await;
    rogue
        .feed(&[impersonating, rewrite, ungranted, mislabelled], 0)
        .await;
    let s1 = net.n("s1");
    let q = s1.engine().store.read().unwrap().quarantined().unwrap();
    let reasons: Vec<&str> = q.iter().map(|(_, x)| x.reason.as_str()).collect();
    assert_eq!(reasons.len(), 4, "{reasons:#?}");
    for why in [
        "but was signed by d",
        "rewrites the case's history",
        "s1+import: an import signed by s1, whose roster entry does not grant import",
        "bad signature by d+import",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(why)),
            "no refusal says `{why}`: {reasons:#?}"
        );
    }
    assert_eq!(s1.summary(&id).unwrap(), before, "a refused change applied");

    // Positive control: the same move in an import the roster grants the district, signed
    // as one, applies — so the refusals above were the rules, not a dead link.
    let (granted, _) = crafted_import(&doc, &handle("c11"), "d", &d_key);
    rogue.feed(&[granted], 4).await;
    let after = net.n("s1").summary(&id).unwrap();
    assert_eq!(after.state, gridloop_core::workflow::State::Handling);
    net.shutdown().await;
}
