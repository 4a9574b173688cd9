//! The store's layout (存储结构): its tables, their keys and the layout versions.

use redb::TableDefinition;

pub(super) const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");

/// change hash → log sequence of its envelope.
pub(super) const CHANGES: TableDefinition<&[u8], u64> = TableDefinition::new("changes");

/// log sequence → envelope (postcard), appended in the order changes were applied here.
pub(super) const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");

/// (unit, feed sequence) → log sequence: the scoped change feed of each unit. A case that
/// enters a unit's scope gets fresh feed entries for its whole history.
pub(super) const SCOPE: TableDefinition<(&str, u64), u64> = TableDefinition::new("scope");

/// case id → the units whose feeds carry it (postcard `Vec<String>`).
pub(super) const CASE_SCOPE: TableDefinition<&str, &[u8]> = TableDefinition::new("case_scope");

/// refused change hash → quarantine id, so a refused change is never applied later.
pub(super) const REFUSED: TableDefinition<&[u8], u64> = TableDefinition::new("refused");

/// (unit, day bucket of the report, case id) → hash of the case's heads: the cases in each
/// unit's feed scope, for anti-entropy listings.
pub(super) const UNIT_CASES: TableDefinition<(&str, u32, &str), u64> =
    TableDefinition::new("unit_cases");

/// (unit, day bucket) → (xor of the heads hashes, count): anti-entropy digests, kept
/// incrementally.
pub(super) const DIGESTS: TableDefinition<(&str, u32), (u64, u32)> =
    TableDefinition::new("digests");

/// peer status (JSON), by peer node id.
pub(super) const PEER_INFO: TableDefinition<&str, &[u8]> = TableDefinition::new("peer_info");

pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

pub(super) const PROJ: TableDefinition<&str, &[u8]> = TableDefinition::new("projection");

/// (unit, state, due, case) → yellow-light time: each unit's inbox (待办), the holder's and,
/// while a case is handled, each handler's that does not hold it
/// ([`super::CaseSummary::inbox_units`]).
pub(super) const IDX_HOLDER: TableDefinition<(&str, u8, i64, &str), i64> =
    TableDefinition::new("idx_holder");

pub(super) const IDX_DUE: TableDefinition<(i64, &str), &str> = TableDefinition::new("idx_open_due");

pub(super) const IDX_GRID: TableDefinition<(&str, i64, &str), ()> =
    TableDefinition::new("idx_grid");

pub(super) const IDX_CATEGORY: TableDefinition<(&str, i64, &str), ()> =
    TableDefinition::new("idx_category");

pub(super) const IDX_TIME: TableDefinition<(i64, &str), ()> = TableDefinition::new("idx_time");

pub(super) const IDX_NUMBER: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("idx_number.2");
/// The number index before version 6 (number → one id): a second case with the same number
/// overwrote the first. Deleted when the projection is rebuilt.
pub(super) const IDX_NUMBER_V1: TableDefinition<&str, &str> = TableDefinition::new("idx_number");

/// case id of every emergency incident (应急事件) → ().
pub(super) const IDX_INCIDENT: TableDefinition<&str, ()> = TableDefinition::new("idx_incident");

/// (reported, case id) of every drill case (演练案件) → (): what a drill purge removes.
pub(super) const IDX_DRILL: TableDefinition<(i64, &str), ()> = TableDefinition::new("idx_drill");

/// (incident id, case id) of every case in an incident's priority lane (应急通道) → ():
/// what a session sends first.
pub(super) const IDX_LANE: TableDefinition<(&str, &str), ()> = TableDefinition::new("idx_lane");

/// The decoded trail beside a case's document (案卷轨迹, [`crate::doc::trail`]): case id → postcard.
/// A cache for receiving: written by ingest, removed by any other write of the case.
pub(super) const TRAILS: TableDefinition<&str, &[u8]> = TableDefinition::new("trails");

/// case id of every purged drill case (已清除) → when it was purged: its changes are dropped
/// if they arrive again and anti-entropy never asks for it.
pub(super) const PURGED: TableDefinition<&str, i64> = TableDefinition::new("purged");

/// The quarantine as older versions wrote it (entries without peer or count): moved into
/// [`QUARANTINE`] at the first write after an upgrade.
pub(super) const QUARANTINE_V1: TableDefinition<u64, &[u8]> = TableDefinition::new("quarantine");

/// The quarantine (隔离区): entry id (ascending with age) → postcard
/// [`super::quarantine::Quarantined`].
pub(super) const QUARANTINE: TableDefinition<u64, &[u8]> = TableDefinition::new("quarantine.2");

/// Quarantine entries by what was refused and why (blake3 of the change hash or bytes and
/// the reason) → entry id: the same refusal again counts, it is not stored again.
pub(super) const QUARANTINE_KEYS: TableDefinition<&[u8], u64> =
    TableDefinition::new("quarantine.keys");

/// (peer, entry id) → (): each peer's entries, oldest first, to drop the oldest at its cap.
pub(super) const QUARANTINE_BY_PEER: TableDefinition<(&str, u64), ()> =
    TableDefinition::new("quarantine.by_peer");

/// peer → (entries held, entries dropped at a cap): what each peer's refusals came to.
pub(super) const QUARANTINE_PEERS: TableDefinition<&str, (u64, u64)> =
    TableDefinition::new("quarantine.peers");

/// (peer node, `in:<their epoch>` or `out:<my epoch>`) → feed sequence: how far this node
/// has applied the peer's feed, and how far the peer has acknowledged this node's.
pub(super) const PEERS: TableDefinition<(&str, &str), u64> = TableDefinition::new("peers");

/// The value of the `format` meta key that marks a gridloop store.
pub const FORMAT: &str = "gridloop-store";

/// The store layout version written by this code. Version 3 added the assessed acts and the
/// reporter key to the projection; version 4 the emergency lane and incident (平战一体) and
/// the incident index; version 5 the drill index (演练清除) and the lane index (应急通道);
/// version 6 a number index that holds every case of a number (案卷编号), so that two cases
/// sharing one are found as such instead of one hiding the other; version 7 the citizen's
/// 回访 answers (12345 解决率, 满意率), and states replayed under the rule that a case handed
/// down to a community goes back to the unit that handed it down for 结案; version 8 the
/// receipts (签收) and 代录 acts, and every handler of an open case in the holder index (a
/// department's inbox); version 9 先行联系 in the receipts and 直接答复 (接诉即办); version 10
/// the kind of a request waiting for approval (待审批); version 11 the person on every assessed
/// act (经办人) and the moves of this version's loop (督办单, 申诉, 并案, 双向考核, each
/// unit's own 反馈 in 一案双派). An older store opens with
/// a stale projection that
/// [`crate::engine::rebuild::rebuild_projection`] rebuilds from the documents (nothing else changes).
pub const STORE_VERSION: u64 = 11;

/// The oldest layout whose documents, log and feeds this code reads as they are.
pub(super) const REBUILDABLE_FROM: u64 = 2;

/// The meta key of the first feed position not yet durable ([`Store::mark_unsettled_in`]).
pub(super) const UNSETTLED: &str = "unsettled";
/// Meta key: the configuration (newest version and hash) the store's refusals were made under.
pub(super) const CONFIG_SEEN: &str = "config_seen";

/// Stored documents grow by appended changes up to this size, then are saved compacted.
pub const APPEND_LIMIT: usize = 4096;

/// The most a backlog count counts ([`Reader::feed_backlog`]); shown as "≥" that.
pub const BACKLOG_CAP: u64 = 10_000;

/// "No deadline" in due-ordered indexes: sorts after every real time.
/// The due time indexes give a case with no running clock.
pub const NO_DUE: i64 = i64::MAX;
