//! Table tests for `invocation`: argv, environment and files per adapter.

use std::path::Path;

use super::*;

const SPEC: &str = "# Fix the retry loop\n\nMake `retry` back off.";

fn base_env() -> Vec<(String, String)> {
    [
        ("PATH", "/usr/bin:/bin"),
        ("HOME", "/home/u"),
        ("ANTHROPIC_API_KEY", "sk-ant"),
        ("OPENAI_API_KEY", "sk-oai"),
        ("GEMINI_API_KEY", "g-key"),
        ("OPENROUTER_API_KEY", "or-key"),
        ("DASHSCOPE_API_KEY", "ds-key"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

struct Case {
    name: &'static str,
    spec: AgentSpec,
    spec_text: &'static str,
    is_root: bool,
    max_cost: Option<f64>,
    program: &'static str,
    args: Vec<&'static str>,
    env_has: Vec<(&'static str, &'static str)>,
    env_lacks: Vec<&'static str>,
    /// (path relative to the lane dir, text the file contains)
    files: Vec<(&'static str, &'static str)>,
}

fn case(name: &'static str, spec: AgentSpec, program: &'static str, args: Vec<&'static str>) -> Case {
    Case {
        name,
        spec,
        spec_text: SPEC,
        is_root: false,
        max_cost: None,
        program,
        args,
        env_has: vec![("PATH", "/usr/bin:/bin"), ("HOME", "/home/u")],
        env_lacks: vec![],
        files: vec![],
    }
}

fn with_url(mut spec: AgentSpec, url: &str) -> AgentSpec {
    spec.base_url = Some(url.to_string());
    spec
}

fn cases() -> Vec<Case> {
    let claude = AgentSpec::new(AdapterKind::Claude, "claude-opus-4-6");
    let codex = AgentSpec::new(AdapterKind::Codex, "gpt-5.5");
    let gemini = AgentSpec::new(AdapterKind::Gemini, "gemini-3-pro");
    let aider = AgentSpec::new(AdapterKind::Aider, "openai/gpt-5.5");
    let opencode = AgentSpec::new(AdapterKind::OpenCode, "openrouter/qwen/qwen3-coder");
    let qwen = AgentSpec::new(AdapterKind::Qwen, "qwen3-coder-plus");
    let mut cmd = AgentSpec::new(AdapterKind::Command, "m1");
    cmd.command = [
        "./agent.sh",
        "--task={spec_file}",
        "{spec}",
        "-m",
        "{model}",
        "--cwd",
        "{worktree}",
        "{other}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    cmd.args = vec!["--fast".into()];
    cmd.keep_env = vec!["OPENROUTER_API_KEY".into()];

    let claude_args = vec![
        "-p",
        SPEC,
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        "claude-opus-4-6",
        "--permission-mode",
        "bypassPermissions",
    ];
    vec![
        Case {
            env_lacks: vec![
                "OPENAI_API_KEY",
                "GEMINI_API_KEY",
                "IS_SANDBOX",
                "ANTHROPIC_BASE_URL",
            ],
            env_has: vec![("ANTHROPIC_API_KEY", "sk-ant"), ("PATH", "/usr/bin:/bin")],
            ..case("claude", claude.clone(), "claude", claude_args.clone())
        },
        Case {
            is_root: true,
            max_cost: Some(2.5),
            env_has: vec![("IS_SANDBOX", "1")],
            ..case("claude as root with a budget", claude.clone(), "claude", {
                let mut a = claude_args.clone();
                a.extend(["--max-budget-usd", "2.5"]);
                a
            })
        },
        Case {
            env_has: vec![
                ("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/"),
                ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
                ("ANTHROPIC_API_KEY", "sk-ant"),
            ],
            ..case(
                "claude with endpoint",
                with_url(claude.clone(), "http://127.0.0.1:9/"),
                "claude",
                claude_args.clone(),
            )
        },
        Case {
            spec_text: "- fix it",
            ..case(
                "claude with dash-led spec and extra args",
                {
                    let mut s = claude.clone();
                    s.args = vec!["--max-turns".into(), "40".into()];
                    s.program = Some("/opt/claude".into());
                    s
                },
                "/opt/claude",
                vec![
                    "-p",
                    "--output-format",
                    "stream-json",
                    "--verbose",
                    "--model",
                    "claude-opus-4-6",
                    "--permission-mode",
                    "bypassPermissions",
                    "--max-turns",
                    "40",
                    "--",
                    "- fix it",
                ],
            )
        },
        Case {
            max_cost: Some(3.0),
            env_has: vec![("OPENAI_API_KEY", "sk-oai")],
            env_lacks: vec!["ANTHROPIC_API_KEY", "GEMINI_API_KEY", "CODEX_HOME"],
            ..case(
                "codex",
                codex.clone(),
                "codex",
                vec![
                    "exec",
                    "--json",
                    "-m",
                    "gpt-5.5",
                    "-s",
                    "workspace-write",
                    "--skip-git-repo-check",
                    SPEC,
                ],
            )
        },
        Case {
            env_has: vec![("CODEX_HOME", "/lanes/l1/codex-home")],
            files: vec![("codex-home/config.toml", "base_url = \"http://127.0.0.1:9/v1\"")],
            ..case(
                "codex with endpoint",
                with_url(codex.clone(), "http://127.0.0.1:9/v1"),
                "codex",
                vec![
                    "exec",
                    "--json",
                    "-m",
                    "gpt-5.5",
                    "-s",
                    "workspace-write",
                    "--skip-git-repo-check",
                    SPEC,
                ],
            )
        },
        Case {
            spec_text: "--help me",
            ..case(
                "codex with dash-led spec",
                codex.clone(),
                "codex",
                vec![
                    "exec",
                    "--json",
                    "-m",
                    "gpt-5.5",
                    "-s",
                    "workspace-write",
                    "--skip-git-repo-check",
                    "--",
                    "--help me",
                ],
            )
        },
        Case {
            env_has: vec![
                ("GEMINI_API_KEY", "g-key"),
                ("GEMINI_CLI_TRUST_WORKSPACE", "true"),
            ],
            env_lacks: vec![
                "OPENAI_API_KEY",
                "ANTHROPIC_API_KEY",
                "GOOGLE_GEMINI_BASE_URL",
                "TMPDIR",
            ],
            ..case(
                "gemini",
                gemini.clone(),
                "gemini",
                vec![
                    "-p",
                    SPEC,
                    "-m",
                    "gemini-3-pro",
                    "--output-format",
                    "json",
                    "--yolo",
                ],
            )
        },
        Case {
            env_has: vec![
                ("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:9"),
                ("GEMINI_CLI_TRUST_WORKSPACE", "true"),
                ("HOME", "/lanes/l1/gemini-home"),
                ("TMPDIR", "/lanes/l1/gemini-home"),
            ],
            files: vec![(
                "gemini-home/.gemini/settings.json",
                "\"selectedType\": \"gemini-api-key\"",
            )],
            spec_text: "-x",
            ..case(
                "gemini with endpoint and dash-led spec",
                with_url(gemini.clone(), "http://127.0.0.1:9"),
                "gemini",
                vec![
                    "--prompt=-x",
                    "-m",
                    "gemini-3-pro",
                    "--output-format",
                    "json",
                    "--yolo",
                ],
            )
        },
        Case {
            env_has: vec![("OPENAI_API_KEY", "sk-oai")],
            env_lacks: vec!["ANTHROPIC_API_KEY", "OPENAI_API_BASE"],
            ..case(
                "aider",
                aider.clone(),
                "aider",
                vec![
                    "--message",
                    SPEC,
                    "--model",
                    "openai/gpt-5.5",
                    "--yes-always",
                    "--no-auto-commits",
                    "--no-dirty-commits",
                    "--analytics-disable",
                    "--no-check-update",
                    "--no-pretty",
                ],
            )
        },
        Case {
            env_has: vec![
                ("OPENAI_API_BASE", "https://llm.internal/v1"),
                ("OPENAI_API_KEY", "sk-oai"),
            ],
            spec_text: "-m",
            ..case(
                "aider with endpoint",
                with_url(aider.clone(), "https://llm.internal/v1"),
                "aider",
                vec![
                    "--message=-m",
                    "--model",
                    "openai/gpt-5.5",
                    "--yes-always",
                    "--no-auto-commits",
                    "--no-dirty-commits",
                    "--analytics-disable",
                    "--no-check-update",
                    "--no-pretty",
                ],
            )
        },
        Case {
            env_has: vec![("OPENROUTER_API_KEY", "or-key")],
            env_lacks: vec!["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENCODE_CONFIG_CONTENT"],
            ..case(
                "opencode",
                opencode.clone(),
                "opencode",
                vec![
                    "run",
                    "--format",
                    "json",
                    "-m",
                    "openrouter/qwen/qwen3-coder",
                    SPEC,
                ],
            )
        },
        Case {
            env_has: vec![(
                "OPENCODE_CONFIG_CONTENT",
                r#"{"$schema":"https://opencode.ai/config.json","provider":{"openrouter":{"options":{"baseURL":"http://127.0.0.1:9/v1"}}}}"#,
            )],
            spec_text: "-",
            ..case(
                "opencode with endpoint and dash-led spec",
                with_url(opencode.clone(), "http://127.0.0.1:9/v1"),
                "opencode",
                vec![
                    "run",
                    "--format",
                    "json",
                    "-m",
                    "openrouter/qwen/qwen3-coder",
                    "--",
                    "-",
                ],
            )
        },
        Case {
            env_has: vec![("OPENAI_API_KEY", "sk-oai"), ("DASHSCOPE_API_KEY", "ds-key")],
            env_lacks: vec!["ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENAI_BASE_URL"],
            ..case(
                "qwen",
                qwen.clone(),
                "qwen",
                vec![
                    "-p",
                    SPEC,
                    "--output-format",
                    "json",
                    "--yolo",
                    "-m",
                    "qwen3-coder-plus",
                ],
            )
        },
        Case {
            env_has: vec![("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")],
            ..case(
                "qwen with endpoint",
                with_url(qwen.clone(), "http://127.0.0.1:9/v1"),
                "qwen",
                vec![
                    "-p",
                    SPEC,
                    "--output-format",
                    "json",
                    "--yolo",
                    "-m",
                    "qwen3-coder-plus",
                ],
            )
        },
        Case {
            spec_text: "use {model} here",
            env_has: vec![("OPENROUTER_API_KEY", "or-key")],
            env_lacks: vec![
                "OPENAI_API_KEY",
                "ANTHROPIC_API_KEY",
                "GEMINI_API_KEY",
                "DASHSCOPE_API_KEY",
            ],
            ..case(
                "command",
                cmd.clone(),
                "./agent.sh",
                vec![
                    "--task=/specs/task.md",
                    "use {model} here",
                    "-m",
                    "m1",
                    "--cwd",
                    "/wt/l1",
                    "{other}",
                    "--fast",
                ],
            )
        },
        Case {
            env_has: vec![("EXTRA", "1"), ("HOME", "/lane/home")],
            ..case(
                "command with program override and env",
                {
                    let mut s = cmd.clone();
                    s.program = Some("/usr/local/bin/agent".into());
                    s.env.insert("EXTRA".into(), "1".into());
                    s.env.insert("HOME".into(), "/lane/home".into());
                    s.args.clear();
                    s
                },
                "/usr/local/bin/agent",
                vec![
                    "--task=/specs/task.md",
                    SPEC,
                    "-m",
                    "m1",
                    "--cwd",
                    "/wt/l1",
                    "{other}",
                ],
            )
        },
        Case {
            env_has: vec![("ANTHROPIC_API_KEY", "sk-ant"), ("PATH", "/usr/bin:/bin")],
            env_lacks: vec![
                "OPENAI_API_KEY",
                "GEMINI_API_KEY",
                "OPENROUTER_API_KEY",
                "DASHSCOPE_API_KEY",
            ],
            ..case(
                "builtin",
                AgentSpec::new(AdapterKind::Builtin, "anthropic/claude-sonnet-4-6"),
                "/opt/bakeoff",
                vec![
                    "builtin-agent",
                    "--model",
                    "anthropic/claude-sonnet-4-6",
                    "--spec-file",
                    "/specs/task.md",
                    "--repo",
                    "/repo",
                ],
            )
        },
        Case {
            max_cost: Some(2.5),
            spec_text: "- a dash-led spec is read from the file",
            env_has: vec![("OPENROUTER_API_KEY", "or-key")],
            env_lacks: vec!["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"],
            ..case(
                "builtin with endpoint, budget and args",
                {
                    let mut s = with_url(
                        AgentSpec::new(AdapterKind::Builtin, "openrouter/qwen/qwen3-coder"),
                        "http://127.0.0.1:9/v1",
                    );
                    s.args = vec!["--max-steps".into(), "5".into()];
                    s
                },
                "/opt/bakeoff",
                vec![
                    "builtin-agent",
                    "--model",
                    "openrouter/qwen/qwen3-coder",
                    "--spec-file",
                    "/specs/task.md",
                    "--repo",
                    "/repo",
                    "--base-url",
                    "http://127.0.0.1:9/v1",
                    "--max-cost",
                    "2.5",
                    "--max-steps",
                    "5",
                ],
            )
        },
    ]
}

#[test]
fn invocations_per_adapter() {
    let env = base_env();
    let lane_dir = Path::new("/lanes/l1");
    for c in cases() {
        let ctx = InvocationContext {
            spec_text: c.spec_text,
            spec_file: Path::new("/specs/task.md"),
            worktree: Path::new("/wt/l1"),
            lane_dir,
            max_cost_usd: c.max_cost,
            base_env: &env,
            is_root: c.is_root,
            bakeoff_exe: Some(Path::new("/opt/bakeoff")),
            repo_top: Some(Path::new("/repo")),
            config_file: None,
        };
        let inv = invocation(&c.spec, &ctx).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(inv.program, c.program, "{}", c.name);
        assert_eq!(inv.args, c.args, "{}", c.name);
        for (name, value) in &c.env_has {
            let got = inv.env.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            assert_eq!(got, Some(*value), "{}: env {name}", c.name);
        }
        for name in &c.env_lacks {
            assert!(
                !inv.env.iter().any(|(n, _)| n == name),
                "{}: env has {name}",
                c.name
            );
        }
        assert_eq!(
            inv.files.len(),
            c.files.len(),
            "{}: files {:?}",
            c.name,
            inv.files
        );
        for ((path, text), (want_path, want_text)) in inv.files.iter().zip(&c.files) {
            assert_eq!(path, &lane_dir.join(want_path), "{}", c.name);
            assert!(text.contains(want_text), "{}: {text}", c.name);
        }
        // Files always live outside the worktree.
        assert!(inv.files.iter().all(|(p, _)| !p.starts_with("/wt")));
    }
}

#[test]
fn invocation_errors() {
    let env = base_env();
    let long = "x".repeat(MAX_ARG_BYTES + 1);
    let mut empty_cmd = AgentSpec::new(AdapterKind::Command, "m");
    empty_cmd.command = vec![];
    let mut blank_cmd = AgentSpec::new(AdapterKind::Command, "m");
    blank_cmd.command = vec!["  ".into()];
    let mut nul_env = AgentSpec::new(AdapterKind::Claude, "opus");
    nul_env.env.insert("X".into(), "a\0b".into());
    let cases: Vec<(AgentSpec, &str, Option<f64>, &str)> = vec![
        (empty_cmd, SPEC, None, "command agent has an empty command"),
        (blank_cmd, SPEC, None, "command agent has an empty command"),
        (
            AgentSpec::new(AdapterKind::OpenCode, "gpt-5"),
            SPEC,
            None,
            "opencode model 'gpt-5' must be provider/model",
        ),
        (
            AgentSpec::new(AdapterKind::OpenCode, "/gpt-5"),
            SPEC,
            None,
            "must be provider/model",
        ),
        (
            AgentSpec::new(AdapterKind::Codex, "--yolo"),
            SPEC,
            None,
            "codex model '--yolo' must be a model id",
        ),
        (
            AgentSpec::new(AdapterKind::Claude, "opus"),
            SPEC,
            Some(-1.0),
            "max cost -1 is not a positive number",
        ),
        (
            AgentSpec::new(AdapterKind::Claude, "opus"),
            SPEC,
            Some(f64::NAN),
            "max cost NaN",
        ),
        (
            with_url(AgentSpec::new(AdapterKind::Qwen, "q"), "localhost:8080"),
            SPEC,
            None,
            "base url 'localhost:8080' is not an http",
        ),
        (
            AgentSpec::new(AdapterKind::Claude, "opus"),
            "a\0b",
            None,
            "the spec contains a NUL byte",
        ),
        (
            AgentSpec::new(AdapterKind::Claude, "opus"),
            &long,
            None,
            "longer than the 131071 bytes",
        ),
        (nul_env, SPEC, None, "environment variable 'X'"),
        (
            AgentSpec::new(AdapterKind::Builtin, "claude-sonnet-4-6"),
            SPEC,
            None,
            "builtin model 'claude-sonnet-4-6' must be provider/model (e.g. anthropic/claude-sonnet-4-6)",
        ),
    ];
    for (spec, text, cost, want) in cases {
        let ctx = InvocationContext {
            spec_text: text,
            spec_file: Path::new("/s.md"),
            worktree: Path::new("/wt"),
            lane_dir: Path::new("/lane"),
            max_cost_usd: cost,
            base_env: &env,
            is_root: false,
            bakeoff_exe: None,
            repo_top: None,
            config_file: None,
        };
        let err = invocation(&spec, &ctx).expect_err(want).to_string();
        assert!(err.contains(want), "got {err:?}, want {want:?}");
    }
}

#[test]
fn substitute_cases() {
    let value = |name: &str| match name {
        "a" => Some("A{b}"),
        "b" => Some("B"),
        _ => None,
    };
    let cases = [
        ("{a}", "A{b}"),
        ("x{b}y{b}", "xByB"),
        ("{c}{b}", "{c}B"),
        ("{{b}}", "{B}"),
        ("{", "{"),
        ("}{", "}{"),
        ("{b", "{b"),
        ("é{b}ü", "éBü"),
        ("", ""),
    ];
    for (template, want) in cases {
        assert_eq!(substitute(template, &value), want, "{template}");
    }
}

#[test]
fn empty_command_message_shows_placeholder() {
    assert_eq!(
        AgentError::EmptyCommand.to_string(),
        "command agent has an empty command (set e.g. [agents.NAME] command = [\"my-agent\", \"--task\", \"{spec_file}\"])"
    );
}
