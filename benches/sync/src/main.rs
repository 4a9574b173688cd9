//! Reconnect after an outage in which N cases changed: gridloop's scoped change feed (real
//! iroh endpoints on loopback, real redb stores) against samod 0.16 (automerge-repo) syncing
//! the same N case documents between two repos over its in-process channel transport, in
//! one run. `cargo run --release --manifest-path benches/sync/Cargo.toml` (env
//! GRIDLOOP_BENCH_SAMOD_CASES, default 1 000; GRIDLOOP_BENCH_WRITE=1 appends the table to
//! BENCHMARKS.md's "## Replication against samod" section).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_core::workflow::State;
use gridloop_tests::{Spec, T0, TestNet, units};
use samod::transport::channel::ChannelDialer;
use samod::{BackoffConfig, Repo};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("GRIDLOOP_BENCH_SAMOD_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let u = units();

    // gridloop: a street and the district, n cases at the street, synced; cut; one move on
    // every case; restore; time until the district holds every move.
    let net = TestNet::start(vec![
        Spec { name: "d", unit: u["d"].clone(), role: Role::Dispatcher, links: vec![] },
        Spec { name: "s1", unit: u["s1"].clone(), role: Role::ShiftLead, links: vec!["d"] },
    ])
    .await;
    let s1 = net.n("s1");
    let ids: Vec<_> = (0..n)
        .map(|i| s1.report(Role::ShiftLead, &u["c11"], "E0104", T0 + i as i64))
        .collect();
    let count = |state: State| {
        net.n("d").engine().store.read().unwrap().queue_counts(&u["s1"]).unwrap()
            .into_iter().find(|(s, _)| *s == state).map(|(_, c)| c).unwrap_or(0)
    };
    while count(State::Reported) < n as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The documents as they are now, for samod.
    let before: Vec<automerge::Automerge> = ids
        .iter()
        .map(|id| s1.engine().store.doc(id).unwrap().automerge().clone())
        .collect();
    net.cut("s1", "d");
    for (i, id) in ids.iter().enumerate() {
        s1.engine().act(&s1.actor(Role::Intake), id, Action::Accept, T0 + 3_600_000 + i as i64).unwrap();
    }
    let after: Vec<automerge::Automerge> = ids
        .iter()
        .map(|id| s1.engine().store.doc(id).unwrap().automerge().clone())
        .collect();
    let t = Instant::now();
    net.restore("s1", "d");
    while count(State::ToRegister) < n as u64 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let gridloop = t.elapsed();
    net.shutdown().await;
    eprintln!("gridloop: {n} changed cases in {gridloop:?}");

    // samod: the same documents in two repos, synced once, then the same change on each
    // on one side while disconnected; reconnect and time until the other has every head.
    let a = Repo::build_tokio().load().await;
    let b = Repo::build_tokio().load().await;
    let mut handles = Vec::with_capacity(n);
    for doc in &before {
        handles.push(a.create(doc.clone()).await.unwrap());
    }
    let url = url::Url::parse("samod-channel://bench").unwrap();
    let acceptor = a.make_acceptor(url).unwrap();
    let dialer = b.dial(BackoffConfig::default(), Arc::new(ChannelDialer::new(acceptor.clone()))).unwrap();
    dialer.established().await.unwrap();
    let t = Instant::now();
    let mut bh = Vec::with_capacity(n);
    for h in &handles {
        bh.push(b.find(h.document_id().clone()).await.unwrap().expect("found"));
    }
    let initial = t.elapsed();
    eprintln!("samod: initial sync of {n} documents in {initial:?}");
    dialer.close();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (h, doc) in handles.iter().zip(&after) {
        let changes: Vec<automerge::Change> = doc
            .get_changes(&h.with_document(|d| d.get_heads()))
            .into_iter()
            .collect();
        h.with_document(|d| d.apply_changes(changes).unwrap());
    }
    let want: Vec<Vec<automerge::ChangeHash>> = handles.iter().map(|h| h.with_document(|d| d.get_heads())).collect();
    let t = Instant::now();
    let dialer = b.dial(BackoffConfig::default(), Arc::new(ChannelDialer::new(acceptor))).unwrap();
    dialer.established().await.unwrap();
    loop {
        let done = bh.iter().zip(&want).filter(|(h, w)| h.with_document(|d| d.get_heads()) == **w).count();
        if done == n {
            break;
        }
        if t.elapsed() > Duration::from_secs(1800) {
            panic!("samod did not finish in 30 min ({done}/{n})");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let samod = t.elapsed();
    eprintln!("samod: {n} changed documents in {samod:?}");
    let _ = a.stop().await;
    let _ = b.stop().await;

    let table = format!(
        "| what | gridloop | samod 0.16 | ratio | target |\n|---|---|---|---|---|\n| reconnect after an outage, {n} cases changed (one change each) | {:.0} ms | {:.0} ms | {:.0}× | ≥ 100× faster |\n",
        gridloop.as_secs_f64() * 1e3,
        samod.as_secs_f64() * 1e3,
        samod.as_secs_f64() / gridloop.as_secs_f64()
    );
    println!("\n{table}");
    println!("samod initial sync of the {n} documents (find on the other repo): {initial:?}");
    if std::env::var("GRIDLOOP_BENCH_WRITE").is_ok() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../BENCHMARKS.md");
        let old = std::fs::read_to_string(path).unwrap();
        let head = "## Replication against samod";
        let section = format!(
            "{head}\n\nMachine: 2 cores. Command: `GRIDLOOP_BENCH_WRITE=1 GRIDLOOP_BENCH_SAMOD_CASES={n} cargo run --release --manifest-path benches/sync/Cargo.toml`. gridloop: real iroh endpoints on loopback and real redb stores; samod: two in-memory repos over samod's in-process channel transport (the anchor's own setting) — the same {n} case documents, the same one change each, in one run.\n\n{table}\nsamod's initial sync of the {n} documents took {:.1} s.\n",
            initial.as_secs_f64()
        );
        let new = match old.find(head) {
            Some(start) => {
                let rest = &old[start + 3..];
                let end = rest.find("\n## ").map(|e| start + 3 + e + 1).unwrap_or(old.len());
                format!("{}{}{}", &old[..start], section, &old[end..])
            }
            None => format!("{}\n\n{section}", old.trim_end()),
        };
        std::fs::write(path, new).unwrap();
    }
}
