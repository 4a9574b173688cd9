//! What each subcommand does, over the engine.

use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use gridloop_core::calendar::{Light, Millis};
use gridloop_core::case::Reporter;
use gridloop_core::engine::{CaseRecord, Engine, EngineError, NewCase};
use gridloop_core::event::{Action, RequestKind};
use gridloop_core::generate::{Generator, node_of};
use gridloop_core::role::{Actor, NodeId, Role};
use gridloop_core::store::{LightFilter, Store};
use gridloop_core::unit::UnitId;
use gridloop_core::workflow::State;

use crate::cli::{Cli, Command, DistrictCmd, DrillCmd, LightArg, ListArgs, Move, NewArgs};
use crate::output;

/// The store file inside a data directory.
pub const STORE_FILE: &str = "gridloop.redb";

/// The data directory: `--data`, else the platform's data directory.
pub fn data_dir(arg: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = arg {
        return Ok(d.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("org", "gridloop", "gridloop")
        .ok_or_else(|| anyhow!("no home directory; pass --data DIR"))?;
    Ok(dirs.data_dir().to_path_buf())
}

/// Parses `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM[:SS]`, or a bare date) in Beijing time.
pub fn parse_time(s: &str) -> Result<Millis> {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
    let s = s.trim().replace('T', " ");
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&s, fmt) {
            return Ok(t
                .and_local_timezone(tz)
                .single()
                .expect("fixed offset")
                .timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).expect("midnight");
        return Ok(t
            .and_local_timezone(tz)
            .single()
            .expect("fixed offset")
            .timestamp_millis());
    }
    bail!("bad time `{s}`: expected `YYYY-MM-DD HH:MM` (Beijing time) or `YYYY-MM-DD`")
}

fn now(cli_now: Option<&str>) -> Result<Millis> {
    match cli_now {
        Some(s) => parse_time(s),
        None => Ok(chrono::Utc::now().timestamp_millis()),
    }
}

/// Opens the engine over the store in `dir`.
pub fn open_engine(dir: &Path) -> Result<Engine> {
    let path = dir.join(STORE_FILE);
    if !path.exists() {
        bail!(
            "no store at {}; run `gridloop init --unit UNIT --role ROLE` first",
            path.display()
        );
    }
    let store = Store::open(&path)?;
    engine_over(store)
}

/// An engine over `store`, first rebuilding the projection from the documents when an older
/// version of gridloop wrote it (with a progress bar; nothing else in the store changes).
pub fn engine_over(store: Store) -> Result<Engine> {
    let engine = Engine::demo(store);
    if engine.store.projection_stale() {
        let bar = output::progress(0, "重建摘要 rebuilding the projection");
        let done = gridloop_core::rebuild::rebuild_if_stale(&engine, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .with_context(|| {
            format!(
                "rebuilding the projection of {}",
                engine.store.path().display()
            )
        })?;
        bar.finish_and_clear();
        if let Some(r) = done {
            eprintln!(
                "rebuilt the projection of {} cases{}",
                r.cases,
                if r.failed.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} cases no longer replay and were left out (see the log)",
                        r.failed.len()
                    )
                }
            );
        }
    }
    Ok(engine)
}

/// A unit by code or exact name.
pub fn resolve_unit(engine: &Engine, s: &str) -> Result<UnitId> {
    let id = UnitId::from(s.trim());
    if engine.district.unit(&id).is_some() {
        return Ok(id);
    }
    engine
        .district
        .find_by_name(s.trim())
        .map(|u| u.id.clone())
        .ok_or_else(|| {
            anyhow!("unknown unit `{s}`: give a unit code (e.g. 110101001) or its exact name")
        })
}

/// The operator: the node's default unit and role, or `role@unit` from `--as`.
pub fn actor(engine: &Engine, as_: Option<&str>) -> Result<Actor> {
    let node = engine.node()?;
    match as_ {
        None => Ok(Actor {
            node: node.node,
            unit: node.unit,
            role: node.role,
        }),
        Some(s) => {
            let (role, unit) = s.split_once('@').ok_or_else(|| {
                anyhow!("bad --as `{s}`: expected ROLE@UNIT, e.g. dispatcher@110101")
            })?;
            let role = Role::parse(role).ok_or_else(|| anyhow!("unknown role `{role}` in --as"))?;
            Ok(Actor {
                node: node.node,
                unit: resolve_unit(engine, unit)?,
                role,
            })
        }
    }
}

/// Runs one command line.
pub fn run(cli: Cli) -> Result<()> {
    let dir = data_dir(cli.data.as_deref())?;
    let at = now(cli.now.as_deref())?;
    let Some(command) = cli.command else {
        let listen = "0.0.0.0:7447".parse().expect("valid address");
        return crate::window::open_node(&dir, listen);
    };
    match command {
        Command::Init { unit, role, node } => init(&dir, &unit, &role, node.as_deref()),
        Command::New(args) => new_case(&dir, args, at),
        Command::Report(args) => crate::reports::run(&dir, args, at),
        Command::Emergency { plans, cmd } => crate::emergency::run(&dir, plans.as_deref(), cmd, at),
        Command::Drill { cmd } => match cmd {
            DrillCmd::Check { scenario } => crate::reports::drill_check(&scenario),
            DrillCmd::Run {
                scenario,
                speed,
                keep,
                json,
            } => crate::drill::run(&scenario, speed, keep.as_deref(), json),
            DrillCmd::Purge {
                before,
                note,
                as_,
                dry_run,
            } => crate::drill::purge(&dir, before.as_deref(), &note, as_.as_deref(), dry_run, at),
            DrillCmd::Report { scenario, json } => {
                crate::reports::drill_report(&dir, scenario.as_deref(), json)
            }
        },
        Command::List(args) => list(&dir, args, at),
        Command::Show { case, json } => show(&dir, &case, json, at),
        Command::Act { case, as_, mv } => act(&dir, &case, as_.as_deref(), mv, at),
        Command::Import { file } => import(&dir, &file),
        Command::Export { file } => export(&dir, &file),
        Command::Generate {
            cases,
            days,
            seed,
            workers,
        } => generate(&dir, cases, days, seed, workers, at),
        Command::Walkthrough { keep } => crate::walkthrough::run(keep.as_deref()),
        Command::Status => status(&dir, at),
        Command::District { cmd } => match cmd {
            DistrictCmd::Create { dir, relay } => crate::net::district_create(&dir, relay),
            DistrictCmd::Enrol {
                dir,
                node,
                key,
                unit,
                role,
                addr,
                link,
            } => crate::net::district_enrol(
                &dir,
                crate::net::Enrolment {
                    node,
                    key,
                    unit,
                    roles: role,
                    addrs: addr,
                    links: link,
                },
            ),
            DistrictCmd::Revoke { dir, node } => crate::net::district_revoke(&dir, &node),
        },
        Command::Identity => crate::net::identity(&dir),
        Command::Join { roster, role } => crate::net::join(&dir, &roster, role.as_deref()),
        Command::Node {
            listen,
            mdns,
            quiet,
        } => crate::net::run_node(&dir, listen, mdns, quiet),
        Command::Peers => crate::net::peers(&dir),
        Command::Demo {
            headless,
            history,
            seconds,
            keep,
        } => {
            if headless {
                crate::demo::run_headless(keep.as_deref(), history, seconds)
            } else {
                crate::window::open_demo(keep, history)
            }
        }
    }
}

fn init(dir: &Path, unit: &str, role: &str, node: Option<&str>) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    let path = dir.join(STORE_FILE);
    let store = Store::open(&path)?;
    let engine = Engine::demo(store);
    let unit = resolve_unit(&engine, unit)?;
    let role = Role::parse(role).ok_or_else(|| {
        anyhow!(
            "unknown role `{role}`; expected one of {}",
            Role::ALL.map(|r| r.code()).join(", ")
        )
    })?;
    let node = node
        .map(|n| NodeId(n.to_string()))
        .unwrap_or_else(|| node_of(&unit));
    engine.store.set_node(&node, &unit, role)?;
    let u = engine.district.unit(&unit).expect("resolved");
    println!(
        "initialised node {node} for {} ({}) as {} — store {}",
        u.name,
        u.id,
        role.label_zh(),
        path.display()
    );
    Ok(())
}

fn new_case(dir: &Path, a: NewArgs, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let actor = actor(&engine, a.as_.as_deref())?;
    let reporter = match (a.reporter_name, a.reporter_phone) {
        (None, None) => None,
        (n, p) => Some(Reporter {
            name: n.unwrap_or_default(),
            phone: p.unwrap_or_default(),
        }),
    };
    let new = NewCase {
        source: a.source,
        category: a.category,
        grid: a.grid,
        address: a.address,
        description: a.description,
        position: None,
        photos: a.photo,
        reporter,
        component_id: None,
        drill: a.drill,
        emergency: if a.emergency {
            Some(crate::emergency::lead_lane(&engine, &actor.unit)?)
        } else {
            None
        },
    };
    let s = engine.report(&actor, &new, at)?;
    println!(
        "reported {} ({}) — {} at {}",
        s.number,
        s.id,
        s.state.label_zh(),
        s.holder
    );
    Ok(())
}

fn parse_state(s: &str) -> Result<State> {
    State::parse(s).ok_or_else(|| {
        anyhow!(
            "unknown state `{s}`; expected one of {}",
            State::ALL.map(|x| x.code()).join(", ")
        )
    })
}

fn list(dir: &Path, a: ListArgs, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let node = engine.node()?;
    let r = engine.store.read()?;
    let rows = if a.overdue {
        let scope = node.unit.clone();
        let d = &engine.district;
        r.overdue(at, &|h| d.is_same_or_above(&scope, h), a.limit)?
    } else if let Some(g) = &a.grid {
        let cell = engine.district.require_grid(g)?;
        r.by_grid(&cell.code, i64::MIN, i64::MAX, a.limit)?
    } else if let Some(c) = &a.category {
        let m = engine.catalogue.require(c)?;
        r.by_category(&m.code, i64::MIN, i64::MAX, a.limit)?
    } else if let Some(t) = &a.search {
        r.search_text(t, a.limit)?
    } else if let Some(since) = &a.since {
        r.by_time(parse_time(since)?, i64::MAX, a.limit)?
    } else {
        let holder = match &a.holder {
            Some(h) => resolve_unit(&engine, h)?,
            None => node.unit.clone(),
        };
        let states: Vec<State> = if a.state.is_empty() {
            State::ALL
                .into_iter()
                .filter(|s| s.is_open() || *s == State::Closed)
                .collect()
        } else {
            a.state
                .iter()
                .map(|s| parse_state(s))
                .collect::<Result<_>>()?
        };
        let light = match a.light {
            None => LightFilter::Any,
            Some(LightArg::Green) => LightFilter::Only(Light::Green),
            Some(LightArg::Yellow) => LightFilter::Only(Light::Yellow),
            Some(LightArg::Red) => LightFilter::Only(Light::Red),
        };
        r.inbox(&holder, &states, light, at, a.limit)?
    };
    if a.json {
        for s in &rows {
            println!("{}", serde_json::to_string(s)?);
        }
    } else if a.csv {
        print!(
            "{}",
            gridloop_core::report::cases_csv(
                &rows,
                &engine.district,
                &engine.catalogue,
                &engine.calendar,
                at
            )
        );
    } else {
        output::table(&engine, &rows, at);
    }
    Ok(())
}

fn show(dir: &Path, key: &str, json: bool, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let rec = engine.record(key)?;
    let derived = engine.derive(&rec)?;
    if json {
        let v = serde_json::json!({ "record": rec, "derived": derived });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        output::detail(&engine, &rec, &derived, at);
    }
    Ok(())
}

fn act(dir: &Path, key: &str, as_: Option<&str>, mv: Move, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let actor = actor(&engine, as_)?;
    let rec = engine.record(key)?;
    let derived = engine.derive(&rec)?;
    let cur = &derived.current;
    let action = match mv {
        Move::Accept => Action::Accept,
        Move::SendToVerify => Action::SendToVerify,
        Move::Reject { reason } => Action::Reject { reason },
        Move::Verify { not_found, note } => Action::Verify {
            confirmed: !not_found,
            note,
        },
        Move::Register { category, grid } => Action::Register {
            category: match category {
                Some(c) => engine.catalogue.require(&c)?.code.clone(),
                None => cur.category.clone(),
            },
            grid: match grid {
                Some(g) => engine.district.require_grid(&g)?.code.clone(),
                None => cur.grid.clone(),
            },
        },
        Move::Void { reason } => Action::Void { reason },
        Move::Dispatch { lead, assist } => Action::Dispatch {
            lead: resolve_unit(&engine, &lead)?,
            assists: assist
                .iter()
                .map(|a| resolve_unit(&engine, a))
                .collect::<Result<_>>()?,
        },
        Move::DispatchDown { unit } => Action::DispatchDown {
            unit: resolve_unit(&engine, &unit)?,
        },
        Move::Feedback { note, photo } => Action::Feedback {
            unit: cur
                .handlers
                .first()
                .cloned()
                .ok_or_else(|| anyhow!("the case has no handler to feed back for"))?,
            note,
            photos: photo,
        },
        Move::Request {
            kind,
            reason,
            until,
        } => {
            let kind = match kind.as_str() {
                "send_back" | "回退" => RequestKind::SendBack,
                "extension" | "延期" => RequestKind::Extension,
                "park" | "挂账" => RequestKind::Park,
                other => {
                    bail!("unknown request kind `{other}`: expected send_back, extension or park")
                }
            };
            let unit = if cur.handlers.contains(&actor.unit) {
                actor.unit.clone()
            } else {
                cur.handlers
                    .first()
                    .cloned()
                    .ok_or_else(|| anyhow!("the case has no handler"))?
            };
            Action::Request {
                kind,
                unit,
                reason,
                until: until.map(|u| parse_time(&u)).transpose()?,
            }
        }
        Move::Approve { note } => Action::Decide {
            request: pending(cur)?,
            approve: true,
            note,
        },
        Move::Deny { note } => Action::Decide {
            request: pending(cur)?,
            approve: false,
            note,
        },
        Move::Reactivate => Action::Reactivate,
        Move::Pass { note } => Action::Check { passed: true, note },
        Move::Fail { note } => Action::Check {
            passed: false,
            note,
        },
        Move::Close => Action::Close,
        Move::Callback { unsatisfied, note } => Action::Callback {
            satisfied: !unsatisfied,
            note,
        },
        Move::Escalate { reason } => Action::Escalate { reason },
        Move::Whistle { department } => Action::Whistle {
            departments: department
                .iter()
                .map(|d| resolve_unit(&engine, d))
                .collect::<Result<_>>()?,
        },
        Move::ReportIn { department } => Action::ReportIn {
            unit: resolve_unit(&engine, &department)?,
        },
        Move::Supervise { note } => Action::Supervise { note },
        Move::Urge { note } => Action::Urge { note },
        Move::SelfHandle => Action::SelfHandle,
        Move::SelfClose { evidence, note } => Action::SelfClose { evidence, note },
        Move::Resolve { keep, note } => Action::Resolve {
            keep: gridloop_core::event::EventId(keep),
            note,
        },
    };
    let label = action.label_zh();
    let s = engine.act(&actor, &rec.id, action, at)?;
    println!(
        "{label}: {} now {} at {}{}",
        s.number,
        s.state.label_zh(),
        engine
            .district
            .unit(&s.holder)
            .map(|u| u.name.as_str())
            .unwrap_or(s.holder.as_str()),
        if s.conflict {
            " — 冲突 (conflict)"
        } else {
            ""
        }
    );
    Ok(())
}

fn pending(cur: &gridloop_core::workflow::CaseState) -> Result<gridloop_core::event::EventId> {
    cur.pending
        .as_ref()
        .map(|p| p.id.clone())
        .ok_or_else(|| anyhow!("no request is waiting for approval on this case"))
}

fn read_records(file: &Path) -> Result<impl Iterator<Item = Result<CaseRecord, EngineError>>> {
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let name = file.display().to_string();
    Ok(std::io::BufReader::new(f)
        .lines()
        .enumerate()
        .filter_map(move |(i, line)| match line {
            Ok(l) if l.trim().is_empty() => None,
            Ok(l) => Some(serde_json::from_str::<CaseRecord>(&l).map_err(|e| {
                EngineError::Invalid(format!("{name}:{}: not a case record: {e}", i + 1))
            })),
            Err(e) => Some(Err(EngineError::Invalid(format!("{name}:{}: {e}", i + 1)))),
        }))
}

fn import(dir: &Path, file: &Path) -> Result<()> {
    let engine = open_engine(dir)?;
    // First pass: every line parses, its document (if any) loads, and its trail replays
    // under the rules — nothing is written unless the whole file is sound.
    let mut n = 0u64;
    for (i, rec) in read_records(file)?.enumerate() {
        let rec = rec?;
        let id = rec.id.clone();
        gridloop_core::bulk::build(&engine.rules(), rec)
            .with_context(|| format!("{}: record {} (case {id})", file.display(), i + 1))?;
        n += 1;
    }
    let me = engine.node()?.node;
    let bar = output::progress(n, "导入 importing");
    let report = gridloop_core::bulk::import(
        &engine.store,
        engine.rules(),
        &me,
        read_records(file)?,
        workers(None),
        &|done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    println!(
        "imported {} new, merged {} existing, {} unchanged from {}",
        report.added,
        report.merged,
        report.unchanged,
        file.display()
    );
    Ok(())
}

fn export(dir: &Path, file: &Path) -> Result<()> {
    let engine = open_engine(dir)?;
    let r = engine.store.read()?;
    let ids = r.case_ids()?;
    let f =
        std::fs::File::create(file).with_context(|| format!("cannot create {}", file.display()))?;
    let mut w = BufWriter::new(f);
    let bar = output::progress(ids.len() as u64, "导出 exporting");
    for (i, id) in ids.iter().enumerate() {
        let doc = r.doc(id)?;
        let rec = CaseRecord {
            id: id.clone(),
            intake: doc.intake()?,
            events: doc.events()?,
            document: Some(gridloop_core::case::to_hex(&doc.save())),
        };
        serde_json::to_writer(&mut w, &rec)?;
        w.write_all(b"\n")?;
        if i % 1000 == 0 {
            bar.set_position(i as u64);
        }
    }
    w.flush()?;
    bar.finish_and_clear();
    println!("exported {} cases to {}", ids.len(), file.display());
    Ok(())
}

fn workers(arg: Option<usize>) -> usize {
    arg.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    })
}

fn generate(
    dir: &Path,
    cases: u64,
    days: u32,
    seed: u64,
    w: Option<usize>,
    at: Millis,
) -> Result<()> {
    let engine = open_engine(dir)?;
    let start = at - i64::from(days) * 24 * 3600 * 1000;
    let rules = engine.rules();
    let bar = output::progress(cases, "生成 generating");
    let mut generator = Generator::new(rules, seed, start, days, at);
    let source = (0..cases).map(move |_| Ok(generator.next_case()));
    let t0 = std::time::Instant::now();
    let me = engine.node()?.node;
    let report =
        gridloop_core::bulk::import(&engine.store, rules, &me, source, workers(w), &|done| {
            bar.set_position(done)
        })?;
    bar.finish_and_clear();
    println!(
        "generated {} cases over {days} days in {:.1} s ({} merged)",
        report.added,
        t0.elapsed().as_secs_f64(),
        report.merged
    );
    Ok(())
}

fn status(dir: &Path, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let node = engine.node()?;
    let r = engine.store.read()?;
    let u = engine
        .district
        .unit(&node.unit)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    println!("node     {}", node.node);
    println!("unit     {} ({})", u, node.unit);
    println!("role     {}", node.role.label_zh());
    println!("epoch    {}", node.epoch);
    println!("store    {}", engine.store.path().display());
    println!("cases    {}", r.count()?);
    println!("log head {}", r.log_head()?);
    let d = &engine.district;
    let scope = node.unit.clone();
    println!(
        "overdue  {}",
        r.overdue(at, &|h| d.is_same_or_above(&scope, h), usize::MAX)?
            .len()
    );
    for (st, n) in r.queue_counts(&node.unit)? {
        println!("  {:<6} {n}", st.label_zh());
    }
    let q = r.quarantined()?;
    println!("quarantine {}", q.len());
    Ok(())
}
