//! Shared fixture for workflow tests: the demo district and a case driven move by move.
#![allow(dead_code)]

use gridloop_core::domain::calendar::{Millis, WorkCalendar};
use gridloop_core::domain::catalogue::{Catalogue, CategoryCode};
use gridloop_core::domain::event::{Action, Event, EventId};
use gridloop_core::domain::hlc::Hlc;
use gridloop_core::domain::intake::{Demand, Intake, Source};
use gridloop_core::domain::limits::StageLimits;
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::domain::unit::{District, GridCode, UnitId};
use gridloop_core::workflow::{CaseState, Derived, Refusal, Rules};

mod walk;
#[allow(unused_imports)]
pub use walk::*;

/// A day in milliseconds.
pub const DAY: Millis = 24 * 3600 * 1000;
/// Monday 2026-11-23 09:00 Beijing time.
pub const T0: Millis = 1_795_395_600_000;

/// The demo district with a street, one of its communities, a grid there and departments.
pub struct Fixture {
    pub district_def: District,
    pub catalogue: Catalogue,
    pub calendar: WorkCalendar,
    pub limits: StageLimits,
    pub district: UnitId,
    pub street: UnitId,
    pub community: UnitId,
    pub grid: GridCode,
    pub dept: UnitId,
    pub dept2: UnitId,
    pub category: CategoryCode,
}

impl Fixture {
    pub fn new() -> Fixture {
        let d = District::demo();
        let district = d.root().id.clone();
        let street = d.streets()[0].id.clone();
        let community = d.children(&street)[0].id.clone();
        let grid = d.grids_of(&community)[0].code.clone();
        let dept = d.departments()[0].id.clone();
        let dept2 = d.departments()[1].id.clone();
        Fixture {
            district_def: d,
            catalogue: Catalogue::standard(),
            calendar: WorkCalendar::china(),
            limits: StageLimits::default(),
            district,
            street,
            community,
            grid,
            dept,
            dept2,
            category: CategoryCode::parse("E0102").expect("E0102"),
        }
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules::of(
            &self.district_def,
            &self.catalogue,
            &self.calendar,
            &self.limits,
        )
    }

    pub fn intake(&self, source: &str) -> Intake {
        Intake {
            number: "T-1".into(),
            source: Source::parse(source).expect("source"),
            category: self.category.clone(),
            grid: self.grid.clone(),
            component_id: None,
            address: "测试地址1号".into(),
            position: None,
            description: "暴露垃圾".into(),
            photos: vec![],
            reporter: None,
            drill: false,
            duplicate_of: None,
            emergency: None,
            demand: (source == "hotline").then_some(Demand::Complaint),
        }
    }

    pub fn case_at(&self, unit: &UnitId, role: Role, source: &str) -> TestCase<'_> {
        let intake = self.intake(source);
        let report = Event {
            id: EventId("r0".into()),
            after: vec![],
            at: Hlc::at(T0),
            node: NodeId(format!("n{unit}")),
            unit: unit.clone(),
            role,
            action: Action::Report,
            offline: false,
            person: None,
        };
        TestCase {
            f: self,
            intake,
            events: vec![report],
            t: T0,
            n: 0,
            person: None,
        }
    }

    pub fn register(&self, c: &TestCase<'_>) -> Action {
        Action::Register {
            category: c.state().category.clone(),
            grid: c.state().grid.clone(),
        }
    }

    pub fn feedback(&self) -> Action {
        Action::Feedback {
            unit: self.dept.clone(),
            note: "已处置".into(),
            photos: vec!["photo://a".into()],
        }
    }

    pub fn registered_district_case(&self) -> TestCase<'_> {
        let mut c = self.case_at(&self.district, Role::Intake, "hotline");
        self.accept_and_register(&mut c);
        c
    }

    /// The district accepts and registers `c` as it was reported.
    pub fn accept_and_register(&self, c: &mut TestCase<'_>) {
        c.ok(&self.district, Role::Intake, Action::Accept);
        let r = self.register(c);
        c.ok(&self.district, Role::ShiftLead, r);
    }

    /// The district accepts, registers and dispatches `c` to the first department.
    pub fn accept_and_dispatch(&self, c: &mut TestCase<'_>) {
        self.accept_and_register(c);
        c.ok(
            &self.district,
            Role::Dispatcher,
            Action::Dispatch {
                lead: self.dept.clone(),
                assists: vec![],
            },
        );
    }

    pub fn handling_district_case(&self) -> TestCase<'_> {
        let mut c = self.case_at(&self.district, Role::Intake, "hotline");
        self.accept_and_dispatch(&mut c);
        c
    }

    pub fn closed_hotline_case(&self) -> TestCase<'_> {
        let mut c = self.handling_district_case();
        c.ok(&self.dept, Role::Handler, self.feedback());
        c.ok(
            &self.district,
            Role::Supervisor,
            Action::Check {
                passed: true,
                note: "ok".into(),
            },
        );
        c.ok(&self.district, Role::ShiftLead, Action::Close);
        c
    }

    pub fn other_street(&self) -> UnitId {
        self.district_def.streets()[1].id.clone()
    }

    pub fn grid_outside_street(&self) -> GridCode {
        let other = self.other_street();
        let c = self.district_def.children(&other)[0].id.clone();
        self.district_def.grids_of(&c)[0].code.clone()
    }
}

/// A case's trail driven move by move through the live checks.
#[derive(Clone)]
pub struct TestCase<'a> {
    pub f: &'a Fixture,
    pub intake: Intake,
    pub events: Vec<Event>,
    pub t: Millis,
    n: u32,
    /// The person (经办人) the next moves name.
    pub person: Option<String>,
}

impl<'a> TestCase<'a> {
    pub fn derived(&self) -> Derived {
        self.f
            .rules()
            .replay(&self.intake, &self.events)
            .expect("replay")
    }

    pub fn state(&self) -> CaseState {
        self.derived().current
    }

    fn event(&mut self, unit: &UnitId, role: Role, action: Action) -> Event {
        self.t += 10 * 60_000;
        self.n += 1;
        let d = self.derived();
        Event {
            id: EventId(format!(
                "e{}-{}-{:08x}",
                self.n,
                unit,
                rand::random::<u32>()
            )),
            after: d.after_for(&action),
            at: Hlc::at(self.t),
            node: NodeId(format!("n{unit}")),
            unit: unit.clone(),
            role,
            action,
            offline: false,
            person: self.person.clone(),
        }
    }

    /// Makes a move that must be allowed.
    pub fn ok(&mut self, unit: &UnitId, role: Role, action: Action) {
        let name = action.name();
        let e = self.event(unit, role, action);
        if let Err(why) = self.f.rules().check_live(&self.intake, &self.derived(), &e) {
            panic!("{name} by {role:?}@{unit} should be allowed: {why}");
        }
        self.events.push(e);
        assert!(
            self.derived().invalid.is_empty(),
            "replay agrees with the live check"
        );
    }

    /// Makes a move that must be refused by `rule`.
    pub fn refused(&mut self, unit: &UnitId, role: Role, action: Action, rule: &str) {
        let why = self.refusal(unit, role, action);
        assert_eq!(why.rule, rule, "refused by the wrong rule: {why}");
        assert!(!why.message_en().is_empty() && !why.message_zh().is_empty());
    }

    /// Makes a move that must be refused, and returns why.
    pub fn refusal(&mut self, unit: &UnitId, role: Role, action: Action) -> Refusal {
        let name = action.name();
        let e = self.event(unit, role, action);
        match self.f.rules().check_live(&self.intake, &self.derived(), &e) {
            Ok(()) => panic!("{name} by {role:?}@{unit} should be refused"),
            Err(why) => why,
        }
    }

    /// Appends a move without any check (as a tampered copy would).
    pub fn force(&mut self, unit: &UnitId, role: Role, action: Action) {
        let e = self.event(unit, role, action);
        self.events.push(e);
    }

    /// The union of two trails (what a merge of two copies holds).
    pub fn merged_with(&self, other: &TestCase<'a>) -> TestCase<'a> {
        let mut m = self.clone();
        for e in &other.events {
            if !m.events.iter().any(|x| x.id == e.id) {
                m.events.push(e.clone());
            }
        }
        m.t = self.t.max(other.t);
        m.n = self.n.max(other.n) + 100;
        m
    }
}
