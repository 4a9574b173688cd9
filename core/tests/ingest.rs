//! Receiving changes (接收变更) on real stores: the fast path against the trail kept beside a
//! document (接收快路径) ends exactly where loading and applying every change ends, and a
//! change that rewrites a case's history is refused on either path.

use std::collections::{BTreeSet, HashMap};

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use gridloop_core::doc::case_doc::actor_for;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::ingest::{Authority, Grant, IngestReport, Refused, Source, ingest};
use gridloop_core::store::{APPEND_LIMIT, Envelope, Store};

const T0: i64 = 1_795_395_600_000;
const MIN: i64 = 60_000;

/// Grants every known author its unit, any role; signatures are the sync layer's business.
struct Units(HashMap<String, UnitId>);

impl Authority for Units {
    fn authorize(&self, env: &Envelope, _hash: &[u8], _made: i64) -> Result<Grant, String> {
        self.0
            .get(&env.author)
            .map(|unit| Grant {
                unit: unit.clone(),
                roles: Vec::new(),
                import: gridloop_core::store::importer_of(&env.author).is_some(),
            })
            .ok_or_else(|| format!("unknown author {}", env.author))
    }
}

struct Node {
    _dir: tempfile::TempDir,
    engine: Engine,
    unit: UnitId,
}

impl Node {
    fn new(unit: &UnitId) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::demo(Store::open(&dir.path().join("n.redb")).unwrap());
        Node {
            _dir: dir,
            engine,
            unit: unit.clone(),
        }
    }

    /// Everything this node's feed for `unit` holds after `since`.
    fn feed(&self, unit: &UnitId, since: u64) -> (Vec<Envelope>, u64) {
        let entries = self
            .engine
            .store
            .read()
            .unwrap()
            .feed(unit, since, usize::MAX)
            .unwrap();
        let upto = entries.last().map(|e| e.seq).unwrap_or(since);
        (entries.into_iter().map(|e| e.envelope).collect(), upto)
    }

    fn take(&self, batch: &[Envelope], authority: &Units) -> IngestReport {
        let source = Source {
            peer: "peer",
            epoch: "e",
            upto: None,
            durable: true,
        };
        ingest(
            &self.engine,
            &self.unit,
            batch,
            authority,
            Some(source),
            T0 + 100 * MIN,
        )
        .unwrap()
    }

    /// Whether `batch` (continuing the heads) fits under the append limit here.
    fn fits(&self, id: &CaseId, batch: &[Envelope]) -> bool {
        let stored = self
            .engine
            .store
            .doc_bytes(std::slice::from_ref(id))
            .unwrap();
        let extra: usize = batch.iter().map(|e| e.change.len()).sum();
        stored[0].1.len() + extra <= APPEND_LIMIT
    }

    fn state(&self, id: &CaseId) -> (String, BTreeSet<String>, Vec<[u8; 32]>) {
        let r = self.engine.store.read().unwrap();
        let summary = format!("{:?}", r.summary(id).unwrap().unwrap());
        let doc = r.doc(id).unwrap();
        let events = doc
            .events()
            .unwrap()
            .iter()
            .map(|e| format!("{e:?}"))
            .collect();
        let mut heads: Vec<[u8; 32]> = doc.heads().iter().map(|h| h.0).collect();
        heads.sort();
        (summary, events, heads)
    }
}

/// The units these tests work in, the authority knowing the community node `c` and the
/// street node `s`, the community's grid worker, and a case to report.
struct Scene {
    authority: Units,
    district: UnitId,
    street: UnitId,
    community: UnitId,
    worker: Actor,
    new: NewCase,
}

fn scene(address: &str) -> Scene {
    let d = gridloop_core::domain::unit::District::demo();
    let district = d.root().id.clone();
    let street = d.streets()[0].id.clone();
    let community = d.children(&street)[0].id.clone();
    let grid = d.grids_of(&community)[0].code.to_string();
    Scene {
        authority: Units(HashMap::from([
            ("c".to_string(), community.clone()),
            ("s".to_string(), street.clone()),
        ])),
        worker: Actor {
            node: NodeId("c".into()),
            unit: community.clone(),
            role: Role::GridWorker,
            person: None,
        },
        new: NewCase {
            source: "grid_patrol".into(),
            category: "E0104".into(),
            grid,
            address: address.into(),
            description: "占道堆物".into(),
            ..NewCase::default()
        },
        district,
        street,
        community,
    }
}

#[test]
fn the_fast_path_ends_where_loading_and_applying_every_change_ends() {
    let Scene {
        authority,
        district,
        street,
        community,
        worker,
        new,
    } = scene("幸福路 1 号");
    let c = Node::new(&community);
    let s = Node::new(&street);
    // The district receives move by move (the fast path), its standby all at once at the
    // end (a new case: loaded and applied).
    let fast = Node::new(&district);
    let whole = Node::new(&district);

    let leader = Actor {
        node: NodeId("s".into()),
        unit: street.clone(),
        role: Role::Leader,
        person: None,
    };
    let id = c.engine.report(&worker, &new, T0).unwrap().id;
    c.engine
        .act(&worker, &id, Action::SelfHandle, T0 + MIN)
        .unwrap();
    let (first, mut at) = c.feed(&district, 0);
    assert_eq!(first.len(), 2);
    let r = fast.take(&first, &authority);
    assert_eq!((r.applied, r.fast), (2, 0), "a new case is loaded: {r:?}");
    s.take(&first, &authority);

    // Urges from the street, one at a time, until the document outgrows the append limit
    // and is saved whole once (the slow path), then fast again.
    let mut fast_batches = 0;
    let mut slow_batches = 0;
    for i in 0..14 {
        let note = format!("第 {i} 次催办：请尽快处置占道堆物，并上传处置后照片。");
        s.engine
            .act(&leader, &id, Action::Urge { note }, T0 + (2 + i) * MIN)
            .unwrap();
        let (batch, upto) = s.feed(&district, 0);
        let batch: Vec<Envelope> = batch
            .into_iter()
            .filter(|e| e.author == "s")
            .skip(i as usize)
            .collect();
        assert_eq!(batch.len(), 1);
        let fits = fast.fits(&id, &batch);
        let r = fast.take(&batch, &authority);
        assert_eq!(r.fast, u64::from(fits), "{r:?}");
        assert_eq!(
            fast.state(&id),
            s.state(&id),
            "the district holds what the street holds"
        );
        assert_eq!(r.applied, 1, "{r:?}");
        assert!(r.quarantined.is_empty(), "{r:?}");
        match r.fast {
            1 => fast_batches += 1,
            _ => slow_batches += 1,
        }
        c.take(&batch, &authority);
        let _ = upto;
    }
    assert!(fast_batches >= 10, "most moves take the fast path");
    assert!(
        slow_batches >= 1,
        "the grown document is compacted on the slow path"
    );

    // Concurrent moves: the community closes while the street urges once more, neither
    // having seen the other's move. The second to arrive does not continue the heads.
    c.engine
        .act(
            &worker,
            &id,
            Action::SelfClose {
                evidence: vec!["photo://done.jpg".into()],
                note: "已清理".into(),
            },
            T0 + 20 * MIN,
        )
        .unwrap();
    s.engine
        .act(
            &leader,
            &id,
            Action::Urge {
                note: "再次催办".into(),
            },
            T0 + 21 * MIN,
        )
        .unwrap();
    let (from_c, next) = c.feed(&district, at);
    at = next;
    let close: Vec<Envelope> = from_c.into_iter().filter(|e| e.author == "c").collect();
    let (from_s, _) = s.feed(&district, 0);
    let last_urge = vec![from_s.last().unwrap().clone()];
    assert_eq!(close.len(), 1);
    let fits = fast.fits(&id, &close);
    let r = fast.take(&close, &authority);
    assert_eq!((r.applied, r.fast), (1, u64::from(fits)), "{r:?}");
    assert_eq!(
        fast.state(&id),
        c.state(&id),
        "the district holds what the community holds"
    );
    let r = fast.take(&last_urge, &authority);
    assert_eq!(
        (r.applied, r.fast),
        (1, 0),
        "beside the heads: loaded and merged: {r:?}"
    );
    assert_eq!(fast.state(&id).2.len(), 2, "two heads after the merge");
    let _ = at;

    // The standby receives everything in one batch, as a new case.
    let mut all = c.feed(&district, 0).0;
    all.extend(s.feed(&district, 0).0);
    let r = whole.take(&all, &authority);
    assert_eq!(r.fast, 0);
    assert!(r.quarantined.is_empty(), "{r:?}");

    assert_eq!(fast.state(&id), whole.state(&id));
    let (summary, events, _) = fast.state(&id);
    assert_eq!(events.len(), 18, "report, handle, 15 urges, close");
    assert!(summary.contains("Closed"), "{summary}");
}

/// A forged change of the case, signed by `author`: `edit` works on a copy of the author's
/// document (`fresh`: a new, empty document instead).
fn forge(
    c: &Node,
    id: &CaseId,
    author: &str,
    fresh: bool,
    edit: impl FnOnce(&mut automerge::transaction::Transaction<'_>, &automerge::ObjId, String),
) -> Envelope {
    let doc = c.engine.store.read().unwrap().doc(id).unwrap();
    let (_, list) = doc
        .automerge()
        .get(automerge::ROOT, "events")
        .unwrap()
        .unwrap();
    let entry = doc.automerge().get(&list, 1).unwrap().unwrap().0;
    // The community's own first move, backdated by an hour: still a well-formed event.
    let mut backdated: serde_json::Value = serde_json::from_str(entry.as_str().unwrap()).unwrap();
    let t = backdated["t"].as_u64().unwrap();
    backdated["t"] = serde_json::json!(t - (3_600_000 << 16));
    let mut am = if fresh {
        automerge::Automerge::new()
    } else {
        doc.automerge().clone()
    }
    .with_actor(actor_for(&NodeId(author.into())));
    let mut tx = am.transaction();
    edit(&mut tx, &list, backdated.to_string());
    tx.commit();
    Envelope {
        case: id.to_string(),
        author: author.into(),
        change: am.get_last_local_change().unwrap().raw_bytes().to_vec(),
        signature: Vec::new(),
    }
}

#[test]
fn a_change_that_rewrites_history_is_refused_and_nothing_is_applied() {
    let Scene {
        authority,
        district,
        community,
        worker,
        new,
        ..
    } = scene("幸福路 2 号");
    let c = Node::new(&community);
    let dn = Node::new(&district);
    let id = c.engine.report(&worker, &new, T0).unwrap().id;
    c.engine
        .act(&worker, &id, Action::SelfHandle, T0 + MIN)
        .unwrap();
    let (batch, _) = c.feed(&district, 0);
    dn.take(&batch, &authority);
    let before = dn.state(&id);

    let forgeries = [
        // The author backdates its own move in place.
        (
            forge(&c, &id, "c", false, |tx, list, text| {
                tx.put(list, 1, text.as_str()).unwrap();
            }),
            "rewrites the case's history",
        ),
        // ... or adds a backdated second copy of it, which the replay would take instead.
        (
            forge(&c, &id, "c", false, |tx, list, text| {
                tx.insert(list, 2, text.as_str()).unwrap();
            }),
            "second copy of an event",
        ),
        // The street writes a new intake in a change that names no dependency, as if it
        // were the first change of the document.
        (
            forge(&c, &id, "s", true, |tx, _, _| {
                tx.put(automerge::ROOT, "intake", "{}").unwrap();
            }),
            "rewrites the case's history",
        ),
    ];
    for (env, why) in forgeries {
        let r = dn.take(&[env], &authority);
        assert_eq!(r.applied, 0, "{r:?}");
        assert_eq!(r.quarantined.len(), 1, "{r:?}");
        assert!(
            r.quarantined[0].to_string().contains(why),
            "expected `{why}`: {r:?}"
        );
        // The report keeps the typed reason, not only its text.
        let typed = match why {
            "second copy of an event" => matches!(r.quarantined[0].why, Refused::SecondCopy),
            _ => matches!(r.quarantined[0].why, Refused::NotAppendOnly(_)),
        };
        assert!(typed, "typed reason for `{why}`: {r:?}");
        assert_eq!(dn.state(&id), before, "nothing applied");
    }
}

/// 分批落盘: a batch committed without waiting for the disk is applied and visible, but the
/// feed does not pass its changes on until a durable commit; settling is that commit.
#[test]
fn a_batch_not_yet_on_disk_is_not_passed_on_until_settled() {
    let Scene {
        authority,
        district,
        street,
        community,
        worker,
        new,
    } = scene("幸福路 3 号");
    let c = Node::new(&community);
    let s = Node::new(&street);
    let id = c.engine.report(&worker, &new, T0).unwrap().id;
    let (batch, _) = c.feed(&street, 0);
    let source = Source {
        peer: "c",
        epoch: "e",
        upto: Some(1),
        durable: false,
    };
    let r = ingest(
        &s.engine,
        &s.unit,
        &batch,
        &authority,
        Some(source),
        T0 + MIN,
    )
    .unwrap();
    assert_eq!(r.applied, 1);
    let held = |n: &Node| n.engine.store.read().unwrap().summary(&id).unwrap();
    assert!(held(&s).is_some(), "applied and visible at once");
    assert!(s.feed(&district, 0).0.is_empty(), "not passed on yet");
    assert!(
        s.engine
            .store
            .read()
            .unwrap()
            .unsettled()
            .unwrap()
            .is_some()
    );
    assert!(s.engine.store.settle().unwrap(), "settling commits");
    assert_eq!(s.feed(&district, 0).0.len(), 1, "passed on once durable");
    assert!(
        s.engine
            .store
            .read()
            .unwrap()
            .unsettled()
            .unwrap()
            .is_none()
    );
    assert!(!s.engine.store.settle().unwrap(), "nothing left to settle");
}

/// A book of the demo configuration (version 1) and a second version, in force from
/// `effective`, that adds the department 110101D20 新设应急办.
fn book_with_a_new_department(effective: i64) -> gridloop_core::domain::config::ConfigBook {
    use gridloop_core::domain::config::{ConfigBook, ConfigVersion, DistrictConfig, demo_files};
    let v = |n, effective, files: &gridloop_core::domain::config::ConfigFiles| ConfigVersion {
        version: n,
        effective,
        hash: files.hash(),
        config: std::sync::Arc::new(DistrictConfig::from_files(files).unwrap()),
    };
    let first = demo_files();
    let mut second = demo_files();
    let text = second.files["district.toml"].clone();
    second.files.insert(
        "district.toml".into(),
        format!("{text}\n[[departments]]\nid = \"110101D20\"\nname = \"新设应急办\"\n"),
    );
    ConfigBook::new(vec![v(1, i64::MIN, &first), v(2, effective, &second)]).unwrap()
}

#[test]
fn a_unit_added_by_a_later_version_is_known_to_a_receiver_started_before_it() {
    let Scene {
        authority,
        district,
        street,
        worker,
        new,
        ..
    } = scene("幸福路 2 号");
    let effective = T0 + 30 * MIN;
    let dept = UnitId::from("110101D20");
    let node = |unit: &UnitId| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("n.redb")).unwrap();
        // Both engines started before the version took effect: their own district is v1.
        let engine = Engine::with_book(store, book_with_a_new_department(effective), T0);
        Node {
            _dir: dir,
            engine,
            unit: unit.clone(),
        }
    };
    let sender = node(&street);
    let receiver = node(&district);
    assert!(
        receiver.engine.district.unit(&dept).is_none(),
        "v1 has no 110101D20"
    );
    let on = |unit: &UnitId, node: &str, role| Actor {
        node: NodeId(node.into()),
        unit: unit.clone(),
        role,
        person: None,
    };
    let e = &sender.engine;
    let id = e.report(&worker, &new, T0).unwrap().id;
    let chief = on(&worker.unit, "c", Role::StationChief);
    e.act(
        &chief,
        &id,
        Action::Escalate {
            reason: "需街道协调".into(),
        },
        T0 + MIN,
    )
    .unwrap();
    // After v2 takes effect the street summons the new department, and records its report-in.
    e.act(
        &on(&street, "s", Role::ShiftLead),
        &id,
        Action::Whistle {
            departments: vec![dept.clone()],
        },
        effective + MIN,
    )
    .unwrap();
    e.act(
        &on(&dept, "s", Role::Handler),
        &id,
        Action::ReportIn { unit: dept.clone() },
        effective + 2 * MIN,
    )
    .unwrap();
    let (batch, _) = sender.feed(&district, 0);
    assert_eq!(batch.len(), 4);
    let r = receiver.take(&batch, &authority);
    assert!(r.quarantined.is_empty(), "refused: {:?}", r.quarantined);
    assert_eq!(r.applied, 4);
    assert_eq!(receiver.state(&id), sender.state(&id));
}

#[test]
fn a_change_refused_before_its_configuration_arrived_is_judged_again_after() {
    let Scene {
        authority,
        district,
        street,
        worker,
        new,
        ..
    } = scene("幸福路 3 号");
    let effective = T0 + 30 * MIN;
    let dept = UnitId::from("110101D20");
    let dir = tempfile::tempdir().unwrap();
    let sender = Node {
        engine: Engine::with_book(
            Store::open(&dir.path().join("s.redb")).unwrap(),
            book_with_a_new_department(effective),
            T0,
        ),
        _dir: tempfile::tempdir().unwrap(),
        unit: street.clone(),
    };
    let on = |unit: &UnitId, node: &str, role| Actor {
        node: NodeId(node.into()),
        unit: unit.clone(),
        role,
        person: None,
    };
    let e = &sender.engine;
    let id = e.report(&worker, &new, T0).unwrap().id;
    let reason = Action::Escalate {
        reason: "需街道协调".into(),
    };
    e.act(
        &on(&worker.unit, "c", Role::StationChief),
        &id,
        reason,
        T0 + MIN,
    )
    .unwrap();
    let whistle = Action::Whistle {
        departments: vec![dept.clone()],
    };
    e.act(
        &on(&street, "s", Role::ShiftLead),
        &id,
        whistle,
        effective + MIN,
    )
    .unwrap();
    let (batch, _) = sender.feed(&district, 0);

    // The receiver has only version 1: the summons of an unknown department is refused.
    let path = dir.path().join("r.redb");
    let receiver = |book| Node {
        engine: Engine::with_book(Store::open(&path).unwrap(), book, T0),
        _dir: tempfile::tempdir().unwrap(),
        unit: district.clone(),
    };
    let demo = gridloop_core::domain::config::ConfigBook::demo;
    let r1 = receiver(demo());
    assert_eq!(r1.engine.store.note_config("1:demo").unwrap(), Some(0));
    let first = r1.take(&batch, &authority);
    assert_eq!(first.quarantined.len(), 1, "{first:?}");
    drop(r1);

    // Version 2 arrives: the node starts on it and notes the new configuration, forgetting
    // the refusal, so the same change offered again is judged by version 2 and taken.
    let r2 = receiver(book_with_a_new_department(effective));
    assert_eq!(r2.engine.store.note_config("2:new").unwrap(), Some(1));
    assert_eq!(
        r2.engine.store.note_config("2:new").unwrap(),
        None,
        "noted once"
    );
    let again = r2.take(&batch, &authority);
    assert!(again.quarantined.is_empty(), "{again:?}");
    assert_eq!(r2.state(&id), sender.state(&id));
}

#[test]
fn two_cases_sharing_a_number_are_both_named_never_one_chosen() {
    let Scene {
        mut authority,
        district,
        community,
        worker,
        new,
        ..
    } = scene("幸福路 3 号");
    // Two workstations of one community, each numbering its first case of the day offline.
    authority.0.insert("c2".into(), community.clone());
    let c = Node::new(&community);
    let c2 = Node::new(&community);
    let d = Node::new(&district);
    let other = Actor {
        node: NodeId("c2".into()),
        ..worker.clone()
    };
    let a = c.engine.report(&worker, &new, T0).unwrap();
    let b = c2.engine.report(&other, &new, T0 + MIN).unwrap();
    assert_eq!(
        a.number, b.number,
        "the same unit and day give the same first number"
    );
    d.take(&c.feed(&district, 0).0, &authority);
    d.take(&c2.feed(&district, 0).0, &authority);

    let r = d.engine.store.read().unwrap();
    let err = r
        .find(&a.number)
        .expect_err("a number two cases carry is ambiguous");
    let text = err.to_string();
    assert!(
        text.contains(&a.id.0) && text.contains(&b.id.0) && text.contains("by its id"),
        "{text}"
    );
    assert_eq!(r.find(&a.id.0).unwrap().unwrap().id, a.id);
    assert_eq!(r.find(&b.id.0).unwrap().unwrap().id, b.id);
    // The next case this district store numbers for the community skips the held number.
    drop(r);
    let n = d.engine.report(
        &Actor {
            node: NodeId("d".into()),
            ..worker.clone()
        },
        &new,
        T0 + 2 * MIN,
    );
    let n = n.unwrap().number;
    assert_ne!(n, a.number, "a held number is never given out again");
}
