//! The operator (操作员) a move is made as: the node's default unit and role, or `--as
//! ROLE@UNIT`; and units named on the command line by code or name.

use anyhow::{Result, anyhow};

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

/// The operator: the node's default unit and role, or `role@unit` from `--as`.
pub fn actor(engine: &Engine, as_: Option<&str>) -> Result<Actor> {
    let node = engine.node()?;
    match as_ {
        None => Ok(Actor {
            node: node.node,
            unit: node.unit,
            role: node.role,
        }),
        Some(s) => {
            let (role, unit) = s.split_once('@').ok_or_else(|| {
                anyhow!("bad --as `{s}`: expected ROLE@UNIT, e.g. dispatcher@110101")
            })?;
            let role = Role::parse(role).ok_or_else(|| anyhow!("unknown role `{role}` in --as"))?;
            Ok(Actor {
                node: node.node,
                unit: resolve_unit(engine, unit)?,
                role,
            })
        }
    }
}
