//! One sync session with one peer (同步会话), sans-IO: fed with frames, it queues frames to
//! send and calls the [`Replica`] for store reads and writes. No sockets, no clocks: the
//! driver calls [`Session::tick`] periodically and [`Session::local_changed`] when the store
//! changed, and moves frames between [`Session::poll_transmit`] and the connection.
//!
//! The exchange, the same on both sides:
//! 1. `Hello` (node, unit, log epoch, roster and configuration versions) each way; the peer
//!    must be the node the transport authenticated. A newer roster is offered with `Roster`,
//!    newer district configuration versions with `Config`.
//! 2. `Resume { from }`: where the peer should start its feed for me — my receive checkpoint
//!    for its (node, epoch); 0 for a store I have never seen or that was reset.
//! 3. `Changes { from, upto }` batches of the feed of the receiver's unit, at most
//!    [`WINDOW`] unacknowledged. The receiver applies a batch only if it continues exactly
//!    from its checkpoint, in one transaction with the new checkpoint, then `Ack`s it.
//!    Duplicates and batches after a gap are ignored and the checkpoint re-acknowledged;
//!    the sender goes back to the last acknowledged position when acks stall.
//! 4. `CaughtUp` when the feed is drained; later changes are pushed live the same way.
//! 5. `Want { case, have }` / `Repair`: when a change's dependencies are missing, the
//!    receiver asks for the case's changes it lacks (automerge's `get_changes(have)`).
//! 6. Anti-entropy once both directions caught up, and every [`DIGEST_TICKS`] after:
//!    `DigestRoot`, and on a mismatch `DigestWanted` → `Digest` → `Bucket`s → `Repair`/`Want`.
//! 7. 应急通道: each side lists its open emergency incidents and lane cases the other may
//!    receive (a `Bucket` numbered [`LANE_BUCKET`], empty in 平时) before its `Resume`, so the
//!    other answers with the lane cases it lacks ahead of the backlog.
//!
//! Steps 5 and 6 (and answering step 7's listing) are in `anti_entropy`; the wire form of
//! signed changes in `wire`.

use std::collections::{BTreeSet, VecDeque};

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::unit::UnitId;
use gridloop_core::ingest::IngestReport;
use gridloop_core::store::{Envelope, FeedEntry};

use crate::frame::{Frame, VERSION, WireChange};
use crate::identity::unhex;

mod anti_entropy;
mod wire;

pub use wire::{FRAME_BUDGET, from_wire, split_by_bytes, to_wire};

/// The [`Frame::Bucket`] number of the priority lane's listing (应急通道): open emergency
/// incidents and open cases in their lanes, in the receiver's scope. Day buckets never
/// reach it.
pub const LANE_BUCKET: u32 = u32::MAX;
/// Changes per batch.
pub const BATCH: usize = 512;
/// Batches in flight before waiting for an acknowledgement.
pub const WINDOW: usize = 4;
/// Ticks without acknowledgement progress before going back and resending.
pub const STALL_TICKS: u32 = 3;
/// Feed batches in a row committed without waiting for the disk while more are queued
/// behind them (分批落盘); every one after, and the last of a burst, waits.
pub const DURABLE_EVERY: u32 = 8;
/// Ticks between anti-entropy digests once synced (the first goes out as soon as both
/// directions have caught up).
pub const DIGEST_TICKS: u32 = 120;

/// Errors of a session (同步错误).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The store failed.
    #[error("store: {0}")]
    Store(String),
    /// The peer broke the protocol.
    #[error("protocol violation by {peer}: {why}")]
    Protocol {
        /// The peer.
        peer: String,
        /// What it did.
        why: String,
    },
    /// The link failed or closed (not the peer's fault).
    #[error("link to {peer}: {why}")]
    Link {
        /// The peer.
        peer: String,
        /// What happened.
        why: String,
    },
    /// The peer refused us.
    #[error("refused by {peer}: {reason}")]
    Refused {
        /// The peer.
        peer: String,
        /// Its reason.
        reason: String,
    },
}

/// Who a node is, for the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Me {
    /// Node id.
    pub node: String,
    /// Unit.
    pub unit: UnitId,
    /// Log epoch.
    pub epoch: String,
}

/// What the session needs from the node's store and roster (本地副本).
pub trait Replica {
    /// This node.
    fn me(&self) -> Me;
    /// The version of the roster held, and its signed bytes.
    fn roster(&self) -> (u64, Vec<u8>);
    /// The version of the roster held.
    fn roster_version(&self) -> u64;
    /// Offers a signed roster received from a peer; adopts it if it verifies against the
    /// trusted root and is newer. Returns whether it was adopted.
    fn offer_roster(&self, signed: &[u8]) -> Result<bool, String>;
    /// The newest district configuration version held (配置版本); cheap, asked at every
    /// local change.
    fn config_version(&self) -> u64;
    /// The configuration history's bytes, to send to a peer holding an older version.
    fn config(&self) -> Vec<u8>;
    /// Offers a configuration history received from a peer; takes the versions it lacks
    /// that verify against the trusted root. Returns whether any was taken.
    fn offer_config(&self, history: &[u8]) -> Result<bool, String>;
    /// How far this node has applied `peer`'s feed in the peer's `epoch`.
    fn received(&self, peer: &str, epoch: &str) -> Result<u64, SyncError>;
    /// `unit`'s feed after `since`, at most `limit` entries, own changes signed.
    fn feed(&self, unit: &UnitId, since: u64, limit: usize) -> Result<Vec<FeedEntry>, SyncError>;
    /// Applies a batch received from `peer` (epoch `epoch`); with `upto`, records the
    /// receive checkpoint in the same transaction. `durable`: wait for the disk before
    /// committing (a feed batch with more right behind it need not; see
    /// [`Replica::settle`]).
    fn ingest(
        &self,
        peer: &str,
        epoch: &str,
        batch: &[Envelope],
        upto: Option<u64>,
        durable: bool,
    ) -> Result<IngestReport, SyncError>;
    /// Makes batches committed without waiting for the disk durable (落盘), if any;
    /// returns whether there were (their changes may now be passed on).
    fn settle(&self) -> Result<bool, SyncError>;
    /// Records that `peer` acknowledged this node's feed up to `upto`.
    fn acknowledged(&self, peer: &str, upto: u64) -> Result<(), SyncError>;
    /// The drill purge in force here: its watermark and signed order bytes.
    fn drill_purge(&self) -> Option<(Millis, Vec<u8>)>;
    /// Offers a signed drill purge order received from a peer; puts it in force if it
    /// verifies against the roster and reaches further than the one held. Returns the
    /// order's watermark and, if adopted, how many cases it removed here; a refused order
    /// is quarantined here and its reason returned.
    fn offer_purge(&self, signed: &[u8]) -> Result<(Millis, Option<u64>), String>;
    /// Whether a case was purged here (never to be asked for again).
    fn purged(&self, case: &CaseId) -> Result<bool, SyncError>;
    /// The heads this node holds for a case (empty if none).
    fn heads(&self, case: &CaseId) -> Result<Vec<Vec<u8>>, SyncError>;
    /// The anti-entropy digest of `unit`'s feed scope: (day bucket, xor, count).
    fn digest(&self, unit: &UnitId) -> Result<Vec<(u32, u64, u32)>, SyncError>;
    /// The cases of one digest bucket of `unit`'s feed scope with their heads hashes; for
    /// [`LANE_BUCKET`], the priority lane's listing for `unit`.
    fn bucket(&self, unit: &UnitId, bucket: u32) -> Result<Vec<(CaseId, u64)>, SyncError>;
    /// The signed changes of `case` not reachable from `have`, in causal order — only if
    /// the case is in `unit`'s feed scope (otherwise none).
    fn history(
        &self,
        case: &CaseId,
        have: &[Vec<u8>],
        unit: &UnitId,
    ) -> Result<Vec<Envelope>, SyncError>;
}

/// The peer as it introduced itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Node id.
    pub node: String,
    /// Unit.
    pub unit: UnitId,
    /// Log epoch.
    pub epoch: String,
}

/// What happened in a session, for status displays and tests (会话事件).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// The handshake completed.
    Connected(Peer),
    /// A batch was applied.
    Applied {
        /// Changes applied.
        applied: u64,
        /// Changes already held.
        duplicates: u64,
        /// Cases changed.
        cases: Vec<CaseId>,
    },
    /// Changes were quarantined.
    Quarantined(Vec<String>),
    /// The peer has sent everything it had for us.
    PeerCaughtUp,
    /// The peer has acknowledged everything this node had for it.
    WeCaughtUp,
    /// A newer roster was adopted.
    RosterAdopted,
    /// Newer district configuration versions were taken (配置更新).
    ConfigAdopted,
    /// The peer's configuration versions were refused, with why; cases still flow.
    ConfigRefused(String),
    /// A drill purge order from the peer was put in force here (演练清除).
    DrillsPurged {
        /// Drill cases removed here.
        cases: u64,
    },
    /// Batches committed without waiting for the disk were made durable: their changes
    /// may now be passed on to other peers.
    Settled,
    /// Anti-entropy found buckets that differ and started repairing them.
    Repairing {
        /// Buckets that differ.
        buckets: u32,
    },
}

/// Counters of a session (统计).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Changes sent.
    pub sent: u64,
    /// Changes received and applied.
    pub applied: u64,
    /// Changes received that were already held.
    pub duplicates: u64,
    /// Changes quarantined.
    pub quarantined: u64,
    /// Raw change bytes sent.
    pub raw_sent: u64,
}

/// One session (会话).
pub struct Session {
    me: Me,
    expected: Option<(String, UnitId)>,
    peer: Option<Peer>,
    peer_roster: u64,
    peer_config: u64,
    peer_purge: Millis,
    resumed: bool,
    out_from: Option<u64>,
    sent: u64,
    high: u64,
    acked: u64,
    inflight: VecDeque<u64>,
    stalled: u32,
    quiet_ticks: u32,
    caught_up_sent: bool,
    peer_caught_up: bool,
    checkpoint: u64,
    more_queued: bool,
    undurable: u32,
    wanted: BTreeSet<CaseId>,
    digest_in: Option<u32>,
    outbox: VecDeque<Frame>,
    events: VecDeque<SessionEvent>,
    closed: Option<String>,
    stats: Stats,
}

impl Session {
    /// A session for `replica`'s node; `expected` is the peer the transport authenticated
    /// (node id and unit from the roster), `None` only in tests.
    pub fn new(replica: &dyn Replica, expected: Option<(String, UnitId)>) -> Session {
        let me = replica.me();
        let (roster, _) = replica.roster();
        let config = replica.config_version();
        let mut s = Session {
            me: me.clone(),
            expected,
            peer: None,
            peer_roster: 0,
            peer_config: 0,
            peer_purge: Millis::MIN,
            resumed: false,
            out_from: None,
            sent: 0,
            high: 0,
            acked: 0,
            inflight: VecDeque::new(),
            stalled: 0,
            quiet_ticks: 0,
            caught_up_sent: false,
            peer_caught_up: false,
            checkpoint: 0,
            more_queued: false,
            undurable: 0,
            wanted: BTreeSet::new(),
            digest_in: None,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            closed: None,
            stats: Stats::default(),
        };
        s.outbox.push_back(Frame::Hello {
            version: VERSION,
            node: me.node,
            unit: me.unit.0,
            epoch: me.epoch,
            roster,
            config,
        });
        s
    }

    /// The peer, once it said hello.
    pub fn peer(&self) -> Option<&Peer> {
        self.peer.as_ref()
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.outbox.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// Why the session ended, once it has.
    pub fn closed(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Tells the session whether more frames from the peer are already waiting behind the
    /// next one: a feed batch with more behind it commits without waiting for the disk
    /// (up to [`DURABLE_EVERY`] in a row); the last of a burst waits.
    pub fn set_more_queued(&mut self, more: bool) {
        self.more_queued = more;
    }

    /// Feed positions: (sent, acknowledged by the peer, applied from the peer).
    pub fn positions(&self) -> (u64, u64, u64) {
        (self.sent, self.acked, self.checkpoint)
    }

    /// Whether the peer has said where its copy of my feed stands (its `Resume`).
    pub fn resumed(&self) -> bool {
        self.out_from.is_some()
    }

    /// Whether both directions have caught up (initial sync done).
    pub fn is_synced(&self) -> bool {
        self.peer_caught_up && self.caught_up_sent && self.inflight.is_empty()
    }

    fn refuse(&mut self, reason: String) -> SyncError {
        self.outbox.push_back(Frame::Refuse {
            reason: reason.clone(),
        });
        self.closed = Some(reason.clone());
        SyncError::Protocol {
            peer: self
                .peer
                .as_ref()
                .map(|p| p.node.clone())
                .unwrap_or_else(|| "?".into()),
            why: reason,
        }
    }

    /// Handles one frame from the peer.
    pub fn handle(&mut self, r: &dyn Replica, frame: Frame) -> Result<(), SyncError> {
        if self.closed.is_some() {
            return Ok(());
        }
        match frame {
            Frame::Hello {
                version,
                node,
                unit,
                epoch,
                roster,
                config,
            } => self.on_hello(r, version, node, UnitId(unit), epoch, (roster, config)),
            Frame::Refuse { reason } => {
                self.closed = Some(format!("refused by peer: {reason}"));
                Err(SyncError::Refused {
                    peer: self
                        .peer
                        .as_ref()
                        .map(|p| p.node.clone())
                        .unwrap_or_else(|| "?".into()),
                    reason,
                })
            }
            // Before the peer's hello nothing can be placed: on an ordered stream this
            // does not happen; on a lossy wire the frame is resent after the hello.
            _ if self.peer.is_none() => Ok(()),
            Frame::Roster { signed } => {
                if r.offer_roster(&signed).map_err(|why| self.refuse(why))? {
                    self.events.push_back(SessionEvent::RosterAdopted);
                }
                Ok(())
            }
            Frame::Config { history } => {
                // A configuration this node cannot take (another root, a version it holds
                // with other content, files this build cannot read) is reported, never a
                // reason to stop exchanging cases with the peer.
                match r.offer_config(&history) {
                    Ok(true) => self.events.push_back(SessionEvent::ConfigAdopted),
                    Ok(false) => {}
                    Err(why) => self.events.push_back(SessionEvent::ConfigRefused(why)),
                }
                Ok(())
            }
            Frame::Purge { signed } => {
                match r.offer_purge(&signed) {
                    Ok((before, adopted)) => {
                        self.peer_purge = self.peer_purge.max(before);
                        if let Some(cases) = adopted {
                            self.events.push_back(SessionEvent::DrillsPurged { cases });
                        }
                    }
                    // Quarantined by the replica; the session goes on without it.
                    Err(why) => {
                        self.stats.quarantined += 1;
                        self.events.push_back(SessionEvent::Quarantined(vec![why]));
                    }
                }
                Ok(())
            }
            Frame::Resume { from } => {
                if self.resumed {
                    // A repeat (our hello was resent): the stream position stands.
                    return Ok(());
                }
                self.resumed = true;
                self.out_from = Some(from);
                self.sent = from;
                self.acked = from;
                self.high = from;
                self.pump(r)
            }
            Frame::Changes {
                from,
                upto,
                authors,
                changes,
            } => self.on_changes(r, from, upto, &authors, changes),
            Frame::Ack { upto } => {
                if upto > self.high {
                    return Err(self.refuse(format!(
                        "ack of {upto} beyond what was sent ({})",
                        self.high
                    )));
                }
                if upto > self.acked {
                    self.acked = upto;
                    self.stalled = 0;
                    r.acknowledged(&self.peer_node(), upto)?;
                }
                if self.acked > self.sent {
                    // A late ack after going back: the peer already has more.
                    self.sent = self.acked;
                }
                while self.inflight.front().is_some_and(|u| *u <= self.acked) {
                    self.inflight.pop_front();
                }
                if self.inflight.is_empty() && self.caught_up_sent {
                    self.events.push_back(SessionEvent::WeCaughtUp);
                }
                self.pump(r)
            }
            Frame::CaughtUp { head } => {
                if head == self.checkpoint && !self.peer_caught_up {
                    self.peer_caught_up = true;
                    self.events.push_back(SessionEvent::PeerCaughtUp);
                }
                Ok(())
            }
            Frame::Want { case, have } => self.on_want(r, case, have),
            Frame::DigestRoot { xor, count } => self.on_digest_root(r, xor, count),
            Frame::DigestWanted => self.on_digest_wanted(r),
            Frame::Digest { buckets } => self.on_digest(r, buckets),
            Frame::Bucket { bucket, cases } => self.on_bucket(r, bucket, cases),
            Frame::Repair { authors, changes } => self.on_repair(r, &authors, changes),
        }
    }

    fn peer_node(&self) -> String {
        self.peer
            .as_ref()
            .map(|p| p.node.clone())
            .unwrap_or_default()
    }

    fn peer_ids(&self) -> (String, String) {
        self.peer
            .as_ref()
            .map(|p| (p.node.clone(), p.epoch.clone()))
            .unwrap_or_default()
    }

    fn on_hello(
        &mut self,
        r: &dyn Replica,
        version: u32,
        node: String,
        unit: UnitId,
        epoch: String,
        (roster, config): (u64, u64),
    ) -> Result<(), SyncError> {
        if let Some(p) = &self.peer {
            if p.node == node && p.unit == unit && p.epoch == epoch {
                // A repeat (the peer did not hear our resume): say it again.
                self.outbox.push_back(Frame::Resume {
                    from: self.checkpoint,
                });
                return Ok(());
            }
            return Err(self.refuse(format!(
                "a second hello as {node} at {unit} (epoch {epoch})"
            )));
        }
        if version != VERSION {
            return Err(self.refuse(format!("protocol version {version} is not {VERSION}")));
        }
        if let Some((n, u)) = &self.expected
            && (n != &node || u != &unit)
        {
            return Err(self.refuse(format!(
                "hello as {node} at {unit}, but this endpoint is enrolled as {n} at {u}"
            )));
        }
        if node == self.me.node {
            return Err(self.refuse("a node cannot sync with itself".into()));
        }
        let peer = Peer { node, unit, epoch };
        self.checkpoint = r.received(&peer.node, &peer.epoch)?;
        self.peer = Some(peer.clone());
        self.peer_roster = roster;
        self.peer_config = config;
        self.offer_roster(r);
        self.offer_config(r);
        self.offer_purge(r);
        // 应急通道 first: my lane cases the peer may receive (empty in 平时, still sent: the
        // peer may hold lane cases I have never heard of), before my resume starts its feed
        // to me — the peer answers with the lane cases I lack ahead of its backlog.
        let cases = r
            .bucket(&peer.unit, LANE_BUCKET)?
            .into_iter()
            .map(|(c, h)| (unhex(c.as_str()).unwrap_or_default(), h))
            .collect();
        self.outbox.push_back(Frame::Bucket {
            bucket: LANE_BUCKET,
            cases,
        });
        self.outbox.push_back(Frame::Resume {
            from: self.checkpoint,
        });
        self.events.push_back(SessionEvent::Connected(peer));
        Ok(())
    }

    fn on_changes(
        &mut self,
        r: &dyn Replica,
        from: u64,
        upto: u64,
        authors: &[String],
        changes: Vec<WireChange>,
    ) -> Result<(), SyncError> {
        if upto < from {
            return Err(self.refuse(format!("batch {from}..{upto} runs backwards")));
        }
        if from != self.checkpoint {
            // A duplicate, or a batch after a lost one: say where we are.
            self.outbox.push_back(Frame::Ack {
                upto: self.checkpoint,
            });
            return Ok(());
        }
        let envs = from_wire(authors, changes).map_err(|why| self.refuse(why))?;
        let (node, epoch) = self.peer_ids();
        let durable = !self.more_queued || self.undurable >= DURABLE_EVERY;
        let report = r.ingest(&node, &epoch, &envs, Some(upto), durable)?;
        self.undurable = if durable { 0 } else { self.undurable + 1 };
        self.checkpoint = upto;
        self.peer_caught_up = false;
        self.record(report.clone(), true);
        self.outbox.push_back(Frame::Ack { upto });
        for case in report.missing {
            if self.wanted.insert(case.clone()) {
                let have = r.heads(&case)?;
                self.outbox.push_back(Frame::Want {
                    case: unhex(case.as_str()).unwrap_or_default(),
                    have,
                });
            }
        }
        Ok(())
    }

    fn record(&mut self, report: IngestReport, _feed: bool) {
        self.stats.applied += report.applied;
        self.stats.duplicates += report.duplicates;
        self.stats.quarantined += report.quarantined.len() as u64;
        if report.applied > 0 || report.duplicates > 0 {
            self.events.push_back(SessionEvent::Applied {
                applied: report.applied,
                duplicates: report.duplicates,
                cases: report.cases.into_iter().collect(),
            });
        }
        if !report.quarantined.is_empty() {
            self.events.push_back(SessionEvent::Quarantined(
                report.quarantined.iter().map(|q| q.to_string()).collect(),
            ));
        }
    }

    fn offer_roster(&mut self, r: &dyn Replica) {
        if r.roster_version() > self.peer_roster {
            let (mine, signed) = r.roster();
            if !signed.is_empty() {
                self.outbox.push_back(Frame::Roster { signed });
                self.peer_roster = mine;
            }
        }
    }

    fn offer_config(&mut self, r: &dyn Replica) {
        let mine = r.config_version();
        if mine > self.peer_config {
            let history = r.config();
            if !history.is_empty() {
                self.outbox.push_back(Frame::Config { history });
                self.peer_config = mine;
            }
        }
    }

    fn offer_purge(&mut self, r: &dyn Replica) {
        if let Some((before, signed)) = r.drill_purge()
            && before > self.peer_purge
        {
            self.outbox.push_back(Frame::Purge { signed });
            self.peer_purge = before;
        }
    }

    /// The store or the roster changed (a local action, changes received from another
    /// peer, a newer roster): push what the peer has not seen yet.
    pub fn local_changed(&mut self, r: &dyn Replica) -> Result<(), SyncError> {
        if self.closed.is_some() || self.out_from.is_none() {
            return Ok(());
        }
        self.offer_roster(r);
        self.offer_config(r);
        self.offer_purge(r);
        self.caught_up_sent = false;
        self.pump(r)
    }

    /// A clock tick from the driver (about twice a second): resends after a stall — the
    /// hello until the peer's resume arrives, and unacknowledged batches.
    pub fn tick(&mut self, r: &dyn Replica) -> Result<(), SyncError> {
        if self.closed.is_some() {
            return Ok(());
        }
        // A burst that ended without a durable batch (or another session's) is made
        // durable now, so the feed passes it on.
        if r.settle()? {
            self.events.push_back(SessionEvent::Settled);
        }
        self.undurable = 0;
        if self.out_from.is_none() {
            self.stalled += 1;
            if self.stalled >= STALL_TICKS {
                self.stalled = 0;
                let (roster, _) = r.roster();
                let config = r.config_version();
                self.outbox.push_back(Frame::Hello {
                    version: VERSION,
                    node: self.me.node.clone(),
                    unit: self.me.unit.0.clone(),
                    epoch: self.me.epoch.clone(),
                    roster,
                    config,
                });
            }
            return Ok(());
        }
        if self.caught_up_sent && self.inflight.is_empty() {
            // Say it again now and then: a lost `CaughtUp` would hide that we are in sync.
            self.quiet_ticks += 1;
            if self.quiet_ticks.is_multiple_of(20) {
                self.outbox.push_back(Frame::CaughtUp { head: self.sent });
            }
        }
        if self.is_synced() {
            match self.digest_in {
                None | Some(0) => self.send_digest(r)?,
                Some(n) => self.digest_in = Some(n - 1),
            }
        }
        if !self.inflight.is_empty() {
            self.stalled += 1;
            if self.stalled >= STALL_TICKS {
                self.stalled = 0;
                self.inflight.clear();
                self.sent = self.acked;
                self.caught_up_sent = false;
            }
        }
        self.pump(r)
    }

    fn pump(&mut self, r: &dyn Replica) -> Result<(), SyncError> {
        let Some(peer) = self.peer.clone() else {
            return Ok(());
        };
        if self.out_from.is_none() {
            return Ok(());
        }
        while self.inflight.len() < WINDOW {
            let mut entries = r.feed(&peer.unit, self.sent, BATCH)?;
            // Under the frame budget: a batch ends early when its changes are large.
            let mut bytes = 0;
            if let Some(cut) = entries.iter().position(|e| {
                bytes += wire::wire_size(&e.envelope);
                bytes > wire::FRAME_BUDGET
            }) {
                entries.truncate(cut.max(1));
            }
            let Some(last) = entries.last().map(|e| e.seq) else {
                if !self.caught_up_sent {
                    self.caught_up_sent = true;
                    self.outbox.push_back(Frame::CaughtUp { head: self.sent });
                }
                break;
            };
            let origin = format!("{}@{}", peer.node, peer.epoch);
            let envs: Vec<Envelope> = entries
                .into_iter()
                .filter(|e| e.origin != origin)
                .map(|e| e.envelope)
                .collect();
            let (authors, changes) = to_wire(&envs);
            self.stats.sent += changes.len() as u64;
            self.stats.raw_sent += changes.iter().map(|c| c.change.len() as u64).sum::<u64>();
            self.outbox.push_back(Frame::Changes {
                from: self.sent,
                upto: last,
                authors,
                changes,
            });
            self.sent = last;
            self.high = self.high.max(last);
            self.inflight.push_back(last);
            self.caught_up_sent = false;
        }
        Ok(())
    }
}
