//! Starting the workstation (启动): the first run's choice between the demo and joining a
//! district, the background start with its progress, and a start that failed.

use std::sync::Arc;
use std::time::Duration;

use egui::Color32;

use super::Workstation;
use crate::network::Network;
use crate::node::NodeHandle;
use crate::progress::Progress;

/// What a background start delivers: the nodes to show and their network.
pub type Started = Result<(Vec<NodeHandle>, Option<Arc<dyn Network>>), String>;

/// A background start (后台启动), run on its own thread with its progress.
pub type StartJob = Box<dyn FnOnce(&Progress) -> Started + Send>;

/// What the operator chose on the first run (首次启动).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FirstRunChoice {
    /// Open the live demo district.
    Demo,
    /// Join a district with the enrolment (roster) file it sent.
    Join(std::path::PathBuf),
}

/// Turns a first-run choice into the start that follows it (or says why it cannot).
pub type Launcher = Box<dyn FnMut(FirstRunChoice) -> Result<StartJob, String>>;

/// Where the window is in starting up.
pub(super) enum Phase {
    FirstRun {
        launcher: Launcher,
        path: String,
        error: Option<String>,
    },
    Starting {
        progress: Progress,
        rx: std::sync::mpsc::Receiver<Started>,
    },
    Failed(String),
    Ready,
}

impl Workstation {
    /// Runs `job` on a background thread; the window shows its progress meanwhile.
    pub(super) fn start(&mut self, job: StartJob) {
        let progress = Progress::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let p = progress.clone();
        std::thread::spawn(move || {
            let _ = tx.send(job(&p));
        });
        self.phase = Phase::Starting { progress, rx };
    }

    /// Draws the first run, the start's progress or why it failed; returns whether that was
    /// the whole frame (the workstation is not ready yet).
    pub(super) fn start_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let ctx = ui.ctx().clone();
        let lang = self.desk.lang;
        if let Phase::FirstRun {
            launcher,
            path,
            error,
        } = &mut self.phase
        {
            let mut choice = None;
            egui::CentralPanel::default().show(ui, |ui| {
                ui.vertical_centered(|ui| {
                    ui.add_space(ui.available_height() / 5.0);
                    ui.heading(lang.t("欢迎使用 gridloop 城市治理工作台", "Welcome to gridloop"));
                    ui.label(lang.t(
                        "本机还没有节点。可以先打开演示区，或用区指挥中心发来的入网文件加入本区。",
                        "This machine has no node yet. Open the demo district, or join your district with the enrolment file it sent you.",
                    ));
                    ui.add_space(16.0);
                    if ui.button(lang.t("打开演示区", "Open the demo district")).clicked() {
                        choice = Some(FirstRunChoice::Demo);
                    }
                    ui.add_space(16.0);
                    let l = ui.label(lang.t("入网文件（roster.json）路径", "Enrolment file (roster.json)"));
                    ui.add(egui::TextEdit::singleline(path).desired_width(420.0))
                        .labelled_by(l.id);
                    if ui.button(lang.t("加入本区", "Join the district")).clicked() {
                        if path.trim().is_empty() {
                            *error = Some(lang.t("请填写入网文件路径", "Enter the enrolment file's path").into());
                        } else {
                            choice = Some(FirstRunChoice::Join(path.trim().into()));
                        }
                    }
                    if let Some(e) = error {
                        ui.colored_label(Color32::RED, e.as_str());
                    }
                });
            });
            if let Some(c) = choice {
                match launcher(c) {
                    Ok(job) => self.start(job),
                    Err(e) => {
                        if let Phase::FirstRun { error, .. } = &mut self.phase {
                            *error = Some(e);
                        }
                    }
                }
            }
            return true;
        }
        match &self.phase {
            Phase::Ready | Phase::FirstRun { .. } => false,
            Phase::Failed(why) => {
                let why = why.clone();
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.heading(lang.t("启动失败", "Start failed"));
                    ui.colored_label(Color32::RED, why);
                });
                true
            }
            Phase::Starting { progress, rx } => match rx.try_recv() {
                Ok(Ok((nodes, net))) => {
                    self.desk.nodes = nodes;
                    self.desk.net = net;
                    self.phase = Phase::Ready;
                    self.select_node(0);
                    false
                }
                Ok(Err(e)) => {
                    self.phase = Phase::Failed(e);
                    false
                }
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    self.phase = Phase::Failed("the start-up thread ended unexpectedly".into());
                    false
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    let (what, frac) = progress.get();
                    egui::CentralPanel::default().show(ui, |ui| {
                        ui.vertical_centered(|ui| {
                            ui.add_space(ui.available_height() / 3.0);
                            ui.heading(lang.t("正在启动…", "Starting…"));
                            ui.label(&what);
                            if frac >= 0.0 {
                                ui.add(
                                    egui::ProgressBar::new(frac)
                                        .show_percentage()
                                        .desired_width(360.0),
                                );
                            } else {
                                ui.spinner();
                            }
                        });
                    });
                    ctx.request_repaint_after(Duration::from_millis(100));
                    true
                }
            },
        }
    }
}
