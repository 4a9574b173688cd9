//! The moves offered to an operator (可办操作): every move the workflow rules would accept
//! from this person, at this unit, in this role, on this case, now, and nothing else.
//!
//! Offers are found by asking the rules: each candidate move is checked against the case's
//! live state exactly as the engine will check it, with placeholder text where the move
//! carries some. A move the rules refuse is never shown.

use gridloop_core::domain::calendar::{LimitUnit, Millis, TimeLimit};
use gridloop_core::domain::event::{Action, Event, EventId, Rating, RequestKind};
use gridloop_core::domain::hlc::Hlc;
use gridloop_core::domain::intake::Intake;
use gridloop_core::domain::role::{Actor, Role};
use gridloop_core::domain::unit::{UnitId, UnitKind};
use gridloop_core::workflow::{Derived, Rules};

/// One move the operator may make, as a template the dialog fills in (可办操作).
#[derive(Clone, Debug, PartialEq)]
pub struct Offer {
    /// Who makes it (the operator, or the operator for a handling department).
    pub actor: Actor,
    /// The move, with placeholder text and the choices the rules accepted.
    pub action: Action,
}

impl Offer {
    /// The button's label.
    pub fn label(&self) -> String {
        let base = self.action.label_zh().to_string();
        match &self.action {
            Action::Verify {
                confirmed: false, ..
            } => "核实不属实".into(),
            Action::Verify { .. } => "核实属实".into(),
            _ => base,
        }
    }

    /// Whether the move needs a dialog before it is made (reason, choice, approval).
    pub fn needs_dialog(&self) -> bool {
        !matches!(
            self.action,
            Action::Accept
                | Action::SendToVerify
                | Action::SignFor { .. }
                | Action::Close
                | Action::SelfHandle
                | Action::Reactivate
                | Action::Link { .. }
        )
    }
}

/// The roles an operator can take at a unit of this kind (岗位).
pub fn roles_for(kind: UnitKind) -> &'static [Role] {
    match kind {
        UnitKind::Community => &[Role::GridWorker, Role::StationChief],
        UnitKind::Department => &[Role::Handler],
        _ => &[
            Role::Intake,
            Role::ShiftLead,
            Role::Dispatcher,
            Role::Supervisor,
            Role::Callback,
            Role::Leader,
        ],
    }
}

/// Placeholder text for checking moves that carry some; the dialog asks for the real text.
const TEXT: &str = "（待填写）";

/// The extension an offer is checked with: one working day more.
const ONE_WORKING_DAY: TimeLimit = TimeLimit {
    value: 1,
    unit: LimitUnit::WorkingDays,
};

/// The moves `actor` may make on the case now.
///
/// An operator acts only as their own unit: a department's 处置人员 for the department, a
/// centre's 值班长/派遣员 recording a handler's work on its behalf (代录, marked so in the
/// trail and counted apart).
pub fn offered(
    rules: &Rules<'_>,
    intake: &Intake,
    derived: &Derived,
    actor: &Actor,
    now: Millis,
) -> Vec<Offer> {
    offered_in(rules, intake, derived, actor, now, None)
}

/// [`offered`], with 纳入应急 (into `lane`) among the candidates when the node is in 战时.
pub fn offered_in(
    rules: &Rules<'_>,
    intake: &Intake,
    derived: &Derived,
    actor: &Actor,
    now: Millis,
    lane: Option<&gridloop_core::domain::emergency::Lane>,
) -> Vec<Offer> {
    let s = &derived.current;
    let d = rules.district;
    let actors = [actor.clone()];
    let first_dept = d.departments().first().map(|u| u.id.clone());
    let mut downs: Vec<UnitId> = vec![s.grid.street(), s.grid.community()];
    downs.retain(|u| d.parent(u) == Some(&s.holder));
    let mut offers = Vec::new();
    for a in &actors {
        let own = a.unit.clone();
        let mut cands = vec![
            Action::Accept,
            Action::SendToVerify,
            Action::Reject {
                reason: TEXT.into(),
            },
            Action::Verify {
                confirmed: true,
                note: TEXT.into(),
            },
            Action::Verify {
                confirmed: false,
                note: TEXT.into(),
            },
            Action::Register {
                category: s.category.clone(),
                grid: s.grid.clone(),
            },
            Action::Void {
                reason: TEXT.into(),
            },
            Action::SelfHandle,
            Action::Escalate {
                reason: TEXT.into(),
            },
        ];
        if let Some(dept) = &first_dept {
            cands.push(Action::Dispatch {
                lead: dept.clone(),
                assists: vec![],
            });
            cands.push(Action::Whistle {
                departments: vec![dept.clone()],
            });
        }
        for u in &downs {
            cands.push(Action::DispatchDown { unit: u.clone() });
        }
        // 一案双派: the territory (属地) with the suggested or first department (属主).
        if let (Some(t), Some(dept)) = (downs.first(), &first_dept) {
            cands.push(Action::JointDispatch {
                units: vec![t.clone(), dept.clone()],
            });
        }
        // 督办单 to the holder or the lead handler, a reply due in one working day.
        let mut ordered: Vec<&UnitId> = s.handlers.first().into_iter().collect();
        if !ordered.contains(&&s.holder) {
            ordered.push(&s.holder);
        }
        for to in ordered {
            cands.push(Action::Order {
                unit: to.clone(),
                note: TEXT.into(),
                due: rules.calendar.add(now, ONE_WORKING_DAY),
                auto: false,
            });
        }
        for o in s.orders.iter().filter(|o| o.replied.is_none()) {
            cands.push(Action::Reply {
                order: o.id.clone(),
                note: TEXT.into(),
            });
        }
        for x in &s.disputable {
            cands.push(Action::Appeal {
                unit: x.unit.clone(),
                against: x.decision.clone(),
                reason: TEXT.into(),
            });
        }
        for sm in s.summons.iter().filter(|x| x.reported_in.is_some()) {
            for rating in Rating::ALL {
                cands.push(Action::Rate {
                    unit: sm.unit.clone(),
                    rating,
                    note: TEXT.into(),
                });
            }
        }
        let handler_units: Vec<UnitId> =
            if a.role == Role::Handler || matches!(a.role, Role::GridWorker | Role::StationChief) {
                vec![own.clone()]
            } else {
                s.handlers.clone()
            };
        // The rules offer them only where the unit has not signed or called yet.
        for u in &handler_units {
            cands.push(Action::SignFor { unit: u.clone() });
            cands.push(Action::Contact {
                unit: u.clone(),
                note: TEXT.into(),
            });
        }
        cands.push(Action::Answer { note: TEXT.into() });
        // A unit of a 一案双派 feeds back for itself; else the lead handler.
        let feedback_units = if s.joint { handler_units.len() } else { 1 };
        for u in handler_units.iter().take(feedback_units) {
            cands.push(Action::Feedback {
                unit: u.clone(),
                note: TEXT.into(),
                photos: vec![],
            });
            for kind in [
                RequestKind::SendBack,
                RequestKind::Extension,
                RequestKind::Park,
            ] {
                cands.push(Action::Request {
                    kind,
                    unit: u.clone(),
                    reason: TEXT.into(),
                    until: (kind == RequestKind::Extension)
                        .then(|| rules.extension_until(s, now, ONE_WORKING_DAY)),
                });
            }
        }
        for sm in s.summons.iter().filter(|x| x.reported_in.is_none()) {
            cands.push(Action::ReportIn {
                unit: sm.unit.clone(),
            });
        }
        if let Some(p) = &s.pending {
            cands.push(Action::Decide {
                request: p.id.clone(),
                approve: true,
                note: TEXT.into(),
            });
            cands.push(Action::Decide {
                request: p.id.clone(),
                approve: false,
                note: TEXT.into(),
            });
        }
        cands.extend([
            Action::Reactivate,
            Action::Check {
                passed: true,
                note: TEXT.into(),
            },
            Action::Check {
                passed: false,
                note: TEXT.into(),
            },
            Action::Close,
            // One 回访 offer: the citizen's answers (解决? 满意度?) are asked in its dialog.
            Action::callback(true, Rating::Satisfied, TEXT),
            Action::Supervise { note: TEXT.into() },
            Action::Urge { note: TEXT.into() },
            Action::SelfClose {
                evidence: vec!["photo://evidence".into()],
                note: TEXT.into(),
            },
        ]);
        if let Some(l) = lane {
            cands.push(Action::Link { lane: l.clone() });
        }
        for b in derived.conflict.iter().flatten() {
            cands.push(Action::Resolve {
                keep: b.tip.clone(),
                note: TEXT.into(),
            });
        }
        for action in cands {
            let e = Event {
                id: EventId("0000000000000000".into()),
                after: derived.after_for(&action),
                at: Hlc {
                    millis: now.max(s.updated + 1),
                    counter: 0,
                },
                node: a.node.clone(),
                unit: a.unit.clone(),
                role: a.role,
                action: action.clone(),
                offline: false,
                person: None,
            };
            if rules.check_live(intake, derived, &e).is_ok() {
                offers.push(Offer {
                    actor: a.clone(),
                    action,
                });
            }
        }
    }
    offers
}
