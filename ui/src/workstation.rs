//! The workstation window (工作台窗口): the node, unit and role bar, the views, the status
//! bar, and the eframe shell around them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::{Color32, RichText};
use gridloop_core::calendar::Millis;
use gridloop_core::case::CaseId;
use gridloop_core::engine::Engine;
use gridloop_core::role::{Actor, NodeId, Role};
use gridloop_core::store::CaseSummary;
use gridloop_core::unit::{GridCode, UnitId, UnitKind};

use crate::i18n::Lang;
use crate::moves::roles_for;
use crate::network::Network;
use crate::queue::Queue;
use crate::views::detail::Detail;
use crate::views::intake::IntakeForm;

/// One node the window can show (in the demo, every node of the district).
#[derive(Clone)]
pub struct NodeHandle {
    /// Node id (`d`, `s1`, `c11`, …).
    pub name: String,
    /// Its unit.
    pub unit: UnitId,
    /// The unit's name.
    pub label: String,
    /// The node's engine.
    pub engine: Arc<Engine>,
}

impl NodeHandle {
    /// A handle over an engine, reading node id and unit from its store.
    pub fn from_engine(engine: Arc<Engine>) -> Result<NodeHandle, String> {
        let info = engine.node().map_err(|e| e.to_string())?;
        let label = engine
            .district
            .unit(&info.unit)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| info.unit.0.clone());
        Ok(NodeHandle {
            name: info.node.0,
            unit: info.unit,
            label,
            engine,
        })
    }

    /// The store's revision (0 if unreadable): views cache what they read by it and read
    /// again when it moves.
    pub fn revision(&self) -> u64 {
        self.engine
            .store
            .read()
            .and_then(|r| r.revision())
            .unwrap_or(0)
    }

    /// The kind of the node's unit.
    pub fn kind(&self) -> UnitKind {
        self.engine
            .district
            .unit(&self.unit)
            .map(|u| u.kind)
            .unwrap_or(UnitKind::District)
    }
}

/// The views of the workstation.
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
    const ALL: [View; 8] = [
        View::Inbox,
        View::Intake,
        View::Map,
        View::Assess,
        View::Emergency,
        View::Drill,
        View::Network,
        View::Settings,
    ];

    fn label(self, lang: Lang) -> &'static str {
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

/// A light filter of the inbox (灯色).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LightPick {
    /// 全部.
    Any,
    /// 红灯.
    Red,
    /// 黄灯.
    Yellow,
    /// 绿灯.
    Green,
}

/// What the inbox lists: its queue and filters (what a reload needs to know).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filters {
    /// The queue.
    pub queue: Queue,
    /// Light filter.
    pub light: LightPick,
    /// Search text.
    pub search: String,
    /// Grid filter.
    pub grid: Option<GridCode>,
}

/// A queue's rows (due, id) and every badge count, or why they could not be read.
type QueueRead = Result<(Vec<(i64, CaseId)>, HashMap<Queue, usize>), String>;

/// Queue rows and badge counts read off the UI thread, for one node and one set of filters.
struct Reloaded {
    node: usize,
    head: u64,
    filters: Filters,
    result: QueueRead,
}

/// The inbox's state: queue, filters, and the loaded keys.
pub struct InboxState {
    /// The queue shown.
    pub queue: Queue,
    /// Light filter.
    pub light: LightPick,
    /// Search text (number, address, description).
    pub search: String,
    /// Grid filter (from a click on the map).
    pub grid: Option<GridCode>,
    /// Rows: (due, case id), most urgent first, filters applied.
    pub rows: Vec<(i64, CaseId)>,
    /// Rows read so far (only those on screen are read).
    pub cache: HashMap<CaseId, CaseSummary>,
    /// Queue badge counts.
    pub counts: HashMap<Queue, usize>,
    /// The selected case.
    pub selected: Option<CaseId>,
    /// The filters changed: reload.
    pub dirty: bool,
    /// Scroll the table to this offset on the next frame (points from the top).
    pub scroll_to: Option<f32>,
}

/// A line in the status bar (提示).
pub struct Notice {
    /// What happened.
    pub text: String,
    /// Whether it is an error.
    pub error: bool,
    /// When it was said.
    pub at: Instant,
}

/// Long work in the background (后台任务), with its progress.
#[derive(Clone, Default)]
pub struct Progress(Arc<Mutex<(String, f32)>>);

impl Progress {
    /// Reports what is happening and how far along (0..=1, or negative if unknown).
    pub fn set(&self, what: &str, fraction: f32) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = (what.to_string(), fraction);
    }

    /// The last report.
    pub fn get(&self) -> (String, f32) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What a background start delivers: the nodes to show and their network.
pub type Started = Result<(Vec<NodeHandle>, Option<Arc<dyn Network>>), String>;

/// A background start (后台启动), run on its own thread with its progress.
pub type StartJob = Box<dyn FnOnce(&Progress) -> Started + Send>;

/// What the operator chose on the first run (首次启动).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FirstRunChoice {
    /// Open the live demo district.
    Demo,
    /// Join a district with the enrolment (roster) file it sent.
    Join(std::path::PathBuf),
}

/// Turns a first-run choice into the start that follows it (or says why it cannot).
pub type Launcher = Box<dyn FnMut(FirstRunChoice) -> Result<StartJob, String>>;

enum Phase {
    FirstRun {
        launcher: Launcher,
        path: String,
        error: Option<String>,
    },
    Starting {
        progress: Progress,
        rx: std::sync::mpsc::Receiver<Started>,
    },
    Failed(String),
    Ready,
}

/// The workstation (工作台): everything the window shows.
pub struct Workstation {
    pub(crate) nodes: Vec<NodeHandle>,
    pub(crate) current: usize,
    pub(crate) role: Role,
    pub(crate) lang: Lang,
    pub(crate) view: View,
    pub(crate) net: Option<Arc<dyn Network>>,
    /// The inbox state (queue, filters, rows).
    pub inbox: InboxState,
    pub(crate) detail: Option<Detail>,
    pub(crate) intake: IntakeForm,
    pub(crate) map: crate::views::map::MapState,
    pub(crate) assess: crate::views::assess::AssessState,
    pub(crate) emergency: crate::views::emergency::EmergencyState,
    pub(crate) drill: crate::views::drill::DrillState,
    /// The emergency incidents the node shown holds and its 平时/战时 folded from them, as
    /// of the (node, log head) they were read at.
    mode: (
        Option<(usize, u64)>,
        Vec<CaseSummary>,
        gridloop_core::emergency::Mode,
    ),
    pub(crate) notices: Vec<Notice>,
    pub(crate) clock: Arc<dyn Fn() -> Millis + Send + Sync>,
    seen_head: Option<(usize, u64)>,
    last_refresh: Option<Instant>,
    reloading: Option<std::sync::mpsc::Receiver<Reloaded>>,
    title: String,
    phase: Phase,
    fonts: bool,
}

fn wall_clock() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

impl InboxState {
    /// The queue and filters as they are now.
    pub fn filters(&self) -> Filters {
        Filters {
            queue: self.queue,
            light: self.light,
            search: self.search.clone(),
            grid: self.grid.clone(),
        }
    }
}

/// Reads a queue's rows and every badge count on one snapshot.
fn read_queues(engine: &Engine, unit: &UnitId, filters: &Filters, now: Millis) -> QueueRead {
    let r = engine.store.read().map_err(|e| e.to_string())?;
    let district = &engine.district;
    let rows = crate::views::inbox::load_rows(&r, district, unit, filters, now)
        .map_err(|e| e.to_string())?;
    let counts = crate::queue::counts(&r, district, unit, now).map_err(|e| e.to_string())?;
    Ok((rows, counts.into_iter().collect()))
}

impl Workstation {
    /// A workstation over these nodes (the first is shown), with an optional network.
    pub fn new(nodes: Vec<NodeHandle>, net: Option<Arc<dyn Network>>) -> Workstation {
        let mut w = Workstation {
            nodes,
            current: 0,
            role: Role::Intake,
            lang: Lang::Zh,
            view: View::Inbox,
            net,
            inbox: InboxState {
                queue: Queue::ToAccept,
                light: LightPick::Any,
                search: String::new(),
                grid: None,
                rows: Vec::new(),
                cache: HashMap::new(),
                counts: HashMap::new(),
                selected: None,
                dirty: true,
                scroll_to: None,
            },
            detail: None,
            intake: IntakeForm::default(),
            map: Default::default(),
            assess: Default::default(),
            emergency: Default::default(),
            drill: Default::default(),
            mode: (None, Vec::new(), Default::default()),
            notices: Vec::new(),
            clock: Arc::new(wall_clock),
            seen_head: None,
            last_refresh: None,
            reloading: None,
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

    fn start(&mut self, job: StartJob) {
        let progress = Progress::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let p = progress.clone();
        std::thread::spawn(move || {
            let _ = tx.send(job(&p));
        });
        self.phase = Phase::Starting { progress, rx };
    }

    /// Uses `clock` instead of the wall clock (tests).
    pub fn with_clock(mut self, clock: impl Fn() -> Millis + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Switches the interface language.
    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    /// The time now.
    pub fn now(&self) -> Millis {
        (self.clock)()
    }

    /// Shows node `i` (in the demo, any node of the district), in the first role its unit
    /// has.
    pub fn select_node(&mut self, i: usize) {
        if i >= self.nodes.len() {
            return;
        }
        self.current = i;
        let n = &self.nodes[i];
        let stored = n.engine.node().ok().map(|info| info.role);
        let roles = roles_for(n.kind());
        self.role = stored.filter(|r| roles.contains(r)).unwrap_or(roles[0]);
        self.inbox.selected = None;
        self.inbox.grid = None;
        self.detail = None;
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
        self.role = role;
        if let Some(d) = &mut self.detail {
            d.stale = true;
        }
    }

    /// The last line said in the status bar, and whether it was an error.
    pub fn last_notice(&self) -> Option<(&str, bool)> {
        self.notices.last().map(|n| (n.text.as_str(), n.error))
    }

    /// The operator's role (岗位).
    pub fn role(&self) -> Role {
        self.role
    }

    /// The node shown.
    pub fn node(&self) -> Option<&NodeHandle> {
        self.nodes.get(self.current)
    }

    /// The operator: a person with the chosen role at the node's unit.
    pub fn actor(&self) -> Option<Actor> {
        self.node().map(|n| Actor {
            node: NodeId(n.name.clone()),
            unit: n.unit.clone(),
            role: self.role,
        })
    }

    /// 平时/战时 of the node shown: the open emergency incidents covering its unit (read
    /// again whenever its store moves).
    pub fn mode(&mut self) -> &gridloop_core::emergency::Mode {
        self.read_incidents();
        &self.mode.2
    }

    /// Every emergency incident the node shown holds, newest first (read again whenever its
    /// store moves).
    pub fn incidents(&mut self) -> &[CaseSummary] {
        self.read_incidents();
        &self.mode.1
    }

    fn read_incidents(&mut self) {
        let Some(n) = self.nodes.get(self.current) else {
            return;
        };
        let read = n.engine.store.read();
        let head = read.as_ref().ok().and_then(|r| r.revision().ok());
        let key = head.map(|h| (self.current, h));
        if key.is_some() && key == self.mode.0 {
            return;
        }
        match read.and_then(|r| r.incidents()) {
            Ok(rows) => {
                let mode =
                    gridloop_core::emergency::Mode::of(&n.engine.district, &n.unit, rows.clone());
                self.mode = (key, rows, mode);
            }
            Err(e) => {
                self.mode = (key, Vec::new(), Default::default());
                self.notify(format!("读取应急状态失败 emergency state: {e}"), true);
            }
        }
    }

    /// 平时/战时 as last read by [`Workstation::mode`] (no store read).
    pub fn current_mode(&self) -> &gridloop_core::emergency::Mode {
        &self.mode.2
    }

    /// The queue badge count of `q` (as of the last refresh).
    pub fn count(&mut self, q: Queue) -> usize {
        self.refresh_if_needed();
        self.inbox.counts.get(&q).copied().unwrap_or(0)
    }

    /// Forces the next frame to reload queues and the open case.
    pub fn invalidate(&mut self) {
        self.seen_head = None;
        self.inbox.dirty = true;
        if let Some(d) = &mut self.detail {
            d.stale = true;
        }
        self.refresh_if_needed();
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
        let net = self.net.as_ref()?;
        let n = self.node()?;
        Some(net.peers(&n.name).iter().any(|p| p.state.is_up()))
    }

    /// Keeps queues (and the open case) current. What the operator asks for (another queue,
    /// a filter, a move made here) is read at once; changes arriving in the store are read on
    /// a background thread, at most once a second, and shown when ready, so a busy district's
    /// frames never wait for a large queue to be read.
    pub(crate) fn refresh_if_needed(&mut self) {
        if self.nodes.get(self.current).is_none() {
            return;
        }
        if let Some(rx) = &self.reloading {
            match rx.try_recv() {
                Ok(done) => {
                    self.reloading = None;
                    if done.node == self.current && done.filters == self.inbox.filters() {
                        self.apply_reload(done.head, done.result);
                    }
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.reloading = None,
            }
        }
        let n = &self.nodes[self.current];
        let engine = n.engine.clone();
        let unit = n.unit.clone();
        if self.inbox.dirty {
            self.inbox.dirty = false;
            self.reloading = None;
            let head = engine.store.read().and_then(|r| r.revision()).unwrap_or(0);
            let result = read_queues(&engine, &unit, &self.inbox.filters(), self.now());
            self.last_refresh = Some(Instant::now());
            self.apply_reload(head, result);
            return;
        }
        if self.reloading.is_some()
            || self
                .last_refresh
                .is_some_and(|t| t.elapsed() < Duration::from_millis(1000))
        {
            return;
        }
        self.last_refresh = Some(Instant::now());
        let head = match engine.store.read().and_then(|r| r.revision()) {
            Ok(h) => h,
            Err(e) => {
                self.notify(format!("读取存储失败 store read failed: {e}"), true);
                return;
            }
        };
        if self.seen_head == Some((self.current, head)) {
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let filters = self.inbox.filters();
        let node = self.current;
        let now = self.now();
        std::thread::spawn(move || {
            let result = read_queues(&engine, &unit, &filters, now);
            let _ = tx.send(Reloaded {
                node,
                head,
                filters,
                result,
            });
        });
        self.reloading = Some(rx);
    }

    fn apply_reload(&mut self, head: u64, result: QueueRead) {
        self.seen_head = Some((self.current, head));
        match result {
            Ok((rows, counts)) => {
                self.inbox.rows = rows;
                self.inbox.counts = counts;
            }
            Err(e) => self.notify(format!("读取队列失败 queue read failed: {e}"), true),
        }
        self.inbox.cache.clear();
        if let Some(d) = &mut self.detail {
            d.stale = true;
        }
        self.map.stale = true;
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
        if let Phase::FirstRun {
            launcher,
            path,
            error,
        } = &mut self.phase
        {
            let lang = self.lang;
            let mut choice = None;
            egui::CentralPanel::default().show(ui, |ui| {
                ui.vertical_centered(|ui| {
                    ui.add_space(ui.available_height() / 5.0);
                    ui.heading(lang.t("欢迎使用 gridloop 城市治理工作台", "Welcome to gridloop"));
                    ui.label(lang.t(
                        "本机还没有节点。可以先打开演示区，或用区指挥中心发来的入网文件加入本区。",
                        "This machine has no node yet. Open the demo district, or join your district with the enrolment file it sent you.",
                    ));
                    ui.add_space(16.0);
                    if ui.button(lang.t("打开演示区", "Open the demo district")).clicked() {
                        choice = Some(FirstRunChoice::Demo);
                    }
                    ui.add_space(16.0);
                    let l = ui.label(lang.t("入网文件（roster.json）路径", "Enrolment file (roster.json)"));
                    ui.add(egui::TextEdit::singleline(path).desired_width(420.0))
                        .labelled_by(l.id);
                    if ui.button(lang.t("加入本区", "Join the district")).clicked() {
                        if path.trim().is_empty() {
                            *error = Some(lang.t("请填写入网文件路径", "Enter the enrolment file's path").into());
                        } else {
                            choice = Some(FirstRunChoice::Join(path.trim().into()));
                        }
                    }
                    if let Some(e) = error {
                        ui.colored_label(Color32::RED, e.as_str());
                    }
                });
            });
            if let Some(c) = choice {
                match launcher(c) {
                    Ok(job) => self.start(job),
                    Err(e) => {
                        if let Phase::FirstRun { error, .. } = &mut self.phase {
                            *error = Some(e);
                        }
                    }
                }
            }
            return;
        }
        match &self.phase {
            Phase::Ready | Phase::FirstRun { .. } => {}
            Phase::Failed(why) => {
                let why = why.clone();
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.heading(self.lang.t("启动失败", "Start failed"));
                    ui.colored_label(Color32::RED, why);
                });
                return;
            }
            Phase::Starting { progress, rx } => match rx.try_recv() {
                Ok(Ok((nodes, net))) => {
                    self.nodes = nodes;
                    self.net = net;
                    self.phase = Phase::Ready;
                    self.select_node(0);
                }
                Ok(Err(e)) => self.phase = Phase::Failed(e),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.phase = Phase::Failed("the start-up thread ended unexpectedly".into())
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    let (what, frac) = progress.get();
                    egui::CentralPanel::default().show(ui, |ui| {
                        ui.vertical_centered(|ui| {
                            ui.add_space(ui.available_height() / 3.0);
                            ui.heading(self.lang.t("正在启动…", "Starting…"));
                            ui.label(&what);
                            if frac >= 0.0 {
                                ui.add(
                                    egui::ProgressBar::new(frac)
                                        .show_percentage()
                                        .desired_width(360.0),
                                );
                            } else {
                                ui.spinner();
                            }
                        });
                    });
                    ctx.request_repaint_after(Duration::from_millis(100));
                    return;
                }
            },
        }
        if self.nodes.is_empty() {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.label(self.lang.t("没有节点", "No node"));
            });
            return;
        }
        self.refresh_if_needed();
        crate::views::drill::step(self);
        self.set_title(&ctx);
        egui::Panel::top("top").show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        match self.view {
            View::Inbox => crate::views::inbox::show(self, ui),
            View::Intake => {
                egui::CentralPanel::default().show(ui, |ui| crate::views::intake::show(self, ui));
            }
            View::Map => {
                egui::CentralPanel::default().show(ui, |ui| crate::views::map::show(self, ui));
            }
            View::Assess => {
                egui::CentralPanel::default().show(ui, |ui| crate::views::assess::show(self, ui));
            }
            View::Emergency => {
                egui::CentralPanel::default()
                    .show(ui, |ui| crate::views::emergency::show(self, ui));
            }
            View::Drill => {
                egui::CentralPanel::default().show(ui, |ui| crate::views::drill::show(self, ui));
            }
            View::Network => {
                egui::CentralPanel::default().show(ui, |ui| crate::views::network::show(self, ui));
            }
            View::Settings => {
                egui::CentralPanel::default().show(ui, |ui| crate::views::settings::show(self, ui));
            }
        }
        // Live data: look again soon even without input.
        ctx.request_repaint_after(Duration::from_millis(500));
    }

    fn identity_line(&self) -> String {
        let Some(n) = self.node() else {
            return String::new();
        };
        let online = match self.online() {
            Some(true) => self.lang.t("在线", "online"),
            Some(false) => self.lang.t("离线", "OFFLINE"),
            None => self.lang.t("单机", "standalone"),
        };
        let role = match self.lang {
            Lang::Zh => self.role.label_zh(),
            Lang::En => self.role.label_en(),
        };
        format!("{} · {} · {} · {}", n.label, n.name, role, online)
    }

    fn set_title(&mut self, ctx: &egui::Context) {
        let title = format!("gridloop — {}", self.identity_line());
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        ui.horizontal_wrapped(|ui| {
            ui.strong(lang.t("gridloop 城市治理工作台", "gridloop workstation"));
            ui.separator();
            if self.nodes.len() > 1 {
                let mut pick = self.current;
                let l = ui.label(lang.t("节点", "Node"));
                egui::ComboBox::from_id_salt("node")
                    .selected_text(format!(
                        "{} ({})",
                        self.nodes[pick].label, self.nodes[pick].name
                    ))
                    .show_ui(ui, |ui| {
                        for (i, n) in self.nodes.iter().enumerate() {
                            ui.selectable_value(&mut pick, i, format!("{} ({})", n.label, n.name));
                        }
                    })
                    .response
                    .labelled_by(l.id)
                    .on_hover_text(lang.t("切换到任一节点的视图", "Show any node's view"));
                if pick != self.current {
                    self.select_node(pick);
                }
            } else if let Some(n) = self.node() {
                ui.label(format!("{} ({})", n.label, n.name));
            }
            let roles = roles_for(self.nodes[self.current].kind());
            let mut role = self.role;
            let l = ui.label(lang.t("岗位", "Role"));
            egui::ComboBox::from_id_salt("role")
                .selected_text(match lang {
                    Lang::Zh => role.label_zh(),
                    Lang::En => role.label_en(),
                })
                .show_ui(ui, |ui| {
                    for r in roles {
                        let text = match lang {
                            Lang::Zh => r.label_zh(),
                            Lang::En => r.label_en(),
                        };
                        ui.selectable_value(&mut role, *r, text);
                    }
                })
                .response
                .labelled_by(l.id);
            if role != self.role {
                self.set_role(role);
            }
            ui.separator();
            for v in View::ALL {
                if ui.selectable_label(self.view == v, v.label(lang)).clicked() {
                    self.view = v;
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let other = match lang {
                    Lang::Zh => "English",
                    Lang::En => "中文",
                };
                if ui.button(other).clicked() {
                    self.lang = match lang {
                        Lang::Zh => Lang::En,
                        Lang::En => Lang::Zh,
                    };
                }
            });
        });
        self.emergency_banner(ui);
        if self.online() == Some(false) {
            ui.colored_label(
                Color32::from_rgb(200, 60, 40),
                lang.t(
                    "⚠ 本节点与所有对端断开：继续离线办理，恢复后自动同步",
                    "⚠ This node is cut off from every peer: keep working offline; it syncs when links return",
                ),
            );
        }
    }

    /// 战时: a red line naming the most severe open incident, how long it has run and how
    /// far its checklist is; a click opens the 应急 view.
    fn emergency_banner(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        let now = self.now();
        let Some((row, i)) = self.mode().lead().cloned() else {
            return;
        };
        let more = self.mode().incidents.len() - 1;
        let (done, all) = i.progress();
        let mins = (now - i.since).max(0) / 60_000;
        let text = format!(
            "{} {}{} · {} · {} {}:{:02} · {} {done}/{all}{}",
            lang.t("战时", "EMERGENCY"),
            if row.drill {
                lang.t("【演练】", "[drill] ")
            } else {
                ""
            },
            i.name,
            i.level_zh(),
            lang.t("已持续", "for"),
            mins / 60,
            mins % 60,
            lang.t("预案清单", "checklist"),
            if more > 0 {
                format!(" · {} {more}", lang.t("另有应急事件", "more incidents:"))
            } else {
                String::new()
            }
        );
        let button = egui::Button::new(RichText::new(text).color(Color32::WHITE).strong())
            .fill(crate::views::EMERGENCY_RED);
        if ui
            .add(button)
            .on_hover_text(lang.t("打开应急视图", "Open the emergency view"))
            .clicked()
        {
            self.emergency.selected = Some(row.id.clone());
            self.view = View::Emergency;
        }
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        let line = self.identity_line();
        let lang = self.lang;
        ui.horizontal(|ui| {
            let color = match self.online() {
                Some(false) => Color32::from_rgb(200, 60, 40),
                _ => ui.visuals().text_color(),
            };
            ui.label(RichText::new(line).color(color));
            ui.separator();
            if let Some(n) = self.node()
                && let Ok(c) = n.engine.store.read().and_then(|r| r.count())
            {
                ui.label(format!("{} {c}", lang.t("本地案卷", "cases here")));
            }
            ui.separator();
            ui.label(crate::views::fmt_time(self.now()));
            if let Some(last) = self.notices.last()
                && last.at.elapsed() < Duration::from_secs(20)
            {
                ui.separator();
                let c = if last.error {
                    Color32::from_rgb(200, 60, 40)
                } else {
                    Color32::from_rgb(40, 140, 60)
                };
                ui.colored_label(c, &last.text);
            }
        });
    }
}

/// The eframe shell around the workstation (which installs the bundled font itself).
pub struct App {
    /// The workstation.
    pub workstation: Workstation,
    /// Called once when the window closes (stops demo nodes).
    pub on_exit: Option<Box<dyn FnOnce()>>,
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.workstation.ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(f) = self.on_exit.take() {
            f();
        }
    }
}

/// Opens the workstation window and runs it until it is closed.
pub fn run(workstation: Workstation, on_exit: Option<Box<dyn FnOnce()>>) -> Result<(), String> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err(
            "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); \
             run it on a desktop, under Xvfb, or use `gridloop demo --headless`"
                .into(),
        );
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("gridloop")
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([960.0, 600.0]),
        ..Default::default()
    };
    eframe::run_native(
        "gridloop",
        options,
        Box::new(move |_cc| {
            Ok(Box::new(App {
                workstation,
                on_exit,
            }))
        }),
    )
    .map_err(|e| format!("could not open the window: {e}"))
}
