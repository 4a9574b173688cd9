//! 案卷标识 — a case's globally unique id.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A case id that is not 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad case id `{0}`: expected 32 lowercase hex digits")]
pub struct BadCaseId(pub String);

/// A case's globally unique id (案卷标识): 32 hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub String);

impl CaseId {
    /// A fresh random id.
    pub fn random() -> CaseId {
        CaseId(format!("{:032x}", rand::random::<u128>()))
    }

    /// Parses an id: exactly 32 lowercase hex digits.
    pub fn parse(s: &str) -> Result<CaseId, BadCaseId> {
        let s = s.trim();
        if s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(CaseId(s.to_string()))
        } else {
            Err(BadCaseId(s.to_string()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
