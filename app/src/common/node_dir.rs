//! A node's data directory (数据目录) and what opens it: the store as an engine, or the
//! engine with the node's key and trusted roster as a replica.
//!
//! Files in a node's data directory: `gridloop.redb` (the store), `node.key` (its secret
//! key, 0600), `roster.json` (the signed roster it trusts) and, while `gridloop node` runs,
//! `peers.json` (peer status, rewritten four times a second, read by `gridloop peers`).

use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gridloop_core::engine::Engine;
use gridloop_core::store::Store;
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

/// Opens the engine over the store in `dir`.
pub fn open_engine(dir: &Path) -> Result<Engine> {
    let path = dir.join(STORE_FILE);
    if !path.exists() {
        bail!(
            "no store at {}; run `gridloop init --unit UNIT --role ROLE` first",
            path.display()
        );
    }
    let store = Store::open(&path)?;
    engine_over(store)
}

/// An engine over `store`, first rebuilding the projection (重建摘要) from the documents when
/// an older version of gridloop wrote it (with a progress bar; nothing else in the store
/// changes).
pub fn engine_over(store: Store) -> Result<Engine> {
    let engine = Engine::demo(store);
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
            eprintln!(
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
    let engine = Arc::new(engine_over(store)?);
    Ok(Arc::new(NodeReplica::new(
        engine,
        key,
        signed,
        Some(data.join(ROSTER_FILE)),
    )?))
}
