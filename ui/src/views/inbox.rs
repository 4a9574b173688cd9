//! 工作台 inbox: the queues of this unit with their counts, filters and search, a virtualized
//! table that reads only the rows on screen, and the open case beside it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};
use gridloop_core::domain::calendar::{Light, Millis};
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::unit::{District, GridCode, UnitId};
use gridloop_core::engine::Engine;
use gridloop_core::store::{CaseSummary, Reader, StoreError};

use crate::context::ViewCx;
use crate::i18n::Lang;
use crate::intent::{Intent, Outcome, Write};
use crate::queue::{self, Queue};
use crate::views::detail::Detail;
use crate::views::{EMERGENCY_RED, fmt_span, fmt_time, light_color, unit_name};

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
    node: String,
    head: u64,
    filters: Filters,
    result: QueueRead,
}

/// What a refresh did: whether queues were read again, and what went wrong.
#[derive(Debug, Default)]
pub struct Refresh {
    /// Queues were read again (views that count the store read again too).
    pub reloaded: bool,
    /// What could not be read, for the status bar.
    pub errors: Vec<String>,
}

/// The 工作台 view (inbox): queue, filters, the loaded keys and the open case.
pub struct Inbox {
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
    /// The open case (案卷).
    detail: Option<Detail>,
    /// The (node, store head) the rows were read at.
    seen_head: Option<(String, u64)>,
    last_refresh: Option<Instant>,
    reloading: Option<std::sync::mpsc::Receiver<Reloaded>>,
}

impl Default for Inbox {
    fn default() -> Self {
        Inbox {
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
            detail: None,
            seen_head: None,
            last_refresh: None,
            reloading: None,
        }
    }
}

/// Loads the rows of the inbox: the queue's keys, narrowed by the filters (which read the
/// rows of the queue; without filters only keys are read).
pub fn load_rows(
    r: &Reader,
    district: &District,
    unit: &UnitId,
    inbox: &Filters,
    now: Millis,
) -> Result<Vec<(i64, CaseId)>, StoreError> {
    let keys = queue::load(r, district, unit, inbox.queue, now)?;
    let text = inbox.search.trim();
    if text.is_empty() && inbox.grid.is_none() && inbox.light == LightPick::Any {
        return Ok(keys);
    }
    let ids: Vec<CaseId> = keys.iter().map(|k| k.1.clone()).collect();
    let mut out = Vec::new();
    for (k, s) in keys.iter().zip(r.summaries_of(&ids)?) {
        let light_ok = match inbox.light {
            LightPick::Any => true,
            LightPick::Red => s.light(now) == Light::Red,
            LightPick::Yellow => s.light(now) == Light::Yellow,
            LightPick::Green => s.light(now) == Light::Green,
        };
        let grid_ok = inbox.grid.as_ref().is_none_or(|g| s.grid == *g);
        let text_ok = text.is_empty()
            || s.number.contains(text)
            || s.address.contains(text)
            || s.description.contains(text)
            || s.category.as_str().eq_ignore_ascii_case(text);
        if light_ok && grid_ok && text_ok {
            out.push(k.clone());
        }
    }
    Ok(out)
}

/// Reads a queue's rows and every badge count on one snapshot.
fn read_queues(engine: &Engine, unit: &UnitId, filters: &Filters, now: Millis) -> QueueRead {
    let r = engine.store.read().map_err(|e| e.to_string())?;
    let district = &engine.district;
    let rows = load_rows(&r, district, unit, filters, now).map_err(|e| e.to_string())?;
    let counts = queue::counts(&r, district, unit, now).map_err(|e| e.to_string())?;
    Ok((rows, counts.into_iter().collect()))
}

impl Inbox {
    /// The queue and filters as they are now.
    pub fn filters(&self) -> Filters {
        Filters {
            queue: self.queue,
            light: self.light,
            search: self.search.clone(),
            grid: self.grid.clone(),
        }
    }

    /// The open case, if any.
    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_ref()
    }

    /// Opens a case in the detail panel (a case already open stays as it is, with its
    /// dialog; while a dialog is open no other case is opened).
    pub fn open_case(&mut self, id: CaseId) {
        if let Some(d) = &self.detail
            && (d.id == id || d.has_dialog())
        {
            return;
        }
        self.selected = Some(id.clone());
        self.detail = Some(Detail::new(id));
    }

    /// Closes the open case and forgets the grid filter (another node is shown).
    pub fn close_case(&mut self) {
        self.selected = None;
        self.grid = None;
        self.detail = None;
    }

    /// The open case must be read again (the store or the role changed).
    pub fn case_stale(&mut self) {
        if let Some(d) = &mut self.detail {
            d.stale = true;
        }
    }

    /// Forces the next refresh to read queues and the open case.
    pub fn invalidate(&mut self) {
        self.seen_head = None;
        self.dirty = true;
        self.case_stale();
    }

    /// The open case's outcome of a write it asked for.
    pub fn settled(&mut self, write: &Write, outcome: &Outcome, cx: &ViewCx) -> Vec<Intent> {
        match &mut self.detail {
            Some(d) => d.settled(write, outcome, cx),
            None => Vec::new(),
        }
    }

    /// Keeps queues (and the open case) current. What the operator asks for (another queue,
    /// a filter, a move made here) is read at once; changes arriving in the store are read on
    /// a background thread, at most once a second, and shown when ready, so a busy district's
    /// frames never wait for a large queue to be read.
    pub fn refresh(&mut self, cx: &ViewCx) -> Refresh {
        let mut out = Refresh::default();
        let node = &cx.node.name;
        if let Some(rx) = &self.reloading {
            match rx.try_recv() {
                Ok(done) => {
                    self.reloading = None;
                    if done.node == *node && done.filters == self.filters() {
                        self.apply_reload(node, done.head, done.result, &mut out);
                    }
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {}
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.reloading = None,
            }
        }
        let engine = cx.node.engine.clone();
        let unit = cx.node.unit.clone();
        if self.dirty {
            self.dirty = false;
            self.reloading = None;
            let head = engine.store.read().and_then(|r| r.revision()).unwrap_or(0);
            let result = read_queues(&engine, &unit, &self.filters(), cx.now());
            self.last_refresh = Some(Instant::now());
            self.apply_reload(node, head, result, &mut out);
            return out;
        }
        if self.reloading.is_some()
            || self
                .last_refresh
                .is_some_and(|t| t.elapsed() < Duration::from_millis(1000))
        {
            return out;
        }
        self.last_refresh = Some(Instant::now());
        let head = match engine.store.read().and_then(|r| r.revision()) {
            Ok(h) => h,
            Err(e) => {
                out.errors
                    .push(format!("读取存储失败 store read failed: {e}"));
                return out;
            }
        };
        if self
            .seen_head
            .as_ref()
            .is_some_and(|(n, h)| n == node && *h == head)
        {
            return out;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let filters = self.filters();
        let node = node.clone();
        let now = cx.now();
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
        out
    }

    fn apply_reload(&mut self, node: &str, head: u64, result: QueueRead, out: &mut Refresh) {
        self.seen_head = Some((node.to_string(), head));
        match result {
            Ok((rows, counts)) => {
                self.rows = rows;
                self.counts = counts;
            }
            Err(e) => out
                .errors
                .push(format!("读取队列失败 queue read failed: {e}")),
        }
        self.cache.clear();
        self.case_stale();
        out.reloaded = true;
    }

    /// Draws the inbox: queues on the left, the table in the middle, the open case on the
    /// right.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        let mut out = Vec::new();
        egui::Panel::left("queues")
            .resizable(false)
            .default_size(150.0)
            .show(ui, |ui| {
                ui.add_space(4.0);
                ui.strong(lang.t("待办队列", "Queues"));
                ui.add_space(4.0);
                for q in Queue::ALL {
                    let n = self.counts.get(&q).copied().unwrap_or(0);
                    let mut text = if q == Queue::InArea {
                        RichText::new(q.label(lang))
                    } else {
                        RichText::new(format!("{}  {n}", q.label(lang)))
                    };
                    if q == Queue::Overdue && n > 0 {
                        text = text.color(light_color(Light::Red));
                    }
                    if q == Queue::Emergency && n > 0 {
                        text = text.color(EMERGENCY_RED).strong();
                    }
                    if q == Queue::Conflict && n > 0 {
                        text = text.color(Color32::from_rgb(200, 90, 0)).strong();
                    }
                    let resp = ui.add_sized(
                        [ui.available_width(), 24.0],
                        egui::Button::selectable(self.queue == q, text),
                    );
                    if resp.clicked() && self.queue != q {
                        self.queue = q;
                        self.dirty = true;
                    }
                }
            });
        if self.selected.is_some() {
            egui::Panel::right("detail")
                .resizable(true)
                .default_size(560.0)
                .min_size(420.0)
                .show(ui, |ui| {
                    let Some(detail) = self.detail.as_mut() else {
                        return;
                    };
                    out.extend(detail.ui(ui, cx));
                    if detail.closed() {
                        self.detail = None;
                        self.selected = None;
                    }
                });
        }
        egui::CentralPanel::default().show(ui, |ui| self.table(ui, cx, &mut out));
        out
    }

    fn table(&mut self, ui: &mut egui::Ui, cx: &ViewCx, out: &mut Vec<Intent>) {
        let lang = cx.lang;
        let now = cx.now();
        ui.horizontal(|ui| {
            ui.heading(self.queue.label(lang));
            ui.label(format!("{} {}", self.rows.len(), lang.t("件", "cases")));
            ui.separator();
            let before = self.light;
            for (pick, zh, en) in [
                (LightPick::Any, "全部", "All"),
                (LightPick::Red, "红灯", "Red"),
                (LightPick::Yellow, "黄灯", "Yellow"),
                (LightPick::Green, "绿灯", "Green"),
            ] {
                ui.selectable_value(&mut self.light, pick, lang.t(zh, en));
            }
            if self.light != before {
                self.dirty = true;
            }
            ui.separator();
            let resp = ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text(lang.t("搜索编号/地址/描述", "Search number/address/text"))
                    .desired_width(200.0),
            );
            if resp.changed() {
                self.dirty = true;
            }
            if let Some(g) = self.grid.clone() {
                let name = cx
                    .node
                    .engine
                    .district
                    .grid(&g)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| g.as_str().to_string());
                if ui
                    .button(format!("{} {name} ×", lang.t("网格", "Grid")))
                    .on_hover_text(lang.t("清除网格筛选", "Clear the grid filter"))
                    .clicked()
                {
                    self.grid = None;
                    self.dirty = true;
                }
            }
        });
        ui.separator();
        let node = cx.node;
        let district = &node.engine.district;
        let n = self.rows.len();
        if n == 0 {
            ui.label(lang.t("此队列没有案件", "Nothing in this queue"));
            return;
        }
        let reader = node.engine.store.read().ok();
        let mut open: Option<CaseId> = None;
        let row_h = 22.0;
        // A click anywhere on a row opens the case: cell text must not take it for selection.
        ui.style_mut().interaction.selectable_labels = false;
        let mut builder = TableBuilder::new(ui);
        if let Some(y) = self.scroll_to.take() {
            builder = builder.vertical_scroll_offset(y);
        }
        builder
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(18.0))
            .column(Column::initial(150.0).resizable(true))
            .column(Column::initial(64.0))
            .column(Column::initial(110.0).resizable(true))
            .column(Column::initial(220.0).resizable(true).clip(true))
            .column(Column::initial(110.0).resizable(true).clip(true))
            .column(Column::initial(90.0))
            .column(Column::remainder())
            .header(22.0, |mut h| {
                for (zh, en) in [
                    ("灯", "●"),
                    ("案卷编号", "Number"),
                    ("状态", "State"),
                    ("类别", "Category"),
                    ("地址", "Address"),
                    ("责任单位", "Holder"),
                    ("上报", "Reported"),
                    ("剩余时限", "Time left"),
                ] {
                    h.col(|ui| {
                        ui.strong(lang.t(zh, en));
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, n, |mut row| {
                    let i = row.index();
                    let id = self.rows[i].1.clone();
                    if !self.cache.contains_key(&id)
                        && let Some(Ok(Some(s))) = reader.as_ref().map(|r| r.summary(&id))
                    {
                        self.cache.insert(id.clone(), s);
                    }
                    let selected = self.selected.as_ref() == Some(&id);
                    row.set_selected(selected);
                    let Some(s) = self.cache.get(&id) else {
                        row.col(|_| {});
                        row.col(|ui| {
                            ui.label(lang.t("（已移出）", "(gone)"));
                        });
                        return;
                    };
                    let light = s.light(now);
                    row.col(|ui| {
                        crate::views::light_dot(ui, light);
                    });
                    row.col(|ui| {
                        if s.lane.is_some() || s.incident.is_some() {
                            ui.label(
                                RichText::new(lang.t("急", "E"))
                                    .color(Color32::WHITE)
                                    .background_color(EMERGENCY_RED)
                                    .strong(),
                            )
                            .on_hover_text(lang.t(
                                "应急通道：按应急预案时限办理",
                                "Emergency lane: on the plan's short limits",
                            ));
                        }
                        let mut t = RichText::new(&s.number).monospace();
                        if s.conflict {
                            t = t.color(Color32::from_rgb(200, 90, 0));
                        }
                        ui.label(t);
                    });
                    row.col(|ui| {
                        ui.label(match lang {
                            Lang::Zh => s.state.label_zh(),
                            Lang::En => s.state.label_en(),
                        });
                    });
                    row.col(|ui| {
                        let name = district_category(&node.engine, s.category.as_str());
                        ui.label(name);
                    });
                    row.col(|ui| {
                        ui.label(&s.address);
                    });
                    row.col(|ui| {
                        ui.label(unit_name(district, &s.holder));
                    });
                    row.col(|ui| {
                        ui.label(fmt_time(s.reported));
                    });
                    row.col(|ui| {
                        let left = s
                            .due
                            .map(|d| fmt_span(d - now))
                            .unwrap_or_else(|| "—".into());
                        ui.colored_label(light_color(light), left);
                    });
                    if row.response().clicked() {
                        open = Some(id);
                    }
                });
            });
        if let Some(id) = open {
            out.push(Intent::OpenCase(id));
        }
    }
}

/// The category's name for a table cell.
fn district_category(engine: &Engine, code: &str) -> String {
    engine
        .catalogue
        .require(code)
        .map(|c| c.name.clone())
        .unwrap_or_else(|_| code.to_string())
}
