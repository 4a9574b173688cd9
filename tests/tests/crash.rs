//! Crash safety: a writer child process is killed with SIGKILL at random moments; the store
//! reopens with every acknowledged action and no partial one (document, log and projection
//! agree for every case).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gridloop_core::domain::case_id::CaseId;
use gridloop_core::engine::Engine;
use gridloop_core::store::{CaseSummary, Store};

#[test]
fn sigkill_mid_write_loses_no_acknowledged_action_and_leaves_no_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let mut acked: HashMap<String, usize> = HashMap::new();
    for round in 0..6u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill after a pseudo-random number of acknowledgements (3..40) or 200 ms–1 s.
        let target = 3 + (round * 7919 + 13) % 37;
        let deadline = Instant::now() + Duration::from_millis(200 + (round * 131) % 800);
        let mut seen = 0;
        let cap = Instant::now() + Duration::from_secs(30);
        while seen < target && !(Instant::now() > deadline && seen > 0) && Instant::now() < cap {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(50)) {
                let mut parts = line.split_whitespace();
                if parts.next() == Some("ack") {
                    let id = parts.next().unwrap().to_string();
                    let n: usize = parts.next().unwrap().parse().unwrap();
                    acked.insert(id, n);
                    seen += 1;
                }
            }
        }
        // std's Child::kill sends SIGKILL on Unix: no chance to clean up.
        child.kill().expect("SIGKILL the writer");
        let _ = child.wait();
        // Acks printed before the kill but still in the pipe count too.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            let mut parts = line.split_whitespace();
            if parts.next() == Some("ack") {
                let id = parts.next().unwrap().to_string();
                let n: usize = parts.next().unwrap().parse().unwrap();
                acked.insert(id, n);
            }
        }
        verify(&path, &acked);
    }
    assert!(acked.len() >= 6, "the writer made progress in every round");
}

fn verify(path: &std::path::Path, acked: &HashMap<String, usize>) {
    let engine = Engine::demo(Store::open(path).expect("store reopens after SIGKILL"));
    let r = engine.store.read().unwrap();
    for (id, n) in acked {
        let doc = r
            .doc(&CaseId(id.clone()))
            .expect("acknowledged case is stored");
        assert!(
            doc.events().unwrap().len() >= *n,
            "case {id}: acknowledged {n} events"
        );
    }
    // No partial action: every projection row is exactly the replay of its document, and the
    // log holds exactly one entry per change of every document.
    let mut changes = 0u64;
    for id in r.case_ids().unwrap() {
        let doc = r.doc(&id).unwrap();
        let intake = doc.intake().unwrap();
        let d = engine
            .rules()
            .replay(&intake, &doc.events().unwrap())
            .unwrap();
        let expected = CaseSummary::build(&id, &intake, &d);
        assert_eq!(
            r.summary(&id).unwrap().unwrap(),
            expected,
            "projection of {id} matches its document"
        );
        changes += doc.automerge().get_changes(&[]).len() as u64;
    }
    assert_eq!(
        r.log_len().unwrap(),
        changes,
        "one log entry per stored change"
    );
}
