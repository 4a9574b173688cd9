//! The quarantine (隔离区): what was refused, kept with its reason and never applied.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::*;

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

impl Store {
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
        // The receiving side logs one line per burst; each item only at debug level.
        tracing::debug!(id, reason, "quarantined");
        Ok(id)
    }

    /// Puts something refused into quarantine once: the same bytes refused again (a peer
    /// offering a refused purge order at every session) are not stored again. The entry's
    /// id, and whether it is new.
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
        let id = Self::quarantine_in(&wt, reason, Some(key.as_bytes()), bytes, at)?;
        wt.commit()?;
        Ok((id, true))
    }

    /// Puts something refused into quarantine with its reason, in its own durable write.
    pub fn quarantine(&self, reason: &str, bytes: &[u8], at: Millis) -> Result<u64, StoreError> {
        let wt = self.begin(true)?;
        let id = Self::quarantine_in(&wt, reason, None, bytes, at)?;
        wt.commit()?;
        Ok(id)
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
