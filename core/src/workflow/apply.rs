//! Applying a checked move (流转): [`Rules::apply`] gives the state after it, restarting the
//! stage's clock on the case's limits (its lane's in an emergency) and recording the
//! assessed acts.

use crate::domain::calendar::{Millis, TimeLimit};
use crate::domain::catalogue::CategoryCode;
use crate::domain::emergency::{ChecklistItem, Incident, area_units};
use crate::domain::event::{Action, Event, RequestKind};
use crate::domain::intake::Intake;
use crate::domain::limits::StageLimits;
use crate::domain::unit::UnitKind;

use super::case_state::{
    Answers, CaseState, Disputable, Dispute, Pending, Receipt, Summons, record_acts,
};
use super::deadline::Deadline;
use super::rules::Rules;
use super::state::{Loop, State};

impl<'a> Rules<'a> {
    /// The state after applying `e` (already checked) to `s`.
    pub fn apply(&self, intake: &Intake, s: &CaseState, e: &Event) -> CaseState {
        if let Some(r) = self.in_force(e.millis()) {
            return r.apply(intake, s, e);
        }
        let mut n = s.clone();
        let at = e.millis();
        let cal = self.calendar;
        let lim = &self.stage_limits(s);
        n.last = e.id.clone();
        n.updated = at;
        // 结案 (by 结案, 直接答复, 自结案, or with the case it was merged into): a caller's
        // 回访 clock starts.
        let close = |n: &mut CaseState| {
            n.state = State::Closed;
            n.milestones.closed = Some(at);
            n.stage = intake
                .source
                .needs_callback()
                .then(|| Deadline::new(cal, at, lim.callback));
        };
        match &e.action {
            Action::Report | Action::Resolve { .. } => {}
            Action::Accept => {
                n.state = State::ToRegister;
                n.milestones.accepted = Some(at);
                n.stage = Some(Deadline::new(cal, at, lim.register));
            }
            Action::SendToVerify => {
                n.state = State::Verifying;
                n.milestones.accepted = Some(at);
                n.stage = Some(Deadline::new(cal, at, lim.verify));
            }
            Action::Reject { .. } => {
                n.state = State::Rejected;
                n.stage = None;
            }
            Action::Verify { confirmed, .. } => {
                if *confirmed {
                    n.state = State::ToRegister;
                    n.stage = Some(Deadline::new(cal, at, lim.register));
                } else {
                    n.state = State::Rejected;
                    n.stage = None;
                }
            }
            Action::Register { category, grid } => {
                n.state = State::ToDispatch;
                n.category = category.clone();
                n.grid = grid.clone();
                n.milestones.registered = Some(at);
                n.stage = Some(Deadline::new(cal, at, lim.dispatch));
            }
            Action::Void { .. } => {
                n.state = State::Voided;
                n.stage = None;
            }
            Action::Dispatch { .. } | Action::JointDispatch { .. } => {
                n.state = State::Handling;
                n.joint = matches!(e.action, Action::JointDispatch { .. });
                n.handlers = match &e.action {
                    Action::Dispatch { lead, assists } => std::iter::once(lead.clone())
                        .chain(assists.iter().cloned())
                        .collect(),
                    Action::JointDispatch { units } => units.clone(),
                    _ => unreachable!("matched above"),
                };
                n.units.extend(n.handlers.iter().cloned());
                n.receipts = n
                    .handlers
                    .iter()
                    .map(|u| Receipt {
                        unit: u.clone(),
                        due: self.calendar_for(u).add(at, lim.sign),
                        signed: None,
                        contact_due: self.calendar_for(u).add(at, lim.contact),
                        contacted: None,
                        fed_back: None,
                    })
                    .collect();
                n.milestones.dispatched.get_or_insert(at);
                let d = self.handling_deadline(&n, at);
                n.overall = Some(d);
                n.stage = Some(d);
            }
            Action::SignFor { unit } => {
                if let Some(r) = n.receipt_mut(unit) {
                    r.signed = Some(at);
                }
            }
            Action::Contact { unit, .. } => {
                if let Some(r) = n.receipt_mut(unit) {
                    r.contacted = Some(at);
                    // Contacting the caller is work on the case: it signs for it too.
                    r.signed.get_or_insert(at);
                }
            }
            Action::Answer { .. } => {
                n.milestones.accepted = Some(at);
                close(&mut n);
            }
            Action::DispatchDown { unit } => {
                n.receipts.clear();
                n.joint = false;
                n.down_from = Some(s.holder.clone());
                n.holder = unit.clone();
                n.level = Loop::of(self.kind(unit).unwrap_or(UnitKind::District));
                n.units.insert(unit.clone());
                n.milestones.dispatched.get_or_insert(at);
                if self.kind(unit) == Some(UnitKind::Community) {
                    n.state = State::Handling;
                    n.handlers = vec![unit.clone()];
                    let d = self.handling_deadline(&n, at);
                    n.overall = Some(d);
                    n.stage = Some(d);
                } else {
                    n.state = State::ToDispatch;
                    n.handlers.clear();
                    n.stage = Some(Deadline::new(cal, at, lim.dispatch));
                }
            }
            Action::Feedback { unit, .. } => {
                if let Some(r) = n.receipt_mut(unit) {
                    r.signed.get_or_insert(at);
                    r.fed_back = Some(at);
                }
                // 一案双派: checked once every unit has fed back.
                if !n.joint || n.receipts.iter().all(|r| r.fed_back.is_some()) {
                    n.state = State::ToCheck;
                    n.milestones.feedback = Some(at);
                    n.stage = Some(Deadline::new(cal, at, lim.check));
                }
            }
            Action::Appeal {
                unit,
                against,
                reason,
            } => {
                n.pending = Some(Pending {
                    id: e.id.clone(),
                    kind: RequestKind::Appeal,
                    unit: unit.clone(),
                    reason: reason.clone(),
                    until: None,
                    against: Some(against.clone()),
                });
            }
            Action::Merge { into, .. } => {
                n.state = State::Merged;
                n.merged_into = Some(into.clone());
                n.stage = None;
                n.overall = None;
            }
            Action::ParentClosed { .. } => {
                close(&mut n);
            }
            Action::Order { .. }
            | Action::Reply { .. }
            | Action::Rate { .. }
            | Action::Absorb { .. } => {}
            Action::Request {
                kind,
                unit,
                reason,
                until,
            } => {
                n.pending = Some(Pending {
                    id: e.id.clone(),
                    kind: *kind,
                    unit: unit.clone(),
                    reason: reason.clone(),
                    until: *until,
                    against: None,
                });
            }
            Action::Decide { approve, .. } => {
                let p = n.pending.take();
                if let (false, Some(p)) = (*approve, &p)
                    && p.kind == RequestKind::SendBack
                {
                    // A refused 退单 may be appealed (申诉).
                    n.disputable.push(Disputable {
                        decision: e.id.clone(),
                        unit: p.unit.clone(),
                        kind: Dispute::RefusedSendBack,
                        failed_act: None,
                    });
                }
                // 申诉成立: the disputed decision is undone; a refused 退单 is sent back.
                let p = p.map(|p| match (*approve, p.kind, &p.against) {
                    (true, RequestKind::Appeal, Some(d)) => match n.uphold(d) {
                        Some(Dispute::RefusedSendBack) => Pending {
                            kind: RequestKind::SendBack,
                            ..p
                        },
                        _ => p,
                    },
                    _ => p,
                });
                if let (true, Some(p)) = (*approve, p) {
                    match p.kind {
                        RequestKind::Appeal => {}
                        RequestKind::SendBack => {
                            n.send_backs += 1;
                            n.joint = false;
                            n.handlers.clear();
                            n.receipts.clear();
                            n.summons.clear();
                            n.overall = None;
                            if n.handlers.is_empty() && s.handlers.first() == Some(&s.holder) {
                                // A unit handed the case down sends it back up to whoever did.
                                if let Some(up) = s.down_from.clone() {
                                    n.holder = up;
                                    n.level = Loop::of(
                                        self.kind(&n.holder).unwrap_or(UnitKind::District),
                                    );
                                    n.down_from = None;
                                }
                            }
                            n.state = State::ToDispatch;
                            n.stage = Some(Deadline::new(cal, at, lim.dispatch));
                        }
                        RequestKind::Extension => {
                            n.extensions += 1;
                            if let (Some(d), Some(until)) = (n.overall, p.until) {
                                // On the lead handler's calendar, as its clock runs.
                                let hc = n.handlers.first().map_or(cal, |u| self.calendar_for(u));
                                let total = hc.working_minutes_between(d.started, until);
                                let warn = hc.add_working_minutes(d.started, total * 4 / 5);
                                let nd = Deadline {
                                    warn_at: warn,
                                    due: until,
                                    ..d
                                };
                                n.overall = Some(nd);
                                n.stage = Some(nd);
                            }
                        }
                        RequestKind::Park => {
                            n.state = State::Parked;
                            n.stage = None;
                        }
                    }
                }
            }
            Action::Reactivate => {
                n.state = State::Handling;
                let d = self.handling_deadline(&n, at);
                n.overall = Some(d);
                n.stage = Some(d);
            }
            Action::Check { passed, .. } => {
                if *passed {
                    n.state = State::ToClose;
                    n.milestones.checked = Some(at);
                    n.stage = Some(Deadline::new(cal, at, lim.close));
                    // A case handed down to a community goes back for 结案 to the unit that
                    // handed it down: a community has no 值班长, and the one who handled it
                    // does not close it (监管分离).
                    if self.kind(&s.holder) == Some(UnitKind::Community)
                        && let Some(up) = s.down_from.clone()
                    {
                        n.level = Loop::of(self.kind(&up).unwrap_or(UnitKind::District));
                        n.holder = up;
                        n.down_from = None;
                    }
                } else {
                    n.state = State::Handling;
                    n.rework += 1;
                    n.stage = n.overall;
                    for r in &mut n.receipts {
                        r.fed_back = None;
                    }
                }
            }
            Action::Close => {
                close(&mut n);
            }
            Action::Callback {
                satisfied,
                resolved,
                rating,
                ..
            } => {
                n.satisfied = Some(*satisfied);
                n.answers = Some(Answers {
                    resolved: *resolved,
                    rating: *rating,
                    satisfied: *satisfied,
                });
                n.milestones.callback = Some(at);
                if *satisfied {
                    n.state = State::Archived;
                    n.stage = None;
                } else if n.handlers.is_empty() && !n.self_handling {
                    // A case nobody handled (a 咨询 answered on the call, a duplicate closed
                    // with the case it was merged into) is dispatched now, as its own case.
                    n.state = State::ToDispatch;
                    n.merged_into = None;
                    n.satisfied = None;
                    n.milestones.closed = None;
                    n.stage = Some(Deadline::new(cal, at, lim.dispatch));
                } else {
                    n.state = State::Handling;
                    n.satisfied = None;
                    n.rework += 1;
                    for r in &mut n.receipts {
                        r.fed_back = None;
                    }
                    n.milestones.closed = None;
                    let d = self.handling_deadline(&n, at);
                    n.overall = Some(d);
                    n.stage = Some(d);
                }
            }
            Action::Escalate { .. } => {
                let up = self
                    .district
                    .parent(&s.holder)
                    .cloned()
                    .unwrap_or(s.holder.clone());
                n.holder = up.clone();
                n.level = Loop::of(self.kind(&up).unwrap_or(UnitKind::District));
                n.units.insert(up);
                n.state = State::ToRegister;
                n.handlers.clear();
                n.joint = false;
                n.receipts.clear();
                n.summons.clear();
                n.self_handling = false;
                n.down_from = None;
                n.escalations += 1;
                n.stage = Some(Deadline::new(cal, at, lim.register));
            }
            Action::Whistle { departments } => {
                n.state = State::Handling;
                let due = cal.add(at, lim.report_in);
                for d in departments {
                    if !n.summons.iter().any(|x| &x.unit == d) {
                        n.summons.push(Summons {
                            unit: d.clone(),
                            at,
                            due,
                            reported_in: None,
                        });
                    }
                    if !n.handlers.contains(d) {
                        n.handlers.push(d.clone());
                    }
                    n.units.insert(d.clone());
                }
                if n.overall.is_none() {
                    let d = self.handling_deadline(&n, at);
                    n.overall = Some(d);
                    n.stage = Some(d);
                }
                n.milestones.dispatched.get_or_insert(at);
            }
            Action::ReportIn { unit } => {
                if let Some(x) = n.summons.iter_mut().find(|x| &x.unit == unit) {
                    x.reported_in = Some(at);
                }
            }
            Action::Supervise { .. } | Action::Urge { .. } => {
                n.notes += 1;
            }
            Action::SelfHandle => {
                n.state = State::Handling;
                n.self_handling = true;
                n.handlers = vec![s.holder.clone()];
                n.milestones.accepted = Some(at);
                let d = self.handling_deadline(&n, at);
                n.overall = Some(d);
                n.stage = Some(d);
            }
            Action::SelfClose { .. } => {
                n.milestones.feedback = Some(at);
                close(&mut n);
            }
            Action::Activate {
                plan,
                name,
                level,
                area,
                checklist,
                limits,
            } => {
                n.incident = Some(Incident {
                    plan: plan.clone(),
                    name: name.clone(),
                    level: *level,
                    area: area.clone(),
                    checklist: checklist
                        .iter()
                        .map(|t| ChecklistItem {
                            text: t.clone(),
                            done: None,
                        })
                        .collect(),
                    resources: Vec::new(),
                    limits: *limits,
                    since: at,
                    ended: None,
                });
                n.state = State::Handling;
                if n.handlers.is_empty() {
                    n.handlers = vec![s.holder.clone()];
                }
                n.milestones.accepted.get_or_insert(at);
                n.milestones.registered.get_or_insert(at);
                n.stage = None;
                n.overall = None;
                n.units.extend(area_units(self.district, area));
            }
            Action::Tick { .. } => {}
            Action::Summon { units, resources } => {
                let due = cal.add(at, lim.report_in);
                for u in units {
                    n.summons.push(Summons {
                        unit: u.clone(),
                        at,
                        due,
                        reported_in: None,
                    });
                    if !n.handlers.contains(u) {
                        n.handlers.push(u.clone());
                    }
                    n.units.insert(u.clone());
                }
                if let Some(i) = &mut n.incident {
                    for r in resources.iter().filter(|r| !r.trim().is_empty()) {
                        if !i.resources.contains(r) {
                            i.resources.push(r.clone());
                        }
                    }
                }
            }
            Action::StandDown { .. } => {
                if let Some(i) = &mut n.incident {
                    i.ended = Some(at);
                }
                n.state = State::Closed;
                n.milestones.closed = Some(at);
                n.stage = None;
            }
            Action::Link { lane } => {
                n.lane = Some(lane.clone());
                let fast = lane.limits.stages(self.limits);
                let restart = match n.state {
                    State::Reported => Some(fast.accept),
                    State::Verifying => Some(fast.verify),
                    State::ToRegister => Some(fast.register),
                    State::ToDispatch => Some(fast.dispatch),
                    State::ToCheck => Some(fast.check),
                    State::ToClose => Some(fast.close),
                    _ => None,
                };
                if let Some(l) = restart {
                    n.stage = Some(Deadline::new(cal, at, l));
                } else if n.state == State::Handling {
                    let d = Deadline::new(cal, at, lane.limits.handle_limit());
                    n.overall = Some(d);
                    n.stage = Some(d);
                }
            }
        }
        record_acts(s, &mut n, e);
        n
    }

    /// The handling deadline of `n` from `at`: its handling limit on the lead handler's
    /// calendar (round the clock for a unit that works every day).
    fn handling_deadline(&self, n: &CaseState, at: Millis) -> Deadline {
        let cal = n
            .handlers
            .first()
            .map_or(self.calendar, |u| self.calendar_for(u));
        Deadline::new(cal, at, self.handle_limit(n))
    }

    /// The handling limit of a case: its lane's in an emergency, else its category's.
    fn handle_limit(&self, s: &CaseState) -> TimeLimit {
        match &s.lane {
            Some(l) => l.limits.handle_limit(),
            None => self.category_limit(&s.category),
        }
    }

    /// The stage limits a case runs on: its lane's in an emergency (the incident's own for
    /// an incident's summons), else the district's.
    fn stage_limits(&self, s: &CaseState) -> StageLimits {
        match (&s.lane, &s.incident) {
            (Some(l), _) => l.limits.stages(self.limits),
            (None, Some(i)) => i.limits.stages(self.limits),
            _ => *self.limits,
        }
    }

    /// The category's handling limit (5 working days for an unknown category).
    fn category_limit(&self, category: &CategoryCode) -> TimeLimit {
        self.catalogue
            .get(category)
            .map(|c| c.limit)
            .unwrap_or(TimeLimit::working_days(5))
    }
}
