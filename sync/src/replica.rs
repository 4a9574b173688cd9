//! The [`Replica`] of a real node (节点副本): its engine and redb store, its key and its
//! verified roster. Own changes are signed here as they leave.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use automerge::{ChangeHash, ReadDoc};
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::Engine;
use gridloop_core::ingest::{IngestReport, Source, ingest};
use gridloop_core::store::{Envelope, FeedEntry, import_signing_bytes, importer_of, signing_bytes};

use crate::config::ConfigHistory;
use crate::identity::NodeKey;
use crate::purge::{PurgeError, PurgeOrder, SignedPurge};
use crate::roster::{BatchAuthority, Roster, SignedRoster};
use crate::session::{Me, Replica, SyncError};

fn store_err(e: impl std::fmt::Display) -> SyncError {
    SyncError::Store(e.to_string())
}

/// A node's store, key and roster as the sync protocol sees them.
pub struct NodeReplica {
    engine: Arc<Engine>,
    key: NodeKey,
    me: Me,
    roster: RwLock<(Roster, SignedRoster)>,
    roster_file: Option<PathBuf>,
    config: RwLock<ConfigHistory>,
    /// (version, effective) of every configuration version held, kept beside the history
    /// so a running node can ask cheaply which version is in force.
    config_versions: RwLock<Vec<(u64, Millis)>>,
    config_file: Option<PathBuf>,
    clock: fn() -> Millis,
}

fn wall_clock() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

impl NodeReplica {
    /// A replica over `engine` (whose store is initialised) with this key and a verified
    /// roster; adopted rosters are written to `roster_file` if given.
    pub fn new(
        engine: Arc<Engine>,
        key: NodeKey,
        signed: SignedRoster,
        roster_file: Option<PathBuf>,
    ) -> Result<NodeReplica, SyncError> {
        let roster = signed.verify(None).map_err(store_err)?;
        let info = engine.store.require_node().map_err(store_err)?;
        let me = Me {
            node: info.node.0.clone(),
            unit: info.unit.clone(),
            epoch: info.epoch.clone(),
        };
        let signing = key.clone();
        engine.set_signer(gridloop_core::engine::Signer {
            node: me.node.clone(),
            sign: Box::new(move |bytes| signing.sign(bytes)),
        });
        Ok(NodeReplica {
            engine,
            key,
            me,
            roster: RwLock::new((roster, signed)),
            roster_file,
            config: RwLock::new(ConfigHistory::default()),
            config_versions: RwLock::new(Vec::new()),
            config_file: None,
            clock: wall_clock,
        })
    }

    /// The district configuration versions this node holds (配置), verified against the
    /// roster's root by the caller; versions taken from peers are written to `file` if given.
    pub fn with_config(mut self, history: ConfigHistory, file: Option<PathBuf>) -> NodeReplica {
        self.config_versions = RwLock::new(history.versions());
        self.config = RwLock::new(history);
        self.config_file = file;
        self
    }

    /// `(version, effective)` of every configuration version held, oldest first.
    pub fn config_versions(&self) -> Vec<(u64, Millis)> {
        self.config_versions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A copy of the configuration versions held.
    pub fn current_config(&self) -> ConfigHistory {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The node's key.
    pub fn key(&self) -> &NodeKey {
        &self.key
    }

    /// A copy of the current roster.
    pub fn current_roster(&self) -> Roster {
        self.roster
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }

    /// Issues a drill purge order from this node (演练清除): signs it, checks it against the
    /// roster as every peer will, and puts it in force here. Peers get it on their next
    /// session or at once if connected (call [`crate::node::Node::notify_changed`]).
    /// Refused with the reason if this node may not purge; `Ok(None)` if a purge reaching
    /// as far is already in force.
    pub fn issue_purge(
        &self,
        order: &PurgeOrder,
    ) -> Result<Option<gridloop_core::store::PurgeReport>, PurgeError> {
        let signed = order.sign(&self.key);
        let (_, purge) = signed.to_purge(&self.current_roster())?;
        self.engine
            .store
            .purge_drills(&purge, (self.clock)())
            .map_err(|e| PurgeError::Store(e.to_string()))
    }

    /// Takes back the changes salvaged from this node's damaged store (抢救), in their log
    /// order: each passes the checks a peer's change passes (signature, author, scope, rules);
    /// own changes the damaged store had not yet sent are signed now. Returns the summed
    /// reports of the batches.
    pub fn take_salvaged(
        &self,
        changes: Vec<(Vec<u8>, Envelope)>,
        progress: &dyn Fn(usize),
    ) -> Result<IngestReport, SyncError> {
        let roster = self.current_roster();
        let mut total = IngestReport::default();
        let mut done = 0;
        for chunk in changes.chunks(500) {
            let batch: Vec<Envelope> = chunk
                .iter()
                .map(|(hash, e)| {
                    let mut e = e.clone();
                    self.sign(&mut e, hash);
                    e
                })
                .collect();
            let r = ingest(
                &self.engine,
                &self.me.unit,
                &batch,
                &BatchAuthority::new(&roster, &batch),
                None,
                (self.clock)(),
            )
            .map_err(store_err)?;
            total.applied += r.applied;
            total.duplicates += r.duplicates;
            total.purged += r.purged;
            total.quarantined.extend(r.quarantined);
            total.missing.extend(r.missing);
            total.cases.extend(r.cases);
            done += chunk.len();
            progress(done);
        }
        Ok(total)
    }

    /// Signs an own change as it is first sent: an ordinary one over the change domain, one
    /// of this node's bulk imports (authored `NODE+import`) over the import domain.
    fn sign(&self, e: &mut Envelope, hash: &[u8]) {
        if !e.signature.is_empty() {
            return;
        }
        if e.author == self.me.node {
            e.signature = self.key.sign(&signing_bytes(&e.case, hash));
        } else if importer_of(&e.author) == Some(self.me.node.as_str()) {
            e.signature = self.key.sign(&import_signing_bytes(&e.case, hash));
        }
    }
}

impl Replica for NodeReplica {
    fn me(&self) -> Me {
        self.me.clone()
    }

    fn roster(&self) -> (u64, Vec<u8>) {
        let g = self.roster.read().unwrap_or_else(|p| p.into_inner());
        (g.0.version, g.1.to_bytes())
    }

    fn roster_version(&self) -> u64 {
        self.roster
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .version
    }

    fn offer_roster(&self, signed: &[u8]) -> Result<bool, String> {
        let signed = SignedRoster::from_bytes(signed).map_err(|e| e.to_string())?;
        let mut g = self.roster.write().unwrap_or_else(|p| p.into_inner());
        let roster = signed
            .verify(Some(&g.0.root))
            .map_err(|e| format!("offered roster refused: {e}"))?;
        if roster.version <= g.0.version {
            return Ok(false);
        }
        if let Some(path) = &self.roster_file {
            signed.write(path).map_err(|e| e.to_string())?;
        }
        tracing::info!(version = roster.version, "adopted a newer roster");
        *g = (roster, signed);
        Ok(true)
    }

    fn config_version(&self) -> u64 {
        self.config_versions
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .last()
            .map_or(0, |(v, _)| *v)
    }

    fn config(&self) -> Vec<u8> {
        let g = self.config.read().unwrap_or_else(|p| p.into_inner());
        if g.releases.is_empty() {
            Vec::new()
        } else {
            g.to_bytes()
        }
    }

    fn offer_config(&self, history: &[u8]) -> Result<bool, String> {
        let offered = ConfigHistory::from_bytes(history).map_err(|e| e.to_string())?;
        let root = self.current_roster().root;
        let mut g = self.config.write().unwrap_or_else(|p| p.into_inner());
        let mut merged = g.clone();
        let added = merged
            .merge(&offered, &root)
            .map_err(|e| format!("offered configuration refused: {e}"))?;
        if !added {
            return Ok(false);
        }
        if let Some(path) = &self.config_file {
            merged.write(path).map_err(|e| e.to_string())?;
        }
        tracing::info!(
            version = merged.version(),
            "took newer district configuration versions; they apply from the next start"
        );
        *self
            .config_versions
            .write()
            .unwrap_or_else(|p| p.into_inner()) = merged.versions();
        *g = merged;
        Ok(true)
    }

    fn received(&self, peer: &str, epoch: &str) -> Result<u64, SyncError> {
        self.engine
            .store
            .read()
            .and_then(|r| r.received(peer, epoch))
            .map_err(store_err)
    }

    fn feed(&self, unit: &UnitId, since: u64, limit: usize) -> Result<Vec<FeedEntry>, SyncError> {
        let mut entries = self
            .engine
            .store
            .read()
            .and_then(|r| r.feed(unit, since, limit))
            .map_err(store_err)?;
        for e in &mut entries {
            let hash = e.hash.clone();
            self.sign(&mut e.envelope, &hash);
        }
        Ok(entries)
    }

    fn ingest(
        &self,
        peer: &str,
        epoch: &str,
        batch: &[Envelope],
        upto: Option<u64>,
        durable: bool,
    ) -> Result<IngestReport, SyncError> {
        let roster = self.current_roster();
        ingest(
            &self.engine,
            &self.me.unit,
            batch,
            &BatchAuthority::new(&roster, batch),
            Some(Source {
                peer,
                epoch,
                upto,
                durable,
            }),
            (self.clock)(),
        )
        .map_err(store_err)
    }

    fn settle(&self) -> Result<bool, SyncError> {
        self.engine.store.settle().map_err(store_err)
    }

    fn acknowledged(&self, peer: &str, upto: u64) -> Result<(), SyncError> {
        self.engine
            .store
            .set_acknowledged(peer, upto)
            .map_err(store_err)
    }

    fn drill_purge(&self) -> Option<(Millis, Vec<u8>)> {
        match self.engine.store.read().and_then(|r| r.drill_purge()) {
            Ok(p) => p.map(|p| (p.before, p.order)),
            Err(e) => {
                tracing::warn!("reading the drill purge in force: {e}");
                None
            }
        }
    }

    fn offer_purge(&self, signed: &[u8]) -> Result<(Millis, Option<u64>), String> {
        let now = (self.clock)();
        let refuse = |why: String| {
            let why = format!("drill purge order refused: {why}");
            // Kept once, however often the peer offers it again.
            if let Err(e) = self.engine.store.quarantine_once(&why, signed, now) {
                tracing::warn!("quarantining a purge order: {e}");
            }
            why
        };
        let roster = self.current_roster();
        let (order, purge) = SignedPurge::from_bytes(signed)
            .and_then(|s| s.to_purge(&roster))
            .map_err(|e| refuse(e.to_string()))?;
        if self
            .drill_purge()
            .is_some_and(|(held, _)| held >= order.before)
        {
            // Offered again (each session does now and then): nothing to write.
            return Ok((order.before, None));
        }
        let adopted = self
            .engine
            .store
            .purge_drills(&purge, now)
            .map_err(|e| e.to_string())?;
        if let Some(r) = &adopted {
            tracing::info!(
                issuer = %order.issuer,
                before = order.before,
                cases = r.cases,
                "adopted a drill purge order"
            );
        }
        Ok((order.before, adopted.map(|r| r.cases)))
    }

    fn purged(&self, case: &CaseId) -> Result<bool, SyncError> {
        self.engine
            .store
            .read()
            .and_then(|r| r.is_purged(case))
            .map_err(store_err)
    }

    fn heads(&self, case: &CaseId) -> Result<Vec<Vec<u8>>, SyncError> {
        let r = self.engine.store.read().map_err(store_err)?;
        match r.doc(case) {
            Ok(doc) => Ok(doc.heads().into_iter().map(|h| h.0.to_vec()).collect()),
            Err(gridloop_core::store::StoreError::NoSuchCase(_)) => Ok(Vec::new()),
            Err(e) => Err(store_err(e)),
        }
    }

    fn digest(&self, unit: &UnitId) -> Result<Vec<(u32, u64, u32)>, SyncError> {
        self.engine
            .store
            .read()
            .and_then(|r| r.digest(unit))
            .map_err(store_err)
    }

    fn bucket(&self, unit: &UnitId, bucket: u32) -> Result<Vec<(CaseId, u64)>, SyncError> {
        let r = self.engine.store.read().map_err(store_err)?;
        if bucket == crate::session::LANE_BUCKET {
            return r.lane_listing(unit).map_err(store_err);
        }
        r.bucket_cases(unit, bucket).map_err(store_err)
    }

    fn history(
        &self,
        case: &CaseId,
        have: &[Vec<u8>],
        unit: &UnitId,
    ) -> Result<Vec<Envelope>, SyncError> {
        let r = self.engine.store.read().map_err(store_err)?;
        if !r.case_scope(case).map_err(store_err)?.contains(unit) {
            return Ok(Vec::new());
        }
        let doc = match r.doc(case) {
            Ok(d) => d,
            Err(gridloop_core::store::StoreError::NoSuchCase(_)) => return Ok(Vec::new()),
            Err(e) => return Err(store_err(e)),
        };
        let have: Vec<ChangeHash> = have
            .iter()
            .filter_map(|h| <[u8; 32]>::try_from(h.as_slice()).ok().map(ChangeHash))
            .filter(|h| doc.automerge().get_change_by_hash(h).is_some())
            .collect();
        let mut out = Vec::new();
        for c in doc.automerge().get_changes(&have) {
            let hash = c.hash().0;
            if let Some(mut e) = r.envelope(&hash).map_err(store_err)? {
                self.sign(&mut e, &hash);
                out.push(e);
            }
        }
        Ok(out)
    }
}
