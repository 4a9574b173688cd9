//! The synthetic workload (模拟工作量): the case generator and bulk import.

pub mod bulk;
pub mod generate;
