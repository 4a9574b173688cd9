//! The receiving fast path (接收快路径): a change that is exactly one move continuing the
//! heads is checked against the trail kept beside the document and appended without
//! loading it.

use super::*;

/// The fast path (接收快路径): checks a case's changes against the trail kept beside its
/// document and appends them to the stored bytes, without loading the document — if every
/// change is one move continuing the heads, the bytes stay under [`APPEND_LIMIT`], and the
/// case enters no new unit's scope (those units are fed its whole history, read from the
/// loaded document). `None` sends the case to the slow path.
pub(super) fn apply_fast(
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
            out.refuse(item.index, Refused::DependsOnRefused, &item.hash);
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
