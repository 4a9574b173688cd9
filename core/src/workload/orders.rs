//! 12345 work orders from a city hotline platform (工单导入): one JSON object per order, in
//! the fields `docs/work-orders.md` lists, taken in as hotline cases numbered by the
//! platform's order number (工单编号). A case's id is derived from that number, so the same
//! order taken in twice — on this node or on two — is one case.

use serde::Deserialize;

use crate::domain::calendar::Millis;
use crate::domain::case_id::CaseId;
use crate::domain::intake::Reporter;
use crate::domain::role::Actor;
use crate::engine::{Engine, EngineError, NewCase};
use crate::store::CaseSummary;

/// A work order as the city platform sends it (市级平台工单).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WorkOrder {
    /// 工单编号: the platform's order number, unique across the city.
    pub order_no: String,
    /// 来电时间: when the citizen called, `YYYY-MM-DD HH:MM` Beijing time.
    pub received: String,
    /// 诉求类型: 咨询/求助/投诉/举报/建议 (or consult/help/complaint/report/suggestion).
    pub demand: String,
    /// 问题类别: the category code, e.g. `E0102`.
    pub category: String,
    /// 单元网格码: the grid the platform located the problem in.
    pub grid: String,
    /// 问题地址.
    pub address: String,
    /// 诉求内容.
    pub content: String,
    /// 诉求人 (personal data).
    #[serde(default)]
    pub caller: Option<String>,
    /// 联系电话 (personal data).
    #[serde(default)]
    pub phone: Option<String>,
}

impl WorkOrder {
    /// The order number, checked: not blank, no whitespace or control characters, at most
    /// 64 characters; else why not.
    pub fn number(&self) -> Result<&str, String> {
        let n = self.order_no.trim();
        if n.is_empty() {
            return Err("order_no is empty".into());
        }
        if n.chars().count() > 64 || n.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "order_no `{n}` is not an order number (at most 64 characters, no spaces)"
            ));
        }
        Ok(n)
    }

    /// The case this order becomes (a 12345 hotline case).
    pub fn new_case(&self) -> NewCase {
        let reporter = (self.caller.is_some() || self.phone.is_some()).then(|| Reporter {
            name: self.caller.clone().unwrap_or_default(),
            phone: self.phone.clone().unwrap_or_default(),
        });
        NewCase {
            source: "hotline".into(),
            category: self.category.clone(),
            grid: self.grid.clone(),
            address: self.address.clone(),
            description: self.content.clone(),
            reporter,
            demand: Some(self.demand.clone()),
            ..NewCase::default()
        }
    }
}

/// The case id of an order number: the first 128 bits of its BLAKE3 hash, so every node
/// that takes the order in names the same case.
pub fn order_case_id(order_no: &str) -> CaseId {
    let h = blake3::hash(format!("gridloop 12345 work order {order_no}").as_bytes());
    CaseId(h.to_hex()[..32].to_string())
}

/// Takes in a work order at `engine`'s node as a hotline case, reported at `received` by
/// `actor` (the 12345 desk), numbered by its order number under [`order_case_id`].
/// `Ok(None)` when the order is already here.
pub fn receive(
    engine: &Engine,
    actor: &Actor,
    order: &WorkOrder,
    received: Millis,
) -> Result<Option<CaseSummary>, EngineError> {
    let number = order.number().map_err(EngineError::Invalid)?;
    engine.report_as(
        actor,
        &order.new_case(),
        &order_case_id(number),
        number,
        received,
    )
}
