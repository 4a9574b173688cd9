//! 并案 rules: a duplicate is merged into the case that answers for it (主案), the 主案 notes
//! it (并入), and the duplicate closes with it (主案办结) to wait for its own caller's 回访.
//! That the two cases differ and the 主案 is not itself merged is checked where both are
//! read ([`crate::engine`]).

use crate::domain::case_id::CaseId;
use crate::domain::event::Event;
use crate::domain::role::Role;

use super::super::case_state::CaseState;
use super::super::refusal::{Reason, Refusal, TextField};
use super::super::state::State;
use super::{Rules, refuse};

impl<'a> Rules<'a> {
    /// 并案: before the case is handled, with a note, by the command staff at or above the
    /// holder, while no request waits.
    pub(super) fn check_merge(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        note: &str,
    ) -> Result<(), Refusal> {
        self.need_state(
            r,
            s,
            &[
                State::Reported,
                State::Verifying,
                State::ToRegister,
                State::ToDispatch,
            ],
        )?;
        self.no_pending(r, s)?;
        self.need_text(r, TextField::Note, note)?;
        self.roles_at(r, e, self.command_roles(&s.holder), &s.holder, true)
    }

    /// 并入: on a case that is neither merged nor ended without work, by the command staff
    /// at or above its holder.
    pub(super) fn check_absorb(&self, r: &str, s: &CaseState, e: &Event) -> Result<(), Refusal> {
        if matches!(s.state, State::Merged | State::Rejected | State::Voided) {
            return Err(refuse(r, Reason::MergeTarget));
        }
        self.roles_at(r, e, self.command_roles(&s.holder), &s.holder, true)
    }

    /// 主案办结: on a merged case, naming the case it was merged into, by one who closes
    /// cases (结案 by a 值班长/领导, 直接答复 by a 受理员, 自结案 by a 网格员/站长): the one who
    /// closed that case.
    pub(super) fn check_parent_closed(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        parent: &CaseId,
    ) -> Result<(), Refusal> {
        if s.state != State::Merged || s.merged_into.as_ref() != Some(parent) {
            return Err(refuse(r, Reason::NotMerged));
        }
        // At the author's own unit: only the role is checked.
        let closers = [
            Role::ShiftLead,
            Role::Leader,
            Role::Intake,
            Role::GridWorker,
            Role::StationChief,
        ];
        self.roles_at(r, e, &closers, &e.unit, false)
    }
}
