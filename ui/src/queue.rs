//! The operator's queues (待办队列): which cases each queue lists at a unit, loaded as keys
//! so the inbox table stays smooth with hundreds of thousands of rows.

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::store::{CaseSummary, NO_DUE, Reader, StoreError};
use gridloop_core::workflow::State;

use crate::i18n::Lang;

/// One queue of the inbox (工作台队列).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    /// 应急: the priority lane (应急通道) — active cases in an emergency incident's lane, and
    /// the incidents themselves.
    Emergency,
    /// 待受理: reported, waiting to be accepted (待核实 included).
    ToAccept,
    /// 待立案.
    ToRegister,
    /// 待派遣.
    ToDispatch,
    /// 处置中.
    Handling,
    /// 待审批: requests waiting for approval (回退/退单, 延期, 挂账).
    Approvals,
    /// 待核查.
    ToCheck,
    /// 待结案.
    ToClose,
    /// 待回访: closed, the citizen not yet called back.
    ToCallback,
    /// 超时: overdue at this unit.
    Overdue,
    /// 冲突: concurrent moves waiting for a resolution.
    Conflict,
    /// 辖区在办: every case in a [`State::CLOCKED`] state held at or under this unit (the
    /// open ones and the closed ones whose callback is owed).
    InArea,
}

impl Queue {
    /// The queues in the order the inbox lists them.
    pub const ALL: [Queue; 12] = [
        Queue::Emergency,
        Queue::ToAccept,
        Queue::ToRegister,
        Queue::ToDispatch,
        Queue::Handling,
        Queue::Approvals,
        Queue::ToCheck,
        Queue::ToClose,
        Queue::ToCallback,
        Queue::Overdue,
        Queue::Conflict,
        Queue::InArea,
    ];

    /// The queue's name.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Queue::Emergency => ("应急", "Emergency"),
            Queue::ToAccept => ("待受理", "To accept"),
            Queue::ToRegister => ("待立案", "To register"),
            Queue::ToDispatch => ("待派遣", "To dispatch"),
            Queue::Handling => ("处置中", "Handling"),
            Queue::Approvals => ("待审批", "Approvals"),
            Queue::ToCheck => ("待核查", "To check"),
            Queue::ToClose => ("待结案", "To close"),
            Queue::ToCallback => ("待回访", "To call back"),
            Queue::Overdue => ("超时", "Overdue"),
            Queue::Conflict => ("冲突", "Conflicts"),
            Queue::InArea => ("辖区在办", "Open in area"),
        };
        lang.t(zh, en)
    }

    /// The states a queue lists.
    pub fn states(self) -> &'static [State] {
        match self {
            Queue::ToAccept => &[State::Reported, State::Verifying],
            Queue::ToRegister => &[State::ToRegister],
            Queue::ToDispatch => &[State::ToDispatch],
            Queue::Handling => &[State::Handling, State::Parked],
            Queue::Approvals => &[State::Handling],
            Queue::ToCheck => &[State::ToCheck],
            Queue::ToClose => &[State::ToClose],
            Queue::ToCallback => &[State::Closed],
            Queue::Emergency | Queue::Overdue | Queue::Conflict | Queue::InArea => &State::CLOCKED,
        }
    }

    /// Whether the queue keeps only some of its states' cases (so rows must be read to
    /// know what it holds).
    fn filtered(self) -> bool {
        matches!(self, Queue::Conflict | Queue::Emergency | Queue::Approvals)
    }

    /// Whether a case belongs in this queue at `now` (for the filtered queues).
    pub fn admits(self, s: &CaseSummary, now: Millis) -> bool {
        match self {
            Queue::ToCallback => s.state == State::Closed && s.due.is_some(),
            Queue::Conflict => s.conflict,
            Queue::Approvals => s.state == State::Handling && s.pending.is_some(),
            Queue::Emergency => {
                (s.lane.is_some() || s.incident.as_ref().is_some_and(|i| i.active()))
                    && State::CLOCKED.contains(&s.state)
                    && (s.state != State::Closed || s.due.is_some())
            }
            Queue::Overdue => s.overdue(now),
            _ => self.states().contains(&s.state),
        }
    }
}

/// How many conflict or callback rows a badge count reads at most before it says "≥".
pub const BADGE_SCAN: usize = 20_000;

/// The cases of `queue` held by `holder`, as (due, id), most urgent first.
///
/// The state queues come from the holder index alone; 超时 is the part of the active queues
/// whose due time has passed and 待回访 the closed cases whose callback clock runs (ranges of
/// the same sorted keys); 冲突 reads the rows of the [`State::CLOCKED`] states, at most [`BADGE_SCAN`].
pub fn load(
    r: &Reader,
    district: &District,
    holder: &UnitId,
    queue: Queue,
    now: Millis,
) -> Result<Vec<(i64, CaseId)>, StoreError> {
    if queue == Queue::InArea {
        let within = |h: &UnitId| district.is_same_or_above(holder, h);
        return r.open_keys(i64::MAX, &within, AREA_LIMIT);
    }
    let before = match queue {
        Queue::Overdue => now,
        // A closed case waits for its callback while the callback's clock runs.
        Queue::ToCallback => NO_DUE - 1,
        _ => NO_DUE,
    };
    if queue == Queue::Emergency && r.incidents()?.is_empty() {
        // No incident was ever opened here: no lane to read rows for.
        return Ok(Vec::new());
    }
    let keys = r.queue_keys(holder, queue.states(), before)?;
    Ok(match queue {
        q if q.filtered() => {
            let take: Vec<CaseId> = keys.iter().take(BADGE_SCAN).map(|k| k.1.clone()).collect();
            r.summaries_of(&take)?
                .into_iter()
                .filter(|s| q.admits(s, now))
                .map(|s| (s.due.unwrap_or(i64::MAX), s.id))
                .collect()
        }
        _ => keys,
    })
}

/// At most this many rows in 辖区在办.
pub const AREA_LIMIT: usize = 200_000;

/// Counts for the queue badges at `holder` (辖区在办 is counted only when shown: it reads
/// rows across the whole area).
pub fn counts(
    r: &Reader,
    district: &District,
    holder: &UnitId,
    now: Millis,
) -> Result<Vec<(Queue, usize)>, StoreError> {
    Queue::ALL
        .iter()
        .filter(|q| **q != Queue::InArea)
        .map(|q| Ok((*q, load(r, district, holder, *q, now)?.len())))
        .collect()
}
