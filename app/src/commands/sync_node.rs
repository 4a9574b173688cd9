//! The headless sync node (同步节点) and its peers (对端状态): `gridloop node` runs the node
//! until interrupted, writing `peers.json` four times a second; `gridloop peers` reads it, or
//! the store when the node is not running.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gridloop_sync::config::ConfigHistory;
use gridloop_sync::node::{self, EndpointConfig, Node, PeerStatus, Refusal};
use gridloop_sync::roster::SignedRoster;

use crate::common::node_dir::hold;
use crate::common::{PEERS_FILE, ROSTER_FILE, clock, control, open_replica, open_store};

/// The status a running node writes for `gridloop peers`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct PeersFile {
    /// When written (ms).
    pub at: i64,
    /// This node.
    pub node: String,
    /// Its addresses.
    pub addrs: Vec<SocketAddr>,
    /// Peers.
    pub peers: Vec<PeerStatus>,
    /// Refusals.
    pub refusals: Vec<Refusal>,
}

/// `gridloop node` (同步节点): runs the node headless until interrupted.
pub fn run_node(
    data: &Path,
    listen: SocketAddr,
    mdns: bool,
    quiet: bool,
    control: control::Handler,
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // A district configuration version that comes into force while the node runs (taken
    // from a peer, or reaching its effective time) is applied by starting the node again
    // over the same store: the peers see a short reconnect.
    // The store closes once the last session's blocking step ends: a restart waits for it.
    let mut retries = 0;
    let mut restarting = false;
    loop {
        match run_once(&rt, data, listen, mdns, quiet, &control) {
            Ok(Exit::Stopped) => return Ok(()),
            Ok(Exit::ConfigChanged) => (restarting, retries) = (true, 0),
            Err(e) if restarting && retries < 40 => {
                retries += 1;
                tracing::debug!("restarting the node: {e:#}");
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Why one run of the node ended.
#[derive(PartialEq, Eq)]
enum Exit {
    /// Interrupted: stop.
    Stopped,
    /// Another configuration version is in force: start again on it.
    ConfigChanged,
}

fn run_once(
    rt: &tokio::runtime::Runtime,
    data: &Path,
    listen: SocketAddr,
    mdns: bool,
    quiet: bool,
    control: &control::Handler,
) -> Result<Exit> {
    let replica = open_replica(data)?;
    // The version the engine was built on (not a second reading of the clock).
    let in_force = replica.engine().config_version().unwrap_or(0);
    rt.block_on(async move {
        let relay = replica.current_roster().relay.clone();
        let ep = node::bind(
            replica.key(),
            &EndpointConfig {
                listen,
                mdns,
                relay,
            },
        )
        .await?;
        let node = Node::start(ep, replica.clone())?;
        // The CLI's store commands are run here while the node holds the store.
        let held = hold(data, &replica);
        let control_socket = control::serve(data, Arc::clone(control), Arc::new(node.notifier()))?;
        let me = replica.current_roster();
        let name = replica.engine().store.require_node()?.node.0;
        say!(
            "node {name} ({}) listening on {:?} — district {} roster v{} configuration v{in_force}",
            replica.key().id(),
            node.addrs(),
            me.district,
            me.version
        );
        let status = data.join(PEERS_FILE);
        // SIGTERM (systemd, docker, kill) stops the node as Ctrl-C does: connections
        // closed so peers learn at once, the store settled, the status file removed.
        #[cfg(unix)]
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot listen for SIGTERM")?;
        let terminated = async {
            #[cfg(unix)]
            {
                term.recv().await;
            }
            #[cfg(not(unix))]
            std::future::pending::<()>().await;
        };
        tokio::pin!(terminated);
        let mut logged = std::time::Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        let exit = loop {
            tokio::select! {
                _ = tick.tick() => {
                    write_status(&status, &name, &node)?;
                    if !quiet && logged.elapsed() >= Duration::from_secs(5) {
                        logged = std::time::Instant::now();
                        for p in node.peers() {
                            tracing::info!(peer = %p.node, state = ?p.state, sent = p.sent, applied = p.applied, "peer");
                        }
                    }
                    let now_in_force = ConfigHistory::in_force(&replica.config_versions(), clock());
                    if now_in_force != in_force {
                        say!(
                            "configuration version {now_in_force} is in force: starting the node again to apply it"
                        );
                        break Exit::ConfigChanged;
                    }
                }
                _ = tokio::signal::ctrl_c() => {
                    say!("stopping (interrupt)");
                    break Exit::Stopped;
                }
                _ = &mut terminated => {
                    say!("stopping (SIGTERM)");
                    break Exit::Stopped;
                }
            }
        };
        let _ = std::fs::remove_file(&status);
        drop(control_socket);
        drop(held);
        node.shutdown().await;
        // Batches committed without waiting for the disk are made durable before exit.
        if let Err(e) = replica.engine().store.settle() {
            tracing::warn!("settling the store at stop: {e}");
        }
        Ok::<Exit, anyhow::Error>(exit)
    })
}

fn write_status(path: &PathBuf, name: &str, node: &Node) -> Result<()> {
    let file = PeersFile {
        at: chrono::Utc::now().timestamp_millis(),
        node: name.to_string(),
        addrs: node.addrs(),
        peers: node.peers(),
        refusals: node.refusals(),
    };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&file)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// `gridloop peers` (对端状态): each peer's state, last sync, backlog and the quarantine.
pub fn peers(data: &Path) -> Result<()> {
    let status = data.join(PEERS_FILE);
    let running = std::fs::read(&status)
        .ok()
        .and_then(|b| serde_json::from_slice::<PeersFile>(&b).ok())
        .filter(|f| chrono::Utc::now().timestamp_millis() - f.at < 5_000);
    match &running {
        Some(f) => {
            say!("node {} running on {:?}", f.node, f.addrs);
            say!(
                "{:<12} {:<14} {:<28} {:<9} {:>8} {:>8} {:>6} {:>8} {:>10} {:>10}",
                "peer",
                "unit",
                "state",
                "last sync",
                "sent",
                "applied",
                "quar.",
                "backlog",
                "bytes out",
                "bytes in"
            );
            for p in &f.peers {
                let last = p
                    .last_sync
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|t| {
                        t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
                            .format("%H:%M:%S")
                            .to_string()
                    })
                    .unwrap_or_else(|| "-".into());
                say!(
                    "{:<12} {:<14} {:<28} {:<9} {:>8} {:>8} {:>6} {:>8} {:>10} {:>10}",
                    p.node,
                    p.unit,
                    short(&format!("{:?}", p.state), 28),
                    last,
                    p.sent,
                    p.applied,
                    p.quarantined,
                    p.backlog_out,
                    p.bytes_out,
                    p.bytes_in
                );
            }
            for r in &f.refusals {
                let times = if r.count > 1 {
                    format!(" ×{}", r.count)
                } else {
                    String::new()
                };
                say!("refused {}{times} — {}", r.who, r.reason);
            }
            say!("(quarantine: the store is held by the running node; stop it to list)");
        }
        None => {
            say!("node not running (no fresh {})", status.display());
            let store = open_store(data)?;
            let me = store.require_node()?;
            let roster = SignedRoster::read(&data.join(ROSTER_FILE))
                .ok()
                .and_then(|s| s.verify(None).ok());
            let r = store.read()?;
            if let Some(roster) = roster {
                say!(
                    "{:<12} {:<14} {:>12} {:>10}",
                    "peer",
                    "unit",
                    "acked by it",
                    "backlog"
                );
                // The peers of this node: those it dials and those that dial it.
                let mine = roster.nodes.iter().find(|n| n.node == me.node.0);
                let linked = |n: &&gridloop_sync::roster::RosterEntry| {
                    n.node != me.node.0
                        && (mine.is_some_and(|m| m.links.contains(&n.node))
                            || n.links.contains(&me.node.0))
                };
                for n in roster.nodes.iter().filter(linked) {
                    let acked = r.acknowledged(&n.node, &me.epoch)?;
                    let backlog = r.feed_backlog(&n.unit, acked)?;
                    let backlog = if backlog >= gridloop_core::store::BACKLOG_CAP {
                        format!("≥{backlog}")
                    } else {
                        backlog.to_string()
                    };
                    say!("{:<12} {:<14} {acked:>12} {backlog:>10}", n.node, n.unit);
                }
            }
            let q = r.quarantined()?;
            say!("quarantine: {} entries", q.len());
            for (peer, c) in r.quarantine_counts()? {
                let peer = if peer.is_empty() {
                    "(this node)"
                } else {
                    &peer
                };
                say!(
                    "  from {peer}: {} held, {} dropped at the cap",
                    c.held,
                    c.dropped
                );
            }
            for (id, item) in q {
                let times = if item.count > 1 {
                    format!(" ×{}", item.count)
                } else {
                    String::new()
                };
                say!("  #{id}{times} {}", item.reason);
            }
        }
    }
    Ok(())
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}
