//! Carrying out parsed steps against a directory and two output streams.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::formats::Emitter;
use super::script::{Line, Step};

/// A step that failed while running.
#[derive(Debug)]
pub struct StepError {
    pub line: usize,
    pub step: &'static str,
    pub problem: String,
}

/// What to do after a step.
enum Flow {
    Next,
    Exit(i32),
}

/// Runs steps in `root` (the current directory for the real program), printing to `out`
/// and `err`.
pub struct Runner<'a, O: Write, E: Write> {
    root: PathBuf,
    spec: Option<&'a Path>,
    out: O,
    err: E,
    emitter: Emitter,
}

impl<'a, O: Write, E: Write> Runner<'a, O, E> {
    /// A runner in the current directory.
    pub fn new(spec: Option<&'a Path>, steps: &[Line], out: O, err: E) -> Self {
        Runner::in_dir(PathBuf::from("."), spec, steps, out, err)
    }

    /// A runner in `root`; relative paths in steps are resolved against it.
    pub fn in_dir(root: PathBuf, spec: Option<&'a Path>, steps: &[Line], out: O, err: E) -> Self {
        // Every record of a run should carry the same session id, also those printed
        // before the `usage` step that names it.
        let session = steps.iter().find_map(|line| match &line.step {
            Step::Usage(usage) => usage.session_id.clone(),
            _ => None,
        });
        let cwd = fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        let emitter = Emitter::new(session, cwd.to_string_lossy().into_owned());
        Runner {
            root,
            spec,
            out,
            err,
            emitter,
        }
    }

    /// Runs every step in order; the exit code is 0 at the end, or what `exit`/`fail` say.
    pub fn run_all(&mut self, steps: &[Line]) -> Result<i32, StepError> {
        for line in steps {
            let flow = self.step(&line.step).and_then(|flow| {
                // Flushed after each step so a watcher sees output as it happens.
                self.out
                    .flush()
                    .map_err(|e| format!("cannot write to stdout: {e}"))?;
                self.err
                    .flush()
                    .map_err(|e| format!("cannot write to stderr: {e}"))?;
                Ok(flow)
            });
            match flow {
                Ok(Flow::Next) => {}
                Ok(Flow::Exit(code)) => return Ok(code),
                Err(problem) => {
                    return Err(StepError {
                        line: line.number,
                        step: line.step.name(),
                        problem,
                    })
                }
            }
        }
        Ok(0)
    }

    fn path(&self, path: &Path) -> PathBuf {
        self.root.join(path)
    }

    fn step(&mut self, step: &Step) -> Result<Flow, String> {
        match step {
            Step::Write { path, text } => {
                let path = self.path(path);
                make_parent(&path)?;
                fs::write(&path, text).map_err(|e| failed("write", &path, e))?;
            }
            Step::Append { path, text } => {
                let path = self.path(path);
                make_parent(&path)?;
                fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .and_then(|mut file| file.write_all(text.as_bytes()))
                    .map_err(|e| failed("append to", &path, e))?;
            }
            Step::Delete { path } => {
                let path = self.path(path);
                let meta = fs::symlink_metadata(&path).map_err(|e| failed("delete", &path, e))?;
                let removed = if meta.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(|e| failed("delete", &path, e))?;
            }
            Step::Rename { from, to } => {
                let (from, to) = (self.path(from), self.path(to));
                make_parent(&to)?;
                fs::rename(&from, &to).map_err(|e| failed("rename", &from, e))?;
            }
            Step::Chmod { path, mode } => {
                use std::os::unix::fs::PermissionsExt;
                let path = self.path(path);
                fs::set_permissions(&path, fs::Permissions::from_mode(*mode))
                    .map_err(|e| failed("chmod", &path, e))?;
            }
            Step::Binary { path, len } => {
                let path = self.path(path);
                make_parent(&path)?;
                write_binary(&path, *len).map_err(|e| failed("write", &path, e))?;
            }
            Step::Symlink { target, link } => {
                let link = self.path(link);
                make_parent(&link)?;
                std::os::unix::fs::symlink(target, &link).map_err(|e| failed("create symlink", &link, e))?;
            }
            Step::Mkdir { path } => {
                let path = self.path(path);
                fs::create_dir_all(&path).map_err(|e| failed("create directory", &path, e))?;
            }
            Step::Replace { path, from, to } => {
                let path = self.path(path);
                let text = fs::read_to_string(&path).map_err(|e| failed("read", &path, e))?;
                if !text.contains(from.as_str()) {
                    return Err(format!("`{from}` not found in {}", path.display()));
                }
                fs::write(&path, text.replacen(from.as_str(), to, 1))
                    .map_err(|e| failed("write", &path, e))?;
            }
            Step::Say { text } => {
                writeln!(self.out, "{text}").map_err(|e| format!("cannot write to stdout: {e}"))?
            }
            Step::Stderr { text } => {
                writeln!(self.err, "{text}").map_err(|e| format!("cannot write to stderr: {e}"))?
            }
            Step::Progress(progress) => {
                let lines = self.emitter.progress(progress);
                self.print(&lines)?;
            }
            Step::Usage(usage) => {
                let lines = self.emitter.usage(usage);
                self.print(&lines)?;
            }
            Step::Sleep { ms } => std::thread::sleep(Duration::from_millis(*ms)),
            Step::Exit { code } => return Ok(Flow::Exit(*code)),
            Step::Fail { text } => {
                writeln!(self.err, "{text}").map_err(|e| format!("cannot write to stderr: {e}"))?;
                return Ok(Flow::Exit(1));
            }
            Step::Flood { bytes, lines } => {
                flood(&mut self.out, *bytes, *lines).map_err(|e| format!("cannot write to stdout: {e}"))?
            }
            Step::FloodFormat { format, bytes } => self
                .emitter
                .flood(&mut self.out, *format, *bytes)
                .map_err(|e| format!("cannot write to stdout: {e}"))?,
            Step::Linger {
                pidfile,
                seconds,
                setsid,
            } => self.linger(pidfile, *seconds, *setsid)?,
            Step::IgnoreSigterm => {
                // SAFETY: installing SIG_IGN has no preconditions; it is inherited by the
                // children spawned after it, as it would be in a real agent.
                let previous = unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
                if previous == libc::SIG_ERR {
                    return Err(format!("cannot ignore SIGTERM: {}", io::Error::last_os_error()));
                }
            }
            Step::Git { args } => self.git(args)?,
            Step::CopySpec { path } => {
                let spec = self.spec.ok_or("no spec file was given to the agent")?;
                let text = fs::read(spec).map_err(|e| failed("read spec file", spec, e))?;
                let path = self.path(path);
                make_parent(&path)?;
                fs::write(&path, text).map_err(|e| failed("write", &path, e))?;
            }
            Step::EnvDump { path } => {
                use std::io::Write;
                let path = self.path(path);
                make_parent(&path)?;
                let dump: String = std::env::vars_os()
                    .map(|(k, v)| format!("{}={}\n", k.to_string_lossy(), v.to_string_lossy()))
                    .collect();
                fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .and_then(|mut f| f.write_all(dump.as_bytes()))
                    .map_err(|e| failed("write", &path, e))?;
            }
        }
        Ok(Flow::Next)
    }

    fn print(&mut self, lines: &[String]) -> Result<(), String> {
        for line in lines {
            writeln!(self.out, "{line}").map_err(|e| format!("cannot write to stdout: {e}"))?;
        }
        Ok(())
    }

    /// Leaves a `sleep` running with our stdout and stderr, like an agent that forgot a
    /// background server: in our process group, or with `setsid` in a session of its own
    /// where a kill of our group does not reach it.
    fn linger(&mut self, pidfile: &Path, seconds: u64, setsid: bool) -> Result<(), String> {
        self.out
            .flush()
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
        let mut command = std::process::Command::new("sleep");
        command
            .arg(seconds.to_string())
            .current_dir(&self.root)
            .stdin(Stdio::null());
        if setsid {
            use std::os::unix::process::CommandExt;
            // SAFETY: the closure runs in the forked child before exec and calls only
            // setsid(2), which is async-signal-safe; it allocates nothing.
            unsafe {
                command.pre_exec(|| {
                    if libc::setsid() < 0 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start `sleep`: {e}"))?;
        let pidfile = self.path(pidfile);
        make_parent(&pidfile)?;
        fs::write(&pidfile, format!("{}\n", child.id())).map_err(|e| failed("write", &pidfile, e))?;
        // Dropping a std Child neither waits for nor kills it: it lingers on purpose.
        drop(child);
        Ok(())
    }

    fn git(&mut self, args: &[String]) -> Result<(), String> {
        // git's own stdout goes to our stderr, so stdout stays pure agent output (a JSON
        // stream for most formats).
        let to_stderr = dup_stderr().map_err(|e| format!("cannot pass stderr to git: {e}"))?;
        let status = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=scripted-agent",
                "-c",
                "user.email=agent@bakeoff.invalid",
            ])
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(to_stderr)
            .status()
            .map_err(|e| format!("cannot start `git`: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`git {}` ended with {status}", args.join(" ")))
        }
    }
}

fn dup_stderr() -> io::Result<Stdio> {
    use std::os::fd::AsFd;
    Ok(Stdio::from(io::stderr().as_fd().try_clone_to_owned()?))
}

fn failed(what: &str, path: &Path, e: io::Error) -> String {
    format!("cannot {what} {}: {e}", path.display())
}

fn make_parent(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            fs::create_dir_all(parent).map_err(|e| failed("create directory", parent, e))
        }
        _ => Ok(()),
    }
}

/// The byte at offset `i` of a `binary` file: starts with NUL then a high byte, and cycles
/// through all 256 values (167 is odd), so text detection and NUL handling both get tested.
pub fn binary_byte(i: u64) -> u8 {
    (i.wrapping_mul(167) % 256) as u8
}

fn write_binary(path: &Path, len: u64) -> io::Result<()> {
    let mut file = io::BufWriter::new(fs::File::create(path)?);
    let mut chunk = Vec::with_capacity(64 * 1024);
    let mut offset = 0u64;
    while offset < len {
        chunk.clear();
        let end = len.min(offset + 64 * 1024);
        chunk.extend((offset..end).map(binary_byte));
        file.write_all(&chunk)?;
        offset = end;
    }
    file.flush()
}

/// Writes exactly `bytes` bytes: lines of 99 `x` plus a newline (100 bytes each), or one
/// run of `x` with no newline at all.
fn flood(out: &mut dyn Write, bytes: u64, lines: bool) -> io::Result<()> {
    const CHUNK: usize = 64_000;
    let mut chunk = vec![b'x'; CHUNK];
    if lines {
        for end in (99..CHUNK).step_by(100) {
            chunk[end] = b'\n';
        }
    }
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left).map_or(CHUNK, |left| left.min(CHUNK));
        out.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}
