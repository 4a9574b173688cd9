//! The case document (案卷文档): the Automerge document of a case and the decoded trail
//! kept beside it.

pub mod case_doc;
pub mod trail;
