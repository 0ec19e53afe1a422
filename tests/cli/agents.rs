//! `bakeoff agents` and `bakeoff completions` through the real executable.

use crate::support::TestEnv;

#[test]
fn agents_lists_every_adapter_the_labs_and_config_overrides() {
    let mut env = TestEnv::new();
    env.config("[labs]\n\"my-finetune\" = \"Meta\"\n");
    let run = env.bakeoff(&["agents"]);
    run.expect(0);
    let out = run.stdout();
    for adapter in [
        "claude", "codex", "gemini", "aider", "opencode", "qwen", "command",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("  {adapter} "))),
            "{adapter} missing:\n{out}"
        );
    }
    assert!(out.contains("codex exec --json -m MODEL"), "{out}");
    for (lab, prefix) in [
        ("anthropic", "claude*"),
        ("openai", "gpt*"),
        ("google", "gemini*"),
        ("alibaba", "qwen*"),
        ("xai", "grok*"),
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("  {lab} ")))
            .unwrap_or_else(|| panic!("no {lab} line:\n{out}"));
        assert!(line.contains(prefix), "{line}");
    }
    let ours = out.lines().find(|l| l.contains("my-finetune*")).expect(&out);
    assert!(
        ours.contains("→ meta") && ours.contains("config [labs]"),
        "{ours}"
    );

    env.agent("fixer", "", "write a.txt a\\n\n");
    let json = env.bakeoff(&["agents", "--json"]);
    json.expect(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    let adapters: Vec<&str> = v["adapters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert!(
        adapters.contains(&"codex") && adapters.contains(&"command"),
        "{adapters:?}"
    );
    assert!(
        v["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "fixer" && a["adapter"] == "command"),
        "{v}"
    );
    assert!(
        v["labs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["prefix"] == "my-finetune" && l["from"] == "config"),
        "{v}"
    );
}

#[test]
fn completions_leave_hidden_commands_out() {
    let env = TestEnv::new();
    let run = env.bakeoff(&["completions", "bash"]);
    run.expect(0);
    let out = run.stdout();
    assert!(out.contains("race") && out.contains("review") && out.contains("doctor"));
    assert!(!out.contains("scripted-agent"), "a hidden command is offered");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let run = env.bakeoff(&["completions", shell]);
        run.expect(0);
        assert!(run.stdout().contains("merge"), "{shell}");
    }
    env.bakeoff(&["completions", "tcsh"]).expect(2);
}

#[test]
fn color_follows_the_color_flag_over_the_terminal_and_no_color() {
    let env = TestEnv::new();
    // The tests run with NO_COLOR=1 and no terminal: `always` still colors, `never` and
    // `auto` do not.
    let always = env.bakeoff(&["--color", "always", "agents"]);
    always.expect(0);
    assert!(always.stdout().contains("\x1b["), "{}", always.stdout());
    for when in ["never", "auto"] {
        let run = env.bakeoff(&["--color", when, "agents"]);
        run.expect(0);
        assert!(
            !run.stdout().contains("\x1b["),
            "--color {when}: {}",
            run.stdout()
        );
    }
    let bad = env.bakeoff(&["--color", "sometimes", "agents"]);
    bad.expect(2);
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let env = TestEnv::new();
    for args in [
        &["--help"][..],
        &["race", "--help"],
        &["bench", "--help"],
        &["review", "--help"],
        &["plan", "--help"],
        &["merge", "--help"],
        &["report", "--help"],
    ] {
        let run = env.bakeoff(args);
        run.expect(0);
        assert!(
            run.stdout().contains("Exit codes: 0"),
            "{args:?}:\n{}",
            run.stdout()
        );
        if args.len() == 2 {
            assert!(
                run.stdout().contains("Examples:\n  bakeoff "),
                "{args:?}:\n{}",
                run.stdout()
            );
        }
    }
}
