//! Shared by the tests that run `gridloop` processes: the CLI, and a district of two nodes
//! enrolled with it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The demo district's configuration folder (区级配置包), as shipped.
pub const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/data/demo");

/// The county fixture's configuration folder: a second district unlike the demo.
pub const COUNTY_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/county");

/// A UDP port free on 127.0.0.1 a moment ago, for a node to listen on.
pub fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `gridloop --data DIR ARGS…`: whether it succeeded, and its stdout and stderr.
pub fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .expect("run gridloop");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `gridloop --data DIR ARGS…`, which must succeed; its stdout, trimmed.
pub fn gl(dir: &Path, args: &[&str]) -> String {
    let (ok, out, err) = run(dir, args);
    assert!(ok, "gridloop {args:?}: {err}");
    out.trim().to_string()
}

/// A district created under `tmp` with the district node `d` (data in `a`) and the street
/// node `s1` (data in `b`, dialing `d`) enrolled and joined; with `ports`, the roster lists
/// them at 127.0.0.1 on those ports, otherwise it lists no address at all. Returns (a, b).
pub fn district_of_two(tmp: &Path, ports: Option<(u16, u16)>) -> (PathBuf, PathBuf) {
    district_of_two_at(
        tmp,
        ports.map(|(pa, pb)| (format!("127.0.0.1:{pa}"), format!("127.0.0.1:{pb}"))),
    )
}

/// [`district_of_two`] with the nodes listed at the given addresses (ip:port each).
pub fn district_of_two_at(tmp: &Path, addrs: Option<(String, String)>) -> (PathBuf, PathBuf) {
    let (dist, a, b) = (tmp.join("district"), tmp.join("a"), tmp.join("b"));
    let d = dist.to_str().unwrap();
    gl(
        &a,
        &["district", "create", "--dir", d, "--config", DEMO_CONFIG],
    );
    let ka = gl(&a, &["identity"]);
    let kb = gl(&b, &["identity"]);
    let (pa, pb) = match addrs {
        Some((pa, pb)) => (Some(pa), Some(pb)),
        None => (None, None),
    };
    let mut enrol_d = vec![
        "district", "enrol", "--dir", d, "--node", "d", "--key", &ka, "--unit", "110101",
        "--import",
    ];
    if let Some(p) = &pa {
        enrol_d.extend(["--addr", p]);
    }
    gl(&a, &enrol_d);
    let mut enrol_s = vec![
        "district",
        "enrol",
        "--dir",
        d,
        "--node",
        "s1",
        "--key",
        &kb,
        "--unit",
        "110101001",
        "--link",
        "d",
    ];
    if let Some(p) = &pb {
        enrol_s.extend(["--addr", p]);
    }
    gl(&a, &enrol_s);
    let roster = dist.join("roster.json");
    gl(&a, &["join", roster.to_str().unwrap()]);
    gl(&b, &["join", roster.to_str().unwrap()]);
    (a, b)
}

/// Checks that the store in `b` holds exactly the cases of `a` whose feed scope includes
/// `unit`, each with the same projection row and heads, nothing else; their number.
pub fn holds_exactly_the_scope_of(a: &Path, b: &Path, unit: &str) -> u64 {
    use gridloop_core::store::Store;
    let sa = Store::open(&a.join("gridloop.redb")).unwrap();
    let sb = Store::open(&b.join("gridloop.redb")).unwrap();
    let (ra, rb) = (sa.read().unwrap(), sb.read().unwrap());
    let unit = gridloop_core::domain::unit::UnitId::from(unit);
    let mut expected = 0;
    for id in ra.case_ids().unwrap() {
        if ra.case_scope(&id).unwrap().contains(&unit) {
            expected += 1;
            assert_eq!(
                rb.summary(&id).unwrap(),
                ra.summary(&id).unwrap(),
                "case {id}"
            );
            assert_eq!(rb.doc(&id).unwrap().heads(), ra.doc(&id).unwrap().heads());
        }
    }
    assert_eq!(
        rb.count().unwrap(),
        expected,
        "{unit} holds exactly its scope: nothing outside it, nothing twice"
    );
    expected
}

/// Sends `signal` (e.g. `TERM`, `KILL`) to `target`: a pid, or `-PGID` for a process group.
/// Through the shell's own `kill`, so no `procps` package is needed.
pub fn signal(target: &str, signal: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("kill -s {signal} -- {target}")])
        .status()
        .is_ok_and(|s| s.success())
}

/// The state of `peer` in a node's `peers.json` (written every 250 ms while it runs).
pub fn peer_state(dir: &Path, peer: &str) -> Option<String> {
    let bytes = std::fs::read(dir.join("peers.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let p = v["peers"]
        .as_array()?
        .iter()
        .find(|p| p["node"] == peer)?
        .clone();
    Some(p["state"].to_string())
}

/// Starts `gridloop --data DIR node --quiet` listening on 127.0.0.1:`port`, its output
/// discarded.
pub fn spawn_node(dir: &Path, port: u16) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .arg("--data")
        .arg(dir)
        .args(["node", "--quiet", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn node")
}

/// Polls `pred` every 10 ms until it holds; panics with `what` after `secs` seconds. How
/// long it took.
pub fn wait_until(what: &str, secs: u64, pred: &dyn Fn() -> bool) -> std::time::Duration {
    let t = std::time::Instant::now();
    while !pred() {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    t.elapsed()
}
