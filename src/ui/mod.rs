//! What the user sees of a race: reporters that receive every public event in order
//! (the live terminal display, plain log lines, the `--json` stream), the leaderboard
//! and the other tables, fitted to the terminal, and the color decision. Library code
//! reports through [`Reporter`] and never prints.

mod color;
mod json;
mod lane_view;
mod leaderboard;
mod live_area;
mod plain;
mod table;
mod terminal;
mod text;

#[cfg(test)]
mod tests;

pub use color::{color_choice, color_enabled, set_color, ColorWhen};
pub use json::JsonReporter;
pub use leaderboard::render_leaderboard;
pub use plain::{PlainReporter, PROGRESS_INTERVAL_MS};
pub use table::{indented_table, list_table, spaced_table, stderr_width, stdout_width};
pub use terminal::TerminalReporter;
pub use text::fit as fit_line;
pub use text::fix_round as fix_round_line;
pub use text::review_finished as review_line;

pub use bakeoff_core::vocab::Reporter;
