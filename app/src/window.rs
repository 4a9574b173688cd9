//! Opening the workstation window (打开工作台): over the live demo district, or over this
//! node with its sync node running in the same process.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridloop_core::unit::District;
use gridloop_sync::node::{LinkState, Node, PeerStatus};
use gridloop_ui::network::{LinkStatus, RefusedPeer};
use gridloop_ui::workstation::{FirstRunChoice, Progress, StartJob, Started};
use gridloop_ui::{LinkRow, Network, NodeHandle, PeerRow, Workstation};

use crate::demo::DemoDistrict;

fn peer_row(p: &PeerStatus, district: &District) -> PeerRow {
    let unit = gridloop_core::unit::UnitId(p.unit.clone());
    PeerRow {
        peer: p.node.clone(),
        unit: district
            .unit(&unit)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| p.unit.clone()),
        state: match &p.state {
            LinkState::Connecting => LinkStatus::Connecting,
            LinkState::Syncing => LinkStatus::Syncing,
            LinkState::Live => LinkStatus::Live,
            LinkState::Down(why) => LinkStatus::Down(why.clone()),
            LinkState::Cut => LinkStatus::Cut,
        },
        last_sync: p.last_sync,
        backlog_out: p.backlog_out,
        applied: p.applied,
        quarantined: p.quarantined,
    }
}

fn refusals(node: &Node) -> Vec<RefusedPeer> {
    node.refusals()
        .into_iter()
        .map(|r| RefusedPeer {
            at: r.at,
            who: r.who,
            why: r.reason,
        })
        .collect()
}

/// The demo district as the workstation's network: every node's peers, every link
/// cuttable.
pub struct DemoNet {
    demo: Mutex<Option<DemoDistrict>>,
    district: District,
}

impl DemoNet {
    fn with<R>(&self, f: impl FnOnce(&DemoDistrict) -> R) -> Option<R> {
        self.demo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(f)
    }

    /// Stops the driver and every node.
    pub fn shutdown(&self) {
        let demo = self.demo.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(d) = demo {
            d.shutdown();
        }
    }
}

/// Signs and issues a drill purge from a running node as `role` at its unit, then pushes the
/// order to its peers (the 演练 view's 清除演练案件).
fn purge_on(
    node: &Node,
    role: gridloop_core::role::Role,
    before: gridloop_core::calendar::Millis,
    note: &str,
) -> Result<Option<u64>, String> {
    let replica = node.replica();
    let me = gridloop_sync::session::Replica::me(&**replica);
    let who = gridloop_core::role::Actor {
        node: gridloop_core::role::NodeId(me.node),
        unit: me.unit,
        role,
    };
    let now = chrono::Utc::now().timestamp_millis();
    let done = crate::drill::issue_purge(replica, &who, before, note, now)
        .map_err(|e| format!("{e:#}"))?;
    node.notify_changed();
    Ok(done.map(|d| d.cases))
}

impl Network for DemoNet {
    fn peers(&self, node: &str) -> Vec<PeerRow> {
        self.with(|d| {
            d.node(node)
                .map(|n| {
                    n.node
                        .peers()
                        .iter()
                        .map(|p| peer_row(p, &self.district))
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default()
    }

    fn refused(&self, node: &str) -> Vec<RefusedPeer> {
        self.with(|d| d.node(node).map(|n| refusals(&n.node)).unwrap_or_default())
            .unwrap_or_default()
    }

    fn links(&self) -> Vec<LinkRow> {
        self.with(|d| {
            let mut out: Vec<LinkRow> = Vec::new();
            for (a, b, cut) in d.links() {
                if !out.iter().any(|l| l.a == b && l.b == a) {
                    out.push(LinkRow { a, b, cut });
                }
            }
            out
        })
        .unwrap_or_default()
    }

    fn set_link(&self, a: &str, b: &str, up: bool) {
        self.with(|d| if up { d.restore(a, b) } else { d.cut(a, b) });
    }

    fn changed(&self, node: &str) {
        self.with(|d| {
            if let Some(n) = d.node(node) {
                n.node.notify_changed();
            }
        });
    }

    fn purge_drills(
        &self,
        node: &str,
        role: gridloop_core::role::Role,
        before: gridloop_core::calendar::Millis,
        note: &str,
    ) -> Result<Option<u64>, String> {
        self.with(|d| match d.node(node) {
            Some(n) => purge_on(&n.node, role, before, note),
            None => Err(format!("no node {node} in the demo district")),
        })
        .unwrap_or_else(|| Err("the demo district has stopped".into()))
    }
}

/// What to stop when the window closes (nodes started in the background register here).
type ExitSlot = Arc<Mutex<Vec<Box<dyn FnOnce() + Send>>>>;

fn on_exit(slot: ExitSlot) -> Box<dyn FnOnce()> {
    Box::new(move || {
        let jobs: Vec<_> = slot
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect();
        for j in jobs {
            j();
        }
    })
}

/// Starts the live demo district in the background, with progress.
fn demo_job(keep: Option<PathBuf>, history: u64, exit: ExitSlot) -> StartJob {
    Box::new(move |progress: &Progress| -> Started {
        let demo = DemoDistrict::start(keep.as_deref(), history, &|m| progress.set(m, -1.0))
            .map_err(|e| format!("{e:#}"))?;
        progress.set("演示区已启动", 1.0);
        let _driver = demo.drive(Duration::from_millis(700));
        let nodes: Vec<NodeHandle> = demo
            .nodes
            .iter()
            .map(|n| NodeHandle {
                name: n.name.clone(),
                unit: n.unit.clone(),
                label: n.label.clone(),
                engine: n.engine().clone(),
            })
            .collect();
        let net = Arc::new(DemoNet {
            demo: Mutex::new(Some(demo)),
            district: District::demo(),
        });
        let stop = net.clone();
        exit.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(move || stop.shutdown()));
        Ok((nodes, Some(net as Arc<dyn Network>)))
    })
}

/// `gridloop demo`: opens the district workstation over the live demo district.
pub fn open_demo(keep: Option<PathBuf>, history: u64) -> Result<()> {
    let exit: ExitSlot = Arc::default();
    let ws = Workstation::starting(demo_job(keep, history, exit.clone()));
    gridloop_ui::workstation::run(ws, Some(on_exit(exit))).map_err(anyhow::Error::msg)
}

/// One running node as the workstation's network.
pub struct NodeNet {
    name: String,
    node: Mutex<Option<Node>>,
    rt: tokio::runtime::Runtime,
    district: District,
}

impl Network for NodeNet {
    fn peers(&self, _node: &str) -> Vec<PeerRow> {
        let g = self.node.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref()
            .map(|n| {
                n.peers()
                    .iter()
                    .map(|p| peer_row(p, &self.district))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn refused(&self, _node: &str) -> Vec<RefusedPeer> {
        let g = self.node.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref().map(refusals).unwrap_or_default()
    }

    fn links(&self) -> Vec<LinkRow> {
        Vec::new()
    }

    fn set_link(&self, _a: &str, _b: &str, _up: bool) {}

    fn changed(&self, node: &str) {
        if node == self.name
            && let Some(n) = self.node.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
        {
            n.notify_changed();
        }
    }

    fn purge_drills(
        &self,
        node: &str,
        role: gridloop_core::role::Role,
        before: gridloop_core::calendar::Millis,
        note: &str,
    ) -> Result<Option<u64>, String> {
        if node != self.name {
            return Err(format!("this window runs node {}, not {node}", self.name));
        }
        match self.node.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(n) => purge_on(n, role, before, note),
            None => Err("the sync node has stopped".into()),
        }
    }
}

/// Starts this node's sync node in the background and delivers the workstation's parts.
fn node_job(data: PathBuf, listen: std::net::SocketAddr, exit: ExitSlot) -> StartJob {
    Box::new(move |progress: &Progress| -> Started {
        type Parts = (Vec<NodeHandle>, Option<Arc<dyn Network>>);
        let start = || -> Result<Parts> {
            progress.set("opening the store", -1.0);
            let replica = crate::net::open_replica(&data)?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("cannot start the async runtime")?;
            progress.set("binding the endpoint", -1.0);
            let relay = replica.current_roster().relay.clone();
            let ep = rt.block_on(gridloop_sync::node::bind(
                replica.key(),
                &gridloop_sync::node::EndpointConfig {
                    listen,
                    mdns: false,
                    relay,
                },
            ))?;
            let node = {
                let _g = rt.enter();
                Node::start(ep, replica.clone())?
            };
            let handle =
                NodeHandle::from_engine(replica.engine().clone()).map_err(anyhow::Error::msg)?;
            let net = Arc::new(NodeNet {
                name: handle.name.clone(),
                node: Mutex::new(Some(node)),
                rt,
                district: District::demo(),
            });
            let stop = net.clone();
            exit.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Box::new(move || {
                    let node = stop.node.lock().unwrap_or_else(|p| p.into_inner()).take();
                    if let Some(n) = node {
                        stop.rt.block_on(n.shutdown());
                    }
                }));
            Ok((vec![handle], Some(net as Arc<dyn Network>)))
        };
        start().map_err(|e| format!("{e:#}"))
    })
}

/// `gridloop` without a subcommand: the workstation over the node in `data`, with its sync
/// node running in the same process; on a first run, a choice between the demo and joining
/// a district with its enrolment file.
pub fn open_node(data: &Path, listen: std::net::SocketAddr) -> Result<()> {
    let store = data.join(crate::commands::STORE_FILE);
    let roster = data.join(crate::net::ROSTER_FILE);
    let exit: ExitSlot = Arc::default();
    let ws = if !store.exists() {
        let data = data.to_path_buf();
        let exit = exit.clone();
        Workstation::first_run(Box::new(move |choice| match choice {
            FirstRunChoice::Demo => Ok(demo_job(None, 2000, exit.clone())),
            FirstRunChoice::Join(file) => {
                std::fs::create_dir_all(&data)
                    .map_err(|e| format!("cannot create {}: {e}", data.display()))?;
                crate::net::join(&data, &file, None).map_err(|e| format!("{e:#}"))?;
                Ok(node_job(data.clone(), listen, exit.clone()))
            }
        }))
    } else if !roster.exists() {
        // A standalone node (gridloop init without join): no network.
        let engine = Arc::new(crate::commands::open_engine(data)?);
        let node = NodeHandle::from_engine(engine).map_err(anyhow::Error::msg)?;
        Workstation::new(vec![node], None)
    } else {
        Workstation::starting(node_job(data.to_path_buf(), listen, exit.clone()))
    };
    gridloop_ui::workstation::run(ws, Some(on_exit(exit))).map_err(anyhow::Error::msg)
}
