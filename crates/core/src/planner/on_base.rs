//! Every proposed check command, run once on the base commit in a temporary worktree
//! of it (the race's worktree and process machinery): a check must fail there to prove
//! anything about the change. The worktree and its branch are gone afterwards.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::agent::{self, AdapterKind, AgentSpec};
use crate::error::Error;
use crate::git::{self, WorktreeSpec};
use crate::process::{self, CancelToken, Command};

use super::brief::BaseResult;

/// A temporary worktree of the base, removed with its branch when dropped.
struct BaseTree {
    repo_top: PathBuf,
    spec: WorktreeSpec,
    _holder: tempfile::TempDir,
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

/// Runs each of `commands` once in a fresh worktree of `base`, one after another, each
/// with `timeout` and `grace`, in an environment without provider secrets; the result
/// of each, in order.
pub async fn run_on_base(
    repo_top: &Path,
    base: &str,
    commands: &[String],
    timeout: Duration,
    grace: Duration,
) -> Result<Vec<BaseResult>, Error> {
    if commands.is_empty() {
        return Ok(Vec::new());
    }
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
        _holder: holder,
    };
    let base_env: Vec<(String, String)> = std::env::vars().collect();
    let mut env = agent::lane_env(&AgentSpec::new(AdapterKind::Command, ""), &base_env);
    env.retain(|(k, _)| !k.starts_with("BAKEOFF_"));
    let env: Vec<_> = env.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    let logs = tree._holder.path().join("logs");
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
        cmd.deadline = Some(timeout);
        cmd.grace = grace;
        cmd.log_cap = Some(1024 * 1024);
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
