//! The wire form of signed changes: envelopes with an author table, so each author's id
//! travels once per frame.

use gridloop_core::domain::case_id::CaseId;
use gridloop_core::store::Envelope;

use crate::frame::WireChange;
use crate::identity::{hex, unhex};

/// A case id from its 16 wire bytes.
pub(super) fn case_id(bytes: &[u8]) -> Result<CaseId, String> {
    if bytes.len() != 16 {
        return Err(format!("case id of {} bytes, not 16", bytes.len()));
    }
    CaseId::parse(&hex(bytes)).map_err(|e| e.to_string())
}

/// Envelopes to their wire form with an author table.
pub fn to_wire(envs: &[Envelope]) -> (Vec<String>, Vec<WireChange>) {
    let mut authors: Vec<String> = Vec::new();
    let changes = envs
        .iter()
        .map(|e| {
            let i = match authors.iter().position(|a| a == &e.author) {
                Some(i) => i,
                None => {
                    authors.push(e.author.clone());
                    authors.len() - 1
                }
            };
            WireChange {
                case: unhex(&e.case).unwrap_or_default(),
                author: i as u16,
                change: e.change.clone(),
                signature: e.signature.clone(),
            }
        })
        .collect();
    (authors, changes)
}

/// Wire changes back to envelopes; a bad author index or case id is a protocol violation.
pub fn from_wire(authors: &[String], changes: Vec<WireChange>) -> Result<Vec<Envelope>, String> {
    changes
        .into_iter()
        .map(|c| {
            let author = authors
                .get(usize::from(c.author))
                .ok_or_else(|| format!("author index {} out of range", c.author))?;
            Ok(Envelope {
                case: case_id(&c.case)?.0,
                author: author.clone(),
                change: c.change,
                signature: c.signature,
            })
        })
        .collect()
}
