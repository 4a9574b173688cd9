//! The slow path (常规路径): each case's changes applied to its loaded Automerge document,
//! in order, every one checked; the cases spread over the cores.

use super::*;
use crate::doc::case_doc::DocError;

/// Applies every group, spread over the cores.
pub(super) fn run_groups(
    engine: &Engine,
    batch: &[Envelope],
    groups: Vec<Group>,
) -> Result<Vec<Outcome>, EngineError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || groups.len() < 16 {
        return groups
            .into_iter()
            .map(|g| apply_group(engine, batch, g))
            .collect();
    }
    // Deal the groups round-robin so each thread gets a fair share of large and small ones.
    let mut parts: Vec<Vec<Group>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, g) in groups.into_iter().enumerate() {
        parts[i % threads].push(g);
    }
    let results: Vec<Result<Vec<Outcome>, EngineError>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    part.into_iter()
                        .map(|g| apply_group(engine, batch, g))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("an ingest thread panicked"))
            .collect()
    });
    let mut out = Vec::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

/// Applies one case's changes in order: each must find its dependencies, apply, and pass
/// [`check`]; a refused one is rolled back and later ones that depend on it are refused.
pub(super) fn apply_group(
    engine: &Engine,
    batch: &[Envelope],
    g: Group,
) -> Result<Outcome, EngineError> {
    if let (Some(trail), Some(stored)) = (&g.trail, &g.stored)
        && trail.describes(stored)
        && let Some(out) = apply_fast(engine, batch, &g, trail, stored)
    {
        return Ok(out);
    }
    let district = &engine.district;
    let stored = g.stored.clone();
    let loaded = match &g.stored {
        Some(bytes) => CaseDoc::load(bytes),
        None => Ok(CaseDoc::from_automerge(Automerge::new())),
    };
    let mut doc = match loaded {
        Ok(doc) => doc,
        Err(e) => {
            // One unreadable case must not stall the whole feed: its changes wait in
            // quarantine (not remembered as refused), the rest of the batch goes on.
            tracing::error!(case = %g.id, "the stored case document does not load: {e}");
            let why = Refused::StoredDocUnreadable(e.to_string());
            let mut out = Outcome::of(&g);
            out.kept = g
                .items
                .into_iter()
                .map(|i| (i.index, why.clone(), i.hash))
                .collect();
            return Ok(out);
        }
    };
    let mut out = Outcome::of(&g);
    let mut events: Option<Before> = None;
    let mut seen: BTreeSet<UnitId> = g.old_scope.clone();
    // The intake and events after the last change applied, for the trail kept beside.
    let mut last: Option<(Intake, Vec<Event>)> = None;
    for item in g.items {
        let env = &batch[item.index];
        if out.follows_refused(&item.change) {
            out.refuse(item.index, Refused::DependsOnRefused, &item.hash);
            continue;
        }
        let am = doc.automerge();
        let heads = am.get_heads();
        // Most changes continue the heads; only others need a lookup in the history.
        if item
            .change
            .deps()
            .iter()
            .any(|d| !heads.contains(d) && am.get_change_meta_by_hash(d).is_none())
        {
            out.missing = true;
            continue;
        }
        if events.is_none() {
            events = Some(if heads.is_empty() {
                Before::of(&[])
            } else {
                Before::of(&doc.events()?)
            });
        }
        let before = events.as_ref().expect("set above");
        if !item.importer
            && let Err(why) = append_only(&item.change, heads.is_empty())
        {
            out.refuse(item.index, Refused::NotAppendOnly(why), &item.hash);
            continue;
        }
        // Apply in place; a refused change is dropped by going back to the old heads.
        if let Err(e) = doc.apply_change(item.change) {
            doc = roll_back(
                &doc,
                &heads,
                matches!(e, DocError::Poisoned),
                &stored,
                batch,
                &out.new,
            )?;
            out.refuse(item.index, Refused::DoesNotApply(e.to_string()), &item.hash);
            continue;
        }
        // The case's scope before this change: what this node held, grown by every change
        // of this batch applied before it — a case can enter a territory and be moved there
        // by that territory's unit within one batch, and a concurrent branch applied later
        // in the batch must not take that growth back (scope only grows).
        let prior = &seen;
        match check(
            engine,
            &g.id,
            &doc,
            before,
            prior,
            &item.grant,
            env,
            item.importer,
        ) {
            Ok((intake, evs, summary)) => {
                seen.extend(feed_scope(&summary, district));
                events = Some(Before::of(&evs));
                last = Some((intake, evs));
                out.summary = Some(summary);
                out.new.push((item.index, item.hash));
            }
            Err(why) => {
                doc = roll_back(&doc, &heads, false, &stored, batch, &out.new)?;
                out.refuse(item.index, why, &item.hash);
            }
        }
    }
    out.trail = last.and_then(|(intake, evs)| Trail::of(&doc, &intake, &evs));
    out.body = Body::Loaded(Box::new(doc));
    Ok(out)
}

/// The document without a refused change: forked at the heads before it, or — when
/// Automerge failed inside (`poisoned`, or the fork itself fails so) — loaded again from the
/// stored bytes with this batch's applied changes.
fn roll_back(
    doc: &CaseDoc,
    heads: &[automerge::ChangeHash],
    poisoned: bool,
    stored: &Option<Vec<u8>>,
    batch: &[Envelope],
    applied: &[(usize, Vec<u8>)],
) -> Result<CaseDoc, EngineError> {
    if !poisoned {
        match doc.fork_at(heads) {
            Ok(d) => return Ok(d),
            // Any failure to fork (a panic caught, or an error on a copy Automerge left
            // inconsistent) reloads the case rather than failing the whole batch.
            Err(e) => tracing::warn!("forking a case back failed: {e}"),
        }
    }
    tracing::warn!("Automerge failed on a received change; the case is loaded again");
    reload(stored, batch, applied)
}

/// The stored document of a case (none: a new one) with the changes at `applied` (batch
/// indices, in order) applied again: after Automerge failed on a copy in memory.
fn reload(
    stored: &Option<Vec<u8>>,
    batch: &[Envelope],
    applied: &[(usize, Vec<u8>)],
) -> Result<CaseDoc, EngineError> {
    let mut doc = match stored {
        Some(bytes) => CaseDoc::load(bytes)?,
        None => CaseDoc::from_automerge(Automerge::new()),
    };
    for (i, _) in applied {
        let change = Change::from_bytes(batch[*i].change.clone()).map_err(|e| {
            EngineError::Invalid(format!("an applied change no longer decodes: {e}"))
        })?;
        doc.apply_change(change)?;
    }
    Ok(doc)
}
