//! What the workstation knows of the network (网络): peers, links, quarantine of refused
//! connections, and the demo's cut and restore. The binary implements [`Network`] over real
//! iroh nodes; a workstation without one works offline.

use gridloop_core::domain::calendar::Millis;

/// One peer of a node as the 网络 view shows it (对端).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerRow {
    /// Peer node id.
    pub peer: String,
    /// The peer's unit name.
    pub unit: String,
    /// Link state, in words (实时/同步中/连接中/断开/已切断).
    pub state: LinkStatus,
    /// When the link was last caught up.
    pub last_sync: Option<Millis>,
    /// Changes waiting for the peer's acknowledgement (待发送).
    pub backlog_out: u64,
    /// Changes applied from the peer in this run (已接收).
    pub applied: u64,
    /// Changes from the peer quarantined in this run.
    pub quarantined: u64,
}

/// The state of a link (链路状态).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkStatus {
    /// 连接中.
    Connecting,
    /// 同步中.
    Syncing,
    /// 实时.
    Live,
    /// 断开, with why.
    Down(String),
    /// 已切断 by an operator.
    Cut,
}

impl LinkStatus {
    /// Whether changes can flow now.
    pub fn is_up(&self) -> bool {
        matches!(self, LinkStatus::Syncing | LinkStatus::Live)
    }
}

/// A link between two nodes the operator may cut or restore (demo and drills).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRow {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// Whether it is cut.
    pub cut: bool,
}

/// A connection refused at the handshake (拒绝连接).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedPeer {
    /// When.
    pub at: Millis,
    /// Endpoint id or node.
    pub who: String,
    /// Why.
    pub why: String,
    /// How many times (a revoked node still trying).
    pub count: u64,
}

/// The network behind a workstation.
pub trait Network: Send + Sync {
    /// The peers of node `node`.
    fn peers(&self, node: &str) -> Vec<PeerRow>;
    /// Connections node `node` refused.
    fn refused(&self, node: &str) -> Vec<RefusedPeer>;
    /// Links the operator may cut or restore (empty when that is not allowed).
    fn links(&self) -> Vec<LinkRow>;
    /// Cuts (`up == false`) or restores a link.
    fn set_link(&self, a: &str, b: &str, up: bool);
    /// A move was made on node `node`: push it to the peers now.
    fn changed(&self, node: &str);
    /// A district configuration version in force now that node `node`'s engine does not run
    /// on (taken from a peer since the window opened): it applies at the next start.
    fn config_waiting(&self, node: &str) -> Option<u64> {
        let _ = node;
        None
    }
    /// Issues the district's drill purge order (演练清除) from node `node`, signed by that
    /// node as `role`: drill cases reported before `before` go there at once and everywhere
    /// else as it syncs. How many cases went there (`None`: a purge reaching as far is
    /// already in force), or why it was refused. A network that cannot sign refuses.
    fn purge_drills(
        &self,
        node: &str,
        role: gridloop_core::domain::role::Role,
        before: Millis,
        note: &str,
    ) -> Result<Option<u64>, String> {
        let _ = (node, role, before, note);
        Err("this window's network cannot sign a purge order".into())
    }
}
