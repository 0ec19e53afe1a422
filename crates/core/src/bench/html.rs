//! A bench's report as one self-contained HTML page: the header facts, a bar chart of
//! each agent's resolved rate with its interval, a scatter of cost against resolved rate
//! with the Pareto front, the tables of [`report::markdown`](super::report::markdown)
//! and a coloured per-task grid.
//!
//! The page needs nothing but itself: the CSS is inline, the charts are SVG drawn here,
//! and the one script (sorting the agents table) is inline too, so the page opens from a
//! CI artifact or an e-mail with no network.

use std::fmt::{self, Write as _};

use super::report::{AgentRow, BenchReport};
use super::stats::{Count, Interval, Verdict};
use crate::markup::html as escape;
use crate::units;

/// The page's style: light cards on a grey ground, tables with figures aligned right.
const CSS: &str = r#"
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9dee4;
  --accent: #2563eb; --accent-soft: #93b4f5; --card: #fff; --ground: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--ground); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
header, main { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 4px; }
h3 { font-size: 13px; margin: 0 0 6px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
.lede { margin: 0 0 14px; color: var(--muted); font-size: 15px; }
.facts { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 14px; padding: 0; }
.facts div { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 14px; min-width: 110px; }
.facts dt { color: var(--muted); font-size: 12px; }
.facts dd { margin: 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums;
  overflow-wrap: anywhere; }
.facts .bad dd { color: #b42318; }
.warning { background: #fff4e5; border: 1px solid #f5b35c; border-radius: 8px;
  padding: 10px 14px; margin: 0 0 14px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr));
  gap: 16px; align-items: start; }
section, .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 16px 18px; margin: 0 0 16px; }
.charts section { margin: 0; }
main > section:first-of-type { margin-top: 16px; }
.note { color: var(--muted); margin: 0 0 10px; }
.empty { color: var(--muted); font-style: italic; }
svg { display: block; width: 100%; height: auto; font-size: 12px; }
svg text { fill: var(--ink); }
svg .axis text, svg .tick { fill: var(--muted); }
svg .grid { stroke: #e6e9ee; stroke-width: 1; }
svg .baseline { fill: none; stroke: #9aa5b1; stroke-width: 1; }
svg .bar { fill: var(--accent-soft); }
svg .whisker { fill: none; stroke: var(--ink); stroke-width: 1.5; }
svg .value { font-weight: 600; }
svg .front-line { fill: none; stroke: var(--accent); stroke-width: 2; stroke-dasharray: 5 3; }
svg .point { fill: #fff; stroke: #7b8794; stroke-width: 2; }
svg .point.front { fill: var(--accent); stroke: var(--accent); }
svg .halo { fill: none; stroke: var(--accent); stroke-width: 1.5; opacity: .45; }
svg .zero { stroke: #9aa5b1; stroke-dasharray: 3 2; }
svg .span { stroke: var(--ink); stroke-width: 2; }
svg .dot { fill: var(--accent); }
.scatter { display: flex; gap: 16px; align-items: flex-start; }
.scatter svg { flex: 1 1 auto; min-width: 0; max-width: 460px; }
.aside { flex: 0 0 130px; font-size: 13px; overflow-wrap: anywhere; }
.aside ul { margin: 0; padding-left: 18px; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; color: var(--muted); font-size: 12px;
  margin-top: 8px; align-items: center; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px;
  vertical-align: -3px; margin-right: 4px; border: 1px solid rgba(0,0,0,.08); }
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; }
th:first-child, td:first-child, th.name, td.name { text-align: left; }
thead th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--card);
  white-space: normal; vertical-align: bottom; }
table.sortable thead th { cursor: pointer; user-select: none; }
table.sortable thead th[aria-sort=ascending]::after { content: " \25B2"; }
table.sortable thead th[aria-sort=descending]::after { content: " \25BC"; }
td.mini { width: 190px; padding-top: 2px; padding-bottom: 2px; }
td.mini svg { width: 180px; }
.dim { color: var(--muted); }
.badge { display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px;
  font-weight: 600; }
.badge.shown { background: #dcfce7; color: #166534; }
.badge.not-shown { background: #eef0f3; color: var(--muted); }
.grid-scroll { display: inline-block; max-width: 100%; max-height: 36rem; overflow: auto; border: 1px solid var(--line);
  border-radius: 6px; }
table.grid th, table.grid td { border: 1px solid #fff; }
table.grid td { text-align: center; min-width: 96px; }
table.grid { width: auto; }
table.grid thead th { position: sticky; top: 0; z-index: 2; text-align: center; }
table.grid tbody th { position: sticky; left: 0; z-index: 1; background: var(--card);
  text-align: left; font-weight: 500; max-width: 320px; overflow: hidden;
  text-overflow: ellipsis; }
table.grid thead th:first-child { left: 0; z-index: 3; text-align: left; }
td.not-run { background: #e5e7eb; color: var(--muted); }
footer { max-width: 1200px; margin: 0 auto; padding: 0 24px 32px; color: var(--muted);
  font-size: 12px; }
"#;

/// Sorts a `table.sortable` by the clicked column: by each cell's `data-v` as a number
/// where it has one, else by its text; cells without a value sort last either way. It
/// marks the page `data-script="ran"` once set up, which the browser test looks for.
const SCRIPT: &str = r#"
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-v");
    if (v === null) { return { missing: false, text: cell.textContent.trim() }; }
    if (v === "") { return { missing: true }; }
    return { missing: false, num: parseFloat(v) };
  }
  function compare(a, b) {
    if (a.missing || b.missing) { return (a.missing ? 1 : 0) - (b.missing ? 1 : 0); }
    if (a.num !== undefined && b.num !== undefined) { return a.num - b.num; }
    return String(a.text).localeCompare(String(b.text));
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    var body = table.tBodies[0];
    var heads = table.querySelectorAll("thead th");
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (x, y) {
          var a = key(x.cells[col]), b = key(y.cells[col]);
          if (a.missing || b.missing) { return compare(a, b); }
          return ascending ? compare(a, b) : compare(b, a);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  document.documentElement.setAttribute("data-script", "ran");
})();
"#;

/// The report as a self-contained HTML page.
pub fn html(report: &BenchReport) -> String {
    let mut out = String::with_capacity(32 * 1024);
    page(report, &mut out).expect("writing to a String cannot fail");
    out
}

/// Which agents are on the Pareto front of cost against resolved rate: those no other
/// agent matches or beats on both (cost at most theirs and rate at least theirs) while
/// beating on one. `points[i]` is agent `i`'s `(cost, rate)`, `None` when either is
/// unknown; such agents (and non-finite figures) are neither on the front nor dominate
/// anyone, since nothing says where they stand. Agents at exactly the same point are
/// both on it. The indices come cheapest first (then by rate, then by index), the order
/// the front's step line joins them in.
pub fn pareto_front(points: &[Option<(f64, f64)>]) -> Vec<usize> {
    let known: Vec<(usize, f64, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            p.filter(|(c, r)| c.is_finite() && r.is_finite())
                .map(|(c, r)| (i, c, r))
        })
        .collect();
    let dominated = |&(_, c, r): &(usize, f64, f64)| {
        known
            .iter()
            .any(|&(_, oc, or)| oc <= c && or >= r && (oc < c || or > r))
    };
    let mut front: Vec<(usize, f64, f64)> = known.iter().copied().filter(|p| !dominated(p)).collect();
    front.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.2.total_cmp(&b.2)).then(a.0.cmp(&b.0)));
    front.into_iter().map(|(i, _, _)| i).collect()
}

/// A name cut to `max` characters for a chart label; the full name goes in its tooltip.
fn short(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        name.chars().take(max - 1).chain(['…']).collect()
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn interval_text(i: Option<Interval>) -> String {
    i.map(|i| format!("{} – {}", pct(i.low), pct(i.high)))
        .unwrap_or_else(|| "–".into())
}

/// A `data-v` sort key: the number, or empty for a missing value (sorted last).
fn sort_key(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

fn page(r: &BenchReport, out: &mut String) -> fmt::Result {
    let suite = escape(&r.suite);
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Benchmark: {suite}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    )?;
    header(r, out)?;
    out.push_str("<main>\n<div class=\"charts\">\n");
    resolved_chart(r, out)?;
    cost_chart(r, out)?;
    out.push_str("</div>\n");
    agents_table(r, out)?;
    ranking_table(r, out)?;
    comparisons_table(r, out)?;
    task_grid(r, out)?;
    write!(
        out,
        "</main>\n<footer>report format {}, suite fingerprint {}</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        r.format,
        escape(&r.fingerprint)
    )
}

fn header(r: &BenchReport, out: &mut String) -> fmt::Result {
    write!(
        out,
        "<header>\n<h1>{}</h1>\n<p class=\"lede\">{} × {} × {} = {}</p>\n<dl class=\"facts\">",
        escape(&r.suite),
        units::plural(r.tasks_total, "task"),
        units::plural(r.agents.len(), "agent"),
        units::plural(r.repeats as usize, "repeat"),
        units::plural(r.trials_planned, "trial"),
    )?;
    let shards = if r.shards.is_empty() {
        "–".to_string()
    } else {
        let list: Vec<String> = r
            .shards
            .iter()
            .map(|s| format!("{}/{}", s.index, s.count))
            .collect();
        list.join(", ")
    };
    let missing_class = if r.trials_missing > 0 {
        " class=\"bad\""
    } else {
        ""
    };
    writeln!(
        out,
        "<div><dt>trials finished</dt><dd>{} of {}</dd></div>\
         <div{missing_class}><dt>trials missing</dt><dd>{}</dd></div>\
         <div><dt>shards</dt><dd>{shards}</dd></div></dl>",
        r.trials_finished, r.trials_planned, r.trials_missing,
    )?;
    if r.trials_missing > 0 {
        writeln!(
            out,
            "<p class=\"warning\" role=\"alert\"><strong>⚠ {} missing.</strong> \
             The figures cover the {} finished; run the bench again with --resume to fill them in.</p>",
            units::plural(r.trials_missing, "trial"),
            r.trials_finished,
        )?;
    }
    out.push_str("</header>\n");
    Ok(())
}

/// One horizontal bar per agent with its 95% interval as a whisker, on a 0–100% axis.
fn resolved_chart(r: &BenchReport, out: &mut String) -> fmt::Result {
    out.push_str(
        "<section id=\"resolved\">\n<h2>Resolved rate</h2>\n\
         <p class=\"note\">Mean share of trials resolved per task; whiskers are 95% bootstrap intervals over tasks.</p>\n",
    );
    if r.agents.is_empty() {
        out.push_str("<p class=\"empty\">No agents.</p>\n</section>\n");
        return Ok(());
    }
    let (width, label, right, top, row) = (500.0, 140.0, 56.0, 8.0, 34.0);
    let plot = width - label - right;
    let bottom = top + row * r.agents.len() as f64;
    let height = bottom + 40.0;
    let x = |rate: f64| label + rate.clamp(0.0, 1.0) * plot;
    write!(
        out,
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"resolved rate per agent\">\n<g class=\"axis\">"
    )?;
    for tick in 0..=10 {
        let gx = x(f64::from(tick) / 10.0);
        write!(
            out,
            "<line class=\"grid\" x1=\"{gx}\" x2=\"{gx}\" y1=\"{top}\" y2=\"{bottom}\"/>"
        )?;
        if tick % 2 == 0 {
            write!(
                out,
                "<text x=\"{gx}\" y=\"{}\" text-anchor=\"middle\">{}%</text>",
                bottom + 16.0,
                tick * 10
            )?;
        }
    }
    writeln!(
        out,
        "<line class=\"baseline\" x1=\"{label}\" x2=\"{label}\" y1=\"{top}\" y2=\"{bottom}\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">resolved</text></g>",
        label + plot / 2.0,
        bottom + 34.0
    )?;
    for (i, a) in r.agents.iter().enumerate() {
        let s = &a.stats;
        let y = top + row * i as f64;
        let mid = y + row / 2.0;
        let name = escape(&s.agent);
        write!(
            out,
            "<g><title>{name}: {} resolved ({}/{} trials), 95% interval {}</title>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            s.resolved_rate.map(pct).unwrap_or_else(|| "none".into()),
            s.resolved_trials,
            s.trials,
            interval_text(s.interval),
            label - 8.0,
            mid + 4.0,
            escape(&short(&s.agent, 22)),
        )?;
        match s.resolved_rate {
            Some(rate) => {
                write!(
                    out,
                    "<rect class=\"bar\" x=\"{label}\" y=\"{}\" width=\"{:.2}\" height=\"{}\" rx=\"2\"/>",
                    y + 6.0,
                    x(rate) - label,
                    row - 12.0
                )?;
                let mut end = x(rate);
                if let Some(i) = s.interval {
                    let (lo, hi) = (x(i.low), x(i.high));
                    end = end.max(hi);
                    write!(
                        out,
                        "<path class=\"whisker\" d=\"M{lo:.2} {mid} H{hi:.2} M{lo:.2} {} V{} M{hi:.2} {} V{}\"/>",
                        mid - 5.0,
                        mid + 5.0,
                        mid - 5.0,
                        mid + 5.0
                    )?;
                }
                write!(
                    out,
                    "<text class=\"value\" x=\"{:.2}\" y=\"{}\">{}</text>",
                    end + 6.0,
                    mid + 4.0,
                    pct(rate)
                )?;
            }
            None => write!(
                out,
                "<text class=\"tick\" x=\"{}\" y=\"{}\">no trials</text>",
                label + 6.0,
                mid + 4.0
            )?,
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n</section>\n");
    Ok(())
}

/// A step of 1, 2, 2.5 or 5 × 10ⁿ that cuts `0..max` into at most five ticks.
fn nice_step(max: f64) -> f64 {
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// Cost per task against resolved rate, with the Pareto front joined by a step line.
fn cost_chart(r: &BenchReport, out: &mut String) -> fmt::Result {
    out.push_str(
        "<section id=\"cost\">\n<h2>Cost and resolved rate</h2>\n\
         <p class=\"note\">Filled points are the Pareto front: no other agent is as cheap and as good while better at one.</p>\n",
    );
    let points: Vec<Option<(f64, f64)>> = r
        .agents
        .iter()
        .map(|a| a.cost_per_task_usd.zip(a.stats.resolved_rate))
        .collect();
    let front = pareto_front(&points);
    let unplotted: Vec<&AgentRow> = r
        .agents
        .iter()
        .zip(&points)
        .filter(|(_, p)| p.is_none())
        .map(|(a, _)| a)
        .collect();
    out.push_str("<div class=\"scatter\">\n");
    let plotted: Vec<(usize, f64, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|(c, rate)| (i, c, rate)))
        .collect();
    if plotted.is_empty() {
        out.push_str("<p class=\"empty\">No agent reported its cost.</p>\n");
    } else {
        let (width, height, left, right, top, bottom) = (400.0, 300.0, 52.0, 24.0, 12.0, 44.0);
        let (plot_w, plot_h) = (width - left - right, height - top - bottom);
        let max_cost = plotted.iter().map(|p| p.1).fold(0.0, f64::max);
        let step = nice_step(if max_cost > 0.0 { max_cost * 1.05 } else { 1.0 });
        let ticks = ((max_cost * 1.05 / step).ceil() as usize).max(1);
        let x_max = step * ticks as f64;
        let x = |c: f64| left + c / x_max * plot_w;
        let y = |rate: f64| top + (1.0 - rate.clamp(0.0, 1.0)) * plot_h;
        write!(
            out,
            "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"cost per task against resolved rate\">\n<g class=\"axis\">"
        )?;
        for tick in 0..=4 {
            let rate = f64::from(tick) / 4.0;
            let gy = y(rate);
            write!(
                out,
                "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{gy}\" y2=\"{gy}\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}%</text>",
                left + plot_w,
                left - 6.0,
                gy + 4.0,
                tick * 25
            )?;
        }
        for tick in 0..=ticks {
            let cost = step * tick as f64;
            let gx = x(cost);
            write!(
                out,
                "<line class=\"grid\" x1=\"{gx:.2}\" x2=\"{gx:.2}\" y1=\"{top}\" y2=\"{}\"/>\
                 <text x=\"{gx:.2}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                top + plot_h,
                top + plot_h + 16.0,
                units::usd(cost)
            )?;
        }
        writeln!(
            out,
            "<path class=\"baseline\" d=\"M{left} {top} V{} H{}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">cost per task (USD)</text>\
             <text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">resolved</text></g>",
            top + plot_h,
            left + plot_w,
            left + plot_w / 2.0,
            height - 8.0,
            top + plot_h / 2.0
        )?;
        let mut line = String::new();
        for (k, &i) in front.iter().enumerate() {
            let (c, rate) = points[i].unwrap_or_default();
            if k == 0 {
                let _ = write!(line, "M{:.2} {:.2}", x(c), y(rate));
            } else {
                let _ = write!(line, " H{:.2} V{:.2}", x(c), y(rate));
            }
        }
        if front.len() > 1 {
            writeln!(out, "<path class=\"front-line\" d=\"{line}\"/>")?;
        }
        for &(i, c, rate) in &plotted {
            let a = &r.agents[i];
            let on_front = front.contains(&i);
            let (px, py) = (x(c), y(rate));
            // Labels sit right of their point, or left of it near the right edge.
            let (lx, anchor) = if px > left + plot_w - 100.0 {
                (px - 9.0, "end")
            } else {
                (px + 9.0, "start")
            };
            write!(
                out,
                "<g><title>{}: {} per task, {} resolved{}</title>",
                escape(&a.stats.agent),
                units::usd(c),
                pct(rate),
                if on_front { ", on the Pareto front" } else { "" }
            )?;
            if on_front {
                write!(
                    out,
                    "<circle class=\"halo\" cx=\"{px:.2}\" cy=\"{py:.2}\" r=\"10\"/>"
                )?;
            }
            writeln!(
                out,
                "<circle class=\"point{}\" cx=\"{px:.2}\" cy=\"{py:.2}\" r=\"5.5\"/>\
                 <text x=\"{lx:.2}\" y=\"{:.2}\" text-anchor=\"{anchor}\">{}</text></g>",
                if on_front { " front" } else { "" },
                py - 8.0,
                escape(&short(&a.stats.agent, 20)),
            )?;
        }
        out.push_str("</svg>\n");
    }
    if !unplotted.is_empty() {
        out.push_str("<div class=\"aside\"><h3>cost unknown</h3><ul>");
        for a in unplotted {
            write!(
                out,
                "<li>{} <span class=\"dim\">{}</span></li>",
                escape(&a.stats.agent),
                a.stats
                    .resolved_rate
                    .map(pct)
                    .unwrap_or_else(|| "no trials".into())
            )?;
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str("</div>\n</section>\n");
    Ok(())
}

fn agents_table(r: &BenchReport, out: &mut String) -> fmt::Result {
    out.push_str("<section id=\"agents\">\n<h2>Agents</h2>\n");
    if r.agents.is_empty() {
        out.push_str("<p class=\"empty\">No agents.</p>\n</section>\n");
        return Ok(());
    }
    out.push_str(
        "<p class=\"note\">Click a column to sort. Costs are over the trials whose agent reported one.</p>\n\
         <div class=\"table-scroll\"><table class=\"sortable\">\n<thead><tr><th>agent</th>\
         <th>resolved (pass@1)</th><th>95% interval</th>",
    );
    let max_k = r.agents.iter().map(|a| a.stats.pass_at.len()).max().unwrap_or(0) as u32;
    let ks: Vec<u32> = [2, 3, 5, 10].into_iter().filter(|k| *k <= max_k).collect();
    for k in &ks {
        write!(out, "<th>pass@{k}</th><th>pass^{k}</th>")?;
    }
    out.push_str(
        "<th>cost / task</th><th>cost / resolved</th><th>time / task</th>\
         <th>tokens in / out</th><th>review</th></tr></thead>\n<tbody>\n",
    );
    let usd = |x: Option<f64>| x.map(units::usd).unwrap_or_else(|| "unknown".into());
    let tokens = |x: Option<f64>| {
        x.map(|t| units::tokens(t.round() as u64))
            .unwrap_or_else(|| "–".into())
    };
    for a in &r.agents {
        let s = &a.stats;
        write!(
            out,
            "<tr><td class=\"name\">{}</td><td data-v=\"{}\">{} <span class=\"dim\">{}/{}</span></td>\
             <td data-v=\"{}\">{}</td>",
            escape(&s.agent),
            sort_key(s.resolved_rate),
            s.resolved_rate.map(pct).unwrap_or_else(|| "–".into()),
            s.resolved_trials,
            s.trials,
            sort_key(s.interval.map(|i| i.low)),
            interval_text(s.interval),
        )?;
        for k in &ks {
            let at = |v: &[(u32, f64)]| v.iter().find(|(kk, _)| kk == k).map(|(_, x)| *x);
            for x in [at(&s.pass_at), at(&s.pass_hat)] {
                write!(
                    out,
                    "<td data-v=\"{}\">{}</td>",
                    sort_key(x),
                    x.map(pct).unwrap_or_else(|| "–".into())
                )?;
            }
        }
        writeln!(
            out,
            "<td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>\
             <td data-v=\"{}\">{} / {}</td><td data-v=\"{}\">{}</td></tr>",
            sort_key(a.cost_per_task_usd),
            usd(a.cost_per_task_usd),
            sort_key(a.cost_per_resolved_usd),
            usd(a.cost_per_resolved_usd),
            a.time_per_task_s,
            units::duration_ms((a.time_per_task_s * 1000.0).round() as u64),
            sort_key(a.input_tokens_per_task),
            tokens(a.input_tokens_per_task),
            tokens(a.output_tokens_per_task),
            sort_key(a.review_score),
            a.review_score
                .map(|x| format!("{x:.0}"))
                .unwrap_or_else(|| "–".into()),
        )?;
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    Ok(())
}

/// A small inline interval plot for a table cell: a span from `low` to `high` with a dot
/// at `point`, on a `from..to` scale, with a dashed line at `mark` if given.
fn mini_interval(point: f64, low: f64, high: f64, from: f64, to: f64, mark: Option<f64>) -> String {
    let (width, pad) = (180.0, 6.0);
    let x = |v: f64| pad + ((v - from) / (to - from)).clamp(0.0, 1.0) * (width - 2.0 * pad);
    let mut svg = format!("<svg viewBox=\"0 0 {width} 18\" aria-hidden=\"true\">");
    if let Some(m) = mark {
        let _ = write!(
            svg,
            "<line class=\"zero\" x1=\"{0:.2}\" x2=\"{0:.2}\" y1=\"1\" y2=\"17\"/>",
            x(m)
        );
    }
    let _ = write!(
        svg,
        "<line class=\"grid\" x1=\"{pad}\" x2=\"{}\" y1=\"9\" y2=\"9\"/>\
         <line class=\"span\" x1=\"{:.2}\" x2=\"{:.2}\" y1=\"9\" y2=\"9\"/>\
         <circle class=\"dot\" cx=\"{:.2}\" cy=\"9\" r=\"4\"/></svg>",
        width - pad,
        x(low),
        x(high),
        x(point)
    );
    svg
}

fn ranking_table(r: &BenchReport, out: &mut String) -> fmt::Result {
    if r.ranking.is_empty() {
        return Ok(());
    }
    out.push_str(
        "<section id=\"ranking\">\n<h2>Ranking</h2>\n<p class=\"note\">Bradley–Terry strengths from who \
         resolved more of each task than whom (ties count half), with 95% bootstrap intervals over tasks.</p>\n\
         <div class=\"table-scroll\"><table>\n<thead><tr><th>rank</th><th class=\"name\">agent</th><th>strength</th>\
         <th>95% interval</th><th class=\"name\">interval</th><th>rank range</th></tr></thead>\n<tbody>\n",
    );
    let scale = r.ranking.iter().map(|row| row.high).fold(0.0, f64::max).max(1e-9);
    for row in &r.ranking {
        let range = if row.rank_low == row.rank_high {
            row.rank_low.to_string()
        } else {
            format!("{} – {}", row.rank_low, row.rank_high)
        };
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"name\">{}</td><td>{:.3}</td><td>{:.3} – {:.3}</td>\
             <td class=\"mini name\">{}</td><td>{range}</td></tr>",
            row.rank,
            escape(&row.agent),
            row.strength,
            row.low,
            row.high,
            mini_interval(row.strength, row.low, row.high, 0.0, scale, None),
        )?;
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    Ok(())
}

fn comparisons_table(r: &BenchReport, out: &mut String) -> fmt::Result {
    if r.comparisons.is_empty() {
        return Ok(());
    }
    out.push_str(
        "<section id=\"comparisons\">\n<h2>Is the difference real?</h2>\n<p class=\"note\">Each pair on the \
         tasks both ran: the mean difference in resolved rate with a paired bootstrap interval (the plot runs \
         from −100 to +100 points), and an exact sign test (McNemar) on the tasks only one of them did better on.</p>\n\
         <div class=\"table-scroll\"><table>\n<thead><tr><th>A vs B</th><th>tasks</th><th>A − B</th>\
         <th>95% interval</th><th class=\"name\">interval</th><th>A better</th><th>B better</th><th>p</th>\
         <th class=\"name\">verdict</th></tr></thead>\n<tbody>\n",
    );
    for p in &r.comparisons {
        let verdict = match p.verdict {
            Verdict::ABetter => format!("<span class=\"badge shown\">{} is better</span>", escape(&p.a)),
            Verdict::BBetter => format!("<span class=\"badge shown\">{} is better</span>", escape(&p.b)),
            Verdict::NotShown => "<span class=\"badge not-shown\">not shown</span>".into(),
        };
        writeln!(
            out,
            "<tr><td>{} <span class=\"dim\">vs</span> {}</td><td>{}</td><td>{:+.1} pts</td><td>{:+.1} – {:+.1}</td>\
             <td class=\"mini name\">{}</td><td>{}</td><td>{}</td><td>{:.3}</td><td class=\"name\">{verdict}</td></tr>",
            escape(&p.a),
            escape(&p.b),
            p.tasks,
            p.mean_difference * 100.0,
            p.interval.low * 100.0,
            p.interval.high * 100.0,
            mini_interval(p.mean_difference, p.interval.low, p.interval.high, -1.0, 1.0, Some(0.0)),
            p.a_only,
            p.b_only,
            p.p_value,
        )?;
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    Ok(())
}

/// A cell's colour: red at no trial resolved through yellow to green at all of them.
fn share_colour(c: Count) -> Option<String> {
    c.rate()
        .map(|share| format!("hsl({:.0}, 70%, 80%)", share * 120.0))
}

fn task_grid(r: &BenchReport, out: &mut String) -> fmt::Result {
    out.push_str(
        "<section id=\"tasks\">\n<h2>Per task</h2>\n<p class=\"note\">Resolved trials of each agent on each task.</p>\n",
    );
    if r.grid.is_empty() {
        out.push_str("<p class=\"empty\">No tasks.</p>\n</section>\n");
        return Ok(());
    }
    out.push_str("<div class=\"grid-scroll\"><table class=\"grid\">\n<thead><tr><th>task</th>");
    for a in &r.agents {
        write!(
            out,
            "<th title=\"{0}\">{1}</th>",
            escape(&a.stats.agent),
            escape(&short(&a.stats.agent, 24))
        )?;
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &r.grid {
        let task = escape(&row.task);
        write!(
            out,
            "<tr class=\"task\"><th scope=\"row\" title=\"{task}\">{task}</th>"
        )?;
        for (a, c) in r.agents.iter().zip(&row.cells) {
            let agent = escape(&a.stats.agent);
            match share_colour(*c) {
                Some(colour) => write!(
                    out,
                    "<td style=\"background:{colour}\" title=\"{task} · {agent}: {} of {} resolved\">{}/{}</td>",
                    c.resolved,
                    units::plural(c.n as usize, "trial"),
                    c.resolved,
                    c.n
                )?,
                None => write!(out, "<td class=\"not-run\" title=\"{task} · {agent}: not run\">–</td>")?,
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n<div class=\"legend\">");
    for (label, c) in [
        ("none resolved", Count { n: 1, resolved: 0 }),
        ("half", Count { n: 2, resolved: 1 }),
        ("all resolved", Count { n: 1, resolved: 1 }),
    ] {
        write!(
            out,
            "<span><span class=\"swatch\" style=\"background:{}\"></span>{label}</span>",
            share_colour(c).unwrap_or_default()
        )?;
    }
    out.push_str(
        "<span><span class=\"swatch\" style=\"background:#e5e7eb\"></span>not run</span></div>\n</section>\n",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use bakeoff_testkit::chromium::{chromium, console_messages, screenshot};

    use super::*;
    use crate::bench::fixtures;
    use crate::bench::journal::TrialResult;
    use crate::bench::report;
    use crate::bench::suite::Suite;
    use crate::bench::trial::{Shard, TrialKey};

    fn suite(name: &str, agents: &[&str], tasks: usize, repeats: u32) -> Suite {
        let ids: Vec<String> = (0..tasks).map(|t| format!("task-{t:03}")).collect();
        fixtures::suite(name, &ids, agents, repeats)
    }

    fn trial(task: &str, agent: &str, repeat: u32, resolved: bool, cost: Option<f64>) -> TrialResult {
        TrialResult {
            elapsed_ms: 40_000 + 7_000 * u64::from(repeat),
            agent_ms: 30_000,
            input_tokens: Some(52_000),
            output_tokens: Some(3_400),
            turns: Some(9),
            review_score: resolved.then_some(78.0),
            diff_lines: 12,
            ..fixtures::result(task, agent, repeat, resolved, cost)
        }
    }

    /// Every trial of `suite`, agent `a` on task `t` resolving its first `resolved(a, t)`
    /// repeats, at `cost(a)` a trial.
    fn trials(
        suite: &Suite,
        resolved: impl Fn(usize, usize) -> u32,
        cost: impl Fn(usize) -> Option<f64>,
    ) -> BTreeMap<TrialKey, TrialResult> {
        let mut out = BTreeMap::new();
        for (t, task) in suite.tasks.iter().enumerate() {
            for (a, agent) in suite.agents.iter().enumerate() {
                for repeat in 0..suite.repeats {
                    let r = trial(&task.id, agent, repeat, repeat < resolved(a, t), cost(a));
                    out.insert(r.key.clone(), r);
                }
            }
        }
        out
    }

    /// Three agents on six tasks, three repeats each; one agent reports no cost and one
    /// trial is missing.
    fn realistic() -> BenchReport {
        let s = suite("nightly <python>", &["claude-code", "codex", "aider & co"], 6, 3);
        let counts = [[3, 3, 2, 3, 1, 3], [3, 1, 2, 0, 1, 2], [2, 2, 0, 1, 0, 3]];
        let mut results = trials(&s, |a, t| counts[a][t], |a| [Some(0.42), Some(0.11), None][a]);
        results.remove(&TrialKey {
            task: "task-005".into(),
            agent: "aider & co".into(),
            repeat: 2,
        });
        report::build(
            &s,
            "fp",
            vec![Shard { index: 0, count: 2 }, Shard { index: 1, count: 2 }],
            &results,
        )
    }

    #[test]
    fn pareto_front_table() {
        let p = |c: f64, r: f64| Some((c, r));
        // A case: its name, each agent's (cost, rate), the front.
        type Case = (&'static str, Vec<Option<(f64, f64)>>, Vec<usize>);
        let cases: &[Case] = &[
            ("nobody", vec![], vec![]),
            ("one agent", vec![p(1.0, 0.5)], vec![0]),
            ("all costs unknown", vec![None, None], vec![]),
            (
                "cheaper and better dominates",
                vec![p(2.0, 0.4), p(1.0, 0.5)],
                vec![1],
            ),
            (
                "a trade-off keeps both",
                vec![p(2.0, 0.6), p(1.0, 0.4)],
                vec![1, 0],
            ),
            (
                "same cost, better rate wins",
                vec![p(1.0, 0.5), p(1.0, 0.6)],
                vec![1],
            ),
            ("same rate, cheaper wins", vec![p(1.0, 0.5), p(2.0, 0.5)], vec![0]),
            (
                "an exact tie keeps both",
                vec![p(1.0, 0.5), p(1.0, 0.5)],
                vec![0, 1],
            ),
            (
                "unknown cost neither joins nor dominates",
                vec![None, p(2.0, 0.3)],
                vec![1],
            ),
            (
                "a non-finite cost is unknown",
                vec![p(f64::NAN, 0.9), p(1.0, 0.1)],
                vec![1],
            ),
            (
                "cheapest first, dominated left out",
                vec![p(3.0, 0.9), p(1.0, 0.2), p(2.0, 0.5), p(2.5, 0.4), p(0.5, 0.2)],
                vec![4, 2, 0],
            ),
            (
                "free and perfect beats all",
                vec![p(1.0, 0.9), p(0.0, 1.0)],
                vec![1],
            ),
        ];
        for (name, points, want) in cases {
            assert_eq!(&pareto_front(points), want, "{name}");
        }
    }

    #[test]
    fn escape_makes_markup_inert() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let evil = "<script>alert(1)</script>";
        let s = suite("<b>suite</b>", &[evil, "ok"], 2, 1);
        let page = html(&report::build(
            &s,
            "f",
            vec![Shard::ALL],
            &trials(&s, |_, _| 1, |_| Some(0.1)),
        ));
        assert!(!page.contains(evil), "{page}");
        assert!(!page.contains("<b>suite"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The page's own sorting script is the only one.
        assert_eq!(page.matches("<script").count(), 1);
    }

    #[test]
    fn one_bar_per_agent_and_one_grid_row_per_task() {
        let r = realistic();
        let page = html(&r);
        assert_eq!(page.matches("class=\"bar\"").count(), 3);
        assert_eq!(page.matches("<tr class=\"task\"").count(), 6);
        assert!(page.contains("1 trial missing"), "a visible warning");
        assert!(page.contains("0/2, 1/2"), "the shards");
        // Claude and codex trade cost for rate; aider's cost is unknown, so listed aside.
        assert_eq!(page.matches("class=\"point front\"").count(), 2);
        assert!(
            page.contains("<h3>cost unknown</h3><ul><li>aider &amp; co"),
            "{page}"
        );
        assert!(page.contains("class=\"front-line\""));
        assert!(page.contains("title=\"task-000 · codex: 3 of 3 trials resolved\">3/3</td>"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let page = html(&realistic());
        assert!(!page.contains("http://") && !page.contains("https://"), "{page}");
        assert!(!page.contains(" src=") && !page.contains("<link"), "{page}");
    }

    #[test]
    fn edge_cases_render() {
        let none = suite("empty", &[], 2, 1);
        let page = html(&report::build(&none, "f", vec![Shard::ALL], &BTreeMap::new()));
        assert!(page.contains("No agents."));
        assert_eq!(page.matches("<tr class=\"task\"").count(), 2);

        let one = suite("solo", &["only"], 3, 2);
        let page = html(&report::build(
            &one,
            "f",
            vec![Shard::ALL],
            &trials(&one, |_, t| t as u32 % 3, |_| None),
        ));
        assert_eq!(page.matches("class=\"bar\"").count(), 1);
        assert!(page.contains("No agent reported its cost."));
        assert!(!page.contains("id=\"comparisons\""));

        let wide = suite("wide", &["a", "b"], 100, 1);
        let page = html(&report::build(
            &wide,
            "f",
            vec![Shard::ALL],
            &trials(
                &wide,
                |a, t| u32::from((t + a) % 2 == 0),
                |a| Some(0.1 * (a + 1) as f64),
            ),
        ));
        assert_eq!(page.matches("<tr class=\"task\"").count(), 100);
        assert!(page.contains("class=\"grid-scroll\""), "the grid scrolls");
    }

    #[test]
    fn nice_steps() {
        for (max, step) in [(0.44, 0.1), (1.0, 0.2), (12.0, 2.5), (0.003, 0.001), (7.0, 2.0)] {
            assert!((nice_step(max) - step).abs() < 1e-12, "{max}: {}", nice_step(max));
        }
    }

    #[test]
    fn chromium_renders_the_page_without_console_messages() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("report.html");
        std::fs::write(&page, html(&realistic())).unwrap();

        let (run, png) = screenshot(dir.path(), &page);
        assert!(run.status.success(), "chromium failed: {}", run.stderr);
        assert_eq!(
            console_messages(&run.stderr),
            Vec::<&str>::new(),
            "{}",
            run.stderr
        );
        let bytes = std::fs::read(&png).expect("chromium wrote no screenshot");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        assert!(
            bytes.len() > 10 * 1024,
            "a blank screenshot: {} bytes",
            bytes.len()
        );
        let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-html");
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::write(keep.join("report.png"), &bytes).unwrap();
        std::fs::copy(&page, keep.join("report.html")).unwrap();

        let run = chromium(dir.path(), &page, &["--dump-dom".into()]);
        assert!(run.status.success(), "chromium failed: {}", run.stderr);
        assert_eq!(
            console_messages(&run.stderr),
            Vec::<&str>::new(),
            "{}",
            run.stderr
        );
        let dom = &run.stdout;
        assert!(
            dom.contains("data-script=\"ran\""),
            "the script did not finish: {dom}"
        );
        for name in ["claude-code", "codex", "aider &amp; co"] {
            assert!(dom.contains(name), "{name} missing from {dom}");
        }
        assert_eq!(dom.matches("<svg viewBox").count(), dom.matches("<svg").count());
        assert_eq!(dom.matches("role=\"img\"").count(), 2, "the two charts");
        assert_eq!(dom.matches("class=\"bar\"").count(), 3);
        assert!(dom.contains("class=\"front-line\""));
    }

    #[test]
    fn chromium_sorts_the_agents_table() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("sorted.html");
        // Clicks "cost / task" twice, noting the agents' order after each click.
        let clicks = r#"<script>
var th = Array.prototype.filter.call(document.querySelectorAll("table.sortable th"),
  function (h) { return h.textContent === "cost / task"; })[0];
function order() {
  return Array.prototype.map.call(document.querySelectorAll("table.sortable tbody tr"),
    function (r) { return r.cells[0].textContent; }).join(",");
}
th.click();
document.body.setAttribute("data-ascending", order());
th.click();
document.body.setAttribute("data-descending", order());
</script></body>"#;
        std::fs::write(&page, html(&realistic()).replace("</body>", clicks)).unwrap();
        let run = chromium(dir.path(), &page, &["--dump-dom".into()]);
        assert!(run.status.success(), "chromium failed: {}", run.stderr);
        assert_eq!(
            console_messages(&run.stderr),
            Vec::<&str>::new(),
            "{}",
            run.stderr
        );
        // An unknown cost sorts last both ways.
        assert!(
            run.stdout
                .contains("data-ascending=\"codex,claude-code,aider &amp; co\""),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("data-descending=\"claude-code,codex,aider &amp; co\""),
            "{}",
            run.stdout
        );
    }
    // The proof that the console check catches a broken page is the helper's own test
    // (bakeoff-testkit's `chromium` module).
}
