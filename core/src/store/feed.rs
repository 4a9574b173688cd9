//! The change log and each unit's scoped feed (变更流), and what each peer has received and
//! acknowledged of them.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::*;

impl Store {
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
}

impl Reader {
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

    /// The feed scope recorded for a case (empty if unknown).
    pub fn case_scope(&self, id: &CaseId) -> Result<BTreeSet<UnitId>, StoreError> {
        match self.rt.open_table(CASE_SCOPE)?.get(id.as_str())? {
            Some(v) => Ok(dec::<Vec<UnitId>>(id.as_str(), v.value())?
                .into_iter()
                .collect()),
            None => Ok(BTreeSet::new()),
        }
    }
}
