//! The workstation's `Network` over real nodes (网络): the live demo district (every node's
//! peers, every link cuttable) or this one node; both purge drills (演练清除) through the
//! node's replica.

use std::sync::Mutex;

use gridloop_core::domain::unit::District;
use gridloop_sync::node::{LinkState, Node, PeerStatus};
use gridloop_ui::network::{LinkStatus, RefusedPeer};
use gridloop_ui::{LinkRow, Network, PeerRow};

use crate::commands::drill::issue_purge;
use crate::demo::DemoDistrict;

fn peer_row(p: &PeerStatus, district: &District) -> PeerRow {
    let unit = gridloop_core::domain::unit::UnitId(p.unit.clone());
    PeerRow {
        peer: p.node.clone(),
        unit: district
            .unit(&unit)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| p.unit.clone()),
        state: match &p.state {
            LinkState::Connecting => LinkStatus::Connecting,
            LinkState::Syncing => LinkStatus::Syncing,
            LinkState::Live => LinkStatus::Live,
            LinkState::Down(why) => LinkStatus::Down(why.clone()),
            LinkState::Cut => LinkStatus::Cut,
        },
        last_sync: p.last_sync,
        backlog_out: p.backlog_out,
        applied: p.applied,
        quarantined: p.quarantined,
    }
}

fn refusals(node: &Node) -> Vec<RefusedPeer> {
    node.refusals()
        .into_iter()
        .map(|r| RefusedPeer {
            at: r.at,
            who: r.who,
            why: r.reason,
            count: r.count,
        })
        .collect()
}

/// The demo district as the workstation's network: every node's peers, every link
/// cuttable.
pub struct DemoNet {
    pub(super) demo: Mutex<Option<DemoDistrict>>,
    pub(super) district: District,
}

impl DemoNet {
    fn with<R>(&self, f: impl FnOnce(&DemoDistrict) -> R) -> Option<R> {
        self.demo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(f)
    }

    /// Stops the driver and every node.
    pub fn shutdown(&self) {
        let demo = self.demo.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(d) = demo {
            d.shutdown();
        }
    }
}

/// Signs and issues a drill purge from a running node as `role` at its unit, then pushes the
/// order to its peers (the 演练 view's 清除演练案件).
fn purge_on(
    node: &Node,
    role: gridloop_core::domain::role::Role,
    before: gridloop_core::domain::calendar::Millis,
    note: &str,
) -> Result<Option<u64>, String> {
    let replica = node.replica();
    let me = gridloop_sync::session::Replica::me(&**replica);
    let who = gridloop_core::domain::role::Actor {
        node: gridloop_core::domain::role::NodeId(me.node),
        unit: me.unit,
        role,
        person: None,
    };
    let now = crate::common::clock();
    let done = issue_purge(replica, &who, before, note, now).map_err(|e| format!("{e:#}"))?;
    node.notify_changed();
    Ok(done.map(|d| d.cases))
}

impl Network for DemoNet {
    fn peers(&self, node: &str) -> Vec<PeerRow> {
        self.with(|d| {
            d.node(node)
                .map(|n| {
                    n.node
                        .peers()
                        .iter()
                        .map(|p| peer_row(p, &self.district))
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default()
    }

    fn refused(&self, node: &str) -> Vec<RefusedPeer> {
        self.with(|d| d.node(node).map(|n| refusals(&n.node)).unwrap_or_default())
            .unwrap_or_default()
    }

    fn links(&self) -> Vec<LinkRow> {
        self.with(|d| {
            let mut out: Vec<LinkRow> = Vec::new();
            for (a, b, cut) in d.links() {
                if !out.iter().any(|l| l.a == b && l.b == a) {
                    out.push(LinkRow { a, b, cut });
                }
            }
            out
        })
        .unwrap_or_default()
    }

    fn set_link(&self, a: &str, b: &str, up: bool) {
        self.with(|d| if up { d.restore(a, b) } else { d.cut(a, b) });
    }

    fn changed(&self, node: &str) {
        self.with(|d| {
            if let Some(n) = d.node(node) {
                n.node.notify_changed();
            }
        });
    }

    fn purge_drills(
        &self,
        node: &str,
        role: gridloop_core::domain::role::Role,
        before: gridloop_core::domain::calendar::Millis,
        note: &str,
    ) -> Result<Option<u64>, String> {
        self.with(|d| match d.node(node) {
            Some(n) => purge_on(&n.node, role, before, note),
            None => Err(format!("no node {node} in the demo district")),
        })
        .unwrap_or_else(|| Err("the demo district has stopped".into()))
    }
}

/// One running node as the workstation's network.
pub struct NodeNet {
    pub(super) name: String,
    pub(super) node: Mutex<Option<Node>>,
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) district: District,
}

impl Network for NodeNet {
    fn peers(&self, _node: &str) -> Vec<PeerRow> {
        let g = self.node.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref()
            .map(|n| {
                n.peers()
                    .iter()
                    .map(|p| peer_row(p, &self.district))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn refused(&self, _node: &str) -> Vec<RefusedPeer> {
        let g = self.node.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref().map(refusals).unwrap_or_default()
    }

    fn links(&self) -> Vec<LinkRow> {
        Vec::new()
    }

    fn set_link(&self, _a: &str, _b: &str, _up: bool) {}

    fn changed(&self, node: &str) {
        if node == self.name
            && let Some(n) = self.node.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
        {
            n.notify_changed();
        }
    }

    fn config_waiting(&self, _node: &str) -> Option<u64> {
        let g = self.node.lock().unwrap_or_else(|p| p.into_inner());
        let replica = g.as_ref()?.replica();
        let now = gridloop_sync::config::ConfigHistory::in_force(
            &replica.config_versions(),
            crate::common::clock(),
        );
        let running = replica.engine().config_version().unwrap_or(0);
        (now != 0 && now != running).then_some(now)
    }

    fn purge_drills(
        &self,
        node: &str,
        role: gridloop_core::domain::role::Role,
        before: gridloop_core::domain::calendar::Millis,
        note: &str,
    ) -> Result<Option<u64>, String> {
        if node != self.name {
            return Err(format!("this window runs node {}, not {node}", self.name));
        }
        match self.node.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(n) => purge_on(n, role, before, note),
            None => Err("the sync node has stopped".into()),
        }
    }
}
