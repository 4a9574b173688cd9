//! The store on real redb files: refusing foreign and corrupt files untouched, and queries
//! that agree with a brute-force scan of every case.

use gridloop_core::domain::calendar::Light;
use gridloop_core::engine::Engine;
use gridloop_core::store::{CaseSummary, LightFilter, Store, StoreError};
use gridloop_core::workflow::State;
use gridloop_core::workload::generate::{Generator, YEAR_2026};

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
    let rep = gridloop_core::workload::bulk::import(
        &engine.store,
        rules,
        &gridloop_core::domain::role::NodeId("t".into()),
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
    // Every unit's inbox: what it holds, and for a department what it handles.
    let mut department_cases = 0;
    for holder in std::iter::once(engine.district.root().id.clone())
        .chain(engine.district.streets().iter().map(|s| s.id.clone()))
        .chain(engine.district.departments().iter().map(|s| s.id.clone()))
    {
        for light in [Light::Green, Light::Yellow, Light::Red] {
            let got = r
                .inbox(&holder, &open, LightFilter::Only(light), now, 10_000)
                .unwrap();
            let mut want: Vec<&CaseSummary> = all
                .iter()
                .filter(|s| {
                    s.inbox_units().contains(&&holder) && s.state.is_open() && s.light(now) == light
                })
                .collect();
            if engine.district.unit(&holder).unwrap().kind
                == gridloop_core::domain::unit::UnitKind::Department
            {
                department_cases += want.len();
            }
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
    assert!(
        department_cases > 20,
        "departments have cases in their inboxes"
    );
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

#[test]
fn a_store_from_the_previous_layout_rebuilds_its_projection_from_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.redb");
    let now = YEAR_2026 + 30 * 86_400_000;
    let before: Vec<CaseSummary> = {
        let engine = Engine::demo(Store::open(&path).unwrap());
        let mut g = Generator::new(engine.rules(), 11, YEAR_2026, 30, now);
        let records = (0..600).map(|_| Ok(g.next_case()));
        gridloop_core::workload::bulk::import(
            &engine.store,
            engine.rules(),
            &gridloop_core::domain::role::NodeId("t".into()),
            records,
            2,
            &|_| {},
        )
        .unwrap();
        let r = engine.store.read().unwrap();
        r.case_ids()
            .unwrap()
            .iter()
            .map(|id| r.summary(id).unwrap().unwrap())
            .collect()
    };
    // Make it look like a version-2 store: older version number, projection rows unreadable.
    {
        let db = redb::Database::open(&path).unwrap();
        let wt = db.begin_write().unwrap();
        {
            let meta = redb::TableDefinition::<&str, &[u8]>::new("meta");
            wt.open_table(meta)
                .unwrap()
                .insert("version", &2u64.to_be_bytes()[..])
                .unwrap();
            let proj = redb::TableDefinition::<&str, &[u8]>::new("projection");
            let mut t = wt.open_table(proj).unwrap();
            for s in &before {
                t.insert(s.id.as_str(), &b"old layout"[..]).unwrap();
            }
        }
        wt.commit().unwrap();
    }
    let engine = Engine::demo(Store::open(&path).unwrap());
    assert!(engine.store.projection_stale());
    let seen = std::sync::Mutex::new(Vec::new());
    let rebuilt = gridloop_core::engine::rebuild::rebuild_if_stale(&engine, &|d, t| {
        seen.lock().unwrap().push((d, t))
    })
    .unwrap()
    .expect("a stale projection is rebuilt");
    assert_eq!(rebuilt.cases, 600);
    assert!(rebuilt.failed.is_empty());
    assert_eq!(
        seen.lock().unwrap().last(),
        Some(&(600, 600)),
        "progress reaches the end"
    );
    assert!(!engine.store.projection_stale());
    let r = engine.store.read().unwrap();
    for s in &before {
        assert_eq!(&r.summary(&s.id).unwrap().unwrap(), s, "row of {}", s.id.0);
    }
    assert_eq!(r.count().unwrap(), 600);
    drop(r);
    drop(engine);
    // Reopened, it is current: nothing to rebuild.
    let engine = Engine::demo(Store::open(&path).unwrap());
    assert!(!engine.store.projection_stale());
    assert!(
        gridloop_core::engine::rebuild::rebuild_if_stale(&engine, &|_, _| {})
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_assessment_agrees_with_a_brute_force_count_over_generated_cases() {
    use gridloop_core::analytics::assess::{AssessConfig, Metric, assess};
    use gridloop_core::domain::period::Period;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("a.redb")).unwrap());
    let now = YEAR_2026 + 40 * 86_400_000;
    let mut g = Generator::new(engine.rules(), 5, YEAR_2026, 40, now);
    let records = (0..4000).map(|_| Ok(g.next_case()));
    gridloop_core::workload::bulk::import(
        &engine.store,
        engine.rules(),
        &gridloop_core::domain::role::NodeId("t".into()),
        records,
        2,
        &|_| {},
    )
    .unwrap();
    let period = Period::parse("2026-01").unwrap();
    let a = assess(&engine, period, now, &AssessConfig::default()).unwrap();
    let (from, to) = period.bounds(&engine.calendar);
    let r = engine.store.read().unwrap();
    let all: Vec<CaseSummary> = r
        .case_ids()
        .unwrap()
        .iter()
        .map(|id| r.summary(id).unwrap().unwrap())
        .filter(|s| s.reported >= from && s.reported < to && !s.drill)
        .collect();
    assert_eq!(a.cases, all.len() as u64);
    assert!(a.cases > 1000, "January holds most generated cases");
    let total = a.total(&engine.district);
    // Reports: one per case.
    assert_eq!(total.value(Metric::Reported), Some(all.len() as f64));
    // Closed and due to close, counted directly from the rows.
    let gone = |s: &CaseSummary| matches!(s.state, State::Rejected | State::Voided | State::Parked);
    let closed = |s: &CaseSummary| matches!(s.state, State::Closed | State::Archived);
    let due: Vec<&CaseSummary> = all
        .iter()
        .filter(|s| !gone(s) && (closed(s) || s.overall_due.is_some_and(|d| d <= now)))
        .collect();
    let c = total.ratio(Metric::CloseRate);
    assert_eq!(c.total, due.len() as u64);
    assert_eq!(c.hits, due.iter().filter(|s| closed(s)).count() as u64);
    assert!(
        c.hits > 0 && c.hits < c.total,
        "some closed, some not: {c:?}"
    );
    // Rework: failed feedbacks equal the rework counter summed over rows.
    let rework: u64 = all.iter().map(|s| s.rework as u64).sum();
    assert_eq!(total.ratio(Metric::Rework).hits, rework);
    // Street rollups add up to the streets' share of the district.
    let sum: u64 = a
        .streets
        .iter()
        .map(|s| s.figures.ratio(Metric::Reported).total)
        .sum();
    let by_streets =
        all.iter()
            .filter(|s| {
                s.acts[0].unit != engine.district.root().id
                    && engine.district.unit(&s.acts[0].unit).is_some_and(|u| {
                        u.kind != gridloop_core::domain::unit::UnitKind::Department
                    })
            })
            .count() as u64;
    assert_eq!(sum, by_streets);
    // Drill-down returns exactly the counted cases.
    let root = engine.district.root().id.clone();
    let behind = gridloop_core::analytics::assess::cases_behind(
        &all,
        &engine.district,
        &engine.catalogue,
        now,
        &root,
        true,
        Metric::CloseRate,
        Some(false),
    );
    assert_eq!(behind.len() as u64, c.total - c.hits);
}

/// 演练清除: a purge removes exactly the drill cases reported before its time — from the
/// projection, every index, the log and the anti-entropy digests — and nothing else; a purge
/// reaching less far changes nothing.
#[test]
fn a_drill_purge_removes_exactly_the_earlier_drill_cases_from_every_table() {
    use gridloop_core::domain::event::Action;
    use gridloop_core::domain::role::{Actor, NodeId, Role};
    use gridloop_core::engine::NewCase;
    use gridloop_core::store::DrillPurge;

    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("p.redb")).unwrap());
    let now = YEAR_2026 + 30 * 86_400_000;
    let mut g = Generator::new(engine.rules(), 5, YEAR_2026, 30, now);
    let records = (0..400).map(|_| Ok(g.next_case()));
    gridloop_core::workload::bulk::import(
        &engine.store,
        engine.rules(),
        &NodeId("t".into()),
        records,
        2,
        &|_| {},
    )
    .unwrap();
    let street = engine.district.streets()[0].id.clone();
    let community = engine.district.children(&street)[0].id.clone();
    let grid = engine.district.grids_of(&community)[0].code.to_string();
    let worker = Actor {
        node: NodeId("c".into()),
        unit: community.clone(),
        role: Role::GridWorker,
        person: None,
    };
    let hour = 3_600_000;
    let mut drills = Vec::new();
    for i in 0..6 {
        let new = NewCase {
            source: "drill".into(),
            category: "E0402".into(),
            grid: grid.clone(),
            address: format!("演练地址 {i} 号"),
            description: "演练注入".into(),
            drill: true,
            ..NewCase::default()
        };
        let at = now - 10 * hour + i * hour;
        let s = engine.report(&worker, &new, at).unwrap();
        if i % 2 == 0 {
            engine
                .act(&worker, &s.id, Action::SelfHandle, at + 60_000)
                .unwrap();
        }
        drills.push(
            engine
                .store
                .read()
                .unwrap()
                .summary(&s.id)
                .unwrap()
                .unwrap(),
        );
    }
    let r = engine.store.read().unwrap();
    let (count, log) = (r.count().unwrap(), r.log_len().unwrap());
    let units = r.case_scope(&drills[0].id).unwrap();
    assert!(units.contains(&community) && units.contains(&street));
    drop(r);

    // Purge the drills of the first four hours: cases 0..4 go.
    let before = now - 6 * hour;
    let purge = DrillPurge {
        before,
        order: b"signed order bytes".to_vec(),
    };
    let done = engine.store.purge_drills(&purge, now).unwrap().unwrap();
    assert_eq!(
        (done.cases, done.changes),
        (4, 6),
        "4 cases, two of them moved"
    );
    let r = engine.store.read().unwrap();
    assert_eq!(r.drill_purge().unwrap(), Some(purge.clone()));
    assert_eq!(r.count().unwrap(), count - 4);
    assert_eq!(r.log_len().unwrap(), log - 6);
    let (gone, kept) = drills.split_at(4);
    let kept_ids: Vec<_> = kept.iter().map(|s| s.id.clone()).collect();
    assert_eq!(r.drill_cases(i64::MAX).unwrap(), kept_ids);
    let open: Vec<State> = State::ALL.into_iter().filter(|s| s.is_open()).collect();
    let inbox = r
        .inbox(&community, &open, LightFilter::Any, now, 100_000)
        .unwrap();
    let timeline = r.by_time(i64::MIN, i64::MAX, 100_000).unwrap();
    let on_grid = r
        .by_grid(&drills[0].grid, i64::MIN, i64::MAX, 100_000)
        .unwrap();
    for s in gone {
        assert!(r.summary(&s.id).unwrap().is_none());
        assert!(r.is_purged(&s.id).unwrap());
        assert!(r.find(&s.number).unwrap().is_none(), "number index");
        assert!(inbox.iter().all(|x| x.id != s.id), "holder index");
        assert!(timeline.iter().all(|x| x.id != s.id), "time index");
        assert!(on_grid.iter().all(|x| x.id != s.id), "grid index");
        assert!(r.doc(&s.id).is_err(), "document");
    }
    for s in kept {
        assert_eq!(r.summary(&s.id).unwrap().as_ref(), Some(s));
        assert!(!r.is_purged(&s.id).unwrap());
    }
    // Each digest is still the XOR and count of what its bucket lists.
    for u in &units {
        for (bucket, x, n) in r.digest(u).unwrap() {
            let cases = r.bucket_cases(u, bucket).unwrap();
            let xor = cases.iter().fold(0u64, |a, (_, h)| a ^ h);
            assert_eq!((x, n), (xor, cases.len() as u32), "{u} bucket {bucket}");
            assert!(cases.iter().all(|(id, _)| gone.iter().all(|s| s.id != *id)));
        }
    }
    drop(r);
    // A purge reaching less far (or as far) changes nothing.
    let earlier = DrillPurge {
        before: before - hour,
        order: b"older".to_vec(),
    };
    assert_eq!(engine.store.purge_drills(&earlier, now).unwrap(), None);
    assert_eq!(engine.store.purge_drills(&purge, now).unwrap(), None);
    assert_eq!(
        engine.store.read().unwrap().drill_purge().unwrap(),
        Some(purge)
    );
}

/// A community node's store and 400 generated district cases, some in its scope.
fn community_store_and_cases() -> (
    tempfile::TempDir,
    Engine,
    gridloop_core::domain::unit::UnitId,
    Vec<gridloop_core::engine::CaseRecord>,
) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("c.redb")).unwrap());
    let community = engine.district.communities()[0].id.clone();
    engine
        .store
        .set_node(
            &gridloop_core::domain::role::NodeId("c".into()),
            &community,
            gridloop_core::domain::role::Role::StationChief,
        )
        .unwrap();
    let now = YEAR_2026 + 30 * 86_400_000;
    let mut g = Generator::new(engine.rules(), 11, YEAR_2026, 30, now);
    // Enough cases that several fall in the community's scope, however the generator's
    // draws fall: the community's own share is small and moves with them.
    let mut records = Vec::new();
    let mut mine = 0;
    while mine < 6 && records.len() < 20_000 {
        let rec = g.next_case();
        mine += usize::from(sees(&engine, &community, &rec));
        records.push(rec);
    }
    (dir, engine, community, records)
}

fn sees(
    engine: &Engine,
    unit: &gridloop_core::domain::unit::UnitId,
    rec: &gridloop_core::engine::CaseRecord,
) -> bool {
    let b = gridloop_core::workload::bulk::build(&engine.rules(), rec.clone()).unwrap();
    gridloop_core::store::feed_scope(&b.summary, &engine.district).contains(unit)
}

fn import(
    engine: &Engine,
    recs: Vec<gridloop_core::engine::CaseRecord>,
) -> Result<gridloop_core::workload::bulk::ImportReport, gridloop_core::engine::EngineError> {
    gridloop_core::workload::bulk::import(
        &engine.store,
        engine.rules(),
        &gridloop_core::domain::role::NodeId("c".into()),
        recs.into_iter().map(Ok),
        2,
        &|_| {},
    )
}

#[test]
fn an_import_takes_only_cases_in_the_nodes_scope() {
    let (_dir, engine, community, records) = community_store_and_cases();
    let (mine, theirs): (Vec<_>, Vec<_>) = records
        .into_iter()
        .partition(|r| sees(&engine, &community, r));
    assert!(
        !mine.is_empty() && !theirs.is_empty(),
        "{} / {}",
        mine.len(),
        theirs.len()
    );
    let outside = theirs[0].clone();

    // The check before writing refuses a file with one case outside, and names it.
    let file = vec![mine[0].clone(), outside.clone()];
    let err = gridloop_core::workload::bulk::check(
        &engine.store,
        &engine.rules(),
        file.clone().into_iter().map(Ok),
    )
    .expect_err("a case of another community is outside a community node's scope");
    let text = err.to_string();
    assert!(
        text.contains("outside this node's scope") && text.contains(&outside.intake.number),
        "{text}"
    );
    // The writer refuses it too, so a caller that skips the check cannot store it.
    assert!(import(&engine, vec![outside.clone()]).is_err());
    let r = engine.store.read().unwrap();
    assert_eq!(r.count().unwrap(), 0, "nothing stored");
    assert!(r.find(&outside.id.0).unwrap().is_none());
    drop(r);

    let rep = import(&engine, mine.clone()).unwrap();
    assert_eq!(rep.added, mine.len() as u64);
}

#[test]
fn an_import_of_a_number_held_by_another_case_is_refused_with_both_named() {
    let (_dir, engine, community, records) = community_store_and_cases();
    let mine: Vec<_> = records
        .into_iter()
        .filter(|r| sees(&engine, &community, r))
        .collect();
    import(&engine, vec![mine[0].clone()]).unwrap();

    // Another identity under the held number: a hand-made record of the same trail.
    let mut twin = mine[1].clone();
    twin.intake.number = mine[0].intake.number.clone();
    twin.document = None;
    let err = gridloop_core::workload::bulk::check(
        &engine.store,
        &engine.rules(),
        std::iter::once(Ok(twin.clone())),
    )
    .expect_err("one number names one case");
    let text = err.to_string();
    assert!(
        text.contains(&mine[0].id.0)
            && text.contains(&twin.id.0)
            && text.contains(&twin.intake.number),
        "{text}"
    );
    assert!(
        import(&engine, vec![twin.clone()]).is_err(),
        "the writer refuses it too"
    );

    // Two records of one file sharing a number, neither yet stored.
    let mut a = mine[2].clone();
    let mut b = mine[3].clone();
    b.intake.number = a.intake.number.clone();
    (a.document, b.document) = (None, None);
    let err = gridloop_core::workload::bulk::check(
        &engine.store,
        &engine.rules(),
        [a.clone(), b.clone()].into_iter().map(Ok),
    )
    .expect_err("two records of one file with one number");
    assert!(err.to_string().contains(&a.id.0), "{err}");

    let r = engine.store.read().unwrap();
    assert_eq!(r.count().unwrap(), 1, "only the first import is stored");
    assert_eq!(
        r.find(&mine[0].intake.number).unwrap().unwrap().id,
        mine[0].id
    );
    drop(r);
    // The same case again is a merge, not a clash.
    assert_eq!(import(&engine, vec![mine[0].clone()]).unwrap().unchanged, 1);
}

#[test]
fn a_store_is_checked_page_by_page_only_when_it_changed_since_a_clean_close() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let engine = Engine::demo(Store::open(&path).unwrap());
        let now = YEAR_2026 + 86_400_000;
        let mut g = Generator::new(engine.rules(), 3, YEAR_2026, 1, now);
        gridloop_core::workload::bulk::import(
            &engine.store,
            engine.rules(),
            &gridloop_core::domain::role::NodeId("t".into()),
            (0..50).map(|_| Ok(g.next_case())),
            1,
            &|_| {},
        )
        .unwrap();
    }
    let checks = std::sync::Arc::new(AtomicUsize::new(0));
    let open = |always: bool| {
        let c = std::sync::Arc::clone(&checks);
        Store::open_reporting(&path, always, move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        })
    };
    // Sealed by its clean close: opened without reading every page.
    drop(open(false).unwrap());
    assert_eq!(
        checks.load(Ordering::SeqCst),
        0,
        "a sealed store is not checked"
    );
    drop(open(true).unwrap());
    assert!(
        checks.load(Ordering::SeqCst) > 0,
        "a check asked for is made"
    );
    checks.store(0, Ordering::SeqCst);

    // A close seals only once the filesystem's clock has moved past the store's last write, so
    // a write after the seal cannot carry the time it records ...
    let seal = gridloop_core::store::integrity::seal_path(&path);
    let mtime = |p: &std::path::Path| std::fs::metadata(p).unwrap().modified().unwrap();
    for _ in 0..10 {
        drop(open(false).unwrap());
        assert!(
            mtime(&seal) > mtime(&path),
            "the seal is later than the store"
        );
    }
    assert_eq!(checks.load(Ordering::SeqCst), 0);
    // ... and a seal of the same tick as the store (racily clean) is not trusted.
    std::fs::File::options()
        .write(true)
        .open(&seal)
        .unwrap()
        .set_modified(mtime(&path))
        .unwrap();
    drop(open(false).unwrap());
    assert!(
        checks.load(Ordering::SeqCst) > 0,
        "a seal of the store's own tick is not trusted"
    );
    checks.store(0, Ordering::SeqCst);

    // Bytes changed behind the store's back: the seal no longer matches, the open checks
    // and refuses the file with its path, leaving it as it was.
    let mut bytes = std::fs::read(&path).unwrap();
    for page in (2..bytes.len() / 4096).step_by(7) {
        for b in &mut bytes[page * 4096 + 200..page * 4096 + 264] {
            *b = 0x5a;
        }
    }
    std::fs::write(&path, &bytes).unwrap();
    match open(false) {
        Err(StoreError::Damaged { path: p, why }) => {
            assert_eq!(p, path);
            assert!(!why.is_empty());
        }
        Err(e) => panic!("expected Damaged, got {e}"),
        Ok(_) => panic!("a damaged store must be refused"),
    }
    assert!(
        checks.load(Ordering::SeqCst) > 0,
        "the changed file was checked"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "left as it was");
    // What still reads is salvaged, read-only.
    let found = gridloop_core::store::integrity::salvage(&path);
    assert!(
        !found.changes.is_empty() || found.stopped.is_some(),
        "{found:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "salvage changes nothing"
    );
}

#[test]
fn a_department_finds_the_cases_dispatched_to_it_in_its_own_inbox() {
    use gridloop_core::domain::event::Action;
    use gridloop_core::domain::role::{Actor, NodeId, Role};
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("d.redb")).unwrap());
    let d = &engine.district;
    let root = d.root().id.clone();
    let dept = d.departments()[0].id.clone();
    let other = d.departments()[1].id.clone();
    let grid = d.grids().next().unwrap().code.to_string();
    let at = |unit: &gridloop_core::domain::unit::UnitId, role| Actor {
        node: NodeId("n".into()),
        unit: unit.clone(),
        role,
        person: None,
    };
    let now = YEAR_2026 + 40 * 86_400_000;
    let case = engine
        .report(
            &at(&root, Role::Intake),
            &gridloop_core::engine::NewCase {
                source: "hotline".into(),
                category: "E0102".into(),
                grid,
                address: "东四北大街1号".into(),
                description: "垃圾".into(),
                ..Default::default()
            },
            now,
        )
        .unwrap();
    let id = case.id.clone();
    let mv =
        |actor: Actor, action: Action, t: i64| engine.act(&actor, &id, action, now + t).unwrap();
    mv(at(&root, Role::Intake), Action::Accept, 1_000);
    let s = engine.record(id.as_str()).unwrap();
    let cur = engine.derive(&s).unwrap().current;
    mv(
        at(&root, Role::ShiftLead),
        Action::Register {
            category: cur.category.clone(),
            grid: cur.grid.clone(),
        },
        2_000,
    );
    let inbox = |unit: &gridloop_core::domain::unit::UnitId, states: &[State]| -> Vec<_> {
        engine
            .store
            .read()
            .unwrap()
            .inbox(unit, states, LightFilter::Any, now, 100)
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    assert!(inbox(&dept, &[State::ToDispatch, State::Handling]).is_empty());
    mv(
        at(&root, Role::Dispatcher),
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
        3_000,
    );
    // The department's inbox lists it while it works on it; the holder's too.
    assert_eq!(inbox(&dept, &[State::Handling]), vec![id.clone()]);
    assert_eq!(inbox(&root, &[State::Handling]), vec![id.clone()]);
    assert!(inbox(&other, &[State::Handling]).is_empty());
    let counts = engine.store.read().unwrap().queue_counts(&dept).unwrap();
    assert_eq!(counts, vec![(State::Handling, 1)]);
    mv(
        at(&dept, Role::Handler),
        Action::SignFor { unit: dept.clone() },
        4_000,
    );
    mv(
        at(&dept, Role::Handler),
        Action::Feedback {
            unit: dept.clone(),
            note: "已清运".into(),
            photos: vec![],
        },
        5_000,
    );
    assert_eq!(inbox(&dept, &[State::ToCheck]), vec![id.clone()]);
    mv(
        at(&root, Role::Supervisor),
        Action::Check {
            passed: true,
            note: "ok".into(),
        },
        6_000,
    );
    mv(at(&root, Role::ShiftLead), Action::Close, 7_000);
    // Closed: off the department's list, on the holder's 待回访.
    let all: Vec<State> = State::ALL.to_vec();
    assert!(inbox(&dept, &all).is_empty());
    assert_eq!(inbox(&root, &[State::Closed]), vec![id.clone()]);
}

#[test]
fn a_work_order_taken_in_twice_or_on_two_nodes_is_one_case() {
    use gridloop_core::domain::role::{Actor, Role};
    use gridloop_core::workload::orders::{WorkOrder, order_case_id, receive};
    let dir = tempfile::tempdir().unwrap();
    let a = Engine::demo(Store::open(&dir.path().join("a.redb")).unwrap());
    let b = Engine::demo(Store::open(&dir.path().join("b.redb")).unwrap());
    let root = a.district.root().id.clone();
    let order = WorkOrder {
        order_no: "BJ12345-20261123-000017".into(),
        received: "2026-11-23 08:47".into(),
        demand: "投诉".into(),
        category: "E0102".into(),
        grid: a.district.grids().next().unwrap().code.to_string(),
        address: "菊儿胡同3号".into(),
        content: "胡同口垃圾多日无人清理".into(),
        caller: Some("王女士".into()),
        phone: Some("13800001111".into()),
    };
    let at = YEAR_2026 + 330 * 86_400_000;
    let actor = |n: &str| Actor::new(n, root.clone(), Role::Intake);
    let first = receive(&a, &actor("a"), &order, at).unwrap().unwrap();
    assert_eq!(first.number, order.order_no);
    assert_eq!(first.id, order_case_id(&order.order_no));
    assert_eq!(first.source, gridloop_core::domain::intake::Source::Hotline);
    assert!(
        receive(&a, &actor("a"), &order, at + 60_000)
            .unwrap()
            .is_none()
    );
    assert_eq!(a.store.read().unwrap().count().unwrap(), 1);
    // Another node taking in the same order makes the same case: their copies merge.
    let other = receive(&b, &actor("b"), &order, at).unwrap().unwrap();
    assert_eq!(other.id, first.id);
    // A blank or spaced number is refused, naming it.
    let mut bad = order.clone();
    bad.order_no = "BJ 1".into();
    let err = receive(&a, &actor("a"), &bad, at).unwrap_err();
    assert!(err.to_string().contains("`BJ 1`"), "{err}");
}

#[test]
fn a_merged_duplicate_leaves_the_counts_and_closes_with_its_case_on_a_real_store() {
    use gridloop_core::analytics::assess::{AssessConfig, assess};
    use gridloop_core::domain::event::Action;
    use gridloop_core::domain::period::Period;
    use gridloop_core::domain::role::{Actor, Role};
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("d.redb")).unwrap());
    let d = &engine.district;
    let root = d.root().id.clone();
    let dept = d.departments()[0].id.clone();
    let at = |unit: &gridloop_core::domain::unit::UnitId, role| {
        Actor::new("n", unit.clone(), role).by(Some("王芳"))
    };
    let now = YEAR_2026 + 40 * 86_400_000;
    let report = |desc: &str| hotline_case(&engine, &at(&root, Role::Intake), desc, None, now);
    let parent = report("垃圾");
    let dup = report("垃圾，又一位市民来电");
    let mv = |id: &gridloop_core::domain::case_id::CaseId, role, action: Action, t: i64| {
        engine.act(&at(&root, role), id, action, now + t).unwrap()
    };
    // Not into itself.
    let err = engine
        .merge(&at(&root, Role::Intake), &dup, &dup, "重复", now + 500)
        .unwrap_err();
    assert!(err.to_string().contains("merged into itself"), "{err}");
    let (c, p) = engine
        .merge(
            &at(&root, Role::Intake),
            &dup,
            &parent,
            "同一问题",
            now + 1_000,
        )
        .unwrap();
    assert_eq!(c.state, State::Merged);
    assert_eq!(c.merged_into.as_ref(), Some(&parent));
    assert_eq!(p.children, std::slice::from_ref(&dup));
    // A case merged elsewhere answers for nobody.
    let third = report("第三位");
    let err = engine
        .merge(&at(&root, Role::Intake), &third, &dup, "重复", now + 1_500)
        .unwrap_err();
    assert!(err.to_string().contains("merged"), "{err}");
    // The duplicate leaves every count.
    let period = Period::parse("2026-02").unwrap();
    let a = assess(&engine, period, now + 2_000, &AssessConfig::default()).unwrap();
    assert_eq!((a.cases, a.merged_cases), (2, 1));
    // Carry the 主案 to 结案: the duplicate closes with it, named by the same person.
    to_department(&engine, &parent, &dept, now + 2_000);
    engine
        .act(
            &Actor::new("n", dept.clone(), Role::Handler),
            &parent,
            Action::Feedback {
                unit: dept.clone(),
                note: "已清理".into(),
                photos: vec![],
            },
            now + 5_000,
        )
        .unwrap();
    let pass = Action::Check {
        passed: true,
        note: "ok".into(),
    };
    mv(&parent, Role::Supervisor, pass, 6_000);
    mv(&parent, Role::ShiftLead, Action::Close, 7_000);
    let row = engine.store.read().unwrap().summary(&dup).unwrap().unwrap();
    assert_eq!(row.state, State::Closed, "closed with its 主案");
    let rec = engine.record(dup.as_str()).unwrap();
    let last = engine.derive(&rec).unwrap().current.last;
    let e = rec.events.iter().find(|e| e.id == last).unwrap();
    assert!(matches!(e.action, Action::ParentClosed { .. }));
    assert_eq!(e.person.as_deref(), Some("王芳"));
    // Its own caller is called back.
    mv(
        &dup,
        Role::Callback,
        Action::callback(
            true,
            gridloop_core::domain::event::Rating::Satisfied,
            "满意",
        ),
        8_000,
    );
    let a = assess(&engine, period, now + 9_000, &AssessConfig::default()).unwrap();
    assert_eq!(
        (a.cases, a.merged_cases),
        (2, 1),
        "still out of every count"
    );
}

#[test]
fn a_red_light_raises_one_supervision_order_from_the_holders_superior() {
    use gridloop_core::domain::event::Action;
    use gridloop_core::domain::role::{Actor, Role};
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("d.redb")).unwrap());
    let d = &engine.district;
    let root = d.root().id.clone();
    let dept = d.departments()[0].id.clone();
    let now = YEAR_2026 + 40 * 86_400_000;
    let act = |unit: &gridloop_core::domain::unit::UnitId, role, id, action, t| {
        engine
            .act(&Actor::new("n", unit.clone(), role), id, action, now + t)
            .unwrap()
    };
    let intake = Actor::new("n", root.clone(), Role::Intake);
    let id = hotline_case(&engine, &intake, "垃圾", None, now);
    let row = to_department(&engine, &id, &dept, now + 1_000);
    // Before the due time: nothing.
    assert!(
        engine
            .raise_overdue_orders("n", &root, now + 4_000)
            .unwrap()
            .is_empty()
    );
    let late = row.due.unwrap() + 60_000;
    let raised = engine.raise_overdue_orders("n", &root, late).unwrap();
    assert_eq!(raised.len(), 1);
    let o = &raised[0].orders[0];
    assert!(o.auto && o.unit == dept && o.due > late && o.replied.is_none());
    assert!(raised[0].inbox_units().contains(&&dept));
    // One order until it is answered.
    assert!(
        engine
            .raise_overdue_orders("n", &root, late + 60_000)
            .unwrap()
            .is_empty()
    );
    let reply = Action::Reply {
        order: o.id.clone(),
        note: "已加派人手".into(),
    };
    act(&dept, Role::Handler, &id, reply, late - now + 120_000);
    let again = engine
        .raise_overdue_orders("n", &root, late + 180_000)
        .unwrap();
    assert_eq!(again.len(), 1, "still red after the reply: a new order");
}

#[test]
fn a_duplicate_closes_with_its_case_however_that_case_closes() {
    use gridloop_core::domain::event::Action;
    use gridloop_core::domain::role::{Actor, Role};
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::demo(Store::open(&dir.path().join("d.redb")).unwrap());
    let root = engine.district.root().id.clone();
    let intake = Actor::new("n", root.clone(), Role::Intake);
    let now = YEAR_2026 + 40 * 86_400_000;
    let consult = |desc: &str| hotline_case(&engine, &intake, desc, Some("consult"), now);
    let parent = consult("垃圾清运时间");
    let dup = consult("垃圾清运时间，又一位市民");
    engine
        .merge(&intake, &dup, &parent, "同一咨询", now + 1_000)
        .unwrap();
    // The 主案 is answered on the call (直接答复), not closed by 结案.
    let answer = Action::Answer {
        note: "每日7时、19时清运".into(),
    };
    engine.act(&intake, &parent, answer, now + 2_000).unwrap();
    let row = engine.store.read().unwrap().summary(&dup).unwrap().unwrap();
    assert_eq!(
        row.state,
        State::Closed,
        "the duplicate closed with its 主案"
    );
    assert!(row.due.is_some(), "its caller's 回访 clock runs");
}

/// A 12345 case on the demo district's first grid (东四北大街1号), reported by `actor` at `now`.
fn hotline_case(
    engine: &Engine,
    actor: &gridloop_core::domain::role::Actor,
    description: &str,
    demand: Option<&str>,
    now: i64,
) -> gridloop_core::domain::case_id::CaseId {
    let new = gridloop_core::engine::NewCase {
        source: "hotline".into(),
        category: "E0102".into(),
        grid: engine.district.grids().next().unwrap().code.to_string(),
        address: "东四北大街1号".into(),
        description: description.into(),
        demand: demand.map(str::to_string),
        ..Default::default()
    };
    engine.report(actor, &new, now).unwrap().id
}

/// 受理, 立案 as reported and 派遣 to `dept` at the district root, a second apart from `now`;
/// the row after the dispatch.
fn to_department(
    engine: &Engine,
    id: &gridloop_core::domain::case_id::CaseId,
    dept: &gridloop_core::domain::unit::UnitId,
    now: i64,
) -> gridloop_core::store::CaseSummary {
    use gridloop_core::domain::event::Action;
    use gridloop_core::domain::role::{Actor, Role};
    let root = engine.district.root().id.clone();
    let at = |role| Actor::new("n", root.clone(), role);
    engine
        .act(&at(Role::Intake), id, Action::Accept, now)
        .unwrap();
    let cur = engine
        .derive(&engine.record(id.as_str()).unwrap())
        .unwrap()
        .current;
    let register = Action::Register {
        category: cur.category,
        grid: cur.grid,
    };
    engine
        .act(&at(Role::ShiftLead), id, register, now + 1_000)
        .unwrap();
    let dispatch = Action::Dispatch {
        lead: dept.clone(),
        assists: vec![],
    };
    engine
        .act(&at(Role::Dispatcher), id, dispatch, now + 2_000)
        .unwrap()
}
