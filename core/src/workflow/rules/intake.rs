//! Intake rules (受理): the report (上报) and the state it starts, 受理/派核实, 不予受理,
//! 核实, 立案, 作废 and a community's 自处置.

use crate::domain::calendar::TimeLimit;
use crate::domain::catalogue::CategoryCode;
use crate::domain::event::{Action, Event};
use crate::domain::intake::Intake;
use crate::domain::role::Role;
use crate::domain::unit::{GridCode, UnitKind};

use super::super::case_state::{Act, CaseState, Milestones, Step};
use super::super::deadline::Deadline;
use super::super::refusal::{Reason, Refusal, TextField};
use super::super::state::{Loop, State};
use super::{Rules, refuse};

impl<'a> Rules<'a> {
    /// The state after the report event, or why the report is not acceptable.
    pub fn initial(&self, intake: &Intake, report: &Event) -> Result<CaseState, Refusal> {
        if let Some(r) = self.in_force(report.millis()) {
            return r.initial(intake, report);
        }
        if !matches!(report.action, Action::Report) {
            return Err(refuse("report", Reason::NotReportFirst));
        }
        let Some(kind) = self.kind(&report.unit) else {
            return Err(refuse(
                "report",
                Reason::UnknownUnit {
                    unit: report.unit.clone(),
                },
            ));
        };
        let Some(cell) = self.district.grid(&intake.grid) else {
            return Err(refuse(
                "report",
                Reason::UnknownGrid {
                    grid: intake.grid.clone(),
                },
            ));
        };
        if self.catalogue.get(&intake.category).is_none() {
            return Err(refuse(
                "report",
                Reason::UnknownCategory {
                    category: intake.category.clone(),
                },
            ));
        }
        let holder = match kind {
            UnitKind::Department => self.district.root().id.clone(),
            _ => report.unit.clone(),
        };
        if kind != UnitKind::Department && !self.above(&holder, &cell.community) {
            return Err(refuse(
                "report",
                Reason::OutsideTerritory {
                    unit: self.unit_ref(&holder),
                    grid: intake.grid.clone(),
                    community: self.unit_ref(&cell.community),
                },
            ));
        }
        let at = report.millis();
        let level = Loop::of(self.kind(&holder).unwrap_or(UnitKind::District));
        Ok(CaseState {
            state: State::Reported,
            holder: holder.clone(),
            level,
            category: intake.category.clone(),
            grid: intake.grid.clone(),
            handlers: Vec::new(),
            joint: false,
            self_handling: false,
            down_from: None,
            summons: Vec::new(),
            stage: Some(Deadline::new(
                self.calendar,
                at,
                match &intake.emergency {
                    Some(l) => TimeLimit::minutes(l.limits.accept),
                    None => self.limits.accept,
                },
            )),
            overall: None,
            rework: 0,
            extensions: 0,
            send_backs: 0,
            escalations: 0,
            pending: None,
            satisfied: None,
            answers: None,
            receipts: Vec::new(),
            notes: 0,
            orders: Vec::new(),
            ratings: Vec::new(),
            merged_into: None,
            children: Vec::new(),
            disputable: Vec::new(),
            milestones: Milestones {
                reported: at,
                ..Milestones::default()
            },
            acts: vec![Act {
                step: Step::Report,
                unit: report.unit.clone(),
                role: report.role,
                at,
                due: None,
                ok: true,
                offline: report.offline,
                by: None,
                person: report.person.clone(),
            }],
            units: [holder].into_iter().collect(),
            lane: intake.emergency.clone(),
            incident: None,
            last: report.id.clone(),
            updated: at,
        })
    }

    /// 受理 or 派核实: at a street or the district, by its 受理员/值班长.
    pub(super) fn check_accept(&self, r: &str, s: &CaseState, e: &Event) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(r, s, &[State::Reported])?;
        if self.kind(h) == Some(UnitKind::Community) {
            return Err(refuse(r, Reason::CommunityDoesNotRegister));
        }
        self.roles_at(r, e, &[Role::Intake, Role::ShiftLead], h, false)
    }

    /// 不予受理, with a reason: 站长 at a community, 受理员/值班长 elsewhere.
    pub(super) fn check_reject(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        reason: &str,
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(r, s, &[State::Reported])?;
        self.need_text(r, TextField::Reason, reason)?;
        let roles: &[Role] = if self.kind(h) == Some(UnitKind::Community) {
            &[Role::StationChief]
        } else {
            &[Role::Intake, Role::ShiftLead]
        };
        self.roles_at(r, e, roles, h, false)
    }

    /// 核实反馈: a 监督员 at or above the holder.
    pub(super) fn check_verify(&self, r: &str, s: &CaseState, e: &Event) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Verifying])?;
        self.roles_at(r, e, &[Role::Supervisor], &s.holder, true)
    }

    /// 立案: the holder's 值班长, with a known category and a grid in its territory.
    pub(super) fn check_register(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        category: &CategoryCode,
        grid: &GridCode,
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(r, s, &[State::ToRegister])?;
        self.roles_at(r, e, &[Role::ShiftLead], h, false)?;
        if self.catalogue.get(category).is_none() {
            return Err(refuse(
                "register",
                Reason::UnknownCategory {
                    category: category.clone(),
                },
            ));
        }
        let Some(cell) = self.district.grid(grid) else {
            return Err(refuse(
                "register",
                Reason::UnknownGrid { grid: grid.clone() },
            ));
        };
        if !self.above(h, &cell.community) {
            return Err(refuse(
                "register",
                Reason::GridOutside {
                    grid: grid.clone(),
                    holder: self.unit_ref(h),
                },
            ));
        }
        Ok(())
    }

    /// 作废, with a reason: the holder's 值班长.
    pub(super) fn check_void(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        reason: &str,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::ToRegister])?;
        self.need_text(r, TextField::Reason, reason)?;
        self.roles_at(r, e, &[Role::ShiftLead], &s.holder, false)
    }

    /// 自处置: a community's 网格员/站长 takes its own case (微循环).
    pub(super) fn check_self_handle(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(r, s, &[State::Reported])?;
        if self.kind(h) != Some(UnitKind::Community) {
            return Err(refuse("self_handle", Reason::NotCommunity));
        }
        self.roles_at(r, e, &[Role::GridWorker, Role::StationChief], h, false)
    }
}
