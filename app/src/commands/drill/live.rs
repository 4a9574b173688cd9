//! `gridloop drill run` (演练): plays a scenario on the live demo district — its injections
//! reported at the grid's community node, its cuts and restores made on the real links — while
//! the demo's operators work the cases; then prints the after-action report with the time each
//! restored link took to catch up both ways. `gridloop drill purge` (演练清除) issues the
//! district's signed order that removes drill cases on every node.

use anyhow::{Context, Result, anyhow};
use std::path::Path;
use std::time::{Duration, Instant};

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::drill::runner::{DrillWorld, Happened, Runner};
use gridloop_core::drill::{Injection, after_action};
use gridloop_sync::node::LinkState;

use crate::demo::DemoDistrict;

fn live_both_ways(demo: &DemoDistrict, a: &str, b: &str) -> bool {
    let sees = |x: &str, y: &str| {
        demo.node(x).is_some_and(|n| {
            n.node
                .peers()
                .iter()
                .any(|p| p.node == y && p.state == LinkState::Live)
        })
    };
    sees(a, b) && sees(b, a)
}

/// The live demo district as the drill runner's world: injections reported at the grid's
/// community node (else the district's), links cut and restored on the real nodes.
struct Demo<'a> {
    demo: &'a DemoDistrict,
    /// Why the last injection failed, kept whole for the command's error.
    failure: Option<anyhow::Error>,
}

impl Demo<'_> {
    fn report_one(&self, inj: &Injection) -> Result<(String, String)> {
        let cell = demo_grid_community(&inj.grid)?;
        let n = self
            .demo
            .nodes
            .iter()
            .find(|n| n.unit == cell)
            .or_else(|| self.demo.node("d"))
            .context("no node to report at")?;
        let role = if n.name.starts_with('c') {
            Role::GridWorker
        } else {
            Role::Intake
        };
        let now = crate::common::clock();
        let actor = Actor {
            node: NodeId(n.name.clone()),
            unit: n.unit.clone(),
            role,
            person: None,
        };
        let s = n.engine().report(&actor, &inj.new_case(), now)?;
        Ok((n.name.clone(), s.number))
    }
}

impl DrillWorld for Demo<'_> {
    fn report(&mut self, inj: &Injection) -> Result<(String, String), String> {
        self.report_one(inj).map_err(|e| {
            let text = e.to_string();
            self.failure = Some(e);
            text
        })
    }

    fn reported(&mut self, node: &str) {
        if let Some(n) = self.demo.node(node) {
            n.node.notify_changed();
        }
    }

    fn set_link(&mut self, a: &str, b: &str, up: bool) -> Result<(), String> {
        if up {
            self.demo.restore(a, b);
        } else {
            self.demo.cut(a, b);
        }
        Ok(())
    }

    fn live_both_ways(&self, a: &str, b: &str) -> bool {
        live_both_ways(self.demo, a, b)
    }
}

/// Runs the scenario at `speed` (60: one scenario minute a second), then prints the report.
pub fn run(path: &Path, speed: f64, keep: Option<&Path>, json: bool) -> Result<()> {
    if !(speed.is_finite() && speed > 0.0) {
        return Err(anyhow!(
            "bad --speed {speed}: give a number above 0, e.g. 60"
        ));
    }
    let plan = super::scenario::read_plan(path)?;
    let demo = DemoDistrict::start(keep, 0, &|m| say_err!("demo: {m}"))?;
    say_err!(
        "演练「{}」 on the demo district in {} at {speed}× speed",
        plan.scenario.name,
        demo.dir.display()
    );
    let driver = demo.drive(Duration::from_millis(200));
    let start = Instant::now();
    let real = |at: Millis| Duration::from_secs_f64(at as f64 / 1000.0 / speed);
    let mut converge: Vec<(String, Millis, Millis)> = Vec::new();
    let mut injected = 0u32;
    let result = (|| -> Result<()> {
        // The one drill runner, timing each restore alone (no cue plays while a restored
        // link catches up) and giving up on a link after 60 s.
        let mut runner = Runner::new(plan.clone())
            .hold_cues_while_restoring()
            .give_up_after(Duration::from_secs(60));
        let mut world = Demo {
            demo: &demo,
            failure: None,
        };
        // Wall time of each restore, as the report prints it.
        let mut restored: Vec<(String, String, Millis)> = Vec::new();
        let mut clock = 0;
        while !runner.done() {
            if !runner.restoring()
                && let Some(at) = runner.next_at()
            {
                if let Some(wait) = real(at).checked_sub(start.elapsed()) {
                    std::thread::sleep(wait);
                }
                clock = at;
            }
            for h in runner.step(clock, &mut world) {
                let stamp = |at: Millis| format!("+{:>5.1}m", at as f64 / 60_000.0);
                match h {
                    Happened::Reported {
                        at,
                        node,
                        number,
                        description,
                    } => {
                        injected += 1;
                        say_err!("{}  注入 {number} at {node} ({description})", stamp(at));
                    }
                    Happened::Failed { why, .. } => {
                        return Err(world.failure.take().unwrap_or_else(|| anyhow!(why)));
                    }
                    Happened::Link {
                        at,
                        a,
                        b,
                        up: false,
                        ..
                    } => say_err!("{}  断开 {a}–{b}", stamp(at)),
                    Happened::Link { a, b, up: true, .. } => {
                        restored.push((a, b, crate::common::clock()));
                    }
                    Happened::Converged {
                        a,
                        b,
                        restored_at,
                        took,
                    } => {
                        say_err!(
                            "{}  恢复 {a}–{b}: caught up both ways in {took} ms",
                            stamp(restored_at)
                        );
                        let at = restored
                            .iter()
                            .rev()
                            .find(|(x, y, _)| *x == a && *y == b)
                            .map_or(restored_at, |r| r.2);
                        converge.push((format!("{a}–{b}"), at, took));
                    }
                    Happened::GaveUp { a, b } => {
                        return Err(anyhow!("link {a}–{b} did not catch up within 60 s"));
                    }
                    Happened::PlayedOut => {}
                }
            }
            if runner.restoring() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Let the operators finish for as long as the longest expectation allows.
        let tail = plan
            .expectations
            .iter()
            .map(|(_, w)| *w)
            .max()
            .unwrap_or(10 * 60_000);
        std::thread::sleep(real(tail));
        Ok(())
    })();
    demo.notify_all();
    std::thread::sleep(Duration::from_millis(500));
    let d = demo.node("d").context("the district node")?;
    let rows: Vec<_> = {
        let r = d.engine().store.read()?;
        r.reported_rows(Millis::MIN, Millis::MAX)?
            .into_iter()
            .filter(|s| s.drill)
            .collect()
    };
    // Limits run on the drill's clock: scaled like the scenario.
    let scaled: Vec<_> = plan
        .expectations
        .iter()
        .map(|(s, w)| (*s, (*w as f64 / speed) as Millis))
        .collect();
    let mut report = after_action(&rows, &d.engine().district, &scaled);
    report.converge = converge;
    demo.shutdown();
    let _ = driver.join();
    result?;
    say_err!(
        "injected {injected} drill cases; the district holds {}",
        report.cases
    );
    if json {
        say!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        super::after_action::print_after_action(
            &report,
            &gridloop_core::domain::unit::District::demo(),
            speed,
        );
    }
    Ok(())
}

fn demo_grid_community(grid: &str) -> Result<gridloop_core::domain::unit::UnitId> {
    Ok(gridloop_core::domain::unit::District::demo()
        .require_grid(grid)?
        .community
        .clone())
}

/// `gridloop drill purge`: signs a purge order as the operator (a district 值班长 or 领导),
/// puts it in force here and leaves it for sync to carry to every node.
pub fn purge(
    dir: &Path,
    before: Option<&str>,
    note: &str,
    as_: Option<&str>,
    dry_run: bool,
    now: Millis,
) -> Result<()> {
    let replica = crate::common::open_replica(dir)?;
    let engine = replica.engine();
    let before = match before {
        Some(t) => crate::common::parse_time(t)?,
        None => engine.store.read()?.drill_purge_point(now)?,
    };
    let who = crate::common::actor(engine, as_)?;
    let cases = engine.store.read()?.drill_cases(before)?;
    if dry_run {
        say!(
            "{} drill case(s) reported before {} would be purged here (演练案件 {} 件):",
            cases.len(),
            crate::output::time(before),
            cases.len()
        );
        let r = engine.store.read()?;
        for id in &cases {
            if let Some(s) = r.summary(id)? {
                say!(
                    "  {}  {}  {}",
                    s.number,
                    crate::output::time(s.reported),
                    s.address
                );
            }
        }
        return Ok(());
    }
    match issue_purge(&replica, &who, before, note, now)? {
        Some(done) => say!(
            "purged {} drill case(s) ({} change(s)) reported before {}; the order goes to every \
             node as it syncs (已清除演练案件 {} 件)",
            done.cases,
            done.changes,
            crate::output::time(before),
            done.cases
        ),
        None => say!(
            "a purge reaching {} or later is already in force; nothing to do",
            crate::output::time(before)
        ),
    }
    Ok(())
}

/// Issues a drill purge order as `who` on this node: refused unless `who` works at the
/// district (and, when the order is checked against the roster, unless the node is a
/// district node whose entry grants a 值班长 or 领导). What went here, or `None` if a purge
/// reaching as far is already in force.
pub fn issue_purge(
    replica: &gridloop_sync::replica::NodeReplica,
    who: &Actor,
    before: Millis,
    note: &str,
    now: Millis,
) -> Result<Option<gridloop_core::store::PurgeReport>> {
    let district = &replica.engine().district;
    if who.unit != district.root().id {
        return Err(anyhow!(
            "only the district command centre may purge drills; this operator is at {} \
             (use --as shift_lead@{} on a district node)",
            who.unit,
            district.root().id
        ));
    }
    let order = gridloop_sync::purge::PurgeOrder {
        district: district.root().id.0.clone(),
        before,
        issuer: who.node.0.clone(),
        role: who.role,
        at: now,
        note: note.to_string(),
    };
    replica
        .issue_purge(&order)
        .context("the purge order was refused")
}
