//! What the adapters' table tests share: a lane's context, environments full of keys,
//! a fake `PATH`, and one runner per kind of table (invocations, invocation errors,
//! fix-round invocations, secrets), so each adapter's tests list only its own cases.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::agent::{invocation, invocation_followup, lane_env, AgentSpec, InvocationContext};
use crate::secret::{is_secret_name, KNOWN_SECRETS};

/// The spec of the invocation tables.
pub const SPEC: &str = "# Fix the retry loop\n\nMake `retry` back off.";

/// bakeoff's environment in the invocation tables: ordinary variables and some keys.
pub fn base_env() -> Vec<(String, String)> {
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

/// One row of an invocation table.
pub struct Case {
    pub name: &'static str,
    pub spec: AgentSpec,
    pub spec_text: &'static str,
    pub is_root: bool,
    pub max_cost: Option<f64>,
    pub program: &'static str,
    pub args: Vec<&'static str>,
    pub env_has: Vec<(&'static str, &'static str)>,
    pub env_lacks: Vec<&'static str>,
    /// (path relative to the lane dir, text the file contains)
    pub files: Vec<(&'static str, &'static str)>,
}

/// A row with [`SPEC`], no budget, not root, and only `PATH` and `HOME` checked.
pub fn case(name: &'static str, spec: AgentSpec, program: &'static str, args: Vec<&'static str>) -> Case {
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

/// `spec` with a custom endpoint.
pub fn with_url(mut spec: AgentSpec, url: &str) -> AgentSpec {
    spec.base_url = Some(url.to_string());
    spec
}

/// Builds every row's invocation and checks its program, argv, environment and files.
pub fn check_invocations(cases: Vec<Case>) {
    let env = base_env();
    let lane_dir = Path::new("/lanes/l1");
    for c in cases {
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

/// Checks that each `(spec, spec text, max cost, message)` row is refused with an
/// error containing the message.
pub fn check_invocation_errors(cases: Vec<(AgentSpec, &str, Option<f64>, &str)>) {
    let env = base_env();
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

/// The race's spec in the fix-round tables.
pub const FOLLOWUP_SPEC: &str = "Make `retry` back off.";
/// What the reviewers found, as a fix round's prompt.
pub const FINDINGS: &str = "Your change needs work:\n- [major] src/retry.rs:12 — no backoff";
/// Where a fresh fix round's prompt is written.
pub const PROMPT_FILE: &str = "/lane/round-2/prompt.md";

/// One row of a fix-round table.
pub struct Followup {
    pub name: &'static str,
    pub spec: AgentSpec,
    pub session: Option<&'static str>,
    pub findings: &'static str,
    pub resumed: Option<&'static str>,
    /// The exact argv; `None` to check only `args_contain`.
    pub args: Option<Vec<&'static str>>,
    pub args_contain: Vec<&'static str>,
}

/// A row for an agent that starts afresh with the spec and the findings.
pub fn fresh(name: &'static str, spec: AgentSpec, session: Option<&'static str>) -> Followup {
    Followup {
        name,
        spec,
        session,
        findings: FINDINGS,
        resumed: None,
        args: None,
        args_contain: vec![],
    }
}

/// The first run's context of a fix-round lane.
pub fn followup_ctx<'a>(env: &'a [(String, String)]) -> InvocationContext<'a> {
    InvocationContext {
        spec_text: FOLLOWUP_SPEC,
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

/// Builds every row's fix-round invocation and checks whether it resumed, its argv,
/// and the prompt (and prompt file) of a fresh run.
pub fn check_followups(cases: Vec<Followup>) {
    let env = vec![("PATH".to_string(), "/bin".to_string())];
    for c in cases {
        let got = invocation_followup(
            &c.spec,
            &followup_ctx(&env),
            c.session,
            c.findings,
            Path::new(PROMPT_FILE),
        )
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
                !args.iter().any(|a| a.contains(FOLLOWUP_SPEC)),
                "{}: resumed with the spec",
                c.name
            );
        } else {
            let (_, text) = prompt_file.unwrap_or_else(|| panic!("{}: no prompt file", c.name));
            assert!(
                text.starts_with(FOLLOWUP_SPEC) && text.ends_with(c.findings),
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

/// Every known secret set to a canary value, plus ordinary variables.
pub fn canary_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("PATH".into(), "/usr/bin".into()),
        ("HOME".into(), "/home/u".into()),
        ("SOME_VENDOR_API_KEY".into(), "canary".into()),
        ("INTERNAL_AUTH_TOKEN".into(), "canary".into()),
        ("MY_SECRET_KEY".into(), "canary".into()),
        ("HF_API_TOKEN".into(), "canary".into()),
        ("openai_api_key".into(), "canary".into()),
        ("ZHIPU_API_KEY".into(), "canary".into()),
        ("AZURE_API_KEY".into(), "canary".into()),
    ];
    env.extend(
        KNOWN_SECRETS
            .iter()
            .map(|k| (k.to_string(), format!("canary-{k}"))),
    );
    env
}

/// The names of the secrets in `env`.
pub fn secret_names(env: &[(String, String)]) -> BTreeSet<String> {
    env.iter()
        .filter(|(n, _)| is_secret_name(n))
        .map(|(n, _)| n.clone())
        .collect()
}

/// Checks that each lane sees exactly the listed secrets of [`canary_env`], and every
/// ordinary variable.
pub fn check_secrets(cases: Vec<(AgentSpec, &[&str])>) {
    let base = canary_env();
    for (spec, want) in cases {
        let env = lane_env(&spec, &base);
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(secret_names(&env), want, "{}:{}", spec.adapter, spec.model);
        // Ordinary variables always pass.
        assert!(env.iter().any(|(n, v)| n == "PATH" && v == "/usr/bin"));
        assert!(env.iter().any(|(n, _)| n == "HOME"));
    }
}

/// A `PATH` of two directories with some programs in them, and empty entries.
pub struct FakePath {
    _tmp: tempfile::TempDir,
    pub bin1: PathBuf,
    pub bin2: PathBuf,
    /// `::bin1:bin2`.
    pub path: String,
}

/// bin1 holds a non-executable `codex`, a mode-600 `plain` and a directory `claude`;
/// bin2 an executable `codex` and `my-agent`.
pub fn fake_path() -> FakePath {
    let tmp = tempfile::tempdir().unwrap();
    let bin1 = tmp.path().join("bin1");
    let bin2 = tmp.path().join("bin2");
    fs::create_dir_all(&bin1).unwrap();
    fs::create_dir_all(&bin2).unwrap();
    write(&bin1.join("codex"), 0o644); // not executable: skipped
    write(&bin2.join("codex"), 0o755);
    write(&bin2.join("my-agent"), 0o755);
    write(&bin1.join("plain"), 0o600);
    fs::create_dir_all(bin1.join("claude")).unwrap(); // a directory: skipped
    let path = format!("::{}:{}", bin1.display(), bin2.display());
    FakePath {
        _tmp: tmp,
        bin1,
        bin2,
        path,
    }
}

fn write(path: &Path, mode: u32) {
    fs::write(path, "#!/bin/sh\n").unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}
