//! Network subcommands (组网): the district root and roster, enrolment, revocation, joining,
//! the headless node and the peers view.
//!
//! Files in a node's data directory: `gridloop.redb` (the store), `node.key` (its secret
//! key, 0600), `roster.json` (the signed roster it trusts) and, while `gridloop node` runs,
//! `peers.json` (peer status, rewritten four times a second, read by `gridloop peers`).

use anyhow::{Context, Result, anyhow, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gridloop_core::role::{NodeId, Role};
use gridloop_core::store::Store;
use gridloop_core::unit::{District, UnitId};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::node::{self, EndpointConfig, Node, PeerStatus, Refusal};
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry, SignedRoster};

use crate::commands::STORE_FILE;

/// The node key file in a data directory.
pub const KEY_FILE: &str = "node.key";
/// The trusted roster file in a data directory.
pub const ROSTER_FILE: &str = "roster.json";
/// The peer status file written by a running node.
pub const PEERS_FILE: &str = "peers.json";
/// The district root key file in a district directory.
pub const ROOT_KEY_FILE: &str = "root.key";

/// `gridloop district create`: a root key and an empty signed roster in `dir`.
pub fn district_create(dir: &Path, relay: Option<String>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let key_path = dir.join(ROOT_KEY_FILE);
    if key_path.exists() {
        bail!(
            "{} already exists; a district has one root key (delete it only to start a new district)",
            key_path.display()
        );
    }
    let root = NodeKey::load_or_create(&key_path)?;
    let district = District::demo();
    let mut roster = Roster::new(district.root().id.clone(), &root);
    roster.relay = relay;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    println!(
        "created district {} root {} — keep {} secret; roster {}",
        district.root().name,
        root.id(),
        key_path.display(),
        dir.join(ROSTER_FILE).display()
    );
    Ok(())
}

fn load_root(dir: &Path) -> Result<(NodeKey, Roster)> {
    let key_path = dir.join(ROOT_KEY_FILE);
    if !key_path.exists() {
        bail!(
            "no district root key at {}; run `gridloop district create --dir {}` first",
            key_path.display(),
            dir.display()
        );
    }
    let root = NodeKey::load_or_create(&key_path)?;
    let roster = SignedRoster::read(&dir.join(ROSTER_FILE))?.verify(Some(&root.id()))?;
    Ok((root, roster))
}

/// What `gridloop district enrol` adds.
pub struct Enrolment {
    /// Node id.
    pub node: String,
    /// Endpoint id.
    pub key: String,
    /// Unit code.
    pub unit: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Addresses.
    pub addrs: Vec<SocketAddr>,
    /// Links.
    pub links: Vec<String>,
}

/// `gridloop district enrol`: adds or replaces a node in the roster and re-signs it.
pub fn district_enrol(dir: &Path, e: Enrolment) -> Result<()> {
    let (root, mut roster) = load_root(dir)?;
    let district = District::demo();
    let unit = UnitId::from(e.unit.as_str());
    if district.unit(&unit).is_none() {
        bail!("unknown unit `{}`", e.unit);
    }
    let roles = e
        .roles
        .iter()
        .map(|r| Role::parse(r).ok_or_else(|| anyhow!("unknown role `{r}`")))
        .collect::<Result<Vec<_>>>()?;
    for l in &e.links {
        if roster.entry(l).is_none() {
            bail!("link `{l}`: no such node in the roster (enrol it first)");
        }
    }
    roster.enrol(RosterEntry {
        node: e.node.clone(),
        key: e.key,
        unit,
        roles,
        addrs: e.addrs,
        links: e.links,
    })?;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    println!(
        "enrolled {} — roster version {}; carry {} to the node and run `gridloop join`",
        e.node,
        roster.version,
        dir.join(ROSTER_FILE).display()
    );
    Ok(())
}

/// `gridloop district revoke`: revokes a node and re-signs the roster.
pub fn district_revoke(dir: &Path, node: &str) -> Result<()> {
    let (root, mut roster) = load_root(dir)?;
    roster.revoke(node)?;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    println!(
        "revoked {node} — roster version {}; hand it to any running node (it spreads)",
        roster.version
    );
    Ok(())
}

/// `gridloop identity`: this node's endpoint id (creating its key if needed).
pub fn identity(data: &Path) -> Result<()> {
    std::fs::create_dir_all(data)?;
    let key = NodeKey::load_or_create(&data.join(KEY_FILE))?;
    println!("{}", key.id());
    Ok(())
}

/// `gridloop join ROSTER`: trusts a roster that enrols this node and initialises the store
/// for the node's roster entry if it has no identity yet.
pub fn join(data: &Path, roster_file: &Path, role: Option<&str>) -> Result<()> {
    std::fs::create_dir_all(data)?;
    let key = NodeKey::load_or_create(&data.join(KEY_FILE))?;
    let signed = SignedRoster::read(roster_file)?;
    let trusted = match SignedRoster::read(&data.join(ROSTER_FILE)) {
        Ok(old) => Some(old.verify(None)?.root),
        Err(_) => None,
    };
    let roster = signed.verify(trusted.as_deref())?;
    let entry = roster
        .nodes
        .iter()
        .find(|n| n.key == key.id())
        .ok_or_else(|| {
            anyhow!(
                "this node's endpoint id {} is not in {}; ask the district to enrol it",
                key.id(),
                roster_file.display()
            )
        })?;
    if roster.revoked.contains(&entry.key) {
        bail!("this node ({}) has been revoked in that roster", entry.node);
    }
    let store = Store::open(&data.join(STORE_FILE))?;
    let role = match role {
        Some(r) => Role::parse(r).ok_or_else(|| anyhow!("unknown role `{r}`"))?,
        None => match store.node()? {
            Some(n) => n.role,
            None => *entry.roles.first().unwrap_or(&default_role(&entry.unit)),
        },
    };
    if let Some(n) = store.node()?
        && (n.node.0 != entry.node || n.unit != entry.unit)
    {
        bail!(
            "this store is node {} at {}, but the roster enrols this key as {} at {}",
            n.node,
            n.unit,
            entry.node,
            entry.unit
        );
    }
    store.set_node(&NodeId(entry.node.clone()), &entry.unit, role)?;
    signed.write(&data.join(ROSTER_FILE))?;
    println!(
        "joined district {} as {} at {} (roster version {})",
        roster.district, entry.node, entry.unit, roster.version
    );
    Ok(())
}

fn default_role(unit: &UnitId) -> Role {
    match District::demo().unit(unit).map(|u| u.kind) {
        Some(gridloop_core::unit::UnitKind::Community) => Role::GridWorker,
        Some(gridloop_core::unit::UnitKind::Street) => Role::ShiftLead,
        _ => Role::Dispatcher,
    }
}

/// Opens a node's parts from its data directory: engine, key and trusted roster.
pub fn open_replica(data: &Path) -> Result<Arc<NodeReplica>> {
    let path = data.join(STORE_FILE);
    if !path.exists() {
        bail!(
            "no store at {}; run `gridloop join ROSTER` (or `gridloop init`) first",
            path.display()
        );
    }
    let store = Store::open(&path)?;
    store.require_node()?;
    let key = NodeKey::load_or_create(&data.join(KEY_FILE))?;
    let signed = SignedRoster::read(&data.join(ROSTER_FILE)).with_context(|| {
        format!(
            "no roster in {}; run `gridloop join ROSTER` first",
            data.display()
        )
    })?;
    let engine = Arc::new(crate::commands::engine_over(store)?);
    Ok(Arc::new(NodeReplica::new(
        engine,
        key,
        signed,
        Some(data.join(ROSTER_FILE)),
    )?))
}

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

/// `gridloop node`: runs the node headless until interrupted.
pub fn run_node(data: &Path, listen: SocketAddr, mdns: bool, quiet: bool) -> Result<()> {
    let replica = open_replica(data)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
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
        let me = replica.current_roster();
        let name = replica.engine().store.require_node()?.node.0;
        println!(
            "node {name} ({}) listening on {:?} — district {} roster v{}",
            replica.key().id(),
            node.addrs(),
            me.district,
            me.version
        );
        let status = data.join(PEERS_FILE);
        let mut logged = std::time::Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    write_status(&status, &name, &node)?;
                    if !quiet && logged.elapsed() >= Duration::from_secs(5) {
                        logged = std::time::Instant::now();
                        for p in node.peers() {
                            tracing::info!(peer = %p.node, state = ?p.state, sent = p.sent, applied = p.applied, "peer");
                        }
                    }
                }
                _ = tokio::signal::ctrl_c() => {
                    println!("stopping");
                    break;
                }
            }
        }
        let _ = std::fs::remove_file(&status);
        node.shutdown().await;
        Ok::<(), anyhow::Error>(())
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

/// `gridloop peers`: each peer's state, last sync, backlog and the quarantine.
pub fn peers(data: &Path) -> Result<()> {
    let status = data.join(PEERS_FILE);
    let running = std::fs::read(&status)
        .ok()
        .and_then(|b| serde_json::from_slice::<PeersFile>(&b).ok())
        .filter(|f| chrono::Utc::now().timestamp_millis() - f.at < 5_000);
    match &running {
        Some(f) => {
            println!("node {} running on {:?}", f.node, f.addrs);
            println!(
                "{:<12} {:<14} {:<28} {:>8} {:>8} {:>6} {:>8} {:>10} {:>10}",
                "peer",
                "unit",
                "state",
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
                println!(
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
                println!("refused {} — {}", r.who, r.reason);
            }
            println!("(quarantine: the store is held by the running node; stop it to list)");
        }
        None => {
            println!("node not running (no fresh {})", status.display());
            let store = Store::open(&data.join(STORE_FILE))?;
            let me = store.require_node()?;
            let roster = SignedRoster::read(&data.join(ROSTER_FILE))
                .ok()
                .and_then(|s| s.verify(None).ok());
            let r = store.read()?;
            if let Some(roster) = roster {
                println!(
                    "{:<12} {:<14} {:>12} {:>10}",
                    "peer", "unit", "acked by it", "backlog"
                );
                for n in roster.nodes.iter().filter(|n| n.node != me.node.0) {
                    let acked = r.acknowledged(&n.node, &me.epoch)?;
                    let backlog = r.feed_backlog(&n.unit, acked)?;
                    let backlog = if backlog >= gridloop_core::store::BACKLOG_CAP {
                        format!("≥{backlog}")
                    } else {
                        backlog.to_string()
                    };
                    println!("{:<12} {:<14} {acked:>12} {backlog:>10}", n.node, n.unit);
                }
            }
            let q = r.quarantined()?;
            println!("quarantine: {}", q.len());
            for (id, item) in q {
                println!("  #{id} {}", item.reason);
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
