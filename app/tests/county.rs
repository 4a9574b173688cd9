//! A second district unlike the demo, end to end: 高邑县, a county (县) of two towns (镇) and
//! five villages (村) with its own categories, limits and a 2027 calendar file, set up from
//! its configuration folder with the CLI; three `gridloop node` processes sync it; the three
//! loops run through the CLI on the node whose operator makes each move, across syncs; the
//! county's report speaks of 镇 and 村.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{COUNTY_CONFIG, free_port, gl, run};

const COUNTY: &str = "130127";
const TOWN: &str = "130127100";
const VILLAGE: &str = "130127100201";
const GRID: &str = "130127100201001";

struct Nodes(Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs the three nodes until every link is Live both ways, then stops them.
fn sync(dirs: &[(PathBuf, u16)]) {
    for (d, _) in dirs {
        let _ = std::fs::remove_file(d.join("peers.json"));
    }
    let nodes = Nodes(
        dirs.iter()
            .map(|(d, port)| {
                Command::new(env!("CARGO_BIN_EXE_gridloop"))
                    .arg("--data")
                    .arg(d)
                    .args(["node", "--quiet", "--listen", &format!("127.0.0.1:{port}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("spawn node")
            })
            .collect(),
    );
    let live = |d: &Path, peers: usize| -> bool {
        let Ok(bytes) = std::fs::read(d.join("peers.json")) else {
            return false;
        };
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return false;
        };
        let list = v["peers"].as_array().cloned().unwrap_or_default();
        list.len() == peers && list.iter().all(|p| p["state"].to_string().contains("Live"))
    };
    let t = Instant::now();
    // Every node links with both others (the village dials the town and the county).
    while !dirs.iter().all(|(d, _)| live(d, 2)) {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the county's nodes never all went Live"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Live means caught up both ways; give the last acknowledgements a moment to land.
    std::thread::sleep(Duration::from_millis(500));
    drop(nodes);
}

/// One node to enrol: its data directory, node id, unit, the nodes it dials, its port.
type Enrol<'a> = (&'a PathBuf, &'a str, &'a str, &'a [&'a str], u16);

/// Enrols each node in the district directory `d` at 127.0.0.1 on its port, then joins it.
fn enrol_and_join(d: &str, nodes: &[Enrol<'_>]) {
    for (dir, node, unit, links, port) in nodes {
        let key = gl(dir, &["identity"]);
        let addr = format!("127.0.0.1:{port}");
        let mut args = vec![
            "district", "enrol", "--dir", d, "--node", node, "--key", &key, "--unit", unit,
            "--addr", &addr,
        ];
        for l in *links {
            args.extend(["--link", l]);
        }
        gl(dir, &args);
    }
    let roster = Path::new(d).join("roster.json");
    for (dir, ..) in nodes {
        gl(dir, &["join", roster.to_str().unwrap()]);
    }
}

/// `gridloop --now AT ARGS…` on a node, which must succeed.
fn at(dir: &Path, now: &str, args: &[&str]) -> String {
    let mut all = vec!["--now", now];
    all.extend_from_slice(args);
    gl(dir, &all)
}

/// Reports a case; its number.
fn report(dir: &Path, now: &str, who: &str, source: &str, category: &str, what: &str) -> String {
    let out = at(
        dir,
        now,
        &[
            "new",
            "--as",
            who,
            "--source",
            source,
            "--category",
            category,
            "--grid",
            GRID,
            "--address",
            "东街村村委会东侧",
            "--description",
            what,
        ],
    );
    out.split_whitespace()
        .nth(1)
        .expect("a case number")
        .to_string()
}

fn state(dir: &Path, number: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&gl(dir, &["show", number, "--json"])).expect("show --json");
    v["derived"]["current"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_county_runs_on_its_own_configuration_from_create_to_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("district");
    let d = dist.to_str().unwrap();
    let (county, town, village) = (
        tmp.path().join("county"),
        tmp.path().join("town"),
        tmp.path().join("village"),
    );

    let check = gl(&county, &["district", "check", "--config", COUNTY_CONFIG]);
    for want in [
        "高邑县 县",
        "2 镇",
        "5 村",
        "3 部门",
        "10 网格",
        "calendar 2026, 2027",
    ] {
        assert!(check.contains(want), "check says {want}: {check}");
    }
    gl(
        &county,
        &["district", "create", "--dir", d, "--config", COUNTY_CONFIG],
    );

    let ports = [free_port(), free_port(), free_port()];
    enrol_and_join(
        d,
        &[
            (&county, "county", COUNTY, &[], ports[0]),
            (&town, "town", TOWN, &["county"], ports[1]),
            (&village, "village", VILLAGE, &["town", "county"], ports[2]),
        ],
    );
    let status = gl(&village, &["status"]);
    assert!(status.contains("config   version 1 of 高邑县"), "{status}");
    assert!(status.contains("calendar 2026, 2027"), "{status}");
    let nodes = [
        (county.clone(), ports[0]),
        (town.clone(), ports[1]),
        (village.clone(), ports[2]),
    ];

    // 村微循环: a grid worker finds rubbish piled up and the village handles it itself.
    let gw = "grid_worker@130127100201";
    let n1 = report(
        &village,
        "2027-01-04 09:00",
        gw,
        "grid_patrol",
        "E0608",
        "生活垃圾堆积",
    );
    at(
        &village,
        "2027-01-04 09:05",
        &["act", &n1, "--as", gw, "self-handle"],
    );
    at(
        &village,
        "2027-01-04 10:00",
        &[
            "act",
            &n1,
            "--as",
            "station_chief@130127100201",
            "self-close",
            "--evidence",
            "photo://n1-after",
        ],
    );
    assert_eq!(state(&village, &n1), "closed");

    // 镇小循环: straw burning the village cannot stop; it goes up to the town.
    let n2 = report(
        &village,
        "2027-01-04 10:30",
        gw,
        "grid_patrol",
        "E0606",
        "秸秆焚烧",
    );
    at(
        &village,
        "2027-01-04 10:35",
        &[
            "act",
            &n2,
            "--as",
            "station_chief@130127100201",
            "escalate",
            "--reason",
            "村无执法力量，上报镇",
        ],
    );
    sync(&nodes);
    let town_sees = gl(&town, &["show", &n2]);
    assert!(
        town_sees.contains("秸秆焚烧"),
        "the town holds the escalated case: {town_sees}"
    );
    at(
        &town,
        "2027-01-04 10:40",
        &[
            "act",
            &n2,
            "--as",
            "shift_lead@130127100",
            "whistle",
            "--department",
            "130127D01",
        ],
    );
    at(
        &town,
        "2027-01-04 10:55",
        &[
            "act",
            &n2,
            "--as",
            "handler@130127D01",
            "report-in",
            "--department",
            "130127D01",
        ],
    );
    at(
        &town,
        "2027-01-04 11:30",
        &[
            "act",
            &n2,
            "--as",
            "handler@130127D01",
            "feedback",
            "--note",
            "明火已扑灭",
            "--photo",
            "photo://n2-after",
        ],
    );

    // 县大循环: a 12345 call at the county, dispatched to the county's housing bureau.
    let n3 = report(
        &county,
        "2027-01-04 09:10",
        "intake@130127",
        "hotline",
        "E0607",
        "畜禽粪污直排路边沟",
    );
    at(
        &county,
        "2027-01-04 09:20",
        &["act", &n3, "--as", "intake@130127", "accept"],
    );
    at(
        &county,
        "2027-01-04 09:30",
        &["act", &n3, "--as", "shift_lead@130127", "register"],
    );
    at(
        &county,
        "2027-01-04 09:40",
        &[
            "act",
            &n3,
            "--as",
            "dispatcher@130127",
            "dispatch",
            "--lead",
            "130127D03",
        ],
    );
    at(
        &county,
        "2027-01-05 15:00",
        &[
            "act",
            &n3,
            "--as",
            "handler@130127D03",
            "feedback",
            "--note",
            "已清理并责令整改",
        ],
    );
    at(
        &county,
        "2027-01-05 16:00",
        &["act", &n3, "--as", "supervisor@130127", "pass"],
    );
    at(
        &county,
        "2027-01-05 16:10",
        &["act", &n3, "--as", "shift_lead@130127", "close"],
    );

    sync(&nodes);
    // The county consolidates every loop; the village sees the town's work on its case.
    for n in [&n1, &n2, &n3] {
        assert!(run(&county, &["show", n]).0, "the county holds {n}");
    }
    let village_sees = gl(&village, &["show", &n2]);
    assert!(
        village_sees.contains("明火已扑灭"),
        "the town's moves reached the village: {village_sees}"
    );
    assert_eq!(state(&county, &n1), "closed");
    assert_eq!(state(&county, &n3), "closed");

    // The county's report names its own levels.
    let out = tmp.path().join("report.md");
    at(
        &county,
        "2027-01-06 09:00",
        &[
            "report",
            "--period",
            "2027-01",
            "--format",
            "md",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let md = std::fs::read_to_string(&out).expect("report written");
    for want in ["高邑县", "镇排名", "镇（含村）", "东街村", "| 村 |"] {
        assert!(md.contains(want), "the report says {want}:\n{md}");
    }
    assert!(!md.contains("街道"), "no 街道 in a county's report:\n{md}");
}

#[test]
fn a_bad_folder_or_a_foreign_configuration_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    // A copy of the county with its first village under a town that does not exist.
    let bad = tmp.path().join("bad");
    copy_dir(Path::new(COUNTY_CONFIG), &bad);
    let text = std::fs::read_to_string(bad.join("district.toml")).unwrap();
    let broken = text.replacen("street = \"130127100\"", "street = \"130127109\"", 1);
    std::fs::write(bad.join("district.toml"), broken).unwrap();
    let dist = tmp.path().join("district");
    let d = dist.to_str().unwrap();
    let (ok, _, err) = run(
        tmp.path(),
        &[
            "district",
            "create",
            "--dir",
            d,
            "--config",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("district.toml:33: communities[0].street: unknown street 130127109"),
        "{err}"
    );
    assert!(
        !dist.exists(),
        "nothing written for a folder that does not check"
    );

    // A misspelt file is named, not ignored.
    std::fs::write(bad.join("district.toml"), text).unwrap();
    std::fs::write(bad.join("limit.toml"), "accept = \"1h\"\n").unwrap();
    let (ok, _, err) = run(
        tmp.path(),
        &["district", "check", "--config", bad.to_str().unwrap()],
    );
    assert!(!ok && err.contains("limit.toml: unknown file"), "{err}");
    std::fs::remove_file(bad.join("limit.toml")).unwrap();

    // Two districts: a node of the first refuses the second's configuration.
    let other = tmp.path().join("other");
    gl(
        tmp.path(),
        &["district", "create", "--dir", d, "--config", COUNTY_CONFIG],
    );
    gl(
        tmp.path(),
        &[
            "district",
            "create",
            "--dir",
            other.to_str().unwrap(),
            "--config",
            COUNTY_CONFIG,
        ],
    );
    let node = tmp.path().join("node");
    let key = gl(&node, &["identity"]);
    gl(
        &node,
        &[
            "district", "enrol", "--dir", d, "--node", "v", "--key", &key, "--unit", VILLAGE,
        ],
    );
    let roster = dist.join("roster.json");
    let foreign = other.join("config.json");
    let (ok, _, err) = run(
        &node,
        &[
            "join",
            roster.to_str().unwrap(),
            "--config",
            foreign.to_str().unwrap(),
        ],
    );
    assert!(!ok && err.contains("names root"), "{err}");
    assert!(
        !node.join("config.json").exists(),
        "nothing taken from a foreign root"
    );
    gl(&node, &["join", roster.to_str().unwrap()]);
    // A joined node's configuration comes from the district, not from a folder.
    let (ok, _, err) = run(
        &node,
        &[
            "init",
            "--unit",
            VILLAGE,
            "--role",
            "grid_worker",
            "--config",
            COUNTY_CONFIG,
        ],
    );
    assert!(!ok && err.contains("has joined a district"), "{err}");

    // A standalone node with a unit the package does not know: refused, nothing written.
    let alone = tmp.path().join("alone");
    let (ok, _, err) = run(
        &alone,
        &[
            "init",
            "--unit",
            "130127999",
            "--role",
            "grid_worker",
            "--config",
            COUNTY_CONFIG,
        ],
    );
    assert!(!ok && err.contains("130127999"), "{err}");
    assert!(
        !alone.join("config.json").exists(),
        "nothing written for a refused init"
    );

    // A district directory from before configuration packages (no config.json): its first
    // version is signed in force from the start.
    std::fs::remove_file(dist.join("config.json")).unwrap();
    let out = gl(
        tmp.path(),
        &["district", "config", "--dir", d, "--config", COUNTY_CONFIG],
    );
    assert!(out.contains("first configuration, version 1"), "{out}");
    assert!(dist.join("config.json").exists());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn a_new_version_reaches_a_running_node_and_it_starts_again_on_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("district");
    let d = dist.to_str().unwrap();
    let (county, village) = (tmp.path().join("county"), tmp.path().join("village"));
    gl(
        &county,
        &["district", "create", "--dir", d, "--config", COUNTY_CONFIG],
    );
    let ports = [free_port(), free_port()];
    enrol_and_join(
        d,
        &[
            (&county, "county", COUNTY, &[], ports[0]),
            (&village, "village", VILLAGE, &["county"], ports[1]),
        ],
    );
    let roster = dist.join("roster.json");
    let spawn = |dir: &Path, port: u16, log: &Path| {
        Command::new(env!("CARGO_BIN_EXE_gridloop"))
            .arg("--data")
            .arg(dir)
            .args(["node", "--quiet", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::fs::File::create(log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node")
    };
    let vlog = tmp.path().join("village.log");
    let _village_node = Nodes(vec![spawn(&village, ports[1], &vlog)]);

    // Version 2: the county's accept limit drops to one hour, in force from now.
    let changed = tmp.path().join("changed");
    copy_dir(Path::new(COUNTY_CONFIG), &changed);
    std::fs::write(changed.join("limits.toml"), "accept = \"1h\"\n").unwrap();
    gl(
        &county,
        &[
            "district",
            "config",
            "--dir",
            d,
            "--config",
            changed.to_str().unwrap(),
        ],
    );
    // It enters the network at the county node (stopped for `join`), and spreads.
    gl(&county, &["join", roster.to_str().unwrap()]);
    let clog = tmp.path().join("county.log");
    let _county_node = Nodes(vec![spawn(&county, ports[0], &clog)]);
    let t = Instant::now();
    loop {
        let log = std::fs::read_to_string(&vlog).unwrap_or_default();
        if log.contains("configuration version 2 is in force") && log.contains("configuration v2") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the running village never started again on version 2:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(_village_node);
    let status = gl(&village, &["status"]);
    assert!(status.contains("config   version 2 of 高邑县"), "{status}");
    // A version cannot take effect in the past: moves already made are never judged again.
    let (ok, _, err) = run(
        &county,
        &[
            "district",
            "config",
            "--dir",
            d,
            "--config",
            COUNTY_CONFIG,
            "--effective",
            "2026-01-01 00:00",
        ],
    );
    assert!(!ok && err.contains("is in the past"), "{err}");
}
