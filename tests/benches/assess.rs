//! Benchmark of the assessment (考核) on a district-year store: the monthly assessment of the
//! whole district against its anchor measured in the same run — the same month's figures the
//! naive way, by loading and replaying every case document — plus the yearly assessment and
//! the one-off projection rebuild a store of the previous layout pays when it opens. Prints a
//! table and, with `GRIDLOOP_BENCH_WRITE=1`, replaces the assessment section of BENCHMARKS.md.
//!
//! `cargo bench -p gridloop-tests --bench assess` (env GRIDLOOP_BENCH_CASES, default 1 500 000;
//! GRIDLOOP_BENCH_STORE=/path/file.redb keeps the generated store between runs).

use std::time::Instant;

use gridloop_core::analytics::assess::{AssessConfig, Metric, assess, assess_rows};
use gridloop_core::domain::period::Period;
use gridloop_core::domain::role::NodeId;
use gridloop_core::engine::Engine;
use gridloop_core::store::{CaseSummary, Store};
use gridloop_core::workload::bulk;
use gridloop_core::workload::generate::{CASES_PER_YEAR, Generator, YEAR_2026};

/// Cases of the month replayed by the anchor (extrapolated to the month).
const ANCHOR_SAMPLE: usize = 20_000;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let cases: u64 = std::env::var("GRIDLOOP_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES_PER_YEAR);
    let tmp =
        tempfile::tempdir_in(std::env::var("GRIDLOOP_BENCH_DIR").unwrap_or_else(|_| ".".into()))
            .unwrap();
    let path = std::env::var("GRIDLOOP_BENCH_STORE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| tmp.path().join("year.redb"));
    let fresh = !path.exists();
    let engine = Engine::demo(Store::open(&path).unwrap());
    let now = YEAR_2026 + 365 * 86_400_000;
    if fresh {
        let rules = engine.rules();
        let mut generator = Generator::new(rules, 2026, YEAR_2026, 365, now);
        let source = (0..cases).map(move |_| Ok(generator.next_case()));
        let t0 = Instant::now();
        let last = std::sync::atomic::AtomicU64::new(0);
        bulk::import(
            &engine.store,
            rules,
            &NodeId("bench".into()),
            source,
            std::thread::available_parallelism().map_or(2, |n| n.get()),
            &|done| {
                if done >= last.load(std::sync::atomic::Ordering::Relaxed) + 100_000 {
                    last.store(done, std::sync::atomic::Ordering::Relaxed);
                    eprintln!(
                        "  generated {done} cases, {:.0} s",
                        t0.elapsed().as_secs_f64()
                    );
                }
            },
        )
        .unwrap();
    }
    let total = engine.store.read().unwrap().count().unwrap();
    eprintln!("store {} with {total} cases", path.display());
    let config = AssessConfig::default();
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // The busiest month.
    let months: Vec<Period> = (1..=12)
        .map(|m| Period::parse(&format!("2026-{m:02}")).unwrap())
        .collect();
    let counts: Vec<usize> = {
        let r = engine.store.read().unwrap();
        months
            .iter()
            .map(|p| {
                let (from, to) = p.bounds(&engine.calendar);
                r.reported_rows(from, to).unwrap().len()
            })
            .collect()
    };
    let (mi, month_cases) = counts
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .map(|(i, n)| (i, *n))
        .unwrap();
    let month = months[mi];

    // 1. The monthly assessment, as `gridloop report` and the 统计考核 view run it.
    let mut times = Vec::new();
    let mut split = (0.0, 0.0);
    let mut figures = None;
    for _ in 0..5 {
        let t = Instant::now();
        let a = assess(&engine, month, now, &config).unwrap();
        times.push(t.elapsed().as_secs_f64());
        // The same work in its two parts: reading the rows, folding them.
        let t = Instant::now();
        let (from, to) = month.bounds(&engine.calendar);
        let month_rows = engine
            .store
            .read()
            .unwrap()
            .reported_rows(from, to)
            .unwrap();
        let read = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let b = assess_rows(
            &month_rows,
            &engine.district,
            &engine.catalogue,
            &engine.calendar,
            month,
            now,
            &config,
        );
        split = (read, t.elapsed().as_secs_f64());
        assert_eq!(a, b);
        figures = Some(a);
    }
    let a = figures.unwrap();
    let max = times.iter().cloned().fold(0.0, f64::max);
    let med = median(&mut times);
    rows.push((
        format!(
            "monthly assessment of the whole district ({}, {} cases, {total} in the store)",
            month.label(),
            a.cases
        ),
        format!(
            "median {:.0} ms, max {:.0} ms (reading rows {:.0} ms, folding {:.0} ms)",
            med * 1e3,
            max * 1e3,
            split.0 * 1e3,
            split.1 * 1e3
        ),
        "≤ 2 s".into(),
    ));

    // 2. The anchor: the same month by hydrating documents (load + replay each).
    let (from, to) = month.bounds(&engine.calendar);
    let ids: Vec<_> = engine
        .store
        .read()
        .unwrap()
        .reported_rows(from, to)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let sample = ids.len().min(ANCHOR_SAMPLE);
    let t = Instant::now();
    let rules = engine.rules();
    let r = engine.store.read().unwrap();
    let mut rebuilt: Vec<CaseSummary> = Vec::with_capacity(sample);
    for id in ids.iter().take(sample) {
        let doc = r.doc(id).unwrap();
        let intake = doc.intake().unwrap();
        let events = doc.events().unwrap();
        let d = rules.replay(&intake, &events).unwrap();
        rebuilt.push(CaseSummary::build(id, &intake, &d));
    }
    let per_case = t.elapsed().as_secs_f64() / sample.max(1) as f64;
    let anchor = per_case * month_cases as f64;
    drop(r);
    rows.push((
        "anchor: the same month by loading and replaying every case document".into(),
        format!(
            "{anchor:.1} s ({:.0} µs a case on one core; {sample} of {month_cases} cases timed, extrapolated) — {:.0}× slower",
            per_case * 1e6,
            anchor / med
        ),
        "—".into(),
    ));
    let closed = a.total(&engine.district).ratio(Metric::CloseRate);
    eprintln!(
        "month {}: 结案率 {}/{}",
        month.label(),
        closed.hits,
        closed.total
    );

    // 3. The year.
    let t = Instant::now();
    let y = assess(&engine, Period::parse("2026").unwrap(), now, &config).unwrap();
    rows.push((
        format!(
            "yearly assessment of the whole district ({} cases)",
            y.cases
        ),
        format!("{:.0} ms", t.elapsed().as_secs_f64() * 1e3),
        "—".into(),
    ));

    // 4. The projection rebuild (what a store of the previous layout pays once).
    if std::env::var("GRIDLOOP_BENCH_SKIP_REBUILD").is_err() {
        let t = Instant::now();
        let last = std::sync::atomic::AtomicU64::new(0);
        let done = gridloop_core::engine::rebuild::rebuild_projection(&engine, &|d, n| {
            if d >= last.load(std::sync::atomic::Ordering::Relaxed) + 100_000 {
                last.store(d, std::sync::atomic::Ordering::Relaxed);
                eprintln!("  rebuilt {d}/{n}, {:.0} s", t.elapsed().as_secs_f64());
            }
        })
        .unwrap();
        rows.push((
            format!(
                "projection rebuild from the documents ({} cases), once per layout change",
                done.cases
            ),
            format!("{:.0} s", t.elapsed().as_secs_f64()),
            "—".into(),
        ));
        let again = assess(&engine, month, now, &config).unwrap();
        assert_eq!(again, a, "the rebuilt projection assesses the same");
    }

    let table = gridloop_tests::bench::table(&rows);
    println!("\n{table}");
    if std::env::var("GRIDLOOP_BENCH_WRITE").is_ok() {
        gridloop_tests::bench::write_section(
            "Assessment",
            &format!(
                "Machine: {}. Command: `GRIDLOOP_BENCH_WRITE=1 cargo bench -p gridloop-tests --bench assess` ({total} cases).\n\n{table}",
                gridloop_tests::bench::machine()
            ),
        );
    }
}
