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
//! session must end in sync.
//!
//! Deterministic tests pin the feed's exactly-once rules — a duplicated batch is applied
//! once; a batch after a lost one is not applied, and the sender goes back after
//! [`STALL_TICKS`] ticks — and a case the district brings into a street's territory and the
//! street moves on reaching the street's community in one batch (found by the property
//! test: the street's move was quarantined as outside its scope).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use gridloop_core::calendar::Millis;
use gridloop_core::case::CaseId;
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::event::{Action, Event, EventId, RequestKind};
use gridloop_core::hlc::Hlc;
use gridloop_core::role::{Actor, NodeId, Role};
use gridloop_core::store::{Store, feed_scope};
use gridloop_core::unit::{District, UnitId, UnitKind};
use gridloop_sync::frame::{Frame, decode, encode};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry};
use gridloop_sync::session::{Replica, STALL_TICKS, Session, SessionEvent};
use proptest::prelude::*;

/// Monday 2026-11-23 09:00 Beijing time, in ms.
const T0: Millis = 1_795_395_600_000;
const MINUTE: Millis = 60_000;
const DAY: Millis = 24 * 60 * MINUTE;

/// The units the test plays with: the district, street s1, its communities c11 (which has a
/// node) and c12 (which has none), a community of another street, and two departments.
struct Places {
    district: District,
    root: UnitId,
    s1: UnitId,
    c11: UnitId,
    c12: UnitId,
    other: UnitId,
    depts: [UnitId; 2],
}

impl Places {
    fn demo() -> Places {
        let district = District::demo();
        let root = district.root().id.clone();
        let s1 = district.streets()[0].id.clone();
        let s2 = district.streets()[1].id.clone();
        let c11 = district.children(&s1)[0].id.clone();
        let c12 = district.children(&s1)[1].id.clone();
        let other = district.children(&s2)[0].id.clone();
        let depts = [
            district.departments()[0].id.clone(),
            district.departments()[1].id.clone(),
        ];
        Places {
            district,
            root,
            s1,
            c11,
            c12,
            other,
            depts,
        }
    }

    fn grid(&self, community: &UnitId) -> String {
        self.district.grids_of(community)[0].code.to_string()
    }

    fn kind(&self, unit: &UnitId) -> Option<UnitKind> {
        self.district.unit(unit).map(|u| u.kind)
    }
}

struct Node {
    name: String,
    unit: UnitId,
    rep: Arc<NodeReplica>,
}

/// Two sessions of one link and the wire each way: `ab` carries what `a` sends to `b`.
struct Link {
    a: usize,
    b: usize,
    at_a: Session,
    at_b: Session,
    ab: VecDeque<Frame>,
    ba: VecDeque<Frame>,
}

struct World {
    _dirs: Vec<tempfile::TempDir>,
    p: Places,
    nodes: Vec<Node>,
    links: Vec<Link>,
    /// Minutes since T0, advanced by every step.
    step: i64,
    /// Moves made, by name (for the record).
    moves: BTreeMap<&'static str, u32>,
}

impl World {
    /// Nodes named `d`, `s1` or `c11` (each at its unit, enrolled in one roster signed by a
    /// fresh root key), linked as listed by node index.
    fn new(names: &[&str], links: &[(usize, usize)]) -> World {
        let p = Places::demo();
        let root_key = NodeKey::generate();
        let mut roster = Roster::new(p.root.clone(), &root_key);
        let specs: Vec<(String, UnitId, Role, NodeKey)> = names
            .iter()
            .map(|n| {
                let (unit, role) = match *n {
                    "d" => (p.root.clone(), Role::Dispatcher),
                    "s1" => (p.s1.clone(), Role::ShiftLead),
                    "c11" => (p.c11.clone(), Role::GridWorker),
                    other => panic!("no node {other} in this test"),
                };
                (n.to_string(), unit, role, NodeKey::generate())
            })
            .collect();
        for (name, unit, _, key) in &specs {
            roster
                .enrol(RosterEntry {
                    node: name.clone(),
                    key: key.id(),
                    unit: unit.clone(),
                    roles: vec![],
                    addrs: vec![],
                    links: vec![],
                })
                .unwrap();
        }
        let signed = roster.sign(&root_key);
        let mut dirs = Vec::new();
        let mut nodes = Vec::new();
        for (name, unit, role, key) in specs {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("gridloop.redb")).unwrap();
            store.set_node(&NodeId(name.clone()), &unit, role).unwrap();
            let engine = Arc::new(Engine::demo(store));
            let rep = Arc::new(NodeReplica::new(engine, key, signed.clone(), None).unwrap());
            nodes.push(Node { name, unit, rep });
            dirs.push(dir);
        }
        let links = links
            .iter()
            .map(|&(a, b)| Link {
                a,
                b,
                at_a: session(&nodes[a], &nodes[b]),
                at_b: session(&nodes[b], &nodes[a]),
                ab: VecDeque::new(),
                ba: VecDeque::new(),
            })
            .collect();
        World {
            _dirs: dirs,
            p,
            nodes,
            links,
            step: 0,
            moves: Default::default(),
        }
    }

    /// Link `link`'s connection drops and is dialled again.
    fn reconnect(&mut self, link: usize) {
        let World { nodes, links, .. } = self;
        let l = &mut links[link];
        l.ab.clear();
        l.ba.clear();
        l.at_a = session(&nodes[l.a], &nodes[l.b]);
        l.at_b = session(&nodes[l.b], &nodes[l.a]);
    }

    fn now(&self) -> Millis {
        T0 + self.step * MINUTE
    }

    fn store(&self, i: usize) -> &Store {
        &self.nodes[i].rep.engine().store
    }

    /// Puts every queued outgoing frame on its wire, through the byte encoding.
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

    fn wire(&mut self, link: usize, forward: bool) -> &mut VecDeque<Frame> {
        let l = &mut self.links[link];
        if forward { &mut l.ab } else { &mut l.ba }
    }

    /// Delivers the first frame on a wire and returns the events it caused. Honest frames
    /// never break the protocol and never get quarantined. Applied changes are relayed: the
    /// receiver's other sessions are told its store changed, as the node does.
    fn deliver(&mut self, link: usize, forward: bool) -> Vec<SessionEvent> {
        let World { nodes, links, .. } = self;
        let l = &mut links[link];
        let (frame, session, at) = if forward {
            (l.ab.pop_front(), &mut l.at_b, l.b)
        } else {
            (l.ba.pop_front(), &mut l.at_a, l.a)
        };
        let Some(frame) = frame else {
            return Vec::new();
        };
        let kind = frame.kind();
        let node = &nodes[at];
        if let Err(e) = session.handle(&*node.rep, frame) {
            panic!("{} broke on an honest {kind} frame: {e}", node.name);
        }
        let events: Vec<SessionEvent> = std::iter::from_fn(|| session.poll_event()).collect();
        let mut relay = false;
        for e in &events {
            match e {
                SessionEvent::Quarantined(why) => {
                    panic!("{} quarantined honest changes: {why:?}", node.name)
                }
                SessionEvent::Applied { applied, .. } if *applied > 0 => relay = true,
                SessionEvent::RosterAdopted => relay = true,
                _ => {}
            }
        }
        if relay {
            self.changed(at, Some(link));
        }
        events
    }

    /// Node `i`'s store changed: every session of it (but the one on `except`) pushes.
    fn changed(&mut self, i: usize, except: Option<usize>) {
        let World { nodes, links, .. } = self;
        let rep = &*nodes[i].rep;
        for (k, l) in links.iter_mut().enumerate() {
            if Some(k) == except {
                continue;
            }
            if l.a == i {
                l.at_a.local_changed(rep).unwrap();
            }
            if l.b == i {
                l.at_b.local_changed(rep).unwrap();
            }
        }
    }

    fn tick(&mut self) {
        let World { nodes, links, .. } = self;
        for l in links.iter_mut() {
            l.at_a.tick(&*nodes[l.a].rep).unwrap();
            l.at_b.tick(&*nodes[l.b].rep).unwrap();
        }
    }

    fn quiet(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.ab.is_empty() && l.ba.is_empty())
    }

    /// Delivers everything on every wire, and what that causes, until the wires are empty.
    fn drain(&mut self) {
        self.flush();
        while !self.quiet() {
            for link in 0..self.links.len() {
                self.deliver(link, true);
                self.deliver(link, false);
            }
            self.flush();
        }
    }

    /// Node `i` reports a case at a grid of one of the communities its territory covers,
    /// picked by `place`.
    fn report(&mut self, i: usize, place: usize) -> CaseId {
        let node = &self.nodes[i];
        let p = &self.p;
        let (choices, role, source) = match p.kind(&node.unit) {
            Some(UnitKind::District) => (
                vec![&p.c11, &p.c12, &p.other],
                Role::Intake,
                if place.is_multiple_of(2) {
                    "hotline"
                } else {
                    "video"
                },
            ),
            Some(UnitKind::Street) => (vec![&p.c11, &p.c12], Role::Supervisor, "supervisor"),
            _ => (vec![&p.c11], Role::GridWorker, "grid_patrol"),
        };
        let community = choices[place % choices.len()];
        let new = NewCase {
            source: source.into(),
            category: "E0104".into(),
            grid: p.grid(community),
            address: "测试地址 1 号".into(),
            description: format!("{} 上报 {}", node.name, self.step),
            ..NewCase::default()
        };
        let actor = Actor {
            node: NodeId(node.name.clone()),
            unit: node.unit.clone(),
            role,
        };
        let id = node
            .rep
            .engine()
            .report(&actor, &new, self.now())
            .expect("a report in the node's own territory")
            .id;
        self.changed(i, None);
        id
    }

    /// The moves node `i` may make on a case it holds, as its live checks say: out of every
    /// move of the workflow, made at the node's own unit in each role that unit has (or for
    /// a department, from a district or street node), with what the case's current state
    /// needs (its handler, its pending request, its summons, its conflict's branches). With
    /// `ending`, moves that end a case early (reject, void) are among them.
    fn allowed(&self, i: usize, id: &CaseId, ending: bool) -> Vec<(UnitId, Role, Action)> {
        let node = &self.nodes[i];
        let engine = node.rep.engine();
        let p = &self.p;
        let r = engine.store.read().unwrap();
        let s = r.summary(id).unwrap().expect("a held case has a row");
        let doc = r.doc(id).unwrap();
        let derived = engine
            .rules()
            .replay(&doc.intake().unwrap(), &doc.events().unwrap())
            .expect("a held case replays");
        let intake = doc.intake().unwrap();
        let cur = &derived.current;
        let u = node.unit.clone();
        let community = p.kind(&u) == Some(UnitKind::Community);
        let roles: &[Role] = if community {
            &[Role::GridWorker, Role::StationChief]
        } else {
            &[
                Role::Intake,
                Role::ShiftLead,
                Role::Dispatcher,
                Role::Supervisor,
                Role::Leader,
                Role::Callback,
            ]
        };
        let mut out: Vec<(UnitId, Role, Action)> = Vec::new();
        let mut at_mine = |action: Action| {
            for role in roles {
                out.push((u.clone(), *role, action.clone()));
            }
        };
        let note = || "测试".to_string();
        at_mine(Action::Accept);
        at_mine(Action::SendToVerify);
        at_mine(Action::Verify {
            confirmed: true,
            note: note(),
        });
        for c in [&s.grid.community(), &p.c11, &p.c12, &p.other] {
            at_mine(Action::Register {
                category: s.category.clone(),
                grid: p.district.grids_of(c)[0].code.clone(),
            });
        }
        at_mine(Action::Dispatch {
            lead: p.depts[0].clone(),
            assists: vec![],
        });
        at_mine(Action::Dispatch {
            lead: p.depts[0].clone(),
            assists: vec![p.depts[1].clone()],
        });
        for down in [&p.s1, &p.c11, &p.c12] {
            at_mine(Action::DispatchDown { unit: down.clone() });
        }
        let mut for_handler: Vec<Action> = Vec::new();
        if let Some(h) = s.handlers.first() {
            for_handler.push(Action::Feedback {
                unit: h.clone(),
                note: note(),
                photos: vec!["photo://after".into()],
            });
            for_handler.push(Action::Request {
                kind: RequestKind::Extension,
                unit: h.clone(),
                reason: note(),
                until: Some(s.overall_due.unwrap_or(self.now()) + 10 * DAY),
            });
        }
        if let Some(summons) = cur.summons.iter().find(|x| x.reported_in.is_none()) {
            for_handler.push(Action::ReportIn {
                unit: summons.unit.clone(),
            });
        }
        for a in &for_handler {
            at_mine(a.clone());
        }
        if let Some(pending) = &cur.pending {
            for approve in [true, false] {
                at_mine(Action::Decide {
                    request: pending.id.clone(),
                    approve,
                    note: note(),
                });
            }
        }
        for passed in [true, false] {
            at_mine(Action::Check {
                passed,
                note: note(),
            });
        }
        at_mine(Action::Close);
        at_mine(Action::Callback {
            satisfied: true,
            note: note(),
        });
        at_mine(Action::Escalate { reason: note() });
        at_mine(Action::Whistle {
            departments: vec![p.depts[1].clone()],
        });
        at_mine(Action::Supervise { note: note() });
        at_mine(Action::Urge { note: note() });
        at_mine(Action::SelfHandle);
        at_mine(Action::SelfClose {
            evidence: vec!["photo://done".into()],
            note: note(),
        });
        for b in derived.conflict.iter().flatten() {
            at_mine(Action::Resolve {
                keep: b.tip.clone(),
                note: note(),
            });
        }
        if ending {
            // Rarely: moves that end a case early.
            at_mine(Action::Reject { reason: note() });
            at_mine(Action::Void { reason: note() });
        }
        if !community {
            // A department's own handler, recorded on a district or street node.
            for a in for_handler {
                for dept in &p.depts {
                    let mine = match &a {
                        Action::Feedback { unit, .. }
                        | Action::Request { unit, .. }
                        | Action::ReportIn { unit } => unit == dept,
                        _ => false,
                    };
                    if mine {
                        out.push((dept.clone(), Role::Handler, a.clone()));
                    }
                }
            }
        }
        let rules = engine.rules();
        out.retain(|(unit, role, action)| {
            let event = Event {
                id: EventId::random(),
                after: derived.after_for(action),
                at: Hlc::at(self.now()),
                node: NodeId(node.name.clone()),
                unit: unit.clone(),
                role: *role,
                action: action.clone(),
                offline: false,
            };
            rules.check_live(&intake, &derived, &event).is_ok()
        });
        out
    }

    /// Node `i` makes a move on one of the cases it holds, if the workflow allows any: one
    /// of the allowed kinds of move picked evenly (so that notes, allowed almost always,
    /// do not crowd out the moves that carry a case on), then one way of making it.
    /// Returns whether a move was made.
    fn act(&mut self, i: usize, case: usize, pick: usize) -> bool {
        // The case is picked among every node's cases, so that nodes often move the same
        // case concurrently (conflicts); a node that lacks it picks among its own.
        let all: BTreeSet<CaseId> = (0..self.nodes.len())
            .flat_map(|k| self.store(k).read().unwrap().case_ids().unwrap())
            .collect();
        let all: Vec<CaseId> = all.into_iter().collect();
        let mine = self.store(i).read().unwrap().case_ids().unwrap();
        let id = match all.get(case % all.len().max(1)) {
            Some(id) if mine.contains(id) => id.clone(),
            _ if mine.is_empty() => return false,
            _ => mine[case % mine.len()].clone(),
        };
        let allowed = self.allowed(i, &id, pick.is_multiple_of(6));
        let mut kinds: BTreeMap<&'static str, Vec<(UnitId, Role, Action)>> = BTreeMap::new();
        for c in allowed {
            // Notes are allowed almost always: make them now and then only.
            if c.2.is_note() && !pick.is_multiple_of(4) {
                continue;
            }
            kinds.entry(c.2.name()).or_default().push(c);
        }
        let n = kinds.len();
        let Some((name, ways)) = kinds.into_iter().nth(pick % n.max(1)) else {
            return false;
        };
        let (unit, role, action) = ways[pick / n % ways.len()].clone();
        let node = &self.nodes[i];
        let actor = Actor {
            node: NodeId(node.name.clone()),
            unit,
            role,
        };
        if let Err(e) = node.rep.engine().act(&actor, &id, action, self.now()) {
            panic!(
                "{} could not make an allowed {name} on {id}: {e}",
                node.name
            );
        }
        *self.moves.entry(name).or_default() += 1;
        self.changed(i, None);
        true
    }

    /// Whether every session has caught up both ways with nothing in flight.
    fn synced(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.at_a.is_synced() && l.at_b.is_synced())
    }

    /// The first broken invariant, if any. The district (node 0) sees every case; every
    /// other node must hold each case whose scope (as it stands now) includes its unit,
    /// with the district's projection row and heads, and may hold a case only if some node's
    /// feed ever carried it for that unit. Nothing anywhere is quarantined.
    fn divergence(&self) -> Option<String> {
        for n in &self.nodes {
            let r = n.rep.engine().store.read().unwrap();
            if let Some((_, q)) = r.quarantined().unwrap().first() {
                return Some(format!("{} quarantined: {}", n.name, q.reason));
            }
        }
        let dr = self.store(0).read().unwrap();
        let all = dr.case_ids().unwrap();
        for (i, n) in self.nodes.iter().enumerate().skip(1) {
            let r = self.store(i).read().unwrap();
            for id in &all {
                let theirs = dr.summary(id).unwrap().expect("listed");
                let mine = r.summary(id).unwrap();
                let in_scope = feed_scope(&theirs, &self.p.district).contains(&n.unit);
                match mine {
                    None if in_scope => {
                        return Some(format!("{} lacks case {id} of its scope", n.name));
                    }
                    None => {}
                    Some(mine) => {
                        let ever = self.nodes.iter().enumerate().any(|(k, _)| {
                            let rk = self.store(k).read().unwrap();
                            rk.case_scope(id).unwrap().contains(&n.unit)
                        });
                        if !ever {
                            return Some(format!("{} holds case {id}, never in its scope", n.name));
                        }
                        if mine != theirs {
                            return Some(format!(
                                "{} differs from d on case {id}: {:?} at {} vs {:?} at {}",
                                n.name, mine.state, mine.holder, theirs.state, theirs.holder
                            ));
                        }
                        if r.doc(id).unwrap().heads() != dr.doc(id).unwrap().heads() {
                            return Some(format!("{} heads differ on case {id}", n.name));
                        }
                    }
                }
            }
            for id in r.case_ids().unwrap() {
                if dr.summary(&id).unwrap().is_none() {
                    return Some(format!("d lacks case {id} held by {}", n.name));
                }
            }
        }
        None
    }
}

/// A new session at `me` with `peer`, as the transport starts one for an authenticated
/// connection.
fn session(me: &Node, peer: &Node) -> Session {
    Session::new(&*me.rep, Some((peer.name.clone(), peer.unit.clone())))
}

/// A frame as the peer gets it: encoded to bytes and decoded again.
fn roundtrip(f: &Frame) -> Frame {
    let bytes = encode(f);
    decode(&bytes[4..]).expect("a frame we encoded decodes")
}

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

/// The district, street s1 and community c11; with `mesh` every pair is linked, otherwise
/// the community reaches the district only through its street.
fn three(mesh: bool) -> World {
    let links: &[(usize, usize)] = if mesh {
        &[(0, 1), (1, 2), (0, 2)]
    } else {
        &[(0, 1), (1, 2)]
    };
    World::new(&["d", "s1", "c11"], links)
}

/// Reliable phase: deliver everything, tick, push, until converged and every session is in
/// sync; the number of rounds it took, or what never converged.
fn settle(w: &mut World, bound: u32) -> Result<u32, String> {
    for round in 0..bound {
        w.drain();
        if w.divergence().is_none() && w.synced() {
            return Ok(round);
        }
        w.tick();
        for i in 0..w.nodes.len() {
            w.changed(i, None);
        }
    }
    Err(w
        .divergence()
        .unwrap_or_else(|| "converged, but a session never got in sync".into()))
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

/// Connects the two sessions of link 0 over a reliable wire: hellos, resumes, and whatever
/// they start, until the wires are empty.
fn connect(w: &mut World) {
    w.drain();
    let l = &w.links[0];
    assert!(l.at_a.peer().is_some() && l.at_b.peer().is_some());
}

/// Takes every frame off a wire.
fn take(w: &mut World, link: usize, forward: bool) -> Vec<Frame> {
    w.flush();
    w.wire(link, forward).drain(..).collect()
}

fn applied(events: &[SessionEvent]) -> u64 {
    events
        .iter()
        .map(|e| match e {
            SessionEvent::Applied { applied, .. } => *applied,
            _ => 0,
        })
        .sum()
}

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
    use gridloop_core::emergency::{Lane, Plans};

    // Node 0 is the district, node 1 community c11; link 0 = (d, c11), `ab` carries d → c11.
    let mut w = World::new(&["d", "c11"], &[(0, 1)]);
    connect(&mut w);
    let engine = w.nodes[0].rep.engine().clone();
    let at = |role| Actor {
        node: NodeId("d".into()),
        unit: w.p.root.clone(),
        role,
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
        .authorize(&mine[0].envelope, &mine[0].hash)
        .expect("the stored signature verifies");
    assert_eq!(grant.unit, w.p.c11);
    let mut forged = mine[0].envelope.clone();
    forged.signature[0] ^= 1;
    assert!(roster.authorize(&forged, &mine[0].hash).is_err());
}
