//! The decoded trail kept beside a stored case (案卷轨迹): what receiving a change needs of
//! the case without loading its Automerge document — the heads, the events list and the
//! element id of each event, each actor's last change, the intake and the events.
//!
//! Every move is one change that continues the heads and inserts one event into the events
//! list. [`Trail::advance`] recognises exactly that shape and yields the trail after it and
//! the events it adds, so [`crate::ingest`] checks the move and appends the change's bytes
//! to the stored document without loading it (接收快路径). Anything else — a change beside
//! other heads, an op elsewhere in the document, an actor's sequence out of step — is left
//! to the slow path, which loads and applies with Automerge.

use automerge::legacy::{ElementId, Key, ObjectId, OpType};
use automerge::{ActorId, Change, ChangeHash, ROOT, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use crate::doc::case_doc::{CaseDoc, decode_safely, event_from_json, event_json};
use crate::domain::event::Event;
use crate::domain::intake::Intake;

/// An operation id inside a trail: (counter, index into [`Trail`]'s actors).
type OpRef = (u64, u32);

/// What ingest needs of a stored case, valid for exactly the document at `heads` (案卷轨迹).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trail {
    /// The stored bytes this trail describes: their length and a hash (set when it is
    /// written beside them; a trail that does not match the bytes is not used).
    stored: (u64, u64),
    /// The heads of the document this trail describes.
    heads: Vec<[u8; 32]>,
    /// The largest operation counter in the document.
    max_op: u64,
    /// Every actor that wrote to the document, with the sequence number and hash of its
    /// last change.
    actors: Vec<(Vec<u8>, u64, [u8; 32])>,
    /// The events list object.
    list: OpRef,
    /// The element id of every entry of the events list.
    elems: Vec<OpRef>,
    /// The intake, as JSON.
    intake: String,
    /// The events, as the JSON the document stores.
    events: Vec<String>,
}

impl Trail {
    /// The trail of a loaded document whose intake and events were read already. `None`
    /// if the document has no events list (not a case document).
    pub fn of(doc: &CaseDoc, intake: &Intake, events: &[Event]) -> Option<Trail> {
        let am = doc.automerge();
        let mut t = Trail {
            stored: (0, 0),
            heads: am.get_heads().iter().map(|h| h.0).collect(),
            max_op: 0,
            actors: Vec::new(),
            list: (0, 0),
            elems: Vec::new(),
            intake: serde_json::to_string(intake).ok()?,
            events: events.iter().map(event_json).collect(),
        };
        for m in am.get_changes_meta(&[]) {
            t.max_op = t.max_op.max(m.max_op);
            let i = t.actor(m.actor.to_bytes()) as usize;
            let a = &mut t.actors[i];
            if m.seq > a.1 {
                (a.1, a.2) = (m.seq, m.hash.0);
            }
        }
        let (_, list) = am.get(ROOT, "events").ok()??;
        t.list = t.op_ref(&list)?;
        for item in am.list_range(&list, ..) {
            let e = t.op_ref(&item.id())?;
            t.elems.push(e);
        }
        (t.elems.len() == events.len()).then_some(t)
    }

    /// This trail, marked as describing exactly `stored` (the document bytes written with it).
    pub fn stamped(&self, stored: &[u8]) -> Trail {
        Trail {
            stored: stamp(stored),
            ..self.clone()
        }
    }

    /// Whether this trail was written beside exactly these stored bytes: a writer that knows
    /// nothing of trails (an older program) can have moved the document on.
    pub fn describes(&self, stored: &[u8]) -> bool {
        self.stored == stamp(stored)
    }

    /// The document heads this trail describes.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.heads.iter().map(|h| ChangeHash(*h)).collect()
    }

    /// The intake, parsed.
    pub fn intake(&self) -> Option<Intake> {
        serde_json::from_str(&self.intake).ok()
    }

    /// The events, parsed.
    pub fn events(&self) -> Option<Vec<Event>> {
        self.events.iter().map(|e| event_from_json(e)).collect()
    }

    /// If `change` continues exactly these heads and only inserts events into the events
    /// list (one move), the trail after it and the events it adds; `None` for any other
    /// change, which must be loaded and applied with Automerge.
    pub fn advance(&self, change: &Change) -> Option<(Trail, Vec<Event>)> {
        // The change's dependencies are the heads, plus perhaps an actor's own last change
        // (Automerge names it even when a head already follows it): nothing outside.
        let deps = change.deps();
        let continues = self.heads.iter().all(|h| deps.iter().any(|d| d.0 == *h))
            && deps
                .iter()
                .all(|d| self.heads.contains(&d.0) || self.actors.iter().any(|a| a.2 == d.0));
        // Extra bytes (an author footer) are Automerge's business: the slow path applies
        // them, or refuses the change as Automerge does.
        if !continues
            || change.start_op().get() != self.max_op + 1
            || !change.extra_bytes().is_empty()
        {
            return None;
        }
        let mut next = self.clone();
        let actor = next.actor(change.actor_id().to_bytes());
        let last = &mut next.actors[actor as usize];
        if change.seq() != last.1 + 1 {
            return None;
        }
        (last.1, last.2) = (change.seq(), change.hash().0);
        let expanded = decode_safely(change)?;
        let ops = &expanded.operations;
        if ops.is_empty() || ops.len() as u64 != change.max_op() - self.max_op {
            return None;
        }
        let list_id = next.legacy_obj(self.list)?;
        let mut added = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let after = match &op.key {
                Key::Seq(ElementId::Head) => None,
                Key::Seq(ElementId::Id(id)) => {
                    let a = next.find_actor(id.1.to_bytes())?;
                    Some((id.0, a))
                }
                Key::Map(_) => return None,
            };
            let known = after.is_none_or(|e| next.elems.contains(&e));
            let text = match &op.action {
                OpType::Put(ScalarValue::Str(s)) => s.as_str(),
                _ => return None,
            };
            if op.obj != list_id || !op.insert || !op.pred.is_empty() || !known {
                return None;
            }
            let event = event_from_json(text)?;
            next.elems.push((self.max_op + 1 + i as u64, actor));
            next.events.push(text.to_string());
            added.push(event);
        }
        next.max_op = change.max_op();
        next.heads = vec![change.hash().0];
        Some((next, added))
    }

    fn actor(&mut self, bytes: &[u8]) -> u32 {
        match self.find_actor(bytes) {
            Some(a) => a,
            None => {
                self.actors.push((bytes.to_vec(), 0, [0; 32]));
                (self.actors.len() - 1) as u32
            }
        }
    }

    fn find_actor(&self, bytes: &[u8]) -> Option<u32> {
        self.actors
            .iter()
            .position(|(a, _, _)| a == bytes)
            .map(|a| a as u32)
    }

    fn op_ref(&mut self, id: &automerge::ObjId) -> Option<OpRef> {
        match id {
            automerge::ObjId::Id(counter, actor, _) => {
                Some((*counter, self.actor(actor.to_bytes())))
            }
            automerge::ObjId::Root => None,
        }
    }

    fn legacy_obj(&self, (counter, actor): OpRef) -> Option<ObjectId> {
        let bytes = &self.actors.get(actor as usize)?.0;
        Some(ObjectId::Id(automerge::legacy::OpId(
            counter,
            ActorId::from(bytes.as_slice()),
        )))
    }
}

/// Length and a 64-bit hash of stored bytes, eight bytes at a time (it runs over every
/// stored document a batch touches, twice).
fn stamp(bytes: &[u8]) -> (u64, u64) {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |w: u64| {
        h = (h ^ w).wrapping_mul(0x9e3779b97f4a7c15);
        h ^= h >> 29;
    };
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        eat(u64::from_le_bytes(w.try_into().expect("chunks of eight")));
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    eat(u64::from_le_bytes(last));
    (bytes.len() as u64, h)
}

/// Checks that a change keeps the trail append-only (只增不改): once the document exists, a
/// change may only insert new events into the events list — never overwrite or delete an
/// event, nor touch the intake or the list itself; the first change of an empty document
/// (the report) also sets the root fields. Copies of existing events are caught when the
/// trail is checked (an event too many).
pub fn append_only(change: &Change, empty_document: bool) -> Result<(), String> {
    let first = empty_document;
    let Some(expanded) = decode_safely(change) else {
        return Err("the change's operations do not decode".into());
    };
    for op in &expanded.operations {
        let ok = match op.obj {
            ObjectId::Root => first,
            ObjectId::Id(_) => {
                op.insert
                    && op.pred.is_empty()
                    && matches!(op.action, OpType::Put(ScalarValue::Str(_)))
            }
        };
        if !ok {
            return Err(
                "the change rewrites the case's history (only new events may be added)".into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::case_id::CaseId;
    use crate::domain::event::{Action, EventId};
    use crate::domain::hlc::Hlc;
    use crate::domain::role::{NodeId, Role};
    use crate::domain::unit::UnitId;
    use automerge::transaction::Transactable;

    const T0: i64 = 1_795_395_600_000;

    fn event(id: &str, node: &str, after: &[&str], action: Action, minute: i64) -> Event {
        Event {
            id: EventId(id.into()),
            after: after.iter().map(|a| EventId((*a).into())).collect(),
            at: Hlc::at(T0 + minute * 60_000),
            node: NodeId(node.into()),
            unit: UnitId::from("110101001001"),
            role: Role::GridWorker,
            action,
            offline: false,
            person: None,
        }
    }

    /// A case with its report, by node c11.
    fn case() -> CaseDoc {
        let intake: Intake = serde_json::from_value(serde_json::json!({
            "number": "110101001001-20261123-0001",
            "source": "grid_patrol",
            "category": "E0104",
            "grid": "110101001001010",
            "address": "测试地址",
            "description": "测试",
        }))
        .expect("an intake");
        let report = event("r", "c11", &[], Action::Report, 0);
        CaseDoc::create(
            &CaseId("0123456789abcdef0123456789abcdef".into()),
            &intake,
            &report,
        )
        .expect("a case")
    }

    fn trail_of(doc: &CaseDoc) -> Trail {
        Trail::of(doc, &doc.intake().unwrap(), &doc.events().unwrap()).expect("a trail")
    }

    /// The change `doc` gained since `before`.
    fn last_change(doc: &CaseDoc, before: &[ChangeHash]) -> Change {
        doc.automerge().get_changes(before).pop().unwrap().clone()
    }

    #[test]
    fn a_move_advances_the_trail_to_what_the_applied_document_gives() {
        let mut doc = case();
        let mut trail = trail_of(&doc);
        for (i, node) in ["c11", "s1", "c11"].iter().enumerate() {
            let before = doc.heads();
            let prev = doc.events().unwrap().last().unwrap().id.0.clone();
            let e = event(
                &format!("e{i}"),
                node,
                &[&prev],
                Action::SelfHandle,
                i as i64 + 1,
            );
            doc.append(&e).unwrap();
            let change = last_change(&doc, &before);
            let (next, added) = trail.advance(&change).expect("one move on the heads");
            assert_eq!(added, vec![e]);
            // The trail after the change is the trail of the document with it applied.
            assert_eq!(next, trail_of(&doc));
            trail = next;
        }
    }

    #[test]
    fn anything_but_one_move_on_the_heads_goes_to_the_slow_path() {
        let doc = case();
        let trail = trail_of(&doc);
        let heads = doc.heads();
        let move_by = |d: &CaseDoc, node: &str, id: &str| {
            let mut d = d.fork_as(&NodeId(node.into()));
            let before = d.heads();
            d.append(&event(id, node, &["r"], Action::SelfHandle, 1))
                .unwrap();
            last_change(&d, &before)
        };
        // Beside other heads: a move made on a copy that has moved on meanwhile.
        let mut ahead = doc.clone();
        ahead
            .append(&event(
                "a",
                "s1",
                &["r"],
                Action::Urge {
                    note: "催办".into(),
                },
                1,
            ))
            .unwrap();
        let beside = move_by(&ahead, "c11", "b");
        assert!(
            trail.advance(&beside).is_none(),
            "a change on unknown heads"
        );
        // Out of its actor's sequence: the same actor's second change without its first.
        let mut two = doc.fork_as(&NodeId("c12".into()));
        two.append(&event("x1", "c12", &["r"], Action::SelfHandle, 1))
            .unwrap();
        let mid = two.heads();
        two.append(&event("x2", "c12", &["x1"], Action::SelfHandle, 2))
            .unwrap();
        let second = last_change(&two, &mid);
        assert!(
            trail.advance(&second).is_none(),
            "a change whose deps are not the heads"
        );
        // A change that writes the intake.
        let mut am = doc.automerge().fork();
        let mut tx = am.transaction();
        tx.put(ROOT, "intake", "{}").unwrap();
        tx.commit();
        let rewrite = am.get_changes(&heads).pop().unwrap().clone();
        assert!(
            trail.advance(&rewrite).is_none(),
            "a change outside the events list"
        );
        assert!(append_only(&rewrite, false).is_err());
        // A change that deletes the report.
        let mut am = doc.automerge().fork();
        let (_, list) = am.get(ROOT, "events").unwrap().unwrap();
        let mut tx = am.transaction();
        tx.delete(&list, 0).unwrap();
        tx.commit();
        let delete = am.get_changes(&heads).pop().unwrap().clone();
        assert!(trail.advance(&delete).is_none(), "a delete");
        assert!(append_only(&delete, false).is_err());
        // An ordinary move passes both.
        let ok = move_by(&doc, "c11", "ok");
        assert!(trail.advance(&ok).is_some());
        assert!(append_only(&ok, false).is_ok());
        // The report itself writes the root: allowed only as the first change.
        let first = doc.automerge().get_changes(&[]).first().unwrap().clone();
        assert!(append_only(&first, true).is_ok());
        assert!(append_only(&first, false).is_err());
    }

    #[test]
    fn a_trail_describes_exactly_the_bytes_it_was_stamped_with() {
        let doc = case();
        let bytes = doc.save();
        let t = trail_of(&doc).stamped(&bytes);
        assert!(t.describes(&bytes));
        let mut more = bytes.clone();
        more.push(0);
        assert!(!t.describes(&more));
        let mut flipped = bytes.clone();
        let n = flipped.len() / 2;
        flipped[n] ^= 1;
        assert!(!t.describes(&flipped));
        assert!(
            !trail_of(&doc).describes(&bytes),
            "an unstamped trail describes nothing"
        );
    }
}
