//! 案卷 case detail: every field, the trail as a timeline, deadlines with lights, the moves
//! this operator may make now with the dialogs they need, and the conflict banner.

use egui::{Color32, RichText};
use gridloop_core::case::{CaseId, Intake};
use gridloop_core::engine::CaseRecord;
use gridloop_core::event::{Action, Event, EventId, RequestKind};
use gridloop_core::role::Actor;
use gridloop_core::store::CaseSummary;
use gridloop_core::unit::{UnitId, UnitKind};
use gridloop_core::workflow::Derived;

use crate::i18n::Lang;
use crate::moves::{self, Offer};
use crate::views::{fmt_span, fmt_time, light_color, unit_name};
use crate::workstation::Workstation;

/// An open case (打开的案卷).
pub struct Detail {
    /// The case.
    pub id: CaseId,
    /// Needs reloading (the store or the role changed).
    pub stale: bool,
    loaded: Option<Loaded>,
    dialog: Option<MoveDialog>,
    error: Option<String>,
}

struct Loaded {
    record: CaseRecord,
    derived: Derived,
    summary: CaseSummary,
    offers: Vec<Offer>,
    actor: Actor,
}

/// The dialog of a move being made (操作对话框).
struct MoveDialog {
    offer: Offer,
    text: String,
    units: Vec<UnitId>,
    lead: Option<UnitId>,
    category: String,
    days: u32,
    error: Option<String>,
}

impl Detail {
    /// Whether a move's dialog is open.
    pub fn has_dialog(&self) -> bool {
        self.dialog.is_some()
    }

    /// A detail view of `id`, loaded on first draw.
    pub fn new(id: CaseId) -> Detail {
        Detail {
            id,
            stale: true,
            loaded: None,
            dialog: None,
            error: None,
        }
    }
}

fn load(ws: &Workstation, id: &CaseId) -> Result<Loaded, String> {
    let node = ws.node().ok_or("no node")?;
    let engine = &node.engine;
    let record = engine.record(&id.0).map_err(|e| e.to_string())?;
    let derived = engine.derive(&record).map_err(|e| e.to_string())?;
    let summary = CaseSummary::build(id, &record.intake, &derived);
    let actor = ws.actor().ok_or("no operator")?;
    let lane = ws
        .current_mode()
        .lead()
        .filter(|(row, _)| row.id != *id)
        .map(|(row, i)| gridloop_core::emergency::Lane {
            incident: row.id.clone(),
            limits: i.limits,
        });
    let offers = moves::offered_in(
        &engine.rules(),
        &record.intake,
        &derived,
        &actor,
        ws.now(),
        lane.as_ref(),
    );
    Ok(Loaded {
        record,
        derived,
        summary,
        offers,
        actor,
    })
}

/// Draws the open case.
pub fn show(ws: &mut Workstation, ui: &mut egui::Ui) {
    let Some(mut detail) = ws.detail.take() else {
        return;
    };
    if detail.stale {
        detail.stale = false;
        match load(ws, &detail.id) {
            Ok(l) => {
                detail.loaded = Some(l);
                detail.error = None;
            }
            Err(e) => detail.error = Some(e),
        }
    }
    let close = body(ws, ui, &mut detail);
    if !close {
        ws.detail = Some(detail);
    } else {
        ws.inbox.selected = None;
    }
}

/// Returns whether the panel should close.
fn body(ws: &mut Workstation, ui: &mut egui::Ui, detail: &mut Detail) -> bool {
    let lang = ws.lang;
    let now = ws.now();
    let mut close = false;
    ui.horizontal(|ui| {
        ui.heading(lang.t("案卷详情", "Case"));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(lang.t("关闭", "Close")).clicked() {
                close = true;
            }
        });
    });
    if let Some(e) = &detail.error {
        ui.colored_label(Color32::RED, e);
    }
    let Some(l) = &detail.loaded else {
        return close;
    };
    let node = ws.node().cloned().expect("a node is shown");
    let engine = node.engine.clone();
    let d = &engine.district;
    let s = &l.summary;
    let intake = &l.record.intake;
    let mut chosen: Option<Offer> = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.horizontal(|ui| {
            crate::views::light_dot(ui, s.light(now));
            ui.label(RichText::new(&intake.number).monospace().strong());
            ui.label(
                RichText::new(match lang {
                    Lang::Zh => s.state.label_zh(),
                    Lang::En => s.state.label_en(),
                })
                .strong(),
            );
            ui.label(format!("· {}", s.level.label_zh()));
            if s.drill {
                ui.colored_label(Color32::from_rgb(120, 80, 200), lang.t("演练", "DRILL"));
            }
            if s.lane.is_some() {
                ui.colored_label(
                    crate::views::EMERGENCY_RED,
                    lang.t("应急通道", "EMERGENCY LANE"),
                );
            }
            if s.incident.is_some() {
                ui.colored_label(
                    crate::views::EMERGENCY_RED,
                    lang.t("应急事件", "EMERGENCY INCIDENT"),
                );
            }
        });
        if let Some(branches) = &l.derived.conflict {
            conflict_banner(
                ui,
                lang,
                &l.record.events,
                branches,
                &l.offers,
                d,
                &mut chosen,
            );
        }
        if let Some(p) = &l.derived.current.pending {
            ui.colored_label(
                Color32::from_rgb(30, 100, 200),
                format!(
                    "{}: {} — {} ({})",
                    lang.t("待审批", "Pending approval"),
                    p.kind.label_zh(),
                    p.reason,
                    unit_name(d, &p.unit)
                ),
            );
        }
        ui.separator();
        fields(ui, lang, &engine, intake, s, &l.derived);
        ui.separator();
        deadlines(ui, lang, s, &l.derived, now);
        ui.separator();
        ui.strong(lang.t("可办操作", "Moves you may make"));
        let normal: Vec<&Offer> = l
            .offers
            .iter()
            .filter(|o| !matches!(o.action, Action::Resolve { .. }))
            .collect();
        if normal.is_empty() {
            ui.label(lang.t(
                "当前岗位在此案卷上没有可办操作",
                "Your role has no move on this case now",
            ));
        }
        ui.horizontal_wrapped(|ui| {
            for o in normal {
                let mut label = o.label();
                if o.actor.unit != l.actor.unit {
                    label = format!("{label}（{}）", unit_name(d, &o.actor.unit));
                }
                if ui.button(label).clicked() {
                    chosen = Some(o.clone());
                }
            }
        });
        ui.separator();
        ui.strong(lang.t("流转记录", "Trail"));
        timeline(ui, lang, &l.record.events, &l.derived, d);
    });
    if let Some(o) = chosen {
        if o.needs_dialog() {
            detail.dialog = Some(MoveDialog {
                category: s.category.as_str().to_string(),
                lead: match &o.action {
                    Action::Dispatch { lead, .. } => Some(lead.clone()),
                    Action::DispatchDown { unit } => Some(unit.clone()),
                    _ => None,
                },
                units: Vec::new(),
                text: String::new(),
                days: 3,
                error: None,
                offer: o,
            });
        } else {
            make(ws, detail, o.actor.clone(), o.action.clone());
        }
    }
    dialog(ws, ui, detail);
    close
}

fn fields(
    ui: &mut egui::Ui,
    lang: Lang,
    engine: &gridloop_core::engine::Engine,
    intake: &Intake,
    s: &CaseSummary,
    derived: &Derived,
) {
    let d = &engine.district;
    let cat = engine
        .catalogue
        .get(&s.category)
        .map(|c| format!("{} {}", c.code.as_str(), c.name))
        .unwrap_or_else(|| s.category.as_str().to_string());
    let grid = d
        .grid(&s.grid)
        .map(|g| g.name.clone())
        .unwrap_or_else(|| s.grid.as_str().to_string());
    egui::Grid::new("fields")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(RichText::new(k).weak());
                ui.label(v);
                ui.end_row();
            };
            row(
                lang.t("问题来源", "Source"),
                intake.source.label_zh().to_string(),
            );
            row(lang.t("类别", "Category"), cat);
            row(
                lang.t("网格", "Grid"),
                format!("{grid} ({})", s.grid.as_str()),
            );
            row(lang.t("地址", "Address"), intake.address.clone());
            row(lang.t("描述", "Description"), intake.description.clone());
            if let Some(r) = &intake.reporter {
                row(
                    lang.t("反映人", "Reporter"),
                    format!("{} {}", r.name, r.phone),
                );
            }
            if let Some(c) = &intake.component_id {
                row(lang.t("部件标识码", "Component"), c.clone());
            }
            row(lang.t("当前责任单位", "Holder"), unit_name(d, &s.holder));
            if !s.handlers.is_empty() {
                row(
                    lang.t("处置单位", "Handlers"),
                    s.handlers
                        .iter()
                        .map(|u| unit_name(d, u))
                        .collect::<Vec<_>>()
                        .join("、"),
                );
            }
            let c = &derived.current;
            if !c.summons.is_empty() {
                row(
                    lang.t("吹哨报到", "Summoned"),
                    c.summons
                        .iter()
                        .map(|x| {
                            format!(
                                "{}{}",
                                unit_name(d, &x.unit),
                                if x.reported_in.is_some() {
                                    "√"
                                } else {
                                    "…"
                                }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("、"),
                );
            }
            row(lang.t("上报时间", "Reported"), fmt_time(s.reported));
            row(
                lang.t("返工/延期/回退/上报", "Rework/ext./back/esc."),
                format!(
                    "{}/{}/{}/{}",
                    s.rework, s.extensions, s.send_backs, s.escalations
                ),
            );
            if let Some(sat) = s.satisfied {
                row(
                    lang.t("回访结果", "Callback"),
                    lang.t(
                        if sat { "满意" } else { "不满意" },
                        if sat { "satisfied" } else { "not satisfied" },
                    )
                    .to_string(),
                );
            }
            if !intake.photos.is_empty() {
                row(lang.t("照片", "Photos"), intake.photos.join(" "));
            }
        });
}

fn deadlines(ui: &mut egui::Ui, lang: Lang, s: &CaseSummary, derived: &Derived, now: i64) {
    ui.strong(lang.t("时限", "Deadlines"));
    let c = &derived.current;
    let mut any = false;
    let mut line = |ui: &mut egui::Ui, name: &str, due: i64, light| {
        any = true;
        ui.horizontal(|ui| {
            crate::views::light_dot(ui, light);
            ui.label(name);
            ui.label(fmt_time(due));
            ui.colored_label(light_color(light), fmt_span(due - now));
        });
    };
    if let Some(st) = &c.stage {
        line(ui, lang.t("本环节", "This stage"), st.due, st.light(now));
    }
    if let Some(o) = &c.overall {
        line(ui, lang.t("处置时限", "Handling"), o.due, o.light(now));
    }
    for x in c.summons.iter().filter(|x| x.reported_in.is_none()) {
        let light = gridloop_core::calendar::WorkCalendar::light_at(x.due, x.due, now);
        line(ui, lang.t("报到时限", "Report-in"), x.due, light);
    }
    if !any {
        let _ = s;
        ui.label(lang.t("无计时", "No clock running"));
    }
}

fn opinion(a: &Action) -> String {
    match a {
        Action::Reject { reason } | Action::Void { reason } | Action::Escalate { reason } => {
            reason.clone()
        }
        Action::Request { reason, until, .. } => match until {
            Some(u) => format!("{reason}（至 {}）", fmt_time(*u)),
            None => reason.clone(),
        },
        Action::Verify { note, .. }
        | Action::Feedback { note, .. }
        | Action::Decide { note, .. }
        | Action::Check { note, .. }
        | Action::Callback { note, .. }
        | Action::Supervise { note }
        | Action::Urge { note }
        | Action::SelfClose { note, .. }
        | Action::Resolve { note, .. } => note.clone(),
        Action::Register { category, .. } => category.as_str().to_string(),
        _ => String::new(),
    }
}

fn timeline(
    ui: &mut egui::Ui,
    lang: Lang,
    events: &[Event],
    derived: &Derived,
    d: &gridloop_core::unit::District,
) {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by_key(|e| (e.at, e.id.clone()));
    let on_branch = |id: &EventId| -> Option<usize> {
        derived
            .conflict
            .as_ref()?
            .iter()
            .position(|b| b.events.contains(id))
    };
    egui::Grid::new("trail")
        .num_columns(5)
        .striped(true)
        .show(ui, |ui| {
            for (zh, en) in [
                ("时间", "When"),
                ("操作", "Move"),
                ("单位·岗位", "Unit · role"),
                ("节点", "Node"),
                ("意见", "Opinion"),
            ] {
                ui.label(RichText::new(lang.t(zh, en)).weak());
            }
            ui.end_row();
            for e in sorted {
                let mut mv = RichText::new(e.action.label_zh());
                let mut note = opinion(&e.action);
                if derived.superseded.contains(&e.id) {
                    mv = mv.strikethrough().weak();
                    note = format!("{} {note}", lang.t("［已被冲突处理撤销］", "[set aside]"));
                }
                if let Some((_, why)) = derived.invalid.iter().find(|(id, _)| *id == e.id) {
                    mv = mv.strikethrough().color(Color32::RED);
                    note = format!("{} {}", lang.t("［无效］", "[invalid]"), why.message);
                }
                if let Some(b) = on_branch(&e.id) {
                    mv = mv.color(Color32::from_rgb(200, 90, 0));
                    note = format!("［{}{}］ {note}", lang.t("分支", "branch "), b + 1);
                }
                ui.label(fmt_time(e.at.millis));
                ui.label(mv);
                ui.label(format!("{} · {}", unit_name(d, &e.unit), e.role.label_zh()));
                if e.offline {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(&e.node.0).monospace());
                        ui.colored_label(Color32::from_rgb(200, 90, 0), lang.t("离线", "offline"))
                            .on_hover_text(lang.t(
                                "此操作在本节点与所有对端断开时做出",
                                "Made while its node had no link to any peer",
                            ));
                    });
                } else {
                    ui.label(RichText::new(&e.node.0).monospace());
                }
                ui.label(note);
                ui.end_row();
            }
        });
}

fn conflict_banner(
    ui: &mut egui::Ui,
    lang: Lang,
    events: &[Event],
    branches: &[gridloop_core::workflow::Branch],
    offers: &[Offer],
    d: &gridloop_core::unit::District,
    chosen: &mut Option<Offer>,
) {
    egui::Frame::new()
        .fill(Color32::from_rgb(255, 240, 220))
        .inner_margin(8.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.colored_label(
                Color32::from_rgb(160, 60, 0),
                RichText::new(lang.t(
                    "⚠ 冲突：断网期间在不同节点上做出了并发操作，两条分支都保留如下，须由有权限的人员处理",
                    "⚠ Conflict: concurrent moves were made on different nodes while apart; both branches are kept below until someone with authority resolves",
                ))
                .strong(),
            );
            for (i, b) in branches.iter().enumerate() {
                ui.horizontal_wrapped(|ui| {
                    ui.strong(format!("{}{}:", lang.t("分支", "Branch "), i + 1));
                    for id in &b.events {
                        if let Some(e) = events.iter().find(|e| &e.id == id) {
                            ui.label(format!(
                                "{}（{}·{}）",
                                e.action.label_zh(),
                                unit_name(d, &e.unit),
                                e.node.0
                            ));
                        }
                    }
                    ui.label(format!("→ {}", b.state.state.label_zh()));
                    if let Some(o) = offers
                        .iter()
                        .find(|o| matches!(&o.action, Action::Resolve { keep, .. } if *keep == b.tip))
                        && ui
                            .button(format!("{}{}", lang.t("保留分支", "Keep branch "), i + 1))
                            .clicked()
                    {
                        *chosen = Some(o.clone());
                    }
                });
            }
        });
}

fn make(ws: &mut Workstation, detail: &mut Detail, actor: Actor, action: Action) -> bool {
    let Some(node) = ws.node().cloned() else {
        return false;
    };
    let label = action.label_zh();
    match node.engine.act(&actor, &detail.id, action, ws.now()) {
        Ok(s) => {
            ws.notify(
                format!("{label}：{} → {}", s.number, s.state.label_zh()),
                false,
            );
            if let Some(net) = &ws.net {
                net.changed(&node.name);
            }
            ws.invalidate();
            detail.stale = true;
            true
        }
        Err(e) => {
            let msg = format!("{label} {}: {e}", ws.lang.t("被拒绝", "refused"));
            ws.notify(msg.clone(), true);
            if let Some(dlg) = &mut detail.dialog {
                dlg.error = Some(msg);
            }
            false
        }
    }
}

fn dialog(ws: &mut Workstation, ui: &mut egui::Ui, detail: &mut Detail) {
    let Some(mut dlg) = detail.dialog.take() else {
        return;
    };
    let lang = ws.lang;
    let Some(node) = ws.node().cloned() else {
        return;
    };
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
            | Action::Request { .. } => Some(lang.t("理由", "Reason")),
            Action::Register { .. }
            | Action::Dispatch { .. }
            | Action::DispatchDown { .. }
            | Action::Whistle { .. } => None,
            _ => Some(lang.t("处理意见", "Opinion")),
        };
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
                let s = detail.loaded.as_ref().map(|l| &l.derived.current);
                if let Some(s) = s {
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
                    ui.label(lang.t("延期天数", "Extra days"));
                    ui.add(egui::DragValue::new(&mut dlg.days).range(1..=60));
                });
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
        Some(false) => {}
        Some(true) => {
            let now = ws.now();
            let text = dlg.text.trim().to_string();
            let action = match dlg.offer.action.clone() {
                Action::Reject { .. } => Action::Reject { reason: text },
                Action::Void { .. } => Action::Void { reason: text },
                Action::Escalate { .. } => Action::Escalate { reason: text },
                Action::Verify { confirmed, .. } => Action::Verify {
                    confirmed,
                    note: text,
                },
                Action::Register { grid, .. } => match node.engine.catalogue.require(&dlg.category)
                {
                    Ok(c) => Action::Register {
                        category: c.code.clone(),
                        grid,
                    },
                    Err(e) => {
                        dlg.error = Some(e.to_string());
                        detail.dialog = Some(dlg);
                        return;
                    }
                },
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
                    until: (kind == RequestKind::Extension)
                        .then(|| now + i64::from(dlg.days) * 86_400_000),
                },
                Action::Decide {
                    request, approve, ..
                } => Action::Decide {
                    request,
                    approve,
                    note: text,
                },
                Action::Check { passed, .. } => Action::Check { passed, note: text },
                Action::Callback { satisfied, .. } => Action::Callback {
                    satisfied,
                    note: text,
                },
                Action::Supervise { .. } => Action::Supervise { note: text },
                Action::Urge { .. } => Action::Urge { note: text },
                Action::SelfClose { evidence, .. } => Action::SelfClose {
                    evidence,
                    note: text,
                },
                Action::Resolve { keep, .. } => Action::Resolve { keep, note: text },
                other => other,
            };
            detail.dialog = Some(dlg);
            let actor = detail
                .dialog
                .as_ref()
                .expect("just set")
                .offer
                .actor
                .clone();
            if make(ws, detail, actor, action) {
                detail.dialog = None;
            }
        }
        None => detail.dialog = Some(dlg),
    }
}

fn unit_checks(
    ui: &mut egui::Ui,
    units: &[&gridloop_core::unit::Unit],
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

/// Whether a unit is a community (used by views that differ for stations).
pub fn is_community(d: &gridloop_core::unit::District, u: &UnitId) -> bool {
    d.unit(u).is_some_and(|x| x.kind == UnitKind::Community)
}
