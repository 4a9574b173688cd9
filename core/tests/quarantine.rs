//! The quarantine is bounded (隔离区有上限): a hostile enrolled peer flooding a million junk
//! changes leaves at most its cap on disk, counted; the same refusal again is counted on its
//! entry, not stored again; a quiet peer's entries survive the flood.

use gridloop_core::store::{QuarantineLimits, Refusal, Store};

#[test]
fn a_million_junk_changes_stay_within_the_caps_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.redb");
    let store = Store::open(&path).unwrap();
    let limits = QuarantineLimits {
        per_peer: 2_000,
        total: 3_000,
        bytes: 512,
    };
    store.set_quarantine_limits(limits);

    // A quiet peer's refusal first: the flood must not push it out (per-peer cap).
    let quiet = vec![7u8; 100];
    {
        let wt = store.begin(true).unwrap();
        Store::quarantine_in(
            &wt,
            &Refusal {
                reason: "malformed change: not an Automerge change",
                hash: None,
                remember: false,
                peer: "c12@e1",
                bytes: &quiet,
            },
            1,
            limits,
        )
        .unwrap();
        wt.commit().unwrap();
    }

    // One million distinct junk changes of 1 KiB from one peer, 20,000 a transaction.
    const N: u64 = 1_000_000;
    let mut junk = vec![0u8; 1024];
    for batch in 0..(N / 20_000) {
        let wt = store.begin(batch + 1 == N / 20_000).unwrap();
        for i in 0..20_000u64 {
            let n = batch * 20_000 + i;
            junk[..8].copy_from_slice(&n.to_be_bytes());
            let hash = blake3::hash(&junk);
            Store::quarantine_in(
                &wt,
                &Refusal {
                    reason: "bad signature by c21: signature does not verify",
                    hash: Some(hash.as_bytes()),
                    remember: n % 2 == 0,
                    peer: "c21@rogue",
                    bytes: &junk,
                },
                n as i64 + 10,
                limits,
            )
            .unwrap();
        }
        wt.commit().unwrap();
    }

    let r = store.read().unwrap();
    let q = r.quarantined().unwrap();
    let counts: std::collections::BTreeMap<_, _> =
        r.quarantine_counts().unwrap().into_iter().collect();
    assert_eq!(q.len(), 2_001, "entries held");
    assert_eq!(counts["c21@rogue"].held, 2_000);
    assert_eq!(counts["c21@rogue"].dropped, N - 2_000);
    assert_eq!(
        counts["c12@e1"].held, 1,
        "the quiet peer's entry was pushed out"
    );
    // The newest were kept, cut to the byte limit, with their full size recorded.
    let last = &q.last().unwrap().1;
    assert_eq!(last.size, 1024);
    assert_eq!(last.bytes.len(), 512);
    assert_eq!(last.at, (N - 1) as i64 + 10);
    // A dropped entry's remembered hash is forgotten with it (the refused table is bounded
    // too): the oldest remembered change is no longer known as refused.
    let wt = store.begin(true).unwrap();
    junk[..8].copy_from_slice(&0u64.to_be_bytes());
    assert_eq!(
        Store::refused_in(&wt, blake3::hash(&junk).as_bytes()).unwrap(),
        None
    );
    // The same refusal again is counted on its entry, not stored again.
    junk[..8].copy_from_slice(&(N - 2).to_be_bytes());
    let hash = blake3::hash(&junk);
    let again = Refusal {
        reason: "bad signature by c21: signature does not verify",
        hash: Some(hash.as_bytes()),
        remember: true,
        peer: "c21@rogue",
        bytes: &junk,
    };
    let id1 = Store::quarantine_in(&wt, &again, 5, limits).unwrap();
    let id2 = Store::quarantine_in(&wt, &again, 6, limits).unwrap();
    assert_eq!(id1, id2);
    wt.commit().unwrap();
    drop(r);
    let r = store.read().unwrap();
    let entry = r
        .quarantined()
        .unwrap()
        .into_iter()
        .find(|(id, _)| *id == id1)
        .unwrap()
        .1;
    assert_eq!((entry.count, entry.last), (3, 6));
    assert_eq!(r.quarantined().unwrap().len(), 2_001);
    // The file holds the caps' worth, not the flood's gigabyte.
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!("store after 1 M junk changes: {} KiB", size >> 10);
    assert!(size < 64 << 20, "store grew to {size} bytes");
}

#[test]
fn the_total_cap_drops_the_oldest_of_all_peers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("q.redb")).unwrap();
    let limits = QuarantineLimits {
        per_peer: 100,
        total: 150,
        bytes: 64,
    };
    let wt = store.begin(true).unwrap();
    for peer in ["a@1", "b@1", "c@1"] {
        for i in 0..100u32 {
            let bytes = format!("{peer} {i}");
            Store::quarantine_in(
                &wt,
                &Refusal {
                    reason: "malformed change",
                    hash: None,
                    remember: false,
                    peer,
                    bytes: bytes.as_bytes(),
                },
                i64::from(i),
                limits,
            )
            .unwrap();
        }
    }
    wt.commit().unwrap();
    let r = store.read().unwrap();
    let counts: std::collections::BTreeMap<_, _> =
        r.quarantine_counts().unwrap().into_iter().collect();
    assert_eq!(r.quarantined().unwrap().len(), 150);
    assert_eq!((counts["a@1"].held, counts["a@1"].dropped), (0, 100));
    assert_eq!((counts["b@1"].held, counts["b@1"].dropped), (50, 50));
    assert_eq!((counts["c@1"].held, counts["c@1"].dropped), (100, 0));
}
