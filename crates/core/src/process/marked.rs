//! Finding and killing every process a child left behind, by a marker in its
//! environment.
//!
//! Killing the child's process group misses a descendant that called `setsid` or
//! double-forked into another group. Every child bakeoff spawns therefore carries, besides
//! the lane's `BAKEOFF_RACE` and `BAKEOFF_LANE`, [`RUN_VAR`] (this bakeoff process) and
//! [`CHILD_VAR`] (this one child) in its environment, which its descendants inherit. After
//! the child ends, `/proc/*/environ` (readable for processes of our own uid) is scanned for
//! the marker and whatever carries it is SIGKILLed; `resume` does the same for every
//! process of the race from an earlier run.
//!
//! Why a marker rather than a cgroup or a PID namespace: it needs no privileges, works in
//! CI containers where neither is delegated to us, and costs one read of `/proc` per
//! child. Its limit: a process that scrubs its environment (or `exec`s with a fresh one)
//! escapes; sandboxing the lane closes that.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Names the bakeoff process that spawned a child, so a resumed race tells the crashed
/// run's processes from its own.
pub const RUN_VAR: &str = "BAKEOFF_RUN";
/// Names one child of this run, so a child's leftovers are ended without touching a
/// sibling that still runs (a lane's checks may run at once).
pub const CHILD_VAR: &str = "BAKEOFF_CHILD";

/// A scan is repeated at most this often while it keeps finding processes: a leftover
/// may fork between the scan and the signal.
const ROUNDS: usize = 8;

/// This bakeoff process's token: its pid and the time it first asked, unique enough that
/// a later run (even one that got the same pid) never shares it.
pub fn run_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{}-{nanos}", std::process::id())
    })
}

/// A fresh value of [`CHILD_VAR`] for the next child.
pub(crate) fn next_child() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

/// Which processes to look for: every `KEY=VALUE` of `all` in the environment and none of
/// `none`.
#[derive(Clone, Debug, Default)]
pub struct Marker {
    all: Vec<Vec<u8>>,
    none: Vec<Vec<u8>>,
}

impl Marker {
    /// Processes whose environment holds `key=value`.
    pub fn with(mut self, key: &str, value: &str) -> Marker {
        self.all.push(format!("{key}={value}").into_bytes());
        self
    }

    /// … and not `key=value`.
    pub fn without(mut self, key: &str, value: &str) -> Marker {
        self.none.push(format!("{key}={value}").into_bytes());
        self
    }

    fn matches(&self, environ: &[u8]) -> bool {
        let has = |m: &Vec<u8>| environ.split(|b| *b == 0).any(|v| v == m.as_slice());
        !self.all.is_empty() && self.all.iter().all(has) && !self.none.iter().any(has)
    }

    /// Live processes carrying the marker, never bakeoff itself. Processes that exit
    /// during the scan, or whose environment we may not read, are not in it.
    pub fn find(&self) -> Vec<u32> {
        let me = std::process::id();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&pid| pid != me && pid > 1)
            .filter(|pid| std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| self.matches(&env)))
            .collect()
    }

    /// SIGKILLs every process carrying the marker, scanning again while the last scan
    /// found some; returns the pids signalled. One that exited in between (ESRCH) is not
    /// an error and not in the list.
    pub fn kill(&self) -> Vec<u32> {
        let mut killed = Vec::new();
        for _ in 0..ROUNDS {
            let found: Vec<u32> = self.find().into_iter().filter(|p| !killed.contains(p)).collect();
            if found.is_empty() {
                break;
            }
            for pid in found {
                let Ok(raw) = libc::pid_t::try_from(pid) else {
                    continue;
                };
                // SAFETY: kill(2) has no memory-safety preconditions; ESRCH (gone
                // already) is expected and ignored.
                if unsafe { libc::kill(raw, libc::SIGKILL) } == 0 {
                    killed.push(pid);
                }
            }
        }
        killed
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn sleeper(env: &[(&str, &str)]) -> std::process::Child {
        std::process::Command::new("sleep")
            .arg("30")
            .env_clear()
            .envs(env.iter().copied())
            .spawn()
            .expect("spawn sleep")
    }

    /// Waits (bounded) until the child is reaped, that is killed.
    fn exited(child: &mut std::process::Child) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if child.try_wait().expect("wait").is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn marked_processes_are_found_and_killed_and_others_left_alone() {
        let token = format!("test-{}", run_token());
        let mut marked = sleeper(&[("BAKEOFF_TEST_MARK", &token), ("OTHER", "x")]);
        let mut other_value = sleeper(&[("BAKEOFF_TEST_MARK", "someone-else")]);
        let mut unmarked = sleeper(&[]);
        let marker = Marker::default().with("BAKEOFF_TEST_MARK", &token);
        // The environment is in /proc once exec is done; a fresh child may still be forking.
        let until = Instant::now() + Duration::from_secs(5);
        while marker.find() != vec![marked.id()] {
            assert!(Instant::now() < until, "not found: {:?}", marker.find());
            std::thread::sleep(Duration::from_millis(20));
        }

        assert_eq!(marker.kill(), vec![marked.id()]);
        assert!(exited(&mut marked), "the marked child was not killed");
        assert_eq!(
            other_value.try_wait().expect("wait"),
            None,
            "a stranger was killed"
        );
        assert_eq!(
            unmarked.try_wait().expect("wait"),
            None,
            "an unmarked child was killed"
        );
        // Killing again finds nothing: the reaped child is gone, quietly.
        assert!(marker.kill().is_empty());
        for mut child in [other_value, unmarked] {
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
    }

    #[test]
    fn an_excluded_value_spares_a_process() {
        let token = format!("test-excl-{}", run_token());
        let mut mine = sleeper(&[("BAKEOFF_TEST_MARK", &token), (RUN_VAR, "this-run")]);
        let mut earlier = sleeper(&[("BAKEOFF_TEST_MARK", &token), (RUN_VAR, "crashed-run")]);
        let marker = Marker::default()
            .with("BAKEOFF_TEST_MARK", &token)
            .without(RUN_VAR, "this-run");
        let until = Instant::now() + Duration::from_secs(5);
        while marker.find() != vec![earlier.id()] {
            assert!(Instant::now() < until, "not found: {:?}", marker.find());
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(marker.kill(), vec![earlier.id()]);
        assert!(exited(&mut earlier));
        assert_eq!(mine.try_wait().expect("wait"), None);
        mine.kill().expect("kill");
        mine.wait().expect("wait");
    }

    #[test]
    fn an_empty_marker_matches_nothing() {
        assert!(Marker::default().find().is_empty());
        assert!(!Marker::default().matches(b"A=1\0"));
    }

    #[test]
    fn bakeoff_itself_is_never_found() {
        // Our own environment has PATH (or at least something); a marker of all of it
        // would match us.
        let me = std::fs::read(format!("/proc/{}/environ", std::process::id())).expect("environ");
        let Some(first) = me.split(|b| *b == 0).find(|v| !v.is_empty()) else {
            return;
        };
        let text = String::from_utf8_lossy(first).to_string();
        let (k, v) = text.split_once('=').expect("KEY=VALUE");
        assert!(!Marker::default().with(k, v).find().contains(&std::process::id()));
    }
}
