//! Running one child to completion: spawn it as the leader of a new process group with
//! its stdout and stderr going straight into their log files, follow those files for the
//! line callback, and stop the child on deadline or cancellation with SIGTERM, a grace
//! period, then SIGKILL.
//!
//! The child writes its logs itself rather than through pipes bakeoff copies: writing
//! into the page cache is the single largest cost of a chatty agent, and this way it is
//! the agent's, not bakeoff's, and no pipe can fill up and stall the child. bakeoff only
//! reads what was appended, a few times a second. A capped log (`Command::log_cap`) is
//! cut to its head and tail on disk by `cap.rs`; the line callback still sees it all.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::cap::Cap;
use super::group::Group;
use super::lines::LineSplitter;
use super::marked::{self, Marker};
use super::stop::StopState;
use super::{CancelLevel, CancelToken, Command, ExitKind, ProcessError};

/// Log reads are this big so a flood costs few system calls.
const READ_BUFFER: usize = 64 * 1024;

/// How often the logs are read for new lines while the child runs: often enough for a
/// live display, rarely enough that eight idle lanes cost next to nothing in wake-ups.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

/// At most this much is read from one log per follow tick, so one flooding lane cannot
/// hold up the others sharing the thread; the rest is read on the next tick.
const FOLLOW_BUDGET: usize = 64 * READ_BUFFER;

/// Which output stream a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        })
    }
}

/// Where a child's output lines go. A closure `FnMut(Stream, &str)` is one; a sink that
/// batches what it learns from the lines implements [`LineSink::batch_end`] too.
pub trait LineSink {
    /// One output line, without its line ending, lossily decoded, cut to 64 KiB.
    fn line(&mut self, stream: Stream, line: &str);
    /// One read of the logs is over (a follow tick, or the last read once the child
    /// exited): a batching sink hands on what it gathered.
    fn batch_end(&mut self) {}
}

impl<F: FnMut(Stream, &str)> LineSink for F {
    fn line(&mut self, stream: Stream, line: &str) {
        self(stream, line)
    }
}

/// How a child ended.
#[derive(Clone, Debug)]
pub struct Finished {
    pub exit: ExitKind,
    /// The deadline expired and the terminate sequence was started because of it.
    pub timed_out: bool,
    /// A cancellation (graceful or immediate) was acted on before the child exited.
    pub cancelled: bool,
    /// From spawn until the leader exited.
    pub elapsed: Duration,
    /// The CPU time (user and system) of the leader and of every descendant that was
    /// waited for, when the system tells it.
    pub cpu: Option<Duration>,
    /// Bytes written to the stdout file.
    pub stdout_bytes: u64,
    /// Bytes written to the stderr file.
    pub stderr_bytes: u64,
}

/// Runs `cmd` to completion. `on_line` receives every output line (without its line
/// ending, lossily decoded, cut to 64 KiB) in the order each stream produced them.
///
/// stdin is `/dev/null`; the environment is `cmd.env` and the child's marker
/// ([`marked`](super::marked)). When the future is dropped before completion the whole
/// process group is killed, and so is every process carrying the marker.
pub async fn run<F>(cmd: Command, on_line: F, cancel: CancelToken) -> Result<Finished, ProcessError>
where
    F: FnMut(Stream, &str) + Send,
{
    let mut on_line = on_line;
    run_child(cmd, None::<fn(u32)>, &mut on_line, cancel).await
}

/// [`run`] for an agent: `on_start` learns the child's pid (which is also its process
/// group id, for the journal, so a later `resume` can find what a crash left behind),
/// and on Linux the child is killed when bakeoff dies.
///
/// Why the death signal: bakeoff stops its children itself on every exit it sees, but a
/// SIGKILLed (or OOM-killed) bakeoff sees nothing, and an agent left running would keep
/// editing a worktree and spending money with nobody watching. The kernel sends the
/// signal when the *thread* that spawned the child exits; bakeoff's runtime is one
/// thread that lives as long as the process, so that is the process's death.
pub async fn run_agent<S, F>(
    cmd: Command,
    on_start: S,
    on_line: &mut F,
    cancel: CancelToken,
) -> Result<Finished, ProcessError>
where
    S: FnOnce(u32) + Send,
    F: LineSink + Send,
{
    run_child(cmd, Some(on_start), on_line, cancel).await
}

/// `on_start` is `Some` for agents, whose pid is journaled. Every child gets the
/// parent-death signal: a check or setup command outliving a SIGKILLed bakeoff is as
/// unwatched as an agent.
async fn run_child<S, F>(
    cmd: Command,
    on_start: Option<S>,
    on_line: &mut F,
    mut cancel: CancelToken,
) -> Result<Finished, ProcessError>
where
    S: FnOnce(u32) + Send,
    F: LineSink + Send,
{
    let program = cmd.program_path().to_path_buf();
    let (out, out_sink) = Log::create(&cmd.stdout, cmd.log_cap)?;
    let (err, err_sink) = Log::create(&cmd.stderr, cmd.log_cap)?;
    // A missing cwd makes spawn fail with ENOENT, which would read as a missing program.
    check_dir(&cmd.cwd)?;

    let child_mark = marked::next_child();
    let child = spawn(&cmd, &program, &child_mark, out_sink, err_sink)?;
    let start = Instant::now();
    if let (Some(on_start), Some(pid)) = (on_start, child.id()) {
        on_start(pid);
    }
    let mut running = Running {
        group: child.id().and_then(Group::new),
        child,
        out,
        err,
        program,
        start,
        grace: cmd.grace,
        stop: StopState::new(cmd.deadline.and_then(|d| start.checked_add(d))),
        leftovers: Leftovers::new(&child_mark),
    };
    let (status, elapsed, cpu) = running.wait(on_line, &mut cancel).await?;
    running.drain(on_line)?;
    Ok(Finished {
        exit: exit_kind(status),
        timed_out: running.stop.timed_out,
        cancelled: running.stop.cancelled,
        elapsed,
        cpu,
        stdout_bytes: running.out.bytes,
        stderr_bytes: running.err.bytes,
    })
}

/// Spawns `cmd` as the leader of a new process group, with stdin `/dev/null`, `cmd.env`
/// and the marker of this child (`marked`) as its environment and its output going into
/// the log files' sinks.
fn spawn(
    cmd: &Command,
    program: &Path,
    child_mark: &str,
    stdout: Stdio,
    stderr: Stdio,
) -> Result<tokio::process::Child, ProcessError> {
    let mut command = tokio::process::Command::new(&cmd.program);
    die_with_parent(&mut command);
    if let Some(overlay) = &cmd.overlay {
        let spawn_error = |source| ProcessError::Spawn {
            program: program.to_path_buf(),
            source: Arc::new(source),
        };
        let prepared = overlay.prepare(&cmd.cwd).map_err(spawn_error)?;
        // SAFETY: `enter` makes only async-signal-safe system calls on memory prepared
        // before the fork.
        unsafe {
            command.pre_exec(move || prepared.enter());
        }
    }
    command
        .args(&cmd.args)
        .current_dir(&cmd.cwd)
        .env_clear()
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .env(marked::RUN_VAR, marked::run_token())
        .env(marked::CHILD_VAR, child_mark)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ProcessError::Spawn {
            program: program.to_path_buf(),
            source: Arc::new(source),
        })
}

/// A spawned child and everything watching it until it exits.
///
/// Fields drop in order: the group (SIGKILLed unless the leader was reaped) before the
/// child (killed on drop), then whatever carries the child's marker, so a dropped run
/// leaves nothing behind.
struct Running {
    group: Option<Group>,
    child: tokio::process::Child,
    out: Log,
    err: Log,
    program: PathBuf,
    start: Instant,
    grace: Duration,
    stop: StopState,
    leftovers: Leftovers,
}

/// The processes carrying one child's marker, SIGKILLed once the child ended (or on drop):
/// descendants that left its process group (`setsid`, a double fork).
struct Leftovers {
    marker: Option<Marker>,
}

impl Leftovers {
    fn new(child_mark: &str) -> Leftovers {
        let marker = Marker::default()
            .with(marked::RUN_VAR, marked::run_token())
            .with(marked::CHILD_VAR, child_mark);
        Leftovers { marker: Some(marker) }
    }

    fn kill(&mut self) {
        if let Some(marker) = self.marker.take() {
            marker.kill();
        }
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Running {
    /// Follows the logs until the leader exits, acting on the deadline, cancellation and
    /// the SIGKILL due after the grace period; then kills what the leader left in its
    /// group. Returns the exit status, the time from spawn to the exit and the CPU time
    /// the child used.
    async fn wait<F>(
        &mut self,
        on_line: &mut F,
        cancel: &mut CancelToken,
    ) -> Result<(ExitStatus, Duration, Option<Duration>), ProcessError>
    where
        F: LineSink,
    {
        let mut follow = tokio::time::interval(FOLLOW_EVERY);
        follow.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The leader's exit is seen without reaping it first, so its CPU time can still
        // be read; tokio reaps it right after (it only does when `wait` is polled).
        let mut exited_zombie = std::pin::pin!(zombie_cpu(self.child.id()));
        let mut zombie_unknown = false;
        // One loop owns every event so `on_line` needs no synchronisation and no spawned task.
        loop {
            let next_level = self.stop.next_level();
            tokio::select! {
                _ = follow.tick() => {
                    self.follow(FOLLOW_BUDGET, on_line)?;
                }
                cpu = &mut exited_zombie, if !zombie_unknown => {
                    let Some(cpu) = cpu else {
                        // Not known this way: tokio's own wait, below, sees the exit.
                        zombie_unknown = true;
                        continue;
                    };
                    // The leader has exited: reaping it does not wait.
                    let exited = self.child.wait().await.map_err(|source| ProcessError::Wait {
                        program: self.program.clone(),
                        source: Arc::new(source),
                    })?;
                    return Ok(self.ended(exited, Some(cpu)));
                }
                exited = self.child.wait(), if zombie_unknown => {
                    let exited = exited.map_err(|source| ProcessError::Wait {
                        program: self.program.clone(),
                        source: Arc::new(source),
                    })?;
                    return Ok(self.ended(exited, None));
                }
                _ = sleep_until(self.stop.deadline_at), if self.stop.deadline_at.is_some() => {
                    self.stop.deadline_passed(self.group.as_ref(), self.grace);
                }
                _ = cancel.raised(next_level), if self.stop.seen < CancelLevel::Immediate => {
                    self.stop.cancel_raised(cancel.level(), self.group.as_ref(), self.grace);
                }
                _ = sleep_until(self.stop.kill_at), if self.stop.kill_at.is_some() => {
                    self.stop.kill_due(self.group.as_ref());
                }
            }
        }
    }

    /// After the leader exited: kills what it left and returns its status, the time
    /// from spawn and its CPU time.
    fn ended(
        &mut self,
        exited: ExitStatus,
        cpu: Option<Duration>,
    ) -> (ExitStatus, Duration, Option<Duration>) {
        let elapsed = self.start.elapsed();
        // Whatever the leader left behind in its group goes with it.
        if let Some(group) = self.group.as_mut() {
            group.kill_leftovers();
        }
        // And what left the group.
        self.leftovers.kill();
        (exited, elapsed, cpu)
    }

    /// Hands on the complete lines appended to stdout, then to stderr, up to `budget`
    /// bytes of each, then ends the batch.
    fn follow<F>(&mut self, budget: usize, on_line: &mut F) -> Result<(), ProcessError>
    where
        F: LineSink,
    {
        self.out
            .follow(budget, &mut |l| on_line.line(Stream::Stdout, l))?;
        self.err
            .follow(budget, &mut |l| on_line.line(Stream::Stderr, l))?;
        on_line.batch_end();
        Ok(())
    }

    /// Reads both logs to their end once the group is gone, the unterminated last lines
    /// included.
    fn drain<F>(&mut self, on_line: &mut F) -> Result<(), ProcessError>
    where
        F: LineSink,
    {
        self.follow(usize::MAX, on_line)?;
        self.out.finish(&mut |l| on_line.line(Stream::Stdout, l))?;
        self.err.finish(&mut |l| on_line.line(Stream::Stderr, l))?;
        on_line.batch_end();
        Ok(())
    }
}

/// One output stream: the log file the child writes, followed from where it was last read.
struct Log {
    path: PathBuf,
    reader: File,
    buf: Vec<u8>,
    bytes: u64,
    lines: LineSplitter,
    /// `Command::log_cap`: what of the file is kept once the child is gone.
    cap: Option<Cap>,
}

impl Log {
    /// Creates (truncates) the log; returns the follower and the child's end of it.
    fn create(path: &Path, cap: Option<u64>) -> Result<(Log, Stdio), ProcessError> {
        let sink = File::create(path).map_err(|e| io_error(path, e))?;
        // Writable as well: a capped log's middle is freed and the file compacted.
        let reader = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        let log = Log {
            path: path.to_path_buf(),
            reader,
            buf: vec![0; READ_BUFFER],
            bytes: 0,
            lines: LineSplitter::default(),
            cap: cap.map(Cap::new),
        };
        Ok((log, Stdio::from(sink)))
    }

    /// Reads what the child appended since the last call, up to `budget` bytes, and hands
    /// on the complete lines. Reads of a regular file never block on the writer.
    fn follow(&mut self, budget: usize, emit: &mut dyn FnMut(&str)) -> Result<(), ProcessError> {
        let mut read = 0;
        while read < budget {
            match self.reader.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => {
                    read += n;
                    self.bytes += n as u64;
                    self.lines.feed(&self.buf[..n], emit);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&self.path, e)),
            }
        }
        if let Some(cap) = self.cap.as_mut() {
            cap.free_read(&self.reader, self.bytes);
        }
        Ok(())
    }

    /// Hands on the last unterminated line and cuts the file down to its cap.
    fn finish(&mut self, emit: &mut dyn FnMut(&str)) -> Result<(), ProcessError> {
        self.lines.finish(emit);
        if let Some(cap) = &self.cap {
            cap.compact(&self.reader, self.bytes)
                .map_err(|e| io_error(&self.path, e))?;
        }
        Ok(())
    }
}

/// Asks the kernel to SIGKILL the child when bakeoff dies (Linux only; elsewhere a
/// crash leaves the agent to `bakeoff resume`, which kills its recorded group).
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut tokio::process::Command) {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // bakeoff died between fork and prctl: the signal will never come.
            if libc::getppid() != parent {
                libc::_exit(137);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut tokio::process::Command) {}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn exit_kind(status: ExitStatus) -> ExitKind {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitKind::Code(code),
        (None, Some(signal)) => ExitKind::Signal(signal),
        // Neither is only possible for stopped/continued states, which wait() never reports.
        (None, None) => ExitKind::Code(-1),
    }
}

fn check_dir(dir: &Path) -> Result<(), ProcessError> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(io_error(dir, std::io::Error::from_raw_os_error(libc::ENOTDIR))),
        Err(e) => Err(io_error(dir, e)),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> ProcessError {
    ProcessError::Io {
        path: path.to_path_buf(),
        source: Arc::new(source),
    }
}

/// Waits, on a blocking thread, until the child `pid` has exited, without reaping it,
/// and returns the CPU time of it and the descendants it waited for. `None` when that
/// cannot be known; the child has exited either way (or cannot be waited for here, and
/// tokio's own wait says so).
async fn zombie_cpu(pid: Option<u32>) -> Option<Duration> {
    let pid = pid?;
    tokio::task::spawn_blocking(move || exited_cpu(pid))
        .await
        .ok()
        .flatten()
}

/// `waitid(P_PID, pid, WEXITED | WNOWAIT)` with the rusage Linux's system call fills
/// in (libc's `waitid` wrapper has no rusage argument, and `wait4` would reap).
#[cfg(target_os = "linux")]
fn exited_cpu(pid: u32) -> Option<Duration> {
    loop {
        // SAFETY: zeroed plain C structs, written by the kernel; the call reaps nothing.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::syscall(
                libc::SYS_waitid,
                libc::P_PID,
                pid as libc::id_t,
                &mut info as *mut libc::siginfo_t,
                libc::WEXITED | libc::WNOWAIT,
                &mut usage as *mut libc::rusage,
            )
        };
        if r == 0 {
            let time = |t: libc::timeval| {
                Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
            };
            return Some(time(usage.ru_utime) + time(usage.ru_stime));
        }
        if std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
            return None;
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn exited_cpu(_pid: u32) -> Option<Duration> {
    None
}
