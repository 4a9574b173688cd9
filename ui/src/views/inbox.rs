//! 工作台 inbox: the queues of this unit with their counts, filters and search, and a
//! virtualized table that reads only the rows on screen.

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};
use gridloop_core::calendar::{Light, Millis};
use gridloop_core::case::CaseId;
use gridloop_core::store::{Reader, StoreError};
use gridloop_core::unit::{District, UnitId};

use crate::i18n::Lang;
use crate::queue::{self, Queue};
use crate::views::{EMERGENCY_RED, fmt_span, fmt_time, light_color, unit_name};
use crate::workstation::{Filters, LightPick, Workstation};

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

/// Draws the inbox: queues on the left, the table in the middle, the open case on the right.
pub fn show(ws: &mut Workstation, ui: &mut egui::Ui) {
    let lang = ws.lang;
    egui::Panel::left("queues")
        .resizable(false)
        .default_size(150.0)
        .show(ui, |ui| {
            ui.add_space(4.0);
            ui.strong(lang.t("待办队列", "Queues"));
            ui.add_space(4.0);
            for q in Queue::ALL {
                let n = ws.inbox.counts.get(&q).copied().unwrap_or(0);
                let mut text = if q == Queue::AllOpen {
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
                    egui::Button::selectable(ws.inbox.queue == q, text),
                );
                if resp.clicked() && ws.inbox.queue != q {
                    ws.inbox.queue = q;
                    ws.inbox.dirty = true;
                }
            }
        });
    if ws.inbox.selected.is_some() {
        egui::Panel::right("detail")
            .resizable(true)
            .default_size(560.0)
            .min_size(420.0)
            .show(ui, |ui| crate::views::detail::show(ws, ui));
    }
    egui::CentralPanel::default().show(ui, |ui| table(ws, ui, lang));
}

fn table(ws: &mut Workstation, ui: &mut egui::Ui, lang: Lang) {
    let now = ws.now();
    ui.horizontal(|ui| {
        ui.heading(ws.inbox.queue.label(lang));
        ui.label(format!("{} {}", ws.inbox.rows.len(), lang.t("件", "cases")));
        ui.separator();
        let before = ws.inbox.light;
        for (pick, zh, en) in [
            (LightPick::Any, "全部", "All"),
            (LightPick::Red, "红灯", "Red"),
            (LightPick::Yellow, "黄灯", "Yellow"),
            (LightPick::Green, "绿灯", "Green"),
        ] {
            ui.selectable_value(&mut ws.inbox.light, pick, lang.t(zh, en));
        }
        if ws.inbox.light != before {
            ws.inbox.dirty = true;
        }
        ui.separator();
        let resp = ui.add(
            egui::TextEdit::singleline(&mut ws.inbox.search)
                .hint_text(lang.t("搜索编号/地址/描述", "Search number/address/text"))
                .desired_width(200.0),
        );
        if resp.changed() {
            ws.inbox.dirty = true;
        }
        if let Some(g) = ws.inbox.grid.clone() {
            let name = ws
                .node()
                .and_then(|n| n.engine.district.grid(&g).map(|c| c.name.clone()))
                .unwrap_or_else(|| g.as_str().to_string());
            if ui
                .button(format!("{} {name} ×", lang.t("网格", "Grid")))
                .on_hover_text(lang.t("清除网格筛选", "Clear the grid filter"))
                .clicked()
            {
                ws.inbox.grid = None;
                ws.inbox.dirty = true;
            }
        }
    });
    ui.separator();
    let Some(node) = ws.node().cloned() else {
        return;
    };
    let district = &node.engine.district;
    let n = ws.inbox.rows.len();
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
    if let Some(y) = ws.inbox.scroll_to.take() {
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
                let id = ws.inbox.rows[i].1.clone();
                if !ws.inbox.cache.contains_key(&id)
                    && let Some(Ok(Some(s))) = reader.as_ref().map(|r| r.summary(&id))
                {
                    ws.inbox.cache.insert(id.clone(), s);
                }
                let selected = ws.inbox.selected.as_ref() == Some(&id);
                row.set_selected(selected);
                let Some(s) = ws.inbox.cache.get(&id) else {
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
        ws.open_case(id);
    }
}

/// The category's name for a table cell.
fn district_category(engine: &gridloop_core::engine::Engine, code: &str) -> String {
    engine
        .catalogue
        .require(code)
        .map(|c| c.name.clone())
        .unwrap_or_else(|_| code.to_string())
}

impl Workstation {
    /// Opens a case in the detail panel (a case already open stays as it is, with its
    /// dialog; while a dialog is open no other case is opened).
    pub fn open_case(&mut self, id: CaseId) {
        self.view = crate::workstation::View::Inbox;
        if let Some(d) = &self.detail
            && (d.id == id || d.has_dialog())
        {
            return;
        }
        self.inbox.selected = Some(id.clone());
        self.detail = Some(crate::views::detail::Detail::new(id));
    }
}
