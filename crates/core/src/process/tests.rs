//! Tests of `run` against real `sh -c` children: exit reporting, streaming, deadlines,
//! the terminate sequence, cancellation, lingering children and floods.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// Every test's own bound, so a broken terminate sequence fails instead of hanging.
const TEST_BOUND: Duration = Duration::from_secs(30);

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn shell(&self, script: &str) -> Command {
        let env = vec![(OsString::from("PATH"), OsString::from("/usr/bin:/bin"))];
        Command::shell(
            script,
            self.dir.path(),
            env,
            self.path("out.log"),
            self.path("err.log"),
        )
    }
}

#[derive(Default)]
struct Lines {
    stdout: Vec<String>,
    stderr: Vec<String>,
}

async fn run_collect(cmd: Command, cancel: CancelToken) -> (Finished, Lines) {
    let mut lines = Lines::default();
    let on_line = |stream: Stream, line: &str| match stream {
        Stream::Stdout => lines.stdout.push(line.to_owned()),
        Stream::Stderr => lines.stderr.push(line.to_owned()),
    };
    let finished = tokio::time::timeout(TEST_BOUND, run(cmd, on_line, cancel))
        .await
        .expect("run finished within the test bound")
        .expect("run succeeded");
    (finished, lines)
}

async fn run_quiet(cmd: Command, cancel: CancelToken) -> Finished {
    run_collect(cmd, cancel).await.0
}

/// Dead means gone from /proc or a zombie waiting for a reaper we do not control.
fn is_dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .map(|rest| matches!(rest.trim_start().chars().next(), Some('Z' | 'X')))
            .unwrap_or(false),
    }
}

async fn eventually_dead(pid: i32) -> bool {
    for _ in 0..100 {
        if is_dead(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn read_pid(path: &Path) -> i32 {
    let text = std::fs::read_to_string(path).expect("pid file");
    text.trim().parse().expect("pid")
}

#[tokio::test]
async fn reports_exit_code_and_signal() {
    let fx = Fixture::new();
    let finished = run_quiet(fx.shell("exit 3"), CancelToken::never()).await;
    assert_eq!(finished.exit, ExitKind::Code(3));
    assert!(!finished.timed_out && !finished.cancelled);

    let finished = run_quiet(fx.shell("kill -9 $$"), CancelToken::never()).await;
    assert_eq!(finished.exit, ExitKind::Signal(libc::SIGKILL));
}

#[tokio::test]
async fn streams_lines_in_order_and_files_hold_exact_bytes() {
    let fx = Fixture::new();
    let script = r"printf 'a\nb\r\n\nc'; printf 'e1\ne2\n' >&2; printf '\377x\n' >&2";
    let (finished, lines) = run_collect(fx.shell(script), CancelToken::never()).await;
    assert_eq!(finished.exit, ExitKind::Code(0));
    assert_eq!(lines.stdout, ["a", "b", "", "c"]);
    assert_eq!(lines.stderr, ["e1", "e2", "\u{fffd}x"]);
    let out = std::fs::read(fx.path("out.log")).expect("stdout file");
    let err = std::fs::read(fx.path("err.log")).expect("stderr file");
    assert_eq!(out, b"a\nb\r\n\nc");
    assert_eq!(err, b"e1\ne2\n\xffx\n");
    assert_eq!(finished.stdout_bytes, out.len() as u64);
    assert_eq!(finished.stderr_bytes, err.len() as u64);
}

#[tokio::test]
async fn environment_is_exactly_the_given_one_and_stdin_is_empty() {
    let fx = Fixture::new();
    let mut cmd = fx.shell(r#"echo "[$HOME][$FOO]"; cat; echo done"#);
    cmd.env.push(("FOO".into(), "bar".into()));
    let (finished, lines) = run_collect(cmd, CancelToken::never()).await;
    assert_eq!(finished.exit, ExitKind::Code(0));
    assert_eq!(lines.stdout, ["[][bar]", "done"]);
}

#[tokio::test]
async fn deadline_terminates_the_group() {
    let fx = Fixture::new();
    let mut cmd = fx.shell("sleep 30");
    cmd.deadline = Some(Duration::from_millis(200));
    let finished = run_quiet(cmd, CancelToken::never()).await;
    assert!(finished.timed_out);
    assert!(!finished.cancelled);
    assert_eq!(finished.exit, ExitKind::Signal(libc::SIGTERM));
    assert!(finished.elapsed < Duration::from_secs(5), "{finished:?}");
}

#[tokio::test]
async fn a_child_ignoring_sigterm_is_killed_after_grace() {
    let fx = Fixture::new();
    let mut cmd = fx.shell("trap '' TERM; sleep 30");
    cmd.deadline = Some(Duration::from_millis(100));
    cmd.grace = Duration::from_millis(400);
    let finished = run_quiet(cmd, CancelToken::never()).await;
    assert!(finished.timed_out);
    assert_eq!(finished.exit, ExitKind::Signal(libc::SIGKILL));
    assert!(finished.elapsed >= Duration::from_millis(500), "{finished:?}");
    assert!(finished.elapsed < Duration::from_secs(10), "{finished:?}");
}

#[tokio::test]
async fn grandchildren_die_with_the_group() {
    let fx = Fixture::new();
    let mut cmd = fx.shell("sleep 300 & echo $! > grandchild.pid; wait");
    cmd.deadline = Some(Duration::from_millis(300));
    let finished = run_quiet(cmd, CancelToken::never()).await;
    assert!(finished.timed_out);
    assert!(eventually_dead(read_pid(&fx.path("grandchild.pid"))).await);
}

#[tokio::test]
async fn a_lingering_child_is_killed_when_the_leader_exits() {
    let fx = Fixture::new();
    let cmd = fx.shell("sleep 300 & echo $! > linger.pid; echo bye; exit 0");
    let (finished, lines) = run_collect(cmd, CancelToken::never()).await;
    assert_eq!(finished.exit, ExitKind::Code(0));
    assert!(!finished.timed_out);
    assert_eq!(lines.stdout, ["bye"]);
    assert!(eventually_dead(read_pid(&fx.path("linger.pid"))).await);
}

#[tokio::test]
async fn a_50_mb_flood_without_newlines_stays_bounded() {
    let fx = Fixture::new();
    let cmd = fx.shell(r"head -c 52428800 /dev/zero | tr '\0' a");
    let mut count = 0usize;
    let mut longest = 0usize;
    let on_line = |_: Stream, line: &str| {
        count += 1;
        longest = longest.max(line.len());
    };
    let finished = tokio::time::timeout(TEST_BOUND, run(cmd, on_line, CancelToken::never()))
        .await
        .expect("flood finished in time")
        .expect("flood ran");
    assert_eq!(finished.exit, ExitKind::Code(0));
    assert_eq!(finished.stdout_bytes, 52_428_800);
    let size = std::fs::metadata(fx.path("out.log")).expect("out.log").len();
    assert_eq!(size, 52_428_800);
    assert_eq!(count, 1);
    assert_eq!(longest, super::lines::MAX_LINE);
}

#[tokio::test]
async fn a_flood_of_lines_is_delivered_whole() {
    let fx = Fixture::new();
    // 100,000 lines of 99 'y' plus a newline: 10 MB.
    let cmd = fx.shell(&format!("yes {} | head -n 100000", "y".repeat(99)));
    let mut count = 0usize;
    let mut bad = 0usize;
    let on_line = |_: Stream, line: &str| {
        count += 1;
        if line.len() != 99 {
            bad += 1;
        }
    };
    let finished = tokio::time::timeout(TEST_BOUND, run(cmd, on_line, CancelToken::never()))
        .await
        .expect("flood finished in time")
        .expect("flood ran");
    assert_eq!(finished.stdout_bytes, 10_000_000);
    assert_eq!((count, bad), (100_000, 0));
}

#[tokio::test]
async fn graceful_cancellation_terminates() {
    let fx = Fixture::new();
    let (canceller, token) = cancel_pair();
    let trigger = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        canceller.cancel(CancelLevel::Graceful);
        canceller
    });
    let finished = run_quiet(fx.shell("sleep 30"), token).await;
    assert!(finished.cancelled);
    assert!(!finished.timed_out);
    assert_eq!(finished.exit, ExitKind::Signal(libc::SIGTERM));
    drop(trigger.await);
}

#[tokio::test]
async fn immediate_cancellation_cuts_the_grace_period_short() {
    let fx = Fixture::new();
    let mut cmd = fx.shell("trap '' TERM; sleep 30");
    cmd.grace = Duration::from_secs(60);
    let (canceller, token) = cancel_pair();
    let trigger = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        canceller.cancel(CancelLevel::Graceful);
        tokio::time::sleep(Duration::from_millis(150)).await;
        canceller.cancel(CancelLevel::Immediate);
        canceller
    });
    let finished = run_quiet(cmd, token).await;
    assert!(finished.cancelled);
    assert_eq!(finished.exit, ExitKind::Signal(libc::SIGKILL));
    assert!(finished.elapsed < Duration::from_secs(10), "{finished:?}");
    drop(trigger.await);
}

#[tokio::test]
async fn a_cancellation_raised_before_the_start_still_stops_the_child() {
    let fx = Fixture::new();
    let (canceller, token) = cancel_pair();
    canceller.cancel(CancelLevel::Immediate);
    let finished = run_quiet(fx.shell("sleep 30"), token).await;
    assert!(finished.cancelled);
    assert_eq!(finished.exit, ExitKind::Signal(libc::SIGKILL));
}

#[tokio::test]
async fn dropping_the_future_kills_the_group() {
    let fx = Fixture::new();
    let pidfile = fx.path("dropped.pid");
    let cmd = fx.shell("sleep 300 & echo $! > dropped.pid.tmp; mv dropped.pid.tmp dropped.pid; wait");
    let running = run(cmd, |_, _| {}, CancelToken::never());
    let appeared = async {
        while !pidfile.exists() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        result = running => panic!("the child should still run: {result:?}"),
        _ = tokio::time::timeout(TEST_BOUND, appeared) => {}
    }
    assert!(eventually_dead(read_pid(&pidfile)).await);
}

#[tokio::test]
async fn spawn_and_file_failures_name_the_culprit() {
    let fx = Fixture::new();
    let mut cmd = fx.shell("true");
    cmd.program = "/nonexistent/agent".into();
    match run(cmd, |_, _| {}, CancelToken::never()).await {
        Err(ProcessError::Spawn { program, .. }) => {
            assert_eq!(program, Path::new("/nonexistent/agent"))
        }
        other => panic!("expected a spawn error, got {other:?}"),
    }

    let mut cmd = fx.shell("true");
    cmd.cwd = fx.path("missing-dir");
    match run(cmd, |_, _| {}, CancelToken::never()).await {
        Err(ProcessError::Io { path, .. }) => assert_eq!(path, fx.path("missing-dir")),
        other => panic!("expected an io error, got {other:?}"),
    }

    let mut cmd = fx.shell("true");
    cmd.stdout = fx.path("no/such/dir/out.log");
    match run(cmd, |_, _| {}, CancelToken::never()).await {
        Err(ProcessError::Io { path, .. }) => assert_eq!(path, fx.path("no/such/dir/out.log")),
        other => panic!("expected an io error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_childs_cpu_time_counts_its_descendants_and_a_sleeping_one_has_next_to_none() {
    let fx = Fixture::new();
    // The busy loop runs in a grandchild the shell waits for.
    let busy = run_quiet(
        fx.shell("sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'"),
        CancelToken::never(),
    )
    .await;
    let idle = run_quiet(fx.shell("sleep 0.3"), CancelToken::never()).await;
    let (busy_cpu, idle_cpu) = (busy.cpu.expect("cpu known"), idle.cpu.expect("cpu known"));
    assert!(busy_cpu >= Duration::from_millis(50), "{busy:?}");
    assert!(idle_cpu * 10 < idle.elapsed, "{idle:?}");
    assert!(busy.exit.success(), "{busy:?}");
}
