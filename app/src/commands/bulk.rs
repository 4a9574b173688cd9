//! Cases in bulk (批量): import (导入) and export (导出) JSON-lines case records, and generate the
//! synthetic workload of the demo district (模拟数据).

use anyhow::{Context, Result};
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::engine::{CaseRecord, EngineError};
use gridloop_core::workload::generate::Generator;

use crate::common::open_engine;
use crate::output;

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

/// `gridloop import-orders` (工单导入): reads and checks every order of the file (it parses,
/// its number and call time read, its case would be valid here) and takes none in unless all
/// are sound; then takes each in as a hotline case at this node, leaving an order already
/// here as it is.
pub fn import_orders(dir: &Path, file: &Path, as_: Option<&str>) -> Result<()> {
    use gridloop_core::workload::orders::WorkOrder;
    let engine = open_engine(dir)?;
    let mut actor = crate::common::checked_actor(dir, &engine, as_)?;
    if as_.is_none() {
        actor.role = gridloop_core::domain::role::Role::Intake;
    }
    let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let name = file.display().to_string();
    let mut orders: Vec<(WorkOrder, Millis)> = Vec::new();
    let mut wrong = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{name}:{}", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let checked = serde_json::from_str::<WorkOrder>(&line)
            .map_err(|e| format!("not a work order: {e}"))
            .and_then(|o| {
                let n = o.number()?;
                let id = gridloop_core::workload::orders::order_case_id(n);
                let held = engine.store.read().and_then(|r| r.numbered(n));
                if let Some(other) = held.map_err(|e| e.to_string())?.iter().find(|c| **c != id) {
                    return Err(format!(
                        "number {n} is already held by case {other}, another identity"
                    ));
                }
                let at =
                    crate::common::parse_time(&o.received).map_err(|e| format!("received: {e}"))?;
                engine.validate(&o.new_case()).map_err(|e| e.to_string())?;
                Ok((o, at))
            });
        match checked {
            Ok(o) => orders.push(o),
            Err(why) => wrong.push(format!("{name}:{}: {why}", i + 1)),
        }
    }
    if !wrong.is_empty() {
        anyhow::bail!(
            "{} was not taken in ({} of its orders are wrong):\n  {}",
            file.display(),
            wrong.len(),
            wrong.join("\n  ")
        );
    }
    let (mut taken, mut already) = (0u64, 0u64);
    for (o, at) in &orders {
        match gridloop_core::workload::orders::receive(&engine, &actor, o, *at)
            .with_context(|| format!("order {}", o.order_no))?
        {
            Some(_) => taken += 1,
            None => already += 1,
        }
    }
    say!("took in {taken} work orders as 12345 cases; {already} already here, left as they were");
    Ok(())
}

/// `gridloop import` (导入): checks the whole file, then imports it.
pub fn import(dir: &Path, file: &Path) -> Result<()> {
    let engine = open_engine(dir)?;
    crate::common::require_import(dir, &engine.node()?.node.0)?;
    // First pass: every line parses, its document (if any) loads, its trail replays under
    // the rules, it is in this node's scope and its number names no other case — nothing is
    // written unless the whole file is sound.
    let n =
        gridloop_core::workload::bulk::check(&engine.store, &engine.rules(), read_records(file)?)
            .with_context(|| format!("{} was not imported", file.display()))?;
    let me = engine.node()?.node;
    let bar = output::progress(n, "导入 importing");
    let report = gridloop_core::workload::bulk::import(
        &engine.store,
        engine.rules(),
        &me,
        read_records(file)?,
        workers(None),
        &|done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    say!(
        "imported {} new, merged {} existing, {} unchanged from {}",
        report.added,
        report.merged,
        report.unchanged,
        file.display()
    );
    Ok(())
}

/// `gridloop export` (导出): every case this node holds, one record a line.
pub fn export(dir: &Path, file: &Path) -> Result<()> {
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
            document: Some(gridloop_core::doc::case_doc::to_hex(&doc.save())),
        };
        serde_json::to_writer(&mut w, &rec)?;
        w.write_all(b"\n")?;
        if i % 1000 == 0 {
            bar.set_position(i as u64);
        }
    }
    w.flush()?;
    bar.finish_and_clear();
    say!("exported {} cases to {}", ids.len(), file.display());
    Ok(())
}

fn workers(arg: Option<usize>) -> usize {
    arg.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    })
}

/// `gridloop generate` (模拟数据): `cases` synthetic cases over the `days` before `at`.
pub fn generate(
    dir: &Path,
    cases: u64,
    days: u32,
    seed: u64,
    w: Option<usize>,
    at: Millis,
) -> Result<()> {
    let engine = open_engine(dir)?;
    crate::common::require_import(dir, &engine.node()?.node.0)?;
    let start = at - i64::from(days) * 24 * 3600 * 1000;
    let rules = engine.rules();
    let bar = output::progress(cases, "生成 generating");
    let mut generator = Generator::new(rules, seed, start, days, at);
    let source = (0..cases).map(move |_| Ok(generator.next_case()));
    let t0 = std::time::Instant::now();
    let me = engine.node()?.node;
    let report = gridloop_core::workload::bulk::import(
        &engine.store,
        rules,
        &me,
        source,
        workers(w),
        &|done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    say!(
        "generated {} cases over {days} days in {:.1} s ({} merged)",
        report.added,
        t0.elapsed().as_secs_f64(),
        report.merged
    );
    Ok(())
}
