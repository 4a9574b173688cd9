//! gridloop-sync: replication between gridloop nodes.
//!
//! - [`identity`]: the node's Ed25519 key, which is also its iroh endpoint id;
//! - [`roster`]: the district roster signed by the root key, and the [`gridloop_core::ingest::Authority`]
//!   it provides (signatures, revocation, each author's unit and roles);
//! - [`purge`]: the district's signed drill purge order (演练清除令), verified against the roster;
//! - [`config`]: the district configuration releases signed by the root, merged from peers;
//! - [`frame`]: the protocol's messages and their encoding;
//! - [`session`]: the sans-IO protocol, one state machine per peer, free of sockets;
//! - [`replica`]: the protocol's view of a real node's store, key and roster;
//! - [`node`]: the iroh transport, a thin shell that runs sessions over QUIC streams, their
//!   storage work on the blocking pool.

pub mod config;
pub mod frame;
pub mod identity;
pub mod node;
pub mod purge;
pub mod replica;
pub mod roster;
pub mod session;
