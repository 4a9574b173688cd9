//! The live demo district (演示区): real nodes in one process — the district centre, two
//! streets and two communities of each — each with its own redb store and iroh endpoint on
//! loopback, joined by a signed roster, with a driver that keeps synthetic cases moving
//! through all three loops. Links can be cut and restored to watch the loop carry on
//! offline and converge.

use anyhow::{Context, Result};
use rand::Rng;
use rand::seq::IndexedRandom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use gridloop_core::bulk;
use gridloop_core::calendar::Millis;
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::event::Action;
use gridloop_core::generate::Generator;
use gridloop_core::role::{Actor, NodeId, Role};
use gridloop_core::store::{CaseSummary, LightFilter, Store};
use gridloop_core::unit::{District, UnitId, UnitKind};
use gridloop_core::workflow::State;
use gridloop_sync::identity::NodeKey;
use gridloop_sync::node::{self, EndpointConfig, Node};
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry};

use crate::commands::STORE_FILE;

/// One node of the demo.
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

/// The running demo district.
pub struct DemoDistrict {
    /// The nodes, district first.
    pub nodes: Vec<DemoNode>,
    /// Where the stores live.
    pub dir: PathBuf,
    rt: tokio::runtime::Runtime,
    stop: Arc<AtomicBool>,
    _tmp: Option<tempfile::TempDir>,
}

fn now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
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
            })?;
            bound.push((key, ep));
        }
        let signed = roster.sign(&root);
        let mut nodes = Vec::new();
        for ((name, unit, role, _), (key, ep)) in specs.into_iter().zip(bound) {
            let ndir = dir.join(&name);
            std::fs::create_dir_all(&ndir)?;
            let store = Store::open(&ndir.join(STORE_FILE))?;
            store.set_node(&NodeId(name.clone()), &unit, role)?;
            let engine = Arc::new(crate::commands::engine_over(store)?);
            if name == "d" && history > 0 {
                progress(&format!(
                    "generating {history} cases of history at the district"
                ));
                let rules = engine.rules();
                let now = now_ms();
                let mut g = Generator::new(rules, 7, now - 30 * 86_400_000, 30, now);
                let src = (0..history).map(move |_| Ok(g.next_case()));
                bulk::import(&engine.store, rules, &NodeId("d".into()), src, 2, &|_| {})?;
            }
            let replica = Arc::new(NodeReplica::new(engine, key, signed.clone(), None)?);
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

    /// Starts the driver thread: a move somewhere every `every`.
    pub fn drive(&self, every: Duration) -> std::thread::JoinHandle<()> {
        let stop = self.stop.clone();
        let nodes: Vec<(String, UnitId, Arc<Engine>)> = self
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.unit.clone(), n.engine().clone()))
            .collect();
        std::thread::spawn(move || {
            let mut rng = rand::rng();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                let (name, unit, engine) = nodes.choose(&mut rng).expect("nodes").clone();
                if let Err(e) = step(&name, &unit, &engine, &mut rng) {
                    tracing::debug!(node = %name, "demo move refused: {e}");
                }
            }
        })
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

/// One move by `name`'s operators: report a new case, or take the next step on a case this
/// unit holds.
fn step(name: &str, unit: &UnitId, engine: &Engine, rng: &mut impl Rng) -> Result<()> {
    let d = &engine.district;
    let kind = d.unit(unit).map(|u| u.kind).unwrap_or(UnitKind::District);
    let now = now_ms();
    let me = |role| Actor {
        node: NodeId(name.to_string()),
        unit: unit.clone(),
        role,
    };
    let open = [
        State::Reported,
        State::ToRegister,
        State::ToDispatch,
        State::Handling,
        State::ToCheck,
        State::ToClose,
    ];
    let inbox: Vec<CaseSummary> =
        engine
            .store
            .read()?
            .inbox(unit, &open, LightFilter::Any, now, 200)?;
    if inbox.is_empty() || rng.random_bool(0.25) {
        let community = match kind {
            UnitKind::Community => unit.clone(),
            _ => {
                let streets: Vec<UnitId> = if kind == UnitKind::Street {
                    vec![unit.clone()]
                } else {
                    d.streets().iter().take(2).map(|s| s.id.clone()).collect()
                };
                let s = streets.choose(rng).expect("streets").clone();
                let cs: Vec<UnitId> = d
                    .children(&s)
                    .iter()
                    .take(2)
                    .map(|c| c.id.clone())
                    .collect();
                cs.choose(rng).expect("communities").clone()
            }
        };
        let grids = d.grids_of(&community);
        let grid = grids.choose(rng).expect("grids").code.to_string();
        let (source, role, cats) = match kind {
            UnitKind::Community => ("grid_patrol", Role::GridWorker, ["E0104", "E0101", "C0101"]),
            UnitKind::Street => ("supervisor", Role::ShiftLead, ["E0102", "E0104", "C0102"]),
            _ => ("hotline", Role::Intake, ["E0102", "E0101", "E0104"]),
        };
        let new = NewCase {
            source: source.into(),
            category: cats.choose(rng).expect("categories").to_string(),
            grid,
            address: format!(
                "{}演示地址{}号",
                d.unit(&community).map(|u| u.name.as_str()).unwrap_or(""),
                rng.random_range(1..200)
            ),
            description: "演示案件".into(),
            ..NewCase::default()
        };
        engine.report(&me(role), &new, now)?;
        return Ok(());
    }
    let case = inbox.choose(rng).expect("non-empty");
    let dept = d.departments().choose(rng).expect("departments").id.clone();
    let (actor, action) = match (case.state, kind) {
        (State::Reported, UnitKind::Community) if rng.random_bool(0.6) => {
            (me(Role::GridWorker), Action::SelfHandle)
        }
        (State::Reported, UnitKind::Community) => (
            me(Role::StationChief),
            Action::Escalate {
                reason: "需街道协调".into(),
            },
        ),
        (State::Reported, _) => (me(Role::Intake), Action::Accept),
        (State::ToRegister, _) => (
            me(Role::ShiftLead),
            Action::Register {
                category: case.category.clone(),
                grid: case.grid.clone(),
            },
        ),
        (State::ToDispatch, UnitKind::District) if rng.random_bool(0.5) => {
            let street = d
                .parent(&case.grid.community())
                .cloned()
                .unwrap_or(unit.clone());
            (me(Role::Dispatcher), Action::DispatchDown { unit: street })
        }
        (State::ToDispatch, _) => (
            me(Role::Dispatcher),
            Action::Dispatch {
                lead: dept,
                assists: vec![],
            },
        ),
        (State::Handling, UnitKind::Community) if case.self_handling => (
            me(Role::GridWorker),
            Action::SelfClose {
                evidence: vec!["photo://demo.jpg".into()],
                note: "已处置".into(),
            },
        ),
        (State::Handling, _) => {
            let lead = case.handlers.first().cloned().unwrap_or(dept);
            (
                Actor {
                    node: NodeId(name.to_string()),
                    unit: lead.clone(),
                    role: Role::Handler,
                },
                Action::Feedback {
                    unit: lead,
                    note: "已处置完毕".into(),
                    photos: vec![],
                },
            )
        }
        (State::ToCheck, _) => (
            me(Role::Supervisor),
            Action::Check {
                passed: rng.random_bool(0.85),
                note: "现场核查".into(),
            },
        ),
        (State::ToClose, _) => (me(Role::ShiftLead), Action::Close),
        _ => return Ok(()),
    };
    engine.act(&actor, &case.id, action, now)?;
    Ok(())
}

/// `gridloop demo --headless`: runs the demo and prints each node's figures and links every
/// few seconds, for `seconds` (forever if 0).
pub fn run_headless(dir: Option<&Path>, history: u64, seconds: u64) -> Result<()> {
    let demo = DemoDistrict::start(dir, history, &|m| println!("demo: {m}"))?;
    println!("demo district in {}", demo.dir.display());
    let driver = demo.drive(Duration::from_millis(400));
    let start = std::time::Instant::now();
    let mut round = 0u64;
    loop {
        std::thread::sleep(Duration::from_secs(3));
        round += 1;
        // Every minute, cut the first community off for 15 s: it keeps working offline.
        if round % 20 == 4 {
            let c = &demo.nodes[3].name;
            for (a, b, _) in demo.links().into_iter().filter(|(a, _, _)| a == c) {
                demo.cut(&a, &b);
            }
            println!("  ✂ {c} cut off from {:?}", demo.node(c).map(|n| &n.label));
        }
        if round % 20 == 9 {
            let c = demo.nodes[3].name.clone();
            for (a, b, _) in demo.links().into_iter().filter(|(a, _, _)| *a == c) {
                demo.restore(&a, &b);
            }
            println!("  ↺ {c} links restored");
        }
        demo.notify_all();
        for n in &demo.nodes {
            let r = n.engine().store.read()?;
            let peers: Vec<String> = n
                .node
                .peers()
                .iter()
                .map(|p| format!("{}:{:?}", p.node, p.state))
                .collect();
            println!(
                "  {:<4} {:<10} cases {:>6}  queue {:?}  peers {}",
                n.name,
                n.label,
                r.count()?,
                r.queue_counts(&n.unit)?
                    .iter()
                    .filter(|(_, c)| *c > 0)
                    .map(|(s, c)| format!("{}{c}", s.label_zh()))
                    .collect::<Vec<_>>(),
                peers.join(" ")
            );
        }
        println!();
        if seconds > 0 && start.elapsed() >= Duration::from_secs(seconds) {
            break;
        }
    }
    demo.shutdown();
    let _ = driver.join();
    Ok(())
}
