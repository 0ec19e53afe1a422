//! The leaderboard as a text table, printed at the end of a race and by `show`.

use bakeoff_core::rank::{Leaderboard, Row, Tier};
use bakeoff_core::units::{duration_ms, usd};

use comfy_table::ColumnConstraint;

use super::color::{Paint, Style};
use super::{table, text};

const COLUMNS: usize = 11;

const HEADERS: [&str; COLUMNS] = [
    "#", "lane", "agent", "model", "tier", "checks", "reviews", "cost", "diff", "time", "reason",
];

/// Numbers read best right-aligned; names and words left-aligned.
const RIGHT_ALIGNED: [bool; COLUMNS] = [
    true, false, false, false, false, true, false, true, true, true, false,
];

/// The columns left out, in this order, while the table does not fit the terminal.
const HIDE_ORDER: [usize; 7] = [2, 8, 9, 3, 7, 6, 5];

/// The reason wraps, but into no fewer columns than this.
const MIN_REASON_WIDTH: usize = 24;

/// Columns painted by the row's standing.
const TIER: usize = 4;
const REASON: usize = COLUMNS - 1;

/// Renders `board` as a table (one row per lane, the reason last so it may run long)
/// followed by the verdict line. Ends with a newline. With a `width` (the terminal's),
/// the least needed columns are left out and cells wrapped so that no line is wider
/// ([`hidden_columns`]).
pub fn render_leaderboard(board: &Leaderboard, color: bool, width: Option<usize>) -> String {
    let paint = Paint::new(color);
    let cells: Vec<[String; COLUMNS]> = board.rows.iter().map(cells).collect();
    let mut table = table::table(width);
    table.set_header(HEADERS.map(|h| paint.style(Style::Bold, h)));
    for (row, text) in board.rows.iter().zip(&cells) {
        let painted: Vec<String> = text
            .iter()
            .enumerate()
            .map(|(column, cell)| match column {
                TIER if !row.gates_failed.is_empty() => paint.style(Style::Red, cell),
                TIER => paint.style(tier_style(row.tier), cell),
                REASON if !row.gates_failed.is_empty() => paint.style(Style::Red, cell),
                _ => cell.to_string(),
            })
            .collect();
        table.add_row(painted);
    }
    table::align(&mut table, &RIGHT_ALIGNED);
    if let Some(width) = width {
        for column in hidden_columns(&cells, width) {
            if let Some(column) = table.column_mut(column) {
                column.set_constraint(ColumnConstraint::Hidden);
            }
        }
    }
    let mut out = table::render(&table);
    out.push_str(&verdict(board, paint));
    out.push('\n');
    out
}

/// The columns to leave out so the table fits in `width` with the reason at least
/// [`MIN_REASON_WIDTH`] wide (it wraps within that): the agent first (the model column
/// names it too), then the diff, the time, the model, the cost, the reviews and the
/// checks. The position, lane, tier and reason always stay.
fn hidden_columns(cells: &[[String; COLUMNS]], width: usize) -> Vec<usize> {
    let mut widths = HEADERS.map(text::width);
    for row in cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(text::width(cell));
        }
    }
    let room = width.saturating_sub(1);
    let mut hidden = Vec::new();
    let needed = |hidden: &[usize]| {
        let shown: Vec<usize> = (0..COLUMNS).filter(|c| !hidden.contains(c)).collect();
        let fixed: usize = shown.iter().filter(|&&c| c != REASON).map(|&c| widths[c]).sum();
        fixed + 2 * (shown.len() - 1) + widths[REASON].min(MIN_REASON_WIDTH)
    };
    for column in HIDE_ORDER {
        if needed(&hidden) <= room {
            break;
        }
        hidden.push(column);
    }
    hidden
}

fn cells(row: &Row) -> [String; COLUMNS] {
    let checks = if row.checks_total == 0 {
        "-".to_string()
    } else {
        format!("{}/{}", row.checks_passed, row.checks_total)
    };
    [
        row.position.to_string(),
        row.lane.clone(),
        row.agent.clone(),
        model(row),
        // A gated lane's tier would read as a grade it did not earn; the JSON keeps it.
        if row.gates_failed.is_empty() {
            row.tier.to_string()
        } else {
            "gated".to_string()
        },
        checks,
        reviews(row),
        row.cost_usd.map(usd).unwrap_or_else(|| "?".into()),
        bakeoff_core::units::plural(row.diff_lines, "line"),
        duration_ms(row.elapsed_ms),
        reason(row),
    ]
}

/// Each reviewer's verdict and score: `approve 81 · rc 48`; `-` when none answered.
fn reviews(row: &Row) -> String {
    match row.reviews.is_empty() {
        true => "-".to_string(),
        false => row
            .reviews
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

/// The model behind the agent, with its lab: `claude-sonnet-4-6 (anthropic)`.
fn model(row: &Row) -> String {
    let model = &row.provenance.model;
    let model = model.split_once(':').map_or(model.as_str(), |(_, m)| m);
    match (model, &row.provenance.lab) {
        ("", _) => "-".to_string(),
        (m, Some(lab)) => format!("{m} ({lab})"),
        (m, None) => m.to_string(),
    }
}

/// The row's reason; for a lane that did not pass, what its agent said too (an error it
/// reported, why it was stopped).
fn reason(row: &Row) -> String {
    match &row.agent_error {
        Some(error) if !row.passed => format!("{}; agent: {error}", row.reason),
        _ => row.reason.clone(),
    }
}

fn tier_style(tier: Tier) -> Style {
    match tier {
        Tier::Full => Style::Green,
        Tier::Partial => Style::Yellow,
        Tier::None => Style::Red,
    }
}

/// `winner: X`, or why there is none: nothing got through the gates, or the best lane
/// got through but did not pass every check.
fn verdict(board: &Leaderboard, paint: Paint) -> String {
    if let Some(winner) = &board.winner {
        return format!("{} {winner}", paint.style(Style::Green, "winner:"));
    }
    let best = board.rows.iter().find(|r| r.gates_failed.is_empty());
    let text = match best {
        Some(best) => format!("no lane passed every check (best: {}, {})", best.lane, best.tier),
        None => "no lane passed the gates".to_string(),
    };
    paint.style(Style::Yellow, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(position: usize, lane: &str, tier: Tier, gates: &[&str], reason: &str) -> Row {
        Row {
            position,
            lane: lane.to_string(),
            agent: format!("claude:{lane}"),
            provenance: bakeoff_core::rank::Provenance {
                model: format!("claude:{lane}"),
                lab: Some("anthropic".into()),
            },
            tier,
            passed: gates.is_empty() && tier == Tier::Full,
            gates_failed: gates.iter().map(|g| g.to_string()).collect(),
            reason: reason.to_string(),
            cost_usd: Some(0.12),
            diff_lines: 40,
            elapsed_ms: 65_000,
            checks_passed: 3,
            checks_total: 3,
            fix_rounds: 0,
            agent_error: None,
            reviews: vec![
                bakeoff_core::rank::ReviewMark {
                    verdict: bakeoff_core::review::Verdict::Approve,
                    score: 81,
                },
                bakeoff_core::rank::ReviewMark {
                    verdict: bakeoff_core::review::Verdict::RequestChanges,
                    score: 48,
                },
            ],
        }
    }

    fn board() -> Leaderboard {
        let second = Row {
            cost_usd: None,
            diff_lines: 120,
            elapsed_ms: 9_500,
            checks_passed: 0,
            checks_total: 0,
            agent_error: Some("Invalid API key".into()),
            reviews: vec![],
            ..row(2, "sonnet-long", Tier::Full, &["empty diff"], "gated: empty diff")
        };
        Leaderboard {
            format: 1,
            rows: vec![
                row(
                    1,
                    "opus",
                    Tier::Full,
                    &[],
                    "FULL: 3/3 checks pass; only lane through the gates",
                ),
                second,
            ],
            winner: Some("opus".into()),
        }
    }

    #[test]
    fn plain_table() {
        let want = "\
#  lane         agent               model                    tier   checks  reviews              cost       diff    time  reason
1  opus         claude:opus         opus (anthropic)         FULL      3/3  approve 81 · rc 48  $0.12   40 lines  1m 05s  FULL: 3/3 checks pass; only lane through the gates
2  sonnet-long  claude:sonnet-long  sonnet-long (anthropic)  gated       -  -                       ?  120 lines    9.5s  gated: empty diff; agent: Invalid API key
winner: opus
";
        assert_eq!(render_leaderboard(&board(), false, None), want);
    }

    #[test]
    fn colored_table() {
        let want = "\
\x1b[1m#\x1b[0m  \x1b[1mlane\x1b[0m         \x1b[1magent\x1b[0m               \x1b[1mmodel\x1b[0m                    \x1b[1mtier\x1b[0m   \x1b[1mchecks\x1b[0m  \x1b[1mreviews\x1b[0m              \x1b[1mcost\x1b[0m       \x1b[1mdiff\x1b[0m    \x1b[1mtime\x1b[0m  \x1b[1mreason\x1b[0m
1  opus         claude:opus         opus (anthropic)         \x1b[32mFULL\x1b[0m      3/3  approve 81 · rc 48  $0.12   40 lines  1m 05s  FULL: 3/3 checks pass; only lane through the gates
2  sonnet-long  claude:sonnet-long  sonnet-long (anthropic)  \x1b[31mgated\x1b[0m       -  -                       ?  120 lines    9.5s  \x1b[31mgated: empty diff; agent: Invalid API key\x1b[0m
\x1b[32mwinner:\x1b[0m opus
";
        assert_eq!(render_leaderboard(&board(), true, None), want);
    }

    #[test]
    fn verdict_lines() {
        let partial = Leaderboard {
            format: 1,
            rows: vec![row(
                1,
                "a",
                Tier::Partial,
                &[],
                "PARTIAL: holdout 1/2 pass; only lane",
            )],
            winner: None,
        };
        let gated = Leaderboard {
            format: 1,
            rows: vec![row(1, "a", Tier::Full, &["cancelled"], "gated: cancelled")],
            winner: None,
        };
        let empty = Leaderboard {
            format: 1,
            rows: vec![],
            winner: None,
        };
        let last_line = |b: &Leaderboard, color| {
            render_leaderboard(b, color, None)
                .lines()
                .last()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            last_line(&partial, false),
            "no lane passed every check (best: a, PARTIAL)"
        );
        assert_eq!(last_line(&gated, false), "no lane passed the gates");
        assert_eq!(last_line(&gated, true), "\x1b[33mno lane passed the gates\x1b[0m");
        assert_eq!(
            render_leaderboard(&empty, false, None),
            "#  lane  agent  model  tier  checks  reviews  cost  diff  time  reason\nno lane passed the gates\n"
        );
    }

    #[test]
    fn the_table_fits_a_terminal() {
        for color in [false, true] {
            for cols in [40, 60, 80, 100, 140, 200] {
                let table = render_leaderboard(&board(), color, Some(cols));
                for line in table.lines() {
                    let shown = console::strip_ansi_codes(line);
                    assert!(text::width(&shown) < cols, "{cols} columns: {shown:?}\n{table}");
                }
                // Every lane is still in it.
                assert!(table.contains("opus") && table.contains("sonnet-long"), "{table}");
            }
        }
        let want = "\
#  lane         model                    tier   checks  reviews              cost       diff    time  reason
1  opus         opus (anthropic)         FULL      3/3  approve 81 · rc 48  $0.12   40 lines  1m 05s  FULL: 3/3 checks pass; only lane
                                                                                                      through the gates
";
        // Narrower, the columns the others say most of give way.
        let want_60 = "\
#  lane         tier   checks  reason
1  opus         FULL      3/3  FULL: 3/3 checks pass;
                               only lane through the
                               gates
2  sonnet-long  gated       -  gated: empty diff; agent:
                               Invalid API key
winner: opus
";
        assert_eq!(render_leaderboard(&board(), false, Some(60)), want_60);
        assert!(render_leaderboard(&board(), false, Some(140)).starts_with(want));
    }
}
