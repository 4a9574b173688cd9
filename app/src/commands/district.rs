//! The district root and roster (区级名册): create the root key and an empty signed roster,
//! enrol (登记) and revoke (吊销) nodes. These work on a district directory, not a node's.

use anyhow::{Context, Result, anyhow, bail};
use std::net::SocketAddr;
use std::path::Path;

use gridloop_core::domain::role::Role;
use gridloop_core::domain::unit::{District, UnitId};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::roster::{Roster, RosterEntry, SignedRoster};

use crate::common::ROSTER_FILE;

/// The district root key file in a district directory.
pub const ROOT_KEY_FILE: &str = "root.key";

/// `gridloop district create` (建立区级名册): a root key and an empty signed roster in `dir`.
pub fn district_create(dir: &Path, relay: Option<String>) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let key_path = dir.join(ROOT_KEY_FILE);
    if key_path.exists() {
        bail!(
            "{} already exists; a district has one root key (delete it only to start a new district)",
            key_path.display()
        );
    }
    let root = NodeKey::load_or_create(&key_path)?;
    let district = District::demo();
    let mut roster = Roster::new(district.root().id.clone(), &root);
    roster.relay = relay;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    println!(
        "created district {} root {} — keep {} secret; roster {}",
        district.root().name,
        root.id(),
        key_path.display(),
        dir.join(ROSTER_FILE).display()
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
}

/// `gridloop district enrol` (登记): adds or replaces a node in the roster and re-signs it.
pub fn district_enrol(dir: &Path, e: Enrolment) -> Result<()> {
    let (root, mut roster) = load_root(dir)?;
    let district = District::demo();
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
    })?;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    println!(
        "enrolled {} — roster version {}; carry {} to the node and run `gridloop join`",
        e.node,
        roster.version,
        dir.join(ROSTER_FILE).display()
    );
    Ok(())
}

/// `gridloop district revoke` (吊销): revokes a node and re-signs the roster.
pub fn district_revoke(dir: &Path, node: &str) -> Result<()> {
    let (root, mut roster) = load_root(dir)?;
    roster.revoke(node)?;
    roster.sign(&root).write(&dir.join(ROSTER_FILE))?;
    println!(
        "revoked {node} — roster version {}; hand it to any running node (it spreads)",
        roster.version
    );
    Ok(())
}
