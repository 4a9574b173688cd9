//! The store on real redb files: refusing foreign and corrupt files untouched, and queries
//! that agree with a brute-force scan of every case.

use gridloop_core::calendar::Light;
use gridloop_core::engine::Engine;
use gridloop_core::generate::{Generator, YEAR_2026};
use gridloop_core::store::{CaseSummary, LightFilter, Store, StoreError};
use gridloop_core::workflow::State;

#[test]
fn a_foreign_redb_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let wt = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("theirs");
            wt.open_table(def).unwrap().insert("k", 1).unwrap();
        }
        wt.commit().unwrap();
    }
    match Store::open(&path) {
        Err(StoreError::Foreign { path: p }) => assert_eq!(p, path),
        Err(e) => panic!("expected Foreign, got {e}"),
        Ok(_) => panic!("a foreign store must be refused"),
    }
    // redb rewrites its own header on open; the foreign data itself is untouched.
    let db = redb::Database::open(&path).unwrap();
    let rt = redb::ReadableDatabase::begin_read(&db).unwrap();
    let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("theirs");
    let t = rt.open_table(def).unwrap();
    assert_eq!(
        redb::ReadableTable::get(&t, "k").unwrap().unwrap().value(),
        1
    );
    assert!(
        rt.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
            .is_err(),
        "no table of ours was added"
    );
}

#[test]
fn a_corrupt_file_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.redb");
    std::fs::write(&path, vec![0xAB; 8192]).unwrap();
    let err = Store::open(&path).err().expect("corrupt file refused");
    assert!(err.to_string().contains("junk.redb"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), vec![0xAB; 8192]);
}

#[test]
fn queries_agree_with_a_brute_force_scan() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("q.redb")).unwrap());
    let rules = engine.rules();
    let now = YEAR_2026 + 30 * 86_400_000;
    let mut g = Generator::new(rules, 7, YEAR_2026, 30, now);
    let records = (0..3000).map(|_| Ok(g.next_case()));
    let rep = gridloop_core::bulk::import(
        &engine.store,
        rules,
        &gridloop_core::role::NodeId("t".into()),
        records,
        2,
        &|_| {},
    )
    .unwrap();
    assert_eq!(rep.added, 3000);
    let r = engine.store.read().unwrap();
    let all: Vec<CaseSummary> = r
        .case_ids()
        .unwrap()
        .iter()
        .map(|id| r.summary(id).unwrap().unwrap())
        .collect();
    assert_eq!(all.len(), 3000);
    // Each generated record replays to the row stored for it.
    let open: Vec<State> = State::ALL.into_iter().filter(|s| s.is_open()).collect();
    let mut checked_nonempty = 0;
    for holder in std::iter::once(engine.district.root().id.clone())
        .chain(engine.district.streets().iter().map(|s| s.id.clone()))
    {
        for light in [Light::Green, Light::Yellow, Light::Red] {
            let got = r
                .inbox(&holder, &open, LightFilter::Only(light), now, 10_000)
                .unwrap();
            let mut want: Vec<&CaseSummary> = all
                .iter()
                .filter(|s| s.holder == holder && s.state.is_open() && s.light(now) == light)
                .collect();
            want.sort_by_key(|s| (s.due.unwrap_or(i64::MAX), s.id.clone()));
            let got_ids: Vec<_> = got.iter().map(|s| s.id.clone()).collect();
            let mut want_ids: Vec<_> = want.iter().map(|s| s.id.clone()).collect();
            let mut g2 = got_ids.clone();
            g2.sort();
            want_ids.sort();
            assert_eq!(g2, want_ids, "inbox of {holder} with {light:?}");
            if !got.is_empty() {
                checked_nonempty += 1;
            }
        }
    }
    assert!(checked_nonempty > 5, "the workload fills several inboxes");
    let overdue = r.overdue(now, &|_| true, 100_000).unwrap();
    let want = all
        .iter()
        .filter(|s| s.due.is_some_and(|d| d < now))
        .count();
    assert_eq!(overdue.len(), want);
    assert!(want > 0, "some generated cases are overdue");
    let g0 = all[0].grid.clone();
    assert_eq!(
        r.by_grid(&g0, i64::MIN, i64::MAX, 100_000).unwrap().len(),
        all.iter().filter(|s| s.grid == g0).count()
    );
    let c0 = all[0].category.clone();
    assert_eq!(
        r.by_category(&c0, i64::MIN, i64::MAX, 100_000)
            .unwrap()
            .len(),
        all.iter().filter(|s| s.category == c0).count()
    );
    let found = r.find(&all[10].number).unwrap().unwrap();
    assert_eq!(found.id, all[10].id);
    // Loops and outcomes are mixed.
    for st in [State::Closed, State::Archived, State::Handling] {
        assert!(
            all.iter().any(|s| s.state == st),
            "workload has {st:?} cases"
        );
    }
    assert!(
        all.iter().any(|s| s.self_handling),
        "workload has micro-loop cases"
    );
    assert!(
        all.iter().any(|s| s.escalations > 0),
        "workload has escalations"
    );
    assert!(all.iter().any(|s| s.rework > 0), "workload has rework");
}
