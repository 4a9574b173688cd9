//! The district roster (节点名册): every node's endpoint id, unit, roles, addresses and the
//! links it dials, plus revocations — signed by the district's root key, verified before use,
//! and replicated between nodes (a newer signed roster replaces an older one).

use iroh::PublicKey;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::UnitId;
use gridloop_core::ingest::{Authority, Grant};
use gridloop_core::store::{Envelope, signing_bytes};

use crate::identity::{NodeKey, parse_public, public_hex, verify};

/// Errors of the roster (名册错误).
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    /// The roster file could not be read or written.
    #[error("roster file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// The bytes are not a signed roster.
    #[error("not a signed gridloop roster: {0}")]
    Malformed(String),
    /// The root signature does not verify.
    #[error("roster signature does not verify against the district root key {0}")]
    BadSignature(String),
    /// The roster names a different root than the one this node trusts.
    #[error("roster is signed by root {found}, but this node trusts root {trusted}")]
    WrongRoot {
        /// The root this node trusts.
        trusted: String,
        /// The root the roster names.
        found: String,
    },
    /// A node that is not in the roster.
    #[error("node {0} is not in the roster")]
    UnknownNode(String),
    /// A node id used twice, or a key used twice.
    #[error("roster already has {0}")]
    Duplicate(String),
    /// A key that does not parse.
    #[error(transparent)]
    Key(#[from] crate::identity::KeyError),
}

/// One node of the district (名册条目).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    /// The node id (a short readable name, e.g. `n110101001`), written into case trails.
    pub node: String,
    /// The node's endpoint id (Ed25519 public key, 64 hex digits).
    pub key: String,
    /// The unit the node works for.
    pub unit: UnitId,
    /// The roles its operators may take at that unit (empty: every role the rules allow).
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Static socket addresses where it listens.
    #[serde(default)]
    pub addrs: Vec<SocketAddr>,
    /// Node ids this node dials (its upward and sideways links).
    #[serde(default)]
    pub links: Vec<String>,
}

/// The roster's contents (名册).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The district unit.
    pub district: UnitId,
    /// The district root public key (64 hex digits).
    pub root: String,
    /// Increases with every change; a node keeps the highest version it has verified.
    pub version: u64,
    /// Every enrolled node.
    pub nodes: Vec<RosterEntry>,
    /// Revoked endpoint ids (吊销).
    #[serde(default)]
    pub revoked: Vec<String>,
    /// A self-hosted relay URL, if the district runs one (relays are off otherwise).
    #[serde(default)]
    pub relay: Option<String>,
}

/// A roster with the root's signature over its canonical bytes (签名名册).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRoster {
    /// The roster as JSON bytes (what was signed).
    pub roster: String,
    /// The root's signature, hex.
    pub signature: String,
}

const DOMAIN: &[u8] = b"gridloop/roster/1\0";

impl Roster {
    /// An empty roster for a district with this root.
    pub fn new(district: UnitId, root: &NodeKey) -> Roster {
        Roster {
            district,
            root: root.id(),
            version: 1,
            nodes: Vec::new(),
            revoked: Vec::new(),
            relay: None,
        }
    }

    /// Signs the roster with the root key.
    pub fn sign(&self, root: &NodeKey) -> SignedRoster {
        let roster = serde_json::to_string(self).expect("a roster always encodes");
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(roster.as_bytes());
        SignedRoster {
            roster,
            signature: crate::identity::hex(&root.sign(&msg)),
        }
    }

    /// Adds (enrols) a node, or replaces the entry with the same node id, and bumps the
    /// version. A key already used by another node id is refused.
    pub fn enrol(&mut self, entry: RosterEntry) -> Result<(), RosterError> {
        parse_public(&entry.key)?;
        if self
            .nodes
            .iter()
            .any(|n| n.key == entry.key && n.node != entry.node)
        {
            return Err(RosterError::Duplicate(format!("key {}", entry.key)));
        }
        self.nodes.retain(|n| n.node != entry.node);
        self.nodes.push(entry);
        self.version += 1;
        Ok(())
    }

    /// Revokes a node by node id or key and bumps the version.
    pub fn revoke(&mut self, who: &str) -> Result<(), RosterError> {
        let key = self
            .nodes
            .iter()
            .find(|n| n.node == who || n.key == who)
            .map(|n| n.key.clone())
            .ok_or_else(|| RosterError::UnknownNode(who.to_string()))?;
        if !self.revoked.contains(&key) {
            self.revoked.push(key);
        }
        self.version += 1;
        Ok(())
    }

    /// The entry of a node id, if enrolled and not revoked.
    pub fn entry(&self, node: &str) -> Option<&RosterEntry> {
        self.nodes
            .iter()
            .find(|n| n.node == node)
            .filter(|n| !self.revoked.contains(&n.key))
    }

    /// The entry of an endpoint id, if enrolled and not revoked.
    pub fn by_key(&self, key: &PublicKey) -> Option<&RosterEntry> {
        let hex = public_hex(key);
        if self.revoked.contains(&hex) {
            return None;
        }
        self.nodes.iter().find(|n| n.key == hex)
    }

    /// Whether an endpoint id has been revoked.
    pub fn is_revoked(&self, key: &PublicKey) -> bool {
        self.revoked.contains(&public_hex(key))
    }
}

impl SignedRoster {
    /// Verifies the signature and returns the roster. With `trusted_root`, the roster must
    /// name that root; without it, the roster's own root is used (trust on first use, when a
    /// node joins with a roster file carried from the district).
    pub fn verify(&self, trusted_root: Option<&str>) -> Result<Roster, RosterError> {
        let roster: Roster = serde_json::from_str(&self.roster)
            .map_err(|e| RosterError::Malformed(e.to_string()))?;
        if let Some(t) = trusted_root
            && t != roster.root
        {
            return Err(RosterError::WrongRoot {
                trusted: t.to_string(),
                found: roster.root.clone(),
            });
        }
        let root = parse_public(&roster.root)?;
        let sig = crate::identity::unhex(&self.signature)
            .ok_or_else(|| RosterError::Malformed("signature is not hex".into()))?;
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(self.roster.as_bytes());
        verify(&root, &msg, &sig).map_err(|_| RosterError::BadSignature(roster.root.clone()))?;
        Ok(roster)
    }

    /// The JSON bytes of the signed roster (its file format and wire form).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a signed roster always encodes")
    }

    /// Parses the JSON bytes of a signed roster (without verifying it).
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedRoster, RosterError> {
        serde_json::from_slice(bytes).map_err(|e| RosterError::Malformed(e.to_string()))
    }

    /// Reads a signed roster file.
    pub fn read(path: &Path) -> Result<SignedRoster, RosterError> {
        let bytes = std::fs::read(path).map_err(|source| RosterError::Io {
            path: path.display().to_string(),
            source,
        })?;
        SignedRoster::from_bytes(&bytes)
    }

    /// Writes the signed roster file (atomically, by rename).
    pub fn write(&self, path: &Path) -> Result<(), RosterError> {
        let io = |source| RosterError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.to_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// The roster as the [`Authority`] for one received batch (批次授权): each author's key is
/// decoded once for the batch rather than for every change it signed (decoding a key is
/// a fifth of checking a signature).
pub struct BatchAuthority<'r> {
    roster: &'r Roster,
    keys: std::collections::HashMap<&'r str, (ed25519_dalek::VerifyingKey, &'r RosterEntry)>,
}

impl<'r> BatchAuthority<'r> {
    /// Decodes the keys of the enrolled, unrevoked authors of `batch`.
    pub fn new(roster: &'r Roster, batch: &[Envelope]) -> BatchAuthority<'r> {
        let mut keys = std::collections::HashMap::new();
        for env in batch {
            if keys.contains_key(env.author.as_str()) {
                continue;
            }
            let Some(entry) = roster.nodes.iter().find(|n| n.node == env.author) else {
                continue;
            };
            if roster.revoked.contains(&entry.key) {
                continue;
            }
            if let Ok(key) = parse_public(&entry.key) {
                keys.insert(entry.node.as_str(), (key.as_verifying_key(), entry));
            }
        }
        BatchAuthority { roster, keys }
    }
}

impl Authority for BatchAuthority<'_> {
    fn authorize(&self, envelope: &Envelope, hash: &[u8]) -> Result<Grant, String> {
        let Some((key, entry)) = self.keys.get(envelope.author.as_str()) else {
            // Unknown, revoked or undecodable: the roster says which, with its reason.
            return self.roster.authorize(envelope, hash);
        };
        let sig: [u8; 64] = envelope.signature.as_slice().try_into().map_err(|_| {
            format!(
                "bad signature by {}: signature is {} bytes, not 64",
                envelope.author,
                envelope.signature.len()
            )
        })?;
        key.verify_strict(
            &signing_bytes(&envelope.case, hash),
            &ed25519_dalek::Signature::from_bytes(&sig),
        )
        .map_err(|_| {
            format!(
                "bad signature by {}: signature does not verify",
                envelope.author
            )
        })?;
        Ok(Grant {
            unit: entry.unit.clone(),
            roles: entry.roles.clone(),
        })
    }
}

impl Authority for Roster {
    fn authorize(&self, envelope: &Envelope, hash: &[u8]) -> Result<Grant, String> {
        let entry = self.nodes.iter().find(|n| n.node == envelope.author);
        let Some(entry) = entry else {
            return Err(format!("author {} is not in the roster", envelope.author));
        };
        if self.revoked.contains(&entry.key) {
            return Err(format!("author {} has been revoked", envelope.author));
        }
        let key = parse_public(&entry.key).map_err(|e| e.to_string())?;
        verify(
            &key,
            &signing_bytes(&envelope.case, hash),
            &envelope.signature,
        )
        .map_err(|why| format!("bad signature by {}: {why}", envelope.author))?;
        Ok(Grant {
            unit: entry.unit.clone(),
            roles: entry.roles.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(node: &str, key: &NodeKey, unit: &str) -> RosterEntry {
        RosterEntry {
            node: node.into(),
            key: key.id(),
            unit: UnitId::from(unit),
            roles: vec![],
            addrs: vec![],
            links: vec![],
        }
    }

    #[test]
    fn a_signed_roster_verifies_and_a_tampered_one_does_not() {
        let root = NodeKey::generate();
        let a = NodeKey::generate();
        let mut r = Roster::new(UnitId::from("110101"), &root);
        r.enrol(entry("n1", &a, "110101001")).unwrap();
        let signed = r.sign(&root);
        let back = signed.verify(Some(&root.id())).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.version, 2);

        let mut bad = signed.clone();
        bad.roster = bad.roster.replace("110101001", "110101002");
        assert!(matches!(
            bad.verify(None),
            Err(RosterError::BadSignature(_))
        ));
        let other = NodeKey::generate();
        assert!(matches!(
            signed.verify(Some(&other.id())),
            Err(RosterError::WrongRoot { .. })
        ));
        // A roster signed by another key but naming our root fails the signature.
        let forged = r.sign(&other);
        assert!(forged.verify(Some(&root.id())).is_err());
    }

    #[test]
    fn revocation_and_duplicates() {
        let root = NodeKey::generate();
        let a = NodeKey::generate();
        let mut r = Roster::new(UnitId::from("110101"), &root);
        r.enrol(entry("n1", &a, "110101001")).unwrap();
        assert!(r.enrol(entry("n2", &a, "110101002")).is_err());
        assert!(r.entry("n1").is_some());
        r.revoke("n1").unwrap();
        assert!(r.entry("n1").is_none());
        assert!(r.is_revoked(&a.public()));
        assert!(r.by_key(&a.public()).is_none());
        assert!(matches!(r.revoke("n9"), Err(RosterError::UnknownNode(_))));
    }
}
