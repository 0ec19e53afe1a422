//! `bakeoff builtin-agent` (hidden): the built-in agent as the child process a race
//! starts in a lane's worktree. Flags here, the loop in `bakeoff_core::builtin_agent`.

use std::path::{Path, PathBuf};

use clap::Args;

use bakeoff_core::builtin_agent::{self as builtin, BuiltinOptions, StopReason, Surroundings};
use bakeoff_core::error::exit;
use bakeoff_core::process::{cancel_pair, CancelLevel, Canceller};
use bakeoff_core::provider::ClientOptions;

/// Flags of `bakeoff builtin-agent`. Later flags win, so a lane's configured `args`
/// override what the race passes.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct BuiltinAgentArgs {
    /// The model as provider/model, e.g. anthropic/claude-sonnet-4-6.
    #[arg(long)]
    pub model: String,
    /// The task.
    #[arg(long, value_name = "FILE")]
    pub spec_file: PathBuf,
    /// The user's work tree, whose .bakeoff.toml is read (default: the repository
    /// around the current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// Call this base URL instead of the provider's.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Model turns at most.
    #[arg(long, default_value_t = builtin::DEFAULT_MAX_STEPS)]
    pub max_steps: u32,
    /// Stop once the run has cost this many US dollars (needs a known price).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Deadline of one command, e.g. 60s, 5m.
    #[arg(long, value_name = "DUR", default_value = "60s")]
    pub command_timeout: String,
    /// Bytes of a command's output the model sees (head and tail).
    #[arg(long, value_name = "BYTES", default_value_t = builtin::DEFAULT_OUTPUT_LIMIT)]
    pub output_limit: usize,
    /// Do not offer tools: the model answers with ```bash blocks (for APIs that reject
    /// tool definitions).
    #[arg(long)]
    pub no_tools: bool,
}

/// Runs the agent in `cwd` with the process's environment; the transcript goes to
/// stdout, a failure's message to stderr too.
pub async fn run(cwd: &Path, args: BuiltinAgentArgs, config: Option<&Path>) -> u8 {
    let command_timeout = match bakeoff_core::config::parse_duration(&args.command_timeout) {
        Ok(d) => d,
        Err(message) => {
            eprintln!("error: --command-timeout: {message}");
            return exit::USAGE;
        }
    };
    let opts = BuiltinOptions {
        model: args.model,
        spec_file: args.spec_file,
        repo: args.repo,
        config: config.map(Path::to_path_buf),
        base_url: args.base_url,
        max_steps: args.max_steps,
        max_cost_usd: args.max_cost,
        command_timeout,
        output_limit: args.output_limit,
        tools: !args.no_tools,
    };
    let (canceller, cancel) = cancel_pair();
    let watcher = tokio::spawn(on_signals(canceller));
    let around = Surroundings {
        cwd,
        env: std::env::vars().collect(),
        client_options: ClientOptions::default(),
        cancel,
    };
    let result = builtin::run(&opts, around, std::io::stdout().lock()).await;
    watcher.abort();
    match result {
        Ok(outcome) => {
            if let Some(error) = &outcome.error {
                eprintln!("error: {error}");
            }
            match outcome.reason {
                StopReason::Submitted | StopReason::Answered => exit::OK,
                StopReason::StepLimit | StopReason::CostLimit => exit::NO_WINNER,
                StopReason::ModelError => exit::PROVIDER,
                StopReason::Cancelled => exit::INTERRUPTED,
                StopReason::Error => exit::USAGE,
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_provider() {
                exit::PROVIDER
            } else {
                exit::USAGE
            }
        }
    }
}

/// SIGTERM (the lane's terminate sequence) or SIGINT stops the running command and the
/// loop; a second one kills the command at once. Without this the command, in its own
/// process group, would outlive the agent.
async fn on_signals(canceller: Canceller) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        return;
    };
    let mut level = CancelLevel::Graceful;
    loop {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        canceller.cancel(level);
        level = CancelLevel::Immediate;
    }
}
