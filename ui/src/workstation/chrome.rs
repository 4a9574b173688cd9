//! The window's chrome (工作台外框): the node, role and view bar at the top with the 战时
//! banner and the offline warning, the status bar at the bottom, the window title.

use std::time::Duration;

use egui::{Color32, RichText};

use super::Workstation;
use crate::i18n::Lang;
use crate::intent::View;
use crate::moves::roles_for;

impl Workstation {
    /// `unit · node · role · online`, for the title and the status bar.
    fn identity_line(&self) -> String {
        let Some(n) = self.node() else {
            return String::new();
        };
        let lang = self.desk.lang;
        let online = match self.online() {
            Some(true) => lang.t("在线", "online"),
            Some(false) => lang.t("离线", "OFFLINE"),
            None => lang.t("单机", "standalone"),
        };
        let role = match lang {
            Lang::Zh => self.desk.role.label_zh(),
            Lang::En => self.desk.role.label_en(),
        };
        format!("{} · {} · {} · {}", n.label, n.name, role, online)
    }

    /// Names the window after the node, role and link state (窗口标题).
    pub(super) fn set_title(&mut self, ctx: &egui::Context) {
        let title = format!("gridloop — {}", self.identity_line());
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The top bar (顶栏): node, role, views, language; the 战时 banner; the offline warning.
    pub(super) fn top_bar(&mut self, ui: &mut egui::Ui) {
        let lang = self.desk.lang;
        ui.horizontal_wrapped(|ui| {
            ui.strong(lang.t("gridloop 城市治理工作台", "gridloop workstation"));
            ui.separator();
            let nodes = &self.desk.nodes;
            if nodes.len() > 1 {
                let mut pick = self.desk.current;
                let l = ui.label(lang.t("节点", "Node"));
                egui::ComboBox::from_id_salt("node")
                    .selected_text(format!("{} ({})", nodes[pick].label, nodes[pick].name))
                    .show_ui(ui, |ui| {
                        for (i, n) in nodes.iter().enumerate() {
                            ui.selectable_value(&mut pick, i, format!("{} ({})", n.label, n.name));
                        }
                    })
                    .response
                    .labelled_by(l.id)
                    .on_hover_text(lang.t("切换到任一节点的视图", "Show any node's view"));
                if pick != self.desk.current {
                    self.select_node(pick);
                }
            } else if let Some(n) = self.node() {
                ui.label(format!("{} ({})", n.label, n.name));
            }
            let roles = roles_for(self.desk.nodes[self.desk.current].kind());
            let mut role = self.desk.role;
            let l = ui.label(lang.t("岗位", "Role"));
            egui::ComboBox::from_id_salt("role")
                .selected_text(match lang {
                    Lang::Zh => role.label_zh(),
                    Lang::En => role.label_en(),
                })
                .show_ui(ui, |ui| {
                    for r in roles {
                        let text = match lang {
                            Lang::Zh => r.label_zh(),
                            Lang::En => r.label_en(),
                        };
                        ui.selectable_value(&mut role, *r, text);
                    }
                })
                .response
                .labelled_by(l.id);
            if role != self.desk.role {
                self.set_role(role);
            }
            let mut person = self.desk.person.clone();
            let l = ui.label(lang.t("经办人", "Operator"));
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut person)
                        .desired_width(72.0)
                        .hint_text(lang.t("姓名/工号", "name/ID")),
                )
                .labelled_by(l.id)
                .on_hover_text(lang.t(
                    "签入的经办人：每一步操作都记下此人",
                    "The operator signed in: every move names them",
                ));
            if edit.changed()
                && let Err(why) = self.set_person(&person)
            {
                self.notify(format!("经办人 operator: {why}"), true);
            }
            ui.separator();
            for v in View::ALL {
                if ui.selectable_label(self.view == v, v.label(lang)).clicked() {
                    self.view = v;
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let other = match lang {
                    Lang::Zh => "English",
                    Lang::En => "中文",
                };
                if ui.button(other).clicked() {
                    self.desk.lang = match lang {
                        Lang::Zh => Lang::En,
                        Lang::En => Lang::Zh,
                    };
                }
            });
        });
        self.emergency_banner(ui);
        if self.online() == Some(false) {
            ui.colored_label(
                Color32::from_rgb(200, 60, 40),
                lang.t(
                    "⚠ 本节点与所有对端断开：继续离线办理，恢复后自动同步",
                    "⚠ This node is cut off from every peer: keep working offline; it syncs when links return",
                ),
            );
        }
    }

    /// 战时: a red line naming the most severe open incident, how long it has run and how
    /// far its checklist is; a click opens the 应急 view.
    fn emergency_banner(&mut self, ui: &mut egui::Ui) {
        let lang = self.desk.lang;
        let now = self.now();
        let Some((row, i)) = self.mode().lead().cloned() else {
            return;
        };
        let more = self.mode().incidents.len() - 1;
        let (done, all) = i.progress();
        let mins = (now - i.since).max(0) / 60_000;
        let text = format!(
            "{} {}{} · {} · {} {}:{:02} · {} {done}/{all}{}",
            lang.t("战时", "EMERGENCY"),
            if row.drill {
                lang.t("【演练】", "[drill] ")
            } else {
                ""
            },
            i.name,
            i.level_zh(),
            lang.t("已持续", "for"),
            mins / 60,
            mins % 60,
            lang.t("预案清单", "checklist"),
            if more > 0 {
                format!(" · {} {more}", lang.t("另有应急事件", "more incidents:"))
            } else {
                String::new()
            }
        );
        let button = egui::Button::new(RichText::new(text).color(Color32::WHITE).strong())
            .fill(crate::views::EMERGENCY_RED);
        if ui
            .add(button)
            .on_hover_text(lang.t("打开应急视图", "Open the emergency view"))
            .clicked()
        {
            self.emergency.select(row.id.clone());
            self.view = View::Emergency;
        }
    }

    /// The status bar (状态栏): who and where, cases held, the time, the last notice.
    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui) {
        let line = self.identity_line();
        let lang = self.desk.lang;
        ui.horizontal(|ui| {
            let color = match self.online() {
                Some(false) => Color32::from_rgb(200, 60, 40),
                _ => ui.visuals().text_color(),
            };
            ui.label(RichText::new(line).color(color));
            ui.separator();
            if let Some(n) = self.node()
                && let Ok(c) = n.engine.store.read().and_then(|r| r.count())
            {
                ui.label(format!("{} {c}", lang.t("本地案卷", "cases here")));
            }
            ui.separator();
            ui.label(crate::views::fmt_time(self.now()));
            if let Some(n) = self.node()
                && let Some(&year) = n.engine.calendar.uncovered_near(self.now()).first()
            {
                ui.separator();
                ui.colored_label(
                    Color32::from_rgb(200, 120, 0),
                    match lang {
                        Lang::Zh => format!(
                            "⚠ 工作日历未含{year}年节假日：时限仅按周末计算"
                        ),
                        Lang::En => format!(
                            "⚠ the calendar lacks {year}'s public holidays: limits count weekends only"
                        ),
                    },
                )
                .on_hover_text(lang.t(
                    "请区指挥中心在配置包中加入 calendar/年份.toml 并签发新版本",
                    "ask the district to add calendar/YEAR.toml to its configuration and sign a new version",
                ));
            }
            if let (Some(net), Some(n)) = (self.desk.net.as_ref(), self.node())
                && let Some(v) = net.config_waiting(&n.name)
            {
                ui.separator();
                ui.colored_label(
                    Color32::from_rgb(200, 120, 0),
                    match lang {
                        Lang::Zh => format!("⚠ 已收到配置第{v}版：重启工作台后生效"),
                        Lang::En => format!("⚠ configuration version {v} received: restart to apply"),
                    },
                );
            }
            if let Some(last) = self.notices.last()
                && last.at.elapsed() < Duration::from_secs(20)
            {
                ui.separator();
                let c = if last.error {
                    Color32::from_rgb(200, 60, 40)
                } else {
                    Color32::from_rgb(40, 140, 60)
                };
                ui.colored_label(c, &last.text);
            }
        });
    }
}
