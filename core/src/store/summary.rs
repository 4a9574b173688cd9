//! The projection row of a case (案件摘要) and the units whose feeds carry it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::domain::calendar::{Light, Millis, WorkCalendar};
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::CategoryCode;
use crate::domain::intake::{Intake, Source};
use crate::domain::unit::{GridCode, UnitId};
use crate::workflow::{Derived, Loop, Milestones, State};

/// The projection row of one case (案件摘要): everything lists and queries need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// Case id.
    pub id: CaseId,
    /// 案卷编号.
    pub number: String,
    /// 问题来源.
    pub source: Source,
    /// Category (as registered).
    pub category: CategoryCode,
    /// Grid (as registered).
    pub grid: GridCode,
    /// 地址.
    pub address: String,
    /// 描述, shortened.
    pub description: String,
    /// 状态.
    pub state: State,
    /// 当前责任单位.
    pub holder: UnitId,
    /// 循环层级.
    pub level: Loop,
    /// Handling units, lead first.
    pub handlers: Vec<UnitId>,
    /// When it was reported.
    pub reported: Millis,
    /// When it last changed.
    pub updated: Millis,
    /// Yellow-light threshold of the earliest running clock.
    pub warn_at: Option<Millis>,
    /// Due time of the earliest running clock.
    pub due: Option<Millis>,
    /// Overall handling due time, if dispatched.
    pub overall_due: Option<Millis>,
    /// 冲突.
    pub conflict: bool,
    /// 演练.
    pub drill: bool,
    /// 自处置 (微循环).
    pub self_handling: bool,
    /// 返工次数.
    pub rework: u32,
    /// Approved extensions.
    pub extensions: u32,
    /// Approved send-backs.
    pub send_backs: u32,
    /// Escalations.
    pub escalations: u32,
    /// 督办/催办 notes.
    pub notes: u32,
    /// 回访 result.
    pub satisfied: Option<bool>,
    /// The citizen's answers at the latest 回访 (12345 解决率, 满意率).
    pub answers: Option<crate::workflow::Answers>,
    /// The receipts of the units it was dispatched to (签收).
    pub receipts: Vec<crate::workflow::Receipt>,
    /// The kind of the request waiting for approval (待审批: 回退/延期/挂账), if one waits.
    pub pending: Option<crate::domain::event::RequestKind>,
    /// Milestone times.
    pub milestones: Milestones,
    /// Units in scope.
    pub units: Vec<UnitId>,
    /// 反映人 key for 高频诉求人: the phone, or the name when no phone was given; empty if
    /// anonymous. Personal data, like the document it comes from.
    pub reporter: String,
    /// The assessed acts (考核记录).
    pub acts: Vec<crate::workflow::Act>,
    /// 应急通道: the emergency incident whose priority lane the case is in.
    pub lane: Option<CaseId>,
    /// 应急事件: the incident this case opened (启动预案), if it did.
    pub incident: Option<crate::domain::emergency::Incident>,
    /// 一案双派: each unit dispatched feeds back on its own.
    pub joint: bool,
    /// 督办单 issued on the case (answered or not).
    pub orders: Vec<crate::workflow::SuperviseOrder>,
    /// 并案: the case this one was merged into (it leaves every count).
    pub merged_into: Option<CaseId>,
    /// 并入: the duplicates merged into this case.
    pub children: Vec<CaseId>,
}

impl CaseSummary {
    /// The units whose inbox lists the case (待办): its holder, while it is being handled
    /// (处置中 to 待结案) every unit handling it that does not hold it — a department's own
    /// queue, or a community working a case its street holds — and a unit owing the reply
    /// to a 督办单.
    pub fn inbox_units(&self) -> Vec<&UnitId> {
        let mut out = vec![&self.holder];
        for o in self.orders.iter().filter(|o| o.replied.is_none()) {
            if !out.contains(&&o.unit) {
                out.push(&o.unit);
            }
        }
        if matches!(
            self.state,
            State::Handling | State::Parked | State::ToCheck | State::ToClose
        ) {
            for h in &self.handlers {
                if !out.contains(&h) {
                    out.push(h);
                }
            }
        }
        out
    }

    /// Builds the projection row from intake and replay.
    pub fn build(id: &CaseId, intake: &Intake, d: &Derived) -> CaseSummary {
        let c = &d.current;
        let th = c.thresholds();
        CaseSummary {
            id: id.clone(),
            number: intake.number.clone(),
            source: intake.source,
            category: c.category.clone(),
            grid: c.grid.clone(),
            address: intake.address.clone(),
            description: intake.description.chars().take(80).collect(),
            state: c.state,
            holder: c.holder.clone(),
            level: c.level,
            handlers: c.handlers.clone(),
            reported: c.milestones.reported,
            updated: c.updated,
            warn_at: th.map(|t| t.0),
            due: th.map(|t| t.1),
            overall_due: c.overall.map(|o| o.due),
            conflict: d.in_conflict(),
            drill: intake.drill,
            self_handling: c.self_handling,
            rework: c.rework,
            extensions: c.extensions,
            send_backs: c.send_backs,
            escalations: c.escalations,
            notes: c.notes,
            satisfied: c.satisfied,
            answers: c.answers,
            receipts: c.receipts.clone(),
            pending: c.pending.as_ref().map(|p| p.kind),
            milestones: c.milestones.clone(),
            units: c.units.iter().cloned().collect(),
            reporter: intake
                .reporter
                .as_ref()
                .map(|r| {
                    if r.phone.trim().is_empty() {
                        r.name.trim().to_string()
                    } else {
                        r.phone.trim().to_string()
                    }
                })
                .unwrap_or_default(),
            acts: c.acts.clone(),
            lane: c.lane.as_ref().map(|l| l.incident.clone()),
            incident: c.incident.clone(),
            joint: c.joint,
            orders: c.orders.clone(),
            merged_into: c.merged_into.clone(),
            children: c.children.clone(),
        }
    }

    /// The light at `now`.
    pub fn light(&self, now: Millis) -> Light {
        match (self.warn_at, self.due) {
            (Some(w), Some(d)) => WorkCalendar::light_at(w, d, now),
            _ => Light::Green,
        }
    }

    /// Whether a clock is running past its due time at `now` (超时).
    pub fn overdue(&self, now: Millis) -> bool {
        self.due.is_some_and(|d| now > d)
    }

    /// The units whose scope index lists this case: every unit it passed through and the
    /// community its grid belongs to.
    pub fn scope_units(&self) -> BTreeSet<UnitId> {
        let mut s: BTreeSet<UnitId> = self.units.iter().cloned().collect();
        s.insert(self.grid.community());
        s
    }
}

/// The units whose change feeds carry a case (可见范围): its scope units and every unit above
/// them — a street sees its communities' cases, the district sees everything.
pub fn feed_scope(
    summary: &CaseSummary,
    district: &crate::domain::unit::District,
) -> BTreeSet<UnitId> {
    let mut out = BTreeSet::new();
    for u in summary.scope_units() {
        out.extend(district.ancestors(&u));
        out.insert(u);
    }
    out
}
