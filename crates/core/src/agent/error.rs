//! The one error type of the agent module: every message names the thing that failed
//! and, where there is one, the fix.

use thiserror::Error;

use super::kind::known_names;

/// Everything that can go wrong while reading an agent argument, building an agent's
/// invocation or locating its program.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AgentError {
    /// `-a` was given nothing.
    #[error("empty agent (write adapter:model, e.g. claude:claude-opus-4-6, or the name of an [agents.NAME] table)")]
    EmptyAgent,

    /// The adapter before `:` is not one bakeoff knows.
    #[error("unknown adapter '{name}'{} (known: {})", in_input(.input), known_names())]
    UnknownAdapter {
        name: String,
        /// The whole argument the adapter came from, when there was one.
        input: Option<String>,
    },

    /// Nothing after `adapter:`.
    #[error("missing model in '{input}' (write adapter:model, e.g. {adapter}:MODEL)")]
    EmptyModel { input: String, adapter: String },

    /// The `*N` suffix is not a usable lane count.
    #[error("bad lane count '{count}' in '{input}': {reason} (write e.g. claude:claude-opus-4-6*3)")]
    BadCount {
        input: String,
        count: String,
        reason: String,
    },

    /// The `NAME=` prefix or a config table name cannot be used as a lane or table name.
    #[error("bad {what} '{name}' in '{input}': {reason}")]
    BadName {
        what: &'static str,
        name: String,
        input: String,
        reason: &'static str,
    },

    /// A command agent without an argv template.
    #[error("command agent has an empty command (set e.g. [agents.NAME] command = [\"my-agent\", \"--task\", \"{{spec_file}}\"])")]
    EmptyCommand,

    /// The model id does not have the form the CLI needs.
    #[error("{adapter} model '{model}' must be {expected} (e.g. {example})")]
    BadModel {
        adapter: &'static str,
        model: String,
        expected: &'static str,
        example: &'static str,
    },

    /// The cost cap is not a positive number.
    #[error("max cost {value} is not a positive number of US dollars (pass e.g. --max-cost 5)")]
    BadMaxCost { value: String },

    /// The custom endpoint is not an http(s) URL.
    #[error("base url '{url}' is not an http:// or https:// url (set e.g. base_url = \"http://127.0.0.1:8080/v1\")")]
    BadBaseUrl { url: String },

    /// An argument would not survive `execve`.
    #[error("{what} {reason}")]
    BadArgument { what: String, reason: String },

    /// A path bakeoff must pass on a command line is not valid UTF-8.
    #[error("path '{path}' is not valid utf-8 (move the repository or spec to a utf-8 path)")]
    NonUtf8Path { path: String },

    /// bakeoff cannot find its own executable to start the built-in agent with.
    #[error("cannot find the bakeoff executable to run the built-in agent: {reason} (set [agents.NAME] program = \"/path/to/bakeoff\")")]
    SelfNotFound { reason: String },

    /// The agent CLI is not on PATH.
    #[error("agent CLI '{program}' not found on PATH ({hint})")]
    ProgramNotFound { program: String, hint: String },

    /// The program override names something that is not an executable file.
    #[error("agent program '{path}' {reason} (fix the path, or chmod +x it)")]
    ProgramNotExecutable { path: String, reason: &'static str },
}

fn in_input(input: &Option<String>) -> String {
    match input {
        Some(input) => format!(" in '{input}'"),
        None => String::new(),
    }
}
