//! 环节时限: the per-stage time limits a district works to.

use serde::{Deserialize, Serialize};

use crate::domain::calendar::TimeLimit;

/// Default per-stage time limits (环节时限); configuration, not code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageLimits {
    /// 受理 (default 0.5 working day).
    pub accept: TimeLimit,
    /// 核实.
    pub verify: TimeLimit,
    /// 立案.
    pub register: TimeLimit,
    /// 派遣.
    pub dispatch: TimeLimit,
    /// 核查.
    pub check: TimeLimit,
    /// 结案.
    pub close: TimeLimit,
    /// 回访.
    pub callback: TimeLimit,
    /// 报到 after a summons (吹哨).
    pub report_in: TimeLimit,
    /// 签收: a unit a case was dispatched to signs for it (default 1 working hour).
    #[serde(default = "default_sign")]
    pub sign: TimeLimit,
    /// 先行联系: the unit handling a 12345 case contacts the caller (default 2 working hours
    /// from dispatch).
    #[serde(default = "default_contact")]
    pub contact: TimeLimit,
}

fn default_sign() -> TimeLimit {
    TimeLimit::working_hours(1)
}

fn default_contact() -> TimeLimit {
    TimeLimit::working_hours(2)
}

impl Default for StageLimits {
    fn default() -> Self {
        StageLimits {
            accept: TimeLimit::working_hours(4),
            verify: TimeLimit::working_hours(2),
            register: TimeLimit::working_hours(1),
            dispatch: TimeLimit::working_hours(1),
            check: TimeLimit::working_hours(4),
            close: TimeLimit::working_hours(2),
            callback: TimeLimit::working_days(2),
            report_in: TimeLimit::minutes(30),
            sign: default_sign(),
            contact: default_contact(),
        }
    }
}
