//! `bakeoff plan` and `race --plan-with` through the real executable, the planner
//! scripted on the fake provider: the brief's sections, the checks run on the base, the
//! refusals, what the planner is shown (and never shown), and the race on the brief.

use bakeoff_testkit::fake_provider::{FakeProvider, Script};
use serde_json::json;

use crate::support::TestEnv;

const KEY: &str = "canary-openai-plan-2291";

/// A brief whose acceptance checks are `checks` (text, command).
fn brief(checks: &[(&str, Option<&str>)]) -> serde_json::Value {
    let acceptance: Vec<_> = checks
        .iter()
        .map(|(text, command)| json!({"text": text, "command": command}))
        .collect();
    json!({
        "goal": "Give src/lib.txt a fourth line, four.",
        "inputs": ["src/lib.txt"],
        "output": "src/lib.txt with four lines",
        "constraints": ["keep the first three lines"],
        "acceptance": acceptance,
    })
}

fn planner(answer: serde_json::Value) -> FakeProvider {
    let script = Script::builder().model("gpt-5").json(answer).build();
    FakeProvider::start_on_thread(script).unwrap()
}

fn env_with(server: &FakeProvider) -> TestEnv {
    let mut env = TestEnv::new();
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", KEY);
    env
}

/// The bodies of the requests the planner received.
fn bodies(server: &FakeProvider) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.is_turn())
        .map(|r| r.body_text())
        .collect()
}

const FOUR_LINES: &str = "test $(wc -l < src/lib.txt) -eq 4";

#[test]
fn a_plan_whose_check_fails_on_base_is_accepted() {
    let server = planner(brief(&[
        ("src/lib.txt has four lines", Some(FOUR_LINES)),
        ("it reads well", None),
    ]));
    let env = env_with(&server);
    let before = env.snapshot();
    let run = env.bakeoff(&[
        "plan",
        "add a fourth line to src/lib.txt",
        "--with",
        "openai/gpt-5",
        "-o",
        "spec.md",
    ]);
    run.expect(0);
    let spec = std::fs::read_to_string(env.repo.join("spec.md")).unwrap();
    for section in [
        "## Goal",
        "## Inputs",
        "## Output",
        "## Constraints",
        "## Acceptance checks",
    ] {
        assert!(spec.contains(section), "{section} missing:\n{spec}");
    }
    assert!(
        spec.contains(FOUR_LINES) && spec.contains("fails on base (exit 1): accepted"),
        "{spec}"
    );
    let err = run.stderr();
    assert!(err.contains("planned by openai/gpt-5"), "{err}");
    assert!(
        err.contains(&format!("--check '{FOUR_LINES}'")) && err.contains("accepted"),
        "{err}"
    );
    assert!(
        err.contains("--accept-checks"),
        "the candidates say how to take them: {err}"
    );
    // The base's worktree and its branch are gone; the checkout is as it was.
    assert_eq!(env.git(&["worktree", "list"]).lines().count(), 1);
    assert!(!env.git(&["branch", "-a"]).contains("bakeoff/plan"));
    std::fs::remove_file(env.repo.join("spec.md")).unwrap();
    assert_eq!(env.snapshot(), before);
    assert!(!run.stdout().contains(KEY) && !err.contains(KEY));

    // --accept-checks: the brief says so and the exact race command is printed.
    server.push_turn(
        Some("gpt-5"),
        bakeoff_testkit::fake_provider::Turn::json(brief(&[("four lines", Some(FOUR_LINES))])),
    );
    let run = env.bakeoff(&[
        "plan",
        "add a fourth line",
        "--with",
        "openai/gpt-5",
        "--accept-checks",
        "-o",
        "spec.md",
    ]);
    run.expect(0);
    assert!(
        run.stdout().contains(&format!(
            "bakeoff race --spec-file spec.md --check '{FOUR_LINES}' -a AGENT"
        )),
        "{}",
        run.stdout()
    );
    let spec = std::fs::read_to_string(env.repo.join("spec.md")).unwrap();
    assert!(spec.contains("a check of the race"), "{spec}");
}

#[test]
fn a_plan_whose_check_passes_on_base_is_flagged() {
    let server = planner(brief(&[
        ("the old tests pass", Some("sh tests/test_lib.sh")),
        ("four lines", Some(FOUR_LINES)),
    ]));
    let env = env_with(&server);
    let run = env.bakeoff(&["plan", "add a fourth line", "--with", "openai/gpt-5"]);
    run.expect(0);
    let flag = "passes on base already: proves nothing about the change";
    let (out, err) = (run.stdout(), run.stderr());
    assert!(
        out.contains("## Acceptance checks") && out.contains(flag),
        "{out}"
    );
    assert!(err.contains(flag) && err.contains("FLAGGED"), "{err}");
    assert!(err.contains("fails on base (exit 1): accepted"), "{err}");
}

#[test]
fn a_plan_without_acceptance_checks_is_refused_and_nothing_is_written() {
    let server = planner(brief(&[]));
    let env = env_with(&server);
    let run = env.bakeoff(&[
        "plan",
        "add a fourth line",
        "--with",
        "openai/gpt-5",
        "-o",
        "spec.md",
    ]);
    run.expect(2);
    assert!(
        run.stderr().contains("refused") && run.stderr().contains("no acceptance checks"),
        "{}",
        run.stderr()
    );
    assert!(!env.repo.join("spec.md").exists());

    // An empty goal, and an answer that cannot be read even after the repair request.
    let mut empty = brief(&[("four lines", Some(FOUR_LINES))]);
    empty["goal"] = json!(" ");
    server.push_turn(Some("gpt-5"), bakeoff_testkit::fake_provider::Turn::json(empty));
    let run = env.bakeoff(&[
        "plan",
        "add a fourth line",
        "--with",
        "openai/gpt-5",
        "-o",
        "spec.md",
    ]);
    run.expect(2);
    assert!(run.stderr().contains("goal is empty"), "{}", run.stderr());
    for _ in 0..2 {
        server.push_turn(
            Some("gpt-5"),
            bakeoff_testkit::fake_provider::Turn::text("I would add a line."),
        );
    }
    let run = env.bakeoff(&[
        "plan",
        "add a fourth line",
        "--with",
        "openai/gpt-5",
        "-o",
        "spec.md",
    ]);
    run.expect(2);
    assert!(
        run.stderr().contains("after one repair request"),
        "{}",
        run.stderr()
    );
    assert!(!env.repo.join("spec.md").exists());
    assert_eq!(bodies(&server).len(), 4, "one request each, and one repair");
}

#[test]
fn the_planner_never_sees_a_holdout_file() {
    let server = planner(brief(&[("four lines", Some(FOUR_LINES))]));
    let mut env = env_with(&server);
    env.write("qa/secret_probe.sh", "echo HOLDOUT-CONTENT-7731\n");
    env.write("tests/hidden_gate.sh", "echo HIDDEN-CONFIG-5512\n");
    env.commit("holdouts");
    env.config("[checks]\nhidden = { run = \"sh tests/hidden_gate.sh\", holdout = true }\n");
    let run = env.bakeoff(&[
        "plan",
        "add a fourth line to src/lib.txt, as README.md says",
        "--with",
        "openai/gpt-5",
        "--holdout",
        "qa",
        "--holdout-check",
        "sh qa/secret_probe.sh",
    ]);
    run.expect(0);
    let bodies = bodies(&server);
    assert_eq!(bodies.len(), 1);
    let body = &bodies[0];
    assert!(
        body.contains("tests/test_lib.sh") && body.contains("src/lib.txt"),
        "{body}"
    );
    assert!(body.contains("# sample"), "the README is shown: {body}");
    for secret in [
        "secret_probe",
        "HOLDOUT-CONTENT",
        "hidden_gate",
        "HIDDEN-CONFIG",
        "qa/",
    ] {
        assert!(!body.contains(secret), "the planner saw {secret}: {body}");
    }
}

#[test]
fn a_file_the_task_names_is_shown_capped() {
    let server = planner(brief(&[("four lines", Some(FOUR_LINES))]));
    let env = env_with(&server);
    let big = format!("HEAD-MARK\n{}\nTAIL-MARK\n", "x".repeat(40_000));
    env.write("src/big.txt", &big);
    env.write("src/other.txt", "OTHER-CONTENT\n");
    env.commit("big");
    let run = env.bakeoff(&["plan", "split `src/big.txt` in two", "--with", "openai/gpt-5"]);
    run.expect(0);
    let body = &bodies(&server)[0];
    assert!(
        body.contains("HEAD-MARK") && !body.contains("TAIL-MARK"),
        "capped"
    );
    assert!(body.contains("more bytes left out"), "the cut is said");
    assert!(body.len() < 30_000, "{} bytes", body.len());
    assert!(
        body.contains("src/other.txt") && !body.contains("OTHER-CONTENT"),
        "unnamed files: names only"
    );
}

#[test]
fn race_plan_with_races_on_the_brief_and_records_the_planner() {
    let server = planner(brief(&[("four lines", Some(FOUR_LINES))]));
    let mut env = env_with(&server);
    env.agent("four", "", "write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n");
    let run = env.bakeoff(&[
        "race",
        "add a fourth line to src/lib.txt",
        "--plan-with",
        "openai/gpt-5",
        "-a",
        "four",
    ]);
    run.expect(0);
    assert!(
        run.stderr().contains("planned by openai/gpt-5"),
        "{}",
        run.stderr()
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("race.json")).unwrap())
            .unwrap();
    let spec = record["spec"].as_str().unwrap();
    assert!(
        spec.contains("## Acceptance checks") && spec.contains("Give src/lib.txt a fourth line"),
        "{spec}"
    );
    assert_eq!(record["planned_by"], "openai/gpt-5");
    assert!(record["plan_cost_usd"].is_number(), "{record:#}");
    assert!(
        record["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["run"] == FOUR_LINES),
        "{record:#}"
    );
    let checks = env.lane_events("four", "check-finished");
    assert!(checks.iter().any(|c| c["check"]["passed"] == true), "{checks:?}");
    let show = env.bakeoff(&["show", "last"]);
    show.expect(0);
    assert!(
        show.stdout().contains("planned by openai/gpt-5"),
        "{}",
        show.stdout()
    );
}

#[test]
fn the_demo_plans_offline_then_races_on_the_brief() {
    let env = TestEnv::new();
    let dir = env.root().join("demo");
    let run = env.bakeoff(&["demo", "--plan", "--dir", dir.to_str().unwrap()]);
    run.expect(0);
    let err = run.stderr();
    assert!(err.contains("planned by demo-openai/gpt-5"), "{err}");
    assert!(
        err.contains("passes on base already") && err.contains("fails on base"),
        "{err}"
    );
    let show = env.bakeoff_in(&dir.join("repo"), &["show", "last"]);
    show.expect(0);
    assert!(
        show.stdout().contains("planned by demo-openai/gpt-5 ($"),
        "{}",
        show.stdout()
    );
}

#[test]
fn base_checks_run_sandboxed_where_the_machine_can() {
    let env = TestEnv::new();
    // The model's command reads the user's checkout by its path: hidden in the sandbox.
    let peek = format!("cat {}/src/lib.txt", env.repo.display());
    let server = planner(brief(&[("peek", Some(&peek))]));
    let mut env = env;
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", KEY);
    let run = env.bakeoff(&["plan", "add a line", "--with", "openai/gpt-5", "--sandbox", "on"]);
    if run.code() == 2 && run.stderr().contains("cannot be sandboxed") {
        eprintln!("skipped: no sandbox on this machine");
        return;
    }
    run.expect(0);
    assert!(run.stderr().contains("fails on base"), "{}", run.stderr());
}

#[test]
fn race_plan_with_checks_the_race_before_the_planner_costs_anything() {
    let server = planner(brief(&[("four lines", Some(FOUR_LINES))]));
    let env = env_with(&server);
    let run = env.bakeoff(&[
        "race",
        "add a line",
        "--plan-with",
        "openai/gpt-5",
        "-a",
        "nosuch",
    ]);
    run.expect(2);
    assert!(
        bodies(&server).is_empty(),
        "the planner was asked before preflight"
    );
    assert_eq!(env.races(), 0);
}

#[test]
fn an_answer_repaired_once_is_a_plan() {
    let script = Script::builder()
        .model("gpt-5")
        .text("Sure: add a line, then check it.")
        .json(brief(&[("four lines", Some(FOUR_LINES))]))
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = env_with(&server);
    let run = env.bakeoff(&["plan", "add a fourth line", "--with", "openai/gpt-5"]);
    run.expect(0);
    let bodies = bodies(&server);
    assert_eq!(bodies.len(), 2, "one request and one repair");
    assert!(
        bodies[1].contains("could not be used as a brief"),
        "{}",
        bodies[1]
    );
    assert!(run.stdout().contains("## Goal"), "{}", run.stdout());
}
