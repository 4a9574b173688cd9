//! The synthetic workload (模拟工作量): the case generator and bulk import, and 12345 work
//! orders taken in from a city platform (工单导入).

pub mod bulk;
pub mod generate;
pub mod orders;
