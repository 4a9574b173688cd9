//! Roles (岗位) and the actor (操作者) who makes a move: a person with a role at a unit,
//! working on a node.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::unit::UnitId;

/// A post in a command centre or station (岗位).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 受理员: takes in reports and accepts or rejects them.
    Intake,
    /// 值班长: registers, closes, approves send-backs and first extensions.
    ShiftLead,
    /// 派遣员: dispatches cases to departments or down to a street or community.
    Dispatcher,
    /// 回访员: calls the citizen back after closing.
    Callback,
    /// 监督员: field supervisor; verifies reports and checks work on site.
    Supervisor,
    /// 领导: leader; approves parking and further extensions, supervises.
    Leader,
    /// 网格员: community grid worker.
    GridWorker,
    /// 站长: community station chief.
    StationChief,
    /// 处置人员: a department's handler.
    Handler,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 9] = [
        Role::Intake,
        Role::ShiftLead,
        Role::Dispatcher,
        Role::Callback,
        Role::Supervisor,
        Role::Leader,
        Role::GridWorker,
        Role::StationChief,
        Role::Handler,
    ];

    /// The Chinese name of the post.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Intake => "受理员",
            Role::ShiftLead => "值班长",
            Role::Dispatcher => "派遣员",
            Role::Callback => "回访员",
            Role::Supervisor => "监督员",
            Role::Leader => "领导",
            Role::GridWorker => "网格员",
            Role::StationChief => "站长",
            Role::Handler => "处置人员",
        }
    }

    /// The English name of the post.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::Intake => "intake operator",
            Role::ShiftLead => "shift lead",
            Role::Dispatcher => "dispatcher",
            Role::Callback => "callback operator",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::GridWorker => "grid worker",
            Role::StationChief => "station chief",
            Role::Handler => "handler",
        }
    }

    /// The snake_case code used on the command line and in files.
    pub fn code(self) -> &'static str {
        match self {
            Role::Intake => "intake",
            Role::ShiftLead => "shift_lead",
            Role::Dispatcher => "dispatcher",
            Role::Callback => "callback",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::GridWorker => "grid_worker",
            Role::StationChief => "station_chief",
            Role::Handler => "handler",
        }
    }

    /// Parses a role from its code, its Chinese name or its English name.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s || r.label_zh() == s || r.label_en().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.label_zh())
    }
}

/// The node a move was made on (节点): its public id, as text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub String);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who makes a move (操作者): the node, the unit the person works for and their role there.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The node the move is made on.
    pub node: NodeId,
    /// The unit the person acts for.
    pub unit: UnitId,
    /// The person's post at that unit.
    pub role: Role,
    /// The person (经办人): a name or staff number, recorded on every move they make.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

impl Actor {
    /// An actor with the given node, unit and role.
    pub fn new(node: impl Into<String>, unit: impl Into<UnitId>, role: Role) -> Actor {
        Actor {
            node: NodeId(node.into()),
            unit: unit.into(),
            role,
            person: None,
        }
    }

    /// This actor, as the person named (经办人); a blank name names nobody.
    pub fn by(mut self, person: Option<&str>) -> Actor {
        self.person = person
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        self
    }

    /// Why `person` cannot name an operator, if it cannot: at most 32 characters, no
    /// control characters, no `@`/`:` (they separate `--as`'s parts).
    pub fn person_problem(person: &str) -> Option<&'static str> {
        let p = person.trim();
        if p.chars().count() > 32 {
            Some("a person's name is at most 32 characters")
        } else if p.chars().any(|c| c.is_control() || c == '@' || c == ':') {
            Some("a person's name has no control characters, `@` or `:`")
        } else {
            None
        }
    }
}
