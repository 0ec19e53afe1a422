//! A benchmark suite as the user writes it: a `SUITE.toml` of tasks (and, optionally,
//! SWE-bench-style instances it names), or an `INSTANCES.jsonl` on its own. Reading a
//! suite resolves every task to what one trial needs: the repository, the base commit,
//! the spec, the checks and the holdout (a folder, or a test patch to make one from).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The holdout check of SWE-bench-style instances when the suite names none: the
/// project's pytest over the files the instance's test patch touches.
const DEFAULT_INSTANCE_CHECK: &str = "python -m pytest -q -p no:cacheprovider";

/// A suite, read and resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    pub name: String,
    /// Agents as `race -a` takes them: `adapter:model` or an `[agents.NAME]` table.
    pub agents: Vec<String>,
    /// Trials of every task × agent.
    pub repeats: u32,
    pub tasks: Vec<Task>,
}

/// One task: everything a trial of it needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Unique in the suite; names the task in reports.
    pub id: String,
    pub repo: RepoSource,
    /// A commit-ish of `repo`.
    pub base: String,
    pub spec: String,
    /// Run once in each trial's worktree before the agent starts.
    pub setup: Option<String>,
    pub checks: Vec<String>,
    pub holdout: Holdout,
    pub holdout_checks: Vec<String>,
    /// FAIL_TO_PASS: tests every holdout check must run and pass.
    pub must_pass: Vec<String>,
    /// PASS_TO_PASS: tests every holdout check must run and keep passing.
    pub keep_passing: Vec<String>,
    pub timeout: Option<String>,
}

/// Where a task's repository comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RepoSource {
    /// A repository on this machine, absolute.
    Path(PathBuf),
    /// A git URL, cloned once into the cache.
    Url(String),
}

impl RepoSource {
    /// How the source reads in messages.
    pub fn describe(&self) -> String {
        match self {
            RepoSource::Path(p) => p.display().to_string(),
            RepoSource::Url(u) => u.clone(),
        }
    }
}

/// The files a task's agents never see, laid in after the agent stops.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Holdout {
    None,
    /// A folder whose files are laid over the worktree, absolute.
    Dir(PathBuf),
    /// A unified diff applied to the base commit; the files it leaves are the holdout.
    TestPatch(String),
}

/// `SUITE.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSuite {
    name: Option<String>,
    #[serde(default)]
    agents: Vec<String>,
    repeats: Option<u32>,
    /// SWE-bench-style instance files, relative to the suite file.
    #[serde(default)]
    instances: Vec<PathBuf>,
    #[serde(default)]
    defaults: RawTask,
    #[serde(default)]
    task: Vec<RawTask>,
}

/// One `[[task]]`, or the `[defaults]` every task starts from.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTask {
    id: Option<String>,
    repo: Option<String>,
    base: Option<String>,
    spec: Option<String>,
    spec_file: Option<PathBuf>,
    setup: Option<String>,
    checks: Option<Vec<String>>,
    holdout: Option<PathBuf>,
    test_patch: Option<PathBuf>,
    holdout_checks: Option<Vec<String>>,
    must_pass: Option<Vec<String>>,
    keep_passing: Option<Vec<String>>,
    timeout: Option<String>,
    /// For instances: where `owner/name` repositories are found on this machine
    /// (`DIR/owner/name`, else `DIR/owner__name`); without it they are cloned from
    /// GitHub.
    repos_dir: Option<PathBuf>,
}

/// One line of an instances file, SWE-bench's fields.
#[derive(Debug, Deserialize)]
struct Instance {
    instance_id: String,
    repo: String,
    base_commit: String,
    problem_statement: String,
    #[serde(default)]
    #[allow(dead_code)] // the gold patch: kept in the file for readers, never shown to agents
    patch: Option<String>,
    #[serde(default)]
    test_patch: Option<String>,
    #[serde(default, rename = "FAIL_TO_PASS")]
    fail_to_pass: TestList,
    #[serde(default, rename = "PASS_TO_PASS")]
    pass_to_pass: TestList,
}

/// SWE-bench writes its test lists as a JSON array in some releases and as a string
/// holding one in others; both are read.
#[derive(Debug, Default)]
struct TestList(Vec<String>);

impl<'de> Deserialize<'de> for TestList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TestList, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            List(Vec<String>),
            Text(String),
        }
        match Either::deserialize(d)? {
            Either::List(list) => Ok(TestList(list)),
            Either::Text(text) if text.trim().is_empty() => Ok(TestList(Vec::new())),
            Either::Text(text) => serde_json::from_str(&text).map(TestList).map_err(|e| {
                serde::de::Error::custom(format!(
                    "a test list written as a string must hold a JSON array of names: {e}"
                ))
            }),
        }
    }
}

/// Reads a suite file: TOML, or JSONL of instances (by extension `.jsonl`/`.json`).
pub fn load(path: &Path) -> Result<Suite, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::input_with_hint(
            format!("cannot read the suite {}: {e}", path.display()),
            "give `bakeoff bench` a SUITE.toml or an instances .jsonl file",
        )
    })?;
    let dir = path
        .parent()
        .map(|d| {
            if d.as_os_str().is_empty() {
                Path::new(".")
            } else {
                d
            }
        })
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).map_err(|e| Error::io("read the suite's folder", dir, e))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "suite".into());
    let is_jsonl = matches!(path.extension().and_then(|e| e.to_str()), Some("jsonl" | "json"));
    let suite = if is_jsonl {
        let defaults = RawTask::default();
        Suite {
            name: stem,
            agents: Vec::new(),
            repeats: 1,
            tasks: instances(&text, path, &dir, &defaults)?,
        }
    } else {
        from_toml(&text, path, &dir, stem)?
    };
    validate(&suite, path)?;
    Ok(suite)
}

fn from_toml(text: &str, path: &Path, dir: &Path, stem: String) -> Result<Suite, Error> {
    let raw: RawSuite = toml::from_str(text).map_err(|e| {
        Error::input_with_hint(
            format!("{}: {}", path.display(), e.message().trim_end()),
            toml_place(text, e.span()),
        )
    })?;
    let mut tasks = Vec::new();
    for (i, task) in raw.task.iter().enumerate() {
        tasks.push(resolve(task, &raw.defaults, dir).map_err(|e| {
            let id = task.id.clone().unwrap_or_else(|| format!("number {}", i + 1));
            Error::input_with_hint(format!("{}: task {id}: {}", path.display(), e.0), e.1)
        })?);
    }
    for file in &raw.instances {
        let file = dir.join(file);
        let text = std::fs::read_to_string(&file).map_err(|e| {
            Error::input(format!(
                "{}: cannot read instances {}: {e}",
                path.display(),
                file.display()
            ))
        })?;
        let file_dir = file.parent().unwrap_or(dir).to_path_buf();
        tasks.extend(instances(&text, &file, &file_dir, &raw.defaults)?);
    }
    Ok(Suite {
        name: raw.name.unwrap_or(stem),
        agents: raw.agents,
        repeats: raw.repeats.unwrap_or(1),
        tasks,
    })
}

/// "at line L" for a TOML error's span, as a hint.
fn toml_place(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("at line {line}; the suite's keys are documented in docs/bench.md")
        }
        None => "the suite's keys are documented in docs/bench.md".into(),
    }
}

/// A task's problem as (message, hint).
type Problem = (String, String);

fn problem(message: impl Into<String>, hint: impl Into<String>) -> Problem {
    (message.into(), hint.into())
}

fn resolve(task: &RawTask, defaults: &RawTask, dir: &Path) -> Result<Task, Problem> {
    let id = task
        .id
        .clone()
        .ok_or_else(|| problem("has no id", "give every [[task]] an `id = \"...\"`"))?;
    if task.repos_dir.is_some() {
        return Err(problem(
            "sets repos-dir, which only instances read",
            "move `repos-dir` into [defaults]",
        ));
    }
    let repo = task
        .repo
        .as_ref()
        .or(defaults.repo.as_ref())
        .ok_or_else(|| problem("has no repo", "set `repo` to a repository path or git URL"))?;
    let spec = match (&task.spec, &task.spec_file) {
        (Some(_), Some(_)) => return Err(problem("has both spec and spec-file", "keep one of them")),
        (Some(spec), None) => spec.clone(),
        (None, Some(file)) => {
            let file = dir.join(file);
            std::fs::read_to_string(&file).map_err(|e| {
                problem(
                    format!("cannot read spec-file {}: {e}", file.display()),
                    "fix the path; it is relative to the suite file",
                )
            })?
        }
        (None, None) => {
            return Err(problem(
                "has no spec",
                "set `spec = \"...\"` or `spec-file = \"task.md\"`",
            ))
        }
    };
    let holdout = match (
        task.holdout.as_ref().or(defaults.holdout.as_ref()),
        task.test_patch.as_ref().or(defaults.test_patch.as_ref()),
    ) {
        (Some(_), Some(_)) => return Err(problem("has both holdout and test-patch", "keep one of them")),
        (Some(folder), None) => {
            let folder = dir.join(folder);
            if !folder.is_dir() {
                return Err(problem(
                    format!("holdout {} is not a folder", folder.display()),
                    "fix the path; it is relative to the suite file",
                ));
            }
            Holdout::Dir(folder.canonicalize().unwrap_or(folder))
        }
        (None, Some(patch)) => {
            let patch = dir.join(patch);
            let text = std::fs::read_to_string(&patch).map_err(|e| {
                problem(
                    format!("cannot read test-patch {}: {e}", patch.display()),
                    "fix the path; it is relative to the suite file",
                )
            })?;
            Holdout::TestPatch(text)
        }
        (None, None) => Holdout::None,
    };
    let pick = |own: &Option<Vec<String>>, default: &Option<Vec<String>>| {
        own.clone().or_else(|| default.clone()).unwrap_or_default()
    };
    Ok(Task {
        id,
        repo: repo_source(repo, dir),
        base: task
            .base
            .clone()
            .or_else(|| defaults.base.clone())
            .unwrap_or_else(|| "HEAD".into()),
        spec,
        setup: task.setup.clone().or_else(|| defaults.setup.clone()),
        checks: pick(&task.checks, &defaults.checks),
        holdout,
        holdout_checks: pick(&task.holdout_checks, &defaults.holdout_checks),
        must_pass: pick(&task.must_pass, &defaults.must_pass),
        keep_passing: pick(&task.keep_passing, &defaults.keep_passing),
        timeout: task.timeout.clone().or_else(|| defaults.timeout.clone()),
    })
}

/// A git URL as written; anything else is a path relative to `dir`.
fn repo_source(repo: &str, dir: &Path) -> RepoSource {
    let is_url =
        repo.contains("://") || (repo.contains('@') && repo.contains(':') && !Path::new(repo).exists());
    if is_url {
        RepoSource::Url(repo.to_string())
    } else {
        let path = dir.join(repo);
        RepoSource::Path(path.canonicalize().unwrap_or(path))
    }
}

/// The tasks of an instances file, one per non-blank line.
fn instances(text: &str, path: &Path, dir: &Path, defaults: &RawTask) -> Result<Vec<Task>, Error> {
    let mut tasks = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", path.display(), i + 1);
        let inst: Instance = serde_json::from_str(line).map_err(|e| {
            Error::input_with_hint(
                format!("{at}: not a SWE-bench instance: {e}"),
                "each line is a JSON object with instance_id, repo, base_commit and problem_statement",
            )
        })?;
        let repo = instance_repo(&inst.repo, dir, defaults);
        let test_files = inst.test_patch.as_deref().map(patch_files).unwrap_or_default();
        let holdout_checks = match &defaults.holdout_checks {
            Some(checks) => checks.clone(),
            None if test_files.is_empty() => Vec::new(),
            None => vec![format!("{DEFAULT_INSTANCE_CHECK} {}", test_files.join(" "))],
        };
        tasks.push(Task {
            id: inst.instance_id,
            repo,
            base: inst.base_commit,
            spec: inst.problem_statement,
            setup: defaults.setup.clone(),
            checks: defaults.checks.clone().unwrap_or_default(),
            holdout: match inst.test_patch {
                Some(p) if !p.trim().is_empty() => Holdout::TestPatch(p),
                _ => Holdout::None,
            },
            holdout_checks,
            must_pass: inst.fail_to_pass.0,
            keep_passing: inst.pass_to_pass.0,
            timeout: defaults.timeout.clone(),
        });
    }
    Ok(tasks)
}

/// An instance's `repo`: a path (relative to the file) when one exists there, a URL as
/// written, `owner/name` under `repos-dir` when set, else GitHub's URL for it.
fn instance_repo(repo: &str, dir: &Path, defaults: &RawTask) -> RepoSource {
    if repo.contains("://") || dir.join(repo).join(".git").exists() {
        return repo_source(repo, dir);
    }
    if let Some(root) = &defaults.repos_dir {
        let root = dir.join(root);
        for candidate in [root.join(repo), root.join(repo.replace('/', "__"))] {
            if candidate.exists() {
                return RepoSource::Path(candidate.canonicalize().unwrap_or(candidate));
            }
        }
    }
    RepoSource::Url(format!("https://github.com/{repo}.git"))
}

/// The files a unified diff writes (its `+++ b/…` paths), in order, each once.
pub fn patch_files(patch: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut files = Vec::new();
    for line in patch.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            let path = path.split('\t').next().unwrap_or(path).trim();
            if path == "/dev/null" {
                continue;
            }
            let path = path.strip_prefix("b/").unwrap_or(path).to_string();
            if seen.insert(path.clone()) {
                files.push(path);
            }
        }
    }
    files
}

/// What makes a suite unrunnable, found before anything runs.
fn validate(suite: &Suite, path: &Path) -> Result<(), Error> {
    if suite.tasks.is_empty() {
        return Err(Error::input_with_hint(
            format!("{} has no tasks", path.display()),
            "add a [[task]] table, or `instances = [\"file.jsonl\"]`",
        ));
    }
    if suite.repeats == 0 {
        return Err(Error::input_with_hint(
            format!("{}: repeats must be at least 1", path.display()),
            "set `repeats = 1` or more",
        ));
    }
    let mut seen = BTreeSet::new();
    for task in &suite.tasks {
        if !seen.insert(task.id.as_str()) {
            return Err(Error::input_with_hint(
                format!("{}: two tasks have the id {:?}", path.display(), task.id),
                "give every task a unique id",
            ));
        }
        if task.id.is_empty() || task.id.contains(['/', '\n']) {
            return Err(Error::input_with_hint(
                format!("{}: task id {:?} is empty or has a `/`", path.display(), task.id),
                "use letters, digits, `-`, `_` and `.` in task ids",
            ));
        }
        if (!task.must_pass.is_empty() || !task.keep_passing.is_empty()) && task.holdout_checks.is_empty() {
            return Err(Error::input_with_hint(
                format!(
                    "{}: task {} names tests to pass but has no holdout check to run them",
                    path.display(),
                    task.id
                ),
                "add `holdout-checks = [\"python -m pytest -q\"]` (or the project's test command)",
            ));
        }
        if let RepoSource::Path(p) = &task.repo {
            if !p.exists() {
                return Err(Error::input_with_hint(
                    format!(
                        "{}: task {}: repository {} does not exist",
                        path.display(),
                        task.id,
                        p.display()
                    ),
                    "repo paths are relative to the suite file",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_toml_suite_resolves_defaults_paths_and_holdouts() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("holdouts/a")).unwrap();
        write(dir.path(), "specs/b.md", "fix b\n");
        write(
            dir.path(),
            "b.diff",
            "--- a/t.py\n+++ b/t.py\n@@ -0,0 +1 @@\n+x\n",
        );
        let suite = write(
            dir.path(),
            "suite.toml",
            r#"
name = "mine"
agents = ["claude:claude-sonnet-4-6", "fixer"]
repeats = 3
[defaults]
repo = "repo"
holdout-checks = ["python -m pytest -q"]
timeout = "10m"
[[task]]
id = "a"
spec = "fix a"
holdout = "holdouts/a"
must-pass = ["t.py::test_a"]
[[task]]
id = "b"
base = "v1"
spec-file = "specs/b.md"
test-patch = "b.diff"
checks = ["make test"]
holdout-checks = ["pytest t.py"]
"#,
        );
        let s = load(&suite).unwrap();
        assert_eq!(s.name, "mine");
        assert_eq!(s.repeats, 3);
        assert_eq!(s.agents, ["claude:claude-sonnet-4-6", "fixer"]);
        let root = dir.path().canonicalize().unwrap();
        let (a, b) = (&s.tasks[0], &s.tasks[1]);
        assert_eq!(a.repo, RepoSource::Path(root.join("repo")));
        assert_eq!(a.base, "HEAD");
        assert_eq!(a.holdout, Holdout::Dir(root.join("holdouts/a")));
        assert_eq!(a.holdout_checks, ["python -m pytest -q"]);
        assert_eq!(a.timeout.as_deref(), Some("10m"));
        assert_eq!(b.spec, "fix b\n");
        assert_eq!(b.base, "v1");
        assert!(matches!(&b.holdout, Holdout::TestPatch(p) if p.contains("+++ b/t.py")));
        assert_eq!(b.holdout_checks, ["pytest t.py"]);
        assert_eq!(b.checks, ["make test"]);
    }

    #[test]
    fn swe_bench_instances_read_both_test_list_shapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("acme/widgets/.git")).unwrap();
        let patch = "diff --git a/tests/test_w.py b/tests/test_w.py\n--- a/tests/test_w.py\n+++ b/tests/test_w.py\n@@ -1 +1,2 @@\n x\n+y\n";
        let lines = [
            serde_json::json!({"instance_id": "acme__widgets-1", "repo": "acme/widgets", "base_commit": "abc",
                "problem_statement": "it breaks", "patch": "", "test_patch": patch,
                "FAIL_TO_PASS": ["tests/test_w.py::test_new"], "PASS_TO_PASS": "[\"tests/test_w.py::test_old\"]"}),
            serde_json::json!({"instance_id": "other__x-2", "repo": "other/x", "base_commit": "def",
                "problem_statement": "p", "FAIL_TO_PASS": "[]", "PASS_TO_PASS": []}),
        ];
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        let suite = write(dir.path(), "swe.jsonl", &text);
        // Without repos-dir, owner/name is looked up beside the file, then on GitHub.
        let s = load(&suite).unwrap();
        assert_eq!(s.name, "swe");
        let (a, b) = (&s.tasks[0], &s.tasks[1]);
        assert!(matches!(&a.repo, RepoSource::Path(p) if p.ends_with("acme/widgets")));
        assert_eq!(a.must_pass, ["tests/test_w.py::test_new"]);
        assert_eq!(a.keep_passing, ["tests/test_w.py::test_old"]);
        assert_eq!(
            a.holdout_checks,
            [format!("{DEFAULT_INSTANCE_CHECK} tests/test_w.py")]
        );
        assert_eq!(b.repo, RepoSource::Url("https://github.com/other/x.git".into()));
        assert!(b.must_pass.is_empty() && b.holdout == Holdout::None);
    }

    #[test]
    fn bad_suites_name_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo")).unwrap();
        let cases = [
            ("", "has no tasks"),
            ("[[task]]\nid = \"a\"\nrepo = \"repo\"\n", "task a: has no spec"),
            ("[[task]]\nid = \"a\"\nrepo = \"nowhere\"\nspec = \"s\"\n", "does not exist"),
            ("[[task]]\nid = \"a\"\nrepo = \"repo\"\nspec = \"s\"\n[[task]]\nid = \"a\"\nrepo = \"repo\"\nspec = \"s\"\n", "two tasks have the id"),
            ("[[task]]\nid = \"a\"\nrepo = \"repo\"\nspec = \"s\"\nmust-pass = [\"t\"]\n", "no holdout check"),
            ("repeats = 0\n[[task]]\nid = \"a\"\nrepo = \"repo\"\nspec = \"s\"\n", "at least 1"),
            ("[[task]]\nid = \"a\"\nrepo = \"repo\"\nspce = \"s\"\n", "unknown field `spce`"),
            ("[[task]]\nid = \"a/b\"\nrepo = \"repo\"\nspec = \"s\"\n", "has a `/`"),
            ("[[task]]\nid = \"a\"\nrepo = \"repo\"\nspec = \"s\"\nrepos-dir = \"x\"\n", "sets repos-dir"),
        ];
        for (text, want) in cases {
            let path = write(dir.path(), "s.toml", text);
            let err = load(&path).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let bad = write(dir.path(), "bad.jsonl", "{\"instance_id\": 1}\n");
        let err = load(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.jsonl:1: not a SWE-bench instance"), "{err}");
    }

    #[test]
    fn patch_files_are_the_files_a_diff_writes() {
        let patch = "--- a/x.py\n+++ b/x.py\n@@\n--- a/gone.py\n+++ /dev/null\n--- /dev/null\n+++ b/new/y.py\t2024\n--- a/x.py\n+++ b/x.py\n";
        assert_eq!(patch_files(patch), ["x.py", "new/y.py"]);
    }
}
