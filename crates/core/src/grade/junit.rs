//! What a check's tests did, from the JUnit XML report the runner wrote (pytest
//! `--junitxml`, cargo-nextest, jest-junit, go-junit-report all write this shape):
//! `<testsuite>`s of `<testcase classname=… name=…>`, each passed unless it holds a
//! `<failure>`, an `<error>` or a `<skipped>`. A check whose report says no test ran,
//! or that a must-pass test did not pass, did not pass, whatever its exit code.

use serde::{Deserialize, Serialize};

use crate::vocab::{Named, TestCounts, TestReport};

/// One test case's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseStatus {
    Passed,
    Failed,
    Errored,
    Skipped,
}

/// One test case: `classname` as the runner wrote it (`tests.test_x.TestA` for pytest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub classname: String,
    pub name: String,
    pub status: CaseStatus,
}

/// The cases of a report, in order.
pub fn parse(xml: &str) -> Result<Vec<Case>, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not a JUnit XML report: {e}"))?;
    let root = doc.root_element();
    if !matches!(root.tag_name().name(), "testsuites" | "testsuite") {
        return Err(format!(
            "not a JUnit XML report: the root element is <{}>",
            root.tag_name().name()
        ));
    }
    Ok(root
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|case| {
            let has = |tag: &str| case.children().any(|c| c.has_tag_name(tag));
            let status = if has("error") {
                CaseStatus::Errored
            } else if has("failure") {
                CaseStatus::Failed
            } else if has("skipped") {
                CaseStatus::Skipped
            } else {
                CaseStatus::Passed
            };
            Case {
                classname: case.attribute("classname").unwrap_or_default().to_string(),
                name: case.attribute("name").unwrap_or_default().to_string(),
                status,
            }
        })
        .collect())
}

/// The counts of `cases`.
pub fn counts(cases: &[Case]) -> TestCounts {
    let mut counts = TestCounts::default();
    for case in cases {
        match case.status {
            CaseStatus::Passed => counts.passed += 1,
            CaseStatus::Failed => counts.failed += 1,
            CaseStatus::Errored => counts.errored += 1,
            CaseStatus::Skipped => counts.skipped += 1,
        }
    }
    counts
}

/// True when the test id `id` names `case`. An id is a pytest node id
/// (`tests/test_x.py::TestA::test_y`, parameters optional), a dotted
/// `classname.name`, or a bare test name; a name without parameters names every
/// parametrised case of it.
pub fn names(id: &str, case: &Case) -> bool {
    let (scope, name) = match id.rsplit_once("::") {
        Some((scope, name)) => (Some(node_scope(scope)), name),
        None => match id.rsplit_once('.') {
            // `tests.test_x.test_y`: but not `test_y[1.5]`.
            Some((scope, name)) if !scope.contains('[') => (Some(scope.to_string()), name),
            _ => (None, id),
        },
    };
    let name_matches =
        case.name == name || (!name.contains('[') && case.name.starts_with(&format!("{name}[")));
    name_matches && scope.is_none_or(|s| case.classname == s || case.classname.ends_with(&format!(".{s}")))
}

/// `tests/test_x.py::TestA` as pytest's classname: `tests.test_x.TestA`.
fn node_scope(scope: &str) -> String {
    scope
        .split("::")
        .map(|part| part.strip_suffix(".py").unwrap_or(part).replace('/', "."))
        .collect::<Vec<_>>()
        .join(".")
}

/// What `cases` make of a check held to `must_pass` and `keep_passing` ids (empty for
/// a check that names none): the counts, how many named tests passed, and the
/// shortfall that fails the check — no test ran, or a named test missing, failing,
/// erroring or skipped.
pub fn report(cases: &[Case], must_pass: &[String], keep_passing: &[String]) -> TestReport {
    let counts = counts(cases);
    let mut problems = Vec::new();
    if counts.ran() == 0 {
        problems.push("no test ran".to_string());
    }
    let must = named(cases, must_pass, &mut problems);
    let keep = named(cases, keep_passing, &mut problems);
    TestReport {
        counts,
        shortfall: (!problems.is_empty()).then(|| problems.join("; ")),
        must_pass: (!must_pass.is_empty()).then_some(must),
        keep_passing: (!keep_passing.is_empty()).then_some(keep),
    }
}

/// How many of `ids` passed; each that did not is said in `problems`.
fn named(cases: &[Case], ids: &[String], problems: &mut Vec<String>) -> Named {
    let mut passed = 0;
    let mut missing = Vec::new();
    let mut not_passed = Vec::new();
    for id in ids {
        let matched: Vec<&Case> = cases.iter().filter(|c| names(id, c)).collect();
        match matched.iter().find(|c| c.status != CaseStatus::Passed) {
            _ if matched.is_empty() => missing.push(id.as_str()),
            Some(c) => not_passed.push(format!("{id} {}", status_word(c.status))),
            None => passed += 1,
        }
    }
    if !not_passed.is_empty() {
        problems.push(not_passed.join(", "));
    }
    if !missing.is_empty() {
        problems.push(format!("{} did not run", missing.join(", ")));
    }
    Named {
        passed,
        total: ids.len(),
    }
}

fn status_word(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::Passed => "passed",
        CaseStatus::Failed => "failed",
        CaseStatus::Errored => "errored",
        CaseStatus::Skipped => "was skipped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What pytest 8 writes for a module with a class, a parametrised test, a skip and a
    /// failure.
    const PYTEST: &str = r#"<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="4" time="0.02"><testcase classname="tests.test_slug" name="test_plain" time="0.001" /><testcase classname="tests.test_slug.TestEdge" name="test_empty" time="0.001"><skipped type="pytest.skip" message="later">tests/test_slug.py:9: later</skipped></testcase><testcase classname="tests.test_slug" name="test_param[a-b]" time="0.001" /><testcase classname="tests.test_slug" name="test_param[c-d]" time="0.001"><failure message="assert 1 == 2">...</failure></testcase></testsuite></testsuites>"#;

    #[test]
    fn a_pytest_report_is_counted() {
        let cases = parse(PYTEST).unwrap();
        assert_eq!(
            counts(&cases),
            TestCounts {
                passed: 2,
                failed: 1,
                errored: 0,
                skipped: 1
            }
        );
        assert!(parse("<html/>").unwrap_err().contains("<html>"));
        assert!(parse("not xml").is_err());
    }

    #[test]
    fn ids_name_cases_as_pytest_and_people_write_them() {
        let cases = parse(PYTEST).unwrap();
        let find = |id: &str| cases.iter().filter(|c| names(id, c)).count();
        assert_eq!(find("tests/test_slug.py::test_plain"), 1);
        assert_eq!(find("test_plain"), 1);
        assert_eq!(find("tests.test_slug.test_plain"), 1);
        assert_eq!(find("tests/test_slug.py::TestEdge::test_empty"), 1);
        assert_eq!(find("test_param"), 2, "a bare name takes every parameter");
        assert_eq!(find("tests/test_slug.py::test_param[a-b]"), 1);
        assert_eq!(find("tests/other.py::test_plain"), 0);
    }

    #[test]
    fn must_pass_tests_that_were_skipped_failed_or_missing_are_named() {
        let cases = parse(PYTEST).unwrap();
        let plain = report(&cases, &["test_plain".into()], &[]);
        assert_eq!(plain.shortfall, None);
        assert_eq!(plain.must_pass, Some(Named { passed: 1, total: 1 }));
        assert_eq!(plain.keep_passing, None);
        let r = report(
            &cases,
            &["test_empty".into(), "test_param".into(), "test_gone".into()],
            &["test_plain".into()],
        );
        assert_eq!(
            r.shortfall.unwrap(),
            "test_empty was skipped, test_param failed; test_gone did not run"
        );
        assert_eq!(r.must_pass, Some(Named { passed: 0, total: 3 }));
        assert_eq!(r.keep_passing, Some(Named { passed: 1, total: 1 }));
        let all_skipped = parse(
            r#"<testsuite tests="1"><testcase classname="t" name="a"><skipped/></testcase></testsuite>"#,
        )
        .unwrap();
        assert_eq!(report(&all_skipped, &[], &[]).shortfall.unwrap(), "no test ran");
        assert_eq!(report(&[], &[], &[]).shortfall.unwrap(), "no test ran");
    }
}
