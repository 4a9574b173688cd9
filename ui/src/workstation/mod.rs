//! The workstation window (工作台窗口): the shell that owns every view, gives each the small
//! context it draws with, and applies what the operator asked for — the moves, the switches
//! of node, role, view and queue, the status bar's notices.
//!
//! The views (in [`crate::views`]) never see the shell: each is a struct with a `ui` method
//! that takes a [`ViewCx`] and returns [`Intent`]s.

mod app;
mod chrome;
mod start;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridloop_core::analytics::assess::Assessment;
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::role::{Actor, Role};
use gridloop_core::store::CaseSummary;
use gridloop_core::store::mode::Mode;

pub use app::{App, run};
pub use start::{FirstRunChoice, Launcher, StartJob, Started};

pub use crate::intent::View;
pub use crate::node::NodeHandle;
pub use crate::progress::Progress;
pub use crate::views::inbox::{Filters, Inbox, LightPick};

use crate::context::{Clock, ViewCx};
use crate::i18n::Lang;
use crate::intent::{Intent, Outcome, Write};
use crate::moves::roles_for;
use crate::network::Network;
use crate::queue::Queue;
use crate::views::assess::{AssessState, DrillDown};
use crate::views::drill::{DrillRun, DrillState};
use crate::views::emergency::EmergencyState;
use crate::views::intake::IntakeForm;
use crate::views::map::MapState;
use crate::views::network::NetworkView;
use crate::views::settings::Settings;
use start::Phase;

/// A line in the status bar (提示).
pub struct Notice {
    /// What happened.
    pub text: String,
    /// Whether it is an error.
    pub error: bool,
    /// When it was said.
    pub at: Instant,
}

/// What every view is drawn with: the nodes, the one shown, the operator's role, the
/// language, the network, the clock, and the shown node's emergency incidents.
struct Desk {
    nodes: Vec<NodeHandle>,
    current: usize,
    role: Role,
    /// The operator signed in (经办人).
    person: String,
    lang: Lang,
    net: Option<Arc<dyn Network>>,
    clock: Clock,
    /// The emergency incidents the node shown holds and its 平时/战时 folded from them, as
    /// of the (node, log head) they were read at.
    mode: (Option<(usize, u64)>, Vec<CaseSummary>, Mode),
}

impl Desk {
    /// The context a view draws with (none while no node is shown).
    fn cx(&self) -> Option<ViewCx<'_>> {
        Some(ViewCx {
            node: self.nodes.get(self.current)?,
            nodes: &self.nodes,
            role: self.role,
            person: &self.person,
            lang: self.lang,
            net: self.net.as_ref(),
            mode: &self.mode.2,
            incidents: &self.mode.1,
            clock: &self.clock,
        })
    }

    /// Reads the node's incidents again if its store moved; says why it could not.
    fn read_incidents(&mut self) -> Option<String> {
        let n = self.nodes.get(self.current)?;
        let read = n.engine.store.read();
        let head = read.as_ref().ok().and_then(|r| r.revision().ok());
        let key = head.map(|h| (self.current, h));
        if key.is_some() && key == self.mode.0 {
            return None;
        }
        match read.and_then(|r| r.incidents()) {
            Ok(rows) => {
                let mode = Mode::of(&n.engine.district, &n.unit, rows.clone());
                self.mode = (key, rows, mode);
                None
            }
            Err(e) => {
                self.mode = (key, Vec::new(), Default::default());
                Some(format!("读取应急状态失败 emergency state: {e}"))
            }
        }
    }
}

/// Which view asked for a write: its outcome goes back there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Inbox,
    Intake,
    Emergency,
    Other,
}

/// The workstation (工作台): everything the window shows.
pub struct Workstation {
    desk: Desk,
    view: View,
    /// The 工作台 view (queue, filters, rows, the open case).
    pub inbox: Inbox,
    intake: IntakeForm,
    map: MapState,
    assess: AssessState,
    emergency: EmergencyState,
    drill: DrillState,
    network: NetworkView,
    settings: Settings,
    notices: Vec<Notice>,
    title: String,
    phase: Phase,
    fonts: bool,
}

fn wall_clock() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

impl Workstation {
    /// A workstation over these nodes (the first is shown), with an optional network.
    pub fn new(nodes: Vec<NodeHandle>, net: Option<Arc<dyn Network>>) -> Workstation {
        let mut w = Workstation {
            desk: Desk {
                nodes,
                current: 0,
                role: Role::Intake,
                person: String::new(),
                lang: Lang::Zh,
                net,
                clock: Arc::new(wall_clock),
                mode: (None, Vec::new(), Default::default()),
            },
            view: View::Inbox,
            inbox: Inbox::default(),
            intake: IntakeForm::default(),
            map: Default::default(),
            assess: Default::default(),
            emergency: Default::default(),
            drill: Default::default(),
            network: NetworkView,
            settings: Settings,
            notices: Vec::new(),
            title: String::new(),
            phase: Phase::Ready,
            fonts: false,
        };
        w.select_node(0);
        w
    }

    /// A workstation that shows progress while `start` runs on a background thread, then
    /// opens on what it delivers (or shows why it failed).
    pub fn starting(start: impl FnOnce(&Progress) -> Started + Send + 'static) -> Workstation {
        let mut w = Workstation::new(Vec::new(), None);
        w.start(Box::new(start));
        w
    }

    /// A workstation for a machine with no node yet: it offers to open the demo or to join a
    /// district with an enrolment file, and starts what `launcher` makes of the choice.
    pub fn first_run(launcher: Launcher) -> Workstation {
        let mut w = Workstation::new(Vec::new(), None);
        w.phase = Phase::FirstRun {
            launcher,
            path: String::new(),
            error: None,
        };
        w
    }

    /// Uses `clock` instead of the wall clock (tests).
    pub fn with_clock(mut self, clock: impl Fn() -> Millis + Send + Sync + 'static) -> Self {
        self.desk.clock = Arc::new(clock);
        self
    }

    /// Switches the interface language.
    pub fn set_lang(&mut self, lang: Lang) {
        self.desk.lang = lang;
    }

    /// The time now.
    pub fn now(&self) -> Millis {
        (self.desk.clock)()
    }

    /// Shows node `i` (in the demo, any node of the district), in the first role its unit
    /// has.
    pub fn select_node(&mut self, i: usize) {
        if i >= self.desk.nodes.len() {
            return;
        }
        self.desk.current = i;
        let n = &self.desk.nodes[i];
        let stored = n.engine.node().ok().map(|info| info.role);
        let roles = roles_for(n.kind());
        self.desk.role = stored.filter(|r| roles.contains(r)).unwrap_or(roles[0]);
        self.inbox.close_case();
        self.intake = IntakeForm::default();
        self.invalidate();
        self.inbox.queue = Queue::ALL
            .into_iter()
            .find(|q| self.count(*q) > 0)
            .unwrap_or(Queue::ToAccept);
        self.inbox.dirty = true;
        self.refresh_if_needed();
    }

    /// Sets the operator's role (岗位).
    pub fn set_role(&mut self, role: Role) {
        self.desk.role = role;
        self.inbox.case_stale();
    }

    /// Signs the operator in by name or staff number (经办人): every move they make names
    /// them. A name an operator cannot have is refused with why, and the one signed in stays.
    pub fn set_person(&mut self, person: &str) -> Result<(), &'static str> {
        if let Some(why) = Actor::person_problem(person) {
            return Err(why);
        }
        self.desk.person = person.trim().to_string();
        Ok(())
    }

    /// The operator signed in (经办人), blank when nobody is.
    pub fn person(&self) -> &str {
        &self.desk.person
    }

    /// The last line said in the status bar, and whether it was an error.
    pub fn last_notice(&self) -> Option<(&str, bool)> {
        self.notices.last().map(|n| (n.text.as_str(), n.error))
    }

    /// The operator's role (岗位).
    pub fn role(&self) -> Role {
        self.desk.role
    }

    /// The node shown.
    pub fn node(&self) -> Option<&NodeHandle> {
        self.desk.nodes.get(self.desk.current)
    }

    /// The operator: a person with the chosen role at the node's unit.
    pub fn actor(&self) -> Option<Actor> {
        self.desk.cx().map(|cx| cx.actor())
    }

    /// 平时/战时 of the node shown: the open emergency incidents covering its unit (read
    /// again whenever its store moves).
    pub fn mode(&mut self) -> &Mode {
        self.read_incidents();
        &self.desk.mode.2
    }

    /// Every emergency incident the node shown holds, newest first (read again whenever its
    /// store moves).
    pub fn incidents(&mut self) -> &[CaseSummary] {
        self.read_incidents();
        &self.desk.mode.1
    }

    fn read_incidents(&mut self) {
        if let Some(e) = self.desk.read_incidents() {
            self.notify(e, true);
        }
    }

    /// 平时/战时 as last read by [`Workstation::mode`] (no store read).
    pub fn current_mode(&self) -> &Mode {
        &self.desk.mode.2
    }

    /// The queue badge count of `q` (as of the last refresh).
    pub fn count(&mut self, q: Queue) -> usize {
        self.refresh_if_needed();
        self.inbox.counts.get(&q).copied().unwrap_or(0)
    }

    /// Forces the next frame to reload queues and the open case.
    pub fn invalidate(&mut self) {
        self.inbox.invalidate();
        self.refresh_if_needed();
    }

    /// Opens a case in the 工作台's detail panel (a case already open stays as it is, with
    /// its dialog; while a dialog is open no other case is opened).
    pub fn open_case(&mut self, id: CaseId) {
        self.view = View::Inbox;
        self.inbox.open_case(id);
    }

    /// Starts playing `text` (a drill scenario) at `speed` on the nodes the window shows.
    pub fn start_drill(&mut self, text: &str, speed: f64) -> Result<(), String> {
        let cx = self.desk.cx().ok_or("no node")?;
        self.drill.start(&cx, text, speed)
    }

    /// The drill playing or last played.
    pub fn drill_run(&self) -> Option<&DrillRun> {
        self.drill.run.as_ref()
    }

    /// The assessment the 统计考核 view shows (once computed), and the cases of its last
    /// drill-down.
    pub fn assessment(&self) -> (Option<&Assessment>, Option<&DrillDown>) {
        self.assess.assessment()
    }

    /// Says something in the status bar.
    pub(crate) fn notify(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        if error {
            tracing::warn!("{text}");
        }
        self.notices.push(Notice {
            text,
            error,
            at: Instant::now(),
        });
        if self.notices.len() > 20 {
            self.notices.remove(0);
        }
    }

    /// Whether the node is online: some peer link is up (a node without a network is
    /// standalone, not offline).
    pub fn online(&self) -> Option<bool> {
        let net = self.desk.net.as_ref()?;
        let n = self.node()?;
        Some(net.peers(&n.name).iter().any(|p| p.state.is_up()))
    }

    /// Keeps queues (and the open case) current; the map counts again whenever the queues
    /// were read again.
    fn refresh_if_needed(&mut self) {
        let Some(cx) = self.desk.cx() else {
            return;
        };
        let r = self.inbox.refresh(&cx);
        if r.reloaded {
            self.map.mark_stale();
        }
        for e in r.errors {
            self.notify(e, true);
        }
    }

    /// Applies what a view asked for.
    fn apply(&mut self, from: Origin, intents: Vec<Intent>) {
        for i in intents {
            match i {
                Intent::OpenCase(id) => self.open_case(id),
                Intent::Write(w) => self.write(from, w),
                Intent::Notify { text, error } => self.notify(text, error),
                Intent::Invalidate => self.invalidate(),
                Intent::Changed(node) => {
                    if let Some(net) = &self.desk.net {
                        net.changed(&node);
                    }
                    self.invalidate();
                }
                Intent::SetLink { a, b, up } => {
                    if let Some(net) = &self.desk.net {
                        net.set_link(&a, &b, up);
                    }
                }
                Intent::SetLang(lang) => self.desk.lang = lang,
                Intent::Show(v) => self.view = v,
                Intent::ShowQueue(q) => {
                    self.inbox.queue = q;
                    self.inbox.dirty = true;
                    self.view = View::Inbox;
                }
                Intent::FilterGrid(g) => {
                    self.inbox.grid = Some(g);
                    self.inbox.dirty = true;
                }
            }
        }
    }

    /// Makes a write on the node shown, hands the outcome to the view that asked (which
    /// says what the status bar shows), then pushes it to the peers and reads again.
    fn write(&mut self, from: Origin, w: Write) {
        let Some(node) = self.node().cloned() else {
            return;
        };
        let now = self.now();
        let engine = &node.engine;
        let outcome: Outcome = match &w {
            Write::Act {
                case,
                actor,
                action,
            } => engine.act(actor, case, action.clone(), now),
            Write::Report { actor, case } => engine.report(actor, case, now),
            Write::OpenIncident {
                actor,
                plan,
                level,
                area,
                grid,
                address,
                description,
                drill,
            } => engine.open_incident(
                actor,
                plan,
                *level,
                area.clone(),
                grid,
                address,
                description,
                *drill,
                now,
            ),
        }
        .map_err(|e| crate::views::engine_error_text(self.desk.lang, &e));
        let follow = match self.desk.cx() {
            Some(cx) => match from {
                Origin::Inbox => self.inbox.settled(&w, &outcome, &cx),
                Origin::Intake => self.intake.settled(&w, &outcome, &cx),
                Origin::Emergency => self.emergency.settled(&w, &outcome, &cx),
                Origin::Other => Vec::new(),
            },
            None => Vec::new(),
        };
        self.apply(from, follow);
        if outcome.is_ok() {
            if let Some(net) = &self.desk.net {
                net.changed(&node.name);
            }
            self.invalidate();
        }
    }

    /// Draws the whole workstation into `ui` (the eframe window's root, or a test harness).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if !self.fonts {
            // The bundled font takes effect from the next frame: draw no text before it.
            crate::fonts::install(&ctx);
            self.fonts = true;
            ctx.request_repaint();
            return;
        }
        if self.start_ui(ui) {
            return;
        }
        if self.desk.nodes.is_empty() {
            let lang = self.desk.lang;
            egui::CentralPanel::default().show(ui, |ui| {
                ui.label(lang.t("没有节点", "No node"));
            });
            return;
        }
        self.refresh_if_needed();
        let stepped = match self.desk.cx() {
            Some(cx) => self.drill.step(&cx),
            None => Vec::new(),
        };
        self.apply(Origin::Other, stepped);
        self.set_title(&ctx);
        egui::Panel::top("top").show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        self.read_incidents();
        let Some(cx) = self.desk.cx() else {
            return;
        };
        let central = |ui: &mut egui::Ui, f: &mut dyn FnMut(&mut egui::Ui) -> Vec<Intent>| {
            egui::CentralPanel::default().show(ui, f).inner
        };
        let (from, intents) = match self.view {
            View::Inbox => (Origin::Inbox, self.inbox.ui(ui, &cx)),
            View::Intake => (
                Origin::Intake,
                central(ui, &mut |ui| self.intake.ui(ui, &cx)),
            ),
            View::Map => (Origin::Other, central(ui, &mut |ui| self.map.ui(ui, &cx))),
            View::Assess => (
                Origin::Other,
                central(ui, &mut |ui| self.assess.ui(ui, &cx)),
            ),
            View::Emergency => (
                Origin::Emergency,
                central(ui, &mut |ui| self.emergency.ui(ui, &cx)),
            ),
            View::Drill => (Origin::Other, central(ui, &mut |ui| self.drill.ui(ui, &cx))),
            View::Network => (
                Origin::Other,
                central(ui, &mut |ui| self.network.ui(ui, &cx)),
            ),
            View::Settings => (
                Origin::Other,
                central(ui, &mut |ui| self.settings.ui(ui, &cx)),
            ),
        };
        self.apply(from, intents);
        // Live data: look again soon even without input.
        ctx.request_repaint_after(Duration::from_millis(500));
    }
}
