//! Table tests for `invocation_followup`: which adapters resume their session, the argv
//! of a resumed run, and the prompt (and prompt file) of a fresh one.

use std::path::Path;

use super::*;

const SPEC: &str = "Make `retry` back off.";
const FINDINGS: &str = "Your change needs work:\n- [major] src/retry.rs:12 — no backoff";
const PROMPT_FILE: &str = "/lane/round-2/prompt.md";

struct Case {
    name: &'static str,
    spec: AgentSpec,
    session: Option<&'static str>,
    findings: &'static str,
    resumed: Option<&'static str>,
    /// The exact argv; `None` to check only `args_contain`.
    args: Option<Vec<&'static str>>,
    args_contain: Vec<&'static str>,
}

fn cases() -> Vec<Case> {
    let claude = AgentSpec::new(AdapterKind::Claude, "claude-opus-4-6");
    let mut claude_args = claude.clone();
    claude_args.args = vec!["--max-turns".into(), "9".into()];
    let codex = AgentSpec::new(AdapterKind::Codex, "gpt-5.5");
    let mut codex_args = codex.clone();
    codex_args.args = vec!["-c".into(), "x=1".into()];
    let mut cmd = AgentSpec::new(AdapterKind::Command, "m1");
    cmd.command = vec!["./agent.sh".into(), "{spec_file}".into()];
    let fresh = |name, spec: AgentSpec, session| Case {
        name,
        spec,
        session,
        findings: FINDINGS,
        resumed: None,
        args: None,
        args_contain: vec![],
    };
    vec![
        Case {
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
        Case {
            name: "claude: a dash-led prompt goes after --",
            spec: claude.clone(),
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
        Case {
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
        },
        fresh("claude without a session starts afresh", claude.clone(), None),
        fresh(
            "gemini starts afresh",
            AgentSpec::new(AdapterKind::Gemini, "gemini-3-pro"),
            Some("g-session"),
        ),
        fresh(
            "aider starts afresh",
            AgentSpec::new(AdapterKind::Aider, "openai/gpt-5.5"),
            Some("x"),
        ),
        fresh(
            "opencode starts afresh",
            AgentSpec::new(AdapterKind::OpenCode, "openrouter/qwen/qwen3-coder"),
            Some("x"),
        ),
        fresh(
            "qwen starts afresh",
            AgentSpec::new(AdapterKind::Qwen, "qwen3-coder-plus"),
            Some("x"),
        ),
        Case {
            args_contain: vec![PROMPT_FILE],
            ..fresh("a command agent reads the prompt file", cmd, Some("x"))
        },
        Case {
            args_contain: vec!["--spec-file", PROMPT_FILE],
            ..fresh(
                "builtin reads the prompt file",
                AgentSpec::new(AdapterKind::Builtin, "anthropic/claude-sonnet-4-6"),
                Some("x"),
            )
        },
    ]
}

fn ctx<'a>(env: &'a [(String, String)]) -> InvocationContext<'a> {
    InvocationContext {
        spec_text: SPEC,
        spec_file: Path::new("/specs/task.md"),
        worktree: Path::new("/wt/l1"),
        lane_dir: Path::new("/lane/agent-home"),
        max_cost_usd: None,
        base_env: env,
        is_root: false,
        bakeoff_exe: Some(Path::new("/opt/bakeoff")),
        repo_top: None,
        config_file: None,
    }
}

#[test]
fn followup_invocations_per_adapter() {
    let env = vec![("PATH".to_string(), "/bin".to_string())];
    for c in cases() {
        let got = invocation_followup(&c.spec, &ctx(&env), c.session, c.findings, Path::new(PROMPT_FILE))
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        assert_eq!(got.resumed.as_deref(), c.resumed, "{}", c.name);
        let args = &got.invocation.args;
        if let Some(want) = &c.args {
            assert_eq!(args, want, "{}", c.name);
        }
        for want in &c.args_contain {
            assert!(
                args.iter().any(|a| a == want),
                "{}: {want} not in {args:?}",
                c.name
            );
        }
        let files = &got.invocation.files;
        let prompt_file = files.iter().find(|(p, _)| p == Path::new(PROMPT_FILE));
        if c.resumed.is_some() {
            assert!(
                prompt_file.is_none(),
                "{}: a resumed run needs no prompt file",
                c.name
            );
            assert!(
                !args.iter().any(|a| a.contains(SPEC)),
                "{}: resumed with the spec",
                c.name
            );
        } else {
            let (_, text) = prompt_file.unwrap_or_else(|| panic!("{}: no prompt file", c.name));
            assert!(
                text.starts_with(SPEC) && text.ends_with(c.findings),
                "{}: {text}",
                c.name
            );
            assert!(
                !args.iter().any(|a| a == "--resume" || a == "resume"),
                "{}",
                c.name
            );
        }
    }
}

#[test]
fn a_session_id_that_reads_as_a_flag_is_refused() {
    let env = vec![];
    let spec = AgentSpec::new(AdapterKind::Claude, "claude-opus-4-6");
    for id in ["--dangerous", "", "a\nb"] {
        let err =
            invocation_followup(&spec, &ctx(&env), Some(id), FINDINGS, Path::new(PROMPT_FILE)).expect_err(id);
        assert!(err.to_string().contains("session id"), "{err}");
    }
}
