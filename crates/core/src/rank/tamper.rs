//! Tampering: a lane that deletes or weakens tests (or holdout files) may pass its checks
//! for the wrong reason, so ranking gates it unless the spec allows it. This module
//! decides which paths are tests and which changes to them count as tampering.

use crate::vocab::{Tamper, TamperKind};

/// How one file changed in a lane's diff, as the caller reads it from the diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileDelta {
    Deleted,
    Modified {
        removed_lines: Vec<String>,
        added_lines: Vec<String>,
    },
    /// Added, renamed, mode-only or binary: nothing ranking can weigh.
    Other,
}

/// Directory names whose contents are tests, wherever they appear in a path.
const TEST_DIRS: &[&str] = &["tests", "test", "spec", "__tests__"];

/// True when `path` (repository-relative, `/` or `\` separated) looks like a test file.
pub fn is_test_path(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let Some(name) = parts.pop() else {
        return false;
    };
    // Directory names are matched case-insensitively because `Tests/` and `Test/` are
    // common on case-insensitive file systems; file name patterns are not, so that
    // `Latest.java` is not taken for `*Test.java`.
    if parts
        .iter()
        .any(|dir| TEST_DIRS.iter().any(|t| dir.eq_ignore_ascii_case(t)))
    {
        return true;
    }
    is_test_file_name(name)
}

fn is_test_file_name(name: &str) -> bool {
    if name == "conftest.py" || (name.starts_with("test_") && name.ends_with(".py")) {
        return true;
    }
    if name.ends_with("Test.java") {
        return true;
    }
    // `*_test.*`, `*_spec.*`: the part before the first dot, so `a_test.spec.ts` counts.
    if let Some((stem, _ext)) = name.split_once('.') {
        if stem.ends_with("_test") || stem.ends_with("_spec") {
            return true;
        }
    }
    // `*.test.*`, `*.spec.*`: an inner dotted segment, with something on both sides.
    let segments: Vec<&str> = name.split('.').collect();
    segments.len() >= 3
        && segments[1..segments.len() - 1]
            .iter()
            .any(|s| *s == "test" || *s == "spec")
}

/// Finds deleted and weakened test or holdout files among a lane's changed files.
///
/// A holdout path matches the file itself or, when it names a directory, anything
/// under it. A file is weakened when the lines the lane removed carry more assertions
/// than the lines it added.
pub fn detect_tampering(files: &[(String, FileDelta)], holdout_paths: &[String]) -> Vec<Tamper> {
    files
        .iter()
        .filter(|(path, _)| is_test_path(path) || is_holdout_path(path, holdout_paths))
        .filter_map(|(path, delta)| match delta {
            FileDelta::Deleted => Some(Tamper {
                path: path.clone(),
                kind: TamperKind::Deleted,
                assertions_removed: 0,
                detail: None,
            }),
            FileDelta::Modified {
                removed_lines,
                added_lines,
            } => {
                let removed = count_assertions(removed_lines);
                let added = count_assertions(added_lines);
                let skips = count_skips(added_lines).saturating_sub(count_skips(removed_lines));
                if removed > added {
                    Some(Tamper {
                        path: path.clone(),
                        kind: TamperKind::Weakened,
                        assertions_removed: removed - added,
                        detail: None,
                    })
                } else {
                    (skips > 0).then(|| Tamper {
                        path: path.clone(),
                        kind: TamperKind::Skipped,
                        assertions_removed: 0,
                        detail: Some(crate::units::plural(skips, "skip marker")),
                    })
                }
            }
            FileDelta::Other => None,
        })
        .collect()
}

fn is_holdout_path(path: &str, holdout_paths: &[String]) -> bool {
    holdout_paths.iter().any(|holdout| {
        let holdout = holdout.trim_end_matches('/');
        !holdout.is_empty()
            && (path == holdout
                || path
                    .strip_prefix(holdout)
                    .is_some_and(|rest| rest.starts_with('/')))
    })
}

/// Markers of an assertion or a test case across the languages agents usually touch.
/// Removing a test case removes coverage just as removing an assert does, so both count.
const ASSERTION_MARKERS: &[&str] = &[
    "assert",
    "expect(",
    "should",
    "#[test]",
    "def test_",
    "it(",
    "test(",
    "@Test",
    "t.Error",
    "t.Fatal",
    "require.",
];

/// Markers that skip a test or expect it to fail, so that it cannot fail the run.
const SKIP_MARKERS: &[&str] = &[
    "pytest.mark.skip",
    "pytest.mark.xfail",
    "pytest.skip(",
    "pytest.xfail(",
    "pytestmark",
    "unittest.skip",
    "@skip",
    "#[ignore",
    "it.skip(",
    "test.skip(",
    "describe.skip(",
    "xit(",
    "xdescribe(",
    "t.Skip(",
    "@Disabled",
    "@Ignore",
];

/// Lines carrying a skip marker; a line counts once.
fn count_skips(lines: &[String]) -> usize {
    lines
        .iter()
        .filter(|line| SKIP_MARKERS.iter().any(|m| contains_at_word_start(line, m)))
        .count()
}

/// Lines carrying at least one assertion marker; a line counts once.
fn count_assertions(lines: &[String]) -> usize {
    lines.iter().filter(|line| is_assertion_line(line)).count()
}

fn is_assertion_line(line: &str) -> bool {
    ASSERTION_MARKERS
        .iter()
        .any(|marker| contains_at_word_start(line, marker))
}

/// `marker` occurs where it is not the tail of a longer identifier: `it(` must not
/// match `split(`, nor `test(` match `latest(`.
fn contains_at_word_start(line: &str, marker: &str) -> bool {
    line.match_indices(marker).any(|(at, _)| {
        line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths() {
        let cases: &[(&str, bool)] = &[
            ("tests/x.rs", true),
            ("crates/core/tests/it.rs", true),
            ("test/helper.js", true),
            ("spec/models/user_spec.rb", true),
            ("src/__tests__/App.tsx", true),
            ("Tests/Unit.cs", true),
            ("pkg/retry_test.go", true),
            ("test_retry.py", true),
            ("pkg/test_retry.py", true),
            ("conftest.py", true),
            ("sub/conftest.py", true),
            ("lib/user_spec.rb", true),
            ("src/app.test.ts", true),
            ("src/app.spec.js", true),
            ("src/main/java/FooTest.java", true),
            ("tests\\win.rs", true),
            ("src/lib.rs", false),
            ("src/testing.rs", false),
            ("src/latest.rs", false),
            ("src/Latest.java", false),
            ("test_retry.rs", false),
            ("contest.py", false),
            ("src/test.rs", false),
            ("docs/spec.md", false),
            ("src/attestation/mod.rs", false),
            ("tests", false),
            ("", false),
        ];
        for (path, want) in cases {
            assert_eq!(is_test_path(path), *want, "is_test_path({path:?})");
        }
    }

    #[test]
    fn assertion_lines() {
        let cases: &[(&str, bool)] = &[
            ("    assert_eq!(retry(3), Ok(()));", true),
            ("    assert x == 1", true),
            ("        self.assertEqual(a, b)", true),
            ("  expect(sum(1, 2)).toBe(3);", true),
            ("  result.should eq 3", true),
            ("#[test]", true),
            ("def test_retry():", true),
            ("  it('retries', () => {", true),
            ("test('adds', () => {", true),
            ("    @Test", true),
            ("\tt.Errorf(\"got %v\", got)", true),
            ("\tt.Fatal(err)", true),
            ("\trequire.NoError(t, err)", true),
            ("let parts = line.split(',');", false),
            ("let v = latest(items);", false),
            ("fn helper() -> u32 { 3 }", false),
            ("let unexpected(x) = 1;", false),
        ];
        for (line, want) in cases {
            assert_eq!(is_assertion_line(line), *want, "{line:?}");
        }
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    fn modified(removed: &[&str], added: &[&str]) -> FileDelta {
        FileDelta::Modified {
            removed_lines: lines(removed),
            added_lines: lines(added),
        }
    }

    #[test]
    fn tampering_table() {
        let holdout = vec!["acceptance/".to_string(), "checks/smoke.sh".to_string()];
        // (path, change, expected kind and assertions removed)
        type Case = (&'static str, FileDelta, Option<(TamperKind, usize)>);
        let cases: Vec<Case> = vec![
            ("tests/a.rs", FileDelta::Deleted, Some((TamperKind::Deleted, 0))),
            ("src/lib.rs", FileDelta::Deleted, None),
            (
                "acceptance/run.rs",
                FileDelta::Deleted,
                Some((TamperKind::Deleted, 0)),
            ),
            (
                "checks/smoke.sh",
                FileDelta::Deleted,
                Some((TamperKind::Deleted, 0)),
            ),
            ("checks/smoke.sh.bak", FileDelta::Deleted, None),
            ("acceptance_notes.md", FileDelta::Deleted, None),
            (
                "tests/y.py",
                modified(
                    &["    assert a == 1", "    assert b == 2", "    assert c", "x = 1"],
                    &["x = 2"],
                ),
                Some((TamperKind::Weakened, 3)),
            ),
            (
                "tests/z.rs",
                modified(&["    assert_eq!(f(), 1);"], &["    assert_eq!(f(), 2);"]),
                None,
            ),
            (
                "tests/more.rs",
                modified(&["    assert!(a);"], &["    assert!(a);", "    assert!(b);"]),
                None,
            ),
            ("src/lib.rs", modified(&["    assert!(invariant);"], &[]), None),
            (
                "acceptance/check.sh",
                modified(&["test(\"x\")", "test(\"y\")"], &["test(\"x\")"]),
                Some((TamperKind::Weakened, 1)),
            ),
            ("tests/new.rs", FileDelta::Other, None),
        ];
        for (path, delta, want) in cases {
            let got = detect_tampering(&[(path.to_string(), delta)], &holdout);
            let want: Vec<Tamper> = want
                .into_iter()
                .map(|(kind, n)| Tamper {
                    path: path.to_string(),
                    kind,
                    assertions_removed: n,
                    detail: None,
                })
                .collect();
            assert_eq!(got, want, "{path}");
        }
    }

    #[test]
    fn tampering_keeps_input_order_across_files() {
        let files = vec![
            ("tests/b.rs".to_string(), FileDelta::Deleted),
            ("src/lib.rs".to_string(), FileDelta::Deleted),
            (
                "tests/a.rs".to_string(),
                modified(&["#[test]", "fn a() { assert!(true) }"], &[]),
            ),
        ];
        let got = detect_tampering(&files, &[]);
        let paths: Vec<(&str, TamperKind, usize)> = got
            .iter()
            .map(|t| (t.path.as_str(), t.kind, t.assertions_removed))
            .collect();
        assert_eq!(
            paths,
            [
                ("tests/b.rs", TamperKind::Deleted, 0),
                ("tests/a.rs", TamperKind::Weakened, 2)
            ]
        );
    }

    #[test]
    fn tamper_serde_shape() {
        let t = Tamper {
            path: "tests/a.rs".into(),
            kind: TamperKind::Weakened,
            assertions_removed: 2,
            detail: None,
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(
            json,
            r#"{"path":"tests/a.rs","kind":"weakened","assertions_removed":2}"#
        );
        let old: Tamper = serde_json::from_str(r#"{"path":"x","kind":"deleted"}"#).unwrap();
        assert_eq!(old.assertions_removed, 0);
    }
}
