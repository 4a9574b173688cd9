//! A rogue peer (恶意节点) for security tests: a raw client speaking the protocol by hand
//! with a real enrolled (or unknown) key, and changes crafted and signed outside any engine.

use gridloop_core::doc::case_doc::CaseDoc;
use gridloop_core::domain::event::{Action, Event, EventId};
use gridloop_core::domain::hlc::Hlc;
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::store::{Envelope, import_author, import_signing_bytes, signing_bytes};
use gridloop_sync::frame::{ALPN, Frame, VERSION, decode, encode, frame_len};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::node::{self, EndpointConfig};
use gridloop_sync::session::to_wire;
use iroh::EndpointAddr;
use std::time::Duration;

use crate::T0;

/// A raw client that speaks the protocol by hand with `key`, as node `name`.
pub struct Rogue {
    /// The stream to the node.
    pub send: iroh::endpoint::SendStream,
    /// The stream from the node.
    pub recv: iroh::endpoint::RecvStream,
    _conn: iroh::endpoint::Connection,
    _ep: iroh::Endpoint,
}

impl Rogue {
    /// Connects to `to` with `key` (no handshake yet).
    pub async fn connect(key: &NodeKey, to: &crate::TestNode) -> Result<Rogue, String> {
        let ep = node::bind(
            key,
            &EndpointConfig {
                listen: "127.0.0.1:0".parse().unwrap(),
                ..EndpointConfig::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let addr = EndpointAddr::new(to.key.public()).with_ip_addr(to.addr);
        let conn = ep.connect(addr, ALPN).await.map_err(|e| e.to_string())?;
        let (send, recv) = conn.open_bi().await.map_err(|e| e.to_string())?;
        Ok(Rogue {
            send,
            recv,
            _conn: conn,
            _ep: ep,
        })
    }

    /// Connects to `to` with `key` as node `name` of `unit` and goes through the handshake
    /// to the point where it may send changes.
    pub async fn join(key: &NodeKey, to: &crate::TestNode, name: &str, unit: &str) -> Rogue {
        let mut r = Rogue::connect(key, to)
            .await
            .expect("enrolled key connects");
        r.send(&Frame::Hello {
            version: VERSION,
            node: name.into(),
            unit: unit.into(),
            epoch: format!("rogue-{}", rand_epoch()),
            roster: 99,
            config: 99,
        })
        .await
        .unwrap();
        r.until(|f| matches!(f, Frame::Resume { .. }))
            .await
            .expect("resume");
        r.send(&Frame::Resume { from: u64::MAX / 2 }).await.unwrap();
        r
    }

    /// Sends `envs` as the feed batch after position `from` and waits for its ack.
    pub async fn feed(&mut self, envs: &[Envelope], from: u64) {
        let (authors, changes) = to_wire(envs);
        let upto = from + envs.len() as u64;
        self.send(&Frame::Changes {
            from,
            upto,
            authors,
            changes,
        })
        .await
        .unwrap();
        let ack = self
            .until(|f| matches!(f, Frame::Ack { .. }))
            .await
            .expect("ack");
        assert_eq!(ack, Frame::Ack { upto });
    }

    /// Sends one frame.
    pub async fn send(&mut self, f: &Frame) -> Result<(), String> {
        self.send
            .write_all(&encode(f))
            .await
            .map_err(|e| e.to_string())
    }

    /// Reads one frame.
    pub async fn recv(&mut self) -> Result<Frame, String> {
        let mut p = [0u8; 4];
        self.recv
            .read_exact(&mut p)
            .await
            .map_err(|e| e.to_string())?;
        let mut body = vec![0; frame_len(p).map_err(|e| e.to_string())?];
        self.recv
            .read_exact(&mut body)
            .await
            .map_err(|e| e.to_string())?;
        decode(&body).map_err(|e| e.to_string())
    }

    /// Reads until a frame matching `want`, or fails after 10 s.
    pub async fn until(&mut self, want: impl Fn(&Frame) -> bool) -> Result<Frame, String> {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let f = self.recv().await?;
                if want(&f) {
                    return Ok(f);
                }
            }
        })
        .await
        .map_err(|_| "timed out".to_string())?
    }
}

/// A change adding `event` to `doc`, signed by `signer` as `author`.
pub fn crafted(
    doc: &CaseDoc,
    event: &Event,
    author: &str,
    signer: &NodeKey,
) -> (Envelope, Vec<u8>) {
    let mut d = doc.clone();
    let before = d.heads();
    d.append_as(event, &NodeId(author.into())).unwrap();
    let c = d.automerge().get_changes(&before).pop().unwrap();
    let hash = c.hash().0.to_vec();
    let case = d.id().unwrap().0;
    let env = Envelope {
        signature: signer.sign(&signing_bytes(&case, &hash)),
        case,
        author: author.into(),
        change: c.raw_bytes().to_vec(),
    };
    (env, hash)
}

/// An event of `action` by `node` for `unit` in `role`, made after `after` at `T0` + 1 h.
pub fn event(
    node: &str,
    unit: &gridloop_core::domain::unit::UnitId,
    role: Role,
    action: Action,
    after: &[EventId],
) -> Event {
    event_at(node, unit, role, action, after, T0 + 3_600_000)
}

/// [`event`] made at `at`.
pub fn event_at(
    node: &str,
    unit: &gridloop_core::domain::unit::UnitId,
    role: Role,
    action: Action,
    after: &[EventId],
    at: gridloop_core::domain::calendar::Millis,
) -> Event {
    Event {
        id: EventId::random(),
        after: after.to_vec(),
        at: Hlc {
            millis: at,
            counter: 0,
        },
        node: NodeId(node.into()),
        unit: unit.clone(),
        role,
        action,
        offline: false,
        person: None,
    }
}

/// A change adding `event` to `doc` as part of an import by node `importer`: authored
/// `importer+import`, written with the importer's actor, signed over the import domain.
pub fn crafted_import(
    doc: &CaseDoc,
    event: &Event,
    importer: &str,
    signer: &NodeKey,
) -> (Envelope, Vec<u8>) {
    let mut d = doc.clone();
    let before = d.heads();
    d.append_as(event, &NodeId(importer.into())).unwrap();
    let c = d.automerge().get_changes(&before).pop().unwrap();
    let hash = c.hash().0.to_vec();
    let case = d.id().unwrap().0;
    let env = Envelope {
        signature: signer.sign(&import_signing_bytes(&case, &hash)),
        case,
        author: import_author(importer),
        change: c.raw_bytes().to_vec(),
    };
    (env, hash)
}

fn rand_epoch() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
