//! Signed changes as they travel and are logged (签名变更).

use serde::{Deserialize, Serialize};

/// A change as it travels (签名变更): raw Automerge change bytes with its author and the
/// author's Ed25519 signature over [`signing_bytes`]. A node's own changes are stored
/// unsigned and signed when first sent (Ed25519 signatures are deterministic); received
/// changes keep their author's signature end to end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The case the change belongs to.
    pub case: String,
    /// The node that authored it.
    pub author: String,
    /// Raw Automerge change bytes.
    pub change: Vec<u8>,
    /// The author's signature over [`signing_bytes`] (empty for own unsent changes).
    pub signature: Vec<u8>,
}

/// What an author signs for a change: a domain tag, the case id and the change hash.
pub fn signing_bytes(case: &str, hash: &[u8]) -> Vec<u8> {
    tagged(b"gridloop/change/1\0", case, hash)
}

/// What an importer signs for a change of a bulk import (导入签名): a separate domain, so an
/// ordinary change's signature can never pass as an import and the other way round.
pub fn import_signing_bytes(case: &str, hash: &[u8]) -> Vec<u8> {
    tagged(b"gridloop/import/1\0", case, hash)
}

fn tagged(domain: &[u8], case: &str, hash: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.len() + case.len() + 1 + hash.len());
    m.extend_from_slice(domain);
    m.extend_from_slice(case.as_bytes());
    m.push(0);
    m.extend_from_slice(hash);
    m
}

/// The suffix of an import's author (导入者): a change of a bulk import is authored as
/// `NODE+import` and signed over [`import_signing_bytes`], so the log and every peer see
/// it as an import, never as an ordinary move by `NODE`.
pub const IMPORT_SUFFIX: &str = "+import";

/// The author name under which node `node` writes the changes of a bulk import.
pub fn import_author(node: &str) -> String {
    format!("{node}{IMPORT_SUFFIX}")
}

/// The importing node of an import's author (`Some("d")` for `d+import`), `None` for an
/// ordinary author.
pub fn importer_of(author: &str) -> Option<&str> {
    author.strip_suffix(IMPORT_SUFFIX)
}

/// One change to log (新变更): its hash and envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// The Automerge change hash (32 bytes).
    pub hash: Vec<u8>,
    /// The envelope as stored and sent.
    pub envelope: Envelope,
    /// Where it came from: `peer@epoch` for a received change, empty for a local one. A
    /// feed never sends a change back to the peer (and epoch) it came from.
    pub origin: String,
}

/// An entry of a unit's change feed (变更流): where it is, and the change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedEntry {
    /// Position in the unit's feed (the checkpoint a receiver keeps).
    pub seq: u64,
    /// The change hash.
    pub hash: Vec<u8>,
    /// The envelope.
    pub envelope: Envelope,
    /// Where it came from (see [`Logged::origin`]).
    pub origin: String,
}
