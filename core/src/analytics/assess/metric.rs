//! 考核指标 — the figures, their ratios and a unit's set of figures.

use super::*;

/// One assessed figure (考核指标): a rate or a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Metric {
    /// 结案率.
    CloseRate,
    /// 按期结案率.
    OnTimeCloseRate,
    /// 按时受理率.
    OnTimeAccept,
    /// 按时立案率.
    OnTimeRegister,
    /// 准确立案率.
    AccurateRegister,
    /// 按时派遣率.
    OnTimeDispatch,
    /// 准确派遣率.
    AccurateDispatch,
    /// 按时核实率.
    OnTimeVerify,
    /// 按时核查率.
    OnTimeCheck,
    /// 按时结案率 (the 结案 step, for the 值班长 post).
    OnTimeCloseStep,
    /// 按时报到率 (after a 吹哨 summons).
    OnTimeReportIn,
    /// 返工率.
    Rework,
    /// 延期率.
    Extension,
    /// 回退率.
    SendBack,
    /// 有效上报率.
    ValidReport,
    /// 漏报率.
    MissedReport,
    /// 响应率 (12345).
    HotlineResponse,
    /// 解决率 (12345).
    HotlineResolution,
    /// 满意率 (12345).
    HotlineSatisfaction,
    /// 上报数.
    Reported,
    /// 立案数 (挂账 excluded).
    Registered,
    /// 派遣数.
    Dispatched,
    /// 结案数.
    Closed,
    /// 挂账数.
    Parked,
    /// 超时在办: open cases past a due time at `now`, for their holder.
    Overdue,
    /// 按时签收率: units dispatched to that signed for the case within the sign limit.
    OnTimeSign,
    /// 代录率: a unit's 反馈 recorded on its behalf by another unit (监管分离 counts them
    /// apart).
    ProxyFeedback,
    /// 代录数: 反馈 this unit recorded on another's behalf.
    ProxyRecorded,
    /// 按时联系率: units handling a 12345 or public case that contacted the caller first
    /// (先行联系) within the limit.
    OnTimeContact,
    /// 督办按时回复率: 督办单 to this unit answered by their deadline.
    OnTimeReply,
    /// 属地评价满意率 (双向考核): a department's ratings by the streets (towns) it reported in to,
    /// 满意 or 基本满意.
    StreetRating,
}

impl Metric {
    /// Every figure, in report order.
    pub const ALL: [Metric; 31] = [
        Metric::CloseRate,
        Metric::OnTimeCloseRate,
        Metric::OnTimeAccept,
        Metric::OnTimeRegister,
        Metric::AccurateRegister,
        Metric::OnTimeDispatch,
        Metric::AccurateDispatch,
        Metric::OnTimeVerify,
        Metric::OnTimeCheck,
        Metric::OnTimeCloseStep,
        Metric::OnTimeReportIn,
        Metric::Rework,
        Metric::Extension,
        Metric::SendBack,
        Metric::ValidReport,
        Metric::MissedReport,
        Metric::HotlineResponse,
        Metric::HotlineResolution,
        Metric::HotlineSatisfaction,
        Metric::Reported,
        Metric::Registered,
        Metric::Dispatched,
        Metric::Closed,
        Metric::Parked,
        Metric::Overdue,
        Metric::OnTimeSign,
        Metric::ProxyFeedback,
        Metric::ProxyRecorded,
        Metric::OnTimeContact,
        Metric::OnTimeReply,
        Metric::StreetRating,
    ];

    /// The figures shown in a unit table, in order.
    pub const TABLE: [Metric; 24] = [
        Metric::Reported,
        Metric::Registered,
        Metric::Dispatched,
        Metric::Closed,
        Metric::Overdue,
        Metric::CloseRate,
        Metric::OnTimeCloseRate,
        Metric::OnTimeAccept,
        Metric::OnTimeRegister,
        Metric::AccurateRegister,
        Metric::OnTimeDispatch,
        Metric::AccurateDispatch,
        Metric::OnTimeVerify,
        Metric::OnTimeCheck,
        Metric::Rework,
        Metric::Extension,
        Metric::SendBack,
        Metric::Parked,
        Metric::OnTimeReportIn,
        Metric::OnTimeSign,
        Metric::OnTimeContact,
        Metric::OnTimeReply,
        Metric::StreetRating,
        Metric::ProxyFeedback,
    ];

    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Metric::CloseRate => "结案率",
            Metric::OnTimeCloseRate => "按期结案率",
            Metric::OnTimeAccept => "按时受理率",
            Metric::OnTimeRegister => "按时立案率",
            Metric::AccurateRegister => "准确立案率",
            Metric::OnTimeDispatch => "按时派遣率",
            Metric::AccurateDispatch => "准确派遣率",
            Metric::OnTimeVerify => "按时核实率",
            Metric::OnTimeCheck => "按时核查率",
            Metric::OnTimeCloseStep => "按时结案率",
            Metric::OnTimeReportIn => "按时报到率",
            Metric::Rework => "返工率",
            Metric::Extension => "延期率",
            Metric::SendBack => "回退率",
            Metric::ValidReport => "有效上报率",
            Metric::MissedReport => "漏报率",
            Metric::HotlineResponse => "响应率",
            Metric::HotlineResolution => "解决率",
            Metric::HotlineSatisfaction => "满意率",
            Metric::Reported => "上报数",
            Metric::Registered => "立案数",
            Metric::Dispatched => "派遣数",
            Metric::Closed => "结案数",
            Metric::Parked => "挂账数",
            Metric::Overdue => "超时在办",
            Metric::OnTimeSign => "按时签收率",
            Metric::ProxyFeedback => "代录率",
            Metric::ProxyRecorded => "代录数",
            Metric::OnTimeContact => "按时联系率",
            Metric::OnTimeReply => "督办按时回复率",
            Metric::StreetRating => "属地评价满意率",
        }
    }

    /// English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Metric::CloseRate => "close rate",
            Metric::OnTimeCloseRate => "on-time close rate",
            Metric::OnTimeAccept => "on-time intake",
            Metric::OnTimeRegister => "on-time registration",
            Metric::AccurateRegister => "registration accuracy",
            Metric::OnTimeDispatch => "on-time dispatch",
            Metric::AccurateDispatch => "dispatch accuracy",
            Metric::OnTimeVerify => "on-time verification",
            Metric::OnTimeCheck => "on-time check",
            Metric::OnTimeCloseStep => "on-time closing",
            Metric::OnTimeReportIn => "on-time report-in",
            Metric::Rework => "rework rate",
            Metric::Extension => "extension rate",
            Metric::SendBack => "send-back rate",
            Metric::ValidReport => "valid report rate",
            Metric::MissedReport => "missed report rate",
            Metric::HotlineResponse => "response rate",
            Metric::HotlineResolution => "resolution rate",
            Metric::HotlineSatisfaction => "satisfaction rate",
            Metric::Reported => "reported",
            Metric::Registered => "registered",
            Metric::Dispatched => "dispatched",
            Metric::Closed => "closed",
            Metric::Parked => "parked",
            Metric::Overdue => "overdue open",
            Metric::OnTimeSign => "on-time sign-for",
            Metric::ProxyFeedback => "feedback recorded for it",
            Metric::ProxyRecorded => "feedback recorded for others",
            Metric::OnTimeContact => "on-time first contact",
            Metric::OnTimeReply => "supervision orders answered on time",
            Metric::StreetRating => "streets' rating",
        }
    }

    /// The key a configuration names it by (`close_rate`, `rework` …).
    pub fn key(self) -> &'static str {
        match self {
            Metric::CloseRate => "close_rate",
            Metric::OnTimeCloseRate => "on_time_close_rate",
            Metric::OnTimeAccept => "on_time_accept",
            Metric::OnTimeRegister => "on_time_register",
            Metric::AccurateRegister => "accurate_register",
            Metric::OnTimeDispatch => "on_time_dispatch",
            Metric::AccurateDispatch => "accurate_dispatch",
            Metric::OnTimeVerify => "on_time_verify",
            Metric::OnTimeCheck => "on_time_check",
            Metric::OnTimeCloseStep => "on_time_close_step",
            Metric::OnTimeReportIn => "on_time_report_in",
            Metric::Rework => "rework",
            Metric::Extension => "extension",
            Metric::SendBack => "send_back",
            Metric::ValidReport => "valid_report",
            Metric::MissedReport => "missed_report",
            Metric::HotlineResponse => "hotline_response",
            Metric::HotlineResolution => "hotline_resolution",
            Metric::HotlineSatisfaction => "hotline_satisfaction",
            Metric::Reported => "reported",
            Metric::Registered => "registered",
            Metric::Dispatched => "dispatched",
            Metric::Closed => "closed",
            Metric::Parked => "parked",
            Metric::Overdue => "overdue",
            Metric::OnTimeSign => "on_time_sign",
            Metric::ProxyFeedback => "proxy_feedback",
            Metric::ProxyRecorded => "proxy_recorded",
            Metric::OnTimeContact => "on_time_contact",
            Metric::OnTimeReply => "on_time_reply",
            Metric::StreetRating => "street_rating",
        }
    }

    /// The figure a configuration key names.
    pub fn from_key(key: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Whether it is a count (its value is the number counted) rather than a rate.
    pub fn is_count(self) -> bool {
        matches!(
            self,
            Metric::Reported
                | Metric::Registered
                | Metric::Dispatched
                | Metric::Closed
                | Metric::Parked
                | Metric::Overdue
                | Metric::ProxyRecorded
        )
    }

    /// Whether a lower rate is better (返工率, 延期率, 回退率, 漏报率).
    pub fn lower_is_better(self) -> bool {
        matches!(
            self,
            Metric::Rework
                | Metric::Extension
                | Metric::SendBack
                | Metric::MissedReport
                | Metric::ProxyFeedback
        )
    }
}

/// The closure figures, counted both for the territory and for the handling department.
pub(super) const TERRITORIAL: [Metric; 3] =
    [Metric::CloseRate, Metric::OnTimeCloseRate, Metric::Closed];

/// A rate's parts: how many counted and how many of those hit (a count uses `total`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    /// Numerator.
    pub hits: u64,
    /// Denominator.
    pub total: u64,
}

impl Ratio {
    /// The rate in 0..=1, `None` when nothing was counted.
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.hits as f64 / self.total as f64)
    }

    pub(super) fn add(&mut self, other: Ratio) {
        self.hits += other.hits;
        self.total += other.total;
    }
}

/// One unit's (or post's) figures for a period (考核结果).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    parts: Vec<Ratio>,
}

impl Figures {
    /// The ratio behind `m`.
    pub fn ratio(&self, m: Metric) -> Ratio {
        self.parts.get(m as usize).copied().unwrap_or_default()
    }

    /// A rate's value in 0..=1 (`None` if nothing counted); a count's number.
    pub fn value(&self, m: Metric) -> Option<f64> {
        let r = self.ratio(m);
        if m.is_count() {
            Some(r.total as f64)
        } else {
            r.rate()
        }
    }

    /// The value as shown: `87.5%`, a count, or `—` when nothing was counted.
    pub fn show(&self, m: Metric) -> String {
        match self.value(m) {
            None => "—".into(),
            Some(v) if m.is_count() => format!("{v}"),
            Some(v) => format!("{:.1}%", v * 100.0),
        }
    }

    pub(super) fn bump(&mut self, m: Metric, hit: bool) {
        if self.parts.is_empty() {
            self.parts = vec![Ratio::default(); Metric::ALL.len()];
        }
        let r = &mut self.parts[m as usize];
        r.total += 1;
        r.hits += u64::from(hit);
    }

    pub(super) fn add(&mut self, other: &Figures) {
        if other.parts.is_empty() {
            return;
        }
        if self.parts.is_empty() {
            self.parts = vec![Ratio::default(); Metric::ALL.len()];
        }
        for (a, b) in self.parts.iter_mut().zip(&other.parts) {
            a.add(*b);
        }
    }

    /// These figures with `metrics` cleared.
    pub(super) fn without(&self, metrics: &[Metric]) -> Figures {
        let mut f = self.clone();
        for m in metrics {
            if let Some(r) = f.parts.get_mut(*m as usize) {
                *r = Ratio::default();
            }
        }
        f
    }

    /// Whether anything was counted at all.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|r| r.total == 0)
    }
}
