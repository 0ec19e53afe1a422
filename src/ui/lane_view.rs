//! One lane as the live display sees it: the lane's events folded into what its line
//! shows, and the line itself. Pure, so the line can be tested without a terminal.

use bakeoff_core::units::{clock_ms, usd};
use bakeoff_core::vocab::{LaneState, RaceEvent, Usage};

use super::color::{Paint, Style};
use super::text::{fit, one_line, token_pair, width as text_width};

/// Lane names longer than this are cut so that one long name cannot push every other
/// column off the screen.
pub(crate) const MAX_NAME_WIDTH: usize = 24;

/// Width of the state column: the longest state word, "setting up".
const STATE_WIDTH: usize = 10;

/// A name is cut no shorter than this before the turns and the clock give way.
const MIN_NAME_WIDTH: usize = 7;

/// The free text is worth showing only with at least this many columns of it.
const MIN_FREE_WIDTH: usize = 10;

/// The widths of a line's columns, and which of them fit.
#[derive(Clone, Copy, Debug)]
struct Columns {
    name_width: usize,
    clock: usize,
    turns: usize,
    tokens: usize,
    cost: usize,
    free: usize,
}

/// What [`Columns::fit`] kept.
#[derive(Clone, Copy, Debug)]
struct Fitted {
    name_width: usize,
    show_clock: bool,
    show_turns: bool,
    show_tokens: bool,
    show_cost: bool,
    show_free: bool,
}

impl Columns {
    /// Width of the line with the name in `name` columns and the columns `keep` says,
    /// the free text at its shortest worth showing.
    fn needed(&self, name: usize, keep: &Fitted) -> usize {
        // Name, two spaces, the mark, a space, the state.
        let mut total = name + 2 + 1 + 1 + STATE_WIDTH;
        let gap = |on: bool, w: usize| if on { 2 + w } else { 0 };
        total += gap(keep.show_clock, self.clock.max(5));
        total += gap(keep.show_turns, self.turns);
        total += gap(keep.show_tokens, self.tokens);
        total += gap(keep.show_cost, self.cost);
        if keep.show_free && self.free > 0 {
            total += 1 + self.free.min(MIN_FREE_WIDTH);
        }
        total
    }

    /// Drops columns, least important first, until the line fits in `width`.
    fn fit(self, width: usize) -> Fitted {
        let mut keep = Fitted {
            name_width: self.name_width,
            show_clock: true,
            show_turns: true,
            show_tokens: true,
            show_cost: true,
            show_free: true,
        };
        let drops: [fn(&mut Fitted); 3] = [
            |k| k.show_tokens = false,
            |k| k.show_cost = false,
            |k| k.show_free = false,
        ];
        for drop in drops {
            if self.needed(self.name_width, &keep) <= width {
                return keep;
            }
            drop(&mut keep);
        }
        // Then the name is cut, but not below what still names the lane.
        let shortest = self.name_width.min(MIN_NAME_WIDTH);
        let drops: [fn(&mut Fitted); 3] = [|_| {}, |k| k.show_turns = false, |k| k.show_clock = false];
        for drop in drops {
            drop(&mut keep);
            let rest = self.needed(0, &keep);
            if rest + shortest <= width {
                keep.name_width = self.name_width.min(width - rest);
                return keep;
            }
        }
        // Narrower than name, mark and state: the line is cut at the width.
        keep.name_width = shortest;
        keep
    }
}

/// A line as pieces of text, each with its style, so it can be cut at a width measured
/// on the text alone and painted afterwards.
#[derive(Default)]
struct Line {
    pieces: Vec<(String, Option<Style>)>,
}

impl Line {
    fn push(&mut self, text: &str, style: Option<Style>) {
        self.pieces.push((text.to_string(), style));
    }

    /// The line cut to `width` columns (the cut piece ending in `…`) with no spaces at
    /// its end, painted.
    fn paint(mut self, width: usize, paint: Paint) -> String {
        while let Some((text, _)) = self.pieces.last_mut() {
            let trimmed = text.trim_end().len();
            text.truncate(trimmed);
            if !text.is_empty() {
                break;
            }
            self.pieces.pop();
        }
        let mut out = String::new();
        let mut left = width;
        for (text, style) in &self.pieces {
            if left == 0 {
                break;
            }
            let cut = fit(text, left);
            let whole = cut.len() == text.len();
            left -= text_width(&cut);
            out.push_str(&match style {
                Some(style) => paint.style(*style, &cut),
                None => cut,
            });
            if !whole {
                break;
            }
        }
        out
    }
}

/// What one lane's live line is made from.
#[derive(Clone, Debug)]
pub(crate) struct LaneView {
    pub lane: String,
    pub state: LaneState,
    /// Event time the lane left the queue; its clock starts there.
    started_ms: Option<u64>,
    /// Event time the lane reached a final state; its clock stops there.
    ended_ms: Option<u64>,
    usage: Usage,
    last_action: Option<String>,
    error: Option<String>,
    agent_timed_out: bool,
    checks_passed: usize,
    checks_run: usize,
    /// Insertions and deletions once the lane's work is captured.
    diff: Option<(usize, usize)>,
}

impl LaneView {
    pub fn new(lane: &str) -> Self {
        LaneView {
            lane: lane.to_string(),
            state: LaneState::Queued,
            started_ms: None,
            ended_ms: None,
            usage: Usage::default(),
            last_action: None,
            error: None,
            agent_timed_out: false,
            checks_passed: 0,
            checks_run: 0,
            diff: None,
        }
    }

    pub fn is_final(&self) -> bool {
        self.state.is_final()
    }

    /// Folds one event about this lane into the view.
    pub fn apply(&mut self, event: &RaceEvent, at_ms: u64) {
        match event {
            RaceEvent::LaneState { state, .. } => self.set_state(*state, at_ms),
            RaceEvent::LaneStalled { idle_ms, error, .. } => {
                self.last_action = Some(super::text::stalled(*idle_ms, error.as_deref()));
            }
            RaceEvent::LaneProgress {
                usage, last_action, ..
            } => {
                self.usage = usage.clone();
                if let Some(action) = last_action {
                    self.last_action = Some(action.clone());
                }
            }
            RaceEvent::AgentFinished { outcome, .. } => {
                self.usage = outcome.usage.clone();
                self.agent_timed_out = outcome.timed_out;
                // What went wrong, in the agent's own words when it said.
                self.last_action = Some(match (&outcome.error, &outcome.exit) {
                    _ if outcome.timed_out => "agent timed out".to_string(),
                    (Some(error), _) => format!("agent: {}", one_line(error, 200)),
                    (None, Some(exit)) if !exit.success() && !outcome.cancelled => {
                        format!("agent ended with {exit}")
                    }
                    _ => "agent finished".to_string(),
                });
            }
            RaceEvent::Captured { capture, .. } => {
                self.diff = Some((capture.insertions, capture.deletions));
                self.last_action = Some(format!(
                    "captured +{} -{} in {}",
                    capture.insertions,
                    capture.deletions,
                    bakeoff_core::units::plural(capture.files_changed, "file")
                ));
            }
            RaceEvent::CheckStarted { name, holdout, .. } => {
                let kind = if *holdout { "holdout check" } else { "check" };
                self.last_action = Some(format!("{kind} '{name}'"));
            }
            RaceEvent::CheckFinished { check, .. } => {
                self.checks_run += 1;
                if check.passed {
                    self.checks_passed += 1;
                }
                let verdict = match (check.passed, check.timed_out) {
                    (true, _) => "passed",
                    (false, true) => "timed out",
                    (false, false) => "failed",
                };
                self.last_action = Some(format!("check '{}' {verdict}", check.name));
            }
            RaceEvent::Breached { .. } => {
                self.last_action = Some("WARNING: reached past its worktree; not merged".to_string());
            }
            RaceEvent::LaneFailed { error, .. } => {
                self.error = Some(error.clone());
                self.set_state(LaneState::Failed, at_ms);
            }
            RaceEvent::FixRound {
                round,
                findings_sent,
                failing_checks,
                resumed_session,
                ..
            } => {
                self.last_action = Some(super::text::fix_round(
                    *round,
                    *findings_sent,
                    failing_checks,
                    resumed_session.as_deref(),
                ));
            }
            RaceEvent::ReviewStarted { reviewer, .. } => {
                self.last_action = Some(format!("review by {reviewer}"));
            }
            RaceEvent::ReviewFinished { review, .. } => {
                self.last_action = Some(super::text::review_finished(review));
            }
            _ => {}
        }
    }

    fn set_state(&mut self, state: LaneState, at_ms: u64) {
        // A final lane stays final: a late event must not bring a finished line back.
        if self.state.is_final() {
            return;
        }
        if state != LaneState::Queued && self.started_ms.is_none() {
            self.started_ms = Some(at_ms);
        }
        if state.is_final() {
            self.ended_ms = Some(at_ms);
        }
        self.state = state;
    }

    /// Time on the lane's clock at `now_ms`, stopped once the lane is final.
    fn elapsed_ms(&self, now_ms: u64) -> Option<u64> {
        let start = self.started_ms?;
        Some(self.ended_ms.unwrap_or(now_ms).saturating_sub(start))
    }

    /// Did the lane finish with everything it ran passing?
    fn succeeded(&self) -> bool {
        self.state == LaneState::Done && !self.agent_timed_out && self.checks_passed == self.checks_run
    }

    /// The lane's line at most `width` terminal columns wide: the name (in a column
    /// `name_width` wide, shared by every lane so the columns line up), the state, the
    /// clock, turns, tokens, cost, and the free text (the last action, or the summary
    /// once final) cut to what is left. When the columns do not all fit, the tokens go
    /// first, then the cost, then the free text; then the name is cut (down to
    /// [`MIN_NAME_WIDTH`]), then the turns and the clock go. Whatever is left is cut to
    /// `width`, so the line can never wrap.
    pub fn render(&self, now_ms: u64, name_width: usize, width: usize, paint: Paint) -> String {
        let mark = match (self.is_final(), self.succeeded()) {
            (false, _) => (" ", None),
            (true, true) => ("✓", Some(Style::Green)),
            (true, false) => ("✗", Some(Style::Red)),
        };
        let state_style = match self.state {
            LaneState::Queued => Style::Dim,
            LaneState::Failed | LaneState::Cancelled => Style::Red,
            LaneState::Done if !self.succeeded() => Style::Red,
            LaneState::Done => Style::Green,
            _ => Style::Cyan,
        };
        let clock = self
            .elapsed_ms(now_ms)
            .map(clock_ms)
            .unwrap_or_else(|| "--:--".into());
        let turns = match self.usage.turns {
            Some(n) => format!("{n:>3} turns"),
            None => "  - turns".to_string(),
        };
        let tokens = format!(
            "{:<14}",
            token_pair(&self.usage)
                .map(|pair| format!("{pair} tok"))
                .unwrap_or_else(|| "- tok".into())
        );
        let cost = format!(
            "{:>7}",
            self.usage.cost_usd.map(usd).unwrap_or_else(|| "cost ?".into())
        );
        let free = self.free_text();
        let name = one_line(&self.lane, MAX_NAME_WIDTH);
        let name_width = name_width.clamp(1, MAX_NAME_WIDTH);
        let columns = Columns {
            name_width,
            clock: text_width(&clock),
            turns: text_width(&turns),
            tokens: text_width(&tokens),
            cost: text_width(&cost),
            free: text_width(&free),
        }
        .fit(width);

        let mut line = Line::default();
        let name = fit(&name, columns.name_width);
        let pad = columns.name_width.saturating_sub(text_width(&name));
        line.push(&name, Some(Style::Bold));
        line.push(&" ".repeat(pad), None);
        line.push("  ", None);
        line.push(mark.0, mark.1);
        line.push(" ", None);
        line.push(
            &format!("{:<STATE_WIDTH$}", self.state.as_str()),
            Some(state_style),
        );
        if columns.show_clock {
            line.push(&format!("  {clock:>5}"), None);
        }
        if columns.show_turns {
            line.push(&format!("  {turns}"), None);
        }
        if columns.show_tokens {
            line.push(&format!("  {tokens}"), None);
        }
        if columns.show_cost {
            line.push(&format!("  {cost}"), None);
        }
        if columns.show_free && !free.is_empty() {
            line.push(" ", None);
            line.push(&free, None);
        }
        line.paint(width, paint)
    }

    fn free_text(&self) -> String {
        let action = || {
            self.last_action
                .as_deref()
                .map(|a| one_line(a, 200))
                .unwrap_or_default()
        };
        match self.state {
            LaneState::Done => {
                let mut parts = Vec::new();
                if self.agent_timed_out {
                    parts.push("agent timed out".to_string());
                }
                parts.push(if self.checks_run == 0 {
                    "no checks".to_string()
                } else {
                    format!("checks {}/{} pass", self.checks_passed, self.checks_run)
                });
                if let Some((ins, del)) = self.diff {
                    parts.push(format!("+{ins} -{del}"));
                }
                parts.join(" · ")
            }
            LaneState::Failed => match &self.error {
                Some(error) => format!("failed: {}", one_line(error, 200)),
                None => "failed".to_string(),
            },
            LaneState::Cancelled => "cancelled".to_string(),
            _ => action(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bakeoff_core::vocab::{AgentOutcome, ExitKind};

    fn finished(exit: i32, error: Option<&str>) -> RaceEvent {
        RaceEvent::AgentFinished {
            lane: "a".into(),
            outcome: AgentOutcome {
                exit: Some(ExitKind::Code(exit)),
                timed_out: false,
                cancelled: false,
                elapsed_ms: 10,
                usage: Usage::default(),
                session_id: None,
                final_message: None,
                error: error.map(str::to_string),
            },
        }
    }

    #[test]
    fn the_live_line_says_what_went_wrong_with_the_agent() {
        let cases = [
            (finished(0, None), "agent finished"),
            (finished(41, None), "agent ended with exit 41"),
            (
                finished(1, Some("Invalid API key\n  (401)")),
                "agent: Invalid API key (401)",
            ),
        ];
        for (event, want) in cases {
            let mut view = LaneView::new("a");
            view.apply(&event, 0);
            assert_eq!(view.last_action.as_deref(), Some(want));
        }
    }
}
