//! Receiving changes from peers (接收变更): verify, authorize, apply and log a batch of
//! signed envelopes in one transaction, quarantining anything refused with its reason.
//!
//! Core knows nothing of keys or the roster: the caller passes an [`Authority`] that checks
//! signatures and says what each author node may do. Everything about cases — which units a
//! case belongs to, which moves a role may make — is checked here against the workflow rules.

use automerge::{Automerge, Change};
use std::collections::{BTreeSet, HashMap, HashSet};

use crate::doc::case_doc::{CaseDoc, actor_for};
use crate::doc::trail::{Trail, append_only};
use crate::domain::calendar::Millis;
use crate::domain::case_id::CaseId;
use crate::domain::event::{Action, Event, EventId};
use crate::domain::intake::Intake;
use crate::domain::role::Role;
use crate::domain::unit::{UnitId, UnitKind};
use crate::engine::{Engine, EngineError};
use crate::store::{
    APPEND_LIMIT, CaseSummary, CaseTables, CaseWrite, Envelope, Logged, QuarantineLimits, Refusal,
    Store, StoreError, feed_scope,
};

mod authorize;
mod batch;
mod fast;
mod refused;
mod slow;

pub use authorize::may_act_as;
use authorize::*;
use batch::*;
use fast::*;
pub use refused::{Quarantine, Refused};
use slow::*;

/// What the roster grants an author node (授权): its unit and roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The unit the node works for.
    pub unit: UnitId,
    /// The roles its operators may take at that unit (empty: any role the rules allow).
    pub roles: Vec<Role>,
    /// The change is part of a bulk import (批量导入) by a node the roster grants import,
    /// signed as such: it may carry other nodes' events, so the per-move checks that tie a
    /// change to its author do not apply. Every other change passes every check, whichever
    /// unit its author works for.
    pub import: bool,
}

/// Checks signatures and looks up authors (the roster, from the sync layer). Called from
/// several threads at once: a batch's signatures are verified in parallel.
pub trait Authority: Sync {
    /// Verifies the envelope's signature over [`crate::store::signing_bytes`] (or, for an
    /// import's author, [`crate::store::import_signing_bytes`]) and returns what its author
    /// may do, or a reason to refuse it (unknown author, revoked before `made` — the time
    /// the change says it was made —, import not granted, bad signature).
    fn authorize(&self, envelope: &Envelope, hash: &[u8], made: Millis) -> Result<Grant, String>;
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
    /// Changes refused and quarantined, with their typed reasons.
    pub quarantined: Vec<Quarantine>,
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
    let limits = engine.store.quarantine_limits();
    // Quarantine caps count per peer node, whatever epoch it names (a hostile peer could
    // otherwise get a fresh cap with every new epoch).
    let peer = source.as_ref().map(|s| s.peer).unwrap_or_default();
    let refuse_in =
        |wt: &redb::WriteTransaction,
         report: &mut IngestReport,
         env: &Envelope,
         hash: &[u8],
         why: Refused,
         signed: bool,
         now: Millis| { refuse_in(wt, report, env, hash, why, signed, now, peer, limits) };
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
                let q = Quarantine {
                    case: env.case.clone(),
                    change: None,
                    author: env.author.clone(),
                    why: Refused::Malformed(e),
                };
                let r = Refusal {
                    reason: &q.to_string(),
                    hash: None,
                    remember: false,
                    peer,
                    bytes: &env.change,
                };
                Store::quarantine_in(&wt, &r, now, limits)?;
                report.quarantined.push(q);
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
                let why = Refused::Unauthorized(why);
                refuse_in(&wt, &mut report, env, &hash, why, false, now)?;
                continue;
            }
        };
        let id = match CaseId::parse(&env.case) {
            Ok(id) => id,
            Err(e) => {
                refuse_in(
                    &wt,
                    &mut report,
                    env,
                    &hash,
                    Refused::BadCaseId(e),
                    true,
                    now,
                )?;
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
            let why = Refused::DependsOnRefused;
            refuse_in(&wt, &mut report, env, &hash, why, true, now)?;
            continue;
        }
        // Only an import signed as such (and granted by the roster) carries other nodes'
        // events; a change by the district's own node passes every check like any other.
        let importer = grant.import;
        if !importer
            && change.actor_id() != &actor_for(&crate::domain::role::NodeId(env.author.clone()))
        {
            let why = Refused::ActorNotSigner;
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
    let mut refused: Vec<(usize, Refused, Vec<u8>)> = Vec::new();
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

/// Quarantines a refused change with its reason and the peer it came from; remembers its
/// hash (so it is never applied later) only if its signature verified.
#[allow(clippy::too_many_arguments)]
fn refuse_in(
    wt: &redb::WriteTransaction,
    report: &mut IngestReport,
    env: &Envelope,
    hash: &[u8],
    why: Refused,
    signed: bool,
    now: Millis,
    peer: &str,
    limits: QuarantineLimits,
) -> Result<(), EngineError> {
    let q = Quarantine {
        case: env.case.clone(),
        change: Some(short(hash)),
        author: env.author.clone(),
        why,
    };
    let r = Refusal {
        reason: &q.to_string(),
        hash: Some(hash),
        remember: signed,
        peer,
        bytes: &env.change,
    };
    Store::quarantine_in(wt, &r, now, limits)?;
    report.quarantined.push(q);
    Ok(())
}

fn short(hash: &[u8]) -> String {
    hash.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
