//! The terminate sequence of one child: the deadline still to come, cancellation as it
//! rises, SIGTERM to the group, the grace period, then SIGKILL. This is the state and
//! its transitions; the loop in `run.rs` waits for each moment and reports it here.

use std::time::Duration;

use tokio::time::Instant;

use super::group::Group;
use super::CancelLevel;

/// Where the terminate sequence stands: the deadline still to come, when SIGKILL is
/// due, the cancellation level acted on, and why the child is being stopped.
pub struct StopState {
    pub deadline_at: Option<Instant>,
    pub kill_at: Option<Instant>,
    pub seen: CancelLevel,
    pub timed_out: bool,
    pub cancelled: bool,
}

impl StopState {
    pub fn new(deadline_at: Option<Instant>) -> StopState {
        StopState {
            deadline_at,
            kill_at: None,
            seen: CancelLevel::None,
            timed_out: false,
            cancelled: false,
        }
    }

    /// The cancellation level to wait for: any stop at first, then only an escalation.
    pub fn next_level(&self) -> CancelLevel {
        if self.seen == CancelLevel::None {
            CancelLevel::Graceful
        } else {
            CancelLevel::Immediate
        }
    }

    /// The deadline expired: start the terminate sequence, unless a stop is under way.
    pub fn deadline_passed(&mut self, group: Option<&Group>, grace: Duration) {
        self.deadline_at = None;
        // A stop already under way makes the deadline moot.
        if self.kill_at.is_none() && self.seen < CancelLevel::Immediate {
            self.timed_out = true;
            self.kill_at = terminate(group, grace);
        }
    }

    /// Cancellation reached `level`: SIGKILL the group now when immediate, else start
    /// the terminate sequence unless it is already running.
    pub fn cancel_raised(&mut self, level: CancelLevel, group: Option<&Group>, grace: Duration) {
        self.seen = level;
        self.cancelled = true;
        if level >= CancelLevel::Immediate {
            if let Some(group) = group {
                group.kill();
            }
            self.kill_at = None;
        } else if self.kill_at.is_none() {
            self.kill_at = terminate(group, grace);
        }
    }

    /// The grace period is over: SIGKILL the group.
    pub fn kill_due(&mut self, group: Option<&Group>) {
        self.kill_at = None;
        if let Some(group) = group {
            group.kill();
        }
    }
}

/// Starts the terminate sequence; returns when SIGKILL is due.
fn terminate(group: Option<&Group>, grace: Duration) -> Option<Instant> {
    if let Some(group) = group {
        group.terminate();
    }
    Instant::now().checked_add(grace)
}
