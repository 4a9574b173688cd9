//! 计分 — the single definition of every figure: what one case contributes, to which unit and
//! post. The totals and the drill-down both use it, so a figure and its cases always agree.

use super::*;

/// What a figure is computed against: the moment figures are taken at.
pub(super) struct Ctx<'a> {
    pub(super) now: Millis,
    pub(super) district: &'a District,
    pub(super) catalogue: &'a Catalogue,
}

/// Who made an act, for post figures (岗位): the role, and the person (经办人) when the move
/// named one.
pub(super) type Who<'a> = (Role, Option<&'a str>);

/// Receives one contribution: the unit credited, who acted (for post figures), the figure
/// and whether it hit.
pub(super) type Emit<'a> = dyn FnMut(&UnitId, Option<Who<'_>>, Metric, bool) + 'a;

/// Feeds one case's contributions to `emit(unit, role, metric, hit)`: the single definition
/// of every figure, shared by the totals and the drill-down.
pub(super) fn tally(s: &CaseSummary, ctx: &Ctx<'_>, emit: &mut Emit<'_>) {
    let hotline = s.source == Source::Hotline;
    let gone = matches!(s.state, State::Rejected | State::Voided);
    let parked = s.state == State::Parked;
    let closed = matches!(s.state, State::Closed | State::Archived);
    let responsible = s.handlers.first().unwrap_or(&s.holder);
    let territory = s.grid.community();
    // The first 受理/不予受理/直接答复: a hotline case's response when it was never dispatched.
    let mut first_response: Option<bool> = None;
    let mut handled: BTreeSet<&UnitId> = s.handlers.iter().collect();
    for a in &s.acts {
        let r = Some((a.role, a.person.as_deref()));
        let u = &a.unit;
        match a.step {
            Step::Report => {
                emit(u, r, Metric::Reported, true);
                emit(u, r, Metric::ValidReport, !gone);
            }
            Step::Accept | Step::Reject => {
                emit(u, r, Metric::OnTimeAccept, a.on_time());
                first_response.get_or_insert(a.on_time());
            }
            Step::Verify => emit(u, r, Metric::OnTimeVerify, a.on_time()),
            Step::Register => {
                emit(u, r, Metric::OnTimeRegister, a.on_time());
                emit(u, r, Metric::AccurateRegister, true);
                if !parked {
                    emit(u, r, Metric::Registered, true);
                }
            }
            Step::Void => {
                emit(u, r, Metric::OnTimeRegister, a.on_time());
                emit(u, r, Metric::AccurateRegister, false);
            }
            Step::Dispatch => {
                emit(u, r, Metric::Dispatched, true);
                emit(u, r, Metric::OnTimeDispatch, a.on_time());
                emit(u, r, Metric::AccurateDispatch, a.ok);
            }
            Step::Feedback => {
                emit(u, r, Metric::Rework, !a.ok);
                // 代录: counted for the handler, and apart for the unit that recorded it.
                emit(u, None, Metric::ProxyFeedback, a.by.is_some());
                if let Some(b) = &a.by {
                    emit(b, None, Metric::ProxyRecorded, true);
                }
                handled.insert(u);
            }
            Step::SignFor => emit(u, r, Metric::OnTimeSign, a.on_time()),
            Step::Contact => emit(u, r, Metric::OnTimeContact, a.on_time()),
            Step::Check => emit(u, r, Metric::OnTimeCheck, a.on_time()),
            Step::Close => emit(u, r, Metric::OnTimeCloseStep, a.on_time()),
            Step::Callback => {}
            Step::ReportIn => emit(u, r, Metric::OnTimeReportIn, a.on_time()),
            Step::Park => {
                emit(u, r, Metric::Parked, true);
                handled.insert(u);
            }
            Step::SendBack | Step::Extension => {
                handled.insert(u);
            }
            Step::Escalate | Step::Resolve | Step::Appeal => {}
            Step::Reply => emit(u, r, Metric::OnTimeReply, a.on_time()),
            Step::Rated => emit(u, None, Metric::StreetRating, a.ok),
        }
    }
    for u in handled {
        let did = |step: Step| s.acts.iter().any(|a| a.step == step && &a.unit == u);
        emit(u, None, Metric::Extension, did(Step::Extension));
        emit(u, None, Metric::SendBack, did(Step::SendBack));
    }
    let due_to_close = !gone && !parked && (closed || s.overall_due.is_some_and(|d| d <= ctx.now));
    if due_to_close {
        let on_time = closed
            && match (s.milestones.closed, s.overall_due) {
                (Some(c), Some(d)) => c <= d,
                _ => true,
            };
        let mut closure = |u: &UnitId| {
            emit(u, None, Metric::CloseRate, closed);
            emit(u, None, Metric::OnTimeCloseRate, on_time);
            if closed {
                emit(u, None, Metric::Closed, true);
            }
        };
        // 区域评价 for the territory; 部门评价 for the department that handled it.
        closure(&territory);
        if responsible != &territory
            && ctx
                .district
                .unit(responsible)
                .is_some_and(|x| x.kind == UnitKind::Department)
        {
            closure(responsible);
        }
    }
    // 12345 解决率 and 满意率: the citizen's own answers at the latest 回访 (解决/未解决;
    // 满意 or 基本满意 against 不满意), never the close rate.
    if hotline && let Some(a) = &s.answers {
        if let Some(resolved) = a.resolved {
            emit(&territory, None, Metric::HotlineResolution, resolved);
        }
        let content = a.rating.map_or(a.satisfied, |r| r.accepts());
        emit(&territory, None, Metric::HotlineSatisfaction, content);
    }
    // 漏报率: of the real cases in the community's grids that a patrol of public space should
    // find (the category's `patrol`), those a citizen raised first.
    let patrol = ctx.catalogue.get(&s.category).is_none_or(|c| c.patrol);
    if !gone && patrol {
        emit(
            &territory,
            Some((Role::Supervisor, None)),
            Metric::MissedReport,
            matches!(s.source, Source::Hotline | Source::Public),
        );
    }
    // A unit that has not signed (or contacted the caller) by its limit has missed it,
    // whatever it does later.
    for x in s
        .receipts
        .iter()
        .filter(|x| x.signed.is_none() && x.due <= ctx.now)
    {
        emit(
            &x.unit,
            Some((Role::Handler, None)),
            Metric::OnTimeSign,
            false,
        );
    }
    if s.source.needs_callback() {
        for x in &s.receipts {
            if x.contacted.is_none() && x.contact_due <= ctx.now {
                emit(
                    &x.unit,
                    Some((Role::Handler, None)),
                    Metric::OnTimeContact,
                    false,
                );
            }
        }
    }
    // 12345 响应率: a dispatched case's lead unit signed for it and contacted the caller,
    // each in time (counted once both are done or due); a case never dispatched, its first
    // 受理/答复 in time.
    if hotline {
        match s.receipts.first() {
            Some(x) => {
                let settled = (x.signed.is_some() || x.due <= ctx.now)
                    && (x.contacted.is_some() || x.contact_due <= ctx.now);
                if settled {
                    let ok = x.signed.is_some_and(|t| t <= x.due)
                        && x.contacted.is_some_and(|t| t <= x.contact_due);
                    emit(&territory, None, Metric::HotlineResponse, ok);
                }
            }
            None => {
                if let Some(ok) = first_response {
                    emit(&territory, None, Metric::HotlineResponse, ok);
                }
            }
        }
    }
    if s.state.is_open() && s.overdue(ctx.now) {
        emit(&s.holder, None, Metric::Overdue, true);
    }
}
