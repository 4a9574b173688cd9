//! The district root, roster and configuration (区级名册与配置): check a configuration
//! folder, create the root key with the roster and the signed configuration, sign a new
//! configuration version, enrol (登记) and revoke (吊销) nodes. These work on a district
//! directory, not a node's.

use anyhow::{Context, Result, anyhow, bail};
use std::net::SocketAddr;
use std::path::Path;

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::config::{ConfigFiles, DistrictConfig};
use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::UnitId;
use gridloop_sync::config::{ConfigHistory, Release};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::roster::{Roster, RosterEntry, SignedRoster};

use crate::common::{CONFIG_FILE, ROSTER_FILE};

/// The district root key file in a district directory.
pub const ROOT_KEY_FILE: &str = "root.key";

/// `gridloop district check` (检查配置): checks a configuration folder and says what it
/// holds, or names the file, line and field of the first problem.
pub fn district_check(config: &Path) -> Result<()> {
    let (files, c) = load_config(config)?;
    let d = &c.district;
    let l = d.levels();
    say!(
        "{} {} ({}): {} {}, {} {}, {} 部门, {} 网格; {} categories; calendar {}; hash {}",
        d.root().name,
        l.district,
        d.root().id,
        d.streets().len(),
        l.street,
        d.communities().len(),
        l.community,
        d.departments().len(),
        d.grids().count(),
        c.catalogue.len(),
        years_text(c.calendar.covered_years()),
        &files.hash()[..12]
    );
    Ok(())
}

fn years_text(years: &[i32]) -> String {
    if years.is_empty() {
        return "no year (weekends only)".into();
    }
    years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn load_config(folder: &Path) -> Result<(ConfigFiles, DistrictConfig)> {
    DistrictConfig::load_dir(folder)
        .with_context(|| format!("the configuration folder {}", folder.display()))
}

/// [`load_config`], refused unless it configures the roster's district.
fn load_config_of(folder: &Path, roster: &Roster) -> Result<(ConfigFiles, DistrictConfig)> {
    let (files, checked) = load_config(folder)?;
    if checked.district.root().id != roster.district {
        bail!(
            "the folder configures district {}, this directory is district {}",
            checked.district.root().id,
            roster.district
        );
    }
    Ok((files, checked))
}

/// `gridloop district create` (建立区级名册): checks the district's configuration folder,
/// then writes a root key, an empty signed roster and the configuration signed as version 1
/// (in force from the start) in `dir`. Nothing is written if the folder does not check.
pub fn district_create(dir: &Path, config: &Path, relay: Option<String>) -> Result<()> {
    let key_path = dir.join(ROOT_KEY_FILE);
    if key_path.exists() {
        bail!(
            "{} already exists; a district has one root key (delete it only to start a new district)",
            key_path.display()
        );
    }
    let (files, checked) = load_config(config)?;
    // Sized before anything is written (a signature adds a few hundred bytes).
    let root_id = checked.district.root().id.clone();
    let unsigned = Release::new(root_id, "0".repeat(64), 1, Millis::MIN, files.clone());
    fits_a_frame(&ConfigHistory::of(unsigned.local()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let root = NodeKey::load_or_create(&key_path)?;
    let district = &checked.district;
    let release = Release::new(district.root().id.clone(), root.id(), 1, Millis::MIN, files);
    let history = ConfigHistory::of(release.sign(&root));
    fits_a_frame(&history)?;
    history.write(&dir.join(CONFIG_FILE))?;
    let mut roster = Roster::new(district.root().id.clone(), &root);
    roster.relay = relay;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    say!(
        "created district {} ({}) root {} — keep {} secret; roster {}; configuration version 1 \
         ({}, calendar {})",
        district.root().name,
        district.root().id,
        root.id(),
        key_path.display(),
        dir.join(ROSTER_FILE).display(),
        &release.hash[..12],
        years_text(checked.calendar.covered_years())
    );
    Ok(())
}

/// The most a configuration history may take, so it travels in one frame between nodes.
const MAX_HISTORY_BYTES: usize = 12 << 20;

fn fits_a_frame(history: &ConfigHistory) -> Result<()> {
    let len = history.to_bytes().len();
    if len > MAX_HISTORY_BYTES {
        bail!(
            "the configuration history would take {:.1} MiB, more than the {} MiB one frame \
             between nodes carries; make the package smaller (grids.geojson is the usual cause)",
            len as f64 / (1 << 20) as f64,
            MAX_HISTORY_BYTES >> 20
        );
    }
    Ok(())
}

/// The first configuration of a district created before configuration packages: version 1,
/// in force from the start, so every move already made is judged as it was.
fn first_config(dir: &Path, config: &Path, root: &NodeKey, roster: &Roster) -> Result<()> {
    let (files, _) = load_config_of(config, roster)?;
    let release = Release::new(roster.district.clone(), root.id(), 1, Millis::MIN, files);
    let history = ConfigHistory::of(release.sign(root));
    fits_a_frame(&history)?;
    history.write(&dir.join(CONFIG_FILE))?;
    say!(
        "signed the district's first configuration, version 1 ({}), in force from the start; \
         run `gridloop join` with the roster on each node to take it",
        &release.hash[..12]
    );
    Ok(())
}

/// `gridloop district config` (配置更新): checks a new configuration folder and signs it as
/// the next version, taking effect at `effective`; earlier moves keep being judged by the
/// versions in force when they were made. Carry `config.json` to any node (`gridloop join`)
/// or let it spread: a node on an older version takes the newer one from any peer.
pub fn district_config(dir: &Path, config: &Path, effective: Option<Millis>) -> Result<()> {
    let (root, roster) = load_root(dir)?;
    let path = dir.join(CONFIG_FILE);
    if !path.exists() {
        return first_config(dir, config, &root, &roster);
    }
    let mut history = ConfigHistory::read(&path)?;
    let held = history.verify(Some(&root.id()))?;
    let (files, _) = load_config_of(config, &roster)?;
    let last = held
        .last()
        .ok_or_else(|| anyhow!("{} holds no version", path.display()))?;
    if last.hash == files.hash() {
        bail!("the folder is unchanged since version {}", last.version);
    }
    // Now by default; a time given to the minute counts from now within its minute.
    let now = crate::common::clock();
    let effective = match effective {
        None => now,
        Some(t) if t <= now && now - t < 60_000 => now,
        Some(t) => t,
    };
    if effective < now {
        bail!(
            "--effective {} is in the past: a version takes effect from now or later, so moves \
             already made are never judged again (pick a time every node will have it by, e.g. \
             the next midnight)",
            crate::output::time(effective)
        );
    }
    if effective < last.effective {
        bail!(
            "version {} takes effect at {}; a new version cannot take effect before it",
            last.version,
            crate::output::time(last.effective)
        );
    }
    let version = last.version + 1;
    let release = Release::new(
        roster.district.clone(),
        root.id(),
        version,
        effective,
        files,
    );
    history.releases.push(release.sign(&root));
    history.book(Some(&root.id()))?;
    fits_a_frame(&history)?;
    history.write(&path)?;
    say!(
        "signed configuration version {version} ({}), in force from {}; hand {} to any node \
         (`gridloop join`), or let it spread from a peer",
        &release.hash[..12],
        crate::output::time(effective),
        path.display()
    );
    Ok(())
}

fn load_root(dir: &Path) -> Result<(NodeKey, Roster)> {
    let key_path = dir.join(ROOT_KEY_FILE);
    if !key_path.exists() {
        bail!(
            "no district root key at {}; run `gridloop district create --dir {}` first",
            key_path.display(),
            dir.display()
        );
    }
    let root = NodeKey::load_or_create(&key_path)?;
    let roster = SignedRoster::read(&dir.join(ROSTER_FILE))?.verify(Some(&root.id()))?;
    Ok((root, roster))
}

/// What `gridloop district enrol` adds (登记).
pub struct Enrolment {
    /// Node id.
    pub node: String,
    /// Endpoint id.
    pub key: String,
    /// Unit code.
    pub unit: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Addresses.
    pub addrs: Vec<SocketAddr>,
    /// Links.
    pub links: Vec<String>,
    /// May sign bulk imports (导入授权).
    pub import: bool,
}

/// `gridloop district enrol` (登记): adds or replaces a node in the roster and re-signs it.
pub fn district_enrol(dir: &Path, e: Enrolment) -> Result<()> {
    let (root, mut roster) = load_root(dir)?;
    let history = ConfigHistory::read(&dir.join(CONFIG_FILE))?;
    let book = history.book(Some(&root.id()))?;
    let district = &book.latest().config.district;
    let unit = UnitId::from(e.unit.as_str());
    if district.unit(&unit).is_none() {
        bail!("unknown unit `{}`", e.unit);
    }
    let roles = e
        .roles
        .iter()
        .map(|r| Role::parse(r).ok_or_else(|| anyhow!("unknown role `{r}`")))
        .collect::<Result<Vec<_>>>()?;
    for l in &e.links {
        if roster.entry(l).is_none() {
            bail!("link `{l}`: no such node in the roster (enrol it first)");
        }
    }
    roster.enrol(RosterEntry {
        node: e.node.clone(),
        key: e.key,
        unit,
        roles,
        addrs: e.addrs,
        links: e.links,
        import: e.import,
    })?;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    say!(
        "enrolled {} — roster version {}; carry {} to the node and run `gridloop join`",
        e.node,
        roster.version,
        dir.join(ROSTER_FILE).display()
    );
    Ok(())
}

/// `gridloop district revoke` (吊销): revokes a node from a time (default now) and re-signs
/// the roster. What the node signed before that time stays valid history; from then on
/// nothing it signs is accepted, and it can no longer connect.
pub fn district_revoke(dir: &Path, node: &str, from: Option<Millis>) -> Result<()> {
    let (root, mut roster) = load_root(dir)?;
    let from = from.unwrap_or_else(crate::common::clock);
    roster.revoke(node, from)?;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    say!(
        "revoked {node} from {} — roster version {}; hand it to any running node (it spreads)",
        gridloop_core::domain::calendar::beijing(from),
        roster.version
    );
    Ok(())
}
