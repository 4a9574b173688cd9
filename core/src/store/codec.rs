//! Reading and writing the store's values (编码): postcard, and opening every table once.

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::schema::*;

pub(super) fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("postcard encoding of an in-memory value cannot fail")
}

pub(super) fn dec<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        why: e.to_string(),
    })
}

pub(super) fn open_all(wt: &WriteTransaction) -> Result<(), StoreError> {
    wt.open_table(DOCS)?;
    wt.open_table(CHANGES)?;
    wt.open_table(LOG)?;
    wt.open_table(SCOPE)?;
    wt.open_table(PROJ)?;
    wt.open_table(IDX_HOLDER)?;
    wt.open_table(IDX_DUE)?;
    wt.open_table(IDX_GRID)?;
    wt.open_table(IDX_CATEGORY)?;
    wt.open_table(IDX_TIME)?;
    wt.open_table(IDX_NUMBER)?;
    wt.open_table(IDX_INCIDENT)?;
    wt.open_table(IDX_DRILL)?;
    wt.open_table(IDX_LANE)?;
    wt.open_table(PURGED)?;
    wt.open_table(QUARANTINE)?;
    wt.open_table(QUARANTINE_KEYS)?;
    wt.open_table(QUARANTINE_BY_PEER)?;
    wt.open_table(QUARANTINE_PEERS)?;
    wt.open_table(PEERS)?;
    wt.open_table(CASE_SCOPE)?;
    wt.open_table(REFUSED)?;
    wt.open_table(PEER_INFO)?;
    wt.open_table(UNIT_CASES)?;
    wt.open_table(DIGESTS)?;
    Ok(())
}

/// Loads a case's document from the `docs` table of any transaction, naming the case if it
/// is missing or does not load.
pub(super) fn load_doc(
    docs: &impl redb::ReadableTable<&'static str, &'static [u8]>,
    id: &crate::domain::case_id::CaseId,
) -> Result<crate::doc::case_doc::CaseDoc, StoreError> {
    let v = docs
        .get(id.as_str())?
        .ok_or_else(|| StoreError::NoSuchCase(id.0.clone()))?;
    crate::doc::case_doc::CaseDoc::load(v.value()).map_err(|source| StoreError::Doc {
        case: id.0.clone(),
        source: Box::new(source),
    })
}

/// The cases that carry 案卷编号 `number` in the number index (a read or a write table).
pub(super) fn numbered_in(
    table: &impl redb::ReadableTable<(&'static str, &'static str), ()>,
    number: &str,
) -> Result<Vec<crate::domain::case_id::CaseId>, StoreError> {
    let mut out = Vec::new();
    for item in table.range((number, "")..=(number, "\u{10ffff}"))? {
        out.push(crate::domain::case_id::CaseId(
            item?.0.value().1.to_string(),
        ));
    }
    Ok(out)
}
