//! The exact process a lane starts: program, argv (built without a shell), the complete
//! environment, and the per-lane files to write first. The checks every agent's process
//! passes and the argv helpers live here; each CLI's own argv is its adapter's
//! [`Adapter::build`].

use std::path::{Path, PathBuf};

use super::adapter::Adapter;
use super::env::{filter_secrets, set_var};
use super::error::AgentError;
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

/// [`invocation`], continuing the CLI session `resume`, which is only given for an
/// adapter that resumes. `ctx.spec_text` is the prompt.
pub(super) fn build(
    spec: &AgentSpec,
    ctx: &InvocationContext,
    resume: Option<&str>,
) -> Result<Invocation, AgentError> {
    let adapter = spec.adapter.adapter();
    check_inputs(adapter, spec, ctx)?;
    let mut inv = Invocation {
        program: spec
            .program
            .clone()
            .or_else(|| adapter.default_program().map(str::to_string))
            .unwrap_or_default(),
        args: Vec::new(),
        env: filter_secrets(spec, ctx.base_env),
        files: Vec::new(),
    };
    adapter.build(spec, ctx, resume, &mut inv)?;
    for (name, value) in &spec.env {
        set_var(&mut inv.env, name, value);
    }
    check_output(&inv)?;
    Ok(inv)
}

fn check_inputs(adapter: &dyn Adapter, spec: &AgentSpec, ctx: &InvocationContext) -> Result<(), AgentError> {
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
    adapter.check_model(&spec.model)?;
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

/// Whether the text would be read as a flag where a CLI expects a positional prompt.
pub(super) fn dash_led(text: &str) -> bool {
    text.starts_with('-')
}

/// A prompt given as an option value: `-p SPEC`, or `--long=SPEC` when the spec looks
/// like a flag.
pub(super) fn prompt_option(short: &str, long: &str, text: &str) -> Vec<String> {
    if dash_led(text) {
        vec![format!("{long}={text}")]
    } else {
        vec![short.to_string(), text.to_string()]
    }
}

/// Owned copies of argv words.
pub(super) fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A path as the UTF-8 text a command line needs.
pub(super) fn utf8(path: &Path) -> Result<&str, AgentError> {
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
mod tests {
    use super::*;

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
}
