//! The feed's exactly-once rules between real replicas over in-memory wires (sans-IO
//! sessions, no sockets) — a duplicated batch is applied once; a batch after a lost one is
//! not applied, and the sender goes back after [`STALL_TICKS`] ticks — and the cases that
//! crossed them: a case the district brings into a street's territory and the street moves
//! on reaches the street's community in one batch; drill purges and emergency lanes across
//! a reconnect.

mod world;

use world::*;

#[test]
fn a_duplicated_batch_is_applied_once() {
    // Node 0 is the street, node 1 its community; link 0 = (s1, c11), `ba` carries c11 → s1.
    let mut w = World::new(&["s1", "c11"], &[(0, 1)]);
    connect(&mut w);
    let a = w.report(1, 0);
    let frames = take(&mut w, 0, false);
    let batch = frames
        .iter()
        .find(|f| matches!(f, Frame::Changes { .. }))
        .expect("c11 pushes its new cases")
        .clone();
    let Frame::Changes { from, upto, .. } = batch else {
        unreachable!()
    };
    assert_eq!(from, 0);
    // The batch arrives, then again, then once more after everything else.
    let wire = w.wire(0, false);
    wire.push_back(batch.clone());
    wire.push_back(batch.clone());
    wire.extend(
        frames
            .iter()
            .filter(|f| !matches!(f, Frame::Changes { .. }))
            .cloned(),
    );
    wire.push_back(batch);
    let first = w.deliver(0, false);
    assert_eq!(applied(&first), 1, "a new case is one change: {first:?}");
    let log = w.store(0).read().unwrap().log_len().unwrap();
    assert_eq!(log, 1);
    let mut later = Vec::new();
    while !w.wire(0, false).is_empty() {
        later.extend(w.deliver(0, false));
    }
    assert_eq!(applied(&later), 0, "a duplicate applies nothing: {later:?}");
    assert!(
        !later
            .iter()
            .any(|e| matches!(e, SessionEvent::Applied { .. })),
        "a duplicate is not even ingested: {later:?}"
    );
    let r = w.store(0).read().unwrap();
    assert_eq!(r.log_len().unwrap(), log, "nothing logged twice");
    assert!(r.summary(&a).unwrap().is_some());
    let epoch = w.nodes[1].rep.me().epoch;
    assert_eq!(r.received("c11", &epoch).unwrap(), upto);
    drop(r);
    assert_eq!(w.links[0].at_a.positions().2, upto);
    assert_eq!(w.links[0].at_a.stats().applied, 1);
    // Each copy was acknowledged at the checkpoint; the sender takes all of them.
    let acks = take(&mut w, 0, true);
    assert_eq!(
        acks.iter().filter(|f| **f == Frame::Ack { upto }).count(),
        3,
        "{acks:?}"
    );
    w.wire(0, true).extend(acks);
    w.drain();
    assert_eq!(w.links[0].at_b.positions().1, upto, "acknowledged");
    assert!(w.divergence().is_none(), "{:?}", w.divergence());
}

#[test]
fn a_batch_after_a_lost_one_waits_and_the_sender_goes_back() {
    let mut w = World::new(&["s1", "c11"], &[(0, 1)]);
    connect(&mut w);
    let a = w.report(1, 0);
    let lost = take(&mut w, 0, false);
    let Some(Frame::Changes {
        from: 0,
        upto: first,
        ..
    }) = lost.first()
    else {
        panic!("a batch from 0 first: {lost:?}");
    };
    let first = *first;
    // That batch is lost. The next one continues from where it ended.
    let b = w.report(1, 0);
    let next = take(&mut w, 0, false);
    let Some(Frame::Changes { from, upto, .. }) = next.first().cloned() else {
        panic!("a second batch: {next:?}");
    };
    assert_eq!(from, first);
    w.wire(0, false).extend(next);
    let mut events = Vec::new();
    while !w.wire(0, false).is_empty() {
        events.extend(w.deliver(0, false));
    }
    assert_eq!(applied(&events), 0, "{events:?}");
    {
        let r = w.store(0).read().unwrap();
        assert!(r.summary(&a).unwrap().is_none() && r.summary(&b).unwrap().is_none());
        assert_eq!(r.log_len().unwrap(), 0);
        let epoch = w.nodes[1].rep.me().epoch;
        assert_eq!(
            r.received("c11", &epoch).unwrap(),
            0,
            "checkpoint unchanged"
        );
    }
    assert_eq!(w.links[0].at_a.positions().2, 0);
    // The receiver says where it is; the sender has nothing acknowledged yet.
    let acks = take(&mut w, 0, true);
    assert!(acks.contains(&Frame::Ack { upto: 0 }), "{acks:?}");
    w.wire(0, true).extend(acks);
    while !w.wire(0, true).is_empty() {
        w.deliver(0, true);
    }
    let c11 = w.nodes[1].rep.clone();
    for t in 1..STALL_TICKS {
        w.links[0].at_b.tick(&*c11).unwrap();
        let out = take(&mut w, 0, false);
        assert!(
            !out.iter().any(|f| matches!(f, Frame::Changes { .. })),
            "no resend after {t} ticks: {out:?}"
        );
    }
    w.links[0].at_b.tick(&*c11).unwrap();
    let resent = take(&mut w, 0, false);
    let back = resent
        .iter()
        .find_map(|f| match f {
            Frame::Changes { from, upto, .. } => Some((*from, *upto)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a resend after {STALL_TICKS} ticks: {resent:?}"));
    assert_eq!(back, (0, upto), "the sender goes back to 0 and covers both");
    w.wire(0, false).extend(resent);
    let mut events = Vec::new();
    while !w.wire(0, false).is_empty() {
        events.extend(w.deliver(0, false));
    }
    assert_eq!(applied(&events), 2, "{events:?}");
    assert_eq!(w.links[0].at_a.positions().2, upto);
    w.drain();
    assert!(w.divergence().is_none(), "{:?}", w.divergence());
    assert_eq!(w.links[0].at_b.positions().1, upto, "acknowledged");
}

#[test]
fn a_case_brought_into_a_street_and_moved_there_arrives_whole_at_its_community() {
    // Chain: d — s1 — c11. The district takes a report on another street's grid, corrects
    // the grid to c11's at registration and hands the case down to s1, which dispatches it
    // before c11 has heard of the case. c11 then gets the whole history in one batch from
    // s1: the street's move is within the street's scope, and must not be refused.
    let mut w = World::new(&["d", "s1", "c11"], &[(0, 1), (1, 2)]);
    let id = w.report(0, 2);
    let d = |role| Actor {
        node: NodeId("d".into()),
        unit: w.p.root.clone(),
        role,
        person: None,
    };
    let engine = w.nodes[0].rep.engine().clone();
    let now = w.now();
    let grid = w.p.district.grids_of(&w.p.c11)[0].code.clone();
    engine
        .act(&d(Role::Intake), &id, Action::Accept, now)
        .unwrap();
    engine
        .act(
            &d(Role::ShiftLead),
            &id,
            Action::Register {
                category: "E0104".parse().unwrap(),
                grid,
            },
            now,
        )
        .unwrap();
    engine
        .act(
            &d(Role::Dispatcher),
            &id,
            Action::DispatchDown {
                unit: w.p.s1.clone(),
            },
            now,
        )
        .unwrap();
    // Only d — s1 talks.
    w.flush();
    while !(w.links[0].ab.is_empty() && w.links[0].ba.is_empty()) {
        w.deliver(0, true);
        w.deliver(0, false);
        w.flush();
    }
    let s1 = Actor {
        node: NodeId("s1".into()),
        unit: w.p.s1.clone(),
        role: Role::Dispatcher,
        person: None,
    };
    let lead = w.p.depts[0].clone();
    w.nodes[1]
        .rep
        .engine()
        .act(
            &s1,
            &id,
            Action::Dispatch {
                lead,
                assists: vec![],
            },
            now,
        )
        .unwrap();
    w.changed(1, None);
    w.drain();
    assert!(w.divergence().is_none(), "{:?}", w.divergence());
    assert!(w.store(2).read().unwrap().summary(&id).unwrap().is_some());
}

/// Purging drill cases (演练清除) between two sessions: a drill case's changes that reach a
/// node after it purged the case are dropped (not applied, not quarantined); anti-entropy
/// listing the case does not make it ask for it; the order then reaches the peer, which
/// purges too, and the two end in sync with equal digests. A forged order is quarantined
/// with its reason and removes nothing.
#[test]
fn a_purged_drill_case_is_dropped_on_receipt_and_never_asked_for() {
    use gridloop_core::store::day_bucket;
    use gridloop_sync::identity::unhex;
    use gridloop_sync::purge::PurgeOrder;

    // Node 0 is the district, node 1 community c11; link 0 = (d, c11), `ba` carries c11 → d.
    let mut w = World::new(&["d", "c11"], &[(0, 1)]);
    connect(&mut w);
    let c11 = w.p.c11.clone();
    let grid_worker = Actor {
        node: NodeId("c11".into()),
        unit: c11.clone(),
        role: Role::GridWorker,
        person: None,
    };
    let drill = NewCase {
        source: "drill".into(),
        category: "E0402".into(),
        grid: w.p.grid(&c11),
        address: "演练地址".into(),
        description: "演练注入".into(),
        drill: true,
        ..NewCase::default()
    };
    let engine = w.nodes[1].rep.engine().clone();
    let id = engine.report(&grid_worker, &drill, T0).unwrap().id;
    let real = w.report(1, 0);
    w.changed(1, None);
    w.drain();
    assert!(w.store(0).read().unwrap().summary(&id).unwrap().is_some());

    let order = PurgeOrder {
        district: w.p.root.0.clone(),
        before: T0 + DAY,
        issuer: "d".into(),
        role: Role::Leader,
        at: T0 + MINUTE,
        note: "演练结束".into(),
    };
    let d_rep = w.nodes[0].rep.clone();

    // The district purges; before the order reaches c11, c11 moves the drill case and its
    // change arrives at the district: dropped, nothing applied or quarantined.
    let done = d_rep.issue_purge(&order).unwrap().unwrap();
    assert_eq!(done.cases, 1);
    engine
        .act(&grid_worker, &id, Action::SelfHandle, T0 + 2 * MINUTE)
        .unwrap();
    w.changed(1, None);
    let to_d = take(&mut w, 0, false);
    assert!(to_d.iter().any(|f| matches!(f, Frame::Changes { .. })));
    w.wire(0, false).extend(to_d);
    let mut events = Vec::new();
    while !w.wire(0, false).is_empty() {
        events.extend(w.deliver(0, false));
    }
    // The case's whole history (what c11 answers a Want or a differing bucket with) is
    // dropped too.
    let history = w.nodes[1].rep.history(&id, &[], &w.p.root).unwrap();
    assert_eq!(history.len(), 2, "report and self-handle");
    let (authors, changes) = gridloop_sync::session::to_wire(&history);
    w.wire(0, false)
        .push_back(Frame::Repair { authors, changes });
    while !w.wire(0, false).is_empty() {
        events.extend(w.deliver(0, false));
    }
    assert_eq!(applied(&events), 0, "{events:?}");
    let r = w.store(0).read().unwrap();
    assert!(r.summary(&id).unwrap().is_none() && r.is_purged(&id).unwrap());
    assert!(r.summary(&real).unwrap().is_some(), "the real case stays");
    assert!(r.quarantined().unwrap().is_empty());
    drop(r);

    // c11's anti-entropy listing names the case: the district does not ask for it.
    let bucket = day_bucket(T0);
    let cases = w
        .store(1)
        .read()
        .unwrap()
        .bucket_cases(&c11, bucket)
        .unwrap()
        .into_iter()
        .map(|(c, h)| (unhex(c.as_str()).unwrap(), h))
        .collect();
    let _ = take(&mut w, 0, true);
    w.links[0]
        .at_a
        .handle(&*d_rep, Frame::Bucket { bucket, cases })
        .unwrap();
    let from_d = take(&mut w, 0, true);
    let drill_bytes = unhex(id.as_str()).unwrap();
    assert!(
        !from_d
            .iter()
            .any(|f| matches!(f, Frame::Want { case, .. } if *case == drill_bytes)),
        "{from_d:?}"
    );

    // The order reaches c11, which purges too; the two end in sync with equal digests.
    w.changed(0, None);
    w.drain();
    let rounds = settle(&mut w, 40).unwrap_or_else(|e| panic!("{e}"));
    assert!(rounds < 40);
    let (rd, rc) = (w.store(0).read().unwrap(), w.store(1).read().unwrap());
    assert!(rc.summary(&id).unwrap().is_none() && rc.is_purged(&id).unwrap());
    assert_eq!(rc.drill_purge().unwrap().map(|p| p.before), Some(T0 + DAY));
    assert!(rc.summary(&real).unwrap().is_some());
    assert_eq!(rd.digest(&c11).unwrap(), rc.digest(&c11).unwrap());
    drop((rd, rc));

    // A forged order (signed by a key that is not the district node's, reaching
    // further) is quarantined with its reason and removes nothing.
    let forged = PurgeOrder {
        before: T0 + 2 * DAY,
        ..order.clone()
    }
    .sign(&NodeKey::generate())
    .to_bytes();
    w.links[0]
        .at_a
        .handle(&*d_rep, Frame::Purge { signed: forged })
        .expect("a forged order does not end the session");
    let events: Vec<SessionEvent> = std::iter::from_fn(|| w.links[0].at_a.poll_event()).collect();
    assert!(
        matches!(&events[..], [SessionEvent::Quarantined(why)] if why[0].contains("signature does not verify")),
        "{events:?}"
    );
    let r = w.store(0).read().unwrap();
    assert_eq!(r.drill_purge().unwrap().map(|p| p.before), Some(T0 + DAY));
    assert!(r.summary(&real).unwrap().is_some(), "nothing more removed");
    assert_eq!(r.quarantined().unwrap().len(), 1);
    drop(r);
}

/// 应急通道 across a reconnect: with a backlog of ordinary cases waiting, the open incident
/// and a case in its priority lane reach the community before the first batch of the
/// backlog does; then everything converges.
#[test]
fn lane_cases_cross_a_reconnect_ahead_of_the_backlog() {
    use gridloop_core::domain::emergency::{Lane, Plans};

    // Node 0 is the district, node 1 community c11; link 0 = (d, c11), `ab` carries d → c11.
    let mut w = World::new(&["d", "c11"], &[(0, 1)]);
    connect(&mut w);
    let engine = w.nodes[0].rep.engine().clone();
    let at = |role| Actor {
        node: NodeId("d".into()),
        unit: w.p.root.clone(),
        role,
        person: None,
    };
    let grid = w.p.grid(&w.p.c11);
    let hotline = |i: usize| NewCase {
        source: "hotline".into(),
        category: "E0102".into(),
        grid: grid.clone(),
        address: format!("积压 {i} 号"),
        description: "积压案件".into(),
        ..NewCase::default()
    };
    // The link is down while the district takes 600 reports for c11's grid, then opens a
    // flood emergency over s1 and reports a case into its lane.
    for i in 0..600 {
        engine
            .report(&at(Role::Intake), &hotline(i), T0 + i as i64 * 1000)
            .unwrap();
    }
    let plans = Plans::builtin();
    let flood = plans.get("flood").unwrap();
    let incident = engine
        .open_incident(
            &at(Role::ShiftLead),
            flood,
            2,
            vec![w.p.s1.clone()],
            &grid,
            "东华门大街",
            "暴雨积水",
            false,
            T0 + DAY,
        )
        .unwrap();
    let lane = engine
        .report(
            &at(Role::Intake),
            &NewCase {
                emergency: Some(Lane {
                    incident: incident.id.clone(),
                    limits: flood.limits,
                }),
                ..hotline(600)
            },
            T0 + DAY + MINUTE,
        )
        .unwrap();
    assert_eq!(
        w.store(0)
            .read()
            .unwrap()
            .lane_listing(&w.p.c11)
            .unwrap()
            .len(),
        2,
        "the incident and its lane case"
    );

    // The link comes back: new sessions. Frames from c11 go through at once; frames to c11
    // one at a time, watching when the lane arrives.
    w.reconnect(0);
    let mut batches_before_lane = None;
    let mut batches = 0;
    for _ in 0..10_000 {
        w.flush();
        while !w.wire(0, false).is_empty() {
            w.deliver(0, false);
        }
        w.flush();
        let Some(next) = w.wire(0, true).front().cloned() else {
            break;
        };
        w.deliver(0, true);
        if matches!(next, Frame::Changes { .. }) {
            batches += 1;
        }
        let r = w.store(1).read().unwrap();
        if batches_before_lane.is_none()
            && r.summary(&lane.id).unwrap().is_some()
            && r.summary(&incident.id).unwrap().is_some()
        {
            batches_before_lane = Some(batches);
        }
    }
    assert_eq!(
        batches_before_lane,
        Some(0),
        "the lane arrived before any batch of the backlog"
    );
    assert!(
        batches >= 2,
        "the backlog came in batches after it: {batches}"
    );
    let rounds = settle(&mut w, 40).unwrap_or_else(|e| panic!("{e}"));
    assert!(rounds < 40);
    let r = w.store(1).read().unwrap();
    assert_eq!(r.count().unwrap(), 602);
    assert_eq!(r.lane_listing(&w.p.c11).unwrap().len(), 2);
}

/// A node's own changes are signed as they are written (the log holds them signed, so a
/// feed does no signing work), and the signature is the one the roster verifies.
#[test]
fn own_changes_are_stored_signed() {
    use gridloop_core::ingest::Authority;

    let mut w = World::new(&["d", "c11"], &[(0, 1)]);
    let id = w.report(1, 0);
    let r = w.store(1).read().unwrap();
    let feed = r.feed(&w.p.c11, 0, 10).unwrap();
    let mine: Vec<_> = feed.iter().filter(|e| e.envelope.case == id.0).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].envelope.signature.len(), 64, "stored signed");
    let roster = w.nodes[1].rep.current_roster();
    let grant = roster
        .authorize(&mine[0].envelope, &mine[0].hash, 0)
        .expect("the stored signature verifies");
    assert_eq!(grant.unit, w.p.c11);
    let mut forged = mine[0].envelope.clone();
    forged.signature[0] ^= 1;
    assert!(roster.authorize(&forged, &mine[0].hash, 0).is_err());
}
