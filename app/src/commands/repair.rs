//! `gridloop repair` (修复存储): a damaged store is moved aside, a new one is made for the same
//! node, every change that still reads in the damaged file is taken back through the checks a
//! peer's change passes, and the rest comes back from the district's peers the next time the
//! node runs (a new store has a new log epoch, so every peer sends it its whole feed).

use anyhow::{Result, bail};
use std::path::Path;

use gridloop_core::domain::role::NodeId;
use gridloop_core::engine::CaseRecord;
use gridloop_core::store::StoreError;
use gridloop_core::store::integrity::{Salvage, salvage, seal_path};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::roster::SignedRoster;

use crate::common::node_dir::{open_checked, open_store_at, store_trouble};
use crate::common::{KEY_FILE, ROSTER_FILE, STORE_FILE, engine_over, open_replica, read_config};
use crate::output;

/// `gridloop repair [--resync]`: checks every page of the store; a damaged one (or, with
/// `resync`, a sound one) is moved aside and rebuilt as described in the module docs.
pub fn repair(dir: &Path, resync: bool) -> Result<()> {
    let path = dir.join(STORE_FILE);
    if !path.exists() {
        bail!(
            "no store at {}; run `gridloop join ROSTER` or `gridloop init` first",
            path.display()
        );
    }
    let why = match open_checked(&path, true) {
        Ok(_) if !resync => {
            say!(
                "the store {} is sound (every page checked); nothing to repair",
                path.display()
            );
            return Ok(());
        }
        Ok(_) => "asked to resync".to_string(),
        Err(e @ StoreError::Damaged { .. }) => e.to_string(),
        // Only damage is repaired: a store a running node holds, or one of a newer gridloop,
        // is left alone with the error that says so.
        Err(e) => return Err(store_trouble(e, dir)),
    };
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let aside = dir.join(format!("{STORE_FILE}.damaged-{stamp}"));
    std::fs::rename(&path, &aside)?;
    let _ = std::fs::remove_file(seal_path(&path));
    say!("moved {} aside to {}", path.display(), aside.display());
    say!("  ({why})");

    let bar = output::progress(0, "抢救 reading what still reads");
    let found = salvage(&aside);
    bar.finish_and_clear();
    let made = match remake(dir, &found) {
        Ok(made) => made,
        Err(e) => {
            // Nothing half made: the new file goes, the damaged one stays aside.
            let _ = std::fs::remove_file(&path);
            return Err(e.context(format!(
                "the new store was not made; the damaged one is at {}",
                aside.display()
            )));
        }
    };
    say!(
        "new store {} for node {} at {}",
        path.display(),
        made.node,
        made.unit
    );
    match &found.stopped {
        Some(why) => say!("read from the damaged file until: {why}"),
        None => say!("the damaged file read to its end"),
    }
    say!("{}", made.taken);
    if made.joined {
        say!(
            "run `gridloop --data {} node` (or start its service): its peers send it everything \
             in its scope again",
            dir.display()
        );
    } else {
        say!(
            "this node has not joined a district, so no peer can send back what did not read; \
             the damaged file stays at {}",
            aside.display()
        );
    }
    Ok(())
}

/// What `remake` made.
struct Made {
    node: NodeId,
    unit: String,
    joined: bool,
    taken: String,
}

/// Makes the new store for the same node and takes back what the salvage read: a joined
/// node's changes through the checks a peer's change passes; a standalone node's documents
/// as an import.
fn remake(dir: &Path, found: &Salvage) -> Result<Made> {
    let path = dir.join(STORE_FILE);
    let roster = dir.join(ROSTER_FILE);
    if roster.exists() {
        let key = NodeKey::load_or_create(&dir.join(KEY_FILE))?;
        let roster = SignedRoster::read(&roster)?.verify(None)?;
        let Some(entry) = roster.nodes.iter().find(|n| n.key == key.id()) else {
            bail!(
                "this node's key {} is not in its roster; it cannot be rebuilt as the same node",
                key.id()
            );
        };
        let role = found
            .node
            .as_ref()
            .map(|n| n.role)
            .or_else(|| entry.roles.first().copied())
            .unwrap_or(gridloop_core::domain::role::Role::Dispatcher);
        {
            let store = open_store_at(&path, dir, false)?;
            store.set_node(&NodeId(entry.node.clone()), &entry.unit, role)?;
        }
        let replica = open_replica(dir)?;
        let bar = output::progress(found.changes.len() as u64, "取回 taking back changes");
        let r = replica.take_salvaged(found.changes.clone(), &|n| bar.set_position(n as u64))?;
        bar.finish_and_clear();
        let taken = format!(
            "took back {} changes of {} cases ({} already held, {} refused{})",
            r.applied,
            r.cases.len(),
            r.duplicates,
            r.quarantined.len(),
            if r.missing.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} cases wait for changes that did not read, from peers",
                    r.missing.len()
                )
            }
        );
        return Ok(Made {
            node: NodeId(entry.node.clone()),
            unit: entry.unit.to_string(),
            joined: true,
            taken,
        });
    }
    let Some(me) = &found.node else {
        bail!(
            "this standalone node's identity did not read from the damaged file; make a new \
             node with `gridloop init --unit UNIT --role ROLE --config DIR`"
        );
    };
    let store = open_store_at(&path, dir, false)?;
    store.set_node(&me.node, &me.unit, me.role)?;
    let (_, book) = read_config(dir)?;
    let engine = engine_over(store, book)?;
    let mut records = Vec::new();
    for (id, bytes) in &found.docs {
        let doc = gridloop_core::doc::case_doc::CaseDoc::load(bytes)?;
        records.push(CaseRecord {
            id: id.clone(),
            intake: doc.intake()?,
            events: doc.events()?,
            document: Some(gridloop_core::doc::case_doc::to_hex(bytes)),
        });
    }
    let report = gridloop_core::workload::bulk::import(
        &engine.store,
        engine.rules(),
        &me.node,
        records.into_iter().map(Ok),
        2,
        &|_| {},
    )?;
    Ok(Made {
        node: me.node.clone(),
        unit: me.unit.to_string(),
        joined: false,
        taken: format!("took back {} cases", report.added),
    })
}
