//! The live display on a terminal: a line per lane that updates in place,
//! as many as the terminal has rows for and each fitted to its width, with race-level
//! messages and the leaderboard printed as ordinary lines around it.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use bakeoff_core::vocab::{RaceEvent, Stamped};

use super::color::{Paint, Style};
use super::lane_view::{LaneView, MAX_NAME_WIDTH};
use super::Reporter;
use super::{live_area, text};

/// Milliseconds since the Unix epoch, the same clock events are stamped with.
type Clock = Box<dyn Fn() -> u64 + Send>;

fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The terminal's size as (rows, columns).
type Size = Box<dyn Fn() -> (usize, usize) + Send>;

/// The size of the terminal stderr is on, read anew at each redraw so a resized window
/// is planned for; 24×80 when it cannot be read.
fn stderr_size() -> (usize, usize) {
    console::Term::stderr()
        .size_checked()
        .map_or((24, 80), |(rows, cols)| (rows as usize, cols as usize))
}

/// The interactive reporter: draws to stderr through indicatif.
///
/// The live area is one indicatif bar whose message is all of its lines, as many as the
/// terminal has room for: each redraw plans which lanes they show
/// ([`live_area::plan`]) and fits each line to the terminal's width
/// ([`LaneView::render`]), then sets the whole area at once, so indicatif never draws a
/// frame that mixes lines fitted to an old width with lines fitted to the new one.
pub struct TerminalReporter {
    area: ProgressBar,
    paint: Paint,
    lanes: Vec<LaneView>,
    /// The live area's lines as last drawn, top to bottom.
    drawn: Vec<String>,
    /// Set once the live area is frozen at the end: later redraws change nothing.
    frozen: bool,
    name_width: usize,
    clock: Clock,
    size: Size,
    /// Where lines outside the live area go (race messages, the leaderboard).
    out: Box<dyn Write + Send>,
}

impl TerminalReporter {
    /// A reporter drawing to stderr, colored when `color` is set.
    pub fn new(color: bool) -> Self {
        TerminalReporter {
            area: ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_style(ProgressStyle::with_template("{msg}").expect("the live area template is valid")),
            paint: Paint::new(color),
            lanes: Vec::new(),
            drawn: Vec::new(),
            frozen: false,
            name_width: 0,
            clock: Box::new(system_clock),
            size: Box::new(stderr_size),
            out: Box::new(io::stderr()),
        }
    }

    /// Draws the live lines to `target` instead, e.g. `ProgressDrawTarget::hidden()`
    /// in tests.
    pub fn with_draw_target(self, target: ProgressDrawTarget) -> Self {
        self.area.set_draw_target(target);
        self
    }

    /// Reads the time from `clock` (milliseconds since the Unix epoch) instead of the
    /// system clock, so tests control how far the lane clocks advance.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Plans for a terminal of the size `size` returns (rows, columns) instead of
    /// stderr's, so tests can draw at any size and resize.
    pub fn with_size(mut self, size: impl Fn() -> (usize, usize) + Send + 'static) -> Self {
        self.size = Box::new(size);
        self
    }

    /// Writes lines outside the live area (race messages, the leaderboard) to `out`
    /// instead of stderr.
    pub fn with_output(mut self, out: impl Write + Send + 'static) -> Self {
        self.out = Box::new(out);
        self
    }

    fn lane_index(&mut self, lane: &str) -> usize {
        if let Some(i) = self.lanes.iter().position(|l| l.lane == lane) {
            return i;
        }
        // A lane not announced by `race-started` still gets a line rather than vanishing.
        self.lanes.push(LaneView::new(lane));
        let width = text::width(&text::one_line(lane, MAX_NAME_WIDTH));
        self.name_width = self.name_width.max(width.min(MAX_NAME_WIDTH));
        self.lanes.len() - 1
    }

    /// The live area's lines as they should be now, at most `cols - 1` columns wide:
    /// the last column is left empty because some terminals wrap as soon as it is
    /// written.
    fn plan_lines(&self, now_ms: u64) -> Vec<String> {
        let (rows, cols) = (self.size)();
        let width = cols.saturating_sub(1).max(1);
        let states: Vec<_> = self.lanes.iter().map(|l| l.state).collect();
        let plan = live_area::plan(&states, rows);
        let mut lines: Vec<String> = plan
            .shown
            .iter()
            .map(|&i| self.lanes[i].render(now_ms, self.name_width, width, self.paint))
            .collect();
        if let Some(summary) = plan.summary {
            lines.push(self.paint.style(Style::Dim, &text::fit(&summary, width)));
        }
        lines
    }

    /// Re-plans the live area and redraws it, all its lines in one message.
    fn redraw(&mut self) {
        if self.frozen {
            return;
        }
        let lines = self.plan_lines((self.clock)());
        if lines.is_empty() || lines == self.drawn {
            return;
        }
        self.area.set_message(lines.join("\n"));
        self.drawn = lines;
    }

    /// Draws the live area one last time and leaves it on the screen, so what is printed
    /// next lands below the lanes.
    fn freeze(&mut self) {
        if self.frozen {
            return;
        }
        self.redraw();
        self.area.abandon();
        self.frozen = true;
        // indicatif leaves the cursor at the end of the last line, which it pads to the
        // terminal's width: what is printed next would run on from there and wrap. The
        // area is handed back to ordinary lines, which start on the line below.
        if !self.drawn.is_empty() && !self.area.is_hidden() {
            self.area.set_draw_target(ProgressDrawTarget::hidden());
            let _ = writeln!(self.out).and_then(|()| self.out.flush());
        }
    }

    /// Prints `text` as ordinary lines: above the live lines while they are live,
    /// plainly below them once they are frozen, so the table follows the lanes.
    fn print(&mut self, text: &str) {
        // A failed write to the terminal is not worth stopping a race for, and there
        // is nowhere better to report it; the live lines still show the state.
        let write = |out: &mut Box<dyn Write + Send>| {
            let _ = writeln!(out, "{text}").and_then(|()| out.flush());
        };
        if self.frozen {
            write(&mut self.out);
        } else {
            // Re-planned first: the area drawn back under the text fits the terminal as
            // it is now, not as it was at the last tick.
            self.redraw();
            let out = &mut self.out;
            self.area.suspend(|| write(out));
        }
    }

    /// The live area's lines as they are drawn now.
    #[cfg(test)]
    pub(super) fn lines(&self) -> Vec<String> {
        self.drawn.clone()
    }
}

impl Reporter for TerminalReporter {
    fn event(&mut self, stamped: &Stamped) {
        let event = &stamped.event;
        match event {
            RaceEvent::RaceStarted { lanes, .. } => {
                if let Some(line) = text::race_line(event) {
                    self.print(&line);
                }
                for info in lanes {
                    self.lane_index(&info.lane);
                }
                self.redraw();
            }
            // Ranking comes after every lane stopped; freeze the live area so the
            // leaderboard the command prints lands below the lanes.
            RaceEvent::Ranked { .. } => self.freeze(),
            RaceEvent::Merged { .. }
            | RaceEvent::LanesStopped { .. }
            | RaceEvent::SynthesisStarted { .. }
            | RaceEvent::MergeRefused { .. }
            | RaceEvent::Interrupted { .. }
            | RaceEvent::RaceFinished { .. } => {
                if let Some(line) = text::race_line(event) {
                    self.print(&line);
                }
            }
            _ => {
                if let Some(lane) = event.lane() {
                    let i = self.lane_index(lane);
                    self.lanes[i].apply(event, stamped.at_ms);
                    self.redraw();
                }
            }
        }
    }

    fn tick(&mut self) {
        self.redraw();
    }

    fn finish(&mut self) {
        self.freeze();
        let _ = self.out.flush();
    }
}
