//! Tests of the parent module.

use super::*;
use crate::domain::catalogue::Catalogue;

const GOOD: &str = r#"
name = "暴雨内涝应急演练"
[[inject]]
at = "0m"
grid = "110101001001001"
category = "E0402"
address = "东华门大街12号"
description = "路面塌陷"
count = 2
[[link]]
at = "25m"
restore = ["c11", "s1"]
[[link]]
at = "10m"
cut = ["c11", "s1"]
[[expect]]
step = "dispatch"
within = "30m"
"#;

#[test]
fn spans_read_like_people_write_them() {
    assert_eq!(parse_span("90s"), Some(90_000));
    assert_eq!(parse_span("5m"), Some(300_000));
    assert_eq!(parse_span("1h30m"), Some(5_400_000));
    assert_eq!(parse_span("0m"), Some(0));
    for bad in ["", "5", "m", "5x", "1h30"] {
        assert_eq!(parse_span(bad), None, "{bad}");
    }
}

#[test]
fn a_scenario_plans_in_time_order() {
    let d = District::demo();
    let p = Scenario::plan(GOOD, &d, &Catalogue::standard(), &["d", "s1", "c11"]).unwrap();
    assert_eq!(p.injections.len(), 1);
    assert_eq!(p.injections[0].1.count, 2);
    assert_eq!(
        p.links,
        vec![
            (600_000, true, "c11".into(), "s1".into()),
            (1_500_000, false, "c11".into(), "s1".into())
        ]
    );
    assert_eq!(p.expectations, vec![(Step::Dispatch, 1_800_000)]);
}

#[test]
fn bad_scenarios_say_what_is_wrong() {
    let d = District::demo();
    let c = Catalogue::standard();
    let nodes = ["d", "s1", "c11"];
    let cases = [
        (GOOD.replace("\"0m\"", "\"soon\""), "inject #1 at"),
        (
            GOOD.replace("110101001001001", "110101999999999"),
            "inject #1 grid",
        ),
        (GOOD.replace("E0402", "E9999"), "inject #1 category"),
        (
            GOOD.replace("[\"c11\", \"s1\"]\n[[link]]", "[\"c11\", \"x9\"]\n[[link]]"),
            "unknown node `x9`",
        ),
        (
            GOOD.replace("step = \"dispatch\"", "step = \"celebrate\""),
            "unknown step `celebrate`",
        ),
        (GOOD.replace("name = ", "nmae = "), "unknown field"),
        (
            format!("{GOOD}\n[[link]]\nat = \"1m\"\n"),
            "exactly one of cut or restore",
        ),
    ];
    for (text, needle) in cases {
        let e = Scenario::plan(&text, &d, &c, &nodes).unwrap_err();
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
}
