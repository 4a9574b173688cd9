//! Repair and anti-entropy (修复与反熵): a peer's `Want` answered with the case's history
//! it lacks, `Repair` applied, and the digest exchange once both directions caught up —
//! `DigestRoot`, and on a mismatch `DigestWanted` → `Digest` → `Bucket`s → `Repair`/`Want`.
//! The priority lane's listing (a `Bucket` numbered [`super::LANE_BUCKET`]) is answered
//! here like any bucket.

use std::collections::{BTreeMap, BTreeSet};

use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::unit::UnitId;

use super::wire::{case_id, from_wire, split_by_bytes, to_wire};
use super::{DIGEST_TICKS, Replica, Session, SessionEvent, SyncError};
use crate::frame::{Frame, WireChange};
use crate::identity::unhex;

impl Session {
    /// The peer lacks changes of `case` beyond `have`: send them (only if the case is in its
    /// scope).
    pub(super) fn on_want(
        &mut self,
        r: &dyn Replica,
        case: Vec<u8>,
        have: Vec<Vec<u8>>,
    ) -> Result<(), SyncError> {
        let peer_unit = self
            .peer
            .as_ref()
            .map(|p| p.unit.clone())
            .unwrap_or_else(|| UnitId(String::new()));
        let id = case_id(&case).map_err(|why| self.refuse(why))?;
        let envs = r.history(&id, &have, &peer_unit)?;
        self.push_repair(envs);
        Ok(())
    }

    /// Queues changes the peer lacks as `Repair` frames, each under the frame budget.
    fn push_repair(&mut self, envs: Vec<gridloop_core::store::Envelope>) {
        for run in split_by_bytes(envs) {
            let (authors, changes) = to_wire(&run);
            self.stats.sent += changes.len() as u64;
            self.outbox.push_back(Frame::Repair { authors, changes });
        }
    }

    /// The peer's digest root: ask for its buckets when it differs from mine.
    pub(super) fn on_digest_root(
        &mut self,
        r: &dyn Replica,
        xor: u64,
        count: u64,
    ) -> Result<(), SyncError> {
        if root(&r.digest(&self.me.unit)?) != (xor, count) {
            self.outbox.push_back(Frame::DigestWanted);
        }
        Ok(())
    }

    /// The peer asks for the buckets of its scope here.
    pub(super) fn on_digest_wanted(&mut self, r: &dyn Replica) -> Result<(), SyncError> {
        let Some(peer) = &self.peer else {
            return Ok(());
        };
        let buckets = r.digest(&peer.unit)?;
        self.outbox.push_back(Frame::Digest { buckets });
        Ok(())
    }

    /// Changes the peer sent for a `Want` or a differing bucket: applied outside the feed
    /// (no checkpoint).
    pub(super) fn on_repair(
        &mut self,
        r: &dyn Replica,
        authors: &[String],
        changes: Vec<WireChange>,
    ) -> Result<(), SyncError> {
        let envs = from_wire(authors, changes).map_err(|why| self.refuse(why))?;
        let (node, epoch) = self.peer_ids();
        let report = r.ingest(&node, &epoch, &envs, None, true)?;
        for c in &report.cases {
            self.wanted.remove(c);
        }
        self.record(report, false);
        Ok(())
    }

    pub(super) fn on_digest(
        &mut self,
        r: &dyn Replica,
        theirs: Vec<(u32, u64, u32)>,
    ) -> Result<(), SyncError> {
        let mine: BTreeMap<u32, (u64, u32)> = r
            .digest(&self.me.unit)?
            .into_iter()
            .map(|(b, x, n)| (b, (x, n)))
            .collect();
        let theirs: BTreeMap<u32, (u64, u32)> =
            theirs.into_iter().map(|(b, x, n)| (b, (x, n))).collect();
        let differ: BTreeSet<u32> = mine
            .keys()
            .chain(theirs.keys())
            .copied()
            .filter(|b| mine.get(b) != theirs.get(b))
            .collect();
        if !differ.is_empty() {
            self.events.push_back(SessionEvent::Repairing {
                buckets: differ.len() as u32,
            });
        }
        for bucket in differ {
            let cases = r
                .bucket(&self.me.unit, bucket)?
                .into_iter()
                .map(|(c, h)| (unhex(c.as_str()).unwrap_or_default(), h))
                .collect();
            self.outbox.push_back(Frame::Bucket { bucket, cases });
        }
        Ok(())
    }

    pub(super) fn on_bucket(
        &mut self,
        r: &dyn Replica,
        bucket: u32,
        theirs: Vec<(Vec<u8>, u64)>,
    ) -> Result<(), SyncError> {
        let peer_unit =
            self.peer
                .as_ref()
                .map(|p| p.unit.clone())
                .ok_or_else(|| SyncError::Protocol {
                    peer: "?".into(),
                    why: "bucket before hello".into(),
                })?;
        let mut them = BTreeMap::new();
        for (c, h) in theirs {
            let id = case_id(&c).map_err(|why| self.refuse(why))?;
            them.insert(id, h);
        }
        let mine: BTreeMap<CaseId, u64> = r.bucket(&peer_unit, bucket)?.into_iter().collect();
        // Cases the peer lacks or holds differently: send their history (it dedupes).
        let mut envs = Vec::new();
        for (id, h) in &mine {
            if them.get(id) != Some(h) {
                envs.extend(r.history(id, &[], &peer_unit)?);
            }
        }
        // Split by bytes: at district scale a day's bucket is tens of megabytes of history,
        // over the frame limit in one frame.
        self.push_repair(envs);
        // Cases the peer holds that differ here: ask for what this node lacks (never for a
        // drill case purged here).
        for (id, h) in &them {
            if mine.get(id) != Some(h) && !r.purged(id)? {
                let have = r.heads(id)?;
                self.outbox.push_back(Frame::Want {
                    case: unhex(id.as_str()).unwrap_or_default(),
                    have,
                });
            }
        }
        Ok(())
    }

    pub(super) fn send_digest(&mut self, r: &dyn Replica) -> Result<(), SyncError> {
        let Some(peer) = &self.peer else {
            return Ok(());
        };
        let buckets = r.digest(&peer.unit)?;
        if self.digest_in.is_some()
            && let Some((_, signed)) = r.drill_purge()
        {
            // Now and then the purge order again: on a lossy link the first may be lost.
            self.outbox.push_back(Frame::Purge { signed });
        }
        // The root first: when nothing differs (the usual case) that is 20 bytes instead of
        // 16 a day of the scope's history; the buckets follow only when asked for.
        let (xor, count) = root(&buckets);
        self.outbox.push_back(Frame::DigestRoot { xor, count });
        self.digest_in = Some(DIGEST_TICKS);
        Ok(())
    }
}

/// A digest folded into one entry: the XOR of every bucket's hash and the total count.
fn root(buckets: &[(u32, u64, u32)]) -> (u64, u64) {
    buckets
        .iter()
        .fold((0, 0), |(x, n), (_, bx, bn)| (x ^ bx, n + u64::from(*bn)))
}
