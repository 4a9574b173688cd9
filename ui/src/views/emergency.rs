//! 应急 (平战一体): the node's mode, every emergency incident it holds, and for the one
//! selected its plan checklist (预案落实), summons and report-ins (调度/报到), resources,
//! its priority lane and the stand-down (解除). Command staff open an incident under a
//! plan (启动预案) from here.

use std::collections::BTreeSet;

use egui::{Color32, RichText};
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::emergency::{Incident, Plans, level_zh};
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::{UnitId, UnitKind};
use gridloop_core::store::CaseSummary;
use gridloop_core::workflow::Summons;

use crate::context::ViewCx;
use crate::intent::{Intent, Outcome, Write};
use crate::node::NodeHandle;
use crate::queue::Queue;
use crate::views::{EMERGENCY_RED, fmt_span, fmt_time, unit_name};

/// The form that opens an incident (启动应急预案).
#[derive(Clone, Debug, Default)]
pub struct StartForm {
    /// The plan's id.
    pub plan: String,
    /// Response level 1–4.
    pub level: u8,
    /// Units put in 战时.
    pub area: BTreeSet<UnitId>,
    /// What is happening.
    pub description: String,
    /// A drill incident.
    pub drill: bool,
    /// Why the last try failed.
    pub error: Option<String>,
}

/// The 应急 view: the incident shown, the forms, the plans.
#[derive(Default)]
pub struct EmergencyState {
    /// The incident shown.
    pub selected: Option<CaseId>,
    /// The start form, while open.
    pub form: Option<StartForm>,
    /// Units ticked in the summons form.
    pub summon: BTreeSet<UnitId>,
    /// Resources ticked in the summons form.
    pub resources: BTreeSet<String>,
    /// The stand-down note.
    pub note: String,
    /// The plans (bundled, plus `plans.toml` beside the store), read once.
    plans: Option<Plans>,
    /// The selected incident's summons, with the store head they were read at.
    summons: Option<(CaseId, u64, Vec<Summons>)>,
}

/// Whether the operator's role opens, summons for and stands down incidents here.
fn commands(kind: UnitKind, role: Role) -> bool {
    gridloop_core::domain::emergency::command_roles(kind).contains(&role)
}

/// A move on an incident as the operator, for the shell to make.
fn act(cx: &ViewCx, id: &CaseId, action: Action) -> Intent {
    Intent::Write(Write::Act {
        case: id.clone(),
        actor: cx.actor(),
        action,
    })
}

impl EmergencyState {
    /// Shows incident `id` (from the 战时 banner).
    pub fn select(&mut self, id: CaseId) {
        self.selected = Some(id);
    }

    /// What became of a move or an opening this view asked for: the status bar says so, and
    /// the form it came from is cleared (or shows why not).
    pub fn settled(&mut self, write: &Write, outcome: &Outcome, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        match (write, outcome) {
            (Write::Act { action, .. }, Ok(s)) => {
                match action {
                    Action::Summon { .. } => {
                        self.summon.clear();
                        self.resources.clear();
                    }
                    Action::StandDown { .. } => self.note.clear(),
                    _ => {}
                }
                vec![Intent::notify(
                    format!("{}：{}", action.label_zh(), s.number),
                    false,
                )]
            }
            (Write::Act { action, .. }, Err(e)) => vec![Intent::notify(
                format!("{} {}: {e}", action.label_zh(), lang.t("被拒绝", "refused")),
                true,
            )],
            (Write::OpenIncident { plan, .. }, Ok(row)) => {
                self.form = None;
                self.selected = Some(row.id.clone());
                vec![Intent::notify(
                    format!(
                        "{}：{} {}",
                        lang.t("已进入战时", "Emergency opened"),
                        plan.name,
                        row.number
                    ),
                    false,
                )]
            }
            (Write::OpenIncident { .. }, Err(e)) => {
                if let Some(f) = self.form.as_mut() {
                    f.error = Some(e.clone());
                }
                Vec::new()
            }
            (Write::Report { .. }, _) => Vec::new(),
        }
    }

    /// Draws the 应急 view.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        let node = cx.node;
        let mut out = Vec::new();
        if self.plans.is_none() {
            let dir = node
                .engine
                .store
                .path()
                .parent()
                .unwrap_or(std::path::Path::new("."));
            let base = match node.engine.config_at(cx.now()) {
                Some(c) => c.plans.clone(),
                None => Plans::builtin(),
            };
            match Plans::with_local(&base, dir) {
                Ok(p) => self.plans = Some(p),
                Err(e) => {
                    out.push(Intent::notify(format!("预案文件有误 plan file: {e}"), true));
                    self.plans = Some(base);
                }
            }
        }
        let emergency = cx.mode.emergency();
        let rows = cx.incidents.to_vec();
        ui.horizontal(|ui| {
            ui.heading(lang.t("应急指挥（平战一体）", "Emergency command"));
            ui.separator();
            if emergency {
                ui.label(
                    RichText::new(lang.t("战时", "EMERGENCY"))
                        .color(Color32::WHITE)
                        .background_color(EMERGENCY_RED)
                        .strong(),
                );
            } else {
                ui.label(
                    RichText::new(lang.t("平时", "NORMAL"))
                        .color(Color32::WHITE)
                        .background_color(Color32::from_rgb(40, 140, 60))
                        .strong(),
                );
            }
            if commands(node.kind(), cx.role)
                && self.form.is_none()
                && ui
                    .button(lang.t("启动应急预案…", "Open an incident…"))
                    .clicked()
            {
                let plans = self.plans.as_ref().expect("read above");
                let first = &plans.plans[0];
                self.form = Some(StartForm {
                    plan: first.id.clone(),
                    level: first.level,
                    area: [node.unit.clone()].into_iter().collect(),
                    ..StartForm::default()
                });
            }
            if ui
                .button(lang.t("应急通道案件", "Cases in the lane"))
                .on_hover_text(lang.t("在工作台查看应急队列", "Show the emergency queue"))
                .clicked()
            {
                out.push(Intent::ShowQueue(Queue::Emergency));
            }
        });
        ui.separator();
        if self.form.is_some() {
            self.start_form(ui, cx, &mut out);
            ui.separator();
        }
        if self.selected.is_none() {
            self.selected = rows
                .iter()
                .find(|r| r.incident.as_ref().is_some_and(|i| i.active()))
                .or(rows.first())
                .map(|r| r.id.clone());
        }
        egui::Panel::left("incidents")
            .resizable(true)
            .default_size(300.0)
            .min_size(240.0)
            .show(ui, |ui| {
                ui.strong(lang.t("应急事件", "Incidents"));
                if rows.is_empty() {
                    ui.label(lang.t("本节点没有应急事件", "No incident on this node"));
                }
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for r in &rows {
                        let Some(i) = &r.incident else { continue };
                        let (done, all) = i.progress();
                        let text = format!(
                            "{} {} {}\n{} · {} {done}/{all}",
                            if i.active() { "●" } else { "○" },
                            i.name,
                            i.level_zh(),
                            fmt_time(i.since),
                            if i.active() {
                                lang.t("进行中", "open")
                            } else {
                                lang.t("已解除", "stood down")
                            },
                        );
                        let on = self.selected.as_ref() == Some(&r.id);
                        let mut t = RichText::new(text);
                        // Red marks an open incident; the selected row keeps the selection's
                        // contrast.
                        if i.active() && !on {
                            t = t.color(EMERGENCY_RED);
                        }
                        if ui.selectable_label(on, t).clicked() {
                            self.selected = Some(r.id.clone());
                            self.summon.clear();
                            self.resources.clear();
                        }
                    }
                });
            });
        let Some(row) = self
            .selected
            .as_ref()
            .and_then(|id| rows.iter().find(|r| &r.id == id))
            .cloned()
        else {
            return out;
        };
        let Some(incident) = row.incident.clone() else {
            return out;
        };
        egui::ScrollArea::vertical().show(ui, |ui| {
            self.incident_panel(ui, cx, node, &row, &incident, &mut out)
        });
        out
    }

    fn start_form(&mut self, ui: &mut egui::Ui, cx: &ViewCx, out: &mut Vec<Intent>) {
        let lang = cx.lang;
        let node = cx.node;
        let plans = self.plans.clone().expect("read before");
        let Some(form) = self.form.as_mut() else {
            return;
        };
        let district = &node.engine.district;
        let mut submit = false;
        let mut cancel = false;
        egui::Grid::new("start_form")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label(lang.t("预案", "Plan"));
                let before = form.plan.clone();
                egui::ComboBox::from_id_salt("plan")
                    .selected_text(
                        plans
                            .get(&form.plan)
                            .map(|p| p.name.clone())
                            .unwrap_or_default(),
                    )
                    .width(280.0)
                    .show_ui(ui, |ui| {
                        for p in &plans.plans {
                            ui.selectable_value(&mut form.plan, p.id.clone(), &p.name);
                        }
                    });
                if form.plan != before
                    && let Some(p) = plans.get(&form.plan)
                {
                    form.level = p.level;
                }
                ui.end_row();
                ui.label(lang.t("响应级别", "Level"));
                ui.horizontal(|ui| {
                    for l in 1..=4u8 {
                        ui.selectable_value(&mut form.level, l, level_zh(l));
                    }
                });
                ui.end_row();
            });
        // The area below the grid: wrapped rows inside a grid cell are not given their height.
        ui.label(lang.t("战时范围", "Area"));
        ui.horizontal_wrapped(|ui| {
            let mut units = vec![node.unit.clone()];
            units.extend(
                district
                    .children(&node.unit)
                    .into_iter()
                    .filter(|c| c.kind != UnitKind::Department)
                    .map(|c| c.id.clone()),
            );
            for u in units {
                let mut on = form.area.contains(&u);
                if ui.checkbox(&mut on, unit_name(district, &u)).changed() {
                    if on {
                        form.area.insert(u);
                    } else {
                        form.area.remove(&u);
                    }
                }
            }
        });
        egui::Grid::new("start_form_more")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label(lang.t("情况描述", "What is happening"));
                ui.add(
                    egui::TextEdit::multiline(&mut form.description)
                        .desired_rows(2)
                        .desired_width(420.0),
                )
                .labelled_by(l.id);
                ui.end_row();
                ui.label(lang.t("演练", "Drill"));
                ui.checkbox(
                    &mut form.drill,
                    lang.t("演练事件（不计入考核）", "Drill (not counted)"),
                );
                ui.end_row();
            });
        if let Some(p) = plans.get(&form.plan) {
            ui.label(format!(
                "{} {} {} · {}：{} {} {} / {} {} {}",
                lang.t("预案清单", "Checklist of"),
                p.checklist.len(),
                lang.t("项", "items"),
                lang.t("应急时限", "Emergency limits"),
                lang.t("受理", "accept"),
                p.limits.accept,
                lang.t("分钟", "min"),
                lang.t("处置", "handle"),
                p.limits.handle,
                lang.t("分钟", "min"),
            ));
        }
        if let Some(e) = &form.error {
            ui.colored_label(Color32::RED, e);
        }
        ui.horizontal(|ui| {
            let b = egui::Button::new(
                RichText::new(lang.t("启动（进入战时）", "Open (emergency mode)"))
                    .color(Color32::WHITE),
            )
            .fill(EMERGENCY_RED);
            submit = ui.add(b).clicked();
            cancel = ui.button(lang.t("取消", "Cancel")).clicked();
        });
        if cancel {
            self.form = None;
            return;
        }
        if !submit {
            return;
        }
        let form = form.clone();
        let Some(plan) = plans.get(&form.plan) else {
            return;
        };
        let fail = |me: &mut EmergencyState, e: String| {
            if let Some(f) = me.form.as_mut() {
                f.error = Some(e);
            }
        };
        if form.description.trim().is_empty() {
            return fail(
                self,
                lang.t("请描述情况", "Describe what is happening").into(),
            );
        }
        if form.area.is_empty() {
            return fail(self, lang.t("请选择战时范围", "Choose the area").into());
        }
        let area: Vec<UnitId> = form.area.iter().cloned().collect();
        let Some(grid) = district.first_grid(&area[0]).map(|g| g.code.to_string()) else {
            return fail(self, "no grid in the area".into());
        };
        let actor = cx.actor();
        let address = unit_name(district, &area[0]);
        out.push(Intent::Write(Write::OpenIncident {
            actor,
            plan: Box::new(plan.clone()),
            level: form.level,
            area,
            grid,
            address,
            description: form.description.trim().to_string(),
            drill: form.drill,
        }));
    }

    fn incident_panel(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCx,
        node: &NodeHandle,
        row: &CaseSummary,
        i: &Incident,
        out: &mut Vec<Intent>,
    ) {
        let lang = cx.lang;
        let now = cx.now();
        let district = &node.engine.district;
        let can_command = commands(node.kind(), cx.role);
        ui.horizontal(|ui| {
            ui.heading(format!("{} {}", i.name, i.level_zh()));
            if row.drill {
                ui.label(
                    RichText::new(lang.t("演练", "drill")).color(Color32::from_rgb(120, 80, 200)),
                );
            }
        });
        let area: Vec<String> = i.area.iter().map(|u| unit_name(district, u)).collect();
        let span = i.ended.unwrap_or(now) - i.since;
        ui.label(format!(
            "{} {} · {} {} · {} {} · {} {}",
            lang.t("案卷", "Case"),
            row.number,
            lang.t("开始", "since"),
            fmt_time(i.since),
            if i.active() {
                lang.t("已持续", "running for")
            } else {
                lang.t("历时", "lasted")
            },
            fmt_span(span),
            lang.t("范围", "area"),
            area.join("、")
        ));
        if let Some(t) = i.ended {
            ui.colored_label(
                Color32::from_rgb(40, 140, 60),
                format!(
                    "{} {}",
                    lang.t("已解除，回到平时：", "Stood down at"),
                    fmt_time(t)
                ),
            );
        }
        ui.add_space(6.0);
        let (done, all) = i.progress();
        ui.horizontal(|ui| {
            ui.strong(lang.t("预案清单", "Plan checklist"));
            ui.add(
                egui::ProgressBar::new(if all == 0 {
                    0.0
                } else {
                    done as f32 / all as f32
                })
                .text(format!("{done}/{all}"))
                .desired_width(200.0),
            );
        });
        let mut tick: Option<u32> = None;
        for (k, item) in i.checklist.iter().enumerate() {
            ui.horizontal(|ui| match &item.done {
                Some((t, u)) => {
                    ui.label(RichText::new("√").color(Color32::from_rgb(40, 140, 60)));
                    ui.label(format!("{}. {}", k + 1, item.text));
                    ui.weak(format!("— {} {}", unit_name(district, u), fmt_time(*t)));
                }
                None => {
                    ui.label("□");
                    ui.label(format!("{}. {}", k + 1, item.text));
                    if i.active() && ui.small_button(lang.t("落实", "Done")).clicked() {
                        tick = Some(k as u32);
                    }
                }
            });
        }
        if let Some(item) = tick {
            out.push(act(
                cx,
                &row.id,
                Action::Tick {
                    item,
                    note: String::new(),
                },
            ));
        }
        ui.add_space(6.0);
        ui.strong(lang.t("调度与报到", "Summons and report-ins"));
        let summons = self.summons_of(node, &row.id);
        if summons.is_empty() {
            ui.label(lang.t("尚未调度单位", "No unit summoned yet"));
        }
        let mut report_in: Option<UnitId> = None;
        egui::Grid::new("summons").striped(true).show(ui, |ui| {
            for s in &summons {
                ui.label(unit_name(district, &s.unit));
                ui.label(fmt_time(s.at));
                match s.reported_in {
                    Some(t) => {
                        let late = t > s.due;
                        ui.colored_label(
                            if late {
                                Color32::from_rgb(200, 90, 0)
                            } else {
                                Color32::from_rgb(40, 140, 60)
                            },
                            format!("{} {}", lang.t("已报到", "reported in"), fmt_time(t)),
                        );
                    }
                    None => {
                        let left = s.due - now;
                        let c = if left < 0 {
                            EMERGENCY_RED
                        } else {
                            Color32::from_rgb(200, 150, 0)
                        };
                        ui.colored_label(
                            c,
                            format!("{} {}", lang.t("待报到，剩余", "due in"), fmt_span(left)),
                        );
                        if i.active()
                            && s.unit == node.unit
                            && ui.small_button(lang.t("报到", "Report in")).clicked()
                        {
                            report_in = Some(s.unit.clone());
                        }
                    }
                }
                ui.end_row();
            }
        });
        if let Some(unit) = report_in {
            out.push(act(cx, &row.id, Action::ReportIn { unit }));
        }
        if !i.resources.is_empty() {
            ui.label(format!(
                "{}：{}",
                lang.t("已调度资源", "Resources"),
                i.resources.join("、")
            ));
        }
        if i.active() && can_command {
            self.summon_form(ui, cx, row, i, &summons, out);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let l = ui.label(lang.t("解除说明", "Why it is over"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.note)
                        .hint_text(lang.t("必填", "required"))
                        .desired_width(300.0),
                )
                .labelled_by(l.id);
                if ui
                    .button(lang.t("解除应急，回到平时", "Stand down"))
                    .clicked()
                {
                    let note = self.note.trim().to_string();
                    if note.is_empty() {
                        out.push(Intent::notify(
                            lang.t("请填写解除说明", "Say why it is over"),
                            true,
                        ));
                    } else {
                        out.push(act(cx, &row.id, Action::StandDown { note }));
                    }
                }
            });
        }
    }

    fn summon_form(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCx,
        row: &CaseSummary,
        i: &Incident,
        summons: &[Summons],
        out: &mut Vec<Intent>,
    ) {
        let lang = cx.lang;
        let district = &cx.node.engine.district;
        let plan = self.plans.as_ref().and_then(|p| p.get(&i.plan)).cloned();
        let suggested: Vec<UnitId> = plan
            .as_ref()
            .map(|p| {
                p.departments(district)
                    .iter()
                    .map(|d| d.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        ui.collapsing(
            lang.t("调度单位和资源", "Summon units and resources"),
            |ui| {
                ui.label(lang.t("部门（预案建议的在前）", "Departments (the plan's first)"));
                let mut depts: Vec<UnitId> = suggested.clone();
                depts.extend(
                    district
                        .departments()
                        .iter()
                        .map(|d| d.id.clone())
                        .filter(|d| !suggested.contains(d)),
                );
                ui.horizontal_wrapped(|ui| {
                    for d in depts
                        .iter()
                        .filter(|d| !summons.iter().any(|s| &s.unit == *d))
                    {
                        let mut on = self.summon.contains(d);
                        let mut name = RichText::new(unit_name(district, d));
                        if suggested.contains(d) {
                            name = name.strong();
                        }
                        if ui.checkbox(&mut on, name).changed() {
                            if on {
                                self.summon.insert(d.clone());
                            } else {
                                self.summon.remove(d);
                            }
                        }
                    }
                });
                if let Some(p) = &plan {
                    ui.label(lang.t("资源", "Resources"));
                    ui.horizontal_wrapped(|ui| {
                        for r in p.resources.iter().filter(|r| !i.resources.contains(r)) {
                            let mut on = self.resources.contains(r);
                            if ui.checkbox(&mut on, r).changed() {
                                if on {
                                    self.resources.insert(r.clone());
                                } else {
                                    self.resources.remove(r);
                                }
                            }
                        }
                    });
                }
                let any = !self.summon.is_empty() || !self.resources.is_empty();
                if ui
                    .add_enabled(any, egui::Button::new(lang.t("调度", "Summon")))
                    .clicked()
                {
                    let units: Vec<UnitId> = self.summon.iter().cloned().collect();
                    let resources: Vec<String> = self.resources.iter().cloned().collect();
                    out.push(act(cx, &row.id, Action::Summon { units, resources }));
                }
            },
        );
    }

    /// The selected incident's summons, replayed from its document when the store moves.
    fn summons_of(&mut self, node: &NodeHandle, id: &CaseId) -> Vec<Summons> {
        let head = node.revision();
        if let Some((cid, h, s)) = &self.summons
            && cid == id
            && *h == head
        {
            return s.clone();
        }
        let read = || -> Option<Vec<Summons>> {
            let r = node.engine.store.read().ok()?;
            let doc = r.doc(id).ok()?;
            let d = node
                .engine
                .rules()
                .replay(&doc.intake().ok()?, &doc.events().ok()?)
                .ok()?;
            Some(d.current.summons)
        };
        let s = read().unwrap_or_default();
        self.summons = Some((id.clone(), head, s.clone()));
        s
    }
}
