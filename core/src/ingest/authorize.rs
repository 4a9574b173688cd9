//! Decoding and authorizing (验签授权) a batch's envelopes, on all cores, and what the
//! author's grant allows: the case in its scope, each event its own, at its unit, in its role,
//! and a move the rules allow.

use super::*;

/// A change decoded, and its envelope's authorization (none if it did not decode).
pub(super) type Prepared = (Result<Change, String>, Option<Result<Grant, String>>);

/// Whether `bytes` are one uncompressed change chunk whose checksum is its hash's: Automerge
/// parses a change without checking the checksum, but refuses it when loading a document
/// the bytes were appended to (found by fuzzing the fast path, which appends them as sent).
pub(super) fn checksum_ok(bytes: &[u8], change: &Change) -> bool {
    bytes.len() > 9 && bytes[8] == 1 && bytes[4..8] == change.hash().0[..4]
}

/// Decodes every change of a batch and authorizes its envelope, on all cores.
pub(super) fn prepare(batch: &[Envelope], authority: &dyn Authority) -> Vec<Prepared> {
    let one = |env: &Envelope| -> Prepared {
        match Change::from_bytes(env.change.clone()) {
            Ok(c) if !checksum_ok(&env.change, &c) => (
                Err(
                    "the change's checksum does not match its contents (or it is compressed)"
                        .into(),
                ),
                None,
            ),
            // gridloop never writes extra bytes (Automerge's author footer): Automerge
            // 0.12 asserts (panics) on an author in any change but an actor's first.
            Ok(c) if !c.extra_bytes().is_empty() || c.author().is_some() => (
                Err(
                    "the change carries extra bytes (an author footer), which gridloop never \
                     writes"
                        .into(),
                ),
                None,
            ),
            Ok(c) => {
                let grant = authority.authorize(env, &c.hash().0, c.timestamp());
                (Ok(c), Some(grant))
            }
            Err(e) => (Err(e.to_string()), None),
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
pub(super) fn check(
    engine: &Engine,
    id: &CaseId,
    doc: &CaseDoc,
    before: &Before,
    old_scope: &BTreeSet<UnitId>,
    grant: &Grant,
    env: &Envelope,
    importer: bool,
) -> Result<(Intake, Vec<Event>, CaseSummary), Refused> {
    let doc_id = doc
        .id()
        .map_err(|e| Refused::NotCaseDocument(e.to_string()))?;
    if &doc_id != id {
        return Err(Refused::OtherCase(doc_id));
    }
    let intake = doc
        .intake()
        .map_err(|e| Refused::UnreadableIntake(e.to_string()))?;
    let events = doc
        .events()
        .map_err(|e| Refused::UnreadableTrail(e.to_string()))?;
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
pub(super) fn check_trail(
    engine: &Engine,
    id: &CaseId,
    intake: &Intake,
    events: &[Event],
    before: &Before,
    old_scope: &BTreeSet<UnitId>,
    grant: &Grant,
    env: &Envelope,
    importer: bool,
) -> Result<CaseSummary, Refused> {
    let rules = engine.rules();
    // Units are judged by the configuration version in force when each event was made, as
    // the rules are (a unit a later version adds or moves is known only from then on).
    let district_at = |t| rules.in_force(t).map_or(rules.district, |r| r.district);
    let derived = rules
        .replay(intake, events)
        .map_err(Refused::ReportRefused)?;
    let prior = if old_scope.is_empty() {
        // A new case: its author must work for the grid's community or above it.
        let reported = events
            .iter()
            .filter(|e| matches!(e.action, Action::Report))
            .map(Event::millis)
            .min()
            .unwrap_or_default();
        let district = district_at(reported);
        let c = intake.grid.community();
        let mut s: BTreeSet<UnitId> = district.ancestors(&c).into_iter().collect();
        s.insert(c);
        s
    } else {
        old_scope.clone()
    };
    if !importer && !prior.contains(&grant.unit) {
        return Err(Refused::OutsideScope(grant.unit.clone()));
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
        return Err(Refused::SecondCopy);
    }
    for e in added {
        if !importer {
            let district = district_at(e.millis());
            if e.node.0 != env.author {
                return Err(Refused::NodeNotSigner {
                    event: e.id.clone(),
                    node: e.node.clone(),
                    author: env.author.clone(),
                });
            }
            may_act_as(district, grant, &e.unit, e.role, &e.id)?;
        }
        if let Some(why) = invalid.get(&e.id) {
            return Err(Refused::MoveRefused {
                action: e.action.name().to_string(),
                refusal: (*why).clone(),
            });
        }
        if matches!(e.action, Action::Report) && before.len > 0 {
            return Err(Refused::SecondReport);
        }
    }
    Ok(CaseSummary::build(id, intake, &derived))
}

/// Whether a node with `grant` may make a move for `unit` in `role` (以此身份办理): the unit
/// is its own or one below it (or a department, from a street or district node), and at its
/// own unit the role is one the roster grants it. Every peer checks this on receipt; a node
/// checks it before making a move, so it never makes one its peers would refuse.
pub fn may_act_as(
    district: &crate::domain::unit::District,
    grant: &Grant,
    unit: &UnitId,
    role: Role,
    event: &EventId,
) -> Result<(), Refused> {
    let dept_at_node = district
        .unit(unit)
        .is_some_and(|u| u.kind == UnitKind::Department)
        && district
            .unit(&grant.unit)
            .is_some_and(|u| matches!(u.kind, UnitKind::District | UnitKind::Street));
    if !dept_at_node && !district.is_same_or_above(&grant.unit, unit) {
        return Err(Refused::UnitNotAuthors {
            event: event.clone(),
            unit: unit.clone(),
            author_unit: grant.unit.clone(),
        });
    }
    if *unit == grant.unit && !grant.roles.is_empty() && !grant.roles.contains(&role) {
        return Err(Refused::RoleNotHeld {
            event: event.clone(),
            role,
        });
    }
    Ok(())
}
