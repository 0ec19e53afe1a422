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

/// What the completer offers for `words`, the cursor on the last one, asked the way the
/// registered scripts ask it; the flags it offers beside are left out.
fn complete(env: &TestEnv, words: &[&str]) -> Vec<String> {
    let mut cmd = env.command(&env.repo, &["--"]);
    cmd.args(words)
        .env("BAKEOFF_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n");
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|c| !c.starts_with('-'))
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_offer_commands_race_ids_lanes_and_agents() {
    let mut env = TestEnv::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = env.bakeoff(&["completions", shell]);
        run.expect(0);
        assert!(
            run.stdout().contains("BAKEOFF_COMPLETE"),
            "{shell}: {}",
            run.stdout()
        );
    }
    env.bakeoff(&["completions", "tcsh"]).expect(2);

    let commands = complete(&env, &["bakeoff", ""]);
    for name in ["race", "review", "doctor", "report", "completions"] {
        assert!(commands.iter().any(|c| c == name), "{name}: {commands:?}");
    }
    assert!(
        !commands.iter().any(|c| c == "scripted-agent"),
        "a hidden command is offered"
    );
    // No races yet: `last` alone, and completion does not fail.
    assert_eq!(complete(&env, &["bakeoff", "show", ""]), ["last"]);

    env.agent("tidy", "", "write src/lib.txt one\\n\n");
    env.agent("quick", "", "write src/lib.txt two\\n\n");
    env.bakeoff(&["race", "one", "-a", "tidy", "-a", "quick"])
        .expect(0);
    let id = env
        .last_race_dir()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for cmd in ["show", "merge", "report", "resume", "clean"] {
        let offered = complete(&env, &["bakeoff", cmd, ""]);
        assert_eq!(offered, ["last", id.as_str()], "{cmd}");
    }
    let prefix = &id[..8];
    assert_eq!(complete(&env, &["bakeoff", "show", prefix]), [id.as_str()]);
    let diff = complete(&env, &["bakeoff", "diff", ""]);
    for want in ["tidy", "quick", "last", id.as_str()] {
        assert!(diff.iter().any(|c| c == want), "{want}: {diff:?}");
    }
    assert_eq!(complete(&env, &["bakeoff", "merge", "--lane", "q"]), ["quick"]);
    let agents = complete(&env, &["bakeoff", "race", "x", "-a", ""]);
    for want in ["tidy", "quick", "claude:", "codex:", "gemini:", "builtin:"] {
        assert!(agents.iter().any(|c| c == want), "{want}: {agents:?}");
    }
}

/// The bash registration, sourced in a real bash: Tab after `bakeoff show ` offers the
/// race ids.
#[test]
fn the_bash_script_completes_in_bash() {
    let mut env = TestEnv::new();
    env.agent("tidy", "", "write src/lib.txt one\\n\n");
    env.bakeoff(&["race", "one", "-a", "tidy"]).expect(0);
    let id = env
        .last_race_dir()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let script = env.bakeoff(&["completions", "bash"]);
    script.expect(0);
    let path = env.root().join("bakeoff.bash");
    std::fs::write(&path, script.stdout()).unwrap();
    let bin = std::path::Path::new(crate::support::BAKEOFF).parent().unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(bakeoff show ''); COMP_CWORD=2; COMP_TYPE=9; \
             _clap_complete_bakeoff bakeoff '' show; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display()
        ))
        .current_dir(&env.repo)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("HOME", &env.home)
        .output()
        .unwrap();
    let offered = String::from_utf8_lossy(&out.stdout);
    assert!(
        offered.lines().any(|l| l.trim() == id),
        "{offered}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(offered.lines().any(|l| l.trim() == "last"), "{offered}");
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
        &["synthesize", "--help"],
        &["merge", "--help"],
        &["report", "--help"],
        &["resume", "--help"],
        &["list", "--help"],
        &["show", "--help"],
        &["diff", "--help"],
        &["clean", "--help"],
        &["demo", "--help"],
        &["doctor", "--help"],
        &["agents", "--help"],
        &["completions", "--help"],
        &["bench", "merge", "--help"],
        &["bench", "export", "--help"],
    ] {
        let run = env.bakeoff(args);
        run.expect(0);
        assert!(
            run.stdout().contains("Exit codes: 0"),
            "{args:?}:\n{}",
            run.stdout()
        );
        if args.len() >= 2 {
            assert!(
                run.stdout().contains("Examples:\n  bakeoff "),
                "{args:?}:\n{}",
                run.stdout()
            );
        }
    }
}
