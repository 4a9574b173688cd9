//! What the operator asked for (操作意图): views return intents, the workstation's shell
//! applies them — opening a case, making a move, switching view or queue, cutting a link —
//! and hands the outcome of a write back to the view that asked.

use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Actor;
use gridloop_core::domain::unit::{GridCode, UnitId};
use gridloop_core::engine::NewCase;
use gridloop_core::store::CaseSummary;

use crate::i18n::Lang;
use crate::queue::Queue;

/// The views of the workstation (视图).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// 工作台: queues and case detail.
    Inbox,
    /// 新建: intake of a new case.
    Intake,
    /// 地图: the grid map.
    Map,
    /// 统计考核: figures, rankings, trends, reports.
    Assess,
    /// 应急: emergency mode (平战一体) — incidents, plans, checklists, summons.
    Emergency,
    /// 演练: play a drill scenario on the district, its clock and every node's live state.
    Drill,
    /// 网络: peers and quarantine.
    Network,
    /// 设置: identity, roster, language.
    Settings,
}

impl View {
    /// The views in the order the top bar lists them.
    pub const ALL: [View; 8] = [
        View::Inbox,
        View::Intake,
        View::Map,
        View::Assess,
        View::Emergency,
        View::Drill,
        View::Network,
        View::Settings,
    ];

    /// The view's name on its tab.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            View::Inbox => lang.t("工作台", "Inbox"),
            View::Intake => lang.t("新建", "New case"),
            View::Map => lang.t("地图", "Map"),
            View::Assess => lang.t("统计考核", "Assessment"),
            View::Emergency => lang.t("应急", "Emergency"),
            View::Drill => lang.t("演练", "Drill"),
            View::Network => lang.t("网络", "Network"),
            View::Settings => lang.t("设置", "Settings"),
        }
    }
}

/// A write to the node's store the operator asked for (办理); the shell makes it.
#[derive(Clone, Debug)]
pub enum Write {
    /// Make a move on a case (办理操作).
    Act {
        /// The case.
        case: CaseId,
        /// Who makes it.
        actor: Actor,
        /// The move.
        action: Action,
    },
    /// Report a new case (上报).
    Report {
        /// Who reports it.
        actor: Actor,
        /// The intake.
        case: Box<NewCase>,
    },
    /// Open an emergency incident under a plan (启动应急预案).
    OpenIncident {
        /// Who opens it.
        actor: Actor,
        /// The plan.
        plan: Box<gridloop_core::domain::emergency::Plan>,
        /// Response level 1–4.
        level: u8,
        /// Units put in 战时.
        area: Vec<UnitId>,
        /// The grid it is filed on.
        grid: String,
        /// Its address.
        address: String,
        /// What is happening.
        description: String,
        /// A drill incident.
        drill: bool,
    },
}

impl Write {
    /// The move's Chinese name, for what the status bar says (`None` for a report or an
    /// incident, whose views word it themselves).
    pub fn label_zh(&self) -> Option<&'static str> {
        match self {
            Write::Act { action, .. } => Some(action.label_zh()),
            _ => None,
        }
    }
}

/// What became of a write: the case as it is now, or why it was refused.
pub type Outcome = Result<CaseSummary, String>;

/// Something the operator asked for, applied by the shell (操作意图).
#[derive(Clone, Debug)]
pub enum Intent {
    /// Open a case in the 工作台's detail panel (打开案卷).
    OpenCase(CaseId),
    /// Write to the node's store; the outcome goes back to the view that asked.
    Write(Write),
    /// Say something in the status bar (提示).
    Notify {
        /// What.
        text: String,
        /// Whether it is an error.
        error: bool,
    },
    /// Read queues and the open case again.
    Invalidate,
    /// Node `node`'s store took writes (a drill's injections): push them to its peers and
    /// read again.
    Changed(String),
    /// Cut (`up == false`) or restore a link (演示/演练).
    SetLink {
        /// One end.
        a: String,
        /// The other end.
        b: String,
        /// Restore it.
        up: bool,
    },
    /// Switch the interface language.
    SetLang(Lang),
    /// Show another view.
    Show(View),
    /// Show the 工作台 on this queue.
    ShowQueue(Queue),
    /// Filter the 工作台 to one grid cell (from the map).
    FilterGrid(GridCode),
}

impl Intent {
    /// A line for the status bar.
    pub fn notify(text: impl Into<String>, error: bool) -> Intent {
        Intent::Notify {
            text: text.into(),
            error,
        }
    }
}
