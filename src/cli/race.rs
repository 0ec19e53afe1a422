//! `bakeoff race`: preflight, the live race, the leaderboard and the exit code.

use std::io::IsTerminal;
use std::path::Path;

use tokio::sync::mpsc;

use crate::ui::{self, JsonReporter, PlainReporter, Reporter, TerminalReporter};
use bakeoff_core::error::{exit, Error};
use bakeoff_core::merge::{self, Merged};
use bakeoff_core::race::{self, RaceOptions, RaceOutcome};

pub async fn race(cwd: &Path, opts: &RaceOptions, config: Option<&Path>) -> Result<u8, Error> {
    let plan = preflight(cwd, opts, config).await?;
    run_planned(plan, opts.json).await
}

/// Preflight, after planning with `--plan-with`: the lanes receive the brief, its
/// commands are checks of the race, and the record names the planner and its cost.
/// Shared with `demo --plan`.
pub(super) async fn preflight(
    cwd: &Path,
    opts: &RaceOptions,
    config: Option<&Path>,
) -> Result<race::RacePlan, Error> {
    let Some(model) = opts.plan_with.clone() else {
        return Ok(race::preflight(cwd, opts, config)?.0);
    };
    // Everything but the brief is checked before the planner costs anything.
    race::preflight(cwd, opts, config)?;
    let (opts, planned) = bakeoff_core::planner::for_race(cwd, opts, &model, config).await?;
    super::plan::print_checks(&planned, true);
    let (mut plan, _repo) = race::preflight(cwd, &opts, config)?;
    plan.record.planned_by = Some(planned.model.clone());
    plan.record.plan_cost_usd = planned.cost_usd;
    Ok(plan)
}

/// Runs a race that passed preflight and prints its ending. Shared with `demo`.
pub async fn run_planned(plan: race::RacePlan, json: bool) -> Result<u8, Error> {
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    let reporters = reporters(json);
    let outcome = race::run(plan, reporters, interrupts()).await?;
    print_ending(&outcome, json)
}

/// The display: NDJSON on stdout with --json; a live line per lane on a terminal; plain
/// lines otherwise.
pub(super) fn reporters(json: bool) -> Vec<Box<dyn Reporter>> {
    let mut out: Vec<Box<dyn Reporter>> = Vec::new();
    if json {
        out.push(Box::new(JsonReporter::new(std::io::stdout())));
    }
    if std::io::stderr().is_terminal() {
        out.push(Box::new(TerminalReporter::new(super::color_on_stderr())));
    } else if !json {
        out.push(Box::new(PlainReporter::new(std::io::stderr())));
    }
    out
}

/// One message per Ctrl-C (or SIGTERM), for the coordinator.
pub(super) fn interrupts() -> mpsc::UnboundedReceiver<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            let got = match term.as_mut() {
                Some(term) => tokio::select! {
                    r = tokio::signal::ctrl_c() => r.is_ok(),
                    r = term.recv() => r.is_some(),
                },
                None => tokio::signal::ctrl_c().await.is_ok(),
            };
            if !got || tx.send(()).is_err() {
                break;
            }
        }
    });
    rx
}

pub(super) fn print_ending(outcome: &RaceOutcome, json: bool) -> Result<u8, Error> {
    // With --json the table goes to stderr, beside the live display.
    let width = if json {
        ui::stderr_width()
    } else {
        ui::stdout_width()
    };
    let table = ui::render_leaderboard(&outcome.leaderboard, super::color_on_stdout() && !json, width);
    super::out_line(json, table.trim_end_matches('\n'));
    let say = |line: String| super::out_line(json, &line);
    say(format!(
        "race {}: `bakeoff show {}`, `bakeoff diff {} LANE`",
        outcome.id, outcome.id, outcome.id
    ));
    match &outcome.report {
        Ok(path) => say(format!("report: {}", path.display())),
        Err(e) => super::out_line(
            true,
            &format!("warning: no report.html for race {}: {e}", outcome.id),
        ),
    }
    if outcome.interrupted {
        say("interrupted: lanes were stopped; their worktrees are kept for inspection".into());
        return Ok(exit::INTERRUPTED);
    }
    match &outcome.merge {
        Some(Ok(Merged::Committed {
            commit,
            target,
            three_way,
            ..
        })) => {
            let how = if *three_way {
                " (three-way: the branch had moved)"
            } else {
                ""
            };
            say(format!(
                "merged into {target} as {}{how}",
                &commit[..commit.len().min(12)]
            ));
        }
        Some(Ok(Merged::Branch { branch })) => say(merge::branch_instructions(branch)),
        Some(Err(e)) => {
            super::report_error(e);
            return Ok(e.exit_code());
        }
        None => {}
    }
    // After the merge is reported, so a user whose reviewer key was refused still learns
    // what landed.
    if let Some(e) = &outcome.credentials_error {
        super::report_error(&Error::Credentials {
            message: format!("a reviewer's provider refused bakeoff's credentials: {e}"),
        });
        return Ok(exit::PROVIDER);
    }
    if let Some((lane, why)) = outcome.resource_failures.first() {
        let more = match outcome.resource_failures.len() {
            1 => String::new(),
            n => format!(" (and {} more lanes)", n - 1),
        };
        super::report_error(&Error::input_with_hint(
            format!("lane {lane} failed for lack of a resource{more}: {why}; the ranking is incomplete"),
            "free the resource (open files: `ulimit -n`; disk space; memory) and race again, or with fewer lanes",
        ));
        return Ok(exit::NO_WINNER);
    }
    Ok(match outcome.leaderboard.winner {
        Some(_) => exit::OK,
        None => exit::NO_WINNER,
    })
}
