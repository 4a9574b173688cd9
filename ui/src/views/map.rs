//! 地图 map: the district's grid cells drawn schematically (no internet tiles), coloured by
//! open and overdue cases; clicking a cell filters the inbox to it.

use std::collections::HashMap;

use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};
use gridloop_core::domain::unit::{GridCode, UnitKind};

use crate::context::ViewCx;
use crate::intent::Intent;
use crate::queue::Queue;
use crate::views::light_color;

/// The 地图 view: the scene's view rectangle and the counts per cell.
pub struct MapState {
    /// The part of the schematic plane on screen.
    pub scene: Rect,
    /// Open and overdue cases per grid cell.
    pub counts: HashMap<GridCode, (u32, u32)>,
    /// Counts need reading again.
    pub stale: bool,
    loaded: bool,
    loading: Option<std::sync::mpsc::Receiver<HashMap<GridCode, (u32, u32)>>>,
}

impl Default for MapState {
    fn default() -> Self {
        MapState {
            // An empty rectangle: the scene fits itself to the cells on first draw.
            scene: Rect::ZERO,
            counts: HashMap::new(),
            stale: true,
            loaded: false,
            loading: None,
        }
    }
}

/// Side of a cell on the schematic plane (0..1000).
const CELL: f32 = 16.0;

/// Reads open and overdue counts per cell from the open-case index (cases with a running
/// clock), visible at this node.
fn count(engine: &gridloop_core::engine::Engine, now: i64) -> HashMap<GridCode, (u32, u32)> {
    let mut out: HashMap<GridCode, (u32, u32)> = HashMap::new();
    let Ok(r) = engine.store.read() else {
        return out;
    };
    if let Ok(rows) = r.overdue(i64::MAX, &|_| true, 200_000) {
        for s in rows {
            let e = out.entry(s.grid.clone()).or_default();
            e.0 += 1;
            if s.overdue(now) {
                e.1 += 1;
            }
        }
    }
    out
}

impl MapState {
    /// Counts must be read again (the queues were).
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// Draws the map; a click on a cell asks for the 工作台 filtered to it.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        // Counting reads every open case's row: done on a background thread, shown when ready.
        if let Some(rx) = &self.loading
            && let Ok(counts) = rx.try_recv()
        {
            self.counts = counts;
            self.loading = None;
            self.loaded = true;
        }
        if (self.stale || !self.loaded) && self.loading.is_none() {
            let engine = cx.node.engine.clone();
            let now = cx.now();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(count(&engine, now));
            });
            self.loading = Some(rx);
            self.stale = false;
        }
        let node = cx.node;
        let d = &node.engine.district;
        ui.horizontal(|ui| {
            ui.heading(lang.t("网格地图", "Grid map"));
            ui.label(lang.t(
                "颜色深浅＝在办案件数，红框＝有超时案件；点击网格筛选工作台",
                "Shade = open cases, red outline = overdue; click a cell to filter the inbox",
            ));
        });
        let max = self.counts.values().map(|c| c.0).max().unwrap_or(1).max(1) as f32;
        let mut clicked: Option<GridCode> = None;
        let scene = egui::Scene::new().zoom_range(0.2..=8.0);
        let mut rect = self.scene;
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            // First draw: fit the whole district.
            let mut bounds = Rect::NOTHING;
            for g in d.grids() {
                bounds.extend_with(Pos2::new(g.x, g.y));
            }
            rect = bounds.expand(30.0);
        }
        let dark = ui.visuals().dark_mode;
        let text_color = ui.visuals().strong_text_color();
        scene.show(ui, &mut rect, |ui| {
            let painter = ui.painter().clone();
            // Community names at the centre of their cells.
            let mut centres: HashMap<&str, (f32, f32, u32)> = HashMap::new();
            for g in d.grids() {
                let r = Rect::from_center_size(Pos2::new(g.x, g.y), Vec2::splat(CELL));
                let (open, overdue) = self.counts.get(&g.code).copied().unwrap_or((0, 0));
                let mine = match node.kind() {
                    UnitKind::Community => g.community == node.unit,
                    UnitKind::Street => g.code.street() == node.unit,
                    _ => true,
                };
                let t = open as f32 / max;
                let fill = if open == 0 {
                    match (dark, mine) {
                        (true, true) => Color32::from_gray(72),
                        (true, false) => Color32::from_gray(48),
                        (false, true) => Color32::from_gray(215),
                        (false, false) => Color32::from_gray(238),
                    }
                } else {
                    // From pale yellow (one case) to deep orange (the busiest cell).
                    Color32::from_rgb(
                        (250.0 - 25.0 * t) as u8,
                        (215.0 - 135.0 * t) as u8,
                        (120.0 - 95.0 * t) as u8,
                    )
                };
                painter.rect_filled(r, 2.0, fill);
                let stroke = if overdue > 0 {
                    Stroke::new(
                        2.0,
                        light_color(gridloop_core::domain::calendar::Light::Red),
                    )
                } else if mine {
                    Stroke::new(1.0, Color32::from_gray(140))
                } else {
                    Stroke::new(0.5, Color32::from_gray(100))
                };
                painter.rect_stroke(r, 2.0, stroke, egui::StrokeKind::Inside);
                let resp = ui
                    .interact(r, ui.scope_id().with(g.code.as_str()), Sense::click())
                    .on_hover_text(format!(
                        "{}\n{} {open} · {} {overdue}",
                        g.name,
                        lang.t("在办", "open"),
                        lang.t("超时", "overdue")
                    ));
                if resp.clicked() {
                    clicked = Some(g.code.clone());
                }
                let c = centres.entry(g.community.as_str()).or_insert((0.0, 0.0, 0));
                c.0 += g.x;
                c.1 += g.y;
                c.2 += 1;
            }
            for (id, (x, y, n)) in centres {
                let name = d
                    .unit(&gridloop_core::domain::unit::UnitId(id.to_string()))
                    .map(|u| u.name.as_str())
                    .unwrap_or(id);
                painter.text(
                    Pos2::new(x / n as f32, y / n as f32),
                    egui::Align2::CENTER_CENTER,
                    name,
                    egui::FontId::proportional(7.0),
                    text_color,
                );
            }
        });
        self.scene = rect;
        match clicked {
            Some(g) => vec![Intent::FilterGrid(g), Intent::ShowQueue(Queue::InArea)],
            None => Vec::new(),
        }
    }
}
