//! `bakeoff list`, `show` and `clean`: reading and tidying recorded races.

use std::path::Path;

use crate::ui;
use bakeoff_core::error::{exit, Error};
use bakeoff_core::git::{self, Repo};
use bakeoff_core::journal::{
    JournalError, LaneRecord, LaneSummary, Listed, RaceDir, RaceRecord, RaceStatus, RaceSummary, Store,
};
use bakeoff_core::rank::Leaderboard;
use bakeoff_core::vocab::{AgentOutcome, CheckOutcome, ReviewRecord};

pub fn list(cwd: &Path, json: bool) -> Result<u8, Error> {
    use std::io::Write;
    let repo = Repo::discover(cwd)?;
    let races = Store::new(repo.common_dir()).listings()?;
    if json {
        let rows: Vec<serde_json::Value> = races
            .iter()
            .map(|race| match race {
                Listed::Race(r) => serde_json::json!({
                    "id": r.id,
                    "created_at": r.created_at,
                    "title": r.title,
                    "lanes": r.lanes,
                    "status": r.status.to_string(),
                }),
                Listed::Unreadable(id) => serde_json::json!({ "id": id, "unreadable": true }),
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(exit::OK);
    }
    if races.is_empty() {
        println!("no races yet (start one with `bakeoff race SPEC -a adapter:model …`)");
        return Ok(exit::OK);
    }
    let table = ui::list_table(&races, ui::stdout_width());
    // One write for the whole table rather than one per line: thousands of races are
    // listed.
    let mut out = std::io::stdout().lock();
    out.write_all(table.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("cannot write", Path::new("stdout"), e))?;
    Ok(exit::OK)
}

/// `bakeoff show RACE`: the race, each lane's rounds and results, the leaderboard and
/// the merges.
pub fn show(cwd: &Path, race: &str, json: bool) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let dir = Store::new(repo.common_dir()).resolve(race)?;
    let record = dir.record()?;
    let summary = RaceSummary::from_events(&dir.events_list()?);
    if json {
        let lanes: Vec<serde_json::Value> = record
            .lanes
            .iter()
            .map(|lane| {
                let s = summary.lanes.get(&lane.name).cloned().unwrap_or_default();
                serde_json::json!({
                    "name": lane.name,
                    "agent": lane.agent,
                    "branch": lane.branch,
                    "worktree": lane.worktree,
                    "state": s.state.map(|st| st.as_str()),
                    "result": s.result(&lane.name, record.tests_may_change),
                    "logs": dir.lane_dir(&lane.name),
                    "synthesis": lane.synthesis.as_ref().map(|x| serde_json::json!({
                        "model": x.model,
                        "from": s.synthesis_of,
                    })),
                })
            })
            .collect();
        let board = dir.read_json::<Leaderboard>(&dir.leaderboard()).ok();
        let merges: Vec<serde_json::Value> = summary
            .merges
            .iter()
            .map(|(lane, strategy, target, commit)| {
                serde_json::json!({"lane": lane, "strategy": strategy, "target": target, "commit": commit})
            })
            .collect();
        let out = serde_json::json!({
            "id": record.id,
            "title": record.title(),
            "base": record.base,
            "base_ref": record.base_ref,
            "target_branch": record.target_branch,
            "created_at": record.created_at,
            "status": RaceStatus::of(&summary).to_string(),
            "lanes": lanes,
            "leaderboard": board,
            "merges": merges,
            "planned_by": record.planned_by,
            "plan_cost_usd": record.plan_cost_usd,
        });
        println!("{out:#}");
        return Ok(exit::OK);
    }
    print_race_head(&record, &summary);
    for lane in &record.lanes {
        let s = summary.lanes.get(&lane.name).cloned().unwrap_or_default();
        print_lane(lane, &s, &dir);
    }
    println!();
    print_ranking_and_merges(&dir, &summary);
    Ok(exit::OK)
}

/// The race's id, title, base, branch, start and status, then a blank line.
fn print_race_head(record: &RaceRecord, summary: &RaceSummary) {
    println!("race {}: {}", record.id, record.title());
    println!(
        "base {} ({}), branch {}, started {}",
        short_hash(&record.base),
        record.base_ref,
        record.target_branch.as_deref().unwrap_or("(detached)"),
        bakeoff_core::units::timestamp(&record.created_at)
    );
    println!("status: {}", RaceStatus::of(summary));
    if let Some(planner) = &record.planned_by {
        let cost = record
            .plan_cost_usd
            .map_or("cost unknown".to_string(), |c| format!("${c:.4}"));
        println!("planned by {planner} ({cost}): the lanes received its brief");
    }
    println!();
}

/// One lane: its state and place, the rounds before the last, then the last round's
/// agent, diff, checks, reviews, flags and error, and where its logs are.
fn print_lane(lane: &LaneRecord, s: &LaneSummary, dir: &RaceDir) {
    let state = s.state.map(|s| s.as_str()).unwrap_or("not started");
    println!("lane {} ({}) — {state}", lane.name, lane.agent);
    println!("  branch {}  worktree {}", lane.branch, lane.worktree.display());
    if let Some(synthesis) = &lane.synthesis {
        match s.synthesis_of.is_empty() {
            true => println!("  synthesis by {}: did not start", synthesis.model),
            false => println!(
                "  synthesis by {} of {}: its task had their diffs, checks and findings",
                synthesis.model,
                s.synthesis_of.join(" + ")
            ),
        }
    }
    print_earlier_rounds(s);
    if let Some(a) = &s.agent_outcome {
        print_agent(a);
    }
    if let Some(c) = &s.capture {
        println!(
            "  diff: {}, +{} -{} (commit {})",
            bakeoff_core::units::plural(c.files_changed, "file"),
            c.insertions,
            c.deletions,
            short_hash(&c.commit)
        );
    }
    for c in &s.checks {
        print_check(c);
    }
    for r in &s.reviews {
        print_review(r);
    }
    for f in &s.flagged {
        let at = f.line.map(|l| format!(":{l}")).unwrap_or_default();
        println!("  bakeoff flags {}{at}: {}", f.file, f.title);
    }
    if let Some(e) = &s.error {
        println!("  error: {e}");
    }
    println!("  logs: {}", dir.lane_dir(&lane.name).display());
}

/// Each round a fix round followed: its checks, reviews and what the next round was
/// sent; then the heading of the last round, when there were earlier ones.
fn print_earlier_rounds(s: &LaneSummary) {
    for r in &s.earlier_rounds {
        let passed = r.checks.iter().filter(|c| c.passed).count();
        println!("  round {}: {passed}/{} checks passed", r.round, r.checks.len());
        for review in &r.reviews {
            println!("    {}", crate::ui::review_line(review));
        }
        println!(
            "    {}",
            crate::ui::fix_round_line(
                r.round + 1,
                r.findings_sent,
                &r.failing_checks,
                r.resumed_session.as_deref()
            )
        );
    }
    if !s.earlier_rounds.is_empty() {
        println!("  round {} (last):", s.round());
    }
}

/// The agent's exit, time, turns, cost, whether it timed out, and its error.
fn print_agent(a: &AgentOutcome) {
    let exit = a
        .exit
        .as_ref()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "-".into());
    let cost = a
        .usage
        .cost_usd
        .map(bakeoff_core::units::usd)
        .unwrap_or_else(|| "cost unknown".into());
    let turns = a
        .usage
        .turns
        .map(|t| format!(", {}", bakeoff_core::units::plural(t as usize, "turn")))
        .unwrap_or_default();
    let timed_out = if a.timed_out { ", timed out" } else { "" };
    println!(
        "  agent: {exit} in {}{turns}, {cost}{timed_out}",
        bakeoff_core::units::duration_ms(a.elapsed_ms)
    );
    if let Some(err) = &a.error {
        println!("  agent error: {err}");
    }
}

/// One check (or holdout check): its verdict, time and log.
fn print_check(c: &CheckOutcome) {
    let verdict = match (c.passed, c.timed_out) {
        (true, _) => "passed",
        (false, true) => "timed out",
        (false, false) => "failed",
    };
    let kind = if c.holdout { "holdout check" } else { "check" };
    println!(
        "  {kind} '{}' {verdict} ({}) log {}",
        c.name,
        bakeoff_core::units::duration_ms(c.elapsed_ms),
        c.log
    );
}

/// One review of the last round, with its findings when it answered.
fn print_review(r: &ReviewRecord) {
    println!("  {}", crate::ui::review_line(r));
    if let Ok(out) = &r.output {
        for f in &out.findings {
            let at = f.line.map(|l| format!(":{l}")).unwrap_or_default();
            println!("    {} {}{at}: {}", f.severity.as_str(), f.file, f.title);
        }
    }
}

/// The leaderboard (or why there is none), then every merge of the race.
fn print_ranking_and_merges(dir: &RaceDir, summary: &RaceSummary) {
    match dir.read_json::<Leaderboard>(&dir.leaderboard()) {
        Ok(board) => print!(
            "{}",
            ui::render_leaderboard(&board, super::color_on_stdout(), ui::stdout_width())
        ),
        Err(_) => println!("not ranked: the race did not finish (its lanes' work is in their worktrees)"),
    }
    for (lane, strategy, target, commit) in &summary.merges {
        let commit = commit.as_deref().map(short_hash).unwrap_or("-");
        println!("merged {lane} ({strategy}) into {target}: {commit}");
    }
}

/// The first 12 characters of a commit id (all of it when shorter).
fn short_hash(hash: &str) -> &str {
    &hash[..12.min(hash.len())]
}

/// `bakeoff clean RACE` / `--all`: removes the worktrees and lane branches of races
/// (their records too with `--purge`). A race whose bakeoff is alive is left whole: its
/// lanes are working in those worktrees. Alone it is refused; with `--all` the others are
/// cleaned and the live ones named, and the exit code says some were skipped.
pub fn clean(cwd: &Path, race: Option<&str>, all: bool, purge: bool) -> Result<u8, Error> {
    let repo = Repo::discover(cwd)?;
    let store = Store::new(repo.common_dir());
    let dirs: Vec<RaceDir> = match (race, all) {
        (_, true) => store.ids()?.iter().map(|id| store.dir(id)).collect(),
        (Some(r), false) => vec![store.resolve(r)?],
        (None, false) => return Err(Error::input("name a race to clean, or pass --all")),
    };
    let mut skipped = Vec::new();
    let mut purged = Vec::new();
    for dir in dirs {
        // Held while cleaning, so no `resume` takes the race up halfway.
        let _lock = match dir.lock() {
            Ok(lock) => lock,
            Err(JournalError::Running { id, .. }) if all => {
                skipped.push(id);
                continue;
            }
            Err(JournalError::Running { id, .. }) => return Err(still_running(&id)),
            Err(e) => return Err(e.into()),
        };
        let record = dir.record()?;
        clean_race(repo.workdir(), &record)?;
        if purge {
            std::fs::remove_dir_all(&dir.path).map_err(|e| Error::io("cannot remove", &dir.path, e))?;
            purged.push(dir.id.clone());
            println!(
                "cleaned race {} (worktrees, lane branches and records)",
                record.id
            );
        } else {
            println!(
                "cleaned race {} (worktrees and lane branches; records kept)",
                record.id
            );
        }
    }
    // Once for every race removed, not once per race: the index is rewritten each time.
    // A cache: the line of a race removed before an error is dropped by the next `list`,
    // which finds no folder for it.
    let _ = store.index().forget(&purged);
    if skipped.is_empty() {
        return Ok(exit::OK);
    }
    for id in &skipped {
        super::report_error(&still_running(id));
    }
    Ok(exit::USAGE)
}

/// Why a live race is not cleaned, and what to do.
fn still_running(id: &str) -> Error {
    Error::input_with_hint(
        format!("race {id} is still running, so its worktrees and branches were left in place"),
        format!("wait for it to finish, or stop it with Ctrl-C in its terminal, then run `bakeoff clean {id}` again"),
    )
}

fn clean_race(repo_top: &Path, record: &RaceRecord) -> Result<(), Error> {
    for lane in &record.lanes {
        git::remove_worktree(repo_top, &lane.worktree_name, &lane.worktree, Some(&lane.branch))?;
    }
    // A shared base a crashed run left behind.
    git::remove_shared_base(&record.worktree_root)?;
    // The race's folder under the worktree root is bakeoff's own; remove it once empty.
    let _ = std::fs::remove_dir(&record.worktree_root);
    Ok(())
}
