//! The guided walk-through (演示): the three loops on the demo district, in temporary stores,
//! printed step by step — the README's main command until the workstation lands.

use anyhow::Result;
use std::path::Path;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::{Action, Rating};
use gridloop_core::domain::role::{Actor, Role};
use gridloop_core::domain::unit::UnitId;
use gridloop_core::engine::{CaseRecord, Engine, NewCase};
use gridloop_core::store::Store;
use gridloop_core::workload::bulk;
use gridloop_core::workload::generate::node_of;
use gridloop_sync::config::{ConfigHistory, Release};

use gridloop_core::domain::config::ConfigBook;

use crate::common::{CONFIG_FILE, STORE_FILE, engine_over, parse_time};

struct Walk {
    t: Millis,
}

impl Walk {
    fn step(&mut self, minutes: i64) -> Millis {
        self.t += minutes * 60_000;
        self.t
    }
}

/// Opens a standalone node on the demo package in `dir/name`, its configuration written
/// beside the store so that `gridloop --data dir/name …` can inspect it afterwards.
fn open(dir: &Path, name: &str, unit: &UnitId, role: Role) -> Result<Engine> {
    let data = dir.join(name);
    let store = Store::open(&data.join(STORE_FILE))?;
    store.set_node(&node_of(unit), unit, role)?;
    let files = gridloop_core::domain::config::demo_files();
    let root = gridloop_core::domain::unit::District::demo()
        .root()
        .id
        .clone();
    ConfigHistory::of(Release::new(root, String::new(), 1, Millis::MIN, files).local())
        .write(&data.join(CONFIG_FILE))?;
    engine_over(store, ConfigBook::demo())
}

fn say(engine: &Engine, who: &Actor, what: &str, id: &CaseId) -> Result<()> {
    let s = engine.store.read()?.summary(id)?.expect("case exists");
    let unit = engine
        .district
        .unit(&who.unit)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let holder = engine
        .district
        .unit(&s.holder)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    say!(
        "  {unit}{} {what:<10} → {} · {} · 责任单位 {holder}{}",
        who.role.label_zh(),
        s.state.label_zh(),
        s.level.label_zh(),
        if s.conflict { " · 冲突!" } else { "" }
    );
    Ok(())
}

fn mv(engine: &Engine, w: &mut Walk, who: &Actor, id: &CaseId, action: Action) -> Result<()> {
    // 代录: a move recorded for another unit says whose work it is.
    let label = match action.for_unit().filter(|u| **u != who.unit) {
        Some(u) => format!(
            "{}（代录：{}）",
            action.label_zh(),
            crate::output::unit_name(engine, u)
        ),
        None => action.label_zh().to_string(),
    };
    engine.act(who, id, action, w.step(20))?;
    say(engine, who, &label, id)
}

fn copy(from: &Engine, to: &Engine, id: &CaseId) -> Result<()> {
    let doc = from.store.doc(id)?;
    let rec = CaseRecord {
        id: id.clone(),
        intake: doc.intake()?,
        events: doc.events()?,
        document: Some(gridloop_core::doc::case_doc::to_hex(&doc.save())),
    };
    let me = to.node()?.node;
    bulk::import(
        &to.store,
        to.rules(),
        &me,
        std::iter::once(Ok(rec)),
        1,
        &|_| {},
    )?;
    Ok(())
}

/// Runs the walk-through (演示), in `keep` if given, else in a temporary directory.
pub fn run(keep: Option<&Path>) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = keep.unwrap_or(tmp.path());
    std::fs::create_dir_all(dir)?;
    let mut w = Walk {
        t: parse_time("2026-11-23 09:00")?,
    };
    let probe = Engine::demo(Store::open(&dir.join("probe").join(STORE_FILE))?);
    let district = probe.district.root().id.clone();
    let street = probe.district.streets()[2].id.clone();
    let community = probe.district.children(&street)[0].id.clone();
    let grid = probe.district.grids_of(&community)[0].code.clone();
    let dept = probe.district.departments()[1].id.clone();
    drop(probe);
    let d = open(dir, "district", &district, Role::Intake)?;
    let s = open(dir, "street", &street, Role::ShiftLead)?;
    let c = open(dir, "community", &community, Role::GridWorker)?;
    let p = open(dir, "department", &dept, Role::Handler)?;
    let name = |u: &UnitId| {
        d.district
            .unit(u)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    say!(
        "gridloop walk-through on the demo district {} — stores in {}",
        name(&district),
        dir.display()
    );
    say!(
        "  street {}, community {}, grid {}, department {}\n",
        name(&street),
        name(&community),
        grid,
        name(&dept)
    );

    let at = |unit: &UnitId, role| Actor {
        node: node_of(unit),
        unit: unit.clone(),
        role,
        person: None,
    };
    let case = |source: &str, cat: &str, desc: &str| NewCase {
        source: source.into(),
        category: cat.into(),
        grid: grid.to_string(),
        address: format!("{}菊儿胡同12号", name(&community)),
        description: desc.into(),
        ..NewCase::default()
    };

    say!(
        "1. 区级大循环 — a 12345 work order (投诉) through the district, down to the street (属地), handled by a department on its own node, from 签收 to 回访:"
    );
    let who = at(&district, Role::Intake);
    let mut hot = case("hotline", "E0102", "胡同口垃圾堆放多日无人清理");
    hot.demand = Some("投诉".into());
    hot.reporter = Some(gridloop_core::domain::intake::Reporter {
        name: "王先生".into(),
        phone: "13800001234".into(),
    });
    let id = d.report(&who, &hot, w.step(0))?.id;
    say(&d, &who, "上报", &id)?;
    mv(&d, &mut w, &who, &id, Action::Accept)?;
    mv(
        &d,
        &mut w,
        &at(&district, Role::ShiftLead),
        &id,
        Action::Register {
            category: "E0102".parse_category()?,
            grid: grid.clone(),
        },
    )?;
    mv(
        &d,
        &mut w,
        &at(&district, Role::Dispatcher),
        &id,
        Action::DispatchDown {
            unit: street.clone(),
        },
    )?;
    mv(
        &d,
        &mut w,
        &at(&street, Role::Dispatcher),
        &id,
        Action::Dispatch {
            lead: dept.clone(),
            assists: vec![],
        },
    )?;
    // The department works from its own node: the case reaches it, it signs for it, calls
    // the citizen first and feeds back; its moves travel back to the centre.
    copy(&d, &p, &id)?;
    let handler = at(&dept, Role::Handler);
    mv(
        &p,
        &mut w,
        &handler,
        &id,
        Action::SignFor { unit: dept.clone() },
    )?;
    mv(
        &p,
        &mut w,
        &handler,
        &id,
        Action::Contact {
            unit: dept.clone(),
            note: "已电话联系王先生，约定上午清运".into(),
        },
    )?;
    mv(
        &p,
        &mut w,
        &handler,
        &id,
        Action::Feedback {
            unit: dept.clone(),
            note: "已清运".into(),
            photos: vec!["photo://after-1.jpg".into()],
        },
    )?;
    copy(&p, &d, &id)?;
    mv(
        &d,
        &mut w,
        &at(&street, Role::Supervisor),
        &id,
        Action::Check {
            passed: true,
            note: "现场核查已清理".into(),
        },
    )?;
    mv(
        &d,
        &mut w,
        &at(&street, Role::ShiftLead),
        &id,
        Action::Close,
    )?;
    mv(
        &d,
        &mut w,
        &at(&district, Role::Callback),
        &id,
        Action::callback(true, Rating::Satisfied, "市民表示已解决，满意"),
    )?;

    say!("\n1b. 接诉即办 — a 12345 咨询 answered on the call (直接答复), then called back:");
    let mut ask = case("hotline", "E0102", "咨询垃圾分类投放时间");
    ask.demand = Some("咨询".into());
    let q = d.report(&who, &ask, w.step(5))?.id;
    say(&d, &who, "上报", &q)?;
    mv(
        &d,
        &mut w,
        &who,
        &q,
        Action::Answer {
            note: "告知投放时间：每日7-9时、18-20时".into(),
        },
    )?;
    mv(
        &d,
        &mut w,
        &at(&district, Role::Callback),
        &q,
        Action::callback(true, Rating::Fair, "基本满意"),
    )?;

    say!("\n2. 社区微循环 — a grid worker finds a problem and the community handles it itself:");
    let who = at(&community, Role::GridWorker);
    let id2 = c
        .report(
            &who,
            &case("grid_patrol", "E0104", "楼道口地面油污"),
            w.step(30),
        )?
        .id;
    say(&c, &who, "上报", &id2)?;
    mv(&c, &mut w, &who, &id2, Action::SelfHandle)?;
    mv(
        &c,
        &mut w,
        &who,
        &id2,
        Action::SelfClose {
            evidence: vec!["photo://clean.jpg".into()],
            note: "已冲洗干净".into(),
        },
    )?;

    say!("\n3. 街道小循环 — the community escalates; the street blows the whistle (吹哨报到):");
    let id3 = c
        .report(
            &who,
            &case("grid_patrol", "E0101", "院内私搭乱建棚房"),
            w.step(30),
        )?
        .id;
    say(&c, &who, "上报", &id3)?;
    mv(
        &c,
        &mut w,
        &at(&community, Role::StationChief),
        &id3,
        Action::Escalate {
            reason: "社区无执法权，上报街道".into(),
        },
    )?;
    copy(&c, &s, &id3)?;
    say!("  (synced to the street node)");
    let law = s.district.departments()[0].id.clone();
    mv(
        &s,
        &mut w,
        &at(&street, Role::ShiftLead),
        &id3,
        Action::Whistle {
            departments: vec![law.clone(), dept.clone()],
        },
    )?;
    // 城管执法局 has no node here: the street records its report-in and feedback for it
    // (代录), and the trail says so.
    mv(
        &s,
        &mut w,
        &at(&street, Role::Dispatcher),
        &id3,
        Action::ReportIn { unit: law.clone() },
    )?;
    mv(
        &s,
        &mut w,
        &at(&street, Role::Dispatcher),
        &id3,
        Action::Feedback {
            unit: law.clone(),
            note: "已拆除（代录）".into(),
            photos: vec![],
        },
    )?;

    say!("\n4. A refused move — a community grid worker may not check (核查) a street case:");
    let refused = s.act(
        &at(&community, Role::GridWorker),
        &id3,
        Action::Check {
            passed: true,
            note: "自己核查".into(),
        },
        w.step(5),
    );
    if let Err(e) = refused {
        say!("  refused: {e}");
    }

    say!(
        "\n5. 冲突 — the street and the district move the same case while cut off from each other:"
    );
    let who = at(&street, Role::Supervisor);
    copy(&s, &d, &id3)?;
    mv(
        &s,
        &mut w,
        &who,
        &id3,
        Action::Check {
            passed: true,
            note: "核查通过".into(),
        },
    )?;
    mv(
        &d,
        &mut w,
        &at(&district, Role::Supervisor),
        &id3,
        Action::Check {
            passed: false,
            note: "棚房仍有残留，返工".into(),
        },
    )?;
    copy(&s, &d, &id3)?;
    copy(&d, &s, &id3)?;
    say!("  (links restored, both nodes merged)");
    say(&d, &at(&district, Role::Leader), "合并后", &id3)?;
    let rec = d.record(id3.as_str())?;
    let derived = d.derive(&rec)?;
    let keep = derived
        .conflict
        .as_ref()
        .and_then(|b| b.iter().find(|b| b.state.rework > 0))
        .map(|b| b.tip.clone());
    if let Some(keep) = keep {
        mv(
            &d,
            &mut w,
            &at(&district, Role::Leader),
            &id3,
            Action::Resolve {
                keep,
                note: "以区级核查为准，返工".into(),
            },
        )?;
    }
    say!(
        "\nDone. With --keep DIR, inspect a node with e.g. `gridloop --data DIR/district list --holder {district}`."
    );
    Ok(())
}

trait ParseCategory {
    fn parse_category(&self) -> Result<gridloop_core::domain::catalogue::CategoryCode>;
}

impl ParseCategory for str {
    fn parse_category(&self) -> Result<gridloop_core::domain::catalogue::CategoryCode> {
        Ok(gridloop_core::domain::catalogue::CategoryCode::parse(self)?)
    }
}
