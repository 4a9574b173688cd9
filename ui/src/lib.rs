//! The gridloop workstation (工作台): the egui views an operator at a community station,
//! a street sub-centre or the district command centre works in all day.
//!
//! The views read one node's store through its [`Engine`](gridloop_core::engine::Engine)
//! and make moves through it; everything about the network (peers, links, the demo's
//! cut and restore) comes through the [`Network`] trait, so the views are tested over a real
//! store without sockets, and the binary plugs in real iroh nodes.

pub mod fonts;
pub mod i18n;
pub mod moves;
pub mod network;
pub mod queue;
pub mod views;
pub mod workstation;

pub use network::{LinkRow, Network, PeerRow};
pub use workstation::{NodeHandle, Workstation};
