//! The workflow (流程): which moves each role may make at which unit, and the case state
//! derived by replaying the trail.
//!
//! Events form a graph through their `after` links. A case's state is the fold of the moves
//! on the path from the report to the current tip, where a resolution (冲突处理) continues the
//! branch it keeps. Two moves made after the same event leave two tips: the case is in
//! conflict (冲突) and every branch is shown until an authorized person resolves it. Notes
//! (督办/催办) never change state and never conflict. Replay depends only on the set of
//! events, never on the order copies were merged in.
//!
//! One file per concept; the leaves (`state`, `deadline`, `case_state`, `refusal`) import
//! none of the others above them, `rules` uses the leaves, `apply` and `replay` use `rules`:
//!
//! | file | concept |
//! |---|---|
//! | `state` | [`State`] (状态) with its named sets ([`State::OPEN`]…), [`Loop`] (循环层级) |
//! | `deadline` | [`Deadline`] (时限) |
//! | `case_state` | [`CaseState`] (案件状态), [`Act`]/[`Step`] (考核记录), [`Milestones`], [`Pending`], [`Summons`], [`Receipt`] (签收), [`SuperviseOrder`] (督办单), [`Disputable`] (可申诉) |
//! | `refusal` | [`Refusal`] (拒绝原因): [`RuleId`], [`Reason`], English and Chinese text |
//! | `rules` | [`Rules`] and [`Rules::check`], by move family: intake, dispatch (一案双派), handling (申诉), escalation (督办单, 双向考核), merge (并案), emergency |
//! | `apply` | [`Rules::apply`] |
//! | `replay` | [`Rules::replay`], [`Rules::check_live`], [`Derived`], [`Branch`] |
//! | `routing` | [`Rules::suggest_dispatch`]: 派遣建议 from the departments' duties |

mod apply;
mod case_state;
mod deadline;
mod refusal;
mod replay;
mod routing;
mod rules;
mod state;

pub use case_state::{
    Act, Answers, CaseState, Disputable, Dispute, Milestones, Pending, Receipt, Step, Summons,
    SuperviseOrder,
};
pub use deadline::Deadline;
pub use refusal::{Reason, Refusal, RuleId, TextField, UnitRef};
pub use replay::{Branch, Derived};
pub use routing::{Route, Suggestion};
pub use rules::Rules;
pub use state::{Loop, State};
