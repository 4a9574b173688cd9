//! 平战一体 — emergency mode.
//!
//! 平时 (normal mode) is the everyday loop. 战时 (emergency mode) begins when a 值班长 or
//! 领导 opens an emergency incident (应急事件): a 突发事件 case (category class `E04`) on
//! which the move 启动预案 ([`crate::domain::event::Action::Activate`]) names a plan (预案), a
//! response level and the area it covers. Every node whose unit lies in that area is in 战时
//! while the incident is open; 解除 ([`crate::domain::event::Action::StandDown`]) brings it back to
//! 平时.
//!
//! A plan is data ([`Plans`], shipped as `data/plans.toml`; a city adds its own file): the
//! checklist its people tick off (预案清单, [`crate::domain::event::Action::Tick`]), the
//! departments and resources it summons (调度, [`crate::domain::event::Action::Summon`], each
//! summoned unit must 报到), and the short limits (应急时限, [`EmergencyLimits`], natural
//! minutes round the clock) of the priority lane (应急通道): every case reported into the
//! incident or linked to it ([`Lane`]) runs on those limits and is listed first.
//!
//! The activation carries the plan's checklist and limits in the event itself, so every node
//! derives the same state from the case document alone, whatever plan files it holds.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::calendar::{Millis, TimeLimit};
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::CategoryCode;
use crate::domain::limits::StageLimits;
use crate::domain::role::Role;
use crate::domain::unit::{District, UnitId, UnitKind};

/// The major category class of 突发事件: only such a case opens an emergency incident.
pub const INCIDENT_CLASS: &str = "E04";

/// 应急时限 — the short limits of the priority lane, in natural minutes (战时 runs round
/// the clock, so no working calendar applies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyLimits {
    /// 受理.
    pub accept: u32,
    /// 立案 (and 核实).
    pub register: u32,
    /// 派遣.
    pub dispatch: u32,
    /// 处置 (from dispatch to 反馈).
    pub handle: u32,
    /// 核查.
    pub check: u32,
    /// 结案.
    pub close: u32,
    /// 报到 after a summons.
    pub report_in: u32,
}

impl Default for EmergencyLimits {
    fn default() -> Self {
        EmergencyLimits {
            accept: 5,
            register: 10,
            dispatch: 10,
            handle: 120,
            check: 30,
            close: 15,
            report_in: 15,
        }
    }
}

impl EmergencyLimits {
    /// The stage limits these give, the callback's kept from `normal` (a callback is not
    /// emergency work).
    pub fn stages(&self, normal: &StageLimits) -> StageLimits {
        StageLimits {
            accept: TimeLimit::minutes(self.accept),
            verify: TimeLimit::minutes(self.register),
            register: TimeLimit::minutes(self.register),
            dispatch: TimeLimit::minutes(self.dispatch),
            check: TimeLimit::minutes(self.check),
            close: TimeLimit::minutes(self.close),
            callback: normal.callback,
            report_in: TimeLimit::minutes(self.report_in),
            // In an emergency a unit signs for its case as fast as it must report in.
            sign: TimeLimit::minutes(self.report_in),
            contact: TimeLimit::minutes(self.report_in),
        }
    }

    /// The handling limit (处置时限) that replaces the category's.
    pub fn handle_limit(&self) -> TimeLimit {
        TimeLimit::minutes(self.handle)
    }

    /// Every limit is at least one minute; otherwise says which is not.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            ("accept", self.accept),
            ("register", self.register),
            ("dispatch", self.dispatch),
            ("handle", self.handle),
            ("check", self.check),
            ("close", self.close),
            ("report_in", self.report_in),
        ];
        match all.iter().find(|(_, v)| *v == 0) {
            Some((name, _)) => Err(format!("limit `{name}` must be at least 1 minute")),
            None => Ok(()),
        }
    }
}

/// 应急通道 — a case in an incident's priority lane: which incident, and the limits it runs on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lane {
    /// The incident (应急事件) the case belongs to.
    pub incident: CaseId,
    /// Its short limits, copied from the incident's plan when the case joined.
    pub limits: EmergencyLimits,
}

/// One item of a plan's checklist (预案清单项) as the incident holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// What must be done.
    pub text: String,
    /// When it was ticked off and by which unit, if it has been.
    pub done: Option<(Millis, UnitId)>,
}

/// 应急事件 — the emergency incident a case opened with 启动预案, derived from its trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The plan's id.
    pub plan: String,
    /// The plan's name (预案名称).
    pub name: String,
    /// 响应级别: 1 (Ⅰ级, the most severe) to 4 (Ⅳ级).
    pub level: u8,
    /// The units the incident puts in 战时 (each with everything under it).
    pub area: Vec<UnitId>,
    /// The checklist, in the plan's order.
    pub checklist: Vec<ChecklistItem>,
    /// Resources summoned (调度资源), in the order named.
    pub resources: Vec<String>,
    /// The limits of its priority lane.
    pub limits: EmergencyLimits,
    /// When 战时 began.
    pub since: Millis,
    /// When it was stood down (解除), back to 平时.
    pub ended: Option<Millis>,
}

impl Incident {
    /// Open: not yet stood down.
    pub fn active(&self) -> bool {
        self.ended.is_none()
    }

    /// Checklist items done, of all.
    pub fn progress(&self) -> (usize, usize) {
        let done = self.checklist.iter().filter(|i| i.done.is_some()).count();
        (done, self.checklist.len())
    }

    /// Whether the incident puts `unit` in 战时: it lies in (at or under) a unit of the area.
    pub fn covers(&self, district: &District, unit: &UnitId) -> bool {
        self.area.iter().any(|a| district.is_same_or_above(a, unit))
    }

    /// The level in Chinese numerals: "Ⅰ级" … "Ⅳ级".
    pub fn level_zh(&self) -> &'static str {
        level_zh(self.level)
    }
}

/// Who opens, summons for and stands down an emergency at a unit of this kind: 值班长/领导
/// at a district or street, 站长 at a community, nobody at a department.
pub fn command_roles(kind: UnitKind) -> &'static [Role] {
    match kind {
        UnitKind::Community => &[Role::StationChief],
        UnitKind::Department => &[],
        UnitKind::District | UnitKind::Street => &[Role::ShiftLead, Role::Leader],
    }
}

/// A response level in Chinese: "Ⅰ级" (most severe) … "Ⅳ级".
pub fn level_zh(level: u8) -> &'static str {
    match level {
        1 => "Ⅰ级",
        2 => "Ⅱ级",
        3 => "Ⅲ级",
        _ => "Ⅳ级",
    }
}

/// Every unit whose territory lies in `area`: the area units and the streets and
/// communities under them (departments are in an incident's scope only when summoned).
pub fn area_units(district: &District, area: &[UnitId]) -> BTreeSet<UnitId> {
    let mut out = BTreeSet::new();
    let mut stack: Vec<UnitId> = area.to_vec();
    while let Some(u) = stack.pop() {
        if !out.insert(u.clone()) {
            continue;
        }
        for c in district.children(&u) {
            if c.kind != UnitKind::Department {
                stack.push(c.id.clone());
            }
        }
    }
    out
}

/// One plan item in a plan file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanStep {
    /// What must be done (e.g. "启动防汛值班，主要领导到岗").
    pub text: String,
}

/// 预案 — an emergency plan, as shipped in a plan file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Short id used on the command line (e.g. `flood`).
    pub id: String,
    /// 预案名称 (e.g. "防汛应急预案").
    pub name: String,
    /// The 突发事件 category an incident under this plan is filed as (e.g. `E0406` 积水).
    pub category: CategoryCode,
    /// The level it opens at unless another is chosen (1–4).
    #[serde(default = "default_level")]
    pub level: u8,
    /// The priority lane's limits.
    #[serde(default)]
    pub limits: EmergencyLimits,
    /// The checklist, in order.
    pub checklist: Vec<PlanStep>,
    /// Departments to summon, by (part of) their name, e.g. "水务".
    #[serde(default)]
    pub summon: Vec<String>,
    /// Resources to summon (e.g. "抽水泵车 4 台").
    #[serde(default)]
    pub resources: Vec<String>,
}

fn default_level() -> u8 {
    4
}

impl Plan {
    /// The departments of `district` its `summon` names match, in the district's order.
    pub fn departments<'a>(&self, district: &'a District) -> Vec<&'a crate::domain::unit::Unit> {
        district
            .departments()
            .into_iter()
            .filter(|d| self.summon.iter().any(|s| d.name.contains(s.as_str())))
            .collect()
    }
}

/// A plan file: `[[plan]]` tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    plan: Vec<Plan>,
}

/// Why a plan file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Not TOML of the expected shape.
    #[error("plan file: {0}")]
    Toml(#[from] toml::de::Error),
    /// The file could not be read.
    #[error("cannot read plan file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// What is wrong, in a named file.
    #[error("in {path}: {source}")]
    In {
        /// The file.
        path: String,
        /// What is wrong.
        source: Box<PlanError>,
    },
    /// A plan that parses but makes no sense.
    #[error("plan `{plan}`: {why}")]
    Invalid {
        /// The plan's id.
        plan: String,
        /// What is wrong.
        why: String,
    },
}

/// 预案库 — the plans a node knows, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Plans {
    /// The plans.
    pub plans: Vec<Plan>,
}

impl Plans {
    /// The district's plans (`base`, from its configuration), extended by the `plans.toml`
    /// in `dir` (a node's data directory) when there is one.
    pub fn with_local(base: &Plans, dir: &std::path::Path) -> Result<Plans, PlanError> {
        let mut plans = base.clone();
        let local = dir.join("plans.toml");
        if local.exists() {
            plans.extend(Plans::read(&local)?);
        }
        Ok(plans)
    }

    /// Reads a plan file.
    pub fn read(path: &std::path::Path) -> Result<Plans, PlanError> {
        let text = std::fs::read_to_string(path).map_err(|e| PlanError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Plans::from_toml(&text).map_err(|e| PlanError::In {
            path: path.display().to_string(),
            source: Box::new(e),
        })
    }

    /// The plans shipped with gridloop (`data/plans.toml`).
    pub fn builtin() -> Plans {
        Plans::from_toml(include_str!("../../data/plans.toml"))
            .expect("the bundled plan file is valid (checked by a test)")
    }

    /// Reads and checks a plan file: unique ids, a 突发事件 (`E04`) category, a level of
    /// 1–4, a non-empty checklist and limits of at least one minute.
    pub fn from_toml(text: &str) -> Result<Plans, PlanError> {
        let file: PlanFile = toml::from_str(text)?;
        let mut seen = BTreeSet::new();
        for p in &file.plan {
            let bad = |why: String| PlanError::Invalid {
                plan: p.id.clone(),
                why,
            };
            if p.id.trim().is_empty() || p.name.trim().is_empty() {
                return Err(bad("a plan needs an id and a name".into()));
            }
            if !seen.insert(p.id.clone()) {
                return Err(bad("the id is used twice".into()));
            }
            if p.category.major() != INCIDENT_CLASS {
                return Err(bad(format!(
                    "category {} is not a 突发事件 ({INCIDENT_CLASS}xx) category",
                    p.category.as_str()
                )));
            }
            if !(1..=4).contains(&p.level) {
                return Err(bad(format!("level {} is not 1–4", p.level)));
            }
            if p.checklist.is_empty() || p.checklist.iter().any(|s| s.text.trim().is_empty()) {
                return Err(bad(
                    "the checklist needs at least one item, none empty".into()
                ));
            }
            p.limits.check().map_err(bad)?;
        }
        Ok(Plans { plans: file.plan })
    }

    /// The plan with this id.
    pub fn get(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// Adds (or replaces, by id) the plans of another file: a city's own plans.
    pub fn extend(&mut self, other: Plans) {
        for p in other.plans {
            match self.plans.iter_mut().find(|q| q.id == p.id) {
                Some(q) => *q = p,
                None => self.plans.push(p),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_plans_are_valid() {
        let plans = Plans::builtin();
        assert!(plans.plans.len() >= 4);
        let d = District::demo();
        for p in &plans.plans {
            assert!(
                !p.departments(&d).is_empty(),
                "plan {} summons no demo department",
                p.id
            );
        }
    }

    #[test]
    fn a_bad_plan_says_what_is_wrong() {
        let base = "[[plan]]\nid = \"x\"\nname = \"测试\"\ncategory = \"E0406\"\n";
        let e = Plans::from_toml(&format!("{base}checklist = []\n")).unwrap_err();
        assert!(e.to_string().contains("checklist"), "{e}");
        let e = Plans::from_toml(
            "[[plan]]\nid = \"x\"\nname = \"测试\"\ncategory = \"E0102\"\nchecklist = [{ text = \"a\" }]\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("突发事件"), "{e}");
        let e = Plans::from_toml(&format!(
            "{base}level = 7\nchecklist = [{{ text = \"a\" }}]\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("level 7"), "{e}");
        let e = Plans::from_toml(&format!(
            "{base}checklist = [{{ text = \"a\" }}]\n[plan.limits]\naccept = 0\nregister = 1\ndispatch = 1\nhandle = 1\ncheck = 1\nclose = 1\nreport_in = 1\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("accept"), "{e}");
        let e = Plans::from_toml(&format!(
            "{base}checklist = [{{ text = \"a\" }}]\ncolour = 1\n"
        ))
        .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn a_citys_plan_file_beside_the_store_adds_and_replaces_plans() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Plans::with_local(&Plans::builtin(), dir.path()).unwrap(),
            Plans::builtin()
        );
        let file = dir.path().join("plans.toml");
        std::fs::write(
            &file,
            "[[plan]]\nid = \"flood\"\nname = \"本市防汛预案\"\ncategory = \"E0406\"\nchecklist = [{ text = \"a\" }]\n\
             [[plan]]\nid = \"quake\"\nname = \"地震应急预案\"\ncategory = \"E0411\"\nchecklist = [{ text = \"b\" }]\n",
        )
        .unwrap();
        let plans = Plans::with_local(&Plans::builtin(), dir.path()).unwrap();
        assert_eq!(plans.plans.len(), Plans::builtin().plans.len() + 1);
        assert_eq!(plans.get("flood").unwrap().name, "本市防汛预案");
        assert!(plans.get("quake").is_some());
        std::fs::write(&file, "[[plan]]\nid = 3\n").unwrap();
        let e = Plans::with_local(&Plans::builtin(), dir.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("plans.toml"), "names the file: {e}");
    }

    #[test]
    fn the_first_grid_of_a_territory() {
        let d = District::demo();
        let s1 = d.streets()[0].id.clone();
        let c11 = d.children(&s1)[0].id.clone();
        let g = d.first_grid(&s1).unwrap();
        assert_eq!(g.community, c11);
        assert_eq!(d.first_grid(&c11).unwrap().code, g.code);
        assert!(d.is_same_or_above(&d.root().id, &d.first_grid(&d.root().id).unwrap().community));
        assert!(d.first_grid(&d.departments()[0].id).is_none());
        assert!(d.first_grid(&UnitId::from("nowhere")).is_none());
    }

    #[test]
    fn area_units_take_streets_and_communities_not_departments() {
        let d = District::demo();
        let s1 = d.streets()[0].id.clone();
        let units = area_units(&d, std::slice::from_ref(&s1));
        assert!(units.contains(&s1));
        for c in d.children(&s1) {
            assert!(units.contains(&c.id));
        }
        assert_eq!(units.len(), 1 + d.children(&s1).len());
        let all = area_units(&d, &[d.root().id.clone()]);
        assert!(d.departments().iter().all(|x| !all.contains(&x.id)));
        assert_eq!(all.len(), 1 + d.streets().len() + d.communities().len());
    }
}
