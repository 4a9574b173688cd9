//! Through the district's own relay (中继): a real iroh relay server on loopback (plain
//! HTTP, as a district would run it inside its private network) and nodes whose roster
//! entries carry no address at all, so the relay is the only way they can find each other.

use gridloop_core::domain::event::Action;
use gridloop_core::domain::role::Role;
use gridloop_sync::node::LinkState;
use gridloop_tests::{T0, TestNet, standard, units};
use iroh_relay::server::{RelayConfig, Server, ServerConfig};

const MIN: i64 = 60_000;

fn trace() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_with_no_known_address_sync_through_the_district_relay() {
    trace();
    let mut config = ServerConfig::default();
    config.relay = Some(RelayConfig::new(([127, 0, 0, 1], 0)));
    let relay = Server::spawn(config).await.expect("relay server");
    let url = format!("http://{}", relay.http_addr().expect("relay address"));
    let u = units();
    // The district, a street and one of its communities, as in the standard network.
    let specs = standard()
        .into_iter()
        .filter(|s| ["d", "s1", "c11"].contains(&s.name))
        .collect();
    let net = TestNet::start_via_relay(specs, &url).await;
    // A case self-handled at the community reaches its street, both ways live.
    let c11 = net.n("c11");
    let id = c11.report(Role::GridWorker, &u["c11"], "E0104", T0);
    c11.act(
        &c11.actor(Role::GridWorker),
        &id,
        Action::SelfHandle,
        T0 + 5 * MIN,
    );
    let handled = c11.summary(&id).unwrap().state;
    net.wait_for(30, "the case at the street", |n| {
        n.n("s1").summary(&id).is_some_and(|s| s.state == handled)
    })
    .await;
    // And a move at the street comes back down.
    let s1 = net.n("s1");
    s1.act(
        &s1.actor_for(&u["s1"], Role::Leader),
        &id,
        Action::Urge {
            note: "请尽快处置".into(),
        },
        T0 + 10 * MIN,
    );
    net.wait_for(30, "the urge at the community", |n| {
        n.n("c11").summary(&id).is_some_and(|s| s.notes == 1)
    })
    .await;
    net.wait_for(30, "convergence", |n| {
        n.n("d").summary(&id).is_some_and(|s| s.notes == 1) && n.converged()
    })
    .await;
    // Both ends hold a Live link to the other, found with no address: checked after the
    // exchange, when a dial that needed an address would long have failed.
    net.wait_for(
        15,
        "c11 and s1 Live with each other, with no address",
        |n| {
            [("c11", "s1"), ("s1", "c11")].iter().all(|(a, b)| {
                n.n(a)
                    .node()
                    .peers()
                    .iter()
                    .any(|p| p.node == *b && p.state == LinkState::Live)
            })
        },
    )
    .await;
    // The relay carried the traffic: both nodes registered with it and it forwarded data.
    let m = &relay.metrics().server;
    assert!(m.accepts.get() >= 2, "both nodes connected to the relay");
    assert!(
        m.send_packets_sent.get() > 0,
        "the relay forwarded packets between the nodes"
    );
    net.shutdown().await;
    relay.shutdown().await.expect("relay shutdown");
}
