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

use crate::doc::case_doc::{CaseDoc, event_from_json, event_json};
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
        let expanded = change.decode();
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
    for op in &change.decode().operations {
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
