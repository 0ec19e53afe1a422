//! Grading a lane the way SWE-bench does: holdout checks run on a pristine tree — the
//! base commit, plus the lane's changes to everything that is not a test or test-runner
//! configuration, plus the holdout files — so nothing a lane did to the tests or to how
//! they run can change how the holdouts run. Every such change the tree leaves out is
//! tampering evidence. Checks that write a JUnit report are held to what it says
//! (`junit`).

pub mod junit;
mod paths;
mod sections;

use std::path::Path;

pub use paths::{is_runner_config, TestPaths};

use crate::git::{self, Changed, GitError, Take};
use crate::vocab::{Tamper, TamperKind, TestReport};

/// A lane's graded tree, built in the object database, and what of the lane's work
/// it left out.
#[derive(Clone, Debug)]
pub struct Graded {
    pub tree: String,
    /// Runner configuration the lane changed (test files' deletions and weakenings are
    /// judged from the diff, by `rank::detect_tampering`).
    pub evidence: Vec<Tamper>,
}

/// The pristine tree for the lane's `commit` over `base`.
pub fn pristine(repo_dir: &Path, base: &str, commit: &str, paths: &TestPaths) -> Result<Graded, GitError> {
    let mut evidence = Vec::new();
    let tree = git::graded_tree(repo_dir, base, commit, &mut |c| judge(c, paths, &mut evidence))?;
    evidence.sort_by(|a: &Tamper, b| a.path.cmp(&b.path));
    Ok(Graded { tree, evidence })
}

/// Writes the graded tree out to `dir` (which must not exist).
pub fn export(repo_dir: &Path, graded: &Graded, dir: &Path) -> Result<(), GitError> {
    git::export_tree(repo_dir, &graded.tree, dir)
}

/// `run` with `--junitxml="$BAKEOFF_JUNIT"` added when it is one plain pytest command
/// (`pytest …`, `python -m pytest …`) that does not name a report itself. Anything else
/// is left as written: a runner of another kind, or a command of several, can write its
/// report to `$BAKEOFF_JUNIT` itself.
pub fn with_junit(run: &str) -> String {
    let plain = !run.contains(['\n', ';', '&', '|', '<', '>', '`', '$', '(']);
    let words: Vec<&str> = run.split_whitespace().collect();
    let pytest = match words.as_slice() {
        [first, ..] if *first == "pytest" || *first == "py.test" => true,
        [python, "-m", "pytest", ..] => python.starts_with("python"),
        _ => false,
    };
    match plain && pytest && !run.contains("--junitxml") && !run.contains("--junit-xml") {
        true => format!("{run} --junitxml=\"$BAKEOFF_JUNIT\""),
        false => run.to_string(),
    }
}

/// What the JUnit report at `path` makes of a check, `None` when there is none. A
/// report that cannot be read fails the check: a lane must not pass by garbling it.
pub fn read_report(path: &Path, must_pass: &[String], keep_passing: &[String]) -> Option<TestReport> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Named tests need a report to be found in.
            return (!must_pass.is_empty() || !keep_passing.is_empty()).then(|| TestReport {
                shortfall: Some("no JUnit report to find the named tests in".to_string()),
                ..TestReport::default()
            });
        }
        Err(e) => return Some(unreadable(e.to_string())),
    };
    match junit::parse(&text) {
        Ok(cases) => Some(junit::report(&cases, must_pass, keep_passing)),
        Err(e) => Some(unreadable(e)),
    }
}

fn unreadable(why: String) -> TestReport {
    TestReport {
        shortfall: Some(format!("its JUnit report could not be read: {why}")),
        ..TestReport::default()
    }
}

fn judge(c: &Changed, paths: &TestPaths, evidence: &mut Vec<Tamper>) -> Take {
    if let Some(blended) = sections::blend(c.path, c.base, c.lane) {
        if !blended.changed.is_empty() {
            evidence.push(runner_config(
                c.path,
                format!("changed {}", blended.changed.join(", ")),
            ));
        }
        return Take::Blend(blended.bytes);
    }
    if c.base.is_none() {
        if let Some(module) = paths::python_shadow(c.path) {
            evidence.push(runner_config(
                c.path,
                format!("added, shadowing the Python module {module}"),
            ));
            return Take::Base;
        }
    }
    if !paths.is_test_infra(c.path) {
        return Take::Lane;
    }
    // A test file changed is judged from the diff (deleted, weakened, skipped); among
    // the tests only runner configuration (a `tests/conftest.py`) is evidence here.
    let is_runner = match crate::rank::is_test_path(c.path) {
        true => is_runner_config(c.path),
        false => true,
    };
    if is_runner && steers_the_runner(c) {
        let what = match (c.base.is_some(), c.lane.is_some()) {
            (false, _) => "added",
            (true, false) => "deleted",
            (true, true) => "changed",
        };
        evidence.push(runner_config(c.path, what.to_string()));
    }
    Take::Base
}

fn runner_config(path: &str, detail: String) -> Tamper {
    Tamper {
        path: path.to_string(),
        kind: TamperKind::RunnerConfig,
        assertions_removed: 0,
        detail: Some(detail),
    }
}

/// Words in a `conftest.py` that change how tests run or what they report, as opposed
/// to the fixtures an honest change adds there.
const CONFTEST_STEERING: &[&str] = &[
    "pytest_",
    "collect_ignore",
    "skip",
    "xfail",
    "outcome",
    "_pytest",
    "sys.modules",
    "builtins",
];

/// Every change to runner configuration steers the runner, except a `conftest.py`
/// whose new lines only add fixtures.
fn steers_the_runner(c: &Changed) -> bool {
    let name = c.path.rsplit('/').next().unwrap_or(c.path);
    if name != "conftest.py" {
        return true;
    }
    let Some(lane) = c.lane.map(String::from_utf8_lossy) else {
        return true;
    };
    let base = c.base.map(String::from_utf8_lossy).unwrap_or_default();
    let old: std::collections::HashSet<&str> = base.lines().collect();
    lane.lines()
        .filter(|l| !old.contains(l))
        .any(|l| CONFTEST_STEERING.iter().any(|w| l.contains(w)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::testutil::{git, write};

    #[test]
    fn plain_pytest_commands_get_a_report_flag_and_others_are_left_alone() {
        let with = |r: &str| with_junit(r);
        assert_eq!(
            with("pytest -q tests"),
            "pytest -q tests --junitxml=\"$BAKEOFF_JUNIT\""
        );
        assert_eq!(
            with("python3 -m pytest tests/test_a.py"),
            "python3 -m pytest tests/test_a.py --junitxml=\"$BAKEOFF_JUNIT\""
        );
        for left in [
            "pytest --junitxml=out.xml",
            "cd sub && pytest",
            "pytest | tee log",
            "cargo test",
            "python -c 'import pytest'",
            "sh run_tests.sh",
        ] {
            assert_eq!(with(left), left);
        }
    }

    #[test]
    fn the_pristine_tree_has_the_lanes_fix_and_the_bases_tests_and_runner() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        write(&repo, "pkg/slug.py", "def slug(s):\n    return s\n");
        write(
            &repo,
            "tests/test_slug.py",
            "def test_slug():\n    assert slug('A') == 'a'\n",
        );
        write(&repo, "tests/conftest.py", "import pytest\n");
        write(&repo, "pyproject.toml", "[project]\nname = \"p\"\n");
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "base"]);
        let base = git(&repo, &["rev-parse", "HEAD"]);
        write(&repo, "pkg/slug.py", "def slug(s):\n    return s.lower()\n");
        write(&repo, "tests/test_slug.py", "def test_slug():\n    pass\n");
        write(
            &repo,
            "tests/conftest.py",
            "import pytest\n@pytest.fixture\ndef word():\n    return 'w'\n",
        );
        write(
            &repo,
            "conftest.py",
            "def pytest_runtest_makereport(item, call):\n    call.excinfo = None\n",
        );
        write(
            &repo,
            "pyproject.toml",
            "[project]\nname = \"p\"\n\n[tool.pytest.ini_options]\naddopts = \"-p no:x\"\n",
        );
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "lane"]);
        let lane = git(&repo, &["rev-parse", "HEAD"]);

        let graded = pristine(&repo, &base, &lane, &TestPaths::default()).unwrap();
        let out = tmp.path().join("graded");
        export(&repo, &graded, &out).unwrap();
        let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap_or_default();
        assert!(read("pkg/slug.py").contains("lower()"), "the lane's fix is in");
        assert!(
            read("tests/test_slug.py").contains("assert"),
            "the base's test is back"
        );
        assert_eq!(read("tests/conftest.py"), "import pytest\n");
        assert!(!out.join("conftest.py").exists(), "the planted conftest is out");
        assert!(
            !read("pyproject.toml").contains("no:x"),
            "{}",
            read("pyproject.toml")
        );
        let found: Vec<(String, Option<String>)> = graded
            .evidence
            .iter()
            .map(|t| (t.path.clone(), t.detail.clone()))
            .collect();
        // The fixture-only conftest change is left out but is no evidence.
        assert_eq!(
            found,
            [
                ("conftest.py".to_string(), Some("added".to_string())),
                (
                    "pyproject.toml".to_string(),
                    Some("changed [tool.pytest]".to_string())
                ),
            ]
        );
        assert!(graded.evidence.iter().all(|t| t.kind == TamperKind::RunnerConfig));
    }
}
