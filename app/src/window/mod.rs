//! Opening the workstation window (打开工作台): over the live demo district, or over this
//! node with its sync node running in the same process (`network`: the `Network` each gives
//! the workstation).

pub mod network;

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridloop_core::domain::unit::District;
use gridloop_sync::node::Node;
use gridloop_ui::workstation::{FirstRunChoice, Progress, StartJob, Started};
use gridloop_ui::{Network, NodeHandle, Workstation};

use crate::commands::node::join;
use crate::common::{ROSTER_FILE, STORE_FILE, open_engine, open_replica};
use crate::demo::DemoDistrict;
use network::{DemoNet, NodeNet};

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

/// Starts this node's sync node in the background and delivers the workstation's parts.
fn node_job(data: PathBuf, listen: std::net::SocketAddr, exit: ExitSlot) -> StartJob {
    Box::new(move |progress: &Progress| -> Started {
        type Parts = (Vec<NodeHandle>, Option<Arc<dyn Network>>);
        let start = || -> Result<Parts> {
            progress.set("opening the store", -1.0);
            let replica = open_replica(&data)?;
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
                district: replica.engine().district.clone(),
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
    let store = data.join(STORE_FILE);
    let roster = data.join(ROSTER_FILE);
    let exit: ExitSlot = Arc::default();
    let ws = if !store.exists() {
        let data = data.to_path_buf();
        let exit = exit.clone();
        Workstation::first_run(Box::new(move |choice| match choice {
            FirstRunChoice::Demo => Ok(demo_job(None, 2000, exit.clone())),
            FirstRunChoice::Join(file) => {
                std::fs::create_dir_all(&data)
                    .map_err(|e| format!("cannot create {}: {e}", data.display()))?;
                join(&data, &file, None, None).map_err(|e| format!("{e:#}"))?;
                Ok(node_job(data.clone(), listen, exit.clone()))
            }
        }))
    } else if !roster.exists() {
        // A standalone node (gridloop init without join): no network.
        let engine = open_engine(data)?;
        let node = NodeHandle::from_engine(engine).map_err(anyhow::Error::msg)?;
        Workstation::new(vec![node], None)
    } else {
        Workstation::starting(node_job(data.to_path_buf(), listen, exit.clone()))
    };
    gridloop_ui::workstation::run(ws, Some(on_exit(exit))).map_err(anyhow::Error::msg)
}
