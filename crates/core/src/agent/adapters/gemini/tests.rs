//! Gemini CLI's process: argv, environment and its per-lane HOME for an endpoint, its
//! fix rounds, and the keys it sees.

use super::*;
use crate::agent::adapters::test_support::*;
use crate::agent::AdapterKind;

fn gemini() -> AgentSpec {
    AgentSpec::new(AdapterKind::Gemini, "gemini-3-pro")
}

#[test]
fn invocations() {
    check_invocations(vec![
        // Only a key, and the user's HOME chooses no sign-in: the lane's own HOME selects
        // API-key sign-in, else Gemini CLI exits 41.
        Case {
            env_has: vec![
                ("GEMINI_API_KEY", "g-key"),
                ("GEMINI_CLI_TRUST_WORKSPACE", "true"),
                ("HOME", "/lanes/l1/gemini-home"),
            ],
            env_lacks: vec!["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_GEMINI_BASE_URL"],
            files: vec![(
                "gemini-home/.gemini/settings.json",
                "\"selectedType\": \"gemini-api-key\"",
            )],
            ..case(
                "gemini with a key only",
                gemini(),
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
                with_url(gemini(), "http://127.0.0.1:9"),
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
    ]);
}

#[test]
fn followups() {
    check_followups(vec![fresh("gemini starts afresh", gemini(), Some("g-session"))]);
}

#[test]
fn secrets() {
    check_secrets(vec![(gemini(), &["GEMINI_API_KEY", "GOOGLE_API_KEY"])]);
}

#[test]
fn gemini_settings_select_api_key_auth() {
    let v: serde_json::Value = serde_json::from_str(&gemini_settings()).unwrap();
    assert_eq!(v["security"]["auth"]["selectedType"], "gemini-api-key");
}
