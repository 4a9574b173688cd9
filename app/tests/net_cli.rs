//! The network subcommands' bad input: each refused with a message naming what was wrong,
//! nothing already written changed.

use std::path::Path;

mod common;

/// Runs gridloop: whether it succeeded, and its stdout and stderr together.
fn gl(dir: &Path, args: &[&str]) -> (bool, String) {
    let (ok, out, err) = common::run(dir, args);
    (ok, format!("{out}{err}"))
}

fn fails(dir: &Path, args: &[&str], needle: &str) {
    let (ok, out) = gl(dir, args);
    assert!(!ok, "gridloop {args:?} should fail: {out}");
    assert!(
        out.contains(needle),
        "gridloop {args:?}: expected `{needle}` in: {out}"
    );
}

#[test]
fn network_commands_refuse_bad_input_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let (dist, a, b) = (
        tmp.path().join("district"),
        tmp.path().join("a"),
        tmp.path().join("b"),
    );
    let d = dist.to_str().unwrap();
    fails(
        &a,
        &[
            "district", "enrol", "--dir", d, "--node", "x", "--key", "00", "--unit", "110101",
        ],
        "no district root key",
    );
    assert!(
        gl(
            &a,
            &[
                "district",
                "create",
                "--dir",
                d,
                "--config",
                common::DEMO_CONFIG
            ]
        )
        .0
    );
    fails(
        &a,
        &[
            "district",
            "create",
            "--dir",
            d,
            "--config",
            common::DEMO_CONFIG,
        ],
        "already exists",
    );
    let (_, ka) = gl(&a, &["identity"]);
    let ka = ka.trim().to_string();
    fails(
        &a,
        &[
            "district", "enrol", "--dir", d, "--node", "d", "--key", "abc", "--unit", "110101",
        ],
        "is not an endpoint id",
    );
    fails(
        &a,
        &[
            "district", "enrol", "--dir", d, "--node", "d", "--key", &ka, "--unit", "999",
        ],
        "unknown unit `999`",
    );
    fails(
        &a,
        &[
            "district", "enrol", "--dir", d, "--node", "d", "--key", &ka, "--unit", "110101",
            "--role", "boss",
        ],
        "unknown role `boss`",
    );
    fails(
        &a,
        &[
            "district", "enrol", "--dir", d, "--node", "d", "--key", &ka, "--unit", "110101",
            "--link", "nobody",
        ],
        "link `nobody`",
    );
    fails(
        &a,
        &[
            "district",
            "enrol",
            "--dir",
            d,
            "--node",
            "d",
            "--key",
            &ka,
            "--unit",
            "110101",
            "--addr",
            "not-an-address",
        ],
        "invalid value",
    );
    let roster = dist.join("roster.json");
    let before = std::fs::read(&roster).unwrap();
    // None of the refused enrolments touched the roster.
    assert!(
        gl(
            &a,
            &[
                "district", "enrol", "--dir", d, "--node", "d", "--key", &ka, "--unit", "110101"
            ]
        )
        .0
    );
    assert_ne!(std::fs::read(&roster).unwrap(), before);
    fails(
        &a,
        &["district", "revoke", "--dir", d, "ghost"],
        "node ghost is not in the roster",
    );

    // A node not in the roster cannot join; a tampered roster is refused.
    fails(&b, &["join", roster.to_str().unwrap()], "is not in");
    let tampered = tmp.path().join("tampered.json");
    let text = std::fs::read_to_string(&roster)
        .unwrap()
        .replace("110101", "110102");
    std::fs::write(&tampered, text).unwrap();
    fails(&a, &["join", tampered.to_str().unwrap()], "does not verify");
    let garbage = tmp.path().join("garbage.json");
    std::fs::write(&garbage, "not json").unwrap();
    fails(
        &a,
        &["join", garbage.to_str().unwrap()],
        "not a signed gridloop roster",
    );
    fails(
        &a,
        &["join", "/nonexistent/roster.json"],
        "roster file /nonexistent/roster.json",
    );
    // A node with no roster cannot run.
    fails(&b, &["node", "--listen", "127.0.0.1:0"], "no store");
    fails(&a, &["node", "--listen", "nowhere"], "invalid value");
    assert!(gl(&a, &["join", roster.to_str().unwrap()]).0);
    // A corrupt key file is named.
    std::fs::write(a.join("node.key"), "zz").unwrap();
    fails(&a, &["identity"], "does not hold");
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (ok, out) = gl(dir, args);
    assert!(ok, "gridloop {args:?} failed: {out}");
    out
}

/// `gridloop drill purge` (演练清除): only a district 值班长/领导 may purge; a dry run lists
/// what would go; the purge removes the drill cases reported before its time and keeps
/// the rest; the same purge again does nothing.
#[test]
fn drill_purge_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (dist, d, c) = (
        tmp.path().join("district"),
        tmp.path().join("d"),
        tmp.path().join("c"),
    );
    let dd = dist.to_str().unwrap();
    ok(
        &d,
        &[
            "district",
            "create",
            "--dir",
            dd,
            "--config",
            common::DEMO_CONFIG,
        ],
    );
    for (dir, node, unit, role) in [
        (&d, "d", "110101", "shift_lead"),
        (&c, "c", "110101001001", "grid_worker"),
    ] {
        let key = ok(dir, &["identity"]).trim().to_string();
        ok(
            dir,
            &[
                "district", "enrol", "--dir", dd, "--node", node, "--key", &key, "--unit", unit,
                "--role", role,
            ],
        );
    }
    let roster = dist.join("roster.json");
    for dir in [&d, &c] {
        ok(dir, &["join", roster.to_str().unwrap()]);
    }
    let drill = |dir: &Path, at: &str, address: &str| {
        ok(
            dir,
            &[
                "--now",
                at,
                "new",
                "--source",
                "drill",
                "--drill",
                "--category",
                "E0402",
                "--grid",
                "110101001001001",
                "--address",
                address,
                "--description",
                "演练注入",
            ],
        )
    };
    drill(&d, "2026-11-23 09:00", "演练一号");
    drill(&d, "2026-11-23 10:00", "演练二号");
    ok(
        &d,
        &[
            "--now",
            "2026-11-23 09:30",
            "new",
            "--source",
            "hotline",
            "--category",
            "E0102",
            "--grid",
            "110101001001001",
            "--address",
            "真实案件",
            "--description",
            "垃圾堆放",
        ],
    );

    fails(
        &c,
        &["drill", "purge"],
        "only the district command centre may purge drills",
    );
    fails(
        &d,
        &["drill", "purge", "--before", "soon"],
        "bad time `soon`",
    );
    fails(
        &d,
        &["drill", "purge", "--as", "intake@110101"],
        "only a 值班长 or 领导",
    );
    let dry = ok(
        &d,
        &[
            "drill",
            "purge",
            "--before",
            "2026-11-23 09:30",
            "--dry-run",
        ],
    );
    assert!(
        dry.contains("1 drill case") && dry.contains("演练一号"),
        "{dry}"
    );
    assert!(!dry.contains("演练二号"), "{dry}");
    let listed = ok(&d, &["list"]);
    assert!(
        listed.contains("演练一号") && listed.contains("真实案件"),
        "{listed}"
    );

    let done = ok(
        &d,
        &[
            "drill",
            "purge",
            "--before",
            "2026-11-23 09:30",
            "--note",
            "演练结束",
        ],
    );
    assert!(done.contains("purged 1 drill case"), "{done}");
    let listed = ok(&d, &["list"]);
    assert!(!listed.contains("演练一号"), "{listed}");
    assert!(
        listed.contains("演练二号") && listed.contains("真实案件"),
        "{listed}"
    );
    let again = ok(&d, &["drill", "purge", "--before", "2026-11-23 09:30"]);
    assert!(again.contains("already in force"), "{again}");
}
