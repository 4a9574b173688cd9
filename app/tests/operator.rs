//! `--as ROLE@UNIT` is checked against this node's roster entry (以此身份办理): a move the
//! node's peers would refuse — for a unit above it, or in a role its entry does not grant —
//! is refused locally first, with the rule named, and nothing is written.

mod common;
use common::{district_of_two, gl, run};

#[test]
fn a_move_the_peers_would_refuse_is_refused_locally_first() {
    let tmp = tempfile::tempdir().unwrap();
    let (_a, b) = district_of_two(tmp.path(), None);
    // The street reports a case in its territory, as its default operator.
    let out = gl(
        &b,
        &[
            "--now",
            "2026-11-23 09:00",
            "new",
            "--source",
            "grid_patrol",
            "--category",
            "E0102",
            "--grid",
            "110101001001001",
            "--address",
            "菊儿胡同3号",
            "--description",
            "垃圾堆放",
        ],
    );
    let number = out
        .split_whitespace()
        .nth(1)
        .expect("a case number")
        .to_string();
    let before = gl(&b, &["show", &number]);
    // 催办 as the district's shift lead: the workflow allows the district to urge the
    // street, but the street node does not work for the district, so every peer would
    // refuse the change.
    let (ok, _, err) = run(
        &b,
        &[
            "--now",
            "2026-11-23 09:05",
            "act",
            &number,
            "--as",
            "shift_lead@110101",
            "urge",
            "--note",
            "请加快处置",
        ],
    );
    assert!(!ok, "a move for the district was made at a street node");
    assert!(
        err.contains("refused here before its peers would") && err.contains("110101"),
        "{err}"
    );
    assert_eq!(gl(&b, &["show", &number]), before, "something was written");
}
