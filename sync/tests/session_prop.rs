//! The sans-IO session between real replicas (redb stores in temporary directories, a real
//! signed roster, no sockets), every pair of nodes linked by a pair of sessions, frames
//! carried on in-memory wires that lose, duplicate and reorder them.
//!
//! A district, one of its streets and one community of that street each report cases and
//! make random moves the workflow allows (every role of every loop, escalations, grid
//! corrections that bring a case into another unit's scope, conflicts and their
//! resolutions), while frames are delivered, dropped, duplicated and reordered and
//! connections drop and are dialled again. Then the wires become reliable and the sessions
//! keep delivering and ticking: every node must hold every case in its scope with the
//! district's projection row and heads, nothing outside it, nothing quarantined, and every
//! session must end in sync. The feed's exactly-once rules are in `session_feed.rs`.

mod world;

use proptest::prelude::*;
use world::*;

#[derive(Clone, Debug)]
enum Op {
    /// Node reports a case (community pick).
    Report(usize, usize),
    /// Node moves a case it holds (case pick, move pick).
    Move(usize, usize, usize),
    /// Every node that holds the case moves it, before any of them hears of the others'
    /// moves (case pick, move pick).
    Race(usize, usize),
    /// Deliver the first frame of a wire (link, forward).
    Deliver(usize, bool),
    /// Lose a frame (link, forward, which).
    Drop(usize, bool, usize),
    /// Deliver a frame twice: a copy goes further back (link, forward, which, where).
    Duplicate(usize, bool, usize, usize),
    /// Move a frame further back (link, forward, which, where).
    Reorder(usize, bool, usize, usize),
    /// The connection drops and is dialled again: frames in flight are lost, both ends
    /// start new sessions from their stored checkpoints (link).
    Reconnect(usize),
    /// Every session ticks.
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    let wire = || (0usize..3, any::<bool>());
    prop_oneof![
        1 => (0usize..3, 0usize..6).prop_map(|(n, p)| Op::Report(n, p)),
        8 => (0usize..3, 0usize..64, 0usize..256).prop_map(|(n, c, m)| Op::Move(n, c, m)),
        2 => (0usize..64, 0usize..256).prop_map(|(c, m)| Op::Race(c, m)),
        10 => wire().prop_map(|(l, f)| Op::Deliver(l, f)),
        2 => (wire(), 0usize..8).prop_map(|((l, f), i)| Op::Drop(l, f, i)),
        1 => (wire(), 0usize..8, 0usize..8).prop_map(|((l, f), i, j)| Op::Duplicate(l, f, i, j)),
        1 => (wire(), 0usize..8, 0usize..8).prop_map(|((l, f), i, j)| Op::Reorder(l, f, i, j)),
        1 => (0usize..3).prop_map(Op::Reconnect),
        2 => Just(Op::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn faulty_wires_between_every_pair_still_converge(
        mesh in prop::bool::weighted(0.75),
        reports in prop::collection::vec((0usize..3, 0usize..6), 1..4),
        ops in prop::collection::vec(op(), 20..160),
    ) {
        let mut w = three(mesh);
        for (n, place) in reports {
            w.step += 1;
            w.report(n, place);
        }
        let links = w.links.len();
        for op in ops {
            w.step += 1;
            w.flush();
            match op {
                Op::Report(n, place) => {
                    w.report(n, place);
                }
                Op::Move(n, case, pick) => {
                    w.act(n, case, pick);
                }
                Op::Race(case, pick) => {
                    for n in 0..w.nodes.len() {
                        w.act(n, case, pick + 7 * n);
                    }
                }
                Op::Deliver(l, f) => {
                    w.deliver(l % links, f);
                }
                Op::Drop(l, f, i) => {
                    let wire = w.wire(l % links, f);
                    if !wire.is_empty() {
                        let i = i % wire.len();
                        wire.remove(i);
                    }
                }
                Op::Duplicate(l, f, i, j) => {
                    let wire = w.wire(l % links, f);
                    if !wire.is_empty() {
                        let i = i % wire.len();
                        let copy = wire[i].clone();
                        let j = i + 1 + j % (wire.len() - i);
                        wire.insert(j, copy);
                    }
                }
                Op::Reorder(l, f, i, j) => {
                    let wire = w.wire(l % links, f);
                    if wire.len() >= 2 {
                        let i = i % (wire.len() - 1);
                        let frame = wire.remove(i).expect("in range");
                        let j = i + 1 + j % (wire.len() - i);
                        wire.insert(j, frame);
                    }
                }
                Op::Reconnect(l) => w.reconnect(l % links),
                Op::Tick => w.tick(),
            }
        }
        let rounds = settle(&mut w, 400);
        prop_assert!(rounds.is_ok(), "no convergence after moves {:?}: {:?}", w.moves, rounds);
    }
}
