//! The live display on a terminal: one indicatif line per lane that updates in place
//! and freezes at the lane's final state, with race-level messages and the leaderboard
//! printed as ordinary lines around it.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use bakeoff_core::vocab::{RaceEvent, Stamped};

use super::color::Paint;
use super::lane_view::{LaneView, MAX_NAME_WIDTH};
use super::text;
use super::Reporter;

/// Milliseconds since the Unix epoch, the same clock events are stamped with.
type Clock = Box<dyn Fn() -> u64 + Send>;

fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

struct LaneLine {
    view: LaneView,
    bar: ProgressBar,
}

/// The interactive reporter: draws to stderr through indicatif's `MultiProgress`.
pub struct TerminalReporter {
    multi: MultiProgress,
    style: ProgressStyle,
    paint: Paint,
    lanes: Vec<LaneLine>,
    name_width: usize,
    clock: Clock,
    /// Where lines outside the live area go (race messages, the leaderboard).
    out: Box<dyn Write + Send>,
}

impl TerminalReporter {
    /// A reporter drawing to stderr, colored when `color` is set.
    pub fn new(color: bool) -> Self {
        TerminalReporter {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            // `{wide_msg}` takes what is left of the terminal width and truncates the
            // last action to it, so a line never wraps and breaks the redraw.
            style: ProgressStyle::with_template("{prefix} {wide_msg}")
                .expect("the lane line template is valid"),
            paint: Paint::new(color),
            lanes: Vec::new(),
            name_width: 0,
            clock: Box::new(system_clock),
            out: Box::new(io::stderr()),
        }
    }

    /// Draws the live lines to `target` instead, e.g. `ProgressDrawTarget::hidden()`
    /// in tests.
    pub fn with_draw_target(self, target: ProgressDrawTarget) -> Self {
        self.multi.set_draw_target(target);
        self
    }

    /// Reads the time from `clock` (milliseconds since the Unix epoch) instead of the
    /// system clock, so tests control how far the lane clocks advance.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Writes lines outside the live area (race messages, the leaderboard) to `out`
    /// instead of stderr.
    pub fn with_output(mut self, out: impl Write + Send + 'static) -> Self {
        self.out = Box::new(out);
        self
    }

    fn lane_index(&mut self, lane: &str) -> usize {
        if let Some(i) = self.lanes.iter().position(|l| l.view.lane == lane) {
            return i;
        }
        // A lane not announced by `race-started` still gets a line rather than vanishing.
        let bar = self
            .multi
            .add(ProgressBar::hidden().with_style(self.style.clone()));
        self.lanes.push(LaneLine {
            view: LaneView::new(lane),
            bar,
        });
        let width = lane.chars().count().min(MAX_NAME_WIDTH);
        if width > self.name_width {
            self.name_width = width;
            self.redraw_all();
        }
        self.lanes.len() - 1
    }

    fn redraw(&self, i: usize, now_ms: u64) {
        let line = &self.lanes[i];
        let (prefix, message) = line.view.render(now_ms, self.name_width, self.paint);
        line.bar.set_prefix(prefix);
        if line.view.is_final() && !line.bar.is_finished() {
            line.bar.finish_with_message(message);
        } else {
            line.bar.set_message(message);
        }
    }

    fn redraw_all(&self) {
        let now = (self.clock)();
        for i in 0..self.lanes.len() {
            self.redraw(i, now);
        }
    }

    /// Prints `text` as ordinary lines: above the live lines while any is still live,
    /// plainly below them once all are frozen, so the table follows the lanes.
    fn print(&mut self, text: &str) {
        let live = self.lanes.iter().any(|l| !l.bar.is_finished());
        let out = &mut self.out;
        // A failed write to the terminal is not worth stopping a race for, and there
        // is nowhere better to report it; the live lines still show the state.
        let write = |out: &mut Box<dyn Write + Send>| {
            let _ = writeln!(out, "{text}").and_then(|()| out.flush());
        };
        if live {
            self.multi.suspend(|| write(out));
        } else {
            write(out);
        }
    }

    /// Each lane's line as it would be drawn now, without color.
    #[cfg(test)]
    pub(super) fn lines(&self) -> Vec<String> {
        self.lanes
            .iter()
            .map(|l| format!("{} {}", l.bar.prefix(), l.bar.message()))
            .collect()
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
                self.redraw_all();
            }
            RaceEvent::Ranked { .. } => {
                // Ranking comes after every lane stopped; freeze any line still live so
                // the leaderboard the command prints lands below the lanes.
                for line in &self.lanes {
                    if !line.bar.is_finished() {
                        line.bar.abandon();
                    }
                }
            }
            RaceEvent::Merged { .. }
            | RaceEvent::LanesStopped { .. }
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
                    self.lanes[i].view.apply(event, stamped.at_ms);
                    let now = (self.clock)();
                    self.redraw(i, now);
                }
            }
        }
    }

    fn tick(&mut self) {
        let now = (self.clock)();
        for i in 0..self.lanes.len() {
            if !self.lanes[i].view.is_final() {
                self.redraw(i, now);
            }
        }
    }

    fn finish(&mut self) {
        for line in &self.lanes {
            if !line.bar.is_finished() {
                line.bar.abandon();
            }
        }
        let _ = self.out.flush();
    }
}
