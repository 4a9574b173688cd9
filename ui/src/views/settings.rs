//! 设置 settings: node identity and unit, the district's units, language and data directory.

use crate::context::ViewCx;
use crate::i18n::Lang;
use crate::intent::Intent;
use crate::views::unit_name;

/// The 设置 view (it keeps no state of its own).
#[derive(Default)]
pub struct Settings;

impl Settings {
    /// Draws the settings view; returns the language the operator picked.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        let node = cx.node;
        let mut pick = lang;
        let engine = &node.engine;
        let d = &engine.district;
        ui.heading(lang.t("设置", "Settings"));
        egui::Grid::new("identity")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                ui.label(lang.t("节点", "Node"));
                ui.monospace(&node.name);
                ui.end_row();
                ui.label(lang.t("单位", "Unit"));
                ui.label(format!("{} ({})", node.label, node.unit.0));
                ui.end_row();
                if let Some(p) = d.parent(&node.unit) {
                    ui.label(lang.t("上级", "Parent"));
                    ui.label(unit_name(d, p));
                    ui.end_row();
                }
                ui.label(lang.t("存储", "Store"));
                ui.monospace(engine.store.path().display().to_string());
                ui.end_row();
                ui.label(lang.t("数据目录", "Data directory"));
                ui.monospace(
                    engine
                        .store
                        .path()
                        .parent()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                );
                ui.end_row();
                if let Ok(epoch) = engine.store.epoch() {
                    ui.label(lang.t("日志纪元", "Log epoch"));
                    ui.monospace(epoch);
                    ui.end_row();
                }
                ui.label(lang.t("界面语言", "Language"));
                ui.horizontal(|ui| {
                    ui.radio_value(&mut pick, Lang::Zh, "中文");
                    ui.radio_value(&mut pick, Lang::En, "English");
                });
                ui.end_row();
            });
        ui.separator();
        ui.strong(lang.t("区域单位（名册）", "District units (roster)"));
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("units")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for u in d.units() {
                        ui.label(&u.name);
                        ui.label(match lang {
                            Lang::Zh => d.levels().label(u.kind),
                            Lang::En => u.kind.label_en(),
                        });
                        ui.monospace(&u.id.0);
                        ui.end_row();
                    }
                });
        });
        if pick != lang {
            vec![Intent::SetLang(pick)]
        } else {
            Vec::new()
        }
    }
}
