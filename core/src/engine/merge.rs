//! 并案 (merging duplicates): a duplicate is merged into the case that answers for it (主案)
//! in one transaction that writes both — 并案 on the duplicate, 并入 on the 主案 — and when
//! the 主案 is closed, every duplicate this node holds closes with it (主案办结) and waits for
//! its own caller's 回访. A duplicate leaves every count (see [`crate::analytics::assess`]).

use redb::WriteTransaction;

use crate::domain::calendar::Millis;
use crate::domain::case_id::CaseId;
use crate::domain::event::Action;
use crate::domain::role::Actor;
use crate::store::{CaseSummary, Store, StoreError};
use crate::workflow::{Reason, Refusal, State};

use super::{Engine, EngineError, check_person};

impl Engine {
    /// 并案: merges `child` into `parent` (both stored here) in one durable transaction, by
    /// `actor`, who must command at or above both holders. Refused when the two are one case,
    /// or `parent` was itself merged, rejected or voided. A 主案 already closed answers for
    /// the duplicate at once: it closes with it. Returns both rows, duplicate first.
    pub fn merge(
        &self,
        actor: &Actor,
        child: &CaseId,
        parent: &CaseId,
        note: &str,
        now: Millis,
    ) -> Result<(CaseSummary, CaseSummary), EngineError> {
        check_person(actor)?;
        if child == parent {
            return Err(Refusal::new("merge", Reason::MergeTarget).into());
        }
        let wt = self.store.begin(true)?;
        let p = self.derive_in(&wt, parent)?;
        if matches!(
            p.current.state,
            State::Merged | State::Rejected | State::Voided
        ) {
            return Err(Refusal::new("merge", Reason::MergeTarget).into());
        }
        let merge = Action::Merge {
            into: parent.clone(),
            note: note.to_string(),
        };
        let (mut c, _) = self.act_in(&wt, actor, child, merge, now)?;
        let absorb = Action::Absorb {
            child: child.clone(),
        };
        let (p, _) = self.act_in(&wt, actor, parent, absorb, now)?;
        if matches!(p.state, State::Closed | State::Archived) {
            c = self
                .close_child(&wt, actor, child, parent, now)?
                .unwrap_or(c);
        }
        wt.commit().map_err(StoreError::from)?;
        Ok((c, p))
    }

    /// 主案办结: closes `child` with `parent`, if this node holds it and it is still merged
    /// into `parent`; the new row, or `None` when there was nothing to do.
    pub(super) fn close_child(
        &self,
        wt: &WriteTransaction,
        actor: &Actor,
        child: &CaseId,
        parent: &CaseId,
        now: Millis,
    ) -> Result<Option<CaseSummary>, EngineError> {
        if !Store::holds_in(wt, child)? {
            return Ok(None);
        }
        let d = self.derive_in(wt, child)?;
        if d.current.state != State::Merged || d.current.merged_into.as_ref() != Some(parent) {
            return Ok(None);
        }
        let action = Action::ParentClosed {
            parent: parent.clone(),
        };
        Ok(Some(self.act_in(wt, actor, child, action, now)?.0))
    }

    /// The derived state of stored case `id`, inside `wt`.
    fn derive_in(
        &self,
        wt: &WriteTransaction,
        id: &CaseId,
    ) -> Result<crate::workflow::Derived, EngineError> {
        let doc = Store::doc_in(wt, id)?;
        Ok(self.rules().replay(&doc.intake()?, &doc.events()?)?)
    }
}
