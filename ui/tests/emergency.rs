//! The 应急 and 演练 views over a real store: command staff open an emergency under a plan,
//! the 战时 banner shows, the checklist is ticked, a new case joins the priority lane and
//! lists in the 应急 queue, and the stand-down returns the node to 平时; a drill scenario
//! plays its injections with a clock, and the after-action report counts them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::domain::unit::District;
use gridloop_core::engine::Engine;
use gridloop_core::store::Store;
use gridloop_ui::queue::Queue;
use gridloop_ui::{LinkRow, Network, NodeHandle, PeerRow, Workstation};

/// Monday 2026-11-23 09:00 Beijing time.
const NOW: Millis = 1_795_395_600_000;

fn harness(dir: &std::path::Path) -> (Harness<'static, Workstation>, Arc<Engine>) {
    harness_with(dir, |_| None)
}

/// The window over a district node's store, with the network `net` makes over its engine.
fn harness_with(
    dir: &std::path::Path,
    net: impl FnOnce(&Arc<Engine>) -> Option<Arc<dyn Network>>,
) -> (Harness<'static, Workstation>, Arc<Engine>) {
    let district = District::demo();
    let root = district.root().id.clone();
    let store = Store::open(&dir.join("d.redb")).unwrap();
    store
        .set_node(&NodeId("d".into()), &root, Role::ShiftLead)
        .unwrap();
    let engine = Arc::new(Engine::demo(store));
    let node = NodeHandle::from_engine(engine.clone()).unwrap();
    let ws = Workstation::new(vec![node], net(&engine)).with_clock(|| NOW);
    let h = Harness::builder()
        .with_size([1600.0, 1100.0])
        .build_ui_state(|ui, ws: &mut Workstation| ws.ui(ui), ws);
    gridloop_ui::fonts::install(&h.ctx);
    (h, engine)
}

#[test]
fn command_staff_run_an_emergency_from_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, engine) = harness(dir.path());
    h.run_steps(3);
    h.get_by_label("应急").click();
    h.run_steps(3);
    h.get_by_label("平时");
    h.get_by_label("启动应急预案…").click();
    h.run_steps(3);
    // Without a description nothing is opened.
    h.get_by_label("启动（进入战时）").click();
    h.run_steps(3);
    h.get_by_label("请描述情况");
    assert!(engine.store.read().unwrap().incidents().unwrap().is_empty());
    h.get_by_label("情况描述").click();
    h.run_steps(2);
    h.get_by_label("情况描述")
        .type_text("暴雨红色预警，多处积水");
    h.run_steps(2);
    h.get_by_label("启动（进入战时）").click();
    h.run_steps(4);
    let rows = engine.store.read().unwrap().incidents().unwrap();
    assert_eq!(rows.len(), 1);
    let i = rows[0].incident.clone().unwrap();
    assert_eq!(i.plan, "flood", "the first plan is chosen by default");
    assert_eq!(i.area, vec![District::demo().root().id.clone()]);
    // The banner names it; the checklist is ticked from the view.
    assert!(h.state_mut().mode().emergency());
    h.get_by_label_contains(&format!("战时 {}", i.name));
    h.get_all_by_label("落实").next().unwrap().click();
    h.run_steps(3);
    let i = engine.store.read().unwrap().incidents().unwrap()[0]
        .incident
        .clone()
        .unwrap();
    assert_eq!(i.progress(), (1, 6));

    // A new case joins the lane by default (reported through the form) and lists in the
    // 应急 queue.
    h.get_by_label("新建").click();
    h.run_steps(3);
    h.get_by_label("纳入应急事件，按预案时限办理：防汛应急预案（暴雨内涝） Ⅲ级");
    let grid = District::demo().grids().next().unwrap().clone();
    let step = |h: &mut Harness<'static, Workstation>| h.run_steps(3);
    h.get_by_label("12345热线").click();
    step(&mut h);
    for (label, text, pick) in [
        ("类别", "E0406".to_string(), "E0406 积水".to_string()),
        ("网格", grid.code.to_string(), format!("{} (", grid.name)),
    ] {
        h.get_by_label(label).click();
        step(&mut h);
        h.get_by_label(label).type_text(&text);
        step(&mut h);
        h.get_by_label_contains(&pick).click();
        step(&mut h);
    }
    for (label, text) in [("地址", "东华门地下通道"), ("描述", "积水 40 厘米")] {
        h.get_by_label(label).click();
        step(&mut h);
        h.get_by_label(label).type_text(text);
        step(&mut h);
    }
    h.get_by_label("上报").click();
    step(&mut h);
    let lane = engine
        .store
        .read()
        .unwrap()
        .reported_rows(Millis::MIN, Millis::MAX)
        .unwrap()
        .into_iter()
        .find(|s| s.incident.is_none())
        .expect("the case reported through the form");
    assert_eq!(lane.lane.as_ref(), Some(&rows[0].id), "it joined the lane");
    assert_eq!(lane.due.unwrap() - NOW, i.limits.accept as i64 * 60_000);
    h.state_mut().invalidate();
    h.run_steps(3);
    assert_eq!(
        h.state_mut().count(Queue::Emergency),
        2,
        "the incident and its lane case"
    );
    h.get_by_label("工作台").click();
    h.run_steps(2);
    h.get_by_label("应急  2").click();
    h.run_steps(3);
    assert_eq!(h.state().inbox.queue, Queue::Emergency);
    let listed: Vec<_> = h.state().inbox.rows.iter().map(|r| r.1.clone()).collect();
    assert!(
        listed.contains(&lane.id) && listed.contains(&rows[0].id),
        "{listed:?}"
    );

    // Stand down: back to 平时 (the tab comes first; the queue's heading has the same name).
    h.get_all_by_label("应急").next().unwrap().click();
    h.run_steps(3);
    h.get_by_label("解除说明").click();
    h.run_steps(2);
    h.get_by_label("解除说明").type_text("雨停，积水退去");
    h.run_steps(2);
    h.get_by_label("解除应急，回到平时").click();
    h.run_steps(4);
    assert!(!h.state_mut().mode().emergency());
    h.get_by_label("平时");
}

#[test]
fn a_drill_plays_with_a_clock_and_an_after_action_report() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, engine) = harness(dir.path());
    h.run_steps(3);
    h.get_by_label("演练").click();
    h.run_steps(3);
    // The example scenario cuts links of nodes this one-node window does not have: refused,
    // saying which.
    h.get_by_label("开始演练").click();
    h.run_steps(3);
    h.get_by_label_contains("c11");
    assert!(h.state().drill_run().is_none());
    let grid = District::demo().grids().next().unwrap().code.to_string();
    let scenario = format!(
        "name = \"井盖缺失演练\"\n\
         [[inject]]\nat = \"0m\"\ngrid = \"{grid}\"\ncategory = \"E0401\"\naddress = \"a\"\ndescription = \"井盖缺失\"\ncount = 2\n\
         [[inject]]\nat = \"30m\"\ngrid = \"{grid}\"\ncategory = \"E0402\"\naddress = \"b\"\ndescription = \"路面塌陷\"\n"
    );
    h.state_mut().start_drill(&scenario, 600.0).unwrap();
    assert!(
        h.state_mut().start_drill(&scenario, 600.0).is_err(),
        "one drill at a time"
    );
    let start = Instant::now();
    while !h.state().drill_run().unwrap().done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the drill plays out"
        );
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(50));
    }
    h.run_steps(2);
    let run = h.state().drill_run().unwrap();
    assert_eq!(run.injected(), 3);
    assert!(
        run.clock() >= 30 * 60_000,
        "the clock ran past the last cue"
    );
    assert_eq!(
        run.log()
            .iter()
            .filter(|l| l.text.starts_with("注入"))
            .count(),
        2
    );
    let drill_rows: Vec<_> = engine
        .store
        .read()
        .unwrap()
        .reported_rows(Millis::MIN, Millis::MAX)
        .unwrap()
        .into_iter()
        .filter(|s| s.drill)
        .collect();
    assert_eq!(drill_rows.len(), 3, "every injection is a drill case");
    h.get_by_label("生成演练评估").click();
    h.run_steps(3);
    h.get_by_label("演练案件 3 · 用时按演练时间 (600×)");
}

/// A network that puts a purge in force on the window's own store (signing and carrying the
/// order are the sync layer's, tested with real nodes in `tests/tests/purge.rs`).
struct PurgeHere(Arc<Engine>);

impl Network for PurgeHere {
    fn peers(&self, _: &str) -> Vec<PeerRow> {
        Vec::new()
    }
    fn refused(&self, _: &str) -> Vec<gridloop_ui::network::RefusedPeer> {
        Vec::new()
    }
    fn links(&self) -> Vec<LinkRow> {
        Vec::new()
    }
    fn set_link(&self, _: &str, _: &str, _: bool) {}
    fn changed(&self, _: &str) {}
    fn purge_drills(
        &self,
        _node: &str,
        role: Role,
        before: Millis,
        _note: &str,
    ) -> Result<Option<u64>, String> {
        assert!(matches!(role, Role::ShiftLead | Role::Leader), "{role:?}");
        let purge = gridloop_core::store::DrillPurge {
            before,
            order: b"order".to_vec(),
        };
        self.0
            .store
            .purge_drills(&purge, NOW)
            .map(|d| d.map(|d| d.cases))
            .map_err(|e| e.to_string())
    }
}

#[test]
fn the_district_purges_drill_cases_from_the_drill_view_after_confirming() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, engine) = harness_with(dir.path(), |e| {
        Some(Arc::new(PurgeHere(e.clone())) as Arc<dyn Network>)
    });
    h.state_mut().set_role(Role::Dispatcher);
    let district = District::demo();
    let grid = district.grids().next().unwrap().code.to_string();
    let actor = gridloop_core::domain::role::Actor {
        node: NodeId("d".into()),
        unit: district.root().id.clone(),
        role: Role::Dispatcher,
        person: None,
    };
    let case = |drill: bool, at: Millis| {
        let new = gridloop_core::engine::NewCase {
            source: if drill { "drill" } else { "hotline" }.into(),
            category: "E0402".into(),
            grid: grid.clone(),
            address: "地址".into(),
            description: "描述".into(),
            drill,
            ..Default::default()
        };
        engine.report(&actor, &new, at).unwrap().id
    };
    // One drill case an hour ago, one a fast drill reported at a scenario time ahead of the
    // clock, and a real case.
    let (a, b, real) = (
        case(true, NOW - 3_600_000),
        case(true, NOW + 1_800_000),
        case(false, NOW),
    );
    h.run_steps(3);
    h.get_by_label("演练").click();
    h.run_steps(3);
    h.get_by_label_contains("区中心现有演练案件 2 件");
    // A dispatcher may not purge: told so, and the button does nothing.
    h.get_by_label("需以区中心值班长或领导身份清除。");
    h.get_by_label("清除演练案件…").click();
    h.run_steps(3);
    assert!(h.query_by_label("确认清除").is_none());

    h.state_mut().set_role(Role::ShiftLead);
    h.run_steps(3);
    h.get_by_label("清除演练案件…").click();
    h.run_steps(3);
    h.get_by_label_contains("确认从全区清除 2");
    // Cancelling removes nothing.
    h.get_by_label("取消").click();
    h.run_steps(3);
    assert_eq!(
        engine
            .store
            .read()
            .unwrap()
            .drill_cases(Millis::MAX)
            .unwrap()
            .len(),
        2
    );
    h.get_by_label("清除演练案件…").click();
    h.run_steps(3);
    h.get_by_label("确认清除").click();
    h.run_steps(3);
    let r = engine.store.read().unwrap();
    assert!(r.summary(&a).unwrap().is_none() && r.summary(&b).unwrap().is_none());
    assert!(r.summary(&real).unwrap().is_some(), "the real case stays");
    drop(r);
    let (notice, error) = h.state().last_notice().unwrap();
    assert!(!error && notice.contains("已清除演练案件 2"), "{notice}");
    h.get_by_label_contains("区中心现有演练案件 0 件");
}
