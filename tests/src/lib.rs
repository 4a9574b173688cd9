//! End-to-end test harness (测试网络): real gridloop nodes — real redb stores in temporary
//! directories and real iroh endpoints on loopback — wired by a real signed roster.
//!
//! The standard network is one district, two streets and four communities (two per street).
//! Communities dial their street and the district; streets dial the district.

pub mod bench;
pub mod rogue;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::{CaseSummary, Store};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::node::{self, EndpointConfig, Node};
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry, SignedRoster};

/// Monday 2026-11-23 09:00 Beijing time, in ms.
pub const T0: Millis = 1_795_395_600_000;

/// One node of a test network.
pub struct TestNode {
    /// Node id, e.g. `c11`.
    pub name: String,
    /// Its unit.
    pub unit: UnitId,
    /// Its default role.
    pub role: Role,
    /// The running node (None while stopped).
    pub node: Option<Node>,
    /// Its key.
    pub key: NodeKey,
    /// Its data directory.
    pub dir: tempfile::TempDir,
    /// Its listen address.
    pub addr: SocketAddr,
}

impl TestNode {
    /// The running node.
    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("node is running")
    }

    /// The node's engine.
    pub fn engine(&self) -> &Arc<Engine> {
        self.node().replica().engine()
    }

    /// An actor on this node at its own unit.
    pub fn actor(&self, role: Role) -> Actor {
        Actor {
            node: NodeId(self.name.clone()),
            unit: self.unit.clone(),
            role,
            person: None,
        }
    }

    /// An actor on this node acting for another unit (a department at a street node).
    pub fn actor_for(&self, unit: &UnitId, role: Role) -> Actor {
        Actor {
            node: NodeId(self.name.clone()),
            unit: unit.clone(),
            role,
            person: None,
        }
    }

    /// Reports a case at a grid of `community` and pushes it.
    pub fn report(&self, role: Role, community: &UnitId, category: &str, now: Millis) -> CaseId {
        let district = District::demo();
        let grid = district.grids_of(community)[0].code.to_string();
        let new = NewCase {
            source: "grid_patrol".into(),
            category: category.into(),
            grid,
            address: "测试地址 1 号".into(),
            description: format!("{} 上报的测试案件", self.name),
            reporter: Some(gridloop_core::domain::intake::Reporter {
                name: "张三".into(),
                phone: "13900000000".into(),
            }),
            ..NewCase::default()
        };
        let id = self
            .engine()
            .report(&self.actor(role), &new, now)
            .expect("report")
            .id;
        self.node().notify_changed();
        id
    }

    /// Reports a drill case (演练案件) at a grid of `community` and pushes it.
    pub fn report_drill(&self, community: &UnitId, category: &str, now: Millis) -> CaseId {
        let district = District::demo();
        let new = NewCase {
            source: "drill".into(),
            category: category.into(),
            grid: district.grids_of(community)[0].code.to_string(),
            address: "演练地址 1 号".into(),
            description: format!("{} 演练注入", self.name),
            drill: true,
            ..NewCase::default()
        };
        let id = self
            .engine()
            .report(&self.actor(self.role), &new, now)
            .expect("report a drill case")
            .id;
        self.node().notify_changed();
        id
    }

    /// Makes a move as `actor` and pushes it; panics with the refusal if refused.
    pub fn act(&self, actor: &Actor, id: &CaseId, action: Action, now: Millis) -> CaseSummary {
        let s = self
            .engine()
            .act(actor, id, action, now)
            .unwrap_or_else(|e| panic!("{} refused a move: {e}", self.name));
        self.node().notify_changed();
        s
    }

    /// The projection row of a case here, if the case is here.
    pub fn summary(&self, id: &CaseId) -> Option<CaseSummary> {
        self.engine().store.read().unwrap().summary(id).unwrap()
    }

    /// Every case id here.
    pub fn cases(&self) -> Vec<CaseId> {
        self.engine().store.read().unwrap().case_ids().unwrap()
    }
}

/// A network of test nodes.
pub struct TestNet {
    /// The nodes by name.
    pub nodes: BTreeMap<String, TestNode>,
    /// The root key.
    pub root: NodeKey,
    /// The signed roster.
    pub roster: SignedRoster,
}

/// A node to create: name, unit, role, links (names it dials).
pub struct Spec {
    /// Node id.
    pub name: &'static str,
    /// Unit.
    pub unit: UnitId,
    /// Default role.
    pub role: Role,
    /// Names it dials.
    pub links: Vec<&'static str>,
}

/// The units of the standard network: district, streets s1, s2 and communities c11, c12
/// (of s1), c21, c22 (of s2).
pub fn units() -> BTreeMap<&'static str, UnitId> {
    let d = District::demo();
    let s1 = d.streets()[0].id.clone();
    let s2 = d.streets()[1].id.clone();
    let c1: Vec<UnitId> = d.children(&s1).iter().map(|u| u.id.clone()).collect();
    let c2: Vec<UnitId> = d.children(&s2).iter().map(|u| u.id.clone()).collect();
    BTreeMap::from([
        ("d", d.root().id.clone()),
        ("s1", s1),
        ("s2", s2),
        ("c11", c1[0].clone()),
        ("c12", c1[1].clone()),
        ("c21", c2[0].clone()),
        ("c22", c2[1].clone()),
    ])
}

/// The standard network's specs.
pub fn standard() -> Vec<Spec> {
    let u = units();
    vec![
        Spec {
            name: "d",
            unit: u["d"].clone(),
            role: Role::Dispatcher,
            links: vec![],
        },
        Spec {
            name: "s1",
            unit: u["s1"].clone(),
            role: Role::ShiftLead,
            links: vec!["d"],
        },
        Spec {
            name: "s2",
            unit: u["s2"].clone(),
            role: Role::ShiftLead,
            links: vec!["d"],
        },
        Spec {
            name: "c11",
            unit: u["c11"].clone(),
            role: Role::GridWorker,
            links: vec!["s1", "d"],
        },
        Spec {
            name: "c12",
            unit: u["c12"].clone(),
            role: Role::GridWorker,
            links: vec!["s1", "d"],
        },
        Spec {
            name: "c21",
            unit: u["c21"].clone(),
            role: Role::GridWorker,
            links: vec!["s2", "d"],
        },
        Spec {
            name: "c22",
            unit: u["c22"].clone(),
            role: Role::GridWorker,
            links: vec!["s2", "d"],
        },
    ]
}

impl TestNet {
    /// Starts a network: binds every endpoint on 127.0.0.1, writes and signs the roster with
    /// the real addresses, opens every store and starts every node.
    pub async fn start(specs: Vec<Spec>) -> TestNet {
        TestNet::start_with(specs, |_, _| {}).await
    }

    /// [`TestNet::start`], calling `prepare(name, data_dir)` for each node before its store
    /// opens (to put a prepared store in place).
    pub async fn start_with(
        specs: Vec<Spec>,
        prepare: impl FnMut(&str, &std::path::Path),
    ) -> TestNet {
        TestNet::start_inner(specs, prepare, None).await
    }

    /// [`TestNet::start`] with every node's address left out of the roster: nodes reach
    /// each other only through the district's relay at `relay` (中继).
    pub async fn start_via_relay(specs: Vec<Spec>, relay: &str) -> TestNet {
        TestNet::start_inner(specs, |_, _| {}, Some(relay)).await
    }

    async fn start_inner(
        specs: Vec<Spec>,
        mut prepare: impl FnMut(&str, &std::path::Path),
        relay: Option<&str>,
    ) -> TestNet {
        let root = NodeKey::generate();
        let district = District::demo();
        let mut roster = Roster::new(district.root().id.clone(), &root);
        roster.relay = relay.map(str::to_string);
        let mut bound = Vec::new();
        for s in &specs {
            let key = NodeKey::generate();
            let ep = node::bind(
                &key,
                &EndpointConfig {
                    listen: "127.0.0.1:0".parse().unwrap(),
                    relay: relay.map(str::to_string),
                    ..EndpointConfig::default()
                },
            )
            .await
            .expect("bind");
            let addr = ep.bound_sockets()[0];
            roster
                .enrol(RosterEntry {
                    node: s.name.into(),
                    key: key.id(),
                    unit: s.unit.clone(),
                    roles: vec![],
                    addrs: if relay.is_some() { vec![] } else { vec![addr] },
                    links: s.links.iter().map(|l| l.to_string()).collect(),
                    // The district node may import history (tests and benchmarks prepare
                    // its store with bulk imports); no other node may.
                    import: s.name == "d",
                })
                .unwrap();
            bound.push((key, ep, addr));
        }
        let signed = roster.sign(&root);
        let mut nodes = BTreeMap::new();
        for (s, (key, ep, addr)) in specs.into_iter().zip(bound) {
            let dir = tempfile::tempdir_in(
                std::env::var("GRIDLOOP_BENCH_DIR")
                    .unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
            )
            .unwrap();
            prepare(s.name, dir.path());
            let node = start_node(&dir, s.name, &s.unit, s.role, &key, ep, &signed);
            nodes.insert(
                s.name.to_string(),
                TestNode {
                    name: s.name.into(),
                    unit: s.unit,
                    role: s.role,
                    node: Some(node),
                    key,
                    dir,
                    addr,
                },
            );
        }
        TestNet {
            nodes,
            root,
            roster: signed,
        }
    }

    /// A node by name.
    pub fn n(&self, name: &str) -> &TestNode {
        &self.nodes[name]
    }

    /// Cuts the link between two nodes, on both sides.
    pub fn cut(&self, a: &str, b: &str) {
        self.n(a).node().cut(b);
        self.n(b).node().cut(a);
    }

    /// Restores the link between two nodes, on both sides.
    pub fn restore(&self, a: &str, b: &str) {
        self.n(a).node().restore(b);
        self.n(b).node().restore(a);
    }

    /// Cuts every link of a node.
    pub fn isolate(&self, a: &str) {
        for b in self.nodes.keys() {
            if b != a {
                self.cut(a, b);
            }
        }
    }

    /// Restores every link.
    pub fn heal(&self) {
        let names: Vec<&String> = self.nodes.keys().collect();
        for a in &names {
            for b in &names {
                if a != b && self.n(a).node().is_cut(b) {
                    self.n(a).node().restore(b);
                }
            }
        }
    }

    /// Stops a node (its store stays on disk).
    pub async fn stop(&mut self, name: &str) {
        let n = self.nodes.get_mut(name).unwrap();
        if let Some(node) = n.node.take() {
            node.shutdown().await;
        }
    }

    /// Restarts a stopped node on its old address; with `reset`, on a brand-new empty store
    /// (a new log epoch).
    pub async fn restart(&mut self, name: &str, reset: bool) {
        let signed = self.roster.clone();
        let n = self.nodes.get_mut(name).unwrap();
        assert!(n.node.is_none(), "stop {name} first");
        if reset {
            std::fs::remove_file(n.dir.path().join("gridloop.redb")).unwrap();
        }
        let mut tries = 0;
        let ep = loop {
            match node::bind(
                &n.key,
                &EndpointConfig {
                    listen: n.addr,
                    ..EndpointConfig::default()
                },
            )
            .await
            {
                Ok(ep) => break ep,
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!("rebind: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("rebind {name}: {e}"),
            }
        };
        let node = start_node(&n.dir, &n.name, &n.unit, n.role, &n.key, ep, &signed);
        n.node = Some(node);
    }

    /// Waits until `pred` holds, polling every 50 ms; panics after `secs` seconds with
    /// `what` and the network's peer states.
    pub async fn wait_for(&self, secs: u64, what: &str, pred: impl Fn(&TestNet) -> bool) {
        let start = Instant::now();
        while !pred(self) {
            if start.elapsed() > Duration::from_secs(secs) {
                let mut states = String::new();
                for n in self.nodes.values() {
                    if let Some(node) = &n.node {
                        for p in node.peers() {
                            states.push_str(&format!("\n  {} → {}: {:?}", n.name, p.node, p.state));
                        }
                    }
                }
                panic!("timed out after {secs}s waiting for {what}; links:{states}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether every node holds, for every case in its scope (per the district's copy),
    /// the same projection row as the district, and nothing outside its scope.
    pub fn converged(&self) -> bool {
        self.divergence().is_none()
    }

    /// The first difference found between the district and a node, if any.
    pub fn divergence(&self) -> Option<String> {
        for n in self.nodes.values().filter(|n| n.node.is_some()) {
            let q = n.engine().store.read().unwrap().quarantined().unwrap();
            if let Some((_, item)) = q.first() {
                return Some(format!("{} quarantined: {}", n.name, item.reason));
            }
        }
        let d = self.n("d");
        let dr = d.engine().store.read().unwrap();
        let all = dr.case_ids().unwrap();
        for n in self.nodes.values() {
            if n.name == "d" {
                continue;
            }
            let nr = n.engine().store.read().unwrap();
            for id in &all {
                let scope = dr.case_scope(id).unwrap();
                let mine = nr.summary(id).unwrap();
                if scope.contains(&n.unit) {
                    let theirs = dr.summary(id).unwrap();
                    if mine != theirs {
                        return Some(format!("{} differs from d on case {id}", n.name));
                    }
                } else if mine.is_some() {
                    return Some(format!("{} holds case {id} outside its scope", n.name));
                }
            }
            for id in nr.case_ids().unwrap() {
                if dr.summary(&id).unwrap().is_none() {
                    return Some(format!("d lacks case {id} held by {}", n.name));
                }
            }
        }
        None
    }

    /// Shuts every node down.
    pub async fn shutdown(mut self) {
        let names: Vec<String> = self.nodes.keys().cloned().collect();
        for n in names {
            self.stop(&n).await;
        }
    }
}

fn start_node(
    dir: &tempfile::TempDir,
    name: &str,
    unit: &UnitId,
    role: Role,
    key: &NodeKey,
    ep: iroh::Endpoint,
    signed: &SignedRoster,
) -> Node {
    let store = Store::open(&dir.path().join("gridloop.redb")).expect("store");
    if store.node().unwrap().is_none() {
        store.set_node(&NodeId(name.into()), unit, role).unwrap();
    }
    let engine = Arc::new(Engine::demo(store));
    let replica = Arc::new(NodeReplica::new(engine, key.clone(), signed.clone(), None).unwrap());
    Node::start(ep, replica).expect("start node")
}
