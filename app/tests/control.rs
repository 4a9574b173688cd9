//! One operator tool while the node runs (控制接口): with `gridloop node` holding the stores of
//! a district and a street, every store command on either data directory is run by its node
//! over the control socket — a case reported at the district reaches the street's node at
//! once and shows there — while the commands that need the file itself say the node runs.
//! A node killed without a clean stop leaves a stale socket; the next command runs on its own.

mod common;

use std::process::Command;

use common::{district_of_two, free_port, gl, run, signal, spawn_node as node, wait_until};

#[test]
fn store_commands_run_through_the_running_node() {
    let tmp = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let (a, b) = district_of_two(tmp.path(), Some((pa, pb)));
    let mut district = node(&a, pa);
    let mut street = node(&b, pb);
    wait_until("both control sockets", 30, &|| {
        a.join("control.sock").exists() && b.join("control.sock").exists()
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(a.join("control.sock"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "owner only");
    }

    // Reported, accepted and registered at the district while its node holds the store.
    let reported = gl(
        &a,
        &[
            "new",
            "--source",
            "hotline",
            "--category",
            "E0102",
            "--grid",
            "110101001001001",
            "--address",
            "菊儿胡同7号",
            "--description",
            "垃圾堆放",
            "--reporter-phone",
            "13800000000",
        ],
    );
    assert!(reported.starts_with("reported"), "{reported}");
    let number = reported.split_whitespace().nth(1).unwrap().to_string();
    gl(&a, &["act", &number, "--as", "intake@110101", "accept"]);
    gl(
        &a,
        &["act", &number, "--as", "shift_lead@110101", "register"],
    );
    let listed = gl(&a, &["list", "--search", "菊儿胡同7号"]);
    assert!(listed.contains(&number), "{listed}");
    // A refusal comes back as the node's error, with the exit code.
    let (ok, _, err) = run(&a, &["act", &number, "close"]);
    assert!(!ok && err.contains("refused by rule"), "{err}");
    // Relative paths are the caller's, not the node's.
    let out = Command::new(env!("CARGO_BIN_EXE_gridloop"))
        .current_dir(tmp.path())
        .arg("--data")
        .arg(&a)
        .args(["export", "from-cli.jsonl"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tmp.path().join("from-cli.jsonl").exists());

    // The case is in the street's scope: its node receives it, pushed when the command ran,
    // and the street's CLI reads it through its own node.
    wait_until("the street to hold the case", 20, &|| {
        run(&b, &["show", &number]).1.contains("菊儿胡同7号")
    });
    assert!(gl(&b, &["status"]).contains("s1"));

    // Commands that need the file itself are refused with what to do.
    for args in [
        &["repair"][..],
        &["init", "--unit", "110101", "--role", "intake"][..],
    ] {
        let (ok, _, err) = run(&a, args);
        assert!(
            !ok && err.contains("running `gridloop node`") && err.contains("stop the node"),
            "{args:?}: {err}"
        );
    }

    // A clean stop removes the socket; a killed node leaves it stale, and the next command
    // runs on its own.
    signal(&district.id().to_string(), "TERM");
    assert!(district.wait().unwrap().success());
    assert!(!a.join("control.sock").exists());
    assert!(gl(&a, &["list", "--search", "菊儿胡同7号"]).contains(&number));
    street.kill().unwrap();
    street.wait().unwrap();
    assert!(
        b.join("control.sock").exists(),
        "a killed node leaves its socket"
    );
    assert!(gl(&b, &["show", &number]).contains("菊儿胡同7号"));
}
