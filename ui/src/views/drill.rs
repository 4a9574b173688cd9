//! 演练: plays a drill scenario on the district the window shows — its injections reported
//! at the grid's community node (or the district's), its cuts and restores made on the real
//! links — with a clock, the timeline, every node's live state (links, drill cases, offline
//! moves), the time each restored link took to catch up, and the after-action report.
//!
//! The scenario is played by the one drill runner ([`gridloop_core::drill::runner::Runner`],
//! which `gridloop drill run` drives too), stepped once a frame ([`DrillState::step`]) over
//! the window's nodes and network, so it needs no thread of its own and stops with the
//! window; the operators keep working the injected cases meanwhile.

use std::time::Instant;

use egui::{Color32, RichText};
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::UnitKind;
use gridloop_core::drill::runner::{DrillWorld, LogLine, Runner};
use gridloop_core::drill::{AfterAction, Injection, Plan, Scenario, after_action, step_zh};

use crate::context::ViewCx;
use crate::intent::Intent;
use crate::network::LinkStatus;
use crate::views::{fmt_span, unit_name};

/// The example scenario shipped with gridloop (暴雨内涝应急演练).
pub const EXAMPLE: &str = include_str!("../../../docs/drills/rainstorm.toml");

/// A drill being played in the window (演练进行中): the runner, and the real time it started
/// at and how much faster the scenario runs.
pub struct DrillRun {
    runner: Runner,
    started: Instant,
    /// Wall time it started at.
    pub started_at: Millis,
    /// Scenario minutes per real minute.
    pub speed: f64,
}

impl DrillRun {
    /// The scenario clock now (stopped at the end).
    pub fn clock(&self) -> Millis {
        self.runner.ended().unwrap_or_else(|| {
            (self.started.elapsed().as_secs_f64() * 1000.0 * self.speed) as Millis
        })
    }

    /// Whether it has ended.
    pub fn done(&self) -> bool {
        self.runner.done()
    }

    /// The runner playing it.
    pub fn runner(&self) -> &Runner {
        &self.runner
    }

    /// The checked scenario.
    pub fn plan(&self) -> &Plan {
        self.runner.plan()
    }

    /// What happened, in order.
    pub fn log(&self) -> &[LogLine] {
        self.runner.log()
    }

    /// Drill cases injected.
    pub fn injected(&self) -> u32 {
        self.runner.injected()
    }

    /// The scenario's length: its last cue.
    pub fn length(&self) -> Millis {
        self.runner.length()
    }
}

/// The window's nodes and network as the runner's world: an injection is reported at the
/// node of the grid's community (else the district's), links are cut and restored through the
/// [`Network`](crate::network::Network).
struct Window<'a> {
    cx: &'a ViewCx<'a>,
    changed: Vec<String>,
}

impl DrillWorld for Window<'_> {
    fn report(&mut self, inj: &Injection) -> Result<(String, String), String> {
        let nodes = self.cx.nodes;
        let Some(any) = nodes.first() else {
            return Err("no node".into());
        };
        let district = &any.engine.district;
        let Some(cell) = gridloop_core::domain::unit::GridCode::parse(&inj.grid)
            .ok()
            .and_then(|g| district.grid(&g).cloned())
        else {
            return Err(format!("注入失败：未知网格 {}", inj.grid));
        };
        let node = nodes
            .iter()
            .find(|n| n.unit == cell.community)
            .or_else(|| nodes.iter().find(|n| n.kind() == UnitKind::District));
        let Some(node) = node else {
            return Err("注入失败：没有可上报的节点".into());
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
            person: None,
        };
        node.engine
            .report(&actor, &inj.new_case(), self.cx.now())
            .map(|s| (node.name.clone(), s.number))
            .map_err(|e| format!("注入失败 at {}: {e}", node.name))
    }

    fn reported(&mut self, node: &str) {
        self.changed.push(node.to_string());
    }

    fn set_link(&mut self, a: &str, b: &str, up: bool) -> Result<(), String> {
        match self.cx.net {
            Some(net) => {
                net.set_link(a, b, up);
                Ok(())
            }
            None => Err("没有网络 (no network)".into()),
        }
    }

    fn live_both_ways(&self, a: &str, b: &str) -> bool {
        let Some(net) = self.cx.net else {
            return false;
        };
        let live = |x: &str, y: &str| {
            net.peers(x)
                .iter()
                .any(|p| p.peer == y && p.state == LinkStatus::Live)
        };
        live(a, b) && live(b, a)
    }
}

/// The 演练 view: the scenario, the drill playing, the after-action report, the purge.
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

impl DrillState {
    /// Starts playing `text` (a scenario) at `speed` on the window's nodes.
    pub fn start(&mut self, cx: &ViewCx, text: &str, speed: f64) -> Result<(), String> {
        if self.run.as_ref().is_some_and(|r| !r.done()) {
            return Err(cx
                .lang
                .t("已有演练在进行", "A drill is already running")
                .into());
        }
        let node = cx.node;
        let names: Vec<&str> = cx.nodes.iter().map(|n| n.name.as_str()).collect();
        let plan = Scenario::plan(text, &node.engine.district, &node.engine.catalogue, &names)
            .map_err(|e| e.to_string())?;
        self.run = Some(DrillRun {
            runner: Runner::new(plan),
            started: Instant::now(),
            started_at: cx.now(),
            speed,
        });
        self.report = None;
        self.live.clear();
        Ok(())
    }

    /// Plays what is due of the running drill (called once a frame, whatever view is shown);
    /// says which nodes took injections.
    pub fn step(&mut self, cx: &ViewCx) -> Vec<Intent> {
        let Some(run) = self.run.as_mut() else {
            return Vec::new();
        };
        if run.done() {
            return Vec::new();
        }
        let clock = run.clock();
        let mut world = Window {
            cx,
            changed: Vec::new(),
        };
        run.runner.step(clock, &mut world);
        world.changed.into_iter().map(Intent::Changed).collect()
    }

    /// Draws the 演练 view.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        let mut out = Vec::new();
        ui.heading(lang.t("应急演练", "Drill"));
        let running = self.run.as_ref().is_some_and(|r| !r.done());
        ui.horizontal(|ui| {
            ui.label(lang.t("脚本文件", "Scenario file"));
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text(lang.t(
                        "留空用示例：暴雨内涝应急演练",
                        "empty: the rainstorm example",
                    ))
                    .desired_width(320.0),
            );
            if ui.button(lang.t("载入", "Load")).clicked() {
                let path = self.path.trim().to_string();
                if path.is_empty() {
                    self.text = EXAMPLE.to_string();
                    self.error = None;
                } else {
                    match std::fs::read_to_string(&path) {
                        Ok(t) => {
                            self.text = t;
                            self.error = None;
                        }
                        Err(e) => self.error = Some(format!("{path}: {e}")),
                    }
                }
            }
            ui.separator();
            ui.label(lang.t("倍速", "Speed"));
            for s in [1.0, 10.0, 60.0, 300.0] {
                ui.selectable_value(&mut self.speed, s, format!("{s}×"));
            }
            ui.separator();
            if running {
                if ui.button(lang.t("停止演练", "Stop")).clicked()
                    && let Some(r) = self.run.as_mut()
                {
                    let clock = r.clock();
                    r.runner.stop(clock, "演练被停止 (stopped)");
                }
            } else if ui.button(lang.t("开始演练", "Start")).clicked() {
                let text = self.text.clone();
                let speed = self.speed;
                if let Err(e) = self.start(cx, &text, speed) {
                    self.error = Some(e);
                } else {
                    self.error = None;
                }
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(Color32::RED, e);
        }
        if cx.net.is_none() {
            ui.label(lang.t(
            "本窗口没有可切断的链路：注入照常，断开与恢复会记为失败。",
            "This window has no links to cut: injections work, cuts and restores are logged as failed.",
        ));
        }
        ui.separator();
        let now = cx.now();
        if let Some(run) = &self.run {
            let clock = run.clock();
            let len = run.length().max(1);
            ui.horizontal(|ui| {
                ui.strong(&run.plan().scenario.name);
                ui.label(
                    RichText::new(format!("T+{}", fmt_span(clock)))
                        .monospace()
                        .size(20.0),
                );
                ui.add(
                    egui::ProgressBar::new((clock as f32 / len as f32).min(1.0))
                        .desired_width(260.0)
                        .text(format!(
                            "{}/{}",
                            run.runner.played(),
                            run.runner.cue_count()
                        )),
                );
                ui.label(format!(
                    "{} {} · {}",
                    lang.t("已注入", "injected"),
                    run.injected(),
                    if run.done() {
                        lang.t("已结束", "ended")
                    } else {
                        lang.t("进行中", "running")
                    }
                ));
            });
            ui.label(&run.plan().scenario.description);
        }
        ui.columns(2, |cols| {
            self.node_states(&mut cols[0], cx, now);
            self.timeline(&mut cols[1], cx);
        });
        ui.separator();
        self.purge(ui, cx, now, running, &mut out);
        out
    }

    /// 清除演练案件: the district's 值班长/领导 purges the drill cases from every node once the
    /// after-action report is taken — two clicks, the second naming how many go.
    fn purge(
        &mut self,
        ui: &mut egui::Ui,
        cx: &ViewCx,
        now: Millis,
        running: bool,
        out: &mut Vec<Intent>,
    ) {
        let lang = cx.lang;
        let Some(node) = cx
            .nodes
            .iter()
            .find(|n| n.kind() == UnitKind::District)
            .cloned()
        else {
            return;
        };
        let Some(net) = cx.net else {
            return;
        };
        let rev = node.revision();
        if self.purge_count.is_none_or(|(r, ..)| r != rev) {
            // The drill cases held and just after the latest one's report time, read once per
            // store move.
            let read = node.engine.store.read().and_then(|r| {
                Ok((
                    r.drill_cases(Millis::MAX)?.len(),
                    r.drill_purge_point(Millis::MIN)?,
                ))
            });
            let (n, point) = read.unwrap_or((0, Millis::MIN));
            self.purge_count = Some((rev, n, point));
        }
        let (count, point) = self
            .purge_count
            .map(|(_, n, p)| (n, p))
            .unwrap_or((0, Millis::MIN));
        // Every drill case held now, also those a fast drill reported past the wall clock.
        let before = now.max(point);
        let role = cx.role;
        // The operator works at the district centre: the node shown is the district's.
        let at_district = cx.node.name == node.name;
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
        if self.purge_confirm {
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
                    self.purge_confirm = false;
                    let note = self
                        .run
                        .as_ref()
                        .map(|r| r.plan().scenario.name.clone())
                        .unwrap_or_default();
                    match net.purge_drills(&node.name, role, before, &note) {
                        Ok(Some(n)) => {
                            self.report = None;
                            out.push(Intent::notify(
                                format!(
                                    "{} {n} {}",
                                    lang.t("已清除演练案件", "Purged"),
                                    lang.t(
                                        "件，清除令随同步送达各节点",
                                        "drill cases; the order goes to every node as it syncs"
                                    )
                                ),
                                false,
                            ));
                        }
                        Ok(None) => out.push(Intent::notify(
                            lang.t(
                                "已有覆盖此时间的清除令",
                                "A purge reaching this far is already in force",
                            )
                            .to_string(),
                            false,
                        )),
                        Err(e) => out.push(Intent::notify(e, true)),
                    }
                    out.push(Intent::Invalidate);
                }
                if ui.button(lang.t("取消", "Cancel")).clicked() {
                    self.purge_confirm = false;
                }
            });
        } else if ui
            .add_enabled(
                enabled,
                egui::Button::new(lang.t("清除演练案件…", "Purge drill cases…")),
            )
            .clicked()
        {
            self.purge_confirm = true;
        }
    }

    /// Each node's live state: links up, and since the drill began its drill cases, those open
    /// and the moves made offline (read again only when the node's store moves).
    fn node_states(&mut self, ui: &mut egui::Ui, cx: &ViewCx, now: Millis) {
        let lang = cx.lang;
        ui.strong(lang.t("各节点实时状态", "Every node now"));
        let since = self.run.as_ref().map(|r| r.started_at);
        self.live.resize(cx.nodes.len(), None);
        for (i, n) in cx.nodes.iter().enumerate() {
            let Some(since) = since else { break };
            let Ok(r) = n.engine.store.read() else {
                continue;
            };
            let head = r.revision().unwrap_or(0);
            if self.live[i].is_some_and(|(h, _)| h == head) {
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
            self.live[i] = Some((head, [rows.len(), open, offline]));
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
            for (i, n) in cx.nodes.iter().enumerate() {
                let peers = cx.net.map(|net| net.peers(&n.name)).unwrap_or_default();
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
                match self.live.get(i).copied().flatten() {
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

    fn timeline(&mut self, ui: &mut egui::Ui, cx: &ViewCx) {
        let lang = cx.lang;
        ui.strong(lang.t("演练记录", "Drill log"));
        if let Some(run) = &self.run {
            egui::ScrollArea::vertical()
                .id_salt("drill_log")
                .max_height(260.0)
                .stick_to_bottom(true)
                .show(ui, |ui| {
                    for l in run.log() {
                        let t = format!("T+{}  {}", fmt_span(l.at), l.text);
                        if l.error {
                            ui.colored_label(Color32::from_rgb(200, 60, 40), t);
                        } else {
                            ui.label(t);
                        }
                    }
                });
            if !run.runner.converge().is_empty() {
                ui.strong(lang.t("恢复后收敛用时", "Time to converge after each restore"));
                for (link, _, took) in run.runner.converge() {
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
            let district_node = cx
                .nodes
                .iter()
                .find(|n| n.kind() == UnitKind::District)
                .or(Some(cx.node))
                .cloned();
            if let Some(n) = district_node {
                let rows = n
                    .engine
                    .store
                    .read()
                    .and_then(|r| r.reported_rows(Millis::MIN, Millis::MAX))
                    .map(|v| v.into_iter().filter(|s| s.drill).collect::<Vec<_>>())
                    .unwrap_or_default();
                let (expect, converge) = match &self.run {
                    Some(r) => (
                        r.plan()
                            .expectations
                            .iter()
                            .map(|(s, w)| (*s, (*w as f64 / r.speed) as Millis))
                            .collect::<Vec<_>>(),
                        r.runner.converge().to_vec(),
                    ),
                    None => (Vec::new(), Vec::new()),
                };
                let mut report = after_action(&rows, &n.engine.district, &expect);
                report.converge = converge;
                self.report = Some(report);
            }
        }
        if let Some(report) = &self.report {
            let district = &cx.nodes[0].engine.district;
            // Times were measured on the wall clock while the scenario ran `speed` times faster:
            // shown in scenario time, like the scenario's own limits.
            let speed = self.run.as_ref().map_or(1.0, |r| r.speed);
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
}
