//! `gridloop act` (操作): one move on a case, as the operator.

use anyhow::{Result, anyhow, bail};
use std::path::Path;

use gridloop_core::domain::calendar::{Millis, TimeLimit};
use gridloop_core::domain::event::{Action, RequestKind};

use crate::cli::Move;
use crate::common::{checked_actor, open_engine, parse_time, resolve_unit};

/// `gridloop act CASE MOVE` (操作): makes the move and prints the case's new state.
pub fn act(dir: &Path, key: &str, as_: Option<&str>, mv: Move, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let actor = checked_actor(dir, &engine, as_)?;
    let rec = engine.record(key)?;
    let derived = engine.derive(&rec)?;
    let cur = &derived.current;
    let action = match mv {
        Move::Accept => Action::Accept,
        Move::SendToVerify => Action::SendToVerify,
        Move::Reject { reason } => Action::Reject { reason },
        Move::Verify { not_found, note } => Action::Verify {
            confirmed: !not_found,
            note,
        },
        Move::Register { category, grid } => Action::Register {
            category: match category {
                Some(c) => engine.catalogue.require(&c)?.code.clone(),
                None => cur.category.clone(),
            },
            grid: match grid {
                Some(g) => engine.district.require_grid(&g)?.code.clone(),
                None => cur.grid.clone(),
            },
        },
        Move::Void { reason } => Action::Void { reason },
        Move::Dispatch { lead, assist } => Action::Dispatch {
            lead: match lead {
                Some(l) => resolve_unit(&engine, &l)?,
                None => suggested_department(&engine, cur)?,
            },
            assists: assist
                .iter()
                .map(|a| resolve_unit(&engine, a))
                .collect::<Result<_>>()?,
        },
        Move::JointDispatch { unit } => Action::JointDispatch {
            units: unit
                .iter()
                .map(|u| resolve_unit(&engine, u))
                .collect::<Result<_>>()?,
        },
        Move::Order { unit, note, within } => {
            let more =
                TimeLimit::parse(&within).map_err(|why| anyhow!("--within `{within}`: {why}"))?;
            Action::Order {
                unit: match unit {
                    Some(u) => resolve_unit(&engine, &u)?,
                    None => cur.handlers.first().unwrap_or(&cur.holder).clone(),
                },
                note,
                due: engine.calendar.add(at, more),
                auto: false,
            }
        }
        Move::Reply { note } => Action::Reply {
            order: cur
                .orders
                .iter()
                .rev()
                .find(|o| o.unit == actor.unit && o.replied.is_none())
                .map(|o| o.id.clone())
                .ok_or_else(|| anyhow!("no 督办单 to {} waits for a reply", actor.unit))?,
            note,
        },
        Move::Appeal { reason } => {
            let d = cur
                .disputable
                .iter()
                .rev()
                .find(|d| d.unit == actor.unit || cur.handlers.first() == Some(&d.unit))
                .ok_or_else(|| {
                    anyhow!("nothing to appeal: no failed 核查, 不满意 回访 or refused 退单 against a unit handling this case")
                })?;
            Action::Appeal {
                unit: d.unit.clone(),
                against: d.decision.clone(),
                reason,
            }
        }
        Move::Merge { into, note } => {
            let parent = engine.record(&into)?.id;
            let (c, p) = engine.merge(&actor, &rec.id, &parent, &note, at)?;
            say!(
                "并案: {} merged into {} ({} now {})",
                c.number,
                p.number,
                c.number,
                c.state.label_zh()
            );
            return Ok(());
        }
        Move::Rate {
            department,
            rating,
            note,
        } => Action::Rate {
            unit: resolve_unit(&engine, &department)?,
            rating,
            note,
        },
        Move::DispatchDown { unit } => Action::DispatchDown {
            unit: resolve_unit(&engine, &unit)?,
        },
        Move::Feedback { note, photo } => Action::Feedback {
            // A unit of a 一案双派 feeds back for itself; else the lead handler.
            unit: if cur.joint && cur.handlers.contains(&actor.unit) {
                actor.unit.clone()
            } else {
                cur.handlers
                    .first()
                    .cloned()
                    .ok_or_else(|| anyhow!("the case has no handler to feed back for"))?
            },
            note,
            photos: photo,
        },
        Move::Request {
            kind,
            reason,
            extend,
            until,
        } => {
            let kind = match kind.as_str() {
                "send_back" | "回退" => RequestKind::SendBack,
                "extension" | "延期" => RequestKind::Extension,
                "park" | "挂账" => RequestKind::Park,
                other => {
                    bail!("unknown request kind `{other}`: expected send_back, extension or park")
                }
            };
            let unit = if cur.handlers.contains(&actor.unit) {
                actor.unit.clone()
            } else {
                cur.handlers
                    .first()
                    .cloned()
                    .ok_or_else(|| anyhow!("the case has no handler"))?
            };
            let until = match (extend, until) {
                (Some(more), _) => {
                    let more = TimeLimit::parse(&more)
                        .map_err(|why| anyhow!("--extend `{more}`: {why}"))?;
                    Some(engine.rules().extension_until(cur, at, more))
                }
                (None, Some(u)) => Some(parse_time(&u)?),
                (None, None) if kind == RequestKind::Extension => {
                    bail!(
                        "an extension says how much more time: --extend 2d (working days) or 4h (working hours), or --until 'YYYY-MM-DD HH:MM'"
                    )
                }
                (None, None) => None,
            };
            Action::Request {
                kind,
                unit,
                reason,
                until,
            }
        }
        Move::Approve { note } => Action::Decide {
            request: pending(cur)?,
            approve: true,
            note,
        },
        Move::Deny { note } => Action::Decide {
            request: pending(cur)?,
            approve: false,
            note,
        },
        Move::Reactivate => Action::Reactivate,
        Move::Pass { note } => Action::Check { passed: true, note },
        Move::Fail { note } => Action::Check {
            passed: false,
            note,
        },
        Move::Close => Action::Close,
        Move::Callback {
            resolved,
            rating,
            note,
        } => Action::callback(resolved, rating, note),
        Move::Escalate { reason } => Action::Escalate { reason },
        Move::Whistle { department } => Action::Whistle {
            departments: department
                .iter()
                .map(|d| resolve_unit(&engine, d))
                .collect::<Result<_>>()?,
        },
        Move::Contact { note, unit } => Action::Contact {
            unit: match unit {
                Some(u) => resolve_unit(&engine, &u)?,
                None => actor.unit.clone(),
            },
            note,
        },
        Move::Answer { note } => Action::Answer { note },
        Move::SignFor { unit } => Action::SignFor {
            unit: match unit {
                Some(u) => resolve_unit(&engine, &u)?,
                None => actor.unit.clone(),
            },
        },
        Move::ReportIn { department } => Action::ReportIn {
            unit: resolve_unit(&engine, &department)?,
        },
        Move::Supervise { note } => Action::Supervise { note },
        Move::Urge { note } => Action::Urge { note },
        Move::SelfHandle => Action::SelfHandle,
        Move::SelfClose { evidence, note } => Action::SelfClose { evidence, note },
        Move::Resolve { keep, note } => Action::Resolve {
            keep: gridloop_core::domain::event::EventId(keep),
            note,
        },
    };
    let label = action.label_zh();
    let s = engine.act(&actor, &rec.id, action, at)?;
    say!(
        "{label}: {} now {} at {}{}",
        s.number,
        s.state.label_zh(),
        engine
            .district
            .unit(&s.holder)
            .map(|u| u.name.as_str())
            .unwrap_or(s.holder.as_str()),
        if s.conflict {
            " — 冲突 (conflict)"
        } else {
            ""
        }
    );
    Ok(())
}

/// `gridloop raise-orders` (超时自动督办): raises the automatic 督办单 this node's unit owes
/// and says how many.
pub fn raise_orders(dir: &Path, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let node = engine.node()?;
    let rows = engine.raise_overdue_orders(&node.node.0, &node.unit, at)?;
    for s in &rows {
        if let Some(o) = s.orders.last() {
            say!(
                "超时督办: {} → {}",
                s.number,
                crate::output::unit_name(&engine, &o.unit)
            );
        }
    }
    say!("{} 督办单 raised", rows.len());
    Ok(())
}

fn pending(
    cur: &gridloop_core::workflow::CaseState,
) -> Result<gridloop_core::domain::event::EventId> {
    cur.pending
        .as_ref()
        .map(|p| p.id.clone())
        .ok_or_else(|| anyhow!("no request is waiting for approval on this case"))
}

/// The department the dispatch suggestion names (派遣建议), or an error saying what it
/// suggests instead and how to name a department.
fn suggested_department(
    engine: &gridloop_core::engine::Engine,
    cur: &gridloop_core::workflow::CaseState,
) -> Result<gridloop_core::domain::unit::UnitId> {
    use gridloop_core::workflow::Route;
    match engine.rules().suggest_dispatch(cur) {
        Some(s) => match s.route {
            Route::Department(u) => Ok(u),
            Route::Territory(u) => bail!(
                "the suggestion is 属地派遣 to {} ({}) — {}; use `dispatch-down --unit {}`, or name a department with --lead",
                crate::output::unit_name(engine, &u),
                u,
                s.why_en,
                u
            ),
        },
        None => bail!("no dispatch suggestion for this case; name a department with --lead"),
    }
}
