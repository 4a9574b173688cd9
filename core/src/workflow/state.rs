//! Case states (状态) and loop levels (循环层级), with the named sets of states every crate
//! uses, so that "open" and its neighbours have one definition.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::unit::UnitKind;

/// A case's state (状态), derived from its trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待受理: reported, waiting to be accepted.
    Reported,
    /// 待核实: a supervisor verifies on site.
    Verifying,
    /// 待立案: waiting for registration.
    ToRegister,
    /// 待派遣: registered, waiting for dispatch.
    ToDispatch,
    /// 处置中: being handled.
    Handling,
    /// 待核查: handler reported done, a supervisor checks.
    ToCheck,
    /// 待结案: checked, waiting to be closed.
    ToClose,
    /// 已结案: closed (hotline and public cases wait for the callback).
    Closed,
    /// 已归档: closed and called back satisfied.
    Archived,
    /// 挂账: parked as a known long-term problem.
    Parked,
    /// 已注销: not accepted (不予受理) or not confirmed on site.
    Rejected,
    /// 已作废: voided at registration.
    Voided,
    /// 已并案: a duplicate merged into another case, which answers for it.
    Merged,
}

impl State {
    /// Every state, in workflow order.
    pub const ALL: [State; 13] = [
        State::Reported,
        State::Verifying,
        State::ToRegister,
        State::ToDispatch,
        State::Handling,
        State::ToCheck,
        State::ToClose,
        State::Closed,
        State::Archived,
        State::Parked,
        State::Rejected,
        State::Voided,
        State::Merged,
    ];

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            State::Reported => "待受理",
            State::Verifying => "待核实",
            State::ToRegister => "待立案",
            State::ToDispatch => "待派遣",
            State::Handling => "处置中",
            State::ToCheck => "待核查",
            State::ToClose => "待结案",
            State::Closed => "已结案",
            State::Archived => "已归档",
            State::Parked => "挂账",
            State::Rejected => "已注销",
            State::Voided => "已作废",
            State::Merged => "已并案",
        }
    }

    /// The English name.
    pub fn label_en(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Verifying => "verifying",
            State::ToRegister => "to register",
            State::ToDispatch => "to dispatch",
            State::Handling => "handling",
            State::ToCheck => "to check",
            State::ToClose => "to close",
            State::Closed => "closed",
            State::Archived => "archived",
            State::Parked => "parked",
            State::Rejected => "rejected",
            State::Voided => "voided",
            State::Merged => "merged",
        }
    }

    /// The snake_case code used on the command line.
    pub fn code(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Verifying => "verifying",
            State::ToRegister => "to_register",
            State::ToDispatch => "to_dispatch",
            State::Handling => "handling",
            State::ToCheck => "to_check",
            State::ToClose => "to_close",
            State::Closed => "closed",
            State::Archived => "archived",
            State::Parked => "parked",
            State::Rejected => "rejected",
            State::Voided => "voided",
            State::Merged => "merged",
        }
    }

    /// A stable one-byte code for indexes.
    pub fn to_u8(self) -> u8 {
        State::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    /// The state for a code made by [`State::to_u8`].
    pub fn from_u8(v: u8) -> Option<State> {
        State::ALL.get(usize::from(v)).copied()
    }

    /// Parses a code or a Chinese name.
    pub fn parse(s: &str) -> Option<State> {
        let s = s.trim();
        State::ALL
            .into_iter()
            .find(|x| x.code() == s || x.label_zh() == s)
    }

    /// 在办: the open states, where work is still owed on the case (待受理 … 待结案). The one
    /// definition of "open" ([`State::is_open`]); counts for lights and overdue lists.
    pub const OPEN: [State; 7] = [
        State::Reported,
        State::Verifying,
        State::ToRegister,
        State::ToDispatch,
        State::Handling,
        State::ToCheck,
        State::ToClose,
    ];

    /// 已办/搁置: the states that are not open — closed, archived, parked, rejected, voided or
    /// merged (the complement of [`State::OPEN`] in [`State::ALL`]).
    pub const NOT_OPEN: [State; 6] = [
        State::Closed,
        State::Archived,
        State::Parked,
        State::Rejected,
        State::Voided,
        State::Merged,
    ];

    /// 处置完成前: open and not yet fed back as done (待受理 … 处置中); a case may still be
    /// escalated (上报上级) or open an emergency (启动预案).
    pub const ACTIVE: [State; 5] = [
        State::Reported,
        State::Verifying,
        State::ToRegister,
        State::ToDispatch,
        State::Handling,
    ];

    /// 有时限: the states a clock may run in — the open ones and 已结案 (waiting for the
    /// callback, 回访); the states inboxes and lights look at.
    pub const CLOCKED: [State; 8] = [
        State::Reported,
        State::Verifying,
        State::ToRegister,
        State::ToDispatch,
        State::Handling,
        State::ToCheck,
        State::ToClose,
        State::Closed,
    ];

    /// Whether work is still owed on the case (在办; counts for lights and overdue lists):
    /// whether it is in [`State::OPEN`].
    pub fn is_open(self) -> bool {
        State::OPEN.contains(&self)
    }

    /// Whether a clock may run in this state: open, or closed waiting for the callback
    /// ([`State::CLOCKED`]).
    pub fn is_clocked(self) -> bool {
        State::CLOCKED.contains(&self)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// The loop level (循环层级) a case is in, from the kind of unit holding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loop {
    /// 社区微循环.
    Community,
    /// 街道小循环.
    Street,
    /// 区级大循环.
    District,
}

impl Loop {
    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Loop::Community => "微循环",
            Loop::Street => "小循环",
            Loop::District => "大循环",
        }
    }

    /// The loop a unit of this kind runs.
    pub fn of(kind: UnitKind) -> Loop {
        match kind {
            UnitKind::Community => Loop::Community,
            UnitKind::Street => Loop::Street,
            UnitKind::District | UnitKind::Department => Loop::District,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn the_named_sets_agree_with_each_other() {
        for s in State::ALL {
            assert_ne!(
                State::OPEN.contains(&s),
                State::NOT_OPEN.contains(&s),
                "{s:?}"
            );
            assert_eq!(s.is_open(), State::OPEN.contains(&s));
            assert_eq!(
                State::CLOCKED.contains(&s),
                s.is_open() || s == State::Closed
            );
            if State::ACTIVE.contains(&s) {
                assert!(s.is_open());
            }
        }
        let mut open = State::OPEN.to_vec();
        open.extend(State::NOT_OPEN);
        open.sort();
        assert_eq!(open, State::ALL.to_vec());
    }
}
