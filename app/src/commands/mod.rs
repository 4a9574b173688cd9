//! What each subcommand does (命令), one module per family. Each takes the data directory and
//! its arguments from `main`'s dispatch; they share only `common`, `output`, `cli` and the
//! demo district, and nothing here imports `main` or `window`.
//!
//! | module | family |
//! |---|---|
//! | `node` | this node: `init`, `status`, `identity`, `join` |
//! | `district` | the district root and roster: `district create/enrol/revoke` |
//! | `sync_node` | the headless sync node and its peers: `node`, `peers` |
//! | `case` | cases: `new`, `list`, `show` |
//! | `act` | a move on a case: `act` |
//! | `bulk` | cases in bulk: `import`, `export`, `generate` |
//! | `repair` | 修复存储: `repair` |
//! | `report` | 报表: `report` |
//! | `emergency` | 平战一体: `emergency …` |
//! | `drill` | 演练: `drill check/run/purge/report` |
//! | `walkthrough` | the guided walk-through: `walkthrough` |
//! | `demo` | the demo district in the terminal: `demo --headless` |

pub mod act;
pub mod bulk;
pub mod case;
pub mod demo;
pub mod district;
pub mod drill;
pub mod emergency;
pub mod node;
pub mod repair;
pub mod report;
pub mod sync_node;
pub mod walkthrough;
