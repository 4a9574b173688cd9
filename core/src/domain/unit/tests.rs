//! Tests of the parent module.

use super::*;

const SMALL: &str = r#"
district = { id = "110101", name = "东城区" }
streets = [
  { id = "110101001", name = "东华门街道" },
  { id = "110101002", name = "景山街道" },
]
departments = [
  { id = "110101D01", name = "城管执法局" },
]
communities = [
  { id = "110101001001", name = "多福巷社区", street = "110101001" },
  { id = "110101001002", name = "银闸社区", street = "110101001" },
  { id = "110101002001", name = "隆福寺社区", street = "110101002" },
]
grids = [
  { code = "110101001001002", name = "多福巷社区第2网格", x = 12.5, y = 20 },
  { code = "110101001001001", name = "多福巷社区第1网格", x = 10, y = 20 },
  { code = "110101002001001", name = "隆福寺社区第1网格", community = "110101002001", x = 30.5, y = 40 },
]
"#;

fn id(s: &str) -> UnitId {
    UnitId::from(s)
}

fn small() -> District {
    District::from_toml(SMALL).expect("small district parses")
}

/// `SMALL` with one substring replaced (asserting it was there).
fn broken(from: &str, to: &str) -> UnitError {
    assert!(SMALL.contains(from), "fixture lacks {from}");
    match District::from_toml(&SMALL.replacen(from, to, 1)) {
        Ok(_) => panic!("expected an error after replacing {from:?} by {to:?}"),
        Err(e) => e,
    }
}

const STREET_NAMES: [&str; 17] = [
    "东华门",
    "景山",
    "交道口",
    "安定门",
    "北新桥",
    "东四",
    "朝阳门",
    "建国门",
    "东直门",
    "和平里",
    "前门",
    "崇文门外",
    "东花市",
    "龙潭",
    "体育馆路",
    "天坛",
    "永定门外",
];

#[test]
fn demo_loads_with_the_real_streets() {
    let d = District::demo();
    assert_eq!(d.root().id, id("110101"));
    assert_eq!(d.root().name, "东城区");
    assert_eq!(d.root().kind, UnitKind::District);
    let streets = d.streets();
    assert_eq!(streets.len(), 17);
    for (i, (s, name)) in streets.iter().zip(STREET_NAMES).enumerate() {
        assert_eq!(s.id.as_str(), format!("110101{:03}", i + 1));
        assert_eq!(s.name, format!("{name}街道"));
        assert_eq!(s.parent.as_ref(), Some(&d.root().id));
        let comms = d.children(&s.id);
        assert!(
            (8..=15).contains(&comms.len()),
            "{} has {} communities",
            s.name,
            comms.len()
        );
        assert!(comms.iter().all(|c| c.kind == UnitKind::Community));
    }
    assert_eq!(d.children(&d.root().id).len(), 17 + d.departments().len());
}

#[test]
fn demo_communities_grids_and_departments() {
    let d = District::demo();
    let comms = d.communities();
    assert!(comms.len() >= 17 * 8);
    for c in &comms {
        let cells = d.grids_of(&c.id);
        assert!(!cells.is_empty(), "{} has no grid", c.name);
        assert!(c.name.ends_with("社区"));
        for g in cells {
            assert_eq!(g.community, c.id);
            assert_eq!(g.code.community(), c.id);
            assert!(g.name.starts_with(&c.name));
            assert!((0.0..=1000.0).contains(&g.x) && (0.0..=1000.0).contains(&g.y));
        }
    }
    assert_eq!(
        d.grids().count(),
        comms.iter().map(|c| d.grids_of(&c.id).len()).sum::<usize>()
    );
    let depts = d.departments();
    assert!(depts.len() >= 12);
    for name in ["城管执法局", "环卫中心", "园林绿化局", "燃气集团东城分公司"]
    {
        let u = d.find_by_name(name).expect(name);
        assert_eq!(u.kind, UnitKind::Department);
    }
    // Names are unique: every unit is found by its own name.
    for u in d.units() {
        assert_eq!(
            d.find_by_name(&u.name).map(|f| &f.id),
            Some(&u.id),
            "{}",
            u.name
        );
    }
    let ju = d.find_by_name("菊儿社区").expect("菊儿社区");
    assert_eq!(
        d.parent(&ju.id).and_then(|p| d.unit(p)).unwrap().name,
        "交道口街道"
    );
    assert!(d.find_by_name("菊儿").is_none());
}

#[test]
fn demo_streets_occupy_separate_regions() {
    let d = District::demo();
    let bbox = |s: &Unit| {
        let mut b = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for c in d.children(&s.id) {
            for g in d.grids_of(&c.id) {
                b = (b.0.min(g.x), b.1.min(g.y), b.2.max(g.x), b.3.max(g.y));
            }
        }
        b
    };
    let boxes: Vec<_> = d.streets().into_iter().map(bbox).collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let overlap = a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
            assert!(!overlap, "street boxes overlap: {a:?} {b:?}");
        }
    }
}

#[test]
fn ancestors_and_is_same_or_above() {
    let d = small();
    let (dist, s1, s2, c11, c21, dept) = (
        id("110101"),
        id("110101001"),
        id("110101002"),
        id("110101001001"),
        id("110101002001"),
        id("110101D01"),
    );
    assert_eq!(d.ancestors(&c11), vec![s1.clone(), dist.clone()]);
    assert_eq!(d.ancestors(&s1), vec![dist.clone()]);
    assert_eq!(d.ancestors(&dept), vec![dist.clone()]);
    assert!(d.ancestors(&dist).is_empty());
    assert!(d.ancestors(&id("999")).is_empty());
    assert_eq!(d.parent(&c21), Some(&s2));
    assert_eq!(d.parent(&dist), None);

    assert!(d.is_same_or_above(&dist, &c11));
    assert!(d.is_same_or_above(&s1, &c11));
    assert!(d.is_same_or_above(&c11, &c11));
    assert!(d.is_same_or_above(&dist, &dept));
    assert!(!d.is_same_or_above(&s2, &c11));
    assert!(!d.is_same_or_above(&c11, &s1));
    assert!(!d.is_same_or_above(&dept, &c11));
    assert!(!d.is_same_or_above(&s1, &dist));
    assert!(!d.is_same_or_above(&id("999"), &c11));
}

#[test]
fn lookups() {
    let d = small();
    let kids: Vec<_> = d
        .children(&id("110101001"))
        .iter()
        .map(|u| u.id.clone())
        .collect();
    assert_eq!(kids, vec![id("110101001001"), id("110101001002")]);
    assert!(d.children(&id("110101001001")).is_empty());
    assert_eq!(d.units().count(), 7);
    assert_eq!(d.require(&id("110101D01")).unwrap().name, "城管执法局");
    let e = d.require(&id("110101D09")).unwrap_err();
    assert!(matches!(e, UnitError::UnknownUnit(_)));
    assert!(e.to_string().contains("110101D09"), "{e}");

    let codes: Vec<_> = d
        .grids_of(&id("110101001001"))
        .iter()
        .map(|g| g.code.as_str())
        .collect();
    assert_eq!(codes, ["110101001001001", "110101001001002"]);
    assert!(d.grids_of(&id("110101001002")).is_empty());
    let g = d.require_grid("110101001001001").unwrap();
    assert_eq!(
        (g.name.as_str(), g.x, g.y),
        ("多福巷社区第1网格", 10.0, 20.0)
    );
    assert_eq!(d.grid(&g.code).unwrap().code, g.code);
    let e = d.require_grid("110101001001009").unwrap_err();
    assert!(matches!(e, UnitError::UnknownGrid(_)));
    assert!(e.to_string().contains("110101001001009"), "{e}");
    assert!(matches!(
        d.require_grid("1101"),
        Err(UnitError::GridCodeLength { len: 4, .. })
    ));
    assert_eq!(d.find_by_name("银闸社区").unwrap().id, id("110101001002"));
    assert!(d.find_by_name("银闸").is_none());
}

#[test]
fn grid_code_parse() {
    let g = GridCode::parse("110101003006002").unwrap();
    assert_eq!(g.as_str(), "110101003006002");
    assert_eq!(g.to_string(), "110101003006002");
    assert_eq!(g.community(), id("110101003006"));
    assert_eq!(g.street(), id("110101003"));
    assert_eq!(g.division(), id("110101"));

    for bad in ["", "11010100300600", "1101010030060021", "110101 003006002"] {
        match GridCode::parse(bad) {
            Err(e @ UnitError::GridCodeLength { .. }) => {
                assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
                assert!(e.to_string().contains("15 digits"), "{e}");
            }
            other => panic!("{bad:?}: expected a length error, got {other:?}"),
        }
    }
    match GridCode::parse("11010100300600A") {
        Err(
            e @ UnitError::GridCodeNotDigits {
                found: 'A',
                position: 14,
                ..
            },
        ) => {
            assert!(e.to_string().contains("11010100300600A"), "{e}");
            assert!(e.to_string().contains("digits only"), "{e}");
        }
        other => panic!("expected a non-digit error, got {other:?}"),
    }
    // Full-width digits are 15 characters but not ASCII digits.
    assert!(matches!(
        GridCode::parse("１１０１０１００３００６００２"),
        Err(UnitError::GridCodeNotDigits { position: 0, .. })
    ));
    assert!(matches!(
        GridCode::parse("-11010100300600"),
        Err(UnitError::GridCodeNotDigits { found: '-', .. })
    ));
}

#[test]
fn serde_forms() {
    let g = GridCode::parse("110101003006002").unwrap();
    assert_eq!(serde_json::to_string(&g).unwrap(), "\"110101003006002\"");
    let back: GridCode = serde_json::from_str("\"110101003006002\"").unwrap();
    assert_eq!(back, g);
    let err = serde_json::from_str::<GridCode>("\"11010100300600x\"").unwrap_err();
    assert!(err.to_string().contains("11010100300600x"), "{err}");
    assert!(serde_json::from_str::<GridCode>("\"123\"").is_err());

    assert_eq!(
        serde_json::to_string(&id("110101D01")).unwrap(),
        "\"110101D01\""
    );
    assert_eq!(
        serde_json::to_string(&UnitKind::Department).unwrap(),
        "\"department\""
    );
    let k: UnitKind = serde_json::from_str("\"community\"").unwrap();
    assert_eq!(k, UnitKind::Community);
    assert_eq!((k.label_zh(), k.label_en()), ("社区", "community"));
    assert_eq!(UnitKind::District.label_zh(), "区");
    assert_eq!(UnitKind::Street.label_zh(), "街道");
    assert_eq!(UnitKind::Department.label_zh(), "部门");

    let d = small();
    let cell = d.require_grid("110101002001001").unwrap();
    let json = serde_json::to_string(cell).unwrap();
    let back: GridCell = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, cell);
    let unit = d.root().clone();
    let back: Unit = serde_json::from_str(&serde_json::to_string(&unit).unwrap()).unwrap();
    assert_eq!(back, unit);
}

#[test]
fn rejects_duplicate_ids() {
    let e = broken(
        r#"{ id = "110101002", name = "景山街道" }"#,
        r#"{ id = "110101001", name = "景山街道" }"#,
    );
    assert!(
        matches!(&e, UnitError::DuplicateUnit(u) if u.as_str() == "110101001"),
        "{e:?}"
    );
    assert!(e.to_string().contains("110101001"), "{e}");

    let e = broken(r#"code = "110101001001002""#, r#"code = "110101001001001""#);
    assert!(matches!(e, UnitError::DuplicateGrid(_)), "{e:?}");
    assert!(e.to_string().contains("110101001001001"), "{e}");
}

#[test]
fn rejects_community_under_a_department() {
    let e = broken(
        r#"{ id = "110101002001", name = "隆福寺社区", street = "110101002" }"#,
        r#"{ id = "110101002001", name = "隆福寺社区", street = "110101D01" }"#,
    );
    assert!(
        matches!(
            &e,
            UnitError::WrongParentKind {
                kind: UnitKind::Community,
                parent_kind: UnitKind::Department,
                expected: UnitKind::Street,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("110101002001") && msg.contains("110101D01"),
        "{msg}"
    );
    assert!(
        msg.contains("department") && msg.contains("street"),
        "{msg}"
    );

    // A community directly under the district is wrong too.
    let e = broken(r#"street = "110101002""#, r#"street = "110101""#);
    assert!(matches!(
        e,
        UnitError::WrongParentKind {
            parent_kind: UnitKind::District,
            ..
        }
    ));
}

#[test]
fn rejects_grid_whose_prefix_does_not_match() {
    let e = broken(
        r#"community = "110101002001""#,
        r#"community = "110101001001""#,
    );
    assert!(
        matches!(e, UnitError::GridCommunityMismatch { .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("110101002001001") && msg.contains("110101001001"),
        "{msg}"
    );

    // A grid whose code names a community that does not exist.
    let e = broken(r#"code = "110101001001002""#, r#"code = "110101001009002""#);
    assert!(matches!(e, UnitError::GridCommunityMissing { .. }), "{e:?}");
    assert!(e.to_string().contains("110101001009002"), "{e}");
    assert!(e.to_string().contains("110101001009 "), "{e}");

    // Malformed grid codes in the file get the specific parse errors.
    let e = broken(r#"code = "110101001001002""#, r#"code = "1101010010010x2""#);
    assert!(matches!(e, UnitError::GridCodeNotDigits { .. }), "{e:?}");
    let e = broken(r#"code = "110101001001002""#, r#"code = "11010100100100""#);
    assert!(matches!(e, UnitError::GridCodeLength { .. }), "{e:?}");
}

#[test]
fn rejects_unknown_parent() {
    let e = broken(r#"street = "110101002""#, r#"street = "110101009""#);
    assert!(
        matches!(&e, UnitError::ParentMissing { id, parent }
        if id.as_str() == "110101002001" && parent.as_str() == "110101009"),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("110101002001") && msg.contains("110101009"),
        "{msg}"
    );
}

#[test]
fn rejects_bad_unit_codes() {
    let e = broken(r#"id = "110101002", name"#, r#"id = "110102002", name"#);
    assert!(matches!(e, UnitError::CodeNotUnderParent { .. }), "{e:?}");
    assert!(e.to_string().contains("110102002"), "{e}");

    let e = broken(r#"id = "110101002", name"#, r#"id = "11010100", name"#);
    assert!(
        matches!(
            e,
            UnitError::BadUnitCode {
                kind: UnitKind::Street,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("11010100"), "{e}");

    let e = broken(r#"id = "110101D01""#, r#"id = "110101X01""#);
    assert!(
        matches!(
            e,
            UnitError::BadUnitCode {
                kind: UnitKind::Department,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("110101X01"), "{e}");

    let e = broken(r#"id = "110101D01""#, r#"id = "110102D01""#);
    assert!(matches!(e, UnitError::CodeNotUnderParent { .. }), "{e:?}");

    let e = broken(r#"id = "110101001002""#, r#"id = "110101002002""#);
    assert!(matches!(e, UnitError::CodeNotUnderParent { .. }), "{e:?}");
    assert!(e.to_string().contains("110101002002"), "{e}");

    let e = broken(r#"id = "110101", name"#, r#"id = "11010A", name"#);
    assert!(
        matches!(
            e,
            UnitError::BadUnitCode {
                kind: UnitKind::District,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn rejects_other_bad_input() {
    let e = broken(r#"name = "银闸社区""#, r#"name = " ""#);
    assert!(matches!(e, UnitError::EmptyName(_)), "{e:?}");
    assert!(e.to_string().contains("110101001002"), "{e}");

    let e = broken("x = 30.5", "x = 1000.5");
    assert!(matches!(e, UnitError::GridPosition { .. }), "{e:?}");
    assert!(e.to_string().contains("110101002001001"), "{e}");
    assert!(matches!(
        broken("x = 30.5", "x = nan"),
        UnitError::GridPosition { .. }
    ));

    let e = broken("district = {", "distrikt = {");
    assert!(matches!(e, UnitError::Toml(_)), "{e:?}");
    assert!(e.to_string().starts_with("invalid district TOML:"), "{e}");
    let e = broken(
        r#"street = "110101002""#,
        r#"street = "110101002", extra = 1"#,
    );
    assert!(e.to_string().contains("extra"), "{e}");
    let e = broken("]\ndepartments", "\ndepartments");
    assert!(matches!(e, UnitError::Toml(_)), "{e:?}");
}

#[test]
fn accepts_table_style_and_minimal_files() {
    let text = r#"
[district]
id = "110101"
name = "东城区"

[[streets]]
id = "110101001"
name = "东华门街道"

[[communities]]
id = "110101001001"
name = "多福巷社区"
street = "110101001"

[[grids]]
code = "110101001001001"
name = "多福巷社区第1网格"
x = 0
y = 1000
"#;
    let d = District::from_toml(text).unwrap();
    assert_eq!(d.grids().count(), 1);
    assert!(d.departments().is_empty());
    let d = District::from_toml(r#"district = { id = "110101", name = "东城区" }"#).unwrap();
    assert_eq!(d.units().count(), 1);
    assert!(d.streets().is_empty());
}

#[test]
fn load_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("district.toml");
    std::fs::write(&path, SMALL).unwrap();
    let d = District::load(&path).unwrap();
    assert_eq!(d.streets().len(), 2);

    let missing = dir.path().join("no-such-district.toml");
    let e = District::load(&missing).unwrap_err();
    assert!(matches!(e, UnitError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("no-such-district.toml"), "{e}");
    assert!(std::error::Error::source(&e).is_some());
}
