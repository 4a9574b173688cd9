//! Random valid walks through a case (随机流转): every move a test might try, the rules
//! picking the valid ones; used by the convergence and export round-trip properties.

use super::*;
use gridloop_core::doc::case_doc::CaseDoc;
use gridloop_core::domain::case_id::CaseId;
use gridloop_core::domain::event::{Rating, RequestKind};

/// Every move a test might try, by every plausible actor; the rules pick the valid ones.
pub fn menu(f: &Fixture, d: &Derived) -> Vec<(UnitId, Role, Action)> {
    let s = &d.current;
    let mut m = Vec::new();
    let units = [f.district.clone(), f.street.clone(), f.community.clone()];
    for u in &units {
        for r in [
            Role::Intake,
            Role::ShiftLead,
            Role::Dispatcher,
            Role::Supervisor,
            Role::Leader,
            Role::Callback,
            Role::GridWorker,
            Role::StationChief,
        ] {
            m.push((u.clone(), r, Action::Accept));
            m.push((u.clone(), r, Action::SendToVerify));
            m.push((
                u.clone(),
                r,
                Action::Verify {
                    confirmed: true,
                    note: "属实".into(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::Register {
                    category: s.category.clone(),
                    grid: s.grid.clone(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::Dispatch {
                    lead: f.dept.clone(),
                    assists: vec![],
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::DispatchDown {
                    unit: f.street.clone(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::DispatchDown {
                    unit: f.community.clone(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::Check {
                    passed: true,
                    note: "ok".into(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::Check {
                    passed: false,
                    note: "返工".into(),
                },
            ));
            m.push((u.clone(), r, Action::Close));
            m.push((
                u.clone(),
                r,
                Action::callback(false, Rating::Dissatisfied, "不满意"),
            ));
            m.push((
                u.clone(),
                r,
                Action::callback(true, Rating::Fair, "基本满意"),
            ));
            m.push((
                u.clone(),
                r,
                Action::Escalate {
                    reason: "上报".into(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::Whistle {
                    departments: vec![f.dept2.clone()],
                },
            ));
            m.push((u.clone(), r, Action::SelfHandle));
            m.push((
                u.clone(),
                r,
                Action::SelfClose {
                    evidence: vec!["p".into()],
                    note: "ok".into(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::Supervise {
                    note: "督办".into(),
                },
            ));
            m.push((u.clone(), r, Action::Reactivate));
            m.push((
                u.clone(),
                r,
                Action::Answer {
                    note: "直接答复".into(),
                },
            ));
            m.push((
                u.clone(),
                r,
                Action::JointDispatch {
                    units: vec![f.street.clone(), f.dept.clone()],
                },
            ));
            for to in s.handlers.iter().chain([&s.holder]) {
                m.push((
                    u.clone(),
                    r,
                    Action::Order {
                        unit: to.clone(),
                        note: "督办单".into(),
                        due: s.updated + 86_400_000,
                        auto: false,
                    },
                ));
            }
            for d in [&f.dept, &f.dept2] {
                m.push((
                    u.clone(),
                    r,
                    Action::Rate {
                        unit: d.clone(),
                        rating: Rating::Satisfied,
                        note: "评价".into(),
                    },
                ));
            }
            m.push((
                u.clone(),
                r,
                Action::Merge {
                    into: CaseId("f".repeat(32)),
                    note: "重复".into(),
                },
            ));
            for o in s
                .orders
                .iter()
                .filter(|o| o.replied.is_none() && &o.unit == u)
            {
                m.push((
                    u.clone(),
                    r,
                    Action::Reply {
                        order: o.id.clone(),
                        note: "回复".into(),
                    },
                ));
            }
            m.push((
                u.clone(),
                r,
                Action::ParentClosed {
                    parent: CaseId("f".repeat(32)),
                },
            ));
            if let Some(p) = &s.pending {
                m.push((
                    u.clone(),
                    r,
                    Action::Decide {
                        request: p.id.clone(),
                        approve: true,
                        note: "同意".into(),
                    },
                ));
            }
        }
    }
    for h in s.handlers.iter().chain([&f.dept, &f.dept2]) {
        let role = if h == &f.community {
            Role::StationChief
        } else {
            Role::Handler
        };
        m.push((
            h.clone(),
            role,
            Action::Feedback {
                unit: h.clone(),
                note: "done".into(),
                photos: vec![],
            },
        ));
        m.push((h.clone(), role, Action::ReportIn { unit: h.clone() }));
        for o in s
            .orders
            .iter()
            .filter(|o| o.replied.is_none() && &o.unit == h)
        {
            m.push((
                h.clone(),
                role,
                Action::Reply {
                    order: o.id.clone(),
                    note: "回复".into(),
                },
            ));
        }
        for x in s.disputable.iter().filter(|x| &x.unit == h) {
            m.push((
                h.clone(),
                role,
                Action::Appeal {
                    unit: h.clone(),
                    against: x.decision.clone(),
                    reason: "申诉".into(),
                },
            ));
        }
        m.push((h.clone(), role, Action::SignFor { unit: h.clone() }));
        m.push((
            h.clone(),
            role,
            Action::Contact {
                unit: h.clone(),
                note: "先行联系".into(),
            },
        ));
        // 代录: the holder's dispatcher records for the handler.
        for u in [&f.district, &f.street] {
            m.push((
                u.clone(),
                Role::Dispatcher,
                Action::Feedback {
                    unit: h.clone(),
                    note: "代录".into(),
                    photos: vec![],
                },
            ));
            m.push((
                u.clone(),
                Role::Dispatcher,
                Action::SignFor { unit: h.clone() },
            ));
        }
        m.push((
            h.clone(),
            role,
            Action::Request {
                kind: RequestKind::SendBack,
                unit: h.clone(),
                reason: "错派".into(),
                until: None,
            },
        ));
        m.push((
            h.clone(),
            role,
            Action::Request {
                kind: RequestKind::Park,
                unit: h.clone(),
                reason: "长期".into(),
                until: None,
            },
        ));
    }
    for b in d.conflict.iter().flatten() {
        for u in &units {
            m.push((
                u.clone(),
                Role::Leader,
                Action::Resolve {
                    keep: b.tip.clone(),
                    note: "裁定".into(),
                },
            ));
        }
    }
    m
}

/// One copy of a case (副本) on its own node, moved at its own clock.
pub struct Copy {
    pub doc: CaseDoc,
    pub node: String,
    pub moved: bool,
    pub t: i64,
}

/// The state derived from a copy's trail.
pub fn derive(f: &Fixture, doc: &CaseDoc) -> Derived {
    f.rules()
        .replay(&doc.intake().unwrap(), &doc.events().unwrap())
        .unwrap()
}

/// Makes up to `n` random valid moves on `c`, choosing with `picks`.
pub fn play(f: &Fixture, c: &mut Copy, picks: &[usize], serial: &mut u32) {
    for p in picks {
        let d = derive(f, &c.doc);
        let intake = c.doc.intake().unwrap();
        c.t += 7 * 60_000;
        let valid: Vec<Event> = menu(f, &d)
            .into_iter()
            .map(|(unit, role, action)| {
                *serial += 1;
                Event {
                    id: EventId(format!("{}-{serial}", c.node)),
                    after: d.after_for(&action),
                    at: Hlc::at(c.t),
                    node: NodeId(format!("{}-{unit}", c.node)),
                    unit,
                    role,
                    action,
                    offline: false,
                    person: None,
                }
            })
            .filter(|e| f.rules().check_live(&intake, &d, e).is_ok())
            .collect();
        if valid.is_empty() {
            return;
        }
        let e = &valid[p % valid.len()];
        if !e.action.is_note() {
            c.moved = true;
        }
        c.doc.append(e).unwrap();
    }
}

pub fn base_doc(f: &Fixture, community_case: bool) -> CaseDoc {
    let (unit, role, source) = if community_case {
        (f.community.clone(), Role::GridWorker, "grid_patrol")
    } else {
        (f.district.clone(), Role::Intake, "hotline")
    };
    let mut intake = f.intake(source);
    if !community_case {
        // A 咨询, so that walks may answer it on the call as well as handle it.
        intake.demand = Some(gridloop_core::domain::intake::Demand::Consult);
    }
    let report = Event {
        id: EventId("report".into()),
        after: vec![],
        at: Hlc::at(T0),
        node: NodeId(format!("base-{unit}")),
        unit,
        role,
        action: Action::Report,
        offline: false,
        person: None,
    };
    CaseDoc::create(
        &CaseId("0123456789abcdef0123456789abcdef".into()),
        &intake,
        &report,
    )
    .unwrap()
}
