//! Finding Gemini CLI's report in its output as the lines go by, with bounded memory:
//! the output is never kept. A top-level JSON object starts where a line starts with `{`;
//! a byte scanner follows its nesting (and its strings) and keeps only the values the
//! parser reads — `session_id`, `response`, `error` and `stats.models` — each up to
//! [`MAX_VALUE_BYTES`]. Everything else (`stats.tools`, which grows with every tool call,
//! `stats.files`, log lines between reports) is scanned past and dropped. A kept value
//! bigger than the cap is skipped as if absent: no real report has a model table or an
//! error that big, and a `response` line is cut at 64 KiB by the line splitter anyway.
//!
//! Why a scanner and not a parser with a bounded buffer: the report is printed last and
//! its size grows with the run (Gemini CLI counts every tool by name), so a buffer big
//! enough for any report is one that 8 lanes cannot afford, and one too small loses the
//! usage that comes after the part that overflowed it.

use serde_json::Value;

/// The most of one kept value that is kept.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// Keys longer than this are not ones the parser reads; they are not kept whole.
const MAX_KEY: usize = 32;

/// The fields of a report the parser reads. `None` is absent (or skipped).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    pub session_id: Option<Value>,
    pub response: Option<Value>,
    pub error: Option<Value>,
    pub models: Option<Value>,
}

/// Which kept value a capture is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Field {
    SessionId,
    Response,
    Error,
    Models,
}

/// One object being scanned.
#[derive(Debug, Default)]
struct Scan {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// The next string at a level whose keys matter is a key.
    expect_key: bool,
    /// The key being read (`Some` while in its string).
    key: Option<Vec<u8>>,
    /// The key just read, waiting for its `:`.
    read_key: Option<Vec<u8>>,
    /// After a member's `:`: the value's key, and the value has not started yet.
    value_of: Option<Vec<u8>>,
    /// Depth of the `stats` object's members, while inside it.
    stats: Option<u32>,
    /// The value being kept: which, the depth of its member, its text so far (`None`
    /// once it went over the cap).
    capture: Option<(Field, u32, Option<Vec<u8>>)>,
    /// A key of the report was seen at the top level.
    is_report: bool,
    report: Report,
}

/// The bytes that change the scanner's state outside strings.
fn structural(b: u8) -> bool {
    matches!(b, b'"' | b'{' | b'}' | b'[' | b']' | b',' | b':')
}

/// Follows one stream; [`Reports::last`] is the last complete report in it.
#[derive(Debug, Default)]
pub struct Reports {
    scan: Option<Scan>,
    last: Option<Report>,
}

impl Reports {
    /// One line of the stream, without its newline.
    pub fn line(&mut self, line: &str) {
        let trimmed = line.trim_start();
        // An unindented `{` starts an object, and one that was open is abandoned (a
        // pretty report's own lines are indented, so that one was cut or not JSON). An
        // indented one starts an object only outside of one.
        let starts = trimmed.starts_with('{') && (self.scan.is_none() || trimmed.len() == line.len());
        if starts {
            self.scan = Some(Scan {
                depth: 1,
                expect_key: true,
                ..Scan::default()
            });
        }
        let Some(scan) = self.scan.as_mut() else {
            return;
        };
        let bytes = if starts {
            &trimmed.as_bytes()[1..]
        } else {
            line.as_bytes()
        };
        // What follows the closing brace on its line is not read.
        if scan.bytes(bytes) {
            if let Some(scan) = self.scan.take() {
                if scan.is_report {
                    self.last = Some(scan.report);
                }
            }
        } else {
            scan.line_end();
        }
    }

    /// The last complete report.
    pub fn last(&self) -> Option<&Report> {
        self.last.as_ref()
    }

    /// Bytes held for the object being scanned, for tests of the bound.
    #[cfg(test)]
    pub fn retained(&self) -> usize {
        self.scan.as_ref().map_or(0, |s| {
            let capture = s.capture.as_ref().and_then(|(_, _, t)| t.as_ref());
            capture.map_or(0, Vec::capacity)
                + s.key.as_ref().map_or(0, Vec::capacity)
                + s.read_key.as_ref().map_or(0, Vec::capacity)
                + s.value_of.as_ref().map_or(0, Vec::capacity)
        })
    }
}

impl Scan {
    /// Scans `bytes`; true when the object closed.
    fn bytes(&mut self, bytes: &[u8]) -> bool {
        let mut i = 0;
        while i < bytes.len() {
            if self.in_string {
                // The body of a string, up to its quote or next escape, in one step.
                let run = memchr::memchr2(b'"', b'\\', &bytes[i..]).unwrap_or(bytes.len() - i);
                if self.escaped {
                    self.escaped = false;
                    self.keep(&bytes[i..i + 1]);
                    i += 1;
                    continue;
                }
                self.keep(&bytes[i..i + run]);
                i += run;
                let Some(&b) = bytes.get(i) else { break };
                i += 1;
                if b == b'\\' {
                    self.keep(&[b]);
                    self.escaped = true;
                } else if let Some(key) = self.key.take() {
                    self.in_string = false;
                    self.read_key = Some(key);
                } else {
                    self.in_string = false;
                    self.keep(&[b]);
                }
                continue;
            }
            // Whitespace, numbers and literals, up to the next structural byte, in one
            // step: most of a pretty report is indentation.
            let run = bytes[i..]
                .iter()
                .position(|&b| structural(b))
                .unwrap_or(bytes.len() - i);
            if run > 0 {
                let chunk = &bytes[i..i + run];
                if self.value_of.is_some() {
                    if let Some(&first) = chunk.iter().find(|b| !b.is_ascii_whitespace()) {
                        let key = self.value_of.take().unwrap_or_default();
                        self.value_starts(&key, first);
                    }
                }
                self.keep(chunk);
                i += run;
                continue;
            }
            let b = bytes[i];
            i += 1;
            if let Some(key) = self.value_of.take() {
                self.value_starts(&key, b);
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.expect_key && self.keys_matter() {
                        self.expect_key = false;
                        self.key = Some(Vec::new());
                    } else {
                        self.keep(&[b]);
                    }
                }
                b':' => {
                    self.keep(&[b]);
                    if let Some(key) = self.read_key.take() {
                        self.value_of = Some(key);
                    }
                }
                b'{' | b'[' => {
                    self.keep(&[b]);
                    self.depth += 1;
                    self.expect_key = b == b'{' && self.keys_matter();
                }
                b'}' | b']' => {
                    if self.capture.as_ref().is_some_and(|(_, d, _)| *d == self.depth) {
                        self.capture_ends();
                    } else {
                        self.keep(&[b]);
                    }
                    if self.stats == Some(self.depth) {
                        self.stats = None;
                    }
                    self.depth -= 1;
                    if self.depth == 0 {
                        return true;
                    }
                }
                b',' => {
                    if self.capture.as_ref().is_some_and(|(_, d, _)| *d == self.depth) {
                        self.capture_ends();
                    } else {
                        self.keep(&[b]);
                    }
                    self.expect_key = self.keys_matter();
                }
                _ => self.keep(&[b]),
            }
        }
        false
    }

    /// A line ended. JSON strings hold no raw newline: one still open was cut (the line
    /// splitter cuts lines at 64 KiB), so it is closed here rather than swallowing the
    /// lines after it.
    fn line_end(&mut self) {
        if self.in_string {
            self.in_string = false;
            self.escaped = false;
            self.key = None;
        }
        self.keep(b"\n");
    }

    /// Members of the top-level object and of `stats` are looked at; nothing deeper.
    fn keys_matter(&self) -> bool {
        self.depth == 1 || self.stats == Some(self.depth)
    }

    /// The value of member `key` starts with byte `b`.
    fn value_starts(&mut self, key: &[u8], b: u8) {
        if self.depth == 1 {
            self.is_report |= matches!(key, b"response" | b"stats" | b"error");
        }
        let field = match (self.depth, key) {
            (1, b"session_id") => Some(Field::SessionId),
            (1, b"response") => Some(Field::Response),
            (1, b"error") => Some(Field::Error),
            (1, b"stats") if b == b'{' => {
                self.stats = Some(2);
                None
            }
            (d, b"models") if self.stats == Some(d) => Some(Field::Models),
            _ => None,
        };
        if let Some(field) = field {
            self.capture = Some((field, self.depth, Some(Vec::new())));
        }
    }

    /// Adds to the value being kept, dropping it once it is over the cap.
    fn keep(&mut self, bytes: &[u8]) {
        if let Some((_, _, text)) = self.capture.as_mut() {
            if let Some(kept) = text {
                if kept.len() + bytes.len() > MAX_VALUE_BYTES {
                    *text = None;
                } else {
                    kept.extend_from_slice(bytes);
                }
            }
        }
        if let Some(key) = self.key.as_mut() {
            if key.len() + bytes.len() <= MAX_KEY {
                key.extend_from_slice(bytes);
            } else {
                // Not a key the parser reads: keep it unlike any of them.
                key.clear();
                key.push(0);
            }
        }
    }

    fn capture_ends(&mut self) {
        let Some((field, _, Some(text))) = self.capture.take() else {
            return;
        };
        let Ok(value) = serde_json::from_slice::<Value>(&text) else {
            return;
        };
        let slot = match field {
            Field::SessionId => &mut self.report.session_id,
            Field::Response => &mut self.report.response,
            Field::Error => &mut self.report.error,
            Field::Models => &mut self.report.models,
        };
        *slot = Some(value);
    }
}
