//! Frame time of the workstation (帧时间) with a large store open on the inbox, idle and
//! while scrolling, against the same workstation over an empty store in the same run.
//!
//! `cargo bench -p gridloop-ui --bench frame`. The store: `GRIDLOOP_BENCH_CASES` (default
//! 100 000) synthetic cases imported into a temporary store, or into `GRIDLOOP_BENCH_STORE=PATH`
//! which later runs open as it is.
//! A frame is egui's layout of the whole window plus tessellation of what it draws (the CPU
//! side of a frame; no GPU here), measured with egui_kittest's headless harness.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::domain::unit::District;
use gridloop_core::engine::Engine;
use gridloop_core::store::Store;
use gridloop_core::workload::bulk;
use gridloop_core::workload::generate::Generator;
use gridloop_ui::queue::Queue;
use gridloop_ui::{NodeHandle, Workstation};

struct Stats {
    median: Duration,
    p99: Duration,
    max: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    Stats {
        median: v[v.len() / 2],
        p99: v[(v.len() * 99 / 100).min(v.len() - 1)],
        max: *v.last().expect("frames"),
    }
}

fn frame(h: &mut Harness<'_, Workstation>) -> Duration {
    let t = Instant::now();
    h.step();
    let out = h.output();
    let ppp = out.pixels_per_point;
    let prims = h.ctx.tessellate(out.shapes.clone(), ppp);
    std::hint::black_box(prims);
    t.elapsed()
}

struct Run {
    rows: usize,
    idle: Stats,
    scroll: Stats,
    live: Stats,
    switch: Stats,
}

fn run(engine: Arc<Engine>, now: i64) -> Run {
    let node = NodeHandle::from_engine(engine).expect("node");
    let mut ws = Workstation::new(vec![node], None).with_clock(move || now);
    ws.inbox.queue = Queue::InArea;
    ws.inbox.dirty = true;
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .with_max_steps(u64::MAX)
        .build_ui_state(|ui, ws: &mut Workstation| ws.ui(ui), ws);
    // The workstation's own first frame installs the bundled font and draws nothing.
    h.step();
    frame(&mut h);
    let rows = h.state().inbox.rows.len();
    // Open the first case so the detail panel is part of every frame, as at work.
    if let Some((_, id)) = h.state().inbox.rows.first().cloned() {
        h.state_mut().open_case(id);
    }
    for _ in 0..5 {
        frame(&mut h);
    }
    let idle: Vec<Duration> = (0..300).map(|_| frame(&mut h)).collect();
    let height = (rows as f32 * 22.0).max(1.0);
    let scroll: Vec<Duration> = (1..=300)
        .map(|i| {
            // A fast fling: about 180 rows further each frame, wrapping at the end, so every
            // frame reads rows it has not shown yet.
            h.state_mut().inbox.scroll_to = Some((i as f32 * 4000.0) % height);
            frame(&mut h)
        })
        .collect();
    // Live: a case arrives in the store every frame (as from a peer); queues are re-read on
    // a background thread while frames go on.
    let engine = h.state().node().expect("node").engine.clone();
    let me = engine.node().expect("node");
    let grid = engine.district.grids().next().expect("grid").code.clone();
    let actor = gridloop_core::domain::role::Actor {
        node: me.node.clone(),
        unit: me.unit.clone(),
        role: Role::Intake,
        person: None,
    };
    let live: Vec<Duration> = (0..120)
        .map(|i| {
            engine
                .report(
                    &actor,
                    &gridloop_core::engine::NewCase {
                        source: "hotline".into(),
                        category: "E0102".into(),
                        grid: grid.as_str().into(),
                        address: format!("基准地址{i}号"),
                        description: "帧时间基准".into(),
                        ..Default::default()
                    },
                    now,
                )
                .expect("report");
            std::thread::sleep(Duration::from_millis(16));
            frame(&mut h)
        })
        .collect();
    // The operator switches queue (or filter, or makes a move): read at once, in the frame.
    let switch: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            h.state_mut().invalidate();
            t.elapsed() + frame(&mut h)
        })
        .collect();
    Run {
        rows,
        idle: stats(idle),
        scroll: stats(scroll),
        live: stats(live),
        switch: stats(switch),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let now = chrono::Utc::now().timestamp_millis();
    let district = District::demo();
    let open = |path: &std::path::Path| {
        let store = Store::open(path).expect("store");
        if store.node().expect("node").is_none() {
            store
                .set_node(&NodeId("d".into()), &district.root().id, Role::Dispatcher)
                .expect("node");
        }
        Arc::new(Engine::demo(store))
    };
    let kept = std::env::var("GRIDLOOP_BENCH_STORE")
        .ok()
        .map(std::path::PathBuf::from);
    let big = match kept {
        Some(p) if p.exists() => open(&p),
        kept => {
            let n: u64 = std::env::var("GRIDLOOP_BENCH_CASES")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(100_000);
            let path = kept.unwrap_or_else(|| tmp.path().join("big.redb"));
            let e = open(&path);
            eprintln!("importing {n} synthetic cases…");
            let rules = e.rules();
            let mut g = Generator::new(rules, 11, now - 60 * 86_400_000, 60, now);
            bulk::import(
                &e.store,
                rules,
                &NodeId("d".into()),
                (0..n).map(move |_| Ok(g.next_case())),
                2,
                &|_| {},
            )
            .expect("import");
            e
        }
    };
    let cases = big.store.read().and_then(|r| r.count()).expect("count");
    let empty = open(&tmp.path().join("empty.redb"));
    let anchor = run(empty, now);
    let measured = run(big, now);
    println!(
        "\nworkstation frame time (layout + tessellation, 1600×1000, inbox 辖区在办 + case detail)"
    );
    println!(
        "| store | rows in 辖区在办 | idle median | idle p99 | scrolling median | scrolling p99 | scrolling max | live store median | live p99 | live max | queue switch (read in frame) median | max |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, r) in [
        ("empty (anchor)".to_string(), &anchor),
        (format!("{cases} cases"), &measured),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.rows,
            ms(r.idle.median),
            ms(r.idle.p99),
            ms(r.scroll.median),
            ms(r.scroll.p99),
            ms(r.scroll.max),
            ms(r.live.median),
            ms(r.live.p99),
            ms(r.live.max),
            ms(r.switch.median),
            ms(r.switch.max)
        );
    }
    println!("target: ≤ 16 ms per frame");
}
