//! `gridloop demo --headless` (演示区): the live demo district in the terminal — each node's
//! figures and links every few seconds, with a community cut off and restored every minute.

use anyhow::Result;
use std::path::Path;
use std::time::Duration;

use crate::demo::DemoDistrict;

/// `gridloop demo --headless`: runs the demo and prints each node's figures and links every
/// few seconds, for `seconds` (forever if 0).
pub fn run_headless(dir: Option<&Path>, history: u64, seconds: u64) -> Result<()> {
    let demo = DemoDistrict::start(dir, history, &|m| say!("demo: {m}"))?;
    say!("demo district in {}", demo.dir.display());
    let driver = demo.drive(Duration::from_millis(400));
    let start = std::time::Instant::now();
    let mut round = 0u64;
    loop {
        std::thread::sleep(Duration::from_secs(3));
        round += 1;
        // Every minute, cut the first community off for 15 s: it keeps working offline.
        if round % 20 == 4 {
            let c = &demo.nodes[3].name;
            for (a, b, _) in demo.links().into_iter().filter(|(a, _, _)| a == c) {
                demo.cut(&a, &b);
            }
            say!("  ✂ {c} cut off from {:?}", demo.node(c).map(|n| &n.label));
        }
        if round % 20 == 9 {
            let c = demo.nodes[3].name.clone();
            for (a, b, _) in demo.links().into_iter().filter(|(a, _, _)| *a == c) {
                demo.restore(&a, &b);
            }
            say!("  ↺ {c} links restored");
        }
        demo.notify_all();
        for n in &demo.nodes {
            let r = n.engine().store.read()?;
            let peers: Vec<String> = n
                .node
                .peers()
                .iter()
                .map(|p| format!("{}:{:?}", p.node, p.state))
                .collect();
            say!(
                "  {:<4} {:<10} cases {:>6}  queue {:?}  peers {}",
                n.name,
                n.label,
                r.count()?,
                r.queue_counts(&n.unit)?
                    .iter()
                    .filter(|(_, c)| *c > 0)
                    .map(|(s, c)| format!("{}{c}", s.label_zh()))
                    .collect::<Vec<_>>(),
                peers.join(" ")
            );
        }
        say!();
        if seconds > 0 && start.elapsed() >= Duration::from_secs(seconds) {
            break;
        }
    }
    demo.shutdown();
    let _ = driver.join();
    Ok(())
}
