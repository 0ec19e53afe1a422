//! The checks themselves: git, the repository, the config layers, the agent CLIs and
//! the provider keys. The environment comes in as a lookup so tests choose what is set;
//! keys are only ever looked at to say whether they are set.

use std::fmt;
use std::path::{Path, PathBuf};

use futures_util::future::join_all;

use super::probe::{version_of, VERSION_TIMEOUT};
use super::{Blocker, Check, Status};
use crate::agent::{locate_program, AdapterKind, AgentSpec};
use crate::config::{self, Config};
use crate::git::{GitError, Repo};
use crate::provider::{EnvLookup, ProviderRegistry, ProviderSpec, BUILTIN_PROVIDERS};

/// Where `name` is on `path_env`, skipping empty entries (the current directory) as
/// agent lookup does.
pub fn find_on_path(name: &str, path_env: Option<&str>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    path_env?
        .split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// The `git` program and its version. Not fatal when missing: bakeoff reads and writes
/// repositories through libgit2 and only uses the CLI to check out worktrees faster.
pub async fn git_cli_check(path_env: Option<&str>) -> Check {
    let Some(path) = find_on_path("git", path_env) else {
        return Check::new(Status::Warn, "git", "not found on PATH")
            .hint("install git; bakeoff falls back to libgit2, which checks out worktrees more slowly");
    };
    match version_of(&path, VERSION_TIMEOUT).await {
        Ok(version) => {
            let version = version.strip_prefix("git version ").unwrap_or(&version);
            Check::ok("git", format!("{version} at {}", path.display()))
        }
        Err(reason) => Check::new(
            Status::Warn,
            "git",
            format!("at {}, but {reason}", path.display()),
        ),
    }
}

/// Whether `cwd` is inside a repository with a commit, and the top of its work tree
/// (where `.bakeoff.toml` is read from) when there is one.
pub fn repository_check(cwd: &Path) -> (Check, Option<PathBuf>) {
    match Repo::discover(cwd) {
        Ok(repo) => {
            let head = repo
                .head_commit()
                .ok()
                .map(|c| c.chars().take(12).collect::<String>());
            let branch = repo.head_branch().ok().flatten();
            let at = match (head, branch) {
                (Some(c), Some(b)) => format!(", HEAD {c} on {b}"),
                (Some(c), None) => format!(", HEAD {c} (detached)"),
                _ => String::new(),
            };
            let check = Check::ok("repository", format!("{}{at}", repo.workdir().display()));
            (check, Some(repo.workdir().to_path_buf()))
        }
        Err(GitError::NoCommits { path }) => {
            let check = Check::new(
                Status::Fail,
                "repository",
                format!("{} has no commit yet", path.display()),
            )
            .hint("commit once: a race starts from a commit");
            (check, Some(path))
        }
        Err(GitError::NotARepo { path }) => {
            let check = Check::new(
                Status::Off,
                "repository",
                format!("{} is not inside a git repository", path.display()),
            )
            .hint("race and review run inside a repository (or pass -C DIR)");
            (check, None)
        }
        Err(e) => (Check::new(Status::Fail, "repository", e.to_string()), None),
    }
}

/// The config checks and, when every layer is valid, the resolved config.
#[derive(Debug)]
pub struct ConfigOutcome {
    pub checks: Vec<Check>,
    pub config: Option<Config>,
}

/// Loads every config layer as a race would: which files contributed, which were looked
/// for and are absent, every warning; an invalid file blocks with its file and line.
pub fn config_checks(repo_top: Option<&Path>, explicit: Option<&Path>) -> ConfigOutcome {
    let mut checks = Vec::new();
    let config = match config::load(repo_top, explicit) {
        Ok(config) => config,
        Err(e) => {
            checks.push(
                Check::new(Status::Fail, "invalid", e.to_string())
                    .hint("fix the value named above; every race and review stops on it")
                    .blocking(Blocker::Usage),
            );
            return ConfigOutcome { checks, config: None };
        }
    };
    for source in &config.sources {
        checks.push(Check::ok("loaded", source.clone()));
    }
    let candidates = config::user_config_path()
        .into_iter()
        .chain(repo_top.map(|t| t.join(config::REPO_FILE)));
    for path in candidates {
        let shown = path.display().to_string();
        if !config.sources.contains(&shown) {
            checks.push(Check::new(Status::Off, "absent", shown));
        }
    }
    for warning in &config.warnings {
        checks.push(Check::new(Status::Warn, "warning", warning.clone()));
    }
    ConfigOutcome {
        checks,
        config: Some(config),
    }
}

/// Every adapter's CLI (found on PATH, its version, or how to install it), then every
/// `[agents.NAME]` whose program differs from its adapter's default. Missing CLIs do
/// not block: a race only needs the ones its lanes use, and checks those itself.
pub async fn agent_cli_checks(config: Option<&Config>, path_env: Option<&str>) -> Vec<Check> {
    let adapters = AdapterKind::ALL
        .into_iter()
        .filter(|k| k.default_program().is_some())
        .map(|kind| {
            // A CLI no `[agents]` table uses is optional: missing, it is noted, not failed.
            let used = config.is_some_and(|c| {
                c.agents
                    .values()
                    .any(|a| a.adapter == kind && a.program.is_none())
            });
            async move { adapter_check(kind, path_env, used).await }
        });
    let mut checks = join_all(adapters).await;
    for (name, spec) in config.map(|c| &c.agents).into_iter().flatten() {
        if spec.program.is_none() && spec.adapter.default_program().is_some() {
            continue;
        }
        let subject = format!("[agents.{name}]");
        checks.push(match locate_program(spec, path_env) {
            Ok(path) => Check::ok(subject, format!("{} at {}", spec.adapter, path.display())),
            Err(e) => Check::new(Status::Fail, subject, e.to_string()),
        });
    }
    checks
}

async fn adapter_check(kind: AdapterKind, path_env: Option<&str>, used: bool) -> Check {
    let name = kind.as_str();
    match locate_program(&AgentSpec::new(kind, ""), path_env) {
        Ok(path) => match version_of(&path, VERSION_TIMEOUT).await {
            Ok(version) => Check::ok(name, format!("{version} at {}", path.display())),
            Err(reason) => Check::new(Status::Warn, name, format!("at {}, but {reason}", path.display())),
        },
        Err(_) => {
            let check = match used {
                true => Check::new(Status::Fail, name, "not found on PATH; an [agents] table uses it"),
                false => Check::new(Status::Off, name, "not found on PATH"),
            };
            match kind.install_hint() {
                Some(install) => check.hint(format!("install: {install}")),
                None => check,
            }
        }
    }
}

/// What a configured model is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewerRole {
    Reviewer,
    Judge,
    Fallback,
}

impl fmt::Display for ReviewerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReviewerRole::Reviewer => "reviewer",
            ReviewerRole::Judge => "judge",
            ReviewerRole::Fallback => "fallback",
        })
    }
}

/// Every model `[review]` names, with its role, in config order, each once.
pub(crate) fn configured_models(config: &Config) -> Vec<(ReviewerRole, String)> {
    let review = &config.review;
    let all = review
        .reviewers
        .iter()
        .map(|m| (ReviewerRole::Reviewer, m))
        .chain(review.judge.iter().map(|m| (ReviewerRole::Judge, m)))
        .chain(review.fallback.iter().map(|m| (ReviewerRole::Fallback, m)));
    let mut out: Vec<(ReviewerRole, String)> = Vec::new();
    for (role, model) in all {
        if !out.iter().any(|(_, m)| m == model) {
            out.push((role, model.clone()));
        }
    }
    out
}

/// The variable that holds `spec`'s key, when one is set. Only the name leaves here.
pub(crate) fn key_var_set<'a>(spec: &'a ProviderSpec, env: EnvLookup<'_>) -> Option<&'a str> {
    spec.key_vars
        .iter()
        .find(|name| env(name).is_some_and(|v| !v.trim().is_empty()))
        .map(String::as_str)
}

/// The key checks: first every model `[review]` configures (a missing key blocks with
/// exit 3, an unknown provider with exit 2), then every provider bakeoff knows, which
/// only informs. A key is reported as its variable's name and "set" or "not set".
pub fn key_checks(config: &Config, registry: &ProviderRegistry, env: EnvLookup<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    for (role, model) in configured_models(config) {
        let subject = format!("{role} {model}");
        let model_ref = match registry.model_ref(&model) {
            Ok(r) => r,
            Err(e) => {
                checks.push(Check::new(Status::Fail, subject, e.to_string()).blocking(Blocker::Usage));
                continue;
            }
        };
        let Some(spec) = registry.get(&model_ref.provider) else {
            continue;
        };
        checks.push(key_check(subject, spec, env, true));
    }
    for name in registry.names() {
        if let Some(spec) = registry.get(name) {
            let subject = if BUILTIN_PROVIDERS.contains(&name) {
                name.to_string()
            } else {
                format!("{name} (config)")
            };
            checks.push(key_check(subject, spec, env, false));
        }
    }
    checks
}

fn key_check(subject: String, spec: &ProviderSpec, env: EnvLookup<'_>, needed: bool) -> Check {
    if spec.key_vars.is_empty() {
        let detail = if subject == spec.name {
            "no key needed".to_string()
        } else {
            format!("no key needed ({})", spec.name)
        };
        return Check::ok(subject, detail);
    }
    let vars = spec.key_vars.join(" or ");
    match key_var_set(spec, env) {
        Some(var) => Check::ok(subject, format!("{var} set")),
        None if needed => Check::new(Status::Fail, subject, format!("{vars} not set"))
            .hint(format!("set {vars}, or remove the model from [review]"))
            .blocking(Blocker::Provider),
        None => Check::new(Status::Off, subject, format!("{vars} not set")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn registry(env: EnvLookup<'_>, config: &Config) -> ProviderRegistry {
        let overrides = config
            .providers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        ProviderRegistry::new(env, &overrides).unwrap()
    }

    fn line(c: &Check) -> String {
        format!("{:?} {}: {}", c.status, c.subject, c.detail)
    }

    #[test]
    fn keys_are_named_never_shown_and_configured_ones_block() {
        let config = config::from_texts(&[(
            "user",
            "[review]\nreviewers = [\"openai/gpt-5.5\", \"google/gemini-3-pro\", \"ollama/llama3\"]\n\
             judge = \"anthropic/claude-opus-4-6\"\nfallback = [\"openai/gpt-5.5\", \"nope/x\"]\n\
             [providers.local]\nformat = \"openai-chat\"\nbase-url = \"http://127.0.0.1:1/v1\"\nkey-env = \"LOCAL_KEY\"\n",
        )])
        .unwrap();
        let vars: HashMap<&str, &str> =
            [("OPENAI_API_KEY", "sk-canary-999999"), ("GOOGLE_API_KEY", "   ")].into();
        let env = |name: &str| vars.get(name).map(|v| v.to_string());
        let checks = key_checks(&config, &registry(&env, &config), &env);
        let lines: Vec<String> = checks.iter().map(line).collect();
        let want_start = [
            "Ok reviewer openai/gpt-5.5: OPENAI_API_KEY set",
            "Fail reviewer google/gemini-3-pro: GEMINI_API_KEY or GOOGLE_API_KEY not set",
            "Ok reviewer ollama/llama3: no key needed (ollama)",
            "Fail judge anthropic/claude-opus-4-6: ANTHROPIC_API_KEY not set",
        ];
        assert_eq!(&lines[..4], want_start);
        assert!(
            lines[4].starts_with("Fail fallback nope/x: unknown provider `nope`"),
            "{}",
            lines[4]
        );
        assert_eq!(checks[1].blocks, Some(Blocker::Provider));
        assert_eq!(checks[4].blocks, Some(Blocker::Usage));
        assert!(lines.contains(&"Off anthropic: ANTHROPIC_API_KEY not set".to_string()));
        assert!(lines.contains(&"Ok openai: OPENAI_API_KEY set".to_string()));
        assert!(lines.contains(&"Off local (config): LOCAL_KEY not set".to_string()));
        assert!(checks[5..].iter().all(|c| c.blocks.is_none()));
        assert!(!format!("{checks:?}").contains("canary"));
    }

    #[test]
    fn find_on_path_skips_empty_entries_and_non_executables() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        for (dir, mode) in [(&a, 0o644), (&b, 0o755)] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("git"), "").unwrap();
            std::fs::set_permissions(dir.join("git"), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let path = format!("::{}:{}", a.display(), b.display());
        assert_eq!(find_on_path("git", Some(&path)), Some(b.join("git")));
        assert_eq!(find_on_path("nope", Some(&path)), None);
        assert_eq!(find_on_path("git", None), None);
    }

    #[test]
    fn configured_models_are_listed_once_in_order() {
        let config = config::from_texts(&[(
            "u",
            "[review]\nreviewers = [\"a/x\", \"b/y\"]\njudge = \"b/y\"\nfallback = [\"c/z\", \"a/x\"]\n",
        )])
        .unwrap();
        let got: Vec<String> = configured_models(&config)
            .into_iter()
            .map(|(r, m)| format!("{r} {m}"))
            .collect();
        assert_eq!(got, ["reviewer a/x", "reviewer b/y", "fallback c/z"]);
    }
}
