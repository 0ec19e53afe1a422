//! `bakeoff doctor` through the real executable: keys are named and never shown, agent
//! CLIs are found (or their install hint given), an invalid config exits 2 naming its
//! file and line, and `--ping` reaches the fake provider or reports its rejection.

use std::os::unix::fs::PermissionsExt;

use bakeoff_testkit::fake_provider::{FakeProvider, Fault, Script};

use crate::support::{Run, TestEnv};

const KEY: &str = "canary-doctor-key-5521";

/// An environment whose PATH is only its own `bin` (with `git` linked in), so which
/// agent CLIs exist is up to the test, not the machine.
fn env() -> TestEnv {
    let mut env = TestEnv::new();
    env.only_git_on_path();
    env
}

/// A stand-in CLI on PATH whose `--version` prints `version`.
fn stand_in(env: &TestEnv, program: &str, version: &str) {
    let path = env.bin.join(program);
    std::fs::write(&path, format!("#!/bin/sh\necho \"{version}\"\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The first check line (not a section title) containing `needle`.
fn line_with<'a>(run: &'a Run, needle: &str) -> &'a str {
    let out = &run.0.stdout;
    let text = std::str::from_utf8(out).unwrap();
    text.lines()
        .find(|l| l.starts_with("  ") && l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
}

fn assert_no_key(run: &Run) {
    assert!(
        !run.stdout().contains(KEY) && !run.stderr().contains(KEY),
        "the key leaked:\n{}{}",
        run.stdout(),
        run.stderr()
    );
    // Nor any recognisable part of it.
    for part in ["canary-doctor", "key-5521", "5521"] {
        assert!(!run.stdout().contains(part), "{part} leaked:\n{}", run.stdout());
    }
}

#[test]
fn keys_are_named_never_shown() {
    let mut env = env();
    env.set_env("OPENAI_API_KEY", KEY);
    env.set_env("MY_SERVICE_API_KEY", KEY);
    env.config("[review]\nreviewers = [\"openai/gpt-5.5\"]\n");
    // A CLI that echoes the key in its version banner is scrubbed too.
    stand_in(&env, "claude", &format!("1.0.0 built with {KEY}"));
    let run = env.bakeoff(&["doctor"]);
    run.expect(0);
    assert_no_key(&run);
    let reviewer = line_with(&run, "reviewer openai/gpt-5.5");
    assert!(reviewer.contains("OPENAI_API_KEY set"), "{reviewer}");
    assert!(line_with(&run, "  anthropic").contains("ANTHROPIC_API_KEY not set"));
    assert!(line_with(&run, "claude").contains("1.0.0 built with <redacted>"));
    assert!(
        run.stdout()
            .contains("bakeoff is set up; `bakeoff doctor --ping` tries each agent"),
        "not tried, so not called ready: {}",
        run.stdout()
    );

    // The same as JSON, scrubbed alike.
    let json = env.bakeoff(&["doctor", "--json"]);
    json.expect(0);
    assert_no_key(&json);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(v["ready"], true, "{v}");
    let checks: Vec<&serde_json::Value> = v["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["checks"].as_array().unwrap())
        .collect();
    let reviewer = checks
        .iter()
        .find(|c| c["subject"] == "reviewer openai/gpt-5.5")
        .unwrap();
    assert_eq!(reviewer["status"], "ok", "{reviewer}");
}

#[test]
fn a_missing_reviewer_key_exits_3_naming_the_variable() {
    let mut env = env();
    env.config("[review]\nreviewers = [\"openai/gpt-5.5\"]\njudge = \"google/gemini-3-pro\"\n");
    let run = env.bakeoff(&["doctor"]);
    run.expect(3);
    assert!(line_with(&run, "reviewer openai/gpt-5.5").contains("OPENAI_API_KEY not set"));
    assert!(line_with(&run, "judge google/gemini-3-pro").contains("GEMINI_API_KEY or GOOGLE_API_KEY not set"));
    assert!(run.stdout().contains("2 problems"), "{}", run.stdout());
    let json = env.bakeoff(&["doctor", "--json"]);
    json.expect(3);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(
        (v["ready"].clone(), v["exit"].clone()),
        (false.into(), 3.into()),
        "{v}"
    );
}

#[test]
fn a_missing_cli_an_agents_table_uses_fails() {
    let mut env = env();
    env.config("[agents.fast]\nadapter = \"codex\"\nmodel = \"gpt-5.5\"\n");
    let run = env.bakeoff(&["doctor"]);
    let codex = line_with(&run, "codex     not found");
    assert!(
        codex.starts_with("  FAIL") && codex.contains("an [agents] table uses it"),
        "{codex}"
    );
}

#[test]
fn a_missing_cli_gets_its_install_hint_and_a_stand_in_is_found_with_its_version() {
    let env = env();
    stand_in(&env, "gemini", "0.99.1");
    let run = env.bakeoff(&["doctor"]);
    // Missing CLIs inform; they do not make bakeoff unusable.
    run.expect(0);
    let out = run.stdout();
    let codex = out.find("codex     not found on PATH").expect(&out);
    let hint = out[codex..].lines().nth(1).unwrap();
    assert!(
        hint.contains("hint: install: npm install -g @openai/codex"),
        "{out}"
    );
    assert!(
        line_with(&run, "codex     not found").starts_with("  -"),
        "optional: {out}"
    );
    let gemini = line_with(&run, "gemini  ");
    assert!(gemini.starts_with("  ok"), "{gemini}");
    assert!(
        gemini.contains(&format!("0.99.1 at {}", env.bin.join("gemini").display())),
        "{gemini}"
    );
    assert!(line_with(&run, "git").contains(" at "), "git and its version");
    assert!(line_with(&run, "repository").contains(&env.repo.display().to_string()));
    assert!(line_with(&run, "loaded").contains("built-in defaults"));
}

#[test]
fn a_cli_that_reads_stdin_gets_dev_null_not_the_terminal() {
    let env = env();
    let path = env.bin.join("qwen");
    std::fs::write(&path, "#!/bin/sh\nread line\necho \"qwen $line\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    // stdin is /dev/null, so `read` returns at once instead of waiting for a terminal.
    let run = env.bakeoff(&["doctor"]);
    run.expect(0);
    assert!(line_with(&run, "qwen").contains("qwen at"), "{}", run.stdout());
}

#[test]
fn an_invalid_config_exits_2_naming_file_and_line() {
    let env = env();
    env.write(".bakeoff.toml", "[race]\ntimeout = \"soon\"\n");
    let run = env.bakeoff(&["doctor"]);
    run.expect(2);
    let config = line_with(&run, "invalid");
    let file = env.repo.join(".bakeoff.toml");
    assert!(
        config.contains(&format!("{} line 2: race.timeout", file.display())),
        "{config}"
    );
    assert!(run.stdout().contains("the config is not usable"));
}

#[test]
fn config_layers_and_unknown_keys_are_listed() {
    let mut env = env();
    env.config("[race]\ntimout = \"5m\"\n");
    let run = env.bakeoff(&["doctor"]);
    run.expect(0);
    let user = env.home.join(".config/bakeoff/config.toml");
    assert!(line_with(&run, "loaded").contains("built-in defaults"));
    assert!(
        run.stdout().contains(&format!("loaded   {}", user.display())),
        "{}",
        run.stdout()
    );
    assert!(line_with(&run, "absent").contains(".bakeoff.toml"));
    let warning = line_with(&run, "warning");
    assert!(
        warning.contains("unknown key 'race.timout'") && warning.contains("did you mean 'timeout'?"),
        "{warning}"
    );
}

#[test]
fn outside_a_repository_says_where_and_goes_on() {
    let env = env();
    let elsewhere = env.root().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let run = env.bakeoff_in(&elsewhere, &["doctor"]);
    run.expect(0);
    let repo = line_with(&run, "repository");
    assert!(
        repo.contains(&format!("{} is not inside a git repository", elsewhere.display())),
        "{repo}"
    );
}

fn ping_env(server: &FakeProvider) -> TestEnv {
    let mut env = env();
    env.set_env("OPENAI_BASE_URL", &format!("{}/v1", server.base_url()));
    env.set_env("OPENAI_API_KEY", KEY);
    env.config("[review]\nreviewers = [\"openai/gpt-5.5\"]\n");
    env
}

#[test]
fn ping_reaches_the_reviewers_provider() {
    let server = FakeProvider::start_on_thread(Script::builder().text("pong").build()).unwrap();
    let env = ping_env(&server);
    let run = env.bakeoff(&["doctor", "--ping"]);
    run.expect(0);
    assert_no_key(&run);
    let ping = line_with(&run, "reachable");
    assert!(ping.contains("reviewer openai/gpt-5.5"), "{ping}");
    let turns: Vec<_> = server.requests().into_iter().filter(|r| r.is_turn()).collect();
    assert_eq!(turns.len(), 1, "one tiny request");
    assert_eq!(turns[0].path, "/v1/chat/completions");
    assert!(turns[0].body_text().contains("gpt-5.5"));
}

#[test]
fn ping_reports_a_rejected_key_and_exits_3() {
    let server = FakeProvider::start_on_thread(Script::builder().fault(Fault::Unauthorized).build()).unwrap();
    let env = ping_env(&server);
    let run = env.bakeoff(&["doctor", "--ping"]);
    run.expect(3);
    assert_no_key(&run);
    let ping = line_with(&run, "rejected");
    assert!(
        ping.contains("reviewer openai/gpt-5.5") && ping.contains("HTTP 401"),
        "{ping}"
    );
    assert!(
        ping.contains("Incorrect API key"),
        "the provider's message: {ping}"
    );
    assert_eq!(
        server.requests().iter().filter(|r| r.is_turn()).count(),
        1,
        "no retry"
    );
}

/// `--ping` tries each `[agents]` table for real, as a race lane, in a scratch repository:
/// one that answers is ready, one that fails says what its agent said, one stuck retrying
/// is stopped at the stall timeout with its last error; the user's checkout is untouched.
#[test]
fn ping_tries_each_agent_for_real() {
    let mut env = TestEnv::new();
    env.agent("good", "claude", "usage claude 1 100 10 0.0012 ready\n");
    env.agent("broken", "claude", "fail Invalid API key\nexit 1\n");
    let mut stuck = String::new();
    for n in 1..=50 {
        stuck.push_str(&format!(
            "say {{\"type\":\"error\",\"message\":\"Reconnecting... {n}/50\"}}\nsleep 200\n"
        ));
    }
    env.agent("stuck", "codex", &stuck);
    env.config("[race]\nstall-timeout = \"2s\"\n");
    let before = env.snapshot();
    let races = env.races();
    let run = env.bakeoff(&["doctor", "--ping"]);
    run.expect(3);
    let good = line_with(&run, "agent good");
    assert!(good.contains("answered in") && good.contains("$0.0012"), "{good}");
    let broken = line_with(&run, "agent broken");
    assert!(broken.contains("Invalid API key"), "{broken}");
    let stuck = line_with(&run, "agent stuck");
    assert!(
        stuck.contains("without progress") && stuck.contains("Reconnecting..."),
        "{stuck}"
    );
    assert!(run.stdout().contains("problems to fix"), "{}", run.stdout());
    assert_eq!(env.snapshot(), before, "the checkout is untouched");
    assert_eq!(env.races(), races, "no race recorded in the user's repository");
    let worktrees = env.home.join(".local/share/bakeoff/worktrees");
    let left: Vec<_> = std::fs::read_dir(&worktrees)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "the trials left worktrees: {left:?}");

    // `-a` tries just the one named.
    let run = env.bakeoff(&["doctor", "--ping", "-a", "good"]);
    run.expect(0);
    assert!(run
        .stdout()
        .contains("bakeoff is ready: the agents and reviewers tried answered"));
    assert!(!run.stdout().contains("agent broken"), "{}", run.stdout());
}
