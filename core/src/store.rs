//! The node's store (本地存储) on redb: documents, change envelopes, the local change log with
//! its epoch, the scope index, the materialized projection with its secondary indexes,
//! quarantine and node metadata. One user action is one durable transaction over all of
//! them; queries read the projection and indexes only and never load a document.

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::calendar::{Light, Millis, WorkCalendar};
use crate::case::{CaseDoc, CaseId, Intake, Source};
use crate::catalogue::CategoryCode;
use crate::role::NodeId;
use crate::unit::{GridCode, UnitId};
use crate::workflow::{Derived, Loop, Milestones, State};

mod tables;
pub use tables::CaseTables;

const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");
/// change hash → log sequence of its envelope.
const CHANGES: TableDefinition<&[u8], u64> = TableDefinition::new("changes");
/// log sequence → envelope (postcard), appended in the order changes were applied here.
const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
/// (unit, feed sequence) → log sequence: the scoped change feed of each unit. A case that
/// enters a unit's scope gets fresh feed entries for its whole history.
const SCOPE: TableDefinition<(&str, u64), u64> = TableDefinition::new("scope");
/// case id → the units whose feeds carry it (postcard `Vec<String>`).
const CASE_SCOPE: TableDefinition<&str, &[u8]> = TableDefinition::new("case_scope");
/// refused change hash → quarantine id, so a refused change is never applied later.
const REFUSED: TableDefinition<&[u8], u64> = TableDefinition::new("refused");
/// (unit, day bucket of the report, case id) → hash of the case's heads: the cases in each
/// unit's feed scope, for anti-entropy listings.
const UNIT_CASES: TableDefinition<(&str, u32, &str), u64> = TableDefinition::new("unit_cases");
/// (unit, day bucket) → (xor of the heads hashes, count): anti-entropy digests, kept
/// incrementally.
const DIGESTS: TableDefinition<(&str, u32), (u64, u32)> = TableDefinition::new("digests");
/// peer status (JSON), by peer node id.
const PEER_INFO: TableDefinition<&str, &[u8]> = TableDefinition::new("peer_info");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const PROJ: TableDefinition<&str, &[u8]> = TableDefinition::new("projection");
const IDX_HOLDER: TableDefinition<(&str, u8, i64, &str), i64> = TableDefinition::new("idx_holder");
const IDX_DUE: TableDefinition<(i64, &str), &str> = TableDefinition::new("idx_open_due");
const IDX_GRID: TableDefinition<(&str, i64, &str), ()> = TableDefinition::new("idx_grid");
const IDX_CATEGORY: TableDefinition<(&str, i64, &str), ()> = TableDefinition::new("idx_category");
const IDX_TIME: TableDefinition<(i64, &str), ()> = TableDefinition::new("idx_time");
const IDX_NUMBER: TableDefinition<&str, &str> = TableDefinition::new("idx_number");
/// case id of every emergency incident (应急事件) → ().
const IDX_INCIDENT: TableDefinition<&str, ()> = TableDefinition::new("idx_incident");
/// (reported, case id) of every drill case (演练案件) → (): what a drill purge removes.
const IDX_DRILL: TableDefinition<(i64, &str), ()> = TableDefinition::new("idx_drill");
/// (incident id, case id) of every case in an incident's priority lane (应急通道) → ():
/// what a session sends first.
const IDX_LANE: TableDefinition<(&str, &str), ()> = TableDefinition::new("idx_lane");
/// The decoded trail beside a case's document (案卷轨迹, [`crate::trail`]): case id → postcard.
/// A cache for receiving: written by ingest, removed by any other write of the case.
const TRAILS: TableDefinition<&str, &[u8]> = TableDefinition::new("trails");
/// case id of every purged drill case (已清除) → when it was purged: its changes are dropped
/// if they arrive again and anti-entropy never asks for it.
const PURGED: TableDefinition<&str, i64> = TableDefinition::new("purged");
const QUARANTINE: TableDefinition<u64, &[u8]> = TableDefinition::new("quarantine");
/// (peer node, `in:<their epoch>` or `out:<my epoch>`) → feed sequence: how far this node
/// has applied the peer's feed, and how far the peer has acknowledged this node's.
const PEERS: TableDefinition<(&str, &str), u64> = TableDefinition::new("peers");

/// The value of the `format` meta key that marks a gridloop store.
pub const FORMAT: &str = "gridloop-store";
/// The store layout version written by this code. Version 3 added the assessed acts and the
/// reporter key to the projection; version 4 the emergency lane and incident (平战一体) and
/// the incident index; version 5 the drill index (演练清除) and the lane index (应急通道). An older store opens with a stale projection that
/// [`crate::rebuild::rebuild_projection`] rebuilds from the documents (nothing else changes).
pub const STORE_VERSION: u64 = 5;
/// The oldest layout whose documents, log and feeds this code reads as they are.
const REBUILDABLE_FROM: u64 = 2;
/// The meta key of the first feed position not yet durable ([`Store::mark_unsettled_in`]).
const UNSETTLED: &str = "unsettled";
/// Stored documents grow by appended changes up to this size, then are saved compacted.
pub const APPEND_LIMIT: usize = 4096;
/// The most a backlog count counts ([`Reader::feed_backlog`]); shown as "≥" that.
pub const BACKLOG_CAP: u64 = 10_000;
/// "No deadline" in due-ordered indexes: sorts after every real time.
/// The due time indexes give a case with no running clock.
pub const NO_DUE: i64 = i64::MAX;

/// Errors of the store (存储错误); each names the file or the case concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened as a redb database.
    #[error("cannot open store {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What redb said.
        source: Box<redb::DatabaseError>,
    },
    /// The file is a redb database but not a gridloop store.
    #[error("{path} is not a gridloop store (no `format` marker); refusing to touch it")]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// The store was written by a newer gridloop.
    #[error("{path} has store version {found}, newer than this program's {STORE_VERSION}")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u64,
    },
    /// A store with no node identity yet.
    #[error("the store has not been initialised for a unit and role (run `gridloop init`)")]
    NotInitialised,
    /// A redb failure.
    #[error("store failure: {0}")]
    Db(Box<redb::Error>),
    /// A stored record could not be decoded.
    #[error("stored record for {what} is corrupt: {why}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why it failed to decode.
        why: String,
    },
    /// A case document failed to load.
    #[error("case {case}: {source}")]
    Doc {
        /// The case.
        case: String,
        /// The document error.
        source: Box<crate::case::DocError>,
    },
    /// No case with that id or number.
    #[error("no case {0} in this store")]
    NoSuchCase(String),
    /// A case with that id already exists.
    #[error("case {0} already exists in this store")]
    Exists(String),
}

macro_rules! db_from {
    ($($t:ty),*) => {$(impl From<$t> for StoreError {
        fn from(e: $t) -> Self { StoreError::Db(Box::new(e.into())) }
    })*};
}
db_from!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// The node's identity as kept in the store (节点信息).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// The node id.
    pub node: NodeId,
    /// The unit this node works for.
    pub unit: UnitId,
    /// The default role of the operator.
    pub role: crate::role::Role,
    /// The log epoch: a random id made when the store was created.
    pub epoch: String,
}

/// A change as it travels (签名变更): raw Automerge change bytes with its author and the
/// author's Ed25519 signature over [`signing_bytes`]. A node's own changes are stored
/// unsigned and signed when first sent (Ed25519 signatures are deterministic); received
/// changes keep their author's signature end to end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The case the change belongs to.
    pub case: String,
    /// The node that authored it.
    pub author: String,
    /// Raw Automerge change bytes.
    pub change: Vec<u8>,
    /// The author's signature over [`signing_bytes`] (empty for own unsent changes).
    pub signature: Vec<u8>,
}

/// What an author signs for a change: a domain tag, the case id and the change hash.
pub fn signing_bytes(case: &str, hash: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(24 + case.len() + hash.len());
    m.extend_from_slice(b"gridloop/change/1\0");
    m.extend_from_slice(case.as_bytes());
    m.push(0);
    m.extend_from_slice(hash);
    m
}

/// One change to log (新变更): its hash and envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// The Automerge change hash (32 bytes).
    pub hash: Vec<u8>,
    /// The envelope as stored and sent.
    pub envelope: Envelope,
    /// Where it came from: `peer@epoch` for a received change, empty for a local one. A
    /// feed never sends a change back to the peer (and epoch) it came from.
    pub origin: String,
}

/// An entry of a unit's change feed (变更流): where it is, and the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    /// Position in the unit's feed (the checkpoint a receiver keeps).
    pub seq: u64,
    /// The change hash.
    pub hash: Vec<u8>,
    /// The envelope.
    pub envelope: Envelope,
    /// Where it came from (see [`Logged::origin`]).
    pub origin: String,
}

/// A quarantined item (隔离区): something refused, kept with its reason, never applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// When it was refused.
    pub at: Millis,
    /// Why.
    pub reason: String,
    /// The raw bytes that were refused.
    pub bytes: Vec<u8>,
}

/// The projection row of one case (案件摘要): everything lists and queries need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// Case id.
    pub id: CaseId,
    /// 案卷编号.
    pub number: String,
    /// 问题来源.
    pub source: Source,
    /// Category (as registered).
    pub category: CategoryCode,
    /// Grid (as registered).
    pub grid: GridCode,
    /// 地址.
    pub address: String,
    /// 描述, shortened.
    pub description: String,
    /// 状态.
    pub state: State,
    /// 当前责任单位.
    pub holder: UnitId,
    /// 循环层级.
    pub level: Loop,
    /// Handling units, lead first.
    pub handlers: Vec<UnitId>,
    /// When it was reported.
    pub reported: Millis,
    /// When it last changed.
    pub updated: Millis,
    /// Yellow-light threshold of the earliest running clock.
    pub warn_at: Option<Millis>,
    /// Due time of the earliest running clock.
    pub due: Option<Millis>,
    /// Overall handling due time, if dispatched.
    pub overall_due: Option<Millis>,
    /// 冲突.
    pub conflict: bool,
    /// 演练.
    pub drill: bool,
    /// 自处置 (微循环).
    pub self_handling: bool,
    /// 返工次数.
    pub rework: u32,
    /// Approved extensions.
    pub extensions: u32,
    /// Approved send-backs.
    pub send_backs: u32,
    /// Escalations.
    pub escalations: u32,
    /// 督办/催办 notes.
    pub notes: u32,
    /// 回访 result.
    pub satisfied: Option<bool>,
    /// Milestone times.
    pub milestones: Milestones,
    /// Units in scope.
    pub units: Vec<UnitId>,
    /// 反映人 key for 高频诉求人: the phone, or the name when no phone was given; empty if
    /// anonymous. Personal data, like the document it comes from.
    pub reporter: String,
    /// The assessed acts (考核记录).
    pub acts: Vec<crate::workflow::Act>,
    /// 应急通道: the emergency incident whose priority lane the case is in.
    pub lane: Option<CaseId>,
    /// 应急事件: the incident this case opened (启动预案), if it did.
    pub incident: Option<crate::emergency::Incident>,
}

impl CaseSummary {
    /// Builds the projection row from intake and replay.
    pub fn build(id: &CaseId, intake: &Intake, d: &Derived) -> CaseSummary {
        let c = &d.current;
        let th = c.thresholds();
        CaseSummary {
            id: id.clone(),
            number: intake.number.clone(),
            source: intake.source,
            category: c.category.clone(),
            grid: c.grid.clone(),
            address: intake.address.clone(),
            description: intake.description.chars().take(80).collect(),
            state: c.state,
            holder: c.holder.clone(),
            level: c.level,
            handlers: c.handlers.clone(),
            reported: c.milestones.reported,
            updated: c.updated,
            warn_at: th.map(|t| t.0),
            due: th.map(|t| t.1),
            overall_due: c.overall.map(|o| o.due),
            conflict: d.in_conflict(),
            drill: intake.drill,
            self_handling: c.self_handling,
            rework: c.rework,
            extensions: c.extensions,
            send_backs: c.send_backs,
            escalations: c.escalations,
            notes: c.notes,
            satisfied: c.satisfied,
            milestones: c.milestones.clone(),
            units: c.units.iter().cloned().collect(),
            reporter: intake
                .reporter
                .as_ref()
                .map(|r| {
                    if r.phone.trim().is_empty() {
                        r.name.trim().to_string()
                    } else {
                        r.phone.trim().to_string()
                    }
                })
                .unwrap_or_default(),
            acts: c.acts.clone(),
            lane: c.lane.as_ref().map(|l| l.incident.clone()),
            incident: c.incident.clone(),
        }
    }

    /// The light at `now`.
    pub fn light(&self, now: Millis) -> Light {
        match (self.warn_at, self.due) {
            (Some(w), Some(d)) => WorkCalendar::light_at(w, d, now),
            _ => Light::Green,
        }
    }

    /// Whether a clock is running past its due time at `now` (超时).
    pub fn overdue(&self, now: Millis) -> bool {
        self.due.is_some_and(|d| now > d)
    }

    /// The units whose scope index lists this case: every unit it passed through and the
    /// community its grid belongs to.
    pub fn scope_units(&self) -> BTreeSet<UnitId> {
        let mut s: BTreeSet<UnitId> = self.units.iter().cloned().collect();
        s.insert(self.grid.community());
        s
    }
}

/// The units whose change feeds carry a case (可见范围): its scope units and every unit above
/// them — a street sees its communities' cases, the district sees everything.
pub fn feed_scope(summary: &CaseSummary, district: &crate::unit::District) -> BTreeSet<UnitId> {
    let mut out = BTreeSet::new();
    for u in summary.scope_units() {
        out.extend(district.ancestors(&u));
        out.insert(u);
    }
    out
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
    pub trail: Option<&'a crate::trail::Trail>,
    /// The new changes, in causal order.
    pub changes: Vec<Logged>,
    /// The new projection row.
    pub summary: &'a CaseSummary,
    /// The case's feed scope ([`feed_scope`]).
    pub scope: &'a BTreeSet<UnitId>,
    /// The document already saved (bulk import saves on its builder threads), if so.
    pub saved: Option<&'a [u8]>,
}

/// The anti-entropy bucket of a case: the day (UTC) it was reported.
pub fn day_bucket(reported: Millis) -> u32 {
    (reported.max(0) / 86_400_000) as u32
}

/// A 64-bit hash of a case id and its (sorted) heads, for anti-entropy digests.
pub fn heads_hash(case: &str, heads: &[automerge::ChangeHash]) -> u64 {
    let mut hs: Vec<&[u8; 32]> = heads.iter().map(|h| &h.0).collect();
    hs.sort();
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    };
    case.bytes().for_each(&mut eat);
    for x in hs {
        x.iter().copied().for_each(&mut eat);
    }
    // Final avalanche (splitmix64) so XOR-combined digests do not cancel on similar inputs.
    let mut z = h.wrapping_add(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

/// A drill purge in force on this node (演练清除): every drill case reported before `before`
/// is removed and dropped when it arrives again. `order` is the signed order as the sync
/// layer passes it on to peers; core keeps it without reading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillPurge {
    /// Drill cases reported before this time are purged.
    pub before: Millis,
    /// The signed order (opaque here).
    pub order: Vec<u8>,
}

/// What a drill purge removed from this store (清除结果).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Drill cases removed.
    pub cases: u64,
    /// Their changes removed from the log.
    pub changes: u64,
}

/// The store (本地存储).
pub struct Store {
    db: Database,
    path: PathBuf,
    stale: std::sync::atomic::AtomicBool,
}

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("postcard encoding of an in-memory value cannot fail")
}

fn dec<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        why: e.to_string(),
    })
}

impl Store {
    /// Opens the store at `path`, creating a new one if the file does not exist. A file that
    /// is not a redb database, or a redb database that is not a gridloop store, is refused
    /// untouched.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let existed = path.exists();
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source: Box::new(source),
        };
        let mut builder = redb::Builder::new();
        builder.set_cache_size(256 << 20);
        let db = if existed {
            builder.open(path).map_err(open_err)?
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
        };
        if existed {
            store.check_format()?;
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
    /// documents before queries (see [`crate::rebuild::rebuild_projection`]).
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
        role: crate::role::Role,
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
        let key = format!("number:{unit}:{day}");
        let n = meta
            .get(key.as_str())?
            .map(|v| u64::from_be_bytes(v.value().try_into().unwrap_or([0; 8])))
            .unwrap_or(0)
            + 1;
        meta.insert(key.as_str(), &n.to_be_bytes()[..])?;
        Ok(format!("{unit}-{day}-{n:06}"))
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

    /// Records, inside `wt`, how far this node has applied `peer`'s feed for the peer's
    /// log `epoch` (接收检查点).
    pub fn set_received(
        wt: &WriteTransaction,
        peer: &str,
        epoch: &str,
        seq: u64,
    ) -> Result<(), StoreError> {
        let key = format!("in:{epoch}");
        wt.open_table(PEERS)?.insert((peer, key.as_str()), seq)?;
        Ok(())
    }

    /// Records how far `peer` has acknowledged this node's feed (发送检查点), for the peers
    /// view. Without waiting for the disk: where a peer resumes is its own receive
    /// checkpoint, so a crash costs only a stale figure here.
    pub fn set_acknowledged(&self, peer: &str, seq: u64) -> Result<(), StoreError> {
        let key = format!("out:{}", self.epoch()?);
        let wt = self.begin(false)?;
        {
            let mut t = wt.open_table(PEERS)?;
            let cur = t.get((peer, key.as_str()))?.map(|v| v.value()).unwrap_or(0);
            if seq > cur {
                t.insert((peer, key.as_str()), seq)?;
            }
        }
        wt.commit()?;
        Ok(())
    }

    /// Saves a peer's status record (JSON chosen by the caller) for the peers view.
    pub fn set_peer_info(&self, peer: &str, json: &[u8]) -> Result<(), StoreError> {
        let wt = self.begin(false)?;
        wt.open_table(PEER_INFO)?.insert(peer, json)?;
        wt.commit()?;
        Ok(())
    }

    /// Puts something refused into quarantine inside `wt`, remembering the change hash (if
    /// any) so the same change is refused again without work.
    pub fn quarantine_in(
        wt: &WriteTransaction,
        reason: &str,
        hash: Option<&[u8]>,
        bytes: &[u8],
        at: Millis,
    ) -> Result<u64, StoreError> {
        let mut q = wt.open_table(QUARANTINE)?;
        let id = q.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
        let item = Quarantined {
            at,
            reason: reason.to_string(),
            bytes: bytes.to_vec(),
        };
        q.insert(id, enc(&item).as_slice())?;
        if let Some(h) = hash {
            wt.open_table(REFUSED)?.insert(h, id)?;
        }
        tracing::warn!(id, reason, "quarantined");
        Ok(id)
    }

    /// Whether a case exists.
    pub fn contains(&self, id: &CaseId) -> Result<bool, StoreError> {
        let rt = self.db.begin_read()?;
        Ok(rt.open_table(DOCS)?.get(id.as_str())?.is_some())
    }

    /// Loads a case's document.
    pub fn doc(&self, id: &CaseId) -> Result<CaseDoc, StoreError> {
        let rt = self.db.begin_read()?;
        let docs = rt.open_table(DOCS)?;
        let v = docs
            .get(id.as_str())?
            .ok_or_else(|| StoreError::NoSuchCase(id.0.clone()))?;
        CaseDoc::load(v.value()).map_err(|source| StoreError::Doc {
            case: id.0.clone(),
            source: Box::new(source),
        })
    }

    /// Loads a case's document inside a write transaction (for read-modify-write).
    pub fn doc_in(wt: &WriteTransaction, id: &CaseId) -> Result<CaseDoc, StoreError> {
        let docs = wt.open_table(DOCS)?;
        let v = docs
            .get(id.as_str())?
            .ok_or_else(|| StoreError::NoSuchCase(id.0.clone()))?;
        CaseDoc::load(v.value()).map_err(|source| StoreError::Doc {
            case: id.0.clone(),
            source: Box::new(source),
        })
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
    ) -> Result<Option<crate::trail::Trail>, StoreError> {
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

    /// Puts something refused into quarantine with its reason, in its own durable write.
    pub fn quarantine(&self, reason: &str, bytes: &[u8], at: Millis) -> Result<u64, StoreError> {
        let wt = self.begin(true)?;
        let id = Self::quarantine_in(&wt, reason, None, bytes, at)?;
        wt.commit()?;
        Ok(id)
    }

    /// Puts `purge` in force if it reaches further than the one held (a later `before`):
    /// records it and removes every drill case reported before its time — document, log
    /// entries, projection, indexes and anti-entropy entries — remembering each removed id,
    /// all in one durable transaction. `None` if the purge held already reaches as far.
    /// Feed entries of removed changes stay and are skipped when a feed is read.
    pub fn purge_drills(
        &self,
        purge: &DrillPurge,
        now: Millis,
    ) -> Result<Option<PurgeReport>, StoreError> {
        let wt = self.begin(true)?;
        if Self::drill_purge_in(&wt)?.is_some_and(|held| held.before >= purge.before) {
            return Ok(None);
        }
        wt.open_table(META)?
            .insert("drill_purge", enc(purge).as_slice())?;
        let ids: Vec<String> = {
            let t = wt.open_table(IDX_DRILL)?;
            let mut ids = Vec::new();
            for item in t.range((i64::MIN, "")..(purge.before, ""))? {
                ids.push(item?.0.value().1.to_string());
            }
            ids
        };
        let mut report = PurgeReport::default();
        {
            let mut t = CaseTables::open(&wt)?;
            for id in &ids {
                report.changes += t.remove_case(&CaseId(id.clone()))?;
                report.cases += 1;
            }
            // Readers that cache by revision see the store moved.
            t.bump_revision()?;
        }
        for id in ids {
            Self::mark_purged_in(&wt, &CaseId(id), now)?;
        }
        wt.commit()?;
        tracing::info!(
            before = purge.before,
            cases = report.cases,
            changes = report.changes,
            "drill cases purged"
        );
        Ok(Some(report))
    }

    /// The drill purge in force, inside a write transaction.
    pub fn drill_purge_in(wt: &WriteTransaction) -> Result<Option<DrillPurge>, StoreError> {
        match wt.open_table(META)?.get("drill_purge")? {
            Some(v) => Ok(Some(dec("meta.drill_purge", v.value())?)),
            None => Ok(None),
        }
    }

    /// Whether a case was purged here, inside a write transaction.
    pub fn purged_in(wt: &WriteTransaction, id: &CaseId) -> Result<bool, StoreError> {
        Ok(wt.open_table(PURGED)?.get(id.as_str())?.is_some())
    }

    /// Records inside `wt` that a case is purged (its changes arrived after the purge).
    pub fn mark_purged_in(
        wt: &WriteTransaction,
        id: &CaseId,
        now: Millis,
    ) -> Result<(), StoreError> {
        wt.open_table(PURGED)?.insert(id.as_str(), now)?;
        Ok(())
    }
}

fn open_all(wt: &WriteTransaction) -> Result<(), StoreError> {
    wt.open_table(DOCS)?;
    wt.open_table(CHANGES)?;
    wt.open_table(LOG)?;
    wt.open_table(SCOPE)?;
    wt.open_table(PROJ)?;
    wt.open_table(IDX_HOLDER)?;
    wt.open_table(IDX_DUE)?;
    wt.open_table(IDX_GRID)?;
    wt.open_table(IDX_CATEGORY)?;
    wt.open_table(IDX_TIME)?;
    wt.open_table(IDX_NUMBER)?;
    wt.open_table(IDX_INCIDENT)?;
    wt.open_table(IDX_DRILL)?;
    wt.open_table(IDX_LANE)?;
    wt.open_table(PURGED)?;
    wt.open_table(QUARANTINE)?;
    wt.open_table(PEERS)?;
    wt.open_table(CASE_SCOPE)?;
    wt.open_table(REFUSED)?;
    wt.open_table(PEER_INFO)?;
    wt.open_table(UNIT_CASES)?;
    wt.open_table(DIGESTS)?;
    Ok(())
}

/// A light filter for the inbox (灯色筛选).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LightFilter {
    /// Every light.
    Any,
    /// Only this light.
    Only(Light),
}

/// Queries on one snapshot of the store (查询). None of them loads a document.
pub struct Reader {
    rt: ReadTransaction,
}

impl Reader {
    /// Every emergency incident (应急事件) this node holds, open or stood down, newest first.
    pub fn incidents(&self) -> Result<Vec<CaseSummary>, StoreError> {
        let t = match self.rt.open_table(IDX_INCIDENT) {
            Ok(t) => t,
            // A store of an older layout not yet rebuilt has no incident index: no incident.
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut ids = Vec::new();
        for item in t.iter()? {
            ids.push(item?.0.value().to_string());
        }
        let mut rows = self.summaries(ids)?;
        rows.sort_by(|a, b| b.reported.cmp(&a.reported).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// The projection row of a case.
    pub fn summary(&self, id: &CaseId) -> Result<Option<CaseSummary>, StoreError> {
        let proj = self.rt.open_table(PROJ)?;
        match proj.get(id.as_str())? {
            Some(v) => Ok(Some(dec(id.as_str(), v.value())?)),
            None => Ok(None),
        }
    }

    fn summaries(
        &self,
        ids: impl IntoIterator<Item = String>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let proj = self.rt.open_table(PROJ)?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(v) = proj.get(id.as_str())? {
                out.push(dec(&id, v.value())?);
            }
        }
        Ok(out)
    }

    /// Number of cases in the store.
    pub fn count(&self) -> Result<u64, StoreError> {
        Ok(self.rt.open_table(PROJ)?.len()?)
    }

    /// Finds a case by id or by 案卷编号.
    pub fn find(&self, key: &str) -> Result<Option<CaseSummary>, StoreError> {
        if let Some(s) = CaseId::parse(key)
            .ok()
            .map(|id| self.summary(&id))
            .transpose()?
            .flatten()
        {
            return Ok(Some(s));
        }
        let num = self.rt.open_table(IDX_NUMBER)?;
        let id = num.get(key.trim())?.map(|v| v.value().to_string());
        match id {
            Some(id) => self.summary(&CaseId(id)),
            None => Ok(None),
        }
    }

    /// A holder's inbox (待办): cases held by `holder` in any of `states`, filtered by light
    /// at `now`, most urgent first, at most `limit`. Reads only the holder index, then the
    /// rows it returns.
    pub fn inbox(
        &self,
        holder: &UnitId,
        states: &[State],
        light: LightFilter,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let idx = self.rt.open_table(IDX_HOLDER)?;
        let mut hits: Vec<(i64, String)> = Vec::new();
        for st in states {
            let code = st.to_u8();
            let (lo, hi) = match light {
                LightFilter::Only(Light::Red) => (i64::MIN, now - 1),
                LightFilter::Only(Light::Yellow) => (now, NO_DUE - 1),
                LightFilter::Only(Light::Green) => (now, NO_DUE),
                LightFilter::Any => (i64::MIN, NO_DUE),
            };
            let range = idx.range(
                (holder.as_str(), code, lo, "")..=(holder.as_str(), code, hi, "\u{10ffff}"),
            )?;
            let mut taken = 0;
            for item in range {
                let (k, warn) = item?;
                let (_, _, due, id) = k.value();
                let lt = if due == NO_DUE {
                    Light::Green
                } else {
                    WorkCalendar::light_at(warn.value(), due, now)
                };
                if matches!(light, LightFilter::Only(want) if lt != want) {
                    continue;
                }
                hits.push((due, id.to_string()));
                taken += 1;
                if taken >= limit {
                    break;
                }
            }
        }
        hits.sort();
        hits.truncate(limit);
        self.summaries(hits.into_iter().map(|(_, id)| id))
    }

    /// A holder's queue as keys only (due time, case id), most urgent first: what a
    /// virtualized inbox table lists, fetching rows with [`Reader::summaries_of`] only for
    /// the rows on screen. Reads the holder index alone.
    /// Only cases due before `before` are listed ([`NO_DUE`] lists every case, with a clock
    /// or not): the index is sorted by due time, so 超时 or 待回访 reads only its own keys.
    pub fn queue_keys(
        &self,
        holder: &UnitId,
        states: &[State],
        before: i64,
    ) -> Result<Vec<(i64, CaseId)>, StoreError> {
        let idx = self.rt.open_table(IDX_HOLDER)?;
        let mut out = Vec::new();
        for st in states {
            let code = st.to_u8();
            let lo = (holder.as_str(), code, i64::MIN, "");
            let range = if before == NO_DUE {
                idx.range(lo..=(holder.as_str(), code, NO_DUE, "\u{10ffff}"))?
            } else {
                idx.range(lo..(holder.as_str(), code, before, ""))?
            };
            for item in range {
                let (k, _) = item?;
                let (_, _, due, id) = k.value();
                out.push((due, CaseId(id.to_string())));
            }
        }
        out.sort();
        Ok(out)
    }

    /// The projection rows of these cases, in order (missing ones skipped).
    pub fn summaries_of<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a CaseId>,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        self.summaries(ids.into_iter().map(|i| i.0.clone()))
    }

    /// Count of a holder's cases per state (for queue badges), from the index alone.
    pub fn queue_counts(&self, holder: &UnitId) -> Result<Vec<(State, u64)>, StoreError> {
        let idx = self.rt.open_table(IDX_HOLDER)?;
        let mut out = Vec::new();
        for st in State::ALL {
            let c = st.to_u8();
            let n = idx
                .range(
                    (holder.as_str(), c, i64::MIN, "")..=(holder.as_str(), c, NO_DUE, "\u{10ffff}"),
                )?
                .count() as u64;
            if n > 0 {
                out.push((st, n));
            }
        }
        Ok(out)
    }

    /// Open cases with a running clock due before `before`, as (due, id) from the due index
    /// alone (no row is read), most urgent first; only those whose holder passes `within`.
    pub fn open_keys(
        &self,
        before: Millis,
        within: &dyn Fn(&UnitId) -> bool,
        limit: usize,
    ) -> Result<Vec<(i64, CaseId)>, StoreError> {
        let idx = self.rt.open_table(IDX_DUE)?;
        let mut out = Vec::new();
        for item in idx.range((i64::MIN, "")..(before, ""))? {
            let (k, holder) = item?;
            if within(&UnitId(holder.value().to_string())) {
                let (due, id) = k.value();
                out.push((due, CaseId(id.to_string())));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Overdue cases (超时) at `now`, most overdue first; only those held at or under
    /// `under` if given (checked with `within`).
    pub fn overdue(
        &self,
        now: Millis,
        within: &dyn Fn(&UnitId) -> bool,
        limit: usize,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let idx = self.rt.open_table(IDX_DUE)?;
        let mut ids = Vec::new();
        for item in idx.range((i64::MIN, "")..(now, ""))? {
            let (k, holder) = item?;
            if within(&UnitId(holder.value().to_string())) {
                ids.push(k.value().1.to_string());
                if ids.len() >= limit {
                    break;
                }
            }
        }
        self.summaries(ids)
    }

    /// Cases on a grid cell reported in `[from, to)`, newest first.
    pub fn by_grid(
        &self,
        grid: &GridCode,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let idx = self.rt.open_table(IDX_GRID)?;
        let mut ids = Vec::new();
        for item in idx
            .range((grid.as_str(), from, "")..(grid.as_str(), to, ""))?
            .rev()
        {
            ids.push(item?.0.value().2.to_string());
            if ids.len() >= limit {
                break;
            }
        }
        self.summaries(ids)
    }

    /// Cases of a category reported in `[from, to)`, newest first.
    pub fn by_category(
        &self,
        category: &CategoryCode,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let idx = self.rt.open_table(IDX_CATEGORY)?;
        let mut ids = Vec::new();
        for item in idx
            .range((category.as_str(), from, "")..(category.as_str(), to, ""))?
            .rev()
        {
            ids.push(item?.0.value().2.to_string());
            if ids.len() >= limit {
                break;
            }
        }
        self.summaries(ids)
    }

    /// Cases reported in `[from, to)`, newest first.
    pub fn by_time(
        &self,
        from: Millis,
        to: Millis,
        limit: usize,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let idx = self.rt.open_table(IDX_TIME)?;
        let mut ids = Vec::new();
        for item in idx.range((from, "")..(to, ""))?.rev() {
            ids.push(item?.0.value().1.to_string());
            if ids.len() >= limit {
                break;
            }
        }
        self.summaries(ids)
    }

    /// Every case reported in `[from, to)`, in case-id order, decoded on all cores: what an
    /// assessment folds (projection rows only).
    pub fn reported_rows(&self, from: Millis, to: Millis) -> Result<Vec<CaseSummary>, StoreError> {
        let idx = self.rt.open_table(IDX_TIME)?;
        let proj = self.rt.open_table(PROJ)?;
        let mut ids: Vec<String> = Vec::new();
        for item in idx.range((from, "")..(to, ""))? {
            ids.push(item?.0.value().1.to_string());
        }
        // Looked up in key order, the rows come off neighbouring pages instead of random ones.
        ids.sort_unstable();
        let mut raw: Vec<(String, Vec<u8>)> = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(v) = proj.get(id.as_str())? {
                raw.push((id.clone(), v.value().to_vec()));
            }
        }
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let per = raw.len().div_ceil(workers).max(4_096);
        std::thread::scope(|sc| {
            let handles: Vec<_> = raw
                .chunks(per)
                .map(|part| {
                    sc.spawn(move || {
                        part.iter()
                            .map(|(id, b)| dec::<CaseSummary>(id, b))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(raw.len());
            for h in handles {
                out.extend(h.join().expect("projection decoder panicked")?);
            }
            Ok(out)
        })
    }

    /// Cases whose address or number contains `text`, newest first: a scan of the
    /// projection rows (never the documents), stopping at `limit`.
    pub fn search_text(&self, text: &str, limit: usize) -> Result<Vec<CaseSummary>, StoreError> {
        let text = text.trim();
        let idx = self.rt.open_table(IDX_TIME)?;
        let proj = self.rt.open_table(PROJ)?;
        let mut out = Vec::new();
        for item in idx.iter()?.rev() {
            let (k, _) = item?;
            let id = k.value().1;
            if let Some(v) = proj.get(id)? {
                let s: CaseSummary = dec(id, v.value())?;
                if s.address.contains(text) || s.number.contains(text) {
                    out.push(s);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The store's revision (修订号): moves on with every write that changes cases — a
    /// logged change or a purge. Views cache what they read by it.
    pub fn revision(&self) -> Result<u64, StoreError> {
        Ok(self
            .rt
            .open_table(META)?
            .get("next_seq")?
            .map(|v| u64::from_be_bytes(v.value().try_into().unwrap_or([0; 8])))
            .unwrap_or(0))
    }

    /// The first feed position written by a commit not yet durable, if any
    /// ([`Store::settle`]).
    pub fn unsettled(&self) -> Result<Option<u64>, StoreError> {
        Ok(self
            .rt
            .open_table(META)?
            .get(UNSETTLED)?
            .map(|v| u64::from_be_bytes(v.value().try_into().unwrap_or([0; 8]))))
    }

    /// The drill purge in force here, if any (演练清除).
    pub fn drill_purge(&self) -> Result<Option<DrillPurge>, StoreError> {
        match self.rt.open_table(META)?.get("drill_purge")? {
            Some(v) => Ok(Some(dec("meta.drill_purge", v.value())?)),
            None => Ok(None),
        }
    }

    /// Whether a case was purged here as a drill case.
    pub fn is_purged(&self, id: &CaseId) -> Result<bool, StoreError> {
        match self.rt.open_table(PURGED) {
            Ok(t) => Ok(t.get(id.as_str())?.is_some()),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// The drill cases (演练案件) reported before `before`, oldest first: what a purge up to
    /// then would remove.
    pub fn drill_cases(&self, before: Millis) -> Result<Vec<CaseId>, StoreError> {
        let t = match self.rt.open_table(IDX_DRILL) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for item in t.range((i64::MIN, "")..(before, ""))? {
            out.push(CaseId(item?.0.value().1.to_string()));
        }
        Ok(out)
    }

    /// The priority lane's listing for `unit` (应急通道): every open emergency incident and
    /// every open case in an open incident's lane that `unit`'s feed carries, with its heads
    /// hash — what a session exchanges first, so lane cases cross a reconnect ahead of the
    /// backlog. Empty in 平时.
    pub fn lane_listing(&self, unit: &UnitId) -> Result<Vec<(CaseId, u64)>, StoreError> {
        let lanes = match self.rt.open_table(IDX_LANE) {
            Ok(t) => Some(t),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let uc = self.rt.open_table(UNIT_CASES)?;
        let proj = self.rt.open_table(PROJ)?;
        let listed = |row: &CaseSummary| -> Result<Option<(CaseId, u64)>, StoreError> {
            let key = (unit.as_str(), day_bucket(row.reported), row.id.as_str());
            Ok(uc.get(key)?.map(|h| (row.id.clone(), h.value())))
        };
        let mut out = Vec::new();
        for incident in self.incidents()? {
            if incident.incident.as_ref().is_none_or(|i| i.ended.is_some()) {
                continue;
            }
            out.extend(listed(&incident)?);
            let Some(lanes) = &lanes else { continue };
            let id = incident.id.as_str();
            for item in lanes.range((id, "")..=(id, "\u{10ffff}"))? {
                let (k, _) = item?;
                let Some(v) = proj.get(k.value().1)? else {
                    continue;
                };
                let row: CaseSummary = dec(k.value().1, v.value())?;
                if row.state.is_open() {
                    out.extend(listed(&row)?);
                }
            }
        }
        Ok(out)
    }

    /// Where a purge of every drill case held now would reach (清除时点): just after the
    /// latest drill case reported, or `now` if later. Drills played faster than real time
    /// report their cases at scenario times past the wall clock.
    pub fn drill_purge_point(&self, now: Millis) -> Result<Millis, StoreError> {
        let t = match self.rt.open_table(IDX_DRILL) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(now),
            Err(e) => return Err(e.into()),
        };
        let last = t.last()?.map(|(k, _)| k.value().0);
        Ok(last.map_or(now, |l| now.max(l.saturating_add(1))))
    }

    /// The highest log sequence number written (0 for an empty log). Log and feed entries
    /// share one counter, so this is not a count: see [`Reader::log_len`].
    pub fn log_head(&self) -> Result<u64, StoreError> {
        Ok(self
            .rt
            .open_table(LOG)?
            .last()?
            .map(|(k, _)| k.value())
            .unwrap_or(0))
    }

    /// How many changes the log holds (one entry per change ever applied here).
    pub fn log_len(&self) -> Result<u64, StoreError> {
        Ok(self.rt.open_table(LOG)?.len()?)
    }

    /// The last position of `unit`'s change feed (0 if empty).
    pub fn feed_head(&self, unit: &UnitId) -> Result<u64, StoreError> {
        let sc = self.rt.open_table(SCOPE)?;
        let last = sc
            .range((unit.as_str(), 0)..=(unit.as_str(), u64::MAX))?
            .next_back()
            .transpose()?;
        Ok(last.map(|(k, _)| k.value().1).unwrap_or(0))
    }

    /// How many feed entries `unit` has after position `since` (a backlog count), counted
    /// up to [`BACKLOG_CAP`]: a peer far behind shows the cap, not a count that reads its
    /// whole backlog (millions of entries for a new district node).
    pub fn feed_backlog(&self, unit: &UnitId, since: u64) -> Result<u64, StoreError> {
        let sc = self.rt.open_table(SCOPE)?;
        let mut n = 0;
        for item in sc.range((unit.as_str(), since + 1)..=(unit.as_str(), u64::MAX))? {
            item?;
            n += 1;
            if n >= BACKLOG_CAP {
                break;
            }
        }
        Ok(n)
    }

    /// `unit`'s change feed after position `since`, in order, at most `limit` entries
    /// (变更流): the envelopes a peer working for `unit` may receive.
    pub fn feed(
        &self,
        unit: &UnitId,
        since: u64,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let sc = self.rt.open_table(SCOPE)?;
        let log = self.rt.open_table(LOG)?;
        let mut out = Vec::new();
        // Entries not yet durable are not passed on.
        let end = match self.unsettled()? {
            Some(first) => first.saturating_sub(1),
            None => u64::MAX,
        };
        if end <= since {
            return Ok(out);
        }
        for item in sc.range((unit.as_str(), since + 1)..=(unit.as_str(), end))? {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item?;
            let at = v.value();
            let Some(bytes) = log.get(at)? else { continue };
            let (hash, envelope, origin): (Vec<u8>, Envelope, String) = dec("log", bytes.value())?;
            out.push(FeedEntry {
                seq: k.value().1,
                hash,
                envelope,
                origin,
            });
        }
        Ok(out)
    }

    /// The envelope of a change.
    pub fn envelope(&self, hash: &[u8]) -> Result<Option<Envelope>, StoreError> {
        let ch = self.rt.open_table(CHANGES)?;
        let Some(at) = ch.get(hash)?.map(|v| v.value()) else {
            return Ok(None);
        };
        match self.rt.open_table(LOG)?.get(at)? {
            Some(v) => Ok(Some(
                dec::<(Vec<u8>, Envelope, String)>("log", v.value())?.1,
            )),
            None => Ok(None),
        }
    }

    /// Whether the change with this hash is stored.
    pub fn has_change(&self, hash: &[u8]) -> Result<bool, StoreError> {
        Ok(self.rt.open_table(CHANGES)?.get(hash)?.is_some())
    }

    /// How far this node has applied `peer`'s feed for the peer's log `epoch` (0 if never).
    pub fn received(&self, peer: &str, epoch: &str) -> Result<u64, StoreError> {
        let key = format!("in:{epoch}");
        Ok(self
            .rt
            .open_table(PEERS)?
            .get((peer, key.as_str()))?
            .map(|v| v.value())
            .unwrap_or(0))
    }

    /// How far `peer` has acknowledged this node's feed in log epoch `epoch` (0 if never).
    pub fn acknowledged(&self, peer: &str, epoch: &str) -> Result<u64, StoreError> {
        let key = format!("out:{epoch}");
        Ok(self
            .rt
            .open_table(PEERS)?
            .get((peer, key.as_str()))?
            .map(|v| v.value())
            .unwrap_or(0))
    }

    /// Every peer's saved status record (JSON), by peer node id.
    pub fn peer_infos(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let t = self.rt.open_table(PEER_INFO)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// The anti-entropy digest of `unit`'s feed scope: per day bucket, the XOR of the cases'
    /// heads hashes and their count.
    pub fn digest(&self, unit: &UnitId) -> Result<Vec<(u32, u64, u32)>, StoreError> {
        let dg = self.rt.open_table(DIGESTS)?;
        let mut out = Vec::new();
        for item in dg.range((unit.as_str(), 0)..=(unit.as_str(), u32::MAX))? {
            let (k, v) = item?;
            let (x, n) = v.value();
            out.push((k.value().1, x, n));
        }
        Ok(out)
    }

    /// The cases of one digest bucket of `unit`'s feed scope, with their heads hashes.
    pub fn bucket_cases(
        &self,
        unit: &UnitId,
        bucket: u32,
    ) -> Result<Vec<(CaseId, u64)>, StoreError> {
        let uc = self.rt.open_table(UNIT_CASES)?;
        let mut out = Vec::new();
        for item in uc.range((unit.as_str(), bucket, "")..(unit.as_str(), bucket + 1, ""))? {
            let (k, v) = item?;
            out.push((CaseId(k.value().2.to_string()), v.value()));
        }
        Ok(out)
    }

    /// The feed scope recorded for a case (empty if unknown).
    pub fn case_scope(&self, id: &CaseId) -> Result<BTreeSet<UnitId>, StoreError> {
        match self.rt.open_table(CASE_SCOPE)?.get(id.as_str())? {
            Some(v) => Ok(dec::<Vec<UnitId>>(id.as_str(), v.value())?
                .into_iter()
                .collect()),
            None => Ok(BTreeSet::new()),
        }
    }

    /// Everything in quarantine, oldest first.
    pub fn quarantined(&self) -> Result<Vec<(u64, Quarantined)>, StoreError> {
        let q = self.rt.open_table(QUARANTINE)?;
        let mut out = Vec::new();
        for item in q.iter()? {
            let (k, v) = item?;
            out.push((k.value(), dec("quarantine", v.value())?));
        }
        Ok(out)
    }

    /// Every case id, in id order (for export and checks).
    pub fn case_ids(&self) -> Result<Vec<CaseId>, StoreError> {
        let proj = self.rt.open_table(PROJ)?;
        let mut out = Vec::new();
        for item in proj.iter()? {
            out.push(CaseId(item?.0.value().to_string()));
        }
        Ok(out)
    }

    /// Loads a case's document (for the detail view and export only).
    pub fn doc(&self, id: &CaseId) -> Result<CaseDoc, StoreError> {
        let docs = self.rt.open_table(DOCS)?;
        let v = docs
            .get(id.as_str())?
            .ok_or_else(|| StoreError::NoSuchCase(id.0.clone()))?;
        CaseDoc::load(v.value()).map_err(|source| StoreError::Doc {
            case: id.0.clone(),
            source: Box::new(source),
        })
    }
}
