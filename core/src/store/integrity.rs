//! The store's integrity (完整性): a file changed since gridloop last closed it cleanly — a
//! crash, a disk fault, bytes written by something else — is checked page by page before it is
//! used, so that damage is an error naming the file, never a panic or a silently wrong answer.
//!
//! The check (redb's integrity check: the checksum of every page of the committed trees) reads
//! the whole file, so it is not run on every open: a clean close leaves a seal (封记) beside the
//! store, `FILE.seal`, holding the file's length and modification time, and an open whose file
//! still matches its seal skips the check. Any write, crash or outside change moves the file
//! away from its seal. A write in the same tick of the filesystem's clock as the close would
//! leave the time unchanged, so a seal is written only once that clock has moved past the
//! store's last write (the seal file's own time later than the one it records), and a seal that
//! is not is not trusted (git's "racily clean" rule). What the seal cannot see: a fault that
//! changes bytes without changing the modification time (a disk's silent corruption); such
//! damage is found when a page is read (see [`damaged`]).

use std::path::{Path, PathBuf};

/// The seal file of a store.
pub fn seal_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".seal");
    PathBuf::from(name)
}

/// A file's modification time, nanoseconds since the epoch.
fn modified(path: &Path) -> Option<u128> {
    Some(
        std::fs::metadata(path)
            .ok()?
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos(),
    )
}

/// The file's length and modification time (nanoseconds since the epoch), as the seal holds
/// them, and that time.
fn mark(path: &Path) -> Option<(String, u128)> {
    let len = std::fs::metadata(path).ok()?.len();
    let modified = modified(path)?;
    Some((format!("gridloop-seal 1 {len} {modified}\n"), modified))
}

/// Whether the store file still matches the seal its last clean close left, a seal written
/// after the filesystem's clock moved past the time it records.
pub(super) fn sealed(path: &Path) -> bool {
    let seal = seal_path(path);
    match (std::fs::read_to_string(&seal), mark(path), modified(&seal)) {
        (Ok(held), Some((now, at)), Some(sealed_at)) => held == now && sealed_at > at,
        _ => false,
    }
}

/// Removes the seal: the file is about to change.
pub(super) fn unseal(path: &Path) {
    let _ = std::fs::remove_file(seal_path(path));
}

/// How long a close waits for the filesystem's clock to move past the store's last write
/// before it leaves the store unsealed (its next open then checks it).
const SEAL_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Written when the store closes, after the database (declared before it in [`super::Store`],
/// so dropped first) has closed its file cleanly.
pub(super) struct Seal {
    /// The store file.
    pub(super) path: PathBuf,
}

impl Drop for Seal {
    fn drop(&mut self) {
        let Some((mark, at)) = mark(&self.path) else {
            return;
        };
        let seal = seal_path(&self.path);
        let tmp = seal.with_extension("seal.tmp");
        let deadline = std::time::Instant::now() + SEAL_WAIT;
        loop {
            if std::fs::write(&tmp, &mark).is_err() {
                break;
            }
            // Written in a later tick than the store: a later write to the store cannot carry
            // the time the seal records.
            if modified(&tmp).is_some_and(|t| t > at) {
                let _ = std::fs::rename(&tmp, &seal);
                return;
            }
            if std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Whether a redb error means the file is damaged (rather than busy, missing or unreadable
/// for another reason): corrupted pages, a length no valid file has, a file cut short.
pub fn damaged(e: &redb::DatabaseError) -> bool {
    use redb::{DatabaseError, StorageError};
    match e {
        DatabaseError::Storage(StorageError::Corrupted(_)) => true,
        DatabaseError::Storage(StorageError::Io(io)) => {
            io.kind() == std::io::ErrorKind::UnexpectedEof
        }
        DatabaseError::RepairAborted => true,
        _ => false,
    }
}

/// What still reads in a damaged store (抢救): the node's identity, the change log (each
/// change with its hash and signed envelope, as peers sent or this node made it) and the case
/// documents, read until the first damaged page.
#[derive(Debug, Default)]
pub struct Salvage {
    /// The node identity, if its record reads.
    pub node: Option<super::NodeInfo>,
    /// Log entries that read: (change hash, envelope), in log order.
    pub changes: Vec<(Vec<u8>, super::Envelope)>,
    /// Case documents that read and load: (case id, saved document).
    pub docs: Vec<(crate::domain::case_id::CaseId, Vec<u8>)>,
    /// Why reading stopped early, if it did.
    pub stopped: Option<String>,
}

/// Reads what it can from a damaged store file, read-only (the file is not changed): a page
/// that fails to read, or makes the database panic, ends that table's reading and is named in
/// [`Salvage::stopped`].
pub fn salvage(path: &Path) -> Salvage {
    let mut out = Salvage::default();
    let db = match quietly(|| redb::Builder::new().open_read_only(path)) {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => {
            out.stopped = Some(format!("the file does not open: {e}"));
            return out;
        }
        Err(why) => {
            out.stopped = Some(format!("the file does not open: {why}"));
            return out;
        }
    };
    let stop = |out: &mut Salvage, why: String| {
        if out.stopped.is_none() {
            out.stopped = Some(why);
        }
    };
    let read = quietly(|| -> Result<_, super::StoreError> {
        use redb::ReadableDatabase;
        let rt = db.begin_read()?;
        let node = rt
            .open_table(super::schema::META)?
            .get("node")?
            .and_then(|v| serde_json::from_slice::<super::NodeInfo>(v.value()).ok());
        Ok((rt, node))
    });
    let rt = match read {
        Ok(Ok((rt, node))) => {
            out.node = node;
            rt
        }
        Ok(Err(e)) => {
            stop(&mut out, e.to_string());
            return out;
        }
        Err(why) => {
            stop(&mut out, why);
            return out;
        }
    };
    // The log, entry by entry until one fails.
    let log = quietly(|| {
        let mut got = Vec::new();
        let res = (|| -> Result<(), super::StoreError> {
            use redb::ReadableTable;
            for item in rt.open_table(super::schema::LOG)?.iter()? {
                let (_, v) = item?;
                let (hash, envelope, _origin): (Vec<u8>, super::Envelope, String) =
                    super::codec::dec("log", v.value())?;
                got.push((hash, envelope));
            }
            Ok(())
        })();
        (got, res.err().map(|e| format!("the change log: {e}")))
    });
    match log {
        Ok((got, why)) => {
            out.changes = got;
            if let Some(why) = why {
                stop(&mut out, why);
            }
        }
        Err(why) => stop(&mut out, format!("the change log: {why}")),
    }
    // The documents, each checked by loading it.
    let docs = quietly(|| {
        let mut got = Vec::new();
        let res = (|| -> Result<(), super::StoreError> {
            use redb::ReadableTable;
            for item in rt.open_table(super::schema::DOCS)?.iter()? {
                let (k, v) = item?;
                if crate::doc::case_doc::CaseDoc::load(v.value()).is_ok() {
                    got.push((
                        crate::domain::case_id::CaseId(k.value().to_string()),
                        v.value().to_vec(),
                    ));
                }
            }
            Ok(())
        })();
        (got, res.err().map(|e| format!("the case documents: {e}")))
    });
    match docs {
        Ok((got, why)) => {
            out.docs = got;
            if let Some(why) = why {
                stop(&mut out, why);
            }
        }
        Err(why) => stop(&mut out, format!("the case documents: {why}")),
    }
    out
}

/// Runs `f`, turning a panic into its message, without the panic's report on stderr (a
/// damaged file can make the database panic; that is an answer here, not a crash).
pub(super) fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    out.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic inside the database".into())
    })
}
