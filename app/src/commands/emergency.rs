//! `gridloop emergency` (平战一体): the plans, the node's mode, and the moves of an
//! emergency incident — open it under a plan (战时), tick its checklist, summon units and
//! resources, put cases in its lane, stand it down (平时).

use anyhow::{Result, anyhow, bail};
use std::path::Path;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::emergency::{Incident, Lane, Plans, level_zh};
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Actor;
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::Engine;
use gridloop_core::store::CaseSummary;
use gridloop_core::store::mode::Mode;

use crate::cli::EmergencyCmd;
use crate::common::{open_engine, resolve_unit};
use crate::output::time;

/// The district's plans (预案) in force now (its configuration's), extended by `plans.toml`
/// in the data directory and by `--plans`.
pub fn plans(engine: &Engine, dir: &Path, extra: Option<&Path>) -> Result<Plans> {
    let base = match engine.config_at(crate::common::clock()) {
        Some(c) => c.plans.clone(),
        None => Plans::builtin(),
    };
    let mut plans = Plans::with_local(&base, dir)?;
    if let Some(path) = extra {
        plans.extend(Plans::read(path)?);
    }
    Ok(plans)
}

/// The node's engine and the operator (`--as` or the node's default).
fn operator(dir: &Path, as_: Option<&str>) -> Result<(std::sync::Arc<Engine>, Actor)> {
    let engine = open_engine(dir)?;
    let who = crate::common::checked_actor(dir, &engine, as_)?;
    Ok((engine, who))
}

/// The lane (应急通道) of the most severe open incident covering `unit`, for a case reported into it.
pub fn lead_lane(engine: &Engine, unit: &UnitId) -> Result<Lane> {
    let mode = engine.mode(unit)?;
    let (row, i) = mode.lead().ok_or_else(|| {
        anyhow!("no open emergency incident covers this unit (平时): nothing to report into")
    })?;
    Ok(Lane {
        incident: row.id.clone(),
        limits: i.limits,
    })
}

/// An incident by id or number, with its derived incident.
fn incident(engine: &Engine, key: &str) -> Result<(CaseSummary, Incident)> {
    let row = engine
        .store
        .read()?
        .find(key)?
        .ok_or_else(|| anyhow!("no case `{key}` on this node"))?;
    let i = row
        .incident
        .clone()
        .ok_or_else(|| anyhow!("case {} is not an emergency incident", row.number))?;
    Ok((row, i))
}

fn name(engine: &Engine, u: &UnitId) -> String {
    engine
        .district
        .unit(u)
        .map(|x| x.name.clone())
        .unwrap_or_else(|| u.to_string())
}

/// Runs one `gridloop emergency` subcommand.
pub fn run(dir: &Path, extra: Option<&Path>, cmd: EmergencyCmd, at: Millis) -> Result<()> {
    match cmd {
        EmergencyCmd::Plans => {
            let engine = open_engine(dir)?;
            let plans = plans(&engine, dir, extra)?;
            let district = &engine.district;
            for p in &plans.plans {
                say!(
                    "{:<8} {} · {} · {} {} · 受理 {} 分钟 / 处置 {} 分钟 / 报到 {} 分钟",
                    p.id,
                    p.name,
                    level_zh(p.level),
                    p.category.as_str(),
                    p.checklist.len(),
                    p.limits.accept,
                    p.limits.handle,
                    p.limits.report_in
                );
                let depts: Vec<String> = p
                    .departments(district)
                    .iter()
                    .map(|d| d.name.clone())
                    .collect();
                say!(
                    "         调度: {} · {}",
                    depts.join("、"),
                    p.resources.join("、")
                );
            }
            Ok(())
        }
        EmergencyCmd::Status { json } => {
            let engine = open_engine(dir)?;
            let node = engine.node()?;
            let mode = engine.mode(&node.unit)?;
            if json {
                let v: Vec<_> = mode
                    .incidents
                    .iter()
                    .map(|(r, i)| serde_json::json!({"case": r.id, "number": r.number, "incident": i}))
                    .collect();
                say!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "mode": if mode.emergency() { "emergency" } else { "normal" },
                        "incidents": v,
                    }))?
                );
                return Ok(());
            }
            print_status(&engine, &node.unit, &mode, at);
            Ok(())
        }
        EmergencyCmd::Start {
            plan,
            level,
            area,
            grid,
            address,
            description,
            drill,
            as_,
        } => {
            let (engine, who) = operator(dir, as_.as_deref())?;
            let plans = plans(&engine, dir, extra)?;
            let p = plans.get(&plan).ok_or_else(|| {
                let ids: Vec<&str> = plans.plans.iter().map(|p| p.id.as_str()).collect();
                anyhow!("unknown plan `{plan}`; known plans: {}", ids.join(", "))
            })?;
            let area: Vec<UnitId> = if area.is_empty() {
                vec![who.unit.clone()]
            } else {
                area.iter()
                    .map(|a| resolve_unit(&engine, a))
                    .collect::<Result<_>>()?
            };
            let grid = match grid {
                Some(g) => g,
                None => engine
                    .district
                    .first_grid(&area[0])
                    .map(|g| g.code.to_string())
                    .ok_or_else(|| anyhow!("{} has no territory: give --grid", area[0]))?,
            };
            let row = engine.open_incident(
                &who,
                p,
                level.unwrap_or(p.level),
                area.clone(),
                &grid,
                &address,
                &description,
                drill,
                at,
            )?;
            let names: Vec<String> = area.iter().map(|u| name(&engine, u)).collect();
            say!(
                "战时: {} {} opened as {} ({}) over {}",
                p.name,
                level_zh(level.unwrap_or(p.level)),
                row.number,
                row.id,
                names.join("、")
            );
            Ok(())
        }
        EmergencyCmd::Tick {
            incident: key,
            item,
            note,
            as_,
        } => {
            let (engine, who) = operator(dir, as_.as_deref())?;
            let (row, i) = incident(&engine, &key)?;
            if item == 0 || item as usize > i.checklist.len() {
                bail!(
                    "no item {item}: the plan's checklist has items 1 to {}",
                    i.checklist.len()
                );
            }
            engine.act(
                &who,
                &row.id,
                Action::Tick {
                    item: item - 1,
                    note,
                },
                at,
            )?;
            say!("✓ {item}. {}", i.checklist[item as usize - 1].text);
            Ok(())
        }
        EmergencyCmd::Summon {
            incident: key,
            unit,
            resource,
            plan_defaults,
            as_,
        } => {
            let (engine, who) = operator(dir, as_.as_deref())?;
            let (row, i) = incident(&engine, &key)?;
            let mut units: Vec<UnitId> = unit
                .iter()
                .map(|u| resolve_unit(&engine, u))
                .collect::<Result<_>>()?;
            let mut resources = resource;
            if plan_defaults {
                let plans = plans(&engine, dir, extra)?;
                let p = plans.get(&i.plan).ok_or_else(|| {
                    anyhow!("plan `{}` of this incident is not known here", i.plan)
                })?;
                for d in p.departments(&engine.district) {
                    if !row.handlers.contains(&d.id) && !units.contains(&d.id) {
                        units.push(d.id.clone());
                    }
                }
                for r in &p.resources {
                    if !i.resources.contains(r) && !resources.contains(r) {
                        resources.push(r.clone());
                    }
                }
            }
            let s = engine.act(
                &who,
                &row.id,
                Action::Summon {
                    units: units.clone(),
                    resources: resources.clone(),
                },
                at,
            )?;
            let names: Vec<String> = units.iter().map(|u| name(&engine, u)).collect();
            say!(
                "调度: {} · {} — 报到 due by {}",
                if names.is_empty() {
                    "—".into()
                } else {
                    names.join("、")
                },
                resources.join("、"),
                s.due.map(time).unwrap_or_else(|| "—".into())
            );
            Ok(())
        }
        EmergencyCmd::Link {
            case,
            incident: key,
            as_,
        } => {
            let (engine, who) = operator(dir, as_.as_deref())?;
            let lane = match key {
                Some(k) => {
                    let (row, i) = incident(&engine, &k)?;
                    if !i.active() {
                        bail!("incident {} has been stood down (解除)", row.number);
                    }
                    Lane {
                        incident: row.id,
                        limits: i.limits,
                    }
                }
                None => lead_lane(&engine, &who.unit)?,
            };
            let target = engine
                .store
                .read()?
                .find(&case)?
                .ok_or_else(|| anyhow!("no case `{case}` on this node"))?;
            let s = engine.act(&who, &target.id, Action::Link { lane }, at)?;
            say!(
                "纳入应急: {} — now due by {}",
                s.number,
                s.due.map(time).unwrap_or_else(|| "—".into())
            );
            Ok(())
        }
        EmergencyCmd::End {
            incident: key,
            note,
            as_,
        } => {
            let (engine, who) = operator(dir, as_.as_deref())?;
            let (row, i) = incident(&engine, &key)?;
            engine.act(&who, &row.id, Action::StandDown { note }, at)?;
            let (done, all) = i.progress();
            say!(
                "平时: {} {} stood down ({done}/{all} checklist items done)",
                row.number,
                i.name
            );
            Ok(())
        }
    }
}

fn print_status(engine: &Engine, unit: &UnitId, mode: &Mode, now: Millis) {
    if !mode.emergency() {
        say!(
            "平时 (normal mode): no open emergency incident covers {}",
            name(engine, unit)
        );
        return;
    }
    say!("战时 (emergency mode) at {}", name(engine, unit));
    for (r, i) in &mode.incidents {
        let area: Vec<String> = i.area.iter().map(|u| name(engine, u)).collect();
        let mins = (now - i.since).max(0) / 60_000;
        say!(
            "\n{} {} · {} · {} · since {} ({} h {} min) · area {}",
            r.number,
            i.name,
            i.level_zh(),
            if r.drill { "演练" } else { "实战" },
            time(i.since),
            mins / 60,
            mins % 60,
            area.join("、")
        );
        let (done, all) = i.progress();
        say!("  预案清单 {done}/{all}");
        for (k, item) in i.checklist.iter().enumerate() {
            match &item.done {
                Some((t, u)) => say!(
                    "  [x] {}. {} — {} {}",
                    k + 1,
                    item.text,
                    name(engine, u),
                    time(*t)
                ),
                None => say!("  [ ] {}. {}", k + 1, item.text),
            }
        }
        if !i.resources.is_empty() {
            say!("  资源: {}", i.resources.join("、"));
        }
        let summons = engine
            .store
            .read()
            .ok()
            .and_then(|rd| rd.doc(&r.id).ok())
            .and_then(|doc| {
                let intake = doc.intake().ok()?;
                let events = doc.events().ok()?;
                engine.rules().replay(&intake, &events).ok()
            })
            .map(|d| d.current.summons)
            .unwrap_or_default();
        for s in summons {
            let state = match s.reported_in {
                Some(t) => format!("已报到 {}", time(t)),
                None if now > s.due => format!("未报到 (超时, due {})", time(s.due)),
                None => format!("待报到 (due {})", time(s.due)),
            };
            say!("  调度 {} — {state}", name(engine, &s.unit));
        }
    }
}
