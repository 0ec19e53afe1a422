//! OpenCode's process: argv and its config for an endpoint, the models it refuses, its
//! fix rounds, and the keys it sees for each provider.

use super::*;
use crate::agent::adapters::test_support::*;
use crate::agent::AdapterKind;

fn opencode() -> AgentSpec {
    AgentSpec::new(AdapterKind::OpenCode, "openrouter/qwen/qwen3-coder")
}

#[test]
fn invocations() {
    check_invocations(vec![
        Case {
            env_has: vec![("OPENROUTER_API_KEY", "or-key")],
            env_lacks: vec!["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENCODE_CONFIG_CONTENT"],
            ..case(
                "opencode",
                opencode(),
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
                with_url(opencode(), "http://127.0.0.1:9/v1"),
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
    ]);
}

#[test]
fn invocation_errors() {
    check_invocation_errors(vec![
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
    ]);
}

#[test]
fn followups() {
    check_followups(vec![fresh("opencode starts afresh", opencode(), Some("x"))]);
}

#[test]
fn secrets() {
    let spec = |model| AgentSpec::new(AdapterKind::OpenCode, model);
    check_secrets(vec![
        (spec("openrouter/qwen/qwen3-coder"), &["OPENROUTER_API_KEY"]),
        (spec("google/gemini-3-pro"), &["GEMINI_API_KEY", "GOOGLE_API_KEY"]),
        (spec("deepseek/deepseek-chat"), &["DEEPSEEK_API_KEY"]),
        (spec("zai/glm-4.6"), &["ZHIPUAI_API_KEY", "ZHIPU_API_KEY"]),
        (spec("azure/gpt-5"), &["AZURE_API_KEY", "AZURE_OPENAI_API_KEY"]),
        (
            spec("amazon-bedrock/claude"),
            &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"],
        ),
    ]);
}

#[test]
fn opencode_config_per_provider() {
    let v: serde_json::Value =
        serde_json::from_str(&opencode_config("anthropic/claude-sonnet-4-6", "http://h/v1")).unwrap();
    assert_eq!(v["provider"]["anthropic"]["options"]["baseURL"], "http://h/v1");
    assert!(v["provider"]["anthropic"].get("npm").is_none());

    let v: serde_json::Value =
        serde_json::from_str(&opencode_config("local/qwen3:32b", "http://h/v1")).unwrap();
    let p = &v["provider"]["local"];
    assert_eq!(p["npm"], "@ai-sdk/openai-compatible");
    assert_eq!(p["options"]["baseURL"], "http://h/v1");
    assert!(p["models"].get("qwen3:32b").is_some());
}
