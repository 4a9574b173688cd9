//! The demo district's nodes (演示区): start them in one process — the district centre, two
//! streets and two communities of each — each with its own redb store and iroh endpoint on
//! loopback, joined by a signed roster; cut and restore the links between them; stop them.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::config::{ConfigBook, demo_files};
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::engine::Engine;
use gridloop_core::store::Store;
use gridloop_core::workload::bulk;
use gridloop_core::workload::generate::Generator;
use gridloop_sync::config::{ConfigHistory, Release};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::node::{self, EndpointConfig, Node};
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry};

use crate::common::{STORE_FILE, clock, engine_over};

/// One node of the demo (演示节点).
pub struct DemoNode {
    /// Node id (`d`, `s1`, `c11`, …).
    pub name: String,
    /// Its unit.
    pub unit: UnitId,
    /// The unit's name.
    pub label: String,
    /// The running node.
    pub node: Node,
}

impl DemoNode {
    /// The node's engine.
    pub fn engine(&self) -> &Arc<Engine> {
        self.node.replica().engine()
    }
}

/// The running demo district (演示区).
pub struct DemoDistrict {
    /// The nodes, district first.
    pub nodes: Vec<DemoNode>,
    /// Where the stores live.
    pub dir: PathBuf,
    rt: tokio::runtime::Runtime,
    pub(super) stop: Arc<AtomicBool>,
    _tmp: Option<tempfile::TempDir>,
}

impl DemoDistrict {
    /// Starts the demo in `dir` (a temporary directory if `None`), seeding the district
    /// with `history` generated cases that then sync down to the streets and communities.
    /// `progress` hears what is happening.
    pub fn start(
        dir: Option<&Path>,
        history: u64,
        progress: &dyn Fn(&str),
    ) -> Result<DemoDistrict> {
        let (dir, tmp) = match dir {
            Some(d) => (d.to_path_buf(), None),
            None => {
                let t = tempfile::tempdir().context("temporary directory for the demo")?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("async runtime")?;
        let district = District::demo();
        let root = NodeKey::generate();
        let mut roster = Roster::new(district.root().id.clone(), &root);
        let mut specs: Vec<(String, UnitId, Role, Vec<String>)> = vec![(
            "d".into(),
            district.root().id.clone(),
            Role::Dispatcher,
            vec![],
        )];
        for (i, s) in district.streets().iter().take(2).enumerate() {
            let sname = format!("s{}", i + 1);
            specs.push((
                sname.clone(),
                s.id.clone(),
                Role::ShiftLead,
                vec!["d".into()],
            ));
            for (j, c) in district.children(&s.id).iter().take(2).enumerate() {
                specs.push((
                    format!("c{}{}", i + 1, j + 1),
                    c.id.clone(),
                    Role::GridWorker,
                    vec![sname.clone(), "d".into()],
                ));
            }
        }
        // Two departments work from their own terminals (签收, 反馈); the others' work is
        // recorded for them by the centre (代录).
        for (i, dept) in district.departments().iter().take(2).enumerate() {
            specs.push((
                format!("p{}", i + 1),
                dept.id.clone(),
                Role::Handler,
                vec!["d".into()],
            ));
        }
        progress("binding endpoints on 127.0.0.1");
        let mut bound = Vec::new();
        for (name, unit, _, links) in &specs {
            let key = NodeKey::generate();
            let ep = rt.block_on(node::bind(
                &key,
                &EndpointConfig {
                    listen: "127.0.0.1:0".parse().expect("address"),
                    ..EndpointConfig::default()
                },
            ))?;
            roster.enrol(RosterEntry {
                node: name.clone(),
                key: key.id(),
                unit: unit.clone(),
                roles: vec![],
                addrs: ep.bound_sockets(),
                links: links.clone(),
                // The district imports the demo's history.
                import: name == "d",
            })?;
            bound.push((key, ep));
        }
        let signed = roster.sign(&root);
        let config = ConfigHistory::of(
            Release::new(
                district.root().id.clone(),
                root.id(),
                1,
                Millis::MIN,
                demo_files(),
            )
            .sign(&root),
        );
        let mut nodes = Vec::new();
        for ((name, unit, role, _), (key, ep)) in specs.into_iter().zip(bound) {
            let ndir = dir.join(&name);
            std::fs::create_dir_all(&ndir)?;
            let store = Store::open(&ndir.join(STORE_FILE))?;
            store.set_node(&NodeId(name.clone()), &unit, role)?;
            let engine = Arc::new(engine_over(store, ConfigBook::demo())?);
            if name == "d" && history > 0 {
                progress(&format!(
                    "generating {history} cases of history at the district"
                ));
                let rules = engine.rules();
                let now = clock();
                let mut g = Generator::new(rules, 7, now - 30 * 86_400_000, 30, now);
                let src = (0..history).map(move |_| Ok(g.next_case()));
                bulk::import(&engine.store, rules, &NodeId("d".into()), src, 2, &|_| {})?;
            }
            let replica = Arc::new(
                NodeReplica::new(engine, key, signed.clone(), None)?
                    .with_config(config.clone(), None),
            );
            let _guard = rt.enter();
            let node = Node::start(ep, replica)?;
            let label = district
                .unit(&unit)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            nodes.push(DemoNode {
                name,
                unit,
                label,
                node,
            });
        }
        progress("nodes started; syncing");
        Ok(DemoDistrict {
            nodes,
            dir,
            rt,
            stop: Arc::new(AtomicBool::new(false)),
            _tmp: tmp,
        })
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Option<&DemoNode> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The links between nodes (each once): (a, b, cut).
    pub fn links(&self) -> Vec<(String, String, bool)> {
        let mut out = Vec::new();
        for n in &self.nodes {
            let roster = n.node.replica().current_roster();
            if let Some(e) = roster.entry(&n.name) {
                for l in &e.links {
                    out.push((n.name.clone(), l.clone(), n.node.is_cut(l)));
                }
            }
        }
        out
    }

    /// Cuts the link between two nodes (both sides).
    pub fn cut(&self, a: &str, b: &str) {
        if let (Some(x), Some(y)) = (self.node(a), self.node(b)) {
            x.node.cut(b);
            y.node.cut(a);
        }
    }

    /// Restores the link between two nodes (both sides).
    pub fn restore(&self, a: &str, b: &str) {
        if let (Some(x), Some(y)) = (self.node(a), self.node(b)) {
            x.node.restore(b);
            y.node.restore(a);
        }
    }

    /// Tells every node to push now (after moves made directly on an engine).
    pub fn notify_all(&self) {
        for n in &self.nodes {
            n.node.notify_changed();
        }
    }

    /// Stops the driver and every node.
    pub fn shutdown(self) {
        self.stop.store(true, Ordering::Relaxed);
        let DemoDistrict { nodes, rt, .. } = self;
        rt.block_on(async move {
            for n in nodes {
                n.node.shutdown().await;
            }
        });
    }
}
