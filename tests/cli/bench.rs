//! `bakeoff bench` on real code no one here wrote: toolz from its PyPI sdist, with bugs
//! put in the way SWE-smith makes tasks (one function's line changed, the package's own
//! tests grading it, FAIL_TO_PASS found by running them on the bug), raced by scripted
//! agents of known skill. The report must say what the agents were built to do; three
//! shards merged must say the same as one run; a bench killed mid-suite resumes without
//! running a finished trial twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{copy_tree, py_fixtures, TestEnv};

/// A bug: the file, the line as toolz has it, the line with the bug in.
struct Bug {
    task: &'static str,
    file: &'static str,
    tests: &'static str,
    from: &'static str,
    to: &'static str,
}

const BUGS: &[Bug] = &[
    Bug {
        task: "frequencies-counts",
        file: "toolz/itertoolz.py",
        tests: "toolz/tests/test_itertoolz.py",
        from: "        d[item] += 1\n",
        to: "        d[item] = 1\n",
    },
    Bug {
        task: "take-nth-start",
        file: "toolz/itertoolz.py",
        tests: "toolz/tests/test_itertoolz.py",
        from: "    return itertools.islice(seq, 0, None, n)\n",
        to: "    return itertools.islice(seq, 1, None, n)\n",
    },
    Bug {
        task: "valmap-applies",
        file: "toolz/dicttoolz.py",
        tests: "toolz/tests/test_dicttoolz.py",
        from: "    rv.update(zip(d.keys(), map(func, d.values())))\n",
        to: "    rv.update(zip(d.keys(), d.values()))\n",
    },
];

/// What each agent does on each trial: `fix` (writes the real fix), `game` (guts the
/// tests so they pass), anything else nothing. By task index and repeat.
fn skill(agent: &str, task: usize, repeat: u32) -> &'static str {
    match agent {
        "oracle" => "fix",
        // Solves the first two tasks every time, never the third.
        "half" => ["fix", "fix", "none"][task],
        // Solves every task, but only on its first try.
        "flaky" if repeat == 0 => "fix",
        "gamer" => "game",
        _ => "none",
    }
}

const AGENTS: &[&str] = &["oracle", "half", "flaky", "gamer"];
const REPEATS: u32 = 3;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The tests of `file` that fail on `tree`, by pytest node id.
fn failing_tests(py: &Path, tree: &Path, file: &str) -> (Vec<String>, Vec<String>) {
    let out = Command::new(py.join("venv/bin/python"))
        .args(["-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", file])
        .current_dir(tree)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let ids = |prefix: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(|rest| rest.split(" - ").next().unwrap().trim().to_string())
            .collect()
    };
    (ids("FAILED "), ids("PASSED "))
}

/// The suite: toolz with each bug on its own branch, FAIL_TO_PASS found by running the
/// package's tests on the bug, the clean test file as the holdout, and the agents'
/// script. Returns the suite file.
fn build_suite(env: &mut TestEnv) -> PathBuf {
    let py = py_fixtures();
    let sdist = py.join("sdists/toolz-1.0.0");
    assert!(
        sdist.is_dir(),
        "{} is missing: run scripts/install-python-fixtures.sh",
        sdist.display()
    );
    let root = env.root();
    let upstream = root.join("toolz");
    copy_tree(&sdist, &upstream);
    std::fs::write(
        upstream.join(".gitignore"),
        "__pycache__/\n*.pyc\n.pytest_cache/\n",
    )
    .unwrap();
    git(&upstream, &["init", "-q", "-b", "main"]);
    git(&upstream, &["add", "-A"]);
    git(&upstream, &["commit", "-qm", "toolz 1.0.0"]);
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

    let mut suite = format!(
        "name = \"toolz-bugs\"\nrepeats = {REPEATS}\nagents = {:?}\n",
        AGENTS
    );
    let (solutions, holdouts) = (root.join("solutions"), root.join("holdouts"));
    for bug in BUGS {
        let path = upstream.join(bug.file);
        let clean = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            clean.matches(bug.from).count(),
            1,
            "{}: `from` must occur once",
            bug.task
        );
        let solution = solutions.join(bug.task).join(bug.file);
        std::fs::create_dir_all(solution.parent().unwrap()).unwrap();
        std::fs::write(&solution, &clean).unwrap();
        let holdout = holdouts.join(bug.task).join(bug.tests);
        std::fs::create_dir_all(holdout.parent().unwrap()).unwrap();
        std::fs::copy(upstream.join(bug.tests), &holdout).unwrap();

        git(
            &upstream,
            &["checkout", "-q", "-b", &format!("bug/{}", bug.task), "main"],
        );
        std::fs::write(&path, clean.replacen(bug.from, bug.to, 1)).unwrap();
        let (fail, pass) = failing_tests(&py, &upstream, bug.tests);
        assert!(
            !fail.is_empty(),
            "{}: the bug fails none of {}",
            bug.task,
            bug.tests
        );
        git(&upstream, &["commit", "-qam", &format!("bug: {}", bug.task)]);
        git(&upstream, &["checkout", "-q", "main"]);
        suite.push_str(&format!(
            "\n[[task]]\nid = \"{}\"\nrepo = \"toolz\"\nbase = \"bug/{}\"\nspec = \"A test of {} fails; fix the code in {}, not the tests.\"\nholdout = \"holdouts/{}\"\nholdout-checks = [\"python -m pytest -q -p no:cacheprovider {}\"]\nmust-pass = {:?}\nkeep-passing = {:?}\n",
            bug.task, bug.task, bug.tests, bug.file, bug.task, bug.tests, fail, &pass[..pass.len().min(5)]
        ));
    }
    // One script for every agent: its skill table says what to do on each trial.
    let script = root.join("agent.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\ntask=\"${{BAKEOFF_TRIAL%/*}}\"\nrepeat=\"${{BAKEOFF_TRIAL#*/}}\"\ncase \"$(grep \"^$task $repeat \" \"$1\" | cut -d' ' -f3)\" in\n  fix) cp -R \"{}/$task/.\" . ;;\n  game) for f in toolz/tests/test_*.py; do printf 'def test_ok():\\n    pass\\n' > \"$f\"; done ;;\nesac\n",
            solutions.display()
        ),
    )
    .unwrap();
    for agent in AGENTS {
        let table: String = BUGS
            .iter()
            .enumerate()
            .flat_map(|(t, bug)| {
                (0..REPEATS).map(move |r| format!("{} {r} {}\n", bug.task, skill(agent, t, r)))
            })
            .collect();
        let file = root.join(format!("skill-{agent}.txt"));
        std::fs::write(&file, table).unwrap();
        env.config(&format!(
            "[agents.{agent}]\nadapter = \"command\"\nmodel = \"scripted-{agent}\"\ncommand = [\"sh\", \"{}\", \"{}\"]\n",
            script.display(),
            file.display()
        ));
    }
    let path = root.join("suite.toml");
    std::fs::write(&path, suite).unwrap();
    path
}

fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json"))
        .unwrap_or_else(|e| panic!("{}: no report.json: {e}", dir.display()));
    serde_json::from_str(&text).unwrap()
}

fn agent<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["stats"]["agent"] == name)
        .unwrap_or_else(|| panic!("no agent {name} in the report"))
}

fn pass_at(stats: &Value, field: &str, k: u64) -> f64 {
    stats[field]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == k)
        .and_then(|p| p[1].as_f64())
        .unwrap_or_else(|| panic!("no {field} for k={k}: {stats}"))
}

/// What the statistics say, without the times, costs and races that differ between runs.
fn statistics(report: &Value) -> Value {
    let agents: Vec<Value> = report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["stats"].clone())
        .collect();
    serde_json::json!({
        "fingerprint": report["fingerprint"],
        "planned": report["trials_planned"],
        "finished": report["trials_finished"],
        "missing": report["trials_missing"],
        "agents": agents,
        "ranking": report["ranking"],
        "comparisons": report["comparisons"],
        "grid": report["grid"],
    })
}

#[test]
fn a_bench_on_real_code_reports_what_its_agents_were_built_to_do_sharded_or_not() {
    let mut env = TestEnv::new();
    let suite = build_suite(&mut env);
    let root = env.root();
    let suite_arg = suite.display().to_string();
    let run = env.bakeoff_in(
        &root,
        &[
            "bench",
            &suite_arg,
            "--no-review",
            "--jobs",
            "4",
            "--out",
            "whole",
        ],
    );
    assert_eq!(
        run.code(),
        0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout(),
        run.stderr()
    );
    let whole = report(&root.join("whole"));
    let trials = (BUGS.len() * AGENTS.len()) as u64 * REPEATS as u64;
    assert_eq!(whole["trials_finished"], trials, "{whole}");
    assert_eq!(whole["trials_missing"], 0);

    let csv = std::fs::read_to_string(root.join("whole/trials.csv")).unwrap();
    let third = 1.0 / 3.0;
    for (name, pass1, pass3, hat3) in [
        ("oracle", 1.0, 1.0, 1.0),
        ("half", 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0),
        ("flaky", third, 1.0, 0.0),
        ("gamer", 0.0, 0.0, 0.0),
    ] {
        let stats = &agent(&whole, name)["stats"];
        let close = |got: f64, want: f64, what: &str| {
            assert!(
                (got - want).abs() < 1e-9,
                "{name}: {what} is {got}, built to be {want}\n{stats}\n{csv}"
            );
        };
        close(stats["resolved_rate"].as_f64().unwrap(), pass1, "pass@1");
        close(pass_at(stats, "pass_at", 1), pass1, "pass@1 from the estimator");
        close(pass_at(stats, "pass_at", 3), pass3, "pass@3");
        close(pass_at(stats, "pass_hat", 3), hat3, "pass^3");
        let interval = &stats["interval"];
        let (low, high) = (
            interval["low"].as_f64().unwrap(),
            interval["high"].as_f64().unwrap(),
        );
        assert!(
            low <= pass1 + 1e-9 && pass1 <= high + 1e-9,
            "{name}: {pass1} outside [{low}, {high}]"
        );
    }
    // The gamer's gutted tests never resolve a task: the pristine holdouts grade it.
    let ranking: Vec<&str> = whole["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["agent"].as_str().unwrap())
        .collect();
    assert_eq!(ranking.first(), Some(&"oracle"), "{ranking:?}");
    assert_eq!(ranking.last(), Some(&"gamer"), "{ranking:?}");
    let oracle_vs_gamer = whole["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["a"] == "oracle" && p["b"] == "gamer")
        .unwrap();
    // Three of three tasks is not proof: three coin flips go one way a quarter of the time.
    assert_eq!(oracle_vs_gamer["a_only"], 3, "{oracle_vs_gamer}");
    let p = oracle_vs_gamer["p_value"].as_f64().unwrap();
    assert!((p - 0.25).abs() < 1e-12, "{oracle_vs_gamer}");
    assert_eq!(oracle_vs_gamer["verdict"], "NotShown", "{oracle_vs_gamer}");
    let md = std::fs::read_to_string(root.join("whole/report.md")).unwrap();
    assert!(
        md.contains("| valmap-applies | ✅ 3/3 | ❌ 0/3 | 1/3 | ❌ 0/3 |"),
        "{md}"
    );
    assert_eq!(csv.lines().count() as u64, trials + 1);
    let html = std::fs::read_to_string(root.join("whole/report.html")).unwrap();
    assert!(
        html.contains("valmap-applies") && html.contains("<svg"),
        "the page has the grid and the plots"
    );
    // Each trial is a race of its own, with its records, in the bench's clone: the
    // user's repository and the upstream were never raced in.
    assert_eq!(env.races(), 0);
    assert!(!root.join("toolz/.git/bakeoff").exists());

    // Three shards as three processes, each as a Kubernetes Indexed Job's pod, merged.
    for index in 0..3 {
        let mut cmd = env.command(
            &root,
            &["bench", &suite_arg, "--no-review", "--jobs", "4", "--shards", "3"],
        );
        cmd.env("JOB_COMPLETION_INDEX", index.to_string())
            .args(["--out", &format!("shards/{index}")]);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "shard {index}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let merged = env.bakeoff_in(
        &root,
        &[
            "bench", "merge", "shards/0", "shards/1", "shards/2", "--out", "merged",
        ],
    );
    assert_eq!(merged.code(), 0, "{}", merged.stderr());
    let merged = report(&root.join("merged"));
    assert_eq!(statistics(&merged), statistics(&whole));
    assert_eq!(merged["shards"].as_array().unwrap().len(), 3);

    // Shards of one suite only, each once.
    let twice = env.bakeoff_in(&root, &["bench", "merge", "shards/0", "shards/0"]);
    assert_eq!(twice.code(), 2, "{}", twice.stderr());
    assert!(twice.stderr().contains("given twice"), "{}", twice.stderr());
}

/// A quick suite on the sample repository: `TASKS` tasks, two agents, two repeats; the
/// agents sleep a little so a kill lands mid-suite.
fn quick_suite(env: &mut TestEnv, tasks: usize) -> PathBuf {
    let root = env.root();
    let script = root.join("quick.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsleep 0.3\necho fixed > \"fix-${BAKEOFF_TRIAL%/*}.txt\"\n",
    )
    .unwrap();
    for name in ["fast", "idle"] {
        let command = match name {
            "fast" => format!("[\"sh\", \"{}\"]", script.display()),
            _ => "[\"sleep\", \"0.3\"]".to_string(),
        };
        env.config(&format!(
            "[agents.{name}]\nadapter = \"command\"\nmodel = \"m\"\ncommand = {command}\n"
        ));
    }
    let mut suite = String::from("agents = [\"fast\", \"idle\"]\nrepeats = 2\n");
    for t in 0..tasks {
        suite.push_str(&format!(
            "[[task]]\nid = \"t{t}\"\nrepo = \"repo\"\nspec = \"write fix-t{t}.txt\"\nchecks = [\"test -f fix-t{t}.txt\"]\n"
        ));
    }
    let path = root.join("quick.toml");
    std::fs::write(&path, suite).unwrap();
    path
}

/// The trials journal's lines, by trial.
fn journal_lines(out: &Path) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    let text = std::fs::read_to_string(out.join("trials.jsonl")).unwrap_or_default();
    for line in text.lines() {
        if let Ok(v) = serde_json::from_str::<Value>(line) {
            *lines
                .entry(format!("{}/{}/{}", v["task"], v["agent"], v["repeat"]))
                .or_default() += 1;
        }
    }
    lines
}

#[test]
fn a_bench_killed_mid_suite_resumes_without_paying_twice() {
    let mut env = TestEnv::new();
    let suite = quick_suite(&mut env, 3);
    let root = env.root();
    let suite_arg = suite.display().to_string();
    let mut child = env
        .command(
            &root,
            &["bench", &suite_arg, "--no-review", "--jobs", "1", "--out", "out"],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = root.join("out");
    // Bounded: the suite's 12 trials take a few seconds; kill it once 3 have finished.
    let mut before = BTreeMap::new();
    for _ in 0..600 {
        before = journal_lines(&out);
        if before.len() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        (3..12).contains(&before.len()),
        "killed after {} trials",
        before.len()
    );

    let again = env.bakeoff_in(&root, &["bench", &suite_arg, "--no-review", "--out", "out"]);
    assert_eq!(
        again.code(),
        2,
        "a used folder needs --resume: {}",
        again.stderr()
    );
    assert!(again.stderr().contains("--resume"), "{}", again.stderr());
    let resumed = env.bakeoff_in(
        &root,
        &["bench", &suite_arg, "--no-review", "--out", "out", "--resume"],
    );
    assert_eq!(resumed.code(), 0, "{}", resumed.stderr());
    assert!(
        resumed
            .stderr()
            .contains(&format!("{} finished before", before.len())),
        "{}",
        resumed.stderr()
    );
    let after = journal_lines(&out);
    assert_eq!(after.len(), 12);
    for (trial, n) in &after {
        assert_eq!(*n, 1, "trial {trial} was journaled {n} times");
    }
    let report = report(&out);
    assert_eq!(agent(&report, "fast")["stats"]["resolved_rate"], 1.0);
    assert_eq!(agent(&report, "idle")["stats"]["resolved_rate"], 0.0);
    // No more races than trials plus the one the kill cut off.
    let races = std::fs::read_dir(out.join("repos"))
        .unwrap()
        .map(|clone| {
            std::fs::read_dir(clone.unwrap().path().join(".git/bakeoff/races"))
                .map(|d| d.count())
                .unwrap_or(0)
        })
        .sum::<usize>();
    assert!((12..=13).contains(&races), "{races} races for 12 trials");
}

#[test]
fn export_writes_a_job_and_a_workflow_that_run_the_suite_s_shards() {
    let mut env = TestEnv::new();
    let suite = quick_suite(&mut env, 1);
    let root = env.root();
    let s = suite.display().to_string();
    let job = env.bakeoff_in(
        &root,
        &[
            "bench",
            "export",
            &s,
            "--kubernetes",
            "--shards",
            "3",
            "--secret",
            "ANTHROPIC_API_KEY",
        ],
    );
    assert_eq!(job.code(), 0, "{}", job.stderr());
    let text = job.stdout();
    for want in [
        "completionMode: Indexed",
        "completions: 3",
        "\"--shards\"",
        "ANTHROPIC_API_KEY",
    ] {
        assert!(text.contains(want), "no {want:?} in\n{text}");
    }
    let flow = env.bakeoff_in(
        &root,
        &[
            "bench",
            "export",
            &s,
            "--github-actions",
            "--shards",
            "2",
            "-o",
            "bench.yml",
            "--",
            "--repeats",
            "3",
        ],
    );
    assert_eq!(flow.code(), 0, "{}", flow.stderr());
    let text = std::fs::read_to_string(root.join("bench.yml")).unwrap();
    assert!(text.contains("bakeoff bench merge"), "{text}");
    assert!(text.contains("--repeats"), "{text}");
    let docker = env.bakeoff_in(&root, &["bench", "export", "--dockerfile"]);
    assert!(
        docker.stdout().contains("install-agent-clis.sh"),
        "{}",
        docker.stdout()
    );
    let bad = env.bakeoff_in(
        &root,
        &[
            "bench",
            "export",
            &s,
            "--kubernetes",
            "--name",
            "Not_A_Label",
            "--secret",
            "X",
        ],
    );
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
}

#[test]
fn bad_bench_input_names_what_is_wrong_and_runs_nothing() {
    let mut env = TestEnv::new();
    let suite = quick_suite(&mut env, 1);
    let root = env.root();
    let s = suite.display().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["bench", "nowhere.toml"], "cannot read the suite"),
        (&["bench", &s, "--shard", "3/3"], "is not a shard"),
        (&["bench", &s, "--shards", "3"], "JOB_COMPLETION_INDEX"),
        (
            &["bench", &s, "-a", "no-such-agent", "--no-review"],
            "no-such-agent",
        ),
        (&["bench", &s, "--repeats", "0"], "at least 1"),
        (&["bench", &s, "--jobs", "0"], "--jobs must be at least 1"),
        (&["bench", "merge", "nothing-here"], "has no bench.json"),
    ];
    for (args, want) in cases {
        let run = env.bakeoff_in(&root, args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert!(run.stderr().contains(want), "{args:?}: {}", run.stderr());
    }
    assert!(!root.join("bench-results/quick/trials.jsonl").exists());
}

#[test]
fn the_bench_demo_runs_offline_and_reports_what_its_models_were_scripted_to_do() {
    let env = TestEnv::new();
    let run = env.bakeoff_in(&env.root(), &["bench", "--demo"]);
    assert_eq!(
        run.code(),
        0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout(),
        run.stderr()
    );
    let out = run.stdout();
    for want in [
        "| tidy | 100.0% (6/6) |",
        "| quick | 50.0% (3/6) |",
        "| sneaky | 0.0% (0/6) |",
        "| lowercase | ✅ 2/2 | ✅ 2/2 | ❌ 0/2 |",
        "| trailing-dash | ✅ 2/2 | ❌ 0/2 | ❌ 0/2 |",
        "| double-dash | ✅ 2/2 | 1/2 | ❌ 0/2 |",
        "report.html",
    ] {
        assert!(out.contains(want), "no {want:?} in\n{out}");
    }
    // Every trial was reviewed by another lab: the review column has scores.
    let tidy = out.lines().find(|l| l.starts_with("| tidy |")).unwrap();
    assert!(tidy.trim_end().ends_with("| 86 |"), "{tidy}");
}
