//! `--json`: every event as one line of JSON (NDJSON), flushed as it happens so a
//! consumer reading the pipe sees each event when it occurs. The line is the journal's
//! `Stamped` shape, versioned by its `v` field.

use std::io::{self, Write};

use bakeoff_core::vocab::Stamped;

use super::Reporter;

/// Writes each event as one JSON line to `W`.
pub struct JsonReporter<W: Write + Send> {
    out: W,
    error: Option<io::Error>,
}

impl<W: Write + Send> JsonReporter<W> {
    /// A reporter writing NDJSON to `out` (stdout for `--json`).
    pub fn new(out: W) -> Self {
        JsonReporter { out, error: None }
    }

    /// The first write error, if any; after one the reporter writes nothing more, so
    /// `bakeoff race --json | head` does not stop the race.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// The writer back, e.g. to inspect it in a test.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write(&mut self, event: &Stamped) -> io::Result<()> {
        // Serialize first so a failure cannot leave half a line in the stream.
        let mut line = serde_json::to_vec(event).map_err(io::Error::other)?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()
    }
}

impl<W: Write + Send> Reporter for JsonReporter<W> {
    fn event(&mut self, event: &Stamped) {
        if self.error.is_none() {
            if let Err(error) = self.write(event) {
                self.error = Some(error);
            }
        }
    }
}
