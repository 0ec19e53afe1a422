//! Test machinery that the `bakeoff` release binary does not contain: the scripted fake
//! agent (run as the `scripted-agent` binary) and the fake provider with its fault
//! injection turned on.

pub mod scripted_agent;

pub use bakeoff_fake_provider as fake_provider;

/// The path of the `scripted-agent` binary built beside the test that asks, for agent
/// commands in a test's config: `[agents.X] command = [SCRIPTED_AGENT, "--script", …]`.
pub fn scripted_agent_exe() -> std::path::PathBuf {
    let mut dir = std::env::current_exe().expect("the test's own path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("scripted-agent")
}
