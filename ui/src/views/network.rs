//! 网络 network: each peer with its state, last sync and backlog, an outage banner when a
//! link is down, the links an operator may cut or restore (demo and drills), refused
//! connections and the quarantine with reasons.

use egui::{Color32, RichText};

use crate::context::ViewCx;
use crate::i18n::Lang;
use crate::intent::Intent;
use crate::network::LinkStatus;
use crate::views::fmt_time;

fn status_text(s: &LinkStatus, lang: Lang) -> (String, Color32) {
    match s {
        LinkStatus::Live => (
            lang.t("实时", "live").into(),
            Color32::from_rgb(46, 160, 67),
        ),
        LinkStatus::Syncing => (
            lang.t("同步中", "syncing").into(),
            Color32::from_rgb(30, 110, 200),
        ),
        LinkStatus::Connecting => (
            lang.t("连接中", "connecting").into(),
            Color32::from_rgb(222, 170, 20),
        ),
        LinkStatus::Down(why) => (
            format!("{}（{why}）", lang.t("断开", "down")),
            Color32::from_rgb(214, 52, 52),
        ),
        LinkStatus::Cut => (
            lang.t("已切断", "cut").into(),
            Color32::from_rgb(214, 52, 52),
        ),
    }
}

/// The 网络 view (it keeps no state of its own).
#[derive(Default)]
pub struct NetworkView;

impl NetworkView {
    /// Draws the network view; returns the links the operator cut or restored.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        let node = cx.node;
        let mut out = Vec::new();
        ui.heading(lang.t("网络与同步", "Network and sync"));
        let Some(net) = cx.net else {
            ui.label(lang.t(
            "此工作台没有连接网络（单机模式）：用 gridloop node 运行同步节点",
            "This workstation has no network (standalone): run a sync node with `gridloop node`",
        ));
            quarantine(cx, ui);
            return out;
        };
        let peers = net.peers(&node.name);
        let down: Vec<&str> = peers
            .iter()
            .filter(|p| !p.state.is_up())
            .map(|p| p.peer.as_str())
            .collect();
        if !down.is_empty() {
            egui::Frame::new()
                .fill(Color32::from_rgb(255, 232, 228))
                .inner_margin(8.0)
                .show(ui, |ui| {
                    ui.colored_label(
                        Color32::from_rgb(170, 30, 20),
                        RichText::new(format!(
                            "{}：{}。{}",
                            lang.t("链路中断", "Links down"),
                            down.join("、"),
                            lang.t(
                                "本节点继续离线办理，链路恢复后自动补齐",
                                "this node keeps working offline and catches up when they return"
                            )
                        ))
                        .strong(),
                    );
                });
        }
        egui::Grid::new("peers")
            .num_columns(7)
            .striped(true)
            .show(ui, |ui| {
                for (zh, en) in [
                    ("对端节点", "Peer"),
                    ("单位", "Unit"),
                    ("状态", "State"),
                    ("最近同步", "Last sync"),
                    ("待发送", "Backlog out"),
                    ("已接收", "Applied in"),
                    ("隔离", "Quarantined"),
                ] {
                    ui.strong(lang.t(zh, en));
                }
                ui.end_row();
                for p in &peers {
                    let (text, color) = status_text(&p.state, lang);
                    ui.label(RichText::new(&p.peer).monospace());
                    ui.label(&p.unit);
                    ui.colored_label(color, text);
                    ui.label(p.last_sync.map(fmt_time).unwrap_or_else(|| "—".into()));
                    ui.label(if p.backlog_out >= gridloop_core::store::BACKLOG_CAP {
                        format!("≥{}", p.backlog_out)
                    } else {
                        p.backlog_out.to_string()
                    });
                    ui.label(p.applied.to_string());
                    ui.label(p.quarantined.to_string());
                    ui.end_row();
                }
            });
        let links = net.links();
        if !links.is_empty() {
            ui.separator();
            ui.strong(lang.t(
                "链路（演示/演练：可切断与恢复）",
                "Links (demo/drill: cut and restore)",
            ));
            egui::Grid::new("links")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for l in &links {
                        ui.label(format!("{} ⇄ {}", l.a, l.b));
                        if l.cut {
                            ui.colored_label(
                                Color32::from_rgb(214, 52, 52),
                                lang.t("已切断", "cut"),
                            );
                            if ui
                                .button(format!("{} {}-{}", lang.t("恢复", "Restore"), l.a, l.b))
                                .clicked()
                            {
                                out.push(Intent::SetLink {
                                    a: l.a.clone(),
                                    b: l.b.clone(),
                                    up: true,
                                });
                                out.push(Intent::notify(
                                    format!("{} {} ⇄ {}", lang.t("已恢复", "restored"), l.a, l.b),
                                    false,
                                ));
                            }
                        } else {
                            ui.colored_label(Color32::from_rgb(46, 160, 67), lang.t("连通", "up"));
                            if ui
                                .button(format!("{} {}-{}", lang.t("切断", "Cut"), l.a, l.b))
                                .clicked()
                            {
                                out.push(Intent::SetLink {
                                    a: l.a.clone(),
                                    b: l.b.clone(),
                                    up: false,
                                });
                                out.push(Intent::notify(
                                    format!("{} {} ⇄ {}", lang.t("已切断", "cut"), l.a, l.b),
                                    false,
                                ));
                            }
                        }
                        ui.end_row();
                    }
                });
        }
        let refused = net.refused(&node.name);
        if !refused.is_empty() {
            ui.separator();
            ui.strong(lang.t("拒绝的连接", "Refused connections"));
            for r in refused.iter().rev().take(50) {
                let times = if r.count > 1 {
                    format!(" ×{}", r.count)
                } else {
                    String::new()
                };
                ui.label(format!("{} {}{times} — {}", fmt_time(r.at), r.who, r.why));
            }
        }
        quarantine(cx, ui);
        out
    }
}

fn quarantine(cx: &ViewCx, ui: &mut egui::Ui) {
    let lang = cx.lang;
    let node = cx.node;
    ui.separator();
    let rows = node
        .engine
        .store
        .read()
        .and_then(|r| r.quarantined())
        .unwrap_or_default();
    ui.strong(format!("{} {}", lang.t("隔离区", "Quarantine"), rows.len()));
    if rows.is_empty() {
        ui.label(lang.t("没有被拒收的变更", "No change was refused"));
        return;
    }
    // Per peer: what its refusals came to, and what the caps dropped (安全事件).
    let counts = node
        .engine
        .store
        .read()
        .and_then(|r| r.quarantine_counts())
        .unwrap_or_default();
    for (peer, c) in counts.iter().filter(|(_, c)| c.held + c.dropped > 0) {
        let peer = peer.split('@').next().unwrap_or_default();
        let peer = if peer.is_empty() {
            lang.t("本节点", "this node")
        } else {
            peer
        };
        let line = match lang {
            crate::i18n::Lang::Zh => format!(
                "来自 {peer}：保留 {} 条，超出上限丢弃 {} 条",
                c.held, c.dropped
            ),
            crate::i18n::Lang::En => format!(
                "from {peer}: {} kept, {} dropped at the cap",
                c.held, c.dropped
            ),
        };
        if c.dropped > 0 {
            ui.colored_label(egui::Color32::from_rgb(200, 60, 40), line);
        } else {
            ui.label(line);
        }
    }
    egui::ScrollArea::vertical()
        .max_height(240.0)
        .show(ui, |ui| {
            egui::Grid::new("quarantine")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for (seq, q) in rows.iter().rev().take(500) {
                        ui.label(format!("#{seq} {}", fmt_time(q.last)));
                        ui.label(&q.reason);
                        if q.count > 1 {
                            ui.label(format!("×{}  {} B", q.count, q.size));
                        } else {
                            ui.label(format!("{} B", q.size));
                        }
                        ui.end_row();
                    }
                });
        });
}
