//! The race's report as one self-contained HTML page: the verdict and the leaderboard
//! with its reasons, the spec, each lane (agent, model, cost, time, checks, reviews and
//! their findings) and the diffs: every file once, collapsible, with each lane's change
//! to it side by side, syntax-highlighted.
//!
//! Like the bench's page (`bench::html`), it needs nothing but itself: the CSS and the
//! one script (expand or collapse every file) are inline, and no font, image or script
//! is fetched. Everything that comes from the race is escaped with [`markup::html`].

use std::fmt::{self, Write as _};

use super::highlight;
use super::model::{check_verdict, model_name, LaneReport, RaceReport};
use super::patch::{LineKind, PatchFile};
use crate::markup::html as escape;
use crate::units;
use crate::vocab::{Finding, ReviewRecord};

/// At most this many lines of one lane's diff of one file are shown; the rest are
/// counted. A lane that rewrote a lockfile should not make the page unopenable.
const MAX_FILE_LINES: usize = 4_000;

/// The page's style: the bench page's light cards on a grey ground, and diff colours.
const CSS: &str = r#"
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9dee4;
  --accent: #2563eb; --card: #fff; --ground: #f3f5f8; --add: #e6ffec; --del: #ffebe9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--ground); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
header, main, footer { max-width: 1400px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 0 0 8px; }
h3 { font-size: 15px; margin: 0 0 6px; }
h4 { font-size: 13px; margin: 0 0 6px; color: var(--muted); }
.lede { margin: 0 0 10px; color: var(--muted); }
.verdict { display: inline-block; font-weight: 600; border-radius: 8px; padding: 6px 12px;
  margin: 0 0 16px; background: #fff4e5; border: 1px solid #f5b35c; }
.verdict.won { background: #dcfce7; border-color: #86efac; color: #166534; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; margin: 0 0 16px; }
.note, .empty { color: var(--muted); margin: 0 0 10px; }
.dim { color: var(--muted); }
.empty { font-style: italic; }
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.pass { color: #166534; font-weight: 600; }
.fail { color: #b42318; font-weight: 600; }
.lanes { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 14px; }
.lane { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 10px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.review { border-top: 1px solid var(--line); padding-top: 8px; margin-top: 8px; }
.review p { margin: 2px 0 6px; overflow-wrap: anywhere; }
.findings { margin: 0; padding-left: 18px; }
.findings li { margin: 0 0 6px; overflow-wrap: anywhere; }
.findings .body { white-space: pre-wrap; color: var(--muted); margin: 2px 0 0; }
.sev { display: inline-block; border-radius: 999px; padding: 0 8px; font-size: 12px;
  font-weight: 600; background: #eef0f3; }
.sev.blocker { background: #fee2e2; color: #991b1b; }
.sev.major { background: #ffedd5; color: #9a3412; }
.sev.minor { background: #fef9c3; color: #854d0e; }
pre.spec { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; background: #f8fafc;
  border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; }
.toolbar { margin: 0 0 10px; }
.toolbar button { font: inherit; border: 1px solid var(--line); background: var(--card);
  border-radius: 6px; padding: 3px 10px; cursor: pointer; margin-right: 6px; }
details.file { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 10px; }
details.file > summary { cursor: pointer; padding: 8px 12px; font-weight: 600;
  overflow-wrap: anywhere; }
details.file > summary .dim { color: var(--muted); font-weight: 400; margin-left: 8px; }
.sides { display: grid; gap: 10px; padding: 0 10px 10px; overflow-x: auto; }
.side { min-width: 0; border: 1px solid var(--line); border-radius: 6px; overflow: auto;
  max-height: 48rem; }
.side h4 { margin: 0; padding: 6px 10px; background: #f8fafc; border-bottom: 1px solid var(--line);
  position: sticky; top: 0; }
.side .empty { padding: 8px 10px; margin: 0; }
table.diff { font: 12px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; width: 100%; }
table.diff td { border: 0; padding: 0 6px; white-space: pre; }
table.diff td.ln { color: #9aa5b1; text-align: right; user-select: none; width: 1%; }
table.diff tr.add td.code { background: var(--add); }
table.diff tr.del td.code { background: var(--del); }
table.diff tr.add td.ln { background: #ccffd8; }
table.diff tr.del td.ln { background: #ffd7d5; }
table.diff tr.hunk td { background: #f1f5ff; color: var(--muted); }
table.diff tr.note td { color: var(--muted); font-style: italic; }
.code .k { color: #8839ef; font-weight: 600; }
.code .s { color: #0a7d2c; }
.code .c { color: #7b8794; font-style: italic; }
.code .n { color: #b45309; }
footer { padding-bottom: 32px; color: var(--muted); font-size: 12px; }
"#;

/// Expands or collapses every file's diff; marks the page `data-script="ran"` once set
/// up, which the browser test looks for.
const SCRIPT: &str = r#"
(function () {
  var files = document.querySelectorAll("details.file");
  Array.prototype.forEach.call(document.querySelectorAll("button[data-act]"), function (b) {
    b.addEventListener("click", function () {
      var open = b.getAttribute("data-act") === "open";
      Array.prototype.forEach.call(files, function (d) { d.open = open; });
    });
  });
  document.documentElement.setAttribute("data-script", "ran");
})();
"#;

/// The report as a self-contained HTML page.
pub fn html(r: &RaceReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    page(r, &mut out).expect("writing to a String cannot fail");
    out
}

fn page(r: &RaceReport, out: &mut String) -> fmt::Result {
    let rec = &r.record;
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"bakeoff race report, format 1\">\n\
         <title>Race {}: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape(&rec.id),
        escape(&rec.title())
    )?;
    let won = r.leaderboard.as_ref().is_some_and(|b| b.winner.is_some());
    writeln!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"lede\">race {} · {} · base {} ({}) · branch {} · started {} · {}</p>\n\
         <p class=\"verdict{}\">{}</p>\n</header>\n<main>",
        escape(&rec.title()),
        escape(&rec.id),
        units::plural(r.lanes.len(), "lane"),
        escape(&rec.base[..rec.base.len().min(12)]),
        escape(&rec.base_ref),
        escape(rec.target_branch.as_deref().unwrap_or("(detached)")),
        escape(&crate::units::timestamp(&rec.created_at)),
        escape(&r.status),
        if won { " won" } else { "" },
        escape(&r.verdict()),
    )?;
    leaderboard(r, out)?;
    writeln!(
        out,
        "<section id=\"spec\">\n<h2>Spec</h2>\n<pre class=\"spec\">{}</pre>\n</section>",
        escape(rec.spec.trim_end())
    )?;
    out.push_str("<section id=\"lanes\">\n<h2>Lanes</h2>\n<div class=\"lanes\">\n");
    for (i, lane) in r.lanes.iter().enumerate() {
        lane_card(i, lane, out)?;
    }
    out.push_str("</div>\n</section>\n");
    diffs(r, out)?;
    write!(
        out,
        "</main>\n<footer>bakeoff race report · race {}</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(&rec.id)
    )
}

fn leaderboard(r: &RaceReport, out: &mut String) -> fmt::Result {
    out.push_str("<section id=\"leaderboard\">\n<h2>Leaderboard</h2>\n");
    let Some(board) = &r.leaderboard else {
        out.push_str("<p class=\"empty\">Not ranked: the race did not finish.</p>\n</section>\n");
        return Ok(());
    };
    out.push_str(
        "<div class=\"table-scroll\"><table>\n<thead><tr><th class=\"num\">#</th><th>lane</th><th>agent</th>\
         <th>model</th><th>tier</th><th class=\"num\">checks</th><th>reviews</th><th class=\"num\">cost</th>\
         <th class=\"num\">diff</th><th class=\"num\">time</th><th>reason</th></tr></thead>\n<tbody>\n",
    );
    for row in &board.rows {
        let (tier, class) = match (row.gates_failed.is_empty(), row.passed) {
            (false, _) => ("gated".to_string(), "fail"),
            (true, true) => (row.tier.to_string(), "pass"),
            (true, false) => (row.tier.to_string(), ""),
        };
        let model = match (&row.provenance.lab, model_name(&row.provenance.model)) {
            (_, "") => "-".to_string(),
            (Some(lab), m) => format!("{m} ({lab})"),
            (None, m) => m.to_string(),
        };
        let reviews: Vec<String> = row.reviews.iter().map(ToString::to_string).collect();
        let reason = match &row.agent_error {
            Some(e) if !row.gates_failed.is_empty() => format!("{}; agent: {e}", row.reason),
            _ => row.reason.clone(),
        };
        writeln!(
            out,
            "<tr class=\"row\"><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{tier}</td>\
             <td class=\"num\">{}/{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            row.position,
            escape(&row.lane),
            escape(&row.agent),
            escape(&model),
            row.checks_passed,
            row.checks_total,
            escape(&if reviews.is_empty() { "-".into() } else { reviews.join(" · ") }),
            row.cost_usd.map(units::usd).unwrap_or_else(|| "?".into()),
            units::plural(row.diff_lines, "line"),
            units::duration_ms(row.elapsed_ms),
            escape(&reason),
        )?;
    }
    out.push_str("</tbody></table></div>\n");
    for (lane, strategy, target, commit) in &r.merges {
        let commit = commit.as_deref().map(|c| &c[..c.len().min(12)]).unwrap_or("-");
        writeln!(
            out,
            "<p class=\"note\">merged {} ({}) into {}: {}</p>",
            escape(lane),
            escape(strategy),
            escape(target),
            escape(commit)
        )?;
    }
    out.push_str("</section>\n");
    Ok(())
}

fn lane_card(i: usize, l: &LaneReport, out: &mut String) -> fmt::Result {
    write!(
        out,
        "<article class=\"lane\" id=\"lane-{i}\">\n<h3>{}</h3>\n<dl class=\"facts\">",
        escape(&l.name)
    )?;
    let mut fact = |k: &str, v: String| write!(out, "<dt>{k}</dt><dd>{}</dd>", escape(&v));
    fact("agent", l.agent.clone())?;
    fact("model", model_name(&l.model).to_string())?;
    fact("lab", l.lab.clone().unwrap_or_else(|| "unknown".into()))?;
    fact("state", l.state.unwrap_or("not started").to_string())?;
    fact(
        "cost",
        l.result
            .cost_usd
            .map(units::usd)
            .unwrap_or_else(|| "unknown".into()),
    )?;
    fact("time", units::duration_ms(l.result.elapsed_ms))?;
    if let Some(a) = &l.agent_outcome {
        let mut run = format!(
            "{} in {}",
            a.exit
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "-".into()),
            units::duration_ms(a.elapsed_ms)
        );
        if let Some(t) = a.usage.turns {
            run.push_str(&format!(", {}", units::plural(t as usize, "turn")));
        }
        if let (Some(i), Some(o)) = (a.usage.input_tokens, a.usage.output_tokens) {
            run.push_str(&format!(
                ", {} in / {} out tokens",
                units::tokens(i),
                units::tokens(o)
            ));
        }
        if a.timed_out {
            run.push_str(", timed out");
        }
        fact("agent run", run)?;
    }
    fact(
        "diff",
        format!(
            "{}, +{} −{}",
            units::plural(l.result.diff_files, "file"),
            l.result.insertions,
            l.result.deletions
        ),
    )?;
    if l.result.fix_rounds > 0 {
        fact("fix rounds", l.result.fix_rounds.to_string())?;
    }
    out.push_str("</dl>\n");
    if let Some(e) = &l.error {
        writeln!(out, "<p class=\"fail\">error: {}</p>", escape(e))?;
    }
    if l.checks().is_empty() {
        out.push_str("<p class=\"empty\">No checks.</p>\n");
    } else {
        out.push_str("<table class=\"checks\"><thead><tr><th>check</th><th>result</th><th class=\"num\">time</th></tr></thead><tbody>\n");
        for c in l.checks() {
            let class = if c.passed { "pass" } else { "fail" };
            writeln!(
                out,
                "<tr><td title=\"{}\">{}{}</td><td class=\"{class}\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&c.command),
                escape(&c.name),
                if c.holdout {
                    " <span class=\"dim\">(holdout)</span>"
                } else {
                    ""
                },
                check_verdict(c),
                units::duration_ms(c.elapsed_ms)
            )?;
        }
        out.push_str("</tbody></table>\n");
    }
    for r in &l.reviews {
        review(r, out)?;
    }
    if !l.flagged.is_empty() {
        out.push_str("<div class=\"review\"><h4>bakeoff flags</h4><ul class=\"findings\">");
        for f in &l.flagged {
            finding(f, out)?;
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str("</article>\n");
    Ok(())
}

fn review(r: &ReviewRecord, out: &mut String) -> fmt::Result {
    write!(
        out,
        "<div class=\"review\"><h4>review by {} ({})</h4>",
        escape(r.answered_by.as_deref().unwrap_or(&r.reviewer)),
        escape(&r.lab)
    )?;
    match &r.output {
        Ok(o) => {
            let class = match o.verdict {
                crate::vocab::Verdict::Approve => "pass",
                _ => "fail",
            };
            write!(
                out,
                "<p><span class=\"{class}\">{} {}</span> — {}</p>",
                escape(o.verdict.label()),
                o.score,
                escape(&o.summary)
            )?;
            if !o.findings.is_empty() {
                out.push_str("<ul class=\"findings\">");
                for f in &o.findings {
                    finding(f, out)?;
                }
                out.push_str("</ul>");
            }
        }
        Err(e) => write!(out, "<p class=\"fail\">failed: {}</p>", escape(e))?,
    }
    out.push_str("</div>\n");
    Ok(())
}

fn finding(f: &Finding, out: &mut String) -> fmt::Result {
    let at = match f.line {
        Some(line) => format!("{}:{line}", f.file),
        None => f.file.clone(),
    };
    let sev = f.severity.as_str();
    write!(
        out,
        "<li><span class=\"sev {sev}\">{sev}</span> <code>{}</code> {}",
        escape(&at),
        escape(&f.title)
    )?;
    if !f.body.trim().is_empty() {
        write!(out, "<div class=\"body\">{}</div>", escape(f.body.trim()))?;
    }
    if let Some(s) = f.suggestion.as_deref().filter(|s| !s.trim().is_empty()) {
        write!(out, "<div class=\"body\">suggestion: {}</div>", escape(s.trim()))?;
    }
    out.push_str("</li>");
    Ok(())
}

/// Every file any lane changed, once, with each lane's change to it in its own column.
fn diffs(r: &RaceReport, out: &mut String) -> fmt::Result {
    out.push_str("<section id=\"diffs\">\n<h2>Diffs</h2>\n");
    let paths = r.paths();
    if paths.is_empty() {
        out.push_str("<p class=\"empty\">No lane changed anything.</p>\n</section>\n");
        return Ok(());
    }
    out.push_str(
        "<p class=\"note\">Each file once, with every lane's change to it side by side.</p>\n\
         <div class=\"toolbar\"><button type=\"button\" data-act=\"open\">Expand all</button>\
         <button type=\"button\" data-act=\"close\">Collapse all</button></div>\n",
    );
    let columns = r.lanes.len().max(1);
    for path in paths {
        let changes: Vec<String> = r
            .lanes
            .iter()
            .filter_map(|l| {
                let f = l.files.iter().find(|f| f.path == path)?;
                Some(format!("{} +{} −{}", l.name, f.insertions(), f.deletions()))
            })
            .collect();
        write!(
            out,
            "<details class=\"file\" open><summary>{}<span class=\"dim\">{}</span></summary>\n\
             <div class=\"sides\" style=\"grid-template-columns: repeat({columns}, minmax(340px, 1fr))\">\n",
            escape(path),
            escape(&changes.join(" · "))
        )?;
        for l in &r.lanes {
            write!(out, "<div class=\"side\"><h4>{}</h4>", escape(&l.name))?;
            match l.files.iter().find(|f| f.path == path) {
                Some(f) => file_table(f, out)?,
                None => out.push_str("<p class=\"empty\">not changed in this lane</p>"),
            }
            out.push_str("</div>\n");
        }
        out.push_str("</div>\n</details>\n");
    }
    out.push_str("</section>\n");
    Ok(())
}

fn file_table(f: &PatchFile, out: &mut String) -> fmt::Result {
    out.push_str("<table class=\"diff\">");
    for line in f.lines.iter().take(MAX_FILE_LINES) {
        let num = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        let (class, sign) = match line.kind {
            LineKind::Added => ("add", "+"),
            LineKind::Removed => ("del", "-"),
            LineKind::Context => ("ctx", " "),
            LineKind::Hunk => ("hunk", ""),
            LineKind::Note => ("note", ""),
        };
        let code = match line.kind {
            LineKind::Hunk | LineKind::Note => escape(&line.text),
            _ => highlight::line(&f.path, &line.text),
        };
        write!(
            out,
            "<tr class=\"{class}\"><td class=\"ln\">{}</td><td class=\"ln\">{}</td><td class=\"code\">{sign}{code}</td></tr>",
            num(line.old),
            num(line.new)
        )?;
    }
    if f.lines.len() > MAX_FILE_LINES {
        write!(
            out,
            "<tr class=\"note\"><td></td><td></td><td>… {} more not shown (`bakeoff diff` prints all of it)</td></tr>",
            units::plural(f.lines.len() - MAX_FILE_LINES, "line")
        )?;
    }
    out.push_str("</table>");
    Ok(())
}
