//! Grading that a lane cannot game: holdout checks run on a pristine tree (the base, the
//! lane's changes to everything but the tests and their runner, the holdout files), and
//! a check's JUnit report holds it to what its tests did.

use crate::support::TestEnv;
use crate::witness::Witness;

/// A holdout folder with one check script, `hidden/grade.sh`, and the path of the folder.
fn holdout(env: &TestEnv, script: &str) -> String {
    let dir = env.root().join("holdout");
    std::fs::create_dir_all(dir.join("hidden")).unwrap();
    std::fs::write(dir.join("hidden/grade.sh"), script).unwrap();
    dir.display().to_string()
}

#[test]
fn holdouts_run_on_a_pristine_tree_whatever_the_lane_did_to_tests_and_their_runner() {
    let mut env = TestEnv::new();
    env.write(
        "pyproject.toml",
        "[project]\nname = \"sample\"\nversion = \"1.0\"\n",
    );
    env.commit("a pyproject");
    let w = Witness::new(&mut env);
    env.agent(
        "fixer",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n",
            w.agent_spy("fixer")
        ),
    );
    // Games every way a tree can be gamed, and also does the work: only what the graded
    // tree keeps of it decides.
    env.agent(
        "gamer",
        "",
        &format!(
            "{}write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n\
             write tests/test_lib.sh exit 0\\n\n\
             write conftest.py def pytest_runtest_makereport(item, call):\\n\\s\\s\\s\\spass\\n\n\
             write pyproject.toml [project]\\nname = \"sample\"\\nversion = \"1.1\"\\n\\n[tool.pytest.ini_options]\\naddopts = \"-p no:x\"\\n\n\
             write run_tests.sh exit 0\\n\n\
             write planted.log ignored by git, so never captured\\n\n\
             write ../pytest.ini [pytest]\\naddopts = -p planted\\n\n",
            w.agent_spy("gamer")
        ),
    );
    // The grader sees the base's tests and runner, the lane's source and version bump,
    // none of the lane's ignored files, and above the tree bakeoff's own `pytest.ini`
    // rather than the one the lane planted beside the worktrees.
    let grader = "set -e\n\
        grep -q four src/lib.txt\n\
        grep -q assert_eq tests/test_lib.sh\n\
        test ! -e conftest.py\n\
        test ! -e run_tests.sh\n\
        test ! -e planted.log\n\
        grep -q 'version = \"1.1\"' pyproject.toml || grep -q 'version = \"1.0\"' pyproject.toml\n\
        ! grep -q 'no:x' pyproject.toml\n\
        grep -q 'stops here' ../pytest.ini\n";
    let dir = holdout(&env, grader);
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "fixer",
        "-a",
        "gamer",
        "--check",
        &w.check_spy("sh tests/test_lib.sh && grep -q four src/lib.txt"),
        "--holdout",
        &dir,
        "--holdout-check",
        "sh hidden/grade.sh",
        "--merge",
    ]);
    run.expect(0);
    let board: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("leaderboard.json")).unwrap())
            .unwrap();
    assert_eq!(board["winner"], "fixer", "{}", run.stdout());
    let gamer = board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lane"] == "gamer")
        .unwrap();
    let gates = gamer["gates_failed"].to_string();
    for evidence in [
        "test runner configuration conftest.py added",
        "test runner configuration pyproject.toml changed [tool.pytest]",
        "test runner configuration run_tests.sh added",
        "weakened test file tests/test_lib.sh",
    ] {
        assert!(gates.contains(evidence), "no {evidence:?} in {gates}");
    }
    // Both lanes' holdout checks passed: the gamer's because its graded tree was clean.
    for lane in ["fixer", "gamer"] {
        let holdouts: Vec<_> = env
            .lane_events(lane, "check-finished")
            .into_iter()
            .filter(|e| e["check"]["holdout"] == true)
            .collect();
        assert_eq!(holdouts.len(), 1);
        assert_eq!(holdouts[0]["check"]["passed"], true, "{lane}: {:?}", holdouts[0]);
    }
    // The holdout files never entered a lane's worktree, and the graded trees (in the
    // temp folder, which for these tests is the test's root) are gone.
    for lane in ["fixer", "gamer"] {
        assert!(!env.worktree_of(lane).join("hidden").exists(), "{lane}");
    }
    let left: Vec<_> = std::fs::read_dir(env.root())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("bakeoff-graded-"))
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "graded trees left behind: {left:?}");
    w.assert_merged_only(&env, &["src/lib.txt"]);
    for spy in ["fixer", "gamer", "check"] {
        w.spied(spy);
    }
    w.assert_no_secret(&env, &[&run], &[]);
}

/// A JUnit report of one test case per `(classname, name, outcome)` (`pass`, `fail`,
/// `skip`), written by a shell check to `$BAKEOFF_JUNIT`.
fn junit_check(cases: &[(&str, &str, &str)]) -> String {
    let mut xml = String::from("<testsuites><testsuite name=\"t\">");
    for (class, name, outcome) in cases {
        let inner = match *outcome {
            "fail" => "<failure message=\"no\"/>",
            "skip" => "<skipped/>",
            _ => "",
        };
        xml.push_str(&format!(
            "<testcase classname=\"{class}\" name=\"{name}\">{inner}</testcase>"
        ));
    }
    xml.push_str("</testsuite></testsuites>");
    format!("printf '%s' '{xml}' > \"$BAKEOFF_JUNIT\"")
}

#[test]
fn a_check_whose_report_says_no_test_ran_does_not_pass() {
    let mut env = TestEnv::new();
    env.agent("a", "", "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n");
    let check = junit_check(&[("tests.test_lib", "test_four", "skip")]);
    let run = env.bakeoff(&["race", "add a fourth line", "-a", "a", "--check", &check]);
    run.expect(1);
    let finished = env.lane_events("a", "check-finished");
    assert_eq!(finished[0]["check"]["passed"], false);
    assert_eq!(finished[0]["check"]["report"]["counts"]["skipped"], 1);
    let out = run.stdout() + &run.stderr();
    assert!(out.contains("no test ran"), "{out}");
}

#[test]
fn must_pass_tests_decide_the_tier_and_a_skipped_one_is_not_a_pass() {
    let mut env = TestEnv::new();
    env.agent("a", "", "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n");
    let dir = holdout(&env, "exit 1\n");
    let run_with = |cases: &[(&str, &str, &str)]| {
        env.bakeoff(&[
            "race",
            "add a fourth line",
            "-a",
            "a",
            "--holdout",
            &dir,
            "--holdout-check",
            &junit_check(cases),
            "--must-pass",
            "tests/test_lib.py::test_four",
            "--must-pass",
            "test_five",
            "--keep-passing",
            "tests/test_lib.py::TestOld::test_one",
        ])
    };
    // Every named test passed: FULL, though nothing else ran.
    let full = run_with(&[
        ("tests.test_lib", "test_four", "pass"),
        ("tests.test_lib", "test_five[1]", "pass"),
        ("tests.test_lib.TestOld", "test_one", "pass"),
    ]);
    full.expect(0);
    assert!(full.stdout().contains("FULL"), "{}", full.stdout());

    // One must-pass test skipped, the other passing, the old one still passing: PARTIAL.
    let partial = run_with(&[
        ("tests.test_lib", "test_four", "pass"),
        ("tests.test_lib", "test_five", "skip"),
        ("tests.test_lib.TestOld", "test_one", "pass"),
    ]);
    partial.expect(1);
    assert!(
        partial.stdout().contains("PARTIAL: must-pass tests 1/2 pass"),
        "{}",
        partial.stdout()
    );
    let check = &env.lane_events("a", "check-finished")[0]["check"];
    assert_eq!(check["passed"], false);
    assert_eq!(check["report"]["shortfall"], "test_five was skipped");

    // The old test broken: no credit at all.
    let none = run_with(&[
        ("tests.test_lib", "test_four", "pass"),
        ("tests.test_lib", "test_five", "pass"),
        ("tests.test_lib.TestOld", "test_one", "fail"),
    ]);
    none.expect(1);
    assert!(none.stdout().contains("NONE"), "{}", none.stdout());
}

#[test]
fn named_tests_without_a_holdout_check_are_refused() {
    let mut env = TestEnv::new();
    env.agent("a", "", "write src/lib.txt four\\n\n");
    let run = env.bakeoff(&["race", "x", "-a", "a", "--must-pass", "test_four"]);
    run.expect(2);
    assert!(run.stderr().contains("--holdout-check"), "{}", run.stderr());
    assert_eq!(env.races(), 0);
}

#[test]
fn a_configured_report_path_is_read_and_a_report_the_lane_left_there_is_not() {
    let mut env = TestEnv::new();
    // The lane leaves a report that says everything passed where the runner writes one.
    env.agent(
        "a",
        "",
        "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nwrite out/report.xml <testsuite><testcase classname=\"t\" name=\"x\"/></testsuite>\\n\n",
    );
    let xml = "<testsuite><testcase classname=\"t\" name=\"x\"><skipped/></testcase></testsuite>";
    // Quotes escaped for the TOML string the command sits in.
    let xml = xml.replace('"', "\\\"");
    env.config(&format!(
        "[checks]\nskipped = {{ run = \"mkdir -p out && printf '%s' '{xml}' > out/report.xml\", junit = \"out/report.xml\" }}\nsilent = {{ run = \"true\", junit = \"out/report.xml\" }}\n"
    ));
    let run = env.bakeoff(&["race", "add a fourth line", "-a", "a"]);
    run.expect(1);
    let checks = env.lane_events("a", "check-finished");
    let by_name = |n: &str| checks.iter().find(|e| e["check"]["name"] == n).unwrap()["check"].clone();
    assert_eq!(by_name("skipped")["passed"], false);
    assert_eq!(by_name("skipped")["report"]["shortfall"], "no test ran");
    // The second check's runner wrote nothing: the report found is none, not the lane's.
    assert!(by_name("silent")["report"].is_null(), "{:?}", by_name("silent"));
}
