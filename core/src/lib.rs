//! gridloop-core: the domain model of the three-level urban-governance loop.
//!
//! Units and grid cells ([`unit`]), the category catalogue ([`catalogue`]), the working
//! calendar ([`calendar`]), the case document and its event trail, the workflow that derives
//! a case's state by replaying that trail, and the redb store with its projection.
//! No network, no UI.

pub mod assess;
pub mod bulk;
pub mod calendar;
pub mod case;
pub mod catalogue;
pub mod drill;
pub mod emergency;
pub mod engine;
pub mod event;
pub mod generate;
pub mod hlc;
pub mod ingest;
pub mod period;
pub mod rebuild;
pub mod report;
pub mod role;
pub mod store;
pub mod trail;
pub mod unit;
pub mod workflow;
