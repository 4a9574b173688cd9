//! A structure-aware fuzz harness for the receiving path (接收路径模糊测试), shared by the
//! test `core/tests/receive_fuzz.rs` (a seeded run) and the libFuzzer target
//! `fuzz/fuzz_targets/receive.rs` (coverage-guided, millions of runs).
//!
//! Each step builds a real move on a stored case — by a community, a street, the district
//! or an import — and then, as the input chooses, breaks it at the level Automerge encodes:
//! its sequence number, start op, dependencies, actor, time, extra bytes, or an operation's
//! object, key, action, predecessors or insert flag; or flips a byte of the encoded change.
//! The change is received (`ingest`) as a one-change batch from a peer. After every step:
//! ingest returned no error, the stored document loads, holds the change exactly when it was
//! applied, and its projection row equals a replay of the loaded document. So the fast path
//! (which appends without loading) can never store what Automerge would not load.
//! Signatures are the sync layer's business: the authority here grants each author its unit.

#![allow(dead_code)]

use std::collections::HashMap;

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{ActorId, Change, ChangeHash, ExpandedChange, ReadDoc, ScalarValue};
use gridloop_core::doc::case_doc::{CaseDoc, actor_for};
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::{Action, Event, EventId};
use gridloop_core::domain::hlc::Hlc;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::ingest::{Authority, Grant, Source, ingest};
use gridloop_core::store::{CaseSummary, Envelope, Store, importer_of};

/// Monday 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;

/// Where the harness's choices come from: the fuzzer's input, or a seeded generator.
pub trait Choices {
    /// The next byte (0 when the input is used up).
    fn byte(&mut self) -> u8;
    /// A number below `n`.
    fn pick(&mut self, n: usize) -> usize {
        let v = (usize::from(self.byte()) << 8) | usize::from(self.byte());
        v % n.max(1)
    }
}

/// Choices read from a byte slice (a fuzzer input).
pub struct Bytes<'a>(pub &'a [u8]);

impl Choices for Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
}

/// Choices from a small xorshift generator (a seeded test run).
pub struct Seeded(pub u64);

impl Choices for Seeded {
    fn byte(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
}

/// Grants each known author its unit (import for `d+import`).
struct Units(HashMap<String, UnitId>);

impl Authority for Units {
    fn authorize(&self, env: &Envelope, _hash: &[u8], _made: i64) -> Result<Grant, String> {
        self.0
            .get(&env.author)
            .map(|unit| Grant {
                unit: unit.clone(),
                roles: Vec::new(),
                import: importer_of(&env.author).is_some(),
            })
            .ok_or_else(|| format!("unknown author {}", env.author))
    }
}

/// What the runs came to.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Steps run.
    pub runs: u64,
    /// Changes applied.
    pub applied: u64,
    /// Of them, on the fast path.
    pub fast: u64,
    /// Changes quarantined.
    pub refused: u64,
    /// Changes whose dependencies were missing (sent for repair).
    pub missing: u64,
    /// Stored cases Automerge could not fork at one of their own changes.
    pub odd: u64,
}

/// A receiving node (the district) with a few cases, and the authors that send to it.
pub struct Harness {
    _dir: tempfile::TempDir,
    engine: Engine,
    me: UnitId,
    cases: Vec<CaseId>,
    authority: Units,
    authors: Vec<(String, UnitId)>,
    step: i64,
    /// What the runs came to.
    pub stats: Stats,
}

impl Harness {
    /// A fresh district store holding three cases reported by community c11.
    pub fn new() -> Harness {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open(&dir.path().join("d.redb")).expect("store");
        let district = District::demo();
        let root = district.root().id.clone();
        let s1 = district.streets()[0].id.clone();
        let c11 = district.children(&s1)[0].id.clone();
        let s2 = district.streets()[1].id.clone();
        let c21 = district.children(&s2)[0].id.clone();
        store
            .set_node(&NodeId("d".into()), &root, Role::Dispatcher)
            .expect("node");
        let engine = Engine::demo(store);
        let authors = vec![
            ("c11".to_string(), c11.clone()),
            ("s1".to_string(), s1),
            ("d2".to_string(), root.clone()),
            ("d2+import".to_string(), root.clone()),
            ("c21".to_string(), c21),
        ];
        let authority = Units(authors.iter().cloned().collect());
        // The cases are reported at a sender (c11) and received like any other change.
        let sdir = tempfile::tempdir().expect("temporary directory");
        let sender = Engine::demo(Store::open(&sdir.path().join("c.redb")).expect("store"));
        let mut cases = Vec::new();
        for i in 0..3 {
            let grid = district.grids_of(&c11)[0].code.to_string();
            let new = NewCase {
                source: "grid_patrol".into(),
                category: "E0104".into(),
                grid,
                address: "测试地址".into(),
                description: format!("模糊测试案件 {i}"),
                ..NewCase::default()
            };
            let actor = Actor {
                node: NodeId("c11".into()),
                unit: c11.clone(),
                role: Role::GridWorker,
                person: None,
            };
            let id = sender.report(&actor, &new, T0 + i).expect("report").id;
            let doc = sender.store.doc(&id).expect("doc");
            let envs: Vec<Envelope> = doc
                .automerge()
                .get_changes(&[])
                .iter()
                .map(|c| Envelope {
                    case: id.0.clone(),
                    author: "c11".into(),
                    change: c.raw_bytes().to_vec(),
                    signature: Vec::new(),
                })
                .collect();
            let r = ingest(&engine, &root, &envs, &authority, None, T0).expect("ingest");
            assert_eq!(r.applied, 1, "the report arrives: {r:?}");
            cases.push(id);
        }
        Harness {
            _dir: dir,
            engine,
            me: root,
            cases,
            authority,
            authors,
            step: 0,
            stats: Stats::default(),
        }
    }

    /// One step: a move built, broken as `c` chooses, received, and the invariants checked.
    /// `Err` names a violated invariant.
    pub fn step(&mut self, c: &mut impl Choices) -> Result<(), String> {
        self.step += 1;
        self.stats.runs += 1;
        let id = self.cases[c.pick(self.cases.len())].clone();
        let doc = self
            .engine
            .store
            .doc(&id)
            .map_err(|e| format!("case {id} does not load before the step: {e}"))?;
        let events = doc.events().map_err(|e| e.to_string())?;
        // Half the moves are ones the workflow may allow (by the community, a dispatcher or
        // a street's shift lead), so the run reaches applying as well as refusing.
        let plausible = c.pick(2) == 0;
        let (author, unit) = if plausible {
            self.authors[[0, 0, 2, 1][c.pick(4)]].clone()
        } else {
            self.authors[c.pick(self.authors.len())].clone()
        };
        let writer = importer_of(&author).unwrap_or(&author).to_string();
        // Usually the node is the author; sometimes another (impersonation).
        let node = if c.pick(8) == 0 {
            "c11".to_string()
        } else {
            writer.clone()
        };
        let roles = [
            Role::GridWorker,
            Role::StationChief,
            Role::Dispatcher,
            Role::ShiftLead,
        ];
        let mut role = roles[c.pick(roles.len())];
        let mut pick_action = c.pick(8);
        if plausible {
            (role, pick_action) = match author.as_str() {
                "c11" => [
                    (Role::GridWorker, 1),
                    (Role::StationChief, 2),
                    (Role::StationChief, 4),
                ][c.pick(3)],
                "s1" => (Role::ShiftLead, 3),
                _ => [
                    (Role::Dispatcher, 0),
                    (Role::Dispatcher, 3),
                    (Role::Dispatcher, 6),
                ][c.pick(3)],
            };
        }
        let action = match pick_action {
            0 => Action::Accept,
            1 => Action::SelfHandle,
            2 => Action::SelfClose {
                evidence: vec!["photo://after".into()],
                note: "已处理".into(),
            },
            3 => Action::Urge {
                note: "催办".into(),
            },
            4 => Action::Escalate {
                reason: "需协调".into(),
            },
            5 => Action::Close,
            6 => Action::Supervise {
                note: "督办".into(),
            },
            _ => Action::Reject {
                reason: "不属实".into(),
            },
        };
        let after = match (events.last(), c.pick(6)) {
            (Some(e), 0) => vec![EventId(format!("x{}", e.id))],
            (Some(_), 1) => Vec::new(),
            (Some(e), _) => vec![e.id.clone()],
            (None, _) => Vec::new(),
        };
        let event = Event {
            id: if c.pick(16) == 0 {
                events
                    .first()
                    .map(|e| e.id.clone())
                    .unwrap_or_else(EventId::random)
            } else {
                EventId(format!("f{:08x}{:04x}", self.step, c.pick(65536)))
            },
            after,
            at: Hlc {
                millis: T0 + self.step * 60_000 + c.pick(3) as i64 * 3_600_000,
                counter: 0,
            },
            node: NodeId(node),
            unit: if c.pick(8) == 0 {
                self.me.clone()
            } else {
                unit
            },
            role,
            action,
            offline: false,
            person: None,
        };
        // Usually on the current document; sometimes on an older one (a concurrent move).
        let mut base = doc.clone();
        if c.pick(6) == 0 {
            let all = doc.automerge().get_changes(&[]);
            if all.len() > 1 {
                let at = all[c.pick(all.len() - 1)].hash();
                // A stored case Automerge cannot fork at one of its own changes is odd but
                // not a broken invariant (it loads; ingest reloads rather than forks when
                // it must): count it and build the move on the current document.
                match doc.fork_at(&[at]) {
                    Ok(d) => base = d,
                    Err(_) => self.stats.odd += 1,
                }
            }
        }
        let before = base.heads();
        base.append_as(&event, &NodeId(writer))
            .map_err(|e| e.to_string())?;
        let made = base
            .automerge()
            .get_changes(&before)
            .pop()
            .ok_or("no change made")?
            .clone();
        let (bytes, kind) = self.mutate(c, &made, &doc);
        let hash = Change::from_bytes(bytes.clone()).ok().map(|ch| ch.hash());
        let env = Envelope {
            case: id.0.clone(),
            author,
            change: bytes,
            signature: Vec::new(),
        };
        let report = ingest(
            &self.engine,
            &self.me,
            std::slice::from_ref(&env),
            &self.authority,
            Some(Source {
                peer: "peer",
                epoch: "e",
                upto: None,
                durable: false,
            }),
            T0 + self.step,
        )
        .map_err(|e| format!("ingest failed on one bad change: {e}"))?;
        self.stats.applied += report.applied;
        self.stats.fast += report.fast;
        self.stats.refused += report.quarantined.len() as u64;
        self.stats.missing += report.missing.len() as u64;
        self.check(&id, hash, report.applied > 0)
            .map_err(|why| format!("{why} (mutation {kind}, fast {})", report.fast))
    }

    /// The stored case loads, holds the change exactly when it was applied, and its
    /// projection row is the replay of the loaded document.
    fn check(&self, id: &CaseId, hash: Option<ChangeHash>, applied: bool) -> Result<(), String> {
        let doc = self
            .engine
            .store
            .doc(id)
            .map_err(|e| format!("case {id} no longer loads: {e}"))?;
        if let Some(h) = hash {
            let held = doc.automerge().get_change_by_hash(&h).is_some();
            if held != applied {
                return Err(format!(
                    "case {id}: change {h} held {held}, but applied {applied}"
                ));
            }
        } else if applied {
            return Err("an undecodable change was applied".into());
        }
        let intake = doc.intake().map_err(|e| e.to_string())?;
        let events = doc.events().map_err(|e| e.to_string())?;
        let derived = self
            .engine
            .rules()
            .replay(&intake, &events)
            .map_err(|e| e.to_string())?;
        let replayed = CaseSummary::build(id, &intake, &derived);
        let stored = self
            .engine
            .store
            .read()
            .and_then(|r| r.summary(id))
            .map_err(|e| e.to_string())?;
        if stored.as_ref() != Some(&replayed) {
            return Err(format!("case {id}: the projection differs from a replay"));
        }
        Ok(())
    }

    /// The change, broken (or not) as `c` chooses, encoded.
    fn mutate(&self, c: &mut impl Choices, made: &Change, doc: &CaseDoc) -> (Vec<u8>, usize) {
        let kind = c.pick(32);
        if kind >= 16 {
            return (made.raw_bytes().to_vec(), kind);
        }
        if kind == 0 {
            // A flipped byte of the encoding.
            let mut raw = made.raw_bytes().to_vec();
            let i = c.pick(raw.len());
            raw[i] ^= 1 << (c.pick(8));
            return (raw, kind);
        }
        let mut ex: ExpandedChange = made.decode();
        let heads = doc.heads();
        let some_elem = |c: &mut dyn FnMut(usize) -> usize| -> OpId {
            OpId(c(200) as u64, actor_for(&NodeId("c11".into())))
        };
        let mut pick = |n: usize| c.pick(n);
        match kind {
            1 => ex.seq = ex.seq.saturating_add(1),
            2 => ex.seq = ex.seq.saturating_sub(1).max(1),
            3 => ex.start_op = std::num::NonZeroU64::new(ex.start_op.get() + 1).expect("non-zero"),
            4 => {
                if let Some(v) = std::num::NonZeroU64::new(ex.start_op.get() - 1) {
                    ex.start_op = v;
                }
            }
            5 => {
                ex.deps.clear();
            }
            6 => ex.deps.push(ChangeHash([pick(256) as u8; 32])),
            7 => ex.deps.extend(heads.iter().copied()),
            8 => {
                if let Some(op) = ex.operations.first_mut() {
                    op.key = if pick(2) == 0 {
                        Key::Seq(ElementId::Head)
                    } else {
                        Key::Seq(ElementId::Id(some_elem(&mut pick)))
                    };
                }
            }
            9 => {
                if let Some(op) = ex.operations.first_mut() {
                    op.action = match pick(3) {
                        0 => OpType::Put(ScalarValue::Int(7)),
                        1 => OpType::Delete,
                        _ => OpType::Put(ScalarValue::Str("{\"i\":1}".into())),
                    };
                }
            }
            10 => {
                if let Some(op) = ex.operations.first_mut() {
                    op.pred = vec![some_elem(&mut pick)].into();
                }
            }
            11 => {
                if let Some(op) = ex.operations.first_mut() {
                    op.insert = false;
                }
            }
            12 => {
                if let Some(op) = ex.operations.first_mut() {
                    op.obj = ObjectId::Root;
                    op.key = Key::Map("intake".into());
                    op.insert = false;
                }
            }
            13 => {
                if let Some(op) = ex.operations.first().cloned() {
                    let mut second = op;
                    second.key =
                        Key::Seq(ElementId::Id(OpId(ex.start_op.get(), ex.actor_id.clone())));
                    ex.operations.push(second);
                }
            }
            14 => ex.actor_id = ActorId::from([pick(256) as u8; 16].as_slice()),
            _ => {
                if pick(2) == 0 {
                    ex.time = -(pick(1000) as i64);
                } else {
                    ex.extra_bytes = vec![pick(256) as u8; 3];
                }
            }
        }
        (Change::from(ex).raw_bytes().to_vec(), kind)
    }
}

impl Harness {
    /// The quarantine's reasons (for looking into a run).
    pub fn engine_reasons(&self) -> Vec<String> {
        self.engine
            .store
            .read()
            .and_then(|r| r.quarantined())
            .map(|q| q.into_iter().map(|(_, x)| x.reason).collect())
            .unwrap_or_default()
    }
}

impl Harness {
    /// The stored document of the `i`th case.
    pub fn doc(&self, i: usize) -> CaseDoc {
        self.engine
            .store
            .doc(&self.cases[i])
            .expect("a stored case")
    }
}

impl Harness {
    /// A valid move on the `i`th case by community c11 (自处置), as change bytes.
    pub fn self_handle(&self, i: usize) -> (CaseId, Vec<u8>) {
        let id = self.cases[i].clone();
        let doc = self.doc(i);
        let tip = doc
            .events()
            .expect("events")
            .last()
            .expect("a report")
            .id
            .clone();
        let e = Event {
            id: EventId::random(),
            after: vec![tip],
            at: Hlc::at(T0 + 60_000),
            node: NodeId("c11".into()),
            unit: self.authors[0].1.clone(),
            role: Role::GridWorker,
            action: Action::SelfHandle,
            offline: false,
            person: None,
        };
        let mut d = doc.fork_as(&NodeId("c11".into()));
        let before = d.heads();
        d.append(&e).expect("append");
        let c = d
            .automerge()
            .get_changes(&before)
            .pop()
            .expect("a change")
            .clone();
        (id, c.raw_bytes().to_vec())
    }

    /// Receives one change by c11 from a peer.
    pub fn receive(&self, id: &CaseId, bytes: Vec<u8>) -> gridloop_core::ingest::IngestReport {
        let env = Envelope {
            case: id.0.clone(),
            author: "c11".into(),
            change: bytes,
            signature: Vec::new(),
        };
        ingest(
            &self.engine,
            &self.me,
            &[env],
            &self.authority,
            Some(Source {
                peer: "peer",
                epoch: "e",
                upto: None,
                durable: true,
            }),
            T0 + 120_000,
        )
        .expect("ingest")
    }
}
