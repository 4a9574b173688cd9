//! 平时/战时 — a unit's mode, folded from the incident rows a node holds.

use crate::domain::emergency::Incident;
use crate::domain::unit::{District, UnitId};
use crate::store::CaseSummary;

/// 平时/战时 — a node's mode: the open incidents covering its unit (in their area), commanded
/// by it (their holder) or summoning it, most severe first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mode {
    /// Open incidents whose area covers the unit, that it commands or that summoned it:
    /// (case row, incident).
    pub incidents: Vec<(CaseSummary, Incident)>,
}

impl Mode {
    /// Folds the incident rows a node holds into its mode for `unit`.
    pub fn of(district: &District, unit: &UnitId, rows: Vec<CaseSummary>) -> Mode {
        let mut incidents: Vec<(CaseSummary, Incident)> = rows
            .into_iter()
            .filter_map(|r| {
                let i = r.incident.clone()?;
                // Handlers are the holder (commanding) and every summoned unit.
                let summoned = r.handlers.contains(unit) || r.holder == *unit;
                (i.active() && (summoned || i.covers(district, unit))).then_some((r, i))
            })
            .collect();
        incidents.sort_by_key(|a| (a.1.level, a.1.since));
        Mode { incidents }
    }

    /// 战时: at least one open incident covers the unit.
    pub fn emergency(&self) -> bool {
        !self.incidents.is_empty()
    }

    /// The most severe open incident, the one new cases join by default.
    pub fn lead(&self) -> Option<&(CaseSummary, Incident)> {
        self.incidents.first()
    }
}
