//! Repair under the frame limit (修复分帧): anti-entropy answers a differing day bucket of
//! 30,000 cases — tens of megabytes of history — with several `Repair` frames, each under
//! the frame budget, and the peer ends with every case.

mod world;

use gridloop_core::store::day_bucket;
use gridloop_core::workload::bulk;
use gridloop_core::workload::generate::Generator;
use gridloop_sync::frame::MAX_FRAME;
use gridloop_sync::session::FRAME_BUDGET;
use world::*;

#[test]
fn a_bucket_of_30000_cases_is_repaired_in_frames_under_the_limit() {
    // Two district-level nodes; the second starts empty.
    let mut w = World::new(&["d", "d2"], &[(0, 1)]);
    connect(&mut w);
    // The district imports a day of 30,000 cases (the issue asks for 20,000 of about 3 KB; generated cases are smaller, so more of them). Nothing announces them: the feed is not
    // pumped, so only anti-entropy can bring them across.
    let n = 30_000u64;
    let day = 86_400_000;
    // Reports fall between 07:00 and 21:00 after `start`: one bucket (a UTC day).
    let start = T0 - T0.rem_euclid(day);
    let d = &w.nodes[0].rep;
    let engine = d.engine();
    let rules = engine.rules();
    let mut g = Generator::new(rules, 11, start, 1, start + day);
    let src = (0..n).map(move |_| Ok(g.next_case()));
    bulk::import(&engine.store, rules, &NodeId("d".into()), src, 2, &|_| {}).unwrap();
    let root = w.p.root.clone();
    let r = engine.store.read().unwrap();
    let mut buckets: BTreeMap<u32, u64> = BTreeMap::new();
    for (b, _, count) in r.digest(&root).unwrap() {
        buckets.insert(b, u64::from(count));
    }
    drop(r);
    let (&bucket, &count) = buckets.iter().max_by_key(|(_, c)| **c).unwrap();
    assert_eq!(count, n, "one day holds the cases: {buckets:?}");
    assert_eq!(bucket, day_bucket(start));

    // d2 lists the bucket as empty; d answers with the history of every case in it.
    let _ = take(&mut w, 0, true);
    let d_rep = Arc::clone(&w.nodes[0].rep);
    w.links[0]
        .at_a
        .handle(
            &*d_rep,
            Frame::Bucket {
                bucket,
                cases: Vec::new(),
            },
        )
        .unwrap();
    let frames = take(&mut w, 0, true);
    let repairs: Vec<&Frame> = frames
        .iter()
        .filter(|f| matches!(f, Frame::Repair { .. }))
        .collect();
    let mut total = 0usize;
    for f in &repairs {
        let Frame::Repair { changes, .. } = f else {
            unreachable!()
        };
        let raw: usize = changes
            .iter()
            .map(|c| c.change.len() + c.signature.len())
            .sum();
        total += raw;
        assert!(raw <= 2 * FRAME_BUDGET, "a repair frame of {raw} bytes");
        assert!(encode(f).len() <= MAX_FRAME);
    }
    eprintln!(
        "{count} cases, {} MB of history, in {} repair frames",
        total >> 20,
        repairs.len()
    );
    assert!(
        total > MAX_FRAME,
        "the bucket is larger than one frame may be ({total} bytes)"
    );
    assert!(repairs.len() >= total / (2 * FRAME_BUDGET));

    // Delivered, they give d2 every case of the bucket.
    w.wire(0, true).extend(frames);
    while !w.wire(0, true).is_empty() {
        w.deliver(0, true);
    }
    let (rd, r2) = (w.store(0).read().unwrap(), w.store(1).read().unwrap());
    assert_eq!(r2.count().unwrap(), rd.count().unwrap());
    assert_eq!(
        rd.bucket_cases(&root, bucket).unwrap(),
        r2.bucket_cases(&root, bucket).unwrap()
    );
}
