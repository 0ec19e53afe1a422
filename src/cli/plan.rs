//! `bakeoff plan`: a model of any provider writes the delegation brief for a task from a
//! bounded view of the repository, each acceptance check proposed as a command and run
//! once on the base. Here are the flags, the printing and the exit code; the planning
//! itself is [`bakeoff_core::planner`].

use std::path::{Path, PathBuf};

use bakeoff_core::error::{exit, Error};
use bakeoff_core::planner::{self, BaseResult, PlanOptions, Planned};
use bakeoff_core::review::pipeline;

/// Options of `bakeoff plan`.
#[derive(Clone, Debug, clap::Args)]
pub struct PlanArgs {
    /// The task, as text.
    #[arg(value_name = "TASK")]
    pub task: String,
    /// The planner model, `provider/model` (default: the first of [review] reviewers).
    #[arg(long = "with", value_name = "MODEL")]
    pub with: Option<String>,
    /// Write the brief to FILE instead of stdout (nothing is written when it is refused).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Take the proposed check commands as the race's checks: the brief marks them so,
    /// and the exact `bakeoff race` command is printed.
    #[arg(long)]
    pub accept_checks: bool,
    /// The commit the lanes will start from, where every check is run once.
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub base: String,
    /// The race's holdout folder: the planner never sees its files.
    #[arg(long, value_name = "DIR")]
    pub holdout: Option<PathBuf>,
    /// A holdout check of the race: the planner never sees the paths it names (repeatable).
    #[arg(long = "holdout-check", value_name = "CMD")]
    pub holdout_checks: Vec<String>,
    /// Run the checks on the base in a sandbox: `auto` where this machine can, `on` to
    /// refuse without one, `off` to run them as you (default auto, or [sandbox] mode).
    #[arg(long, value_name = "MODE", value_parser = super::race_args::parse_sandbox)]
    pub sandbox: Option<bakeoff_core::sandbox::SandboxMode>,
}

/// Runs `bakeoff plan`: the brief on stdout or in `-o`, the checks and how they did on
/// the base on stderr.
pub async fn plan(cwd: &Path, args: &PlanArgs, config_file: Option<&Path>) -> Result<u8, Error> {
    let (repo, config) = pipeline::open(cwd, config_file)?;
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    let opts = PlanOptions {
        task: args.task.clone(),
        model: args.with.clone(),
        base: args.base.clone(),
        holdout: args.holdout.clone(),
        holdout_checks: args.holdout_checks.clone(),
        sandbox: args.sandbox,
    };
    let planned = planner::plan(&repo, &config, &opts).await?;
    let markdown = planned.brief.markdown(args.accept_checks);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &markdown).map_err(|e| Error::io("cannot write", path, e))?;
            eprintln!("wrote the brief to {}", path.display());
        }
        None => print!("{markdown}"),
    }
    print_checks(&planned, args.accept_checks);
    let commands = planned.brief.commands();
    if !commands.is_empty() {
        let spec = args
            .output
            .as_ref()
            .map_or("--spec-file BRIEF.md".to_string(), |p| {
                format!("--spec-file {}", quote(&p.display().to_string()))
            });
        let checks: Vec<String> = commands.iter().map(|c| format!("--check {}", quote(c))).collect();
        let line = format!("bakeoff race {spec} {} -a AGENT", checks.join(" "));
        match args.accept_checks {
            true if args.output.is_some() => super::out_line(false, &line),
            true => eprintln!("{line}"),
            false => eprintln!("hint: pass --accept-checks to take them; the race would be: {line}"),
        }
    }
    Ok(exit::OK)
}

/// Who planned at what cost, and each acceptance check with how it did on the base.
pub(super) fn print_checks(planned: &Planned, accepted: bool) {
    let cost = planned
        .cost_usd
        .map_or("cost unknown".to_string(), |c| format!("${c:.4}"));
    eprintln!("planned by {} ({cost})", planned.model);
    eprintln!("acceptance checks:");
    for a in &planned.brief.acceptance {
        match &a.command {
            Some(cmd) => {
                let status = a
                    .on_base
                    .as_ref()
                    .map_or("not run on base".to_string(), BaseResult::describe);
                let flag = match a.on_base {
                    Some(BaseResult::Passes) => "  FLAGGED",
                    _ => "",
                };
                let taken = if accepted { "check" } else { "candidate" };
                eprintln!("  {taken}: --check {}  {status}{flag}", quote(cmd));
            }
            None => eprintln!("  no command: {}", a.text),
        }
    }
}

/// `s` quoted for a POSIX shell.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_are_quoted_for_a_shell() {
        assert_eq!(super::quote("spec.md"), "spec.md");
        assert_eq!(super::quote("sh t.sh"), "'sh t.sh'");
        assert_eq!(super::quote("it's"), "'it'\\''s'");
    }
}
