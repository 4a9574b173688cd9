//! The receiving path under structure-aware fuzzing (接收路径模糊测试), a seeded run of the
//! harness the libFuzzer target `fuzz/fuzz_targets/receive.rs` runs for millions of inputs:
//! real moves broken at the level Automerge encodes, received one by one; after each, the
//! stored document loads, holds the change exactly when it was applied, and its projection
//! is the replay of the document.

mod receive_harness;

use receive_harness::{Harness, Seeded};

#[test]
fn broken_moves_never_leave_a_case_unloadable_or_its_projection_wrong() {
    // Longer or other runs: GRIDLOOP_FUZZ_STEPS, GRIDLOOP_FUZZ_SEED.
    let steps: u64 = std::env::var("GRIDLOOP_FUZZ_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let seed: u64 = std::env::var("GRIDLOOP_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut h = Harness::new();
    let mut c = Seeded(seed);
    for i in 0..steps {
        if i % 500 == 499 {
            // A fresh store now and then, as the fuzz target does: small documents keep
            // most changes on the fast path.
            let stats = h.stats.clone();
            h = Harness::new();
            h.stats = stats;
        }
        if let Err(why) = h.step(&mut c) {
            panic!("step {i}: {why}");
        }
    }
    let s = &h.stats;
    eprintln!("{s:?}");
    // The run reached every outcome: applied (on the fast path too), refused, repaired.
    assert!(s.applied > 20 && s.fast > 10, "{s:?}");
    assert!(s.refused > 500, "{s:?}");
    assert!(s.missing > 10, "{s:?}");
}

/// A change numbered to follow its actor's previous change but not depending on it:
/// Automerge 0.12 applies it and then cannot load the document it saves (a panic at load).
/// Found by the run above; refused before Automerge sees it.
#[test]
fn a_change_that_skips_its_actors_previous_change_is_refused_and_the_case_still_loads() {
    use automerge::{Change, ExpandedChange};
    use gridloop_core::doc::case_doc::{CaseDoc, DocError};
    use gridloop_core::domain::event::{Action, Event, EventId};
    use gridloop_core::domain::hlc::Hlc;
    use gridloop_core::domain::role::{NodeId, Role};
    use gridloop_core::domain::unit::UnitId;

    let h = Harness::new();
    let doc = h.doc(0);
    let ev = |id: &str, minute: i64| Event {
        id: EventId(id.into()),
        after: vec![doc.events().unwrap()[0].id.clone()],
        at: Hlc::at(1_795_395_600_000 + minute * 60_000),
        node: NodeId("c12".into()),
        unit: UnitId::from("110101001002"),
        role: Role::GridWorker,
        action: Action::Urge {
            note: "催办".into(),
        },
        offline: false,
        person: None,
    };
    // c12's first change, applied.
    let mut mine = doc.fork_as(&NodeId("c12".into()));
    let before = mine.heads();
    mine.append(&ev("u1", 1)).unwrap();
    let first = mine.automerge().get_changes(&before).pop().unwrap().clone();
    let mut target = doc.clone();
    target.apply_change(first).unwrap();
    // Another change of c12 made beside it, renumbered as its second.
    let mut beside = doc.fork_as(&NodeId("c12".into()));
    beside.append(&ev("u2", 2)).unwrap();
    let mut ex: ExpandedChange = beside
        .automerge()
        .get_changes(&before)
        .pop()
        .unwrap()
        .decode();
    ex.seq = 2;
    let forged = Change::from(ex);
    let err = target.apply_change(forged).unwrap_err();
    assert!(matches!(err, DocError::Shape(_)), "{err}");
    // The copy is untouched and still saves and loads.
    CaseDoc::load(&target.save()).expect("the case still loads");
    assert_eq!(target.events().unwrap().len(), 2);
}

/// A change whose checksum bytes were altered: Automerge parses it without checking, and
/// the fast path used to append it as sent, after which the case no longer loaded ("bad
/// checksum"). Found by the libFuzzer target; refused as malformed now.
#[test]
fn a_change_with_a_bad_checksum_is_refused_and_the_case_still_loads() {
    let h = Harness::new();
    let (id, mut bytes) = h.self_handle(0);
    bytes[5] ^= 0x10;
    let r = h.receive(&id, bytes);
    assert_eq!(r.applied, 0, "{r:?}");
    assert_eq!(r.quarantined.len(), 1, "{r:?}");
    assert!(r.quarantined[0].to_string().contains("checksum"), "{r:?}");
    let doc = h.doc(0);
    assert_eq!(doc.events().unwrap().len(), 1, "only the report");
    // The genuine change still applies, on the fast path.
    let (id, bytes) = h.self_handle(0);
    let r = h.receive(&id, bytes);
    assert_eq!((r.applied, r.fast), (1, 1), "{r:?}");
    assert_eq!(h.doc(0).events().unwrap().len(), 2);
}

/// A change carrying extra bytes (Automerge's author footer), which gridloop never writes:
/// Automerge 0.12 asserts on an author in any change but its actor's first, and under debug
/// assertions that can abort the process. Refused as malformed before Automerge sees it.
#[test]
fn a_change_with_extra_bytes_is_refused_before_automerge_sees_it() {
    use automerge::{Change, ExpandedChange};
    let h = Harness::new();
    let (id, bytes) = h.self_handle(0);
    let mut ex: ExpandedChange = Change::from_bytes(bytes).unwrap().decode();
    ex.extra_bytes = vec![7, 7, 7];
    let r = h.receive(&id, Change::from(ex).raw_bytes().to_vec());
    assert_eq!(r.applied, 0, "{r:?}");
    assert!(
        r.quarantined.len() == 1 && r.quarantined[0].to_string().contains("extra bytes"),
        "{r:?}"
    );
    assert_eq!(h.doc(0).events().unwrap().len(), 1);
}
