//! The case commands (案件): report a new case (上报), list cases from the projection (列表) and
//! show one case with its trail (案卷详情).

use anyhow::{Result, anyhow};
use std::path::Path;

use gridloop_core::domain::calendar::{Light, Millis};
use gridloop_core::domain::intake::Reporter;
use gridloop_core::engine::NewCase;
use gridloop_core::store::LightFilter;
use gridloop_core::workflow::State;

use crate::cli::{LightArg, ListArgs, NewArgs};
use crate::common::{checked_actor, open_engine, parse_time, resolve_unit};
use crate::output;

/// `gridloop new` (上报): reports a new case as the operator.
pub fn new_case(dir: &Path, a: NewArgs, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let actor = checked_actor(dir, &engine, a.as_.as_deref())?;
    let reporter = match (a.reporter_name, a.reporter_phone) {
        (None, None) => None,
        (n, p) => Some(Reporter {
            name: n.unwrap_or_default(),
            phone: p.unwrap_or_default(),
        }),
    };
    let new = NewCase {
        source: a.source,
        category: a.category,
        grid: a.grid,
        address: a.address,
        description: a.description,
        position: None,
        photos: a.photo,
        reporter,
        component_id: None,
        drill: a.drill,
        demand: a.demand,
        emergency: if a.emergency {
            Some(super::emergency::lead_lane(&engine, &actor.unit)?)
        } else {
            None
        },
    };
    let s = engine.report(&actor, &new, at)?;
    say!(
        "reported {} ({}) — {} at {}",
        s.number,
        s.id,
        s.state.label_zh(),
        s.holder
    );
    Ok(())
}

fn parse_state(s: &str) -> Result<State> {
    State::parse(s).ok_or_else(|| {
        anyhow!(
            "unknown state `{s}`; expected one of {}",
            State::ALL.map(|x| x.code()).join(", ")
        )
    })
}

/// `gridloop list` (列表): an inbox, the overdue cases, or cases by grid, category, time or
/// text, as a table, JSON lines or CSV.
pub fn list(dir: &Path, a: ListArgs, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let node = engine.node()?;
    let r = engine.store.read()?;
    let rows = if a.overdue {
        let scope = node.unit.clone();
        let d = &engine.district;
        r.overdue(at, &|h| d.is_same_or_above(&scope, h), a.limit)?
    } else if let Some(g) = &a.grid {
        let cell = engine.district.require_grid(g)?;
        r.by_grid(&cell.code, i64::MIN, i64::MAX, a.limit)?
    } else if let Some(c) = &a.category {
        let m = engine.catalogue.require(c)?;
        r.by_category(&m.code, i64::MIN, i64::MAX, a.limit)?
    } else if let Some(t) = &a.search {
        r.search_text(t, a.limit)?
    } else if let Some(since) = &a.since {
        r.by_time(parse_time(since)?, i64::MAX, a.limit)?
    } else {
        let holder = match &a.holder {
            Some(h) => resolve_unit(&engine, h)?,
            None => node.unit.clone(),
        };
        let states: Vec<State> = if a.state.is_empty() {
            State::ALL
                .into_iter()
                .filter(|s| s.is_open() || *s == State::Closed)
                .collect()
        } else {
            a.state
                .iter()
                .map(|s| parse_state(s))
                .collect::<Result<_>>()?
        };
        let light = match a.light {
            None => LightFilter::Any,
            Some(LightArg::Green) => LightFilter::Only(Light::Green),
            Some(LightArg::Yellow) => LightFilter::Only(Light::Yellow),
            Some(LightArg::Red) => LightFilter::Only(Light::Red),
        };
        r.inbox(&holder, &states, light, at, a.limit)?
    };
    if a.json {
        for s in &rows {
            say!("{}", serde_json::to_string(s)?);
        }
    } else if a.csv {
        let csv = gridloop_core::analytics::report::cases_csv(
            &rows,
            &engine.district,
            &engine.catalogue,
            &engine.calendar,
            at,
        );
        say!("{}", csv.trim_end_matches('\n'));
    } else {
        output::table(&engine, &rows, at);
    }
    Ok(())
}

/// `gridloop show` (案卷详情): one case with its trail, as text or JSON.
pub fn show(dir: &Path, key: &str, json: bool, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let rec = engine.record(key)?;
    let derived = engine.derive(&rec)?;
    if json {
        let v = serde_json::json!({ "record": rec, "derived": derived });
        say!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        output::detail(&engine, &rec, &derived, at);
    }
    Ok(())
}
