//! Handling rules (处置): 反馈, 申请 回退/延期/挂账 and their tiered 审批, 重启, 核查, 结案,
//! 自结案 and 回访.

use crate::domain::calendar::{Millis, TimeLimit};
use crate::domain::event::{Action, Event, EventId, RequestKind};
use crate::domain::intake::{Demand, Intake, Source};
use crate::domain::role::Role;
use crate::domain::unit::UnitId;

use super::super::case_state::CaseState;
use super::super::refusal::{Reason, Refusal, TextField};
use super::super::state::State;
use super::{Rules, refuse};

impl<'a> Rules<'a> {
    /// 处置反馈: for the lead handler, when no request waits and the case is not self-handled.
    pub(super) fn check_feedback(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Handling])?;
        self.no_pending(r, s)?;
        if s.self_handling {
            return Err(refuse("feedback", Reason::SelfHandledFeedback));
        }
        if s.joint {
            // 一案双派: each unit feeds back on its own, once until the next 核查.
            let u = self.unit_ref(unit);
            return self.once_for(
                r,
                s,
                e,
                unit,
                s.receipt(unit).map(|x| x.fed_back.is_some()),
                Reason::AlreadyFedBack { unit: u.clone() },
                Reason::NotHandling { unit: u },
            );
        }
        if s.handlers.first() != Some(unit) {
            return Err(refuse(
                "feedback",
                Reason::NotLead {
                    unit: self.unit_ref(unit),
                },
            ));
        }
        self.for_handler(r, s, e, unit)
    }

    /// 签收: by (or for) a unit the case was dispatched to and that has not signed yet.
    pub(super) fn check_sign_for(
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
            s.receipt(unit).map(|x| x.signed.is_some()),
            Reason::AlreadySigned { unit: u.clone() },
            Reason::NotHandling { unit: u },
        )
    }

    /// 先行联系: on a hotline or public case being handled, once per handling unit, with a
    /// note of the call, by (or for) that unit.
    pub(super) fn check_contact(
        &self,
        r: &str,
        intake: &Intake,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
        note: &str,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Handling])?;
        if !intake.source.needs_callback() {
            return Err(refuse(
                "contact",
                Reason::NoCaller {
                    source: intake.source,
                },
            ));
        }
        self.need_text(r, TextField::Note, note)?;
        let u = self.unit_ref(unit);
        self.once_for(
            r,
            s,
            e,
            unit,
            s.receipt(unit).map(|x| x.contacted.is_some()),
            Reason::AlreadyContacted { unit: u.clone() },
            Reason::NotHandling { unit: u },
        )
    }

    /// 直接答复: a 12345 咨询 answered on the call, by the holder's 受理员/值班长, with the
    /// answer given.
    pub(super) fn check_answer(
        &self,
        r: &str,
        intake: &Intake,
        s: &CaseState,
        e: &Event,
        note: &str,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Reported])?;
        if intake.source != Source::Hotline || intake.demand != Some(Demand::Consult) {
            return Err(refuse("answer", Reason::NotConsult));
        }
        self.need_text(r, TextField::Note, note)?;
        self.roles_at(r, e, &[Role::Intake, Role::ShiftLead], &s.holder, false)
    }

    /// 申请 回退/延期/挂账: for a handler, with a reason; an extension asks for a later due
    /// time; a self-handled case is not sent back.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_request(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        kind: RequestKind,
        unit: &UnitId,
        reason: &str,
        until: Option<Millis>,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Handling])?;
        self.no_pending(r, s)?;
        self.need_text(r, TextField::Reason, reason)?;
        if !s.handlers.contains(unit) {
            return Err(refuse(
                "request",
                Reason::NotHandling {
                    unit: self.unit_ref(unit),
                },
            ));
        }
        self.for_handler(r, s, e, unit)?;
        if kind == RequestKind::Extension {
            let current = s.overall.map(|d| d.due).unwrap_or(e.millis());
            match until {
                Some(u) if u > current => {}
                _ => return Err(refuse("request", Reason::ExtensionNotLater)),
            }
        }
        if kind == RequestKind::SendBack && s.self_handling {
            return Err(refuse("request", Reason::SelfHandledSendBack));
        }
        Ok(())
    }

    /// The due time an extension of `more` asks for (延期): `more` added, as the lead
    /// handler's calendar counts working time, to the case's handling due time (or to `now`
    /// when that has passed or none runs), so an extension always asks for a later due time.
    pub fn extension_until(&self, s: &CaseState, now: Millis, more: TimeLimit) -> Millis {
        let from = s.overall.map_or(now, |d| d.due.max(now));
        let cal = s
            .handlers
            .first()
            .map_or(self.calendar, |u| self.calendar_for(u));
        cal.add(from, more)
    }

    /// 审批, tiered: 回退 and a first 延期 by a 值班长/领导 (a 12345 退单 by its 派遣员 too), a
    /// further 延期 and 挂账 by a 领导,
    /// at or above the holder (a send-back of a case handed down: the unit that handed it).
    pub(super) fn check_decide(
        &self,
        intake: &Intake,
        s: &CaseState,
        e: &Event,
        request: &EventId,
    ) -> Result<(), Refusal> {
        let hotline = intake.source == Source::Hotline;
        let h = &s.holder;
        let Some(p) = &s.pending else {
            return Err(refuse("decide", Reason::NoPendingRequest));
        };
        if &p.id != request {
            return Err(refuse(
                "decide",
                Reason::OtherRequest {
                    waiting: p.id.clone(),
                    named: request.clone(),
                },
            ));
        }
        let (roles, tier): (&[Role], &str) = match p.kind {
            // 退单 of a 12345 work order goes to the dispatcher who sent it (接诉即办).
            RequestKind::SendBack if hotline => {
                (&[Role::Dispatcher, Role::ShiftLead, Role::Leader], "回退")
            }
            RequestKind::SendBack => (&[Role::ShiftLead, Role::Leader], "回退"),
            RequestKind::Extension if s.extensions == 0 => {
                (&[Role::ShiftLead, Role::Leader], "first 延期")
            }
            RequestKind::Extension => (&[Role::Leader], "further 延期 (tiered)"),
            RequestKind::Park => (&[Role::Leader], "挂账"),
            RequestKind::Appeal => (&[Role::Leader], "申诉"),
        };
        let approver = p.kind == RequestKind::SendBack
            && s.down_from.is_some()
            && s.handlers.first() == Some(h);
        let place = if approver {
            s.down_from.clone().unwrap_or(h.clone())
        } else {
            h.clone()
        };
        self.roles_at(&format!("decide.{tier}"), e, roles, &place, true)
    }

    /// 申诉: for a handling unit, with a reason, against a decision that went against it
    /// (a failed 核查 or a 不满意 回访 of its feedback, a refused 退单), while no request waits.
    pub(super) fn check_appeal(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        unit: &UnitId,
        against: &EventId,
        reason: &str,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Handling])?;
        self.no_pending(r, s)?;
        self.need_text(r, TextField::Reason, reason)?;
        if !s
            .disputable
            .iter()
            .any(|d| &d.decision == against && &d.unit == unit)
        {
            return Err(refuse(
                "appeal",
                Reason::NothingToAppeal {
                    against: against.clone(),
                },
            ));
        }
        self.for_handler(r, s, e, unit)
    }

    /// 重启 a parked case: a 值班长/领导 at or above the holder.
    pub(super) fn check_reactivate(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Parked])?;
        self.roles_at(r, e, &[Role::ShiftLead, Role::Leader], &s.holder, true)
    }

    /// 核查: a 监督员 at or above the holder.
    pub(super) fn check_check(&self, r: &str, s: &CaseState, e: &Event) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::ToCheck])?;
        self.roles_at(r, e, &[Role::Supervisor], &s.holder, true)
    }

    /// 结案: the holder's 值班长 (a case handed down to a community is back with the unit
    /// that handed it down once 核查 passed, see `apply`).
    pub(super) fn check_close(&self, r: &str, s: &CaseState, e: &Event) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::ToClose])?;
        self.roles_at(r, e, &[Role::ShiftLead], &s.holder, false)
    }

    /// 自结案: a self-handled case, by the community's 网格员/站长, with evidence.
    pub(super) fn check_self_close(
        &self,
        r: &str,
        s: &CaseState,
        e: &Event,
        evidence: &[String],
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Handling])?;
        if !s.self_handling {
            return Err(refuse("self_close", Reason::NotSelfHandling));
        }
        self.roles_at(
            r,
            e,
            &[Role::GridWorker, Role::StationChief],
            &s.holder,
            false,
        )?;
        if evidence.iter().all(|x| x.trim().is_empty()) {
            return Err(refuse("self_close", Reason::NoEvidence));
        }
        Ok(())
    }

    /// 回访: once, on a closed hotline or public case, by a 回访员 at or above the holder.
    pub(super) fn check_callback(
        &self,
        r: &str,
        intake: &Intake,
        s: &CaseState,
        e: &Event,
    ) -> Result<(), Refusal> {
        self.need_state(r, s, &[State::Closed])?;
        if !intake.source.needs_callback() {
            return Err(refuse(
                "callback",
                Reason::NoCallback {
                    source: intake.source,
                },
            ));
        }
        if s.satisfied.is_some() {
            return Err(refuse("callback", Reason::CallbackDone));
        }
        if let Action::Callback {
            satisfied,
            rating: Some(rating),
            ..
        } = &e.action
            && rating.accepts() != *satisfied
        {
            return Err(refuse("callback", Reason::CallbackDisagrees));
        }
        self.roles_at(r, e, &[Role::Callback], &s.holder, true)
    }
}
