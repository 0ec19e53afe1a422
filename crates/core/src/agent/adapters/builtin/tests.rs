//! The built-in agent's process: argv with and without an endpoint and budget, the
//! models it refuses, its fix rounds, the keys it sees and where its program is.

use crate::agent::adapters::test_support::*;
use crate::agent::{locate_program, AdapterKind, AgentSpec};

fn builtin(model: &str) -> AgentSpec {
    AgentSpec::new(AdapterKind::Builtin, model)
}

#[test]
fn invocations() {
    check_invocations(vec![
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
                builtin("anthropic/claude-sonnet-4-6"),
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
                    let mut s = with_url(builtin("openrouter/qwen/qwen3-coder"), "http://127.0.0.1:9/v1");
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
    ]);
}

#[test]
fn invocation_errors() {
    check_invocation_errors(vec![(
        builtin("claude-sonnet-4-6"),
        SPEC,
        None,
        "builtin model 'claude-sonnet-4-6' must be provider/model (e.g. anthropic/claude-sonnet-4-6)",
    )]);
}

#[test]
fn followups() {
    check_followups(vec![Followup {
        args_contain: vec!["--spec-file", PROMPT_FILE],
        ..fresh(
            "builtin reads the prompt file",
            builtin("anthropic/claude-sonnet-4-6"),
            Some("x"),
        )
    }]);
}

#[test]
fn secrets() {
    check_secrets(vec![
        (builtin("anthropic/claude-sonnet-4-6"), &["ANTHROPIC_API_KEY"]),
        (builtin("openai/gpt-5.5"), &["OPENAI_API_KEY"]),
        (builtin("openai-responses/gpt-5.5"), &["OPENAI_API_KEY"]),
        (
            builtin("google/gemini-3-pro"),
            &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        ),
        (builtin("openrouter/qwen/qwen3-coder"), &["OPENROUTER_API_KEY"]),
        (builtin("ollama/qwen3"), &[]),
        (builtin("nope/x"), &[]),
    ]);
}

/// The built-in agent is bakeoff itself: found without PATH.
#[test]
fn locate() {
    assert_eq!(
        locate_program(&builtin("anthropic/claude-sonnet-4-6"), None),
        Ok(std::env::current_exe().unwrap())
    );
}
