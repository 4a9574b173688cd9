//! The workstation driven by its labels (egui_kittest), over real redb stores in temporary
//! directories. kittest's missing-glyph policy stays at its default (panic), so every frame
//! drawn here proves the bundled font covers every Chinese label shown.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::{District, UnitId, UnitKind};
use gridloop_core::engine::{CaseRecord, Engine, NewCase};
use gridloop_core::store::Store;
use gridloop_core::workflow::State;
use gridloop_core::workload::bulk;
use gridloop_ui::{NodeHandle, Workstation};

/// Monday 2026-03-02 09:30 Beijing time: inside working hours.
const T0: Millis = 1_772_415_000_000;

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<AtomicI64>,
}

fn engine_at(dir: &std::path::Path, name: &str, unit: &UnitId, role: Role) -> Arc<Engine> {
    let store = Store::open(&dir.join(format!("{name}.redb"))).expect("store");
    store
        .set_node(&NodeId(name.into()), unit, role)
        .expect("node");
    Arc::new(Engine::demo(store))
}

fn harness(ws: Workstation) -> Harness<'static, Workstation> {
    let mut h = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_ui_state(|ui, ws: &mut Workstation| ws.ui(ui), ws);
    gridloop_ui::fonts::install(&h.ctx);
    h.run_steps(3);
    h
}

fn settle(h: &mut Harness<'_, Workstation>) {
    h.run_steps(4);
}

fn fixture() -> Fixture {
    Fixture {
        _dir: tempfile::tempdir().expect("tempdir"),
        clock: Arc::new(AtomicI64::new(T0)),
    }
}

fn workstation(f: &Fixture, engines: &[Arc<Engine>]) -> Workstation {
    let nodes = engines
        .iter()
        .map(|e| NodeHandle::from_engine(e.clone()).expect("node"))
        .collect();
    let clock = f.clock.clone();
    Workstation::new(nodes, None).with_clock(move || clock.load(Ordering::Relaxed))
}

fn state_of(e: &Engine, id: &CaseId) -> gridloop_core::store::CaseSummary {
    e.store.read().unwrap().summary(id).unwrap().expect("case")
}

/// A case reported at `unit` (the node `name`) in `grid`, accepted, registered and
/// dispatched to `dept` by that node's operators, three minutes after `T0`.
fn dispatched(
    e: &Engine,
    name: &str,
    unit: &UnitId,
    source: &str,
    grid: &gridloop_core::domain::unit::GridCode,
    dept: &UnitId,
) -> gridloop_core::store::CaseSummary {
    let at = |r: Role| Actor::new(name, unit.clone(), r);
    let case = e
        .report(
            &at(Role::Intake),
            &NewCase {
                source: source.into(),
                category: "E0102".into(),
                grid: grid.as_str().into(),
                address: "胡同口".into(),
                description: "垃圾堆积".into(),
                ..NewCase::default()
            },
            T0,
        )
        .unwrap();
    let id = case.id.clone();
    e.act(&at(Role::Intake), &id, Action::Accept, T0 + 60_000)
        .unwrap();
    e.act(
        &at(Role::ShiftLead),
        &id,
        Action::Register {
            category: case.category.clone(),
            grid: grid.clone(),
        },
        T0 + 120_000,
    )
    .unwrap();
    e.act(
        &at(Role::Dispatcher),
        &id,
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
        T0 + 180_000,
    )
    .unwrap()
}

/// Takes a role (岗位) from the role picker in the top bar.
fn role(h: &mut Harness<'_, Workstation>, name: &str) {
    h.get_by_label("岗位").click();
    settle(h);
    h.get_all_by_label(name)
        .last()
        .expect("the role in the list")
        .click();
    settle(h);
}

/// Clicks a button by its exact label and lets the UI settle.
fn click(h: &mut Harness<'_, Workstation>, label: &str) {
    h.get_by_label(label).hover();
    settle(h);
    h.get_by_label(label).click();
    settle(h);
}

/// Makes a move through its dialog: the button, the opinion, 确定.
fn move_with_dialog(h: &mut Harness<'_, Workstation>, button: &str, opinion: Option<&str>) {
    match h.query_by_label(button) {
        Some(b) => b.click(),
        None => h.get_by_label_contains(button).click(),
    }
    settle(h);
    if let Some(text) = opinion {
        let label = if h.query_by_label("处理意见").is_some() {
            "处理意见"
        } else {
            "理由"
        };
        h.get_by_label(label).click();
        settle(h);
        h.get_by_label(label).type_text(text);
        settle(h);
    }
    click(h, "确定");
}

#[test]
fn a_whole_case_from_report_to_callback_through_clicks() {
    let f = fixture();
    let district = District::demo();
    let root = district.root().id.clone();
    let d = engine_at(f._dir.path(), "d", &root, Role::Intake);
    let mut h = harness(workstation(&f, std::slice::from_ref(&d)));

    // 新建: a hotline report, category and grid picked by search.
    click(&mut h, "新建");
    click(&mut h, "12345热线");
    h.get_by_label("类别").click();
    settle(&mut h);
    h.get_by_label("类别").type_text("E0102");
    settle(&mut h);
    h.get_by_label_contains("E0102 暴露垃圾").click();
    settle(&mut h);
    let grid = district.grids().next().expect("a grid").clone();
    h.get_by_label("网格").click();
    settle(&mut h);
    h.get_by_label("网格").type_text(grid.code.as_str());
    settle(&mut h);
    h.get_by_label_contains(&format!("{} (", grid.name)).click();
    settle(&mut h);
    h.get_by_label("地址").click();
    settle(&mut h);
    h.get_by_label("地址").type_text("东四北大街12号");
    settle(&mut h);
    h.get_by_label("描述").click();
    settle(&mut h);
    h.get_by_label("描述").type_text("路边堆放生活垃圾");
    settle(&mut h);
    click(&mut h, "上报");

    let ids = d.store.read().unwrap().case_ids().unwrap();
    assert_eq!(ids.len(), 1, "the report made exactly one case");
    let id = ids[0].clone();
    let s = state_of(&d, &id);
    assert_eq!(s.state, State::Reported);
    assert_eq!(s.address, "东四北大街12号");
    assert_eq!(s.category.as_str(), "E0102");
    assert_eq!(s.grid, grid.code);

    // The case opened in the detail panel: 受理 as 受理员.
    click(&mut h, "受理");
    assert_eq!(state_of(&d, &id).state, State::ToRegister);

    // A move the role may not make is not offered: a 受理员 cannot register.
    assert!(
        h.query_by_label("立案").is_none(),
        "立案 must not be offered to a 受理员"
    );

    role(&mut h, "值班长");
    move_with_dialog(&mut h, "立案", None);
    assert_eq!(state_of(&d, &id).state, State::ToDispatch);

    role(&mut h, "派遣员");
    click(&mut h, "派遣");
    // The dialog says what the duties and the rules of practice suggest, and why: an event
    // goes to its territory first.
    h.get_by_label_contains("建议：属地派遣");
    h.get_by_label_contains("事件先属地");
    click(&mut h, "确定");
    let s = state_of(&d, &id);
    assert_eq!(s.state, State::Handling, "dispatched: {s:?}");
    let lead = s.handlers[0].clone();

    // The centre has no 处置人员: its 派遣员 records the department's feedback for it (代录),
    // and the trail says so.
    assert!(h.query_by_label("处置人员").is_none());
    move_with_dialog(&mut h, "处置反馈", Some("已清运完毕"));
    assert_eq!(state_of(&d, &id).state, State::ToCheck);
    h.get_by_label_contains("代录：");

    role(&mut h, "监督员");
    move_with_dialog(&mut h, "核查通过", Some("现场已清理"));
    assert_eq!(state_of(&d, &id).state, State::ToClose);

    role(&mut h, "值班长");
    click(&mut h, "结案");
    assert_eq!(state_of(&d, &id).state, State::Closed);
    // A hotline case waits for its callback (待回访).
    h.state_mut().invalidate();
    assert_eq!(
        h.state_mut().count(gridloop_ui::queue::Queue::ToCallback),
        1
    );

    role(&mut h, "回访员");
    click(&mut h, "回访");
    // The dialog asks both of the citizen's answers; without them nothing is recorded.
    click(&mut h, "确定");
    h.get_by_label("请记录市民的两个答复：是否解决、满意度");
    assert_eq!(state_of(&d, &id).state, State::Closed);
    click(&mut h, "解决");
    click(&mut h, "基本满意");
    h.get_by_label("处理意见").click();
    settle(&mut h);
    h.get_by_label("处理意见").type_text("市民表示已解决");
    settle(&mut h);
    click(&mut h, "确定");
    let s = state_of(&d, &id);
    assert_eq!(s.state, State::Archived);
    assert_eq!(s.satisfied, Some(true));
    let answers = s.answers.expect("answers recorded");
    assert_eq!(answers.resolved, Some(true));
    assert_eq!(
        answers.rating,
        Some(gridloop_core::domain::event::Rating::Fair)
    );
    h.state_mut().invalidate();
    assert_eq!(
        h.state_mut().count(gridloop_ui::queue::Queue::ToCallback),
        0
    );

    // The trail holds every move, by the roles that made them, with the opinions typed.
    let rec = d.record(id.as_str()).unwrap();
    let names: Vec<&str> = rec.events.iter().map(|e| e.action.name()).collect();
    assert_eq!(
        names,
        [
            "report", "accept", "register", "dispatch", "feedback", "check", "close", "callback"
        ]
    );
    let fb = rec
        .events
        .iter()
        .find(|e| e.action.name() == "feedback")
        .unwrap();
    assert_eq!(fb.unit, root, "made by the centre");
    assert_eq!(fb.on_behalf_of(), Some(&lead), "for the department");
    assert!(matches!(&fb.action, Action::Feedback { note, .. } if note == "已清运完毕"));
    // The timeline shows the opinions.
    h.get_by_label("市民表示已解决");
}

#[test]
fn a_department_signs_for_and_feeds_back_from_its_own_terminal() {
    let f = fixture();
    let district = District::demo();
    let root = district.root().id.clone();
    let dept = district.departments()[0].id.clone();
    let d = engine_at(f._dir.path(), "d", &root, Role::Dispatcher);
    let p = engine_at(f._dir.path(), "p1", &dept, Role::Handler);
    let grid = district.grids().next().unwrap().code.clone();
    let case = dispatched(&d, "d", &root, "hotline", &grid, &dept);
    let id = case.id.clone();
    copy(&d, &p, &id);
    f.clock.store(T0 + 600_000, Ordering::Relaxed);

    // The department's own terminal: its queue holds the case it does not hold.
    let mut h = harness(workstation(&f, std::slice::from_ref(&p)));
    assert_eq!(h.state_mut().count(gridloop_ui::queue::Queue::Handling), 1);
    h.get_by_label("处置中  1").click();
    settle(&mut h);
    h.get_by_label(&case.number).click();
    settle(&mut h);
    assert_eq!(
        h.get_all_by_label("派遣").count(),
        1,
        "the trail's 派遣 only: a department is offered no dispatch"
    );
    h.get_by_label_contains("未签收");
    click(&mut h, "签收");
    let s = p.store.read().unwrap().summary(&id).unwrap().unwrap();
    assert_eq!(s.receipts[0].signed, Some(T0 + 600_000));
    // Signed once: the trail's 签收 only, no button any more.
    assert_eq!(h.get_all_by_label("签收").count(), 1);
    assert!(h.query_by_label_contains("未签收").is_none());
    move_with_dialog(&mut h, "处置反馈", Some("已清运，附照片"));
    let s = state_of(&p, &id);
    assert_eq!(s.state, State::ToCheck);
    let doc = p.store.doc(&id).unwrap();
    let fb = doc
        .events()
        .unwrap()
        .into_iter()
        .find(|e| e.action.name() == "feedback")
        .unwrap();
    assert_eq!(
        (&fb.unit, fb.role, fb.on_behalf_of()),
        (&dept, Role::Handler, None)
    );
}

#[test]
fn the_dispatch_dialog_preselects_the_department_the_duties_name() {
    let f = fixture();
    let district = District::demo();
    let root = district.root().id.clone();
    let d = engine_at(f._dir.path(), "d", &root, Role::Dispatcher);
    let at = |r: Role| Actor::new("d", root.clone(), r);
    let grid = district.grids().next().unwrap().code.clone();
    // 垃圾箱 (C0301) is a component: its owner, 环卫中心, first (先属主后属地).
    let case = d
        .report(
            &at(Role::Intake),
            &NewCase {
                source: "supervisor".into(),
                category: "C0301".into(),
                grid: grid.as_str().into(),
                address: "东四北大街5号".into(),
                description: "垃圾箱破损".into(),
                ..NewCase::default()
            },
            T0,
        )
        .unwrap();
    d.act(&at(Role::Intake), &case.id, Action::Accept, T0 + 60_000)
        .unwrap();
    d.act(
        &at(Role::ShiftLead),
        &case.id,
        Action::Register {
            category: case.category.clone(),
            grid: grid.clone(),
        },
        T0 + 120_000,
    )
    .unwrap();
    let mut h = harness(workstation(&f, std::slice::from_ref(&d)));
    h.get_by_label("待派遣  1").click();
    settle(&mut h);
    h.get_by_label(&case.number).click();
    settle(&mut h);
    click(&mut h, "派遣");
    h.get_by_label_contains("部件先属主");
    click(&mut h, "确定");
    let s = state_of(&d, &case.id);
    assert_eq!(s.state, State::Handling);
    let sanitation = district.departments()[1].clone();
    assert_eq!(sanitation.name, "环卫中心");
    assert_eq!(
        s.handlers,
        vec![sanitation.id],
        "the suggested department, not the first listed"
    );
}

#[test]
fn requests_waiting_for_approval_have_their_own_queue() {
    let f = fixture();
    let district = District::demo();
    let root = district.root().id.clone();
    let dept = district.departments()[0].id.clone();
    let d = engine_at(f._dir.path(), "d", &root, Role::Dispatcher);
    let grid = district.grids().next().unwrap().code.clone();
    let case = dispatched(&d, "d", &root, "supervisor", &grid, &dept);
    let quiet = dispatched(&d, "d", &root, "supervisor", &grid, &dept);
    // The centre records the department's extension request for it (代录).
    let due = case.overall_due.unwrap();
    d.act(
        &Actor::new("d", root.clone(), Role::Dispatcher),
        &case.id,
        Action::Request {
            kind: gridloop_core::domain::event::RequestKind::Extension,
            unit: dept.clone(),
            reason: "需协调施工".into(),
            until: Some(due + 86_400_000),
        },
        T0 + 240_000,
    )
    .unwrap();
    let mut h = harness(workstation(&f, std::slice::from_ref(&d)));
    use gridloop_ui::queue::Queue;
    assert_eq!(
        h.state_mut().count(Queue::Approvals),
        1,
        "only the case with a request"
    );
    assert_eq!(h.state_mut().count(Queue::Handling), 2);
    h.get_by_label("待审批  1").click();
    settle(&mut h);
    assert!(h.query_by_label(&quiet.number).is_none());
    h.get_by_label(&case.number).click();
    settle(&mut h);
    role(&mut h, "值班长");
    move_with_dialog(&mut h, "批准", Some("同意延期一天"));
    let s = state_of(&d, &case.id);
    assert_eq!((s.extensions, s.pending), (1, None));
    h.state_mut().invalidate();
    assert_eq!(h.state_mut().count(Queue::Approvals), 0);
}

#[test]
fn a_community_escalates_to_its_street() {
    let f = fixture();
    let district = District::demo();
    let street = district.streets()[0].id.clone();
    let community = district.children(&street)[0].id.clone();
    let c = engine_at(f._dir.path(), "c11", &community, Role::GridWorker);
    let grid = district.grids_of(&community)[0].code.clone();
    let s = c
        .report(
            &Actor::new("c11", community.clone(), Role::GridWorker),
            &NewCase {
                source: "grid_patrol".into(),
                category: "E0104".into(),
                grid: grid.as_str().into(),
                address: "社区东门".into(),
                description: "占道经营".into(),
                ..NewCase::default()
            },
            T0,
        )
        .unwrap();
    let mut h = harness(workstation(&f, std::slice::from_ref(&c)));
    // The case waits in 待受理 at the community; open it from the table.
    h.get_by_label(&s.number).click();
    settle(&mut h);
    assert_eq!(
        h.state().inbox.selected.as_ref(),
        Some(&s.id),
        "the row opened the case"
    );
    // A community may handle it itself (自处置) or escalate it, but never dispatch it.
    assert!(h.query_by_label("自处置").is_some());
    assert!(h.query_by_label("上报上级").is_some());
    assert!(h.query_by_label("派遣").is_none());
    role(&mut h, "站长");
    move_with_dialog(&mut h, "上报上级", Some("需街道协调城管执法"));
    let after = state_of(&c, &s.id);
    assert_eq!(after.holder, street, "the street holds the case now");
    assert_eq!(after.escalations, 1);
    // It left the community's queue.
    assert_eq!(h.state_mut().count(gridloop_ui::queue::Queue::ToAccept), 0);
}

fn copy(from: &Engine, to: &Engine, id: &CaseId) {
    let doc = from.store.doc(id).unwrap();
    let rec = CaseRecord {
        id: id.clone(),
        intake: doc.intake().unwrap(),
        events: doc.events().unwrap(),
        document: Some(gridloop_core::doc::case_doc::to_hex(&doc.save())),
    };
    let me = to.node().unwrap().node;
    bulk::import(
        &to.store,
        to.rules(),
        &me,
        std::iter::once(Ok(rec)),
        1,
        &|_| {},
    )
    .unwrap();
}

#[test]
fn a_conflict_is_shown_with_both_branches_and_resolved() {
    let f = fixture();
    let district = District::demo();
    let root = district.root().id.clone();
    let street = district.streets()[0].id.clone();
    let d = engine_at(f._dir.path(), "d", &root, Role::Leader);
    let s = engine_at(f._dir.path(), "s1", &street, Role::ShiftLead);
    let grid = district.grids_of(&district.children(&street)[0].id)[0]
        .code
        .clone();
    let at = |u: &UnitId, r: Role, n: &str| Actor::new(n, u.clone(), r);
    // A case the street holds, dispatched to a department, handled.
    let dept = district.departments()[0].id.clone();
    let case = dispatched(&s, "s1", &street, "supervisor", &grid, &dept);
    let id = case.id.clone();
    // Recorded by the street for the department (代录).
    s.act(
        &at(&street, Role::Dispatcher, "s1"),
        &id,
        Action::Feedback {
            unit: dept.clone(),
            note: "已清理".into(),
            photos: vec![],
        },
        T0 + 240_000,
    )
    .unwrap();
    // Cut off from each other, the street passes the check and the district fails it.
    copy(&s, &d, &id);
    s.act(
        &at(&street, Role::Supervisor, "s1"),
        &id,
        Action::Check {
            passed: true,
            note: "街道核查通过".into(),
        },
        T0 + 300_000,
    )
    .unwrap();
    d.act(
        &at(&root, Role::Supervisor, "d"),
        &id,
        Action::Check {
            passed: false,
            note: "区级抽查仍有残留".into(),
        },
        T0 + 310_000,
    )
    .unwrap();
    copy(&s, &d, &id);
    assert!(state_of(&d, &id).conflict, "the merge shows the conflict");

    f.clock.store(T0 + 400_000, Ordering::Relaxed);
    let mut h = harness(workstation(&f, std::slice::from_ref(&d)));
    // The district's 辖区在办 queue lists it; open it.
    click(&mut h, "辖区在办");
    h.get_by_label(&case.number).click();
    settle(&mut h);
    // The banner shows both branches, each with its move; nothing was dropped.
    h.get_by_label_contains("冲突：断网期间");
    h.get_by_label_contains("核查通过（");
    h.get_by_label_contains("核查不通过（");
    // In a conflict no ordinary move is offered.
    assert!(h.query_by_label("结案").is_none());
    // The district leader keeps the district's branch.
    let rec = d.record(id.as_str()).unwrap();
    let derived = d.derive(&rec).unwrap();
    let branches = derived.conflict.as_ref().unwrap();
    let keep_index = branches.iter().position(|b| b.state.rework > 0).unwrap();
    move_with_dialog(
        &mut h,
        &format!("保留分支{}", keep_index + 1),
        Some("以区级核查为准，返工"),
    );
    let after = state_of(&d, &id);
    assert!(!after.conflict, "resolved");
    assert_eq!(
        after.state,
        State::Handling,
        "the kept branch sent it back to rework"
    );
    assert_eq!(after.rework, 1);
    // Both branches' moves stay in the trail; the other one is shown as set aside.
    let rec = d.record(id.as_str()).unwrap();
    assert_eq!(
        rec.events
            .iter()
            .filter(|e| e.action.name() == "check")
            .count(),
        2
    );
    h.get_by_label_contains("已被冲突处理撤销");
}

#[test]
fn english_switch_and_every_view_render() {
    let f = fixture();
    let district = District::demo();
    let street = district.streets()[0].id.clone();
    let s = engine_at(f._dir.path(), "s1", &street, Role::ShiftLead);
    let mut h = harness(workstation(&f, std::slice::from_ref(&s)));
    for v in ["地图", "网络", "设置", "新建", "工作台"] {
        click(&mut h, v);
    }
    h.get_by_label_contains("单机");
    click(&mut h, "English");
    h.get_by_label("Inbox");
    h.get_by_label_contains("standalone");
    for v in ["Map", "Network", "Settings", "New case", "Inbox"] {
        click(&mut h, v);
    }
    click(&mut h, "中文");
    h.get_by_label("工作台");
    assert_eq!(
        district.unit(&street).map(|u| u.kind),
        Some(UnitKind::Street)
    );
}

#[test]
fn a_first_run_offers_the_demo_and_joining_and_opens_what_was_chosen() {
    let f = fixture();
    let district = District::demo();
    let root = district.root().id.clone();
    let d = engine_at(f._dir.path(), "d", &root, Role::Dispatcher);
    let chosen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = chosen.clone();
    let ws = Workstation::first_run(Box::new(move |c| {
        seen.lock().unwrap().push(c.clone());
        match c {
            gridloop_ui::workstation::FirstRunChoice::Join(p) => {
                Err(format!("{} is not a roster file", p.display()))
            }
            gridloop_ui::workstation::FirstRunChoice::Demo => {
                let d = d.clone();
                Ok(Box::new(move |p: &gridloop_ui::workstation::Progress| {
                    p.set("starting", 0.5);
                    Ok((vec![NodeHandle::from_engine(d).unwrap()], None))
                }))
            }
        }
    }));
    let mut h = harness(ws);
    // Joining without a file says what is missing; a bad file says why it was refused.
    click(&mut h, "加入本区");
    h.get_by_label("请填写入网文件路径");
    h.get_by_label("入网文件（roster.json）路径").click();
    settle(&mut h);
    h.get_by_label("入网文件（roster.json）路径")
        .type_text("/nowhere/roster.json");
    settle(&mut h);
    click(&mut h, "加入本区");
    h.get_by_label("/nowhere/roster.json is not a roster file");
    // The demo opens the workstation on what the start delivered.
    click(&mut h, "打开演示区");
    for _ in 0..50 {
        if h.query_by_label("工作台").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.run_steps(1);
    }
    h.get_by_label("工作台");
    assert_eq!(h.state().node().map(|n| n.name.as_str()), Some("d"));
    assert_eq!(
        *chosen.lock().unwrap(),
        vec![
            gridloop_ui::workstation::FirstRunChoice::Join("/nowhere/roster.json".into()),
            gridloop_ui::workstation::FirstRunChoice::Demo
        ]
    );
}

#[test]
fn switching_node_shows_that_nodes_queue_rows() {
    let f = fixture();
    let district = District::demo();
    let root = district.root().id.clone();
    let street = district.streets()[0].id.clone();
    let community = district.children(&street)[0].id.clone();
    let d = engine_at(f._dir.path(), "d", &root, Role::Dispatcher);
    let c = engine_at(f._dir.path(), "c11", &community, Role::GridWorker);
    let me = Actor::new("c11", community.clone(), Role::GridWorker);
    let grid = district.grids_of(&community)[0].code.clone();
    let s = c
        .report(
            &me,
            &NewCase {
                source: "grid_patrol".into(),
                category: "E0104".into(),
                grid: grid.as_str().into(),
                address: "社区北门".into(),
                description: "占道经营".into(),
                ..NewCase::default()
            },
            T0,
        )
        .unwrap();
    c.act(&me, &s.id, Action::SelfHandle, T0 + 60_000).unwrap();
    let mut h = harness(workstation(&f, &[d.clone(), c.clone()]));
    h.get_by_label("节点").click();
    settle(&mut h);
    h.get_by_label_contains("(c11)").click();
    settle(&mut h);
    assert_eq!(h.state().node().map(|n| n.name.as_str()), Some("c11"));
    // The first queue with work is chosen, and its table lists exactly what its badge counts.
    assert_eq!(h.state().inbox.queue, gridloop_ui::queue::Queue::Handling);
    assert_eq!(h.state().inbox.rows.len(), 1);
    h.get_by_label(&s.number);
}
