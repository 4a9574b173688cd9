//! The case engine (案件引擎): reports cases and makes moves on them, each as one durable
//! store transaction that updates document, change log, projection and indexes together.

mod merge;
pub mod rebuild;
mod supervision;

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::doc::case_doc::{CaseDoc, DocError};
use crate::domain::calendar::{Millis, WorkCalendar};
use crate::domain::case_id::CaseId;
use crate::domain::catalogue::{Catalogue, CatalogueError};
use crate::domain::config::ConfigBook;
use crate::domain::event::{Action, Event, EventId};
use crate::domain::hlc::{Hlc, HlcClock};
use crate::domain::intake::{Demand, Intake, Reporter, Source};
use crate::domain::limits::StageLimits;
use crate::domain::role::Actor;
use crate::domain::unit::{District, UnitError};
use crate::store::{
    CaseSummary, CaseWrite, Envelope, Logged, NodeInfo, Store, StoreError, feed_scope,
};
use crate::workflow::{Derived, Refusal, Rules};

/// Errors of the engine; each says what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A unit or grid problem (unknown code, bad grid code).
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// A category problem.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// The workflow refused the move.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A case document failed.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// Input that is not acceptable, with why.
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// A case as entered at intake (新建案件), before validation and numbering.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewCase {
    /// 问题来源 (code or Chinese name).
    pub source: String,
    /// Category code, e.g. `E0102`.
    pub category: String,
    /// 15-digit grid code.
    pub grid: String,
    /// 地址.
    pub address: String,
    /// 描述.
    pub description: String,
    /// 坐标.
    #[serde(default)]
    pub position: Option<(f64, f64)>,
    /// 处置前 photos.
    #[serde(default)]
    pub photos: Vec<String>,
    /// 反映人.
    #[serde(default)]
    pub reporter: Option<Reporter>,
    /// 部件标识码.
    #[serde(default)]
    pub component_id: Option<String>,
    /// 演练.
    #[serde(default)]
    pub drill: bool,
    /// 应急通道: report into an emergency incident's priority lane.
    #[serde(default)]
    pub emergency: Option<crate::domain::emergency::Lane>,
    /// 诉求类型 of a 12345 case (code or Chinese name; a hotline case without one is a 投诉).
    #[serde(default)]
    pub demand: Option<String>,
}

/// A case with its trail and derived state (案卷详情), for detail views and export.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseRecord {
    /// Case id.
    pub id: CaseId,
    /// Intake fields.
    pub intake: Intake,
    /// The whole trail, in document order.
    pub events: Vec<Event>,
    /// The Automerge document itself (hex), so an import keeps its change history and later
    /// merges with other copies; absent in hand-made records, which are built from `events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// A node's engine over its store (节点引擎).
pub struct Engine {
    /// The store.
    pub store: Store,
    /// The district's units and grids.
    pub district: District,
    /// The category catalogue.
    pub catalogue: Catalogue,
    /// The working calendar.
    pub calendar: WorkCalendar,
    /// Stage limits.
    pub limits: StageLimits,
    /// The configuration versions, when the engine runs on a district's released
    /// configuration (each move judged by the version in force when it was made).
    pub book: Option<ConfigBook>,
    /// When the engine was built: the book's version in force then is its own.
    started: Millis,
    clock: Mutex<HlcClock>,
    offline: AtomicBool,
    signer: std::sync::OnceLock<Signer>,
}

/// Signs the node's own changes as they are written (签名), so the log holds them signed and
/// a feed sends them without signing work. Core holds no keys: the sync layer gives the
/// node id and a function that signs [`crate::store::signing_bytes`].
pub struct Signer {
    /// The node whose changes it signs (other authors' are left as they are).
    pub node: String,
    /// Signs the bytes with the node's key.
    pub sign: SignFn,
}

/// A function that signs bytes with a node's key.
pub type SignFn = Box<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

impl Engine {
    /// An engine over `store` with the given district configuration.
    pub fn new(
        store: Store,
        district: District,
        catalogue: Catalogue,
        calendar: WorkCalendar,
        limits: StageLimits,
    ) -> Engine {
        Engine {
            store,
            district,
            catalogue,
            calendar,
            limits,
            book: None,
            started: 0,
            clock: Mutex::new(HlcClock::new()),
            offline: AtomicBool::new(false),
            signer: std::sync::OnceLock::new(),
        }
    }

    /// An engine over `store` on a district's configuration versions: its district,
    /// catalogue, calendar and limits are those of the version in force at `now`, and replay
    /// judges each move by the version in force when it was made.
    pub fn with_book(store: Store, book: ConfigBook, now: Millis) -> Engine {
        let c = book.at(now).config.clone();
        let mut engine = Engine::new(
            store,
            c.district.clone(),
            c.catalogue.clone(),
            c.calendar.clone(),
            c.limits,
        );
        engine.book = Some(book);
        engine.started = now;
        engine
    }

    /// An engine over `store` on the demo district's configuration (demo, walkthrough,
    /// generator and tests only).
    pub fn demo(store: Store) -> Engine {
        Engine::with_book(store, ConfigBook::demo(), 0)
    }

    /// The configuration version this engine runs on (the one in force when it was built),
    /// or `None` for an engine built from parts.
    pub fn config_version(&self) -> Option<u64> {
        self.book.as_ref().map(|b| b.at(self.started).version)
    }

    /// The configuration version in force at `t` (its district, catalogue, plans, weights),
    /// or `None` for an engine built from parts.
    pub fn config_at(&self, t: Millis) -> Option<&crate::domain::config::DistrictConfig> {
        self.book.as_ref().map(|b| &*b.at(t).config)
    }

    /// The workflow rules over this engine's configuration.
    pub fn rules(&self) -> Rules<'_> {
        if let Some(book) = &self.book {
            // The book's own copy, so the rules know their configuration (always-on units).
            let c = &*book.at(self.started).config;
            return Rules {
                district: &c.district,
                catalogue: &c.catalogue,
                calendar: &c.calendar,
                limits: &c.limits,
                book: Some(book),
            };
        }
        Rules {
            district: &self.district,
            catalogue: &self.catalogue,
            calendar: &self.calendar,
            limits: &self.limits,
            book: None,
        }
    }

    /// Tells the engine whether its node has a link to any peer: moves made while it has
    /// none are marked offline (离线办理) in the trail. The sync node keeps this up to date.
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::Relaxed);
    }

    /// Whether moves made now are marked offline.
    pub fn is_offline(&self) -> bool {
        self.offline.load(Ordering::Relaxed)
    }

    /// The node's identity.
    pub fn node(&self) -> Result<NodeInfo, EngineError> {
        Ok(self.store.require_node()?)
    }

    fn tick(&self, now: Millis) -> Hlc {
        self.clock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tick(now)
    }

    /// Validates intake input into [`Intake`] (without a number yet).
    pub fn validate(&self, new: &NewCase) -> Result<Intake, EngineError> {
        let source = Source::parse(&new.source).ok_or_else(|| {
            EngineError::Invalid(format!(
                "unknown source `{}`; expected one of {}",
                new.source,
                Source::ALL.map(|s| s.code()).join(", ")
            ))
        })?;
        let category = self.catalogue.require(&new.category)?.code.clone();
        let grid = self.district.require_grid(&new.grid)?.code.clone();
        if new.address.trim().is_empty() {
            return Err(EngineError::Invalid("address is empty".into()));
        }
        if new.description.trim().is_empty() {
            return Err(EngineError::Invalid("description is empty".into()));
        }
        let demand = match new
            .demand
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            Some(d) => Some(Demand::parse(d).ok_or_else(|| {
                EngineError::Invalid(format!(
                    "unknown 诉求类型 `{d}`; expected one of {}",
                    Demand::ALL
                        .map(|x| format!("{} ({})", x.code(), x.label_zh()))
                        .join(", ")
                ))
            })?),
            None if source == Source::Hotline => Some(Demand::Complaint),
            None => None,
        };
        if demand.is_some() && source != Source::Hotline {
            return Err(EngineError::Invalid(format!(
                "a 诉求类型 belongs to a 12345 case; this one came from {}",
                source.label_zh()
            )));
        }
        Ok(Intake {
            number: String::new(),
            source,
            category,
            grid,
            component_id: new.component_id.clone(),
            address: new.address.trim().to_string(),
            position: new.position,
            description: new.description.trim().to_string(),
            photos: new.photos.clone(),
            reporter: new.reporter.clone(),
            drill: new.drill || source == Source::Drill,
            duplicate_of: None,
            emergency: new.emergency.clone(),
            demand,
        })
    }

    /// Reports a new case (上报): validates, numbers, creates the document and writes it in
    /// one durable transaction.
    pub fn report(
        &self,
        actor: &Actor,
        new: &NewCase,
        now: Millis,
    ) -> Result<CaseSummary, EngineError> {
        let intake = self.validate(new)?;
        let created = self.create(actor, intake, &CaseId::random(), None, now)?;
        Ok(created.expect("a fresh random id names no stored case"))
    }

    /// Reports a case taken in from elsewhere (外部来件) under its own `id` and `number`, as
    /// a 12345 work order is ([`crate::workload::orders`]). `Ok(None)` when `id` is already
    /// here; a number another case carries is refused, naming that case.
    pub fn report_as(
        &self,
        actor: &Actor,
        new: &NewCase,
        id: &CaseId,
        number: &str,
        now: Millis,
    ) -> Result<Option<CaseSummary>, EngineError> {
        let intake = self.validate(new)?;
        self.create(actor, intake, id, Some(number), now)
    }

    /// Creates case `id` from `intake`, numbered `number` or the unit's next number of the
    /// day, in one durable transaction; `Ok(None)` if `id` is already stored.
    fn create(
        &self,
        actor: &Actor,
        mut intake: Intake,
        id: &CaseId,
        number: Option<&str>,
        now: Millis,
    ) -> Result<Option<CaseSummary>, EngineError> {
        check_person(actor)?;
        let report = Event {
            id: EventId::random(),
            after: Vec::new(),
            at: self.tick(now),
            node: actor.node.clone(),
            unit: actor.unit.clone(),
            role: actor.role,
            action: Action::Report,
            offline: self.is_offline(),
            person: actor.person.clone(),
        };
        let rules = self.rules();
        rules.initial(&intake, &report)?;
        let wt = self.store.begin(true)?;
        if Store::holds_in(&wt, id)? {
            return Ok(None);
        }
        intake.number = match number {
            Some(n) => {
                if let Some(other) = Store::numbered_in_txn(&wt, n)?.first() {
                    return Err(EngineError::Invalid(format!(
                        "number {n} is already held by case {other}; not taken in again under another identity"
                    )));
                }
                n.to_string()
            }
            None => Store::next_number(&wt, &actor.unit, &local_day(now))?,
        };
        let doc = CaseDoc::create(id, &intake, &report)?;
        let derived = rules.replay(&intake, std::slice::from_ref(&report))?;
        let summary = CaseSummary::build(id, &intake, &derived);
        let mut changes = changes_of(&doc, id, &[], &actor.node.0);
        self.sign_own(&mut changes);
        Store::put_case(
            &wt,
            &CaseWrite {
                id,
                doc: Some(&doc),
                trail: None,
                changes,
                summary: &summary,
                scope: &feed_scope(&summary, &self.district),
                saved: None,
            },
        )?;
        wt.commit().map_err(StoreError::from)?;
        tracing::info!(case = %id, number = %intake.number, "reported");
        Ok(Some(summary))
    }

    /// Makes a move on a case: checks it against the live state (conflicts included),
    /// appends it and writes document, log and projection in one durable transaction.
    pub fn act(
        &self,
        actor: &Actor,
        id: &CaseId,
        action: Action,
        now: Millis,
    ) -> Result<CaseSummary, EngineError> {
        check_person(actor)?;
        let wt = self.store.begin(true)?;
        let (summary, derived) = self.act_in(&wt, actor, id, action, now)?;
        // 并案: the duplicates merged into a case close with it, however it closed (结案,
        // 直接答复, 自结案), each to wait for its own caller's 回访 — those this node holds;
        // `close_child` leaves one already closed.
        if derived.current.state == crate::workflow::State::Closed {
            for child in &derived.current.children {
                // A duplicate that cannot close now (in conflict, say) does not keep its 主案
                // open: it stays merged, and says why.
                match self.close_child(&wt, actor, child, id, now) {
                    Err(EngineError::Refused(why)) => {
                        tracing::warn!(case = %child, %why, "duplicate not closed with its case");
                    }
                    other => {
                        other?;
                    }
                }
            }
        }
        wt.commit().map_err(StoreError::from)?;
        Ok(summary)
    }

    /// [`Engine::act`] inside the write transaction `wt`, not committed: the new row and
    /// the derived state.
    fn act_in(
        &self,
        wt: &redb::WriteTransaction,
        actor: &Actor,
        id: &CaseId,
        action: Action,
        now: Millis,
    ) -> Result<(CaseSummary, Derived), EngineError> {
        let mut doc = Store::doc_in(wt, id)?;
        let intake = doc.intake()?;
        let mut events = doc.events()?;
        let rules = self.rules();
        let derived = rules.replay(&intake, &events)?;
        {
            let mut clock = self.clock.lock().unwrap_or_else(|p| p.into_inner());
            for e in &events {
                clock.observe(e.at);
            }
        }
        let event = Event {
            id: EventId::random(),
            after: derived.after_for(&action),
            at: self.tick(now),
            node: actor.node.clone(),
            unit: actor.unit.clone(),
            role: actor.role,
            action,
            offline: self.is_offline(),
            person: actor.person.clone(),
        };
        rules.check_live(&intake, &derived, &event)?;
        let before = doc.heads();
        doc.append(&event)?;
        events.push(event);
        let derived = rules.replay(&intake, &events)?;
        let summary = CaseSummary::build(id, &intake, &derived);
        let mut changes = changes_of(&doc, id, &before, &actor.node.0);
        self.sign_own(&mut changes);
        Store::put_case(
            wt,
            &CaseWrite {
                id,
                doc: Some(&doc),
                trail: None,
                changes,
                summary: &summary,
                scope: &feed_scope(&summary, &self.district),
                saved: None,
            },
        )?;
        Ok((summary, derived))
    }

    /// 平时/战时: the open emergency incidents covering `unit` (or summoning it).
    pub fn mode(
        &self,
        unit: &crate::domain::unit::UnitId,
    ) -> Result<crate::store::mode::Mode, EngineError> {
        let rows = self.store.read()?.incidents()?;
        Ok(crate::store::mode::Mode::of(&self.district, unit, rows))
    }

    /// 启动应急: opens an emergency incident under `plan` — reports a 突发事件 case at `grid`
    /// (the plan's category) and activates the plan on it over `area` at `level` — in two
    /// moves by `actor`. Returns the incident's row.
    #[allow(clippy::too_many_arguments)]
    pub fn open_incident(
        &self,
        actor: &Actor,
        plan: &crate::domain::emergency::Plan,
        level: u8,
        area: Vec<crate::domain::unit::UnitId>,
        grid: &str,
        address: &str,
        description: &str,
        drill: bool,
        now: Millis,
    ) -> Result<CaseSummary, EngineError> {
        let new = NewCase {
            source: if drill { "drill" } else { "superior" }.into(),
            category: plan.category.as_str().into(),
            grid: grid.into(),
            address: address.into(),
            description: description.into(),
            drill,
            ..NewCase::default()
        };
        // Check the activation before writing anything, so a refused one leaves no case.
        let intake = self.validate(&new)?;
        let activate = Action::Activate {
            plan: plan.id.clone(),
            name: plan.name.clone(),
            level,
            area,
            checklist: plan.checklist.iter().map(|s| s.text.clone()).collect(),
            limits: plan.limits,
        };
        let probe = |action: Action, after: Vec<EventId>, at: Millis| Event {
            id: EventId(format!("{:016x}", at)),
            after,
            at: Hlc {
                millis: at,
                counter: 0,
            },
            node: actor.node.clone(),
            unit: actor.unit.clone(),
            role: actor.role,
            action,
            offline: false,
            person: None,
        };
        let report = probe(Action::Report, vec![], now);
        let rules = self.rules();
        let first = rules.initial(&intake, &report)?;
        rules.check(
            &intake,
            &first,
            &probe(activate.clone(), vec![report.id.clone()], now),
        )?;
        let row = self.report(actor, &new, now)?;
        self.act(actor, &row.id, activate, now)
    }

    /// Loads a case by id or number with its trail.
    pub fn record(&self, key: &str) -> Result<CaseRecord, EngineError> {
        let r = self.store.read()?;
        let s = r
            .find(key)?
            .ok_or_else(|| StoreError::NoSuchCase(key.to_string()))?;
        let doc = r.doc(&s.id)?;
        Ok(CaseRecord {
            id: s.id,
            intake: doc.intake()?,
            events: doc.events()?,
            document: None,
        })
    }

    /// Installs the signer of this node's own changes; the first one stays (false if one
    /// was installed already).
    pub fn set_signer(&self, signer: Signer) -> bool {
        self.signer.set(signer).is_ok()
    }

    fn sign_own(&self, changes: &mut [Logged]) {
        let Some(s) = self.signer.get() else { return };
        for c in changes {
            if c.envelope.author == s.node && c.envelope.signature.is_empty() {
                c.envelope.signature =
                    (s.sign)(&crate::store::signing_bytes(&c.envelope.case, &c.hash));
            }
        }
    }

    /// Replays a record.
    pub fn derive(&self, rec: &CaseRecord) -> Result<Derived, EngineError> {
        Ok(self.rules().replay(&rec.intake, &rec.events)?)
    }
}

/// The changes in `doc` since `before`, as unsigned envelopes by `author` for the log (the
/// engine signs its node's own with its [`Signer`]; the feed signs any left unsigned).
pub fn changes_of(
    doc: &CaseDoc,
    case: &CaseId,
    before: &[automerge::ChangeHash],
    author: &str,
) -> Vec<Logged> {
    doc.automerge()
        .get_changes(before)
        .into_iter()
        .map(|c| Logged {
            hash: c.hash().0.to_vec(),
            envelope: Envelope {
                case: case.0.clone(),
                author: author.to_string(),
                change: c.raw_bytes().to_vec(),
                signature: Vec::new(),
            },
            origin: String::new(),
        })
        .collect()
}

/// The actor's person (经办人), if named, is a name an operator can have.
fn check_person(actor: &Actor) -> Result<(), EngineError> {
    match actor.person.as_deref().and_then(Actor::person_problem) {
        Some(why) => Err(EngineError::Invalid(format!(
            "operator `{}`: {why}",
            actor.person.as_deref().unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

/// The Beijing-time calendar day of `now` as `yyyymmdd`, for case numbers.
pub fn local_day(now: Millis) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%Y%m%d")
        .to_string()
}
