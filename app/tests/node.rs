//! `gridloop node` processes end to end: a district and a street enrolled with the CLI, the
//! street SIGKILLed again and again in the middle of its initial sync, and every time it
//! resumes from its checkpoint; in the end it holds exactly the district's cases in its
//! scope, nothing lost and nothing duplicated.

use std::path::Path;
use std::time::{Duration, Instant};

use gridloop_core::store::Store;

mod common;
use common::{
    district_of_two, free_port, gl, holds_exactly_the_scope_of, peer_state, signal,
    spawn_node as node,
};

/// The street's view of its link to the district from its peers.json, if fresh.
fn street_state(dir: &Path) -> Option<(String, u64)> {
    let bytes = std::fs::read(dir.join("peers.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let p = v["peers"].as_array()?.first()?.clone();
    Some((p["state"].to_string(), p["applied"].as_u64().unwrap_or(0)))
}

#[test]
fn a_street_killed_mid_sync_resumes_from_its_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let (a, b) = district_of_two(tmp.path(), Some((pa, pb)));
    gl(
        &a,
        &["generate", "--cases", "40000", "--now", "2026-11-20 18:00"],
    );

    let mut district = node(&a, pa);
    let wait = |what: &str, pred: &dyn Fn(&(String, u64)) -> bool| {
        let t = Instant::now();
        loop {
            if let Some(s) = street_state(&b)
                && pred(&s)
            {
                return s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let (mut mid_sync, mut kills) = (0, 0);
    for round in 0..5 {
        let _ = std::fs::remove_file(b.join("peers.json"));
        let mut street = node(&b, pb);
        // Once it is applying the district's feed, SIGKILL it at a random moment.
        // A street that already caught up has nothing left to apply: it reports Live.
        let s =
            wait(
                "the street to start applying or report Live",
                &|(state, applied)| *applied > 0 || state.contains("Live"),
            );
        std::thread::sleep(Duration::from_millis(rand::random::<u64>() % 50));
        street.kill().unwrap();
        street.wait().unwrap();
        kills += 1;
        eprintln!("round {round}: killed at {s:?}");
        if s.0.contains("Live") {
            break;
        }
        mid_sync += 1;
    }
    assert!(
        mid_sync >= 2,
        "only {mid_sync} kills landed mid-sync; make the workload larger"
    );
    let _ = std::fs::remove_file(b.join("peers.json"));
    let mut street = node(&b, pb);
    wait("the street to catch up", &|(state, _)| {
        state.contains("Live")
    });
    street.kill().unwrap();
    street.wait().unwrap();
    kills += 1;
    district.kill().unwrap();
    district.wait().unwrap();

    let expected = holds_exactly_the_scope_of(&a, &b, "110101001");
    assert!(expected > 100, "the street's scope holds {expected} cases");
    let sb = Store::open(&b.join("gridloop.redb")).unwrap();
    let rb = sb.read().unwrap();
    assert!(rb.quarantined().unwrap().is_empty());
    // Every change is logged once: the log holds exactly the documents' changes.
    let changes: usize = rb
        .case_ids()
        .unwrap()
        .iter()
        .map(|id| rb.doc(id).unwrap().automerge().get_changes(&[]).len())
        .sum();
    assert_eq!(
        rb.log_len().unwrap() as usize,
        changes,
        "each change logged once"
    );
    eprintln!("street killed {kills} times; holds {expected} cases, {changes} changes");
}

/// The district's view of its link to the street.
fn district_sees_street(dir: &Path) -> Option<String> {
    peer_state(dir, "s1")
}

/// SIGTERM (what systemd, docker and `kill` send) stops a node cleanly: it exits with
/// success, removes its status file, and its peer sees the link go down at once rather than
/// after an idle timeout.
#[test]
fn sigterm_stops_a_node_cleanly_and_its_peer_learns_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let (a, b) = district_of_two(tmp.path(), Some((pa, pb)));
    let mut district = node(&a, pa);
    let mut street = node(&b, pb);
    let wait = |what: &str, secs: u64, pred: &dyn Fn() -> bool| {
        let t = Instant::now();
        while !pred() {
            assert!(
                t.elapsed() < Duration::from_secs(secs),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        t.elapsed()
    };
    wait("the link to be live", 30, &|| {
        district_sees_street(&a).is_some_and(|s| s.contains("Live"))
    });
    // `peers` on the running street: one row per peer, each value under its heading. The
    // street's own status file must list the district first (it is written every 250 ms).
    wait("the street's status to list the district", 10, &|| {
        street_state(&b).is_some_and(|(s, _)| s.contains("Live"))
    });
    let out = gl(&b, &["peers"]);
    let lines: Vec<&str> = out.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.starts_with("peer "))
        .expect("a heading");
    let (heading, row) = (lines[head], lines[head + 1]);
    assert!(row.starts_with("d "), "{out}");
    for (col, right) in [
        ("state", false),
        ("last sync", false),
        ("sent", true),
        ("backlog", true),
        ("bytes in", true),
    ] {
        let at = heading
            .find(col)
            .unwrap_or_else(|| panic!("no {col} in {heading}"));
        let chars: Vec<char> = row.chars().collect();
        let (i, next) = if right {
            (at + col.len() - 1, at + col.len())
        } else {
            (at, at.saturating_sub(1))
        };
        assert!(
            chars.get(i).is_some_and(|c| !c.is_whitespace())
                && chars.get(next).is_none_or(|c| c.is_whitespace()),
            "the value under {col} is not aligned:\n{heading}\n{row}"
        );
    }
    assert!(signal(&street.id().to_string(), "TERM"));
    let t = Instant::now();
    let exit = loop {
        if let Some(s) = street.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the street did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "SIGTERM ended the node with {exit:?}");
    assert!(
        !b.join("peers.json").exists(),
        "a stale status file is left"
    );
    let seen = wait("the district to see the link down", 3, &|| {
        district_sees_street(&a).is_some_and(|s| !s.contains("Live") && !s.contains("Syncing"))
    });
    eprintln!("district saw the street go after {seen:?}");
    // Started again, it is back within seconds.
    let mut street = node(&b, pb);
    let back = wait("the link to be live again", 15, &|| {
        district_sees_street(&a).is_some_and(|s| s.contains("Live"))
    });
    eprintln!("live again after {back:?}");
    for c in [&mut street, &mut district] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
