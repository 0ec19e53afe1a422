//! Running one child to completion: spawn it as the leader of a new process group, stream
//! both pipes to their files and to the line callback, and stop it on deadline or
//! cancellation with SIGTERM, a grace period, then SIGKILL.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::group::Group;
use super::lines::LineSplitter;
use super::{CancelLevel, CancelToken, Command, ExitKind, ProcessError};

/// Pipe reads are this big so a flood costs few wake-ups.
const READ_BUFFER: usize = 64 * 1024;

/// After the leader exits and its group is killed, the pipes normally reach EOF at once.
/// Only a process that left the group (`setsid`) can still hold them; stop waiting for it
/// after this long rather than hang.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

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
    /// Bytes written to the stdout file.
    pub stdout_bytes: u64,
    /// Bytes written to the stderr file.
    pub stderr_bytes: u64,
}

/// Runs `cmd` to completion. `on_line` receives every output line (without its line
/// ending, lossily decoded, cut to 64 KiB) in the order each stream produced them.
///
/// stdin is `/dev/null`; the environment is exactly `cmd.env`. When the future is dropped
/// before completion the whole process group is killed.
pub async fn run<F>(cmd: Command, mut on_line: F, mut cancel: CancelToken) -> Result<Finished, ProcessError>
where
    F: FnMut(Stream, &str) + Send,
{
    let program = cmd.program_path().to_path_buf();
    let mut out = Pipe::create(Stream::Stdout, &cmd.stdout)?;
    let mut err = Pipe::create(Stream::Stderr, &cmd.stderr)?;
    // A missing cwd makes spawn fail with ENOENT, which would read as a missing program.
    check_dir(&cmd.cwd)?;

    let mut child = tokio::process::Command::new(&cmd.program)
        .args(&cmd.args)
        .current_dir(&cmd.cwd)
        .env_clear()
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ProcessError::Spawn {
            program: program.clone(),
            source: Arc::new(source),
        })?;
    let start = Instant::now();
    let mut group = child.id().and_then(Group::new);
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();

    let mut status: Option<ExitStatus> = None;
    let mut elapsed = Duration::ZERO;
    let mut deadline_at = cmd.deadline.and_then(|d| start.checked_add(d));
    let mut kill_at: Option<Instant> = None;
    let mut drain_until: Option<Instant> = None;
    let mut seen = CancelLevel::None;
    let mut timed_out = false;
    let mut cancelled = false;

    // One loop owns every event so `on_line` needs no synchronisation and no spawned task.
    while status.is_none() || stdout.is_some() || stderr.is_some() {
        let running = status.is_none();
        let next_level = if seen == CancelLevel::None {
            CancelLevel::Graceful
        } else {
            CancelLevel::Immediate
        };
        tokio::select! {
            read = read_some(&mut stdout, &mut out.buf), if stdout.is_some() => {
                let open = out.take(read, &program, &mut |l| on_line(Stream::Stdout, l))?;
                if !open {
                    stdout = None;
                }
            }
            read = read_some(&mut stderr, &mut err.buf), if stderr.is_some() => {
                let open = err.take(read, &program, &mut |l| on_line(Stream::Stderr, l))?;
                if !open {
                    stderr = None;
                }
            }
            exited = child.wait(), if running => {
                let exited = exited.map_err(|source| ProcessError::Wait {
                    program: program.clone(),
                    source: Arc::new(source),
                })?;
                elapsed = start.elapsed();
                status = Some(exited);
                // Whatever the leader left behind would keep the pipes open: kill it.
                if let Some(group) = group.as_mut() {
                    group.kill_leftovers();
                }
                drain_until = Some(Instant::now() + DRAIN_AFTER_EXIT);
            }
            _ = sleep_until(deadline_at), if running && deadline_at.is_some() => {
                deadline_at = None;
                // A stop already under way makes the deadline moot.
                if kill_at.is_none() && seen < CancelLevel::Immediate {
                    timed_out = true;
                    kill_at = terminate(group.as_ref(), cmd.grace);
                }
            }
            _ = cancel.raised(next_level), if running && seen < CancelLevel::Immediate => {
                seen = cancel.level();
                cancelled = true;
                if seen >= CancelLevel::Immediate {
                    if let Some(group) = group.as_ref() {
                        group.kill();
                    }
                    kill_at = None;
                } else if kill_at.is_none() {
                    kill_at = terminate(group.as_ref(), cmd.grace);
                }
            }
            _ = sleep_until(kill_at), if running && kill_at.is_some() => {
                kill_at = None;
                if let Some(group) = group.as_ref() {
                    group.kill();
                }
            }
            _ = sleep_until(drain_until), if drain_until.is_some() => {
                // Something outside the group holds the pipes; give up on them.
                stdout = None;
                stderr = None;
            }
        }
    }
    out.finish(&mut |l| on_line(Stream::Stdout, l));
    err.finish(&mut |l| on_line(Stream::Stderr, l));

    let exit = match status {
        Some(s) => exit_kind(s),
        // Unreachable: the loop only ends once the status is known.
        None => ExitKind::Signal(libc::SIGKILL),
    };
    Ok(Finished {
        exit,
        timed_out,
        cancelled,
        elapsed,
        stdout_bytes: out.bytes,
        stderr_bytes: err.bytes,
    })
}

/// One output stream's sinks: its log file, its byte count and its line splitter.
struct Pipe {
    stream: Stream,
    path: PathBuf,
    // A plain std file: writes of a read buffer land in the page cache in microseconds,
    // cheaper than tokio::fs's hop to the blocking pool for every chunk.
    file: File,
    buf: Vec<u8>,
    bytes: u64,
    lines: LineSplitter,
}

impl Pipe {
    fn create(stream: Stream, path: &Path) -> Result<Pipe, ProcessError> {
        let file = File::create(path).map_err(|e| io_error(path, e))?;
        Ok(Pipe {
            stream,
            path: path.to_path_buf(),
            file,
            buf: vec![0; READ_BUFFER],
            bytes: 0,
            lines: LineSplitter::default(),
        })
    }

    /// Handles one read result; false at end of stream.
    fn take(
        &mut self,
        read: std::io::Result<usize>,
        program: &Path,
        emit: &mut dyn FnMut(&str),
    ) -> Result<bool, ProcessError> {
        match read {
            Ok(0) => Ok(false),
            Ok(n) => {
                let chunk = &self.buf[..n];
                self.file.write_all(chunk).map_err(|e| io_error(&self.path, e))?;
                self.bytes += n as u64;
                self.lines.feed(chunk, emit);
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
            Err(e) => Err(ProcessError::Pipe {
                program: program.to_path_buf(),
                stream: self.stream,
                source: Arc::new(e),
            }),
        }
    }

    fn finish(&mut self, emit: &mut dyn FnMut(&str)) {
        self.lines.finish(emit);
    }
}

/// Reads from a pipe that is still open; pends forever for a closed one (its select
/// branch is disabled then anyway).
async fn read_some<R: AsyncRead + Unpin>(reader: &mut Option<R>, buf: &mut [u8]) -> std::io::Result<usize> {
    match reader {
        Some(reader) => reader.read(buf).await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Starts the terminate sequence; returns when SIGKILL is due.
fn terminate(group: Option<&Group>, grace: Duration) -> Option<Instant> {
    if let Some(group) = group {
        group.terminate();
    }
    Instant::now().checked_add(grace)
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
