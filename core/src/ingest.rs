//! Receiving changes from peers (接收变更): verify, authorize, apply and log a batch of
//! signed envelopes in one transaction, quarantining anything refused with its reason.
//!
//! Core knows nothing of keys or the roster: the caller passes an [`Authority`] that checks
//! signatures and says what each author node may do. Everything about cases — which units a
//! case belongs to, which moves a role may make — is checked here against the workflow rules.

use automerge::{Automerge, Change, ReadDoc};
use std::collections::{BTreeSet, HashMap, HashSet};

use crate::calendar::Millis;
use crate::case::{CaseDoc, CaseId, actor_for};
use crate::engine::{Engine, EngineError};
use crate::event::{Action, EventId};
use crate::role::Role;
use crate::store::{CaseSummary, CaseWrite, Envelope, Logged, Store, StoreError, feed_scope};
use crate::unit::{UnitId, UnitKind};

/// What the roster grants an author node (授权): its unit and roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The unit the node works for.
    pub unit: UnitId,
    /// The roles its operators may take at that unit (empty: any role the rules allow).
    pub roles: Vec<Role>,
}

/// Checks signatures and looks up authors (the roster, from the sync layer).
pub trait Authority {
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
}

struct Working {
    doc: CaseDoc,
    old_scope: BTreeSet<UnitId>,
    new: Vec<Logged>,
    /// The trail's event ids as of the last applied change (decoded once per case).
    events: Option<HashSet<EventId>>,
    /// The projection row after the last applied change.
    summary: Option<CaseSummary>,
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
    let wt = engine.store.begin(true)?;
    let mut report = IngestReport::default();
    let mut work: HashMap<CaseId, Working> = HashMap::new();
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let origin = source
        .as_ref()
        .map(|s| format!("{}@{}", s.peer, s.epoch))
        .unwrap_or_default();
    for env in batch {
        let change = match Change::from_bytes(env.change.clone()) {
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
        // A refusal remembers the change's hash (so it is never applied later) only once the
        // signature has verified: otherwise anyone could poison a genuine change's hash by
        // sending it with a forged envelope.
        let refuse =
            |why: String, report: &mut IngestReport, signed: bool| -> Result<(), EngineError> {
                let why = format!(
                    "case {} change {} from {}: {why}",
                    env.case,
                    short(&hash),
                    env.author
                );
                let remember = signed.then_some(hash.as_slice());
                Store::quarantine_in(&wt, &why, remember, &env.change, now)?;
                report.quarantined.push(why);
                Ok(())
            };
        let grant = match authority.authorize(env, &hash) {
            Ok(g) => g,
            Err(why) => {
                refuse(why, &mut report, false)?;
                continue;
            }
        };
        let id = match CaseId::parse(&env.case) {
            Ok(id) => id,
            Err(e) => {
                refuse(e.to_string(), &mut report, true)?;
                continue;
            }
        };
        if change
            .deps()
            .iter()
            .any(|d| matches!(Store::refused_in(&wt, &d.0), Ok(Some(_))))
        {
            refuse("depends on a refused change".into(), &mut report, true)?;
            continue;
        }
        let importer = district.root().id == grant.unit;
        if !importer && change.actor_id() != &actor_for(&crate::role::NodeId(env.author.clone())) {
            refuse(
                "the change was written by another actor than its signer".into(),
                &mut report,
                true,
            )?;
            continue;
        }
        if !work.contains_key(&id) {
            let (doc, old_scope) = if Store::contains_in(&wt, &id)? {
                (Store::doc_in(&wt, &id)?, Store::scope_in(&wt, &id)?)
            } else {
                (CaseDoc::from_automerge(Automerge::new()), BTreeSet::new())
            };
            work.insert(
                id.clone(),
                Working {
                    doc,
                    old_scope,
                    new: Vec::new(),
                    events: None,
                    summary: None,
                },
            );
        }
        let w = work.get_mut(&id).expect("inserted above");
        let doc = w.doc.automerge();
        if change
            .deps()
            .iter()
            .any(|d| doc.get_change_by_hash(d).is_none())
        {
            report.missing.insert(id);
            continue;
        }
        let heads = doc.get_heads();
        if w.events.is_none() {
            w.events = Some(if heads.is_empty() {
                HashSet::new()
            } else {
                w.doc.events()?.into_iter().map(|e| e.id).collect()
            });
        }
        let before = w.events.as_ref().expect("set above");
        // Apply in place; a refused change is dropped by going back to the old heads.
        if let Err(e) = w.doc.apply_change(change) {
            w.doc = w.doc.fork_at(&heads)?;
            refuse(format!("does not apply: {e}"), &mut report, true)?;
            continue;
        }
        // The case's scope before this change: what this node held, grown by the changes of
        // this batch applied before it (a case can enter a territory and be moved there by
        // that territory's unit within one batch).
        let grown: BTreeSet<UnitId>;
        let prior = match &w.summary {
            Some(s) => {
                grown = w
                    .old_scope
                    .union(&feed_scope(s, district))
                    .cloned()
                    .collect();
                &grown
            }
            None => &w.old_scope,
        };
        match check(engine, &id, &w.doc, before, prior, &grant, env, importer) {
            Ok((events, summary)) => {
                w.events = Some(events.into_iter().map(|e| e.id).collect());
                w.summary = Some(summary);
            }
            Err(why) => {
                w.doc = w.doc.fork_at(&heads)?;
                refuse(why, &mut report, true)?;
                continue;
            }
        }
        w.new.push(Logged {
            hash: hash.clone(),
            envelope: env.clone(),
            origin: origin.clone(),
        });
        seen.insert(hash);
    }
    for (id, w) in work {
        if w.new.is_empty() {
            continue;
        }
        let Some(summary) = w.summary else {
            continue;
        };
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
        Store::put_case(
            &wt,
            &CaseWrite {
                id: &id,
                doc: &w.doc,
                changes: w.new,
                summary: &summary,
                scope: &scope,
                saved: None,
            },
        )?;
        report.cases.insert(id);
    }
    if let Some(Source {
        peer,
        epoch,
        upto: Some(upto),
    }) = source
    {
        Store::set_received(&wt, peer, epoch, upto)?;
    }
    wt.commit().map_err(StoreError::from)?;
    Ok(report)
}

/// Checks one applied change: the document is a readable case, the case is in the author's
/// scope, and every event the change adds was made by the author at a
/// unit it works for, in a role it holds, and is a move the workflow rules allow.
#[allow(clippy::too_many_arguments)]
fn check(
    engine: &Engine,
    id: &CaseId,
    doc: &CaseDoc,
    before: &HashSet<EventId>,
    old_scope: &BTreeSet<UnitId>,
    grant: &Grant,
    env: &Envelope,
    importer: bool,
) -> Result<(Vec<crate::event::Event>, CaseSummary), String> {
    let district = &engine.district;
    let rules = engine.rules();
    let doc_id = doc.id().map_err(|e| format!("not a case document: {e}"))?;
    if &doc_id != id {
        return Err(format!("the change belongs to case {doc_id}"));
    }
    let intake = doc
        .intake()
        .map_err(|e| format!("unreadable intake: {e}"))?;
    let events = doc.events().map_err(|e| format!("unreadable trail: {e}"))?;
    let derived = rules
        .replay(&intake, &events)
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
    for e in events.iter().filter(|e| !before.contains(&e.id)) {
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
        if matches!(e.action, Action::Report) && !before.is_empty() {
            return Err("a second report event".into());
        }
    }
    let summary = CaseSummary::build(id, &intake, &derived);
    Ok((events, summary))
}

fn short(hash: &[u8]) -> String {
    hash.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
