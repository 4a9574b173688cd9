//! Property tests: random authorized moves made on forked Automerge copies of a case,
//! merged in random orders, converge to identical derived state and projection rows; and
//! conflict detection is exact — it flags real concurrency and never sequential moves.

mod common;

use common::*;
use gridloop_core::domain::event::{Action, Event, EventId};
use gridloop_core::domain::hlc::Hlc;
use gridloop_core::domain::role::NodeId;
use gridloop_core::store::CaseSummary;
use gridloop_core::workflow::Derived;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn forks_merged_in_any_order_converge_and_conflicts_are_exact(
        community_case in any::<bool>(),
        prefix in proptest::collection::vec(0usize..1000, 0..5),
        forks in proptest::collection::vec(proptest::collection::vec(0usize..1000, 0..4), 1..4),
        orders in proptest::collection::vec(any::<u64>(), 4),
    ) {
        let f = Fixture::new();
        let mut serial = 0;
        let mut base = Copy { doc: base_doc(&f, community_case), node: "base".into(), moved: false, t: T0 };
        play(&f, &mut base, &prefix, &mut serial);
        let mut copies: Vec<Copy> = forks.iter().enumerate().map(|(i, picks)| {
            let node = format!("f{i}");
            let mut c = Copy { doc: base.doc.fork_as(&NodeId(node.clone())), node, moved: false, t: base.t };
            play(&f, &mut c, picks, &mut serial);
            c
        }).collect();
        let movers = copies.iter().filter(|c| c.moved).count();

        // Merge every copy into each copy, in an order drawn from `orders`.
        let mut results: Vec<(Derived, CaseSummary)> = Vec::new();
        for (i, seed) in orders.iter().enumerate() {
            let target = i % copies.len();
            let mut doc = copies[target].doc.clone();
            let mut idx: Vec<usize> = (0..copies.len()).collect();
            let mut s = *seed;
            for k in (1..idx.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                idx.swap(k, (s >> 33) as usize % (k + 1));
            }
            for j in idx {
                doc.merge(&copies[j].doc).unwrap();
            }
            let d = derive(&f, &doc);
            let sum = CaseSummary::build(&doc.id().unwrap(), &doc.intake().unwrap(), &d);
            results.push((d, sum));
        }
        for r in &results[1..] {
            prop_assert_eq!(&r.0, &results[0].0);
            prop_assert_eq!(&r.1, &results[0].1);
        }
        let merged = &results[0].0;
        prop_assert!(merged.invalid.is_empty(), "authorized moves stay valid after merge: {:?}", merged.invalid);
        prop_assert_eq!(merged.in_conflict(), movers >= 2, "conflict iff two or more copies moved concurrently");
        if let Some(branches) = &merged.conflict {
            prop_assert_eq!(branches.len(), movers);
        }

        // A resolution on one copy, merged everywhere, ends the conflict on every copy.
        if merged.in_conflict() {
            let mut doc = copies[0].doc.clone();
            for c in &copies { doc.merge(&c.doc).unwrap(); }
            let mut r = Copy { doc, node: "resolver".into(), moved: false, t: copies.iter().map(|c| c.t).max().unwrap() };
            let d = derive(&f, &r.doc);
            let intake = r.doc.intake().unwrap();
            let resolution = menu(&f, &d).into_iter().filter(|(_, _, a)| matches!(a, Action::Resolve { .. })).find_map(|(unit, role, action)| {
                let e = Event { id: EventId("resolve".into()), after: d.after_for(&action), at: Hlc::at(r.t + 60_000), node: NodeId(format!("resolver-{unit}")), unit, role, action, offline: false, person: None, };
                f.rules().check_live(&intake, &d, &e).is_ok().then_some(e)
            });
            let e = resolution.expect("a leader at the district may always resolve");
            r.doc.append(&e).unwrap();
            for c in copies.iter_mut() {
                c.doc.merge(&r.doc).unwrap();
                let d = derive(&f, &c.doc);
                prop_assert!(!d.in_conflict());
                prop_assert_eq!(&d, &derive(&f, &r.doc));
            }
        }
    }

    #[test]
    fn sequential_moves_on_one_copy_never_conflict(picks in proptest::collection::vec(0usize..1000, 0..12), community_case in any::<bool>()) {
        let f = Fixture::new();
        let mut serial = 0;
        let mut c = Copy { doc: base_doc(&f, community_case), node: "solo".into(), moved: false, t: T0 };
        let other = c.doc.fork_as(&NodeId("idle".into()));
        play(&f, &mut c, &picks, &mut serial);
        c.doc.merge(&other).unwrap();
        let d = derive(&f, &c.doc);
        prop_assert!(!d.in_conflict());
        prop_assert!(d.invalid.is_empty());
    }
}
