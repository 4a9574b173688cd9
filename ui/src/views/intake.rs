//! 新建 intake: source, category picker (search by name or code), grid picker, address,
//! description, reporter; duplicate suggestions before saving.

use egui::{Color32, RichText};
use gridloop_core::domain::intake::{Demand, Reporter, Source};
use gridloop_core::domain::unit::{GridCode, UnitKind};
use gridloop_core::engine::NewCase;
use gridloop_core::store::CaseSummary;

use crate::context::ViewCx;
use crate::intent::{Intent, Outcome, Write};
use crate::views::{fmt_time, unit_name};

/// The 新建 view: the intake form's fields (新建表单).
#[derive(Default)]
pub struct IntakeForm {
    /// 问题来源.
    pub source: Option<Source>,
    /// 诉求类型 of a 12345 case (接诉即办); 投诉 when not chosen.
    pub demand: Option<Demand>,
    /// Category search text.
    pub category_query: String,
    /// Chosen category code.
    pub category: Option<String>,
    /// Grid search text.
    pub grid_query: String,
    /// Chosen grid.
    pub grid: Option<GridCode>,
    /// 地址.
    pub address: String,
    /// 描述.
    pub description: String,
    /// 反映人姓名.
    pub reporter_name: String,
    /// 反映人电话.
    pub reporter_phone: String,
    /// 演练案件.
    pub drill: bool,
    /// Left out of the emergency lane (in 战时 a new case joins the most severe incident's
    /// lane unless this is ticked off).
    pub outside_lane: bool,
    /// Duplicate suggestions, with the key they were computed for.
    duplicates: Option<(String, Vec<CaseSummary>)>,
    /// What went wrong at the last save.
    pub error: Option<String>,
}

/// Days back the duplicate check looks (近几日).
pub const DUPLICATE_DAYS: i64 = 7;

/// Cases that may be the same problem: same category on the same grid, or the same address,
/// reported in the last [`DUPLICATE_DAYS`] days.
pub fn duplicates(
    engine: &gridloop_core::engine::Engine,
    category: Option<&str>,
    grid: Option<&GridCode>,
    address: &str,
    now: i64,
) -> Vec<CaseSummary> {
    let Ok(r) = engine.store.read() else {
        return Vec::new();
    };
    let from = now - DUPLICATE_DAYS * 86_400_000;
    let mut out: Vec<CaseSummary> = Vec::new();
    if let Some(g) = grid
        && let Ok(rows) = r.by_grid(g, from, now + 1, 500)
    {
        out.extend(rows.into_iter().filter(|s| {
            category.is_some_and(|c| s.category.as_str() == c)
                || (!address.trim().is_empty() && s.address == address.trim())
        }));
    }
    if let Some(c) = category
        && !address.trim().is_empty()
        && let Ok(code) = engine.catalogue.require(c)
        && let Ok(rows) = r.by_category(&code.code, from, now + 1, 2000)
    {
        for s in rows.into_iter().filter(|s| s.address == address.trim()) {
            if !out.iter().any(|o| o.id == s.id) {
                out.push(s);
            }
        }
    }
    out.truncate(20);
    out
}

impl IntakeForm {
    /// Draws the intake form; returns the report the operator made, or the case they opened.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        let node = cx.node;
        let engine = node.engine.clone();
        let d = &engine.district;
        let now = cx.now();
        ui.heading(lang.t("新建案件", "New case"));
        let lane_name = cx
            .mode
            .lead()
            .map(|(_, i)| format!("{} {}", i.name, i.level_zh()));
        let f = &mut *self;
        let mut open = None;
        let mut save = false;
        egui::ScrollArea::vertical().show(ui, |ui| {
            egui::Grid::new("intake")
                .num_columns(2)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    ui.label(lang.t("问题来源", "Source"));
                    ui.horizontal_wrapped(|ui| {
                        for s in Source::ALL {
                            ui.radio_value(&mut f.source, Some(s), s.label_zh());
                        }
                    });
                    ui.end_row();
                    if f.source == Some(Source::Hotline) {
                        ui.label(lang.t("诉求类型", "Request type"));
                        ui.horizontal_wrapped(|ui| {
                            for d in Demand::ALL {
                                ui.radio_value(
                                    &mut f.demand,
                                    Some(d),
                                    lang.t(d.label_zh(), d.label_en()),
                                );
                            }
                        });
                        ui.end_row();
                    }

                    let l = ui.label(lang.t("类别", "Category"));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut f.category_query)
                                .hint_text(lang.t(
                                    "按名称或编码检索，如 暴露垃圾 / E0102",
                                    "Search by name or code",
                                ))
                                .desired_width(320.0),
                        )
                        .labelled_by(l.id);
                        if let Some(c) = &f.category {
                            let name = engine
                                .catalogue
                                .require(c)
                                .map(|m| m.name.clone())
                                .unwrap_or_default();
                            ui.label(RichText::new(format!("√ {c} {name}")).strong());
                        }
                        if !f.category_query.trim().is_empty() {
                            egui::ScrollArea::vertical()
                                .id_salt("cats")
                                .max_height(140.0)
                                .show(ui, |ui| {
                                    for c in engine
                                        .catalogue
                                        .search(&f.category_query)
                                        .into_iter()
                                        .take(40)
                                    {
                                        let code = c.code.as_str().to_string();
                                        let picked = f.category.as_deref() == Some(code.as_str());
                                        if ui
                                            .selectable_label(
                                                picked,
                                                format!("{code} {} （{}）", c.name, c.limit),
                                            )
                                            .clicked()
                                        {
                                            f.category = Some(code);
                                        }
                                    }
                                });
                        }
                    });
                    ui.end_row();

                    let l = ui.label(lang.t("网格", "Grid"));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut f.grid_query)
                                .hint_text(lang.t("检索网格名称或编码", "Search grid name or code"))
                                .desired_width(320.0),
                        )
                        .labelled_by(l.id);
                        if let Some(g) = &f.grid {
                            let name = d.grid(g).map(|c| c.name.clone()).unwrap_or_default();
                            ui.label(RichText::new(format!("√ {name} ({})", g.as_str())).strong());
                        }
                        let q = f.grid_query.trim();
                        let mine = |c: &&gridloop_core::domain::unit::GridCell| match node.kind() {
                            UnitKind::Community => c.community == node.unit,
                            UnitKind::Street => c.code.street() == node.unit,
                            _ => true,
                        };
                        egui::ScrollArea::vertical()
                            .id_salt("grids")
                            .max_height(120.0)
                            .show(ui, |ui| {
                                for c in d
                                    .grids()
                                    .filter(mine)
                                    .filter(|c| {
                                        q.is_empty()
                                            || c.name.contains(q)
                                            || c.code.as_str().contains(q)
                                    })
                                    .take(60)
                                {
                                    let picked = f.grid.as_ref() == Some(&c.code);
                                    if ui
                                        .selectable_label(
                                            picked,
                                            format!("{} ({})", c.name, c.code.as_str()),
                                        )
                                        .clicked()
                                    {
                                        f.grid = Some(c.code.clone());
                                    }
                                }
                            });
                    });
                    ui.end_row();

                    let l = ui.label(lang.t("地址", "Address"));
                    ui.add(egui::TextEdit::singleline(&mut f.address).desired_width(420.0))
                        .labelled_by(l.id);
                    ui.end_row();

                    let l = ui.label(lang.t("描述", "Description"));
                    ui.add(
                        egui::TextEdit::multiline(&mut f.description)
                            .desired_rows(3)
                            .desired_width(420.0),
                    )
                    .labelled_by(l.id);
                    ui.end_row();

                    ui.label(lang.t("反映人", "Reporter"));
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut f.reporter_name)
                                .hint_text(lang.t("姓名", "Name"))
                                .desired_width(120.0),
                        );
                        ui.add(
                            egui::TextEdit::singleline(&mut f.reporter_phone)
                                .hint_text(lang.t("电话", "Phone"))
                                .desired_width(160.0),
                        );
                    });
                    ui.end_row();

                    ui.label(lang.t("演练", "Drill"));
                    ui.checkbox(
                        &mut f.drill,
                        lang.t("演练案件（不计入考核）", "Drill case (not counted)"),
                    );
                    ui.end_row();

                    if let Some(name) = &lane_name {
                        ui.label(
                            RichText::new(lang.t("应急通道", "Emergency lane"))
                                .color(crate::views::EMERGENCY_RED),
                        );
                        let mut inside = !f.outside_lane;
                        ui.checkbox(
                            &mut inside,
                            format!(
                                "{}：{name}",
                                lang.t(
                                    "纳入应急事件，按预案时限办理",
                                    "Join the incident, on the plan's limits"
                                )
                            ),
                        );
                        f.outside_lane = !inside;
                        ui.end_row();
                    }
                });

            // Duplicate suggestions (疑似重复), recomputed when the key fields change.
            let key = format!("{:?}|{:?}|{}", f.category, f.grid, f.address.trim());
            if f.duplicates.as_ref().is_none_or(|(k, _)| *k != key) {
                let found = if f.category.is_some() || f.grid.is_some() {
                    duplicates(
                        &engine,
                        f.category.as_deref(),
                        f.grid.as_ref(),
                        &f.address,
                        now,
                    )
                } else {
                    Vec::new()
                };
                f.duplicates = Some((key, found));
            }
            if let Some((_, dups)) = &f.duplicates
                && !dups.is_empty()
            {
                ui.separator();
                ui.colored_label(
                    Color32::from_rgb(200, 120, 0),
                    format!(
                        "{} {}",
                        lang.t(
                            "疑似重复：近7日同类同网格或同地址的案件",
                            "Possible duplicates in the last 7 days:"
                        ),
                        dups.len()
                    ),
                );
                for s in dups {
                    ui.horizontal(|ui| {
                        if ui.link(&s.number).clicked() {
                            open = Some(s.id.clone());
                        }
                        ui.label(format!(
                            "{} · {} · {} · {}",
                            fmt_time(s.reported),
                            s.state.label_zh(),
                            s.address,
                            unit_name(d, &s.holder)
                        ));
                    });
                }
            }
            ui.separator();
            if let Some(e) = &f.error {
                ui.colored_label(Color32::RED, e);
            }
            if ui
                .button(RichText::new(lang.t("上报", "Report")).strong())
                .clicked()
            {
                save = true;
            }
        });
        if let Some(id) = open {
            return vec![Intent::OpenCase(id)];
        }
        if save {
            return self.submit(cx).into_iter().collect();
        }
        Vec::new()
    }

    /// The report the form makes, or `None` (and the form says what is missing).
    fn submit(&mut self, cx: &ViewCx) -> Option<Intent> {
        let lang = cx.lang;
        let actor = cx.actor();
        let lane = cx.lane();
        let f = self;
        let missing = [
            (f.source.is_none(), lang.t("问题来源", "source")),
            (f.category.is_none(), lang.t("类别", "category")),
            (f.grid.is_none(), lang.t("网格", "grid")),
        ]
        .into_iter()
        .filter(|(m, _)| *m)
        .map(|(_, n)| n)
        .collect::<Vec<_>>();
        if !missing.is_empty() {
            f.error = Some(format!(
                "{}：{}",
                lang.t("请选择", "Please choose"),
                missing.join("、")
            ));
            return None;
        }
        let reporter = (!f.reporter_name.trim().is_empty() || !f.reporter_phone.trim().is_empty())
            .then(|| Reporter {
                name: f.reporter_name.trim().to_string(),
                phone: f.reporter_phone.trim().to_string(),
            });
        let new = NewCase {
            source: f.source.map(|s| s.code().to_string()).unwrap_or_default(),
            category: f.category.clone().unwrap_or_default(),
            grid: f
                .grid
                .as_ref()
                .map(|g| g.as_str().to_string())
                .unwrap_or_default(),
            address: f.address.clone(),
            description: f.description.clone(),
            reporter,
            drill: f.drill,
            emergency: if f.outside_lane { None } else { lane },
            demand: f
                .demand
                .filter(|_| f.source == Some(Source::Hotline))
                .map(|d| d.code().to_string()),
            ..NewCase::default()
        };
        Some(Intent::Write(Write::Report {
            actor,
            case: Box::new(new),
        }))
    }

    /// What became of the report: a fresh form and the new case opened, or why not.
    pub fn settled(&mut self, write: &Write, outcome: &Outcome, cx: &ViewCx) -> Vec<Intent> {
        let Write::Report { .. } = write else {
            return Vec::new();
        };
        let lang = cx.lang;
        match outcome {
            Ok(s) => {
                *self = IntakeForm::default();
                vec![
                    Intent::notify(
                        format!("{}：{}", lang.t("已上报", "Reported"), s.number),
                        false,
                    ),
                    Intent::OpenCase(s.id.clone()),
                ]
            }
            Err(e) => {
                self.error = Some(format!("{}：{e}", lang.t("未能上报", "Not reported")));
                Vec::new()
            }
        }
    }
}
