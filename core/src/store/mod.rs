//! The node's store (本地存储) on redb: documents, change envelopes, the local change log with
//! its epoch, the scope index, the materialized projection with its secondary indexes,
//! quarantine and node metadata. One user action is one durable transaction over all of
//! them; queries read the projection and indexes only and never load a document.

use redb::{Database, Durability, ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::doc::case_doc::CaseDoc;
use crate::domain::calendar::{Light, Millis, WorkCalendar};
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::CategoryCode;
use crate::domain::role::NodeId;
use crate::domain::unit::{GridCode, UnitId};
use crate::workflow::State;

mod codec;
mod digest;
mod envelope;
mod error;
mod feed;
pub mod integrity;
pub mod mode;
mod purge;
mod quarantine;
mod reader;
mod schema;
mod summary;
mod tables;

use codec::{dec, enc, load_doc, numbered_in, open_all};
pub use digest::{day_bucket, heads_hash};
pub use envelope::{
    Envelope, FeedEntry, IMPORT_SUFFIX, Logged, import_author, import_signing_bytes, importer_of,
    signing_bytes,
};
pub use error::StoreError;
pub use purge::{DrillPurge, PurgeReport};
pub use quarantine::{QuarantineCount, QuarantineLimits, Quarantined, Refusal};
pub use reader::{LightFilter, Reader};
use schema::*;
pub use schema::{APPEND_LIMIT, BACKLOG_CAP, FORMAT, NO_DUE, STORE_VERSION};
pub use summary::{CaseSummary, feed_scope};
pub use tables::CaseTables;

/// The node's identity as kept in the store (节点信息).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node id.
    pub node: NodeId,
    /// The unit this node works for.
    pub unit: UnitId,
    /// The default role of the operator.
    pub role: crate::domain::role::Role,
    /// The log epoch: a random id made when the store was created.
    pub epoch: String,
}

/// What one write puts in the store: the document, its new changes, the new projection and
/// the units whose feeds carry the case.
pub struct CaseWrite<'a> {
    /// The case.
    pub id: &'a CaseId,
    /// The whole document after the change; `None` when received on the fast path
    /// (接收快路径), which gives `saved` (the stored bytes with the new changes appended) and
    /// `trail`, and never widens the case's scope.
    pub doc: Option<&'a CaseDoc>,
    /// The decoded trail of the document after the change, kept beside it for the next
    /// change received (案卷轨迹); `None` removes any trail kept.
    pub trail: Option<&'a crate::doc::trail::Trail>,
    /// The new changes, in causal order.
    pub changes: Vec<Logged>,
    /// The new projection row.
    pub summary: &'a CaseSummary,
    /// The case's feed scope ([`feed_scope`]).
    pub scope: &'a BTreeSet<UnitId>,
    /// The document already saved (bulk import saves on its builder threads), if so.
    pub saved: Option<&'a [u8]>,
}

/// The store (本地存储).
pub struct Store {
    db: Database,
    path: PathBuf,
    stale: std::sync::atomic::AtomicBool,
    limits: std::sync::RwLock<QuarantineLimits>,
    /// Seals the file when the store closes (after `db`, declared before it, has closed).
    _seal: integrity::Seal,
}

impl Store {
    /// Opens the store at `path`, creating a new one if the file does not exist. A file that
    /// is not a redb database, or a redb database that is not a gridloop store, is refused
    /// untouched.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_reporting(path, false, |_| {})
    }

    /// Opens the store as [`Store::open`] does; a file changed since its last clean close (or
    /// any file, with `always_check`) is checked page by page first (see [`integrity`]),
    /// `progress` called with the share done (0.0 to 1.0). A damaged file is
    /// [`StoreError::Damaged`], left as it was.
    pub fn open_reporting(
        path: &Path,
        always_check: bool,
        progress: impl Fn(f64) + 'static,
    ) -> Result<Store, StoreError> {
        let existed = path.exists();
        let open_err = |source: redb::DatabaseError| {
            if integrity::damaged(&source) {
                StoreError::Damaged {
                    path: path.to_path_buf(),
                    why: source.to_string(),
                }
            } else {
                StoreError::Open {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                }
            }
        };
        let mut builder = redb::Builder::new();
        builder.set_cache_size(256 << 20);
        let db = if existed {
            let check = always_check || !integrity::sealed(path);
            if check {
                tracing::info!(path = %path.display(), "the store changed since its last clean close: checking every page");
                builder
                    .set_check_integrity_on_open(true)
                    .set_repair_callback(move |s| progress(s.progress()));
            }
            integrity::unseal(path);
            // A damaged file redb does not recognise as such may still panic inside it.
            match integrity::quietly(|| builder.open(path)) {
                Ok(db) => db.map_err(open_err)?,
                Err(why) => {
                    return Err(StoreError::Damaged {
                        path: path.to_path_buf(),
                        why,
                    });
                }
            }
        } else {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    open_err(redb::DatabaseError::Storage(redb::StorageError::Io(e)))
                })?;
            }
            builder.create(path).map_err(open_err)?
        };
        let store = Store {
            db,
            path: path.to_path_buf(),
            stale: std::sync::atomic::AtomicBool::new(false),
            limits: std::sync::RwLock::new(QuarantineLimits::default()),
            _seal: integrity::Seal {
                path: path.to_path_buf(),
            },
        };
        if existed {
            store.check_format()?;
            store.migrate_quarantine()?;
        } else {
            store.format()?;
        }
        Ok(store)
    }

    /// The file the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_format(&self) -> Result<(), StoreError> {
        let rt = self.db.begin_read()?;
        let meta = match rt.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => {
                return Err(StoreError::Foreign {
                    path: self.path.clone(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let format = meta.get("format")?.map(|v| v.value().to_vec());
        if format.as_deref() != Some(FORMAT.as_bytes()) {
            return Err(StoreError::Foreign {
                path: self.path.clone(),
            });
        }
        let version = meta
            .get("version")?
            .map(|v| u64::from_be_bytes(v.value().try_into().unwrap_or([0; 8])))
            .unwrap_or(0);
        if !(REBUILDABLE_FROM..=STORE_VERSION).contains(&version) {
            return Err(StoreError::Version {
                path: self.path.clone(),
                found: version,
            });
        }
        if version < STORE_VERSION {
            self.stale.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }

    /// Whether the projection was written by an older version and must be rebuilt from the
    /// documents before queries (see [`crate::engine::rebuild::rebuild_projection`]).
    pub fn projection_stale(&self) -> bool {
        self.stale.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every case id, from the documents (not the projection).
    pub fn doc_ids(&self) -> Result<Vec<CaseId>, StoreError> {
        let rt = self.db.begin_read()?;
        let docs = rt.open_table(DOCS)?;
        let mut out = Vec::new();
        for item in docs.iter()? {
            out.push(CaseId(item?.0.value().to_string()));
        }
        Ok(out)
    }

    /// The stored bytes of these cases' documents, in order (absent ones skipped).
    pub fn doc_bytes(&self, ids: &[CaseId]) -> Result<Vec<(CaseId, Vec<u8>)>, StoreError> {
        let rt = self.db.begin_read()?;
        let docs = rt.open_table(DOCS)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(v) = docs.get(id.as_str())? {
                out.push((id.clone(), v.value().to_vec()));
            }
        }
        Ok(out)
    }

    /// Empties the projection and its indexes, to be refilled by [`Store::put_projection`].
    pub fn clear_projection(&self) -> Result<(), StoreError> {
        let mut wt = self.db.begin_write()?;
        wt.set_durability(Durability::Immediate)?;
        wt.delete_table(PROJ)?;
        wt.delete_table(IDX_HOLDER)?;
        wt.delete_table(IDX_DUE)?;
        wt.delete_table(IDX_GRID)?;
        wt.delete_table(IDX_CATEGORY)?;
        wt.delete_table(IDX_TIME)?;
        wt.delete_table(IDX_NUMBER)?;
        wt.delete_table(IDX_NUMBER_V1)?;
        wt.delete_table(IDX_INCIDENT)?;
        wt.delete_table(IDX_DRILL)?;
        wt.delete_table(IDX_LANE)?;
        open_all(&wt)?;
        wt.commit()?;
        Ok(())
    }

    /// Writes projection rows (and their index entries) for cases that have none yet.
    pub fn put_projection(&self, rows: &[CaseSummary]) -> Result<(), StoreError> {
        let wt = self.begin(false)?;
        {
            let mut t = CaseTables::open(&wt)?;
            for r in rows {
                t.put_row(r)?;
            }
        }
        wt.commit()?;
        Ok(())
    }

    /// Marks the projection rebuilt: writes this version durably.
    pub fn finish_rebuild(&self) -> Result<(), StoreError> {
        let mut wt = self.db.begin_write()?;
        wt.set_durability(Durability::Immediate)?;
        wt.open_table(META)?
            .insert("version", &STORE_VERSION.to_be_bytes()[..])?;
        wt.commit()?;
        self.stale.store(false, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn format(&self) -> Result<(), StoreError> {
        let mut wt = self.db.begin_write()?;
        wt.set_durability(Durability::Immediate)?;
        {
            let mut meta = wt.open_table(META)?;
            meta.insert("format", FORMAT.as_bytes())?;
            meta.insert("version", &STORE_VERSION.to_be_bytes()[..])?;
            let epoch = format!("{:032x}", rand::random::<u128>());
            meta.insert("epoch", epoch.as_bytes())?;
            meta.insert("next_seq", &1u64.to_be_bytes()[..])?;
        }
        open_all(&wt)?;
        wt.commit()?;
        Ok(())
    }

    /// The log epoch (日志纪元): changes when a store is created anew.
    pub fn epoch(&self) -> Result<String, StoreError> {
        let rt = self.db.begin_read()?;
        let meta = rt.open_table(META)?;
        let v = meta
            .get("epoch")?
            .map(|v| String::from_utf8_lossy(v.value()).to_string());
        v.ok_or_else(|| StoreError::Corrupt {
            what: "meta.epoch".into(),
            why: "missing".into(),
        })
    }

    /// Records the node's identity (node id, unit, role). Overwrites an earlier one.
    pub fn set_node(
        &self,
        node: &NodeId,
        unit: &UnitId,
        role: crate::domain::role::Role,
    ) -> Result<(), StoreError> {
        let epoch = self.epoch()?;
        let info = NodeInfo {
            node: node.clone(),
            unit: unit.clone(),
            role,
            epoch,
        };
        let mut wt = self.db.begin_write()?;
        wt.set_durability(Durability::Immediate)?;
        {
            let mut meta = wt.open_table(META)?;
            meta.insert(
                "node",
                serde_json::to_vec(&info).unwrap_or_default().as_slice(),
            )?;
        }
        wt.commit()?;
        Ok(())
    }

    /// The node's identity, if initialised.
    pub fn node(&self) -> Result<Option<NodeInfo>, StoreError> {
        let rt = self.db.begin_read()?;
        let meta = rt.open_table(META)?;
        match meta.get("node")? {
            Some(v) => {
                serde_json::from_slice(v.value())
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt {
                        what: "meta.node".into(),
                        why: e.to_string(),
                    })
            }
            None => Ok(None),
        }
    }

    /// The node's identity, or [`StoreError::NotInitialised`].
    pub fn require_node(&self) -> Result<NodeInfo, StoreError> {
        self.node()?.ok_or(StoreError::NotInitialised)
    }

    /// Begins a write transaction; `durable` chooses fsync on commit (user actions) or not
    /// (bulk import, made durable by its last batch).
    pub fn begin(&self, durable: bool) -> Result<WriteTransaction, StoreError> {
        let mut wt = self.db.begin_write()?;
        wt.set_durability(if durable {
            Durability::Immediate
        } else {
            Durability::None
        })?;
        if durable {
            // Committing durably makes every earlier commit durable too.
            wt.open_table(META)?.remove(UNSETTLED)?;
        }
        Ok(wt)
    }

    /// Records in `wt` (a commit without waiting for the disk) that the feed entries it
    /// writes are not yet durable: feeds stop before them until a durable commit
    /// ([`Store::settle`]). A crash could otherwise lose entries already passed on, and the
    /// positions would be taken again by different changes.
    pub fn mark_unsettled_in(wt: &WriteTransaction) -> Result<(), StoreError> {
        let mut meta = wt.open_table(META)?;
        if meta.get(UNSETTLED)?.is_some() {
            return Ok(());
        }
        let next = meta
            .get("next_seq")?
            .map(|v| u64::from_be_bytes(v.value().try_into().unwrap_or([0; 8])))
            .unwrap_or(1);
        meta.insert(UNSETTLED, &next.to_be_bytes()[..])?;
        Ok(())
    }

    /// Makes commits made without waiting for the disk durable (落盘), if there are any,
    /// so the feed passes their changes on. Returns whether there were.
    pub fn settle(&self) -> Result<bool, StoreError> {
        if self.read()?.unsettled()?.is_none() {
            return Ok(false);
        }
        self.begin(true)?.commit()?;
        Ok(true)
    }

    /// Takes the next case number (案卷编号) for `unit` on `day` (yyyymmdd) inside `wt`.
    pub fn next_number(
        wt: &WriteTransaction,
        unit: &UnitId,
        day: &str,
    ) -> Result<String, StoreError> {
        let mut meta = wt.open_table(META)?;
        let numbers = wt.open_table(IDX_NUMBER)?;
        let key = format!("number:{unit}:{day}");
        let mut n = meta
            .get(key.as_str())?
            .map(|v| u64::from_be_bytes(v.value().try_into().unwrap_or([0; 8])))
            .unwrap_or(0);
        // Past every number already held: cases imported or synced from another node of the
        // unit carry numbers this store's counter never gave out.
        let number = loop {
            n += 1;
            let number = format!("{unit}-{day}-{n:06}");
            if numbered_in(&numbers, &number)?.is_empty() {
                break number;
            }
        };
        meta.insert(key.as_str(), &n.to_be_bytes()[..])?;
        Ok(number)
    }

    /// Writes a case: the document, its new changes in the log and the feeds of its scope,
    /// the projection row and every secondary index, removing the old row's index entries.
    /// Units that newly see the case get feed entries for its whole earlier history. For a
    /// series of writes in one transaction, open [`CaseTables`] once instead.
    pub fn put_case(wt: &WriteTransaction, w: &CaseWrite<'_>) -> Result<(), StoreError> {
        CaseTables::open(wt)?.put_case(w)
    }

    /// Whether the change with this hash is already stored, inside a write transaction.
    pub fn has_change_in(wt: &WriteTransaction, hash: &[u8]) -> Result<bool, StoreError> {
        Ok(wt.open_table(CHANGES)?.get(hash)?.is_some())
    }

    /// The quarantine id under which a change was refused, if it was.
    pub fn refused_in(wt: &WriteTransaction, hash: &[u8]) -> Result<Option<u64>, StoreError> {
        Ok(wt.open_table(REFUSED)?.get(hash)?.map(|v| v.value()))
    }

    /// The feed scope recorded for a case, inside a write transaction (empty if unknown).
    pub fn scope_in(wt: &WriteTransaction, id: &CaseId) -> Result<BTreeSet<UnitId>, StoreError> {
        match wt.open_table(CASE_SCOPE)?.get(id.as_str())? {
            Some(v) => Ok(dec::<Vec<UnitId>>(id.as_str(), v.value())?
                .into_iter()
                .collect()),
            None => Ok(BTreeSet::new()),
        }
    }

    /// Whether a case exists.
    pub fn contains(&self, id: &CaseId) -> Result<bool, StoreError> {
        let rt = self.db.begin_read()?;
        Ok(rt.open_table(DOCS)?.get(id.as_str())?.is_some())
    }

    /// Loads a case's document.
    pub fn doc(&self, id: &CaseId) -> Result<CaseDoc, StoreError> {
        let rt = self.db.begin_read()?;
        load_doc(&rt.open_table(DOCS)?, id)
    }

    /// Loads a case's document inside a write transaction (for read-modify-write).
    pub fn doc_in(wt: &WriteTransaction, id: &CaseId) -> Result<CaseDoc, StoreError> {
        load_doc(&wt.open_table(DOCS)?, id)
    }

    /// Whether case `id` is stored, inside a write transaction.
    pub fn holds_in(wt: &WriteTransaction, id: &CaseId) -> Result<bool, StoreError> {
        Ok(wt.open_table(DOCS)?.get(id.as_str())?.is_some())
    }

    /// The cases that carry case number `number`, inside a write transaction.
    pub fn numbered_in_txn(wt: &WriteTransaction, number: &str) -> Result<Vec<CaseId>, StoreError> {
        numbered_in(&wt.open_table(IDX_NUMBER)?, number)
    }

    /// A case's stored document bytes, inside a write transaction (`None` if absent): to be
    /// loaded off the transaction's thread.
    pub fn doc_bytes_in(wt: &WriteTransaction, id: &CaseId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(wt
            .open_table(DOCS)?
            .get(id.as_str())?
            .map(|v| v.value().to_vec()))
    }

    /// The decoded trail kept beside a case's document (案卷轨迹), inside a write
    /// transaction; `None` if none is kept, or if it does not decode (it is only a cache).
    pub fn trail_in(
        wt: &WriteTransaction,
        id: &CaseId,
    ) -> Result<Option<crate::doc::trail::Trail>, StoreError> {
        let t = wt.open_table(TRAILS)?;
        let Some(v) = t.get(id.as_str())? else {
            return Ok(None);
        };
        Ok(postcard::from_bytes(v.value())
            .inspect_err(|e| tracing::warn!(case = %id, "unreadable case trail, ignored: {e}"))
            .ok())
    }

    /// Whether a case exists, inside a write transaction.
    pub fn contains_in(wt: &WriteTransaction, id: &CaseId) -> Result<bool, StoreError> {
        Ok(wt.open_table(DOCS)?.get(id.as_str())?.is_some())
    }

    /// Begins a read transaction for a series of queries on one snapshot.
    pub fn read(&self) -> Result<Reader, StoreError> {
        Ok(Reader {
            rt: self.db.begin_read()?,
        })
    }
}
