//! The intake (受理信息): the fields taken in when a case is reported.

use serde::{Deserialize, Serialize};

use crate::domain::case_id::CaseId;
use crate::domain::catalogue::{CaseKind, CategoryCode};
use crate::domain::unit::GridCode;

/// Where a case came from (问题来源).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// 12345 热线: the citizen hotline.
    Hotline,
    /// 监督员上报: a field supervisor's report.
    Supervisor,
    /// 视频发现: found on camera.
    Video,
    /// 公众举报: the public app.
    Public,
    /// 上级交办: handed down by a superior.
    Superior,
    /// 网格员巡查: a grid worker's patrol.
    GridPatrol,
    /// 演练: a drill.
    Drill,
}

impl Source {
    /// Every source, in display order.
    pub const ALL: [Source; 7] = [
        Source::Hotline,
        Source::Supervisor,
        Source::Video,
        Source::Public,
        Source::Superior,
        Source::GridPatrol,
        Source::Drill,
    ];

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Source::Hotline => "12345热线",
            Source::Supervisor => "监督员上报",
            Source::Video => "视频发现",
            Source::Public => "公众举报",
            Source::Superior => "上级交办",
            Source::GridPatrol => "网格员巡查",
            Source::Drill => "演练",
        }
    }

    /// The snake_case code used on the command line and in files.
    pub fn code(self) -> &'static str {
        match self {
            Source::Hotline => "hotline",
            Source::Supervisor => "supervisor",
            Source::Video => "video",
            Source::Public => "public",
            Source::Superior => "superior",
            Source::GridPatrol => "grid_patrol",
            Source::Drill => "drill",
        }
    }

    /// Parses a source from its code or Chinese name.
    pub fn parse(s: &str) -> Option<Source> {
        let s = s.trim();
        Source::ALL
            .into_iter()
            .find(|x| x.code() == s || x.label_zh() == s)
    }

    /// Whether a closed case from this source is called back (回访): hotline and public.
    pub fn needs_callback(self) -> bool {
        matches!(self, Source::Hotline | Source::Public)
    }
}

/// 诉求类型: what a 12345 caller asks for (接诉即办).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Demand {
    /// 咨询: a question, which the hotline may answer directly (直接答复).
    Consult,
    /// 求助: a request for help.
    Help,
    /// 投诉: a complaint.
    Complaint,
    /// 举报: a report of wrongdoing.
    Report,
    /// 建议: a suggestion.
    Suggestion,
}

impl Demand {
    /// Every type, in the order 12345 lists them.
    pub const ALL: [Demand; 5] = [
        Demand::Consult,
        Demand::Help,
        Demand::Complaint,
        Demand::Report,
        Demand::Suggestion,
    ];

    /// The Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Demand::Consult => "咨询",
            Demand::Help => "求助",
            Demand::Complaint => "投诉",
            Demand::Report => "举报",
            Demand::Suggestion => "建议",
        }
    }

    /// The English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Demand::Consult => "consultation",
            Demand::Help => "request for help",
            Demand::Complaint => "complaint",
            Demand::Report => "report",
            Demand::Suggestion => "suggestion",
        }
    }

    /// The code used on the command line and in files.
    pub fn code(self) -> &'static str {
        match self {
            Demand::Consult => "consult",
            Demand::Help => "help",
            Demand::Complaint => "complaint",
            Demand::Report => "report",
            Demand::Suggestion => "suggestion",
        }
    }

    /// Parses a type from its code or Chinese name.
    pub fn parse(s: &str) -> Option<Demand> {
        let s = s.trim();
        Demand::ALL
            .into_iter()
            .find(|d| d.code() == s || d.label_zh() == s)
    }
}

/// The reporter (反映人) — personal data, visible only to units in the case's scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    /// Name.
    pub name: String,
    /// Phone number.
    pub phone: String,
}

/// The fields taken in when a case is reported (受理信息).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Intake {
    /// 案卷编号: readable number, unique per node (unit code + date + sequence).
    pub number: String,
    /// 问题来源.
    pub source: Source,
    /// 大类/小类 as reported (registration may correct it).
    pub category: CategoryCode,
    /// 单元网格码.
    pub grid: GridCode,
    /// 部件标识码 (components only).
    #[serde(default)]
    pub component_id: Option<String>,
    /// 地址.
    pub address: String,
    /// 坐标 x/y, if known.
    #[serde(default)]
    pub position: Option<(f64, f64)>,
    /// 描述.
    pub description: String,
    /// 附件 (处置前 photos), as references.
    #[serde(default)]
    pub photos: Vec<String>,
    /// 反映人/电话.
    #[serde(default)]
    pub reporter: Option<Reporter>,
    /// 演练: drill cases never count in real figures.
    #[serde(default)]
    pub drill: bool,
    /// 重复关联: the case this one duplicates, if any.
    #[serde(default)]
    pub duplicate_of: Option<CaseId>,
    /// 应急通道: reported into an emergency incident, on its short limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<crate::domain::emergency::Lane>,
    /// 诉求类型 of a 12345 case (接诉即办).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub demand: Option<Demand>,
}

impl Intake {
    /// 部件 or 事件, from the category code.
    pub fn kind(&self) -> CaseKind {
        self.category.kind()
    }
}
