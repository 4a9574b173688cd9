//! The gridloop workstation (工作台): the egui views an operator at a community station,
//! a street sub-centre or the district command centre works in all day.
//!
//! The views read one node's store through its [`Engine`](gridloop_core::engine::Engine);
//! everything about the network (peers, links, the demo's cut and restore) comes through the
//! [`Network`] trait, so the views are tested over a real store without sockets, and the
//! binary plugs in real iroh nodes.
//!
//! Each view ([`views`]) is a struct with a `ui` method that draws with a small
//! [`ViewCx`](context::ViewCx) (the node, the language, the clock) and returns what the
//! operator asked for as [`Intent`](intent::Intent)s; the shell ([`workstation`]) owns the
//! views and applies the intents. No view knows the shell.

pub mod context;
pub mod fonts;
pub mod i18n;
pub mod intent;
pub mod moves;
pub mod network;
pub mod node;
pub mod progress;
pub mod queue;
pub mod views;
pub mod workstation;

pub use network::{LinkRow, Network, PeerRow};
pub use node::NodeHandle;
pub use workstation::Workstation;
