//! The network subcommands' bad input: each refused with a message naming what was wrong,
//! nothing already written changed.

use std::path::Path;
use std::process::Command;

fn gl(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .expect("run gridloop");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
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
    assert!(gl(&a, &["district", "create", "--dir", d]).0);
    fails(&a, &["district", "create", "--dir", d], "already exists");
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
