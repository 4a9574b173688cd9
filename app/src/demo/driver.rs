//! The demo's driver (演示操作员): a thread that keeps synthetic cases moving through all three
//! loops, one move somewhere at a time, as the operators of a random node.

use anyhow::Result;
use rand::Rng;
use rand::seq::{IndexedRandom, IteratorRandom};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::{UnitId, UnitKind};
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::{CaseSummary, LightFilter};
use gridloop_core::workflow::State;

use super::district::DemoDistrict;
use crate::common::clock;

impl DemoDistrict {
    /// Starts the driver thread: a move somewhere every `every`.
    pub fn drive(&self, every: Duration) -> std::thread::JoinHandle<()> {
        let stop = self.stop.clone();
        let nodes: Vec<(String, UnitId, Arc<Engine>)> = self
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.unit.clone(), n.engine().clone()))
            .collect();
        std::thread::spawn(move || {
            let mut rng = rand::rng();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                let (name, unit, engine) = nodes.choose(&mut rng).expect("nodes").clone();
                if let Err(e) = step(&name, &unit, &engine, &mut rng) {
                    tracing::debug!(node = %name, "demo move refused: {e}");
                }
            }
        })
    }
}

/// One move by `name`'s operators: report a new case, or take the next step on a case this
/// unit holds.
fn step(name: &str, unit: &UnitId, engine: &Engine, rng: &mut impl Rng) -> Result<()> {
    let d = &engine.district;
    let kind = d.unit(unit).map(|u| u.kind).unwrap_or(UnitKind::District);
    let now = clock();
    let me = |role| Actor {
        node: NodeId(name.to_string()),
        unit: unit.clone(),
        role,
        person: None,
    };
    let open = [
        State::Reported,
        State::ToRegister,
        State::ToDispatch,
        State::Handling,
        State::ToCheck,
        State::ToClose,
    ];
    let inbox: Vec<CaseSummary> =
        engine
            .store
            .read()?
            .inbox(unit, &open, LightFilter::Any, now, 200)?;
    if kind == UnitKind::Department {
        // A department's terminal: sign for what reached it, then feed back.
        let Some(case) = inbox
            .iter()
            .filter(|c| c.state == State::Handling)
            .choose(rng)
        else {
            return Ok(());
        };
        let action = if case
            .receipts
            .iter()
            .any(|r| &r.unit == unit && r.signed.is_none())
        {
            Action::SignFor { unit: unit.clone() }
        } else {
            Action::Feedback {
                unit: unit.clone(),
                note: "已处置完毕".into(),
                photos: vec![],
            }
        };
        engine.act(&me(Role::Handler), &case.id, action, now)?;
        return Ok(());
    }
    if inbox.is_empty() || rng.random_bool(0.25) {
        let community = match kind {
            UnitKind::Community => unit.clone(),
            _ => {
                let streets: Vec<UnitId> = if kind == UnitKind::Street {
                    vec![unit.clone()]
                } else {
                    d.streets().iter().take(2).map(|s| s.id.clone()).collect()
                };
                let s = streets.choose(rng).expect("streets").clone();
                let cs: Vec<UnitId> = d
                    .children(&s)
                    .iter()
                    .take(2)
                    .map(|c| c.id.clone())
                    .collect();
                cs.choose(rng).expect("communities").clone()
            }
        };
        let grids = d.grids_of(&community);
        let grid = grids.choose(rng).expect("grids").code.to_string();
        let (source, role, cats) = match kind {
            UnitKind::Community => ("grid_patrol", Role::GridWorker, ["E0104", "E0101", "C0101"]),
            UnitKind::Street => ("supervisor", Role::ShiftLead, ["E0102", "E0104", "C0102"]),
            _ => ("hotline", Role::Intake, ["E0102", "E0101", "E0104"]),
        };
        let new = NewCase {
            source: source.into(),
            category: cats.choose(rng).expect("categories").to_string(),
            grid,
            address: format!(
                "{}演示地址{}号",
                d.unit(&community).map(|u| u.name.as_str()).unwrap_or(""),
                rng.random_range(1..200)
            ),
            description: "演示案件".into(),
            ..NewCase::default()
        };
        engine.report(&me(role), &new, now)?;
        return Ok(());
    }
    let case = inbox.choose(rng).expect("non-empty");
    // Most dispatches go to the departments that run their own terminal in the demo.
    let working: Vec<UnitId> = d
        .departments()
        .iter()
        .take(2)
        .map(|u| u.id.clone())
        .collect();
    let dept = if rng.random_bool(0.7) {
        working.choose(rng).expect("departments").clone()
    } else {
        d.departments().choose(rng).expect("departments").id.clone()
    };
    let (actor, action) = match (case.state, kind) {
        (State::Reported, UnitKind::Community) if rng.random_bool(0.6) => {
            (me(Role::GridWorker), Action::SelfHandle)
        }
        (State::Reported, UnitKind::Community) => (
            me(Role::StationChief),
            Action::Escalate {
                reason: "需街道协调".into(),
            },
        ),
        (State::Reported, _) => (me(Role::Intake), Action::Accept),
        (State::ToRegister, _) => (
            me(Role::ShiftLead),
            Action::Register {
                category: case.category.clone(),
                grid: case.grid.clone(),
            },
        ),
        (State::ToDispatch, UnitKind::District) if rng.random_bool(0.5) => {
            let street = d
                .parent(&case.grid.community())
                .cloned()
                .unwrap_or(unit.clone());
            (me(Role::Dispatcher), Action::DispatchDown { unit: street })
        }
        (State::ToDispatch, _) => (
            me(Role::Dispatcher),
            Action::Dispatch {
                lead: dept,
                assists: vec![],
            },
        ),
        (State::Handling, UnitKind::Community) if case.self_handling => (
            me(Role::GridWorker),
            Action::SelfClose {
                evidence: vec!["photo://demo.jpg".into()],
                note: "已处置".into(),
            },
        ),
        (State::Handling, _) => {
            let Some(lead) = case.handlers.first().cloned() else {
                return Ok(());
            };
            if &lead == unit {
                // A community working a case handed down to it.
                (
                    me(Role::StationChief),
                    Action::Feedback {
                        unit: lead,
                        note: "已处置完毕".into(),
                        photos: vec![],
                    },
                )
            } else if working.contains(&lead) {
                // That department works from its own terminal.
                return Ok(());
            } else {
                // 代录: the holder records the feedback of a department without a terminal.
                (
                    me(Role::Dispatcher),
                    Action::Feedback {
                        unit: lead,
                        note: "电话反馈已处置（代录）".into(),
                        photos: vec![],
                    },
                )
            }
        }
        (State::ToCheck, _) => (
            me(Role::Supervisor),
            Action::Check {
                passed: rng.random_bool(0.85),
                note: "现场核查".into(),
            },
        ),
        (State::ToClose, _) => (me(Role::ShiftLead), Action::Close),
        _ => return Ok(()),
    };
    engine.act(&actor, &case.id, action, now)?;
    Ok(())
}
