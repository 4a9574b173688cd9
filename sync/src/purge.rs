//! Drill purge orders (演练清除令): the district command centre's signed order to remove
//! every drill case reported before a time, on every node.
//!
//! A local delete alone would be undone by sync: a peer that still holds the cases would
//! send them again, and anti-entropy would find them missing. So the purge travels like
//! the roster: the order is signed by the issuing district node, verified against the
//! roster on every node, offered to each peer on hello and pushed on to the others when a
//! node adopts it. A node that holds the order removes the cases (core's
//! [`gridloop_core::store::Store::purge_drills`]) and from then on drops their changes on
//! receipt and never asks for them. Orders are watermarks: a later `before` covers an
//! earlier one, so a node keeps only the furthest-reaching order.

use serde::{Deserialize, Serialize};

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::role::Role;
use gridloop_core::store::DrillPurge;

use crate::identity::{NodeKey, hex, parse_public, unhex, verify};
use crate::roster::Roster;

const DOMAIN: &[u8] = b"gridloop/drill-purge/1\0";

/// Why a purge order is refused (清除令错误).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PurgeError {
    /// The bytes are not a signed order.
    #[error("not a signed drill purge order: {0}")]
    Malformed(String),
    /// The order is for another district.
    #[error("purge order is for district {found}, this roster is district {expected}")]
    WrongDistrict {
        /// This roster's district.
        expected: String,
        /// The order's.
        found: String,
    },
    /// The issuer is not enrolled, or revoked.
    #[error("purge order issued by {0}, which is not an enrolled node of the roster")]
    UnknownIssuer(String),
    /// The issuer is not a district-level node.
    #[error(
        "purge order issued by {node} at {unit}: only the district command centre may purge drills"
    )]
    NotDistrict {
        /// The issuer.
        node: String,
        /// Its unit.
        unit: String,
    },
    /// The role named may not purge, or the issuer's roster entry does not grant it.
    #[error(
        "purge order issued as {role} by {node}: only a 值班长 or 领导 the roster grants may purge drills"
    )]
    Role {
        /// The issuer.
        node: String,
        /// The role it named.
        role: String,
    },
    /// The signature does not verify with the issuer's key.
    #[error("purge order signature does not verify with {0}'s key")]
    BadSignature(String),
    /// The store could not put the order in force.
    #[error("store: {0}")]
    Store(String),
}

/// The order (演练清除令): drill cases reported before `before` are purged everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeOrder {
    /// The district unit.
    pub district: String,
    /// Drill cases reported before this time are purged.
    pub before: Millis,
    /// The issuing node (a district node).
    pub issuer: String,
    /// The role the operator acted in (值班长 or 领导).
    pub role: Role,
    /// When it was issued.
    pub at: Millis,
    /// Why (e.g. the drill it closes).
    #[serde(default)]
    pub note: String,
}

/// An order with the issuer's signature over its canonical bytes (签名清除令).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPurge {
    /// The order as JSON (what was signed).
    pub order: String,
    /// The issuer's signature, hex.
    pub signature: String,
}

impl PurgeOrder {
    /// Signs the order with the issuing node's key.
    pub fn sign(&self, key: &NodeKey) -> SignedPurge {
        let order = serde_json::to_string(self).expect("a purge order always encodes");
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(order.as_bytes());
        SignedPurge {
            order,
            signature: hex(&key.sign(&msg)),
        }
    }
}

impl SignedPurge {
    /// Parses the bytes of a signed order (without verifying it).
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedPurge, PurgeError> {
        serde_json::from_slice(bytes).map_err(|e| PurgeError::Malformed(e.to_string()))
    }

    /// The bytes of the signed order (its wire and stored form).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a signed purge order always encodes")
    }

    /// Verifies the order against the roster: same district, issued by an enrolled,
    /// unrevoked district-level node in a role that may purge (值班长 or 领导, granted by its
    /// entry), and signed with that node's key.
    pub fn verify(&self, roster: &Roster) -> Result<PurgeOrder, PurgeError> {
        let order: PurgeOrder =
            serde_json::from_str(&self.order).map_err(|e| PurgeError::Malformed(e.to_string()))?;
        if order.district != roster.district.0 {
            return Err(PurgeError::WrongDistrict {
                expected: roster.district.0.clone(),
                found: order.district,
            });
        }
        let entry = roster
            .entry(&order.issuer)
            .ok_or_else(|| PurgeError::UnknownIssuer(order.issuer.clone()))?;
        if entry.unit != roster.district {
            return Err(PurgeError::NotDistrict {
                node: order.issuer.clone(),
                unit: entry.unit.0.clone(),
            });
        }
        let may = matches!(order.role, Role::ShiftLead | Role::Leader)
            && (entry.roles.is_empty() || entry.roles.contains(&order.role));
        if !may {
            return Err(PurgeError::Role {
                node: order.issuer.clone(),
                role: order.role.label_zh().to_string(),
            });
        }
        let key =
            parse_public(&entry.key).map_err(|_| PurgeError::BadSignature(order.issuer.clone()))?;
        let sig = unhex(&self.signature)
            .ok_or_else(|| PurgeError::Malformed("signature is not hex".into()))?;
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(self.order.as_bytes());
        verify(&key, &msg, &sig).map_err(|_| PurgeError::BadSignature(order.issuer.clone()))?;
        Ok(order)
    }

    /// Verifies the order and gives what core keeps of it.
    pub fn to_purge(&self, roster: &Roster) -> Result<(PurgeOrder, DrillPurge), PurgeError> {
        let order = self.verify(roster)?;
        let purge = DrillPurge {
            before: order.before,
            order: self.to_bytes(),
        };
        Ok((order, purge))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roster::RosterEntry;
    use gridloop_core::domain::unit::UnitId;

    fn roster() -> (Roster, NodeKey, NodeKey) {
        let root = NodeKey::generate();
        let d = NodeKey::generate();
        let c = NodeKey::generate();
        let mut r = Roster::new(UnitId::from("110101"), &root);
        for (node, key, unit, roles) in [
            ("d", &d, "110101", vec![Role::ShiftLead]),
            ("c", &c, "110101001001", vec![]),
        ] {
            r.enrol(RosterEntry {
                node: node.into(),
                key: key.id(),
                unit: UnitId::from(unit),
                roles,
                addrs: vec![],
                links: vec![],
                import: false,
            })
            .unwrap();
        }
        (r, d, c)
    }

    fn order(issuer: &str, role: Role) -> PurgeOrder {
        PurgeOrder {
            district: "110101".into(),
            before: 1_000,
            issuer: issuer.into(),
            role,
            at: 900,
            note: "drill over".into(),
        }
    }

    #[test]
    fn a_district_shift_lead_may_purge_and_nobody_else() {
        let (r, d, c) = roster();
        let ok = order("d", Role::ShiftLead).sign(&d);
        let (o, p) = ok.to_purge(&r).unwrap();
        assert_eq!((o.before, p.before), (1_000, 1_000));
        assert_eq!(SignedPurge::from_bytes(&p.order).unwrap(), ok);

        // A role the roster does not grant the node.
        assert!(matches!(
            order("d", Role::Leader).sign(&d).verify(&r),
            Err(PurgeError::Role { .. })
        ));
        // A community node, whatever role it claims.
        assert!(matches!(
            order("c", Role::Leader).sign(&c).verify(&r),
            Err(PurgeError::NotDistrict { .. })
        ));
        // Signed by another key than the issuer's.
        assert!(matches!(
            order("d", Role::ShiftLead).sign(&c).verify(&r),
            Err(PurgeError::BadSignature(_))
        ));
        // Tampered after signing.
        let mut t = ok.clone();
        t.order = t.order.replace("1000", "9000");
        assert!(matches!(t.verify(&r), Err(PurgeError::BadSignature(_))));
        // Unknown issuer, other district, garbage.
        assert!(matches!(
            order("x", Role::ShiftLead).sign(&d).verify(&r),
            Err(PurgeError::UnknownIssuer(_))
        ));
        let mut other = order("d", Role::ShiftLead);
        other.district = "110102".into();
        assert!(matches!(
            other.sign(&d).verify(&r),
            Err(PurgeError::WrongDistrict { .. })
        ));
        assert!(matches!(
            SignedPurge::from_bytes(b"{"),
            Err(PurgeError::Malformed(_))
        ));
    }

    #[test]
    fn a_revoked_issuer_may_not_purge() {
        let (mut r, d, _) = roster();
        let signed = order("d", Role::ShiftLead).sign(&d);
        r.revoke("d", 0).unwrap();
        assert!(matches!(
            signed.verify(&r),
            Err(PurgeError::UnknownIssuer(_))
        ));
    }
}
