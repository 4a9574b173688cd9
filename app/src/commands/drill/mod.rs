//! `gridloop drill` (演练): check a scenario (`scenario`), play it on the live demo district
//! and purge drill cases district-wide (`live`), and the after-action report (`after_action`).

pub mod after_action;
pub mod live;
pub mod scenario;

pub use after_action::drill_report;
pub use live::{issue_purge, purge, run};
pub use scenario::drill_check;
