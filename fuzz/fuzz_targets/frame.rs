//! Fuzz target: arbitrary bytes as a stream of frames and as one frame body; every decoded
//! batch is turned back into envelopes and every change is parsed. Nothing may panic.
#![no_main]

use gridloop_sync::frame::{Frame, decode, decode_stream};
use gridloop_sync::session::from_wire;
use libfuzzer_sys::fuzz_target;

fn check(frame: Frame) {
    if let Frame::Changes { authors, changes, .. } | Frame::Repair { authors, changes } = frame
        && let Ok(envs) = from_wire(&authors, changes)
    {
        for e in envs {
            let _ = automerge::Change::from_bytes(e.change);
            let _ = gridloop_core::domain::case_id::CaseId::parse(&e.case);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(frames) = decode_stream(data) {
        frames.into_iter().for_each(check);
    }
    if let Ok(f) = decode(data) {
        check(f);
    }
});
