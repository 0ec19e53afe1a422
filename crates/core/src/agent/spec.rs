//! What a lane's agent is: the resolved [`AgentSpec`], and the `-a` argument users type
//! to ask for one (`[NAME=]adapter:model[*N]` or `NAME[*N]`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::AgentError;
use super::kind::AdapterKind;

/// The most lanes one `-a` argument may ask for.
pub const MAX_LANE_COUNT: u32 = 64;

/// The longest lane name, so branch names and terminal lines stay readable.
pub const MAX_LANE_NAME: usize = 40;

/// A lane's agent, fully resolved from the command line and config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentSpec {
    pub adapter: AdapterKind,
    pub model: String,
    /// Path or name of the CLI, overriding the adapter's default program.
    #[serde(default)]
    pub program: Option<String>,
    /// Extra arguments appended after the adapter's own.
    #[serde(default)]
    pub args: Vec<String>,
    /// Argv template of a command agent; placeholders `{spec_file}`, `{spec}`,
    /// `{model}`, `{worktree}` are replaced in every element.
    #[serde(default)]
    pub command: Vec<String>,
    /// Command agents only: parse the output as this CLI's format.
    #[serde(default)]
    pub parser: Option<AdapterKind>,
    /// Extra environment, applied last.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A custom endpoint the CLI should call instead of its provider's.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Names of secret variables this agent may see besides the ones its adapter needs.
    #[serde(default)]
    pub keep_env: Vec<String>,
}

impl AgentSpec {
    /// A spec with the adapter's defaults for everything but the model.
    pub fn new(adapter: AdapterKind, model: impl Into<String>) -> AgentSpec {
        AgentSpec {
            adapter,
            model: model.into(),
            program: None,
            args: Vec::new(),
            command: Vec::new(),
            parser: None,
            env: BTreeMap::new(),
            base_url: None,
            keep_env: Vec::new(),
        }
    }

    /// The CLI whose output format this agent prints, if any: the adapter itself, or
    /// for a command agent the parser it names.
    pub fn output_format(&self) -> Option<AdapterKind> {
        match self.adapter {
            AdapterKind::Command => self.parser.filter(|p| *p != AdapterKind::Command),
            other => Some(other),
        }
    }
}

/// One `-a` argument as the user typed it.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentArg {
    /// The `NAME=` prefix, when given.
    pub lane_name: Option<String>,
    pub target: AgentTarget,
    /// How many lanes of this agent (`*N`), 1 when not given.
    pub count: u32,
}

/// What an `-a` argument points at.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentTarget {
    /// `adapter:model`.
    Inline { adapter: AdapterKind, model: String },
    /// The name of an `[agents.NAME]` config table.
    Named(String),
}

/// Reads one `-a` argument: `[NAME=]adapter:model[*N]` or `[NAME=]TABLE[*N]`.
///
/// The model is everything after the first `:`, so Ollama-style ids such as
/// `aider:ollama/qwen3:32b` keep their colon.
pub fn parse_agent_arg(s: &str) -> Result<AgentArg, AgentError> {
    let input = s.trim();
    if input.is_empty() {
        return Err(AgentError::EmptyAgent);
    }

    let (body, count) = match input.rsplit_once('*') {
        Some((body, count)) => (body.trim_end(), parse_count(input, count.trim())?),
        None => (input, 1),
    };

    // `=` names the lane only when it comes before the adapter's `:`; after it, it is
    // part of the model.
    let colon = body.find(':');
    let (lane_name, body) = match body.find('=') {
        Some(eq) if colon.is_none_or(|c| eq < c) => {
            let name = body[..eq].trim();
            check_name("lane name", name, input)?;
            (Some(name.to_string()), body[eq + 1..].trim_start())
        }
        _ => (None, body),
    };

    let target = match body.split_once(':') {
        Some((adapter, model)) => {
            let adapter_name = adapter.trim();
            let adapter = match adapter_name.parse::<AdapterKind>() {
                Ok(kind) => kind,
                Err(_) => {
                    return Err(AgentError::UnknownAdapter {
                        name: adapter_name.to_string(),
                        input: Some(input.to_string()),
                    })
                }
            };
            let model = model.trim();
            if model.is_empty() {
                return Err(AgentError::EmptyModel {
                    input: input.to_string(),
                    adapter: adapter.as_str().to_string(),
                });
            }
            AgentTarget::Inline {
                adapter,
                model: model.to_string(),
            }
        }
        None => {
            let name = body.trim();
            check_name("agent name", name, input)?;
            AgentTarget::Named(name.to_string())
        }
    };

    Ok(AgentArg {
        lane_name,
        target,
        count,
    })
}

fn parse_count(input: &str, count: &str) -> Result<u32, AgentError> {
    let bad = |reason: &str| AgentError::BadCount {
        input: input.to_string(),
        count: count.to_string(),
        reason: reason.to_string(),
    };
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a whole number"));
    }
    // All digits, so the only failure left is overflow.
    let n: u64 = count.parse().unwrap_or(u64::MAX);
    if n == 0 {
        return Err(bad("must be at least 1"));
    }
    if n > u64::from(MAX_LANE_COUNT) {
        return Err(bad(&format!("at most {MAX_LANE_COUNT} lanes per agent")));
    }
    // n <= 64 here.
    Ok(n as u32)
}

/// Lane and table names end up in branch names (`bakeoff/<race>/<lane>`), so they keep
/// to a charset git and shells never misread.
fn check_name(what: &'static str, name: &str, input: &str) -> Result<(), AgentError> {
    let bad = |reason: &'static str| AgentError::BadName {
        what,
        name: name.to_string(),
        input: input.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.chars().count() > MAX_LANE_NAME {
        return Err(bad("longer than 40 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(bad("use only letters, digits, '-', '_' and '.'"));
    }
    if name.starts_with(['-', '.']) || name.ends_with('.') || name.contains("..") {
        return Err(bad(
            "it may not start with '-' or '.', end with '.', or contain '..'",
        ));
    }
    if name.ends_with(".lock") {
        return Err(bad("it may not end with '.lock'"));
    }
    Ok(())
}

/// A lane name made from the adapter and model: lowercase, only `[a-z0-9.-]`, other
/// runs turned into one `-`, at most 40 characters. The adapter is left out when the
/// model already starts with it (`gemini:gemini-3-pro` → `gemini-3-pro`), so names stay
/// short.
pub fn default_lane_name(adapter: AdapterKind, model: &str) -> String {
    let model = slug(model);
    let prefix = adapter.as_str();
    let full = if model.is_empty() {
        prefix.to_string()
    } else if model == prefix
        || model
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('-'))
    {
        model
    } else {
        format!("{prefix}-{model}")
    };
    let mut name: String = full.chars().take(MAX_LANE_NAME).collect();
    while name.ends_with(['-', '.']) {
        name.pop();
    }
    if name.ends_with(".lock") {
        name.truncate(name.len() - ".lock".len());
        name.push_str("-lock");
    }
    name
}

/// Lowercase `[a-z0-9.-]` with runs of anything else as one `-`, no `..`, and no
/// leading or trailing `-`/`.`.
fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
            c
        } else {
            '-'
        };
        let last = out.chars().last();
        if (c == '-' && last == Some('-')) || (c == '.' && last == Some('.')) {
            continue;
        }
        out.push(c);
    }
    out.trim_matches(['-', '.']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline(adapter: AdapterKind, model: &str) -> AgentTarget {
        AgentTarget::Inline {
            adapter,
            model: model.to_string(),
        }
    }

    #[test]
    fn valid_agent_args() {
        let cases: Vec<(&str, Option<&str>, AgentTarget, u32)> = vec![
            (
                "claude:claude-opus-4-6",
                None,
                inline(AdapterKind::Claude, "claude-opus-4-6"),
                1,
            ),
            (
                "claude:claude-opus-4-6*3",
                None,
                inline(AdapterKind::Claude, "claude-opus-4-6"),
                3,
            ),
            (
                "  codex:gpt-5.5 * 2 ",
                None,
                inline(AdapterKind::Codex, "gpt-5.5"),
                2,
            ),
            (
                "fast=gemini:gemini-3-flash",
                Some("fast"),
                inline(AdapterKind::Gemini, "gemini-3-flash"),
                1,
            ),
            (
                "a1=aider:openai/gpt-5.5*64",
                Some("a1"),
                inline(AdapterKind::Aider, "openai/gpt-5.5"),
                64,
            ),
            (
                "aider:ollama/qwen3:32b",
                None,
                inline(AdapterKind::Aider, "ollama/qwen3:32b"),
                1,
            ),
            ("command:x=y", None, inline(AdapterKind::Command, "x=y"), 1),
            (
                "OpenCode:anthropic/claude-sonnet-4-6",
                None,
                inline(AdapterKind::OpenCode, "anthropic/claude-sonnet-4-6"),
                1,
            ),
            (
                "builtin:anthropic/claude-sonnet-4-6",
                None,
                inline(AdapterKind::Builtin, "anthropic/claude-sonnet-4-6"),
                1,
            ),
            (
                "q=builtin:openrouter/qwen/qwen3-coder*2",
                Some("q"),
                inline(AdapterKind::Builtin, "openrouter/qwen/qwen3-coder"),
                2,
            ),
            (
                "builtin:ollama/qwen3",
                None,
                inline(AdapterKind::Builtin, "ollama/qwen3"),
                1,
            ),
            ("my-agent", None, AgentTarget::Named("my-agent".into()), 1),
            ("my_agent*2", None, AgentTarget::Named("my_agent".into()), 2),
            (
                "lane=my-agent",
                Some("lane"),
                AgentTarget::Named("my-agent".into()),
                1,
            ),
        ];
        for (input, lane, target, count) in cases {
            let got = parse_agent_arg(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                got,
                AgentArg {
                    lane_name: lane.map(str::to_string),
                    target,
                    count
                },
                "input {input:?}"
            );
        }
    }

    #[test]
    fn invalid_agent_args() {
        let cases: &[(&str, &str)] = &[
            ("", "empty agent"),
            ("   ", "empty agent"),
            ("claude:", "missing model in 'claude:' (write adapter:model, e.g. claude:MODEL)"),
            ("claude:  *2", "missing model in 'claude:  *2'"),
            ("cladue:opus", "unknown adapter 'cladue' in 'cladue:opus' (known: claude, codex, gemini, aider, opencode, qwen, command, builtin)"),
            (":opus", "unknown adapter '' in ':opus'"),
            ("claude:opus*0", "bad lane count '0' in 'claude:opus*0': must be at least 1"),
            ("claude:opus*65", "bad lane count '65' in 'claude:opus*65': at most 64 lanes per agent"),
            ("claude:opus*99999999999999999999999", "at most 64 lanes per agent"),
            ("claude:opus*x", "bad lane count 'x' in 'claude:opus*x': not a whole number"),
            ("claude:opus*", "bad lane count '' in 'claude:opus*': not a whole number"),
            ("claude:opus*-1", "not a whole number"),
            ("claude:opus*1.5", "not a whole number"),
            ("=claude:opus", "bad lane name '' in '=claude:opus': it is empty"),
            ("a b=claude:opus", "bad lane name 'a b'"),
            ("-x=claude:opus", "may not start with '-'"),
            ("x..y=claude:opus", "contain '..'"),
            ("x.lock=claude:opus", "may not end with '.lock'"),
            ("my agent", "bad agent name 'my agent'"),
            ("ünï", "bad agent name"),
        ];
        for (input, want) in cases {
            let err = parse_agent_arg(input).expect_err(input).to_string();
            assert!(err.contains(want), "input {input:?}: got {err:?}, want {want:?}");
        }
    }

    #[test]
    fn lane_names() {
        let cases: &[(AdapterKind, &str, &str)] = &[
            (AdapterKind::Claude, "claude-opus-4-6", "claude-opus-4-6"),
            (AdapterKind::Claude, "opus", "claude-opus"),
            (AdapterKind::Claude, "claudex", "claude-claudex"),
            (AdapterKind::Codex, "gpt-5.5", "codex-gpt-5.5"),
            (AdapterKind::Gemini, "gemini-3-pro", "gemini-3-pro"),
            (AdapterKind::Aider, "openai/gpt-5.5", "aider-openai-gpt-5.5"),
            (AdapterKind::Aider, "ollama/qwen3:32b", "aider-ollama-qwen3-32b"),
            (
                AdapterKind::OpenCode,
                "Anthropic/Claude Sonnet 4.6",
                "opencode-anthropic-claude-sonnet-4.6",
            ),
            (AdapterKind::Qwen, "__qwen3..coder__", "qwen-qwen3.coder"),
            (AdapterKind::Command, "", "command"),
            (AdapterKind::Command, "///", "command"),
            (AdapterKind::Command, "模型", "command"),
            (
                AdapterKind::OpenCode,
                "openrouter/qwen/qwen3-coder-480b-a35b-instruct",
                "opencode-openrouter-qwen-qwen3-coder-480",
            ),
            (AdapterKind::Command, "x.lock", "command-x-lock"),
            (
                AdapterKind::Command,
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b",
                "command-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ),
        ];
        for (adapter, model, want) in cases {
            let got = default_lane_name(*adapter, model);
            assert_eq!(&got, want, "{adapter}:{model}");
            assert!(got.len() <= MAX_LANE_NAME);
            assert!(got
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'));
        }
    }

    #[test]
    fn spec_deserializes_with_defaults() {
        let spec: AgentSpec =
            serde_json::from_str(r#"{"adapter":"opencode","model":"openai/gpt-5.5"}"#).unwrap();
        assert_eq!(spec, AgentSpec::new(AdapterKind::OpenCode, "openai/gpt-5.5"));
    }

    #[test]
    fn output_format() {
        let mut spec = AgentSpec::new(AdapterKind::Command, "m");
        assert_eq!(spec.output_format(), None);
        spec.parser = Some(AdapterKind::Command);
        assert_eq!(spec.output_format(), None);
        spec.parser = Some(AdapterKind::Codex);
        assert_eq!(spec.output_format(), Some(AdapterKind::Codex));
        assert_eq!(
            AgentSpec::new(AdapterKind::Qwen, "m").output_format(),
            Some(AdapterKind::Qwen)
        );
    }
}
