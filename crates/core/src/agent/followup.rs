//! The process of a fix round: the lane's agent hears what its reviewers found. An
//! adapter that [`resumes`] (Claude Code, Codex) continues its own session, so the
//! prompt is the findings alone; every other adapter, and a CLI whose first run
//! reported no session, starts afresh with the spec followed by the findings. Each
//! adapter's tests hold its fix-round argv.

use std::path::Path;

use super::error::AgentError;
use super::invocation::{build, Invocation, InvocationContext};
use super::kind::AdapterKind;
use super::spec::AgentSpec;

/// A fix round's agent process and how it hears the findings.
#[derive(Clone, Debug, PartialEq)]
pub struct FollowupInvocation {
    pub invocation: Invocation,
    /// The session it continues; `None` for a fresh run.
    pub resumed: Option<String>,
}

/// Builds the process of a fix round in the same worktree.
///
/// `ctx` is the lane's first context (its `spec_text` the race's spec); `session_id` is
/// what the previous run reported; `findings` is the distilled follow-up text. A fresh
/// run gets `spec + findings` both as its prompt and in `prompt_file`, written before
/// the start, because the built-in and command agents read their task from a file.
pub fn invocation_followup(
    spec: &AgentSpec,
    ctx: &InvocationContext,
    session_id: Option<&str>,
    findings: &str,
    prompt_file: &Path,
) -> Result<FollowupInvocation, AgentError> {
    let resume = session_id.filter(|_| resumes(spec.adapter));
    if let Some(id) = resume {
        check_session_id(id)?;
        let ctx = InvocationContext {
            spec_text: findings,
            ..*ctx
        };
        return Ok(FollowupInvocation {
            invocation: build(spec, &ctx, Some(id))?,
            resumed: Some(id.to_string()),
        });
    }
    let prompt = fresh_prompt(ctx.spec_text, findings);
    let ctx = InvocationContext {
        spec_text: &prompt,
        spec_file: prompt_file,
        ..*ctx
    };
    let mut invocation = build(spec, &ctx, None)?;
    invocation.files.push((prompt_file.to_path_buf(), prompt.clone()));
    Ok(FollowupInvocation {
        invocation,
        resumed: None,
    })
}

/// Whether the adapter's CLI can continue a session headless, as measured in
/// docs/agent-clis.md.
pub fn resumes(adapter: AdapterKind) -> bool {
    adapter.adapter().resumes()
}

/// Whether the cost a resumed run reports covers the whole session rather than this run
/// (Claude Code's `total_cost_usd` does).
pub fn resumed_cost_is_cumulative(adapter: AdapterKind) -> bool {
    adapter.adapter().resumed_cost_is_cumulative()
}

/// A fresh run knows nothing of the first: the task comes first, then what to fix.
fn fresh_prompt(spec: &str, findings: &str) -> String {
    format!(
        "{spec}\n\n---\n\nThe worktree already holds an earlier attempt at this task. \
         Keep what is right and fix what follows.\n\n{findings}"
    )
}

/// A session id comes from the agent's own output: it must not read as a flag.
fn check_session_id(id: &str) -> Result<(), AgentError> {
    if id.is_empty() || id.starts_with('-') || id.contains(['\0', '\n']) {
        return Err(AgentError::BadArgument {
            what: format!("session id '{}'", id.escape_debug()),
            reason: "is not one a CLI can resume (the agent's output reported it)".into(),
        });
    }
    Ok(())
}
