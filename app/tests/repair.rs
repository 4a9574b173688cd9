//! A damaged store (存储损坏) is an error, never a panic: bytes overwritten at several offsets
//! of a store make every command either answer exactly as on the intact file or refuse with an
//! error naming the file and `gridloop repair`; and `repair` rebuilds a street's store from
//! what still reads and from its peers, over real node processes.

mod common;

use std::path::Path;

use std::time::{Duration, Instant};

use common::{
    DEMO_CONFIG, district_of_two, free_port, gl, holds_exactly_the_scope_of, peer_state, run,
    signal, spawn_node as node,
};

/// Overwrites 64 bytes of the store in `dir` at `offset`.
fn damage(dir: &Path, offset: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("gridloop.redb"))
        .unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(&[0x5a; 64]).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn bytes_overwritten_anywhere_give_the_same_answer_or_a_clear_error_never_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    gl(
        &good,
        &[
            "init",
            "--unit",
            "110101",
            "--role",
            "intake",
            "--config",
            DEMO_CONFIG,
        ],
    );
    gl(
        &good,
        &[
            "generate",
            "--cases",
            "60",
            "--days",
            "5",
            "--now",
            "2026-11-20 18:00",
        ],
    );
    let number = gl(&good, &["list", "--limit", "1"])
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    let export = tmp.path().join("x.jsonl");
    let commands: Vec<Vec<String>> = vec![
        vec!["list".into(), "--limit".into(), "1000".into()],
        vec!["status".into()],
        vec!["show".into(), number.clone()],
        vec!["export".into(), export.to_str().unwrap().into()],
    ];
    let answers = |dir: &Path| -> Vec<(bool, String, String)> {
        commands
            .iter()
            .map(|c| {
                let args: Vec<&str> = c.iter().map(String::as_str).collect();
                let (ok, out, err) = run(dir, &args);
                let exported = if c[0] == "export" && ok {
                    std::fs::read_to_string(&export).unwrap()
                } else {
                    String::new()
                };
                let out = out.replace(&dir.display().to_string(), "DIR");
                (ok, out + &exported, err)
            })
            .collect()
    };
    let reference = answers(&good);
    assert!(reference.iter().all(|(ok, _, _)| *ok));
    let len = std::fs::metadata(good.join("gridloop.redb")).unwrap().len();
    let offsets = [
        100,
        4096 + 100,
        8 * 4096 + 200,
        len / 4,
        len / 3 + 17,
        len / 2,
        2 * len / 3 + 999,
        len - 4096 + 300,
    ];
    let mut refused = 0;
    for (i, offset) in offsets.iter().enumerate() {
        let dir = tmp.path().join(format!("damaged-{i}"));
        copy_dir(&good, &dir);
        damage(&dir, *offset);
        for ((ok, out, err), (_, want, _)) in answers(&dir).into_iter().zip(&reference) {
            assert!(
                !err.contains("panicked"),
                "offset {offset}: a damaged store made gridloop panic: {err}"
            );
            if ok {
                assert_eq!(&out, want, "offset {offset}: a silently different answer");
            } else {
                assert!(
                    err.contains("is damaged")
                        && err.contains("gridloop.redb")
                        && err.contains("repair"),
                    "offset {offset}: {err}"
                );
                refused += 1;
            }
        }
    }
    // Without the check the same offsets panicked inside redb (seen: `range end index … out
    // of range`, `entered unreachable code`) or answered with different rows. Bytes in a page
    // no tree uses are no damage (the same answers, as asserted above), and which pages are
    // free moves with the generated data, so only a floor is asserted: the check did find
    // damage at several offsets (20 of 32 commands refused on the latest data).
    assert!(
        refused >= 4 * 3,
        "damage is found at three offsets at least: {refused} refusals"
    );
}

/// Runs the district and street nodes until the street has caught up, then stops both
/// cleanly.
fn sync_once(a: &Path, b: &Path, pa: u16, pb: u16) {
    let _ = std::fs::remove_file(b.join("peers.json"));
    let mut district = node(a, pa);
    let mut street = node(b, pb);
    let t = Instant::now();
    let mut live_since: Option<Instant> = None;
    loop {
        let live = peer_state(b, "d").is_some_and(|s| s.contains("Live"));
        live_since = if live {
            live_since.or(Some(Instant::now()))
        } else {
            None
        };
        if live_since.is_some_and(|t| t.elapsed() > Duration::from_secs(2)) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "the street never caught up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for child in [&mut street, &mut district] {
        signal(&child.id().to_string(), "TERM");
        assert!(child.wait().unwrap().success());
    }
}

#[test]
fn a_damaged_street_store_is_rebuilt_from_what_reads_and_from_its_peers() {
    let tmp = tempfile::tempdir().unwrap();
    let (pa, pb) = (free_port(), free_port());
    let (a, b) = district_of_two(tmp.path(), Some((pa, pb)));
    gl(
        &a,
        &["generate", "--cases", "2000", "--now", "2026-11-20 18:00"],
    );
    sync_once(&a, &b, pa, pb);
    let before = holds_exactly_the_scope_of(&a, &b, "110101001");
    assert!(before > 50, "{before}");

    // Offline, the street reports a case its peers have not seen; then its store is damaged.
    let reported = gl(
        &b,
        &[
            "new",
            "--source",
            "grid_patrol",
            "--category",
            "E0102",
            "--grid",
            "110101001001001",
            "--address",
            "菊儿胡同5号",
            "--description",
            "垃圾堆放",
        ],
    );
    let number = reported.split_whitespace().nth(1).unwrap().to_string();
    // Bytes in a page no tree uses are no damage at all, and which pages are free depends on
    // the order the sync wrote in: damage page after page until the store is refused. A page
    // that passed leaves the file as sound as before.
    let len = std::fs::metadata(b.join("gridloop.redb")).unwrap().len();
    let mut offset = 8 * 4096 + 200;
    let err = loop {
        damage(&b, offset);
        let (ok, out, err) = run(&b, &["list", "--limit", "100000"]);
        if !ok {
            break err;
        }
        assert!(out.contains(&number), "a sound store answers: {out}");
        offset += 5 * 4096;
        assert!(offset < len, "no damaged page was ever refused");
    };
    assert!(
        err.contains("is damaged") && err.contains("repair"),
        "{err}"
    );

    let out = gl(&b, &["repair"]);
    eprintln!("{out}");
    assert!(out.contains("moved") && out.contains("took back"), "{out}");
    let aside: Vec<_> = std::fs::read_dir(&b)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside");
    // The log of the damaged file read to its end here, so the street's own unsent case is
    // back before any peer is reached.
    if out.contains("read to its end") {
        let shown = gl(&b, &["show", &number]);
        assert!(shown.contains("菊儿胡同5号"), "{shown}");
    }
    // A second repair finds the rebuilt store sound.
    assert!(gl(&b, &["repair"]).contains("sound"));

    sync_once(&a, &b, pa, pb);
    let after = holds_exactly_the_scope_of(&a, &b, "110101001");
    assert_eq!(
        after,
        before + 1,
        "every case in scope is back, the new one too"
    );
    let shown = gl(&a, &["show", &number]);
    assert!(
        shown.contains("菊儿胡同5号"),
        "the district has the street's case: {shown}"
    );
}
