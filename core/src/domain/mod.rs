//! The domain (领域模型): units and grids, the category catalogue, the working calendar,
//! periods, the clock, roles, events, the intake and the emergency lane types. Plain data
//! and pure functions; nothing here imports a layer above it.

pub mod assessment;
pub mod calendar;
pub mod case_id;
pub mod catalogue;
pub mod config;
pub mod emergency;
pub mod event;
pub mod hlc;
pub mod intake;
pub mod limits;
pub mod period;
pub mod role;
pub mod unit;
