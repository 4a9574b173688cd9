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

/// Bytes of changes one frame carries before the next one starts (帧预算): a quarter of
/// [`crate::frame::MAX_FRAME`], which bounds a frame's body before and after deflate.
pub const FRAME_BUDGET: usize = 4 << 20;

/// What an envelope takes in a frame, roughly: its change, signature and case id.
pub(super) fn wire_size(e: &Envelope) -> usize {
    e.change.len() + e.signature.len() + 24
}

/// Splits the histories of cases (each case's changes together, in causal order) into runs
/// of at most [`FRAME_BUDGET`] bytes, one frame each. A run ends between cases; a case whose
/// history alone is larger than twice the budget is cut inside, in order, so each part
/// applies after the one before.
pub fn split_by_bytes(envs: Vec<Envelope>) -> Vec<Vec<Envelope>> {
    let mut runs: Vec<Vec<Envelope>> = Vec::new();
    let mut run: Vec<Envelope> = Vec::new();
    let mut bytes = 0usize;
    for e in envs {
        let size = wire_size(&e);
        let same_case = run.last().is_some_and(|l| l.case == e.case);
        let over = bytes + size > FRAME_BUDGET;
        if !run.is_empty() && over && (!same_case || bytes + size > 2 * FRAME_BUDGET) {
            runs.push(std::mem::take(&mut run));
            bytes = 0;
        }
        bytes += size;
        run.push(e);
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}
