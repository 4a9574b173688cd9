//! Structure-aware fuzzing of the receiving path (接收路径): each input drives one step of
//! the harness shared with `core/tests/receive_fuzz.rs` — a real move on a stored case,
//! broken at the level Automerge encodes, received through `ingest` against a small redb
//! store. A violated invariant (ingest failing, a case that no longer loads, a change held
//! when it was refused or the other way round, a projection that is not the replay of the
//! document) panics.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

#[path = "../../core/tests/receive_harness/mod.rs"]
mod harness;

thread_local! {
    static HARNESS: RefCell<Option<harness::Harness>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| {
        let mut h = h.borrow_mut();
        if h.is_none() {
            // gridloop catches Automerge's panics on crafted changes and refuses them;
            // libFuzzer's hook would abort on those caught panics. A panic that escapes
            // still aborts (fuzz_target catches it), and is a crash.
            std::panic::set_hook(Box::new(|info| eprintln!("PANIC {info}")));
        }
        // A fresh store every 500 runs keeps documents small (most changes on the fast
        // path) and the disk bounded.
        if h.as_ref().is_none_or(|x| x.stats.runs >= 500) {
            *h = Some(harness::Harness::new());
        }
        let mut c = harness::Bytes(data);
        if let Err(why) = h.as_mut().expect("harness").step(&mut c) {
            // Said before aborting: the silent hook would swallow a panic's message.
            eprintln!("invariant violated: {why}");
            std::process::abort();
        }
    });
});
