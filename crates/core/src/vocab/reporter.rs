//! The one trait every sink of race events implements: the journal writer, the terminal
//! display, plain log lines and the `--json` stream.

use super::event::Stamped;

/// A sink for race events. The coordinator calls `event` for every event in order,
/// `tick` on its progress timer (so live clocks advance between events), and `finish`
/// once the race is over.
pub trait Reporter: Send {
    fn event(&mut self, event: &Stamped);
    fn tick(&mut self) {}
    fn finish(&mut self) {}
}
