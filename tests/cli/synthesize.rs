//! `race --synthesize`: two lanes that each pass half of the holdout checks, reviewed by
//! a model of another lab, then a scripted synthesiser (the built-in agent on the fake
//! provider) that combines them into the `synthesis` lane — which wins only when it earns
//! it; the lab rule at preflight; and what the synthesiser was shown.

use bakeoff_testkit::fake_provider::{FakeProvider, Script, ScriptBuilder};
use serde_json::{json, Value};

use crate::support::TestEnv;

/// In every holdout file: no request may ever carry it.
const CANARY: &str = "HOLDOUT-CANARY-7731";
/// The prompt's first words: the synthesiser's requests are the ones that carry them.
const PROMPT_START: &str = "You combine candidate changes into one.";

fn review(verdict: &str, score: u8, findings: Value) -> Value {
    json!({"verdict": verdict, "score": score, "summary": format!("{verdict} at {score}"), "findings": findings})
}

fn finding(file: &str, title: &str) -> Value {
    json!([{"severity": "major", "file": file, "line": 1, "title": title, "body": "a reviewer's long reasoning", "suggestion": null}])
}

/// The reviewer's answers: each finalist's review is told apart by its diff, and the
/// synthesis lane's by carrying both (it is first, so the finalists' reviews never take it).
fn reviews(builder: ScriptBuilder) -> ScriptBuilder {
    builder
        .model("gpt-5.5")
        .json(review("approve", 90, json!([])))
        .when("+x: done")
        .when("+y: done")
        .json(review(
            "request_changes",
            60,
            finding("x.txt", "FINDING-X y is still todo"),
        ))
        .when("+x: done")
        .json(review(
            "request_changes",
            60,
            finding("y.txt", "FINDING-Y x is still todo"),
        ))
        .when("+y: done")
}

/// A synthesiser on Gemini that runs `command`, then submits.
fn synthesiser(builder: ScriptBuilder, model: &str, command: &str) -> ScriptBuilder {
    builder
        .model(model)
        .tool_call("bash", json!({ "command": command }))
        .expect(PROMPT_START)
        .tool_call("submit", json!({}))
}

const BOTH_FIXES: &str = "printf 'x: done\\n' > x.txt && printf 'y: done\\n' > y.txt";

/// A lane written by an Anthropic model (a scripted agent under that model's name).
fn claude_lane(env: &mut TestEnv, name: &str, script: &str) {
    env.agent_as(name, "claude-sonnet-4-6", "", script);
}

/// A repository with two half-done files, holdout checks for each, and two lanes that
/// each finish one of them.
fn env_with(server: &FakeProvider) -> TestEnv {
    let base = server.base_url();
    let mut env = TestEnv::new();
    env.reviews = true;
    env.set_env("OPENAI_BASE_URL", &format!("{base}/v1"));
    env.set_env("OPENAI_API_KEY", "fake-openai-key");
    env.set_env("GOOGLE_GEMINI_BASE_URL", &base);
    env.set_env("GEMINI_API_KEY", "fake-gemini-key");
    env.set_env("ANTHROPIC_BASE_URL", &base);
    env.set_env("ANTHROPIC_API_KEY", "fake-anthropic-key");
    env.write("x.txt", "x: todo\n");
    env.write("y.txt", "y: todo\n");
    env.commit("two halves");
    let holdout = env.root().join("holdout");
    std::fs::create_dir_all(holdout.join("qa")).unwrap();
    for half in ["x", "y"] {
        std::fs::write(
            holdout.join(format!("qa/h{half}.sh")),
            format!("# {CANARY}\ngrep -qx '{half}: done' {half}.txt\n"),
        )
        .unwrap();
    }
    claude_lane(&mut env, "fixx", "write x.txt x: done\\n\n");
    claude_lane(&mut env, "fixy", "write y.txt y: done\\n\n");
    env
}

fn race_args<'a>(env: &'a TestEnv, holdout: &'a str, synthesiser: &'a str) -> Vec<&'a str> {
    let _ = env;
    vec![
        "race",
        "finish x.txt and y.txt",
        "-a",
        "fixx",
        "-a",
        "fixy",
        "--check",
        "grep -q three src/lib.txt",
        "--holdout",
        holdout,
        "--holdout-check",
        "sh qa/hx.sh",
        "--holdout-check",
        "sh qa/hy.sh",
        "--reviewer",
        "openai/gpt-5.5",
        "--synthesize",
        synthesiser,
    ]
}

fn leaderboard(env: &TestEnv) -> Value {
    serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("leaderboard.json")).unwrap())
        .unwrap()
}

fn row<'a>(board: &'a Value, lane: &str) -> &'a Value {
    board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lane"] == lane)
        .unwrap_or_else(|| panic!("no row {lane}: {board:#}"))
}

#[test]
fn a_synthesis_of_two_partial_lanes_passes_every_holdout_and_wins() {
    let script = synthesiser(reviews(Script::builder()), "gemini-3-pro", BOTH_FIXES).build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = env_with(&server);
    let holdout = env.root().join("holdout").display().to_string();
    let run = env.bakeoff(&race_args(&env, &holdout, "google/gemini-3-pro"));
    run.expect(0);

    let board = leaderboard(&env);
    assert_eq!(board["winner"], "synthesis", "{board:#}");
    let synthesis = row(&board, "synthesis");
    assert_eq!(synthesis["tier"], "FULL", "{board:#}");
    assert!(
        synthesis["reason"]
            .as_str()
            .unwrap()
            .ends_with("(synthesis of fixx + fixy by google/gemini-3-pro)")
            || synthesis["reason"]
                .as_str()
                .unwrap()
                .ends_with("(synthesis of fixy + fixx by google/gemini-3-pro)"),
        "{board:#}"
    );
    for lane in ["fixx", "fixy"] {
        assert_eq!(row(&board, lane)["tier"], "PARTIAL", "{board:#}");
    }

    // Recorded as a lane of the race, with what it combined; reviewed by another lab.
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("race.json")).unwrap())
            .unwrap();
    let lane = record["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "synthesis")
        .unwrap_or_else(|| panic!("{record:#}"));
    assert_eq!(lane["agent"], "builtin:google/gemini-3-pro");
    assert_eq!(lane["synthesis"]["model"], "google/gemini-3-pro");
    assert_eq!(lane["reviewers"], json!(["openai/gpt-5.5"]), "{lane:#}");
    assert!(record["lanes"][0].get("synthesis").is_none(), "{record:#}");
    let started = env.lane_events("synthesis", "synthesis-started");
    assert_eq!(started.len(), 1, "{:#?}", env.events());
    let mut from: Vec<&str> = started[0]["from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    from.sort();
    assert_eq!(from, ["fixx", "fixy"]);
    let reviewed = env.lane_events("synthesis", "review-finished");
    assert_eq!(reviewed.len(), 1, "{:#?}", env.events());

    // What the synthesiser was sent: both diffs and both reviews' findings, distilled,
    // and never a holdout file.
    let bodies: Vec<String> = server.requests().iter().map(|r| r.body_text()).collect();
    let asked: Vec<&String> = bodies.iter().filter(|b| b.contains(PROMPT_START)).collect();
    assert!(!asked.is_empty(), "the synthesiser was never asked: {bodies:#?}");
    let first = asked[0];
    for wanted in [
        "+x: done",
        "+y: done",
        "-x: todo",
        "FINDING-X y is still todo",
        "FINDING-Y x is still todo",
    ] {
        assert!(first.contains(wanted), "{wanted} missing from {first}");
    }
    assert!(!first.contains("a reviewer's long reasoning"), "{first}");
    assert!(!first.contains("qa/hx.sh"), "{first}");
    for body in &bodies {
        assert!(!body.contains(CANARY), "a holdout file reached a model: {body}");
    }

    let show = env.bakeoff(&["show", "last"]);
    show.expect(0);
    assert!(
        show.stdout().contains("synthesis by google/gemini-3-pro of fix"),
        "{}",
        show.stdout()
    );
}

#[test]
fn a_synthesis_that_breaks_a_regression_check_loses_to_the_best_finalist() {
    let breaks = format!("{BOTH_FIXES} && printf 'one\\n' > src/lib.txt");
    let script = synthesiser(reviews(Script::builder()), "gemini-3-pro", &breaks).build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = env_with(&server);
    let holdout = env.root().join("holdout").display().to_string();
    // No lane passes every holdout, so none wins: exit 1.
    env.bakeoff(&race_args(&env, &holdout, "google/gemini-3-pro"))
        .expect(1);

    let board = leaderboard(&env);
    let rows = board["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{board:#}");
    assert!(
        ["fixx", "fixy"].contains(&rows[0]["lane"].as_str().unwrap()),
        "{board:#}"
    );
    assert_eq!(rows[2]["lane"], "synthesis", "{board:#}");
    assert_eq!(rows[2]["tier"], "NONE", "{board:#}");
    assert_eq!(board["winner"], Value::Null);
}

#[test]
fn a_synthesiser_of_an_authors_lab_is_refused_unless_same_lab_is_allowed() {
    let script = synthesiser(reviews(Script::builder()), "claude-opus-4-6", BOTH_FIXES).build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = env_with(&server);
    let holdout = env.root().join("holdout").display().to_string();
    let before = env.snapshot();
    let run = env.bakeoff(&race_args(&env, &holdout, "anthropic/claude-opus-4-6"));
    run.expect(2);
    assert!(
        run.stderr().contains("anthropic") && run.stderr().contains("--allow-same-lab"),
        "{}",
        run.stderr()
    );
    assert_eq!(env.races(), 0, "nothing is created");
    assert_eq!(env.snapshot(), before);
    assert!(server.requests().is_empty(), "nothing was sent");

    let mut args = race_args(&env, &holdout, "anthropic/claude-opus-4-6");
    args.push("--allow-same-lab");
    env.bakeoff(&args).expect(0);
    assert_eq!(leaderboard(&env)["winner"], "synthesis");
}

#[test]
fn the_demo_synthesises_offline() {
    let env = TestEnv::new();
    let dir = env.root().join("demo");
    let run = env.bakeoff(&["demo", "--synthesize", "--dir", dir.to_str().unwrap()]);
    run.expect(0);
    let show = env.bakeoff_in(&dir.join("repo"), &["show", "last"]);
    show.expect(0);
    let out = show.stdout();
    assert!(
        out.contains("synthesis by demo-google/gemini-2.5-pro of tidy + quick"),
        "{out}"
    );
    // Reviewed, like every lane, by a model of a lab other than the synthesiser's.
    let synthesis = out
        .split("lane synthesis")
        .nth(1)
        .unwrap_or_else(|| panic!("{out}"));
    let review = synthesis
        .lines()
        .find(|l| l.contains("review by"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(!review.contains("demo-google"), "{review}");
    assert!(synthesis.contains("passed"), "{out}");
}

#[test]
fn synthesize_adds_the_lane_to_a_finished_race_and_ranks_it_again() {
    let script = synthesiser(reviews(Script::builder()), "gemini-3-pro", BOTH_FIXES).build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = env_with(&server);
    let holdout = env.root().join("holdout").display().to_string();
    let mut args = race_args(&env, &holdout, "unused");
    args.truncate(args.len() - 2);
    // Neither half-done lane passes every holdout: no winner.
    env.bakeoff(&args).expect(1);
    let record = env.last_race_dir().join("race.json");
    let before = std::fs::read_to_string(&record).unwrap();

    // Refused for a synthesiser of the authors' lab, the record untouched.
    let run = env.bakeoff(&["synthesize", "last", "--with", "anthropic/claude-opus-4-6"]);
    run.expect(2);
    assert!(run.stderr().contains("--allow-same-lab"), "{}", run.stderr());
    assert_eq!(std::fs::read_to_string(&record).unwrap(), before);

    env.bakeoff(&["synthesize", "last", "--with", "google/gemini-3-pro"])
        .expect(0);
    let board = leaderboard(&env);
    assert_eq!(board["winner"], "synthesis", "{board:#}");
    assert_eq!(board["rows"].as_array().unwrap().len(), 3, "{board:#}");
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    assert_eq!(
        after["lanes"][2]["synthesis"]["model"], "google/gemini-3-pro",
        "{after:#}"
    );
    let show = env.bakeoff(&["show", "last"]);
    show.expect(0);
    assert!(
        show.stdout().contains("synthesis by google/gemini-3-pro of fix"),
        "{}",
        show.stdout()
    );
    // Run again, it is refused: the race has its synthesis.
    env.bakeoff(&["synthesize", "last", "--with", "google/gemini-3-pro"])
        .expect(2);
}

#[test]
fn a_synthesis_with_one_change_to_combine_is_cancelled_and_says_why() {
    let script = reviews(Script::builder()).build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let mut env = env_with(&server);
    claude_lane(&mut env, "idle", "sleep 0\n");
    let holdout = env.root().join("holdout").display().to_string();
    let args: Vec<&str> = race_args(&env, &holdout, "google/gemini-3-pro")
        .into_iter()
        .map(|a| if a == "fixy" { "idle" } else { a })
        .collect();
    env.bakeoff(&args).expect(1);
    let stopped: Vec<Value> = env
        .events()
        .into_iter()
        .filter(|e| e["type"] == "lanes-stopped")
        .collect();
    assert_eq!(stopped.len(), 1, "{:#?}", env.events());
    assert_eq!(stopped[0]["lanes"], json!(["synthesis"]));
    assert!(
        stopped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("only fixx has a change"),
        "{stopped:?}"
    );
    assert_eq!(env.lane_events("synthesis", "synthesis-started").len(), 0);
    let show = env.bakeoff(&["show", "last"]);
    assert!(show.stdout().contains("did not start"), "{}", show.stdout());
}
