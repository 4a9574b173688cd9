//! The case (案卷): its identity, intake fields and the Automerge document that carries them
//! together with the append-only event trail.
//!
//! Document layout (root map): `schema` (uint), `id`, `intake` (the intake fields as one
//! JSON string), `reporter` (JSON string: name, phone — personal data; absent if none), and
//! `events` (a list of strings, each one event as JSON: `id`, `after`, `at` (HLC), `node`,
//! `unit`, `role` and the move). Events are immutable, so each is one scalar list element:
//! one Automerge operation per user action instead of one per field, which makes building
//! and replaying documents several times faster (measured: 150 µs → ~25 µs per event).
//! Nothing writes a status: state is derived by replay.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};

use crate::domain::case_id::CaseId;
use crate::domain::event::{Action, Event, EventId};
use crate::domain::hlc::Hlc;
use crate::domain::intake::Intake;
use crate::domain::role::{NodeId, Role};
use crate::domain::unit::UnitId;

/// Version of the document layout written by this code.
pub const SCHEMA: u64 = 2;

/// Errors reading or writing a case document.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an Automerge document.
    #[error("case document is corrupt or not an Automerge document: {0}")]
    Corrupt(Box<automerge::AutomergeError>),
    /// A field is missing or has the wrong type.
    #[error("case document field `{field}` is missing or malformed")]
    Field {
        /// The field's path.
        field: String,
    },
    /// A case id that is not 32 hex digits.
    #[error("bad case id `{0}`: expected 32 lowercase hex digits")]
    BadCaseId(String),
    /// A received change names, in its operations, an actor that never wrote to the
    /// document.
    #[error("the change refers to operations of actor {0}, which never wrote to this case")]
    UnknownActor(String),
    /// A change out of its actor's sequence.
    #[error("the change is number {seq} of its actor, whose last change here is number {last}")]
    Sequence {
        /// The change's sequence number.
        seq: u64,
        /// The actor's last sequence number in the document.
        last: u64,
    },
    /// A change to an existing case that is not shaped like a move.
    #[error("the change is not shaped like a move: {0}")]
    Shape(String),
    /// A change whose operations do not decode.
    #[error("the change's operations do not decode")]
    Malformed,
    /// Automerge failed (panicked) applying a change: the copy in memory is unusable.
    #[error("Automerge failed inside (a panic in the library) on this document or change")]
    Poisoned,
    /// The document was written by a newer layout.
    #[error("case document schema {found} is newer than this program's {SCHEMA}")]
    Schema {
        /// The schema the document says it has.
        found: u64,
    },
}

impl From<crate::domain::case_id::BadCaseId> for DocError {
    fn from(e: crate::domain::case_id::BadCaseId) -> Self {
        DocError::BadCaseId(e.0)
    }
}

impl From<automerge::AutomergeError> for DocError {
    fn from(e: automerge::AutomergeError) -> Self {
        DocError::Corrupt(Box::new(e))
    }
}

fn field(name: &str) -> DocError {
    DocError::Field {
        field: name.to_string(),
    }
}

/// A case as an Automerge document (案卷文档).
#[derive(Debug, Clone)]
pub struct CaseDoc {
    doc: Automerge,
}

/// The Automerge actor a node writes with: derived from its node id, so a node's changes
/// to a document always continue one sequence.
pub fn actor_for(node: &NodeId) -> ActorId {
    let mut bytes = [0u8; 16];
    let h = fnv64(node.0.as_bytes());
    let h2 = fnv64(format!("{}#2", node.0).as_bytes());
    bytes[..8].copy_from_slice(&h.to_be_bytes());
    bytes[8..].copy_from_slice(&h2.to_be_bytes());
    ActorId::from(&bytes[..])
}

fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

impl CaseDoc {
    /// Creates the document for a newly reported case: intake, reporter and the report
    /// event, in one change stamped with the event's time.
    pub fn create(id: &CaseId, intake: &Intake, report: &Event) -> Result<CaseDoc, DocError> {
        let mut doc = Automerge::new().with_actor(actor_for(&report.node));
        let opts = CommitOptions::default()
            .with_time(report.millis())
            .with_message(report.action.name());
        doc.transact_with(
            |_| opts,
            |tx| -> Result<(), automerge::AutomergeError> {
                tx.put(ROOT, "schema", SCHEMA)?;
                tx.put(ROOT, "id", id.as_str())?;
                let mut fields = intake.clone();
                let reporter = fields.reporter.take();
                tx.put(ROOT, "intake", json(&fields))?;
                if let Some(r) = &reporter {
                    tx.put(ROOT, "reporter", json(r))?;
                }
                let list = tx.put_object(ROOT, "events", ObjType::List)?;
                put_event(tx, &list, 0, report)?;
                Ok(())
            },
        )
        .map_err(|f| f.error)?;
        Ok(CaseDoc { doc })
    }

    /// Loads a saved document, checking it is a case document this program can read.
    pub fn load(bytes: &[u8]) -> Result<CaseDoc, DocError> {
        // Automerge 0.12 can panic on bytes it should refuse: a corrupt store file must
        // give an error naming the case, not bring the node down.
        let doc = std::panic::catch_unwind(|| Automerge::load(bytes))
            .map_err(|_| DocError::Poisoned)??;
        let me = CaseDoc { doc };
        let schema = me.get_u64(&ROOT, "schema").ok_or_else(|| field("schema"))?;
        if schema > SCHEMA {
            return Err(DocError::Schema { found: schema });
        }
        me.get_str(&ROOT, "id").ok_or_else(|| field("id"))?;
        Ok(me)
    }

    /// The node that wrote each change, for the nodes named in the trail.
    pub fn authors(&self, events: &[Event]) -> std::collections::HashMap<ActorId, NodeId> {
        events
            .iter()
            .map(|e| (actor_for(&e.node), e.node.clone()))
            .collect()
    }

    /// Wraps an Automerge document received from elsewhere, without checks.
    pub fn from_automerge(doc: Automerge) -> CaseDoc {
        CaseDoc { doc }
    }

    /// The underlying Automerge document.
    pub fn automerge(&self) -> &Automerge {
        &self.doc
    }

    /// Saves the whole document, compacted.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The document's current heads.
    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// A copy of the document that will write as `node` (for tests and for forks).
    pub fn fork_as(&self, node: &NodeId) -> CaseDoc {
        CaseDoc {
            doc: self.doc.fork().with_actor(actor_for(node)),
        }
    }

    /// Applies one received change (its dependencies must already be here). A change whose
    /// operations name an actor that never wrote to this document is refused before
    /// Automerge sees it: Automerge 0.12 panics on one (found by fuzzing the receiving
    /// path). Should Automerge panic on anything else, the panic is caught and reported as
    /// [`DocError::Poisoned`]: this copy of the document must then be discarded.
    pub fn apply_change(&mut self, change: automerge::Change) -> Result<(), DocError> {
        let Some(expanded) = decode_safely(&change) else {
            return Err(DocError::Malformed);
        };
        // Automerge asserts (panics) rather than refuse a change out of its actor's
        // sequence, or naming actors the document does not know: check both first.
        let own = change.actor_id().clone();
        let metas = self.doc.get_changes_meta(&[]);
        let last = metas
            .iter()
            .filter(|m| *m.actor == own)
            .map(|m| m.seq)
            .max()
            .unwrap_or(0);
        if change.seq() != last + 1 {
            return Err(DocError::Sequence {
                seq: change.seq(),
                last,
            });
        }
        for a in change.actors() {
            if *a != own && !metas.iter().any(|m| *m.actor == *a) {
                return Err(DocError::UnknownActor(a.to_hex_string()));
            }
        }
        if !metas.is_empty() {
            let outside: std::collections::HashSet<ChangeHash> = self
                .doc
                .get_changes(change.deps())
                .iter()
                .map(|c| c.hash())
                .collect();
            // An actor's change follows its previous one: Automerge applies one that does
            // not, and then cannot load the document it saves.
            if last > 0
                && metas
                    .iter()
                    .any(|m| *m.actor == own && m.seq == last && outside.contains(&m.hash))
            {
                return Err(DocError::Shape(
                    "it does not follow its actor's previous change".into(),
                ));
            }
            self.sound_move(&change, &expanded, &metas, &outside)?;
        }
        let doc = &mut self.doc;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            doc.apply_changes([change])
        })) {
            Ok(applied) => Ok(applied?),
            Err(_) => Err(DocError::Poisoned),
        }
    }

    /// Checks that a change to an existing case has the shape of a move before Automerge
    /// applies it: its first operation id follows every operation it depends on, and each
    /// operation inserts a string into the events list after the head or an element that
    /// exists (here, or earlier in the same change). Automerge 0.12 applies some changes
    /// that break these and is left inconsistent (its debug assertions fire; found by
    /// fuzzing), so they are refused here. Every move and every import of gridloop has
    /// this shape.
    fn sound_move(
        &self,
        change: &automerge::Change,
        expanded: &automerge::ExpandedChange,
        metas: &[automerge::ChangeMetadata<'_>],
        outside: &std::collections::HashSet<ChangeHash>,
    ) -> Result<(), DocError> {
        use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
        let bad = |why: &str| DocError::Shape(why.to_string());
        let before = metas
            .iter()
            .filter(|m| !outside.contains(&m.hash))
            .map(|m| m.max_op)
            .max()
            .unwrap_or(0);
        if change.start_op().get() != before + 1 {
            return Err(bad(
                "its first operation does not follow the operations it depends on",
            ));
        }
        let Some((_, ObjId::Id(counter, actor, _))) = self.doc.get(ROOT, "events")? else {
            return Err(field("events"));
        };
        let list = ObjectId::Id(OpId(counter, actor));
        let mut elems: std::collections::HashSet<(u64, ActorId)> = self
            .doc
            .list_range(
                &self
                    .doc
                    .get(ROOT, "events")?
                    .ok_or_else(|| field("events"))?
                    .1,
                ..,
            )
            .filter_map(|item| match item.id() {
                ObjId::Id(c, a, _) => Some((c, a)),
                ObjId::Root => None,
            })
            .collect();
        for (i, op) in expanded.operations.iter().enumerate() {
            if op.obj != list || !op.insert || !op.pred.is_empty() {
                return Err(bad("an operation is not an insert into the events list"));
            }
            if !matches!(op.action, OpType::Put(automerge::ScalarValue::Str(_))) {
                return Err(bad("an operation does not insert an event"));
            }
            match &op.key {
                Key::Seq(ElementId::Head) => {}
                Key::Seq(ElementId::Id(OpId(c, a))) if elems.contains(&(*c, a.clone())) => {}
                _ => return Err(bad("an insert follows an element that does not exist")),
            }
            elems.insert((
                change.start_op().get() + i as u64,
                expanded.actor_id.clone(),
            ));
        }
        Ok(())
    }

    /// The document as it was at `heads` (to drop a change that was refused). Should
    /// Automerge panic (a copy it left inconsistent), [`DocError::Poisoned`].
    pub fn fork_at(&self, heads: &[ChangeHash]) -> Result<CaseDoc, DocError> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.doc.fork_at(heads))) {
            Ok(doc) => Ok(CaseDoc { doc: doc? }),
            Err(_) => Err(DocError::Poisoned),
        }
    }

    /// Merges another copy's changes into this one.
    pub fn merge(&mut self, other: &CaseDoc) -> Result<(), DocError> {
        let mut o = other.doc.clone();
        self.doc.merge(&mut o)?;
        Ok(())
    }

    /// Appends one event to the trail as one change (one change per user action), written
    /// by the event's node and stamped with its time. Returns the change's hash.
    pub fn append(&mut self, event: &Event) -> Result<ChangeHash, DocError> {
        self.append_as(event, &event.node)
    }

    /// Appends an event written by node `writer` (an importer recording another node's event
    /// keeps its own Automerge actor, so no two nodes ever write the same actor sequence).
    pub fn append_as(&mut self, event: &Event, writer: &NodeId) -> Result<ChangeHash, DocError> {
        let actor = actor_for(writer);
        if self.doc.get_actor() != &actor {
            self.doc.set_actor(actor);
        }
        let list = match self.doc.get(ROOT, "events")? {
            Some((_, id)) => id,
            None => return Err(field("events")),
        };
        let len = self.doc.length(&list);
        let opts = CommitOptions::default()
            .with_time(event.millis())
            .with_message(event.action.name());
        self.doc
            .transact_with(|_| opts, |tx| put_event(tx, &list, len, event))
            .map_err(|f| f.error)?;
        self.doc
            .get_heads()
            .into_iter()
            .next()
            .ok_or_else(|| field("heads"))
    }

    /// The case id stored in the document.
    pub fn id(&self) -> Result<CaseId, DocError> {
        let s = self.get_str(&ROOT, "id").ok_or_else(|| field("id"))?;
        Ok(CaseId::parse(&s)?)
    }

    /// Reads the intake fields.
    pub fn intake(&self) -> Result<Intake, DocError> {
        let text = self
            .get_str(&ROOT, "intake")
            .ok_or_else(|| field("intake"))?;
        let mut intake: Intake = serde_json::from_str(&text).map_err(|_| field("intake"))?;
        intake.reporter = match self.get_str(&ROOT, "reporter") {
            Some(r) => Some(serde_json::from_str(&r).map_err(|_| field("reporter"))?),
            None => None,
        };
        Ok(intake)
    }

    /// Reads the whole trail, in list order (which is the same on every merged copy).
    /// An entry that cannot be read is an error naming its index.
    pub fn events(&self) -> Result<Vec<Event>, DocError> {
        let list = match self.doc.get(ROOT, "events")? {
            Some((_, id)) => id,
            None => return Err(field("events")),
        };
        let n = self.doc.length(&list);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let bad = || field(&format!("events[{i}]"));
            let (v, _) = self.doc.get(&list, i)?.ok_or_else(bad)?;
            let text = v.as_str().ok_or_else(bad)?;
            let stored: StoredEvent = serde_json::from_str(text).map_err(|_| bad())?;
            out.push(stored.into_event());
        }
        Ok(out)
    }

    fn get_str(&self, obj: &ObjId, key: &str) -> Option<String> {
        let (v, _) = self.doc.get(obj, key).ok()??;
        v.as_str().map(str::to_string)
    }

    fn get_u64(&self, obj: &ObjId, key: &str) -> Option<u64> {
        let (v, _) = self.doc.get(obj, key).ok()??;
        v.as_u64()
    }
}

fn put_event(
    tx: &mut impl Transactable,
    list: &ObjId,
    index: usize,
    e: &Event,
) -> Result<(), automerge::AutomergeError> {
    tx.insert(list, index, json(&StoredEvent::of(e)))
}

/// An event as stored in the document: short keys, the HLC packed into one number and the
/// move nested (not flattened, which serde cannot round-trip for every move).
#[derive(Serialize, Deserialize)]
struct StoredEvent {
    i: EventId,
    a: Vec<EventId>,
    t: u64,
    n: NodeId,
    u: UnitId,
    r: Role,
    m: Action,
    /// Made offline (absent when not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    o: bool,
    /// The person who made it (absent when not named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<String>,
}

impl StoredEvent {
    fn of(e: &Event) -> StoredEvent {
        StoredEvent {
            i: e.id.clone(),
            a: e.after.clone(),
            t: e.at.to_u64(),
            n: e.node.clone(),
            u: e.unit.clone(),
            r: e.role,
            m: e.action.clone(),
            o: e.offline,
            p: e.person.clone(),
        }
    }

    fn into_event(self) -> Event {
        Event {
            id: self.i,
            after: self.a,
            at: Hlc::from_u64(self.t),
            node: self.n,
            unit: self.u,
            role: self.r,
            action: self.m,
            offline: self.o,
            person: self.p,
        }
    }
}

/// An event as the JSON string the document stores it as.
pub(crate) fn event_json(e: &Event) -> String {
    json(&StoredEvent::of(e))
}

/// An event read back from the JSON string the document stores it as.
pub(crate) fn event_from_json(text: &str) -> Option<Event> {
    serde_json::from_str::<StoredEvent>(text)
        .ok()
        .map(StoredEvent::into_event)
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("JSON encoding of an in-memory value cannot fail")
}

/// Lowercase hex of `bytes` (for documents carried in JSON).
pub fn to_hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(D[usize::from(b >> 4)] as char);
        out.push(D[usize::from(b & 15)] as char);
    }
    out
}

/// Decodes [`to_hex`] output; `None` if it is not even-length hex.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let v = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.chunks(2)
        .map(|p| Some(v(p[0])? << 4 | v(p[1])?))
        .collect()
}

/// Decodes a change's operations, or `None` if they do not decode: Automerge 0.12 panics on
/// an operation naming an actor outside the change's own actor table, which a received
/// change can do (found by fuzzing). Decoding has no state to spoil, so catching is safe.
pub fn decode_safely(change: &automerge::Change) -> Option<automerge::ExpandedChange> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| change.decode())).ok()
}
