//! What a view is given to draw (视图上下文): the node shown, every node of the window, the
//! operator's role, the language, the clock, the network and the node's 平时/战时.

use std::sync::Arc;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::emergency::Lane;
use gridloop_core::domain::role::{Actor, Role};
use gridloop_core::store::CaseSummary;
use gridloop_core::store::mode::Mode;

use crate::i18n::Lang;
use crate::network::Network;
use crate::node::NodeHandle;

/// The clock a workstation reads (wall time, or a test's).
pub type Clock = Arc<dyn Fn() -> Millis + Send + Sync>;

/// The small context every view draws with (视图上下文).
pub struct ViewCx<'a> {
    /// The node shown.
    pub node: &'a NodeHandle,
    /// Every node the window can show (the demo's whole district, or just one).
    pub nodes: &'a [NodeHandle],
    /// The operator's role (岗位) at the node's unit.
    pub role: Role,
    /// The operator's name as they signed in (经办人), recorded on every move; blank names
    /// nobody.
    pub person: &'a str,
    /// The interface language.
    pub lang: Lang,
    /// The network behind the window, if any (单机 without).
    pub net: Option<&'a Arc<dyn Network>>,
    /// 平时/战时 of the node shown.
    pub mode: &'a Mode,
    /// Every emergency incident the node shown holds, newest first.
    pub incidents: &'a [CaseSummary],
    /// The clock.
    pub clock: &'a Clock,
}

impl ViewCx<'_> {
    /// The time now.
    pub fn now(&self) -> Millis {
        (self.clock)()
    }

    /// The operator (操作人): the person signed in, with the chosen role at the node's unit.
    pub fn actor(&self) -> Actor {
        Actor::new(self.node.name.clone(), self.node.unit.clone(), self.role).by(Some(self.person))
    }

    /// The priority lane (应急通道) of the most severe open incident covering the node, if
    /// it is in 战时.
    pub fn lane(&self) -> Option<Lane> {
        self.mode.lead().map(|(row, i)| Lane {
            incident: row.id.clone(),
            limits: i.limits,
        })
    }
}
