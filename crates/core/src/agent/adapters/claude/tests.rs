//! Claude Code's process: argv, environment and endpoint, what it refuses, its resumed
//! fix rounds, the keys it sees and where its program is. The checks every adapter
//! shares are exercised here too, through Claude.

use std::path::Path;

use crate::agent::adapters::test_support::*;
use crate::agent::{invocation_followup, lane_env, locate_program, AdapterKind, AgentSpec, MAX_ARG_BYTES};

fn claude() -> AgentSpec {
    AgentSpec::new(AdapterKind::Claude, "claude-opus-4-6")
}

fn claude_args() -> Vec<&'static str> {
    vec![
        "-p",
        SPEC,
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        "claude-opus-4-6",
        "--permission-mode",
        "bypassPermissions",
    ]
}

#[test]
fn invocations() {
    check_invocations(vec![
        Case {
            env_lacks: vec![
                "OPENAI_API_KEY",
                "GEMINI_API_KEY",
                "IS_SANDBOX",
                "ANTHROPIC_BASE_URL",
            ],
            env_has: vec![("ANTHROPIC_API_KEY", "sk-ant"), ("PATH", "/usr/bin:/bin")],
            ..case("claude", claude(), "claude", claude_args())
        },
        Case {
            is_root: true,
            max_cost: Some(2.5),
            env_has: vec![("IS_SANDBOX", "1")],
            ..case("claude as root with a budget", claude(), "claude", {
                let mut a = claude_args();
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
                with_url(claude(), "http://127.0.0.1:9/"),
                "claude",
                claude_args(),
            )
        },
        Case {
            spec_text: "- fix it",
            ..case(
                "claude with dash-led spec and extra args",
                {
                    let mut s = claude();
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
    ]);
}

/// The checks of every adapter's inputs and process, through Claude.
#[test]
fn invocation_errors() {
    let long = "x".repeat(MAX_ARG_BYTES + 1);
    let mut nul_env = AgentSpec::new(AdapterKind::Claude, "opus");
    nul_env.env.insert("X".into(), "a\0b".into());
    let opus = || AgentSpec::new(AdapterKind::Claude, "opus");
    check_invocation_errors(vec![
        (opus(), SPEC, Some(-1.0), "max cost -1 is not a positive number"),
        (opus(), SPEC, Some(f64::NAN), "max cost NaN"),
        (opus(), "a\0b", None, "the spec contains a NUL byte"),
        (opus(), &long, None, "longer than the 131071 bytes"),
        (nul_env, SPEC, None, "environment variable 'X'"),
    ]);
}

#[test]
fn followups() {
    let mut claude_args = claude();
    claude_args.args = vec!["--max-turns".into(), "9".into()];
    check_followups(vec![
        Followup {
            name: "claude resumes its session with the findings alone",
            spec: claude_args,
            session: Some("5f0c-session"),
            findings: FINDINGS,
            resumed: Some("5f0c-session"),
            args: Some(vec![
                "--resume",
                "5f0c-session",
                "-p",
                FINDINGS,
                "--output-format",
                "stream-json",
                "--verbose",
                "--model",
                "claude-opus-4-6",
                "--permission-mode",
                "bypassPermissions",
                "--max-turns",
                "9",
            ]),
            args_contain: vec![],
        },
        Followup {
            name: "claude: a dash-led prompt goes after --",
            spec: claude(),
            session: Some("s1"),
            findings: "- [major] a.rs — wrong",
            resumed: Some("s1"),
            args: Some(vec![
                "--resume",
                "s1",
                "-p",
                "--output-format",
                "stream-json",
                "--verbose",
                "--model",
                "claude-opus-4-6",
                "--permission-mode",
                "bypassPermissions",
                "--",
                "- [major] a.rs — wrong",
            ]),
            args_contain: vec![],
        },
        fresh("claude without a session starts afresh", claude(), None),
    ]);
}

#[test]
fn a_session_id_that_reads_as_a_flag_is_refused() {
    let env = vec![];
    let spec = claude();
    for id in ["--dangerous", "", "a\nb"] {
        let err = invocation_followup(
            &spec,
            &followup_ctx(&env),
            Some(id),
            FINDINGS,
            Path::new(PROMPT_FILE),
        )
        .expect_err(id);
        assert!(err.to_string().contains("session id"), "{err}");
    }
}

#[test]
fn secrets() {
    check_secrets(vec![(
        claude(),
        &[
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
        ],
    )]);
}

#[test]
fn keys_are_never_demanded() {
    let base = vec![("PATH".to_string(), "/bin".to_string())];
    let env = lane_env(&AgentSpec::new(AdapterKind::Claude, "opus"), &base);
    assert_eq!(env, base);
}

/// Program lookup every adapter shares, through Claude: overrides by path, and the
/// messages when nothing usable is there.
#[test]
fn locate() {
    let fake = fake_path();
    let path = &fake.path;

    let mut by_path = AgentSpec::new(AdapterKind::Claude, "opus");
    let abs = fake.bin2.join("my-agent");
    by_path.program = Some(abs.display().to_string());
    assert_eq!(locate_program(&by_path, None), Ok(abs));

    let claude = AgentSpec::new(AdapterKind::Claude, "opus");
    let err = locate_program(&claude, Some(path)).unwrap_err().to_string();
    assert_eq!(err, "agent CLI 'claude' not found on PATH (install it: npm install -g @anthropic-ai/claude-code, or set [agents.NAME] program = \"/path/to/claude\")");

    let mut not_exec = claude.clone();
    not_exec.program = Some(fake.bin1.join("plain").display().to_string());
    let err = locate_program(&not_exec, Some(path)).unwrap_err().to_string();
    assert!(
        err.ends_with("plain' is not executable (fix the path, or chmod +x it)"),
        "{err}"
    );

    let mut missing = claude.clone();
    missing.program = Some("/nonexistent/claude".into());
    let err = locate_program(&missing, Some(path)).unwrap_err().to_string();
    assert_eq!(
        err,
        "agent program '/nonexistent/claude' does not exist (fix the path, or chmod +x it)"
    );

    let mut dir = claude.clone();
    dir.program = Some(fake.bin1.display().to_string());
    assert!(locate_program(&dir, Some(path))
        .unwrap_err()
        .to_string()
        .contains("is a directory"));
}
