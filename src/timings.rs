//! Where a stage's time goes: the wall time of each of its steps, logged at debug level
//! (`ohs -v`, target `ohs::timings`) as it ends, so a slow run says which step was slow and
//! `make bench` can print the breakdown. On Linux each step also logs the process's resident
//! memory and its peak so far, so a run's peak can be pinned to the step that reached it.

use std::time::{Duration, Instant};

use tracing::debug;

use crate::domain::SnapshotDate;
use crate::memory::ResidentMemory;

/// Times the steps of one stage on one snapshot, one after another.
pub struct StepClock {
    stage: &'static str,
    snapshot: SnapshotDate,
    last: Instant,
}

impl StepClock {
    pub fn start(stage: &'static str, snapshot: SnapshotDate) -> Self {
        StepClock {
            stage,
            snapshot,
            last: Instant::now(),
        }
    }

    /// Logs the time since the previous step ended (or the clock started) as `step`.
    pub fn lap(&mut self, step: &str) {
        let now = Instant::now();
        self.log(step, now - self.last);
        self.last = now;
    }

    /// Logs time measured elsewhere (summed over threads, say), leaving the laps as they are.
    pub fn log(&self, step: &str, took: Duration) {
        // Reading the memory figures costs a file read: only for a log that shows them.
        if !tracing::enabled!(target: "ohs::timings", tracing::Level::DEBUG) {
            return;
        }
        let memory = ResidentMemory::now();
        debug!(
            target: "ohs::timings",
            stage = self.stage,
            step,
            snapshot_date = %self.snapshot,
            seconds = took.as_secs_f64(),
            rss_mib = memory.map(|m| m.current_mib),
            peak_rss_mib = memory.map(|m| m.peak_mib),
            "step timed"
        );
    }
}
