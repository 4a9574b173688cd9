//! Projection rebuild (重建摘要): replays every stored document into a fresh projection and
//! indexes, when a store written by an older version opens (its documents, log and feeds are
//! kept as they are). Crash-safe: the version is written only at the end, so an interrupted
//! rebuild starts over.

use crate::doc::case_doc::CaseDoc;
use crate::domain::case_id::CaseId;
use crate::engine::{Engine, EngineError};
use crate::store::CaseSummary;

/// Cases replayed per write transaction.
const CHUNK: usize = 4_096;

/// What a rebuild did (重建结果).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Cases whose projection row was rebuilt.
    pub cases: u64,
    /// Cases whose document no longer replays, with why (kept in the store, left out of the
    /// projection).
    pub failed: Vec<(CaseId, String)>,
}

/// Rebuilds the projection if the store's is stale; `progress(done, total)` is called after
/// every chunk. Returns `None` when nothing needed rebuilding.
pub fn rebuild_if_stale(
    engine: &Engine,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Option<Rebuilt>, EngineError> {
    if !engine.store.projection_stale() {
        return Ok(None);
    }
    rebuild_projection(engine, progress).map(Some)
}

/// Replays every document on all cores and writes a fresh projection.
pub fn rebuild_projection(
    engine: &Engine,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Rebuilt, EngineError> {
    let store = &engine.store;
    let ids = store.doc_ids()?;
    let total = ids.len() as u64;
    tracing::info!(
        cases = total,
        "rebuilding the projection from the documents"
    );
    store.clear_projection()?;
    let mut out = Rebuilt::default();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    for chunk in ids.chunks(CHUNK) {
        let docs = store.doc_bytes(chunk)?;
        let per = docs.len().div_ceil(workers).max(1);
        let results: Vec<Result<CaseSummary, (CaseId, String)>> = std::thread::scope(|sc| {
            let handles: Vec<_> = docs
                .chunks(per)
                .map(|part| {
                    sc.spawn(move || {
                        part.iter()
                            .map(|(id, b)| summarize(engine, id, b))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("replay worker panicked"))
                .collect()
        });
        let mut rows = Vec::with_capacity(results.len());
        for r in results {
            match r {
                Ok(s) => rows.push(s),
                Err((id, why)) => {
                    tracing::warn!(case = %id.0, %why, "case left out of the rebuilt projection");
                    out.failed.push((id, why));
                }
            }
        }
        store.put_projection(&rows)?;
        out.cases += rows.len() as u64;
        progress(out.cases + out.failed.len() as u64, total);
    }
    store.finish_rebuild()?;
    tracing::info!(
        cases = out.cases,
        failed = out.failed.len(),
        "projection rebuilt"
    );
    Ok(out)
}

fn summarize(engine: &Engine, id: &CaseId, bytes: &[u8]) -> Result<CaseSummary, (CaseId, String)> {
    let fail = |e: String| (id.clone(), e);
    let doc = CaseDoc::load(bytes).map_err(|e| fail(e.to_string()))?;
    let intake = doc.intake().map_err(|e| fail(e.to_string()))?;
    let events = doc.events().map_err(|e| fail(e.to_string()))?;
    let derived = engine
        .rules()
        .replay(&intake, &events)
        .map_err(|e| fail(e.to_string()))?;
    Ok(CaseSummary::build(id, &intake, &derived))
}
