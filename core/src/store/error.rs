//! The store's errors (存储错误).

use std::path::PathBuf;

use super::STORE_VERSION;

/// Errors of the store (存储错误); each names the file or the case concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened as a redb database.
    #[error("cannot open store {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What redb said.
        source: Box<redb::DatabaseError>,
    },
    /// The file is a redb database but not a gridloop store.
    #[error("{path} is not a gridloop store (no `format` marker); refusing to touch it")]
    Foreign {
        /// The file.
        path: PathBuf,
    },
    /// The store was written by a newer gridloop.
    #[error("{path} has store version {found}, newer than this program's {STORE_VERSION}")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version found.
        found: u64,
    },
    /// The file is damaged (corrupted pages, cut short, changed by something else); it was
    /// left as it was.
    #[error("the store {path} is damaged ({why}); it was left as it was")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What was found.
        why: String,
    },
    /// A store with no node identity yet.
    #[error("the store has not been initialised for a unit and role (run `gridloop init`)")]
    NotInitialised,
    /// A redb failure.
    #[error("store failure: {0}")]
    Db(Box<redb::Error>),
    /// A stored record could not be decoded.
    #[error("stored record for {what} is corrupt: {why}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why it failed to decode.
        why: String,
    },
    /// A case document failed to load.
    #[error("case {case}: {source}")]
    Doc {
        /// The case.
        case: String,
        /// The document error.
        source: Box<crate::doc::case_doc::DocError>,
    },
    /// No case with that id or number.
    #[error("no case {0} in this store")]
    NoSuchCase(String),
    /// More than one case carries this 案卷编号 (two nodes of one unit numbered offline on
    /// the same day); the case must be named by its id.
    #[error("case number {number} names {} cases in this store ({}); name the case by its id", ids.len(), ids.join(", "))]
    AmbiguousNumber {
        /// The number.
        number: String,
        /// The ids of the cases that carry it.
        ids: Vec<String>,
    },
    /// A case with that id already exists.
    #[error("case {0} already exists in this store")]
    Exists(String),
}

impl StoreError {
    /// Whether the file is held open by another store handle (a running node, or another
    /// command): redb's lock.
    pub fn held_elsewhere(&self) -> bool {
        matches!(self, StoreError::Open { source, .. }
            if matches!(**source, redb::DatabaseError::DatabaseAlreadyOpen))
    }
}

macro_rules! db_from {
    ($($t:ty),*) => {$(impl From<$t> for StoreError {
        fn from(e: $t) -> Self { StoreError::Db(Box::new(e.into())) }
    })*};
}

db_from!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);
