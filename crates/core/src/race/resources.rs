//! What a race needs of the machine, checked before anything is created: open files for
//! the lanes asked, and every lane's block of ports inside the port range. A lane that
//! runs out of a resource anyway is told apart from one whose agent failed
//! ([`is_resource_failure`]), so the race never ranks around it silently.

use crate::error::Error;

/// Open files a race keeps besides its lanes' (journal, lock, runtime, the user's
/// checkout and its git), with room for reviewers' connections.
const FILES_BASE: u64 = 64;

/// Open files per lane: each lane's logs (followed while its child runs), its git, the
/// proxy and its socket, a check's report. Measured peaks were about 3.3 a lane
/// unsandboxed and 4.5 sandboxed (8 and 32 lanes); this leaves room for capture and
/// reviews, which open more at once.
const FILES_PER_LANE: u64 = 16;

/// The open files `lanes` lanes need.
pub(super) fn files_needed(lanes: usize) -> u64 {
    FILES_BASE + FILES_PER_LANE * lanes as u64
}

/// What to do about the open-files limit, given its soft and hard values.
#[derive(Debug, PartialEq, Eq)]
enum FilesLimit {
    Enough,
    /// Raise the soft limit to this (no more than the hard limit).
    Raise(u64),
    /// The hard limit is below what the lanes need.
    TooLow {
        hard: u64,
    },
}

fn files_limit(need: u64, soft: u64, hard: u64) -> FilesLimit {
    if soft >= need {
        FilesLimit::Enough
    } else if hard >= need {
        // Some headroom, as the estimate is one.
        FilesLimit::Raise(hard.min(need * 2))
    } else {
        FilesLimit::TooLow { hard }
    }
}

/// Makes sure the process may open the files `lanes` lanes need besides those it has
/// open already (some may be inherited), raising its soft limit when the hard one
/// allows; else the error names the limit and how to raise it.
pub(super) fn ensure_open_files(lanes: usize) -> Result<(), Error> {
    let open_now = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64);
    let need = files_needed(lanes) + open_now;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given and nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        // Nothing known about the limit: the lanes find out, and say so if it bites.
        return Ok(());
    }
    // `rlim_t` is 32 bits on some targets.
    #[allow(clippy::unnecessary_cast)]
    let (soft, hard) = (limit.rlim_cur as u64, limit.rlim_max as u64);
    match files_limit(need, soft, hard) {
        FilesLimit::Enough => Ok(()),
        FilesLimit::Raise(to) => {
            let raised = libc::rlimit {
                rlim_cur: to as libc::rlim_t,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: setrlimit reads the struct it is given.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                Ok(())
            } else {
                Err(too_few_files(lanes, need, soft))
            }
        }
        FilesLimit::TooLow { hard } => Err(too_few_files(lanes, need, hard)),
    }
}

fn too_few_files(lanes: usize, need: u64, allowed: u64) -> Error {
    Error::input_with_hint(
        format!(
            "{lanes} lanes need about {need} open files, and this process may open {allowed} (the open-files limit)"
        ),
        format!(
            "raise the limit (`ulimit -n {need}`; a hard limit is set in /etc/security/limits.conf or by the service that started you) or race fewer lanes"
        ),
    )
}

/// Every lane gets `ports_per_lane` ports from `port_base` on (`BAKEOFF_PORT`): all of
/// them must be real ports, so no two lanes share one.
pub(super) fn check_ports(lanes: usize, port_base: u16, ports_per_lane: u16) -> Result<(), Error> {
    let span = lanes as u64 * ports_per_lane as u64;
    let last = port_base as u64 + span.saturating_sub(1);
    if last <= u16::MAX as u64 {
        return Ok(());
    }
    let highest_base = (u16::MAX as u64 + 1).checked_sub(span);
    let hint = match highest_base {
        Some(b) => format!(
            "lower [worktree] port-base to {b} or less, or ports-per-lane, or race fewer lanes"
        ),
        None => format!(
            "lower [worktree] ports-per-lane ({ports_per_lane} × {lanes} lanes is more ports than there are) or race fewer lanes"
        ),
    };
    Err(Error::input_with_hint(
        format!(
            "{lanes} lanes of {ports_per_lane} ports from port-base {port_base} need ports up to {last}, past the last port (65535)"
        ),
        hint,
    ))
}

/// Whether lanes start on one shared checkout of the base (`git::shared_base`):
/// `[worktree] shared-base`, else wherever the machine can mount a lane's overlay in the
/// worktree root's file system and has the git CLI to check out with. Asked for where
/// the machine cannot, the reason comes back as a warning and lanes are checked out one
/// each.
pub(super) fn shared_base_for(
    asked: Option<bool>,
    worktree_root: &std::path::Path,
) -> (bool, Option<String>) {
    if asked == Some(false) {
        return (false, None);
    }
    let unmountable = |c| matches!(c, ',' | ':' | '\\');
    let why_not = match worktree_root.ancestors().find(|p| p.is_dir()) {
        _ if worktree_root.to_string_lossy().chars().any(unmountable) => Some(format!(
            "{} holds a character an overlay mount cannot take (, : \\)",
            worktree_root.display()
        )),
        None => Some(format!("{} has no folder to make it in", worktree_root.display())),
        Some(existing) => why_no_overlay(existing),
    };
    match (why_not, asked) {
        (None, _) => (true, None),
        (Some(why), Some(true)) => (
            false,
            Some(format!(
                "[worktree] shared-base: {why}; each lane is checked out on its own"
            )),
        ),
        (Some(_), _) => (false, None),
    }
}

/// Why a lane's overlay cannot be mounted in `dir`, probed once per folder and process: a
/// bench plans a race per trial, and the answer does not change between them.
fn why_no_overlay(dir: &std::path::Path) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static PROBED: OnceLock<Mutex<HashMap<std::path::PathBuf, Option<String>>>> = OnceLock::new();
    let mut probed = PROBED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    probed
        .entry(dir.to_path_buf())
        .or_insert_with(|| {
            crate::process::probe_overlay(dir)
                .err()
                .map(|e| format!("cannot mount a lane's overlay in {}: {e}", dir.display()))
                .or_else(|| {
                    let git = std::process::Command::new("git")
                        .arg("--version")
                        .stdout(std::process::Stdio::null())
                        .status();
                    (!git.is_ok_and(|s| s.success())).then(|| "the git CLI is not on PATH".to_string())
                })
        })
        .clone()
}

/// Worktrees checked out at once when `[worktree] setup-jobs` does not say: every lane at
/// once where the files live in memory (tmpfs, ramfs: the cores set the pace), and two
/// on a disk, where parallel checkouts fight over the file system's allocator and the
/// writeback (docs/benchmarks.md, "Lane set-up", measures 1, 2, 4 and 8 side by side).
pub(super) fn setup_jobs_for(worktree_root: &std::path::Path) -> usize {
    const ON_DISK: usize = 2;
    // The nearest folder that exists: the race's own is made later.
    let Some(existing) = worktree_root.ancestors().find(|p| p.exists()) else {
        return ON_DISK;
    };
    match in_memory(existing) {
        true => usize::MAX,
        false => ON_DISK,
    }
}

/// Whether `path` is on a file system kept in memory.
#[cfg(target_os = "linux")]
fn in_memory(path: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    const RAMFS_MAGIC: i64 = 0x8584_58f6;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs writes the zeroed struct it is given; the path is NUL-terminated.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c_path.as_ptr(), &mut fs) } != 0 {
        return false;
    }
    // `f_type`'s integer type differs between targets.
    #[allow(clippy::unnecessary_cast)]
    let kind = fs.f_type as i64;
    kind == TMPFS_MAGIC || kind == RAMFS_MAGIC
}

#[cfg(not(target_os = "linux"))]
fn in_memory(_path: &std::path::Path) -> bool {
    false
}

/// Whether a lane's failure is the machine's, not its agent's: out of open files,
/// memory, processes or disk space. Lane failures are messages by the time they are
/// recorded; an OS error keeps its number in Rust's rendering (`(os error 24)`), and
/// libgit2 and child processes say it in words, so both are matched.
pub fn is_resource_failure(message: &str) -> bool {
    const OS_ERRORS: [i32; 5] = [
        libc::EMFILE,
        libc::ENFILE,
        libc::ENOMEM,
        libc::ENOSPC,
        libc::EAGAIN,
    ];
    const WORDS: [&str; 5] = [
        "Too many open files",
        "No space left on device",
        "Cannot allocate memory",
        "Resource temporarily unavailable",
        "Disk quota exceeded",
    ];
    OS_ERRORS
        .iter()
        .any(|n| message.contains(&format!("(os error {n})")))
        || WORDS.iter().any(|w| message.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_files_limit_is_raised_when_it_can_be_and_refused_when_not() {
        let need = files_needed(32);
        assert_eq!(need, 64 + 16 * 32);
        assert_eq!(files_limit(need, 1024, 1024), FilesLimit::Enough);
        assert_eq!(files_limit(need, 256, 4096), FilesLimit::Raise(need * 2));
        assert_eq!(files_limit(need, 256, need), FilesLimit::Raise(need));
        assert_eq!(files_limit(need, 64, 256), FilesLimit::TooLow { hard: 256 });
    }

    #[test]
    fn worktrees_in_memory_are_all_checked_out_at_once_and_on_a_disk_two_at_a_time() {
        if std::path::Path::new("/dev/shm").is_dir() && in_memory(std::path::Path::new("/dev/shm")) {
            assert_eq!(
                setup_jobs_for(std::path::Path::new("/dev/shm/not/yet/made")),
                usize::MAX
            );
        }
        // The proc file system is neither, so it counts as a disk.
        assert_eq!(setup_jobs_for(std::path::Path::new("/proc")), 2);
    }

    #[test]
    fn every_lanes_ports_must_be_real_ports() {
        check_ports(8, 20000, 100).unwrap();
        check_ports(1, 65535, 1).unwrap();
        check_ports(2, 65534, 1).unwrap();
        let err = check_ports(8, 65000, 100).unwrap_err().to_string();
        assert!(err.contains("up to 65799"), "{err}");
        let err = check_ports(2, 65535, 1).unwrap_err();
        assert!(format!("{err:?}").contains("65534"), "{err:?}");
        let err = check_ports(1000, 1, 100).unwrap_err();
        assert!(
            format!("{err:?}").contains("more ports than there are"),
            "{err:?}"
        );
    }

    #[test]
    fn a_lane_out_of_files_or_disk_is_told_from_an_agent_that_failed() {
        let emfile = std::io::Error::from_raw_os_error(libc::EMFILE);
        assert!(is_resource_failure(&format!("cannot open the log: {emfile}")));
        let enospc = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert!(is_resource_failure(&format!("capture: {enospc}")));
        assert!(is_resource_failure(
            "git: failed to open 'x': Too many open files"
        ));
        assert!(!is_resource_failure("the agent ended with exit 2"));
        assert!(!is_resource_failure("check 'test': no such file (os error 2)"));
    }

    #[test]
    fn a_shared_base_is_used_where_it_can_be_and_a_request_it_cannot_meet_is_said() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(shared_base_for(Some(false), dir.path()), (false, None));
        let odd = dir.path().join("a,b").join("lanes");
        assert_eq!(shared_base_for(None, &odd), (false, None));
        let (on, warning) = shared_base_for(Some(true), &odd);
        assert!(!on);
        let warning = warning.unwrap();
        assert!(
            warning.contains("[worktree] shared-base") && warning.contains("a,b"),
            "{warning}"
        );
        // This machine's kernel mounts a lane's overlay (under CI it must).
        let (on, warning) = shared_base_for(None, &dir.path().join("lanes"));
        if std::env::var_os("CI").is_some() {
            assert!(on, "{warning:?}");
        }
        assert_eq!(warning, None);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "the probe leaves nothing: {left:?}");
    }
}
