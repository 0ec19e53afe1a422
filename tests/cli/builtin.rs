//! The built-in agent (`builtin:provider/model`) racing in a lane against the fake
//! provider on loopback, in each wire format: scripted sessions whose commands really
//! edit the worktree, the step and cost limits, a command that times out, and a model
//! that answers with a ```bash block instead of tool calls.

use bakeoff_testkit::fake_provider::{FakeProvider, Script, ScriptBuilder, Usage};
use serde_json::{json, Value};

use crate::support::TestEnv;

/// How a test reaches the fake server in one wire format.
struct Format {
    /// The `-a` argument.
    agent: &'static str,
    /// The model id the provider sees.
    model: &'static str,
    /// The lane's default name.
    lane: &'static str,
}

const ANTHROPIC: Format = Format {
    agent: "builtin:anthropic/claude-sonnet-4-6",
    model: "claude-sonnet-4-6",
    lane: "builtin-anthropic-claude-sonnet-4-6",
};
const OPENAI_CHAT: Format = Format {
    agent: "builtin:openai/gpt-5.5",
    model: "gpt-5.5",
    lane: "builtin-openai-gpt-5.5",
};
/// A provider config defines, speaking Responses, with a key variable of its own.
const OPENAI_RESPONSES: Format = Format {
    agent: "builtin:fakeresp/gpt-5.5",
    model: "gpt-5.5",
    lane: "builtin-fakeresp-gpt-5.5",
};
const GEMINI: Format = Format {
    agent: "builtin:google/gemini-3-pro",
    model: "gemini-3-pro",
    lane: "builtin-google-gemini-3-pro",
};

/// A test environment whose providers all point at `server`, with fake keys, and a
/// canary key of an unrelated lab.
fn env_for(server: &FakeProvider) -> TestEnv {
    let base = server.base_url();
    let mut env = TestEnv::new();
    env.set_env("ANTHROPIC_BASE_URL", &base);
    env.set_env("ANTHROPIC_API_KEY", "fake-anthropic-key");
    env.set_env("OPENAI_BASE_URL", &format!("{base}/v1"));
    env.set_env("OPENAI_API_KEY", "fake-openai-key");
    env.set_env("GOOGLE_GEMINI_BASE_URL", &base);
    env.set_env("GEMINI_API_KEY", "fake-gemini-key");
    env.set_env("FAKERESP_API_KEY", "fake-responses-key");
    env.set_env("MISTRAL_API_KEY", "canary-mistral-key");
    env.config(&format!(
        "[providers.fakeresp]\nformat = \"openai-responses\"\nbase-url = \"{base}/v1\"\nkey-env = \"FAKERESP_API_KEY\"\n"
    ));
    env
}

fn bash(command: &str) -> Value {
    json!({ "command": command })
}

fn transcript(env: &TestEnv, lane: &str) -> Vec<Value> {
    let path = env
        .last_race_dir()
        .join("lanes")
        .join(lane)
        .join("agent.stdout.log");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn of_type<'a>(events: &'a [Value], ty: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == ty).collect()
}

fn result(events: &[Value]) -> &Value {
    let results = of_type(events, "result");
    assert_eq!(results.len(), 1, "{events:#?}");
    results[0]
}

/// The lane's captured commit.
fn captured(env: &TestEnv, lane: &str) -> String {
    let events = env.lane_events(lane, "captured");
    assert_eq!(events.len(), 1, "{:#?}", env.events());
    events[0]["capture"]["commit"].as_str().unwrap().to_string()
}

fn session(model: &str) -> ScriptBuilder {
    Script::builder()
        .model(model)
        .tool_call("bash", bash("printf 'four\\n' >> src/lib.txt && cat src/lib.txt"))
        .expect("<task>")
        .tool_call(
            "bash",
            bash("mkdir -p notes && echo \"keys=[$ANTHROPIC_API_KEY$OPENAI_API_KEY$GEMINI_API_KEY$FAKERESP_API_KEY$MISTRAL_API_KEY]\" > notes/env.txt"),
        )
        .expect("four")
        .tool_call("submit", json!({}))
        .expect("exit code: 0")
}

/// A scripted three-turn session in `format`: two commands that edit the worktree, then
/// `submit`; the edits are the lane's captured work.
fn scripted_session_in(format: Format) {
    let server = FakeProvider::start_on_thread(session(format.model).build()).unwrap();
    let env = env_for(&server);
    env.bakeoff(&["race", "add a fourth line", "-a", format.agent, "--json"])
        .expect(0);

    let commit = captured(&env, format.lane);
    let lib = env.git(&["show", &format!("{commit}:src/lib.txt")]);
    assert_eq!(lib, "one\ntwo\nthree\nfour\n");
    // Commands never see a provider key, not even the agent's own.
    let keys = env.git(&["show", &format!("{commit}:notes/env.txt")]);
    assert_eq!(keys, "keys=[]\n");

    let events = transcript(&env, format.lane);
    assert_eq!(events[0]["type"], "start", "{events:#?}");
    assert!(events.iter().all(|e| e["v"] == 1));
    let steps = of_type(&events, "step");
    assert_eq!(steps.len(), 2, "{events:#?}");
    assert_eq!(steps[0]["exit"], 0);
    assert_eq!(steps[0]["output"], "one\ntwo\nthree\nfour\n");
    assert_eq!(of_type(&events, "reply").len(), 3);
    let end = result(&events);
    assert_eq!(end["reason"], "submitted", "{end}");
    assert_eq!(end["steps"], 3);
    assert_eq!(end["error"], Value::Null);

    let finished = env.lane_events(format.lane, "agent-finished");
    let outcome = &finished[0]["outcome"];
    assert_eq!(outcome["error"], Value::Null, "{outcome}");
    assert_eq!(outcome["usage"]["turns"], 3, "{outcome}");
    assert!(
        outcome["usage"]["input_tokens"].as_u64().unwrap() > 0,
        "{outcome}"
    );

    // Every request went to this format's endpoint with the tools and the history.
    let turns: Vec<_> = server.requests().into_iter().filter(|r| r.is_turn()).collect();
    assert_eq!(turns.len(), 3);
    assert!(turns[0].body_text().contains("\"bash\""));
    assert!(server.mismatches().is_empty(), "{:?}", server.mismatches());
}

#[test]
fn a_scripted_session_edits_the_worktree_in_anthropic_format() {
    scripted_session_in(ANTHROPIC);
}

#[test]
fn a_scripted_session_edits_the_worktree_in_openai_chat_format() {
    scripted_session_in(OPENAI_CHAT);
}

#[test]
fn a_scripted_session_edits_the_worktree_in_openai_responses_format() {
    scripted_session_in(OPENAI_RESPONSES);
}

#[test]
fn a_scripted_session_edits_the_worktree_in_gemini_format() {
    scripted_session_in(GEMINI);
}

#[test]
fn the_step_limit_stops_a_model_that_never_submits() {
    let script = Script::builder()
        .model("claude-sonnet-4-6")
        .tool_call("bash", bash("echo 1 >> count.txt"))
        .tool_call("bash", bash("echo 2 >> count.txt"))
        .tool_call("bash", bash("echo 3 >> count.txt"))
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let mut env = env_for(&server);
    env.config(
        "[agents.capped]\nadapter = \"builtin\"\nmodel = \"anthropic/claude-sonnet-4-6\"\nargs = [\"--max-steps\", \"2\"]\n",
    );
    env.bakeoff(&["race", "count", "-a", "capped", "--json"]);

    let events = transcript(&env, "capped");
    let end = result(&events);
    assert_eq!(end["reason"], "step_limit", "{end}");
    assert_eq!(end["steps"], 2);
    assert_eq!(server.turns_left(), 1, "the third turn is never asked for");
    let commit = captured(&env, "capped");
    assert_eq!(env.git(&["show", &format!("{commit}:count.txt")]), "1\n2\n");
    let outcome = &env.lane_events("capped", "agent-finished")[0]["outcome"];
    assert!(
        outcome["error"].as_str().unwrap().contains("--max-steps"),
        "{outcome}"
    );
}

#[test]
fn a_final_answer_without_a_tool_call_ends_the_run() {
    let script = Script::builder()
        .model("claude-sonnet-4-6")
        .tool_call("bash", bash("echo done > answer.txt"))
        .text("I wrote answer.txt; the task is done.")
        .tool_call("bash", bash("echo never >> answer.txt"))
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let mut env = env_for(&server);
    env.config("[agents.answers]\nadapter = \"builtin\"\nmodel = \"anthropic/claude-sonnet-4-6\"\n");
    env.bakeoff(&["race", "answer", "-a", "answers", "--json"]);

    let events = transcript(&env, "answers");
    let end = result(&events);
    assert_eq!(end["reason"], "answered", "{end}");
    assert_eq!(end["steps"], 2);
    assert_eq!(
        server.turns_left(),
        1,
        "no turn is asked for after the final answer"
    );
    let commit = captured(&env, "answers");
    assert_eq!(env.git(&["show", &format!("{commit}:answer.txt")]), "done\n");
    let outcome = &env.lane_events("answers", "agent-finished")[0]["outcome"];
    assert!(
        outcome["error"].is_null(),
        "a final answer is not an error: {outcome}"
    );
}

#[test]
fn the_cost_limit_stops_the_run_at_the_price_tables_cost() {
    // $3 per million input tokens: each turn costs $3, so a $5 limit allows two.
    let million = Usage {
        input: 1_000_000,
        ..Usage::default()
    };
    let script = Script::builder()
        .model("claude-sonnet-4-6")
        .tool_call("bash", bash("echo a >> spent.txt"))
        .usage(million)
        .tool_call("bash", bash("echo b >> spent.txt"))
        .usage(million)
        .tool_call("bash", bash("echo c >> spent.txt"))
        .usage(million)
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let mut env = env_for(&server);
    env.config(
        "[agents.budget]\nadapter = \"builtin\"\nmodel = \"anthropic/claude-sonnet-4-6\"\nargs = [\"--max-cost\", \"5\"]\n",
    );
    env.bakeoff(&["race", "spend", "-a", "budget", "--json"]);

    let events = transcript(&env, "budget");
    let end = result(&events);
    assert_eq!(end["reason"], "cost_limit", "{end}");
    assert_eq!(end["steps"], 2);
    assert_eq!(end["cost_usd"], 6.0);
    assert_eq!(server.turns_left(), 1);
    let outcome = &env.lane_events("budget", "agent-finished")[0]["outcome"];
    assert_eq!(outcome["usage"]["cost_usd"], 6.0, "{outcome}");
    assert!(
        outcome["error"].as_str().unwrap().contains("--max-cost"),
        "{outcome}"
    );
}

#[test]
fn an_unknown_price_is_said_and_never_counted_as_zero() {
    let script = Script::builder()
        .model("claude-unlisted-9")
        .tool_call("bash", bash("echo x > x.txt"))
        .tool_call("submit", json!({}))
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let mut env = env_for(&server);
    env.config(
        "[agents.unpriced]\nadapter = \"builtin\"\nmodel = \"anthropic/claude-unlisted-9\"\nargs = [\"--max-cost\", \"1\"]\n",
    );
    env.bakeoff(&["race", "x", "-a", "unpriced", "--json"]).expect(0);
    let events = transcript(&env, "unpriced");
    assert_eq!(events[0]["price_known"], false);
    let notices = of_type(&events, "notice");
    assert!(
        notices[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be enforced"),
        "{notices:?}"
    );
    let end = result(&events);
    assert_eq!(
        (end["reason"].as_str(), &end["cost_usd"]),
        (Some("submitted"), &Value::Null)
    );
}

#[test]
fn a_command_that_times_out_is_reported_and_the_model_recovers() {
    let script = Script::builder()
        .model("gpt-5.5")
        .tool_call("bash", bash("echo started; sleep 30"))
        .tool_call("bash", bash("echo recovered > recovered.txt"))
        .expect("timed out")
        .tool_call("submit", json!({}))
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let mut env = env_for(&server);
    env.config(
        "[agents.patient]\nadapter = \"builtin\"\nmodel = \"openai/gpt-5.5\"\nargs = [\"--command-timeout\", \"1s\"]\n",
    );
    let started = std::time::Instant::now();
    env.bakeoff(&["race", "wait", "-a", "patient", "--json"])
        .expect(0);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    let events = transcript(&env, "patient");
    let steps = of_type(&events, "step");
    assert_eq!(steps[0]["timed_out"], true, "{steps:?}");
    assert_eq!(steps[0]["output"], "started\n");
    assert_eq!(steps[1]["timed_out"], false);
    assert_eq!(result(&events)["reason"], "submitted");
    let commit = captured(&env, "patient");
    assert_eq!(
        env.git(&["show", &format!("{commit}:recovered.txt")]),
        "recovered\n"
    );
    assert!(server.mismatches().is_empty(), "{:?}", server.mismatches());
}

#[test]
fn a_model_without_tools_works_through_bash_blocks() {
    let script = Script::builder()
        .model("gpt-5.5")
        .text("I will append the line.\n\n```bash\nprintf 'four\\n' >> src/lib.txt\n```\n")
        .text("Done.\n\nBAKEOFF_SUBMIT\n")
        .expect("exit code: 0")
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = env_for(&server);
    env.bakeoff(&["race", "add a fourth line", "-a", OPENAI_CHAT.agent, "--json"])
        .expect(0);
    let commit = captured(&env, OPENAI_CHAT.lane);
    assert_eq!(
        env.git(&["show", &format!("{commit}:src/lib.txt")]),
        "one\ntwo\nthree\nfour\n"
    );
    let events = transcript(&env, OPENAI_CHAT.lane);
    assert_eq!(
        of_type(&events, "step")[0]["command"],
        "printf 'four\\n' >> src/lib.txt"
    );
    assert_eq!(result(&events)["reason"], "submitted");
    assert!(server.mismatches().is_empty(), "{:?}", server.mismatches());
}

#[test]
fn a_missing_key_stops_the_race_in_preflight() {
    let server = FakeProvider::start_on_thread(Script::new()).unwrap();
    let mut env = env_for(&server);
    env.set_env("ANTHROPIC_API_KEY", "");
    let run = env.bakeoff(&["race", "x", "-a", ANTHROPIC.agent]);
    run.expect(3);
    assert!(run.stderr().contains("ANTHROPIC_API_KEY"), "{}", run.stderr());
    assert_eq!(env.races(), 0);
    let run = env.bakeoff(&["race", "x", "-a", "builtin:nope/model"]);
    run.expect(2);
    assert!(run.stderr().contains("unknown provider"), "{}", run.stderr());
}

#[test]
fn a_lane_deadline_stops_the_running_command_too() {
    let script = Script::builder()
        .model("claude-sonnet-4-6")
        .tool_call("bash", bash("echo $$ > pid.txt; exec sleep 30"))
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let env = env_for(&server);
    let started = std::time::Instant::now();
    env.bakeoff(&[
        "race",
        "--sandbox",
        "off",
        "wait",
        "-a",
        ANTHROPIC.agent,
        "--timeout",
        "2s",
        "--json",
    ]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    let events = transcript(&env, ANTHROPIC.lane);
    assert_eq!(result(&events)["reason"], "cancelled", "{events:#?}");
    let commit = captured(&env, ANTHROPIC.lane);
    let pid = env.git(&["show", &format!("{commit}:pid.txt")]);
    let proc_dir = std::path::Path::new("/proc").join(pid.trim());
    assert!(
        !proc_dir.exists(),
        "the command (pid {}) outlived the agent",
        pid.trim()
    );
}
