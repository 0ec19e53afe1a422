//! Fix rounds (`--fix-rounds N`) through the real executable against the fake provider:
//! a reviewer of another lab requests changes, the lane's agent gets the findings — the
//! real Claude Code by resuming its own session, the built-in agent in a fresh run with
//! the spec and the findings — and the fixed lane is checked, reviewed again and wins.

use std::path::PathBuf;

use bakeoff_testkit::fake_provider::{FakeProvider, RecordedRequest, Script, ScriptBuilder};
use serde_json::{json, Value};

use crate::support::TestEnv;

const SPEC: &str = "Write hello.txt saying hello world.";
const FINDING_TITLE: &str = "greeting is misspelt";

fn request_changes() -> Value {
    json!({
        "verdict": "request_changes",
        "score": 30,
        "summary": "the greeting has a typo",
        "findings": [{
            "severity": "major",
            "file": "hello.txt",
            "line": 1,
            "title": FINDING_TITLE,
            "body": "It says wrold.",
            "suggestion": "write hello world"
        }]
    })
}

fn approve() -> Value {
    json!({"verdict": "approve", "score": 90, "summary": "fixed", "findings": []})
}

/// The reviewer's two answers: changes requested in round 1, approval in round 2.
fn reviewer(script: ScriptBuilder) -> ScriptBuilder {
    script.model("gpt-5.4").json(request_changes()).json(approve())
}

/// The race's providers all point at `server`; `openai/gpt-5.4` reviews.
fn env_for(server: &FakeProvider) -> TestEnv {
    let url = server.base_url();
    let mut env = TestEnv::new();
    env.reviews = true;
    env.set_env("ANTHROPIC_API_KEY", "fake-anthropic-key");
    env.set_env("ANTHROPIC_BASE_URL", &url);
    env.set_env("OPENAI_API_KEY", "fake-openai-key");
    env.set_env("OPENAI_BASE_URL", &format!("{url}/v1"));
    env.config("[review]\nreviewers = [\"openai/gpt-5.4\"]\n");
    env
}

fn turns_of(server: &FakeProvider, model: &str) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.is_turn() && r.model.as_deref() == Some(model))
        .collect()
}

/// The lane's last capture holds the fix; the lane won in round 2 and says so.
fn assert_fixed_and_won(env: &TestEnv, lane: &str, run_stderr: &str) {
    let captured = env.lane_events(lane, "captured");
    assert_eq!(captured.len(), 2, "{run_stderr}");
    let file_at = |i: usize| {
        let commit = captured[i]["capture"]["commit"].as_str().unwrap();
        env.git(&["show", &format!("{commit}:hello.txt")])
    };
    assert_eq!(file_at(0), "hello wrold\n");
    assert_eq!(file_at(1), "hello world\n");
    // base..commit is still the lane's whole change: one file, one line.
    assert_eq!(captured[1]["capture"]["files_changed"], 1);
    assert_eq!(captured[1]["capture"]["insertions"], 1);

    let reviews = env.lane_events(lane, "review-finished");
    let verdicts: Vec<&Value> = reviews
        .iter()
        .map(|r| &r["review"]["output"]["verdict"])
        .collect();
    assert_eq!(verdicts, [&json!("request_changes"), &json!("approve")]);
    assert_eq!(
        env.lane_events(lane, "check-finished").len(),
        2,
        "checks ran again"
    );

    let ranked = env.events().into_iter().find(|e| e["type"] == "ranked").unwrap();
    let board = &ranked["leaderboard"];
    assert_eq!(board["winner"], lane);
    let reason = board["rows"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("round 2: "), "{reason}");
    assert_eq!(board["rows"][0]["fix_rounds"], 1);

    let race = env.last_race_dir();
    let race_id = race.file_name().unwrap().to_str().unwrap().to_string();
    let show = env.bakeoff(&["show", &race_id]);
    show.expect(0);
    assert!(show.stdout().contains("round 1: "), "{}", show.stdout());
    assert!(show.stdout().contains("round 2 (last):"), "{}", show.stdout());
    assert!(show.stdout().contains("round 2: "), "{}", show.stdout());
    let lane_dir = race.join("lanes").join(lane);
    assert!(lane_dir.join("round-2/agent.stdout.log").exists());
    assert!(lane_dir.join("round-2/reviews").is_dir());
}

/// The folder the install script puts the CLIs in (see real_clis.rs).
fn claude_bin() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".agent-clis/node_modules/.bin/claude");
    assert!(
        bin.exists(),
        "the real Claude Code is not installed ({} is missing): run scripts/install-agent-clis.sh",
        bin.display()
    );
    bin
}

#[test]
fn claude_code_resumes_its_session_to_fix_what_the_reviewer_found() {
    let claude = claude_bin();
    let script = Script::builder()
        .model("claude-sonnet-4-6")
        .tool_call(
            "Write",
            json!({"file_path": "hello.txt", "content": "hello wrold\n"}),
        )
        .text("Wrote hello.txt.")
        .tool_call(
            "Bash",
            json!({"command": "printf 'hello world\\n' > hello.txt", "description": "fix the typo"}),
        )
        .expect(FINDING_TITLE)
        .text("Fixed the greeting.");
    let server = FakeProvider::start_on_thread(reviewer(script).build()).unwrap();
    let url = server.base_url();
    let mut env = env_for(&server);
    std::os::unix::fs::symlink(&claude, env.bin.join("claude")).unwrap();
    env.config(&format!(
        "[agents.claude]\nadapter = \"claude\"\nmodel = \"claude-sonnet-4-6\"\nbase-url = \"{url}\"\nargs = [\"--max-turns\", \"4\"]\n"
    ));
    let run = env.bakeoff(&[
        "race",
        SPEC,
        "-a",
        "claude",
        "--fix-rounds",
        "2",
        "--check",
        "grep -q hello hello.txt",
        "--timeout",
        "3m",
    ]);
    run.expect(0);
    assert_fixed_and_won(&env, "claude", &run.stderr());

    // Round 2 continued round 1's session: same id, announced on the fix round, and the
    // request that carried the findings carried round 1's conversation too.
    let finished = env.lane_events("claude", "agent-finished");
    assert_eq!(finished.len(), 2);
    let session = finished[0]["outcome"]["session_id"].as_str().unwrap();
    assert_eq!(finished[1]["outcome"]["session_id"], session);
    let rounds = env.lane_events("claude", "fix-round");
    assert_eq!(rounds.len(), 1, "approved in round 2: no third round");
    assert_eq!(rounds[0]["round"], 2);
    assert_eq!(rounds[0]["findings_sent"], 1);
    assert_eq!(rounds[0]["resumed_session"], session);
    let turns = turns_of(&server, "claude-sonnet-4-6");
    let fixing = turns
        .iter()
        .find(|r| r.body_text().contains(FINDING_TITLE))
        .expect("a request carried the findings");
    let body = fixing.body_text();
    assert!(
        body.contains("hello wrold") && body.contains(SPEC),
        "history of round 1 resumed"
    );
    assert!(body.contains("hello.txt:1") && body.contains("write hello world"));
    assert!(server.mismatches().is_empty(), "{:?}", server.mismatches());

    // Claude Code's cost after a resume covers the whole session: counted once.
    let cost = |i: usize| finished[i]["outcome"]["usage"]["cost_usd"].as_f64().unwrap();
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(env.last_race_dir().join("results.json")).unwrap())
            .unwrap();
    let lane_cost = results[0]["cost_usd"].as_f64().unwrap();
    assert!(cost(1) > cost(0), "cumulative: {} then {}", cost(0), cost(1));
    assert!((lane_cost - cost(1)).abs() < 1e-9, "{lane_cost} vs {}", cost(1));
}

fn builtin_session() -> ScriptBuilder {
    Script::builder()
        .model("claude-sonnet-4-6")
        .tool_call("bash", json!({"command": "printf 'hello wrold\\n' > hello.txt"}))
        .tool_call("submit", json!({}))
        .tool_call("bash", json!({"command": "printf 'hello world\\n' > hello.txt"}))
        .expect(FINDING_TITLE)
        .tool_call("submit", json!({}))
}

const BUILTIN: &str = "builtin:anthropic/claude-sonnet-4-6";
const BUILTIN_LANE: &str = "builtin-anthropic-claude-sonnet-4-6";

#[test]
fn a_builtin_lane_gets_the_spec_and_the_findings_in_a_fresh_run() {
    let server = FakeProvider::start_on_thread(reviewer(builtin_session()).build()).unwrap();
    let env = env_for(&server);
    let run = env.bakeoff(&[
        "race",
        SPEC,
        "-a",
        BUILTIN,
        "--fix-rounds",
        "1",
        "--check",
        "grep -q hello hello.txt",
    ]);
    run.expect(0);
    assert_fixed_and_won(&env, BUILTIN_LANE, &run.stderr());

    let rounds = env.lane_events(BUILTIN_LANE, "fix-round");
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0]["resumed_session"], Value::Null, "a fresh run");
    // The fresh run's first request holds the spec and the distilled finding, and none
    // of round 1's conversation.
    let turns = turns_of(&server, "claude-sonnet-4-6");
    assert_eq!(turns.len(), 4);
    let body = turns[2].body_text();
    assert!(body.contains(SPEC), "{body}");
    for part in [
        "[major] hello.txt:1",
        FINDING_TITLE,
        "It says wrold.",
        "write hello world",
    ] {
        assert!(body.contains(part), "{part} not in {body}");
    }
    assert!(
        !body.contains("the greeting has a typo"),
        "the reviewer's summary is not sent"
    );
    assert!(
        !body.contains("printf 'hello wrold"),
        "round 1's commands are not in a fresh run"
    );
    assert!(server.mismatches().is_empty(), "{:?}", server.mismatches());
}

#[test]
fn without_fix_rounds_a_lane_gets_no_second_round() {
    let server = FakeProvider::start_on_thread(reviewer(builtin_session()).build()).unwrap();
    let env = env_for(&server);
    env.bakeoff(&["race", SPEC, "-a", BUILTIN]);

    assert_eq!(env.lane_events(BUILTIN_LANE, "agent-finished").len(), 1);
    assert!(env.lane_events(BUILTIN_LANE, "fix-round").is_empty());
    assert_eq!(env.lane_events(BUILTIN_LANE, "review-finished").len(), 1);
    assert_eq!(turns_of(&server, "claude-sonnet-4-6").len(), 2);
    // The agent's two fixing turns and the reviewer's approval are never asked for.
    assert_eq!(server.turns_left(), 3);
    let ranked = env.events().into_iter().find(|e| e["type"] == "ranked").unwrap();
    let reason = ranked["leaderboard"]["rows"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!reason.starts_with("round"), "{reason}");
}
