//! 超时自动督办: a red light raises a 督办单 from the holder's superior — to the holder, or,
//! on a case the unit holds itself, to the lead handler (a department it dispatched to) —
//! with a reply due in one working day. A node raises them for the cases below its own unit.

use crate::domain::calendar::{Millis, TimeLimit, beijing};
use crate::domain::event::Action;
use crate::domain::role::{Actor, Role};
use crate::domain::unit::UnitId;
use crate::store::CaseSummary;

use super::{Engine, EngineError};

/// How long the ordered unit has to reply to an automatic 督办单.
pub const AUTO_ORDER_REPLY: TimeLimit = TimeLimit::working_days(1);

impl Engine {
    /// Raises an automatic 督办单 (超时督办) on every overdue case at or below `unit` that has
    /// none unanswered to the unit it would go to, made as `unit`'s 领导 on `node`. Returns
    /// the rows it wrote; a case a move cannot be made on (in conflict, say) is skipped.
    pub fn raise_overdue_orders(
        &self,
        node: &str,
        unit: &UnitId,
        now: Millis,
    ) -> Result<Vec<CaseSummary>, EngineError> {
        let district = &self.district;
        let within = |h: &UnitId| district.is_same_or_above(unit, h);
        let rows = self.store.read()?.overdue(now, &within, 10_000)?;
        let actor = Actor::new(node, unit.clone(), Role::Leader);
        let due = self.calendar.add(now, AUTO_ORDER_REPLY);
        let mut out = Vec::new();
        for row in rows.iter().filter(|r| r.state.is_open() && !r.conflict) {
            // The superior supervises the holder; a unit supervises the department it
            // dispatched its own case to.
            let to = if row.holder == *unit {
                match row.handlers.first() {
                    Some(h) if *h != row.holder => h.clone(),
                    _ => continue,
                }
            } else if district.parent(&row.holder) == Some(unit) {
                row.holder.clone()
            } else {
                continue;
            };
            if row
                .orders
                .iter()
                .any(|o| o.unit == to && o.auto && o.replied.is_none())
            {
                continue;
            }
            let action = Action::Order {
                note: format!("超时自动督办：已超过处置时限，请于{}前回复", beijing(due)),
                due,
                unit: to,
                auto: true,
            };
            match self.act(&actor, &row.id, action, now) {
                Ok(s) => out.push(s),
                Err(EngineError::Refused(why)) => {
                    tracing::debug!(case = %row.id, %why, "no automatic 督办单");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
