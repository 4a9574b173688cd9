//! Benchmarks of the case engine (not timed tests): one durable user action against an fsync
//! anchor measured in the same run; importing a district-year of generated cases (time and
//! peak memory); inbox and overdue queries on that store. Prints a table and, with
//! `GRIDLOOP_BENCH_WRITE=1`, replaces the engine section of BENCHMARKS.md.
//!
//! `cargo bench -p gridloop-tests --bench engine` (env GRIDLOOP_BENCH_CASES, default 1 500 000).

use std::io::Write;
use std::time::Instant;

use gridloop_core::domain::calendar::Light;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::{LightFilter, Store};
use gridloop_core::workflow::State;
use gridloop_core::workload::bulk;
use gridloop_core::workload::generate::{CASES_PER_YEAR, Generator, YEAR_2026};

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn peak_rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn fsync_anchor(dir: &std::path::Path, n: usize) -> Vec<f64> {
    let mut f = std::fs::File::create(dir.join("anchor.bin")).unwrap();
    let buf = vec![7u8; 4096];
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f.write_all(&buf).unwrap();
            f.sync_data().unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

fn main() {
    let cases: u64 = std::env::var("GRIDLOOP_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES_PER_YEAR);
    let dir =
        tempfile::tempdir_in(std::env::var("GRIDLOOP_BENCH_DIR").unwrap_or_else(|_| ".".into()))
            .unwrap();
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // 1. One durable user action, on a small store.
    let engine = Engine::demo(Store::open(&dir.path().join("actions.redb")).unwrap());
    let district = engine.district.root().id.clone();
    let grid = engine.district.grids().next().unwrap().code.clone();
    let dept = engine.district.departments()[0].id.clone();
    let at = |role| Actor::new("bench", district.clone(), role);
    let new = NewCase {
        source: "hotline".into(),
        category: "E0102".into(),
        grid: grid.to_string(),
        address: "基准测试地址".into(),
        description: "暴露垃圾".into(),
        ..NewCase::default()
    };
    let mut t = YEAR_2026 + 330 * 86_400_000;
    let mut lat = Vec::new();
    for _ in 0..400 {
        t += 60_000;
        let s0 = Instant::now();
        let s = engine.report(&at(Role::Intake), &new, t).unwrap();
        lat.push(s0.elapsed().as_secs_f64() * 1e3);
        for (role, action) in [
            (Role::Intake, Action::Accept),
            (
                Role::ShiftLead,
                Action::Register {
                    category: s.category.clone(),
                    grid: s.grid.clone(),
                },
            ),
            (
                Role::Dispatcher,
                Action::Dispatch {
                    lead: dept.clone(),
                    assists: vec![],
                },
            ),
        ] {
            t += 60_000;
            let s0 = Instant::now();
            engine.act(&at(role), &s.id, action, t).unwrap();
            lat.push(s0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let mut anchor = fsync_anchor(dir.path(), 400);
    let (am, ap) = (percentile(&mut anchor, 0.5), percentile(&mut anchor, 0.99));
    let (m, p) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99));
    rows.push((
        "anchor: write 4 KB + fdatasync".into(),
        format!("median {am:.3} ms, p99 {ap:.3} ms"),
        "—".into(),
    ));
    rows.push((
        "one durable user action (report/accept/register/dispatch)".into(),
        format!("median {m:.3} ms, p99 {p:.3} ms ({:.1}× fsync)", m / am),
        "median ≤ 2 ms".into(),
    ));
    drop(engine);

    // 2. Import a district-year of generated cases.
    let engine = Engine::demo(Store::open(&dir.path().join("year.redb")).unwrap());
    let rules = engine.rules();
    let now = YEAR_2026 + 365 * 86_400_000;
    let mut generator = Generator::new(rules, 2026, YEAR_2026, 365, now);
    let source = (0..cases).map(move |_| Ok(generator.next_case()));
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let t0 = Instant::now();
    let last = std::sync::atomic::AtomicU64::new(0);
    let report = bulk::import(
        &engine.store,
        rules,
        &NodeId("bench".into()),
        source,
        workers,
        &|done| {
            if done >= last.load(std::sync::atomic::Ordering::Relaxed) + 100_000 {
                last.store(done, std::sync::atomic::Ordering::Relaxed);
                eprintln!(
                    "  imported {done} cases, {:.0} s",
                    t0.elapsed().as_secs_f64()
                );
            }
        },
    )
    .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let size = std::fs::metadata(dir.path().join("year.redb"))
        .map(|m| m.len())
        .unwrap_or(0);
    rows.push((
        format!(
            "generate + import {} cases (one district-year), {workers} threads",
            report.added
        ),
        format!(
            "{secs:.0} s ({:.0} cases/s), peak RSS {:.0} MB, store {:.2} GB",
            report.added as f64 / secs,
            peak_rss_mb(),
            size as f64 / 1e9
        ),
        "≤ 600 s, ≤ 1 GB".into(),
    ));

    // 3. Queries on that store.
    let r = engine.store.read().unwrap();
    let holders: Vec<_> = std::iter::once(district.clone())
        .chain(engine.district.streets().iter().map(|s| s.id.clone()))
        .collect();
    let open_states: Vec<State> = State::ALL.into_iter().filter(|s| s.is_open()).collect();
    let mut inbox = Vec::new();
    let mut found = 0;
    for h in holders.iter().cycle().take(200) {
        let s0 = Instant::now();
        found += r
            .inbox(h, &open_states, LightFilter::Only(Light::Red), now, 100)
            .unwrap()
            .len();
        inbox.push(s0.elapsed().as_secs_f64() * 1e3);
    }
    let (im, ip) = (percentile(&mut inbox, 0.5), percentile(&mut inbox, 0.99));
    rows.push((
        "inbox query (holder + open states + red light, 100 rows)".into(),
        format!(
            "median {im:.2} ms, p99 {ip:.2} ms ({} rows avg)",
            found / 200
        ),
        "≤ 50 ms".into(),
    ));
    let mut od = Vec::new();
    let mut n_over = 0;
    for h in holders.iter().take(18) {
        let s0 = Instant::now();
        n_over = r
            .overdue(now, &|x| engine.district.is_same_or_above(h, x), 200)
            .unwrap()
            .len();
        od.push(s0.elapsed().as_secs_f64() * 1e3);
    }
    let (om, op) = (percentile(&mut od, 0.5), percentile(&mut od, 0.99));
    rows.push((
        "overdue query (scope of a unit, 200 rows)".into(),
        format!("median {om:.2} ms, p99 {op:.2} ms (last {n_over} rows)"),
        "≤ 50 ms".into(),
    ));
    let s0 = Instant::now();
    let total = r.count().unwrap();
    let counts = r.queue_counts(&district).unwrap();
    rows.push((
        "queue counts of the district (index only)".into(),
        format!(
            "{:.1} ms over {total} cases ({} queues)",
            s0.elapsed().as_secs_f64() * 1e3,
            counts.len()
        ),
        "—".into(),
    ));

    let table = gridloop_tests::bench::table(&rows);
    println!("\n{table}");
    if std::env::var("GRIDLOOP_BENCH_WRITE").is_ok() {
        gridloop_tests::bench::write_section(
            "Case engine",
            &format!(
                "Machine: {}. Command: `GRIDLOOP_BENCH_WRITE=1 cargo bench -p gridloop-tests --bench engine` ({cases} cases).\n\n{table}",
                gridloop_tests::bench::machine()
            ),
        );
    }
}
