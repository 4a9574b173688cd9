//! The operator (操作员) a move is made as: the node's default unit and role, or `--as
//! ROLE@UNIT`; and units named on the command line by code or name.

use anyhow::{Result, anyhow, bail};
use std::path::Path;

use gridloop_core::domain::role::{Actor, Role};
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::Engine;

/// A unit (单位) by code or exact name.
pub fn resolve_unit(engine: &Engine, s: &str) -> Result<UnitId> {
    let id = UnitId::from(s.trim());
    if engine.district.unit(&id).is_some() {
        return Ok(id);
    }
    engine
        .district
        .find_by_name(s.trim())
        .map(|u| u.id.clone())
        .ok_or_else(|| {
            anyhow!("unknown unit `{s}`: give a unit code (e.g. 110101001) or its exact name")
        })
}

/// The operator: the node's default unit and role, or `role@unit` from `--as`, with the
/// person (经办人) after a colon: `dispatcher@110101:王芳`, or `:王芳` for the node's default
/// unit and role.
pub fn actor(engine: &Engine, as_: Option<&str>) -> Result<Actor> {
    let node = engine.node()?;
    let default = Actor {
        node: node.node,
        unit: node.unit,
        role: node.role,
        person: None,
    };
    let Some(s) = as_ else {
        return Ok(default);
    };
    let (post, person) = match s.split_once(':') {
        Some((post, person)) => {
            if person.trim().is_empty() {
                bail!("bad --as `{s}`: no person after `:` (e.g. dispatcher@110101:王芳)");
            }
            if let Some(why) = Actor::person_problem(person) {
                bail!("bad --as `{s}`: {why}");
            }
            (post, Some(person))
        }
        None => (s, None),
    };
    if post.is_empty() {
        return Ok(default.by(person));
    }
    let (role, unit) = post.split_once('@').ok_or_else(|| {
        anyhow!("bad --as `{s}`: expected ROLE@UNIT[:PERSON], e.g. dispatcher@110101:王芳")
    })?;
    let role = Role::parse(role).ok_or_else(|| anyhow!("unknown role `{role}` in --as"))?;
    Ok(Actor {
        node: default.node,
        unit: resolve_unit(engine, unit)?,
        role,
        person: None,
    }
    .by(person))
}

/// The operator, checked against this node's roster entry (if it has joined a district): a
/// move its peers would refuse — for a unit the node does not work for, or in a role its
/// entry does not grant — is refused here first, with the rule named, instead of being
/// applied locally and quarantined everywhere else.
pub fn checked_actor(dir: &Path, engine: &Engine, as_: Option<&str>) -> Result<Actor> {
    let actor = actor(engine, as_)?;
    let path = dir.join(super::ROSTER_FILE);
    if !path.exists() {
        return Ok(actor);
    }
    let roster = gridloop_sync::roster::SignedRoster::read(&path)?.verify(None)?;
    let Some(entry) = roster.nodes.iter().find(|n| n.node == actor.node.0) else {
        bail!(
            "this node ({}) is not in its roster (version {}): its peers would refuse every move",
            actor.node.0,
            roster.version
        );
    };
    let grant = gridloop_core::ingest::Grant {
        unit: entry.unit.clone(),
        roles: entry.roles.clone(),
        import: false,
    };
    let move_ = gridloop_core::domain::event::EventId("(this move)".into());
    if let Err(why) =
        gridloop_core::ingest::may_act_as(&engine.district, &grant, &actor.unit, actor.role, &move_)
    {
        bail!(
            "refused here before its peers would: {}@{} — {why} (roster entry of {})",
            actor.role.label_zh(),
            actor.unit,
            entry.node
        );
    }
    Ok(actor)
}
