//! Bulk import (批量导入): many case records into the store, building documents on worker
//! threads and writing them in large batches. Used by `import`, `generate` and benchmarks.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use crate::doc::case_doc::{CaseDoc, from_hex};
use crate::domain::case_id::CaseId;
use crate::domain::event::Action;
use crate::domain::role::NodeId;
use crate::domain::unit::{District, UnitId};
use crate::engine::changes_of;
use crate::engine::{CaseRecord, EngineError};
use crate::store::{
    CaseSummary, CaseTables, CaseWrite, Logged, Store, StoreError, feed_scope, import_author,
};
use crate::workflow::Rules;

/// Cases per write transaction.
pub const BATCH: usize = 2_000;

/// What an import did (导入结果).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// New cases written.
    pub added: u64,
    /// Cases that already existed and gained changes from the record.
    pub merged: u64,
    /// Cases that already held everything the record has.
    pub unchanged: u64,
}

/// A record made ready for the store.
pub struct Built {
    /// The record's id.
    pub id: crate::domain::case_id::CaseId,
    /// The document.
    pub doc: CaseDoc,
    /// Whether the document came with the record (true) or was rebuilt from its events.
    pub carried: bool,
    /// Its changes, as unsigned envelopes without an author (the importer signs for them).
    pub changes: Vec<Logged>,
    /// The projection row.
    pub summary: CaseSummary,
    /// The record's events (to merge into an existing case when no document came).
    pub events: Vec<crate::domain::event::Event>,
    /// The document saved (done here, on a builder thread, to spare the single writer).
    pub saved: Vec<u8>,
}

fn invalid(msg: String) -> EngineError {
    EngineError::Invalid(msg)
}

/// A unit as an operator reads it: its name and code.
fn unit_name(district: &District, unit: &UnitId) -> String {
    match district.unit(unit) {
        Some(u) => format!("{} ({unit})", u.name),
        None => unit.to_string(),
    }
}

/// Refuses a record this store may not hold (导入范围): a case outside the scope of the
/// node's unit (`sees`, when the store has a node), or one whose 案卷编号 another case
/// already carries (`holder`), naming both.
fn admissible(
    b: &Built,
    sees: Option<&UnitId>,
    district: &District,
    holder: Option<&CaseId>,
) -> Result<(), EngineError> {
    if let Some(unit) = sees
        && !feed_scope(&b.summary, district).contains(unit)
    {
        let concerns: Vec<String> = b
            .summary
            .scope_units()
            .iter()
            .map(|u| unit_name(district, u))
            .collect();
        return Err(invalid(format!(
            "case {} ({}) is outside this node's scope: it concerns {}, which {} does not \
             see; import it at the district or at a unit that sees it",
            b.summary.number,
            b.id,
            concerns.join(", "),
            unit_name(district, unit),
        )));
    }
    if let Some(other) = holder.filter(|other| **other != b.id && !b.summary.number.is_empty()) {
        return Err(invalid(format!(
            "case number {} is already held by case {other}, and the record is case {}: one \
             number names one case, so the record was not imported",
            b.summary.number, b.id
        )));
    }
    Ok(())
}

/// Checks a whole file of records before anything is written (导入检查): each builds (its
/// document loads, its trail replays under the rules), falls in this node's scope, and
/// carries a 案卷编号 no other case in the store or earlier in the file carries. Returns the
/// number of records.
pub fn check<I>(store: &Store, rules: &Rules<'_>, records: I) -> Result<u64, EngineError>
where
    I: Iterator<Item = Result<CaseRecord, EngineError>>,
{
    let sees = store.node()?.map(|n| n.unit);
    let r = store.read()?;
    let mut seen: std::collections::HashMap<String, CaseId> = std::collections::HashMap::new();
    let mut n = 0u64;
    for (i, rec) in records.enumerate() {
        let rec = rec?;
        let id = rec.id.clone();
        let b =
            build(rules, rec).map_err(|e| invalid(format!("record {} (case {id}): {e}", i + 1)))?;
        let number = b.summary.number.clone();
        let holder = match seen.get(&number) {
            Some(other) => Some(other.clone()),
            None => r
                .numbered(&number)?
                .into_iter()
                .find(|other| *other != b.id),
        };
        admissible(&b, sees.as_ref(), rules.district, holder.as_ref())
            .map_err(|e| invalid(format!("record {}: {e}", i + 1)))?;
        seen.insert(number, b.id);
        n += 1;
    }
    Ok(n)
}

/// Builds the document, changes and projection row of one record, refusing it if its
/// document does not decode or belongs to another case, or its trail holds a move the rules
/// refuse (naming the event and the rule).
pub fn build(rules: &Rules<'_>, rec: CaseRecord) -> Result<Built, EngineError> {
    let (doc, carried) = match &rec.document {
        Some(hex) => {
            let bytes = from_hex(hex)
                .ok_or_else(|| invalid(format!("case {}: `document` is not hex", rec.id)))?;
            let doc = CaseDoc::load(&bytes)
                .map_err(|e| invalid(format!("case {}: `document`: {e}", rec.id)))?;
            let id = doc.id()?;
            if id != rec.id {
                return Err(invalid(format!(
                    "record {} carries the document of case {id}",
                    rec.id
                )));
            }
            (doc, true)
        }
        None => {
            let report = rec
                .events
                .iter()
                .find(|e| matches!(e.action, Action::Report))
                .ok_or_else(|| invalid(format!("case {} has no report event", rec.id)))?;
            let mut doc = CaseDoc::create(&rec.id, &rec.intake, report)?;
            for e in rec.events.iter().filter(|e| e.id != report.id) {
                doc.append(e)?;
            }
            (doc, false)
        }
    };
    let intake = doc.intake()?;
    let events = doc.events()?;
    let derived = rules.replay(&intake, &events)?;
    if let Some((id, why)) = derived.invalid.first() {
        return Err(invalid(format!("case {}: event {id}: {why}", rec.id)));
    }
    let changes = changes_of(&doc, &rec.id, &[], "");
    let doc_bytes = doc.save();
    let summary = CaseSummary::build(&rec.id, &intake, &derived);
    Ok(Built {
        id: rec.id,
        doc,
        carried,
        changes,
        summary,
        events: rec.events,
        saved: doc_bytes,
    })
}

/// Imports records from `source` (an iterator yielding records or errors) with `workers`
/// builder threads, as node `importer` (its changes authored `importer+import`, to be signed
/// as an import when first sent); `progress` is called with the number of cases
/// written so far. Batches commit without fsync and the last one with it, so the whole
/// import is durable when this returns. The first error stops the import.
pub fn import<I>(
    store: &Store,
    rules: Rules<'_>,
    importer: &NodeId,
    source: I,
    workers: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, EngineError>
where
    I: Iterator<Item = Result<CaseRecord, EngineError>> + Send,
{
    let workers = workers.max(1);
    let source = Arc::new(Mutex::new(source));
    type Chunk = Result<Vec<Built>, EngineError>;
    let (tx, rx): (SyncSender<Chunk>, Receiver<Chunk>) = sync_channel(workers * 2);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let source = Arc::clone(&source);
            scope.spawn(move || {
                loop {
                    let chunk: Vec<Result<CaseRecord, EngineError>> = {
                        let mut it = source.lock().unwrap_or_else(|p| p.into_inner());
                        it.by_ref().take(256).collect()
                    };
                    if chunk.is_empty() {
                        break;
                    }
                    let built: Chunk = chunk
                        .into_iter()
                        .map(|r| r.and_then(|rec| build(&rules, rec)))
                        .collect();
                    let failed = built.is_err();
                    if tx.send(built).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        write_all(store, rules, importer, rx, progress)
    })
}

fn write_all(
    store: &Store,
    rules: Rules<'_>,
    importer: &NodeId,
    rx: Receiver<Result<Vec<Built>, EngineError>>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ImportReport, EngineError> {
    let mut report = ImportReport::default();
    // Every change of the import is authored as the import (`NODE+import`): peers accept
    // it only if the roster grants this node import and it is signed as one.
    let author = import_author(&importer.0);
    let sees = store.node()?.map(|n| n.unit);
    let mut wt = store.begin(false)?;
    let mut in_batch = 0usize;
    let mut done = 0u64;
    for chunk in rx {
        let chunk = chunk?;
        {
            let mut t = CaseTables::open(&wt)?;
            for b in chunk {
                let holder = t
                    .numbered(&b.summary.number)?
                    .into_iter()
                    .find(|other| *other != b.id);
                admissible(&b, sees.as_ref(), rules.district, holder.as_ref())?;
                if let Some(mut doc) = t.doc(&b.id)? {
                    let before = doc.heads();
                    if b.carried {
                        doc.merge(&b.doc)?;
                    } else {
                        let have: std::collections::HashSet<_> =
                            doc.events()?.into_iter().map(|e| e.id).collect();
                        for e in b.events.iter().filter(|e| !have.contains(&e.id)) {
                            doc.append_as(e, importer)?;
                        }
                    }
                    if doc.heads() == before {
                        report.unchanged += 1;
                    } else {
                        let (intake, events) = (doc.intake()?, doc.events()?);
                        let derived = rules.replay(&intake, &events)?;
                        let summary = CaseSummary::build(&b.id, &intake, &derived);
                        let changes = changes_of(&doc, &b.id, &before, &author);
                        t.put_case(&CaseWrite {
                            id: &b.id,
                            doc: Some(&doc),
                            trail: None,
                            changes,
                            summary: &summary,
                            scope: &feed_scope(&summary, rules.district),
                            saved: None,
                        })?;
                        report.merged += 1;
                    }
                } else {
                    let mut changes = b.changes;
                    for c in &mut changes {
                        c.envelope.author.clone_from(&author);
                    }
                    t.put_case(&CaseWrite {
                        id: &b.id,
                        doc: Some(&b.doc),
                        trail: None,
                        changes,
                        summary: &b.summary,
                        scope: &feed_scope(&b.summary, rules.district),
                        saved: Some(&b.saved),
                    })?;
                    report.added += 1;
                }
                in_batch += 1;
                done += 1;
            }
        }
        // Committed at the first chunk boundary past BATCH cases (the tables above borrow
        // the transaction until then).
        if in_batch >= BATCH {
            wt.commit().map_err(StoreError::from)?;
            progress(done);
            wt = store.begin(false)?;
            in_batch = 0;
        }
    }
    // The final commit is durable, which makes every earlier non-durable batch durable too.
    wt.set_durability(redb::Durability::Immediate)
        .map_err(StoreError::from)?;
    wt.commit().map_err(StoreError::from)?;
    progress(done);
    Ok(report)
}
