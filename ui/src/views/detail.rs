//! 案卷 case detail: every field, the trail as a timeline, deadlines with lights, the moves
//! this operator may make now with the dialogs they need, and the conflict banner.

use egui::{Color32, RichText};
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::{Action, Event, EventId};
use gridloop_core::domain::intake::Intake;
use gridloop_core::domain::role::Actor;
use gridloop_core::domain::unit::{UnitId, UnitKind};
use gridloop_core::engine::CaseRecord;
use gridloop_core::store::CaseSummary;
use gridloop_core::workflow::Derived;

use crate::context::ViewCx;
use crate::i18n::Lang;
use crate::intent::{Intent, Outcome, Write};
use crate::moves::{self, Offer};
use crate::views::dialog::{Closing, MoveDialog};
use crate::views::{fmt_span, fmt_time, light_color, unit_name};

/// An open case (打开的案卷): the 工作台's detail panel.
pub struct Detail {
    /// The case.
    pub id: CaseId,
    /// Needs reloading (the store or the role changed).
    pub stale: bool,
    loaded: Option<Loaded>,
    dialog: Option<MoveDialog>,
    error: Option<String>,
    closed: bool,
}

struct Loaded {
    record: CaseRecord,
    derived: Derived,
    summary: CaseSummary,
    offers: Vec<Offer>,
    actor: Actor,
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
            closed: false,
        }
    }

    /// Whether the operator closed the panel.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Draws the open case; returns the moves the operator made.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        if self.stale {
            self.stale = false;
            match load(cx, &self.id) {
                Ok(l) => {
                    self.loaded = Some(l);
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
        let mut out = Vec::new();
        self.closed = body(cx, ui, self, &mut out);
        out
    }

    /// What became of a move this panel asked for: read again and close the dialog, or show
    /// in the dialog why it was refused (the status bar says either).
    pub fn settled(&mut self, write: &Write, outcome: &Outcome, cx: &ViewCx) -> Vec<Intent> {
        let Write::Act { .. } = write else {
            return Vec::new();
        };
        let label = write.label_zh().unwrap_or_default();
        match outcome {
            Ok(s) => {
                self.stale = true;
                self.dialog = None;
                vec![Intent::notify(
                    format!("{label}：{} → {}", s.number, s.state.label_zh()),
                    false,
                )]
            }
            Err(e) => {
                let msg = format!("{label} {}: {e}", cx.lang.t("被拒绝", "refused"));
                if let Some(dlg) = &mut self.dialog {
                    dlg.refused(msg.clone());
                }
                vec![Intent::notify(msg, true)]
            }
        }
    }
}

fn load(cx: &ViewCx, id: &CaseId) -> Result<Loaded, String> {
    let engine = &cx.node.engine;
    let record = engine.record(&id.0).map_err(|e| e.to_string())?;
    let derived = engine.derive(&record).map_err(|e| e.to_string())?;
    let summary = CaseSummary::build(id, &record.intake, &derived);
    let actor = cx.actor();
    let lane = cx.lane().filter(|l| l.incident != *id);
    let offers = moves::offered_in(
        &engine.rules(),
        &record.intake,
        &derived,
        &actor,
        cx.now(),
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

/// Returns whether the panel should close.
fn body(cx: &ViewCx, ui: &mut egui::Ui, detail: &mut Detail, out: &mut Vec<Intent>) -> bool {
    let lang = cx.lang;
    let now = cx.now();
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
    let engine = cx.node.engine.clone();
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
        deadlines(ui, lang, &engine.calendar, s, &l.derived, now);
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
    let category = s.category.as_str().to_string();
    if let Some(o) = chosen {
        if o.needs_dialog() {
            detail.dialog = Some(MoveDialog::new(o, category));
        } else {
            out.push(make(detail, o.actor.clone(), o.action.clone()));
        }
    }
    if let Some(dlg) = &mut detail.dialog {
        let current = detail.loaded.as_ref().map(|l| &l.derived.current);
        match dlg.ui(ui, cx, current) {
            Some(Closing::Cancel) => detail.dialog = None,
            Some(Closing::Confirm(actor, action)) => out.push(make(detail, actor, *action)),
            None => {}
        }
    }
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
            if !c.receipts.is_empty() {
                row(
                    lang.t("签收情况", "Signed for"),
                    c.receipts
                        .iter()
                        .map(|r| match r.signed {
                            Some(t) => format!("{} √ {}", unit_name(d, &r.unit), fmt_time(t)),
                            None => format!(
                                "{} {} {}",
                                unit_name(d, &r.unit),
                                lang.t("未签收，时限", "not yet, due"),
                                fmt_time(r.due)
                            ),
                        })
                        .collect::<Vec<_>>()
                        .join("、"),
                );
            }
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
            if let Some(a) = s.answers {
                let solved = match a.resolved {
                    Some(true) => lang.t("解决", "solved"),
                    Some(false) => lang.t("未解决", "not solved"),
                    None => "",
                };
                let rating = match a.rating {
                    Some(r) => lang.t(r.label_zh(), r.label_en()),
                    None if a.satisfied => lang.t("满意", "satisfied"),
                    None => lang.t("不满意", "dissatisfied"),
                };
                let text = if solved.is_empty() {
                    rating.to_string()
                } else {
                    format!("{solved} · {rating}")
                };
                row(lang.t("回访结果", "Callback"), text);
            }
            if !intake.photos.is_empty() {
                row(lang.t("照片", "Photos"), intake.photos.join(" "));
            }
        });
}

fn deadlines(
    ui: &mut egui::Ui,
    lang: Lang,
    cal: &gridloop_core::domain::calendar::WorkCalendar,
    s: &CaseSummary,
    derived: &Derived,
    now: i64,
) {
    ui.strong(lang.t("时限", "Deadlines"));
    let c = &derived.current;
    let mut any = false;
    let mut line = |ui: &mut egui::Ui, name: &str, due: i64, light, uncovered: Option<i32>| {
        any = true;
        ui.horizontal(|ui| {
            crate::views::light_dot(ui, light);
            ui.label(name);
            ui.label(fmt_time(due));
            ui.colored_label(light_color(light), fmt_span(due - now));
            if let Some(y) = uncovered {
                ui.colored_label(
                    Color32::from_rgb(200, 120, 0),
                    match lang {
                        Lang::Zh => format!("⚠ {y}年未配置节假日，仅按周末计算"),
                        Lang::En => format!("⚠ no {y} holidays configured: weekends only"),
                    },
                );
            }
        });
    };
    if let Some(st) = &c.stage {
        let u = st.uncovered(cal);
        line(ui, lang.t("本环节", "This stage"), st.due, st.light(now), u);
    }
    if let Some(o) = &c.overall {
        let u = o.uncovered(cal);
        line(ui, lang.t("处置时限", "Handling"), o.due, o.light(now), u);
    }
    for x in c.summons.iter().filter(|x| x.reported_in.is_none()) {
        let light = gridloop_core::domain::calendar::WorkCalendar::light_at(x.due, x.due, now);
        line(ui, lang.t("报到时限", "Report-in"), x.due, light, None);
    }
    if !any {
        let _ = s;
        ui.label(lang.t("无计时", "No clock running"));
    }
}

fn opinion(a: &Action) -> String {
    match a {
        Action::Request {
            reason,
            until: Some(u),
            ..
        } => format!("{reason}（至 {}）", fmt_time(*u)),
        Action::Register { category, .. } => category.as_str().to_string(),
        // The trail shows a checklist tick and a stand-down by their own rows, not a note.
        Action::Tick { .. } | Action::StandDown { .. } => String::new(),
        _ => a.opinion().unwrap_or_default().to_string(),
    }
}

fn timeline(
    ui: &mut egui::Ui,
    lang: Lang,
    events: &[Event],
    derived: &Derived,
    d: &gridloop_core::domain::unit::District,
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
                    note = format!(
                        "{} {}",
                        lang.t("［无效］", "[invalid]"),
                        super::refusal_text(lang, why)
                    );
                }
                if let Some(b) = on_branch(&e.id) {
                    mv = mv.color(Color32::from_rgb(200, 90, 0));
                    note = format!("［{}{}］ {note}", lang.t("分支", "branch "), b + 1);
                }
                ui.label(fmt_time(e.at.millis));
                ui.label(mv);
                // 经办人: the person, when the move names one.
                let who = match &e.person {
                    Some(p) => format!("{} {p}", e.role.label_zh()),
                    None => e.role.label_zh().to_string(),
                };
                match e.on_behalf_of() {
                    // 代录: recorded for the handling unit by another; said so in the trail.
                    Some(u) => {
                        ui.label(format!(
                            "{} · {} {}{}",
                            unit_name(d, &e.unit),
                            who,
                            lang.t("代录：", "for "),
                            unit_name(d, u)
                        ))
                        .on_hover_text(lang.t(
                            "由其他单位代为录入（监管分离：代录单独统计）",
                            "Recorded on the unit's behalf by another (counted apart)",
                        ));
                    }
                    None => {
                        ui.label(format!("{} · {who}", unit_name(d, &e.unit)));
                    }
                }
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
    d: &gridloop_core::domain::unit::District,
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

/// The move `actor` makes on the open case, for the shell to make.
fn make(detail: &Detail, actor: Actor, action: Action) -> Intent {
    Intent::Write(Write::Act {
        case: detail.id.clone(),
        actor,
        action,
    })
}

/// Whether a unit is a community (used by views that differ for stations).
pub fn is_community(d: &gridloop_core::domain::unit::District, u: &UnitId) -> bool {
    d.unit(u).is_some_and(|x| x.kind == UnitKind::Community)
}
