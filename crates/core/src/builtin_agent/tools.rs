//! Running the model's commands: each one `bash -c` in a fresh shell in the worktree,
//! in its own process group, with a deadline, its output collected outside the worktree
//! and truncated for the model. The commands never see a provider key: they are code a
//! model wrote.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::process::{self, CancelToken, Command, ExitKind};
use crate::secret::is_secret_name;

use super::error::BuiltinError;
use super::prompt::Ending;
use super::truncate::{read_truncated, Truncated};

/// Time between SIGTERM and SIGKILL for a command past its deadline.
const COMMAND_GRACE: Duration = Duration::from_secs(2);

/// How one command ended.
#[derive(Clone, Debug)]
pub struct CommandResult {
    pub ending: Ending,
    pub exit: ExitKind,
    pub timed_out: bool,
    pub cancelled: bool,
    pub output: Truncated,
}

/// Runs commands in one directory with one environment and limits.
pub struct Shell {
    cwd: PathBuf,
    env: Vec<(OsString, OsString)>,
    timeout: Duration,
    output_limit: usize,
    /// Holds each command's output files; outside the worktree so they are never
    /// captured as the lane's work.
    scratch: tempfile::TempDir,
    count: u32,
}

impl Shell {
    /// A shell in `cwd`. `env` is the agent's own environment; every secret in it, and
    /// every variable in `also_hide` (a provider key under a name of config's choosing),
    /// is removed.
    pub fn new(
        cwd: PathBuf,
        env: impl IntoIterator<Item = (String, String)>,
        also_hide: &[String],
        timeout: Duration,
        output_limit: usize,
    ) -> Result<Shell, BuiltinError> {
        let env = env
            .into_iter()
            .filter(|(name, _)| !is_secret_name(name) && !also_hide.contains(name))
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect();
        let scratch = tempfile::Builder::new()
            .prefix("bakeoff-builtin-")
            .tempdir()
            .map_err(|e| BuiltinError::Scratch {
                message: e.to_string(),
            })?;
        Ok(Shell {
            cwd,
            env,
            timeout,
            output_limit,
            scratch,
            count: 0,
        })
    }

    /// Runs `command` to its end, its deadline or `cancel`.
    pub async fn run(&mut self, command: &str, cancel: CancelToken) -> Result<CommandResult, BuiltinError> {
        self.count += 1;
        let out = self.scratch.path().join(format!("{}.out", self.count));
        let err = self.scratch.path().join(format!("{}.err", self.count));
        // stderr joins stdout in order; only an error bash meets before the redirection
        // (a syntax error in the whole command) lands in the stderr file. On the same
        // line, so bash's line numbers in messages stay the model's.
        let script = format!("exec 2>&1; {command}");
        let cmd = Command {
            program: OsString::from("bash"),
            args: vec![OsString::from("-c"), OsString::from(script)],
            cwd: self.cwd.clone(),
            env: self.env.clone(),
            stdout: out.clone(),
            stderr: err.clone(),
            deadline: Some(self.timeout),
            grace: COMMAND_GRACE,
            // The tool reads its output back itself, cut to its own limit.
            log_cap: None,
            overlay: None,
        };
        let finished = process::run(cmd, |_, _| {}, cancel).await?;
        let read = |path: &PathBuf| {
            read_truncated(path, self.output_limit).map_err(|e| BuiltinError::Scratch {
                message: format!("cannot read {}: {e}", path.display()),
            })
        };
        let mut output = read(&out)?;
        let stderr = read(&err)?;
        if stderr.total_bytes > 0 {
            if !output.text.is_empty() && !output.text.ends_with('\n') {
                output.text.push('\n');
            }
            output.text.push_str(&stderr.text);
            output.total_bytes += stderr.total_bytes;
            output.cut_bytes += stderr.cut_bytes;
        }
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(&err);
        let ending = if finished.timed_out {
            Ending::TimedOut(self.timeout)
        } else {
            match finished.exit {
                ExitKind::Code(c) => Ending::Exit(c),
                ExitKind::Signal(s) => Ending::Signal(s),
            }
        };
        Ok(CommandResult {
            ending,
            exit: finished.exit,
            timed_out: finished.timed_out,
            cancelled: finished.cancelled,
            output,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(dir: &std::path::Path, timeout: Duration, limit: usize) -> Shell {
        let env = vec![
            ("PATH".to_string(), std::env::var("PATH").unwrap_or_default()),
            ("ANTHROPIC_API_KEY".to_string(), "canary-key".to_string()),
            ("VLLM_KEY".to_string(), "canary-vllm".to_string()),
            ("PLAIN".to_string(), "seen".to_string()),
        ];
        Shell::new(dir.to_path_buf(), env, &["VLLM_KEY".to_string()], timeout, limit).unwrap()
    }

    #[tokio::test]
    async fn commands_run_fresh_in_the_worktree_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let mut sh = shell(dir.path(), Duration::from_secs(10), 10_000);
        let r = sh
            .run(
                "echo out; echo err >&2; echo \"[$ANTHROPIC_API_KEY$VLLM_KEY$PLAIN]\"; cd /; exit 3",
                CancelToken::never(),
            )
            .await
            .unwrap();
        assert_eq!(r.ending, Ending::Exit(3));
        assert_eq!(r.output.text, "out\nerr\n[seen]\n");
        let r = sh
            .run("pwd; echo hi > f.txt", CancelToken::never())
            .await
            .unwrap();
        assert_eq!(r.output.text.trim(), dir.path().to_str().unwrap());
        assert!(dir.path().join("f.txt").exists());
        // A syntax error is reported too.
        let r = sh.run("if then", CancelToken::never()).await.unwrap();
        assert_eq!(r.ending, Ending::Exit(2));
        assert!(r.output.text.contains("syntax error"), "{}", r.output.text);
    }

    #[tokio::test]
    async fn deadline_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let mut sh = shell(dir.path(), Duration::from_millis(300), 40);
        let r = sh
            .run("echo before; sleep 30", CancelToken::never())
            .await
            .unwrap();
        assert!(r.timed_out);
        assert_eq!(r.ending, Ending::TimedOut(Duration::from_millis(300)));
        assert_eq!(r.output.text, "before\n");
        let r = sh.run("seq 1 1000", CancelToken::never()).await.unwrap();
        assert!(r.output.cut_bytes > 0);
        assert!(r.output.text.starts_with("1\n2\n"), "{}", r.output.text);
        assert!(r.output.text.ends_with("999\n1000\n"), "{}", r.output.text);
    }
}
