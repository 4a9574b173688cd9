//! A writer for the crash test: reports cases and moves them on, printing `ack <case id>
//! <events>` after each durable commit, until killed.

use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::{Actor, Role};
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::Store;

fn main() {
    let path = std::env::args().nth(1).expect("usage: crash_writer STORE");
    let store = Store::open(std::path::Path::new(&path)).expect("open store");
    let engine = Engine::demo(store);
    let district = engine.district.root().id.clone();
    let grid = engine.district.grids().next().expect("grid").code.clone();
    let dept = engine.district.departments()[0].id.clone();
    let at = |role| Actor::new("crash-node", district.clone(), role);
    let mut t: i64 = 1_795_395_600_000;
    let new = NewCase {
        source: "hotline".into(),
        category: "E0102".into(),
        grid: grid.to_string(),
        address: "崩溃测试地址".into(),
        description: "暴露垃圾".into(),
        ..NewCase::default()
    };
    loop {
        t += 60_000;
        let s = engine.report(&at(Role::Intake), &new, t).expect("report");
        println!("ack {} 1", s.id);
        let moves = [
            (Role::Intake, Action::Accept),
            (
                Role::ShiftLead,
                Action::Register {
                    category: s.category.clone(),
                    grid: s.grid.clone(),
                },
            ),
            (
                Role::Dispatcher,
                Action::Dispatch {
                    lead: dept.clone(),
                    assists: vec![],
                },
            ),
        ];
        for (n, (role, action)) in moves.into_iter().enumerate() {
            t += 60_000;
            engine.act(&at(role), &s.id, action, t).expect("act");
            println!("ack {} {}", s.id, n + 2);
        }
    }
}
