//! The real agent CLIs (Claude Code, Codex, Gemini CLI, pinned and installed by
//! `scripts/install-agent-clis.sh`) race for real against the fake provider on loopback:
//! the fake scripts the tool calls that edit each worktree, and each lane is reviewed by
//! a model of another lab.

use std::path::PathBuf;

use bakeoff_testkit::fake_provider::{FakeProvider, Script};
use serde_json::json;

use crate::support::TestEnv;

/// The folder the install script puts the CLIs in; a clear failure when it is missing.
fn cli_bin() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".agent-clis/node_modules/.bin");
    for cli in ["claude", "codex", "gemini"] {
        assert!(
            bin.join(cli).exists(),
            "the real agent CLIs are not installed ({} is missing): run scripts/install-agent-clis.sh",
            bin.join(cli).display()
        );
    }
    bin
}

/// What a lane's agent printed in its first round, for a failure message.
fn agent_logs(env: &TestEnv, lane: &str) -> String {
    let round = env.last_race_dir().join("lanes").join(lane);
    ["agent.stdout.log", "agent.stderr.log"]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(round.join(f)).unwrap_or_default();
            format!("--- {f}\n{}", &text[text.len().saturating_sub(4000)..])
        })
        .collect()
}

fn approve() -> serde_json::Value {
    json!({"verdict": "approve", "score": 85, "summary": "does what the spec asks", "findings": []})
}

#[test]
fn claude_codex_and_gemini_race_for_real_against_the_fake_provider() {
    let bin = cli_bin();
    let mut script = Script::builder()
        .model("claude-sonnet-4-6")
        .tool_call(
            "Write",
            json!({"file_path": "hello-claude.txt", "content": "hello from claude\n"}),
        )
        .text("Wrote hello-claude.txt.")
        .model("gpt-5.5")
        .tool_call(
            "exec_command",
            json!({"cmd": "printf 'hello from codex\\n' > hello-codex.txt"}),
        )
        .text("Wrote hello-codex.txt.")
        .model("gemini-2.5-pro")
        .tool_call(
            "write_file",
            json!({"file_path": "hello-gemini.txt", "content": "hello from gemini\n"}),
        )
        .text("Wrote hello-gemini.txt.");
    for reviewer in ["claude-opus-4-6", "gpt-5.4", "gemini-3-pro"] {
        script = script.model(reviewer);
        for _ in 0..3 {
            script = script.json(approve());
        }
    }
    let server = FakeProvider::start_on_thread(script.build()).unwrap();
    let url = server.base_url();

    let mut env = TestEnv::new();
    env.reviews = true;
    for cli in ["claude", "codex", "gemini"] {
        std::os::unix::fs::symlink(bin.join(cli), env.bin.join(cli)).unwrap();
    }
    let keys = [
        ("ANTHROPIC_API_KEY", "canary-real-anthropic-8301"),
        ("OPENAI_API_KEY", "canary-real-openai-8302"),
        ("GEMINI_API_KEY", "canary-real-gemini-8303"),
    ];
    for (k, v) in keys {
        env.set_env(k, v);
    }
    // The reviewers' providers read the conventional base-URL variables.
    env.set_env("ANTHROPIC_BASE_URL", &url);
    env.set_env("OPENAI_BASE_URL", &format!("{url}/v1"));
    env.set_env("GOOGLE_GEMINI_BASE_URL", &url);
    env.config(&format!(
        "[agents.claude]\nadapter = \"claude\"\nmodel = \"claude-sonnet-4-6\"\nbase-url = \"{url}\"\n\
         [agents.codex]\nadapter = \"codex\"\nmodel = \"gpt-5.5\"\nbase-url = \"{url}/v1\"\n\
         [agents.gemini]\nadapter = \"gemini\"\nmodel = \"gemini-2.5-pro\"\nbase-url = \"{url}\"\n\
         [review]\nreviewers = [\"anthropic/claude-opus-4-6\", \"openai/gpt-5.4\", \"google/gemini-3-pro\"]\n"
    ));
    let run = env.bakeoff(&[
        "race",
        "Write a hello file.",
        "-a",
        "claude",
        "-a",
        "codex",
        "-a",
        "gemini",
        "--timeout",
        "3m",
    ]);
    run.expect(0);

    for (lane, file, text) in [
        ("claude", "hello-claude.txt", "hello from claude\n"),
        ("codex", "hello-codex.txt", "hello from codex\n"),
        ("gemini", "hello-gemini.txt", "hello from gemini\n"),
    ] {
        let captured = env.lane_events(lane, "captured");
        assert_eq!(captured.len(), 1, "lane {lane}: {}", run.stderr());
        let commit = captured[0]["capture"]["commit"].as_str().unwrap();
        let listed = env.git(&["ls-tree", "--name-only", commit]);
        assert!(
            listed.lines().any(|l| l == file),
            "lane {lane} wrote no {file}; its agent printed:\n{}",
            agent_logs(&env, lane)
        );
        let content = env.git(&["show", &format!("{commit}:{file}")]);
        assert_eq!(
            content, text,
            "lane {lane} edited its worktree through the CLI's own tool"
        );
        let outcome = &env.lane_events(lane, "agent-finished")[0]["outcome"];
        assert_eq!(outcome["exit"]["value"], 0, "lane {lane}: {outcome}");
        assert!(outcome["error"].is_null(), "lane {lane}: {outcome}");
        assert!(
            outcome["usage"]["output_tokens"].as_u64().unwrap_or(0) > 0,
            "lane {lane} usage: {outcome}"
        );
        let reviews = env.lane_events(lane, "review-finished");
        assert_eq!(reviews.len(), 1, "lane {lane}");
        let reviewer_lab = reviews[0]["review"]["lab"].as_str().unwrap().to_string();
        let author_lab = match lane {
            "claude" => "anthropic",
            "codex" => "openai",
            _ => "google",
        };
        assert_ne!(reviewer_lab, author_lab, "lane {lane} reviewed by its own lab");
        assert_eq!(reviews[0]["review"]["output"]["verdict"], "approve");
    }
    // Claude Code reports its cost; Codex and Gemini CLI do not, and say so.
    let cost =
        |lane: &str| env.lane_events(lane, "agent-finished")[0]["outcome"]["usage"]["cost_usd"].clone();
    assert!(cost("claude").is_f64());
    assert!(cost("codex").is_null() && cost("gemini").is_null());

    // Each CLI called the fake with its own lab's key, in its own header; no key leaked.
    let requests = server.requests();
    let sent = |path_part: &str, header: &str, want: &str| {
        requests
            .iter()
            .filter(|r| r.path.contains(path_part))
            .all(|r| r.header(header).map(|v| v.contains(want)).unwrap_or(false))
    };
    assert!(sent("/v1/messages", "x-api-key", "canary-real-anthropic-8301"));
    assert!(sent("/v1/responses", "authorization", "canary-real-openai-8302"));
    assert!(sent(
        "streamGenerateContent",
        "x-goog-api-key",
        "canary-real-gemini-8303"
    ));
    let everything = format!("{}{}", run.stdout(), run.stderr());
    let mut stack = vec![env.last_race_dir()];
    let mut texts = vec![everything];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().contains("-home/") {
                texts.push(String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned());
            }
        }
    }
    for (_, key) in keys {
        assert!(
            texts.iter().all(|t| !t.contains(key)),
            "{key} leaked into a record, log or output"
        );
    }
}

/// Codex and Gemini CLI lanes named inline (`codex:MODEL`, `gemini:MODEL`, no `[agents]`
/// table) follow the conventional variables alone: `OPENAI_BASE_URL`, which Codex itself
/// ignores, and `GOOGLE_GEMINI_BASE_URL` with `GEMINI_API_KEY`, where Gemini CLI wants a
/// sign-in method chosen.
#[test]
fn codex_and_gemini_follow_the_conventional_variables_alone() {
    let bin = cli_bin();
    let script = Script::builder()
        .model("gpt-5.5")
        .tool_call("exec_command", json!({"cmd": "printf 'codex\\n' > by-codex.txt"}))
        .text("Wrote by-codex.txt.")
        .model("gemini-2.5-pro")
        .tool_call(
            "write_file",
            json!({"file_path": "by-gemini.txt", "content": "gemini\n"}),
        )
        .text("Wrote by-gemini.txt.")
        .build();
    let server = FakeProvider::start_on_thread(script).unwrap();
    let url = server.base_url();
    let env = TestEnv::new();
    for cli in ["codex", "gemini"] {
        std::os::unix::fs::symlink(bin.join(cli), env.bin.join(cli)).unwrap();
    }
    let mut env = env;
    env.set_env("OPENAI_API_KEY", "canary-conv-openai-8402");
    env.set_env("GEMINI_API_KEY", "canary-conv-gemini-8403");
    env.set_env("OPENAI_BASE_URL", &format!("{url}/v1"));
    env.set_env("GOOGLE_GEMINI_BASE_URL", &url);
    let run = env.bakeoff(&[
        "race",
        "Write a file.",
        "-a",
        "codex:gpt-5.5",
        "-a",
        "gemini:gemini-2.5-pro",
        "--timeout",
        "90s",
    ]);
    run.expect(0);
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.last_race_dir().join("race.json")).unwrap()).unwrap();
    let lane_of = |agent: &str| -> String {
        record["lanes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["agent"] == agent)
            .and_then(|l| l["name"].as_str())
            .unwrap_or_else(|| panic!("no lane of {agent}: {record}"))
            .to_string()
    };
    for (agent, file) in [
        ("codex:gpt-5.5", "by-codex.txt"),
        ("gemini:gemini-2.5-pro", "by-gemini.txt"),
    ] {
        let lane = lane_of(agent);
        let lane = lane.as_str();
        let captured = env.lane_events(lane, "captured");
        assert_eq!(captured.len(), 1, "lane {lane}: {}", run.stderr());
        let commit = captured[0]["capture"]["commit"].as_str().unwrap();
        let listed = env.git(&["ls-tree", "--name-only", commit]);
        assert!(
            listed.lines().any(|l| l == file),
            "lane {lane} wrote no {file}; its agent printed:\n{}",
            agent_logs(&env, lane)
        );
    }
    let requests = server.requests();
    assert!(
        requests.iter().any(|r| r.path.contains("/v1/responses")),
        "Codex reached the fake"
    );
    assert!(
        requests.iter().any(|r| r.path.contains("GenerateContent")),
        "Gemini CLI reached the fake"
    );
}

/// `doctor --ping` tries the real Codex CLI with only the conventional variables set: it
/// answers through the fake provider; pointed at a port where nothing listens, it is
/// stopped at the stall timeout (12 s here: Codex's first retries are silent) with Codex's own `Reconnecting...` as the reason, instead
/// of doctor saying ready.
#[test]
fn doctor_tries_the_real_codex_cli() {
    let bin = cli_bin();
    let server =
        FakeProvider::start_on_thread(Script::builder().model("gpt-5.5").text("ready").build()).unwrap();
    let url = server.base_url();
    let mut env = TestEnv::new();
    std::os::unix::fs::symlink(bin.join("codex"), env.bin.join("codex")).unwrap();
    env.set_env("OPENAI_API_KEY", "canary-doctor-openai-8501");
    env.set_env("OPENAI_BASE_URL", &format!("{url}/v1"));
    env.config("[race]\nstall-timeout = \"12s\"\n");
    let run = env.bakeoff(&["doctor", "--ping", "-a", "codex:gpt-5.5"]);
    let line = |run: &crate::support::Run| {
        run.stdout()
            .lines()
            .find(|l| l.contains("agent codex:gpt-5.5"))
            .unwrap_or_else(|| panic!("no agent line in\n{}", run.stdout()))
            .to_string()
    };
    assert!(
        line(&run).contains("answered in"),
        "{}\n{}",
        run.stdout(),
        run.stderr()
    );
    run.expect(0);
    assert!(server.requests().iter().any(|r| r.path.contains("/v1/responses")));

    // A port that was free a moment ago: nothing answers there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let mut env = env;
    env.set_env("OPENAI_BASE_URL", &format!("http://127.0.0.1:{port}/v1"));
    let run = env.bakeoff(&["doctor", "--ping", "-a", "codex:gpt-5.5"]);
    run.expect(3);
    let said = line(&run);
    assert!(said.contains("FAIL") || said.contains("✗"), "{said}");
    assert!(
        said.contains("without progress; last error: Reconnecting..."),
        "Codex's own retry message: {said}"
    );
}
