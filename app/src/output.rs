//! Terminal output: case tables, the case detail with its trail, progress bars — and where it
//! goes: the terminal, or (for a command a running node runs for the CLI over its control
//! socket) a buffer sent back to the caller. Commands write with [`say!`] and [`say_err!`].

use std::cell::RefCell;
use std::fmt::Arguments;
use std::io::Write;

use gridloop_core::domain::calendar::{Light, Millis};
use gridloop_core::engine::{CaseRecord, Engine};
use gridloop_core::store::CaseSummary;
use gridloop_core::workflow::Derived;
use indicatif::{ProgressBar, ProgressStyle};

thread_local! {
    /// This thread's command output being captured (stdout, stderr), if it is.
    static CAPTURED: RefCell<Option<(Vec<u8>, Vec<u8>)>> = const { RefCell::new(None) };
}

/// Runs `f` with everything it says captured: returns its result and what it wrote to
/// stdout and stderr.
pub fn captured<T>(f: impl FnOnce() -> T) -> (T, String, String) {
    CAPTURED.with(|c| *c.borrow_mut() = Some((Vec::new(), Vec::new())));
    let out = f();
    let (o, e) = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (
        out,
        String::from_utf8_lossy(&o).into_owned(),
        String::from_utf8_lossy(&e).into_owned(),
    )
}

fn capturing() -> bool {
    CAPTURED.with(|c| c.borrow().is_some())
}

/// Writes one line of a command's output: to stdout, or to the capture. A closed stdout
/// (`gridloop list | head`) ends the program quietly, as command-line tools do.
pub fn write_out(args: Arguments<'_>) {
    let done = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some((o, _)) => {
            let _ = writeln!(o, "{args}");
            true
        }
        None => false,
    });
    if !done && writeln!(std::io::stdout().lock(), "{args}").is_err() {
        std::process::exit(0);
    }
}

/// Writes one line of a command's diagnostics: to stderr, or to the capture.
pub fn write_err(args: Arguments<'_>) {
    let done = CAPTURED.with(|c| match c.borrow_mut().as_mut() {
        Some((_, e)) => {
            let _ = writeln!(e, "{args}");
            true
        }
        None => false,
    });
    if !done {
        let _ = writeln!(std::io::stderr().lock(), "{args}");
    }
}

/// `println!` for command output: see [`write_out`].
macro_rules! say {
    () => { $crate::output::write_out(format_args!("")) };
    ($($t:tt)*) => { $crate::output::write_out(format_args!($($t)*)) };
}

/// `eprintln!` for command diagnostics: see [`write_err`].
macro_rules! say_err {
    ($($t:tt)*) => { $crate::output::write_err(format_args!($($t)*)) };
}

/// A progress bar for long work on the terminal (hidden when not a terminal, and for a
/// command run for the CLI by a running node).
pub fn progress(len: u64, what: &str) -> ProgressBar {
    if capturing() {
        return ProgressBar::hidden();
    }
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

/// A unit's name, or its code when the district does not know it.
pub(crate) fn unit_name(engine: &Engine, id: &gridloop_core::domain::unit::UnitId) -> String {
    engine
        .district
        .unit(id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| id.to_string())
}

/// Prints case rows as a table.
pub fn table(engine: &Engine, rows: &[CaseSummary], now: Millis) {
    if rows.is_empty() {
        say!("(no cases)");
        return;
    }
    say!(
        "{:<28} {:<6} {:<2} {:<14} {:<10} {:<17} 地址",
        "案卷编号",
        "状态",
        "灯",
        "责任单位",
        "类别",
        "时限"
    );
    for s in rows {
        let cat = engine
            .catalogue
            .get(&s.category)
            .map(|m| m.name.as_str())
            .unwrap_or("");
        say!(
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
    say!("{} case(s)", rows.len());
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
    say!("案卷编号 {}   ({})", i.number, rec.id);
    say!(
        "状态     {} · {} · {} 灯",
        c.state.label_zh(),
        c.level.label_zh(),
        light_mark(c.light(now))
    );
    say!("责任单位 {}", unit_name(engine, &c.holder));
    if !c.handlers.is_empty() {
        let hs: Vec<String> = c.handlers.iter().map(|h| unit_name(engine, h)).collect();
        say!("处置单位 {}", hs.join("、"));
    }
    for r in &c.receipts {
        match r.signed {
            Some(t) => say!(
                "签收     {} {}{}",
                unit_name(engine, &r.unit),
                time(t),
                if t <= r.due { "" } else { " (超时签收)" }
            ),
            None => say!(
                "签收     {} 未签收 (时限 {})",
                unit_name(engine, &r.unit),
                time(r.due)
            ),
        }
    }
    say!("来源     {}", i.source.label_zh());
    say!("类别     {} {}", c.category, cat);
    say!("网格     {}", c.grid);
    say!("地址     {}", i.address);
    say!("描述     {}", i.description);
    if let Some(r) = &i.reporter {
        say!("反映人   {} {}", r.name, r.phone);
    }
    let uncovered = |d: &gridloop_core::workflow::Deadline| match d.uncovered(&engine.calendar) {
        Some(y) => format!(" ⚠ {y}年未配置节假日，仅按周末计算 (weekends only)"),
        None => String::new(),
    };
    if let Some(st) = &c.stage {
        say!(
            "环节时限 {} (黄灯 {}){}",
            time(st.due),
            time(st.warn_at),
            uncovered(st)
        );
    }
    if let Some(o) = &c.overall {
        say!("处置时限 {} ({}){}", time(o.due), o.limit, uncovered(o));
    }
    say!(
        "返工 {} · 延期 {} · 回退 {} · 督办催办 {}",
        c.rework,
        c.extensions,
        c.send_backs,
        c.notes
    );
    if let Some(s) = engine.rules().suggest_dispatch(c) {
        let (how, u) = match &s.route {
            gridloop_core::workflow::Route::Department(u) => ("派遣", u),
            gridloop_core::workflow::Route::Territory(u) => ("属地派遣", u),
        };
        say!("派遣建议 {how} {} — {}", unit_name(engine, u), s.why_zh);
    }
    if let Some(p) = &c.pending {
        say!(
            "待审批   {} 申请 ({}) — {}",
            p.kind.label_zh(),
            p.id,
            p.reason
        );
    }
    if let Some(branches) = &d.conflict {
        say!(
            "!! 冲突 conflict: {} branches — resolve with `act CASE resolve --keep TIP --note ...`",
            branches.len()
        );
        for b in branches {
            say!(
                "   branch tip {} → {} at {}",
                b.tip,
                b.state.state.label_zh(),
                unit_name(engine, &b.state.holder)
            );
        }
    }
    say!("流转记录:");
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
        // 代录: recorded for the handling unit by another.
        let mark = match e.on_behalf_of() {
            Some(u) => format!("{mark} [代录 for {}]", unit_name(engine, u)),
            None => mark,
        };
        say!(
            "  {}  {:<8} {} {} {}{}{}",
            time(e.millis()),
            e.action.label_zh(),
            unit_name(engine, &e.unit),
            match &e.person {
                Some(p) => format!("{} {p}", e.role.label_zh()),
                None => e.role.label_zh().to_string(),
            },
            e.id,
            e.action
                .opinion()
                .map(|o| format!(" — {o}"))
                .unwrap_or_default(),
            mark
        );
    }
}
