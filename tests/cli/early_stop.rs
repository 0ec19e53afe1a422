//! Spending caps and early stops: `--max-cost` per lane, `--race-max-cost`, `--until
//! first-approved` and `--cascade`, with lanes of known scripted costs; the journal says
//! which lanes were stopped and why.

use std::time::{Duration, Instant};

use bakeoff_testkit::fake_provider::{FakeProvider, Script};
use serde_json::json;

use crate::support::TestEnv;

/// A lane that spends `step` dollars every 300 ms for `steps` steps (reported live, in
/// OpenCode's format, which carries cost), then writes a correct file (`four`) or a
/// wrong one.
fn spender(env: &mut TestEnv, name: &str, model: &str, step: f64, steps: usize, correct: bool) {
    let mut script = String::new();
    for i in 1..=steps {
        script.push_str(&format!(
            "progress opencode {i} 100 10 {step:.2} thinking\nsleep 300\n"
        ));
    }
    let line = if correct { "four" } else { "4" };
    script.push_str(&format!(
        "write src/lib.txt one\\ntwo\\nthree\\n{line}\\n\nusage opencode {steps} 100 10 {:.2} s\n",
        step * steps as f64
    ));
    let path = env.script(name, &script);
    env.config(&format!(
        "[agents.{name}]\nadapter = \"command\"\nmodel = \"{model}\"\nparser = \"opencode\"\ncommand = [\"{}\", \"--script\", \"{}\"]\n",
        crate::support::scripted_agent().display(),
        path.display()
    ));
}

fn stopped(env: &TestEnv) -> Vec<(Vec<String>, String)> {
    env.events()
        .into_iter()
        .filter(|e| e["type"] == "lanes-stopped")
        .map(|e| {
            let lanes = e["lanes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap().to_string())
                .collect();
            (lanes, e["reason"].as_str().unwrap().to_string())
        })
        .collect()
}

fn state_of(env: &TestEnv, lane: &str) -> String {
    env.lane_events(lane, "lane-state").last().unwrap()["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn until_first_approved_cancels_the_others_once_a_lane_passes_and_is_approved() {
    let approve = json!({"verdict": "approve", "score": 90, "summary": "good", "findings": []});
    let server =
        FakeProvider::start_on_thread(Script::builder().model("gpt-5.5").json(approve).build()).unwrap();
    let mut env = TestEnv::new();
    env.reviews = true;
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", "canary-o-9");
    spender(&mut env, "quick", "claude-sonnet-4-6", 0.01, 1, true);
    spender(&mut env, "slow", "claude-opus-4-6", 0.05, 60, true);
    spender(&mut env, "slower", "claude-opus-4-6", 0.08, 80, true);
    let started = Instant::now();
    let run = env.bakeoff(&[
        "race",
        "add four",
        "-a",
        "quick",
        "-a",
        "slow",
        "-a",
        "slower",
        "--check",
        "grep -qx four src/lib.txt",
        "--reviewer",
        "openai/gpt-5.5",
        "--until",
        "first-approved",
    ]);
    run.expect(0);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the slow lanes were not stopped"
    );
    let stops = stopped(&env);
    assert_eq!(stops.len(), 1, "{stops:?}");
    let (mut lanes, reason) = stops[0].clone();
    lanes.sort();
    assert_eq!(lanes, ["slow", "slower"]);
    assert!(
        reason.contains("quick") && reason.contains("first-approved"),
        "{reason}"
    );
    assert_eq!(state_of(&env, "slow"), "cancelled");
    assert_eq!(state_of(&env, "quick"), "done");
    assert!(run.stdout().contains("winner: quick"), "{}", run.stdout());
}

#[test]
fn a_cascade_runs_the_next_tier_only_when_no_lane_of_the_last_was_approved() {
    let mut env = TestEnv::new();
    spender(&mut env, "cheap", "claude-haiku-4-5", 0.01, 1, false);
    spender(&mut env, "mid", "claude-sonnet-4-6", 0.02, 1, true);
    spender(&mut env, "dear", "claude-opus-4-6", 0.05, 1, true);
    let run = env.bakeoff(&[
        "race",
        "add four",
        "-a",
        "cheap",
        "-a",
        "mid",
        "-a",
        "dear",
        "--cascade",
        "--check",
        "grep -qx four src/lib.txt",
    ]);
    run.expect(0);
    // cheap failed its check, so mid ran; mid passed, so dear never started.
    assert_eq!(env.lane_events("mid", "agent-finished").len(), 1);
    assert!(env.lane_events("dear", "agent-finished").is_empty());
    assert!(
        !env.worktree_of("dear").exists(),
        "a lane that never ran has no worktree"
    );
    let stops = stopped(&env);
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(stops[0].0, ["dear"]);
    assert!(
        stops[0].1.contains("cascade") && stops[0].1.contains("mid"),
        "{}",
        stops[0].1
    );
    assert_eq!(state_of(&env, "dear"), "cancelled");
    assert!(run.stdout().contains("winner: mid"), "{}", run.stdout());
}

#[test]
fn a_lane_over_its_cost_cap_is_stopped_and_its_work_still_checked() {
    let mut env = TestEnv::new();
    spender(&mut env, "greedy", "claude-opus-4-6", 0.03, 40, true);
    let started = Instant::now();
    env.bakeoff(&[
        "race",
        "add four",
        "-a",
        "greedy",
        "--max-cost",
        "0.10",
        "--check",
        "true",
    ])
    // Stopped before it wrote anything: an empty diff, so no winner.
    .expect(1);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the cap did not stop the agent"
    );
    let outcome = &env.lane_events("greedy", "agent-finished")[0]["outcome"];
    assert!(
        outcome["error"].as_str().unwrap().contains("cost cap"),
        "{outcome}"
    );
    assert_eq!(outcome["cancelled"], false);
    assert_eq!(
        env.lane_events("greedy", "captured").len(),
        1,
        "its work is captured"
    );
    assert_eq!(
        env.lane_events("greedy", "check-finished").len(),
        1,
        "and checked"
    );
}

#[test]
fn the_race_budget_stops_every_lane() {
    let mut env = TestEnv::new();
    spender(&mut env, "a", "claude-opus-4-6", 0.05, 40, true);
    spender(&mut env, "b", "claude-opus-4-6", 0.05, 40, true);
    let started = Instant::now();
    let run = env.bakeoff(&[
        "race",
        "add four",
        "-a",
        "a",
        "-a",
        "b",
        "--race-max-cost",
        "0.30",
    ]);
    assert!(started.elapsed() < Duration::from_secs(10));
    run.expect(1);
    let stops = stopped(&env);
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert!(stops[0].1.contains("--race-max-cost"), "{}", stops[0].1);
    assert_eq!(state_of(&env, "a"), "cancelled");
    assert_eq!(state_of(&env, "b"), "cancelled");
}

/// An agent stuck retrying its connection (Codex's `Reconnecting...` errors, no turn, no
/// usage) is shown as stalled with its last error and stopped at `--stall-timeout`, with
/// the reason on its leaderboard row; a lane that keeps making progress is left alone.
#[test]
fn an_agent_without_progress_is_shown_stalled_and_stopped_with_the_reason() {
    let mut env = TestEnv::new();
    let mut stuck = String::from("progress codex 1 100 10 looking around\nwrite src/lib.txt half\n");
    // Bounded: 60 retries of 200 ms, 12 s at most, far past the 2 s timeout.
    for n in 1..=60 {
        stuck.push_str(&format!(
            "say {{\"type\":\"error\",\"message\":\"Reconnecting... {n}/60 (stream disconnected)\"}}\nsleep 200\n"
        ));
    }
    env.agent("stuck", "codex", &stuck);
    let mut steady = String::new();
    for turn in 1..=8 {
        steady.push_str(&format!("progress codex {turn} 100 10 step {turn}\nsleep 300\n"));
    }
    steady.push_str("write src/lib.txt one\\ntwo\\nthree\\nfour\\n\n");
    env.agent("steady", "codex", &steady);
    let started = Instant::now();
    let run = env.bakeoff(&[
        "race",
        "add four",
        "-a",
        "stuck",
        "-a",
        "steady",
        "--stall-timeout",
        "2s",
        "--check",
        "grep -qx four src/lib.txt",
    ]);
    run.expect(0);
    assert!(
        started.elapsed() < Duration::from_secs(11),
        "the stuck lane was stopped early"
    );
    let stalls = env.lane_events("stuck", "lane-stalled");
    assert!(!stalls.is_empty());
    let error = stalls.last().unwrap()["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("Reconnecting... "), "{error}");
    assert!(stalls[0]["idle_ms"].as_u64().unwrap() >= 1000, "{stalls:?}");
    assert!(env.lane_events("steady", "lane-stalled").is_empty());
    let outcome = &env.lane_events("stuck", "agent-finished")[0]["outcome"];
    let said = outcome["error"].as_str().unwrap();
    assert!(
        said.starts_with("stopped after 2.")
            && said.contains("without progress; last error: Reconnecting..."),
        "{said}"
    );
    assert_eq!(outcome["cancelled"], false, "its own stop, not the race's");
    // Its work so far is still captured and checked, and the row says why it stopped.
    assert_eq!(env.lane_events("stuck", "captured").len(), 1);
    let ranked = env.events().into_iter().find(|e| e["type"] == "ranked").unwrap();
    let rows = ranked["leaderboard"]["rows"].as_array().unwrap();
    let row = rows.iter().find(|r| r["lane"] == "stuck").unwrap();
    assert!(
        row["agent_error"].as_str().unwrap().contains("without progress"),
        "{row}"
    );
    assert_eq!(ranked["leaderboard"]["winner"], "steady");
    assert!(run.stdout().contains("without progress"), "{}", run.stdout());
}

#[test]
fn a_bad_stall_timeout_is_refused_before_anything_runs() {
    let mut env = TestEnv::new();
    env.agent("a", "codex", "write src/lib.txt four\n");
    let run = env.bakeoff(&["race", "x", "-a", "a", "--stall-timeout", "soon"]);
    run.expect(2);
    assert!(
        run.stderr().contains("--stall-timeout") && run.stderr().contains("'off'"),
        "{}",
        run.stderr()
    );
    assert_eq!(env.races(), 0);
}
