//! Which paths are the tests and what decides how they run. A lane's changes to them
//! never reach the tree its holdouts are graded on, and each is reported as tampering
//! evidence: test files (`rank::is_test_path`), test-runner configuration (`conftest.py`,
//! `pytest.ini`, `tox.ini`, jest and vitest configs, `.cargo/config.toml`, Python
//! start-up hooks that can shadow the runner), test helper folders, scripts named for
//! tests, plus any glob of `[tests] paths`. Files that mix runner settings with the rest
//! of a project (`pyproject.toml`, `setup.cfg`, `package.json`) are blended instead: the
//! lane's file with the runner's sections as the base had them (see `sections`).

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::rank::is_test_path;

/// File names that configure or replace a test runner, wherever they are.
const RUNNER_FILES: &[&str] = &[
    "conftest.py",
    "pytest.ini",
    ".pytest.ini",
    "tox.ini",
    "noxfile.py",
    // Imported by every Python process: a lane could patch the runner from here.
    "sitecustomize.py",
    "usercustomize.py",
    // A module of this name shadows the installed runner for `python -m pytest`.
    "pytest.py",
    "karma.conf.js",
    "phpunit.xml",
    "phpunit.xml.dist",
    ".rspec",
    "nextest.toml",
];

/// Name prefixes of runner configs with many spellings (`jest.config.ts`, `.mocharc.yml`).
const RUNNER_PREFIXES: &[&str] = &["jest.config.", "vitest.config.", "vitest.workspace.", ".mocharc"];

/// Folders of test helpers: what they hold shapes how tests run, like the tests.
const HELPER_DIRS: &[&str] = &[
    "testing",
    "testutils",
    "test_utils",
    "test_helpers",
    "testhelpers",
];

/// Packages that would stand in for the test runner itself.
const SHADOW_PACKAGES: &[&str] = &["pytest", "_pytest", "unittest", "nose", "nose2"];

/// Script endings: a script named for tests (`run_tests.sh`) is how tests are started.
const SCRIPT_ENDINGS: &[&str] = &[".sh", ".bash", ".bat", ".cmd", ".ps1"];

/// The paths a race counts as tests, from the defaults and `[tests] paths`.
#[derive(Clone, Debug)]
pub struct TestPaths {
    extra: GlobSet,
}

impl Default for TestPaths {
    fn default() -> Self {
        TestPaths {
            extra: GlobSet::empty(),
        }
    }
}

impl TestPaths {
    /// The defaults plus `globs` (gitignore-style `**` globs over repository paths).
    pub fn new(globs: &[String]) -> Result<TestPaths, String> {
        let mut set = GlobSetBuilder::new();
        for g in globs {
            set.add(Glob::new(g).map_err(|e| format!("[tests] paths: `{g}` is not a glob: {e}"))?);
        }
        let extra = set.build().map_err(|e| format!("[tests] paths: {e}"))?;
        Ok(TestPaths { extra })
    }

    /// True when the whole file is the tests' or their runner's.
    pub fn is_test_infra(&self, path: &str) -> bool {
        is_test_path(path) || is_runner_path(path) || self.extra.is_match(path)
    }
}

/// A file that configures or replaces a test runner (`conftest.py`, `pytest.ini`,
/// `jest.config.js`…), by its name alone.
pub fn is_runner_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    RUNNER_FILES.contains(&name) || RUNNER_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Runner configuration, start-up hooks, helper folders and test scripts.
pub fn is_runner_path(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let Some((name, dirs)) = parts.split_last() else {
        return false;
    };
    if is_runner_config(path) {
        return true;
    }
    if dirs
        .iter()
        .any(|d| HELPER_DIRS.iter().any(|h| d.eq_ignore_ascii_case(h)))
    {
        return true;
    }
    // A package of the runner's name shadows it just as a module does (`pytest/__main__.py`).
    if dirs.iter().any(|d| SHADOW_PACKAGES.contains(d)) {
        return true;
    }
    // `.cargo/config.toml` sets runners and flags for `cargo test`.
    if dirs.last() == Some(&".cargo") && (*name == "config.toml" || *name == "config") {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    lower.contains("test") && SCRIPT_ENDINGS.iter().any(|e| lower.ends_with(e))
}

/// The Python modules a lane must not add at the top of its tree (see the file).
const PYTHON_SHADOWS: &str = include_str!("python_shadows.txt");

/// The module `path` would shadow when added at the top of the tree: `shlex.py`, or
/// `pluggy/__init__.py` for a package. `python -m pytest` puts the tree first on
/// `sys.path`, so such a file runs inside the test runner before any test.
pub fn python_shadow(path: &str) -> Option<&'static str> {
    let (first, rest) = path.split_once('/').map_or((path, None), |(f, r)| (f, Some(r)));
    let module = match rest {
        None => first.strip_suffix(".py")?,
        Some(rest) if rest.ends_with(".py") => first,
        Some(_) => return None,
    };
    PYTHON_SHADOWS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find(|name| *name == module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runner_paths() {
        let cases: &[(&str, bool)] = &[
            ("conftest.py", true),
            ("src/pkg/conftest.py", true),
            ("pytest.ini", true),
            ("tox.ini", true),
            ("sitecustomize.py", true),
            ("lib/pytest.py", true),
            ("pytest/__main__.py", true),
            ("src/_pytest/runner.py", true),
            ("jest.config.ts", true),
            ("web/vitest.config.mjs", true),
            (".mocharc.yml", true),
            (".cargo/config.toml", true),
            ("testing/helpers.py", true),
            ("src/test_utils/mod.rs", true),
            ("run_tests.sh", true),
            ("scripts/test.sh", true),
            ("src/lib.py", false),
            ("pyproject.toml", false),
            ("setup.cfg", false),
            ("package.json", false),
            ("src/testing.py", false),
            ("docs/testing.md", false),
            ("Cargo.toml", false),
        ];
        for (path, want) in cases {
            assert_eq!(is_runner_path(path), *want, "{path}");
        }
    }

    #[test]
    fn modules_added_at_the_top_that_shadow_pythons_or_pytests_own() {
        assert_eq!(python_shadow("shlex.py"), Some("shlex"));
        assert_eq!(python_shadow("iniconfig.py"), Some("iniconfig"));
        assert_eq!(python_shadow("pluggy/__init__.py"), Some("pluggy"));
        assert_eq!(
            python_shadow("pkg/shlex.py"),
            None,
            "only the top of the tree is on the path"
        );
        assert_eq!(python_shadow("calc.py"), None);
        assert_eq!(
            python_shadow("test/test_x.py"),
            None,
            "a tests folder named test is the tests"
        );
        assert_eq!(python_shadow("json/data.txt"), None);
    }

    #[test]
    fn configured_globs_add_to_the_defaults() {
        let paths = TestPaths::new(&["qa/**".to_string(), "*.feature".to_string()]).unwrap();
        assert!(paths.is_test_infra("qa/smoke/run.py"));
        assert!(paths.is_test_infra("login.feature"));
        assert!(paths.is_test_infra("tests/test_x.py"));
        assert!(!paths.is_test_infra("src/qa.py"));
        let err = TestPaths::new(&["a[".to_string()]).unwrap_err();
        assert!(err.contains("`a[` is not a glob"), "{err}");
    }
}
