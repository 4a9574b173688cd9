//! Queries on one snapshot of the store (查询): the inbox, queues, lists by grid, category
//! and time, search. None of them loads a document.

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata};

use super::*;

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
    pub(super) rt: ReadTransaction,
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
        let mut ids = self.numbered(key.trim())?;
        match ids.len() {
            0 => Ok(None),
            1 => self.summary(&ids.remove(0)),
            _ => Err(StoreError::AmbiguousNumber {
                number: key.trim().to_string(),
                ids: ids.into_iter().map(|id| id.0).collect(),
            }),
        }
    }

    /// The cases that carry 案卷编号 `number`: one normally, none when it is unknown.
    pub fn numbered(&self, number: &str) -> Result<Vec<CaseId>, StoreError> {
        numbered_in(&self.rt.open_table(IDX_NUMBER)?, number)
    }

    /// A unit's inbox (待办): cases `holder` holds, or handles while they are handled (a
    /// department's queue), in any of `states`, filtered by light at `now`, most urgent
    /// first, at most `limit`. Reads only the holder index, then the rows it returns.
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
        load_doc(&self.rt.open_table(DOCS)?, id)
    }
}
