//! Replication benchmark (同步基准): real nodes on loopback with real redb stores.
//!
//! Measures: initial sync of the street's cases; reconnect after an outage in which 5 000
//! cases changed, five times (time, bytes on the wire against raw change bytes); reconnect with
//! nothing changed; a new case at a community visible at the district through its street. Prints a
//! table and, with `GRIDLOOP_BENCH_WRITE=1`, replaces the "## Replication" section of
//! BENCHMARKS.md.
//!
//! `cargo bench -p gridloop-tests --bench sync` (env GRIDLOOP_BENCH_SYNC_CASES, default 5 000).

use std::time::{Duration, Instant};

use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::UnitId;
use gridloop_core::workflow::State;
use gridloop_tests::{Spec, T0, TestNet, units};

fn wire_bytes(net: &TestNet) -> u64 {
    net.nodes
        .values()
        .filter_map(|n| n.node.as_ref())
        .flat_map(|n| n.peers())
        .map(|p| p.bytes_out)
        .sum()
}

fn count(net: &TestNet, node: &str, holder: &UnitId, state: State) -> u64 {
    net.n(node)
        .engine()
        .store
        .read()
        .unwrap()
        .queue_counts(holder)
        .unwrap()
        .into_iter()
        .find(|(s, _)| *s == state)
        .map(|(_, c)| c)
        .unwrap_or(0)
}

async fn until(secs: u64, what: &str, pred: impl Fn() -> bool) -> Duration {
    let t = Instant::now();
    while !pred() {
        assert!(t.elapsed() < Duration::from_secs(secs), "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    t.elapsed()
}

fn live(net: &TestNet, a: &str, b: &str) -> bool {
    net.n(a)
        .node()
        .peers()
        .iter()
        .any(|p| p.node == b && p.state == gridloop_sync::node::LinkState::Live)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cases: usize = std::env::var("GRIDLOOP_BENCH_SYNC_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let u = units();
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // 1. District and one street; the street reports `cases` cases.
    let net = TestNet::start(vec![
        Spec {
            name: "d",
            unit: u["d"].clone(),
            role: Role::Dispatcher,
            links: vec![],
        },
        Spec {
            name: "s1",
            unit: u["s1"].clone(),
            role: Role::ShiftLead,
            links: vec!["d"],
        },
    ])
    .await;
    net.cut("s1", "d");
    let s1 = net.n("s1");
    let mut ids = Vec::with_capacity(cases);
    eprintln!("reporting {cases} cases at the street…");
    for i in 0..cases {
        ids.push(s1.report(Role::ShiftLead, &u["c11"], "E0104", T0 + i as i64));
    }
    let b0 = wire_bytes(&net);
    net.restore("s1", "d");
    let last = ids.last().expect("cases").clone();
    let t = until(120, "initial sync", || net.n("d").summary(&last).is_some()).await;
    assert_eq!(
        count(&net, "d", &u["s1"], State::Reported),
        cases as u64,
        "every case at the district"
    );
    let initial_bytes = wire_bytes(&net) - b0;
    rows.push((
        format!("initial sync of {cases} new cases, street → district"),
        format!(
            "{:.0} ms, {:.1} KB on the wire ({:.0} B a case)",
            t.as_secs_f64() * 1e3,
            initial_bytes as f64 / 1e3,
            initial_bytes as f64 / cases as f64
        ),
        "—".into(),
    ));
    until(30, "both live", || {
        live(&net, "s1", "d") && live(&net, "d", "s1")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // digests settle

    // 2. Outages: one move on every case at the street while cut off, then reconnect —
    // five times (受理, then 催办 notes), reporting the median and every round: on a shared
    // 2-core machine one round varies by ±20 %.
    let rounds: usize = std::env::var("GRIDLOOP_BENCH_SYNC_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let last = ids.last().expect("cases").clone();
    let mut times = Vec::new();
    let (mut bytes, mut raw) = (0u64, 0u64);
    for round in 0..rounds {
        net.cut("s1", "d");
        let head = s1
            .engine()
            .store
            .read()
            .unwrap()
            .feed_head(&u["d"])
            .unwrap();
        eprintln!("round {round}: moving {cases} cases while cut off…");
        for (i, id) in ids.iter().enumerate() {
            let (role, action) = if round == 0 {
                (Role::Intake, Action::Accept)
            } else {
                (
                    Role::Leader,
                    Action::Urge {
                        note: format!("第 {round} 次催办"),
                    },
                )
            };
            let at = T0 + 3_600_000 * (round as i64 + 1) + i as i64;
            s1.engine()
                .act(&s1.actor(role), id, action, at)
                .expect("a move while cut off");
        }
        raw += s1
            .engine()
            .store
            .read()
            .unwrap()
            .feed(&u["d"], head, usize::MAX)
            .unwrap()
            .iter()
            .map(|e| e.envelope.change.len() as u64)
            .sum::<u64>();
        eprintln!("reconnecting… {:?}", std::time::SystemTime::now());
        tokio::time::sleep(Duration::from_millis(
            std::env::var("GRIDLOOP_BENCH_PAUSE_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        ))
        .await;
        let b0 = wire_bytes(&net);
        // `perf record --control fifo:F -D -1` profiles only the reconnects.
        let perf = std::env::var("GRIDLOOP_BENCH_PERF_FIFO").ok();
        if let Some(f) = &perf {
            std::fs::write(f, "enable\n").expect("perf control fifo");
        }
        net.restore("s1", "d");
        // The feed arrives in order: the last case's move is the last change. Polling reads
        // one projection row (counting the queue on every poll took a tenth of the
        // machine's CPU from the sync being measured); the counts are checked after.
        let arrived = |s: &gridloop_core::store::CaseSummary| {
            s.state == State::ToRegister && s.notes == round as u32
        };
        let t = until(120, "reconnect", || {
            net.n("d").summary(&last).is_some_and(|s| arrived(&s))
        })
        .await;
        if let Some(f) = &perf {
            std::fs::write(f, "disable\n").expect("perf control fifo");
        }
        times.push(t.as_secs_f64() * 1e3);
        let dr = net.n("d").engine().store.read().unwrap();
        assert!(
            ids.iter()
                .all(|id| dr.summary(id).unwrap().is_some_and(|s| arrived(&s))),
            "every case moved at the district"
        );
        drop(dr);
        until(30, "both live", || {
            live(&net, "s1", "d") && live(&net, "d", "s1")
        })
        .await;
        bytes += wire_bytes(&net) - b0;
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    rows.push((
        format!("reconnect after an outage, {cases} cases changed"),
        format!(
            "median {:.0} ms of {rounds} ({})",
            sorted[sorted.len() / 2],
            times
                .iter()
                .map(|t| format!("{t:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "≤ 1 s; ≥ 100× faster than samod (see below)".into(),
    ));
    rows.push((
        "bytes on the wire per change (those reconnects, both ways)".into(),
        format!(
            "{:.2}× raw ({} B on the wire, {} B of raw changes)",
            bytes as f64 / raw as f64,
            bytes,
            raw
        ),
        "≤ 1.3×".into(),
    ));

    // 3. Reconnect with nothing changed.
    let mut times = Vec::new();
    let mut wire = Vec::new();
    for _ in 0..10 {
        net.cut("s1", "d");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let b0 = wire_bytes(&net);
        net.restore("s1", "d");
        let t = until(30, "no-change reconnect", || {
            live(&net, "s1", "d") && live(&net, "d", "s1")
        })
        .await;
        times.push(t.as_secs_f64() * 1e3);
        wire.push(wire_bytes(&net) - b0);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    times.sort_by(f64::total_cmp);
    wire.sort();
    let store_cases = net.n("d").cases().len();
    rows.push((
        format!(
            "reconnect with nothing changed ({store_cases} cases each side), until live both ways"
        ),
        format!(
            "median {:.1} ms (QUIC handshake included), {} B on the wire (median of 10)",
            times[times.len() / 2],
            wire[wire.len() / 2]
        ),
        "≤ 50 ms, ≤ 4 KB (target stated for 1 M cases)".into(),
    ));
    net.shutdown().await;

    // 4. Community → street → district, the direct link cut.
    let net = TestNet::start(vec![
        Spec {
            name: "d",
            unit: u["d"].clone(),
            role: Role::Dispatcher,
            links: vec![],
        },
        Spec {
            name: "s1",
            unit: u["s1"].clone(),
            role: Role::ShiftLead,
            links: vec!["d"],
        },
        Spec {
            name: "c11",
            unit: u["c11"].clone(),
            role: Role::GridWorker,
            links: vec!["s1", "d"],
        },
    ])
    .await;
    net.cut("c11", "d");
    until(30, "links up", || {
        live(&net, "c11", "s1") && live(&net, "s1", "d")
    })
    .await;
    let mut lat = Vec::new();
    for i in 0..20 {
        let c = net.n("c11");
        let t = Instant::now();
        let id = c.report(Role::GridWorker, &u["c11"], "E0104", T0 + i);
        until(10, "visible at the district", || {
            net.n("d").summary(&id).is_some()
        })
        .await;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    lat.sort_by(f64::total_cmp);
    rows.push((
        "new case at a community visible at the district through its street".into(),
        format!(
            "median {:.1} ms, max {:.1} ms (20 cases)",
            lat[lat.len() / 2],
            lat[lat.len() - 1]
        ),
        "≤ 1 s".into(),
    ));
    net.shutdown().await;

    // 5. With GRIDLOOP_BENCH_IDLE_CASES (e.g. 1 000 000): reconnect with nothing changed
    // between two district nodes (a command centre and its standby) that both hold that many
    // cases and have synced: one store is generated and imported, copied for the second node,
    // and each records the other's feed as applied to its head.
    if let Some(n) = std::env::var("GRIDLOOP_BENCH_IDLE_CASES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        rows.push(idle_reconnect(n).await);
    }

    let table = gridloop_tests::bench::table(&rows);
    println!("\n{table}");
    if std::env::var("GRIDLOOP_BENCH_WRITE").is_ok() {
        gridloop_tests::bench::write_section(
            "Replication",
            &format!(
                "Machine: {}. Command: `GRIDLOOP_BENCH_WRITE=1 cargo bench -p gridloop-tests --bench sync` ({cases} cases). Real iroh endpoints on 127.0.0.1, real redb stores, release build, both nodes in one process.\n\n{table}",
                gridloop_tests::bench::machine()
            ),
        );
    }
}

/// Reconnect with nothing changed between two district nodes holding `n` cases each.
async fn idle_reconnect(n: u64) -> (String, String, String) {
    use gridloop_core::domain::role::NodeId;
    use gridloop_core::engine::Engine;
    use gridloop_core::store::Store;
    use gridloop_core::workload::generate::{Generator, YEAR_2026};

    let u = units();
    let work = tempfile::tempdir_in(
        std::env::var("GRIDLOOP_BENCH_DIR")
            .unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
    )
    .unwrap();
    // GRIDLOOP_BENCH_IDLE_STORE keeps the generated store for later runs (a million cases
    // take ~10 minutes to generate here).
    let master = std::env::var("GRIDLOOP_BENCH_IDLE_STORE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| work.path().join("idle.redb"));
    let (epoch, head) = {
        let reuse = master.exists();
        let engine = Engine::demo(Store::open(&master).unwrap());
        let rules = engine.rules();
        let now = YEAR_2026 + 365 * 86_400_000;
        let mut g = Generator::new(rules, 7, YEAR_2026, 365, now);
        let t0 = Instant::now();
        let last = std::sync::atomic::AtomicU64::new(0);
        if reuse {
            eprintln!("reusing {}", master.display());
        } else {
            eprintln!("importing {n} cases for the idle reconnect…");
        }
        if !reuse {
            gridloop_core::workload::bulk::import(
                &engine.store,
                rules,
                &NodeId("import".into()),
                (0..n).map(move |_| Ok(g.next_case())),
                2,
                &|done| {
                    if done >= last.load(std::sync::atomic::Ordering::Relaxed) + 100_000 {
                        last.store(done, std::sync::atomic::Ordering::Relaxed);
                        eprintln!("  imported {done}, {:.0} s", t0.elapsed().as_secs_f64());
                    }
                },
            )
            .unwrap();
        }
        let r = engine.store.read().unwrap();
        (engine.store.epoch().unwrap(), r.feed_head(&u["d"]).unwrap())
    };
    let spec = |name: &'static str, links: Vec<&'static str>| Spec {
        name,
        unit: u["d"].clone(),
        role: Role::Dispatcher,
        links,
    };
    let net = TestNet::start_with(
        vec![spec("d", vec![]), spec("d2", vec!["d"])],
        |name, dir| {
            let path = dir.join("gridloop.redb");
            std::fs::copy(&master, &path).expect("copy the store");
            // Each has applied the other's whole feed (the copies share the log and its epoch).
            let store = Store::open(&path).unwrap();
            let other = if name == "d" { "d2" } else { "d" };
            let wt = store.begin(true).unwrap();
            Store::set_received(&wt, other, &epoch, head).unwrap();
            wt.commit().unwrap();
        },
    )
    .await;
    until(60, "both live", || {
        live(&net, "d", "d2") && live(&net, "d2", "d")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(3000)).await; // the first digests
    let cases = net.n("d").cases().len();
    let (mut times, mut live_bytes, mut settled_bytes) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..10 {
        net.cut("d", "d2");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let b0 = wire_bytes(&net);
        net.restore("d", "d2");
        let t = until(30, "idle reconnect", || {
            live(&net, "d", "d2") && live(&net, "d2", "d")
        })
        .await;
        times.push(t.as_secs_f64() * 1e3);
        live_bytes.push(wire_bytes(&net) - b0);
        // Anti-entropy digests go out once both sides are live.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        settled_bytes.push(wire_bytes(&net) - b0);
    }
    let applied: u64 = ["d", "d2"]
        .iter()
        .flat_map(|n| net.n(n).node().peers())
        .map(|p| p.applied)
        .sum();
    net.shutdown().await;
    times.sort_by(f64::total_cmp);
    live_bytes.sort();
    settled_bytes.sort();
    (
        format!(
            "reconnect with nothing changed, two district nodes with {cases} cases each, until live both ways"
        ),
        format!(
            "median {:.1} ms (max {:.1}), {} B on the wire until live, {} B with the anti-entropy digests after (medians of 10; {applied} changes applied)",
            times[times.len() / 2],
            times[times.len() - 1],
            live_bytes[live_bytes.len() / 2],
            settled_bytes[settled_bytes.len() / 2],
        ),
        "≤ 50 ms, ≤ 4 KB".into(),
    )
}
