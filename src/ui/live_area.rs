//! Which lanes the live display shows when the terminal has fewer rows than the race has
//! lanes: as many lane lines as fit, running lanes first, and one line that counts the
//! rest, so every lane is on the screen by name or by number. Pure, so the choice can be
//! tested without a terminal.

use bakeoff_core::vocab::LaneState;

/// Rows of the terminal the live area leaves free: the cursor's line below it and one
/// line of the race's messages above it.
pub(crate) const ROW_MARGIN: usize = 2;

/// What the live area draws: the lanes to show, by index in the race's order, and the
/// line for the rest when some are left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LivePlan {
    pub shown: Vec<usize>,
    pub summary: Option<String>,
}

/// Plans the live area for lanes in `states` (in the race's order) on a terminal of
/// `rows` rows. Every lane gets a line when they all fit; otherwise one line is kept for
/// the summary and the others go to running lanes first, then finished ones (their
/// results), then queued ones, earlier lanes first within each, and are drawn in the
/// race's order so a lane keeps its place among those shown.
pub(crate) fn plan(states: &[LaneState], rows: usize) -> LivePlan {
    let room = rows.saturating_sub(ROW_MARGIN).max(1);
    if states.len() <= room {
        return LivePlan {
            shown: (0..states.len()).collect(),
            summary: None,
        };
    }
    let mut order: Vec<usize> = (0..states.len()).collect();
    // A stable sort: within a rank, the race's order.
    order.sort_by_key(|&i| rank(states[i]));
    let mut shown: Vec<usize> = order[..room - 1].to_vec();
    shown.sort_unstable();
    let hidden: Vec<LaneState> = order[room - 1..].iter().map(|&i| states[i]).collect();
    let summary = summary(&hidden, !shown.is_empty());
    LivePlan {
        shown,
        summary: Some(summary),
    }
}

/// Running lanes first, then finished, then queued.
fn rank(state: LaneState) -> u8 {
    match state {
        LaneState::Queued => 2,
        s if s.is_final() => 1,
        _ => 0,
    }
}

/// `+7 more: 3 running, 2 done, 2 queued`, or `12 lanes: …` when no lane has a line.
fn summary(hidden: &[LaneState], after_lines: bool) -> String {
    let count = |pick: fn(LaneState) -> bool| hidden.iter().filter(|&&s| pick(s)).count();
    let groups = [
        (count(|s| rank(s) == 0), "running"),
        (count(|s| s == LaneState::Done), "done"),
        (count(|s| s == LaneState::Failed), "failed"),
        (count(|s| s == LaneState::Cancelled), "cancelled"),
        (count(|s| s == LaneState::Queued), "queued"),
    ];
    let parts: Vec<String> = groups
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
    let head = if after_lines {
        format!("+{} more", hidden.len())
    } else {
        format!("{} lanes", hidden.len())
    };
    format!("{head}: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use LaneState::*;

    #[test]
    fn every_lane_has_a_line_when_they_fit() {
        let states = [Running, Queued, Done];
        assert_eq!(
            plan(&states, 5),
            LivePlan {
                shown: vec![0, 1, 2],
                summary: None
            }
        );
    }

    #[test]
    fn running_lanes_are_shown_first_and_the_rest_counted() {
        // Ten rows: eight lines, seven lanes and the summary.
        let states = [
            Queued, Done, Running, Queued, Failed, Running, Checking, Queued, Done, Reviewing, Cancelled,
            Running,
        ];
        let got = plan(&states, 10);
        // The five running (2, 5, 6, 9, 11), then the first two finished (1, 4).
        assert_eq!(got.shown, vec![1, 2, 4, 5, 6, 9, 11]);
        assert_eq!(
            got.summary.as_deref(),
            Some("+5 more: 1 done, 1 cancelled, 3 queued")
        );
    }

    #[test]
    fn every_lane_is_accounted_for_at_any_height() {
        let states = [Running, Queued, Done, Running, Failed, Queued, Running];
        for rows in 0..12 {
            let got = plan(&states, rows);
            let lines = got.shown.len() + usize::from(got.summary.is_some());
            assert!(lines <= rows.saturating_sub(ROW_MARGIN).max(1), "{rows}: {got:?}");
            let counted = match &got.summary {
                None => 0,
                Some(line) => line
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|n| n.parse::<usize>().ok())
                    .skip(1)
                    .sum(),
            };
            assert_eq!(got.shown.len() + counted, states.len(), "{rows}: {got:?}");
        }
        assert_eq!(
            plan(&states, 3).summary.as_deref(),
            Some("7 lanes: 3 running, 1 done, 1 failed, 2 queued")
        );
    }
}
