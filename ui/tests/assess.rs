//! The 统计考核 view over a real store with a generated month: the figures it shows are the
//! assessment's, a figure drills down to exactly the cases behind it, a case opens from there,
//! and the report exports. Rendering with kittest's default missing-glyph panic proves the
//! bundled font covers every label.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridloop_core::analytics::assess::Metric;
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::domain::unit::District;
use gridloop_core::engine::Engine;
use gridloop_core::store::Store;
use gridloop_core::workload::generate::Generator;
use gridloop_ui::{NodeHandle, Workstation};

/// 2026-03-31 17:00 Beijing time.
const NOW: Millis = 1_774_947_600_000;
/// 2026-03-01 00:00 Beijing time.
const MARCH: Millis = 1_772_294_400_000;

fn settle_until(h: &mut Harness<'_, Workstation>, what: &str, done: impl Fn(&Workstation) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(20));
    }
    h.run_steps(3);
}

#[test]
fn the_assessment_view_shows_the_figures_drills_down_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let district = District::demo();
    let root = district.root().id.clone();
    let store = Store::open(&dir.path().join("d.redb")).unwrap();
    store
        .set_node(&NodeId("d".into()), &root, Role::ShiftLead)
        .unwrap();
    let engine = Arc::new(Engine::demo(store));
    let mut g = Generator::new(engine.rules(), 3, MARCH, 30, NOW);
    let records = (0..1500).map(|_| Ok(g.next_case()));
    gridloop_core::workload::bulk::import(
        &engine.store,
        engine.rules(),
        &NodeId("d".into()),
        records,
        2,
        &|_| {},
    )
    .unwrap();
    let node = NodeHandle::from_engine(engine.clone()).unwrap();
    let ws = Workstation::new(vec![node], None).with_clock(|| NOW);
    let mut h = Harness::builder()
        .with_size([1600.0, 1200.0])
        .build_ui_state(|ui, ws: &mut Workstation| ws.ui(ui), ws);
    gridloop_ui::fonts::install(&h.ctx);
    h.run_steps(3);
    h.get_by_label("统计考核").click();
    settle_until(&mut h, "the assessment", |w| w.assessment().0.is_some());
    let a = h.state().assessment().0.unwrap().clone();
    assert_eq!(a.period.label(), "2026-03");
    assert!(a.cases > 1000, "{} cases", a.cases);
    let total = a.total(&district);
    // The headline and the figure table show the assessment's own values.
    assert!(h.get_all_by_label(&a.cases.to_string()).count() >= 1);
    let close = total.show(Metric::CloseRate);
    assert!(close.ends_with('%'), "{close}");
    let links = h.get_all_by_label(&close).count();
    assert!(links >= 2, "结案率 shows in the card and the table");
    h.get_by_label("每日上报与结案");
    h.get_by_label("街道排名（综合得分）");
    h.get_by_label(&format!("得分 = {}", a.street_formula));
    h.get_by_label(&format!("得分 = {}", a.department_formula));
    // Streets are ranked on the composite: not every street first with the same score.
    let scored: Vec<_> = a.streets.iter().filter(|r| r.score.is_some()).collect();
    let ranks: std::collections::BTreeSet<u32> = scored.iter().map(|r| r.rank).collect();
    assert!(scored.len() > 2 && ranks.len() > 2, "{scored:?}");
    h.get_by_label("岗位考核");

    // Drill down: the cases that missed 按期结案率 are exactly hits − total of that figure.
    let r = total.ratio(Metric::OnTimeCloseRate);
    let shown = total.show(Metric::OnTimeCloseRate);
    h.get_all_by_label(&shown).last().unwrap().click();
    settle_until(&mut h, "the drill-down", |w| w.assessment().1.is_some());
    let d = h.state().assessment().1.unwrap();
    assert_eq!(d.metric, Metric::OnTimeCloseRate);
    assert_eq!(d.rows.len() as u64, r.total - r.hits);
    assert!(!d.rows.is_empty());
    let first = d.rows[0].clone();
    h.get_by_label(&first.number).click();
    h.run_steps(4);
    assert_eq!(
        h.state().inbox.selected.as_ref(),
        Some(&first.id),
        "the case opens"
    );

    // Export the month's report.
    h.get_by_label("统计考核").click();
    h.run_steps(3);
    h.get_by_label("导出 XLSX").click();
    h.run_steps(2);
    let file = dir.path().join("reports").join("东城区-2026-03-月报.xlsx");
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert_eq!(&bytes[..2], b"PK");
    assert!(
        h.state()
            .last_notice()
            .is_some_and(|(t, err)| !err && t.contains("月报"))
    );

    // English labels.
    h.get_by_label("English").click();
    h.run_steps(3);
    assert!(
        h.get_all_by_label("Assessment").count() >= 2,
        "tab and heading"
    );
    assert!(
        h.get_all_by_label("close rate").count() >= 2,
        "card and table"
    );
}
