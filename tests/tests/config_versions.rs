//! A new configuration version never re-judges the past (配置版本): a store of generated
//! cases, replayed and assessed under the first version alone and under the first plus a
//! second with other limits taking effect after every move, gives the same derived state for
//! every case and the same figures; a move made after the second takes effect runs on its
//! limits. A control puts the second version in force from the start and sees the states
//! change, so the comparison can fail.

use std::sync::Arc;

use gridloop_core::analytics::assess::{AssessConfig, assess};
use gridloop_core::domain::calendar::{Millis, TimeLimit};
use gridloop_core::domain::config::{
    ConfigBook, ConfigFiles, ConfigVersion, DistrictConfig, demo_files,
};
use gridloop_core::domain::event::Action;
use gridloop_core::domain::period::Period;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::engine::rebuild::rebuild_projection;
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::Store;
use gridloop_core::workflow::Derived;
use gridloop_core::workload::{bulk, generate::Generator};

const DAY: Millis = 86_400_000;
/// 2026-06-01 00:00 Beijing.
const START: Millis = 1_780_243_200_000;

fn version(n: u64, effective: Millis, files: &ConfigFiles) -> ConfigVersion {
    ConfigVersion {
        version: n,
        effective,
        hash: files.hash(),
        config: Arc::new(DistrictConfig::from_files(files).expect("valid package")),
    }
}

/// The demo package with slower stage limits and a longer limit for 暴露垃圾 (E0102).
fn second_files() -> ConfigFiles {
    let mut f = demo_files();
    f.files.insert(
        "limits.toml".into(),
        "accept = \"8h\"\nverify = \"6h\"\nregister = \"8h\"\ndispatch = \"5h\"\ncheck = \"1d\"\n\
         close = \"1d\"\ncallback = \"5d\"\nreport_in = \"2h\"\n"
            .into(),
    );
    let cat = f.files.get("catalogue.toml").cloned().unwrap_or_default();
    f.files.insert(
        "catalogue.toml".into(),
        format!("{cat}\n[[minors]]\ncode = \"E0102\"\nname = \"暴露垃圾\"\nlimit = \"9d\"\n"),
    );
    f
}

fn book(versions: Vec<ConfigVersion>) -> ConfigBook {
    ConfigBook::new(versions).expect("book")
}

/// Every case's derived state, by id, and the month's assessment, under `book`.
fn judge(
    path: &std::path::Path,
    book: ConfigBook,
    now: Millis,
) -> (Vec<(String, Derived)>, String) {
    let engine = Engine::with_book(Store::open(path).expect("store"), book, now);
    rebuild_projection(&engine, &|_, _| {}).expect("rebuild");
    let mut states = Vec::new();
    for id in engine.store.doc_ids().expect("ids") {
        let rec = engine.record(id.as_str()).expect("record");
        states.push((id.to_string(), engine.derive(&rec).expect("derive")));
    }
    let period = Period::parse("2026-06").expect("period");
    let a = assess(&engine, period, now, &AssessConfig::default()).expect("assess");
    (states, serde_json::to_string(&a).expect("json"))
}

#[test]
fn a_later_version_leaves_the_past_alone_and_runs_the_moves_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gridloop.redb");
    let first = demo_files();
    let second = second_files();
    let now = START + 20 * DAY;
    {
        let engine = Engine::with_book(
            Store::open(&path).expect("store"),
            book(vec![version(1, Millis::MIN, &first)]),
            now,
        );
        engine
            .store
            .set_node(
                &NodeId("d".into()),
                &engine.district.root().id,
                Role::Dispatcher,
            )
            .expect("node");
        let rules = engine.rules();
        let mut g = Generator::new(rules, 11, START, 18, now);
        let src = (0..400).map(move |_| Ok(g.next_case()));
        bulk::import(&engine.store, rules, &NodeId("d".into()), src, 2, &|_| {}).expect("import");
    }

    let (alone, figures_alone) = judge(&path, book(vec![version(1, Millis::MIN, &first)]), now);
    let effective = now + DAY;
    let (both, figures_both) = judge(
        &path,
        book(vec![
            version(1, Millis::MIN, &first),
            version(2, effective, &second),
        ]),
        now,
    );
    assert!(alone.len() >= 400, "{} cases", alone.len());
    let closed = alone
        .iter()
        .filter(|(_, d)| !d.current.state.is_open())
        .count();
    assert!(closed > 50, "the generated month closes cases: {closed}");
    assert_eq!(alone, both, "a later version re-judged a case");
    assert_eq!(
        figures_alone, figures_both,
        "a later version changed the figures"
    );

    // Control: the second version in force from the start re-judges the open stages.
    let (early, _) = judge(
        &path,
        book(vec![
            version(1, Millis::MIN, &first),
            version(2, Millis::MIN + 1, &second),
        ]),
        now,
    );
    assert_ne!(alone, early, "the control must see the limits change");

    // A move after the second version takes effect runs on its limits.
    let engine = Engine::with_book(
        Store::open(&path).expect("store"),
        book(vec![
            version(1, Millis::MIN, &first),
            version(2, effective, &second),
        ]),
        now,
    );
    let district = engine.district.root().id.clone();
    let intake = Actor {
        node: NodeId("d".into()),
        unit: district.clone(),
        role: Role::Intake,
        person: None,
    };
    let grid = engine
        .district
        .grids()
        .next()
        .expect("a grid")
        .code
        .to_string();
    let new = NewCase {
        source: "hotline".into(),
        category: "E0102".into(),
        grid,
        address: "东城区某街".into(),
        description: "垃圾".into(),
        ..NewCase::default()
    };
    let before = engine.report(&intake, &new, now).expect("report before");
    let after_t = effective + 3_600_000;
    let after = engine.report(&intake, &new, after_t).expect("report after");
    let stage = |id: &gridloop_core::domain::case_id::CaseId| {
        let rec = engine.record(id.as_str()).expect("record");
        engine
            .derive(&rec)
            .expect("derive")
            .current
            .stage
            .expect("a stage clock")
    };
    let accept = |id: &gridloop_core::domain::case_id::CaseId, at: Millis| {
        engine.act(&intake, id, Action::Accept, at).expect("accept");
        stage(id)
    };
    // Both accepted after the second version took effect: both on its 8 h register limit.
    let s1 = accept(&before.id, after_t + 60_000);
    let s2 = accept(&after.id, after_t + 60_000);
    assert_eq!(s1.limit, TimeLimit::working_hours(8));
    assert_eq!(s2.limit, TimeLimit::working_hours(8));
    // The report made before it started its accept clock on the first version's 4 h.
    let rec = engine.record(before.id.as_str()).expect("record");
    let first_accept = engine
        .rules()
        .initial(&rec.intake, &rec.events[0])
        .expect("initial")
        .stage
        .expect("accept clock");
    assert_eq!(first_accept.limit, TimeLimit::working_hours(4));
    let rec = engine.record(after.id.as_str()).expect("record");
    let second_accept = engine
        .rules()
        .initial(&rec.intake, &rec.events[0])
        .expect("initial")
        .stage
        .expect("accept clock");
    assert_eq!(second_accept.limit, TimeLimit::working_hours(8));
}

/// Friday 2026-11-27 17:00 Beijing.
const FRIDAY_5PM: Millis = 1_795_770_000_000;

#[test]
fn a_unit_that_works_every_day_runs_its_handling_clock_round_the_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::demo(Store::open(&dir.path().join("gridloop.redb")).expect("store"));
    let config = engine.config_at(FRIDAY_5PM).expect("a book").clone();
    let sanitation = gridloop_core::domain::unit::UnitId::from("110101D02");
    assert!(
        config.always_on.contains(&sanitation),
        "the demo's 环卫中心 works every day"
    );
    let other = gridloop_core::domain::unit::UnitId::from("110101D01");
    assert!(!config.always_on.contains(&other));
    let district = engine.district.root().id.clone();
    let as_role = |role| Actor {
        node: NodeId("d".into()),
        unit: district.clone(),
        role,
        person: None,
    };
    let grid = engine
        .district
        .grids()
        .next()
        .expect("grid")
        .code
        .to_string();
    let dispatched = |lead: &gridloop_core::domain::unit::UnitId| {
        let new = NewCase {
            source: "hotline".into(),
            category: "E0102".into(),
            grid: grid.clone(),
            address: "东城区某街".into(),
            description: "垃圾".into(),
            ..NewCase::default()
        };
        let t = FRIDAY_5PM - 3_600_000;
        let c = engine
            .report(&as_role(Role::Intake), &new, t)
            .expect("report");
        engine
            .act(&as_role(Role::Intake), &c.id, Action::Accept, t + 60_000)
            .expect("accept");
        let rec = engine.record(c.id.as_str()).expect("record");
        let s = engine.derive(&rec).expect("derive").current;
        engine
            .act(
                &as_role(Role::ShiftLead),
                &c.id,
                Action::Register {
                    category: s.category.clone(),
                    grid: s.grid.clone(),
                },
                t + 120_000,
            )
            .expect("register");
        engine
            .act(
                &as_role(Role::Dispatcher),
                &c.id,
                Action::Dispatch {
                    lead: lead.clone(),
                    assists: vec![],
                },
                FRIDAY_5PM,
            )
            .expect("dispatch");
        let rec = engine.record(c.id.as_str()).expect("record");
        engine
            .derive(&rec)
            .expect("derive")
            .current
            .stage
            .expect("handling clock")
    };
    let round = dispatched(&sanitation);
    let working = dispatched(&other);
    let limit = engine.catalogue.require("E0102").expect("E0102").limit;
    let natural = match limit.unit {
        gridloop_core::domain::calendar::LimitUnit::WorkingDays => i64::from(limit.value) * DAY,
        gridloop_core::domain::calendar::LimitUnit::WorkingHours => {
            i64::from(limit.value) * 3_600_000
        }
        gridloop_core::domain::calendar::LimitUnit::Minutes => i64::from(limit.value) * 60_000,
    };
    assert_eq!(round.due - FRIDAY_5PM, natural, "环卫 counts every hour");
    assert!(
        working.due > round.due + DAY,
        "an office department's clock waits for Monday: {} vs {}",
        working.due,
        round.due
    );
}
