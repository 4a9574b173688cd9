//! Emergency rules (平战一体): 启动预案 on a 突发事件 case, 预案落实 ticks, 应急调度, 解除应急
//! and 纳入应急 (putting a case in an incident's lane).

use crate::domain::emergency::{EmergencyLimits, INCIDENT_CLASS, Incident, Lane};
use crate::domain::event::Event;
use crate::domain::role::Role;
use crate::domain::unit::{UnitId, UnitKind};

use super::super::case_state::CaseState;
use super::super::refusal::{Reason, Refusal, TextField};
use super::super::state::State;
use super::{Rules, refuse};

impl<'a> Rules<'a> {
    /// 启动预案: once, on an active 突发事件 case, by command staff at or above the holder,
    /// with a level of 1–4, an area of their own territory, a checklist and limits.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_activate(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        level: u8,
        area: &[UnitId],
        checklist: &[String],
        limits: &EmergencyLimits,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &State::ACTIVE)?;
        if s.incident.is_some() {
            return Err(refuse("activate", Reason::AlreadyActivated));
        }
        if s.category.major() != INCIDENT_CLASS {
            return Err(refuse(
                "activate",
                Reason::NotIncidentClass {
                    category: s.category.clone(),
                },
            ));
        }
        self.emergency_author(r, e, &s.holder)?;
        if !(1..=4).contains(&level) {
            return Err(refuse("activate", Reason::BadLevel { level }));
        }
        if area.is_empty() {
            return Err(refuse("activate", Reason::EmptyArea));
        }
        for u in area {
            match self.kind(u) {
                None | Some(UnitKind::Department) => {
                    return Err(refuse(
                        "activate",
                        Reason::NotAreaUnit {
                            unit: self.unit_ref(u),
                        },
                    ));
                }
                _ if !self.above(&e.unit, u) => {
                    return Err(refuse(
                        "activate",
                        Reason::AreaOutside {
                            by: self.unit_ref(&e.unit),
                            unit: self.unit_ref(u),
                        },
                    ));
                }
                _ => {}
            }
        }
        if checklist.is_empty() || checklist.iter().any(|t| t.trim().is_empty()) {
            return Err(refuse("activate", Reason::BadChecklist));
        }
        need_limits(r, limits)
    }

    /// 预案落实: an item not yet done, by command staff of a unit in the emergency (or above
    /// the holder, or summoned).
    pub(super) fn check_tick(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        item: u32,
    ) -> Result<(), Refusal> {
        let i = self.need_incident(r, s)?;
        let Some(it) = i.checklist.get(item as usize) else {
            return Err(refuse(
                "tick",
                Reason::NoSuchItem {
                    items: i.checklist.len(),
                    item,
                },
            ));
        };
        if it.done.is_some() {
            return Err(refuse(
                "tick",
                Reason::ItemDone {
                    item,
                    text: it.text.clone(),
                },
            ));
        }
        let in_area = i.covers(self.district, &e.unit)
            || self.above(&e.unit, &s.holder)
            || s.summons.iter().any(|x| x.unit == e.unit);
        if !in_area || !self.command_roles(&e.unit).contains(&e.role) {
            return Err(refuse(
                "tick",
                Reason::NotInEmergency {
                    role: e.role,
                    unit: self.unit_ref(&e.unit),
                },
            ));
        }
        Ok(())
    }

    /// 应急调度: units (departments, or streets and communities in the area) not yet
    /// summoned, or resources, by command staff at or above the holder.
    pub(super) fn check_summon(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        units: &[UnitId],
        resources: &[String],
    ) -> Result<(), Refusal> {
        let i = self.need_incident(r, s)?;
        self.emergency_author(r, e, &s.holder)?;
        if units.is_empty() && resources.iter().all(|x| x.trim().is_empty()) {
            return Err(refuse("summon", Reason::NothingSummoned));
        }
        for u in units {
            match self.kind(u) {
                Some(UnitKind::Department) => {}
                Some(UnitKind::Street | UnitKind::Community)
                    if self.above(&e.unit, u) || i.covers(self.district, u) => {}
                _ => {
                    return Err(refuse(
                        "summon",
                        Reason::CannotSummon {
                            unit: self.unit_ref(u),
                        },
                    ));
                }
            }
            if s.summons.iter().any(|x| &x.unit == u) {
                return Err(refuse(
                    "summon",
                    Reason::AlreadySummoned {
                        unit: self.unit_ref(u),
                    },
                ));
            }
        }
        Ok(())
    }

    /// 解除应急: an active incident, with a note, by command staff at or above the holder.
    pub(super) fn check_stand_down(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        note: &str,
    ) -> Result<(), Refusal> {
        self.need_incident(r, s)?;
        self.need_text(r, TextField::Note, note)?;
        self.emergency_author(r, e, &s.holder)
    }

    /// 纳入应急: an open case that is neither an incident nor in a lane, by command staff at
    /// or above its holder, with sound limits.
    pub(super) fn check_link(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        lane: &Lane,
    ) -> Result<(), Refusal> {
        let h = &s.holder;
        self.need_state(r, s, &State::OPEN)?;
        if s.incident.is_some() {
            return Err(refuse("link", Reason::IncidentIsLane));
        }
        if let Some(l) = &s.lane {
            return Err(refuse(
                "link",
                Reason::AlreadyInLane {
                    incident: l.incident.clone(),
                },
            ));
        }
        if !self.above(&e.unit, h) || !self.command_roles(&e.unit).contains(&e.role) {
            return Err(refuse(
                "link",
                Reason::NotCommandAbove {
                    holder: self.unit_ref(h),
                    role: e.role,
                    unit: self.unit_ref(&e.unit),
                },
            ));
        }
        need_limits(r, &lane.limits)
    }

    /// 值班长/领导 at a district or street, 站长 at a community: who opens, summons for and
    /// stands down an emergency incident.
    fn emergency_roles(&self, unit: &UnitId) -> &'static [Role] {
        self.kind(unit)
            .map(crate::domain::emergency::command_roles)
            .unwrap_or(&[])
    }

    /// 值班长/领导 (站长 at a community) at or above the holder.
    fn emergency_author(&self, rule: &str, e: &Event, holder: &UnitId) -> Result<(), Refusal> {
        let roles = self.emergency_roles(&e.unit);
        if roles.contains(&e.role) && self.above(&e.unit, holder) {
            return Ok(());
        }
        Err(refuse(
            rule,
            Reason::NotCommand {
                act: rule.to_string(),
                allowed: roles.to_vec(),
                holder: self.unit_ref(holder),
                role: e.role,
                unit: self.unit_ref(&e.unit),
            },
        ))
    }

    /// The case's incident, while it is active.
    fn need_incident<'s>(&self, rule: &str, s: &'s CaseState) -> Result<&'s Incident, Refusal> {
        match &s.incident {
            Some(i) if i.active() => Ok(i),
            Some(_) => Err(refuse(rule, Reason::IncidentEnded)),
            None => Err(refuse(rule, Reason::NoIncident)),
        }
    }
}

/// Refuses emergency limits of zero minutes.
fn need_limits(rule: &str, l: &EmergencyLimits) -> Result<(), Refusal> {
    l.check()
        .map_err(|_| refuse(rule, Reason::ZeroLimit { limits: *l }))
}
