//! A node's data directory (数据目录) and what opens it: the store as an engine, or the
//! engine with the node's key and trusted roster as a replica.
//!
//! Files in a node's data directory: `gridloop.redb` (the store), `node.key` (its secret
//! key, 0600), `roster.json` (the signed roster it trusts), `config.json` (the district's
//! configuration versions, signed by the root; a standalone node's own unsigned package)
//! and, while `gridloop node` runs, `peers.json` (peer status, rewritten four times a
//! second, read by `gridloop peers`).

use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gridloop_core::domain::config::ConfigBook;
use gridloop_core::engine::Engine;
use gridloop_core::store::{Store, StoreError};
use gridloop_sync::config::ConfigHistory;
use gridloop_sync::identity::NodeKey;
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::SignedRoster;

use crate::output;

/// The store file inside a data directory.
pub const STORE_FILE: &str = "gridloop.redb";
/// The node key file in a data directory.
pub const KEY_FILE: &str = "node.key";
/// The trusted roster (名册) file in a data directory.
pub const ROSTER_FILE: &str = "roster.json";
/// The district configuration (配置) file in a data or district directory.
pub const CONFIG_FILE: &str = "config.json";
/// The peer status file written by a running node.
pub const PEERS_FILE: &str = "peers.json";

/// The data directory: `--data`, else the platform's data directory.
pub fn data_dir(arg: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = arg {
        return Ok(d.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("org", "gridloop", "gridloop")
        .ok_or_else(|| anyhow!("no home directory; pass --data DIR"))?;
    Ok(dirs.data_dir().to_path_buf())
}

/// Opens a node's store, checked page by page (with a progress bar) when it changed since its
/// last clean close. A damaged store, or one a running node holds, is an error that says what
/// to do.
pub fn open_store(dir: &Path) -> Result<Store> {
    open_store_at(&dir.join(STORE_FILE), dir, false)
}

/// Opens the store file `path` of data directory `dir`, every page checked when `always`.
pub fn open_store_at(path: &Path, dir: &Path, always: bool) -> Result<Store> {
    open_checked(path, always).map_err(|e| store_trouble(e, dir))
}

/// Opens the store file `path`, with a progress bar while its pages are checked (every page
/// when `always`, else only when it changed since its last clean close).
pub fn open_checked(path: &Path, always: bool) -> Result<Store, StoreError> {
    let bar: Arc<std::sync::OnceLock<indicatif::ProgressBar>> = Arc::default();
    let shown = Arc::clone(&bar);
    let opened = Store::open_reporting(path, always, move |share| {
        shown
            .get_or_init(|| output::progress(1000, "检查存储 checking the store"))
            .set_position((share * 1000.0) as u64);
    });
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    opened
}

/// A store error with what the operator can do about it.
pub fn store_trouble(e: StoreError, dir: &Path) -> anyhow::Error {
    match e {
        StoreError::Damaged { .. } => anyhow!(
            "{e}. Restore this node: `gridloop --data {} repair` moves the damaged file aside, \
             keeps every change that still reads and takes the rest back from the district's \
             peers when `gridloop node` runs",
            dir.display()
        ),
        ref e if e.held_elsewhere() => {
            anyhow!(
                "the store {} is held by a running `gridloop node` (or another gridloop \
                 command); stop the node first (`systemctl stop gridloop-node`, or `kill -TERM` \
                 its process: it stops cleanly), then run this command again",
                dir.join(STORE_FILE).display()
            )
        }
        e => e.into(),
    }
}

/// The replicas running nodes of this process hold, by data directory: a command a node runs
/// for the CLI (over its control socket) uses the node's engine instead of opening the store
/// a second time, which redb's lock refuses.
static HELD: std::sync::Mutex<Vec<(PathBuf, Arc<NodeReplica>)>> = std::sync::Mutex::new(Vec::new());

fn key_of(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// Marks `dir`'s store as held by `replica` (a running node) until the returned guard is
/// dropped (the node stops, or fails to start).
pub fn hold(dir: &Path, replica: &Arc<NodeReplica>) -> Held {
    let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    let key = key_of(dir);
    held.retain(|(d, _)| *d != key);
    held.push((key.clone(), Arc::clone(replica)));
    Held(key)
}

/// A store held by a running node of this process; released when dropped.
pub struct Held(PathBuf);

impl Drop for Held {
    fn drop(&mut self) {
        HELD.lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(d, _)| *d != self.0);
    }
}

fn held(dir: &Path) -> Option<Arc<NodeReplica>> {
    let key = key_of(dir);
    HELD.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(d, _)| *d == key)
        .map(|(_, r)| Arc::clone(r))
}

/// Opens the engine over the store in `dir` (the running node's, when this process runs
/// one on `dir`).
pub fn open_engine(dir: &Path) -> Result<Arc<Engine>> {
    if let Some(replica) = held(dir) {
        return Ok(Arc::clone(replica.engine()));
    }
    let path = dir.join(STORE_FILE);
    if !path.exists() {
        bail!(
            "no store at {}; run `gridloop join ROSTER` or `gridloop init --unit UNIT --role ROLE --config DIR` first",
            path.display()
        );
    }
    let store = open_store(dir)?;
    let (_, book) = read_config(dir)?;
    Ok(Arc::new(engine_over(store, book)?))
}

/// The configuration versions in a node's data directory and the book they make: verified
/// against the root of the roster when the node has joined a district; a standalone node
/// (no roster) runs on its own unsigned package.
pub fn read_config(data: &Path) -> Result<(ConfigHistory, ConfigBook)> {
    let path = data.join(CONFIG_FILE);
    if !path.exists() {
        bail!(
            "no district configuration at {}; run `gridloop join ROSTER` (with the district's \
             {CONFIG_FILE} beside the roster) or `gridloop init --config DIR`",
            path.display()
        );
    }
    let history = ConfigHistory::read(&path)?;
    let roster = data.join(ROSTER_FILE);
    let root = if roster.exists() {
        Some(SignedRoster::read(&roster)?.verify(None)?.root)
    } else {
        None
    };
    let book = history
        .book(root.as_deref())
        .with_context(|| format!("the district configuration in {}", path.display()))?;
    Ok((history, book))
}

/// Refuses a bulk import (导入) on a joined node whose roster entry does not grant import:
/// its peers would refuse every change of it. A standalone node (no roster) imports for
/// itself.
pub fn require_import(data: &Path, node: &str) -> Result<()> {
    let path = data.join(ROSTER_FILE);
    if !path.exists() {
        return Ok(());
    }
    let roster = SignedRoster::read(&path)?.verify(None)?;
    let granted = roster.nodes.iter().any(|n| n.node == node && n.import);
    if !granted {
        bail!(
            "node {node} may not import: its entry in the roster (version {}) does not grant \
             import, so its peers would refuse every imported change; the district grants it \
             with `gridloop district enrol --node {node} … --import`",
            roster.version
        );
    }
    Ok(())
}

/// An engine over `store`, first rebuilding the projection (重建摘要) from the documents when
/// an older version of gridloop wrote it (with a progress bar; nothing else in the store
/// changes).
pub fn engine_over(store: Store, book: ConfigBook) -> Result<Engine> {
    let latest = book.latest();
    let seen = format!("{}:{}", latest.version, latest.hash);
    let engine = Engine::with_book(store, book, crate::common::clock());
    if let Some(n) = engine.store.note_config(&seen)?
        && n > 0
    {
        tracing::info!(
            forgotten = n,
            "a new district configuration: changes refused under the earlier one will be judged again when peers offer them"
        );
    }
    // Each year once per process: the demo and the walkthrough open several engines.
    static SAID: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());
    for year in engine.calendar.uncovered_near(crate::common::clock()) {
        let mut said = SAID.lock().unwrap_or_else(|p| p.into_inner());
        if !said.contains(&year) {
            said.push(year);
            tracing::warn!(
                year,
                "the working calendar does not cover {year}: deadlines there count weekends \
                 only (add calendar/{year}.toml to the district configuration)"
            );
        }
    }
    if engine.store.projection_stale() {
        let bar = output::progress(0, "重建摘要 rebuilding the projection");
        let done = gridloop_core::engine::rebuild::rebuild_if_stale(&engine, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .with_context(|| {
            format!(
                "rebuilding the projection of {}",
                engine.store.path().display()
            )
        })?;
        bar.finish_and_clear();
        if let Some(r) = done {
            say_err!(
                "rebuilt the projection of {} cases{}",
                r.cases,
                if r.failed.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} cases no longer replay and were left out (see the log)",
                        r.failed.len()
                    )
                }
            );
        }
    }
    Ok(engine)
}

/// Opens a node's parts from its data directory: engine, key and trusted roster.
pub fn open_replica(data: &Path) -> Result<Arc<NodeReplica>> {
    if let Some(replica) = held(data) {
        return Ok(replica);
    }
    let path = data.join(STORE_FILE);
    if !path.exists() {
        bail!(
            "no store at {}; run `gridloop join ROSTER` (or `gridloop init`) first",
            path.display()
        );
    }
    let store = open_store(data)?;
    store.require_node()?;
    let key = NodeKey::load_or_create(&data.join(KEY_FILE))?;
    let signed = SignedRoster::read(&data.join(ROSTER_FILE)).with_context(|| {
        format!(
            "no roster in {}; run `gridloop join ROSTER` first",
            data.display()
        )
    })?;
    let (history, book) = read_config(data)?;
    let engine = Arc::new(engine_over(store, book)?);
    Ok(Arc::new(
        NodeReplica::new(engine, key, signed, Some(data.join(ROSTER_FILE)))?
            .with_config(history, Some(data.join(CONFIG_FILE))),
    ))
}
