//! The race's report as GitHub-flavoured Markdown, sized for one PR comment.
//!
//! It starts with [`MARKER`], a hidden HTML comment a CI job looks for to update one
//! standing comment instead of adding one per run. GitHub refuses comments over 65,536
//! characters, so the report is built within [`BUDGET`]: the verdict and the leaderboard
//! always, then the lanes, the reviews, the spec and the diffs while they fit, each cut
//! at a whole block with a note that says what was left out and where to see it all.
//!
//! Nothing from the race can add markup: the spec, reasons and what models wrote are
//! escaped with [`markup`] (GitHub renders raw HTML in comments), table cells are one
//! line with pipes escaped, and diffs sit in code fences longer than any run of
//! backticks in them. The only HTML is the marker and the report's own `<details>`.

use crate::markup::{self, md_cell as cell, md_inline as inline};
use crate::units;

use super::model::{check_verdict, model_name, LaneReport, RaceReport};
use super::patch::PatchFile;

/// A block of the report, and for a file's diff, what to cut it from when it is too long.
type Block<'a> = (String, Option<(&'a str, &'a PatchFile)>);

/// The first line of every Markdown report.
pub const MARKER: &str = "<!-- bakeoff-report -->";

/// GitHub's limit on a comment's length.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What the report may take, in bytes (at least its characters), with room to spare
/// for the notes of what was cut.
pub const BUDGET: usize = GITHUB_COMMENT_LIMIT - 1_536;

/// The report as Markdown, at most [`BUDGET`] bytes.
pub fn markdown(r: &RaceReport) -> String {
    markdown_within(r, BUDGET)
}

/// The report within `budget` bytes (the leaderboard is kept even past it).
pub fn markdown_within(r: &RaceReport, budget: usize) -> String {
    let mut out = head(r);
    out.push_str(&leaderboard(r));
    let see_all = format!(
        "_Cut to fit a comment: `bakeoff report {} --format html` shows all of it._\n",
        r.record.id
    );
    let whole = |blocks: Vec<String>| -> Vec<Block> { blocks.into_iter().map(|b| (b, None)).collect() };
    let sections: [(&str, Vec<Block>); 4] = [
        ("lane", whole(lanes(r))),
        ("review", whole(reviews(r))),
        ("spec", whole(spec(r))),
        ("diff", diffs(r)),
    ];
    let mut cut_any = false;
    for (name, blocks) in sections {
        let total = blocks.len();
        for (i, (block, cut)) in blocks.into_iter().enumerate() {
            let room = budget.saturating_sub(out.len() + see_all.len() + 200);
            if block.len() <= room {
                out.push_str(&block);
                continue;
            }
            cut_any = true;
            // A file's diff too long for what is left shows its first lines.
            let shown = match cut {
                Some((lane, file)) if room > 2_000 => {
                    out.push_str(&cut_diff(lane, file, room - 200));
                    1
                }
                _ => 0,
            };
            if total - i - shown > 0 {
                out.push_str(&format!(
                    "\n> **{} {name} section(s) left out** (over the size of a PR comment).\n",
                    total - i - shown
                ));
            }
            break;
        }
    }
    if cut_any {
        out.push('\n');
        out.push_str(&see_all);
    }
    out
}

fn head(r: &RaceReport) -> String {
    let rec = &r.record;
    format!(
        "{MARKER}\n## bakeoff race `{}`\n\n**{}**\n\n{} · base `{}` ({}) · started {}\n\n**{}**\n\n",
        rec.id,
        inline(&rec.title()),
        units::plural(r.lanes.len(), "lane"),
        &rec.base[..rec.base.len().min(12)],
        inline(&rec.base_ref),
        inline(&units::timestamp(&rec.created_at)),
        inline(&r.verdict()),
    )
}

fn leaderboard(r: &RaceReport) -> String {
    let Some(board) = &r.leaderboard else {
        return "_Not ranked: the race did not finish._\n".to_string();
    };
    let mut out = String::from(
        "### Leaderboard\n\n| # | lane | agent | model | tier | checks | reviews | cost | time | reason |\n| ---: | --- | --- | --- | --- | ---: | --- | ---: | ---: | --- |\n",
    );
    for row in &board.rows {
        let tier = if row.gates_failed.is_empty() {
            row.tier.to_string()
        } else {
            "gated".to_string()
        };
        let reviews: Vec<String> = row.reviews.iter().map(ToString::to_string).collect();
        let model = match (&row.provenance.lab, model_name(&row.provenance.model)) {
            (_, "") => "-".to_string(),
            (Some(lab), m) => format!("{m} ({lab})"),
            (None, m) => m.to_string(),
        };
        let reason = match &row.agent_error {
            Some(e) if !row.gates_failed.is_empty() => format!("{}; agent: {e}", row.reason),
            _ => row.reason.clone(),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {tier} | {}/{} | {} | {} | {} | {} |\n",
            row.position,
            cell(&row.lane),
            cell(&row.agent),
            cell(&model),
            row.checks_passed,
            row.checks_total,
            cell(&if reviews.is_empty() {
                "-".into()
            } else {
                reviews.join(" · ")
            }),
            row.cost_usd.map(units::usd).unwrap_or_else(|| "?".into()),
            units::duration_ms(row.elapsed_ms),
            cell(&reason),
        ));
    }
    for (lane, strategy, target, commit) in &r.merges {
        let commit = commit.as_deref().map(|c| &c[..c.len().min(12)]).unwrap_or("-");
        out.push_str(&format!(
            "\nMerged **{}** ({}) into `{}`: `{commit}`\n",
            inline(lane),
            inline(strategy),
            inline(target)
        ));
    }
    out
}

/// One block per lane: agent, model, cost, time, and its checks.
fn lanes(r: &RaceReport) -> Vec<String> {
    let mut blocks = vec!["\n### Lanes\n".to_string()];
    for l in &r.lanes {
        let mut b = format!("\n#### {}\n\n{}\n", inline(&l.name), facts(l));
        if !l.checks().is_empty() {
            b.push_str("\n| check | result | time |\n| --- | --- | ---: |\n");
            for c in l.checks() {
                let mark = if c.passed { "✅" } else { "❌" };
                let kind = if c.holdout { " (holdout)" } else { "" };
                b.push_str(&format!(
                    "| {}{kind} | {mark} {} | {} |\n",
                    cell(&c.name),
                    check_verdict(c),
                    units::duration_ms(c.elapsed_ms)
                ));
            }
        }
        if let Some(e) = &l.error {
            b.push_str(&format!("\n> error: {}\n", inline(e)));
        }
        blocks.push(b);
    }
    blocks
}

/// `agent · model (lab) · state · cost · time · turns · diff`.
fn facts(l: &LaneReport) -> String {
    let mut parts = vec![
        format!("agent **{}**", inline(&l.agent)),
        match &l.lab {
            Some(lab) => format!("model {} ({})", inline(model_name(&l.model)), inline(lab)),
            None => format!("model {}", inline(model_name(&l.model))),
        },
        l.state.unwrap_or("not started").to_string(),
        l.result
            .cost_usd
            .map(units::usd)
            .unwrap_or_else(|| "cost unknown".into()),
        units::duration_ms(l.result.elapsed_ms),
    ];
    if let Some(t) = l.agent_outcome.as_ref().and_then(|a| a.usage.turns) {
        parts.push(units::plural(t as usize, "turn"));
    }
    parts.push(format!(
        "{}, +{} −{}",
        units::plural(l.result.diff_files, "file"),
        l.result.insertions,
        l.result.deletions
    ));
    parts.join(" · ")
}

/// One block per lane with reviews: each reviewer's verdict, score and summary, and
/// their findings, bodies quoted.
fn reviews(r: &RaceReport) -> Vec<String> {
    let mut blocks = Vec::new();
    for l in r
        .lanes
        .iter()
        .filter(|l| !l.reviews.is_empty() || !l.flagged.is_empty())
    {
        let mut b = format!("\n#### Reviews of {}\n\n", inline(&l.name));
        for rev in &l.reviews {
            match &rev.output {
                Ok(o) => b.push_str(&format!(
                    "- **{}** ({}): {} {} — {}\n",
                    inline(&rev.reviewer),
                    inline(&rev.lab),
                    o.verdict.label(),
                    o.score,
                    inline(&o.summary)
                )),
                Err(e) => b.push_str(&format!(
                    "- **{}** ({}): failed — {}\n",
                    inline(&rev.reviewer),
                    inline(&rev.lab),
                    inline(e)
                )),
            }
            for f in rev.output.iter().flat_map(|o| &o.findings) {
                b.push_str(&finding(f));
            }
        }
        for f in &l.flagged {
            b.push_str("- **bakeoff** flags:\n");
            b.push_str(&finding(f));
        }
        blocks.push(b);
    }
    if !blocks.is_empty() {
        blocks.insert(0, "\n### Reviews\n".to_string());
    }
    blocks
}

fn finding(f: &crate::vocab::Finding) -> String {
    let at = match f.line {
        Some(line) => format!("{}:{line}", f.file),
        None => f.file.clone(),
    };
    let mut out = format!(
        "  - {} **{}** {}\n",
        f.severity.as_str(),
        inline(&at),
        inline(&f.title)
    );
    for line in f.body.trim().lines() {
        out.push_str(&format!("    > {}\n", markup::md_text(line)));
    }
    if let Some(s) = f.suggestion.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str(&format!("    >\n    > **Suggestion:** {}\n", inline(s)));
    }
    out
}

/// The spec, quoted line by line with its HTML escaped, in one collapsed block.
fn spec(r: &RaceReport) -> Vec<String> {
    let mut b = String::from("\n<details><summary>Spec</summary>\n\n");
    for line in r.record.spec.trim_end().lines() {
        b.push_str(&format!("> {}\n", markup::md_text(line)));
    }
    b.push_str("\n</details>\n");
    vec![b]
}

/// One collapsed block per lane and file with that file's part of the lane's diff,
/// fenced; a file too long for what is left is cut to fit.
fn diffs(r: &RaceReport) -> Vec<Block<'_>> {
    let mut blocks: Vec<Block> = vec![("\n### Diffs\n".to_string(), None)];
    for l in &r.lanes {
        for f in &l.files {
            blocks.push((diff_block(&l.name, f, &f.raw), Some((&l.name, f))));
        }
    }
    blocks
}

/// The block of `file` with as many of its first lines as fit in `room` bytes, and how
/// many lines were left out.
fn cut_diff(lane: &str, file: &PatchFile, room: usize) -> String {
    let frame = diff_block(lane, file, "").len() + 120;
    let mut text = String::new();
    for line in file.raw.split_inclusive('\n') {
        if text.len() + line.len() + frame > room {
            break;
        }
        text.push_str(line);
    }
    let left = file.raw[text.len()..].lines().count();
    let mut block = diff_block(lane, file, &text);
    if left > 0 {
        block.push_str(&format!(
            "\n> **{} of this file's diff left out.**\n",
            units::plural(left, "line")
        ));
    }
    block
}

fn diff_block(lane: &str, f: &PatchFile, text: &str) -> String {
    let fence = markup::md_fence(text);
    format!(
        "\n<details><summary>{} · {} (+{} −{})</summary>\n\n{fence}diff\n{}{}{fence}\n\n</details>\n",
        markup::md_text(lane),
        markup::md_text(&f.path),
        f.insertions(),
        f.deletions(),
        text,
        if text.ends_with('\n') { "" } else { "\n" },
    )
}
