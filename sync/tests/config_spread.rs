//! A district configuration version travels like the roster (配置下发): two real nodes (iroh
//! endpoints on 127.0.0.1, redb stores and `config.json` files in temporary directories);
//! the community holds version 1, the district versions 1 and 2; once they connect, the
//! community holds both, verified against the root, and has written them to its file. A
//! version the community cannot take is refused without stopping the cases.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gridloop_core::domain::calendar::Millis;
use gridloop_core::domain::config::demo_files;
use gridloop_core::domain::role::{Actor, NodeId, Role};
use gridloop_core::domain::unit::District;
use gridloop_core::engine::{Engine, NewCase};
use gridloop_core::store::Store;
use gridloop_sync::config::{ConfigHistory, Release};
use gridloop_sync::identity::NodeKey;
use gridloop_sync::node::{self, EndpointConfig, Node};
use gridloop_sync::replica::NodeReplica;
use gridloop_sync::roster::{Roster, RosterEntry};

/// A district node `d` and a community node `c` dialing it, holding these configuration
/// histories, started; with their data directories.
async fn pair(
    d_config: ConfigHistory,
    c_config: ConfigHistory,
    root: &NodeKey,
) -> (Vec<Node>, Vec<tempfile::TempDir>) {
    let district = District::demo();
    let d_unit = district.root().id.clone();
    let c_unit = district.communities()[0].id.clone();
    let mut roster = Roster::new(d_unit.clone(), root);
    let mut bound = Vec::new();
    for (name, unit, links) in [
        ("d", d_unit.clone(), vec![]),
        ("c", c_unit.clone(), vec!["d".to_string()]),
    ] {
        let key = NodeKey::generate();
        let cfg = EndpointConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..EndpointConfig::default()
        };
        let ep = node::bind(&key, &cfg).await.unwrap();
        roster
            .enrol(RosterEntry {
                node: name.into(),
                key: key.id(),
                unit: unit.clone(),
                roles: vec![],
                addrs: vec![ep.bound_sockets()[0]],
                links,
                import: false,
            })
            .unwrap();
        bound.push((name, unit, key, ep));
    }
    let signed = roster.sign(root);
    let mut nodes = Vec::new();
    let mut dirs = Vec::new();
    for (name, unit, key, ep) in bound {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("gridloop.redb")).unwrap();
        let role = if name == "d" {
            Role::Intake
        } else {
            Role::GridWorker
        };
        store.set_node(&NodeId(name.into()), &unit, role).unwrap();
        let history = if name == "d" {
            d_config.clone()
        } else {
            c_config.clone()
        };
        let file = dir.path().join("config.json");
        history.write(&file).unwrap();
        let engine = Arc::new(Engine::demo(store));
        let replica = NodeReplica::new(engine, key, signed.clone(), None)
            .unwrap()
            .with_config(history, Some(file));
        nodes.push(Node::start(ep, Arc::new(replica)).unwrap());
        dirs.push(dir);
    }
    (nodes, dirs)
}

async fn until(what: &str, pred: impl Fn() -> bool) {
    let t = Instant::now();
    while !pred() {
        assert!(t.elapsed() < Duration::from_secs(30), "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_on_an_older_version_takes_the_newer_one_from_a_peer() {
    let d_unit = District::demo().root().id.clone();
    let root = NodeKey::generate();
    let v1 = Release::new(d_unit.clone(), root.id(), 1, Millis::MIN, demo_files()).sign(&root);
    let mut changed = demo_files();
    changed
        .files
        .insert("limits.toml".into(), "accept = \"2h\"\n".into());
    let v2 = Release::new(d_unit.clone(), root.id(), 2, 1_800_000_000_000, changed).sign(&root);
    let (nodes, dirs) = pair(
        ConfigHistory {
            releases: vec![v1.clone(), v2.clone()],
        },
        ConfigHistory::of(v1),
        &root,
    )
    .await;
    let c = &nodes[1];
    until("the community takes version 2", || {
        c.replica().current_config().version() >= 2
    })
    .await;
    let on_disk = ConfigHistory::read(&dirs[1].path().join("config.json")).unwrap();
    assert_eq!(
        on_disk.version(),
        2,
        "the taken version is written to config.json"
    );
    let book = on_disk
        .book(Some(&root.id()))
        .expect("verifies against the root");
    assert_eq!(book.versions().len(), 2);
    assert_eq!(book.latest().effective, 1_800_000_000_000);
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_the_peer_cannot_take_is_refused_and_cases_still_flow() {
    let district = District::demo();
    let d_unit = district.root().id.clone();
    let root = NodeKey::generate();
    let other = NodeKey::generate();
    let v1 = Release::new(d_unit.clone(), root.id(), 1, Millis::MIN, demo_files()).sign(&root);
    // The district holds a version 2 signed by a key that is not the root.
    let forged = Release::new(d_unit.clone(), other.id(), 2, 0, demo_files()).sign(&other);
    let (nodes, dirs) = pair(
        ConfigHistory {
            releases: vec![v1.clone(), forged],
        },
        ConfigHistory::of(v1),
        &root,
    )
    .await;
    // A 12345 case at the district in the community's grid: the community's to receive.
    let community = district.communities()[0].id.clone();
    let grid = district.grids_of(&community)[0].code.to_string();
    let d = &nodes[0];
    let intake = Actor {
        node: NodeId("d".into()),
        unit: d_unit.clone(),
        role: Role::Intake,
        person: None,
    };
    let new = NewCase {
        source: "hotline".into(),
        category: "E0102".into(),
        grid,
        address: "东四北大街 1 号".into(),
        description: "垃圾".into(),
        ..NewCase::default()
    };
    let id = d
        .replica()
        .engine()
        .report(&intake, &new, 1_795_395_600_000)
        .unwrap()
        .id;
    d.notify_changed();
    let c = &nodes[1];
    until("the community receives the case", || {
        c.replica()
            .engine()
            .store
            .read()
            .unwrap()
            .summary(&id)
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(
        c.replica().current_config().version(),
        1,
        "the forged version is not taken"
    );
    let on_disk = ConfigHistory::read(&dirs[1].path().join("config.json")).unwrap();
    assert_eq!(on_disk.version(), 1);
    for n in nodes {
        n.shutdown().await;
    }
}
