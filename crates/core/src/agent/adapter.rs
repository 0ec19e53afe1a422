//! What bakeoff must know about one agent CLI, as one trait: the program it starts, the
//! keys it may see, its headless argv and per-lane files, whether a fix round continues
//! its session, how its output is read, and what `bakeoff agents` says about it. Each
//! CLI implements it in its own file under `adapters/`; the shared machinery
//! (invocation checks, secret filtering, PATH lookup) reaches a lane's adapter with
//! `spec.adapter.adapter()`.

use std::path::PathBuf;

use super::error::AgentError;
use super::invocation::{Invocation, InvocationContext};
use super::locate;
use super::output::OutputParser;
use super::spec::AgentSpec;

/// One agent CLI. Implementations are stateless unit structs: everything about a lane
/// comes in through the [`AgentSpec`] and [`InvocationContext`].
pub trait Adapter: Sync {
    /// The name users type before `:` (`claude`), also its `AdapterKind`'s serde name.
    fn name(&self) -> &'static str;

    /// The executable started unless the config overrides it; `None` for adapters
    /// whose program is not a CLI of their own (the command and built-in agents).
    fn default_program(&self) -> Option<&'static str>;

    /// How to install the CLI, for "not found" messages.
    fn install_hint(&self) -> Option<&'static str> {
        None
    }

    /// Where the program is when the config names none: by default the CLI on the
    /// lane's `PATH`. Adapters without a [`default_program`](Adapter::default_program)
    /// override this.
    fn locate_default(&self, _spec: &AgentSpec, path_env: Option<&str>) -> Result<PathBuf, AgentError> {
        match self.default_program() {
            Some(cli) => locate::find(cli, self.install_hint(), path_env),
            None => Err(AgentError::EmptyCommand),
        }
    }

    /// The secret variables the CLI reads for its own provider. Each is passed only
    /// when it is set; `keep_env` adds to them.
    fn secrets(&self, spec: &AgentSpec) -> Vec<&'static str>;

    /// Refuses a model id the CLI could not take, before anything is built. By default
    /// only a model that would read as a flag is refused.
    fn check_model(&self, model: &str) -> Result<(), AgentError> {
        not_a_flag(self.name(), model)
    }

    /// Writes the adapter's part of the process into `inv`, which arrives with the
    /// default program and the lane's filtered environment: the argv, the variables
    /// and per-lane files it needs (a custom endpoint's config among them). `resume`
    /// is the session to continue, given only to adapters that [`resumes`](Adapter::resumes).
    fn build(
        &self,
        spec: &AgentSpec,
        ctx: &InvocationContext,
        resume: Option<&str>,
        inv: &mut Invocation,
    ) -> Result<(), AgentError>;

    /// Whether the CLI can continue its own session headless, so a fix round sends it
    /// the findings alone.
    fn resumes(&self) -> bool {
        false
    }

    /// Whether the cost a resumed run reports covers the whole session rather than
    /// this run.
    fn resumed_cost_is_cumulative(&self) -> bool {
        false
    }

    /// A live parser for the CLI's output format, which has seen nothing yet.
    fn parser(&self) -> Box<dyn OutputParser>;

    /// The model `bakeoff agents` shows in the example command: the first shape the
    /// CLI accepts.
    fn example_model(&self) -> &'static str {
        "MODEL"
    }

    /// What `bakeoff agents` shows instead of a built command, for an adapter whose
    /// argv is the user's own.
    fn example_command(&self) -> Option<&'static str> {
        None
    }

    /// Where a lane's tokens and cost come from, for `bakeoff agents`.
    fn cost_source(&self) -> &'static str;

    /// The files under the user's HOME that hold the CLI's own sign-in (a subscription
    /// login), for a sandboxed lane with no key: shown to it read-only at the same place
    /// under its private HOME, and nothing else of the user's HOME. Listed per CLI in
    /// docs/sandbox.md.
    fn sign_in_files(&self) -> &'static [&'static str] {
        &[]
    }

    /// The environment variable that names the user's endpoint for this CLI's provider
    /// (`OPENAI_BASE_URL`, say), read as the lane's `base-url` when none is configured.
    fn base_url_var(&self) -> Option<&'static str> {
        None
    }

    /// The `host:port`s the CLI talks to by default (its provider's API and sign-in),
    /// the only ones a sandboxed lane reaches under `--network provider` when it has no
    /// `base-url`. Listed per CLI in docs/agent-clis.md.
    fn provider_hosts(&self) -> &'static [&'static str] {
        &[]
    }
}

/// A model id starting with `-` would be read as a flag by the CLI.
pub(super) fn not_a_flag(adapter: &'static str, model: &str) -> Result<(), AgentError> {
    if model.starts_with('-') {
        return Err(AgentError::BadModel {
            adapter,
            model: model.to_string(),
            expected: "a model id, not a flag",
            example: "claude-opus-4-6",
        });
    }
    Ok(())
}
