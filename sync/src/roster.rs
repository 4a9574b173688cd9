//! The district roster (节点名册): every node's endpoint id, unit, roles, addresses and the
//! links it dials, plus revocations — signed by the district's root key, verified before use,
//! and replicated between nodes (a newer signed roster replaces an older one).

use iroh::PublicKey;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::UnitId;
use gridloop_core::ingest::{Authority, Grant};
use gridloop_core::store::{Envelope, import_signing_bytes, importer_of, signing_bytes};

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
    /// May sign bulk imports (批量导入授权): changes authored `NODE+import` that carry other
    /// nodes' events. Granted explicitly (`district enrol --import`), never implied by the
    /// unit: no other change of this node skips a check.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub import: bool,
}

/// A revocation (吊销) and when it takes effect: changes the key signed before `from` are
/// history its peers had (they keep travelling to nodes that lack them); changes made from
/// `from` on are refused, and the key can no longer connect at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The revoked endpoint id (64 hex digits).
    pub key: String,
    /// The time it takes effect, milliseconds since the Unix epoch.
    pub from: Millis,
    /// The roster version that carried it.
    pub version: u64,
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
    /// Revoked endpoint ids (吊销): they cannot connect. A key listed here without a
    /// [`Revocation`] (a roster from before revocations carried a time) is refused for every
    /// change it ever signed.
    #[serde(default)]
    pub revoked: Vec<String>,
    /// When each revocation takes effect.
    #[serde(default)]
    pub revocations: Vec<Revocation>,
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
            revocations: Vec::new(),
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
        if entry.node.is_empty()
            || !entry
                .node
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(RosterError::Malformed(format!(
                "node id `{}`: use letters, digits, `-`, `_` and `.` only",
                entry.node
            )));
        }
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

    /// Revokes a node by node id or key from time `from` and bumps the version. Revoking
    /// again moves the time earlier, never later.
    pub fn revoke(&mut self, who: &str, from: Millis) -> Result<(), RosterError> {
        let key = self
            .nodes
            .iter()
            .find(|n| n.node == who || n.key == who)
            .map(|n| n.key.clone())
            .ok_or_else(|| RosterError::UnknownNode(who.to_string()))?;
        if !self.revoked.contains(&key) {
            self.revoked.push(key.clone());
        }
        self.version += 1;
        match self.revocations.iter_mut().find(|r| r.key == key) {
            Some(r) if r.from <= from => {}
            Some(r) => {
                r.from = from;
                r.version = self.version;
            }
            None => self.revocations.push(Revocation {
                key,
                from,
                version: self.version,
            }),
        }
        Ok(())
    }

    /// Whether a change signed by `key` and made at `made` is refused by a revocation, and
    /// why (the time and roster version of the revocation).
    pub fn revoked_at(&self, key: &str, made: Millis) -> Option<String> {
        if !self.revoked.contains(&key.to_string()) {
            return None;
        }
        match self.revocations.iter().find(|r| r.key == key) {
            Some(r) if made < r.from => None,
            Some(r) => Some(format!(
                "revoked from {} (roster version {}); this change was made at {}",
                gridloop_core::domain::calendar::beijing(r.from),
                r.version,
                gridloop_core::domain::calendar::beijing(made)
            )),
            None => Some("revoked (for every change it signed)".to_string()),
        }
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
    /// Decodes the keys of the enrolled authors of `batch` (revoked ones too: their history
    /// from before the revocation stays valid).
    pub fn new(roster: &'r Roster, batch: &[Envelope]) -> BatchAuthority<'r> {
        let mut keys = std::collections::HashMap::new();
        for env in batch {
            let node = importer_of(&env.author).unwrap_or(&env.author);
            if keys.contains_key(node) {
                continue;
            }
            let Some(entry) = roster.nodes.iter().find(|n| n.node == node) else {
                continue;
            };
            if let Ok(key) = parse_public(&entry.key) {
                keys.insert(entry.node.as_str(), (key.as_verifying_key(), entry));
            }
        }
        BatchAuthority { roster, keys }
    }
}

impl Authority for BatchAuthority<'_> {
    fn authorize(&self, envelope: &Envelope, hash: &[u8], made: Millis) -> Result<Grant, String> {
        let import = importer_of(&envelope.author);
        let node = import.unwrap_or(&envelope.author);
        let Some((key, entry)) = self.keys.get(node) else {
            // Unknown or undecodable: the roster says which, with its reason.
            return self.roster.authorize(envelope, hash, made);
        };
        grant(
            self.roster,
            entry,
            envelope,
            made,
            import.is_some(),
            |msg, sig| {
                key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig))
                    .map_err(|_| "signature does not verify".to_string())
            },
            hash,
        )
    }
}

impl Authority for Roster {
    fn authorize(&self, envelope: &Envelope, hash: &[u8], made: Millis) -> Result<Grant, String> {
        let import = importer_of(&envelope.author);
        let node = import.unwrap_or(&envelope.author);
        let Some(entry) = self.nodes.iter().find(|n| n.node == node) else {
            return Err(format!("author {node} is not in the roster"));
        };
        let key = parse_public(&entry.key).map_err(|e| e.to_string())?;
        grant(
            self,
            entry,
            envelope,
            made,
            import.is_some(),
            |msg, sig| verify(&key, msg, sig),
            hash,
        )
    }
}

/// The checks every author passes, whichever way its key was found: not revoked at the
/// time the change was made, import only if granted, and a signature over the right domain.
fn grant(
    roster: &Roster,
    entry: &RosterEntry,
    envelope: &Envelope,
    made: Millis,
    import: bool,
    check: impl Fn(&[u8], &[u8; 64]) -> Result<(), String>,
    hash: &[u8],
) -> Result<Grant, String> {
    let author = &envelope.author;
    if let Some(why) = roster.revoked_at(&entry.key, made) {
        return Err(format!("author {} has been {why}", entry.node));
    }
    if import && !entry.import {
        return Err(format!(
            "{author}: an import signed by {}, whose roster entry does not grant import",
            entry.node
        ));
    }
    let sig: &[u8; 64] = envelope.signature.as_slice().try_into().map_err(|_| {
        format!(
            "bad signature by {author}: signature is {} bytes, not 64",
            envelope.signature.len()
        )
    })?;
    let msg = if import {
        import_signing_bytes(&envelope.case, hash)
    } else {
        signing_bytes(&envelope.case, hash)
    };
    check(&msg, sig).map_err(|why| format!("bad signature by {author}: {why}"))?;
    Ok(Grant {
        unit: entry.unit.clone(),
        roles: entry.roles.clone(),
        import,
    })
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
            import: false,
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
        r.revoke("n1", 1_000).unwrap();
        assert!(r.entry("n1").is_none());
        assert!(r.is_revoked(&a.public()));
        assert!(r.by_key(&a.public()).is_none());
        assert!(matches!(
            r.revoke("n9", 1_000),
            Err(RosterError::UnknownNode(_))
        ));
        // History before the revocation stays valid; from its time on, nothing is.
        assert_eq!(r.revoked_at(&a.id(), 999), None);
        assert!(
            r.revoked_at(&a.id(), 1_000)
                .unwrap()
                .contains("roster version 3")
        );
        // Revoking again moves the time earlier, never later.
        r.revoke("n1", 5_000).unwrap();
        assert!(r.revoked_at(&a.id(), 1_000).is_some());
        r.revoke("n1", 500).unwrap();
        assert!(r.revoked_at(&a.id(), 600).unwrap().contains("version 5"));
    }
}
