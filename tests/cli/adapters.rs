//! Each agent adapter, driven through a race against a stand-in CLI on PATH that
//! records its argv and environment and prints that CLI's output format. (The real
//! CLIs against a fake provider come with the provider tests.)

use std::os::unix::fs::PermissionsExt;

use crate::support::TestEnv;

/// Puts a stand-in `program` on PATH: it records argv (one per line) and env, then runs
/// a scripted agent that edits a file and prints usage in `format`.
fn stand_in(env: &TestEnv, program: &str, format: &str, cost: &str) {
    let script = env.script(
        &format!("cli-{program}"),
        &format!("write by-{program}.txt edited\\n\nusage {format} 2 1000 250 {cost} session-{program}\n"),
    );
    let rec = env.root().join(format!("{program}.argv"));
    let envf = env.root().join(format!("{program}.env"));
    let body = format!(
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\nenv > '{}'\nexec '{}' --script '{}'\n",
        rec.display(),
        envf.display(),
        crate::support::scripted_agent().display(),
        script.display()
    );
    let path = env.bin.join(program);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn argv(env: &TestEnv, program: &str) -> Vec<String> {
    std::fs::read_to_string(env.root().join(format!("{program}.argv")))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn env_of(env: &TestEnv, program: &str) -> String {
    std::fs::read_to_string(env.root().join(format!("{program}.env"))).unwrap()
}

const SPEC: &str = "make the change";

#[test]
fn each_adapter_runs_its_cli_headless_exactly_as_documented() {
    let mut env = TestEnv::new();
    env.set_env("ANTHROPIC_API_KEY", "canary-a-1");
    env.set_env("OPENAI_API_KEY", "canary-o-2");
    env.set_env("GEMINI_API_KEY", "canary-g-3");
    for (program, format, cost) in [
        ("claude", "claude", "0.12"),
        ("codex", "codex", "-"),
        ("gemini", "gemini", "-"),
        ("aider", "aider", "0.05"),
        ("opencode", "opencode", "0.07"),
        ("qwen", "qwen", "0.01"),
    ] {
        stand_in(&env, program, format, cost);
    }
    let run = env.bakeoff(&[
        "race",
        SPEC,
        "-a",
        "claude:claude-opus-4-6",
        "-a",
        "codex:gpt-5.5",
        "-a",
        "gemini:gemini-3-pro",
        "-a",
        "aider:openai/gpt-5.5",
        "-a",
        "opencode:anthropic/claude-sonnet-4-6",
        "-a",
        "qwen:qwen3-coder-plus",
    ]);
    run.expect(0);

    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        argv(&env, "claude"),
        s(&[
            "-p",
            SPEC,
            "--output-format",
            "stream-json",
            "--verbose",
            "--model",
            "claude-opus-4-6",
            "--permission-mode",
            "bypassPermissions"
        ])
    );
    assert_eq!(
        argv(&env, "codex"),
        s(&[
            "exec",
            "--json",
            "-m",
            "gpt-5.5",
            "-s",
            "workspace-write",
            "--skip-git-repo-check",
            SPEC
        ])
    );
    assert_eq!(
        argv(&env, "gemini"),
        s(&[
            "-p",
            SPEC,
            "-m",
            "gemini-3-pro",
            "--output-format",
            "json",
            "--yolo"
        ])
    );
    assert_eq!(
        argv(&env, "aider"),
        s(&[
            "--message",
            SPEC,
            "--model",
            "openai/gpt-5.5",
            "--yes-always",
            "--no-auto-commits",
            "--no-dirty-commits",
            "--analytics-disable",
            "--no-check-update",
            "--no-pretty"
        ])
    );
    assert_eq!(
        argv(&env, "opencode"),
        s(&[
            "run",
            "--format",
            "json",
            "-m",
            "anthropic/claude-sonnet-4-6",
            SPEC
        ])
    );
    assert_eq!(
        argv(&env, "qwen"),
        s(&[
            "-p",
            SPEC,
            "--output-format",
            "json",
            "--yolo",
            "-m",
            "qwen3-coder-plus"
        ])
    );

    // Each lane sees only its own lab's key.
    let claude = env_of(&env, "claude");
    assert!(claude.contains("ANTHROPIC_API_KEY=canary-a-1"));
    assert!(
        !claude.contains("canary-o-2") && !claude.contains("canary-g-3"),
        "{claude}"
    );
    let codex = env_of(&env, "codex");
    assert!(
        codex.contains("OPENAI_API_KEY=canary-o-2")
            && !codex.contains("canary-a-1")
            && !codex.contains("canary-g-3")
    );
    let gemini = env_of(&env, "gemini");
    assert!(
        gemini.contains("GEMINI_API_KEY=canary-g-3")
            && !gemini.contains("canary-a-1")
            && !gemini.contains("canary-o-2")
    );
    let aider = env_of(&env, "aider");
    assert!(aider.contains("canary-o-2") && !aider.contains("canary-a-1"));
    let opencode = env_of(&env, "opencode");
    assert!(opencode.contains("canary-a-1") && !opencode.contains("canary-o-2"));
    // Claude Code refuses bypassPermissions as root unless IS_SANDBOX is set.
    if unsafe { libc::geteuid() } == 0 {
        assert!(claude.contains("IS_SANDBOX=1"));
    }

    // Every lane's own edit was captured and its usage parsed.
    for (lane, cost) in [("claude-opus-4-6", Some(0.12)), ("codex-gpt-5.5", None)] {
        let finished = env.lane_events(lane, "agent-finished");
        assert_eq!(finished.len(), 1, "lane {lane}");
        let usage = &finished[0]["outcome"]["usage"];
        assert_eq!(usage["output_tokens"], 250, "{lane}: {usage}");
        match cost {
            Some(c) => assert_eq!(usage["cost_usd"], c),
            None => assert!(usage["cost_usd"].is_null()),
        }
    }
}

#[test]
fn a_custom_endpoint_is_wired_per_cli() {
    let mut env = TestEnv::new();
    stand_in(&env, "claude", "claude", "0.01");
    stand_in(&env, "codex", "codex", "-");
    env.config(
        "[agents.local-claude]\nadapter = \"claude\"\nmodel = \"claude-sonnet-4-6\"\nbase-url = \"http://127.0.0.1:9\"\n\
         [agents.local-codex]\nadapter = \"codex\"\nmodel = \"gpt-5.5\"\nbase-url = \"http://127.0.0.1:9/v1\"\n",
    );
    env.bakeoff(&["race", SPEC, "-a", "local-claude", "-a", "local-codex"])
        .expect(0);
    let claude = env_of(&env, "claude");
    assert!(
        claude.contains("ANTHROPIC_BASE_URL=http://127.0.0.1:9"),
        "{claude}"
    );
    assert!(claude.contains("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"));
    let codex = env_of(&env, "codex");
    let home = codex
        .lines()
        .find_map(|l| l.strip_prefix("CODEX_HOME="))
        .expect("CODEX_HOME set");
    let config = std::fs::read_to_string(std::path::Path::new(home).join("config.toml")).unwrap();
    assert!(
        config.contains("http://127.0.0.1:9/v1") && config.contains("wire_api = \"responses\""),
        "{config}"
    );
}
