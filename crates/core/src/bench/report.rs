//! A bench's report: the trials folded into per-agent statistics, a ranking, paired
//! comparisons and a per-task grid ([`BenchReport`]), written as JSON, Markdown and a
//! CSV of the trials. An unsharded run and the merge of its shards fold the same trials
//! in the same order with the same seed, so their statistics are the same.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::journal::{BenchDir, TrialResult, TrialStatus};
use super::stats::{self, AgentStats, BtRow, Count, Outcomes, Paired, Verdict};
use super::suite::Suite;
use super::trial::{self, Shard, TrialKey};
use crate::error::Error;
use crate::units;

/// `report.json`'s format.
pub const REPORT_FORMAT: u32 = 1;

/// The seed of every bootstrap in a report: fixed, so a report is reproducible from its
/// trials.
pub const SEED: u64 = 0x6261_6b65_6f66_6621;

/// Everything a bench's report shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub format: u32,
    pub suite: String,
    pub fingerprint: String,
    pub repeats: u32,
    pub tasks_total: usize,
    /// The shards the trials came from (`0/1` for an unsharded run).
    pub shards: Vec<Shard>,
    pub trials_planned: usize,
    pub trials_finished: usize,
    /// Trials of the suite with no result (not run yet, interrupted, failed to start).
    pub trials_missing: usize,
    pub agents: Vec<AgentRow>,
    pub ranking: Vec<BtRow>,
    pub comparisons: Vec<Paired>,
    pub grid: Vec<TaskRow>,
}

/// One agent's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentRow {
    pub stats: AgentStats,
    /// Mean cost of a trial, over the trials whose agent reported one.
    pub cost_per_task_usd: Option<f64>,
    /// What every trial with a known cost spent, over how many of them resolved.
    pub cost_per_resolved_usd: Option<f64>,
    /// Trials whose agent reported its cost; the cost figures are over these only.
    pub cost_known_trials: u64,
    pub spent_usd: f64,
    /// Mean wall time of a trial's lane, set-up to last check.
    pub time_per_task_s: f64,
    /// Total lane time over resolved trials.
    pub time_per_resolved_s: Option<f64>,
    pub input_tokens_per_task: Option<f64>,
    pub output_tokens_per_task: Option<f64>,
    /// Mean reviewers' score (0..100) over reviewed trials.
    pub review_score: Option<f64>,
}

/// One task: each agent's trials and how many resolved it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task: String,
    pub cells: Vec<Count>,
}

/// Folds `results` (of the suite in `suite`, from `shards`) into a report. Results of
/// trials that errored, or of agents or tasks the suite does not name, are left out.
pub fn build(
    suite: &Suite,
    fingerprint: &str,
    shards: Vec<Shard>,
    results: &BTreeMap<TrialKey, TrialResult>,
) -> BenchReport {
    let planned: Vec<TrialKey> = trial::all(suite)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| shards.iter().any(|s| s.holds(*i)))
        .map(|(_, k)| k)
        .collect();
    let kept: Vec<&TrialResult> = planned
        .iter()
        .filter_map(|k| results.get(k))
        .filter(|r| r.status != TrialStatus::Error)
        .collect();
    let agent_index = |a: &str| suite.agents.iter().position(|x| x == a);
    let task_index = |t: &str| suite.tasks.iter().position(|x| x.id == t);
    let mut counts = vec![vec![Count::default(); suite.tasks.len()]; suite.agents.len()];
    for r in &kept {
        if let (Some(a), Some(t)) = (agent_index(&r.key.agent), task_index(&r.key.task)) {
            counts[a][t].n += 1;
            if r.status == TrialStatus::Resolved {
                counts[a][t].resolved += 1;
            }
        }
    }
    let outcomes = Outcomes {
        agents: suite.agents.clone(),
        tasks: suite.tasks.iter().map(|t| t.id.clone()).collect(),
        counts,
    };
    let agents = stats::agent_stats(&outcomes, SEED)
        .into_iter()
        .map(|s| {
            let mine: Vec<&&TrialResult> = kept.iter().filter(|r| r.key.agent == s.agent).collect();
            agent_row(s, &mine)
        })
        .collect();
    let grid = outcomes
        .tasks
        .iter()
        .enumerate()
        .map(|(t, task)| TaskRow {
            task: task.clone(),
            cells: outcomes.counts.iter().map(|row| row[t]).collect(),
        })
        .collect();
    BenchReport {
        format: REPORT_FORMAT,
        suite: suite.name.clone(),
        fingerprint: fingerprint.to_string(),
        repeats: suite.repeats,
        tasks_total: suite.tasks.len(),
        shards,
        trials_planned: planned.len(),
        trials_finished: kept.len(),
        trials_missing: planned.len() - kept.len(),
        ranking: stats::bradley_terry_ranking(&outcomes, stats::DEFAULT_RESAMPLES, SEED),
        comparisons: stats::all_pairs(&outcomes, stats::DEFAULT_RESAMPLES, SEED),
        agents,
        grid,
    }
}

fn agent_row(stats: AgentStats, trials: &[&&TrialResult]) -> AgentRow {
    let n = trials.len().max(1) as f64;
    let costs: Vec<f64> = trials.iter().filter_map(|r| r.cost_usd).collect();
    let spent: f64 = costs.iter().sum();
    let resolved: Vec<&&&TrialResult> = trials
        .iter()
        .filter(|r| r.status == TrialStatus::Resolved)
        .collect();
    let resolved_with_cost = trials
        .iter()
        .filter(|r| r.status == TrialStatus::Resolved && r.cost_usd.is_some())
        .count();
    let mean_of = |values: Vec<u64>| {
        (!values.is_empty()).then(|| values.iter().sum::<u64>() as f64 / values.len() as f64)
    };
    let scores: Vec<f64> = trials.iter().filter_map(|r| r.review_score).collect();
    AgentRow {
        cost_per_task_usd: (!costs.is_empty()).then(|| spent / costs.len() as f64),
        cost_per_resolved_usd: (resolved_with_cost > 0).then(|| spent / resolved_with_cost as f64),
        cost_known_trials: costs.len() as u64,
        spent_usd: spent,
        time_per_task_s: trials.iter().map(|r| r.elapsed_ms).sum::<u64>() as f64 / n / 1000.0,
        time_per_resolved_s: (!resolved.is_empty()).then(|| {
            trials.iter().map(|r| r.elapsed_ms).sum::<u64>() as f64 / resolved.len() as f64 / 1000.0
        }),
        input_tokens_per_task: mean_of(trials.iter().filter_map(|r| r.input_tokens).collect()),
        output_tokens_per_task: mean_of(trials.iter().filter_map(|r| r.output_tokens).collect()),
        review_score: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        stats,
    }
}

/// Writes `report.json`, `report.md`, `report.html` and `trials.csv` into `dir`, each whole or not at
/// all.
pub fn write_all(
    dir: &Path,
    report: &BenchReport,
    suite: &Suite,
    results: &BTreeMap<TrialKey, TrialResult>,
) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| Error::internal(format!("cannot write the report: {e}")))?;
    let files = [
        ("report.json", json + "\n"),
        ("report.md", markdown(report)),
        ("report.html", super::html::html(report)),
        ("trials.csv", trials_csv(suite, results)),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| Error::io("write the report", &path, e))?;
    }
    Ok(())
}

/// Shard folders combined: their suite (which they must share), every trial of theirs,
/// and the report of them all.
#[derive(Debug)]
pub struct Merged {
    pub suite: Suite,
    pub results: BTreeMap<TrialKey, TrialResult>,
    pub report: BenchReport,
}

/// Combines the result folders of one suite's shards. Folders of another suite (another
/// fingerprint) or the same shard twice are refused: their union would not be the suite.
pub fn merge(dirs: &[BenchDir]) -> Result<Merged, Error> {
    let mut first: Option<(super::journal::BenchRecord, &BenchDir)> = None;
    let mut shards: Vec<Shard> = Vec::new();
    let mut results = BTreeMap::new();
    for dir in dirs {
        let record = dir.record()?;
        if let Some((head, head_dir)) = &first {
            if head.fingerprint != record.fingerprint {
                return Err(Error::input_with_hint(
                    format!(
                        "{} and {} hold results of different suites (or agents or repeats)",
                        head_dir.root().display(),
                        dir.root().display()
                    ),
                    "merge only the shards of one `bakeoff bench` run",
                ));
            }
            if shards.contains(&record.shard) {
                return Err(Error::input_with_hint(
                    format!("shard {} is given twice ({})", record.shard, dir.root().display()),
                    "give each shard's folder once",
                ));
            }
        }
        shards.push(record.shard);
        for (key, result) in dir.results()? {
            if result.status != TrialStatus::Error {
                results.insert(key, result);
            }
        }
        if first.is_none() {
            first = Some((record, dir));
        }
    }
    let Some((record, _)) = first else {
        return Err(Error::input_with_hint(
            "no folders to merge",
            "give the shards' result folders",
        ));
    };
    shards.sort_by_key(|s| (s.count, s.index));
    let report = build(&record.suite, &record.fingerprint, shards, &results);
    Ok(Merged {
        suite: record.suite,
        results,
        report,
    })
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn opt_usd(x: Option<f64>) -> String {
    x.map(units::usd).unwrap_or_else(|| "unknown".into())
}

fn secs(x: f64) -> String {
    units::duration_ms((x * 1000.0).round() as u64)
}

/// The report as Markdown, sized for a PR comment or a job summary.
pub fn markdown(r: &BenchReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark: {}\n", escape(&r.suite));
    let _ = writeln!(
        out,
        "{} × {} × {} = {}; {} finished{}.\n",
        units::plural(r.tasks_total, "task"),
        units::plural(r.agents.len(), "agent"),
        units::plural(r.repeats as usize, "repeat"),
        units::plural(r.trials_planned, "trial"),
        r.trials_finished,
        match r.trials_missing {
            0 => String::new(),
            n => format!(
                ", **{} missing** (the figures cover the finished ones)",
                units::plural(n, "trial")
            ),
        }
    );
    let max_k = r.agents.iter().map(|a| a.stats.pass_at.len()).max().unwrap_or(0) as u32;
    let ks: Vec<u32> = [2, 3, 5, 10].into_iter().filter(|k| *k <= max_k).collect();
    out.push_str("## Agents\n\n| agent | resolved (pass@1) | 95% interval |");
    for k in &ks {
        let _ = write!(out, " pass@{k} | pass^{k} |");
    }
    out.push_str(" cost / task | cost / resolved | time / task | tokens in / out | review |\n|---|---|---|");
    out.push_str(&"---|---|".repeat(ks.len()));
    out.push_str("---|---|---|---|---|\n");
    for a in &r.agents {
        let s = &a.stats;
        let _ = write!(
            out,
            "| {} | {} ({}/{}) | {} |",
            escape(&s.agent),
            s.resolved_rate.map(pct).unwrap_or_else(|| "–".into()),
            s.resolved_trials,
            s.trials,
            s.interval
                .map(|i| format!("{} – {}", pct(i.low), pct(i.high)))
                .unwrap_or_else(|| "–".into()),
        );
        for k in &ks {
            let at = |v: &[(u32, f64)]| {
                v.iter()
                    .find(|(kk, _)| kk == k)
                    .map(|(_, x)| pct(*x))
                    .unwrap_or_else(|| "–".into())
            };
            let _ = write!(out, " {} | {} |", at(&s.pass_at), at(&s.pass_hat));
        }
        let tokens = |x: Option<f64>| {
            x.map(|t| units::tokens(t.round() as u64))
                .unwrap_or_else(|| "–".into())
        };
        let _ = writeln!(
            out,
            " {} | {} | {} | {} / {} | {} |",
            opt_usd(a.cost_per_task_usd),
            match (a.cost_per_resolved_usd, a.stats.resolved_trials) {
                (None, 0) => "–".to_string(),
                (x, _) => opt_usd(x),
            },
            secs(a.time_per_task_s),
            tokens(a.input_tokens_per_task),
            tokens(a.output_tokens_per_task),
            a.review_score
                .map(|x| format!("{x:.0}"))
                .unwrap_or_else(|| "–".into()),
        );
    }
    if !r.ranking.is_empty() {
        out.push_str("\n## Ranking\n\nBradley–Terry strengths from who resolved more of each task than whom (ties count half), with 95% bootstrap intervals over tasks.\n\n| rank | agent | strength | 95% interval | rank range |\n|---|---|---|---|---|\n");
        for row in &r.ranking {
            let _ = writeln!(
                out,
                "| {} | {} | {:.3} | {:.3} – {:.3} | {} |",
                row.rank,
                escape(&row.agent),
                row.strength,
                row.low,
                row.high,
                if row.rank_low == row.rank_high {
                    row.rank_low.to_string()
                } else {
                    format!("{} – {}", row.rank_low, row.rank_high)
                }
            );
        }
    }
    if !r.comparisons.is_empty() {
        out.push_str("\n## Is the difference real?\n\nEach pair on the tasks both ran: the mean difference in resolved rate with a paired bootstrap interval, and an exact sign test (McNemar) on the tasks only one of them did better on.\n\n| A vs B | tasks | A − B | 95% interval | A better | B better | p | verdict |\n|---|---|---|---|---|---|---|---|\n");
        for p in &r.comparisons {
            let verdict = match p.verdict {
                Verdict::ABetter => format!("{} is better", escape(&p.a)),
                Verdict::BBetter => format!("{} is better", escape(&p.b)),
                Verdict::NotShown => "not shown".into(),
            };
            let _ = writeln!(
                out,
                "| {} vs {} | {} | {:+.1} pts | {:+.1} – {:+.1} | {} | {} | {:.3} | {} |",
                escape(&p.a),
                escape(&p.b),
                p.tasks,
                p.mean_difference * 100.0,
                p.interval.low * 100.0,
                p.interval.high * 100.0,
                p.a_only,
                p.b_only,
                p.p_value,
                verdict
            );
        }
    }
    out.push_str("\n## Per task\n\nResolved trials of each agent on each task.\n\n| task |");
    for a in &r.agents {
        let _ = write!(out, " {} |", escape(&a.stats.agent));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(r.agents.len()));
    out.push('\n');
    for row in &r.grid {
        let _ = write!(out, "| {} |", escape(&row.task));
        for c in &row.cells {
            let cell = match (c.n, c.resolved) {
                (0, _) => "–".to_string(),
                (n, c) if c == n => format!("✅ {c}/{n}"),
                (n, 0) => format!("❌ 0/{n}"),
                (n, c) => format!("{c}/{n}"),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

/// Text safe in a Markdown table cell: no raw HTML, no column breaks.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The trials as CSV, one row per finished trial, in suite order.
pub fn trials_csv(suite: &Suite, results: &BTreeMap<TrialKey, TrialResult>) -> String {
    let mut out = String::from(
        "task,agent,repeat,status,tier,checks_passed,checks_total,cost_usd,elapsed_s,agent_s,input_tokens,output_tokens,turns,review_score,diff_lines,race,gates_failed\n",
    );
    let opt = |x: Option<u64>| x.map(|v| v.to_string()).unwrap_or_default();
    for key in trial::all(suite) {
        let Some(r) = results.get(&key) else { continue };
        let status = match r.status {
            TrialStatus::Resolved => "resolved",
            TrialStatus::Unresolved => "unresolved",
            TrialStatus::Error => "error",
        };
        let fields = [
            csv_field(&r.key.task),
            csv_field(&r.key.agent),
            (r.key.repeat + 1).to_string(),
            status.to_string(),
            r.tier.clone(),
            r.checks_passed.to_string(),
            r.checks_total.to_string(),
            r.cost_usd.map(|c| format!("{c:.6}")).unwrap_or_default(),
            format!("{:.3}", r.elapsed_ms as f64 / 1000.0),
            format!("{:.3}", r.agent_ms as f64 / 1000.0),
            opt(r.input_tokens),
            opt(r.output_tokens),
            opt(r.turns),
            r.review_score.map(|s| format!("{s:.1}")).unwrap_or_default(),
            r.diff_lines.to_string(),
            csv_field(&r.race),
            csv_field(&r.gates_failed.join("; ")),
        ];
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// RFC 4180 quoting, where a field needs it. Hand-written: one function, where the `csv`
/// crate would be a dependency for it alone.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::fixtures;

    fn suite() -> Suite {
        fixtures::suite(
            "demo <suite>",
            &["t1".into(), "t2".into()],
            &["good", "bad|agent"],
            2,
        )
    }

    fn result(task: &str, agent: &str, repeat: u32, resolved: bool, cost: Option<f64>) -> TrialResult {
        let gates_failed = match resolved {
            true => vec![],
            false => vec!["holdout failed, \"x\"".into()],
        };
        TrialResult {
            gates_failed,
            checks_total: 2,
            race: "r1".into(),
            ..fixtures::result(task, agent, repeat, resolved, cost)
        }
    }

    fn results() -> BTreeMap<TrialKey, TrialResult> {
        [
            result("t1", "good", 0, true, Some(0.5)),
            result("t1", "good", 1, true, Some(0.5)),
            result("t2", "good", 0, true, None),
            result("t2", "good", 1, false, Some(1.0)),
            result("t1", "bad|agent", 0, false, Some(0.1)),
            result("t1", "bad|agent", 1, false, Some(0.1)),
            result("t2", "bad|agent", 0, true, Some(0.1)),
        ]
        .into_iter()
        .map(|r| (r.key.clone(), r))
        .collect()
    }

    #[test]
    fn the_report_folds_trials_into_rates_costs_and_a_grid() {
        let r = build(&suite(), "f", vec![Shard::ALL], &results());
        assert_eq!((r.trials_planned, r.trials_finished, r.trials_missing), (8, 7, 1));
        let good = &r.agents[0];
        assert_eq!(good.stats.resolved_rate, Some(0.75));
        assert_eq!(good.cost_known_trials, 3);
        assert_eq!(good.cost_per_task_usd, Some(2.0 / 3.0));
        // $2 spent over the two resolved trials whose cost is known.
        assert_eq!(good.cost_per_resolved_usd, Some(1.0));
        let bad = &r.agents[1];
        assert_eq!(bad.stats.resolved_rate, Some(0.5), "1/2 on t1 is 0, 1/1 on t2");
        assert_eq!(
            r.grid[0].cells,
            [Count { n: 2, resolved: 2 }, Count { n: 2, resolved: 0 }]
        );
        // Each wins one task (2/2 vs 0/2, then 1/2 vs 1/1): a tie.
        assert_eq!(r.ranking[0].rank, r.ranking[1].rank);
        assert_eq!(r.comparisons.len(), 1);
        // The same trials give the same report, whatever order they arrive in.
        let again = build(
            &suite(),
            "f",
            vec![Shard::ALL],
            &results().into_iter().rev().collect(),
        );
        assert_eq!(r, again);
    }

    #[test]
    fn markdown_and_csv_escape_what_users_named() {
        let s = suite();
        let r = build(&s, "f", vec![Shard::ALL], &results());
        let md = markdown(&r);
        assert!(md.contains("# Benchmark: demo &lt;suite&gt;"), "{md}");
        assert!(md.contains("| bad\\|agent |"), "{md}");
        assert!(md.contains("**1 trial missing**"), "{md}");
        assert!(md.contains("| t1 | ✅ 2/2 | ❌ 0/2 |"), "{md}");
        assert!(md.contains("pass@2"), "{md}");
        let csv = trials_csv(&s, &results());
        assert_eq!(csv.lines().count(), 8);
        assert!(csv.contains(",\"holdout failed, \"\"x\"\"\"\n"), "{csv}");
        assert!(csv
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("t1,good,1,resolved,FULL,1,2,0.500000,2.000,"));
    }
}
