//! Text tables (the leaderboard, `list`) laid out by comfy-table: no borders, columns
//! two spaces apart, and, on a terminal, cells wrapped so the table fits its width.

use std::io::IsTerminal;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use bakeoff_core::journal::Listed;

/// Columns between two cells.
const GAP: u16 = 2;

/// A borderless table `width` columns wide at most, or as wide as its cells when
/// `width` is `None` (output that is not a terminal: a file or a pipe keeps whole lines
/// for whoever reads it). Cells may carry bakeoff's color codes: they take no width.
pub(crate) fn table(width: Option<usize>) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    match width {
        Some(width) => {
            // The last column is left empty, as in the live display: some terminals
            // wrap as soon as it is written.
            let width = width.saturating_sub(1).clamp(1, u16::MAX as usize) as u16;
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table
}

/// Sets each column's alignment (`true` for right-aligned) and the gap after it.
pub(crate) fn align(table: &mut Table, right_aligned: &[bool]) {
    for (i, right) in right_aligned.iter().enumerate() {
        if let Some(column) = table.column_mut(i) {
            column.set_padding((0, GAP));
            column.set_cell_alignment(if *right {
                CellAlignment::Right
            } else {
                CellAlignment::Left
            });
        }
    }
}

/// The table's lines, without the spaces that would pad each line's end, each ending
/// in a newline.
pub(crate) fn render(table: &Table) -> String {
    let mut out = String::new();
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Rows of cells as an aligned, borderless table indented by `indent` spaces, every
/// column left-aligned, fitted to `width` as [`table`] does (the indent included).
pub fn indented_table(rows: &[Vec<String>], indent: usize, width: Option<usize>) -> String {
    spaced_table(rows, indent, &[], width)
}

/// [`indented_table`] with the spaces after each column given by `gaps` (two for any
/// column it does not name).
pub fn spaced_table(rows: &[Vec<String>], indent: usize, gaps: &[u16], width: Option<usize>) -> String {
    let mut table = table(width.map(|w| w.saturating_sub(indent)));
    for row in rows {
        table.add_row(row.clone());
    }
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    align(&mut table, &vec![false; columns]);
    for (i, gap) in gaps.iter().enumerate() {
        if let Some(column) = table.column_mut(i) {
            column.set_padding((0, *gap));
        }
    }
    let pad = " ".repeat(indent);
    render(&table)
        .lines()
        .map(|line| format!("{pad}{line}\n"))
        .collect()
}

/// The width of the terminal stdout is on; `None` when stdout is not a terminal.
pub fn stdout_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    console::Term::stdout()
        .size_checked()
        .map(|(_, cols)| cols as usize)
}

/// The width of the terminal stderr is on; `None` when stderr is not a terminal.
pub fn stderr_width() -> Option<usize> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    console::Term::stderr()
        .size_checked()
        .map(|(_, cols)| cols as usize)
}

/// `bakeoff list`: one line per race (id, lanes, status, title), newest first as
/// `races` are, with no header so each line starts with the race's id. On a terminal the
/// title wraps to fit `width`.
pub fn list_table(races: &[Listed], width: Option<usize>) -> String {
    let mut table = table(width);
    for race in races {
        table.add_row(match race {
            Listed::Race(r) => vec![
                r.id.clone(),
                bakeoff_core::units::plural(r.lanes, "lane"),
                r.status.to_string(),
                r.title.clone(),
            ],
            Listed::Unreadable(id) => vec![
                id.clone(),
                String::new(),
                "(unreadable record)".to_string(),
                String::new(),
            ],
        });
    }
    align(&mut table, &[false; 4]);
    render(&table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bakeoff_core::journal::{RaceListing, RaceStatus};

    fn races() -> Vec<Listed> {
        let race = |id: &str, lanes, status, title: &str| {
            Listed::Race(RaceListing {
                id: id.into(),
                created_at: "2026-11-21T15:30:00Z".into(),
                title: title.into(),
                lanes,
                status,
            })
        };
        vec![
            race(
                "20261121-1530-fix-retry",
                3,
                RaceStatus::Winner("opus".into()),
                "Fix the retry loop so that a 429 with retry-after waits as long as it says",
            ),
            Listed::Unreadable("20261121-1400-broken".into()),
            race("20261120-0900-docs", 1, RaceStatus::NoWinner, "Docs"),
        ]
    }

    #[test]
    fn an_indented_table_fits_with_its_indent() {
        let rows = vec![
            vec![
                "claude".to_string(),
                "claude -p SPEC --output-format stream-json --verbose".to_string(),
            ],
            vec![String::new(), "cost: reported".to_string()],
        ];
        assert_eq!(
            indented_table(&rows, 2, None),
            "  claude  claude -p SPEC --output-format stream-json --verbose\n          cost: reported\n"
        );
        let narrow = indented_table(&rows, 2, Some(40));
        for line in narrow.lines() {
            assert!(
                line.starts_with("  ") && line.chars().count() < 40,
                "{line:?}\n{narrow}"
            );
        }
        assert!(narrow.contains("--verbose"), "{narrow}");
    }

    #[test]
    fn list_lines_start_with_the_id_and_fit_the_terminal() {
        let whole = list_table(&races(), None);
        assert_eq!(
            whole,
            "\
20261121-1530-fix-retry  3 lanes  winner opus          Fix the retry loop so that a 429 with retry-after waits as long as it says
20261121-1400-broken              (unreadable record)
20261120-0900-docs       1 lane   no winner            Docs
"
        );
        let narrow = list_table(&races(), Some(80));
        for line in narrow.lines() {
            assert!(line.chars().count() < 80, "{line:?}\n{narrow}");
        }
        // The title wraps under itself; every race still starts a line with its id.
        let ids: Vec<&str> = narrow
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| w.starts_with("2026"))
            .collect();
        assert_eq!(ids.len(), 3, "{narrow}");
        assert!(narrow.contains("Fix the retry loop"), "{narrow}");
    }
}
