//! Long work in the background (后台任务): what it is doing and how far along, shared between
//! the worker thread and the frames that show it.

use std::sync::{Arc, Mutex};

/// The progress of long work in the background (进度).
#[derive(Clone, Default)]
pub struct Progress(Arc<Mutex<(String, f32)>>);

impl Progress {
    /// Reports what is happening and how far along (0..=1, or negative if unknown).
    pub fn set(&self, what: &str, fraction: f32) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = (what.to_string(), fraction);
    }

    /// The last report.
    pub fn get(&self) -> (String, f32) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
