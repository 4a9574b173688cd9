//! The test world of the sans-IO session tests (测试世界): real replicas (redb stores in
//! temporary directories, a real signed roster, no sockets), every pair of nodes linked by a
//! pair of sessions, frames carried on in-memory wires that can lose, duplicate and reorder
//! them; and the helpers the property and feed tests share.

// Each test file uses part of the world.
#![allow(dead_code, unused_imports)]

pub use std::collections::{BTreeMap, BTreeSet, VecDeque};
pub use std::sync::Arc;

pub use gridloop_core::domain::calendar::Millis;
pub use gridloop_core::domain::case_id::CaseId;
pub use gridloop_core::domain::event::{Action, Event, EventId, RequestKind};
pub use gridloop_core::domain::hlc::Hlc;
pub use gridloop_core::domain::role::{Actor, NodeId, Role};
pub use gridloop_core::domain::unit::{District, UnitId, UnitKind};
pub use gridloop_core::engine::{Engine, NewCase};
pub use gridloop_core::store::{Store, feed_scope};
pub use gridloop_sync::frame::{Frame, decode, encode};
pub use gridloop_sync::identity::NodeKey;
pub use gridloop_sync::replica::NodeReplica;
pub use gridloop_sync::roster::{Roster, RosterEntry};
pub use gridloop_sync::session::{Replica, STALL_TICKS, Session, SessionEvent};

/// Monday 2026-11-23 09:00 Beijing time, in ms.
pub const T0: Millis = 1_795_395_600_000;
pub const MINUTE: Millis = 60_000;
pub const DAY: Millis = 24 * 60 * MINUTE;

/// The units the test plays with: the district, street s1, its communities c11 (which has a
/// node) and c12 (which has none), a community of another street, and two departments.
pub struct Places {
    pub district: District,
    pub root: UnitId,
    pub s1: UnitId,
    pub c11: UnitId,
    pub c12: UnitId,
    pub other: UnitId,
    pub depts: [UnitId; 2],
}

impl Places {
    pub fn demo() -> Places {
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

    pub fn grid(&self, community: &UnitId) -> String {
        self.district.grids_of(community)[0].code.to_string()
    }

    pub fn kind(&self, unit: &UnitId) -> Option<UnitKind> {
        self.district.unit(unit).map(|u| u.kind)
    }
}

pub struct Node {
    pub name: String,
    pub unit: UnitId,
    pub rep: Arc<NodeReplica>,
}

/// Two sessions of one link and the wire each way: `ab` carries what `a` sends to `b`.
pub struct Link {
    pub a: usize,
    pub b: usize,
    pub at_a: Session,
    pub at_b: Session,
    pub ab: VecDeque<Frame>,
    pub ba: VecDeque<Frame>,
}

pub struct World {
    pub _dirs: Vec<tempfile::TempDir>,
    pub p: Places,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    /// Minutes since T0, advanced by every step.
    pub step: i64,
    /// Moves made, by name (for the record).
    pub moves: BTreeMap<&'static str, u32>,
}

impl World {
    /// Nodes named `d`, `s1` or `c11` (each at its unit, enrolled in one roster signed by a
    /// fresh root key), linked as listed by node index.
    pub fn new(names: &[&str], links: &[(usize, usize)]) -> World {
        let p = Places::demo();
        let root_key = NodeKey::generate();
        let mut roster = Roster::new(p.root.clone(), &root_key);
        let specs: Vec<(String, UnitId, Role, NodeKey)> = names
            .iter()
            .map(|n| {
                let (unit, role) = match *n {
                    "d" | "d2" => (p.root.clone(), Role::Dispatcher),
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
                    // The district may import history (a test's bulk-loaded store).
                    import: name == "d",
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
    pub fn reconnect(&mut self, link: usize) {
        let World { nodes, links, .. } = self;
        let l = &mut links[link];
        l.ab.clear();
        l.ba.clear();
        l.at_a = session(&nodes[l.a], &nodes[l.b]);
        l.at_b = session(&nodes[l.b], &nodes[l.a]);
    }

    pub fn now(&self) -> Millis {
        T0 + self.step * MINUTE
    }

    pub fn store(&self, i: usize) -> &Store {
        &self.nodes[i].rep.engine().store
    }

    /// Puts every queued outgoing frame on its wire, through the byte encoding.
    pub fn flush(&mut self) {
        for l in &mut self.links {
            while let Some(f) = l.at_a.poll_transmit() {
                l.ab.push_back(roundtrip(&f));
            }
            while let Some(f) = l.at_b.poll_transmit() {
                l.ba.push_back(roundtrip(&f));
            }
        }
    }

    pub fn wire(&mut self, link: usize, forward: bool) -> &mut VecDeque<Frame> {
        let l = &mut self.links[link];
        if forward { &mut l.ab } else { &mut l.ba }
    }

    /// Delivers the first frame on a wire and returns the events it caused. Honest frames
    /// never break the protocol and never get quarantined. Applied changes are relayed: the
    /// receiver's other sessions are told its store changed, as the node does.
    pub fn deliver(&mut self, link: usize, forward: bool) -> Vec<SessionEvent> {
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
    pub fn changed(&mut self, i: usize, except: Option<usize>) {
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

    pub fn tick(&mut self) {
        let World { nodes, links, .. } = self;
        for l in links.iter_mut() {
            l.at_a.tick(&*nodes[l.a].rep).unwrap();
            l.at_b.tick(&*nodes[l.b].rep).unwrap();
        }
    }

    pub fn quiet(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.ab.is_empty() && l.ba.is_empty())
    }

    /// Delivers everything on every wire, and what that causes, until the wires are empty.
    pub fn drain(&mut self) {
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
    pub fn report(&mut self, i: usize, place: usize) -> CaseId {
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
            person: None,
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
    pub fn allowed(&self, i: usize, id: &CaseId, ending: bool) -> Vec<(UnitId, Role, Action)> {
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
            for_handler.push(Action::SignFor { unit: h.clone() });
            for_handler.push(Action::Contact {
                unit: h.clone(),
                note: note(),
            });
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
        at_mine(Action::callback(
            true,
            gridloop_core::domain::event::Rating::Satisfied,
            note(),
        ));
        at_mine(Action::callback(
            false,
            gridloop_core::domain::event::Rating::Dissatisfied,
            note(),
        ));
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
                person: None,
            };
            rules.check_live(&intake, &derived, &event).is_ok()
        });
        out
    }

    /// Node `i` makes a move on one of the cases it holds, if the workflow allows any: one
    /// of the allowed kinds of move picked evenly (so that notes, allowed almost always,
    /// do not crowd out the moves that carry a case on), then one way of making it.
    /// Returns whether a move was made.
    pub fn act(&mut self, i: usize, case: usize, pick: usize) -> bool {
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
            person: None,
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
    pub fn synced(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.at_a.is_synced() && l.at_b.is_synced())
    }

    /// The first broken invariant, if any. The district (node 0) sees every case; every
    /// other node must hold each case whose scope (as it stands now) includes its unit,
    /// with the district's projection row and heads, and may hold a case only if some node's
    /// feed ever carried it for that unit. Nothing anywhere is quarantined.
    pub fn divergence(&self) -> Option<String> {
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
pub fn session(me: &Node, peer: &Node) -> Session {
    Session::new(&*me.rep, Some((peer.name.clone(), peer.unit.clone())))
}

/// A frame as the peer gets it: encoded to bytes and decoded again.
pub fn roundtrip(f: &Frame) -> Frame {
    let bytes = encode(f);
    decode(&bytes[4..]).expect("a frame we encoded decodes")
}

/// The district, street s1 and community c11; with `mesh` every pair is linked, otherwise
/// the community reaches the district only through its street.
pub fn three(mesh: bool) -> World {
    let links: &[(usize, usize)] = if mesh {
        &[(0, 1), (1, 2), (0, 2)]
    } else {
        &[(0, 1), (1, 2)]
    };
    World::new(&["d", "s1", "c11"], links)
}

/// Reliable phase: deliver everything, tick, push, until converged and every session is in
/// sync; the number of rounds it took, or what never converged.
pub fn settle(w: &mut World, bound: u32) -> Result<u32, String> {
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

/// Connects the two sessions of link 0 over a reliable wire: hellos, resumes, and whatever
/// they start, until the wires are empty.
pub fn connect(w: &mut World) {
    w.drain();
    let l = &w.links[0];
    assert!(l.at_a.peer().is_some() && l.at_b.peer().is_some());
}

/// Takes every frame off a wire.
pub fn take(w: &mut World, link: usize, forward: bool) -> Vec<Frame> {
    w.flush();
    w.wire(link, forward).drain(..).collect()
}

pub fn applied(events: &[SessionEvent]) -> u64 {
    events
        .iter()
        .map(|e| match e {
            SessionEvent::Applied { applied, .. } => *applied,
            _ => 0,
        })
        .sum()
}
