//! The dialog of a move being made (操作对话框): the reason or opinion it needs, the
//! category to correct, the units to dispatch to or summon, the days of an extension.

use egui::Color32;
use gridloop_core::domain::calendar::{LimitUnit, TimeLimit};
use gridloop_core::domain::event::{Action, Rating, RequestKind};
use gridloop_core::domain::role::Actor;
use gridloop_core::domain::unit::UnitId;
use gridloop_core::workflow::{CaseState, Route};

use crate::context::ViewCx;
use crate::moves::Offer;
use crate::views::unit_name;

/// The dialog of a move being made (操作对话框).
pub struct MoveDialog {
    offer: Offer,
    text: String,
    units: Vec<UnitId>,
    lead: Option<UnitId>,
    category: String,
    days: u32,
    resolved: Option<bool>,
    rating: Option<Rating>,
    /// Whether the dispatch suggestion has been put in the choice (once, so the operator
    /// may choose otherwise).
    suggested: bool,
    error: Option<String>,
}

/// How the operator left the dialog.
pub enum Closing {
    /// 取消.
    Cancel,
    /// 确定: make this move as this actor.
    Confirm(Actor, Box<Action>),
}

impl MoveDialog {
    /// A dialog for `offer` on a case filed under `category`.
    pub fn new(offer: Offer, category: String) -> MoveDialog {
        MoveDialog {
            category,
            lead: match &offer.action {
                Action::Dispatch { lead, .. } => Some(lead.clone()),
                Action::DispatchDown { unit } => Some(unit.clone()),
                _ => None,
            },
            units: Vec::new(),
            text: String::new(),
            days: 3,
            resolved: None,
            rating: None,
            suggested: false,
            error: None,
            offer,
        }
    }

    /// Shows why the move was refused.
    pub fn refused(&mut self, why: String) {
        self.error = Some(why);
    }
}

impl MoveDialog {
    /// Draws the dialog over the window; says when the operator confirmed (the move to make,
    /// with the text and choices filled in) or cancelled.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCx,
        current: Option<&CaseState>,
    ) -> Option<Closing> {
        let dlg = self;
        let lang = cx.lang;
        let node = cx.node;
        let d = &node.engine.district;
        let mut outcome: Option<bool> = None; // Some(true) = confirm, Some(false) = cancel
        let title = dlg.offer.label();
        egui::Modal::new(egui::Id::unique("gridloop-move-dialog")).show(ui.ctx(), |ui| {
            ui.set_min_width(420.0);
            ui.heading(&title);
            let text_label = match &dlg.offer.action {
                Action::Reject { .. }
                | Action::Void { .. }
                | Action::Escalate { .. }
                | Action::Appeal { .. }
                | Action::Request { .. } => Some(lang.t("理由", "Reason")),
                Action::Register { .. }
                | Action::Dispatch { .. }
                | Action::DispatchDown { .. }
                | Action::Whistle { .. } => None,
                _ => Some(lang.t("处理意见", "Opinion")),
            };
            // 派遣建议: where the duties and the rules of practice send the case, and why.
            if matches!(
                dlg.offer.action,
                Action::Dispatch { .. } | Action::DispatchDown { .. }
            ) && let Some(sug) = current.and_then(|s| node.engine.rules().suggest_dispatch(s))
            {
                let (target, how) = match &sug.route {
                    Route::Department(u) => (u, lang.t("派遣", "dispatch to")),
                    Route::Territory(u) => (u, lang.t("属地派遣", "hand down to")),
                };
                ui.colored_label(
                    Color32::from_rgb(30, 110, 200),
                    format!(
                        "{}：{how} {} — {}",
                        lang.t("建议", "Suggested"),
                        unit_name(d, target),
                        lang.t(&sug.why_zh, &sug.why_en)
                    ),
                );
                let fits = matches!(
                    (&dlg.offer.action, &sug.route),
                    (Action::Dispatch { .. }, Route::Department(_))
                        | (Action::DispatchDown { .. }, Route::Territory(_))
                );
                if fits && !dlg.suggested {
                    dlg.lead = Some(target.clone());
                }
                dlg.suggested = true;
            }
            match &dlg.offer.action {
                Action::Register { .. } => {
                    ui.label(lang.t("类别（可改正）", "Category (correct if needed)"));
                    ui.text_edit_singleline(&mut dlg.category);
                    let hits = node.engine.catalogue.search(&dlg.category);
                    if hits.len() > 1 {
                        egui::ScrollArea::vertical()
                            .max_height(120.0)
                            .show(ui, |ui| {
                                for c in hits.iter().take(30) {
                                    if ui
                                        .selectable_label(
                                            false,
                                            format!("{} {}", c.code.as_str(), c.name),
                                        )
                                        .clicked()
                                    {
                                        dlg.category = c.code.as_str().to_string();
                                    }
                                }
                            });
                    }
                }
                Action::Dispatch { .. } => {
                    ui.label(lang.t("主办单位", "Lead unit"));
                    let depts = d.departments();
                    egui::ScrollArea::vertical()
                        .id_salt("lead")
                        .max_height(140.0)
                        .show(ui, |ui| {
                            for u in &depts {
                                ui.radio_value(&mut dlg.lead, Some(u.id.clone()), &u.name);
                            }
                        });
                    ui.label(lang.t("协办单位（一案双派）", "Assisting units"));
                    unit_checks(ui, &depts, &mut dlg.units, dlg.lead.as_ref());
                }
                Action::Whistle { .. } => {
                    ui.label(lang.t("吹哨：召集部门报到", "Summon departments"));
                    unit_checks(ui, &d.departments(), &mut dlg.units, None);
                }
                Action::DispatchDown { .. } => {
                    ui.label(lang.t("派往", "Hand down to"));
                    if let Some(s) = current {
                        for u in [s.grid.street(), s.grid.community()] {
                            if d.parent(&u) == Some(&s.holder) {
                                ui.radio_value(&mut dlg.lead, Some(u.clone()), unit_name(d, &u));
                            }
                        }
                    }
                }
                Action::Request {
                    kind: RequestKind::Extension,
                    ..
                } => {
                    ui.horizontal(|ui| {
                        ui.label(lang.t("延期工作日", "Extra working days"));
                        ui.add(egui::DragValue::new(&mut dlg.days).range(1..=60));
                    });
                    if let Some(s) = current {
                        let until = node.engine.rules().extension_until(
                            s,
                            cx.now(),
                            working_days(dlg.days),
                        );
                        ui.label(format!(
                            "{} {}",
                            lang.t("新处置时限", "New due time"),
                            crate::views::fmt_time(until)
                        ));
                    }
                }
                Action::Callback { .. } => {
                    ui.horizontal(|ui| {
                        ui.label(lang.t("是否解决", "Solved?"));
                        ui.radio_value(&mut dlg.resolved, Some(true), lang.t("解决", "Solved"));
                        ui.radio_value(
                            &mut dlg.resolved,
                            Some(false),
                            lang.t("未解决", "Not solved"),
                        );
                    });
                    ui.horizontal(|ui| {
                        ui.label(lang.t("满意度", "Satisfaction"));
                        for r in Rating::ALL {
                            ui.radio_value(
                                &mut dlg.rating,
                                Some(r),
                                lang.t(r.label_zh(), r.label_en()),
                            );
                        }
                    });
                    if dlg.rating == Some(Rating::Dissatisfied) {
                        ui.colored_label(
                            Color32::from_rgb(0xc0, 0x60, 0x00),
                            lang.t("不满意将重新办理本案", "Dissatisfied reopens the case"),
                        );
                    }
                }
                _ => {}
            }
            if let Some(label) = text_label {
                let l = ui.label(label);
                ui.add(
                    egui::TextEdit::multiline(&mut dlg.text)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
            }
            if let Some(e) = &dlg.error {
                ui.colored_label(Color32::RED, e);
            }
            ui.horizontal(|ui| {
                if ui.button(lang.t("确定", "Confirm")).clicked() {
                    outcome = Some(true);
                }
                if ui.button(lang.t("取消", "Cancel")).clicked() {
                    outcome = Some(false);
                }
            });
        });
        match outcome {
            Some(false) => Some(Closing::Cancel),
            Some(true) => {
                let now = cx.now();
                let text = dlg.text.trim().to_string();
                let action = match dlg.offer.action.clone() {
                    Action::Reject { .. } => Action::Reject { reason: text },
                    Action::Void { .. } => Action::Void { reason: text },
                    Action::Escalate { .. } => Action::Escalate { reason: text },
                    Action::Verify { confirmed, .. } => Action::Verify {
                        confirmed,
                        note: text,
                    },
                    Action::Register { grid, .. } => {
                        match node.engine.catalogue.require(&dlg.category) {
                            Ok(c) => Action::Register {
                                category: c.code.clone(),
                                grid,
                            },
                            Err(e) => {
                                dlg.error = Some(e.to_string());
                                return None;
                            }
                        }
                    }
                    Action::Dispatch { lead, .. } => Action::Dispatch {
                        lead: dlg.lead.clone().unwrap_or(lead),
                        assists: dlg.units.clone(),
                    },
                    Action::DispatchDown { unit } => Action::DispatchDown {
                        unit: dlg.lead.clone().unwrap_or(unit),
                    },
                    Action::Whistle { .. } => Action::Whistle {
                        departments: dlg.units.clone(),
                    },
                    Action::Feedback { unit, photos, .. } => Action::Feedback {
                        unit,
                        note: text,
                        photos,
                    },
                    Action::Request { kind, unit, .. } => Action::Request {
                        kind,
                        unit,
                        reason: text,
                        until: match (kind, current) {
                            (RequestKind::Extension, Some(s)) => Some(
                                node.engine
                                    .rules()
                                    .extension_until(s, now, working_days(dlg.days)),
                            ),
                            _ => None,
                        },
                    },
                    Action::Decide {
                        request, approve, ..
                    } => Action::Decide {
                        request,
                        approve,
                        note: text,
                    },
                    Action::Check { passed, .. } => Action::Check { passed, note: text },
                    Action::Callback { .. } => match (dlg.resolved, dlg.rating) {
                        (Some(resolved), Some(rating)) => Action::callback(resolved, rating, text),
                        _ => {
                            dlg.error = Some(
                                lang.t(
                                    "请记录市民的两个答复：是否解决、满意度",
                                    "Record both of the citizen's answers: solved, and how satisfied",
                                )
                                .to_string(),
                            );
                            return None;
                        }
                    },
                    Action::Supervise { .. } => Action::Supervise { note: text },
                    Action::Contact { unit, .. } => Action::Contact { unit, note: text },
                    Action::Answer { .. } => Action::Answer { note: text },
                    Action::Urge { .. } => Action::Urge { note: text },
                    Action::SelfClose { evidence, .. } => Action::SelfClose {
                        evidence,
                        note: text,
                    },
                    Action::Resolve { keep, .. } => Action::Resolve { keep, note: text },
                    Action::Order {
                        unit, due, auto, ..
                    } => Action::Order {
                        unit,
                        note: text,
                        due,
                        auto,
                    },
                    Action::Reply { order, .. } => Action::Reply { order, note: text },
                    Action::Appeal { unit, against, .. } => Action::Appeal {
                        unit,
                        against,
                        reason: text,
                    },
                    Action::Rate { unit, rating, .. } => Action::Rate {
                        unit,
                        rating,
                        note: text,
                    },
                    other => other,
                };
                Some(Closing::Confirm(dlg.offer.actor.clone(), Box::new(action)))
            }
            None => None,
        }
    }
}

fn unit_checks(
    ui: &mut egui::Ui,
    units: &[&gridloop_core::domain::unit::Unit],
    picked: &mut Vec<UnitId>,
    except: Option<&UnitId>,
) {
    egui::ScrollArea::vertical()
        .id_salt("units")
        .max_height(140.0)
        .show(ui, |ui| {
            for u in units.iter().filter(|u| Some(&u.id) != except) {
                let mut on = picked.contains(&u.id);
                if ui.checkbox(&mut on, &u.name).changed() {
                    if on {
                        picked.push(u.id.clone());
                    } else {
                        picked.retain(|x| x != &u.id);
                    }
                }
            }
        });
}

/// `n` working days, as an extension asks for them.
fn working_days(n: u32) -> TimeLimit {
    TimeLimit {
        value: n,
        unit: LimitUnit::WorkingDays,
    }
}
