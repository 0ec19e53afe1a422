//! Every proposed check command, run once on the base commit in a temporary worktree
//! of it (the race's worktree and process machinery): a check must fail there to prove
//! anything about the change. The commands are the model's, so each runs as a race's
//! check does: in the race's sandbox where this machine has one (`[sandbox]`, or
//! `--sandbox`), seeing the system read-only, the base's tree the only writable
//! project folder, none of the user's checkout, git directory or HOME, and no network
//! unless `[sandbox] network = "open"`. The worktree and its branch are gone afterwards.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::agent::{self, AdapterKind, AgentSpec};
use crate::error::Error;
use crate::git::{self, WorktreeSpec};
use crate::process::{self, CancelToken, Command};
use crate::sandbox::{self, NetView, Network, SandboxSettings, View};

use super::brief::BaseResult;

/// A temporary worktree of the base, removed with its branch when dropped.
struct BaseTree {
    repo_top: PathBuf,
    spec: WorktreeSpec,
    holder: tempfile::TempDir,
}

impl Drop for BaseTree {
    fn drop(&mut self) {
        // Best effort: nothing of the user's is in it.
        let _ = git::remove_worktree(
            &self.repo_top,
            &self.spec.name,
            &self.spec.path,
            Some(&self.spec.branch),
        );
    }
}

/// How the base's checks are run: their limits and their sandbox.
#[derive(Clone, Debug, Default)]
pub struct BaseLimits {
    pub timeout: Duration,
    pub grace: Duration,
    /// `[sandbox]` with `--sandbox` applied.
    pub sandbox: SandboxSettings,
    /// The user's git directory, hidden from a sandboxed check.
    pub common_dir: PathBuf,
    /// The race's holdout folder, hidden from a sandboxed check.
    pub holdout: Option<PathBuf>,
}

/// Runs each of `commands` once in a fresh worktree of `base`, one after another, each
/// with the limits' deadline and grace, in an environment without provider secrets,
/// sandboxed as a race's checks are; the result of each, in order. `Err` when
/// `--sandbox on` cannot be had here.
pub async fn run_on_base(
    repo_top: &Path,
    base: &str,
    commands: &[String],
    limits: &BaseLimits,
) -> Result<Vec<BaseResult>, Error> {
    if commands.is_empty() {
        return Ok(Vec::new());
    }
    let path_var = std::env::var("PATH").ok();
    let decision = sandbox::decide(&limits.sandbox, path_var.as_deref()).map_err(|why| {
        Error::input_with_hint(
            format!(
                "--sandbox on, but the checks cannot be sandboxed here: {}",
                why.reason
            ),
            why.fix,
        )
    })?;
    let holder = tempfile::Builder::new()
        .prefix("bakeoff-plan-")
        .tempdir()
        .map_err(|e| Error::internal(format!("cannot make a folder for the base's worktree: {e}")))?;
    let stamp = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let spec = WorktreeSpec {
        name: format!("bakeoff-plan-{stamp}"),
        path: holder.path().join("base"),
        branch: format!("bakeoff/plan/{stamp}"),
        base: base.to_string(),
    };
    let (top, s) = (repo_top.to_path_buf(), spec.clone());
    tokio::task::spawn_blocking(move || git::create_worktree(&top, &s))
        .await
        .map_err(|e| Error::internal(format!("cannot create the base's worktree: {e}")))??;
    let tree = BaseTree {
        repo_top: repo_top.to_path_buf(),
        spec,
        holder,
    };
    let base_env: Vec<(String, String)> = std::env::vars().collect();
    let mut env = agent::lane_env(&AgentSpec::new(AdapterKind::Command, ""), &base_env);
    env.retain(|(k, _)| !k.starts_with("BAKEOFF_"));
    let env: Vec<_> = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    let logs = tree.holder.path().join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| Error::io("cannot create", &logs, e))?;
    let mut results = Vec::new();
    for (i, command) in commands.iter().enumerate() {
        let log = logs.join(format!("{:02}.log", i + 1));
        let mut cmd = Command::shell(
            &format!("exec 2>&1\n{command}"),
            tree.spec.path.clone(),
            env.clone(),
            log.clone(),
            log.with_extension("stderr.log"),
        );
        cmd.deadline = Some(limits.timeout);
        cmd.grace = limits.grace;
        cmd.log_cap = Some(1024 * 1024);
        if let Some(bwrap) = &decision.bwrap {
            let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
            let mut protected = vec![canonical(repo_top), canonical(&limits.common_dir)];
            protected.extend(limits.holdout.as_deref().map(canonical));
            let view = View {
                protected,
                user_home: dirs::home_dir().map(|h| canonical(&h)),
                read: limits.sandbox.read.clone(),
                write: limits.sandbox.write.clone(),
                writable: vec![canonical(tree.holder.path())],
                net: Some(match decision.record.network {
                    Network::Open => NetView::Open,
                    _ => NetView::Isolated,
                }),
                ..View::default()
            };
            cmd = bwrap.wrap(cmd, &view);
        }
        let result = match process::run(cmd, |_, _| {}, CancelToken::never()).await {
            Ok(f) if f.timed_out => BaseResult::TimedOut,
            Ok(f) if f.exit.success() => BaseResult::Passes,
            Ok(f) => BaseResult::Fails {
                exit: f.exit.to_string(),
            },
            Err(e) => BaseResult::NotRun {
                reason: e.to_string(),
            },
        };
        results.push(result);
    }
    drop(tree);
    Ok(results)
}
