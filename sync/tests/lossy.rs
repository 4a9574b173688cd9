//! The sans-IO session over a lossy wire: frames between real replicas (redb stores in
//! temporary directories, no sockets) are dropped, duplicated and reordered at random while
//! every node keeps working; once the wire is reliable again, everything converges to the
//! same projection and heads in every node's scope, with nothing quarantined and nothing
//! outside a node's scope.

use std::collections::VecDeque;
use std::sync::Arc;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::{LightFilter, Store};
use gridloop_core::workflow::State;
use gridloop_sync::frame::{Frame, decode, encode};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry};
use gridloop_sync::session::Session;
use proptest::prelude::*;

const T0: Millis = 1_795_395_600_000;

struct Net {
    _dirs: Vec<tempfile::TempDir>,
    nodes: Vec<(String, UnitId, Arc<NodeReplica>)>,
    /// (a, b, session at a, session at b, wire a→b, wire b→a)
    links: Vec<Link>,
}

struct Link {
    a: usize,
    b: usize,
    at_a: Session,
    at_b: Session,
    ab: VecDeque<Frame>,
    ba: VecDeque<Frame>,
}

fn net() -> Net {
    let d = District::demo();
    let s1 = d.streets()[0].id.clone();
    let c11 = d.children(&s1)[0].id.clone();
    let units = [
        ("d", d.root().id.clone(), Role::Dispatcher),
        ("s1", s1, Role::ShiftLead),
        ("c11", c11, Role::GridWorker),
    ];
    let root = NodeKey::generate();
    let mut roster = Roster::new(d.root().id.clone(), &root);
    let keys: Vec<NodeKey> = units.iter().map(|_| NodeKey::generate()).collect();
    for ((name, unit, _), key) in units.iter().zip(&keys) {
        roster
            .enrol(RosterEntry {
                node: name.to_string(),
                key: key.id(),
                unit: unit.clone(),
                roles: vec![],
                addrs: vec![],
                links: vec![],
                import: false,
            })
            .unwrap();
    }
    let signed = roster.sign(&root);
    let mut dirs = Vec::new();
    let mut nodes = Vec::new();
    for ((name, unit, role), key) in units.into_iter().zip(keys) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.redb")).unwrap();
        store.set_node(&NodeId(name.into()), &unit, role).unwrap();
        let engine = Arc::new(Engine::demo(store));
        let rep = Arc::new(NodeReplica::new(engine, key, signed.clone(), None).unwrap());
        nodes.push((name.to_string(), unit, rep));
        dirs.push(dir);
    }
    let pair = |a: usize, b: usize, nodes: &Vec<(String, UnitId, Arc<NodeReplica>)>| Link {
        a,
        b,
        at_a: Session::new(&*nodes[a].2, Some((nodes[b].0.clone(), nodes[b].1.clone()))),
        at_b: Session::new(&*nodes[b].2, Some((nodes[a].0.clone(), nodes[a].1.clone()))),
        ab: VecDeque::new(),
        ba: VecDeque::new(),
    };
    // A chain: the community reaches the district only through its street (relay).
    let links = vec![pair(0, 1, &nodes), pair(1, 2, &nodes)];
    Net {
        _dirs: dirs,
        nodes,
        links,
    }
}

impl Net {
    /// Moves every queued outgoing frame onto the wires, through the byte encoding.
    fn flush(&mut self) {
        for l in &mut self.links {
            while let Some(f) = l.at_a.poll_transmit() {
                l.ab.push_back(roundtrip(&f));
            }
            while let Some(f) = l.at_b.poll_transmit() {
                l.ba.push_back(roundtrip(&f));
            }
        }
    }

    fn deliver(&mut self, link: usize, forward: bool) {
        let l = &mut self.links[link];
        let (frame, session, rep) = if forward {
            (l.ab.pop_front(), &mut l.at_b, &self.nodes[l.b].2)
        } else {
            (l.ba.pop_front(), &mut l.at_a, &self.nodes[l.a].2)
        };
        if let Some(f) = frame {
            session
                .handle(&**rep, f)
                .expect("honest frames never break the protocol");
        }
    }

    fn wire(&mut self, link: usize, forward: bool) -> &mut VecDeque<Frame> {
        let l = &mut self.links[link];
        if forward { &mut l.ab } else { &mut l.ba }
    }

    fn tick(&mut self) {
        for l in &mut self.links {
            l.at_a.tick(&*self.nodes[l.a].2).unwrap();
            l.at_b.tick(&*self.nodes[l.b].2).unwrap();
        }
    }

    fn changed(&mut self) {
        for l in &mut self.links {
            l.at_a.local_changed(&*self.nodes[l.a].2).unwrap();
            l.at_b.local_changed(&*self.nodes[l.b].2).unwrap();
        }
    }

    /// Node `i` works: reports a case on a grid of its scope, or moves one it holds.
    fn work(&mut self, i: usize, n: u32) {
        let (name, unit, rep) = &self.nodes[i];
        let engine = rep.engine();
        let d = &engine.district;
        let now = T0 + i64::from(n) * 60_000;
        let actor = |role| Actor {
            node: NodeId(name.clone()),
            unit: unit.clone(),
            role,
            person: None,
        };
        let held = engine
            .store
            .read()
            .unwrap()
            .inbox(
                unit,
                &[State::Reported, State::ToRegister],
                LightFilter::Any,
                now,
                5,
            )
            .unwrap();
        if let (Some(case), true) = (held.first(), n % 2 == 1) {
            let (role, action) = match (name.as_str(), case.state) {
                ("c11", _) => (Role::GridWorker, Action::SelfHandle),
                (_, State::Reported) => (Role::Intake, Action::Accept),
                _ => (
                    Role::ShiftLead,
                    Action::Register {
                        category: case.category.clone(),
                        grid: case.grid.clone(),
                    },
                ),
            };
            let _ = engine.act(&actor(role), &case.id, action, now);
        } else {
            // The district also reports on another street's grid: never for c11 or s1.
            let s1 = d.streets()[0].id.clone();
            let c11 = d.children(&s1)[0].id.clone();
            let community = match (name.as_str(), n % 3) {
                ("d", 0) => d.children(&d.streets()[1].id)[0].id.clone(),
                ("d", 1) => d.children(&s1)[1].id.clone(),
                _ => c11,
            };
            let role = match name.as_str() {
                "d" => Role::Intake,
                "s1" => Role::ShiftLead,
                _ => Role::GridWorker,
            };
            let new = NewCase {
                source: "grid_patrol".into(),
                category: "E0104".into(),
                grid: d.grids_of(&community)[0].code.to_string(),
                address: "测试".into(),
                description: format!("{name} {n}"),
                ..NewCase::default()
            };
            engine.report(&actor(role), &new, now).unwrap();
        }
    }

    fn quiet(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.ab.is_empty() && l.ba.is_empty())
    }

    /// The first difference between the district and another node, if any.
    fn divergence(&self) -> Option<String> {
        let dr = self.nodes[0].2.engine().store.read().unwrap();
        for (name, unit, rep) in &self.nodes[1..] {
            let r = rep.engine().store.read().unwrap();
            if let Some((_, q)) = r.quarantined().unwrap().first() {
                return Some(format!("{name} quarantined {}", q.reason));
            }
            for id in dr.case_ids().unwrap() {
                let in_scope = dr.case_scope(&id).unwrap().contains(unit);
                let mine = r.summary(&id).unwrap();
                if in_scope {
                    if mine != dr.summary(&id).unwrap() {
                        return Some(format!("{name} differs on {id}"));
                    }
                    if r.doc(&id).unwrap().heads() != dr.doc(&id).unwrap().heads() {
                        return Some(format!("{name} heads differ on {id}"));
                    }
                } else if mine.is_some() {
                    return Some(format!("{name} holds {id} outside its scope"));
                }
            }
            for id in r.case_ids().unwrap() {
                if dr.summary(&id).unwrap().is_none() {
                    return Some(format!("the district lacks {id} from {name}"));
                }
            }
        }
        None
    }
}

fn roundtrip(f: &Frame) -> Frame {
    let bytes = encode(f);
    decode(&bytes[4..]).expect("a frame we encoded decodes")
}

#[derive(Clone, Debug)]
enum Op {
    Work(usize),
    Deliver(usize, bool),
    Drop(usize, bool),
    Duplicate(usize, bool),
    Swap(usize, bool),
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..3).prop_map(Op::Work),
        8 => (0usize..2, any::<bool>()).prop_map(|(l, f)| Op::Deliver(l, f)),
        2 => (0usize..2, any::<bool>()).prop_map(|(l, f)| Op::Drop(l, f)),
        1 => (0usize..2, any::<bool>()).prop_map(|(l, f)| Op::Duplicate(l, f)),
        1 => (0usize..2, any::<bool>()).prop_map(|(l, f)| Op::Swap(l, f)),
        2 => Just(Op::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn lossy_reordering_duplicating_wires_still_converge(ops in proptest::collection::vec(op(), 10..120)) {
        let mut net = net();
        let mut n = 0u32;
        for op in ops {
            net.flush();
            match op {
                Op::Work(i) => {
                    n += 1;
                    net.work(i, n);
                    net.changed();
                }
                Op::Deliver(l, f) => net.deliver(l, f),
                Op::Drop(l, f) => {
                    net.wire(l, f).pop_front();
                }
                Op::Duplicate(l, f) => {
                    let w = net.wire(l, f);
                    if let Some(x) = w.front().cloned() {
                        w.push_front(x);
                    }
                }
                Op::Swap(l, f) => {
                    let w = net.wire(l, f);
                    if w.len() >= 2 {
                        w.swap(0, 1);
                    }
                }
                Op::Tick => net.tick(),
            }
        }
        // The wire becomes reliable: deliver everything, tick now and then.
        let mut rounds = 0;
        loop {
            net.flush();
            while !net.quiet() {
                for l in 0..net.links.len() {
                    net.deliver(l, true);
                    net.deliver(l, false);
                }
                net.flush();
            }
            if net.divergence().is_none() {
                break;
            }
            rounds += 1;
            prop_assert!(rounds < 300, "no convergence: {:?}", net.divergence());
            net.tick();
            net.changed();
        }
    }
}
