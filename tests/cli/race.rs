//! Whole races: lanes in parallel, checks and holdouts, ranking, merging, the journal,
//! --json, the lane environment, and Ctrl-C.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::TestEnv;

/// Three lanes: one correct, one that breaks the tests, one that passes only the
/// regression checks.
fn three_lanes(env: &mut TestEnv) {
    env.agent(
        "good",
        "claude",
        "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\nusage claude 2 1000 200 0.30 s-good\n",
    );
    env.agent(
        "bad",
        "claude",
        "write src/lib.txt broken\\n\nusage claude 1 500 100 0.05 s-bad\n",
    );
    env.agent(
        "cheap",
        "claude",
        "write src/lib.txt one\\ntwo\\nthree\\n4\\n\nusage claude 1 400 80 0.10 s-cheap\n",
    );
}

#[test]
fn a_race_ranks_by_checks_and_merges_the_winner() {
    let mut env = TestEnv::new();
    three_lanes(&mut env);
    let holdout = env.root().join("holdout");
    std::fs::create_dir_all(holdout.join("tests")).unwrap();
    std::fs::write(holdout.join("tests/hidden.sh"), "grep -qx four src/lib.txt\n").unwrap();
    std::fs::write(holdout.join("tests/hidden2.sh"), "grep -qx one src/lib.txt\n").unwrap();
    let run = env.bakeoff(&[
        "race",
        "add a fourth line",
        "-a",
        "good",
        "-a",
        "bad",
        "-a",
        "cheap",
        "--check",
        "grep -q three src/lib.txt",
        "--holdout",
        holdout.to_str().unwrap(),
        "--holdout-check",
        "sh tests/hidden.sh",
        "--holdout-check",
        "sh tests/hidden2.sh",
        "--merge",
    ]);
    run.expect(0);
    let out = run.stdout();
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("good") || l.contains("bad") || l.contains("cheap"))
        .collect();
    let pos = |name: &str| lines.iter().position(|l| l.contains(name)).unwrap();
    assert!(pos("good") < pos("cheap") && pos("cheap") < pos("bad"), "{out}");
    assert!(
        out.contains("winner: good") || out.contains("winner good"),
        "{out}"
    );

    // Squash-merged onto main with provenance, and the user's work tree updated.
    let msg = env.git(&["log", "-1", "--format=%B", "main"]);
    assert!(msg.contains("Bakeoff-Race: "), "{msg}");
    assert!(msg.contains("Bakeoff-Lane: good"), "{msg}");
    assert_eq!(
        std::fs::read_to_string(env.repo.join("src/lib.txt")).unwrap(),
        "one\ntwo\nthree\nfour\n"
    );
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    assert_eq!(env.git(&["rev-list", "--count", "main"]).trim(), "2");
    // Holdout files never reach the lane's commit or the merge.
    assert!(!env.repo.join("tests/hidden.sh").exists());

    let kinds: Vec<String> = env
        .events()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.first().unwrap(), "race-started");
    assert_eq!(kinds.last().unwrap(), "race-finished");
    assert!(kinds.contains(&"ranked".to_string()) && kinds.contains(&"merged".to_string()));
    let race = env.last_race_dir();
    for file in [
        "race.json",
        "leaderboard.json",
        "spec.md",
        "lanes/good/diff.patch",
        "lanes/good/agent.stdout.log",
    ] {
        assert!(race.join(file).is_file(), "{file} missing");
    }
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(race.join("race.json")).unwrap()).unwrap();
    assert_eq!(record["format"], 1);
}

#[test]
fn without_merge_the_users_checkout_is_untouched() {
    let mut env = TestEnv::new();
    three_lanes(&mut env);
    let before = env.snapshot();
    let run = env.bakeoff(&[
        "race",
        "add a line",
        "-a",
        "good",
        "-a",
        "bad",
        "--check",
        "grep -q three src/lib.txt",
    ]);
    run.expect(0);
    let mut after = env.snapshot();
    // Lane branches and worktrees are the only new things; compare the rest.
    assert_ne!(before, after);
    env.bakeoff(&["clean", "last"]).expect(0);
    after = env.snapshot();
    assert_eq!(before, after);
}

#[test]
fn json_prints_versioned_ndjson_events_on_stdout() {
    let mut env = TestEnv::new();
    three_lanes(&mut env);
    let run = env.bakeoff(&["race", "add a line", "-a", "good", "--json"]);
    run.expect(0);
    let lines: Vec<serde_json::Value> = run
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert!(lines.iter().all(|e| e["v"] == 1 && e["at_ms"].is_u64()));
    assert_eq!(lines[0]["type"], "race-started");
    assert_eq!(lines.last().unwrap()["type"], "race-finished");
    // The stream and the journal are the same events.
    assert_eq!(lines, env.events());
}

#[test]
fn each_lane_gets_only_its_own_secrets_and_its_own_port() {
    let mut env = TestEnv::new();
    env.set_env("ANTHROPIC_API_KEY", "canary-anthropic-7731");
    env.set_env("OPENAI_API_KEY", "canary-openai-7732");
    env.set_env("GEMINI_API_KEY", "canary-gemini-7733");
    let dump = |name: &str| {
        format!(
            "[agents.{name}]\nadapter = \"command\"\nmodel = \"m\"\ncommand = [\"sh\", \"-c\", \"env > {}/{name}.env; echo x > x.txt\"]\n",
            env.root().display()
        )
    };
    let (a, b) = (dump("one"), dump("two"));
    env.config(&a);
    env.config(&b);
    env.config("[agents.one.env]\nEXTRA = \"1\"\n[agents.keeper]\nadapter = \"command\"\nmodel = \"m\"\nkeep-env = [\"OPENAI_API_KEY\"]\n");
    env.config(&format!(
        "command = [\"sh\", \"-c\", \"env > {}/keeper.env; echo x > x.txt\"]\n",
        env.root().display()
    ));
    env.bakeoff(&["race", "dump env", "-a", "one", "-a", "two", "-a", "keeper"])
        .expect(0);
    let read = |n: &str| std::fs::read_to_string(env.root().join(format!("{n}.env"))).unwrap();
    let (one, two, keeper) = (read("one"), read("two"), read("keeper"));
    for env_text in [&one, &two] {
        assert!(
            !env_text.contains("canary-"),
            "a command lane saw a provider key:\n{env_text}"
        );
    }
    assert!(keeper.contains("OPENAI_API_KEY=canary-openai-7732"));
    assert!(!keeper.contains("canary-anthropic") && !keeper.contains("canary-gemini"));
    let port = |t: &str| {
        t.lines()
            .find_map(|l| l.strip_prefix("BAKEOFF_PORT="))
            .unwrap()
            .to_string()
    };
    assert_ne!(port(&one), port(&two));
    // Each lane's agent has a temp folder of its own, in its home.
    let tmp = |t: &str| {
        t.lines()
            .find_map(|l| l.strip_prefix("TMPDIR="))
            .map(str::to_string)
    };
    let (tmp_one, tmp_two) = (tmp(&one).unwrap(), tmp(&two).unwrap());
    assert_ne!(tmp_one, tmp_two);
    assert!(tmp_one.ends_with("lanes/one/agent-home/tmp"), "{tmp_one}");
    assert!(Path::new(&tmp_one).is_dir());
    // No record holds a key.
    let race = env.last_race_dir();
    let mut stack = vec![race];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                assert!(!text.contains("canary-"), "{} holds a secret", p.display());
            }
        }
    }
}

#[test]
fn ignored_files_are_copied_and_setup_runs_in_each_lane() {
    let mut env = TestEnv::new();
    env.write(".env", "TOKEN=local\n");
    env.config("[worktree]\ncopy = [\".env\", \"missing-dir\"]\nsetup = \"cp .env setup-ran.log\"\n");
    env.agent("reader", "", "copy-spec spec-copy.txt\n");
    env.bakeoff(&[
        "race",
        "read the env",
        "-a",
        "reader",
        "--check",
        "grep -q TOKEN=local .env",
        "--check",
        "test -f setup-ran.log",
    ])
    .expect(0);
    let commit = env.lane_events("reader", "captured")[0]["capture"]["commit"]
        .as_str()
        .unwrap()
        .to_string();
    let tree = env.git(&["ls-tree", "-r", "--name-only", &commit]);
    assert!(tree.contains("spec-copy.txt"), "the agent got the spec: {tree}");
    assert!(
        !tree.contains(".env") || tree.contains(".gitignore"),
        "ignored .env must not be captured"
    );
    assert!(!tree.lines().any(|l| l == ".env"), "{tree}");
    let spec = env.git(&["show", &format!("{commit}:spec-copy.txt")]);
    assert_eq!(spec, "read the env");
}

#[test]
fn lanes_run_in_parallel() {
    let mut env = TestEnv::new();
    for name in ["p1", "p2", "p3"] {
        env.agent(name, "", &format!("sleep 1500\nwrite {name}.txt x\\n\n"));
    }
    env.bakeoff(&["race", "wait", "-a", "p1", "-a", "p2", "-a", "p3"])
        .expect(0);
    // Every agent was running before any of them finished: the lanes overlapped.
    let events = env.events();
    let position = |pred: &dyn Fn(&serde_json::Value) -> bool| events.iter().position(pred);
    let first_finish = position(&|e| e["type"] == "agent-finished").unwrap();
    let running: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e["type"] == "lane-state" && e["state"] == "running")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(running.len(), 3);
    assert!(
        running.iter().all(|&i| i < first_finish),
        "lanes ran one after another: {events:?}"
    );
}

#[test]
fn ctrl_c_cancels_lanes_and_keeps_their_worktrees() {
    let mut env = TestEnv::new();
    env.agent("sleepy", "", "write started.txt x\\n\nsleep 60000\n");
    env.agent("sleepy2", "", "write started.txt x\\n\nsleep 60000\n");
    let mut child = env
        .command(&env.repo, &["race", "sleep", "-a", "sleepy", "-a", "sleepy2"])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until both lanes run, reading bakeoff's plain progress lines.
    let stderr = child.stderr.take().unwrap();
    let mut running = 0;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.contains("running") {
            running += 1;
        }
        if running == 2 {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(status.code(), Some(130));
    let states: Vec<_> = env
        .events()
        .into_iter()
        .filter(|e| e["type"] == "lane-state" && e["state"] == "cancelled")
        .collect();
    assert_eq!(states.len(), 2, "{states:?}");
    assert!(
        env.worktree_of("sleepy").join("started.txt").exists(),
        "worktree kept for inspection"
    );
}

/// The most checks the journal shows running at once.
fn checks_at_once(env: &TestEnv) -> usize {
    let (mut now, mut most) = (0usize, 0usize);
    for e in env.events() {
        match e["type"].as_str() {
            Some("check-started") => now += 1,
            Some("check-finished") => now -= 1,
            _ => continue,
        }
        most = most.max(now);
    }
    most
}

#[test]
fn checks_that_take_no_core_do_not_queue_for_a_check_slot() {
    let mut env = TestEnv::new();
    env.agent("w", "", "write x.txt x\\n\n");
    let lanes = ["-a", "l1=w", "-a", "l2=w", "-a", "l3=w", "-a", "l4=w"];
    // One slot, and a check that sleeps: after its first run it is known to take no
    // core, and the lanes still waiting run theirs together.
    let mut args = vec!["race", "x", "--check-jobs", "1", "--check", "sleep 1"];
    args.extend(lanes);
    env.bakeoff(&args).expect(0);
    assert!(
        checks_at_once(&env) >= 2,
        "the sleeping check queued for the one slot"
    );

    // Declared light, they all run at once from the start.
    env.config("[checks]\nwait = { run = \"sleep 1\", light = true }\n");
    let mut args = vec!["race", "x", "--check-jobs", "1"];
    args.extend(lanes);
    env.bakeoff(&args).expect(0);
    assert_eq!(checks_at_once(&env), 4);
}
