//! 统计考核 assessment: the figures of this node's scope for a day, week, month or year, with
//! the trend over the last periods, rankings of streets and departments, posts and grades,
//! 高频 lists and the lights of open cases; any figure drills down to the cases behind it;
//! the period's report exports as XLSX, Markdown or HTML.

use std::sync::Arc;
use std::sync::mpsc::Receiver;

use chrono::NaiveDate;
use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};
use gridloop_core::analytics::assess::{self, Assessment, Figures, Metric};
use gridloop_core::analytics::report;
use gridloop_core::domain::calendar::{Light, Millis};
use gridloop_core::domain::period::{Period, PeriodKind};
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::Engine;
use gridloop_core::store::CaseSummary;

use crate::context::ViewCx;
use crate::i18n::Lang;
use crate::intent::Intent;
use crate::progress::Progress;
use crate::views::{light_color, unit_name};

/// How many periods the trend covers.
const TREND: usize = 6;

/// What a background assessment delivers: the period's assessment and, oldest first, the
/// scope's figures of the trend's periods.
type Computed = Result<(Arc<Assessment>, Vec<(Period, Figures)>), String>;

/// A finished assessment: for which node and period, the assessment, the trend.
pub type Shown = (String, Period, Arc<Assessment>, Vec<(Period, Figures)>);

/// How long figures stay on screen before a store that moved is assessed again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(15);

/// The cases behind a figure: which figure, for which unit, the rows.
pub struct DrillDown {
    /// The unit (its units below included).
    pub unit: UnitId,
    /// The figure.
    pub metric: Metric,
    /// The cases that missed it (or, for a count, those counted), newest first.
    pub rows: Vec<CaseSummary>,
}

/// The 统计考核 view: the period shown, the figures computed, the drill-down.
pub struct AssessState {
    /// 日/周/月/年.
    pub kind: PeriodKind,
    /// A day inside the period shown (default: today).
    pub day: Option<NaiveDate>,
    /// The last result, for (node index, period).
    pub result: Option<Shown>,
    /// Why the last computation failed.
    pub error: Option<String>,
    /// The cases behind the figure last clicked.
    pub drill: Option<DrillDown>,
    /// The store's log head and the time the figures shown were computed from.
    computed_at: Option<(u64, std::time::Instant)>,
    computing: Option<(String, Period, Receiver<Computed>, Progress, u64)>,
    drilling: Option<Receiver<Result<DrillDown, String>>>,
}

impl Default for AssessState {
    fn default() -> Self {
        AssessState {
            kind: PeriodKind::Month,
            day: None,
            result: None,
            error: None,
            drill: None,
            computed_at: None,
            computing: None,
            drilling: None,
        }
    }
}

fn label(m: Metric, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => m.label_zh(),
        Lang::En => m.label_en(),
    }
}

fn kind_label(k: PeriodKind, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => k.label_zh(),
        Lang::En => k.label_en(),
    }
}

/// Runs the period's assessment and the trend's on a background thread.
fn compute(
    engine: Arc<Engine>,
    period: Period,
    now: Millis,
    progress: Progress,
) -> Receiver<Computed> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let config = engine
            .config_at(now)
            .map(|c| c.assessment.clone())
            .unwrap_or_default();
        let scope = engine
            .node()
            .map(|n| n.unit)
            .unwrap_or_else(|_| engine.district.root().id.clone());
        let mut periods = vec![period];
        for _ in 1..TREND {
            let p = periods.last().expect("one period").previous();
            periods.push(p);
        }
        let mut trend = Vec::new();
        let mut main = None;
        for (i, p) in periods.iter().enumerate() {
            progress.set(
                &format!("计算考核 {} ({}/{})", p.label(), i + 1, TREND),
                i as f32 / TREND as f32,
            );
            match assess::assess(&engine, *p, now, &config) {
                Ok(a) => {
                    trend.push((*p, a.rollups.get(&scope).cloned().unwrap_or_default()));
                    if i == 0 {
                        main = Some(Arc::new(a));
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            }
        }
        trend.reverse();
        let _ = tx.send(Ok((main.expect("the first period was assessed"), trend)));
    });
    rx
}

impl AssessState {
    /// The assessment shown (once computed), and the cases of the last drill-down.
    pub fn assessment(&self) -> (Option<&Assessment>, Option<&DrillDown>) {
        (
            self.result.as_ref().map(|(_, _, a, _)| a.as_ref()),
            self.drill.as_ref(),
        )
    }

    /// Draws the assessment view; returns the case the operator opened and what the status
    /// bar should say.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &ViewCx) -> Vec<Intent> {
        let lang = cx.lang;
        let node = cx.node;
        let mut out = Vec::new();
        let now = cx.now();
        let today = node.engine.calendar.local_date(now);
        let day = self.day.unwrap_or(today);
        let period = Period::of(self.kind, day);
        let current = &node.name;

        // Collect finished work.
        if let Some((n, p, rx, _, head)) = &self.computing
            && let Ok(r) = rx.try_recv()
        {
            let (n, p, head) = (n.clone(), *p, *head);
            self.computing = None;
            match r {
                Ok((a, trend)) => {
                    self.result = Some((n, p, a, trend));
                    self.computed_at = Some((head, std::time::Instant::now()));
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(rx) = &self.drilling
            && let Ok(r) = rx.try_recv()
        {
            self.drilling = None;
            match r {
                Ok(d) => self.drill = Some(d),
                Err(e) => out.push(Intent::notify(e, true)),
            }
        }
        let have = self
            .result
            .as_ref()
            .is_some_and(|(n, p, ..)| n == current && *p == period);
        let busy = self
            .computing
            .as_ref()
            .is_some_and(|(n, p, ..)| n == current && *p == period);
        let head = node.revision();
        // Live data: figures shown for a while are recomputed (in the background, the old ones
        // stay on screen) once the store has moved.
        let outdated = have
            && self
                .computed_at
                .is_some_and(|(h, at)| h != head && at.elapsed() >= REFRESH);
        if (!have || outdated) && !busy {
            let progress = Progress::default();
            let rx = compute(node.engine.clone(), period, now, progress.clone());
            self.computing = Some((current.clone(), period, rx, progress, head));
            if !have {
                self.drill = None;
            }
        }

        // Period picker and export.
        ui.horizontal_wrapped(|ui| {
            ui.heading(lang.t("统计考核", "Assessment"));
            ui.separator();
            for k in [
                PeriodKind::Day,
                PeriodKind::Week,
                PeriodKind::Month,
                PeriodKind::Year,
            ] {
                if ui
                    .selectable_label(self.kind == k, kind_label(k, lang))
                    .clicked()
                {
                    self.kind = k;
                }
            }
            if ui.button(lang.t("上一期", "Previous")).clicked() {
                self.day = Some(period.previous().first);
            }
            ui.strong(format!(
                "{} {}",
                period.label(),
                match lang {
                    Lang::Zh => period.kind.report_zh(),
                    Lang::En => "",
                }
            ));
            if ui
                .add_enabled(
                    period.last < today,
                    egui::Button::new(lang.t("下一期", "Next")),
                )
                .clicked()
            {
                self.day = Some(period.last + chrono::Duration::days(1));
            }
            if ui.button(lang.t("本期", "Current")).clicked() {
                self.day = None;
            }
            if ui.button(lang.t("重新计算", "Recompute")).clicked() {
                self.result = None;
            }
            ui.separator();
            let ready = self
                .result
                .as_ref()
                .filter(|(n, p, ..)| n == current && *p == period);
            if let Some((_, _, a, _)) = ready {
                let a = a.clone();
                for (fmt, text) in [("xlsx", "XLSX"), ("md", "Markdown"), ("html", "HTML")] {
                    if ui
                        .button(format!("{} {text}", lang.t("导出", "Export")))
                        .clicked()
                    {
                        match export(&node.engine, &node.label, &a, fmt) {
                            Ok(path) => out.push(Intent::notify(
                                format!("{} {}", lang.t("已导出", "Exported"), path.display()),
                                false,
                            )),
                            Err(e) => out.push(Intent::notify(e, true)),
                        }
                    }
                }
            }
        });
        ui.separator();

        if let Some(e) = &self.error {
            ui.colored_label(
                Color32::RED,
                format!("{}：{e}", lang.t("计算失败", "Failed")),
            );
        }
        let Some((_, _, a, trend)) = self
            .result
            .as_ref()
            .filter(|(n, p, ..)| n == current && *p == period)
            .map(|(n, p, a, t)| (n.clone(), *p, a.clone(), t.clone()))
        else {
            if let Some((.., progress, _)) = &self.computing {
                let (what, frac) = progress.get();
                ui.label(what);
                ui.add(egui::ProgressBar::new(frac.max(0.0)).desired_width(360.0));
            }
            return out;
        };
        // The scope this node assesses: its own unit (a street with its communities, the
        // district with everything).
        let scope = node.unit.clone();
        let figures = a.rollups.get(&scope).cloned().unwrap_or_default();
        let district = node.engine.district.clone();
        let mut drill_request: Option<(UnitId, Metric)> = None;

        egui::ScrollArea::vertical().show(ui, |ui| {
            // Headline cards.
            ui.horizontal_wrapped(|ui| {
                let card = |ui: &mut egui::Ui, title: &str, value: String| {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.vertical(|ui| {
                            ui.label(title);
                            ui.label(RichText::new(value).size(20.0).strong());
                        });
                    });
                };
                card(ui, lang.t("案件数", "Cases"), a.cases.to_string());
                card(
                    ui,
                    label(Metric::CloseRate, lang),
                    figures.show(Metric::CloseRate),
                );
                card(
                    ui,
                    label(Metric::OnTimeCloseRate, lang),
                    figures.show(Metric::OnTimeCloseRate),
                );
                card(
                    ui,
                    lang.t("热线三率得分", "Hotline score"),
                    a.config
                        .hotline_score(&figures)
                        .map_or("—".into(), |s| format!("{s:.1}")),
                );
                card(
                    ui,
                    label(Metric::Overdue, lang),
                    figures.show(Metric::Overdue),
                );
                if a.drill_cases > 0 {
                    card(
                        ui,
                        lang.t("演练案件（不计入）", "Drill cases (not counted)"),
                        a.drill_cases.to_string(),
                    );
                }
                // Lights of the open cases.
                let lights = a.light_totals();
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.label(lang.t("在办灯态", "Open cases by light"));
                        ui.horizontal(|ui| {
                            for (l, n) in [Light::Green, Light::Yellow, Light::Red]
                                .into_iter()
                                .zip(lights)
                            {
                                ui.colored_label(
                                    light_color(l),
                                    RichText::new(format!("● {n}")).size(18.0),
                                );
                            }
                        });
                    });
                });
            });
            ui.add_space(6.0);

            ui.columns(2, |cols| {
                // Figures of the scope, each a link to the cases behind it.
                let ui = &mut cols[0];
                ui.strong(format!(
                    "{}（{}）",
                    lang.t("本级考核指标", "Figures"),
                    unit_name(&district, &scope)
                ));
                egui::Grid::new("figures")
                    .striped(true)
                    .num_columns(3)
                    .show(ui, |ui| {
                        for m in Metric::TABLE.into_iter().chain([
                            Metric::HotlineResponse,
                            Metric::HotlineResolution,
                            Metric::HotlineSatisfaction,
                            Metric::ValidReport,
                            Metric::MissedReport,
                        ]) {
                            ui.label(label(m, lang));
                            let r = figures.ratio(m);
                            let text = figures.show(m);
                            let link = ui.link(text).on_hover_text(if m.is_count() {
                                lang.t("点击查看这些案件", "Click to list these cases")
                                    .to_string()
                            } else {
                                format!(
                                    "{} {}/{} — {}",
                                    lang.t("分子/分母", "hits/total"),
                                    r.hits,
                                    r.total,
                                    lang.t(
                                        "点击查看未达标的案件",
                                        "click to list the cases that missed"
                                    )
                                )
                            });
                            if link.clicked() {
                                drill_request = Some((scope.clone(), m));
                            }
                            ui.label(if m.is_count() {
                                String::new()
                            } else {
                                format!("{}/{}", r.hits, r.total)
                            });
                            ui.end_row();
                        }
                    });

                // Trends.
                let ui = &mut cols[1];
                ui.strong(lang.t("每日上报与结案", "Reported and closed per day"));
                let reported: Vec<[f64; 2]> = a
                    .daily
                    .iter()
                    .enumerate()
                    .map(|(i, d)| [i as f64, d.reported as f64])
                    .collect();
                let closed: Vec<[f64; 2]> = a
                    .daily
                    .iter()
                    .enumerate()
                    .map(|(i, d)| [i as f64, d.closed as f64])
                    .collect();
                let dates: Vec<String> = a
                    .daily
                    .iter()
                    .map(|d| d.date.format("%m-%d").to_string())
                    .collect();
                Plot::new("daily")
                    .height(150.0)
                    .legend(Legend::default())
                    .allow_scroll(false)
                    .allow_zoom(false)
                    .allow_drag(false)
                    .include_y(0.0)
                    .x_axis_formatter(move |m, _| {
                        let i = m.value.round();
                        if (m.value - i).abs() < 1e-6 && i >= 0.0 {
                            dates.get(i as usize).cloned().unwrap_or_default()
                        } else {
                            String::new()
                        }
                    })
                    .show(ui, |p| {
                        p.line(
                            Line::new(lang.t("上报", "reported"), PlotPoints::from(reported))
                                .color(Color32::from_rgb(30, 110, 200)),
                        );
                        p.line(
                            Line::new(lang.t("结案", "closed"), PlotPoints::from(closed))
                                .color(Color32::from_rgb(46, 160, 67)),
                        );
                    });
                ui.strong(format!(
                    "{}（{} {}）",
                    lang.t("近期趋势", "Trend"),
                    TREND,
                    kind_label(a.period.kind, lang)
                ));
                let labels: Vec<String> = trend.iter().map(|(p, _)| p.label()).collect();
                let series = |m: Metric| -> Vec<[f64; 2]> {
                    trend
                        .iter()
                        .enumerate()
                        .filter_map(|(i, (_, f))| f.value(m).map(|v| [i as f64, v * 100.0]))
                        .collect()
                };
                Plot::new("trend")
                    .height(150.0)
                    .legend(Legend::default())
                    .allow_scroll(false)
                    .allow_zoom(false)
                    .allow_drag(false)
                    .include_y(0.0)
                    .include_y(100.0)
                    .x_axis_formatter(move |m, _| {
                        let i = m.value.round();
                        if (m.value - i).abs() < 1e-6 && i >= 0.0 {
                            labels.get(i as usize).cloned().unwrap_or_default()
                        } else {
                            String::new()
                        }
                    })
                    .show(ui, |p| {
                        for (m, c) in [
                            (Metric::CloseRate, Color32::from_rgb(46, 160, 67)),
                            (Metric::OnTimeCloseRate, Color32::from_rgb(30, 110, 200)),
                            (Metric::HotlineSatisfaction, Color32::from_rgb(222, 170, 20)),
                        ] {
                            p.line(Line::new(label(m, lang), PlotPoints::from(series(m))).color(c));
                        }
                    });
            });
            ui.add_space(6.0);

            // Rankings.
            let levels = cx.node.engine.district.levels().clone();
            ui.columns(2, |cols| {
                for (i, (title, formula, rows, what)) in [
                    (
                        match lang {
                            Lang::Zh => format!("{}排名（综合得分）", levels.street),
                            Lang::En => "Streets by composite score".to_string(),
                        },
                        &a.street_formula,
                        &a.streets,
                        Metric::OnTimeCloseRate,
                    ),
                    (
                        lang.t("部门排名（综合得分）", "Departments by composite score")
                            .to_string(),
                        &a.department_formula,
                        &a.departments,
                        Metric::OnTimeCloseRate,
                    ),
                ]
                .into_iter()
                .enumerate()
                {
                    let ui = &mut cols[i];
                    ui.strong(&title);
                    // The formula the configuration defines (assessment.toml), always shown.
                    ui.label(
                        RichText::new(format!("{} = {formula}", lang.t("得分", "Score")))
                            .small()
                            .weak(),
                    );
                    let scored: Vec<_> = rows.iter().filter(|r| r.score.is_some()).collect();
                    if scored.is_empty() {
                        ui.label(lang.t("本期无可排名数据", "Nothing to rank this period"));
                        continue;
                    }
                    let bars: Vec<Bar> = scored
                        .iter()
                        .rev()
                        .enumerate()
                        .map(|(k, r)| {
                            Bar::new(k as f64, r.score.unwrap_or(0.0))
                                .name(&r.name)
                                .fill(Color32::from_rgb(70, 130, 180))
                        })
                        .collect();
                    let names: Vec<String> = scored.iter().rev().map(|r| r.name.clone()).collect();
                    Plot::new(format!("rank{i}"))
                        .height(18.0 * scored.len().clamp(4, 17) as f32)
                        .allow_scroll(false)
                        .allow_zoom(false)
                        .allow_drag(false)
                        .include_x(0.0)
                        .include_x(100.0)
                        .show_grid([true, false])
                        .show_axes([true, false])
                        .show(ui, |p| {
                            p.bar_chart(BarChart::new(title, bars).horizontal());
                            // Each bar named inside it: every name readable however many bars.
                            for (k, name) in names.iter().enumerate() {
                                p.text(
                                    egui_plot::Text::new(
                                        name.clone(),
                                        egui_plot::PlotPoint::new(1.0, k as f64),
                                        RichText::new(name).size(11.0),
                                    )
                                    .anchor(egui::Align2::LEFT_CENTER)
                                    .color(Color32::WHITE),
                                );
                            }
                        });
                    egui::Grid::new(format!("ranktable{i}"))
                        .striped(true)
                        .show(ui, |ui| {
                            ui.label(lang.t("名次", "Rank"));
                            ui.label(lang.t("单位", "Unit"));
                            ui.label(lang.t("得分", "Score"));
                            ui.label(label(Metric::CloseRate, lang));
                            ui.end_row();
                            for r in scored {
                                ui.label(r.rank.to_string());
                                if ui.link(&r.name).clicked() {
                                    drill_request = Some((r.unit.clone(), what));
                                }
                                ui.label(r.score.map_or("—".into(), |s| format!("{s:.2}")))
                                    .on_hover_text(
                                        r.parts
                                            .iter()
                                            .map(|(n, w, v)| {
                                                format!(
                                                    "{n} ×{w:.0}% = {}",
                                                    v.map_or("—".into(), |v| {
                                                        format!("{:.1}%", v * 100.0)
                                                    })
                                                )
                                            })
                                            .collect::<Vec<_>>()
                                            .join("\n"),
                                    );
                                ui.label(r.figures.show(Metric::CloseRate));
                                ui.end_row();
                            }
                        });
                }
            });
            ui.add_space(6.0);

            // Posts and 高频.
            ui.columns(2, |cols| {
                let ui = &mut cols[0];
                ui.strong(lang.t("岗位考核", "Posts"));
                egui::Grid::new("posts").striped(true).show(ui, |ui| {
                    ui.label(lang.t("单位", "Unit"));
                    ui.label(lang.t("岗位", "Post"));
                    ui.label(lang.t("经办人", "Person"));
                    ui.label(lang.t("得分", "Score"));
                    ui.label(lang.t("等级", "Grade"));
                    ui.end_row();
                    for p in a
                        .posts
                        .iter()
                        .filter(|p| district.is_same_or_above(&scope, &p.unit))
                    {
                        ui.label(unit_name(&district, &p.unit));
                        ui.label(match lang {
                            Lang::Zh => p.post.label_zh(),
                            Lang::En => p.post.role().label_en(),
                        })
                        .on_hover_text(
                            p.parts
                                .iter()
                                .map(|(n, w, v)| {
                                    format!(
                                        "{n} ×{w:.0}% = {}",
                                        v.map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("\n"),
                        );
                        ui.label(match &p.person {
                            Some(name) => name.clone(),
                            None => lang.t("（合计）", "(all)").to_string(),
                        });
                        ui.label(format!("{:.1}", p.score));
                        ui.label(p.grade.letter());
                        ui.end_row();
                    }
                });
                let ui = &mut cols[1];
                if let Some((f, share)) = &a.dominant_issue {
                    ui.strong(format!(
                        "{}：{}（{} {}，{:.1}%）",
                        lang.t("每月一题", "Issue of the period"),
                        f.label,
                        f.count,
                        lang.t("件", "cases"),
                        share * 100.0
                    ));
                }
                for (title, list) in [
                    (lang.t("高频诉求人", "Frequent callers"), &a.top_reporters),
                    (lang.t("高频诉求地", "Frequent places"), &a.top_places),
                    (lang.t("高频诉求事", "Frequent issues"), &a.top_issues),
                ] {
                    ui.label(RichText::new(title).strong());
                    if list.is_empty() {
                        ui.label("—");
                    }
                    for f in list.iter().take(5) {
                        ui.label(format!("{} · {} · {}", f.count, f.key, f.label));
                    }
                }
            });

            if self.drilling.is_some() {
                ui.spinner();
            }
        });

        // Drill-down: the cases behind the figure clicked, in a window over the view.
        let mut open = None;
        let mut keep = true;
        if let Some(d) = &self.drill {
            let title = format!(
                "{} · {} · {} {}",
                unit_name(&district, &d.unit),
                label(d.metric, lang),
                d.rows.len(),
                lang.t("件", "cases")
            );
            egui::Window::new(title)
                .id(egui::Id::unique("gridloop-drill-down"))
                .open(&mut keep)
                .default_pos(ui.max_rect().left_top() + egui::vec2(220.0, 140.0))
                .default_size([720.0, 420.0])
                .show(ui.ctx(), |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        egui::Grid::new("drill").striped(true).show(ui, |ui| {
                            for s in d.rows.iter().take(500) {
                                if ui.link(&s.number).clicked() {
                                    open = Some(s.id.clone());
                                }
                                ui.label(crate::views::fmt_time(s.reported));
                                ui.label(match lang {
                                    Lang::Zh => s.state.label_zh(),
                                    Lang::En => s.state.label_en(),
                                });
                                ui.label(unit_name(&district, &s.holder));
                                ui.label(&s.address);
                                ui.end_row();
                            }
                        });
                        if d.rows.len() > 500 {
                            ui.label(lang.t(
                            "（仅显示前 500 件；gridloop report --cases-of 可导出全部为 CSV）",
                            "(first 500 shown; `gridloop report --cases-of` exports all as CSV)",
                        ));
                        }
                    });
                });
        }
        if !keep {
            self.drill = None;
        }
        if let Some(id) = open {
            out.push(Intent::OpenCase(id));
        }

        if let Some((unit, metric)) = drill_request {
            let engine = node.engine.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let r = (|| {
                    let (from, to) = period.bounds(&engine.calendar);
                    let rows = engine
                        .store
                        .read()
                        .and_then(|r| r.reported_rows(from, to))
                        .map_err(|e| e.to_string())?;
                    let want = if metric.is_count() {
                        None
                    } else {
                        Some(metric.lower_is_better())
                    };
                    let rows = assess::cases_behind(
                        &rows,
                        &engine.district,
                        &engine.catalogue,
                        now,
                        &unit,
                        true,
                        metric,
                        want,
                    );
                    Ok(DrillDown { unit, metric, rows })
                })();
                let _ = tx.send(r);
            });
            self.drilling = Some(rx);
            self.drill = None;
        }
        out
    }
}

/// Writes the period's report next to the node's store, in `reports/`.
fn export(
    engine: &Engine,
    scope: &str,
    a: &Assessment,
    fmt: &str,
) -> Result<std::path::PathBuf, String> {
    let dir = engine
        .store
        .path()
        .parent()
        .map(|p| p.join("reports"))
        .ok_or("the store has no directory")?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let title = report::title(a, scope);
    let sheets = report::sheets(a, &engine.district, &engine.calendar, scope);
    let bytes = match fmt {
        "xlsx" => report::xlsx(&title, &sheets).map_err(|e| e.to_string())?,
        "md" => report::markdown(&title, &sheets).into_bytes(),
        _ => report::html(&title, &sheets).into_bytes(),
    };
    let path = dir.join(format!("{}.{fmt}", title.replace(' ', "-")));
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
