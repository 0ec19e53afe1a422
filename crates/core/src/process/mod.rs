//! Child processes: each in its own process group, output streamed to files and parsed
//! line by line, a deadline, and a terminate sequence (SIGTERM to the group, a grace
//! period, SIGKILL), then SIGKILL to every process still carrying the child's marker in
//! its environment (`marked`), wherever its group.
//!
//! [`run`] is the one entry point; [`Command`] says what to run, [`CancelToken`] lets the
//! race coordinator stop it early, and [`Finished`] says how it ended.

mod cancel;
mod cap;
mod command;
mod error;
mod group;
mod lines;
mod marked;
mod overlay;
mod run;
mod stop;

#[cfg(test)]
mod tests;

pub use crate::vocab::ExitKind;
pub use cancel::{cancel_pair, CancelLevel, CancelToken, Canceller};
pub use command::Command;
pub use error::ProcessError;
pub use marked::{run_token, Marker, RUN_VAR};
pub use overlay::{probe as probe_overlay, Overlay};
pub use run::{run, run_agent, Finished, LineSink, Stream};
