//! 演练: plays a drill scenario on the district the window shows — its injections reported
//! at the grid's community node (or the district's), its cuts and restores made on the real
//! links — with a clock, the timeline, every node's live state (links, drill cases, offline
//! moves), the time each restored link took to catch up, and the after-action report.
//!
//! The runner is stepped once a frame ([`step`]), so it needs no thread of its own and stops
//! with the window; the operators keep working the injected cases meanwhile.

use std::time::Instant;

use egui::{Color32, RichText};
use gridloop_core::calendar::Millis;
use gridloop_core::drill::{AfterAction, Cue, Plan, Scenario, after_action, step_zh};
use gridloop_core::role::{Actor, NodeId, Role};
use gridloop_core::unit::UnitKind;

use crate::network::LinkStatus;
use crate::views::{fmt_span, unit_name};
use crate::workstation::Workstation;

/// The example scenario shipped with gridloop (暴雨内涝应急演练).
pub const EXAMPLE: &str = include_str!("../../../docs/drills/rainstorm.toml");

/// One line of the drill's log: when on the scenario clock, and what happened.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// Scenario time.
    pub at: Millis,
    /// What happened.
    pub text: String,
    /// Whether it went wrong.
    pub error: bool,
}

/// A drill being played.
pub struct DrillRun {
    /// The checked scenario.
    pub plan: Plan,
    cues: Vec<(Millis, Cue)>,
    /// Cues played so far.
    pub next: usize,
    started: Instant,
    /// Wall time it started at.
    pub started_at: Millis,
    /// Scenario minutes per real minute.
    pub speed: f64,
    /// What happened, in order.
    pub log: Vec<LogLine>,
    /// Links restored and not yet caught up: (a, b, restored at, scenario time).
    restoring: Vec<(String, String, Instant, Millis)>,
    /// Each restored link and how long it took to be live both ways (ms).
    pub converge: Vec<(String, Millis, Millis)>,
    /// Drill cases injected.
    pub injected: u32,
    /// The scenario clock when it ended (played out, or stopped).
    ended: Option<Millis>,
}

impl DrillRun {
    /// The scenario clock now (stopped at the end).
    pub fn clock(&self) -> Millis {
        self.ended.unwrap_or_else(|| {
            (self.started.elapsed().as_secs_f64() * 1000.0 * self.speed) as Millis
        })
    }

    /// Whether it has ended.
    pub fn done(&self) -> bool {
        self.ended.is_some()
    }

    /// Ends it now, saying why in the log.
    fn end(&mut self, why: &str) {
        let at = self.clock();
        self.ended = Some(at);
        self.log.push(LogLine {
            at,
            text: why.into(),
            error: false,
        });
    }

    /// The scenario's length: its last cue.
    pub fn length(&self) -> Millis {
        self.cues.last().map(|c| c.0).unwrap_or(0)
    }
}

/// The 演练 view's state.
pub struct DrillState {
    /// The scenario's TOML (the example until another is loaded).
    pub text: String,
    /// A scenario file to load.
    pub path: String,
    /// Scenario minutes per real minute.
    pub speed: f64,
    /// The drill playing or last played.
    pub run: Option<DrillRun>,
    /// What is wrong with the scenario, if anything.
    pub error: Option<String>,
    /// The after-action report of the drill cases the node holds, when asked for.
    pub report: Option<AfterAction>,
    /// Per node, the store head last read and its drill tally (cases, open, offline moves)
    /// since the drill began: read again only when that node's store moves.
    live: Vec<Option<(u64, [usize; 3])>>,
    /// 清除演练案件: the district node's store revision last read, its drill cases then and
    /// the earliest time a purge of them all may name.
    purge_count: Option<(u64, usize, Millis)>,
    /// The purge is asked for and waits for confirmation.
    purge_confirm: bool,
}

impl Default for DrillState {
    fn default() -> Self {
        DrillState {
            text: EXAMPLE.to_string(),
            path: String::new(),
            speed: 60.0,
            run: None,
            error: None,
            report: None,
            live: Vec::new(),
            purge_count: None,
            purge_confirm: false,
        }
    }
}

impl Workstation {
    /// Starts playing `text` (a scenario) at `speed` on the nodes the window shows.
    pub fn start_drill(&mut self, text: &str, speed: f64) -> Result<(), String> {
        if self.drill.run.as_ref().is_some_and(|r| !r.done()) {
            return Err(self
                .lang
                .t("已有演练在进行", "A drill is already running")
                .into());
        }
        let node = self.node().ok_or("no node")?.clone();
        let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
        let plan = Scenario::plan(text, &node.engine.district, &node.engine.catalogue, &names)
            .map_err(|e| e.to_string())?;
        let cues = plan.cues();
        self.drill.run = Some(DrillRun {
            plan,
            cues,
            next: 0,
            started: Instant::now(),
            started_at: self.now(),
            speed,
            log: Vec::new(),
            restoring: Vec::new(),
            converge: Vec::new(),
            injected: 0,
            ended: None,
        });
        self.drill.report = None;
        self.drill.live.clear();
        Ok(())
    }

    /// The drill playing or last played.
    pub fn drill_run(&self) -> Option<&DrillRun> {
        self.drill.run.as_ref()
    }
}

/// Plays what is due of the running drill (called once a frame, whatever view is shown).
pub fn step(ws: &mut Workstation) {
    let Some(mut run) = ws.drill.run.take() else {
        return;
    };
    if !run.done() {
        play(ws, &mut run);
    }
    ws.drill.run = Some(run);
}

fn play(ws: &mut Workstation, run: &mut DrillRun) {
    let clock = run.clock();
    while run.next < run.cues.len() && run.cues[run.next].0 <= clock {
        let (at, cue) = run.cues[run.next].clone();
        run.next += 1;
        let (text, error) = match cue {
            Cue::Inject(inj) => inject(ws, run, &inj),
            Cue::Cut(a, b) => match &ws.net {
                Some(net) => {
                    net.set_link(&a, &b, false);
                    (format!("断开 {a}–{b}"), false)
                }
                None => (format!("断开 {a}–{b}: 没有网络 (no network)"), true),
            },
            Cue::Restore(a, b) => match &ws.net {
                Some(net) => {
                    net.set_link(&a, &b, true);
                    run.restoring
                        .push((a.clone(), b.clone(), Instant::now(), at));
                    (format!("恢复 {a}–{b}"), false)
                }
                None => (format!("恢复 {a}–{b}: 没有网络 (no network)"), true),
            },
        };
        run.log.push(LogLine { at, text, error });
    }
    if let Some(net) = ws.net.clone() {
        let live = |x: &str, y: &str| {
            net.peers(x)
                .iter()
                .any(|p| p.peer == y && p.state == LinkStatus::Live)
        };
        let mut still = Vec::new();
        for (a, b, t, at) in std::mem::take(&mut run.restoring) {
            if live(&a, &b) && live(&b, &a) {
                let took = t.elapsed().as_millis() as Millis;
                run.converge.push((format!("{a}–{b}"), at, took));
                run.log.push(LogLine {
                    at: clock,
                    text: format!("{a}–{b} 双向追平，用时 {took} ms"),
                    error: false,
                });
            } else if t.elapsed().as_secs() > 120 {
                run.log.push(LogLine {
                    at: clock,
                    text: format!("{a}–{b} 两分钟内未追平 (not caught up in 2 min)"),
                    error: true,
                });
            } else {
                still.push((a, b, t, at));
            }
        }
        run.restoring = still;
    } else {
        run.restoring.clear();
    }
    if run.next >= run.cues.len() && run.restoring.is_empty() {
        run.end("演练脚本播放完毕 (scenario played out)");
    }
}

/// Reports an injection at the node of the grid's community, else the district's node.
fn inject(
    ws: &mut Workstation,
    run: &mut DrillRun,
    inj: &gridloop_core::drill::Injection,
) -> (String, bool) {
    let Some(any) = ws.nodes.first() else {
        return ("no node".into(), true);
    };
    let district = &any.engine.district;
    let Some(cell) = gridloop_core::unit::GridCode::parse(&inj.grid)
        .ok()
        .and_then(|g| district.grid(&g).cloned())
    else {
        return (format!("注入失败：未知网格 {}", inj.grid), true);
    };
    let node = ws
        .nodes
        .iter()
        .find(|n| n.unit == cell.community)
        .or_else(|| ws.nodes.iter().find(|n| n.kind() == UnitKind::District))
        .cloned();
    let Some(node) = node else {
        return ("注入失败：没有可上报的节点".into(), true);
    };
    let role = if node.kind() == UnitKind::Community {
        Role::GridWorker
    } else {
        Role::Intake
    };
    let actor = Actor {
        node: NodeId(node.name.clone()),
        unit: node.unit.clone(),
        role,
    };
    let mut numbers = Vec::new();
    for _ in 0..inj.count.max(1) {
        match node.engine.report(&actor, &inj.new_case(), ws.now()) {
            Ok(s) => {
                run.injected += 1;
                numbers.push(s.number);
            }
            Err(e) => return (format!("注入失败 at {}: {e}", node.name), true),
        }
    }
    if let Some(net) = &ws.net {
        net.changed(&node.name);
    }
    ws.invalidate();
    (
        format!(
            "注入 {} at {} — {}",
            numbers.join("、"),
            node.name,
            inj.description
        ),
        false,
    )
}

/// Draws the 演练 view.
pub fn show(ws: &mut Workstation, ui: &mut egui::Ui) {
    let lang = ws.lang;
    ui.heading(lang.t("应急演练", "Drill"));
    let running = ws.drill.run.as_ref().is_some_and(|r| !r.done());
    ui.horizontal(|ui| {
        ui.label(lang.t("脚本文件", "Scenario file"));
        ui.add(
            egui::TextEdit::singleline(&mut ws.drill.path)
                .hint_text(lang.t(
                    "留空用示例：暴雨内涝应急演练",
                    "empty: the rainstorm example",
                ))
                .desired_width(320.0),
        );
        if ui.button(lang.t("载入", "Load")).clicked() {
            let path = ws.drill.path.trim().to_string();
            if path.is_empty() {
                ws.drill.text = EXAMPLE.to_string();
                ws.drill.error = None;
            } else {
                match std::fs::read_to_string(&path) {
                    Ok(t) => {
                        ws.drill.text = t;
                        ws.drill.error = None;
                    }
                    Err(e) => ws.drill.error = Some(format!("{path}: {e}")),
                }
            }
        }
        ui.separator();
        ui.label(lang.t("倍速", "Speed"));
        for s in [1.0, 10.0, 60.0, 300.0] {
            ui.selectable_value(&mut ws.drill.speed, s, format!("{s}×"));
        }
        ui.separator();
        if running {
            if ui.button(lang.t("停止演练", "Stop")).clicked()
                && let Some(r) = ws.drill.run.as_mut()
            {
                r.end("演练被停止 (stopped)");
            }
        } else if ui.button(lang.t("开始演练", "Start")).clicked() {
            let text = ws.drill.text.clone();
            let speed = ws.drill.speed;
            if let Err(e) = ws.start_drill(&text, speed) {
                ws.drill.error = Some(e);
            } else {
                ws.drill.error = None;
            }
        }
    });
    if let Some(e) = &ws.drill.error {
        ui.colored_label(Color32::RED, e);
    }
    if ws.net.is_none() {
        ui.label(lang.t(
            "本窗口没有可切断的链路：注入照常，断开与恢复会记为失败。",
            "This window has no links to cut: injections work, cuts and restores are logged as failed.",
        ));
    }
    ui.separator();
    let now = ws.now();
    if let Some(run) = &ws.drill.run {
        let clock = run.clock();
        let len = run.length().max(1);
        ui.horizontal(|ui| {
            ui.strong(&run.plan.scenario.name);
            ui.label(
                RichText::new(format!("T+{}", fmt_span(clock)))
                    .monospace()
                    .size(20.0),
            );
            ui.add(
                egui::ProgressBar::new((clock as f32 / len as f32).min(1.0))
                    .desired_width(260.0)
                    .text(format!("{}/{}", run.next, run.cues.len())),
            );
            ui.label(format!(
                "{} {} · {}",
                lang.t("已注入", "injected"),
                run.injected,
                if run.done() {
                    lang.t("已结束", "ended")
                } else {
                    lang.t("进行中", "running")
                }
            ));
        });
        ui.label(&run.plan.scenario.description);
    }
    ui.columns(2, |cols| {
        node_states(ws, &mut cols[0], now);
        timeline(ws, &mut cols[1]);
    });
    ui.separator();
    purge(ws, ui, now, running);
}

/// 清除演练案件: the district's 值班长/领导 purges the drill cases from every node once the
/// after-action report is taken — two clicks, the second naming how many go.
fn purge(ws: &mut Workstation, ui: &mut egui::Ui, now: Millis, running: bool) {
    let lang = ws.lang;
    let Some(node) = ws
        .nodes
        .iter()
        .find(|n| n.kind() == UnitKind::District)
        .cloned()
    else {
        return;
    };
    let Some(net) = ws.net.clone() else {
        return;
    };
    let rev = node.revision();
    if ws.drill.purge_count.is_none_or(|(r, ..)| r != rev) {
        // The drill cases held and just after the latest one's report time, read once per
        // store move.
        let read = node.engine.store.read().and_then(|r| {
            Ok((
                r.drill_cases(Millis::MAX)?.len(),
                r.drill_purge_point(Millis::MIN)?,
            ))
        });
        let (n, point) = read.unwrap_or((0, Millis::MIN));
        ws.drill.purge_count = Some((rev, n, point));
    }
    let (count, point) = ws
        .drill
        .purge_count
        .map(|(_, n, p)| (n, p))
        .unwrap_or((0, Millis::MIN));
    // Every drill case held now, also those a fast drill reported past the wall clock.
    let before = now.max(point);
    let role = ws.role();
    // The operator works at the district centre: the node shown is the district's.
    let at_district = ws.node().is_some_and(|n| n.name == node.name);
    let may = at_district && matches!(role, Role::ShiftLead | Role::Leader);
    ui.strong(lang.t("清除演练案件", "Purge drill cases"));
    ui.label(format!(
        "{} {count} {}",
        lang.t("区中心现有演练案件", "Drill cases at the district centre:"),
        lang.t("件。清除后全区各节点同步删除，不可恢复；请先生成演练评估报告。", "; a purge removes them from every node as it syncs and cannot be undone — take the after-action report first.")
    ));
    if !may {
        ui.label(lang.t(
            "需以区中心值班长或领导身份清除。",
            "Only the district's 值班长 or 领导 may purge.",
        ));
    }
    if !at_district {
        ui.label(lang.t(
            "请切换到区中心节点。",
            "Switch to the district centre's node.",
        ));
    }
    let enabled = may && !running && count > 0;
    if ws.drill.purge_confirm {
        ui.horizontal(|ui| {
            ui.colored_label(
                Color32::RED,
                format!(
                    "{} {count} {}",
                    lang.t("确认从全区清除", "Purge"),
                    lang.t("件演练案件？", "drill cases from the whole district?")
                ),
            );
            if ui
                .add_enabled(enabled, egui::Button::new(lang.t("确认清除", "Purge them")))
                .clicked()
            {
                ws.drill.purge_confirm = false;
                let note = ws
                    .drill
                    .run
                    .as_ref()
                    .map(|r| r.plan.scenario.name.clone())
                    .unwrap_or_default();
                match net.purge_drills(&node.name, role, before, &note) {
                    Ok(Some(n)) => {
                        ws.drill.report = None;
                        ws.notify(
                            format!(
                                "{} {n} {}",
                                lang.t("已清除演练案件", "Purged"),
                                lang.t(
                                    "件，清除令随同步送达各节点",
                                    "drill cases; the order goes to every node as it syncs"
                                )
                            ),
                            false,
                        );
                    }
                    Ok(None) => ws.notify(
                        lang.t(
                            "已有覆盖此时间的清除令",
                            "A purge reaching this far is already in force",
                        )
                        .to_string(),
                        false,
                    ),
                    Err(e) => ws.notify(e, true),
                }
                ws.invalidate();
            }
            if ui.button(lang.t("取消", "Cancel")).clicked() {
                ws.drill.purge_confirm = false;
            }
        });
    } else if ui
        .add_enabled(
            enabled,
            egui::Button::new(lang.t("清除演练案件…", "Purge drill cases…")),
        )
        .clicked()
    {
        ws.drill.purge_confirm = true;
    }
}

/// Each node's live state: links up, and since the drill began its drill cases, those open
/// and the moves made offline (read again only when the node's store moves).
fn node_states(ws: &mut Workstation, ui: &mut egui::Ui, now: Millis) {
    let lang = ws.lang;
    ui.strong(lang.t("各节点实时状态", "Every node now"));
    let since = ws.drill.run.as_ref().map(|r| r.started_at);
    ws.drill.live.resize(ws.nodes.len(), None);
    for (i, n) in ws.nodes.iter().enumerate() {
        let Some(since) = since else { break };
        let Ok(r) = n.engine.store.read() else {
            continue;
        };
        let head = r.revision().unwrap_or(0);
        if ws.drill.live[i].is_some_and(|(h, _)| h == head) {
            continue;
        }
        let rows: Vec<_> = r
            .reported_rows(since, now + 1)
            .map(|v| v.into_iter().filter(|s| s.drill).collect())
            .unwrap_or_default();
        let open = rows.iter().filter(|s| s.state.is_open()).count();
        let offline = rows
            .iter()
            .map(|s| s.acts.iter().filter(|a| a.offline).count())
            .sum();
        ws.drill.live[i] = Some((head, [rows.len(), open, offline]));
    }
    egui::Grid::new("drill_nodes").striped(true).show(ui, |ui| {
        for h in [
            lang.t("节点", "Node"),
            lang.t("链路", "Links"),
            lang.t("演练案件", "Drill cases"),
            lang.t("在办", "Open"),
            lang.t("离线办理", "Offline moves"),
        ] {
            ui.strong(h);
        }
        ui.end_row();
        for (i, n) in ws.nodes.iter().enumerate() {
            let peers = ws
                .net
                .as_ref()
                .map(|net| net.peers(&n.name))
                .unwrap_or_default();
            let up = peers.iter().filter(|p| p.state.is_up()).count();
            ui.label(format!("{} ({})", n.label, n.name));
            let c = if peers.is_empty() || up == peers.len() {
                Color32::from_rgb(40, 140, 60)
            } else if up == 0 {
                Color32::from_rgb(200, 60, 40)
            } else {
                Color32::from_rgb(200, 150, 0)
            };
            ui.colored_label(c, format!("{up}/{}", peers.len()));
            match ws.drill.live.get(i).copied().flatten() {
                Some((_, tally)) => {
                    for v in tally {
                        ui.label(v.to_string());
                    }
                }
                None => {
                    for _ in 0..3 {
                        ui.label("—");
                    }
                }
            }
            ui.end_row();
        }
    });
}

fn timeline(ws: &mut Workstation, ui: &mut egui::Ui) {
    let lang = ws.lang;
    ui.strong(lang.t("演练记录", "Drill log"));
    if let Some(run) = &ws.drill.run {
        egui::ScrollArea::vertical()
            .id_salt("drill_log")
            .max_height(260.0)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for l in &run.log {
                    let t = format!("T+{}  {}", fmt_span(l.at), l.text);
                    if l.error {
                        ui.colored_label(Color32::from_rgb(200, 60, 40), t);
                    } else {
                        ui.label(t);
                    }
                }
            });
        if !run.converge.is_empty() {
            ui.strong(lang.t("恢复后收敛用时", "Time to converge after each restore"));
            for (link, _, took) in &run.converge {
                ui.label(format!("{link}: {took} ms"));
            }
        }
    } else {
        ui.label(lang.t("尚未开始演练", "No drill yet"));
    }
    ui.separator();
    if ui
        .button(lang.t("生成演练评估", "After-action report"))
        .clicked()
    {
        let district_node = ws
            .nodes
            .iter()
            .find(|n| n.kind() == UnitKind::District)
            .or(ws.node())
            .cloned();
        if let Some(n) = district_node {
            let rows = n
                .engine
                .store
                .read()
                .and_then(|r| r.reported_rows(Millis::MIN, Millis::MAX))
                .map(|v| v.into_iter().filter(|s| s.drill).collect::<Vec<_>>())
                .unwrap_or_default();
            let (expect, converge) = match &ws.drill.run {
                Some(r) => (
                    r.plan
                        .expectations
                        .iter()
                        .map(|(s, w)| (*s, (*w as f64 / r.speed) as Millis))
                        .collect::<Vec<_>>(),
                    r.converge.clone(),
                ),
                None => (Vec::new(), Vec::new()),
            };
            let mut report = after_action(&rows, &n.engine.district, &expect);
            report.converge = converge;
            ws.drill.report = Some(report);
        }
    }
    if let Some(report) = &ws.drill.report {
        let district = &ws.nodes[0].engine.district;
        // Times were measured on the wall clock while the scenario ran `speed` times faster:
        // shown in scenario time, like the scenario's own limits.
        let speed = ws.drill.run.as_ref().map_or(1.0, |r| r.speed);
        let fmt_span = |ms: Millis| fmt_span((ms as f64 * speed) as Millis);
        ui.label(format!(
            "{} {}{}",
            lang.t("演练案件", "Drill cases"),
            report.cases,
            if speed == 1.0 {
                String::new()
            } else {
                format!(
                    " · {} ({speed}×)",
                    lang.t("用时按演练时间", "times in scenario time")
                )
            }
        ));
        egui::Grid::new("after_action")
            .striped(true)
            .show(ui, |ui| {
                ui.strong(lang.t("层级", "Level"));
                ui.strong(lang.t("环节", "Step"));
                ui.strong(lang.t("件数", "Cases"));
                ui.strong(lang.t("中位用时", "Median"));
                ui.strong(lang.t("最长", "Max"));
                ui.end_row();
                for (level, steps) in &report.by_level {
                    for (step, t) in steps {
                        ui.label(level.label_zh());
                        ui.label(step_zh(*step));
                        ui.label(t.cases.to_string());
                        ui.label(fmt_span(t.median));
                        ui.label(fmt_span(t.max));
                        ui.end_row();
                    }
                }
            });
        for e in &report.expectations {
            ui.label(format!(
                "{} ≤ {}: {} {} / {} {}",
                step_zh(e.step),
                fmt_span(e.within),
                lang.t("达标", "met"),
                e.met,
                lang.t("未达标", "missed"),
                e.missed
            ));
        }
        let offline: Vec<String> = report
            .offline
            .iter()
            .map(|(u, n)| format!("{} {n}", unit_name(district, u)))
            .collect();
        if !offline.is_empty() {
            ui.label(format!(
                "{}：{}",
                lang.t("离线办理", "Offline moves"),
                offline.join("、")
            ));
        }
        if !report.conflicts.is_empty() {
            ui.label(format!(
                "{} {}",
                lang.t("冲突", "Conflicts"),
                report.conflicts.len()
            ));
        }
    }
}
