//! Dispatch rules (派遣): 派遣 to departments (一案双派 with assisting units) and 属地派遣
//! down to a street or community.

use std::collections::BTreeSet;

use crate::domain::event::Event;
use crate::domain::role::Role;
use crate::domain::unit::{UnitId, UnitKind};

use super::super::case_state::CaseState;
use super::super::refusal::{Reason, Refusal};
use super::super::state::State;
use super::{Rules, refuse};

impl<'a> Rules<'a> {
    /// 派遣: the holder's 派遣员/值班长, to departments, none named twice.
    pub(super) fn check_dispatch(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        lead: &UnitId,
        assists: &[UnitId],
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::ToDispatch])?;
        self.roles_at(r, e, &[Role::Dispatcher, Role::ShiftLead], &s.holder, false)?;
        self.need_department(r, lead)?;
        let mut seen = BTreeSet::from([lead]);
        for a in assists {
            self.need_department(r, a)?;
            if !seen.insert(a) {
                return Err(refuse(
                    "dispatch",
                    Reason::NamedTwice {
                        unit: self.unit_ref(a),
                    },
                ));
            }
        }
        Ok(())
    }

    /// 一案双派: the holder's 派遣员/值班长, to two or more different units, each a department
    /// (属主) or a street or community under the holder whose territory holds the case (属地).
    pub(super) fn check_joint_dispatch(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        units: &[UnitId],
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::ToDispatch])?;
        self.roles_at(r, e, &[Role::Dispatcher, Role::ShiftLead], &s.holder, false)?;
        let distinct: BTreeSet<&UnitId> = units.iter().collect();
        let cell = self.district.grid(&s.grid);
        let fits = |u: &UnitId| match self.kind(u) {
            Some(UnitKind::Department) => true,
            Some(UnitKind::Street | UnitKind::Community) => {
                *u != s.holder
                    && self.above(&s.holder, u)
                    && cell.is_none_or(|c| self.above(u, &c.community))
            }
            _ => false,
        };
        if units.len() < 2 || distinct.len() != units.len() || !units.iter().all(fits) {
            return Err(refuse("joint_dispatch", Reason::JointUnits));
        }
        Ok(())
    }

    /// 属地派遣: the holder's 派遣员/值班长, to a street or community under it whose
    /// territory holds the case's grid.
    pub(super) fn check_dispatch_down(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(r, s, &[State::ToDispatch, State::ToRegister])?;
        self.roles_at(r, e, &[Role::Dispatcher, Role::ShiftLead], h, false)?;
        let ok = matches!(
            self.kind(unit),
            Some(UnitKind::Street | UnitKind::Community)
        ) && unit != h
            && self.above(h, unit);
        if !ok {
            return Err(refuse(
                "dispatch_down",
                Reason::NotBelow {
                    unit: self.unit_ref(unit),
                    holder: self.unit_ref(h),
                },
            ));
        }
        let cell = self.district.grid(&s.grid);
        if cell.is_some_and(|c| !self.above(unit, &c.community)) {
            return Err(refuse(
                "dispatch_down",
                Reason::GridNotInTerritory {
                    grid: s.grid.clone(),
                    unit: self.unit_ref(unit),
                },
            ));
        }
        Ok(())
    }
}
