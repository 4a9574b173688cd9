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
        let doc = Automerge::load(bytes)?;
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

    /// Applies one received change (its dependencies must already be here).
    pub fn apply_change(&mut self, change: automerge::Change) -> Result<(), DocError> {
        self.doc.apply_changes([change])?;
        Ok(())
    }

    /// The document as it was at `heads` (to drop a change that was refused).
    pub fn fork_at(&self, heads: &[ChangeHash]) -> Result<CaseDoc, DocError> {
        Ok(CaseDoc {
            doc: self.doc.fork_at(heads)?,
        })
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
