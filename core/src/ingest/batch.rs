//! A batch being received (接收批次): each case's changes grouped, and what became of them.

use super::*;

/// A case's document after applying: loaded, or (on the fast path) only its stored bytes
/// with the new changes appended.
pub(super) enum Body {
    Loaded(Box<CaseDoc>),
    Appended(Vec<u8>),
}

/// The events a case held before a change (变更前的轨迹): their ids, and how many entries
/// the list had — a change adding a second copy of an event shows as an entry too many.
pub(super) struct Before {
    pub(super) ids: HashSet<EventId>,
    pub(super) len: usize,
}

impl Before {
    pub(super) fn of(events: &[Event]) -> Before {
        Before {
            ids: events.iter().map(|e| e.id.clone()).collect(),
            len: events.len(),
        }
    }
}

/// A case with changes to write.
pub(super) struct Working {
    pub(super) body: Body,
    pub(super) trail: Option<Trail>,
    pub(super) old_scope: BTreeSet<UnitId>,
    pub(super) new: Vec<Logged>,
    /// The projection row after the last applied change.
    pub(super) summary: Option<CaseSummary>,
}

/// One change accepted so far (signed, not a duplicate), waiting to be applied.
pub(super) struct Item {
    pub(super) index: usize,
    pub(super) change: Change,
    pub(super) hash: Vec<u8>,
    pub(super) grant: Grant,
    pub(super) importer: bool,
}

/// A case's accepted changes, in batch order, with what the store holds of it.
pub(super) struct Group {
    pub(super) id: CaseId,
    pub(super) stored: Option<Vec<u8>>,
    pub(super) trail: Option<Trail>,
    pub(super) old_scope: BTreeSet<UnitId>,
    pub(super) items: Vec<Item>,
}

/// What applying a case's changes came to.
pub(super) struct Outcome {
    pub(super) id: CaseId,
    pub(super) body: Body,
    pub(super) trail: Option<Trail>,
    pub(super) old_scope: BTreeSet<UnitId>,
    /// Applied: (batch index, hash).
    pub(super) new: Vec<(usize, Vec<u8>)>,
    pub(super) summary: Option<CaseSummary>,
    /// Refused: (batch index, why, hash).
    pub(super) refused: Vec<(usize, Refused, Vec<u8>)>,
    /// Some change's dependencies are missing here.
    pub(super) missing: bool,
    /// Quarantined because of something wrong here, not in the change (the stored document
    /// does not load): its hash is not remembered, so the change can come again.
    pub(super) kept: Vec<(usize, Refused, Vec<u8>)>,
}

impl Outcome {
    /// Nothing applied or refused yet for `g`'s case.
    pub(super) fn of(g: &Group) -> Outcome {
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
    pub(super) fn refuse(&mut self, index: usize, why: Refused, hash: &[u8]) {
        self.refused.push((index, why, hash.to_vec()));
    }

    /// Whether `change` depends on a change of this case refused earlier in the batch.
    pub(super) fn follows_refused(&self, change: &Change) -> bool {
        change
            .deps()
            .iter()
            .any(|d| self.refused.iter().any(|(_, _, h)| h[..] == d.0[..]))
    }
}
