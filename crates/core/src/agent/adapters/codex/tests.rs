//! Codex's process: argv, environment and its per-lane config for an endpoint, what it
//! refuses, its resumed fix rounds, the keys it sees and where its program is.

use super::*;
use crate::agent::adapters::test_support::*;
use crate::agent::{locate_program, AdapterKind};

fn codex() -> AgentSpec {
    AgentSpec::new(AdapterKind::Codex, "gpt-5.5")
}

#[test]
fn invocations() {
    check_invocations(vec![
        Case {
            max_cost: Some(3.0),
            env_has: vec![("OPENAI_API_KEY", "sk-oai")],
            env_lacks: vec!["ANTHROPIC_API_KEY", "GEMINI_API_KEY", "CODEX_HOME"],
            ..case(
                "codex",
                codex(),
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
                with_url(codex(), "http://127.0.0.1:9/v1"),
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
                codex(),
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
    ]);
}

#[test]
fn invocation_errors() {
    check_invocation_errors(vec![(
        AgentSpec::new(AdapterKind::Codex, "--yolo"),
        SPEC,
        None,
        "codex model '--yolo' must be a model id",
    )]);
}

#[test]
fn followups() {
    let mut codex_args = codex();
    codex_args.args = vec!["-c".into(), "x=1".into()];
    check_followups(vec![Followup {
        name: "codex: exec flags, configured ones too, before resume",
        spec: codex_args,
        session: Some("thread-9"),
        findings: FINDINGS,
        resumed: Some("thread-9"),
        args: Some(vec![
            "exec",
            "--json",
            "-m",
            "gpt-5.5",
            "-s",
            "workspace-write",
            "--skip-git-repo-check",
            "-c",
            "x=1",
            "resume",
            "thread-9",
            FINDINGS,
        ]),
        args_contain: vec![],
    }]);
}

#[test]
fn secrets() {
    check_secrets(vec![(codex(), &["CODEX_API_KEY", "OPENAI_API_KEY"])]);
}

#[test]
fn locate() {
    let fake = fake_path();
    assert_eq!(
        locate_program(&codex(), Some(&fake.path)),
        Ok(fake.bin2.join("codex"))
    );
    let err = locate_program(&codex(), None).unwrap_err().to_string();
    assert!(
        err.contains("(PATH is not set; install it: npm install -g @openai/codex"),
        "{err}"
    );
}

#[test]
fn codex_config_is_valid_toml() {
    let text = codex_config("http://127.0.0.1:8080/v1?x=\"y\"");
    let value: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(value["model_provider"].as_str(), Some("bakeoff"));
    let p = &value["model_providers"]["bakeoff"];
    assert_eq!(p["base_url"].as_str(), Some("http://127.0.0.1:8080/v1?x=\"y\""));
    assert_eq!(p["env_key"].as_str(), Some("OPENAI_API_KEY"));
    assert_eq!(p["wire_api"].as_str(), Some("responses"));
    assert_eq!(p["name"].as_str(), Some("bakeoff"));
}
