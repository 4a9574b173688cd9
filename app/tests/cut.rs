//! A silently dead link (链路中断) between two `gridloop node` processes in two network
//! namespaces joined by a veth pair: `ip link set down` on one end (no packets, no close),
//! then `up` again. Each side must see the link down within a few seconds and both must be
//! live again soon after it comes back. Prints the figures (detection and heal times).
//! Needs `unshare -n`, `ip` and `nsenter`; where namespaces are refused it says it skipped,
//! and fails instead when `GRIDLOOP_REQUIRE_NETNS` is set (see `.ci/run`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{district_of_two_at, free_port, peer_state, signal};

fn namespaces_allowed() -> bool {
    Command::new("unshare")
        .args(["-n", "sh", "-c", "ip link add v0 type veth peer name v1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn live(dir: &Path, peer: &str) -> bool {
    peer_state(dir, peer).is_some_and(|s| s.contains("Live"))
}

fn wait(what: &str, secs: u64, pred: &dyn Fn() -> bool) -> Duration {
    let t = Instant::now();
    while !pred() {
        assert!(
            t.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    t.elapsed()
}

struct Net {
    script: Child,
    run: std::path::PathBuf,
}

impl Drop for Net {
    fn drop(&mut self) {
        // The whole process group: the script, both nodes, the namespace holder.
        signal(&format!("-{}", self.script.id()), "KILL");
        let _ = self.script.wait();
        let _ = std::fs::remove_dir_all(&self.run);
    }
}

impl Net {
    /// Sets the district's end of the veth down or up, from outside its namespace.
    fn link(&self, up: bool) {
        let ok = Command::new("nsenter")
            .args([
                "-t",
                &self.script.id().to_string(),
                "-n",
                "ip",
                "link",
                "set",
                "va",
            ])
            .arg(if up { "up" } else { "down" })
            .status()
            .unwrap()
            .success();
        assert!(ok, "ip link set va {}", if up { "up" } else { "down" });
    }
}

#[test]
fn a_silently_dead_link_is_seen_within_seconds_and_heals_fast() {
    if !namespaces_allowed() {
        assert!(
            std::env::var_os("GRIDLOOP_REQUIRE_NETNS").is_none(),
            "GRIDLOOP_REQUIRE_NETNS is set but a veth in a new namespace was refused"
        );
        eprintln!("SKIPPED: cannot create network namespaces with a veth here; cut untested");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let (a, b) = district_of_two_at(
        tmp.path(),
        Some((format!("10.77.0.1:{pa}"), format!("10.77.0.2:{pb}"))),
    );
    let run = tmp.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let bin = env!("CARGO_BIN_EXE_gridloop");
    // Namespace A (the district) holds the script; namespace B (the street) is held by a
    // sleeping process whose pid the script records, and the veth joins them.
    let script = format!(
        r#"set -e
ip link set lo up
ip link add va type veth peer name vb
unshare -n sh -c 'echo $$ > {run}/b.pid; exec sleep 600' &
while [ ! -s {run}/b.pid ]; do sleep 0.05; done
B=$(cat {run}/b.pid)
ip link set vb netns $B
ip addr add 10.77.0.1/24 dev va
ip link set va up
nsenter -t $B -n sh -c 'ip link set lo up && ip addr add 10.77.0.2/24 dev vb && ip link set vb up'
{bin} --data {a} node --quiet --listen 10.77.0.1:{pa} > {run}/a.log 2>&1 &
nsenter -t $B -n {bin} --data {b} node --quiet --listen 10.77.0.2:{pb} > {run}/b.log 2>&1 &
wait
"#,
        run = run.display(),
        a = a.display(),
        b = b.display(),
    );
    let child = {
        use std::os::unix::process::CommandExt;
        Command::new("unshare")
            .args(["-n", "sh", "-c", &script])
            .process_group(0)
            .spawn()
            .expect("unshare")
    };
    let net = Net { script: child, run };
    wait("the street to be live with the district", 60, &|| {
        live(&a, "s1") && live(&b, "d")
    });
    let mut seen = Vec::new();
    let mut healed = Vec::new();
    for round in 0..3 {
        net.link(false);
        let t = Instant::now();
        wait("both sides to see the link down", 30, &|| {
            !live(&a, "s1") && !live(&b, "d")
        });
        seen.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(500));
        net.link(true);
        let t = Instant::now();
        wait("both sides live again", 30, &|| {
            live(&a, "s1") && live(&b, "d")
        });
        healed.push(t.elapsed());
        eprintln!(
            "round {round}: down seen after {:?}, live again {:?} after the link came back",
            seen[round], healed[round]
        );
    }
    seen.sort();
    healed.sort();
    eprintln!(
        "cut seen: median {:?} max {:?}; healed: median {:?} max {:?}",
        seen[1], seen[2], healed[1], healed[2]
    );
    // Targets: a dead link noticed within a few seconds; healed within a few seconds.
    assert!(
        seen[2] < Duration::from_secs(8),
        "cut seen after {:?}",
        seen[2]
    );
    assert!(
        healed[2] < Duration::from_secs(5),
        "healed after {:?}",
        healed[2]
    );
    drop(net);
}
