//! Why a received change was quarantined (拒收原因): one variant per check that refused it,
//! with the facts it names. The English text is what the quarantine table stores and the
//! sync layer logs.

use std::fmt;

use crate::domain::case_id::{BadCaseId, CaseId};
use crate::domain::event::EventId;
use crate::domain::role::{NodeId, Role};
use crate::domain::unit::UnitId;
use crate::workflow::Refusal;

/// Why a received change was refused (拒收原因).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The bytes are not an Automerge change.
    #[error("{0}")]
    Malformed(String),
    /// The authority refused the envelope: unknown or revoked author, bad signature.
    #[error("{0}")]
    Unauthorized(String),
    /// The envelope's case id is malformed.
    #[error("{0}")]
    BadCaseId(BadCaseId),
    /// The change depends on a change refused before.
    #[error("depends on a refused change")]
    DependsOnRefused,
    /// The change's Automerge actor is not its signer's.
    #[error("the change was written by another actor than its signer")]
    ActorNotSigner,
    /// History may only be added to (只增不改).
    #[error("{0}")]
    NotAppendOnly(String),
    /// The change does not apply to the document.
    #[error("does not apply: {0}")]
    DoesNotApply(String),
    /// The document stored here does not load (the change is not remembered as refused).
    #[error("the stored document of this case does not load here: {0}")]
    StoredDocUnreadable(String),
    /// After the change, the document is not a case document.
    #[error("not a case document: {0}")]
    NotCaseDocument(String),
    /// The change belongs to another case than its envelope says.
    #[error("the change belongs to case {0}")]
    OtherCase(CaseId),
    /// The intake does not read.
    #[error("unreadable intake: {0}")]
    UnreadableIntake(String),
    /// The trail does not read.
    #[error("unreadable trail: {0}")]
    UnreadableTrail(String),
    /// The workflow refuses the case's report.
    #[error("the report is refused: {0}")]
    ReportRefused(Refusal),
    /// The case lies outside the author's scope.
    #[error("the case is outside the author's scope ({0})")]
    OutsideScope(UnitId),
    /// The change adds a second copy of an event already in the trail.
    #[error("the change adds a second copy of an event (only new events may be added)")]
    SecondCopy,
    /// An added event names another node than the signer.
    #[error("event {event} names node {node} but was signed by {author}")]
    NodeNotSigner {
        /// The event.
        event: EventId,
        /// The node it names.
        node: NodeId,
        /// The signer.
        author: String,
    },
    /// An added event acts for a unit the author does not work for.
    #[error("event {event} acts for {unit} but the author works for {author_unit}")]
    UnitNotAuthors {
        /// The event.
        event: EventId,
        /// The unit it acts for.
        unit: UnitId,
        /// The author's unit.
        author_unit: UnitId,
    },
    /// An added event is made in a role the author does not hold.
    #[error("event {event} is made as {} which the author does not hold", role.label_zh())]
    RoleNotHeld {
        /// The event.
        event: EventId,
        /// The role it is made as.
        role: Role,
    },
    /// The workflow refuses an added move.
    #[error("move {action} is not allowed: {refusal}")]
    MoveRefused {
        /// The move's name.
        action: String,
        /// The rule that refused it, with its facts.
        refusal: Refusal,
    },
    /// A second report event.
    #[error("a second report event")]
    SecondReport,
}

/// A quarantined change as the receiving batch saw it (隔离记录): the case, the change, the
/// author and why. Displays as the text the quarantine table keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quarantine {
    /// The case id the envelope names.
    pub case: String,
    /// The change hash's first six bytes in hex; none when the bytes did not decode.
    pub change: Option<String>,
    /// The signing node.
    pub author: String,
    /// Why it was refused.
    pub why: Refused,
}

impl fmt::Display for Quarantine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.change {
            Some(h) => write!(
                f,
                "case {} change {} from {}: {}",
                self.case, h, self.author, self.why
            ),
            None => write!(
                f,
                "case {}: malformed change from {}: {}",
                self.case, self.author, self.why
            ),
        }
    }
}
