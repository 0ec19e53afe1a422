//! Which checks need no check slot. `--check-jobs` bounds the checks that compete for
//! the cores; a check that sleeps, or waits on a server, takes none, and lanes that
//! finish together should not queue behind it. A check is light when it says so
//! (`light = true`) or once a run of it used under a quarter of a core over its wall
//! time (its CPU time, and that of everything it waited for, from `process::Finished`);
//! a later run that uses more makes it a slot-taker again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::futures::Notified;
use tokio::sync::Notify;

/// A run under this share of one core makes its check light.
const LIGHT_SHARE: f64 = 0.25;

#[derive(Default)]
pub struct LightChecks {
    /// Per check name: light (`true`) or not, from its last run.
    learned: Mutex<HashMap<String, bool>>,
    /// Wakes checks waiting for a slot when one becomes light.
    changed: Notify,
}

impl LightChecks {
    pub fn is_light(&self, name: &str) -> bool {
        self.learned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .copied()
            .unwrap_or(false)
    }

    /// A future that completes when any check is learned to be light: made before
    /// [`is_light`](Self::is_light) is asked, so no change between the two is missed.
    pub fn changed(&self) -> Notified<'_> {
        self.changed.notified()
    }

    /// What a run of `name` taught: light when it used under a quarter of a core.
    pub fn learn(&self, name: &str, cpu: Duration, elapsed: Duration) {
        let light = elapsed > Duration::ZERO && cpu.as_secs_f64() < LIGHT_SHARE * elapsed.as_secs_f64();
        let was = self
            .learned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), light);
        if light && was != Some(true) {
            self.changed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_is_light_after_a_run_under_a_quarter_core_and_heavy_again_after_one_over() {
        let l = LightChecks::default();
        assert!(!l.is_light("test"));
        let waiting = l.changed();
        l.learn("test", Duration::from_millis(10), Duration::from_secs(1));
        assert!(l.is_light("test"));
        // The waiter made before the change is woken.
        futures_util::FutureExt::now_or_never(waiting).expect("woken");
        l.learn("test", Duration::from_millis(900), Duration::from_secs(1));
        assert!(!l.is_light("test"));
        assert!(!l.is_light("build"));
    }
}
