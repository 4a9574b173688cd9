//! Dispatch suggestion (派遣建议): where a case waiting for dispatch should go, by the
//! district's responsibility atlas — each department's duties (职责) in `district.toml` —
//! and the dispatch rules of practice: components go to their owner first (先属主后属地),
//! events to the territory first (先属地后属主), and a case nobody owns falls to the
//! territory (属地兜底). The dispatcher sees the suggestion and why, and may choose otherwise.

use crate::domain::unit::{UnitId, UnitKind};

use super::case_state::CaseState;
use super::rules::Rules;
use super::state::State;

/// Where a suggestion sends the case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// 派遣 to this department (属主).
    Department(UnitId),
    /// 属地派遣 down to this street or community (属地).
    Territory(UnitId),
}

/// A dispatch suggestion (派遣建议): where, and why in the operator's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// Where.
    pub route: Route,
    /// Why, in Chinese.
    pub why_zh: String,
    /// Why, in English.
    pub why_en: String,
}

impl Rules<'_> {
    /// The departments whose duties cover `s`'s category, those naming the minor class
    /// (小类) before those naming only its major class (大类), each group by unit code.
    pub fn owners(&self, s: &CaseState) -> Vec<UnitId> {
        let Some(config) = self.config() else {
            return Vec::new();
        };
        let minor = s.category.as_str();
        let major = minor.get(..3).unwrap_or(minor);
        let mut exact = Vec::new();
        let mut by_major = Vec::new();
        for (unit, duties) in &config.duties {
            if duties.iter().any(|d| d == minor) {
                exact.push(unit.clone());
            } else if duties.iter().any(|d| d == major) {
                by_major.push(unit.clone());
            }
        }
        exact.extend(by_major);
        exact
    }

    /// The suggestion for a case waiting for dispatch at its holder (待派遣), or `None` in
    /// any other state or when the holder has nowhere to send it.
    pub fn suggest_dispatch(&self, s: &CaseState) -> Option<Suggestion> {
        if s.state != State::ToDispatch {
            return None;
        }
        let name = |u: &UnitId| {
            self.district
                .unit(u)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| u.to_string())
        };
        let category = self
            .catalogue
            .get(&s.category)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| s.category.to_string());
        let owner_first = self
            .catalogue
            .get(&s.category)
            .map_or(s.category.kind().default_owner_first(), |c| c.owner_first);
        let owner = self.owners(s).into_iter().next();
        // The unit under the holder whose territory holds the case's grid.
        let territory = match self.kind(&s.holder) {
            Some(UnitKind::District) => Some(s.grid.street()),
            Some(UnitKind::Street) => Some(s.grid.community()),
            _ => None,
        }
        .filter(|u| self.district.unit(u).is_some() && self.district.parent(u) == Some(&s.holder));
        let at_district = self.kind(&s.holder) == Some(UnitKind::District);
        let to_owner = |o: &UnitId, zh: String, en: String| Suggestion {
            route: Route::Department(o.clone()),
            why_zh: zh,
            why_en: en,
        };
        match (owner, territory) {
            (Some(o), _) if owner_first => Some(to_owner(
                &o,
                format!("部件先属主：{category}由{}负责（职责清单）", name(&o)),
                format!(
                    "a component goes to its owner first: {} answers for {category}",
                    name(&o)
                ),
            )),
            (_, Some(t)) if at_district && !owner_first => Some(Suggestion {
                why_zh: format!("事件先属地：网格在{}辖区", name(&t)),
                why_en: format!(
                    "an event goes to the territory first: the grid is in {}",
                    name(&t)
                ),
                route: Route::Territory(t),
            }),
            (Some(o), _) => Some(to_owner(
                &o,
                format!(
                    "属地街道派至属主部门：{category}由{}负责（职责清单）",
                    name(&o)
                ),
                format!(
                    "the territory sends it on to its owner: {} answers for {category}",
                    name(&o)
                ),
            )),
            (None, Some(t)) => Some(Suggestion {
                why_zh: format!("无部门负责{category}，属地兜底：交{}", name(&t)),
                why_en: format!(
                    "no department answers for {category}: the territory takes it ({})",
                    name(&t)
                ),
                route: Route::Territory(t),
            }),
            (None, None) => None,
        }
    }
}
