//! The exact process a lane starts: program, argv (built without a shell), the complete
//! environment, and the per-lane files to write first. One function per adapter, as
//! laid out in DESIGN.md's adapter table.

use std::path::{Path, PathBuf};

use super::endpoint;
use super::env::{filter_secrets, set_var};
use super::error::AgentError;
use super::kind::AdapterKind;
use super::spec::AgentSpec;

/// Linux's limit on one argument's length (`MAX_ARG_STRLEN`, 32 pages), less the NUL.
pub const MAX_ARG_BYTES: usize = 131_071;

/// What the runner knows about a lane when it starts the agent.
#[derive(Clone, Copy, Debug)]
pub struct InvocationContext<'a> {
    /// The task text, passed unchanged.
    pub spec_text: &'a str,
    /// Absolute path of the spec file, outside the worktree.
    pub spec_file: &'a Path,
    pub worktree: &'a Path,
    /// A private directory per lane outside the worktree, for per-lane config files.
    pub lane_dir: &'a Path,
    pub max_cost_usd: Option<f64>,
    /// bakeoff's own environment.
    pub base_env: &'a [(String, String)],
    /// Whether bakeoff runs as root (`geteuid() == 0`), injected for tests.
    pub is_root: bool,
    /// bakeoff's own executable, which runs the built-in agent; `None` finds it with
    /// `std::env::current_exe()`.
    pub bakeoff_exe: Option<&'a Path>,
    /// The top of the user's work tree, whose `.bakeoff.toml` the built-in agent reads
    /// (the lane's worktree holds only what was committed).
    pub repo_top: Option<&'a Path>,
    /// `--config FILE` of the race, passed on to the built-in agent.
    pub config_file: Option<&'a Path>,
}

/// A ready-to-start agent process.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
    /// The complete environment of the child (it does not inherit bakeoff's).
    pub env: Vec<(String, String)>,
    /// Files to write before the start, with their contents.
    pub files: Vec<(PathBuf, String)>,
}

/// Builds the process for one lane's agent.
///
/// Every CLI gets the spec as one argument. A spec starting with `-` would be read as
/// a flag, so it goes after `--` (positional prompts) or as `--flag=SPEC` (prompt
/// options) instead; otherwise the argv is exactly DESIGN.md's.
pub fn invocation(spec: &AgentSpec, ctx: &InvocationContext) -> Result<Invocation, AgentError> {
    build(spec, ctx, None)
}

/// [`invocation`], continuing the CLI session `resume` where the adapter can (Claude
/// Code, Codex); the other adapters ignore it. `ctx.spec_text` is the prompt.
pub(super) fn build(
    spec: &AgentSpec,
    ctx: &InvocationContext,
    resume: Option<&str>,
) -> Result<Invocation, AgentError> {
    check_inputs(spec, ctx)?;
    let mut inv = Invocation {
        program: spec
            .program
            .clone()
            .or_else(|| spec.adapter.default_program().map(str::to_string))
            .unwrap_or_default(),
        args: Vec::new(),
        env: filter_secrets(spec, ctx.base_env),
        files: Vec::new(),
    };
    match spec.adapter {
        AdapterKind::Claude => claude(spec, ctx, resume, &mut inv),
        AdapterKind::Codex => codex(spec, ctx, resume, &mut inv),
        AdapterKind::Gemini => gemini(spec, ctx, &mut inv),
        AdapterKind::Aider => aider(spec, ctx, &mut inv),
        AdapterKind::OpenCode => opencode(spec, ctx, &mut inv)?,
        AdapterKind::Qwen => qwen(spec, ctx, &mut inv),
        AdapterKind::Command => command(spec, ctx, &mut inv)?,
        AdapterKind::Builtin => builtin(spec, ctx, &mut inv)?,
    }
    for (name, value) in &spec.env {
        set_var(&mut inv.env, name, value);
    }
    check_output(&inv)?;
    Ok(inv)
}

fn check_inputs(spec: &AgentSpec, ctx: &InvocationContext) -> Result<(), AgentError> {
    if let Some(cost) = ctx.max_cost_usd {
        if !(cost.is_finite() && cost > 0.0) {
            return Err(AgentError::BadMaxCost {
                value: cost.to_string(),
            });
        }
    }
    if let Some(url) = &spec.base_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(AgentError::BadBaseUrl { url: url.clone() });
        }
    }
    if spec.adapter == AdapterKind::Builtin && crate::provider::ModelRef::parse(&spec.model).is_err() {
        return Err(AgentError::BadModel {
            adapter: "builtin",
            model: spec.model.clone(),
            expected: "provider/model",
            example: "anthropic/claude-sonnet-4-6",
        });
    }
    if spec.adapter != AdapterKind::Command && spec.model.starts_with('-') {
        return Err(AgentError::BadModel {
            adapter: spec.adapter.as_str(),
            model: spec.model.clone(),
            expected: "a model id, not a flag",
            example: "claude-opus-4-6",
        });
    }
    if ctx.spec_text.contains('\0') {
        return Err(AgentError::BadArgument {
            what: "the spec".into(),
            reason: "contains a NUL byte (remove it)".into(),
        });
    }
    Ok(())
}

/// Arguments and variables must survive `execve`: no NUL bytes, no argument longer
/// than the kernel takes.
fn check_output(inv: &Invocation) -> Result<(), AgentError> {
    for arg in std::iter::once(&inv.program).chain(&inv.args) {
        if arg.contains('\0') {
            return Err(AgentError::BadArgument {
                what: format!("argument '{}'", arg.replace('\0', "\\0")),
                reason: "contains a NUL byte (remove it from the agent's config)".into(),
            });
        }
        if arg.len() > MAX_ARG_BYTES {
            return Err(AgentError::BadArgument {
                what: format!("an argument of {} bytes (the spec?)", arg.len()),
                reason: format!(
                    "is longer than the {MAX_ARG_BYTES} bytes one command-line argument may hold \
                     (shorten the spec, or use a command agent that reads {{spec_file}})"
                ),
            });
        }
    }
    for (name, value) in &inv.env {
        if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
            return Err(AgentError::BadArgument {
                what: format!("environment variable '{}'", name.replace('\0', "\\0")),
                reason: "has an empty name, or a NUL byte or '=' where it cannot be (fix [agents.NAME] env)"
                    .into(),
            });
        }
    }
    Ok(())
}

fn dash_led(text: &str) -> bool {
    text.starts_with('-')
}

/// A prompt given as an option value: `-p SPEC`, or `--long=SPEC` when the spec looks
/// like a flag.
fn prompt_option(short: &str, long: &str, text: &str) -> Vec<String> {
    if dash_led(text) {
        vec![format!("{long}={text}")]
    } else {
        vec![short.to_string(), text.to_string()]
    }
}

fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn claude(spec: &AgentSpec, ctx: &InvocationContext, resume: Option<&str>, inv: &mut Invocation) {
    // `-p` is a switch and the prompt is positional.
    let dash = dash_led(ctx.spec_text);
    if let Some(session) = resume {
        // Same HOME and cwd as the first run, so Claude Code finds the session's file.
        inv.args.extend(["--resume".into(), session.into()]);
    }
    inv.args.push("-p".into());
    if !dash {
        inv.args.push(ctx.spec_text.into());
    }
    inv.args.extend(strs(&[
        "--output-format",
        "stream-json",
        "--verbose",
        "--model",
        &spec.model,
        "--permission-mode",
        "bypassPermissions",
    ]));
    if let Some(cost) = ctx.max_cost_usd {
        inv.args.extend(["--max-budget-usd".into(), cost.to_string()]);
    }
    inv.args.extend(spec.args.iter().cloned());
    if dash {
        inv.args.extend(["--".into(), ctx.spec_text.into()]);
    }
    if ctx.is_root {
        // As root Claude Code refuses bypassPermissions unless told it is sandboxed.
        set_var(&mut inv.env, "IS_SANDBOX", "1");
    }
    if let Some(url) = &spec.base_url {
        set_var(&mut inv.env, "ANTHROPIC_BASE_URL", url);
        set_var(&mut inv.env, "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    }
}

fn codex(spec: &AgentSpec, ctx: &InvocationContext, resume: Option<&str>, inv: &mut Invocation) {
    inv.args.extend(strs(&[
        "exec",
        "--json",
        "-m",
        &spec.model,
        "-s",
        "workspace-write",
        "--skip-git-repo-check",
    ]));
    if let Some(thread) = resume {
        // `exec resume` has no `-s` of its own: every exec flag, the configured ones
        // too, goes before `resume`.
        inv.args.extend(spec.args.iter().cloned());
        inv.args.extend(["resume".into(), thread.into()]);
        if dash_led(ctx.spec_text) {
            inv.args.push("--".into());
        }
        inv.args.push(ctx.spec_text.into());
    } else if dash_led(ctx.spec_text) {
        inv.args.extend(spec.args.iter().cloned());
        inv.args.extend(["--".into(), ctx.spec_text.into()]);
    } else {
        inv.args.push(ctx.spec_text.into());
        inv.args.extend(spec.args.iter().cloned());
    }
    if let Some(url) = &spec.base_url {
        let home = endpoint::codex_home(ctx.lane_dir);
        inv.files
            .push((home.join("config.toml"), endpoint::codex_config(url)));
        set_var(&mut inv.env, "CODEX_HOME", &home.to_string_lossy());
    }
}

fn gemini(spec: &AgentSpec, ctx: &InvocationContext, inv: &mut Invocation) {
    inv.args.extend(prompt_option("-p", "--prompt", ctx.spec_text));
    inv.args
        .extend(strs(&["-m", &spec.model, "--output-format", "json", "--yolo"]));
    inv.args.extend(spec.args.iter().cloned());
    // bakeoff created the worktree, so it is trusted; without this a user who turned
    // on folder trust would see the headless run refuse to work in it.
    set_var(&mut inv.env, "GEMINI_CLI_TRUST_WORKSPACE", "true");
    if let Some(url) = &spec.base_url {
        let home = endpoint::gemini_home(ctx.lane_dir);
        set_var(&mut inv.env, "GOOGLE_GEMINI_BASE_URL", url);
        set_var(&mut inv.env, "HOME", &home.to_string_lossy());
        // Its error reports go to $TMPDIR; keep them with the lane.
        set_var(&mut inv.env, "TMPDIR", &home.to_string_lossy());
        inv.files.push((
            endpoint::gemini_settings_path(ctx.lane_dir),
            endpoint::gemini_settings(),
        ));
    }
}

fn aider(spec: &AgentSpec, ctx: &InvocationContext, inv: &mut Invocation) {
    inv.args
        .extend(prompt_option("--message", "--message", ctx.spec_text));
    inv.args.extend(strs(&[
        "--model",
        &spec.model,
        "--yes-always",
        "--no-auto-commits",
        "--no-dirty-commits",
        "--analytics-disable",
        "--no-check-update",
        "--no-pretty",
    ]));
    inv.args.extend(spec.args.iter().cloned());
    if let Some(url) = &spec.base_url {
        set_var(&mut inv.env, "OPENAI_API_BASE", url);
    }
}

fn opencode(spec: &AgentSpec, ctx: &InvocationContext, inv: &mut Invocation) -> Result<(), AgentError> {
    match spec.model.split_once('/') {
        Some((provider, model)) if !provider.is_empty() && !model.is_empty() => {}
        _ => {
            return Err(AgentError::BadModel {
                adapter: "opencode",
                model: spec.model.clone(),
                expected: "provider/model",
                example: "anthropic/claude-sonnet-4-6",
            })
        }
    }
    inv.args
        .extend(strs(&["run", "--format", "json", "-m", &spec.model]));
    if dash_led(ctx.spec_text) {
        inv.args.extend(spec.args.iter().cloned());
        inv.args.extend(["--".into(), ctx.spec_text.into()]);
    } else {
        inv.args.push(ctx.spec_text.into());
        inv.args.extend(spec.args.iter().cloned());
    }
    if let Some(url) = &spec.base_url {
        set_var(
            &mut inv.env,
            "OPENCODE_CONFIG_CONTENT",
            &endpoint::opencode_config(&spec.model, url),
        );
    }
    Ok(())
}

fn qwen(spec: &AgentSpec, ctx: &InvocationContext, inv: &mut Invocation) {
    inv.args.extend(prompt_option("-p", "--prompt", ctx.spec_text));
    inv.args
        .extend(strs(&["--output-format", "json", "--yolo", "-m", &spec.model]));
    inv.args.extend(spec.args.iter().cloned());
    if let Some(url) = &spec.base_url {
        set_var(&mut inv.env, "OPENAI_BASE_URL", url);
    }
}

fn command(spec: &AgentSpec, ctx: &InvocationContext, inv: &mut Invocation) -> Result<(), AgentError> {
    let spec_file = utf8(ctx.spec_file)?;
    let worktree = utf8(ctx.worktree)?;
    let fill = |template: &str| {
        substitute(template, &|name| match name {
            "spec_file" => Some(spec_file),
            "spec" => Some(ctx.spec_text),
            "model" => Some(spec.model.as_str()),
            "worktree" => Some(worktree),
            _ => None,
        })
    };
    let (first, rest) = spec.command.split_first().ok_or(AgentError::EmptyCommand)?;
    let first = fill(first);
    if first.trim().is_empty() && spec.program.is_none() {
        return Err(AgentError::EmptyCommand);
    }
    inv.program = spec.program.clone().unwrap_or(first);
    inv.args.extend(rest.iter().map(|t| fill(t)));
    inv.args.extend(spec.args.iter().cloned());
    Ok(())
}

/// bakeoff itself, as `bakeoff builtin-agent …` in the worktree. The agent loads the
/// same config layers as the race (the user's file, the repository's, `--config`), so
/// provider overrides reach it.
fn builtin(spec: &AgentSpec, ctx: &InvocationContext, inv: &mut Invocation) -> Result<(), AgentError> {
    inv.program = match (&spec.program, ctx.bakeoff_exe) {
        (Some(program), _) => program.clone(),
        (None, Some(exe)) => utf8(exe)?.to_string(),
        (None, None) => utf8(&super::locate::current_exe()?)?.to_string(),
    };
    inv.args.extend(strs(&[
        "builtin-agent",
        "--model",
        &spec.model,
        "--spec-file",
        utf8(ctx.spec_file)?,
    ]));
    if let Some(top) = ctx.repo_top {
        inv.args.extend(["--repo".into(), utf8(top)?.to_string()]);
    }
    if let Some(file) = ctx.config_file {
        inv.args.extend(["--config".into(), utf8(file)?.to_string()]);
    }
    if let Some(url) = &spec.base_url {
        inv.args.extend(["--base-url".into(), url.clone()]);
    }
    if let Some(cost) = ctx.max_cost_usd {
        inv.args.extend(["--max-cost".into(), cost.to_string()]);
    }
    // Later flags win, so the agent's configured args override the ones above.
    inv.args.extend(spec.args.iter().cloned());
    Ok(())
}

fn utf8(path: &Path) -> Result<&str, AgentError> {
    path.to_str().ok_or_else(|| AgentError::NonUtf8Path {
        path: path.to_string_lossy().into_owned(),
    })
}

/// Replaces `{name}` placeholders in one pass, so text that was substituted in (a spec
/// containing `{model}`) is never expanded again. Unknown `{...}` stays as written:
/// braces are common in shell snippets and JSON.
pub fn substitute<'v>(template: &str, value: &dyn Fn(&str) -> Option<&'v str>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| Some((close, value(&after[..close])?)))
        {
            Some((close, v)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
#[path = "invocation_tests.rs"]
mod tests;
