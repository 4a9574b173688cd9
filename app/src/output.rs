//! Terminal output: case tables, the case detail with its trail, progress bars.

use gridloop_core::domain::calendar::{Light, Millis};
use gridloop_core::engine::{CaseRecord, Engine};
use gridloop_core::store::CaseSummary;
use gridloop_core::workflow::Derived;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar for long work on the terminal (hidden when not a terminal).
pub fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Formats a time in Beijing time (北京时间).
pub fn time(t: Millis) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp_millis(t)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// A duration as `1h02m` from an hour up, else as `5m03s`.
pub fn span(ms: Millis) -> String {
    let m = ms / 60_000;
    if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m{:02}s", (ms % 60_000) / 1000)
    }
}

fn light_mark(l: Light) -> &'static str {
    match l {
        Light::Green => "绿",
        Light::Yellow => "黄",
        Light::Red => "红",
    }
}

fn unit_name(engine: &Engine, id: &gridloop_core::domain::unit::UnitId) -> String {
    engine
        .district
        .unit(id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// Prints case rows as a table.
pub fn table(engine: &Engine, rows: &[CaseSummary], now: Millis) {
    if rows.is_empty() {
        println!("(no cases)");
        return;
    }
    println!(
        "{:<28} {:<6} {:<2} {:<14} {:<10} {:<17} 地址",
        "案卷编号", "状态", "灯", "责任单位", "类别", "时限"
    );
    for s in rows {
        let cat = engine
            .catalogue
            .get(&s.category)
            .map(|m| m.name.as_str())
            .unwrap_or("");
        println!(
            "{:<30} {:<6} {:<2} {:<14} {:<10} {:<17} {}{}",
            s.number,
            s.state.label_zh(),
            light_mark(s.light(now)),
            unit_name(engine, &s.holder),
            cat,
            s.due.map(time).unwrap_or_else(|| "-".into()),
            s.address,
            if s.conflict { " [冲突]" } else { "" }
        );
    }
    println!("{} case(s)", rows.len());
}

/// Prints a case with its trail (案卷详情, 流转记录).
pub fn detail(engine: &Engine, rec: &CaseRecord, d: &Derived, now: Millis) {
    let c = &d.current;
    let i = &rec.intake;
    let cat = engine
        .catalogue
        .get(&c.category)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    println!("案卷编号 {}   ({})", i.number, rec.id);
    println!(
        "状态     {} · {} · {} 灯",
        c.state.label_zh(),
        c.level.label_zh(),
        light_mark(c.light(now))
    );
    println!("责任单位 {}", unit_name(engine, &c.holder));
    if !c.handlers.is_empty() {
        let hs: Vec<String> = c.handlers.iter().map(|h| unit_name(engine, h)).collect();
        println!("处置单位 {}", hs.join("、"));
    }
    println!("来源     {}", i.source.label_zh());
    println!("类别     {} {}", c.category, cat);
    println!("网格     {}", c.grid);
    println!("地址     {}", i.address);
    println!("描述     {}", i.description);
    if let Some(r) = &i.reporter {
        println!("反映人   {} {}", r.name, r.phone);
    }
    let uncovered = |d: &gridloop_core::workflow::Deadline| match d.uncovered(&engine.calendar) {
        Some(y) => format!(" ⚠ {y}年未配置节假日，仅按周末计算 (weekends only)"),
        None => String::new(),
    };
    if let Some(st) = &c.stage {
        println!(
            "环节时限 {} (黄灯 {}){}",
            time(st.due),
            time(st.warn_at),
            uncovered(st)
        );
    }
    if let Some(o) = &c.overall {
        println!("处置时限 {} ({}){}", time(o.due), o.limit, uncovered(o));
    }
    println!(
        "返工 {} · 延期 {} · 回退 {} · 督办催办 {}",
        c.rework, c.extensions, c.send_backs, c.notes
    );
    if let Some(p) = &c.pending {
        println!(
            "待审批   {} 申请 ({}) — {}",
            p.kind.label_zh(),
            p.id,
            p.reason
        );
    }
    if let Some(branches) = &d.conflict {
        println!(
            "!! 冲突 conflict: {} branches — resolve with `act CASE resolve --keep TIP --note ...`",
            branches.len()
        );
        for b in branches {
            println!(
                "   branch tip {} → {} at {}",
                b.tip,
                b.state.state.label_zh(),
                unit_name(engine, &b.state.holder)
            );
        }
    }
    println!("流转记录:");
    let mut evs: Vec<_> = rec.events.iter().collect();
    evs.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    for e in evs {
        let mark = if d.invalid.iter().any(|(id, _)| id == &e.id) {
            " (无效 invalid)"
        } else if d.superseded.contains(&e.id) {
            " (已搁置 superseded)"
        } else {
            ""
        };
        let mark = if e.offline {
            format!("{mark} [离线 offline]")
        } else {
            mark.to_string()
        };
        println!(
            "  {}  {:<8} {} {} {}{}{}",
            time(e.millis()),
            e.action.label_zh(),
            unit_name(engine, &e.unit),
            e.role.label_zh(),
            e.id,
            e.action
                .opinion()
                .map(|o| format!(" — {o}"))
                .unwrap_or_default(),
            mark
        );
    }
}
