//! Analytics (统计考核): the assessment figures and the report renderers.

pub mod assess;
pub mod report;
