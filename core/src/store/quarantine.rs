//! The quarantine (隔离区): what was refused, kept with its reason and never applied.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::*;

/// A quarantined item (隔离区): something refused, kept once with its reason and counted
/// each time it came again, never applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// When it was first refused.
    pub at: Millis,
    /// When it was last refused.
    pub last: Millis,
    /// How many times it was refused (offered again by anti-entropy, sent again by a peer).
    pub count: u64,
    /// The peer that sent it (`peer@epoch`), empty when refused here (a purge order).
    pub peer: String,
    /// Why.
    pub reason: String,
    /// The change hash, when the bytes decoded as a change.
    pub hash: Option<Vec<u8>>,
    /// Whether the hash is remembered as refused (its signature verified).
    pub remembered: bool,
    /// How long the refused bytes were.
    pub size: u64,
    /// The refused bytes, cut at [`QuarantineLimits::bytes`].
    pub bytes: Vec<u8>,
    /// The key this entry is kept under (what was refused, and why).
    key: Vec<u8>,
}

/// The quarantine as older versions stored it.
#[derive(Deserialize)]
struct QuarantinedV1 {
    at: Millis,
    reason: String,
    bytes: Vec<u8>,
}

/// Bounds of the quarantine (隔离区上限): a hostile enrolled peer flooding refused changes
/// cannot fill the disk. Past a cap the oldest entries are dropped and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuarantineLimits {
    /// Entries kept per peer.
    pub per_peer: u64,
    /// Entries kept in all.
    pub total: u64,
    /// Bytes of a refused change kept with its entry.
    pub bytes: usize,
}

impl Default for QuarantineLimits {
    fn default() -> Self {
        QuarantineLimits {
            per_peer: 10_000,
            total: 50_000,
            bytes: 64 << 10,
        }
    }
}

/// Something refused, to put in quarantine (拒收).
#[derive(Clone, Copy, Debug)]
pub struct Refusal<'a> {
    /// Why, as the operator reads it.
    pub reason: &'a str,
    /// The change hash, if the bytes decoded as a change.
    pub hash: Option<&'a [u8]>,
    /// Remember the hash as refused (only when its signature verified: anyone could
    /// otherwise poison a genuine change's hash with a forged envelope).
    pub remember: bool,
    /// The peer that sent it (`peer@epoch`), empty when refused here.
    pub peer: &'a str,
    /// The refused bytes.
    pub bytes: &'a [u8],
}

/// Per peer, what the quarantine holds of its refusals (隔离统计).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuarantineCount {
    /// Entries held.
    pub held: u64,
    /// Entries dropped at a cap (oldest first).
    pub dropped: u64,
}

fn entry_key(r: &Refusal<'_>) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"gridloop/quarantine\0");
    match r.hash {
        Some(hash) => h.update(hash),
        None => h.update(blake3::hash(r.bytes).as_bytes()),
    };
    h.update(&[0]);
    h.update(r.reason.as_bytes());
    *h.finalize().as_bytes()
}

/// The quarantine's tables, opened once for a refusal.
struct QTables<'t> {
    q: redb::Table<'t, u64, &'static [u8]>,
    keys: redb::Table<'t, &'static [u8], u64>,
    by_peer: redb::Table<'t, (&'static str, u64), ()>,
    peers: redb::Table<'t, &'static str, (u64, u64)>,
    refused: redb::Table<'t, &'static [u8], u64>,
}

impl<'t> QTables<'t> {
    fn open(wt: &'t WriteTransaction) -> Result<QTables<'t>, StoreError> {
        Ok(QTables {
            q: wt.open_table(QUARANTINE)?,
            keys: wt.open_table(QUARANTINE_KEYS)?,
            by_peer: wt.open_table(QUARANTINE_BY_PEER)?,
            peers: wt.open_table(QUARANTINE_PEERS)?,
            refused: wt.open_table(REFUSED)?,
        })
    }

    /// Changes a peer's (held, dropped) counts.
    fn tally(&mut self, peer: &str, held: i64, dropped: u64) -> Result<(), StoreError> {
        let (h, d) = self.peers.get(peer)?.map(|v| v.value()).unwrap_or((0, 0));
        self.peers
            .insert(peer, (h.saturating_add_signed(held), d + dropped))?;
        Ok(())
    }

    /// Drops entry `id`: from the quarantine, its key, its peer's list, and the refused
    /// hashes (a dropped change offered again is judged again).
    fn drop_entry(&mut self, id: u64) -> Result<(), StoreError> {
        let Some(v) = self.q.remove(id)? else {
            return Ok(());
        };
        let item: Quarantined = dec("quarantine", v.value())?;
        drop(v);
        self.keys.remove(item.key.as_slice())?;
        self.by_peer.remove((item.peer.as_str(), id))?;
        self.tally(&item.peer, -1, 1)?;
        if let (true, Some(h)) = (item.remembered, &item.hash)
            && self
                .refused
                .get(h.as_slice())?
                .is_some_and(|v| v.value() == id)
        {
            self.refused.remove(h.as_slice())?;
        }
        Ok(())
    }
}

impl Store {
    /// Puts something refused into quarantine inside `wt`, remembering the change hash (if
    /// asked) so the same change is refused again without work. The same refusal again
    /// (same change or bytes, same reason) is counted on its entry, not stored again; past
    /// the peer's cap or the total cap the oldest entries are dropped and counted. Returns
    /// the entry's id.
    pub fn quarantine_in(
        wt: &WriteTransaction,
        r: &Refusal<'_>,
        at: Millis,
        limits: QuarantineLimits,
    ) -> Result<u64, StoreError> {
        let key = entry_key(r);
        let mut t = QTables::open(wt)?;
        let known = t.keys.get(key.as_slice())?.map(|v| v.value());
        if let Some(id) = known {
            let old = t.q.get(id)?.map(|v| v.value().to_vec());
            if let Some(old) = old {
                let mut item: Quarantined = dec("quarantine", &old)?;
                item.count += 1;
                item.last = at;
                t.q.insert(id, enc(&item).as_slice())?;
                return Ok(id);
            }
        }
        // Make room: the peer's oldest entries past its cap, then the oldest of all.
        loop {
            let held = t.peers.get(r.peer)?.map(|v| v.value().0).unwrap_or(0);
            if held < limits.per_peer.max(1) {
                break;
            }
            let oldest = t
                .by_peer
                .range((r.peer, 0)..=(r.peer, u64::MAX))?
                .next()
                .transpose()?
                .map(|(k, _)| k.value().1);
            match oldest {
                Some(id) => t.drop_entry(id)?,
                None => break,
            }
        }
        loop {
            let first = t.q.first()?.map(|(k, _)| k.value());
            match first {
                Some(id) if t.q.len()? >= limits.total.max(1) => t.drop_entry(id)?,
                _ => break,
            }
        }
        let id = t.q.last()?.map(|(k, _)| k.value() + 1).unwrap_or(1);
        let item = Quarantined {
            at,
            last: at,
            count: 1,
            peer: r.peer.to_string(),
            reason: r.reason.to_string(),
            hash: r.hash.map(<[u8]>::to_vec),
            remembered: r.remember && r.hash.is_some(),
            size: r.bytes.len() as u64,
            bytes: r.bytes[..r.bytes.len().min(limits.bytes)].to_vec(),
            key: key.to_vec(),
        };
        t.q.insert(id, enc(&item).as_slice())?;
        t.keys.insert(key.as_slice(), id)?;
        t.by_peer.insert((r.peer, id), ())?;
        t.tally(r.peer, 1, 0)?;
        if let (true, Some(h)) = (r.remember, r.hash) {
            t.refused.insert(h, id)?;
        }
        // The receiving side logs one line per burst; each item only at debug level.
        tracing::debug!(id, reason = r.reason, "quarantined");
        Ok(id)
    }

    /// Puts something refused here (not sent by a peer) into quarantine once: the same
    /// bytes refused again (a peer offering a refused purge order at every session) are not
    /// stored again. The entry's id, and whether it is new.
    pub fn quarantine_once(
        &self,
        reason: &str,
        bytes: &[u8],
        at: Millis,
    ) -> Result<(u64, bool), StoreError> {
        let mut h = blake3::Hasher::new();
        h.update(b"gridloop/refused-bytes\0");
        h.update(bytes);
        let key = h.finalize();
        let wt = self.begin(true)?;
        if let Some(id) = Self::refused_in(&wt, key.as_bytes())? {
            return Ok((id, false));
        }
        let r = Refusal {
            reason,
            hash: Some(key.as_bytes()),
            remember: true,
            peer: "",
            bytes,
        };
        let id = Self::quarantine_in(&wt, &r, at, self.quarantine_limits())?;
        wt.commit()?;
        Ok((id, true))
    }

    /// The bounds of this store's quarantine.
    pub fn quarantine_limits(&self) -> QuarantineLimits {
        *self.limits.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets the bounds of this store's quarantine (from the next refusal on).
    pub fn set_quarantine_limits(&self, limits: QuarantineLimits) {
        *self.limits.write().unwrap_or_else(|p| p.into_inner()) = limits;
    }

    /// Moves a quarantine written by an older version into the current table, once.
    pub(super) fn migrate_quarantine(&self) -> Result<(), StoreError> {
        {
            let rt = self.db.begin_read()?;
            match rt.open_table(QUARANTINE_V1) {
                Ok(t) if !t.is_empty()? => {}
                Ok(_) | Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        let wt = self.begin(true)?;
        let old: Vec<QuarantinedV1> = {
            let t = wt.open_table(QUARANTINE_V1)?;
            let mut out = Vec::new();
            for item in t.iter()? {
                let (_, v) = item?;
                out.push(dec("quarantine (older version)", v.value())?);
            }
            out
        };
        let limits = QuarantineLimits {
            total: u64::MAX,
            per_peer: u64::MAX,
            ..self.quarantine_limits()
        };
        for item in &old {
            let r = Refusal {
                reason: &item.reason,
                hash: None,
                remember: false,
                peer: "",
                bytes: &item.bytes,
            };
            Self::quarantine_in(&wt, &r, item.at, limits)?;
        }
        wt.delete_table(QUARANTINE_V1)?;
        wt.commit()?;
        tracing::info!(
            entries = old.len(),
            "quarantine moved to the current layout"
        );
        Ok(())
    }
}

impl Reader {
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

    /// Per peer (`peer@epoch`, empty for refusals made here), how many entries the
    /// quarantine holds and how many were dropped at a cap.
    pub fn quarantine_counts(&self) -> Result<Vec<(String, QuarantineCount)>, StoreError> {
        let t = self.rt.open_table(QUARANTINE_PEERS)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            let (held, dropped) = v.value();
            out.push((k.value().to_string(), QuarantineCount { held, dropped }));
        }
        Ok(out)
    }
}

impl Store {
    /// Records the configuration the node now judges by (`config`: its newest version and
    /// content hash). When it differs from the one recorded, forgets which changes were
    /// refused (the quarantine itself is kept), so a change refused under the older rules is
    /// judged again when a peer offers it. Returns how many were forgotten, or `None` when
    /// the configuration is the one recorded.
    pub fn note_config(&self, config: &str) -> Result<Option<u64>, StoreError> {
        // Read first: at every start but the first under a configuration, nothing to write.
        {
            let rt = self.db.begin_read()?;
            if rt
                .open_table(META)?
                .get(CONFIG_SEEN)?
                .is_some_and(|v| v.value() == config.as_bytes())
            {
                return Ok(None);
            }
        }
        let wt = self.begin(true)?;
        let forgotten = {
            wt.open_table(META)?
                .insert(CONFIG_SEEN, config.as_bytes())?;
            let mut refused = wt.open_table(REFUSED)?;
            let n = refused.len()?;
            refused.retain(|_, _| false)?;
            n
        };
        wt.commit()?;
        Ok(Some(forgotten))
    }
}
