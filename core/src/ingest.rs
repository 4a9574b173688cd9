//! Receiving changes from peers (接收变更): verify, authorize, apply and log a batch of
//! signed envelopes in one transaction, quarantining anything refused with its reason.
//!
//! Core knows nothing of keys or the roster: the caller passes an [`Authority`] that checks
//! signatures and says what each author node may do. Everything about cases — which units a
//! case belongs to, which moves a role may make — is checked here against the workflow rules.

use automerge::{Automerge, Change};
use std::collections::{BTreeSet, HashMap, HashSet};

use crate::calendar::Millis;
use crate::case::{CaseDoc, CaseId, Intake, actor_for};
use crate::engine::{Engine, EngineError};
use crate::event::{Action, Event, EventId};
use crate::role::Role;
use crate::store::{
    APPEND_LIMIT, CaseSummary, CaseTables, CaseWrite, Envelope, Logged, Store, StoreError,
    feed_scope,
};
use crate::trail::{Trail, append_only};
use crate::unit::{UnitId, UnitKind};

/// What the roster grants an author node (授权): its unit and roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The unit the node works for.
    pub unit: UnitId,
    /// The roles its operators may take at that unit (empty: any role the rules allow).
    pub roles: Vec<Role>,
}

/// Checks signatures and looks up authors (the roster, from the sync layer). Called from
/// several threads at once: a batch's signatures are verified in parallel.
pub trait Authority: Sync {
    /// Verifies the envelope's signature over [`crate::store::signing_bytes`] and returns
    /// what its author may do, or a reason to refuse it (unknown author, revoked, bad
    /// signature).
    fn authorize(&self, envelope: &Envelope, hash: &[u8]) -> Result<Grant, String>;
}

/// Where a batch came from (来源): the peer, its log epoch, and — for a feed batch — the
/// last feed position it covers, recorded as the receive checkpoint (接收检查点).
#[derive(Clone, Debug)]
pub struct Source<'a> {
    /// The peer node that sent it.
    pub peer: &'a str,
    /// The peer's log epoch.
    pub epoch: &'a str,
    /// The last feed position the batch covers (`None` for a repair).
    pub upto: Option<u64>,
    /// Wait for the disk before committing (分批落盘). A batch with more of the same feed
    /// right behind it may commit without: a crash then loses it together with its
    /// checkpoint, and the peer sends it again. Until a durable commit follows, the feed
    /// does not pass its changes on ([`Store::settle`]).
    pub durable: bool,
}

/// What receiving a batch did (接收结果).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Changes applied and logged.
    pub applied: u64,
    /// Changes this store already had.
    pub duplicates: u64,
    /// Changes refused and quarantined, with their reasons.
    pub quarantined: Vec<String>,
    /// Cases whose changes could not be applied yet because changes they depend on are
    /// missing here: repair them with the peer.
    pub missing: BTreeSet<CaseId>,
    /// Cases that changed.
    pub cases: BTreeSet<CaseId>,
    /// Changes of purged drill cases (演练清除), dropped without being applied.
    pub purged: u64,
    /// Cases received on the fast path (接收快路径): checked against their stored trail
    /// and appended without loading their document.
    pub fast: u64,
}

/// A case's document after applying: loaded, or (on the fast path) only its stored bytes
/// with the new changes appended.
enum Body {
    Loaded(Box<CaseDoc>),
    Appended(Vec<u8>),
}

/// The events a case held before a change (变更前的轨迹): their ids, and how many entries
/// the list had — a change adding a second copy of an event shows as an entry too many.
struct Before {
    ids: HashSet<EventId>,
    len: usize,
}

impl Before {
    fn of(events: &[Event]) -> Before {
        Before {
            ids: events.iter().map(|e| e.id.clone()).collect(),
            len: events.len(),
        }
    }
}

/// A case with changes to write.
struct Working {
    body: Body,
    trail: Option<Trail>,
    old_scope: BTreeSet<UnitId>,
    new: Vec<Logged>,
    /// The projection row after the last applied change.
    summary: Option<CaseSummary>,
}

/// One change accepted so far (signed, not a duplicate), waiting to be applied.
struct Item {
    index: usize,
    change: Change,
    hash: Vec<u8>,
    grant: Grant,
    importer: bool,
}

/// A case's accepted changes, in batch order, with what the store holds of it.
struct Group {
    id: CaseId,
    stored: Option<Vec<u8>>,
    trail: Option<Trail>,
    old_scope: BTreeSet<UnitId>,
    items: Vec<Item>,
}

/// What applying a case's changes came to.
struct Outcome {
    id: CaseId,
    body: Body,
    trail: Option<Trail>,
    old_scope: BTreeSet<UnitId>,
    /// Applied: (batch index, hash).
    new: Vec<(usize, Vec<u8>)>,
    summary: Option<CaseSummary>,
    /// Refused: (batch index, why, hash).
    refused: Vec<(usize, String, Vec<u8>)>,
    /// Some change's dependencies are missing here.
    missing: bool,
    /// Quarantined because of something wrong here, not in the change (the stored document
    /// does not load): its hash is not remembered, so the change can come again.
    kept: Vec<(usize, String, Vec<u8>)>,
}

impl Outcome {
    /// Nothing applied or refused yet for `g`'s case.
    fn of(g: &Group) -> Outcome {
        Outcome {
            id: g.id.clone(),
            body: Body::Appended(Vec::new()),
            trail: None,
            old_scope: g.old_scope.clone(),
            new: Vec::new(),
            summary: None,
            refused: Vec::new(),
            missing: false,
            kept: Vec::new(),
        }
    }

    /// Refuses a change of this case (and so every later one that depends on it).
    fn refuse(&mut self, index: usize, why: impl Into<String>, hash: &[u8]) {
        self.refused.push((index, why.into(), hash.to_vec()));
    }

    /// Whether `change` depends on a change of this case refused earlier in the batch.
    fn follows_refused(&self, change: &Change) -> bool {
        change
            .deps()
            .iter()
            .any(|d| self.refused.iter().any(|(_, _, h)| h[..] == d.0[..]))
    }
}

/// Receives a batch of envelopes (in the sender's feed order) on this node, working for
/// `me`: each is verified, authorized and applied, or quarantined with its reason; changes
/// whose dependencies are missing are skipped and their cases reported for repair. Applied
/// changes, updated projections, quarantine entries and the checkpoint are written in one
/// durable transaction, so a crash loses the whole batch or nothing. Applied changes are logged
/// with their origin, so the feed never echoes them back to the same peer and epoch.
pub fn ingest(
    engine: &Engine,
    me: &UnitId,
    batch: &[Envelope],
    authority: &dyn Authority,
    source: Option<Source<'_>>,
    now: Millis,
) -> Result<IngestReport, EngineError> {
    let district = &engine.district;
    let durable = source.as_ref().is_none_or(|s| s.durable);
    let wt = engine.store.begin(durable)?;
    let mut report = IngestReport::default();
    // Each case once, with everything to write for it.
    let mut work: Vec<(CaseId, Working)> = Vec::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let purge_before = Store::drill_purge_in(&wt)?.map(|p| p.before);
    let origin = source
        .as_ref()
        .map(|s| format!("{}@{}", s.peer, s.epoch))
        .unwrap_or_default();
    // Decoding and signature checks need nothing from the store: do them for the whole
    // batch on every core first; what follows (reads, applying, writes) stays in order.
    let pre = prepare(batch, authority);
    // Serially, in batch order: duplicates, and refusals that need no document.
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: HashMap<CaseId, usize> = HashMap::new();
    for (i, (env, (decoded, grant))) in batch.iter().zip(pre).enumerate() {
        let change = match decoded {
            Ok(c) => c,
            Err(e) => {
                let why = format!(
                    "case {}: malformed change from {}: {e}",
                    env.case, env.author
                );
                Store::quarantine_in(&wt, &why, None, &env.change, now)?;
                report.quarantined.push(why);
                continue;
            }
        };
        let hash = change.hash().0.to_vec();
        if seen.contains(&hash) || Store::has_change_in(&wt, &hash)? {
            report.duplicates += 1;
            continue;
        }
        if Store::refused_in(&wt, &hash)?.is_some() {
            report.duplicates += 1;
            continue;
        }
        let grant = match grant.expect("a decoded change was authorized") {
            Ok(g) => g,
            Err(why) => {
                // Not remembered: the signature did not verify, and anyone could otherwise
                // poison a genuine change's hash by sending it with a forged envelope.
                refuse_in(&wt, &mut report, env, &hash, why, false, now)?;
                continue;
            }
        };
        let id = match CaseId::parse(&env.case) {
            Ok(id) => id,
            Err(e) => {
                refuse_in(&wt, &mut report, env, &hash, e.to_string(), true, now)?;
                continue;
            }
        };
        if purge_before.is_some() && Store::purged_in(&wt, &id)? {
            report.purged += 1;
            continue;
        }
        if change
            .deps()
            .iter()
            .any(|d| matches!(Store::refused_in(&wt, &d.0), Ok(Some(_))))
        {
            let why = "depends on a refused change".to_string();
            refuse_in(&wt, &mut report, env, &hash, why, true, now)?;
            continue;
        }
        let importer = district.root().id == grant.unit;
        if !importer && change.actor_id() != &actor_for(&crate::role::NodeId(env.author.clone())) {
            let why = "the change was written by another actor than its signer".to_string();
            refuse_in(&wt, &mut report, env, &hash, why, true, now)?;
            continue;
        }
        seen.insert(hash.clone());
        let g = match group_of.get(&id) {
            Some(g) => *g,
            None => {
                let stored = Store::doc_bytes_in(&wt, &id)?;
                let (old_scope, trail) = if stored.is_some() {
                    (Store::scope_in(&wt, &id)?, Store::trail_in(&wt, &id)?)
                } else {
                    (BTreeSet::new(), None)
                };
                groups.push(Group {
                    id: id.clone(),
                    stored,
                    trail,
                    old_scope,
                    items: Vec::new(),
                });
                group_of.insert(id, groups.len() - 1);
                groups.len() - 1
            }
        };
        groups[g].items.push(Item {
            index: i,
            change,
            hash,
            grant,
            importer,
        });
    }
    // Each case's changes are applied and checked against the workflow on its own: cases in
    // parallel, each case's changes in order.
    let outcomes = run_groups(engine, batch, groups)?;
    let mut refused: Vec<(usize, String, Vec<u8>)> = Vec::new();
    for o in outcomes {
        refused.extend(o.refused);
        for (i, why, hash) in o.kept {
            refuse_in(&wt, &mut report, &batch[i], &hash, why, false, now)?;
        }
        if o.missing {
            report.missing.insert(o.id.clone());
        }
        if !o.new.is_empty() {
            if matches!(o.body, Body::Appended(_)) {
                report.fast += 1;
            }
            work.push((
                o.id,
                Working {
                    body: o.body,
                    trail: o.trail,
                    old_scope: o.old_scope,
                    new: o
                        .new
                        .into_iter()
                        .map(|(i, hash)| Logged {
                            hash,
                            envelope: batch[i].clone(),
                            origin: origin.clone(),
                        })
                        .collect(),
                    summary: o.summary,
                },
            ));
        }
    }
    refused.sort_by_key(|r| r.0);
    for (i, why, hash) in refused {
        refuse_in(&wt, &mut report, &batch[i], &hash, why, true, now)?;
    }
    if !durable && !work.is_empty() {
        Store::mark_unsettled_in(&wt)?;
    }
    let mut tables = CaseTables::open(&wt)?;
    for (id, w) in work {
        if w.new.is_empty() {
            continue;
        }
        let Some(summary) = w.summary else {
            continue;
        };
        if summary.drill && purge_before.is_some_and(|before| summary.reported < before) {
            // A drill case the purge in force removed (or would have): never stored again.
            report.purged += w.new.len() as u64;
            Store::mark_purged_in(&wt, &id, now)?;
            continue;
        }
        let scope = feed_scope(&summary, district);
        // A case stays in the scope of every unit that once saw it.
        if !scope.contains(me) && !w.old_scope.contains(me) {
            // Not (yet) this node's case: a case entering our scope can arrive in two
            // batches, its history before the move that brings it here. Keep nothing and
            // ask for the whole case (the sender answers only if it is in our scope).
            tracing::info!(case = %id, "changes of a case outside this node's scope; repairing");
            report.missing.insert(id);
            continue;
        }
        report.applied += w.new.len() as u64;
        let (doc, saved) = match &w.body {
            Body::Loaded(doc) => (Some(&**doc), None),
            Body::Appended(bytes) => (None, Some(bytes.as_slice())),
        };
        tables.put_case(&CaseWrite {
            id: &id,
            doc,
            trail: w.trail.as_ref(),
            changes: w.new,
            summary: &summary,
            scope: &scope,
            saved,
        })?;
        report.cases.insert(id);
    }
    drop(tables);
    if let Some(Source {
        peer,
        epoch,
        upto: Some(upto),
        ..
    }) = source
    {
        Store::set_received(&wt, peer, epoch, upto)?;
    }
    wt.commit().map_err(StoreError::from)?;
    Ok(report)
}

/// Quarantines a refused change with its reason; remembers its hash (so it is never applied
/// later) only if its signature verified.
fn refuse_in(
    wt: &redb::WriteTransaction,
    report: &mut IngestReport,
    env: &Envelope,
    hash: &[u8],
    why: String,
    signed: bool,
    now: Millis,
) -> Result<(), EngineError> {
    let why = format!(
        "case {} change {} from {}: {why}",
        env.case,
        short(hash),
        env.author
    );
    Store::quarantine_in(wt, &why, signed.then_some(hash), &env.change, now)?;
    report.quarantined.push(why);
    Ok(())
}

/// Applies every group, spread over the cores.
fn run_groups(
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
fn apply_group(engine: &Engine, batch: &[Envelope], g: Group) -> Result<Outcome, EngineError> {
    if let (Some(trail), Some(stored)) = (&g.trail, &g.stored)
        && trail.describes(stored)
        && let Some(out) = apply_fast(engine, batch, &g, trail, stored)
    {
        return Ok(out);
    }
    let district = &engine.district;
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
            let why = format!("the stored document of this case does not load here: {e}");
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
            out.refuse(item.index, "depends on a refused change", &item.hash);
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
            out.refuse(item.index, why, &item.hash);
            continue;
        }
        // Apply in place; a refused change is dropped by going back to the old heads.
        if let Err(e) = doc.apply_change(item.change) {
            doc = doc.fork_at(&heads)?;
            out.refuse(item.index, format!("does not apply: {e}"), &item.hash);
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
                doc = doc.fork_at(&heads)?;
                out.refuse(item.index, why, &item.hash);
            }
        }
    }
    out.trail = last.and_then(|(intake, evs)| Trail::of(&doc, &intake, &evs));
    out.body = Body::Loaded(Box::new(doc));
    Ok(out)
}

/// The fast path (接收快路径): checks a case's changes against the trail kept beside its
/// document and appends them to the stored bytes, without loading the document — if every
/// change is one move continuing the heads, the bytes stay under [`APPEND_LIMIT`], and the
/// case enters no new unit's scope (those units are fed its whole history, read from the
/// loaded document). `None` sends the case to the slow path.
fn apply_fast(
    engine: &Engine,
    batch: &[Envelope],
    g: &Group,
    trail: &Trail,
    stored: &[u8],
) -> Option<Outcome> {
    let extra: usize = g.items.iter().map(|i| batch[i.index].change.len()).sum();
    if stored.len() + extra > APPEND_LIMIT {
        return None;
    }
    let intake = trail.intake()?;
    let mut events = trail.events()?;
    let mut trail = trail.clone();
    let mut bytes = stored.to_vec();
    let mut seen = g.old_scope.clone();
    let mut out = Outcome::of(g);
    for item in &g.items {
        let env = &batch[item.index];
        if out.follows_refused(&item.change) {
            out.refuse(item.index, "depends on a refused change", &item.hash);
            continue;
        }
        let (next, added) = trail.advance(&item.change)?;
        let before = Before::of(&events);
        let mut after = events.clone();
        after.extend(added);
        let checked = check_trail(
            engine,
            &g.id,
            &intake,
            &after,
            &before,
            &seen,
            &item.grant,
            env,
            item.importer,
        );
        match checked {
            Ok(summary) => {
                seen.extend(feed_scope(&summary, &engine.district));
                events = after;
                trail = next;
                bytes.extend_from_slice(&env.change);
                out.summary = Some(summary);
                out.new.push((item.index, item.hash.clone()));
            }
            Err(why) => {
                out.refuse(item.index, why, &item.hash);
            }
        }
    }
    if seen != g.old_scope {
        return None;
    }
    out.body = Body::Appended(bytes);
    out.trail = Some(trail);
    Some(out)
}

/// A change decoded, and its envelope's authorization (none if it did not decode).
type Prepared = (
    Result<Change, automerge::LoadChangeError>,
    Option<Result<Grant, String>>,
);

/// Decodes every change of a batch and authorizes its envelope, on all cores.
fn prepare(batch: &[Envelope], authority: &dyn Authority) -> Vec<Prepared> {
    let one = |env: &Envelope| -> Prepared {
        match Change::from_bytes(env.change.clone()) {
            Ok(c) => {
                let grant = authority.authorize(env, &c.hash().0);
                (Ok(c), Some(grant))
            }
            Err(e) => (Err(e), None),
        }
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || batch.len() < 64 {
        return batch.iter().map(one).collect();
    }
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = batch
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("a decoding thread panicked"))
            .collect()
    })
}

/// Checks one applied change: the document is a readable case, the case is in the author's
/// scope, and every event the change adds was made by the author at a
/// unit it works for, in a role it holds, and is a move the workflow rules allow.
#[allow(clippy::too_many_arguments)]
fn check(
    engine: &Engine,
    id: &CaseId,
    doc: &CaseDoc,
    before: &Before,
    old_scope: &BTreeSet<UnitId>,
    grant: &Grant,
    env: &Envelope,
    importer: bool,
) -> Result<(Intake, Vec<Event>, CaseSummary), String> {
    let doc_id = doc.id().map_err(|e| format!("not a case document: {e}"))?;
    if &doc_id != id {
        return Err(format!("the change belongs to case {doc_id}"));
    }
    let intake = doc
        .intake()
        .map_err(|e| format!("unreadable intake: {e}"))?;
    let events = doc.events().map_err(|e| format!("unreadable trail: {e}"))?;
    let summary = check_trail(
        engine, id, &intake, &events, before, old_scope, grant, env, importer,
    )?;
    Ok((intake, events, summary))
}

/// Checks a case's trail after a change, given the events before it: the case is in the
/// author's scope, and every event the change adds was made by the author at a unit it
/// works for, in a role it holds, and is a move the workflow rules allow. Returns the new
/// projection row.
#[allow(clippy::too_many_arguments)]
fn check_trail(
    engine: &Engine,
    id: &CaseId,
    intake: &Intake,
    events: &[Event],
    before: &Before,
    old_scope: &BTreeSet<UnitId>,
    grant: &Grant,
    env: &Envelope,
    importer: bool,
) -> Result<CaseSummary, String> {
    let district = &engine.district;
    let rules = engine.rules();
    let derived = rules
        .replay(intake, events)
        .map_err(|r| format!("the report is refused: {r}"))?;
    let prior = if old_scope.is_empty() {
        // A new case: its author must work for the grid's community or above it.
        let c = intake.grid.community();
        let mut s: BTreeSet<UnitId> = district.ancestors(&c).into_iter().collect();
        s.insert(c);
        s
    } else {
        old_scope.clone()
    };
    if !importer && !prior.contains(&grant.unit) {
        return Err(format!(
            "the case is outside the author's scope ({})",
            grant.unit
        ));
    }
    let invalid: HashMap<&EventId, &crate::workflow::Refusal> =
        derived.invalid.iter().map(|(e, w)| (e, w)).collect();
    let added: Vec<&Event> = events
        .iter()
        .filter(|e| !before.ids.contains(&e.id))
        .collect();
    let distinct: HashSet<&EventId> = added.iter().map(|e| &e.id).collect();
    if !importer && (events.len() != before.len + added.len() || distinct.len() != added.len()) {
        // A copy of an event already in the trail would replace it in the replay (the
        // earliest copy counts): rewriting history without adding a new event.
        return Err(
            "the change adds a second copy of an event (only new events may be added)".into(),
        );
    }
    for e in added {
        if !importer {
            if e.node.0 != env.author {
                return Err(format!(
                    "event {} names node {} but was signed by {}",
                    e.id, e.node, env.author
                ));
            }
            let dept_at_node = district
                .unit(&e.unit)
                .is_some_and(|u| u.kind == UnitKind::Department)
                && district
                    .unit(&grant.unit)
                    .is_some_and(|u| matches!(u.kind, UnitKind::District | UnitKind::Street));
            if !dept_at_node && !district.is_same_or_above(&grant.unit, &e.unit) {
                return Err(format!(
                    "event {} acts for {} but the author works for {}",
                    e.id, e.unit, grant.unit
                ));
            }
            if e.unit == grant.unit && !grant.roles.is_empty() && !grant.roles.contains(&e.role) {
                return Err(format!(
                    "event {} is made as {} which the author does not hold",
                    e.id,
                    e.role.label_zh()
                ));
            }
        }
        if let Some(why) = invalid.get(&e.id) {
            return Err(format!("move {} is not allowed: {why}", e.action.name()));
        }
        if matches!(e.action, Action::Report) && before.len > 0 {
            return Err("a second report event".into());
        }
    }
    Ok(CaseSummary::build(id, intake, &derived))
}

fn short(hash: &[u8]) -> String {
    hash.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
