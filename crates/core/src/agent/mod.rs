//! Agent adapters: what the user asks for (`-a adapter:model`), the exact process each
//! agent CLI is started as (argv, a filtered environment, per-lane config files), where
//! its program is, and how its output is parsed into progress and an outcome.
//!
//! Everything specific to one CLI lives in its file under `adapters/`, behind the
//! [`Adapter`] trait; [`AdapterKind`]'s `adapter()` is the one place that lists them. The
//! files here are what every adapter shares. The built-in agent's loop, the child
//! process a `builtin:` lane starts, is the top-level `builtin_agent` module; only its
//! argv and its [`builtin_transcript`] format are the adapter's.

mod adapter;
mod adapters;
mod env;
mod error;
mod followup;
mod invocation;
mod kind;
mod locate;
mod output;
mod parse;
mod spec;

pub use adapter::Adapter;
pub use adapters::{
    builtin_transcript, AiderParser, BuiltinParser, ClaudeParser, CodexParser, GeminiParser, OpenCodeParser,
    SilentParser,
};
pub use env::{allowed_secrets, lane_env, model_provider, provider_secrets};
pub use error::AgentError;
pub use followup::{invocation_followup, resumed_cost_is_cumulative, resumes, FollowupInvocation};
pub use invocation::{invocation, substitute, Invocation, InvocationContext, MAX_ARG_BYTES};
pub use kind::AdapterKind;
pub use locate::locate_program;
pub use output::{parser_for, OutputParser, OutputStream, ParsedOutcome, Progress};
pub use parse::summarize;
pub use spec::{
    default_lane_name, parse_agent_arg, AgentArg, AgentSpec, AgentTarget, MAX_LANE_COUNT, MAX_LANE_NAME,
};
