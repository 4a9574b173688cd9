//! gridloop-core: the domain model of the three-level loop (三级循环), its workflow, the case
//! documents, the store, receiving from peers, analytics and drills. No network, no UI.
//!
//! Layers, each importing only those below it:
//!
//! ```text
//! analytics  drill  workload      统计考核, 演练, 模拟工作量
//!        ingest                   receiving changes from peers (接收)
//!        engine                   report and act, one durable transaction each
//!        store                    the redb store, projection, feed, digests, quarantine, purge
//!        doc                      the Automerge case document and its trail
//!        workflow                 states, rules, apply, replay
//!        domain                   units, grids, catalogue, calendar, roles, events, intake
//! ```

pub mod analytics;
pub mod doc;
pub mod domain;
pub mod drill;
pub mod engine;
pub mod ingest;
pub mod store;
pub mod workflow;
pub mod workload;
