//! aider's process: argv and environment with and without an endpoint, its fix rounds,
//! and the keys it sees for each provider.

use crate::agent::adapters::test_support::*;
use crate::agent::{lane_env, AdapterKind, AgentSpec};

fn aider() -> AgentSpec {
    AgentSpec::new(AdapterKind::Aider, "openai/gpt-5.5")
}

#[test]
fn invocations() {
    check_invocations(vec![
        Case {
            env_has: vec![("OPENAI_API_KEY", "sk-oai")],
            env_lacks: vec!["ANTHROPIC_API_KEY", "OPENAI_API_BASE"],
            ..case(
                "aider",
                aider(),
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
                with_url(aider(), "https://llm.internal/v1"),
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
    ]);
}

#[test]
fn followups() {
    check_followups(vec![fresh("aider starts afresh", aider(), Some("x"))]);
}

#[test]
fn secrets() {
    let spec = |model| AgentSpec::new(AdapterKind::Aider, model);
    check_secrets(vec![
        (spec("openai/gpt-5.5"), &["OPENAI_API_KEY"]),
        (spec("anthropic/claude-sonnet-4-6"), &["ANTHROPIC_API_KEY"]),
        (spec("gemini/gemini-3-pro"), &["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
        (spec("gpt-5.5"), &["OPENAI_API_KEY"]),
        (spec("sonnet"), &["ANTHROPIC_API_KEY"]),
        (spec("ollama/qwen3:32b"), &[]),
    ]);
}

#[test]
fn aider_with_endpoint_keeps_openai_key() {
    let mut s = AgentSpec::new(AdapterKind::Aider, "openai/my-local-model");
    s.base_url = Some("http://127.0.0.1:9/v1".into());
    assert!(secret_names(&lane_env(&s, &canary_env())).contains("OPENAI_API_KEY"));
    let s = AgentSpec::new(AdapterKind::Aider, "ollama/x");
    assert!(!secret_names(&lane_env(&s, &canary_env())).contains("OPENAI_API_KEY"));
}
