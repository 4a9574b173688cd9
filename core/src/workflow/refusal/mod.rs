//! Why a move was refused (拒绝原因): the rule that refused it and the facts it names,
//! rendered in English (the command line, the walkthrough) or in Chinese (the workstation).
//!
//! A [`Refusal`] is a rule id ([`RuleId`], e.g. `dispatch.role`) and a [`Reason`], one variant
//! per thing that can be wrong, carrying the units (ids and display names), states, roles,
//! codes and counts it names. The rule id is the move (or the replay's stage: `report`,
//! `after`, `conflict`, `decide.回退`…) followed by the check the reason names
//! ([`Reason::check`]), so the two always agree.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::domain::unit::UnitId;

mod reason;
mod text;

pub use reason::Reason;

/// Why a move was refused (拒绝原因): the rule that refused it and what was wrong.
///
/// `Display` is the English text `refused by rule `{rule}`: {reason}`. Serialized as
/// `{rule, message, reason}`: the rule id and English message as strings (as before the
/// reasons were typed) and the typed reason; deserializing reads `rule` and `reason`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "Wire", try_from = "Wire")]
#[error("refused by rule `{rule}`: {reason}")]
pub struct Refusal {
    /// The rule's id (规则编号), e.g. `dispatch.role`; displays as that string.
    pub rule: RuleId,
    /// What was wrong, with its facts (拒绝原因); displays as the English message. Boxed to
    /// keep `Result<_, Refusal>` small.
    pub reason: Box<Reason>,
}

impl Refusal {
    /// A refusal by the rule `{scope}.{reason.check()}`; `scope` is the move's name or the
    /// replay stage (`report`, `after`, `conflict`, `decide.回退`…).
    pub fn new(scope: &str, reason: Reason) -> Refusal {
        Refusal {
            rule: RuleId(format!("{scope}.{}", reason.check())),
            reason: Box::new(reason),
        }
    }

    /// The rule's id as a string (规则编号), e.g. `dispatch.role`.
    pub fn rule_id(&self) -> &str {
        self.rule.as_str()
    }

    /// What was wrong (拒绝原因).
    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    /// The English message, e.g. `close is allowed only in state 待结案; the case is 处置中`.
    pub fn message_en(&self) -> String {
        self.reason.to_string()
    }

    /// The Chinese message for the workstation (中文提示), e.g.
    /// `只有在「待结案」状态才能结案；本案当前为「处置中」`.
    pub fn message_zh(&self) -> String {
        self.reason.zh()
    }
}

/// The id of the rule that refused a move (规则编号): `{scope}.{check}`, e.g. `dispatch.role`,
/// `decide.further 延期 (tiered).role`, `conflict.resolve_first`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(String);

impl RuleId {
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The move or stage part, e.g. `dispatch` or `decide.further 延期 (tiered)`.
    pub fn scope(&self) -> &str {
        self.0.rsplit_once('.').map_or(&self.0, |(s, _)| s)
    }

    /// The check part, e.g. `role` (the last dot-separated part).
    pub fn check(&self) -> &str {
        self.0.rsplit_once('.').map_or("", |(_, c)| c)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A unit named in a refusal (单位): its id and, if the district knows it, its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    /// The unit's code.
    pub id: UnitId,
    /// Its name (单位名称), `None` for a unit the district does not know.
    pub name: Option<String>,
}

impl UnitRef {
    /// The name alone, for Chinese text (`未知单位 …` for an unknown unit).
    pub fn zh(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("未知单位 {}", self.id),
        }
    }
}

impl fmt::Display for UnitRef {
    /// `东华门街道 (110101001)`, or `unknown unit 110101999`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} ({})", self.id),
            None => write!(f, "unknown unit {}", self.id),
        }
    }
}

/// The free-text field a move must fill in (必填说明).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    /// 理由: the reason (不予受理, 作废, 申请, 上报上级).
    Reason,
    /// 说明: the note (督办/催办, 冲突处理, 解除应急).
    Note,
}

impl TextField {
    /// The English name, as in the rule id (`reject.reason`, `resolve.note`).
    pub fn code(self) -> &'static str {
        match self {
            TextField::Reason => "reason",
            TextField::Note => "note",
        }
    }

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            TextField::Reason => "理由",
            TextField::Note => "说明",
        }
    }
}

/// The serialized form: the rule and English message as strings, and the typed reason.
#[derive(Serialize, Deserialize)]
struct Wire {
    rule: String,
    #[serde(default)]
    message: String,
    reason: Reason,
}

impl From<Refusal> for Wire {
    fn from(r: Refusal) -> Wire {
        Wire {
            message: r.reason.to_string(),
            rule: r.rule.0,
            reason: *r.reason,
        }
    }
}

impl TryFrom<Wire> for Refusal {
    type Error = String;

    fn try_from(w: Wire) -> Result<Refusal, String> {
        let rule = RuleId(w.rule);
        if rule.check() != w.reason.check() {
            return Err(format!(
                "rule `{rule}` does not match its reason `{}`",
                w.reason.check()
            ));
        }
        Ok(Refusal {
            rule,
            reason: Box::new(w.reason),
        })
    }
}

#[cfg(test)]
mod tests;
