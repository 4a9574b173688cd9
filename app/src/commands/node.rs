//! This node (节点): initialise its store (初始化节点), its identity and store figures (节点信息),
//! its endpoint id (节点标识), and joining a district with the roster that enrols it (加入).

use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::config::{ConfigBook, DistrictConfig};
use gridloop_core::domain::role::{NodeId, Role};
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_core::engine::Engine;
use gridloop_core::workload::generate::node_of;
use gridloop_sync::config::{ConfigHistory, Release};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::roster::SignedRoster;

use crate::common::{
    CONFIG_FILE, KEY_FILE, ROSTER_FILE, open_engine, open_store, read_config, resolve_unit,
};

/// `gridloop init` (初始化节点): this node's store for a unit and role. A standalone node
/// (one that has not joined a district) takes its configuration from `--config DIR`, a
/// package folder, stored unsigned as its own; a joined node keeps the district's.
pub fn init(
    dir: &Path,
    unit: &str,
    role: &str,
    node: Option<&str>,
    config: Option<&Path>,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    // The package given, checked but not yet written; else the node's own.
    let fresh = match config {
        Some(folder) => {
            if dir.join(ROSTER_FILE).exists() {
                bail!(
                    "this node has joined a district: its configuration comes from the district \
                     (signed by the root), not from --config"
                );
            }
            let (files, checked) = DistrictConfig::load_dir(folder)
                .with_context(|| format!("the configuration folder {}", folder.display()))?;
            let root = checked.district.root().id.clone();
            let hash = files.hash();
            let history =
                ConfigHistory::of(Release::new(root, String::new(), 1, Millis::MIN, files).local());
            Some((history, ConfigBook::single(checked, hash)))
        }
        None => None,
    };
    let store = open_store(dir)?;
    if let Some((history, _)) = &fresh
        && dir.join(CONFIG_FILE).exists()
        && store.read()?.count()? > 0
        && read_config(dir).is_ok_and(|(held, _)| held != *history)
    {
        bail!(
            "this node already holds cases judged by its configuration; another package would \
             judge them again (start a new node, or join a district and take its versions)"
        );
    }
    let book = match &fresh {
        Some((_, book)) => book.clone(),
        None => read_config(dir)?.1,
    };
    let engine = Engine::with_book(store, book, crate::common::clock());
    let unit = resolve_unit(&engine, unit)?;
    let role = Role::parse(role).ok_or_else(|| {
        anyhow!(
            "unknown role `{role}`; expected one of {}",
            Role::ALL.map(|r| r.code()).join(", ")
        )
    })?;
    if let Some((history, _)) = &fresh {
        history.write(&dir.join(CONFIG_FILE))?;
    }
    let node = node
        .map(|n| NodeId(n.to_string()))
        .unwrap_or_else(|| node_of(&unit));
    engine.store.set_node(&node, &unit, role)?;
    let u = engine.district.unit(&unit).expect("resolved");
    say!(
        "initialised node {node} for {} ({}) as {} — store {}",
        u.name,
        u.id,
        role.label_zh(),
        dir.join(crate::common::STORE_FILE).display()
    );
    Ok(())
}

/// `gridloop status` (节点信息): the node's identity and store figures.
pub fn status(dir: &Path, at: Millis) -> Result<()> {
    let engine = open_engine(dir)?;
    let node = engine.node()?;
    let r = engine.store.read()?;
    let u = engine
        .district
        .unit(&node.unit)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    say!("node     {}", node.node);
    say!("unit     {} ({})", u, node.unit);
    say!("role     {}", node.role.label_zh());
    say!("epoch    {}", node.epoch);
    say!("store    {}", engine.store.path().display());
    say!("cases    {}", r.count()?);
    say!("log head {}", r.log_head()?);
    let d = &engine.district;
    let scope = node.unit.clone();
    say!(
        "overdue  {}",
        r.overdue(at, &|h| d.is_same_or_above(&scope, h), usize::MAX)?
            .len()
    );
    for (st, n) in r.queue_counts(&node.unit)? {
        say!("  {:<6} {n}", st.label_zh());
    }
    let q = r.quarantined()?;
    say!("quarantine {}", q.len());
    if let Some(book) = &engine.book {
        let v = book.at(at);
        say!(
            "config   version {} of {} ({}), {} held",
            v.version,
            engine.district.root().name,
            &v.hash[..12.min(v.hash.len())],
            book.versions().len()
        );
        let newest = book.latest();
        if newest.version != v.version {
            say!(
                "         version {} takes effect at {}",
                newest.version,
                crate::output::time(newest.effective)
            );
        }
    }
    let years = engine.calendar.covered_years();
    say!(
        "calendar {}",
        years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    for y in engine.calendar.uncovered_near(crate::common::clock()) {
        say!(
            "warning  {y} is not in the working calendar: deadlines there count weekends only \
             (未覆盖年份, add calendar/{y}.toml)"
        );
    }
    Ok(())
}

/// `gridloop identity` (节点标识): this node's endpoint id (creating its key if needed).
pub fn identity(data: &Path) -> Result<()> {
    std::fs::create_dir_all(data)?;
    let key = NodeKey::load_or_create(&data.join(KEY_FILE))?;
    say!("{}", key.id());
    Ok(())
}

/// `gridloop join ROSTER` (加入): trusts a roster that enrols this node and initialises the store
/// for the node's roster entry if it has no identity yet.
pub fn join(
    data: &Path,
    roster_file: &Path,
    role: Option<&str>,
    config_file: Option<&Path>,
) -> Result<()> {
    std::fs::create_dir_all(data)?;
    let key = NodeKey::load_or_create(&data.join(KEY_FILE))?;
    let signed = SignedRoster::read(roster_file)?;
    let trusted = match SignedRoster::read(&data.join(ROSTER_FILE)) {
        Ok(old) => Some(old.verify(None)?.root),
        Err(_) => None,
    };
    let roster = signed.verify(trusted.as_deref())?;
    let entry = roster
        .nodes
        .iter()
        .find(|n| n.key == key.id())
        .ok_or_else(|| {
            anyhow!(
                "this node's endpoint id {} is not in {}; ask the district to enrol it",
                key.id(),
                roster_file.display()
            )
        })?;
    if roster.revoked.contains(&entry.key) {
        bail!("this node ({}) has been revoked in that roster", entry.node);
    }
    let beside = roster_file
        .parent()
        .unwrap_or(Path::new("."))
        .join(CONFIG_FILE);
    let config_file = config_file.unwrap_or(&beside);
    let offered = ConfigHistory::read(config_file).with_context(|| {
        format!(
            "the district's configuration ({CONFIG_FILE}, from the district directory, beside the \
             roster or given with --config)"
        )
    })?;
    let mut history = match ConfigHistory::read(&data.join(CONFIG_FILE)) {
        Ok(h) if h.verify(Some(&roster.root)).is_ok() => h,
        _ => ConfigHistory::default(),
    };
    history
        .merge(&offered, &roster.root)
        .with_context(|| format!("the configuration in {}", config_file.display()))?;
    let book = history.book(Some(&roster.root))?;
    if book.latest().config.district.root().id != roster.district {
        bail!(
            "the configuration is for district {}, the roster for {}",
            book.latest().config.district.root().id,
            roster.district
        );
    }
    let store = open_store(data)?;
    let role = match role {
        Some(r) => Role::parse(r).ok_or_else(|| anyhow!("unknown role `{r}`"))?,
        None => match store.node()? {
            Some(n) => n.role,
            None => *entry
                .roles
                .first()
                .unwrap_or(&default_role(&book.latest().config.district, &entry.unit)),
        },
    };
    if let Some(n) = store.node()?
        && (n.node.0 != entry.node || n.unit != entry.unit)
    {
        bail!(
            "this store is node {} at {}, but the roster enrols this key as {} at {}",
            n.node,
            n.unit,
            entry.node,
            entry.unit
        );
    }
    store.set_node(&NodeId(entry.node.clone()), &entry.unit, role)?;
    signed.write(&data.join(ROSTER_FILE))?;
    history.write(&data.join(CONFIG_FILE))?;
    say!(
        "joined district {} as {} at {} (roster version {})",
        roster.district,
        entry.node,
        entry.unit,
        roster.version
    );
    Ok(())
}

fn default_role(district: &District, unit: &UnitId) -> Role {
    match district.unit(unit).map(|u| u.kind) {
        Some(gridloop_core::domain::unit::UnitKind::Community) => Role::GridWorker,
        Some(gridloop_core::domain::unit::UnitKind::Street) => Role::ShiftLead,
        _ => Role::Dispatcher,
    }
}
