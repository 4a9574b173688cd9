//! Synthetic workload (模拟案件): whole case lifecycles for the demo district with a realistic
//! mix of sources, categories, loops and outcomes, calibrated on Dongcheng's figures (about
//! 1.5 M cases a year: hotline ~22 %, supervisors and video ~40 %, community patrols the
//! rest). Every move is checked against the workflow rules as it is generated.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::calendar::Millis;
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::{CaseKind, MinorClass};
use crate::domain::event::{Action, Event, EventId, Rating, RequestKind};
use crate::domain::hlc::Hlc;
use crate::domain::intake::{Demand, Intake, Reporter, Source};
use crate::domain::role::{NodeId, Role};
use crate::domain::unit::{GridCell, UnitId, UnitKind};
use crate::engine::CaseRecord;
use crate::workflow::{CaseState, Rules, State};

/// Milliseconds in a minute.
const MINUTE: i64 = 60_000;

/// 2026-01-01 00:00 Beijing time, in Unix milliseconds.
pub const YEAR_2026: Millis = 1_767_196_800_000;

/// Cases a year in a district the size of Dongcheng.
pub const CASES_PER_YEAR: u64 = 1_500_000;

/// The node id the demo gives a unit's node.
pub fn node_of(unit: &UnitId) -> NodeId {
    NodeId(format!("n{}", unit.as_str()))
}

/// A deterministic generator of case lifecycles (案件生成器).
pub struct Generator<'a> {
    rules: Rules<'a>,
    rng: StdRng,
    grids: Vec<&'a GridCell>,
    minors: Vec<&'a MinorClass>,
    departments: Vec<UnitId>,
    /// 高频诉求地: the few grids (about one in twenty) where a third of the problems are.
    hot_grids: Vec<usize>,
    /// 高频诉求事: the categories that dominate a district's caseload, most common first.
    hot_minors: Vec<usize>,
    /// 高频诉求人: callers who ring again and again, the first ones most.
    callers: Vec<Reporter>,
    start: Millis,
    span: Millis,
    now: Millis,
    seq: u64,
}

/// The categories that dominate a city district's caseload (高发问题), most common first.
const HOT_CATEGORIES: [&str; 12] = [
    "E0102", "E0504", "E0503", "E0202", "E0113", "E0104", "E0505", "E0506", "E0509", "C0301",
    "E0101", "E0604",
];

impl<'a> Generator<'a> {
    /// A generator for cases reported between `start` and `start + span_days`, played out up
    /// to `now` (cases whose next move would fall after `now` stay open there).
    pub fn new(
        rules: Rules<'a>,
        seed: u64,
        start: Millis,
        span_days: u32,
        now: Millis,
    ) -> Generator<'a> {
        let grids: Vec<&GridCell> = rules.district.grids().collect();
        let minors: Vec<&MinorClass> = rules.catalogue.minors().collect();
        let departments = rules
            .district
            .departments()
            .iter()
            .map(|u| u.id.clone())
            .collect();
        let mut rng = StdRng::seed_from_u64(seed);
        let hot_grids: Vec<usize> = (0..grids.len().div_ceil(20))
            .map(|_| rng.random_range(0..grids.len()))
            .collect();
        let hot_minors: Vec<usize> = HOT_CATEGORIES
            .iter()
            .filter_map(|c| minors.iter().position(|m| m.code.as_str() == *c))
            .collect();
        let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
        let callers: Vec<Reporter> = (0..300)
            .map(|i| Reporter {
                name: format!(
                    "{}{}",
                    surnames[i % surnames.len()],
                    if i % 3 == 0 { "女士" } else { "先生" }
                ),
                phone: format!("13{:09}", rng.random_range(0..1_000_000_000u64)),
            })
            .collect();
        Generator {
            rules,
            rng,
            grids,
            minors,
            departments,
            hot_grids,
            hot_minors,
            callers,
            start,
            span: i64::from(span_days) * 24 * 60 * MINUTE,
            now,
            seq: 0,
        }
    }

    /// The next case, as a record with its whole trail so far.
    pub fn next_case(&mut self) -> CaseRecord {
        self.seq += 1;
        // A third of the problems are in a few hot spots (高频诉求地).
        let grid = if self.rng.random_bool(0.33) && !self.hot_grids.is_empty() {
            self.grids[self.hot_grids[self.rng.random_range(0..self.hot_grids.len())]]
        } else {
            self.grids[self.rng.random_range(0..self.grids.len())]
        };
        // A few categories dominate (高频诉求事), the first most; the rest are spread thin,
        // events more than components.
        let minor = if self.rng.random_bool(0.55) && !self.hot_minors.is_empty() {
            let k = self.zipf(self.hot_minors.len());
            self.minors[self.hot_minors[k]]
        } else {
            loop {
                let m = self.minors[self.rng.random_range(0..self.minors.len())];
                let keep = match m.code.kind() {
                    CaseKind::Event => true,
                    CaseKind::Component => self.rng.random_bool(0.6),
                };
                if keep {
                    break m;
                }
            }
        };
        let roll: f64 = self.rng.random();
        let (source, reporter_unit, role) = if roll < 0.28 {
            (Source::GridPatrol, grid.community.clone(), Role::GridWorker)
        } else if roll < 0.40 {
            (Source::Supervisor, grid.code.street(), Role::Supervisor)
        } else if roll < 0.62 {
            (
                Source::Hotline,
                self.rules.district.root().id.clone(),
                Role::Intake,
            )
        } else if roll < 0.88 {
            (
                Source::Supervisor,
                self.rules.district.root().id.clone(),
                Role::Supervisor,
            )
        } else if roll < 0.95 {
            (
                Source::Video,
                self.rules.district.root().id.clone(),
                Role::Supervisor,
            )
        } else if roll < 0.98 {
            (
                Source::Public,
                self.rules.district.root().id.clone(),
                Role::Intake,
            )
        } else {
            (
                Source::Superior,
                self.rules.district.root().id.clone(),
                Role::Intake,
            )
        };
        // The hotline answers round the clock; everyone else reports in the day.
        let reported = self.report_time(source == Source::Hotline);
        let day = crate::engine::local_day(reported);
        let id = CaseId(format!(
            "{:016x}{:016x}",
            self.rng.random::<u64>(),
            self.seq
        ));
        // A quarter of the callers have called before (高频诉求人), a few of them often.
        let reporter = matches!(source, Source::Hotline | Source::Public).then(|| {
            if self.rng.random_bool(0.25) {
                let u: f64 = self.rng.random();
                let k = ((self.callers.len() as f64) * u.powi(3)) as usize;
                self.callers[k.min(self.callers.len() - 1)].clone()
            } else {
                Reporter {
                    name: format!(
                        "{}先生",
                        ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]
                            [self.rng.random_range(0..8)]
                    ),
                    phone: format!("13{:09}", self.rng.random_range(0..1_000_000_000u64)),
                }
            }
        });
        let intake = Intake {
            number: format!("{}-{}-{:07}", reporter_unit, day, self.seq),
            source,
            category: minor.code.clone(),
            grid: grid.code.clone(),
            component_id: (minor.code.kind() == CaseKind::Component).then(|| {
                format!(
                    "{}{}{:06}",
                    &grid.code.as_str()[..6],
                    &minor.code.as_str()[1..5],
                    self.rng.random_range(0..999_999)
                )
            }),
            address: format!(
                "{}{}号附近",
                grid.name.trim_end_matches(|c: char| c.is_ascii_digit()),
                self.rng.random_range(1..200)
            ),
            position: Some((f64::from(grid.x), f64::from(grid.y))),
            description: format!(
                "{}：{}发现{}，请处理。",
                source.label_zh(),
                grid.name,
                minor.name
            ),
            photos: Vec::new(),
            reporter,
            drill: false,
            duplicate_of: None,
            emergency: None,
            demand: (source == Source::Hotline).then(|| {
                // 诉求类型 as 12345 sees them: complaints and requests for help first.
                let r: f64 = self.rng.random();
                match r {
                    r if r < 0.45 => Demand::Complaint,
                    r if r < 0.70 => Demand::Help,
                    r if r < 0.85 => Demand::Consult,
                    r if r < 0.95 => Demand::Report,
                    _ => Demand::Suggestion,
                }
            }),
        };
        let mut sim = Sim {
            events: Vec::new(),
            state: None,
            t: reported,
            done: false,
        };
        let report = self.event(&sim, &reporter_unit, role, Action::Report);
        let st = self
            .rules
            .initial(&intake, &report)
            .expect("generated report is valid");
        sim.push(report, st);
        self.play(&intake, &mut sim);
        CaseRecord {
            id,
            intake,
            events: sim.events,
            document: None,
        }
    }

    fn report_time(&mut self, round_the_clock: bool) -> Millis {
        // Pick a day, then a time between 07:00 and 21:00 local; the hotline takes a share of
        // its calls at night (21:00 to 07:00). Rest days (weekends and the calendar's
        // holidays) bring fewer reports: patrols run a skeleton shift (30 % of a working
        // day's), the hotline keeps 70 % of its calls.
        let days = (self.span / (24 * 60 * MINUTE)).max(1);
        let keep = if round_the_clock { 0.7 } else { 0.3 };
        let mut day = self.rng.random_range(0..days);
        for _ in 0..16 {
            let noon = self.start + day * 24 * 60 * MINUTE + 12 * 60 * MINUTE;
            let cal = self.rules.calendar;
            if cal.is_working_day(cal.local_date(noon)) || self.rng.random_bool(keep) {
                break;
            }
            day = self.rng.random_range(0..days);
        }
        let minute = if round_the_clock && self.rng.random_bool(0.12) {
            (21 * 60 + self.rng.random_range(0..10 * 60)) % (24 * 60)
        } else {
            self.rng.random_range(7 * 60..21 * 60)
        };
        self.start + day * 24 * 60 * MINUTE + minute * MINUTE + self.rng.random_range(0..MINUTE)
    }

    /// An index below `n`, the first most likely (weights 1, 1/2, 1/3 …: Zipf).
    fn zipf(&mut self, n: usize) -> usize {
        let total: f64 = (1..=n).map(|k| 1.0 / k as f64).sum();
        let mut u: f64 = self.rng.random::<f64>() * total;
        for k in 0..n {
            u -= 1.0 / (k + 1) as f64;
            if u <= 0.0 {
                return k;
            }
        }
        n - 1
    }

    fn event(&self, sim: &Sim, unit: &UnitId, role: Role, action: Action) -> Event {
        Event {
            id: EventId(format!(
                "{:016x}",
                (sim.events.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (sim.t as u64)
            )),
            after: sim
                .state
                .as_ref()
                .map(|s: &CaseState| vec![s.last.clone()])
                .unwrap_or_default(),
            at: Hlc::at(sim.t),
            node: node_of(unit),
            unit: unit.clone(),
            role,
            action,
            offline: false,
            person: Some(person_of(unit, role, sim.t)),
        }
    }

    /// Waits `minutes` of working time; false if that passes `now` (the case stops there).
    fn wait(&self, sim: &mut Sim, minutes: u64) -> bool {
        let t = self
            .rules
            .calendar
            .add_working_minutes(sim.t, minutes)
            .max(sim.t + 1000);
        if t > self.now {
            sim.done = true;
            return false;
        }
        sim.t = t;
        true
    }

    /// Makes a move as `role` at `unit` after waiting; false if the case stopped.
    fn mv(
        &mut self,
        intake: &Intake,
        sim: &mut Sim,
        minutes: u64,
        unit: &UnitId,
        role: Role,
        action: Action,
    ) -> bool {
        if sim.done || !self.wait(sim, minutes) {
            return false;
        }
        let e = self.event(sim, unit, role, action);
        let st = sim.state.as_ref().expect("reported");
        if let Err(why) = self.rules.check(intake, st, &e) {
            debug_assert!(
                false,
                "generator made an invalid move {}: {why}",
                e.action.name()
            );
            sim.done = true;
            return false;
        }
        let next = self.rules.apply(intake, st, &e);
        sim.push(e, next);
        true
    }

    /// Like [`Generator::mv`] after a random wait drawn from `range` working minutes.
    fn mv_r(
        &mut self,
        intake: &Intake,
        sim: &mut Sim,
        range: std::ops::Range<u64>,
        unit: &UnitId,
        role: Role,
        action: Action,
    ) -> bool {
        let m = self.rng.random_range(range);
        self.mv(intake, sim, m, unit, role, action)
    }

    fn pct(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn holder(sim: &Sim) -> UnitId {
        sim.state
            .as_ref()
            .map(|s| s.holder.clone())
            .unwrap_or_else(|| UnitId(String::new()))
    }

    fn state(sim: &Sim) -> State {
        sim.state
            .as_ref()
            .map(|s| s.state)
            .unwrap_or(State::Reported)
    }

    fn department_for(&mut self, intake: &Intake) -> UnitId {
        let name = self
            .rules
            .catalogue
            .get(&intake.category)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let major = intake.category.major().to_string();
        let wanted: &[&str] = match major.as_str() {
            "C01" if name.contains("燃气") => &["燃气"],
            "C01" if name.contains("电") => &["供电"],
            "C01" if name.contains("水") || name.contains("雨") || name.contains("污") => {
                &["水务"]
            }
            "C01" => &["市政"],
            "C02" => &["交通", "市政"],
            "C03" | "E01" => &["环卫", "城管"],
            "C04" => &["园林"],
            "C05" => &["房管", "住建"],
            "E02" => &["城管"],
            "E03" => &["住建", "城管"],
            "E04" if name.contains("燃气") => &["燃气"],
            "E04" => &["水务", "市政"],
            "E05" if name.contains("停放") || name.contains("车") => &["交管", "交通"],
            "E05" if name.contains("经营") => &["市场监管", "城管"],
            _ => &["城管"],
        };
        let names: Vec<UnitId> = self
            .departments
            .iter()
            .filter(|d| {
                let n = self
                    .rules
                    .district
                    .unit(d)
                    .map(|u| u.name.as_str())
                    .unwrap_or("");
                wanted.iter().any(|w| n.contains(w))
            })
            .cloned()
            .collect();
        let pool = if names.is_empty() {
            &self.departments
        } else {
            &names
        };
        pool[self.rng.random_range(0..pool.len())].clone()
    }

    fn play(&mut self, intake: &Intake, sim: &mut Sim) {
        let h = Self::holder(sim);
        let kind = self.rules.district.unit(&h).map(|u| u.kind);
        if kind == Some(UnitKind::Community) {
            // 微循环: most are handled in the community.
            if self.pct(0.72) {
                if !self.mv_r(intake, sim, 5..90, &h, Role::GridWorker, Action::SelfHandle) {
                    return;
                }
                let lim = self.rules.calendar.limit_minutes(
                    self.rules
                        .catalogue
                        .get(&intake.category)
                        .map(|m| m.limit)
                        .unwrap_or(crate::domain::calendar::TimeLimit::working_hours(8)),
                );
                let m = (lim as f64 * self.rng.random_range(0.1..1.1)) as u64;
                let photo = format!("photo://{}/after.jpg", intake.number);
                self.mv(
                    intake,
                    sim,
                    m.max(10),
                    &h,
                    Role::GridWorker,
                    Action::SelfClose {
                        evidence: vec![photo],
                        note: "已自行处置".into(),
                    },
                );
                return;
            }
            let reason = "社区无法解决，上报街道".to_string();
            if !self.mv_r(
                intake,
                sim,
                10..240,
                &h,
                Role::StationChief,
                Action::Escalate { reason },
            ) {
                return;
            }
        }
        self.command_loop(intake, sim);
    }

    fn command_loop(&mut self, intake: &Intake, sim: &mut Sim) {
        let mut guard = 0;
        while !sim.done && guard < 40 {
            guard += 1;
            let h = Self::holder(sim);
            let is_street = self.rules.district.unit(&h).map(|u| u.kind) == Some(UnitKind::Street);
            match Self::state(sim) {
                State::Reported => {
                    // Most 咨询 are answered on the call (直接答复).
                    if intake.demand == Some(Demand::Consult) && self.pct(0.7) {
                        self.mv_r(
                            intake,
                            sim,
                            2..30,
                            &h,
                            Role::Intake,
                            Action::Answer {
                                note: "已按政策口径直接答复市民".into(),
                            },
                        );
                        continue;
                    }
                    let r: f64 = self.rng.random();
                    if r < 0.03 {
                        self.mv_r(
                            intake,
                            sim,
                            5..120,
                            &h,
                            Role::Intake,
                            Action::Reject {
                                reason: "不属于受理范围".into(),
                            },
                        );
                        return;
                    } else if r < 0.13 {
                        self.mv_r(intake, sim, 5..60, &h, Role::Intake, Action::SendToVerify);
                    } else {
                        self.mv_r(intake, sim, 5..200, &h, Role::Intake, Action::Accept);
                    }
                }
                State::Verifying => {
                    let confirmed = self.pct(0.95);
                    self.mv_r(
                        intake,
                        sim,
                        20..150,
                        &h,
                        Role::Supervisor,
                        Action::Verify {
                            confirmed,
                            note: "现场核实".into(),
                        },
                    );
                }
                State::ToRegister => {
                    if self.pct(0.02) {
                        self.mv_r(
                            intake,
                            sim,
                            5..60,
                            &h,
                            Role::ShiftLead,
                            Action::Void {
                                reason: "重复案件".into(),
                            },
                        );
                        return;
                    }
                    let category = Self::cur(sim).category.clone();
                    let grid = Self::cur(sim).grid.clone();
                    self.mv_r(
                        intake,
                        sim,
                        5..70,
                        &h,
                        Role::ShiftLead,
                        Action::Register { category, grid },
                    );
                }
                State::ToDispatch => {
                    let down = !is_street && Self::cur(sim).send_backs == 0 && self.pct(0.35);
                    if down {
                        let street = Self::cur(sim).grid.street();
                        self.mv_r(
                            intake,
                            sim,
                            5..70,
                            &h,
                            Role::Dispatcher,
                            Action::DispatchDown { unit: street },
                        );
                    } else if is_street && self.pct(0.05) {
                        let a = self.department_for(intake);
                        let mut b = self.department_for(intake);
                        if b == a {
                            b = self.departments[self.rng.random_range(0..self.departments.len())]
                                .clone();
                        }
                        let depts = if a == b { vec![a] } else { vec![a, b] };
                        if !self.mv_r(
                            intake,
                            sim,
                            5..40,
                            &h,
                            Role::ShiftLead,
                            Action::Whistle {
                                departments: depts.clone(),
                            },
                        ) {
                            return;
                        }
                        for d in depts {
                            self.mv_r(
                                intake,
                                sim,
                                5..40,
                                &d,
                                Role::Handler,
                                Action::ReportIn { unit: d.clone() },
                            );
                        }
                    } else {
                        let lead = self.department_for(intake);
                        let mut assists = Vec::new();
                        if self.pct(0.05) {
                            let other = self.departments
                                [self.rng.random_range(0..self.departments.len())]
                            .clone();
                            if other != lead {
                                assists.push(other);
                            }
                        }
                        self.mv_r(
                            intake,
                            sim,
                            5..70,
                            &h,
                            Role::Dispatcher,
                            Action::Dispatch { lead, assists },
                        );
                    }
                }
                State::Handling => self.handle(intake, sim),
                State::ToCheck => {
                    let passed = self.pct(0.92);
                    self.mv_r(
                        intake,
                        sim,
                        30..400,
                        &h,
                        Role::Supervisor,
                        Action::Check {
                            passed,
                            note: if passed {
                                "核查通过"
                            } else {
                                "未处置到位，返工"
                            }
                            .into(),
                        },
                    );
                }
                State::ToClose => {
                    self.mv_r(intake, sim, 5..120, &h, Role::ShiftLead, Action::Close);
                }
                State::Closed => {
                    if !intake.source.needs_callback() || Self::cur(sim).satisfied.is_some() {
                        return;
                    }
                    let up = self.rules.district.root().id.clone();
                    // Most callers say solved and satisfied (the seeds report ~98 %); an
                    // unsolved case is more often rated down.
                    let resolved = self.pct(0.93);
                    let (good, fair) = if resolved { (0.88, 0.08) } else { (0.3, 0.4) };
                    let roll = self.pct(good);
                    let rating = if roll {
                        Rating::Satisfied
                    } else if self.pct(fair / (1.0 - good)) {
                        Rating::Fair
                    } else {
                        Rating::Dissatisfied
                    };
                    let note = match (resolved, rating) {
                        (_, Rating::Dissatisfied) => "市民不满意，要求重办",
                        (true, _) => "市民表示已解决",
                        (false, _) => "未解决，市民理解",
                    };
                    self.mv_r(
                        intake,
                        sim,
                        60..900,
                        &up,
                        Role::Callback,
                        Action::callback(resolved, rating, note),
                    );
                }
                _ => return,
            }
        }
    }

    fn cur(sim: &Sim) -> &CaseState {
        sim.state.as_ref().expect("reported")
    }

    fn handle(&mut self, intake: &Intake, sim: &mut Sim) {
        let st = Self::cur(sim).clone();
        let h = st.holder.clone();
        let lead = st.handlers.first().cloned().unwrap_or(h.clone());
        let handler_role =
            if self.rules.district.unit(&lead).map(|u| u.kind) == Some(UnitKind::Community) {
                Role::StationChief
            } else {
                Role::Handler
            };
        let overall = st
            .overall
            .map(|d| self.rules.calendar.limit_minutes(d.limit))
            .unwrap_or(480);
        // 签收: most departments sign within the hour; some never do before their 反馈.
        if st.receipt(&lead).is_some_and(|r| r.signed.is_none()) && self.pct(0.9) {
            let minutes = if self.pct(0.85) { 5..50 } else { 60..240 };
            self.mv_r(
                intake,
                sim,
                minutes,
                &lead,
                handler_role,
                Action::SignFor { unit: lead.clone() },
            );
        }
        // 先行联系: the unit handling a citizen's case calls them first, mostly in time.
        if intake.source.needs_callback()
            && Self::cur(sim)
                .receipt(&lead)
                .is_some_and(|r| r.contacted.is_none())
            && self.pct(0.9)
        {
            let minutes = if self.pct(0.85) { 10..100 } else { 120..480 };
            self.mv_r(
                intake,
                sim,
                minutes,
                &lead,
                handler_role,
                Action::Contact {
                    unit: lead.clone(),
                    note: "已电话联系诉求人，说明处理安排".into(),
                },
            );
        }
        let st = Self::cur(sim).clone();
        if st.pending.is_none() && st.extensions == 0 && st.send_backs == 0 {
            let r: f64 = self.rng.random();
            if r < 0.03 {
                let until = st.overall.map(|d| d.due).unwrap_or(sim.t) + 3 * 24 * 60 * MINUTE;
                if !self.mv(
                    intake,
                    sim,
                    overall / 2,
                    &lead,
                    handler_role,
                    Action::Request {
                        kind: RequestKind::Extension,
                        unit: lead.clone(),
                        reason: "需协调施工，申请延期".into(),
                        until: Some(until),
                    },
                ) {
                    return;
                }
                let req = Self::cur(sim).last.clone();
                let approve = self.pct(0.8);
                let approver = if Self::cur(sim).down_from.is_some() && lead == h {
                    Self::cur(sim).down_from.clone().unwrap_or(h.clone())
                } else {
                    h.clone()
                };
                self.mv_r(
                    intake,
                    sim,
                    10..120,
                    &approver,
                    Role::ShiftLead,
                    Action::Decide {
                        request: req,
                        approve,
                        note: "同意".into(),
                    },
                );
                return;
            } else if r < 0.045 && lead != h {
                if !self.mv_r(
                    intake,
                    sim,
                    20..200,
                    &lead,
                    handler_role,
                    Action::Request {
                        kind: RequestKind::SendBack,
                        unit: lead.clone(),
                        reason: "非本部门职责".into(),
                        until: None,
                    },
                ) {
                    return;
                }
                let req = Self::cur(sim).last.clone();
                self.mv_r(
                    intake,
                    sim,
                    10..120,
                    &h,
                    Role::ShiftLead,
                    Action::Decide {
                        request: req,
                        approve: true,
                        note: "同意回退".into(),
                    },
                );
                return;
            } else if r < 0.055 {
                if !self.mv(
                    intake,
                    sim,
                    overall / 3,
                    &lead,
                    handler_role,
                    Action::Request {
                        kind: RequestKind::Park,
                        unit: lead.clone(),
                        reason: "涉及历史遗留问题".into(),
                        until: None,
                    },
                ) {
                    return;
                }
                let req = Self::cur(sim).last.clone();
                let approver = Self::cur(sim).down_from.clone().unwrap_or(h.clone());
                let approver = if lead == h { approver } else { h.clone() };
                self.mv_r(
                    intake,
                    sim,
                    30..300,
                    &approver,
                    Role::Leader,
                    Action::Decide {
                        request: req,
                        approve: true,
                        note: "同意挂账".into(),
                    },
                );
                return;
            }
        }
        if self.pct(0.04) {
            let up = self.rules.district.root().id.clone();
            if up != h {
                self.mv(
                    intake,
                    sim,
                    overall * 4 / 5,
                    &up,
                    Role::Leader,
                    Action::Supervise {
                        note: "请加快处置".into(),
                    },
                );
            }
        }
        let m = (overall as f64 * self.rng.random_range(0.15..1.15)) as u64;
        let feedback = Action::Feedback {
            unit: lead.clone(),
            note: "已处置完毕".into(),
            photos: vec![format!("photo://{}/after.jpg", intake.number)],
        };
        if st.pending.is_some() {
            sim.done = true;
            return;
        }
        // A share of departments' feedback is recorded for them by the holder's dispatcher
        // (代录), as centres do for units without a terminal.
        if lead != h
            && self.rules.district.unit(&lead).map(|u| u.kind) == Some(UnitKind::Department)
            && self.pct(0.1)
        {
            self.mv(intake, sim, m.max(5), &h, Role::Dispatcher, feedback);
        } else {
            self.mv(intake, sim, m.max(5), &lead, handler_role, feedback);
        }
    }
}

struct Sim {
    events: Vec<Event>,
    state: Option<CaseState>,
    t: Millis,
    done: bool,
}

impl Sim {
    fn push(&mut self, e: Event, s: CaseState) {
        if !e.action.is_note() {
            self.state = Some(s);
        } else if let Some(cur) = &mut self.state {
            cur.notes += 1;
        }
        self.events.push(e);
    }
}

/// A generated person (经办人) at `unit` in `role`: one of three staff per post, the one on
/// shift at `t` (shifts change every 8 hours).
fn person_of(unit: &UnitId, role: Role, t: Millis) -> String {
    const SURNAMES: [&str; 12] = [
        "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
    ];
    const GIVEN: [&str; 12] = [
        "芳", "伟", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    ];
    let shift = (t / (8 * 3_600_000)).rem_euclid(3) as u64;
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in unit.as_str().bytes().chain(role.code().bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    let h = h.wrapping_add(shift.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    format!(
        "{}{}",
        SURNAMES[(h % 12) as usize],
        GIVEN[((h >> 8) % 12) as usize]
    )
}
