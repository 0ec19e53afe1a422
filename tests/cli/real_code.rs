//! Ranking that cannot be gamed, on real code: each task in `fixtures/real/` is a real
//! package from its PyPI sdist with a bug put in, raced by scripted lanes that fix it,
//! half fix it, do nothing, or game the tests (weakened assertions, deleted tests, a
//! conftest.py that passes failures, skip markers, runner config, a no-op test runner,
//! a shadowed pytest). The real fix must win, every other lane must be gated or rank
//! below it, and the merged tree must pass the project's own holdout tests.
//!
//! Needs the venv and sdists of `scripts/install-python-fixtures.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{copy_tree, py_fixtures, TestEnv};

/// One task's `task.toml`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Task {
    format: u32,
    package: String,
    version: String,
    #[allow(dead_code)] // checked by the install script; kept beside the task for readers
    sha256: String,
    spec: String,
    visible: String,
    holdout: Vec<String>,
    holdout_check: String,
    must_pass: Vec<String>,
    keep_passing: Vec<String>,
    #[allow(dead_code)] // documents what the bug breaks in the visible suite
    visible_fail_to_pass: Vec<String>,
    fixes: Vec<String>,
    bug: Vec<Bug>,
}

/// One replacement that puts the bug in.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Bug {
    file: String,
    from: String,
    to: String,
}

fn fixture_dir(task: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/real")
        .join(task)
}

/// The user's repository: the unpacked sdist with the bug in, the holdout files moved
/// out into the returned folder, a `run_tests.sh` for the visible check, committed on
/// `main`. `python` on PATH is the fixtures' venv.
fn set_up(env: &TestEnv, task: &Task, py: &Path) -> PathBuf {
    let sdist = py
        .join("sdists")
        .join(format!("{}-{}", task.package, task.version));
    assert!(
        sdist.is_dir(),
        "{} is missing: run scripts/install-python-fixtures.sh",
        sdist.display()
    );
    env.git(&["rm", "-rq", "."]);
    copy_tree(&sdist, &env.repo);
    for bug in &task.bug {
        let path = env.repo.join(&bug.file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.matches(&bug.from).count(),
            1,
            "{}: the bug's `from` text must occur exactly once",
            bug.file
        );
        std::fs::write(&path, text.replacen(&bug.from, &bug.to, 1)).unwrap();
    }
    let holdout = env.root().join("holdout");
    for rel in &task.holdout {
        let dst = holdout.join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::rename(env.repo.join(rel), &dst).unwrap();
    }
    // Like a project's own runner, it writes the JUnit report bakeoff asks for.
    env.write(
        "run_tests.sh",
        &format!(
            "#!/bin/sh\nexec {} ${{BAKEOFF_JUNIT:+--junitxml \"$BAKEOFF_JUNIT\"}}\n",
            task.visible
        ),
    );
    env.write(".gitignore", "__pycache__/\n*.pyc\n.pytest_cache/\n");
    env.commit(&format!("{} {} with a bug", task.package, task.version));
    let python = env.bin.join("python");
    std::fs::write(
        &python,
        format!(
            "#!/bin/sh\nexec {} \"$@\"\n",
            py.join("venv/bin/python").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&python, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    holdout
}

/// The lanes: every `lanes/NAME.script`, by name.
fn lanes(task_dir: &Path) -> Vec<(String, String)> {
    let mut lanes: Vec<(String, String)> = std::fs::read_dir(task_dir.join("lanes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "script"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    lanes.sort();
    lanes
}

/// Runs the holdout tests on a copy of the user's checkout after the merge, the holdout
/// files laid in and none of the tree's own conftest files loaded: the holdout files
/// pass as a whole (the projects skip a few tests on some Pythons), and each must-pass
/// and keep-passing id passed, none skipped or deselected.
fn assert_merged_tree_passes_holdout(env: &TestEnv, task: &Task, holdout: &Path, py: &Path) {
    let copy = env.root().join("merged-copy");
    copy_tree(&env.repo, &copy);
    copy_tree(holdout, &copy);
    let pytest = |args: &[&str]| {
        let out = Command::new(py.join("venv/bin/python"))
            .args([
                "-m",
                "pytest",
                "-q",
                "-rA",
                "-p",
                "no:cacheprovider",
                "--noconftest",
            ])
            .args(args)
            .current_dir(&copy)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{}: the merged tree fails the holdout tests {args:?}:\n{text}",
            task.package
        );
        text
    };
    pytest(&task.holdout.iter().map(String::as_str).collect::<Vec<_>>());
    let mut ids: Vec<&str> = task.must_pass.iter().map(String::as_str).collect();
    ids.extend(task.keep_passing.iter().map(String::as_str));
    let text = pytest(&ids);
    assert!(
        !text.contains("skipped") && !text.contains("deselected"),
        "{}: holdout tests skipped or deselected on the merged tree:\n{text}",
        task.package
    );
    for id in &ids {
        assert!(
            text.contains(&format!("PASSED {id}")),
            "{}: {id} did not pass on the merged tree:\n{text}",
            task.package
        );
    }
}

/// One row of the leaderboard, as the report shows it.
fn describe(row: &serde_json::Value) -> String {
    format!(
        "#{} {:<17} tier={} passed={} checks={}/{} gates={} — {}",
        row["position"],
        row["lane"].as_str().unwrap_or("?"),
        row["tier"],
        row["passed"],
        row["checks_passed"],
        row["checks_total"],
        row["gates_failed"],
        row["reason"].as_str().unwrap_or("")
    )
}

/// Races every lane of `fixtures/real/TASK` and checks the outcome.
fn race_task(name: &str) {
    let task_dir = fixture_dir(name);
    let task: Task = toml::from_str(&std::fs::read_to_string(task_dir.join("task.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{name}/task.toml: {e}"));
    assert_eq!(task.format, 1, "{name}/task.toml: unknown format");
    let py = py_fixtures();
    let mut env = TestEnv::new();
    let holdout = set_up(&env, &task, &py);
    let lanes = lanes(&task_dir);
    for (lane, script) in &lanes {
        env.agent(lane, "", script);
    }
    for fix in &task.fixes {
        assert!(lanes.iter().any(|(l, _)| l == fix), "{name}: no lane {fix}");
    }
    let spec = env.root().join("spec.md");
    std::fs::write(&spec, &task.spec).unwrap();

    let mut args: Vec<String> = vec!["race".into(), "--spec-file".into(), spec.display().to_string()];
    for (lane, _) in &lanes {
        args.extend(["-a".into(), lane.clone()]);
    }
    args.extend(["--check".into(), "sh run_tests.sh".into()]);
    args.extend(["--holdout".into(), holdout.display().to_string()]);
    args.extend(["--holdout-check".into(), task.holdout_check.clone()]);
    for id in &task.must_pass {
        args.extend(["--must-pass".into(), id.clone()]);
    }
    for id in &task.keep_passing {
        args.extend(["--keep-passing".into(), id.clone()]);
    }
    args.extend(["--jobs".into(), lanes.len().to_string(), "--merge".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = env.bakeoff(&args);
    assert!(
        env.races() > 0,
        "{name}: no race was recorded (exit {})\n--- stdout\n{}\n--- stderr\n{}",
        run.code(),
        run.stdout(),
        run.stderr()
    );

    let board_path = env.last_race_dir().join("leaderboard.json");
    let board: serde_json::Value = match std::fs::read_to_string(&board_path) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(e) => panic!(
            "{name}: no leaderboard ({e})\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout(),
            run.stderr()
        ),
    };
    let rows = board["rows"].as_array().unwrap();
    let table: String = rows.iter().map(|r| describe(r) + "\n").collect();
    let position = |lane: &str| {
        rows.iter()
            .find(|r| r["lane"] == lane)
            .and_then(|r| r["position"].as_u64())
            .unwrap_or_else(|| panic!("{name}: no row for {lane}\n{table}"))
    };
    let real_fix = position("real-fix");

    // Every lane that is not the real fix is gated or ranks below it: collected, so one
    // run shows every lane that games the ranking.
    let mut wrong = Vec::new();
    let winner = board["winner"].as_str().unwrap_or("");
    if !task.fixes.iter().any(|f| f == winner) {
        wrong.push(format!("the winner is {winner:?}, not one of {:?}", task.fixes));
    }
    for row in rows {
        let lane = row["lane"].as_str().unwrap();
        if task.fixes.iter().any(|f| f == lane) {
            if !row["passed"].as_bool().unwrap_or(false) || row["gates_failed"] != serde_json::json!([]) {
                wrong.push(format!(
                    "{lane} is a real fix but did not pass every check and gate"
                ));
            }
            continue;
        }
        let gated = row["gates_failed"].as_array().is_some_and(|g| !g.is_empty());
        if !gated && row["position"].as_u64().unwrap() < real_fix {
            wrong.push(format!("{lane} is not gated and ranks above real-fix"));
        }
        if !gated && row["passed"].as_bool().unwrap_or(false) {
            wrong.push(format!("{lane} is not gated and passed every check"));
        }
    }
    if std::env::var_os("REAL_CODE_SHOW").is_some() {
        eprintln!("{name}:\n{table}");
    }
    assert!(
        wrong.is_empty(),
        "{name}: ranking was gamed:\n  {}\n--- leaderboard\n{table}--- stderr\n{}",
        wrong.join("\n  "),
        run.stderr()
    );
    run.expect(0);
    assert_merged_tree_passes_holdout(&env, &task, &holdout, &py);
}

#[test]
fn toolz_merge_with_cannot_be_won_by_gaming_the_tests() {
    race_task("toolz-merge-with-iterable");
}

#[test]
fn more_itertools_unique_everseen_cannot_be_won_by_gaming_the_tests() {
    race_task("more-itertools-unique-everseen-key");
}
