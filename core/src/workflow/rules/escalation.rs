//! Escalation rules (上报上级、吹哨报到、督办): 上报上级 one level up, a street's 吹哨 and the
//! summoned departments' 报到 and the street's rating of them (双向考核), 督办/催办 notes and
//! 督办单 from above with their replies.

use crate::domain::calendar::Millis;
use crate::domain::event::{Event, EventId};
use crate::domain::role::Role;
use crate::domain::unit::{UnitId, UnitKind};

use super::super::case_state::CaseState;
use super::super::refusal::{Reason, Refusal, TextField};
use super::super::state::State;
use super::{Rules, refuse};

impl<'a> Rules<'a> {
    /// 上报上级: before the work is fed back, with a reason, by the holder's command staff,
    /// when there is a street or district above it.
    pub(super) fn check_escalate(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        reason: &str,
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(r, s, &State::ACTIVE)?;
        self.no_pending(r, s)?;
        self.need_text(r, TextField::Reason, reason)?;
        self.roles_at(r, e, self.command_roles(h), h, false)?;
        match self.district.parent(h).and_then(|p| self.kind(p)) {
            Some(UnitKind::Street | UnitKind::District) => Ok(()),
            _ => Err(refuse(
                "escalate",
                Reason::NoLevelAbove {
                    holder: self.unit_ref(h),
                },
            )),
        }
    }

    /// 吹哨: a street's 值班长 summons at least one department.
    pub(super) fn check_whistle(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        departments: &[UnitId],
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(
            r,
            s,
            &[State::ToRegister, State::ToDispatch, State::Handling],
        )?;
        if self.kind(h) != Some(UnitKind::Street) {
            return Err(refuse("whistle", Reason::NotStreet));
        }
        // 街道吹哨: the street's 值班长 or its 领导.
        self.roles_at(r, e, &[Role::ShiftLead, Role::Leader], h, false)?;
        if departments.is_empty() {
            return Err(refuse("whistle", Reason::NoDepartments));
        }
        for d in departments {
            self.need_department(r, d)?;
        }
        Ok(())
    }

    /// 报到: once, for a summoned unit.
    pub(super) fn check_report_in(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Handling])?;
        let u = self.unit_ref(unit);
        self.once_for(
            r,
            s,
            e,
            unit,
            s.summons
                .iter()
                .find(|x| &x.unit == unit)
                .map(|x| x.reported_in.is_some()),
            Reason::AlreadyReportedIn { unit: u.clone() },
            Reason::NotSummoned { unit: u },
        )
    }

    /// 督办/催办: on an open or parked case, with a note, by a 领导 at or above or a 值班长
    /// above the holder.
    pub(super) fn check_supervise(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        note: &str,
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        if !s.state.is_open() && s.state != State::Parked {
            return Err(refuse(
                r,
                Reason::NotOpen {
                    act: r.to_string(),
                    state: s.state,
                },
            ));
        }
        self.need_text(r, TextField::Note, note)?;
        let leader = e.role == Role::Leader && self.above(&e.unit, h);
        let lead_above = e.role == Role::ShiftLead && e.unit != *h && self.above(&e.unit, h);
        if leader || lead_above {
            Ok(())
        } else {
            Err(refuse(
                r,
                Reason::NotAbove {
                    act: r.to_string(),
                    holder: self.unit_ref(h),
                    role: e.role,
                    unit: self.unit_ref(&e.unit),
                },
            ))
        }
    }

    /// 督办单: as a 督办 (from above the holder, with a note), to the holder or a unit handling
    /// the case, with a reply due after it is issued.
    pub(super) fn check_order(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
        note: &str,
        due: Millis,
    ) -> Result<(), Refusal> {
        self.check_supervise(r, s, e, note)?;
        if *unit != s.holder && !s.handlers.contains(unit) {
            return Err(refuse(
                r,
                Reason::NotOrderable {
                    unit: self.unit_ref(unit),
                },
            ));
        }
        if due <= e.millis() {
            return Err(refuse(r, Reason::OrderDueBefore));
        }
        Ok(())
    }

    /// 督办回复: by the ordered unit, to an order not answered yet, with a note.
    pub(super) fn check_reply(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        order: &EventId,
        note: &str,
    ) -> Result<(), Refusal> {
        self.need_text(r, TextField::Note, note)?;
        let open = s
            .orders
            .iter()
            .any(|o| &o.id == order && o.replied.is_none() && o.unit == e.unit);
        if !open || matches!(e.role, Role::Callback | Role::Supervisor) {
            return Err(refuse(
                r,
                Reason::NoOrder {
                    order: order.clone(),
                },
            ));
        }
        Ok(())
    }

    /// 双向考核: the street's 值班长/领导 rates, once, a department that reported in.
    pub(super) fn check_rate(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
    ) -> Result<(), Refusal> {
        if self.kind(&e.unit) != Some(UnitKind::Street) {
            return Err(refuse(r, Reason::NotStreet));
        }
        self.roles_at(r, e, &[Role::ShiftLead, Role::Leader], &e.unit, false)?;
        let reported = s
            .summons
            .iter()
            .any(|x| &x.unit == unit && x.reported_in.is_some());
        if !reported || !self.above(&e.unit, &s.holder) {
            return Err(refuse(
                r,
                Reason::NotReportedIn {
                    unit: self.unit_ref(unit),
                },
            ));
        }
        if s.ratings.iter().any(|(u, _)| u == unit) {
            return Err(refuse(
                r,
                Reason::AlreadyRated {
                    unit: self.unit_ref(unit),
                },
            ));
        }
        Ok(())
    }
}
