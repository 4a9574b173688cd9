//! Drill purge (演练清除) in the store: the order in force, removing drill cases, and the
//! record of what was purged.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::*;

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

impl Store {
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

impl Reader {
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
}
