//! The running node (同步节点): an iroh endpoint speaking `gridloop/sync/1`, a thin shell
//! that moves frames between QUIC streams and one [`Session`] per peer. It dials the links
//! the roster gives it, accepts enrolled peers, refuses unknown or revoked endpoint ids at
//! the handshake, pushes local changes live and can cut or restore any link (for drills,
//! the demo and tests).
//!
//! The reactor only moves bytes: each step of a session that touches the store (a frame, a
//! local change, a tick) runs on tokio's blocking pool with the session moved there and
//! back, one step at a time per connection, so the node runs on any tokio runtime,
//! `current_thread` included.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iroh::endpoint::{Connection, RecvStream, SendStream, VarInt};
use iroh::{Endpoint, EndpointAddr, RelayMode, endpoint::presets};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::unit::UnitId;

use crate::frame::{ALPN, Frame, decode, encode, frame_len};
use crate::identity::{NodeKey, parse_public};
use crate::replica::NodeReplica;
use crate::roster::RosterEntry;
use crate::session::{Replica, Session, SessionEvent, SyncError};

/// Errors starting a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The endpoint could not bind.
    #[error("cannot bind the sync endpoint on {addr}: {why}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        why: String,
    },
    /// This node is not in the roster.
    #[error("this node ({0}) is not in the roster; enrol it with the district first")]
    NotEnrolled(String),
}

/// How to bind the endpoint (端点配置).
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// Where to listen (UDP); port 0 picks one.
    pub listen: SocketAddr,
    /// Find peers on the LAN by mDNS.
    pub mdns: bool,
    /// A self-hosted relay URL (relays are off otherwise).
    pub relay: Option<String>,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 0)),
            mdns: false,
            relay: None,
        }
    }
}

/// How often a quiet connection sends a keep-alive (保活).
pub const KEEP_ALIVE: Duration = Duration::from_secs(1);

/// How long a connection may hear nothing before it is taken as dead (链路超时).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest wait between two dials of a peer that is down: a link that comes back is
/// redialled within this.
pub const REDIAL_MAX: Duration = Duration::from_secs(1);

/// Binds this node's iroh endpoint: its key as endpoint id, the gridloop ALPN, the minimal
/// preset, relays disabled unless configured, mDNS if asked.
pub async fn bind(key: &NodeKey, cfg: &EndpointConfig) -> Result<Endpoint, NodeError> {
    let bind_err = |why: String| NodeError::Bind {
        addr: cfg.listen.to_string(),
        why,
    };
    let relay = match &cfg.relay {
        Some(url) => {
            let url: iroh::RelayUrl = url
                .parse()
                .map_err(|e| bind_err(format!("relay URL `{url}`: {e}")))?;
            RelayMode::custom([url])
        }
        None => RelayMode::Disabled,
    };
    // A silently dead link (no packets, no close) is noticed within seconds, not after
    // QUIC's default 30 s: keep-alives every second, idle after three without an answer.
    let transport = iroh::endpoint::QuicTransportConfig::builder()
        .keep_alive_interval(KEEP_ALIVE)
        .max_idle_timeout(Some(
            IDLE_TIMEOUT
                .try_into()
                .expect("the idle timeout fits a QUIC varint"),
        ))
        .default_path_keep_alive_interval(KEEP_ALIVE)
        .default_path_max_idle_timeout(IDLE_TIMEOUT)
        .build();
    let mut b = Endpoint::builder(presets::Minimal)
        .transport_config(transport)
        .secret_key(key.secret().clone())
        .alpns(vec![ALPN.to_vec()])
        .relay_mode(relay)
        .clear_ip_transports()
        .bind_addr(cfg.listen)
        .map_err(|e| bind_err(e.to_string()))?;
    if cfg.mdns {
        b = b.address_lookup(iroh_mdns_address_lookup::MdnsAddressLookup::builder());
    }
    b.bind().await.map_err(|e| bind_err(e.to_string()))
}

/// The state of a link to a peer (链路状态).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    /// Trying to connect.
    Connecting,
    /// Connected and exchanging the backlog.
    Syncing,
    /// Connected and caught up both ways; changes flow live.
    Live,
    /// Not reachable; retrying.
    Down(String),
    /// Cut by an operator (drill or demo).
    Cut,
}

/// A peer as the network view shows it (对端状态).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    /// Peer node id.
    pub node: String,
    /// Its unit.
    pub unit: String,
    /// Link state.
    pub state: LinkState,
    /// When the link was last caught up (ms since the epoch).
    pub last_sync: Option<Millis>,
    /// Changes sent to it in this run.
    pub sent: u64,
    /// Changes applied from it in this run.
    pub applied: u64,
    /// Changes from it quarantined in this run.
    pub quarantined: u64,
    /// Changes of its feed not yet acknowledged by it.
    pub backlog_out: u64,
    /// Frame bytes sent and received in this run.
    pub bytes_out: u64,
    /// Frame bytes received in this run.
    pub bytes_in: u64,
}

/// A refused connection attempt (拒绝记录).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// When (the last time, for a repeated refusal).
    pub at: Millis,
    /// The endpoint id or node.
    pub who: String,
    /// Why.
    pub reason: String,
    /// How many times it was refused for this reason (a revoked node still trying).
    #[serde(default)]
    pub count: u64,
}

#[derive(Default)]
struct Shared {
    /// The node's engine, told whether any link is up (moves made with none are offline).
    engine: std::sync::OnceLock<Arc<gridloop_core::engine::Engine>>,
    peers: Mutex<BTreeMap<String, PeerStatus>>,
    cut: Mutex<BTreeSet<String>>,
    conns: Mutex<BTreeMap<String, Vec<Connection>>>,
    refusals: Mutex<Vec<Refusal>>,
}

/// A running node (运行中的节点).
pub struct Node {
    replica: Arc<NodeReplica>,
    endpoint: Endpoint,
    shared: Arc<Shared>,
    changed: watch::Sender<u64>,
    cut_tx: watch::Sender<u64>,
    tasks: Vec<JoinHandle<()>>,
}

fn now_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// How often sessions tick (resend after stalls, pick up unnotified changes).
const TICK: Duration = Duration::from_millis(500);

impl Node {
    /// Starts the node on a bound endpoint: accepts peers and dials the links the roster
    /// lists for this node.
    pub fn start(endpoint: Endpoint, replica: Arc<NodeReplica>) -> Result<Node, NodeError> {
        let me = replica.me();
        let roster = replica.current_roster();
        let entry = roster
            .entry(&me.node)
            .cloned()
            .ok_or_else(|| NodeError::NotEnrolled(me.node.clone()))?;
        let (changed, _) = watch::channel(0u64);
        let (cut_tx, _) = watch::channel(0u64);
        let shared = Arc::new(Shared::default());
        let _ = shared.engine.set(replica.engine().clone());
        // No link is up yet.
        replica.engine().set_offline(true);
        let mut node = Node {
            replica,
            endpoint,
            shared,
            changed,
            cut_tx,
            tasks: Vec::new(),
        };
        node.tasks.push(tokio::spawn(accept_loop(node.ctx())));
        for link in &entry.links {
            if let Some(peer) = roster.entry(link).cloned() {
                node.tasks.push(tokio::spawn(dial_loop(node.ctx(), peer)));
            } else {
                tracing::warn!(link, "link to a node not in the roster (or revoked)");
            }
        }
        Ok(node)
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            replica: self.replica.clone(),
            endpoint: self.endpoint.clone(),
            shared: self.shared.clone(),
            changed: self.changed.clone(),
            cut: self.cut_tx.clone(),
        }
    }

    /// The replica (engine, key, roster).
    pub fn replica(&self) -> &Arc<NodeReplica> {
        &self.replica
    }

    /// The endpoint's bound socket addresses.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.endpoint.bound_sockets()
    }

    /// Tells the sessions the store changed (after a local action), so it is pushed now.
    pub fn notify_changed(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// A function that does [`Node::notify_changed`], for code that outlives a borrow of the
    /// node (a command run for the CLI on the node's store).
    pub fn notifier(&self) -> impl Fn() + Send + Sync + 'static {
        let changed = self.changed.clone();
        move || changed.send_modify(|v| *v += 1)
    }

    /// Adopts a newer signed roster (名册更新) handed to this node (by file or from the
    /// district): verifies it against the trusted root, closes the sessions of revoked
    /// nodes and passes it on to every connected peer. Returns whether it was newer.
    pub fn adopt_roster(&self, signed: &[u8]) -> Result<bool, String> {
        let adopted = self.replica.offer_roster(signed)?;
        if adopted {
            drop_revoked(&self.ctx());
            self.notify_changed();
        }
        Ok(adopted)
    }

    /// Every peer's status.
    pub fn peers(&self) -> Vec<PeerStatus> {
        lock(&self.shared.peers).values().cloned().collect()
    }

    /// Refused connection attempts.
    pub fn refusals(&self) -> Vec<Refusal> {
        lock(&self.shared.refusals).clone()
    }

    /// Cuts the link to `peer` (断开): closes its connections and refuses new ones until
    /// restored.
    pub fn cut(&self, peer: &str) {
        lock(&self.shared.cut).insert(peer.to_string());
        if let Some(conns) = lock(&self.shared.conns).remove(peer) {
            for c in conns {
                c.close(VarInt::from_u32(2), b"link cut");
            }
        }
        set_state(&self.shared, peer, None, LinkState::Cut);
        self.cut_tx.send_modify(|v| *v += 1);
    }

    /// Restores the link to `peer` (恢复).
    pub fn restore(&self, peer: &str) {
        lock(&self.shared.cut).remove(peer);
        set_state(&self.shared, peer, None, LinkState::Connecting);
        self.cut_tx.send_modify(|v| *v += 1);
    }

    /// Whether the link to `peer` is cut.
    pub fn is_cut(&self, peer: &str) -> bool {
        lock(&self.shared.cut).contains(peer)
    }

    /// Stops the node: closes every connection and the endpoint.
    pub async fn shutdown(self) {
        for t in &self.tasks {
            t.abort();
        }
        self.endpoint.close().await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Clone)]
struct Ctx {
    replica: Arc<NodeReplica>,
    endpoint: Endpoint,
    shared: Arc<Shared>,
    changed: watch::Sender<u64>,
    cut: watch::Sender<u64>,
}

fn set_state(shared: &Shared, node: &str, unit: Option<&str>, state: LinkState) {
    let mut peers = lock(&shared.peers);
    let p = peers.entry(node.to_string()).or_insert_with(|| PeerStatus {
        node: node.to_string(),
        unit: String::new(),
        state: LinkState::Connecting,
        last_sync: None,
        sent: 0,
        applied: 0,
        quarantined: 0,
        backlog_out: 0,
        bytes_out: 0,
        bytes_in: 0,
    });
    if let Some(u) = unit {
        p.unit = u.to_string();
    }
    if p.state == LinkState::Cut && state != LinkState::Connecting {
        return;
    }
    p.state = state;
    let any_up = peers
        .values()
        .any(|p| matches!(p.state, LinkState::Syncing | LinkState::Live));
    if let Some(e) = shared.engine.get() {
        e.set_offline(!any_up);
    }
}

fn refuse(shared: &Shared, who: String, reason: String) {
    let mut r = lock(&shared.refusals);
    // The same peer refused again for the same reason counts on its entry; the log says
    // so at the 1st, 10th, 100th… time, not at every redial.
    if let Some(i) = r.iter().position(|x| x.who == who && x.reason == reason) {
        let mut again = r.remove(i);
        again.count = again.count.max(1) + 1;
        again.at = now_ms();
        if (again.count.is_power_of_two() && again.count >= 8) || again.count.is_multiple_of(1000) {
            tracing::warn!(%who, %reason, times = again.count, "peer still refused");
        } else {
            tracing::debug!(%who, %reason, times = again.count, "peer refused again");
        }
        r.push(again);
        return;
    }
    tracing::warn!(%who, %reason, "refused a peer");
    r.push(Refusal {
        at: now_ms(),
        who,
        reason,
        count: 1,
    });
    let n = r.len();
    if n > 200 {
        r.drain(..n - 200);
    }
}

async fn accept_loop(ctx: Ctx) {
    while let Some(incoming) = ctx.endpoint.accept().await {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let conn = match incoming.accept() {
                Ok(a) => match a.await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!("incoming handshake failed: {e}");
                        return;
                    }
                },
                Err(e) => {
                    tracing::debug!("incoming refused: {e}");
                    return;
                }
            };
            let key = conn.remote_id();
            let roster = ctx.replica.current_roster();
            let Some(entry) = roster.by_key(&key).cloned() else {
                let why = if roster.is_revoked(&key) {
                    "revoked endpoint id"
                } else {
                    "endpoint id not in the roster"
                };
                refuse(&ctx.shared, key.to_string(), why.to_string());
                conn.close(VarInt::from_u32(1), why.as_bytes());
                return;
            };
            if lock(&ctx.shared.cut).contains(&entry.node) {
                conn.close(VarInt::from_u32(2), b"link cut");
                return;
            }
            let streams = match conn.accept_bi().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(peer = %entry.node, "no stream: {e}");
                    return;
                }
            };
            if let Err(e) = run(&ctx, &entry, conn, streams).await {
                tracing::info!(peer = %entry.node, "session ended: {e}");
            }
        });
    }
}

async fn dial_loop(ctx: Ctx, peer: RosterEntry) {
    let mut backoff = Duration::from_millis(200);
    let mut cut_rx = ctx.cut.subscribe();
    loop {
        if lock(&ctx.shared.cut).contains(&peer.node) {
            let _ = cut_rx.changed().await;
            continue;
        }
        // A peer revoked since this loop started is never dialled again (the roster it
        // started from still lists it).
        if ctx.replica.current_roster().revoked.contains(&peer.key) {
            set_state(
                &ctx.shared,
                &peer.node,
                Some(&peer.unit.0),
                LinkState::Down("revoked".into()),
            );
            tracing::warn!(peer = %peer.node, "not dialling a revoked node");
            return;
        }
        set_state(
            &ctx.shared,
            &peer.node,
            Some(&peer.unit.0),
            LinkState::Connecting,
        );
        let result = dial_once(&ctx, &peer).await;
        match result {
            Ok(()) => backoff = Duration::from_millis(200),
            Err(e) => {
                set_state(
                    &ctx.shared,
                    &peer.node,
                    Some(&peer.unit.0),
                    LinkState::Down(e.clone()),
                );
                tracing::debug!(peer = %peer.node, "link down: {e}");
                backoff = (backoff * 2).min(REDIAL_MAX);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = cut_rx.changed() => {}
        }
    }
}

async fn dial_once(ctx: &Ctx, peer: &RosterEntry) -> Result<(), String> {
    let key = parse_public(&peer.key).map_err(|e| e.to_string())?;
    let mut addr = EndpointAddr::new(key);
    for a in &peer.addrs {
        addr = addr.with_ip_addr(*a);
    }
    // Every node of the district homes on the district's relay, if it runs one: the peer
    // is reachable there even when none of its addresses is.
    if let Some(url) = ctx.replica.current_roster().relay.as_deref() {
        match url.parse::<iroh::RelayUrl>() {
            Ok(url) => addr = addr.with_relay_url(url),
            Err(e) => tracing::warn!(%url, "the roster's relay URL is not usable: {e}"),
        }
    }
    let conn = tokio::time::timeout(Duration::from_secs(5), ctx.endpoint.connect(addr, ALPN))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| e.to_string())?;
    let streams = conn.open_bi().await.map_err(|e| e.to_string())?;
    run(ctx, peer, conn, streams)
        .await
        .map_err(|e| e.to_string())
}

enum ReadError {
    Closed(String),
    Bad(String),
}

async fn read_frame(recv: &mut RecvStream) -> Result<(Frame, usize), ReadError> {
    let mut prefix = [0u8; 4];
    recv.read_exact(&mut prefix)
        .await
        .map_err(|e| ReadError::Closed(format!("stream closed: {e}")))?;
    let len = frame_len(prefix).map_err(|e| ReadError::Bad(e.to_string()))?;
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body)
        .await
        .map_err(|e| ReadError::Closed(format!("stream closed mid-frame: {e}")))?;
    let frame = decode(&body).map_err(|e| ReadError::Bad(e.to_string()))?;
    Ok((frame, len + 4))
}

async fn run(
    ctx: &Ctx,
    peer: &RosterEntry,
    conn: Connection,
    (mut send, mut recv): (SendStream, RecvStream),
) -> Result<(), SyncError> {
    let proto = |why: String| SyncError::Protocol {
        peer: peer.node.clone(),
        why,
    };
    let link = |why: String| SyncError::Link {
        peer: peer.node.clone(),
        why,
    };
    {
        // Checked under the lock `drop_revoked` takes: a handshake made under the roster a
        // revocation just replaced must not register a session that call has missed.
        let mut conns = lock(&ctx.shared.conns);
        if ctx.replica.current_roster().entry(&peer.node).is_none() {
            conn.close(VarInt::from_u32(1), b"revoked");
            return Err(link("revoked by the roster now in force".into()));
        }
        conns
            .entry(peer.node.clone())
            .or_default()
            .push(conn.clone());
    }
    set_state(
        &ctx.shared,
        &peer.node,
        Some(&peer.unit.0),
        LinkState::Syncing,
    );
    let replica = ctx.replica.clone();
    let mut session = Box::new(Session::new(
        &*replica,
        Some((peer.node.clone(), peer.unit.clone())),
    ));
    let mut changed = ctx.changed.subscribe();
    let mut tick = tokio::time::interval(TICK);
    // Frames are read on their own task: reading inside the select below would lose the
    // bytes of a frame half read when a tick or a local change wins the race, and the next
    // read would take the middle of a frame for a length prefix.
    let (frames_tx, mut frames) =
        tokio::sync::mpsc::channel::<Result<(Frame, usize), ReadError>>(8);
    // Feed batches read but not yet handled: a batch with another behind it may commit
    // without waiting for the disk (分批落盘).
    let batches_waiting = Arc::new(AtomicUsize::new(0));
    let waiting = batches_waiting.clone();
    let reader = tokio::spawn(async move {
        loop {
            let r = read_frame(&mut recv).await;
            if let Ok((Frame::Changes { .. }, _)) = &r {
                waiting.fetch_add(1, Ordering::SeqCst);
            }
            let end = r.is_err();
            if frames_tx.send(r).await.is_err() || end {
                break;
            }
        }
    });
    let result: Result<(), SyncError> = async {
        loop {
            while let Some(f) = session.poll_transmit() {
                let bytes = encode(&f);
                send.write_all(&bytes)
                    .await
                    .map_err(|e| link(format!("send failed: {e}")))?;
                if let Some(p) = lock(&ctx.shared.peers).get_mut(&peer.node) {
                    p.bytes_out += bytes.len() as u64;
                }
            }
            let mut any_applied = false;
            while let Some(ev) = session.poll_event() {
                any_applied |= on_event(ctx, peer, &session, ev);
            }
            if any_applied {
                // Relay: what came from this peer (changes, a newer roster) goes on to the
                // others.
                ctx.changed.send_modify(|v| *v += 1);
                changed.borrow_and_update();
            }
            if let Some(why) = session.closed() {
                return Err(proto(why.to_string()));
            }
            let step = tokio::select! {
                frame = frames.recv() => {
                    let (frame, n) = match frame {
                        Some(Ok(f)) => f,
                        Some(Err(ReadError::Closed(why))) => return Err(link(why)),
                        Some(Err(ReadError::Bad(why))) => return Err(proto(why)),
                        None => return Err(link("the frame reader ended".into())),
                    };
                    if let Some(p) = lock(&ctx.shared.peers).get_mut(&peer.node) {
                        p.bytes_in += n as u64;
                    }
                    if matches!(frame, Frame::Changes { .. }) {
                        batches_waiting.fetch_sub(1, Ordering::SeqCst);
                    }
                    session.set_more_queued(batches_waiting.load(Ordering::SeqCst) > 0);
                    Step::Frame(frame)
                }
                r = changed.changed() => {
                    if r.is_err() { return Ok(()); }
                    Step::Changed
                }
                _ = tick.tick() => Step::Tick,
                e = conn.closed() => {
                    return Err(link(format!("connection closed: {e}")));
                }
            };
            let (back, backlog) = step.run(session, &replica, &peer.unit).await?;
            session = back;
            if let Some(backlog) = backlog? {
                update_backlog(ctx, peer, &session, backlog);
            }
        }
    }
    .await;
    reader.abort();
    if let Some(conns) = lock(&ctx.shared.conns).get_mut(&peer.node) {
        conns.retain(|c| c.stable_id() != conn.stable_id());
    }
    if let Err(e @ (SyncError::Protocol { .. } | SyncError::Refused { .. })) = &result {
        refuse(&ctx.shared, peer.node.clone(), e.to_string());
        conn.close(VarInt::from_u32(3), b"protocol violation");
    }
    let state = match &result {
        Ok(()) => LinkState::Down("closed".into()),
        Err(e) => LinkState::Down(e.to_string()),
    };
    set_state(&ctx.shared, &peer.node, None, state);
    result
}

/// Closes the connections of peers the current roster no longer lists (revoked).
fn drop_revoked(ctx: &Ctx) {
    let roster = ctx.replica.current_roster();
    let mut conns = lock(&ctx.shared.conns);
    let gone: Vec<String> = conns
        .keys()
        .filter(|n| roster.entry(n).is_none())
        .cloned()
        .collect();
    for n in gone {
        for c in conns.remove(&n).unwrap_or_default() {
            c.close(VarInt::from_u32(1), b"revoked");
        }
        tracing::warn!(peer = %n, "closed the connection of a revoked node");
    }
}

/// What a session does next: chosen on the reactor, done on the blocking pool.
enum Step {
    /// Handle a frame from the peer.
    Frame(Frame),
    /// The store changed here: push what the peer lacks.
    Changed,
    /// A tick: resend after stalls, settle, digest; then read the peer's feed backlog.
    Tick,
}

impl Step {
    /// Does this step's storage work off the reactor: the session moves to a blocking-pool
    /// thread with the replica and comes back with the outcome — and, after a tick, the
    /// peer's backlog once it has resumed. The connection's loop awaits each step before
    /// choosing the next, so frames, changes and ticks reach the session in order.
    async fn run(
        self,
        mut session: Box<Session>,
        replica: &Arc<NodeReplica>,
        unit: &UnitId,
    ) -> Result<(Box<Session>, Result<Option<u64>, SyncError>), SyncError> {
        let replica = replica.clone();
        let unit = unit.clone();
        let work = tokio::task::spawn_blocking(move || {
            let r: &NodeReplica = &replica;
            let outcome = match self {
                Step::Frame(frame) => session.handle(r, frame).map(|()| None),
                Step::Changed => session.local_changed(r).map(|()| None),
                Step::Tick => session.tick(r).map(|()| backlog(&session, r, &unit)),
            };
            (session, outcome)
        });
        match work.await {
            Ok(done) => Ok(done),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down.
            Err(e) => Err(SyncError::Store(format!("storage work cancelled: {e}"))),
        }
    }
}

/// How many changes of the peer's feed it has not acknowledged; none before its resume
/// (where it stands is not known yet).
fn backlog(session: &Session, replica: &NodeReplica, unit: &UnitId) -> Option<u64> {
    if !session.resumed() {
        return None;
    }
    let (_, acked, _) = session.positions();
    let backlog = replica
        .engine()
        .store
        .read()
        .and_then(|r| r.feed_backlog(unit, acked))
        .unwrap_or(0);
    Some(backlog)
}

fn update_backlog(ctx: &Ctx, peer: &RosterEntry, session: &Session, backlog: u64) {
    if let Some(p) = lock(&ctx.shared.peers).get_mut(&peer.node) {
        p.backlog_out = backlog;
        p.sent = session.stats().sent;
    }
}

fn on_event(ctx: &Ctx, peer: &RosterEntry, session: &Session, ev: SessionEvent) -> bool {
    let mut applied = false;
    {
        let mut peers = lock(&ctx.shared.peers);
        let Some(p) = peers.get_mut(&peer.node) else {
            return false;
        };
        match &ev {
            SessionEvent::Applied { applied: n, .. } => {
                p.applied += n;
                applied = *n > 0;
            }
            SessionEvent::Quarantined(q) => p.quarantined += q.len() as u64,
            SessionEvent::PeerCaughtUp | SessionEvent::WeCaughtUp => {
                if session.is_synced() {
                    p.state = LinkState::Live;
                    p.last_sync = Some(now_ms());
                }
            }
            SessionEvent::Connected(_) => {}
            SessionEvent::Repairing { buckets } => {
                tracing::info!(peer = %peer.node, buckets, "anti-entropy: repairing differing buckets");
            }
            // A newer roster or configuration is pushed on to the other peers like a change.
            SessionEvent::RosterAdopted | SessionEvent::ConfigAdopted | SessionEvent::Settled => {
                applied = true
            }
            SessionEvent::ConfigRefused(why) => {
                tracing::warn!(peer = %peer.node, "refused the peer's configuration: {why}");
            }
            // Pushed on to the other peers like a change.
            SessionEvent::DrillsPurged { cases } => {
                tracing::info!(peer = %peer.node, cases, "drill purge order adopted");
                applied = true;
            }
        }
        p.sent = session.stats().sent;
    }
    if ev == SessionEvent::RosterAdopted {
        drop_revoked(ctx);
    }
    if let SessionEvent::Quarantined(q) = &ev
        && let Some(first) = q.first()
    {
        // One line per burst, not per change: a flood must not flood the log too.
        tracing::warn!(
            peer = %peer.node,
            count = q.len(),
            "quarantined {} change(s) from {}; first: {first}",
            q.len(),
            peer.node
        );
    }
    applied
}
