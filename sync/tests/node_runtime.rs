//! The node on a `current_thread` runtime: every session step that touches the store runs on
//! the blocking pool, never blocking the one reactor thread, so two real nodes (iroh
//! endpoints on 127.0.0.1, redb stores in temporary directories) sync the backlog and then
//! a live change, and both links come up Live.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::Store;
use gridloop_sync::identity::NodeKey;
use gridloop_sync::node::{self, EndpointConfig, LinkState, Node};
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry};

/// Monday 2026-11-23 09:00 Beijing time, in ms.
const T0: Millis = 1_795_395_600_000;

struct Peer {
    name: &'static str,
    unit: UnitId,
    role: Role,
    node: Node,
    _dir: tempfile::TempDir,
}

impl Peer {
    fn report(&self, grid: &str, now: Millis) -> CaseId {
        let actor = Actor {
            node: NodeId(self.name.into()),
            unit: self.unit.clone(),
            role: self.role,
            person: None,
        };
        let new = NewCase {
            source: "grid_patrol".into(),
            category: "E0104".into(),
            grid: grid.into(),
            address: "测试地址 1 号".into(),
            description: format!("{} 上报的测试案件", self.name),
            ..NewCase::default()
        };
        let id = self
            .node
            .replica()
            .engine()
            .report(&actor, &new, now)
            .unwrap()
            .id;
        self.node.notify_changed();
        id
    }

    fn holds(&self, id: &CaseId) -> bool {
        let store = &self.node.replica().engine().store;
        store.read().unwrap().summary(id).unwrap().is_some()
    }

    fn live_with(&self, other: &str) -> bool {
        self.node
            .peers()
            .iter()
            .any(|p| p.node == other && p.state == LinkState::Live)
    }
}

async fn until(what: &str, pred: impl Fn() -> bool) {
    let t = Instant::now();
    while !pred() {
        assert!(t.elapsed() < Duration::from_secs(30), "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Binds, enrols and starts a district node and one community node that dials it; the
/// community reports `backlog` cases before its node starts.
async fn pair(backlog: usize) -> (Peer, Peer, Vec<CaseId>) {
    let district = District::demo();
    let d_unit = district.root().id.clone();
    let street = district.streets()[0].id.clone();
    let c_unit = district.children(&street)[0].id.clone();
    let grid = district.grids_of(&c_unit)[0].code.to_string();
    let root = NodeKey::generate();
    let mut roster = Roster::new(d_unit.clone(), &root);
    let specs = [
        ("d", d_unit, Role::Dispatcher, vec![]),
        ("c", c_unit, Role::GridWorker, vec!["d".to_string()]),
    ];
    let mut bound = Vec::new();
    for (name, unit, _, links) in &specs {
        let key = NodeKey::generate();
        let cfg = EndpointConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..EndpointConfig::default()
        };
        let ep = node::bind(&key, &cfg).await.unwrap();
        roster
            .enrol(RosterEntry {
                node: name.to_string(),
                key: key.id(),
                unit: unit.clone(),
                roles: vec![],
                addrs: vec![ep.bound_sockets()[0]],
                links: links.clone(),
                import: false,
            })
            .unwrap();
        bound.push((key, ep));
    }
    let signed = roster.sign(&root);
    let mut peers = Vec::new();
    let mut ids = Vec::new();
    for ((name, unit, role, _), (key, ep)) in specs.into_iter().zip(bound) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("gridloop.redb")).unwrap();
        store.set_node(&NodeId(name.into()), &unit, role).unwrap();
        let engine = Arc::new(Engine::demo(store));
        let replica = Arc::new(NodeReplica::new(engine, key, signed.clone(), None).unwrap());
        if name == "c" {
            let actor = Actor {
                node: NodeId(name.into()),
                unit: unit.clone(),
                role,
                person: None,
            };
            for i in 0..backlog {
                let new = NewCase {
                    source: "grid_patrol".into(),
                    category: "E0104".into(),
                    grid: grid.clone(),
                    address: format!("测试地址 {i} 号"),
                    description: "积压的测试案件".into(),
                    ..NewCase::default()
                };
                let now = T0 + i as Millis * 1000;
                ids.push(replica.engine().report(&actor, &new, now).unwrap().id);
            }
        }
        let node = Node::start(ep, replica).unwrap();
        peers.push(Peer {
            name,
            unit,
            role,
            node,
            _dir: dir,
        });
    }
    let c = peers.pop().unwrap();
    let d = peers.pop().unwrap();
    (d, c, ids)
}

#[tokio::test(flavor = "current_thread")]
async fn two_nodes_sync_on_a_current_thread_runtime() {
    let (d, c, backlog) = pair(600).await;
    until("the backlog at the district", || {
        backlog.iter().all(|id| d.holds(id))
    })
    .await;
    until("both links live", || d.live_with("c") && c.live_with("d")).await;
    let district = District::demo();
    let grid = district.grids_of(&c.unit)[0].code.to_string();
    let live = c.report(&grid, T0 + 3_600_000);
    until("the live change at the district", || d.holds(&live)).await;
    until("both links live again", || {
        d.live_with("c") && c.live_with("d")
    })
    .await;
    let status = d.node.peers();
    let from_c = status.iter().find(|p| p.node == "c").unwrap();
    assert_eq!(from_c.applied, backlog.len() as u64 + 1);
    assert_eq!(from_c.quarantined, 0);
    c.node.shutdown().await;
    d.node.shutdown().await;
}
