//! Who may make which move (规则): [`Rules`], the district context the workflow runs in,
//! [`Rules::check`], which sends each move to its family's checks, and the helpers they
//! share (places, roles, states, texts).
//!
//! Places are "at the holder", "at or above the holder" (an ancestor unit), or "for a
//! handler" (the department itself, a community handling its own case, or the holder's
//! 值班长/派遣员 recording on its behalf).

mod dispatch;
mod emergency;
mod escalation;
mod handling;
mod intake;
mod merge;

use crate::domain::calendar::Millis;
use crate::domain::calendar::WorkCalendar;
use crate::domain::catalogue::Catalogue;
use crate::domain::config::{ConfigBook, DistrictConfig};
use crate::domain::event::{Action, Event};
use crate::domain::intake::Intake;
use crate::domain::limits::StageLimits;
use crate::domain::role::Role;
use crate::domain::unit::{District, UnitId, UnitKind};

use super::case_state::CaseState;
use super::refusal::{Reason, Refusal, TextField, UnitRef};
use super::state::State;

/// Everything the workflow needs to know about the district (规则上下文).
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    /// Units and grid cells.
    pub district: &'a District,
    /// Categories and their limits.
    pub catalogue: &'a Catalogue,
    /// Working calendar for deadlines.
    pub calendar: &'a WorkCalendar,
    /// Per-stage limits.
    pub limits: &'a StageLimits,
    /// The configuration versions, when the district has released more than one: each move
    /// is then judged by the version in force when it was made ([`Rules::in_force`]).
    pub book: Option<&'a ConfigBook>,
}

/// A refusal by rule `{scope}.{reason.check()}`.
pub(super) fn refuse(scope: &str, reason: Reason) -> Refusal {
    Refusal::new(scope, reason)
}

impl<'a> Rules<'a> {
    /// Rules over one configuration, without versions.
    pub fn of(
        district: &'a District,
        catalogue: &'a Catalogue,
        calendar: &'a WorkCalendar,
        limits: &'a StageLimits,
    ) -> Rules<'a> {
        Rules {
            district,
            catalogue,
            calendar,
            limits,
            book: None,
        }
    }

    /// The rules of the configuration version in force at `t` (生效版本), when that is not
    /// the one these rules use; `None` when they already are (or there are no versions).
    pub fn in_force(&self, t: Millis) -> Option<Rules<'a>> {
        let book = self.book?;
        if book.versions().len() < 2 {
            return None;
        }
        let c = &*book.at(t).config;
        if std::ptr::eq(&c.district, self.district) {
            return None;
        }
        Some(Rules {
            district: &c.district,
            catalogue: &c.catalogue,
            calendar: &c.calendar,
            limits: &c.limits,
            book: self.book,
        })
    }

    /// The configuration these rules are of, when they come from a book.
    pub fn config(&self) -> Option<&'a DistrictConfig> {
        self.book?
            .versions()
            .iter()
            .map(|v| &*v.config)
            .find(|c| std::ptr::eq(&c.district, self.district))
    }

    /// The calendar a unit's deadlines run on: round the clock for a unit the configuration
    /// lists as working every day (24小时值守, 环卫), else the district's working calendar.
    pub fn calendar_for(&self, unit: &UnitId) -> &'a WorkCalendar {
        match self.config() {
            Some(c) if c.always_on.contains(unit) => &c.round_the_clock,
            _ => self.calendar,
        }
    }

    /// Checks that `e` may be made on a case in state `s` (conflict aside): the state allows
    /// the move, the author's role at their unit may make it, and its payload is sound.
    pub fn check(&self, intake: &Intake, s: &CaseState, e: &Event) -> Result<(), Refusal> {
        if let Some(r) = self.in_force(e.millis()) {
            return r.check(intake, s, e);
        }
        let r = e.action.name();
        match &e.action {
            Action::Report => Err(refuse("report", Reason::ReportedTwice)),
            Action::Accept | Action::SendToVerify => self.check_accept(r, s, e),
            Action::Reject { reason } => self.check_reject(r, s, e, reason),
            Action::Verify { .. } => self.check_verify(r, s, e),
            Action::Register { category, grid } => self.check_register(r, s, e, category, grid),
            Action::Void { reason } => self.check_void(r, s, e, reason),
            Action::SelfHandle => self.check_self_handle(r, s, e),
            Action::SelfClose { evidence, .. } => self.check_self_close(r, s, e, evidence),
            Action::Dispatch { lead, assists } => self.check_dispatch(r, s, e, lead, assists),
            Action::DispatchDown { unit } => self.check_dispatch_down(r, s, e, unit),
            Action::JointDispatch { units } => self.check_joint_dispatch(r, s, e, units),
            Action::Order {
                unit, note, due, ..
            } => self.check_order(r, s, e, unit, note, *due),
            Action::Reply { order, note } => self.check_reply(r, s, e, order, note),
            Action::Appeal {
                unit,
                against,
                reason,
            } => self.check_appeal(r, s, e, unit, against, reason),
            Action::Merge { note, .. } => self.check_merge(r, s, e, note),
            Action::Absorb { .. } => self.check_absorb(r, s, e),
            Action::ParentClosed { parent } => self.check_parent_closed(r, s, e, parent),
            Action::Rate { unit, .. } => self.check_rate(r, s, e, unit),
            Action::Feedback { unit, .. } => self.check_feedback(r, s, e, unit),
            Action::Request {
                kind,
                unit,
                reason,
                until,
            } => self.check_request(r, s, e, *kind, unit, reason, *until),
            Action::Decide { request, .. } => self.check_decide(intake, s, e, request),
            Action::Reactivate => self.check_reactivate(r, s, e),
            Action::Check { .. } => self.check_check(r, s, e),
            Action::Close => self.check_close(r, s, e),
            Action::Callback { .. } => self.check_callback(r, intake, s, e),
            Action::Resolve { .. } => Err(refuse("resolve", Reason::NoConflict)),
            Action::Escalate { reason } => self.check_escalate(r, s, e, reason),
            Action::Whistle { departments } => self.check_whistle(r, s, e, departments),
            Action::ReportIn { unit } => self.check_report_in(r, s, e, unit),
            Action::SignFor { unit } => self.check_sign_for(r, s, e, unit),
            Action::Contact { unit, note } => self.check_contact(r, intake, s, e, unit, note),
            Action::Answer { note } => self.check_answer(r, intake, s, e, note),
            Action::Supervise { note } | Action::Urge { note } => {
                self.check_supervise(r, s, e, note)
            }
            Action::Activate {
                level,
                area,
                checklist,
                limits,
                ..
            } => self.check_activate(r, s, e, *level, area, checklist, limits),
            Action::Tick { item, .. } => self.check_tick(r, s, e, *item),
            Action::Summon { units, resources } => self.check_summon(r, s, e, units, resources),
            Action::StandDown { note } => self.check_stand_down(r, s, e, note),
            Action::Link { lane } => self.check_link(r, s, e, lane),
        }
    }

    /// The kind of `unit`, if the district knows it.
    pub(super) fn kind(&self, unit: &UnitId) -> Option<UnitKind> {
        self.district.unit(unit).map(|u| u.kind)
    }

    /// `unit` with its name, as a refusal names it.
    pub(super) fn unit_ref(&self, unit: &UnitId) -> UnitRef {
        UnitRef {
            id: unit.clone(),
            name: self.district.unit(unit).map(|u| u.name.clone()),
        }
    }

    /// Whether `upper` is `lower` or one of its ancestors.
    pub(super) fn above(&self, upper: &UnitId, lower: &UnitId) -> bool {
        self.district.is_same_or_above(upper, lower)
    }

    /// The author of `e` holds one of `roles` at `unit` (or above it, with `or_above`).
    pub(super) fn roles_at(
        &self,
        rule: &str,
        e: &Event,
        roles: &[Role],
        unit: &UnitId,
        or_above: bool,
    ) -> Result<(), Refusal> {
        let place_ok = if or_above {
            self.above(&e.unit, unit)
        } else {
            e.unit == *unit
        };
        if roles.contains(&e.role) && place_ok {
            return Ok(());
        }
        Err(refuse(
            rule,
            Reason::WrongRole {
                act: rule.to_string(),
                allowed: roles.to_vec(),
                holder: self.unit_ref(unit),
                or_above,
                role: e.role,
                unit: self.unit_ref(&e.unit),
            },
        ))
    }

    /// The roles that command at `unit`: 网格员/站长 at a community, else 受理员, 值班长,
    /// 派遣员 and 领导.
    pub(super) fn command_roles(&self, unit: &UnitId) -> &'static [Role] {
        match self.kind(unit) {
            Some(UnitKind::Community) => &[Role::GridWorker, Role::StationChief],
            _ => &[
                Role::Intake,
                Role::ShiftLead,
                Role::Dispatcher,
                Role::Leader,
            ],
        }
    }

    /// Whether `e`'s author may record work for handler `unit`: the handler itself, a
    /// community working its own case, or the holder's shift lead or dispatcher on its behalf.
    pub(super) fn for_handler(
        &self,
        rule: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
    ) -> Result<(), Refusal> {
        let own = e.unit == *unit
            && match self.kind(unit) {
                Some(UnitKind::Community) => {
                    matches!(e.role, Role::GridWorker | Role::StationChief)
                }
                // A street (属地 in a 一案双派) works through its own command staff.
                Some(UnitKind::Street) => matches!(
                    e.role,
                    Role::ShiftLead | Role::Dispatcher | Role::Leader | Role::Handler
                ),
                _ => e.role == Role::Handler,
            };
        let on_behalf = e.unit == s.holder && matches!(e.role, Role::ShiftLead | Role::Dispatcher);
        if own || on_behalf {
            Ok(())
        } else {
            Err(refuse(
                rule,
                Reason::NotForHandler {
                    act: rule.to_string(),
                    handler: self.unit_ref(unit),
                    holder: self.unit_ref(&s.holder),
                    role: e.role,
                    unit: self.unit_ref(&e.unit),
                },
            ))
        }
    }

    /// A move a handling unit makes once (签收, 先行联系, 报到), by or for `unit`: `made` is
    /// `Some(done)` when the unit has the record the move fills, `None` when it has none.
    /// Refused with `already` when done, with `missing` when there is no record.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn once_for(
        &self,
        rule: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
        made: Option<bool>,
        already: Reason,
        missing: Reason,
    ) -> Result<(), Refusal> {
        match made {
            Some(false) => self.for_handler(rule, s, e, unit),
            Some(true) => Err(refuse(rule, already)),
            None => Err(refuse(rule, missing)),
        }
    }

    /// The case is in one of the `allowed` states.
    pub(super) fn need_state(
        &self,
        rule: &str,
        s: &CaseState,
        allowed: &[State],
    ) -> Result<(), Refusal> {
        if allowed.contains(&s.state) {
            Ok(())
        } else {
            Err(refuse(
                rule,
                Reason::WrongState {
                    act: rule.to_string(),
                    allowed: allowed.to_vec(),
                    state: s.state,
                },
            ))
        }
    }

    /// No request is waiting for approval.
    pub(super) fn no_pending(&self, rule: &str, s: &CaseState) -> Result<(), Refusal> {
        match &s.pending {
            Some(p) => Err(refuse(
                rule,
                Reason::RequestPending {
                    kind: p.kind,
                    request: p.id.clone(),
                },
            )),
            None => Ok(()),
        }
    }

    /// The move's reason or note is not blank.
    pub(super) fn need_text(
        &self,
        rule: &str,
        field: TextField,
        text: &str,
    ) -> Result<(), Refusal> {
        if text.trim().is_empty() {
            Err(refuse(
                rule,
                Reason::MissingText {
                    act: rule.to_string(),
                    field,
                },
            ))
        } else {
            Ok(())
        }
    }

    /// `unit` is a department.
    pub(super) fn need_department(&self, rule: &str, unit: &UnitId) -> Result<(), Refusal> {
        match self.kind(unit) {
            Some(UnitKind::Department) => Ok(()),
            _ => Err(refuse(
                rule,
                Reason::NotDepartment {
                    unit: self.unit_ref(unit),
                },
            )),
        }
    }
}
