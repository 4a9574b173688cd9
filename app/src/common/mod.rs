//! What every command shares (公共): the node's data directory and opening its engine or
//! replica, its control socket, times on the command line, and the operator a move is made
//! as. Imports nothing from the rest of the binary but `output` (the progress bar of a
//! projection rebuild).

pub mod control;
pub mod node_dir;
pub mod operator;
pub mod time;

pub use node_dir::{
    CONFIG_FILE, KEY_FILE, PEERS_FILE, ROSTER_FILE, STORE_FILE, data_dir, engine_over, open_engine,
    open_replica, open_store, read_config, require_import,
};
pub use operator::{actor, checked_actor, resolve_unit};
pub use time::{clock, now, parse_time};
