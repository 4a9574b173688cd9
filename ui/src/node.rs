//! A node the window shows (节点): its name, unit and engine.

use std::sync::Arc;

use gridloop_core::domain::unit::{UnitId, UnitKind};
use gridloop_core::engine::Engine;

/// One node the window can show (in the demo, every node of the district).
#[derive(Clone)]
pub struct NodeHandle {
    /// Node id (`d`, `s1`, `c11`, …).
    pub name: String,
    /// Its unit.
    pub unit: UnitId,
    /// The unit's name.
    pub label: String,
    /// The node's engine.
    pub engine: Arc<Engine>,
}

impl NodeHandle {
    /// A handle over an engine, reading node id and unit from its store.
    pub fn from_engine(engine: Arc<Engine>) -> Result<NodeHandle, String> {
        let info = engine.node().map_err(|e| e.to_string())?;
        let label = engine
            .district
            .unit(&info.unit)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| info.unit.0.clone());
        Ok(NodeHandle {
            name: info.node.0,
            unit: info.unit,
            label,
            engine,
        })
    }

    /// The store's revision (0 if unreadable): views cache what they read by it and read
    /// again when it moves.
    pub fn revision(&self) -> u64 {
        self.engine
            .store
            .read()
            .and_then(|r| r.revision())
            .unwrap_or(0)
    }

    /// The kind of the node's unit.
    pub fn kind(&self) -> UnitKind {
        self.engine
            .district
            .unit(&self.unit)
            .map(|u| u.kind)
            .unwrap_or(UnitKind::District)
    }
}
