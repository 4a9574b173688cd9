//! Tests of the parent module.

use super::*;

const CITY: &str = r#"
majors = [
  { code = "E01", name = "市容环境" },
  { code = "E07", name = "城市特色事件" },
]
minors = [
  { code = "E0102", name = "暴露垃圾", limit = { value = 2, unit = "working_hours" } },
  { code = "E0701", name = "违规遛犬", limit = "3 工作日" },
  { code = "E0702", name = "占道晾晒农作物", limit = "30min", owner_first = true },
]
"#;

fn err(text: &str) -> CatalogueError {
    Catalogue::from_toml(text).expect_err("should be rejected")
}

#[test]
fn standard_has_all_majors_and_enough_minors() {
    let cat = Catalogue::standard();
    let components: Vec<_> = cat
        .majors(CaseKind::Component)
        .iter()
        .map(|m| m.code.as_str())
        .collect();
    assert_eq!(
        components,
        ["C01", "C02", "C03", "C04", "C05", "C06", "C07"]
    );
    let events: Vec<_> = cat
        .majors(CaseKind::Event)
        .iter()
        .map(|m| m.code.as_str())
        .collect();
    assert_eq!(events, ["E01", "E02", "E03", "E04", "E05", "E06"]);
    assert!(cat.len() >= 75, "only {} minor classes", cat.len());
    assert!(!cat.is_empty());
    assert_eq!(cat.major("c01").map(|m| m.name.as_str()), Some("公用设施"));
    assert_eq!(cat.major("E04").map(|m| m.name.as_str()), Some("突发事件"));
    assert!(cat.major("E09").is_none());
    for major in cat
        .majors(CaseKind::Component)
        .into_iter()
        .chain(cat.majors(CaseKind::Event))
    {
        assert!(
            !cat.minors_of(&major.code).is_empty(),
            "{} has no minor classes",
            major.code
        );
    }
}

#[test]
fn every_minor_has_its_major_and_sane_defaults() {
    let cat = Catalogue::standard();
    let mut prev: Option<&CategoryCode> = None;
    for m in cat.minors() {
        let major = cat
            .major(m.major())
            .unwrap_or_else(|| panic!("{} has no major", m.code));
        assert_eq!(major.kind, m.kind());
        assert!(m.limit.value > 0);
        assert!(
            prev.is_none_or(|p| p < &m.code),
            "minors out of order at {}",
            m.code
        );
        prev = Some(&m.code);
    }
    // Owner first for components, territory first for events unless overridden.
    assert!(cat.require("C0101").unwrap().owner_first);
    assert!(!cat.require("E0102").unwrap().owner_first);
    assert!(cat.require("E0404").unwrap().owner_first);
}

#[test]
fn specific_limits() {
    let cat = Catalogue::standard();
    let limit = |c: &str| cat.require(c).unwrap().limit;
    assert_eq!(limit("E0102"), TimeLimit::working_hours(4));
    assert_eq!(limit("E0104"), TimeLimit::working_hours(2));
    assert_eq!(limit("E0101"), TimeLimit::working_days(20));
    assert_eq!(limit("C0403"), TimeLimit::working_days(5));
    assert_eq!(limit("E0404"), TimeLimit::minutes(30));
    assert_eq!(cat.require("E0102").unwrap().name, "暴露垃圾");
    assert_eq!(cat.require("C0101").unwrap().name, "上水井盖");
}

#[test]
fn code_parts_and_serde() {
    let code = CategoryCode::parse("c0104").unwrap();
    assert_eq!(code.as_str(), "C0104");
    assert_eq!(code.to_string(), "C0104");
    assert_eq!(code.kind(), CaseKind::Component);
    assert_eq!(code.major(), "C01");
    assert_eq!(code.digits(), "0104");
    let e: CategoryCode = "E0503".parse().unwrap();
    assert_eq!(e.kind(), CaseKind::Event);
    assert_eq!(e.kind().letter(), 'E');
    assert_eq!(e.kind().label_zh(), "事件");
    assert_eq!(CaseKind::Component.label_en(), "component");

    assert_eq!(serde_json::to_string(&e).unwrap(), "\"E0503\"");
    let back: CategoryCode = serde_json::from_str("\"E0503\"").unwrap();
    assert_eq!(back, e);
    let bad = serde_json::from_str::<CategoryCode>("\"X0503\"").unwrap_err();
    assert!(bad.to_string().contains("X0503"), "{bad}");
    assert_eq!(
        serde_json::to_string(&CaseKind::Event).unwrap(),
        "\"event\""
    );

    let minor = Catalogue::standard().require("E0102").unwrap().clone();
    let json = serde_json::to_string(&minor).unwrap();
    assert_eq!(serde_json::from_str::<MinorClass>(&json).unwrap(), minor);
}

#[test]
fn search_by_name_code_and_major() {
    let cat = Catalogue::standard();
    let hits = cat.search("暴露垃圾");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].code.as_str(), "E0102");

    let hits = cat.search("e0102");
    assert_eq!(hits[0].code.as_str(), "E0102");

    // An exact code match comes first, then the others in code order.
    let hits: Vec<_> = cat.search("E010").iter().map(|m| m.code.as_str()).collect();
    assert!(hits.len() >= 9);
    assert!(hits.windows(2).all(|w| w[0] < w[1]));

    let covers = cat.search("井盖");
    assert!(covers.iter().any(|m| m.code.as_str() == "C0101"));
    assert!(covers.iter().any(|m| m.code.as_str() == "E0401"));
    assert!(covers.windows(2).all(|w| w[0].code < w[1].code));

    // By major class name: every 公用设施 minor class.
    let utilities = cat.search("公用设施");
    assert_eq!(utilities.len(), cat.minors_of("C01").len());

    // Exact code hit first even when other codes contain it as a substring ordering-wise.
    let mut two = Catalogue::from_toml(
        r#"majors = [{ code = "C01", name = "公用设施" }]
minors = [
  { code = "C0101", name = "甲 C0102 附注", limit = "1d" },
  { code = "C0102", name = "乙", limit = "1d" },
]"#,
    )
    .unwrap();
    let hits: Vec<_> = two
        .search("c0102")
        .iter()
        .map(|m| m.code.as_str())
        .collect();
    assert_eq!(hits, ["C0102", "C0101"]);
    assert!(two.search("不存在").is_empty());
    assert_eq!(two.search("  ").len(), 2);
    two.extend(Catalogue::default());
    assert_eq!(two.len(), 2);
}

#[test]
fn extend_adds_and_overrides() {
    let mut cat = Catalogue::standard();
    let before = cat.len();
    let city = Catalogue::from_toml(CITY).unwrap();
    let report = cat.extend(city);
    assert_eq!(
        report,
        ExtendReport {
            added: 2,
            overridden: 1
        }
    );
    assert_eq!(cat.len(), before + 2);
    assert_eq!(
        cat.require("E0102").unwrap().limit,
        TimeLimit::working_hours(2)
    );
    let dog = cat.require("E0701").unwrap();
    assert_eq!(dog.limit, TimeLimit::working_days(3));
    assert!(!dog.owner_first);
    assert!(cat.require("E0702").unwrap().owner_first);
    assert_eq!(cat.major("E07").unwrap().name, "城市特色事件");
    assert_eq!(cat.majors(CaseKind::Event).len(), 7);
    assert_eq!(cat.minors_of("E07").len(), 2);
    assert_eq!(cat.search("遛犬")[0].code.as_str(), "E0701");
}

#[test]
fn load_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("city.toml");
    std::fs::write(&path, CITY).unwrap();
    assert_eq!(Catalogue::load(&path).unwrap().len(), 3);

    let missing = dir.path().join("missing.toml");
    let e = Catalogue::load(&missing).unwrap_err();
    assert!(matches!(e, CatalogueError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("missing.toml"), "{e}");
}

#[test]
fn bad_codes_name_the_value() {
    for (code, why) in [
        ("X0101", "kind letter"),
        ("C011", "found 4 characters"),
        ("C01011", "found 6 characters"),
        ("C01a1", "digits"),
        ("C0100", "minor class 00"),
        ("E0001", "major class 00"),
        ("C０101", "digits"),
        ("", "empty"),
    ] {
        let e = CategoryCode::parse(code).unwrap_err();
        assert!(matches!(e, CatalogueError::BadCode { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("{code:?}")) && msg.contains(why),
            "{code}: {msg}"
        );
    }

    let e = err(r#"minors = [{ code = "Q0101", name = "x", limit = "1d" }]"#);
    assert!(
        matches!(e, CatalogueError::BadCode { .. }) && e.to_string().contains("Q0101"),
        "{e}"
    );

    let e = err(r#"majors = [{ code = "C1", name = "x" }]"#);
    assert!(
        matches!(e, CatalogueError::BadMajorCode { .. }) && e.to_string().contains("\"C1\""),
        "{e}"
    );
}

#[test]
fn unknown_major_and_category() {
    let e = err(r#"
majors = [{ code = "C01", name = "公用设施" }]
minors = [{ code = "C0901", name = "x", limit = "1d" }]"#);
    assert!(matches!(e, CatalogueError::UnknownMajor { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("C0901") && msg.contains("C09"), "{msg}");

    let cat = Catalogue::standard();
    let e = cat.require("E0999").unwrap_err();
    assert!(matches!(e, CatalogueError::UnknownCategory(_)), "{e:?}");
    assert!(e.to_string().contains("E0999"), "{e}");
    let e = cat.require("E09").unwrap_err();
    assert!(
        matches!(e, CatalogueError::BadCode { .. }) && e.to_string().contains("E09"),
        "{e}"
    );
    assert!(cat.get(&CategoryCode::parse("C0799").unwrap()).is_none());
}

#[test]
fn duplicates() {
    let e = err(r#"
majors = [{ code = "E01", name = "a" }]
minors = [
  { code = "E0101", name = "x", limit = "1d" },
  { code = "e0101", name = "y", limit = "1d" },
]"#);
    assert!(matches!(e, CatalogueError::Duplicate(_)), "{e:?}");
    assert!(e.to_string().contains("E0101"), "{e}");

    let e = err(r#"majors = [{ code = "E01", name = "a" }, { code = "E01", name = "b" }]"#);
    assert!(
        matches!(e, CatalogueError::Duplicate(_)) && e.to_string().contains("E01"),
        "{e}"
    );
}

#[test]
fn limits() {
    let one = |limit: &str| {
        Catalogue::from_toml(&format!(
            "majors = [{{ code = \"E01\", name = \"a\" }}]\nminors = [{{ code = \"E0105\", name = \"x\", limit = {limit} }}]"
        ))
        .map(|c| c.require("E0105").unwrap().limit)
    };
    assert_eq!(one("\"4h\"").unwrap(), TimeLimit::working_hours(4));
    assert_eq!(one("\" 4 工作时 \"").unwrap(), TimeLimit::working_hours(4));
    assert_eq!(one("\"5d\"").unwrap(), TimeLimit::working_days(5));
    assert_eq!(one("\"5工作日\"").unwrap(), TimeLimit::working_days(5));
    assert_eq!(one("\"45min\"").unwrap(), TimeLimit::minutes(45));
    assert_eq!(
        one("{ value = 30, unit = \"minutes\" }").unwrap(),
        TimeLimit::minutes(30)
    );
    assert_eq!(
        one("{ value = 2, unit = \"working_days\" }").unwrap(),
        TimeLimit::working_days(2)
    );

    for zero in ["\"0h\"", "{ value = 0, unit = \"working_days\" }"] {
        let e = one(zero).unwrap_err();
        assert!(matches!(e, CatalogueError::ZeroLimit { .. }), "{e:?}");
        assert!(e.to_string().contains("E0105"), "{e}");
    }
    for bad in [
        "\"4y\"",
        "\"h\"",
        "\"99999999999h\"",
        "{ value = 2, unit = \"weeks\" }",
    ] {
        let e = one(bad).unwrap_err();
        assert!(matches!(e, CatalogueError::BadLimit { .. }), "{bad}: {e:?}");
        assert!(e.to_string().contains("E0105"), "{e}");
    }
}

#[test]
fn toml_errors_and_empty_names() {
    let e = err("majors = [ { code = ");
    assert!(matches!(e, CatalogueError::Toml(_)), "{e:?}");
    assert!(
        e.to_string().starts_with("catalogue TOML is invalid"),
        "{e}"
    );

    let e = err(r#"majors = [{ code = "C01", name = "x", colour = "red" }]"#);
    assert!(
        matches!(e, CatalogueError::Toml(_)) && e.to_string().contains("colour"),
        "{e}"
    );

    let e = err(r#"majors = [{ code = "C01", name = " " }]"#);
    assert!(
        matches!(e, CatalogueError::EmptyName(_)) && e.to_string().contains("C01"),
        "{e}"
    );

    assert!(Catalogue::from_toml("").unwrap().is_empty());
}

proptest::proptest! {
    #[test]
    fn parse_never_panics_and_round_trips(s in "\\PC{0,8}") {
        if let Ok(code) = CategoryCode::parse(&s) {
            proptest::prop_assert_eq!(CategoryCode::parse(code.as_str()).unwrap(), code.clone());
            proptest::prop_assert_eq!(code.as_str().to_lowercase(), s.to_lowercase());
        }
    }

    #[test]
    fn valid_codes_parse(kind in 0..2usize, major in 1..100u32, minor in 1..100u32) {
        let text = format!("{}{major:02}{minor:02}", CaseKind::ALL[kind].letter());
        let code = CategoryCode::parse(&text).unwrap();
        proptest::prop_assert_eq!(code.kind(), CaseKind::ALL[kind]);
        proptest::prop_assert_eq!(code.major(), &text[..3]);
    }
}
